"""The repository's Mosquitto config, started for real: ACL per role, no anonymous clients, TLS."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import paho.mqtt.client as mqtt
import pytest

from copilot.service.broker import Credentials, Mosquitto, have_mosquitto
from sensors.mqtt import BrokerAddress, MqttSession

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not have_mosquitto(), reason="mosquitto not installed")]
VIN = "TEST1"


@pytest.fixture()
def broker() -> Iterator[Mosquitto]:
    with Mosquitto(vin=VIN, tls=True) as b:
        yield b


def _addr(b: Mosquitto, c: Credentials | None, tls: bool = False) -> BrokerAddress:
    url = b.tls_url if tls else b.url
    assert url is not None
    return BrokerAddress.parse(url, c.username if c else None, c.password if c else None,
                               str(b.cafile) if tls else None)


class _Recorder:
    def __init__(self) -> None:
        self.got: list[tuple[str, bytes]] = []
        self.event = threading.Event()

    def __call__(self, topic: str, payload: bytes, _m: mqtt.MQTTMessage) -> None:
        self.got.append((topic, payload))
        self.event.set()


def _puback(session: MqttSession, topic: str, payload: bytes) -> str:
    """Publish at QoS 1 and return the broker's PUBACK reason code as text."""
    codes: list[str] = []
    done = threading.Event()

    def on_publish(_c: object, _u: object, _mid: int, rc: mqtt.ReasonCode, _p: object) -> None:
        codes.append(str(rc))
        done.set()

    session.client.on_publish = on_publish
    session.publish(topic, payload, qos=1)
    assert done.wait(5), "no PUBACK"
    return codes[0]


def test_roles_may_only_do_what_the_acl_grants(broker: Mosquitto) -> None:
    copilot_rec = _Recorder()
    copilot = MqttSession(_addr(broker, broker.copilot), "acl-copilot",
                          subscriptions=[(f"vehicle/{VIN}/#", 1), (f"copilot/{VIN}/request", 1)],
                          on_message=copilot_rec).start()
    hmi = MqttSession(_addr(broker, broker.hmi), "acl-hmi", clean_start=True).start()
    gateway = MqttSession(_addr(broker, broker.sensor_gateway), "acl-gw", clean_start=True).start()
    time.sleep(0.3)  # subscriptions in place
    value = json.dumps({"value": 300.0, "ts": time.time()}).encode()
    try:
        # the HMI cannot fake a sensor value or a hazard
        assert _puback(hmi, f"vehicle/{VIN}/vss/Vehicle.Speed", value) == "Not authorized"
        assert _puback(hmi, f"vehicle/{VIN}/events/hazard", b"{}") == "Not authorized"
        # the sensor gateway cannot send requests or pose as the copilot
        assert _puback(gateway, f"copilot/{VIN}/request", b"{}") == "Not authorized"
        assert _puback(gateway, f"copilot/{VIN}/reply", b"{}") == "Not authorized"
        time.sleep(0.3)
        assert copilot_rec.got == []
        # while each may do its own job
        assert _puback(gateway, f"vehicle/{VIN}/vss/Vehicle.Speed", value) != "Not authorized"
        assert _puback(hmi, f"copilot/{VIN}/request", b'{"id":"a","text":"hi"}') != \
            "Not authorized"
        assert copilot_rec.event.wait(3)
        time.sleep(0.2)
        assert sorted(t for t, _ in copilot_rec.got) == [
            f"copilot/{VIN}/request", f"vehicle/{VIN}/vss/Vehicle.Speed"]
    finally:
        for s in (copilot, hmi, gateway):
            s.stop()


def test_hmi_cannot_read_sensor_values(broker: Mosquitto) -> None:
    rec = _Recorder()
    hmi = MqttSession(_addr(broker, broker.hmi), "acl-hmi-read", clean_start=True,
                      subscriptions=[(f"vehicle/{VIN}/#", 0)], on_message=rec).start()
    gateway = MqttSession(_addr(broker, broker.sensor_gateway), "acl-gw2", clean_start=True).start()
    try:
        time.sleep(0.3)
        gateway.publish(f"vehicle/{VIN}/vss/Vehicle.Speed",
                        json.dumps({"value": 1.0, "ts": time.time()}), qos=1).wait_for_publish(3)
        assert not rec.event.wait(0.5)
    finally:
        hmi.stop()
        gateway.stop()


@pytest.mark.parametrize("creds", [None, Credentials("hmi", "wrong"), Credentials("root", "x")],
                         ids=["anonymous", "wrong-password", "unknown-user"])
def test_unauthenticated_clients_are_refused(broker: Mosquitto, creds: Credentials | None) -> None:
    s = MqttSession(_addr(broker, creds), "intruder", clean_start=True)
    with pytest.raises(ConnectionError, match=r"Not authorized|Bad user"):
        s.start(timeout_s=5)


def test_tls_listener(broker: Mosquitto) -> None:
    ok = MqttSession(_addr(broker, broker.hmi, tls=True), "tls-ok", clean_start=True).start()
    assert ok.connected.is_set()
    ok.stop()
    # a client that does not trust the broker's certificate (system CAs only) is refused
    untrusting = BrokerAddress("127.0.0.1", broker.tls_port or 0, True, broker.hmi.username,
                               broker.hmi.password, None)
    with pytest.raises(ConnectionError):
        MqttSession(untrusting, "tls-untrusting", clean_start=True).start(timeout_s=2)
    # plain MQTT spoken to the TLS port gets nowhere
    plain = BrokerAddress("127.0.0.1", broker.tls_port or 0, False, broker.hmi.username,
                          broker.hmi.password)
    with pytest.raises(ConnectionError):
        MqttSession(plain, "tls-plain", clean_start=True).start(timeout_s=2)


def test_restart_keeps_port_and_retained_values(broker: Mosquitto) -> None:
    gateway = MqttSession(_addr(broker, broker.sensor_gateway), "gw-retain", clean_start=True)
    gateway.start()
    gateway.publish(f"vehicle/{VIN}/vss/Vehicle.Speed", b'{"value": 5, "ts": 1}', qos=1,
                    retain=True).wait_for_publish(3)
    gateway.stop()
    port = broker.port
    broker.restart()  # graceful: persistence written on shutdown
    assert broker.port == port
    rec = _Recorder()
    copilot = MqttSession(_addr(broker, broker.copilot), "copilot-retain", clean_start=True,
                          subscriptions=[(f"vehicle/{VIN}/vss/#", 0)], on_message=rec).start()
    try:
        assert rec.event.wait(3)
        assert rec.got[0][1] == b'{"value": 5, "ts": 1}'
    finally:
        copilot.stop()
