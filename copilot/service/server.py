"""The in-car service: MQTT sensors and requests in, replies out (CONTRACT.md section 4).

paho's network thread only parses, checks and queues; one worker thread runs speech
recognition, the answering pipeline and the proactive checks, so a slow model never stalls
the MQTT keep-alive or the sensor stream. Each request id is answered exactly once: a
redelivered id that is still queued is dropped (counted), and one already answered gets the
same cached reply again, never a second computation.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from pydantic import ValidationError

from copilot.messages import AskResult, AskTurn, ServiceReply, ServiceRequest, Timings
from copilot.service.dedup import AnsweredLog
from copilot.service.pipeline import UnusableAudio
from copilot.service.proactive import ProactiveMonitor, ProactiveTurn
from copilot.service.trip_progress import STOPPED_KPH, TripProgress
from copilot.speech.gate import Hearing, repeat_reply, unsure_understanding
from routing.messages import Route, Understanding
from sensors import topics
from sensors.ingest import SensorIngest
from sensors.mqtt import BrokerAddress, MqttSession
from sensors.plausibility import DropCounter, DropReason
from sensors.state import LAT, LON, SPEED
from sensors.store import SignalStore

log = logging.getLogger(__name__)

Answerer = Callable[[AskTurn], AskResult]
Transcriber = Callable[[bytes], str | Hearing]
"""WAV bytes -> transcript, or what was heard with its confidence (asked again if unsure)."""
Speaker = Callable[[str], bytes]
"""Reply text -> WAV bytes."""

DEDUP_KEEP = 10_000
"""Answered ids remembered (with their replies) to answer redeliveries identically."""
POSITION_GRACE_S = 1.0
"""Longest wait for a fresh position before answering without one."""
STARTUP_S = 5.0
"""Right after start, retained sensor values may still be on their way."""
REPLAY_AFTER_S = 3.0
"""A repeat of an answered id this soon is a redelivery (the reply is on its way): dropped.
Later it is the HMI retrying because the reply was lost: the cached reply is sent again."""


@dataclass
class ServiceStats:
    requests: int = 0
    answered: int = 0
    replayed: int = 0
    """Redelivered ids answered again with the cached reply (no new computation)."""
    errors: int = 0
    """Requests answered with an error reply (bad request, failed speech or pipeline)."""
    proactive: int = 0
    spoken: int = 0
    latency_ms: list[float] = field(default_factory=list)
    """Per answered request: from receipt on the network thread to the reply's publish."""


@dataclass(frozen=True, slots=True)
class _Job:
    request: ServiceRequest
    received: float
    mid: int
    qos: int
    """MQTT message id and QoS, to acknowledge the request once it is answered."""


def error_result(text: str, reason: str, reply: str) -> AskResult:
    """A reply for a request that could not be answered: not understood, with the reason."""
    u = Understanding(text=text[:2000], intent="out_of_scope", confidence=0.0, error=reason)
    return AskResult(understanding=u, status="not_understood", reply=reply,
                     timings_ms=Timings(understand=0, plan=0, validate=0, total=0), why=reason)


