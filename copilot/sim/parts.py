"""Starting and stopping the real parts a simulated drive needs: the broker, the cloud model
behind the link emulator, and `copilot serve` as a child process.

`copilot serve` is launched through its command line (the contract's interface), with the
extension options it advertises in `--help` (profile, cloud, simulated clock), so the
simulator keeps working as the service grows options.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SERVE_START_TIMEOUT_S = 180.0
_ANCHOR = re.compile(r"at unix (\d+(?:\.\d+)?)")
"""In serve's "online" line: the wall-clock instant its simulated clock started."""
"""Building a region pack the first time (Valhalla tiles) can take a minute or two."""


class PartError(RuntimeError):
    """A part of the simulation could not be started; the message says which and why."""


@dataclass
class ServiceProcess:
    """`copilot serve` for one vehicle, as a child process with its stderr in a log file."""

    broker_url: str
    vin: str
    map_path: Path
    username: str | None = None
    password: str | None = None
    profile_path: Path | None = None
    cloud_url: str | None = None
    start_time: datetime | None = None
    time_warp: float = 1.0
    extra: list[str] = field(default_factory=list)
    log_path: Path | None = None
    state_dir: Path | None = None
    """XDG_STATE_HOME of the child: its audit log (copilot/audit.jsonl) lands here."""
    _proc: subprocess.Popen[bytes] | None = None
    _log: Any = None

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "copilot.cli", "serve", "--broker", self.broker_url,
               "--vin", self.vin, "--map", str(self.map_path)]
        if self.username:
            cmd += ["--username", self.username, "--password", self.password or ""]
        wanted: list[tuple[str, str | None]] = [
            ("--profile", str(self.profile_path) if self.profile_path else None),
            ("--cloud-llm", self.cloud_url),
            ("--start-time", self.start_time.isoformat() if self.start_time else None),
            ("--time-warp", f"{self.time_warp:g}" if self.start_time else None),
        ]
        for opt, value in wanted:
            if value is not None:
                cmd += [opt, value]
        return cmd + self.extra

    def start(self) -> ServiceProcess:
        cmd = self.command()
        self.log_path = self.log_path or Path(tempfile.mkstemp(prefix="copilot-serve-",
                                                               suffix=".log")[1])
        self._log = self.log_path.open("wb")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if self.state_dir is not None:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            env["XDG_STATE_HOME"] = str(self.state_dir)
        log.info("starting %s", " ".join(c if c != self.password else "***" for c in cmd))
        self._proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, env=env)
        return self

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def exit_reason(self) -> str:
        code = None if self._proc is None else self._proc.poll()
        tail = self.log_tail()
        return f"copilot serve exited with {code}: {tail}"

    def final_counters(self) -> dict[str, Any]:
        """The counters `copilot serve` prints when it stops (what it received, accepted,
        answered and dropped, by reason); empty if it printed none."""
        prefix = "copilot serve: stopped "
        if self.log_path is None or not self.log_path.exists():
            return {}
        for line in reversed(self.log_path.read_text(errors="replace").splitlines()):
            if line.startswith(prefix):
                try:
                    data = json.loads(line[len(prefix):])
                except ValueError:
                    return {}
                return data if isinstance(data, dict) else {}
        return {}

    def clock_anchor(self, wait_s: float = 3.0) -> float | None:
        """The wall-clock instant (unix seconds) at which `copilot serve` started its simulated
        clock (its "online" line); None if it printed none within wait_s."""
        deadline = time.monotonic() + wait_s
        while True:
            if self.log_path is not None and self.log_path.exists():
                for line in self.log_path.read_text(errors="replace").splitlines():
                    m = _ANCHOR.search(line)
                    if line.startswith("copilot serve: online for ") and m:
                        return float(m.group(1))
            if time.monotonic() > deadline or not self.alive():
                return None
            time.sleep(0.05)

    def log_tail(self, chars: int = 600) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")[-chars:].strip()

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if self._log is not None:
            with contextlib.suppress(OSError):
                self._log.close()


def read_audit(state_dir: Path) -> list[tuple[str | None, str, str, str, str]]:
    """(turn id, check, outcome, reason, detail) for every non-pass verdict the service
    audited during the run; empty when it audited nothing (or keeps no audit log)."""
    path = state_dir / "copilot" / "audit.jsonl"
    if not path.is_file():
        return []
    try:
        from copilot.audit import read_entries
    except ImportError:
        return []
    out: list[tuple[str | None, str, str, str, str]] = []
    for entry in read_entries(path):
        if entry is None:
            continue
        for v in entry.verdicts:
            out.append((entry.turn_id, v.check, v.outcome, v.reason, v.detail))
    return out


class CloudLink:
    """The cloud endpoint (`copilot cloud serve`) reached only through the link emulator."""

    def __init__(self) -> None:
        self.server: Any = None
        self.emulator: Any = None

    def start(self, quality: str) -> CloudLink:
        from copilot.hybrid.cloud_server import CloudServerProcess
        from copilot.hybrid.link import LinkEmulator

        try:
            self.server = CloudServerProcess().start()
        except (RuntimeError, OSError) as e:
            raise PartError(f"the cloud endpoint did not start: {e}") from None
        self.emulator = LinkEmulator("127.0.0.1", self.server.port, quality).start()
        return self

    @property
    def url(self) -> str:
        return str(self.emulator.url("/v1"))

    def set_quality(self, quality: str) -> None:
        if self.emulator is not None:
            self.emulator.set_profile(quality)

    def counters(self) -> dict[str, int]:
        if self.emulator is None:
            return {}
        c = self.emulator.counters
        return {"cloud_bytes_up": c.bytes_up, "cloud_bytes_down": c.bytes_down,
                "cloud_connections": c.connections,
                "cloud_connects_tried": c.connections_accepted}

    def stop(self) -> None:
        for part in (self.emulator, self.server):
            if part is not None:
                try:
                    part.stop()
                except Exception as e:
                    log.warning("stopping %s: %s", type(part).__name__, e)


def wait_for(predicate: Any, timeout_s: float, step_s: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return bool(predicate())
