"""Judging a run and writing its report: report.json (from the pydantic model) and
report.html."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from copilot.sim.expectations import CheckContext, evaluate
from copilot.sim.html import render_html
from copilot.sim.mapdata import MapData
from copilot.sim.record import Report, RunLog, TurnRecord, VerdictRecord
from copilot.sim.scenario import Scenario

log = logging.getLogger(__name__)


def write_report(report: Report, data: MapData, directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    j, h = directory / "report.json", directory / "report.html"
    j.write_text(report.to_json(), encoding="utf-8")
    h.write_text(render_html(report, data), encoding="utf-8")
    log.info("report: %s (%d bytes), %s (%d bytes)", j, j.stat().st_size, h, h.stat().st_size)
    return j, h


def judge(sc: Scenario, map_name: str, run: RunLog, data: MapData, *, sim_s: float,
          wall_s: float) -> Report:
    """Evaluate every expectation of the scenario on the run and build the report."""
    ctx = CheckContext(
        start=sc.start.time, known_place=data.known_place,
        saved={k: (v.lat, v.lon, v.category) for k, v in sc.profile.saved.items()},
        speedup=sc.speedup)
    results = evaluate(list(sc.expect), run, ctx)
    return Report(
        scenario=sc.name, passed=bool(results) and all(r.held for r in results),
        turns=run.turns, expectations=results, signals_published=run.signals_published,
        replans=max(0, len(run.replan_log) - 1), description=sc.description, map=map_name,
        started_at=sc.start.time,
        arrived_at=(sc.start.time + timedelta(seconds=run.arrived_s)
                    if run.arrived_s is not None else None),
        sim_duration_s=round(sim_s, 1), wall_duration_s=round(wall_s, 1), speedup=sc.speedup,
        final_route=run.final_route(), hazards=run.hazards, replan_log=run.replan_log,
        safety_verdicts=run.safety_verdicts, messages=run.messages,
        service_counters=run.service_counters, stops_visited=run.stops_visited,
        arrivals=run.arrivals,
        errors=run.errors, samples=run.samples)


def collect_verdicts(turns: list[TurnRecord],
                     audit: list[tuple[str | None, str, str, str, str]]) -> list[VerdictRecord]:
    """Safety verdicts: the service's audit log rows (turn id, check, outcome, reason, detail)
    when it keeps one, else the reason codes its replies carry (`why` "...safety:<code>")."""
    index = {t.id: i for i, t in enumerate(turns) if t.id}
    out = [VerdictRecord(turn=index.get(tid or ""), check=check, outcome=outcome,
                         reason=reason, detail=detail)
           for tid, check, outcome, reason, detail in audit]
    audited = {v.turn for v in out}
    for i, t in enumerate(turns):
        if i in audited:
            continue
        for word in (t.why or "").replace(";", " ").split():
            if word.startswith("safety:"):
                out.append(VerdictRecord(turn=i, check="review", outcome="rejected",
                                         reason=word.removeprefix("safety:"),
                                         detail="from the reply's reason code"))
    return out
