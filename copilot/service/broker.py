"""A real Mosquitto started from the repository's config, for tests, benchmarks and the simulator.

`Mosquitto()` renders `deploy/mosquitto/mosquitto.conf.in` and `acl.in` into a temp dir,
generates a password file with `mosquitto_passwd` (one random password per role), optionally
adds a TLS listener with a self-signed certificate made by `openssl`, and runs
`/usr/sbin/mosquitto` on a free loopback port. `restart()` keeps the port and the
persistence directory, so sessions and queued messages survive like on a real broker.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

log = logging.getLogger(__name__)

MOSQUITTO = "/usr/sbin/mosquitto"
DEPLOY_DIR = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto"
ROLES = ("sensor-gateway", "copilot", "hmi")
"""The broker's users; their rights are in deploy/mosquitto/acl.in."""


class BrokerError(RuntimeError):
    """The broker could not be configured or did not come up."""


@dataclass(frozen=True, slots=True)
class Credentials:
    username: str
    password: str


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def render_config(
    data_dir: Path, port: int, *, bind: str = "127.0.0.1", vin: str = "+",
    tls_port: int | None = None, certfile: Path | None = None, keyfile: Path | None = None,
) -> Path:
    """Write mosquitto.conf and the ACL for `vin` into data_dir; return the config path."""
    acl = (DEPLOY_DIR / "acl.in").read_text().replace("@VIN@", vin)
    (data_dir / "copilot.acl").write_text(acl)
    tls = ""
    if tls_port is not None:
        if certfile is None or keyfile is None:
            raise BrokerError("a TLS listener needs certfile and keyfile")
        tls = (f"listener {tls_port} {bind}\ncertfile {certfile}\nkeyfile {keyfile}\n"
               "tls_version tlsv1.2")
    conf = (DEPLOY_DIR / "mosquitto.conf.in").read_text()
    for key, value in {
        "@PASSWORD_FILE@": str(data_dir / "copilot.passwd"),
        "@ACL_FILE@": str(data_dir / "copilot.acl"),
        "@DATA_DIR@": str(data_dir),
        "@PORT@": str(port),
        "@BIND@": bind,
        "@TLS_LISTENER@": tls,
    }.items():
        conf = conf.replace(key, value)
    if os.geteuid() == 0:  # as root mosquitto would drop to user "mosquitto" and lose the temp dir
        conf += f"\nuser {pwd.getpwuid(os.geteuid()).pw_name}\n"
    path = data_dir / "mosquitto.conf"
    path.write_text(conf)
    return path


def write_password_file(path: Path, creds: dict[str, Credentials]) -> None:
    """Hash each role's password into a Mosquitto password file with mosquitto_passwd."""
    path.write_text("")
    for c in creds.values():
        subprocess.run(["mosquitto_passwd", "-b", str(path), c.username, c.password],
                       check=True, capture_output=True, text=True)
    path.chmod(0o600)


def make_self_signed_cert(directory: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """A throwaway certificate for `host` (CN and IP SAN); returns (certfile, keyfile)."""
    cert, key = directory / "broker.crt", directory / "broker.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={host}",
         "-addext", f"subjectAltName=IP:{host},DNS:localhost"],
        check=True, capture_output=True, text=True)
    key.chmod(0o600)
    return cert, key


class Mosquitto:
    """A running Mosquitto with the repo's config. Use as a context manager."""

    def __init__(self, *, vin: str = "+", tls: bool = False, host: str = "127.0.0.1") -> None:
        self.host = host
        self.vin = vin
        self._tmp = tempfile.TemporaryDirectory(prefix="copilot-mosquitto-")
        self.data_dir = Path(self._tmp.name)
        self.port = free_port(host)
        self.tls_port: int | None = None
        self.cafile: Path | None = None
        self.credentials = {r: Credentials(r, secrets.token_urlsafe(18)) for r in ROLES}
        write_password_file(self.data_dir / "copilot.passwd", self.credentials)
        cert = key = None
        if tls:
            cert, key = make_self_signed_cert(self.data_dir, host)
            self.tls_port, self.cafile = free_port(host), cert
        self.config = render_config(self.data_dir, self.port, bind=host, vin=vin,
                                    tls_port=self.tls_port, certfile=cert, keyfile=key)
        self._proc: subprocess.Popen[bytes] | None = None
        self.start()

    # roles, spelled out for callers
    @property
    def sensor_gateway(self) -> Credentials:
        return self.credentials["sensor-gateway"]

    @property
    def copilot(self) -> Credentials:
        return self.credentials["copilot"]

    @property
    def hmi(self) -> Credentials:
        return self.credentials["hmi"]

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    @property
    def tls_url(self) -> str | None:
        return None if self.tls_port is None else f"mqtts://{self.host}:{self.tls_port}"

    @property
    def log_text(self) -> str:
        p = self.data_dir / "mosquitto.log"
        return p.read_text(errors="replace") if p.exists() else ""

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout_s: float = 10.0) -> None:
        if self.running:
            return
        if not Path(MOSQUITTO).exists():
            raise BrokerError(f"{MOSQUITTO} not found: install the mosquitto package")
        self._proc = subprocess.Popen([MOSQUITTO, "-c", str(self.config)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout_s
        ports = [p for p in (self.port, self.tls_port) if p is not None]
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                err = self._proc.stderr.read().decode(errors="replace") if self._proc.stderr else ""
                raise BrokerError(f"mosquitto exited: {err.strip()} {self.log_text[-500:]}")
            if all(_accepts(self.host, p) for p in ports):
                log.info("mosquitto up on %s (pid %d)", self.url, self._proc.pid)
                return
            time.sleep(0.02)
        self.stop(kill=True)
        raise BrokerError(f"mosquitto did not listen on {ports} within {timeout_s} s")

    def stop(self, *, kill: bool = False) -> None:
        """Stop the broker: SIGTERM (saves persistence) or, with kill=True, SIGKILL (a crash)."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stderr:
            proc.stderr.close()

    def restart(self, *, kill: bool = False, down_s: float = 0.0) -> None:
        """Stop (or crash) the broker, stay down `down_s`, and start it on the same port."""
        self.stop(kill=kill)
        if down_s > 0:
            time.sleep(down_s)
        self.start()

    def close(self) -> None:
        self.stop()
        with contextlib.suppress(OSError):
            self._tmp.cleanup()

    def __enter__(self) -> Mosquitto:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __del__(self) -> None:  # a forgotten broker must not outlive its owner
        if getattr(self, "_proc", None) is not None:
            self.stop(kill=True)


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def have_mosquitto() -> bool:
    return Path(MOSQUITTO).exists() and shutil.which("mosquitto_passwd") is not None
