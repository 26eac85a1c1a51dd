"""The vehicle state as the copilot reads it: a snapshot of VSS signals in SI-ish units.

`VehicleSnapshot.from_vss` turns a `{VSS path: value}` mapping (the `ask` turn's `state`, or
the live signal store) into typed fields. Unknown or missing signals are None, never guessed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

LAT = "Vehicle.CurrentLocation.Latitude"
LON = "Vehicle.CurrentLocation.Longitude"
HEADING = "Vehicle.CurrentLocation.Heading"
SPEED = "Vehicle.Speed"
RANGE = "Vehicle.Powertrain.Range"
FUEL_LEVEL = "Vehicle.Powertrain.FuelSystem.RelativeLevel"
SOC = "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"
IS_MOVING = "Vehicle.IsMoving"
GEAR = "Vehicle.Powertrain.Transmission.SelectedGear"
EV_RANGE = "Vehicle.Powertrain.TractionBattery.Range"
FUEL_RANGE = "Vehicle.Powertrain.FuelSystem.Range"

PARK_GEARS = frozenset({"P", "PARK", 126})
"""VSS SelectedGear: 126 is park (127 drive, -1 reverse, 0 neutral); strings accepted too."""


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    f = float(v)
    return f if math.isfinite(f) else None


@dataclass(frozen=True, slots=True)
class VehicleSnapshot:
    """Typed view of the vehicle at one instant. None means unknown (missing or stale)."""

    lat: float | None = None
    lon: float | None = None
    heading_deg: float | None = None
    speed_kph: float | None = None
    range_m: float | None = None
    fuel_percent: float | None = None
    soc_percent: float | None = None
    gear: str | int | None = None
    is_moving: bool | None = None

    @classmethod
    def from_vss(cls, state: Mapping[str, Any]) -> VehicleSnapshot:
        gear = state.get(GEAR)
        moving = state.get(IS_MOVING)
        rng = _num(state.get(RANGE))
        if rng is None:  # the powertrain-specific ranges stand in for the total
            ranges = [r for r in (_num(state.get(EV_RANGE)), _num(state.get(FUEL_RANGE))) if r]
            rng = sum(ranges) if ranges else None
        return cls(
            lat=_num(state.get(LAT)),
            lon=_num(state.get(LON)),
            heading_deg=_num(state.get(HEADING)),
            speed_kph=_num(state.get(SPEED)),
            range_m=rng,
            fuel_percent=_num(state.get(FUEL_LEVEL)),
            soc_percent=_num(state.get(SOC)),
            gear=gear if isinstance(gear, str | int) and not isinstance(gear, bool) else None,
            is_moving=moving if isinstance(moving, bool) else None,
        )

    @property
    def position(self) -> tuple[float, float] | None:
        if self.lat is None or self.lon is None:
            return None
        return (self.lat, self.lon)

    @property
    def moving(self) -> bool:
        """Moving for the distraction policy: speed > 0, IsMoving, or a gear other than park.

        Unknown counts as moving: the strict reading is the safe one.
        """
        if self.is_moving:
            return True
        if self.speed_kph is not None and self.speed_kph > 0.0:
            return True
        if self.gear is not None:
            g = self.gear.upper() if isinstance(self.gear, str) else self.gear
            return g not in PARK_GEARS
        return self.speed_kph is None and self.is_moving is None
