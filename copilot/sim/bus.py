"""The simulator's side of MQTT: the sensor gateway (signals, hazards, link) and the HMI
(requests in, replies and status out), each with its own broker role, plus a recorder.

Everything the simulator publishes and every reply it receives is appended to a recording
(JSON lines) so the drive can be replayed into `copilot serve` later (copilot.sim.replay).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from copilot.messages import ServiceReply
from sensors import state as vss
from sensors.mqtt import BrokerAddress, MqttSession
from sensors.topics import HAZARD, LINK, REPLY, REQUEST, STATUS, vss_topic

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Role:
    username: str | None
    password: str | None


class Recorder:
    """JSON lines: {"t_s", "dir": "out"|"in", "topic", "payload", "retain", "qos"}."""

    def __init__(self, path: Path | None) -> None:
        self._f: TextIO | None = path.open("w", encoding="utf-8") if path else None
        self._lock = threading.Lock()
        self.path = path

    def meta(self, info: dict[str, Any]) -> None:
        """The first line: what a replay needs to start the service the same way."""
        if self._f is not None:
            with self._lock:
                self._f.write(json.dumps({"t_s": 0.0, "dir": "meta", "topic": "",
                                          "payload": info}) + "\n")

    def write(self, t_s: float, direction: str, topic: str, payload: str, *, qos: int = 0,
              retain: bool = False) -> None:
        if self._f is None:
            return
        line = json.dumps({"t_s": round(t_s, 3), "dir": direction, "topic": topic,
                           "payload": payload, "qos": qos, "retain": retain})
        with self._lock:
            self._f.write(line + "\n")

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            self._f = None


class SimBus:
    def __init__(self, url: str, vin: str, *, gateway: Role, hmi: Role,
                 recorder: Recorder | None = None, clock: Any = None) -> None:
        self.vin = vin
        self.replies: queue.Queue[tuple[float, ServiceReply]] = queue.Queue()
        self.counts: Counter[str] = Counter()
        self.status: str | None = None
        self.status_changed = threading.Event()
        self.recorder = recorder or Recorder(None)
        self.clock = clock or (lambda: 0.0)
        g = BrokerAddress.parse(url, gateway.username, gateway.password)
        h = BrokerAddress.parse(url, hmi.username, hmi.password)
        stamp = f"{int(time.time() * 1000) % 10**9}"
        self.gateway = MqttSession(g, f"sim-gateway-{vin}-{stamp}", clean_start=True)
        self.hmi = MqttSession(h, f"sim-hmi-{vin}-{stamp}", clean_start=True,
                               subscriptions=[(REPLY.for_vin(vin), 1),
                                              (STATUS.for_vin(vin), 1)],
                               on_message=self._on_message)

    def start(self) -> SimBus:
        self.gateway.start()
        self.hmi.start()
        return self

    def stop(self) -> None:
        for s in (self.hmi, self.gateway):
            try:
                s.stop()
            except Exception as e:  # stopping must not hide the run's own outcome
                log.warning("stopping %s: %s", s.client_id, e)
        self.recorder.close()

    # -- out ------------------------------------------------------------------------------
    def _pub(self, session: MqttSession, kind: str, topic: str, payload: str, qos: int,
             retain: bool) -> None:
        session.publish(topic, payload, qos=qos, retain=retain)
        self.counts[kind] += 1
        self.recorder.write(self.clock(), "out", topic, payload, qos=qos, retain=retain)

    def signals(self, values: dict[str, object]) -> int:
        ts = time.time()
        for path, value in values.items():
            self._pub(self.gateway, "signals", vss_topic(self.vin, path),
                      json.dumps({"value": value, "ts": ts}), 0, True)
        return len(values)

    def car_state(self, st: Any, *, electric: bool) -> int:
        """The car's VSS signals, as the vehicle's sensor gateway publishes them."""
        return self.signals({
            vss.LAT: round(st.lat, 7), vss.LON: round(st.lon, 7),
            vss.HEADING: round(st.heading_deg, 1), vss.SPEED: round(st.speed_kph, 2),
            vss.RANGE: round(st.range_m, 1),
            (vss.EV_RANGE if electric else vss.FUEL_RANGE): round(st.range_m, 1),
            (vss.SOC if electric else vss.FUEL_LEVEL): round(st.level_percent, 2),
            vss.GEAR: st.gear, vss.IS_MOVING: st.is_moving,
        })

    def hazard(self, event: dict[str, Any]) -> None:
        self._pub(self.gateway, "hazards", HAZARD.for_vin(self.vin), json.dumps(event), 1, False)

    def link(self, quality: str, rtt_ms: float | None) -> None:
        body = {"quality": quality, "rtt_ms": rtt_ms, "ts": time.time()}
        self._pub(self.gateway, "link_events", LINK.for_vin(self.vin), json.dumps(body), 1, True)

    def request(self, request_id: str, *, text: str | None = None,
                audio_b64: str | None = None) -> None:
        body: dict[str, str] = {"id": request_id}
        if text is not None:
            body["text"] = text
        if audio_b64 is not None:
            body["audio_wav_b64"] = audio_b64
        self._pub(self.hmi, "requests", REQUEST.for_vin(self.vin), json.dumps(body), 1, False)

    # -- in (paho's network thread: parse, queue, return) ---------------------------------
    def _on_message(self, topic: str, payload: bytes, _msg: object) -> None:
        text = payload.decode("utf-8", errors="replace")
        if topic == STATUS.for_vin(self.vin):
            self.status = text.strip().strip('"')
            self.counts["status"] += 1
            self.status_changed.set()
            return
        self.recorder.write(self.clock(), "in", topic, text, qos=1)
        try:
            reply = ServiceReply.model_validate_json(payload)
        except ValidationError as e:
            self.counts["replies_malformed"] += 1
            log.warning("malformed reply dropped: %s", e.errors()[0]["msg"])
            return
        self.counts["replies"] += 1
        self.replies.put((time.monotonic(), reply))

    def wait_online(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.status == "online":
                return True
            self.status_changed.wait(0.1)
            self.status_changed.clear()
        return self.status == "online"
