"""Writing a run's report: report.json (from the pydantic model) and report.html."""

from __future__ import annotations

import logging
from pathlib import Path

from copilot.sim.html import render_html
from copilot.sim.mapdata import MapData
from copilot.sim.record import Report

log = logging.getLogger(__name__)


def write_report(report: Report, data: MapData, directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    j, h = directory / "report.json", directory / "report.html"
    j.write_text(report.to_json(), encoding="utf-8")
    h.write_text(render_html(report, data), encoding="utf-8")
    log.info("report: %s (%d bytes), %s (%d bytes)", j, j.stat().st_size, h, h.stat().st_size)
    return j, h
