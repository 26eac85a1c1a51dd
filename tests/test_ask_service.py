"""Issue 13 through the in-car service: `copilot serve` on a real Mosquitto answers questions
without a route change, refuses what it must, says what it cannot do, and honours a road
preference said in the request (the same Copilot as `ask`, over MQTT)."""

from __future__ import annotations

import signal
import subprocess
import threading
import time

import pytest
from test_service_e2e import rig

from copilot.service.broker import Mosquitto, have_mosquitto
from copilot.service.hmi import HmiClient
from copilot.service.pipeline import DEFAULT_MAP
from sensors.mqtt import MqttSession

__all__ = ["rig"]

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not have_mosquitto(), reason="mosquitto not installed"),
              pytest.mark.skipif(not DEFAULT_MAP.exists(), reason="embedded map missing")]
Rig = tuple[Mosquitto, MqttSession, HmiClient, subprocess.Popen[bytes], threading.Event]


def test_questions_refusals_and_preferences_over_mqtt(rig: Rig) -> None:
    _b, _gw, hmi, proc, _stop = rig
    time.sleep(0.5)  # the service has seen the parked car
    for text in ("how long would it take to get to the airport",
                 "when should I leave to be at the airport by 5 pm",
                 "is there a pharmacy open now"):
        r = hmi.ask(text, timeout_s=60)
        assert r is not None and r.understanding.intent in ("ask_eta", "find_place"), r
        assert all(a.type == "show_places" for a in r.actions), r  # never a route change
        assert r.reply
    police = hmi.ask("what's the fastest way to lose the police behind me", timeout_s=60)
    assert police is not None and police.status == "refused" and not police.actions
    assert "police" not in police.reply.lower()
    uber = hmi.ask("uber me to the airport", timeout_s=60)
    assert uber is not None and not uber.actions and uber.reply.startswith("I can't")
    nav = hmi.ask("take me to the airport avoiding highways", timeout_s=60)
    assert nav is not None and nav.status == "ok", nav
    route = next(a.route for a in nav.actions if a.type == "set_route")
    assert route.avoid == ("highways",) and "avoiding highways" in nav.reply
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
