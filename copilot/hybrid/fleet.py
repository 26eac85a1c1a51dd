"""From one car to a fleet: render the Mosquitto bridge that forwards allowlisted topics.

The template is `deploy/fleet/bridge.conf.in`; the car broker appends the rendered text to its
own configuration. Only `copilot/VIN/fleet/trip_summary`, `copilot/VIN/fleet/audit` and
`copilot/VIN/status` leave the car (as `fleet/VIN/...`); raw audio never does.
"""

from __future__ import annotations

import re
from pathlib import Path

DEPLOY_DIR = Path(__file__).resolve().parents[2] / "deploy" / "fleet"
FORWARDED = ("fleet/trip_summary", "fleet/audit", "status")
"""Topics under copilot/VIN/ that the bridge forwards; everything else stays in the car."""
_VIN_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SAFE_RE = re.compile(r"^[^\s#+]{1,256}$")


def render_bridge(
    vin: str,
    fleet_host: str,
    fleet_port: int,
    username: str,
    password: str,
    cafile: str | None = None,
) -> str:
    """The bridge section for this car. With `cafile`, the link to the fleet uses TLS."""
    if not _VIN_RE.match(vin):
        raise ValueError(f"VIN {vin!r}: letters, digits, '-' and '_' only (it becomes a topic)")
    for what, value in (("host", fleet_host), ("username", username), ("password", password)):
        if not _SAFE_RE.match(value):
            raise ValueError(f"fleet {what} must be non-empty without spaces, '#' or '+'")
    if not 0 < fleet_port < 65536:
        raise ValueError(f"fleet port {fleet_port} out of range")
    tls = f"bridge_cafile {cafile}\nbridge_insecure false\n" if cafile else ""
    text = (DEPLOY_DIR / "bridge.conf.in").read_text()
    for key, value in {
        "@VIN@": vin, "@FLEET_HOST@": fleet_host, "@FLEET_PORT@": str(fleet_port),
        "@REMOTE_USERNAME@": username, "@REMOTE_PASSWORD@": password, "@BRIDGE_TLS@": tls,
    }.items():
        text = text.replace(key, value)
    return text


def render_acl(name: str, vin: str) -> str:
    """`acl-car.in` or `acl-fleet.in` for one vehicle."""
    if not _VIN_RE.match(vin):
        raise ValueError(f"VIN {vin!r}: letters, digits, '-' and '_' only")
    return (DEPLOY_DIR / name).read_text().replace("@VIN@", vin)
