"""The simulator and `copilot serve` keep one clock: serve prints the wall-clock instant its
simulated clock starts (once online, after loading its models), and the simulator reads it
from the real serve's log, so a slow start-up cannot put every time told minutes ahead."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import pytest

from copilot.service.broker import Mosquitto, have_mosquitto
from copilot.sim.parts import ServiceProcess

MAP = Path(__file__).resolve().parents[1] / "copilot" / "data" / "maps" / "harrisburg.osm.pbf"


@pytest.mark.slow
def test_serve_prints_when_its_simulated_clock_started(tmp_path: Path) -> None:
    if not have_mosquitto():
        pytest.skip("mosquitto not installed")
    with Mosquitto(vin="CLOCK001") as broker:
        before = time.time()
        svc = ServiceProcess(broker.url, "CLOCK001", MAP, broker.copilot.username,
                             broker.copilot.password,
                             start_time=datetime.fromisoformat("2026-11-25T15:00:00-05:00"),
                             time_warp=60, log_path=tmp_path / "serve.log",
                             state_dir=tmp_path / "state").start()
        try:
            anchor = svc.clock_anchor(wait_s=170)
        finally:
            svc.stop()
    log = (tmp_path / "serve.log").read_text()
    assert anchor is not None, log
    # after the child started (it loads the map and models first), and not in the future
    assert before < anchor <= time.time(), log
    assert "simulated 2026-11-25T15:00:00-05:00 at unix" in log
