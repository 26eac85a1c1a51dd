"""`copilot serve`'s transport on a real Mosquitto: replies by id, exactly once, through a
broker crash; live sensor state in the turns; status and last will; spoken replies.

The answering pipeline is injected here (a recorder that answers from the turn it was given),
so these tests pin the transport; tests/test_service_e2e.py runs the real Copilot.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from copilot.messages import AskResult, AskTurn, ServiceRequest, Timings
from copilot.service.broker import Credentials, Mosquitto, have_mosquitto
from copilot.service.hmi import HmiClient
from copilot.service.server import CopilotService
from copilot.service.speech_out import synthesize_wav
from routing.messages import Understanding
from sensors.mqtt import BrokerAddress, MqttSession

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not have_mosquitto(), reason="mosquitto not installed")]
VIN = "TESTVIN1"


class RecordingPipeline:
    """Answers with what it saw (text and speed), counting calls per text; optional work time."""

    def __init__(self, work_s: float = 0.0) -> None:
        self.calls: Counter[str] = Counter()
        self.turns: list[AskTurn] = []
        self.work_s = work_s
        self.threads: set[str] = set()

    def __call__(self, turn: AskTurn) -> AskResult:
        self.calls[turn.text] += 1
        self.turns.append(turn)
        self.threads.add(threading.current_thread().name)
        if self.work_s:
            time.sleep(self.work_s)
        speed = turn.state.get("Vehicle.Speed")
        return AskResult(understanding=Understanding(text=turn.text, intent="ask_vehicle",
                                                     confidence=1.0),
                         status="ok", reply=f"heard {turn.text}; speed {speed}",
                         timings_ms=Timings(understand=0, plan=0, validate=0, total=0))


@pytest.fixture()
def broker() -> Iterator[Mosquitto]:
    with Mosquitto(vin=VIN) as b:
        yield b


def _addr(b: Mosquitto, c: Credentials) -> BrokerAddress:
    return BrokerAddress.parse(b.url, c.username, c.password)


def test_request_reply_with_live_state_and_duplicates(broker: Mosquitto) -> None:
    pipeline = RecordingPipeline()
    svc = CopilotService(_addr(broker, broker.copilot), VIN, pipeline).start()
    hmi = HmiClient(_addr(broker, broker.hmi), VIN).start()
    gw = MqttSession(_addr(broker, broker.sensor_gateway), "gw", clean_start=True).start()
    try:
        ts = time.time()
        for path, value in (("Vehicle.Speed", 42.5), ("Vehicle.CurrentLocation.Latitude", 40.3),
                            ("Vehicle.CurrentLocation.Longitude", -76.8)):
            gw.publish(f"vehicle/{VIN}/vss/{path}", json.dumps({"value": value, "ts": ts}),
                       qos=1, retain=True).wait_for_publish(3)
        time.sleep(0.2)
        reply = hmi.ask("how fast am I going", timeout_s=10)
        assert reply is not None
        assert reply.reply == "heard how fast am I going; speed 42.5"
        assert reply.proactive is False
        assert pipeline.threads == {"copilot-worker"}  # never on paho's network thread

        # the same id delivered three times: computed once, replied once
        for _ in range(3):
            hmi.send(ServiceRequest(id="same-id", text="twice"))
        assert hmi.wait_for("same-id", 5) is not None
        time.sleep(0.5)
        assert pipeline.calls["twice"] == 1
        assert len(hmi.replies["same-id"]) == 1
        assert svc.drops.as_dict()["request"]["duplicate"] == 2

        # a bad request that carries an id gets a clear error reply; one without an id is counted
        hmi.session.publish(hmi.request_topic, b'{"id": "bad", "text": "a", "audio_wav_b64": "b"}',
                            qos=1)
        hmi.session.publish(hmi.request_topic, b"\xff not json", qos=1)
        bad = hmi.wait_for("bad", 5)
        assert bad is not None and bad.status == "not_understood"
        assert bad.understanding.error == "bad_request"
        assert hmi.wait_until(lambda: svc.drops.total("request") == 3, 5)
        assert svc.drops.as_dict()["request"]["malformed"] == 1
        assert hmi.status == "online"
    finally:
        svc.stop()
        assert hmi.wait_until(lambda: hmi.status == "offline", 5)
        hmi.stop()
        gw.stop()


def test_last_will_and_reconnect_restore_subscriptions(broker: Mosquitto) -> None:
    pipeline = RecordingPipeline()
    svc = CopilotService(_addr(broker, broker.copilot), VIN, pipeline).start()
    hmi = HmiClient(_addr(broker, broker.hmi), VIN).start()
    try:
        assert hmi.wait_until(lambda: hmi.status == "online", 5)
        # the connection dies without a DISCONNECT: the broker publishes the last will
        sock = svc.session.client.socket()
        assert sock is not None
        sock.close()
        assert hmi.wait_until(lambda: hmi.status == "offline", 30)
        # ...and the service comes back by itself, subscribed again
        assert hmi.wait_until(lambda: hmi.status == "online", 30)
        assert hmi.ask("still there", timeout_s=10) is not None
        assert svc.session.connects >= 2
    finally:
        svc.stop()
        hmi.stop()


def test_broker_crash_mid_burst_every_request_answered_exactly_once(broker: Mosquitto) -> None:
    pipeline = RecordingPipeline(work_s=0.02)
    svc = CopilotService(_addr(broker, broker.copilot), VIN, pipeline).start()
    hmi = HmiClient(_addr(broker, broker.hmi), VIN).start()
    n = 80
    ids = [f"req-{i:03d}" for i in range(n)]
    try:
        for i, rid in enumerate(ids):
            hmi.send(ServiceRequest(id=rid, text=f"request {rid}"))
            if i == n // 3:
                broker.restart(kill=True, down_s=1.0)  # SIGKILL: whatever was in flight is lost
        # an HMI resends what got no answer (same id); the service must not compute it again
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            missing = [r for r in ids if not hmi.replies.get(r)]
            if not missing:
                break
            if hmi.session.connected.is_set():
                for rid in missing:
                    hmi.send(ServiceRequest(id=rid, text=f"request {rid}"))
            hmi.wait_until(lambda: all(hmi.replies.get(r) for r in ids), 8)
        time.sleep(1.0)  # let any stray duplicate arrive before counting
        assert [r for r in ids if not hmi.replies.get(r)] == []
        assert {r: pipeline.calls[f"request {r}"] for r in ids
                if pipeline.calls[f"request {r}"] != 1} == {}
        assert {r: len(hmi.replies[r]) for r in ids if len(hmi.replies[r]) != 1} == {}
        assert all(hmi.replies[r][0].reply.startswith(f"heard request {r}") for r in ids)
        assert svc.session.connects >= 2
    finally:
        svc.stop()
        hmi.stop()


def test_spoken_reply_is_published_as_wav(broker: Mosquitto) -> None:
    svc = CopilotService(_addr(broker, broker.copilot), VIN, RecordingPipeline(),
                         speak=synthesize_wav).start()
    hmi = HmiClient(_addr(broker, broker.hmi), VIN).start()
    try:
        rid = hmi.send_text("read it to me", speak=True)
        assert hmi.wait_for(rid, 10) is not None
        assert hmi.wait_until(lambda: len(hmi.audio) == 1, 20)
        spoken = hmi.audio[0]
        assert spoken.id == rid and spoken.text.startswith("heard read it to me")
        wav = base64.b64decode(spoken.audio_wav_b64)
        assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE" and len(wav) > 10_000
        # not asked for speech: no audio
        assert hmi.ask("quietly", timeout_s=10) is not None
        time.sleep(0.5)
        assert len(hmi.audio) == 1
    finally:
        svc.stop()
        hmi.stop()


def test_requests_sent_while_the_copilot_is_away_are_answered_when_it_returns(
        broker: Mosquitto) -> None:
    first = RecordingPipeline()
    svc = CopilotService(_addr(broker, broker.copilot), VIN, first).start()
    hmi = HmiClient(_addr(broker, broker.hmi), VIN).start()
    try:
        assert hmi.ask("before", timeout_s=10) is not None
        svc.stop()  # the broker keeps its session (clean start false, session expiry)
        assert hmi.wait_until(lambda: hmi.status == "offline", 5)
        ids = [hmi.send_text(f"while away {i}") for i in range(5)]
        time.sleep(0.5)
        second = RecordingPipeline()
        svc = CopilotService(_addr(broker, broker.copilot), VIN, second).start()
        assert hmi.wait_until(lambda: all(hmi.replies.get(r) for r in ids), 10)
        assert sorted(second.calls) == [f"while away {i}" for i in range(5)]
        assert all(len(hmi.replies[r]) == 1 for r in ids)
    finally:
        svc.stop()
        hmi.stop()


def test_a_crash_before_answering_gets_the_request_redelivered_and_answered_once(
        broker: Mosquitto, tmp_path: Path) -> None:
    gate = threading.Event()

    class Stuck(RecordingPipeline):
        def __call__(self, turn: AskTurn) -> AskResult:
            gate.wait(30)
            return super().__call__(turn)

    answered = tmp_path / "answered.jsonl"
    a = CopilotService(_addr(broker, broker.copilot), VIN, Stuck(), answered_path=answered).start()
    hmi = HmiClient(_addr(broker, broker.hmi), VIN).start()
    b: CopilotService | None = None
    try:
        rid = hmi.send_text("survive a crash")
        assert hmi.wait_until(lambda: a.stats.requests == 1, 5)
        # the process dies mid-answer: no reply, no acknowledgement, no DISCONNECT
        a.session.client.loop_stop()
        sock = a.session.client.socket()
        assert sock is not None
        sock.close()
        assert hmi.wait_until(lambda: hmi.status == "offline", 30)  # the last will
        second = RecordingPipeline()
        b = CopilotService(_addr(broker, broker.copilot), VIN, second,
                           answered_path=answered).start()
        reply = hmi.wait_for(rid, 15)  # the broker redelivered the unacknowledged request
        assert reply is not None and second.calls["survive a crash"] == 1
        gate.set()  # the dead process's worker finishes into a dead connection
        time.sleep(1.0)
        assert len(hmi.replies[rid]) == 1
        b.stop()
        # a restarted service remembers what it answered: the same id is not computed again
        third = RecordingPipeline()
        b = CopilotService(_addr(broker, broker.copilot), VIN, third,
                           answered_path=answered).start()
        hmi.send(ServiceRequest(id=rid, text="survive a crash"))
        assert hmi.wait_until(lambda: len(hmi.replies[rid]) == 2, 10)
        assert third.calls == Counter() and hmi.replies[rid][1] == hmi.replies[rid][0]
        assert b.stats.replayed == 1
    finally:
        gate.set()
        a._running.clear()
        if b is not None:
            b.stop()
        hmi.stop()


def test_broker_restart_mid_burst_loses_nothing_without_any_retry(broker: Mosquitto) -> None:
    """A graceful broker restart (SIGTERM saves its state): persistent sessions, QoS 1 and
    paho's resend of unacknowledged messages deliver every request and every reply once."""
    pipeline = RecordingPipeline(work_s=0.02)
    svc = CopilotService(_addr(broker, broker.copilot), VIN, pipeline).start()
    hmi = HmiClient(_addr(broker, broker.hmi), VIN).start()
    ids = [f"calm-{i:03d}" for i in range(60)]
    try:
        for i, rid in enumerate(ids):
            hmi.send(ServiceRequest(id=rid, text=f"request {rid}"))
            if i == 20:
                broker.restart(kill=False, down_s=0.5)
        assert hmi.wait_until(lambda: all(hmi.replies.get(r) for r in ids), 60), \
            [r for r in ids if not hmi.replies.get(r)]
        time.sleep(1.0)
        assert {r: len(hmi.replies[r]) for r in ids if len(hmi.replies[r]) != 1} == {}
        assert {r: pipeline.calls[f"request {r}"] for r in ids
                if pipeline.calls[f"request {r}"] != 1} == {}
        assert svc.session.connects >= 2 and hmi.session.connects >= 2  # it did go down
    finally:
        svc.stop()
        hmi.stop()
