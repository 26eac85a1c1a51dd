"""An MQTT v5 session on paho-mqtt 2.x that survives broker restarts.

Fixed client id, clean start false with a session expiry (the broker keeps our subscriptions
and queues QoS 1 messages while we are away), subscriptions restored in on_connect anyway
(a crashed broker may have lost the session), reconnect with exponential backoff, and an
optional retained status with a last will. Callbacks run on paho's network thread: the
`on_message` given here must return quickly.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

log = logging.getLogger(__name__)

SESSION_EXPIRY_S = 3600
"""The broker keeps an offline session (subscriptions, queued QoS 1 messages) this long."""
KEEPALIVE_S = 10
"""A dead broker is noticed within ~1.5x this."""
RECONNECT_MIN_S, RECONNECT_MAX_S = 0.1, 5.0
RETAIN_IF_NEW = SubscribeOptions.RETAIN_SEND_IF_NEW_SUB

OnMessage = Callable[[str, bytes, "mqtt.MQTTMessage"], "bool | None"]
"""Returns True to acknowledge the message later with `MqttSession.ack` (manual_ack only)."""


class BrokerUrlError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None
    cafile: str | None = None

    @classmethod
    def parse(cls, url: str, username: str | None = None, password: str | None = None,
              cafile: str | None = None) -> BrokerAddress:
        """`mqtt://HOST:PORT` or `mqtts://HOST:PORT` (user:pass@ in the URL also accepted)."""
        try:
            u = urlsplit(url)
            port = u.port
        except ValueError as e:
            raise BrokerUrlError(f"bad broker URL {url!r}: {e}") from None
        if u.scheme not in ("mqtt", "mqtts") or not u.hostname:
            raise BrokerUrlError(f"bad broker URL {url!r}: expected mqtt://HOST:PORT")
        tls = u.scheme == "mqtts"
        return cls(u.hostname, port or (8883 if tls else 1883), tls,
                   username or u.username, password or u.password, cafile)


def _connect_properties(session_expiry_s: int) -> Properties:
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = session_expiry_s
    return props


class MqttSession:
    """One paho client with the reliability settings above; start() returns once connected."""

    def __init__(self, address: BrokerAddress, client_id: str, *,
                 subscriptions: Sequence[tuple[str, int]] = (),
                 on_message: OnMessage | None = None,
                 status_topic: str | None = None,
                 clean_start: bool = False,
                 session_expiry_s: int = SESSION_EXPIRY_S,
                 max_queued: int = 0, manual_ack: bool = False) -> None:
        self.address = address
        self.client_id = client_id
        self.subscriptions = list(subscriptions)
        self.on_message = on_message
        self.status_topic = status_topic
        self.connected = threading.Event()
        self.refused = threading.Event()
        self.connects = 0
        self.disconnects = 0
        self.last_reason: str | None = None
        self._session_expiry_s = session_expiry_s
        # manual_ack: a QoS 1 message is acknowledged only once it has been dealt with, so the
        # broker redelivers it if this process dies first
        self.manual_ack = manual_ack
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                        protocol=mqtt.MQTTv5, manual_ack=manual_ack)
        if address.username is not None:
            c.username_pw_set(address.username, address.password)
        if address.tls:
            c.tls_set(ca_certs=address.cafile, cert_reqs=ssl.CERT_REQUIRED)
        if status_topic is not None:
            c.will_set(status_topic, b"offline", qos=1, retain=True)
        c.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)  # type: ignore[arg-type]
        c.max_inflight_messages_set(100)
        c.max_queued_messages_set(max_queued)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message
        self.client = c
        self._clean_start = clean_start

    def start(self, timeout_s: float | None = 10.0, *, wait: bool = True) -> MqttSession:
        """Connect in the background (retrying until the broker is up) and start the loop.

        Waits for the first connection up to timeout_s (None: forever); refused credentials
        raise ConnectionError at once."""
        self.client.connect_async(self.address.host, self.address.port, keepalive=KEEPALIVE_S,
                                  clean_start=self._clean_start,
                                  properties=_connect_properties(self._session_expiry_s))
        self.client.loop_start()
        deadline = time.monotonic() + (timeout_s if timeout_s is not None else float("inf"))
        while wait and not self.connected.wait(0.05):
            if not self.refused.is_set() and time.monotonic() < deadline:
                continue
            reason = self.last_reason or "no answer"
            self.stop(graceful=False)
            raise ConnectionError(f"cannot connect to {self.address.host}:{self.address.port} "
                                  f"as {self.address.username!r}: {reason}")
        return self

    def stop(self, *, graceful: bool = True) -> None:
        """Disconnect. Graceful: status 'offline' first (a clean disconnect sends no will)."""
        if graceful and self.status_topic is not None and self.connected.is_set():
            info = self.client.publish(self.status_topic, b"offline", qos=1, retain=True)
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(2.0)
        self.client.disconnect()
        self.client.loop_stop()
        self.connected.clear()

    def publish(self, topic: str, payload: bytes | str, qos: int = 0,
                retain: bool = False) -> mqtt.MQTTMessageInfo:
        """Queue a message; QoS 1 messages published while offline go out after reconnecting."""
        return self.client.publish(topic, payload, qos=qos, retain=retain)

    # paho callbacks (network thread) ------------------------------------------------------
    def _on_connect(self, client: mqtt.Client, _u: object, flags: mqtt.ConnectFlags,
                    rc: mqtt.ReasonCode, _p: Properties | None) -> None:
        if rc.is_failure:
            self.last_reason = str(rc)
            log.warning("%s: connection refused: %s", self.client_id, rc)
            if rc.value in (0x86, 0x87, 0x8C):  # bad user/password, not authorized, bad auth
                self.refused.set()
                client.disconnect()  # retrying with the same credentials cannot help
            return
        self.connects += 1
        sock = client.socket()
        # paho leaves Nagle on: small messages would wait ~40 ms for ACKs
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        log.info("%s connected (session present: %s)", self.client_id, flags.session_present)
        if self.subscriptions:
            # retained values only for a new subscription: a session the broker kept already
            # has them, and resending would only produce duplicate drops
            client.subscribe([(t, SubscribeOptions(qos=q, retainHandling=RETAIN_IF_NEW))
                              for t, q in self.subscriptions])
        if self.status_topic is not None:
            client.publish(self.status_topic, b"online", qos=1, retain=True)
        self.connected.set()

    def _on_disconnect(self, _c: mqtt.Client, _u: object, _f: mqtt.DisconnectFlags,
                       rc: mqtt.ReasonCode, _p: Properties | None) -> None:
        self.connected.clear()
        self.disconnects += 1
        if not self.refused.is_set():  # keep the refusal's reason for start()'s error
            self.last_reason = str(rc)
        log.info("%s disconnected: %s", self.client_id, rc)

    def ack(self, mid: int, qos: int) -> None:
        """Acknowledge a message whose handler returned True (manual_ack sessions)."""
        if self.manual_ack and qos > 0:
            self.client.ack(mid, qos)

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        deferred = False
        try:
            if self.on_message is not None:
                deferred = self.on_message(msg.topic, bytes(msg.payload), msg) is True
        except Exception:  # a bug in a handler must not kill the network thread
            log.exception("%s: handler failed on %s", self.client_id, msg.topic)
        if not deferred:
            self.ack(msg.mid, msg.qos)
