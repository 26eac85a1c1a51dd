"""Fuzz every topic the service subscribes to, over a real Mosquitto: the service stays up and
its counters explain every message (accepted, answered, replayed or dropped with a reason)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from copilot.messages import AskResult, AskTurn, Timings
from copilot.service.broker import Mosquitto, have_mosquitto
from copilot.service.hmi import HmiClient
from copilot.service.server import CopilotService
from routing.messages import Understanding
from sensors.mqtt import BrokerAddress, MqttSession
from sensors.signals import SIGNALS

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not have_mosquitto(), reason="mosquitto not installed")]
VIN = "FUZZ1"


def _answer(turn: AskTurn) -> AskResult:
    return AskResult(understanding=Understanding(text=turn.text[:2000], intent="out_of_scope",
                                                 confidence=0.0),
                     status="not_understood", reply="ok",
                     timings_ms=Timings(understand=0, plan=0, validate=0, total=0))


class Rig:
    def __init__(self, b: Mosquitto) -> None:
        def addr(c: Any) -> BrokerAddress:
            return BrokerAddress.parse(b.url, c.username, c.password)

        self.svc = CopilotService(addr(b.copilot), VIN, _answer).start()
        self.gw = MqttSession(addr(b.sensor_gateway), "fuzz-gw", clean_start=True).start()
        self.hmi = HmiClient(addr(b.hmi), VIN).start()
        self.sensor_sent = 0
        self.requests_sent = 0

    def explained(self) -> bool:
        svc, c = self.svc, self.svc.counters()
        ing = svc.ingest
        sensors_ok = ing.received == self.sensor_sent == (
            svc.store.accepted + ing.hazards_accepted + ing.links_accepted
            + sum(svc.drops.total(k) for k in ("vss", "hazard", "link")))
        requests_ok = c["requests"] == self.requests_sent == (
            c["answered"] + c["replayed"] + svc.drops.total("request"))
        return sensors_ok and requests_ok


@pytest.fixture(scope="module")
def rig() -> Iterator[Rig]:
    with Mosquitto(vin=VIN) as b:
        r = Rig(b)
        yield r
        r.svc.stop()
        r.gw.stop()
        r.hmi.stop()


scalars = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**20, 10**20),
                    st.booleans(), st.none(), st.text(max_size=40))
values = st.one_of(scalars, st.lists(scalars, max_size=3),
                   st.dictionaries(st.text(max_size=5), scalars, max_size=3))
signal_like = st.fixed_dictionaries(
    {"value": values, "ts": st.one_of(st.just(time.time()), scalars)},
    optional={"extra": values})
hazard_like = st.fixed_dictionaries(
    {"kind": st.one_of(st.just("road_closed"), st.text(max_size=50)),
     "lat": scalars, "lon": scalars, "radius_m": scalars,
     "sources": st.one_of(st.just(["radar"]), st.lists(st.text(max_size=8), max_size=4)),
     "ts": st.one_of(st.just(time.time()), scalars)},
    optional={"confidence": scalars})
link_like = st.fixed_dictionaries(
    {"quality": st.one_of(st.sampled_from(["good", "degraded", "none"]), scalars),
     "ts": st.one_of(st.just(time.time()), scalars)}, optional={"rtt_ms": scalars})
request_like = st.fixed_dictionaries(
    {"id": st.one_of(st.text(max_size=140), st.integers(), st.none())},
    optional={"text": st.one_of(st.text(max_size=80), scalars),
              "audio_wav_b64": st.one_of(st.text(max_size=40), scalars),
              "speak": scalars})


def _encode(obj: Any) -> bytes:
    return json.dumps(obj, allow_nan=True).encode()


raw = st.one_of(st.binary(max_size=300), st.sampled_from([b"", b"null", b"[]", b"{}", b'"x"']),
                st.integers(1025, 20_000).map(lambda n: b'{"value": ' + b"1" * n + b"}"))
vss_paths = st.one_of(st.sampled_from(sorted(SIGNALS)), st.from_regex(r"[A-Za-z.]{1,30}",
                                                                      fullmatch=True))
messages = st.one_of(
    st.tuples(st.just("vss"), vss_paths, st.one_of(signal_like.map(_encode), raw)),
    st.tuples(st.just("hazard"), st.just(""), st.one_of(hazard_like.map(_encode), raw)),
    st.tuples(st.just("link"), st.just(""), st.one_of(link_like.map(_encode), raw)),
    st.tuples(st.just("request"), st.just(""), st.one_of(request_like.map(_encode), raw)),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(messages, min_size=1, max_size=6))
def test_fuzzed_payloads_are_explained_and_never_fatal(
        rig: Rig, batch: list[tuple[str, str, bytes]]) -> None:
    for kind, path, payload in batch:
        if kind == "request":
            info = rig.hmi.session.publish(rig.hmi.request_topic, payload, qos=1)
            rig.requests_sent += 1
        else:
            topic = {"vss": f"vehicle/{VIN}/vss/{path}", "hazard": f"vehicle/{VIN}/events/hazard",
                     "link": f"vehicle/{VIN}/events/link"}[kind]
            info = rig.gw.publish(topic, payload, qos=1)
            rig.sensor_sent += 1
        info.wait_for_publish(5)
    deadline = time.monotonic() + 10
    while not rig.explained() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert rig.explained(), (rig.sensor_sent, rig.requests_sent, rig.svc.counters())
    assert rig.svc.session.connected.is_set()
    assert any(t.name == "copilot-worker" and t.is_alive() for t in threading.enumerate())


def test_still_answering_after_the_fuzz(rig: Rig) -> None:
    reply = rig.hmi.ask("are you still there", timeout_s=10)
    assert reply is not None and reply.reply == "ok"
    assert rig.hmi.bad_replies == 0  # every reply the service sent parses as a ServiceReply
    # the fuzz reached the checks: many different reasons were counted, on every topic kind
    drops = rig.svc.drops.as_dict()
    assert set(drops) >= {"vss", "hazard", "link", "request"}, drops
    assert len({r for by in drops.values() for r in by}) >= 5, drops
