"""Every MQTT topic of the vehicle and the copilot: owner, payload type, QoS and expected rate.

The contract (CONTRACT.md section 4) fixes the topic names; `copilot/VIN/reply/audio` is an
extension. Payload types are named as strings because sensors imports nothing of ours
(copilot's types live in copilot/messages.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Owner(StrEnum):
    """The broker user allowed to publish on a topic (deploy/mosquitto/acl.in)."""

    SENSOR_GATEWAY = "sensor-gateway"
    COPILOT = "copilot"
    HMI = "hmi"


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    pattern: str
    """With `{vin}` (and `{path}` for VSS signals)."""
    owner: Owner
    payload: str
    qos: int
    retained: bool
    expected_hz: float
    """Typical rate; the VSS entry is per signal (sensors/signals.py has each one's own)."""
    max_bytes: int
    """Larger payloads are dropped unparsed (reason `oversize`)."""

    def for_vin(self, vin: str, path: str = "") -> str:
        return self.pattern.format(vin=vin, path=path)

    def filter(self, vin: str) -> str:
        """The subscription filter: `#` in place of the signal path."""
        return self.pattern.format(vin=vin, path="#")


VSS = Topic("vss", "vehicle/{vin}/vss/{path}", Owner.SENSOR_GATEWAY,
            "sensors.messages.SignalUpdate", qos=0, retained=True, expected_hz=10, max_bytes=1024)
HAZARD = Topic("hazard", "vehicle/{vin}/events/hazard", Owner.SENSOR_GATEWAY,
               "sensors.messages.HazardEvent", qos=1, retained=False, expected_hz=0.1,
               max_bytes=4096)
LINK = Topic("link", "vehicle/{vin}/events/link", Owner.SENSOR_GATEWAY,
             "sensors.messages.LinkEvent", qos=1, retained=True, expected_hz=1, max_bytes=1024)
REQUEST = Topic("request", "copilot/{vin}/request", Owner.HMI,
                "copilot.messages.ServiceRequest", qos=1, retained=False, expected_hz=0.1,
                max_bytes=9_000_000)
REPLY = Topic("reply", "copilot/{vin}/reply", Owner.COPILOT, "copilot.messages.ServiceReply",
              qos=1, retained=False, expected_hz=0.1, max_bytes=1_000_000)
REPLY_AUDIO = Topic("reply_audio", "copilot/{vin}/reply/audio", Owner.COPILOT,
                    "copilot.service.speech_out.SpokenReply", qos=1, retained=False,
                    expected_hz=0.1, max_bytes=9_000_000)
STATUS = Topic("status", "copilot/{vin}/status", Owner.COPILOT, '"online" | "offline"', qos=1,
               retained=True, expected_hz=0.0, max_bytes=16)

TOPICS: tuple[Topic, ...] = (VSS, HAZARD, LINK, REQUEST, REPLY, REPLY_AUDIO, STATUS)


def vss_topic(vin: str, path: str) -> str:
    return VSS.for_vin(vin, path)


def classify(vin: str, topic: str) -> tuple[Topic, str] | None:
    """Which table entry a received topic belongs to, with the VSS path (or "")."""
    vss_prefix = f"vehicle/{vin}/vss/"
    if topic.startswith(vss_prefix):
        return VSS, topic[len(vss_prefix):]
    for t in (HAZARD, LINK, REQUEST, REPLY, REPLY_AUDIO, STATUS):
        if topic == t.for_vin(vin):
            return t, ""
    return None
