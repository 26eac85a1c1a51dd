"""Replay: a recorded drive's MQTT traffic played back into `copilot serve`, and its replies
compared with the recorded ones (the regression test of the whole loop).

The recording is the simulator's mqtt.jsonl: a `meta` line (map, start time, speedup, VIN,
profile), then every message the simulator published (`out`) and every reply it received
(`in`), stamped with simulated seconds. Playback keeps the simulated timing (at the recorded
speedup) and refreshes each sensor timestamp, so freshness checks see a live car.

Replies are compared on what matters and is deterministic: status, served_by, action types
and the places (OSM ids or saved labels) of routes and place lists. Reply wording and
timings are ignored (an ETA in a sentence moves with the clock).
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from copilot.messages import ServiceReply
from copilot.sim.bus import Role, SimBus
from copilot.sim.parts import SERVE_START_TIMEOUT_S, ServiceProcess

log = logging.getLogger(__name__)

SETTLE_S = 3.0
REPLY_TIMEOUT_S = 90.0


class ReplayError(RuntimeError):
    """The recording cannot be replayed (unreadable, no meta line, a part failed)."""


@dataclass(frozen=True)
class Recorded:
    t_s: float
    direction: str
    topic: str
    payload: str
    qos: int = 0
    retain: bool = False


@dataclass
class Recording:
    meta: dict[str, Any]
    sent: list[Recorded]
    replies: list[ServiceReply]


def load_recording(path: Path) -> Recording:
    meta: dict[str, Any] | None = None
    sent: list[Recorded] = []
    replies: list[ServiceReply] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise ReplayError(f"{path}: cannot read ({e.strerror})") from None
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if obj["dir"] == "meta":
                meta = obj["payload"]
                continue
            rec = Recorded(float(obj["t_s"]), obj["dir"], obj["topic"], obj["payload"],
                           int(obj.get("qos", 0)), bool(obj.get("retain", False)))
        except (ValueError, KeyError, TypeError) as e:
            raise ReplayError(f"{path}:{n}: not a recording line ({e})") from None
        if rec.direction == "out":
            sent.append(rec)
        elif rec.topic.endswith("/reply"):
            replies.append(ServiceReply.model_validate_json(rec.payload))
    if meta is None:
        raise ReplayError(f"{path}: no meta line (map, start_time, speedup)")
    return Recording(meta, sent, replies)


def signature(reply: ServiceReply) -> dict[str, Any]:
    """The parts of a reply a regression must keep: no wording, no timings."""
    acts: list[Any] = []
    for a in reply.actions:
        if a.type == "set_route":
            places = [*a.route.stops, a.route.destination]
            acts.append(["set_route", [_place_key(p) for p in places]])
        elif a.type == "show_places":
            acts.append(["show_places", [_place_key(p) for p in a.places]])
        else:
            acts.append([a.type])
    return {"status": reply.status, "served_by": reply.served_by, "proactive": reply.proactive,
            "intent": str(reply.understanding.intent), "actions": acts}


def _place_key(p: Any) -> str:
    if p.osm_type and p.osm_id is not None:
        return f"{p.osm_type}/{p.osm_id}"
    return f"saved:{p.saved}" if p.saved else f"{p.lat:.4f},{p.lon:.4f}"


@dataclass
class ReplayDiff:
    compared: int = 0
    differences: list[str] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return self.compared > 0 and not self.differences

    def lines(self) -> list[str]:
        head = f"{self.compared} replies compared, {len(self.differences)} differ"
        return [head, *self.differences]


def compare(recorded: list[ServiceReply], replayed: list[ServiceReply]) -> ReplayDiff:
    """Requested replies match by id; proactive ones by cause, in order."""
    diff = ReplayDiff()
    got = {r.id: r for r in replayed if r.id}
    for r in (r for r in recorded if r.id):
        diff.compared += 1
        new = got.get(r.id or "")
        if new is None:
            diff.differences.append(f"{r.id}: no reply on replay")
            continue
        a, b = signature(r), signature(new)
        for key in a:
            if a[key] != b[key]:
                diff.differences.append(f"{r.id}: {key} was {a[key]!r}, now {b[key]!r}")
    old_p = [r.why for r in recorded if not r.id]
    new_p = [r.why for r in replayed if not r.id]
    diff.compared += len(old_p)
    if old_p != new_p:
        diff.differences.append(f"proactive turns were {old_p}, now {new_p}")
    return diff


def replay(recording_path: Path, map_path: Path | None = None, *, profile: Path | None = None,
           start_time: str | None = None, speedup: float | None = None) -> ReplayDiff:
    from copilot.service.broker import BrokerError, Mosquitto

    rec = load_recording(recording_path)
    meta = rec.meta
    vin = str(meta.get("vin", "SIM0001"))
    warp = float(speedup or meta.get("speedup", 20.0))
    start = datetime.fromisoformat(start_time or meta["start_time"])
    the_map = map_path or _meta_path(recording_path, meta.get("map"))
    with tempfile.TemporaryDirectory(prefix="copilot-replay-") as tmp:
        prof = profile
        if prof is None and meta.get("profile") is not None:
            prof = Path(tmp) / "profile.yaml"
            prof.write_text(json.dumps(meta["profile"]))  # JSON is YAML
        try:
            broker = Mosquitto(vin=vin)
        except (BrokerError, OSError) as e:
            raise ReplayError(f"the broker did not start: {e}") from None
        service = bus = None
        try:
            g, h, c = broker.sensor_gateway, broker.hmi, broker.copilot
            bus = SimBus(broker.url, vin, gateway=Role(g.username, g.password),
                         hmi=Role(h.username, h.password)).start()
            service = ServiceProcess(broker.url, vin, the_map, c.username, c.password,
                                     profile_path=prof, start_time=start, time_warp=warp,
                                     log_path=Path(tmp) / "serve.log").start()
            deadline = time.monotonic() + SERVE_START_TIMEOUT_S
            while not bus.wait_online(1.0):
                if not service.alive() or time.monotonic() > deadline:
                    raise ReplayError(f"copilot serve did not come online: "
                                      f"{service.log_tail()}")
            replies = _play(bus, rec, warp)
        finally:
            for part in (service, bus):
                if part is not None:
                    part.stop()
            broker.close()
    return compare(rec.replies, replies)


def _meta_path(recording: Path, ref: Any) -> Path:
    if not ref:
        raise ReplayError("the recording names no map: pass --map")
    p = Path(str(ref))
    if not p.is_absolute():
        p = recording.resolve().parent / p
    if not p.is_file():
        from copilot.sim.scenario import EMBEDDED_MAPS

        embedded = EMBEDDED_MAPS / p.name
        if embedded.is_file():
            return embedded
        raise ReplayError(f"map {ref!r} not found: pass --map")
    return p


def _fresh(payload: str) -> str:
    """The same message with `ts` set to now (sensor freshness is judged on arrival)."""
    try:
        obj = json.loads(payload)
    except ValueError:
        return payload
    if isinstance(obj, dict) and "ts" in obj:
        obj["ts"] = time.time()
        return json.dumps(obj)
    return payload


def _play(bus: SimBus, rec: Recording, warp: float) -> list[ServiceReply]:
    wall0 = time.monotonic()
    want = {json.loads(r.payload)["id"] for r in rec.sent if r.topic.endswith("/request")}
    for r in rec.sent:
        delay = wall0 + r.t_s / warp - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        session = bus.hmi if r.topic.endswith("/request") else bus.gateway
        session.publish(r.topic, _fresh(r.payload), qos=r.qos, retain=r.retain)
    got: list[ServiceReply] = []
    deadline = time.monotonic() + REPLY_TIMEOUT_S
    settle_until = None
    while time.monotonic() < deadline:
        with contextlib.suppress(queue.Empty):
            got.append(bus.replies.get(timeout=0.2)[1])
        if want <= {r.id for r in got}:
            settle_until = settle_until or time.monotonic() + SETTLE_S
            if time.monotonic() >= settle_until:
                break
    return got
