"""`copilot sim run`, `copilot sim replay` and `copilot demo`."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click

from copilot.commands.bench import bench_group
from copilot.commands.common import EXIT_USAGE, fail

log = logging.getLogger(__name__)

DEMO_SCENARIO = Path(__file__).resolve().parents[1] / "data" / "demo-airport-run.yaml"
DEMO_SCENARIOS = {"en": DEMO_SCENARIO,
                  "ko": DEMO_SCENARIO.with_name("demo-airport-run-ko.yaml")}
"""The demo's airport run in each language the copilot speaks."""


@click.group(name="sim", help="Simulated drives: scenarios with expectations.")
def sim_group() -> None:
    pass


def _options(broker: str | None, user: tuple[str, ...], vin: str, cloud: str) -> Any:
    from copilot.sim.bus import Role
    from copilot.sim.runner import NO_ROLE, RunOptions

    roles = {}
    for spec in user:  # ROLE=USER:PASSWORD
        role, _, cred = spec.partition("=")
        name, _, password = cred.partition(":")
        if role not in ("sensor-gateway", "hmi", "copilot") or not name:
            fail(f"--broker-user {spec!r}: expected ROLE=USER:PASSWORD with ROLE one of "
                 "sensor-gateway, hmi, copilot", EXIT_USAGE)
        roles[role] = Role(name, password)
    return RunOptions(broker_url=broker, gateway=roles.get("sensor-gateway", NO_ROLE),
                      hmi=roles.get("hmi", NO_ROLE), copilot=roles.get("copilot", NO_ROLE),
                      vin=vin, cloud=cloud)


def _run(scenario: str | Path, report_dir: str | Path, options: Any, progress: Any) -> Any:
    from copilot.sim.runner import Runner, SimulationError

    try:
        return Runner(scenario, report_dir, options, progress).run()
    except SimulationError as e:
        fail(str(e), EXIT_USAGE)


@sim_group.command(name="run", help="Run SCENARIO.yaml; exit 0 iff every expectation holds.")
@click.argument("scenario", type=click.Path())
@click.option("--report", "report_dir", type=click.Path(), required=True,
              help="Directory for report.json, report.html and the MQTT recording.")
@click.option("--broker", default=None, help="Use this broker (mqtt://HOST:PORT) instead of "
              "starting Mosquitto.")
@click.option("--broker-user", "user", multiple=True, metavar="ROLE=USER:PASSWORD",
              help="Credentials on --broker for sensor-gateway, hmi and copilot.")
@click.option("--vin", default="SIM0001", show_default=True)
@click.option("--cloud", type=click.Choice(["auto", "on", "off"]), default="auto",
              show_default=True, help="auto: cloud endpoint + link emulator when the scenario "
              "has a link timeline.")
@click.option("--quiet", is_flag=True, help="No live conversation: only expectations and verdict.")
def sim_run(scenario: str, report_dir: str, broker: str | None, user: tuple[str, ...],
            vin: str, cloud: str, quiet: bool) -> None:
    def progress(kind: str, payload: Any) -> None:
        if quiet:
            return
        if kind == "stage":
            click.echo(f"· {payload}", err=True)
        elif kind == "turn":
            who = "copilot" if payload.proactive else "driver"
            click.echo(f"[{payload.at_s:6.0f}s] {who}: {payload.text or '(on its own)'}\n"
                       f"          -> {payload.status}: {payload.reply}", err=True)
        elif kind == "hazard":
            click.echo(f"· hazard {payload.kind} at {payload.lat:.5f},{payload.lon:.5f}",
                       err=True)

    report = _run(scenario, report_dir, _options(broker, user, vin, cloud), progress)
    for e in report.expectations:
        mark = "held  " if e.held else "FAILED"
        click.echo(f"{mark} {e.expect}: {e.detail}")
    click.echo(f"{report.scenario}: {'PASSED' if report.passed else 'FAILED'} "
               f"({Path(report_dir) / 'report.html'})")
    sys.exit(0 if report.passed else 1)


@sim_group.command(name="replay", help="Play a recorded drive (mqtt.jsonl) into copilot serve "
                   "and compare its replies with the recording; exit 0 iff they match.")
@click.argument("recording", type=click.Path(exists=True, dir_okay=False))
@click.option("--map", "map_path", type=click.Path(exists=True, dir_okay=False), required=True)
@click.option("--profile", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option("--start-time", default=None, help="Simulated start (ISO-8601 with offset).")
@click.option("--speedup", type=float, default=20.0, show_default=True)
def sim_replay(recording: str, map_path: str, profile: str | None, start_time: str | None,
               speedup: float) -> None:
    from copilot.sim.replay import ReplayError, replay

    try:
        diff = replay(Path(recording), Path(map_path), profile=Path(profile) if profile else None,
                      start_time=start_time, speedup=speedup)
    except ReplayError as e:
        fail(str(e), EXIT_USAGE)
    for line in diff.lines():
        click.echo(line)
    sys.exit(0 if diff.same else 1)


@click.command(help="The airport run end to end on the embedded map, live.")
@click.option("--report", "report_dir", type=click.Path(), default="copilot-demo-report",
              show_default=True)
@click.option("--lang", "language", type=click.Choice(sorted(DEMO_SCENARIOS)), default="en",
              show_default=True, help="The driver's language: the request and the replies.")
def demo(report_dir: str, language: str) -> None:
    from copilot.sim.live import LiveDisplay

    with LiveDisplay() as live:
        report = _run(DEMO_SCENARIOS[language], report_dir,
                      _options(None, (), "DEMO0001", "auto"),
                      live.progress)
        live.finish(report)
    click.echo(f"report: {Path(report_dir).resolve() / 'report.html'}")
    sys.exit(0 if report.passed else 1)


@bench_group.command(name="sim", help="Simulated drives: wall time, tick rate and request->reply "
                     "latency over MQTT (medians over --repeat runs of each scenario).")
@click.argument("scenarios", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("--repeat", type=int, default=3, show_default=True)
def bench_sim(scenarios: tuple[str, ...], repeat: int) -> None:
    import statistics
    import tempfile

    from copilot.sim.runner import RunOptions

    paths = [Path(p) for p in scenarios] or [DEMO_SCENARIO]
    for path in paths:
        walls, rates, latencies, passed = [], [], [], 0
        for _ in range(max(1, repeat)):
            with tempfile.TemporaryDirectory(prefix="copilot-bench-sim-") as tmp:
                report = _run(path, tmp, RunOptions(record=False), None)
            passed += report.passed
            walls.append(report.wall_duration_s)
            drive_wall_s = report.sim_duration_s / report.speedup
            if drive_wall_s > 0:
                rates.append(len(report.samples) / drive_wall_s)
            latencies += [t.reply_latency_ms for t in report.turns if t.reply_latency_ms]
        med = statistics.median
        click.echo(f"{path.name}: {passed}/{len(walls)} passed · wall {med(walls):.1f} s · "
                   f"ticks {med(rates) if rates else 0:.1f}/s (target 10) · request->reply "
                   f"{med(latencies) if latencies else float('nan'):.0f} ms median "
                   f"over {len(latencies)} turns")
