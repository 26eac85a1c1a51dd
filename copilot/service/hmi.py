"""The head unit's side of the copilot service: send requests, collect replies by id.

Used by the simulator, the tests and `copilot bench mqtt`. Requests go out at QoS 1 on a
persistent session; `ask()` retries a request that got no reply (at-least-once), which is
safe because the service answers each id once and replays the same reply for a repeat.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable

import paho.mqtt.client as mqtt

from copilot.messages import ServiceReply, ServiceRequest
from copilot.service.speech_out import SpokenReply
from sensors import topics
from sensors.mqtt import BrokerAddress, MqttSession

log = logging.getLogger(__name__)


class HmiClient:
    """Requests out, replies in; every raw reply delivery is kept (to check exactly-once)."""

    def __init__(self, address: BrokerAddress, vin: str, client_id: str | None = None) -> None:
        self.vin = vin
        self.request_topic = topics.REQUEST.for_vin(vin)
        self.reply_topic = topics.REPLY.for_vin(vin)
        self.audio_topic = topics.REPLY_AUDIO.for_vin(vin)
        self.status_topic = topics.STATUS.for_vin(vin)
        self._cond = threading.Condition()
        self.replies: dict[str, list[ServiceReply]] = defaultdict(list)
        self.received_at: dict[str, float] = {}
        self.proactive: list[ServiceReply] = []
        self.audio: list[SpokenReply] = []
        self.status: str | None = None
        self.bad_replies = 0
        self.session = MqttSession(
            address, client_id or f"hmi-{vin}-{uuid.uuid4().hex[:6]}",
            subscriptions=[(self.reply_topic, 1), (self.audio_topic, 1), (self.status_topic, 1)],
            on_message=self._on_message)

    def start(self, timeout_s: float = 10.0) -> HmiClient:
        self.session.start(timeout_s)
        return self

    def stop(self) -> None:
        self.session.stop()

    def _on_message(self, topic: str, payload: bytes, _m: mqtt.MQTTMessage) -> None:
        now = time.perf_counter()
        with self._cond:
            if topic == self.status_topic:
                self.status = payload.decode(errors="replace")
            elif topic == self.audio_topic:
                self.audio.append(SpokenReply.model_validate_json(payload))
            else:
                try:
                    r = ServiceReply.model_validate_json(payload)
                except ValueError:
                    self.bad_replies += 1
                    return
                if r.id is None:
                    self.proactive.append(r)
                else:
                    self.replies[r.id].append(r)
                    self.received_at.setdefault(r.id, now)
            self._cond.notify_all()

    def send(self, request: ServiceRequest) -> None:
        self.session.publish(self.request_topic, request.model_dump_json(exclude_none=True), qos=1)

    def send_text(self, text: str, rid: str | None = None, *, speak: bool = False) -> str:
        rid = rid or uuid.uuid4().hex
        self.send(ServiceRequest(id=rid, text=text, speak=speak))
        return rid

    def wait_for(self, rid: str, timeout_s: float) -> ServiceReply | None:
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while not self.replies.get(rid):
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)
            return self.replies[rid][0]

    def wait_until(self, predicate: Callable[[], bool], timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.2))
            return True

    def ask(self, text: str, *, timeout_s: float = 60.0, retry_s: float = 10.0,
            speak: bool = False) -> ServiceReply | None:
        """Send and wait; resend the same id every retry_s until a reply or timeout_s."""
        rid = uuid.uuid4().hex
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.send(ServiceRequest(id=rid, text=text, speak=speak))
            got = self.wait_for(rid, min(retry_s, deadline - time.monotonic()))
            if got is not None:
                return got
        return None