class CopilotService:
    """One vehicle's copilot on one broker. start(), then stop()."""

    def __init__(self, address: BrokerAddress, vin: str, answer: Answerer, *,
                 transcribe: Transcriber | None = None, speak: Speaker | None = None,
                 proactive: ProactiveMonitor | None = None,
                 store: SignalStore | None = None,
                 now_local: Callable[[], datetime] | None = None,
                 client_id: str | None = None, queue_size: int = 256,
                 tick_s: float = 1.0,
                 on_link: Callable[[str | None], None] | None = None,
                 answered_path: Path | None = None) -> None:
        self.vin = vin
        self.answer = answer
        self.transcribe = transcribe
        self.speak = speak
        self.language = "en"
        """The language of the driver's last turn: the copilot's own suggestions use it."""
        self.proactive = proactive
        self.store = store or SignalStore()
        self.now_local = now_local or (lambda: datetime.now().astimezone())
        self.drops = DropCounter()
        self.ingest = SensorIngest(
            vin, self.store, self.drops,
            on_link=None if on_link is None else (lambda e: on_link(e.quality.value)))
        self.stats = ServiceStats()
        self.progress = TripProgress()
        """The trip set last and which of its stops the car has reached."""
        self._at_stop_since: datetime | None = None
        """When the car reached the stop it stands at (None once it drives on)."""
        self.tick_s = tick_s
        self.request_topic = topics.REQUEST.for_vin(vin)
        self.reply_topic = topics.REPLY.for_vin(vin)
        self.audio_topic = topics.REPLY_AUDIO.for_vin(vin)
        self._queue: queue.Queue[_Job | None] = queue.Queue(queue_size)
        self._lock = threading.Lock()
        self._pending: dict[str, list[tuple[int, int]]] = {}
        """Queued ids -> (mid, qos) of every delivery of them, acknowledged once answered."""
        self._answered = AnsweredLog(answered_path, DEDUP_KEEP)
        self._worker: threading.Thread | None = None
        self._running = threading.Event()
        self._started_m = time.monotonic()
        self.session = MqttSession(
            address, client_id or f"copilot-{vin}",
            subscriptions=[*self.ingest.subscriptions, (self.request_topic, topics.REQUEST.qos)],
            on_message=self._on_message, status_topic=topics.STATUS.for_vin(vin),
            manual_ack=True)

    # lifecycle ----------------------------------------------------------------------------
    def start(self, timeout_s: float | None = 10.0) -> CopilotService:
        """Connect and serve; timeout_s None waits for the broker as long as it takes."""
        self._started_m = time.monotonic()
        self._running.set()
        self._worker = threading.Thread(target=self._work, name="copilot-worker", daemon=True)
        self._worker.start()
        try:
            self.session.start(timeout_s)
        except ConnectionError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self._running.clear()
        with contextlib.suppress(queue.Full):  # else the worker sees _running at its next get()
            self._queue.put_nowait(None)
        if self._worker is not None:
            self._worker.join(timeout=30)
        self.session.stop()

    def counters(self) -> dict[str, Any]:
        """Everything that explains what happened to each message received."""
        s = self.stats
        return {"sensor_messages": self.ingest.received, "signals_accepted": self.store.accepted,
                "hazards_accepted": self.ingest.hazards_accepted,
                "links_accepted": self.ingest.links_accepted,
                "requests": s.requests, "answered": s.answered, "replayed": s.replayed,
                "errors": s.errors, "proactive": s.proactive, "spoken": s.spoken,
                "dropped": self.drops.as_dict(), "connects": self.session.connects}

    @property
    def trip(self) -> Route | None:
        """The trip in progress without the stops already reached (what is still to drive)."""
        return self.progress.remaining()

    @trip.setter
    def trip(self, route: Route | None) -> None:
        self.progress.set(route)

    def _track_position(self) -> None:
        """Mark the trip's stops the car's live position has reached (every position update,
        so that a stop is not missed between two turns)."""
        lat, lon = self.store.get(LAT), self.store.get(LON)
        if isinstance(lat, int | float) and isinstance(lon, int | float):
            self._note_stops(self.progress.update(float(lat), float(lon), self._speed_kph()))

    def _note_stops(self, reached: list[Any]) -> None:
        """Remember when the car reached a stop; forget it once the car drives on."""
        speed = self._speed_kph()
        if reached:
            self._at_stop_since = self.now_local()
        elif speed is not None and speed >= STOPPED_KPH:
            self._at_stop_since = None

    def _speed_kph(self) -> float | None:
        """The fresh speed, for telling a car that stopped at a stop from one passing near."""
        v = self.store.get(SPEED)
        return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None

    # network thread -----------------------------------------------------------------------
    def _on_message(self, topic: str, payload: bytes, msg: mqtt.MQTTMessage) -> bool:
        """True when the message is acknowledged later (a request, once it is answered)."""
        if self.ingest.handle(topic, payload):
            if topic.endswith((LAT, LON)):
                self._track_position()
            return False
        if topic == self.request_topic:
            return self._on_request(payload, msg.mid, msg.qos)
        self.drops.add("other", DropReason.UNKNOWN_TOPIC)
        return False

    def _on_request(self, payload: bytes, mid: int = 0, qos: int = 0) -> bool:
        received = time.perf_counter()
        self.stats.requests += 1
        obj = _parse_request(payload)
        if isinstance(obj, DropReason):
            self.drops.add("request", obj)
            return False
        try:
            req = ServiceRequest.model_validate(obj)
        except ValidationError as e:
            rid = obj.get("id")
            if isinstance(rid, str) and 0 < len(rid) <= 128:  # answerable: say what was wrong
                msg = e.errors()[0].get("msg", "invalid request")
                self._publish_once(rid, error_result(str(obj.get("text") or ""), "bad_request",
                                                     f"I could not read that request ({msg})."))
            else:
                self.drops.add("request", DropReason.MALFORMED)
            return False
        with self._lock:
            cached = self._answered.get(req.id)
            recent = cached is not None and time.monotonic() - cached[1] < REPLAY_AFTER_S
            if cached is None and req.id in self._pending:
                # a redelivery of a queued request: acknowledged with the original, once answered
                self.drops.add("request", DropReason.DUPLICATE)
                self._pending[req.id].append((mid, qos))
                return True
            if recent:
                self.drops.add("request", DropReason.DUPLICATE)
                return False
            if cached is None:
                self._pending[req.id] = []
        if cached is not None:  # a retry: the same reply again, never a second computation
            self.stats.replayed += 1
            self.session.publish(self.reply_topic, cached[0], qos=1)
            return False
        try:
            self._queue.put_nowait(_Job(req, received, mid, qos))
            return True  # acknowledged once answered: a crash before that gets it redelivered
        except queue.Full:
            # not remembered as answered: the HMI's retry of this id gets computed
            self._publish_once(req.id, error_result(req.text or "", "busy",
                                                    "I'm busy right now. Please ask again."),
                               remember=False)
            return False

    # worker thread ------------------------------------------------------------------------
    def _work(self) -> None:
        next_tick = time.monotonic()
        while self._running.is_set():
            try:
                item = self._queue.get(timeout=max(0.01, next_tick - time.monotonic()))
            except queue.Empty:
                item = None
            if item is not None:
                self._serve(item.request, item.received)
                self.session.ack(item.mid, item.qos)
            if self.proactive is not None and time.monotonic() >= next_tick:
                next_tick = time.monotonic() + self.tick_s
                self._proactive_tick()

    def _serve(self, req: ServiceRequest, received: float) -> None:
        try:
            result = self._answer(req)
        except Exception as e:  # never a traceback to the driver; the log keeps it
            log.exception("request %s failed", req.id)
            result = error_result(req.text or "", f"internal:{type(e).__name__}",
                                  "Sorry, something went wrong. Please try again.")
        self._publish_once(req.id, result, speak=req.speak)
        self.stats.latency_ms.append((time.perf_counter() - received) * 1000.0)

    def _answer(self, req: ServiceRequest) -> AskResult:
        text = req.text
        if text is None:
            if self.transcribe is None:
                return error_result("", "no_speech_engine", "I can't listen right now.")
            try:
                wav = base64.b64decode(req.audio_wav_b64 or "", validate=True)
            except (binascii.Error, ValueError):
                return error_result("", "bad_audio", "I could not read that audio.")
            try:
                heard = self.transcribe(wav)
            except UnusableAudio as e:
                return error_result("", f"audio:{e.reason}",
                                    "I could not hear that clearly. Please say it again.")
            text = heard.text if isinstance(heard, Hearing) else heard
            if isinstance(heard, Hearing) and heard.unsure:
                # A turn the recogniser is unsure of must not move the car: asked again.
                u = unsure_understanding(heard)
                return AskResult(understanding=u, status="not_understood",
                                 reply=repeat_reply(u.language, heard.tried),
                                 timings_ms=Timings(understand=0, plan=0, validate=0, total=0),
                                 why=u.error)
            if not text.strip():
                return error_result("", "no_speech", "I didn't catch that. Please say it again.")
        state = self._state_for_turn()
        if isinstance(state.get(LAT), int | float) and isinstance(state.get(LON), int | float):
            self._note_stops(self.progress.update(  # where the turn starts
                float(state[LAT]), float(state[LON]), self._speed_kph()))
        speed = self._speed_kph()
        standing = self._at_stop_since if speed is not None and speed < STOPPED_KPH else None
        turn = AskTurn(text=text, at=self.now_local(), state=state, trip=self.trip,
                       at_stop_since=standing)
        result = self.answer(turn)
        self._follow_trip(result)
        return result

    def _state_for_turn(self) -> dict[str, Any]:
        """The fresh VSS state; if the position is missing, wait briefly for it.

        A request can overtake the sensor values published just before it (they travel on
        another connection), and a stale position is unknown: a short grace avoids answering
        "I don't know where the car is" in that race. Waits only if a position was seen
        before or the service has just started (a car without one is not slowed down)."""
        state = self.store.vss_state()
        just_started = time.monotonic() - self._started_m < STARTUP_S
        if (LAT in state and LON in state) or (
                self.store.reading(LAT) is None and not just_started):
            return state
        deadline = time.monotonic() + POSITION_GRACE_S
        while time.monotonic() < deadline:
            time.sleep(0.02)
            state = self.store.vss_state()
            if LAT in state and LON in state:
                break
        return state

    def _follow_trip(self, result: AskResult) -> None:
        for a in result.actions:
            if a.type == "set_route":
                self.trip = a.route
            elif a.type == "cancel_route":
                self.trip = None

    def _publish_once(self, rid: str, result: AskResult, *, speak: bool = False,
                      remember: bool = True) -> None:
        reply = ServiceReply.model_validate({**result.model_dump(by_alias=True), "id": rid})
        if result.understanding.text:
            self.language = result.understanding.language
        body = reply.to_json().encode()
        with self._lock:  # both threads answer (errors on the network thread): count under lock
            acks = self._pending.pop(rid, [])
            if remember:
                self._answered.add(rid, body)
            self.stats.answered += 1
            if result.understanding.error is not None:
                self.stats.errors += 1
        self.session.publish(self.reply_topic, body, qos=1)
        for m, q in acks:  # redeliveries that arrived while it was queued
            self.session.ack(m, q)
        if speak:
            self._speak(rid, reply.reply, proactive=False)

    def _speak(self, rid: str | None, text: str, *, proactive: bool) -> None:
        if self.speak is None or not text:
            return
        from copilot.service.speech_out import SpokenReply

        try:
            wav = self.speak(text)
        except Exception:
            log.exception("speech synthesis failed")
            self.drops.add("reply_audio", "synthesis_failed")
            return
        msg = SpokenReply(id=rid, proactive=proactive, text=text,
                          audio_wav_b64=base64.b64encode(wav).decode())
        self.session.publish(self.audio_topic, msg.model_dump_json(), qos=1)
        self.stats.spoken += 1

    def _proactive_tick(self) -> None:
        if self.proactive is None:
            return
        try:
            # the whole trip: the checks look ahead along its line themselves, and a fuel stop
            # the car has reached is where it is filling up (not a reason to warn of low range)
            turns = self.proactive.check(self.store.snapshot(), self.progress.route,
                                         self.store.hazards(), self.now_local())
        except Exception:
            log.exception("proactive check failed")
            self.drops.add("proactive", "check_failed")
            return
        for t in turns:
            self.publish_proactive(t)

    def publish_proactive(self, t: ProactiveTurn) -> None:
        if self.language == "ko":
            from copilot.service.proactive_ko import korean_proactive

            t = korean_proactive(t)
        reply = ServiceReply(id=None, proactive=True, understanding=t.understanding,
                             status="ok", reply=t.reply, actions=t.actions,
                             timings_ms=Timings(understand=0, plan=0, validate=0, total=0),
                             why=f"proactive:{t.cause}")
        self.session.publish(self.reply_topic, reply.to_json(), qos=1)
        self.stats.proactive += 1
        if self.proactive is not None and self.proactive.speak_aloud:
            self._speak(None, t.reply, proactive=True)


def _parse_request(payload: bytes) -> dict[str, Any] | DropReason:
    if len(payload) > topics.REQUEST.max_bytes:
        return DropReason.OVERSIZE
    try:
        obj = json.loads(payload)
    except (ValueError, RecursionError):
        return DropReason.MALFORMED
    return obj if isinstance(obj, dict) else DropReason.MALFORMED


def stats_summary(latencies_ms: list[float]) -> dict[str, float]:
    if not latencies_ms:
        return {}
    xs = sorted(latencies_ms)
    return {"n": len(xs), "median_ms": xs[len(xs) // 2],
            "p99_ms": xs[min(len(xs) - 1, int(len(xs) * 0.99))]}

