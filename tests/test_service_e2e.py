"""End to end: `copilot serve` (the contract's command line, the real Copilot on the embedded
Harrisburg map) on a real Mosquitto, with a sensor gateway driving the route it planned.

Covers a text request, a spoken request (espeak-ng WAV -> pocketsphinx), proactive turns for
low range and a hazard on the route (each said once), and a clean shutdown (status offline).
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from copilot.messages import ServiceRequest
from copilot.service.broker import Mosquitto, have_mosquitto
from copilot.service.hmi import HmiClient
from copilot.service.pipeline import DEFAULT_MAP
from copilot.service.speech_out import synthesize_wav
from sensors import state as s
from sensors.mqtt import BrokerAddress, MqttSession
from sensors.topics import HAZARD, vss_topic
from sensors.trace import Polyline, TracePlayer

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not have_mosquitto(), reason="mosquitto not installed"),
              pytest.mark.skipif(not DEFAULT_MAP.exists(), reason="embedded map missing")]
VIN = "E2E1"
START = (40.2770, -76.8240)


def _parked(gw: MqttSession, stop: threading.Event) -> None:
    while not stop.wait(0.1):
        ts = time.time()
        for path, value in ((s.LAT, START[0]), (s.LON, START[1]), (s.SPEED, 0.0),
                            (s.GEAR, "P"), (s.IS_MOVING, False), (s.RANGE, 90_000.0),
                            (s.FUEL_LEVEL, 20.0)):
            gw.publish(vss_topic(VIN, path), json.dumps({"value": value, "ts": ts}), retain=True)


@pytest.fixture()
def rig(tmp_path: Path) -> Iterator[tuple[Mosquitto, MqttSession, HmiClient,
                                          subprocess.Popen[bytes], threading.Event]]:
    with Mosquitto(vin=VIN) as b:
        gw = MqttSession(BrokerAddress.parse(b.url, b.sensor_gateway.username,
                                             b.sensor_gateway.password), "e2e-gw",
                         clean_start=True).start()
        stop_parked = threading.Event()
        threading.Thread(target=_parked, args=(gw, stop_parked), daemon=True).start()
        hmi = HmiClient(BrokerAddress.parse(b.url, b.hmi.username, b.hmi.password), VIN).start()
        log = (tmp_path / "serve.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "copilot.cli", "serve", "--broker", b.url, "--vin", VIN,
             "--username", b.copilot.username, "--password", b.copilot.password,
             "--map", str(DEFAULT_MAP)],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            # 300 s: the first run on a machine builds the region pack (Valhalla tiles)
            assert hmi.wait_until(lambda: hmi.status == "online", 300), \
                (tmp_path / "serve.log").read_text()
            yield b, gw, hmi, proc, stop_parked
        finally:
            stop_parked.set()
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
            log.close()
            hmi.stop()
            gw.stop()


def test_serve_answers_speaks_up_and_stops_cleanly(
        rig: tuple[Mosquitto, MqttSession, HmiClient, subprocess.Popen[bytes],
                   threading.Event]) -> None:
    _b, gw, hmi, proc, stop_parked = rig
    time.sleep(0.5)  # the service has seen the parked car
    # a text request: the real Copilot plans the airport run from where the car is
    reply = hmi.ask("take me to the airport", timeout_s=60)
    assert reply is not None and reply.status == "ok", reply
    assert reply.understanding.intent == "navigate"
    route = next(a.route for a in reply.actions if a.type == "set_route")
    assert route.destination.category == "airport" and len(route.geometry) > 10
    assert abs(route.geometry[0][0] - START[0]) < 0.01  # it knew where the car was

    # a spoken request goes through speech recognition, then the same pipeline
    wav = synthesize_wav("how much fuel do I have")
    rid = "spoken-1"
    hmi.send(ServiceRequest(id=rid, audio_wav_b64=base64.b64encode(wav).decode()))
    spoken = hmi.wait_for(rid, 60)
    assert spoken is not None
    assert spoken.understanding.error is None, spoken  # the audio was usable speech
    assert spoken.understanding.text.strip() != ""

    # now drive the planned route with little fuel left: the copilot speaks up once
    stop_parked.set()
    player = TracePlayer(gw, VIN, route.geometry, speed_kph=50, range_m=3_000,
                         level_percent=2.0, powertrain="ice").start()
    try:
        assert hmi.wait_until(lambda: any(r.why == "proactive:low_range"
                                          for r in hmi.proactive), 20), hmi.proactive
        low = next(r for r in hmi.proactive if r.why == "proactive:low_range")
        assert low.proactive and low.id is None and low.status == "ok"
        assert low.reply.startswith("Fuel is low")
        assert len(low.reply.split()) <= 25
        assert all(a.type == "show_places" for a in low.actions)  # a suggestion, not a reroute
        if low.actions:
            place = low.actions[0].places[0]  # type: ignore[union-attr]
            assert place.category == "fuel" and place.osm_id is not None

        # a road closure ahead on the route
        line = Polyline(route.geometry)
        lat, lon, _ = line.at(line.length_m * 0.8)
        hazard = {"kind": "road_closed", "lat": lat, "lon": lon, "radius_m": 120,
                  "sources": ["camera", "radar"], "ts": time.time()}
        for _ in range(3):  # reported again and again by the sensors: said once
            gw.publish(HAZARD.for_vin(VIN), json.dumps(hazard), qos=1)
            time.sleep(0.5)
        assert hmi.wait_until(lambda: any((r.why or "").startswith("proactive:hazard")
                                          for r in hmi.proactive), 10), hmi.proactive
        time.sleep(2.5)  # more ticks of the monitor: nothing is repeated
        causes = [r.why for r in hmi.proactive]
        assert causes.count("proactive:low_range") == 1, causes
        assert sum(1 for c in causes if (c or "").startswith("proactive:hazard")) == 1, causes
        hz = next(r for r in hmi.proactive if (r.why or "").startswith("proactive:hazard"))
        assert hz.reply.startswith("Road closed ahead") and hz.actions == ()
    finally:
        player.stop()

    # a clean stop: status offline (not via the last will), exit code 0
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    assert hmi.wait_until(lambda: hmi.status == "offline", 10)
