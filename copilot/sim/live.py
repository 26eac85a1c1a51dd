"""The demo's live display (rich): the conversation as it happens above a progress line with
the simulated clock, speed, range and link."""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from copilot.sim.record import Report

log = logging.getLogger(__name__)


class LiveDisplay:
    def __init__(self) -> None:
        self.console = Console(stderr=False)
        self.bar = Progress(TextColumn("[bold]{task.fields[clock]}"), BarColumn(),
                            TextColumn("{task.fields[status]}"), console=self.console,
                            transient=False)
        self.task = self.bar.add_task("drive", total=1.0, clock="  0:00", status="starting")
        self.link = "good"

    def __enter__(self) -> LiveDisplay:
        self.bar.start()
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.bar.stop()

    def progress(self, kind: str, payload: Any) -> None:
        c = self.bar.console
        if kind == "stage":
            self.bar.update(self.task, status=str(payload))
        elif kind == "say":
            t, text, how = payload
            c.print(f"[dim]{t:5.0f}s[/] [bold cyan]driver[/] ({how}): {text}")
        elif kind == "turn":
            who = "[bold magenta]copilot (on its own)[/]" if payload.proactive else \
                "[bold green]copilot[/]"
            extra = f" [dim]({payload.status}, {payload.served_by})[/]"
            if payload.transcript:             # what the recogniser heard, before the answer
                c.print(f"[dim]{payload.at_s:5.0f}s heard: {payload.transcript}[/]")
            c.print(f"[dim]{payload.at_s:5.0f}s[/] {who}: {payload.reply}{extra}")
        elif kind == "hazard":
            c.print(f"[bold red]hazard[/]: {payload.kind} reported by {', '.join(payload.sources)}")
        elif kind == "link":
            self.link = str(payload)
            c.print(f"[yellow]link[/]: {payload}")
        elif kind == "stop":
            t, label = payload
            c.print(f"[dim]{t:5.0f}s[/] [bold]stopped at {label}[/]")
        elif kind == "arrived":
            c.print(f"[bold]arrived[/] after {payload / 60:.0f} simulated minutes")
        elif kind == "tick":
            st = payload
            m, s = divmod(int(st.t_s), 60)
            self.bar.update(self.task, clock=f"{m:3d}:{s:02d}", completed=st.route_done,
                            status=f"{st.speed_kph:3.0f} km/h · range {st.range_m / 1000:5.1f} km"
                                   f" · link {self.link}")

    def finish(self, report: Report) -> None:
        self.bar.update(self.task, completed=1.0)
        for e in report.expectations:
            mark = "[green]held[/]" if e.held else "[red]FAILED[/]"
            self.bar.console.print(f"{mark} {e.expect}: [dim]{e.detail}[/]")
        verdict = "[bold green]PASSED[/]" if report.passed else "[bold red]FAILED[/]"
        self.bar.console.print(f"{report.scenario}: {verdict}")
