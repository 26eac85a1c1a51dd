"""The VSS signal table: unit, plausible range, maximum rate of change and expected rate.

Freshness is derived from the expected rate: a value older than `stale_after_s` (a few
missed updates) reads as unknown, never as true.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sensors import state as s

STALE_PERIODS = 5.0
"""A signal is stale after this many expected periods without an update..."""
MIN_STALE_S = 1.0
"""...but never sooner than this (network jitter on a 10 Hz signal)."""

GEAR_NAMES = frozenset({"P", "R", "N", "D", "PARK", "REVERSE", "NEUTRAL", "DRIVE", "S", "L"})
"""String gears accepted besides VSS integers (-1 reverse, 0 neutral, 126 park, 127 drive)."""


class Kind(StrEnum):
    NUMBER = "number"
    BOOL = "bool"
    GEAR = "gear"


@dataclass(frozen=True, slots=True)
class Signal:
    path: str
    unit: str
    kind: Kind = Kind.NUMBER
    min_value: float | None = None
    max_value: float | None = None
    max_rate_per_s: float | None = None
    """Largest plausible |change| per second; None when the value may jump (bools, gears)."""
    expected_hz: float = 1.0
    wraps_at: float | None = None
    """Angles: a change is measured the short way round (359 -> 1 is 2 degrees)."""

    @property
    def stale_after_s(self) -> float:
        return max(MIN_STALE_S, STALE_PERIODS / self.expected_hz)


SIGNALS: dict[str, Signal] = {
    sig.path: sig
    for sig in (
        # 0.02 deg/s is ~2 km/s of latitude: far beyond any car, tight enough to catch GPS jumps.
        Signal(s.LAT, "deg", min_value=-90, max_value=90, max_rate_per_s=0.02, expected_hz=10),
        Signal(s.LON, "deg", min_value=-180, max_value=180, max_rate_per_s=0.05, expected_hz=10),
        Signal(s.HEADING, "deg", min_value=0, max_value=360, max_rate_per_s=720,
               expected_hz=10, wraps_at=360),
        # 60 km/h per second (16.7 m/s^2, ~1.7 g): a real car brakes at most ~10 m/s^2
        # (36 km/h per second; ABS on dry asphalt), so an emergency stop passes with margin
        # for sample jitter, while a 0 -> 100 km/h step between two 10 Hz samples does not.
        Signal(s.SPEED, "km/h", min_value=-60, max_value=400, max_rate_per_s=60, expected_hz=10),
        # Ranges and levels rise fast only while refuelling or charging.
        Signal(s.RANGE, "m", min_value=0, max_value=3_000_000, max_rate_per_s=20_000,
               expected_hz=1),
        Signal(s.FUEL_LEVEL, "percent", min_value=0, max_value=100, max_rate_per_s=5,
               expected_hz=1),
        Signal(s.SOC, "percent", min_value=0, max_value=100, max_rate_per_s=2, expected_hz=1),
        Signal(s.EV_RANGE, "m", min_value=0, max_value=3_000_000, max_rate_per_s=20_000,
               expected_hz=1),
        Signal(s.FUEL_RANGE, "m", min_value=0, max_value=3_000_000, max_rate_per_s=20_000,
               expected_hz=1),
        Signal(s.IS_MOVING, "", kind=Kind.BOOL, expected_hz=1),
        Signal(s.GEAR, "", kind=Kind.GEAR, min_value=-1, max_value=127, expected_hz=1),
    )
}
