"""The vehicle's cloud client: `POST URL/chat/completions` with a JSON-schema response format.

It speaks only the OpenAI-compatible chat-completions API, so vLLM, a provider or the local
`copilot cloud serve` can stand behind URL. Every call has a hard deadline: the request runs in
a worker thread whose httpx timeouts equal the time left, and the caller stops waiting at the
deadline whatever the network does. Request and response shapes are pydantic models.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

log = logging.getLogger(__name__)

DEFAULT_MODEL = "gemma-3-270m"


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "user", "assistant"]
    content: str | None = None


class JsonSchemaSpec(BaseModel):
    name: str
    schema_: dict[str, Any] = Field(alias="schema", serialization_alias="schema")
    strict: bool = True

    model_config = ConfigDict(populate_by_name=True)


class ResponseFormat(BaseModel):
    type: Literal["json_schema"] = "json_schema"
    json_schema: JsonSchemaSpec


class ChatRequest(BaseModel):
    model: str
    messages: list[ChatMessage]
    response_format: ResponseFormat
    max_tokens: int = Field(gt=0)
    temperature: float = 0.0


class Usage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    prompt_tokens: int = Field(default=0, ge=0)
    completion_tokens: int = Field(default=0, ge=0)


class Choice(BaseModel):
    model_config = ConfigDict(extra="ignore")
    message: ChatMessage


class ChatResponse(BaseModel):
    model_config = ConfigDict(extra="ignore")
    choices: list[Choice] = Field(min_length=1)
    usage: Usage = Field(default_factory=Usage)


@dataclass(frozen=True)
class CloudReply:
    content: str
    prompt_tokens: int
    completion_tokens: int
    bytes_sent: int
    bytes_received: int
    latency_ms: float


class CloudError(Exception):
    """The cloud did not answer usefully; `reason` is a stable code (late, unreachable, ...)."""

    def __init__(self, reason: str, detail: str = "", bytes_sent: int = 0) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.bytes_sent = bytes_sent


class CloudClient:
    """One OpenAI-compatible endpoint. Thread-safe; create once, reuse for every turn."""

    def __init__(self, base_url: str, model: str | None = None, api_key: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model or DEFAULT_MODEL
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        # No connection is opened here: strict privacy and `--link none` must send nothing.
        self._http = httpx.Client(headers=headers, trust_env=False)
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="cloud")
        self._lock = threading.Lock()
        self._in_flight = 0

    @property
    def in_flight(self) -> int:
        """Requests still running, including ones the caller stopped waiting for."""
        with self._lock:
            return self._in_flight

    def _done(self, _: object) -> None:
        with self._lock:
            self._in_flight -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._http.close()

    def complete(
        self,
        messages: list[ChatMessage],
        schema_name: str,
        schema: dict[str, Any],
        timeout_s: float,
        max_tokens: int = 256,
    ) -> CloudReply:
        """One constrained chat completion, or CloudError; never blocks past `timeout_s`."""
        if timeout_s <= 0:
            raise CloudError("late", "no time left")
        fmt = ResponseFormat(json_schema=JsonSchemaSpec(name=schema_name, schema_=schema))
        body = ChatRequest(
            model=self.model,
            messages=messages,
            response_format=fmt,
            max_tokens=max_tokens,
        ).model_dump_json(by_alias=True, exclude_none=True).encode()
        sent = len(body)
        t0 = time.monotonic()
        with self._lock:
            self._in_flight += 1
        future = self._pool.submit(self._post, body, timeout_s)
        future.add_done_callback(self._done)
        try:
            status, raw = future.result(timeout=timeout_s)
        except FutureTimeout:
            raise CloudError("late", f"no answer within {timeout_s * 1000:.0f} ms", sent) from None
        except httpx.TimeoutException as e:
            raise CloudError("late", str(e) or type(e).__name__, len(body)) from None
        except httpx.HTTPError as e:
            raise CloudError("unreachable", str(e) or type(e).__name__, len(body)) from None
        latency_ms = (time.monotonic() - t0) * 1000.0
        if status != 200:
            raise CloudError("http_status", f"HTTP {status}: {raw[:200]!r}", len(body))
        try:
            resp = ChatResponse.model_validate_json(raw)
        except ValidationError as e:
            detail = f"not a chat completion: {e.errors()[:1]}"
            raise CloudError("malformed", detail, sent) from None
        content = resp.choices[0].message.content or ""
        return CloudReply(
            content=content,
            prompt_tokens=resp.usage.prompt_tokens,
            completion_tokens=resp.usage.completion_tokens,
            bytes_sent=len(body),
            bytes_received=len(raw),
            latency_ms=latency_ms,
        )

    def _post(self, body: bytes, timeout_s: float) -> tuple[int, bytes]:
        r = self._http.post(
            f"{self.base_url}/chat/completions",
            content=body,
            headers={"Content-Type": "application/json"},
            timeout=httpx.Timeout(timeout_s),
        )
        return r.status_code, r.content
