"""`copilot sim run` end to end: real Mosquitto, real `copilot serve` (Valhalla, place index,
speech), the simulated car publishing at 10 Hz; exit 0 iff every expectation holds.

Every scenario in scenarios/ runs in the default test run (two at a time: about
four minutes on 2 cores), plus `copilot demo` (the airport run on the embedded map).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from copilot.sim.scenario import ScenarioError, load_scenario, resolve_map

ROOT = Path(__file__).resolve().parents[1]
COPILOT = str(ROOT / ".venv" / "bin" / "copilot")
SCENARIOS = ROOT / "scenarios"
SCENARIO_NAMES = sorted(p.stem for p in SCENARIOS.glob("*.yaml"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.slow


def run(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["nice", COPILOT, *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def _needs_map(path: Path) -> None:
    try:
        resolve_map(path, load_scenario(path).map)
    except ScenarioError as e:
        pytest.skip(f"map not available: {e}")


def judge_run(name: str, tmp_path: Path, r: subprocess.CompletedProcess[str]) -> dict:
    assert "Traceback" not in r.stderr, r.stderr[-2000:]
    report = json.loads((tmp_path / "report.json").read_text())
    assert (r.returncode == 0) == report["passed"]  # exit 0 iff every expectation holds
    failed = [e for e in report["expectations"] if not e["held"]]
    assert r.returncode == 0, f"{name}: {failed}\n{r.stderr[-1500:]}"
    assert report["scenario"] == name
    assert report["signals_published"] > 100  # the car really published its state
    assert all(t["status"] for t in report["turns"]) and report["turns"]
    assert (tmp_path / "report.html").stat().st_size > 5_000
    return report


def test_the_repository_has_the_scenarios_the_issue_asks_for() -> None:
    assert len(SCENARIO_NAMES) >= 8
    assert {"airport-run", "urban-errands", "low-fuel", "tunnel-no-link", "road-closure",
            "unsafe-while-moving", "opening-hours", "spoken-multistop-noise"} <= set(SCENARIO_NAMES)


# A scenario's wall time is mostly its simulated clock running (wall time x speedup), not the
# CPU: two at once take about half the time of one after the other (each has its own broker,
# service and car). Longest first, so the two lanes end together; measured seconds, one run.
LANES = 2
WALL_S = {"tunnel-no-link": 149, "airport-run": 42, "urban-errands": 37, "airport-run-ko": 34,
          "low-fuel": 33, "road-closure-ko": 25, "road-closure": 25, "opening-hours": 24,
          "spoken-multistop-noise": 23, "unsafe-while-moving": 21, "opening-hours-afternoon": 13}
Ran = tuple[subprocess.CompletedProcess[str], Path, str]


def _run_scenario(name: str, out: Path) -> Ran:
    path = SCENARIOS / f"{name}.yaml"
    if name != "opening-hours-afternoon":
        return run("sim", "run", str(path), "--report", str(out)), out, ""
    from copilot.service.broker import Mosquitto  # also: on a broker the caller runs, by option

    with Mosquitto(vin="SIM0001") as broker:
        users = [f"--broker-user={role}={c.username}:{c.password}"
                 for role, c in broker.credentials.items()]
        r = run("sim", "run", str(path), "--report", str(out), "--broker", broker.url, *users)
        return r, out, broker.log_text


@pytest.fixture(scope="module")
def scenario_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Future[Ran]]]:
    order = sorted(SCENARIO_NAMES, key=lambda n: -WALL_S.get(n, 60))
    with ThreadPoolExecutor(max_workers=LANES, thread_name_prefix="scenario") as pool:
        yield {n: pool.submit(_run_scenario, n, tmp_path_factory.mktemp(n)) for n in order}


@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_scenarios_pass(name: str, scenario_runs: dict[str, Future[Ran]]) -> None:
    _needs_map(SCENARIOS / f"{name}.yaml")
    r, out, broker_log = scenario_runs[name].result()
    report = judge_run(name, out, r)
    if name == "opening-hours-afternoon":
        assert "as copilot-SIM0001" in broker_log  # serve ran on the caller's broker
    if name == "road-closure":
        assert report["replans"] >= 1
        assert any(t["proactive"] for t in report["turns"])  # the copilot spoke up first
    if name == "spoken-multistop-noise":
        assert report["turns"][0]["input"] == "synth" and report["turns"][0]["transcript"]
    if name == "tunnel-no-link":
        assert report["messages"].get("link_events", 0) >= 3


def test_an_expectation_that_fails_exits_1(tmp_path: Path) -> None:
    src = SCENARIOS / "unsafe-while-moving.yaml"
    _needs_map(src)
    data = yaml.safe_load(src.read_text())
    data.update(name="cannot-hold", map=str(resolve_map(src, data["map"])), duration_s=120,
                timeline=[{"at_s": 0, "say": "Take me to the airport."}],
                expect=[{"status": "ok"}, {"route_has": ["hospital"]}])
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(data))
    r = run("sim", "run", str(scenario), "--report", str(tmp_path / "out"))
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert r.returncode == 1 and report["passed"] is False
    held = {next(iter(e["expect"])): e["held"] for e in report["expectations"]}
    assert held == {"status": True, "route_has": False}
    assert "missing hospital" in r.stdout


def test_a_recorded_wav_turn_goes_through_the_speech_path(tmp_path: Path) -> None:
    from copilot.sim.audio import synthesise

    src = SCENARIOS / "unsafe-while-moving.yaml"
    _needs_map(src)
    (tmp_path / "turn.wav").write_bytes(synthesise("take me to the airport"))
    data = yaml.safe_load(src.read_text())
    data.update(name="wav-turn", map=str(resolve_map(src, data["map"])), duration_s=120,
                timeline=[{"at_s": 0, "say_audio": "turn.wav"}],
                expect=[{"status": "ok"}, {"destination": "airport"}])
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(data))
    r = run("sim", "run", str(tmp_path / "s.yaml"), "--report", str(tmp_path / "out"))
    assert r.returncode == 0, r.stdout + r.stderr[-1500:]
    turn = json.loads((tmp_path / "out" / "report.json").read_text())["turns"][0]
    assert turn["input"] == "audio" and "airport" in turn["transcript"]  # heard, not typed


def test_a_bad_scenario_is_a_clear_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nmap: nowhere.osm.pbf\n")
    r = run("sim", "run", str(bad), "--report", str(tmp_path / "out"), timeout=60)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and "invalid scenario" in r.stderr
    assert not (tmp_path / "out" / "report.json").exists()
    good = SCENARIOS / "opening-hours.yaml"
    r = run("sim", "run", str(good), "--report", str(tmp_path / "out"), "--broker", "nonsense",
            timeout=60)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "bad broker URL" in r.stderr


def test_demo_runs_the_airport_run_on_the_embedded_map(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    r = run("demo", "--report", str(out))
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "Take me to the airport" in r.stdout and "copilot" in r.stdout
    assert r.stdout.strip().splitlines()[-1] == f"report: {out.resolve() / 'report.html'}"
    report = json.loads((out / "report.json").read_text())
    assert report["passed"] and report["map"] == "harrisburg.osm.pbf"
    # the request is spoken and heard by the recogniser, not handed over as text
    first = report["turns"][0]
    assert first["input"] == "synth" and "airport" in (first["transcript"] or "").lower()
    assert "heard: " in r.stdout
    if CHROMIUM is None:
        pytest.skip("chromium not installed: the rendering half of this test did not run")
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        base = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}"]
        html = (out / "report.html").as_uri()
        dom = subprocess.run([*base, "--virtual-time-budget=3000", "--dump-dom", html],
                             capture_output=True, text=True, timeout=120).stdout
        png = tmp_path / "demo.png"
        subprocess.run([*base, f"--screenshot={png}", "--window-size=1400,1600", html],
                       capture_output=True, timeout=120)
    assert 'data-rendered="yes"' in dom
    assert re.search(r'id="summary">\d+ turns, 4 stops on the map, 0 hazards<', dom)
    assert png.stat().st_size > 60_000
