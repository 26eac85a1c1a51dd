"""A benchmark part that could not run (its model or service missing, or it raised).

Raised by the benchmark modules instead of printing "unavailable" and carrying on: `copilot
bench` reports it as "FAILED <command>/<part>: <reason>" after what was measured before it,
and exits 1, so a benchmark run never looks complete when part of it did not happen.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class PartFailed(RuntimeError):
    """`part` of a benchmark could not run, for `reason`; `measured` is the report so far."""

    def __init__(self, part: str, reason: str, measured: str = "") -> None:
        super().__init__(f"{part}: {reason}")
        self.part = part
        self.reason = reason
        self.measured = measured
