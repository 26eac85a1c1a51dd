"""Session-wide: prove the native LLM runs before any test relies on it.

The probe runs in a child process (a SIGILL there is named, not fatal) and its fresh verdict is
what every in-process load then checks (`copilot.native.llama_probe.ensure_usable`), so a build
that cannot run here fails tests by name instead of killing the run. The header says which.
"""

from __future__ import annotations

import pytest

from copilot.native import llama_probe

_verdict: llama_probe.ProbeResult | None = None


def pytest_sessionstart(session: pytest.Session) -> None:
    global _verdict
    _verdict = llama_probe.check(fresh=True)


def pytest_report_header(config: pytest.Config) -> str:
    if _verdict is None:
        return "local LLM: not probed"
    state = "ok" if _verdict.ok else "FAILED"
    return f"local LLM (child-process probe): {state}: {_verdict.detail}"
