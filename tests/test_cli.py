"""The `copilot` command registers every contract subcommand and explains each in one line."""

from __future__ import annotations

import subprocess
from pathlib import Path

CONTRACT_COMMANDS = ["understand", "listen", "ask", "map", "serve", "sim", "cloud", "demo"]
COPILOT = str(Path(__file__).resolve().parents[1] / ".venv" / "bin" / "copilot")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COPILOT, *args], capture_output=True, text=True, timeout=60)


def test_help_lists_every_contract_command() -> None:
    r = run("--help")
    assert r.returncode == 0
    listed = {line.split()[0] for line in r.stdout.splitlines()
              if line.startswith("  ") and line.strip()}
    assert set(CONTRACT_COMMANDS) <= listed


def test_unknown_command_is_a_usage_error() -> None:
    r = run("teleport")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
