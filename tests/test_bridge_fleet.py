"""The fleet bridge between two real Mosquitto instances: the car's broker (the repository's
own configuration plus deploy/fleet/bridge.conf.in) and a second one playing the fleet cluster.
Only trip summaries, audit records and status cross; requests with raw audio never do, and
records published while the fleet is unreachable arrive once it is back."""

from __future__ import annotations

import json
import os
import pwd
import queue
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from copilot.hybrid.fleet import render_acl, render_bridge
from copilot.service.broker import MOSQUITTO, Credentials, Mosquitto, free_port, have_mosquitto

VIN = "TESTVIN01"
pytestmark = pytest.mark.skipif(not have_mosquitto(), reason="mosquitto is not installed")


class FleetBroker:
    """A second Mosquitto with password auth and the fleet ACL (stands for EMQX/HiveMQ)."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="fleet-broker-")
        d = Path(self._tmp.name)
        self.port = free_port()
        self.car = Credentials(f"car-{VIN}", "car-secret-1")
        self.ops = Credentials("fleet-ops", "ops-secret-1")
        pw = d / "passwd"
        pw.write_text("")
        for c in (self.car, self.ops):
            subprocess.run(["mosquitto_passwd", "-b", str(pw), c.username, c.password],
                           check=True, capture_output=True)
        (d / "acl").write_text(render_acl("acl-fleet.in", VIN))
        conf = (f"listener {self.port} 127.0.0.1\nallow_anonymous false\npassword_file {pw}\n"
                f"acl_file {d / 'acl'}\npersistence true\npersistence_location {d}/\n"
                f"log_dest file {d / 'log'}\n")
        if os.geteuid() == 0:
            conf += f"user {pwd.getpwuid(os.geteuid()).pw_name}\n"
        self.config = d / "mosquitto.conf"
        self.config.write_text(conf)
        self._proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self._proc = subprocess.Popen([MOSQUITTO, "-c", str(self.config)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_port(self.port)

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(10)
            self._proc = None

    def close(self) -> None:
        self.stop()
        self._tmp.cleanup()


def _wait_port(port: int, timeout_s: float = 10.0) -> None:
    import socket

    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


def _client(port: int, creds: Credentials, client_id: str, clean: bool = True) -> Any:
    import paho.mqtt.client as mqtt

    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=clean)
    c.username_pw_set(creds.username, creds.password)
    c.connect("127.0.0.1", port)
    c.loop_start()
    return c


@pytest.fixture
def brokers() -> Iterator[tuple[Mosquitto, FleetBroker]]:
    fleet = FleetBroker()
    car = Mosquitto(vin=VIN)
    try:
        with car.config.open("a") as f:
            f.write("\n" + render_bridge(VIN, "127.0.0.1", fleet.port, fleet.car.username,
                                         fleet.car.password))
        with (car.data_dir / "copilot.acl").open("a") as f:
            f.write("\n" + render_acl("acl-car.in", VIN))
        car.restart()
        yield car, fleet
    finally:
        car.close()
        fleet.close()


def _collect(fleet: FleetBroker) -> tuple[Any, queue.Queue[tuple[str, bytes]]]:
    got: queue.Queue[tuple[str, bytes]] = queue.Queue()
    ops = _client(fleet.port, fleet.ops, "fleet-ops-1", clean=False)
    ops.on_message = lambda _c, _u, m: got.put((m.topic, m.payload))
    ops.subscribe("fleet/#", qos=1)
    return ops, got


def _drain(
    got: queue.Queue[tuple[str, bytes]], until: set[str], timeout_s: float
) -> dict[str, bytes]:
    seen: dict[str, bytes] = {}
    end = time.monotonic() + timeout_s
    while time.monotonic() < end and not until <= seen.keys():
        try:
            topic, payload = got.get(timeout=0.1)
        except queue.Empty:
            continue
        seen[topic] = payload
    time.sleep(0.5)  # anything that should NOT cross gets a fair chance to show up
    while not got.empty():
        topic, payload = got.get()
        seen[topic] = payload
    return seen


def test_only_allowlisted_topics_reach_the_fleet(brokers: tuple[Mosquitto, FleetBroker]) -> None:
    car, fleet = brokers
    ops, got = _collect(fleet)
    copilot = _client(car.port, car.copilot, "copilot-1")
    hmi = _client(car.port, car.hmi, "hmi-1")
    sensors = _client(car.port, car.sensor_gateway, "gw-1")
    time.sleep(1.0)  # the bridge connects on its own schedule
    summary = json.dumps({"trip": "t1", "distance_m": 21000.0, "served_by": {"device": 5}})
    audit = json.dumps({"reason": "vehicle_control", "outcome": "rejected"})
    copilot.publish(f"copilot/{VIN}/fleet/trip_summary", summary, qos=1).wait_for_publish(5)
    copilot.publish(f"copilot/{VIN}/fleet/audit", audit, qos=1).wait_for_publish(5)
    copilot.publish(f"copilot/{VIN}/status", "online", qos=1, retain=True).wait_for_publish(5)
    hmi.publish(f"copilot/{VIN}/request",
                json.dumps({"id": "r1", "audio_wav_b64": "UklGRg=="}), qos=1).wait_for_publish(5)
    copilot.publish(f"copilot/{VIN}/reply/audio", b"RIFF....WAVE", qos=1).wait_for_publish(5)
    sensors.publish(f"vehicle/{VIN}/vss/Vehicle.Speed", '{"value": 50, "ts": 1}', qos=1)
    seen = _drain(got, {f"fleet/{VIN}/trip_summary", f"fleet/{VIN}/audit",
                        f"fleet/{VIN}/status"}, 15.0)
    assert seen == {
        f"fleet/{VIN}/trip_summary": summary.encode(),
        f"fleet/{VIN}/audit": audit.encode(),
        f"fleet/{VIN}/status": b"online",
    }
    for c in (ops, copilot, hmi, sensors):
        c.loop_stop()
        c.disconnect()


def test_records_published_while_the_fleet_is_down_arrive_later(
    brokers: tuple[Mosquitto, FleetBroker],
) -> None:
    car, fleet = brokers
    ops, got = _collect(fleet)
    time.sleep(1.0)
    ops.loop_stop()
    ops.disconnect()
    fleet.stop()  # the cellular link to the fleet is gone
    copilot = _client(car.port, car.copilot, "copilot-2")
    record = json.dumps({"trip": "t2", "note": "published offline"})
    copilot.publish(f"copilot/{VIN}/fleet/trip_summary", record, qos=1).wait_for_publish(5)
    time.sleep(0.5)
    fleet.start()
    ops, got = _collect(fleet)
    seen = _drain(got, {f"fleet/{VIN}/trip_summary"}, 40.0)
    assert seen.get(f"fleet/{VIN}/trip_summary") == record.encode()
    for c in (ops, copilot):
        c.loop_stop()
        c.disconnect()


def test_bad_bridge_parameters_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="VIN"):
        render_bridge("car/#", "fleet.example.com", 8883, "u", "p")
    with pytest.raises(ValueError, match="password"):
        render_bridge(VIN, "fleet.example.com", 8883, "u", "two words")
    text = render_bridge(VIN, "fleet.example.com", 8883, "u", "p", cafile="/etc/ca.pem")
    settings = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    assert "bridge_cafile /etc/ca.pem" in settings
    assert not [ln for ln in settings if "@" in ln]
