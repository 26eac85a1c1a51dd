"""Lint and strict typing are part of the test command, so CI enforces them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STRICT = ["safety", "sensors/messages.py", "routing/messages.py", "copilot/messages.py"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True)


def test_ruff_is_clean() -> None:
    r = _run("ruff", "check", "copilot", "sensors", "routing", "safety", "tests", "bench")
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_strict_on_safety_and_message_types() -> None:
    r = _run("mypy", "--strict", *STRICT)
    assert r.returncode == 0, r.stdout + r.stderr
