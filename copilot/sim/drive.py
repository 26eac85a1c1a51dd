"""The simulated car: drives the route the copilot set, at the roads' speed limits.

Each route point gets the limit of the nearest road of the map; the car dwells at every stop
as long as the driver's profile says a stop takes (`stop_dwell_min`, the same figure the
copilot plans with), burns range in proportion to distance, and keeps going from
where it is when the route changes (a re-plan starts at the car, so the new line is joined at
its closest point).
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field

from copilot.sim.geo import LatLon, bearing_deg, cumulative_m, haversine_m, point_segment_m
from copilot.sim.mapdata import MapData
from routing.messages import Route, RoutedPlace
from routing.profile import Preferences

log = logging.getLogger(__name__)

CELL_DEG = 0.002
"""Grid cell of the road index (~200 m)."""
MIN_SPEED_FACTOR, MAX_SPEED_FACTOR = 0.3, 1.0
"""The router's duration (junctions, turns, traffic) sets how far below the limits the car
drives on average; the limits keep the shape (slow streets, fast highways)."""
DWELL_S = Preferences().stop_dwell_min * 60.0
"""Simulated time at each stop (order, pay, get back in) when the scenario's profile does not
say: the profile's default `stop_dwell_min`."""
FALLBACK_KPH = 40.0
AT_STOP_M = 100.0
"""A car this close to the stop it last reached is still there (a new route that was planned
before it got there lists that stop again: it is not served twice)."""
FILL_PERCENT_PER_S = 1.2
"""Refuelling pace during the dwell: a pump gives ~40 L/min into a ~55 L tank, ~1.2 % of the
tank a second, so a 2-minute dwell fills even an empty one. Charging is compressed to the same
pace (a real charge takes longer than the dwell). The level then rises the way a real car
reports it while its telematics keep publishing, within the service's rate-of-change limit
(sensors/signals.py, 5 %/s), instead of jumping 70 -> 100 % between two 10 Hz samples."""


def _same_place(a: RoutedPlace, b: RoutedPlace) -> bool:
    if a.osm_id is not None or b.osm_id is not None:
        return (a.osm_type, a.osm_id) == (b.osm_type, b.osm_id)
    if a.saved is not None or b.saved is not None:
        return a.saved == b.saved
    return haversine_m((a.lat, a.lon), (b.lat, b.lon)) <= 1.0


class SpeedIndex:
    """Nearest road segment's speed limit for a point, via a coarse grid."""

    def __init__(self, data: MapData) -> None:
        self.cells: dict[tuple[int, int], list[tuple[LatLon, LatLon, float]]] = {}
        for (_, pts), kph in zip(data.roads, data.road_speeds_kph, strict=True):
            for a, b in itertools.pairwise(pts):
                for cell in {self._cell(a), self._cell(b)}:
                    self.cells.setdefault(cell, []).append((a, b, kph))

    @staticmethod
    def _cell(p: LatLon) -> tuple[int, int]:
        return int(p[0] // CELL_DEG), int(p[1] // CELL_DEG)

    def limit_kph(self, p: LatLon) -> float:
        ci, cj = self._cell(p)
        best, best_d = FALLBACK_KPH, 60.0  # farther than 60 m from any road: fallback
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                for a, b, kph in self.cells.get((ci + di, cj + dj), ()):
                    d = point_segment_m(p, a, b)
                    if d < best_d:
                        best, best_d = kph, d
        return best


@dataclass
class CarState:
    t_s: float
    lat: float
    lon: float
    heading_deg: float
    speed_kph: float
    range_m: float
    level_percent: float
    gear: str
    is_moving: bool
    route_done: float = 0.0
    """Share of the current route driven, 0..1 (for progress displays)."""


@dataclass(frozen=True)
class Arrival:
    """The car reached a place of the route it was following (a stop, or the destination)."""

    t_s: float
    place: RoutedPlace
    destination: bool


@dataclass
class Car:
    lat: float
    lon: float
    range_m: float
    level_percent: float
    speeds: SpeedIndex
    heading_deg: float = 0.0
    dwell_s: float = DWELL_S
    """Time at each stop: the driver's, from the profile (the planner uses the same figure)."""
    travelled_m: float = 0.0
    line: list[LatLon] = field(default_factory=list)
    cum: list[float] = field(default_factory=list)
    seg_kph: list[float] = field(default_factory=list)
    s_m: float = 0.0
    stops: list[tuple[float, str, bool, RoutedPlace]] = field(default_factory=list)
    """(distance along the line, label, refuels, place) of the stops still ahead."""
    destination: RoutedPlace | None = None
    clock_s: float = 0.0
    """Simulated seconds stepped so far (the sum of every step's dt_s)."""
    arrivals: list[Arrival] = field(default_factory=list)
    """Every stop and destination reached, at the simulated second the car got there."""
    dwell_left_s: float = 0.0
    arrived: bool = False
    visited: list[str] = field(default_factory=list)
    filling: bool = False
    """Refuelling (or charging) during the dwell at a fuel stop."""
    speed_kph: float = 0.0
    _range0: float = 0.0
    _level0: float = 0.0

    def __post_init__(self) -> None:
        self._range0, self._level0 = self.range_m, self.level_percent

    @property
    def position(self) -> LatLon:
        return (self.lat, self.lon)

    def follow(self, route: Route) -> None:
        """Drive this route from here on (joined at its point closest to the car)."""
        line = [(float(a), float(b)) for a, b in route.geometry]
        if len(line) < 2:
            log.warning("route without geometry; the car stays where it is")
            return
        i0 = min(range(len(line)), key=lambda i: haversine_m(self.position, line[i]))
        self.line = line
        self.cum = cumulative_m(line)
        limits = [self.speeds.limit_kph(((a[0] + b[0]) / 2, (a[1] + b[1]) / 2))
                  for a, b in itertools.pairwise(line)]
        at_limits_s = sum((self.cum[k + 1] - self.cum[k]) / (v / 3.6)
                          for k, v in enumerate(limits))
        # the route's duration includes the planner's dwell at every stop (the profile's, the
        # car's own), so what is left is the driving the router expects
        driving_s = route.duration_s - self.dwell_s * len(route.stops)
        factor = at_limits_s / driving_s if driving_s > 0 else MAX_SPEED_FACTOR
        factor = min(MAX_SPEED_FACTOR, max(MIN_SPEED_FACTOR, factor))
        self.seg_kph = [v * factor for v in limits]
        self.s_m = self.cum[i0]
        self.stops = []
        j = i0
        here = self._serving()
        for p in route.stops:
            if here is not None and _same_place(p, here):
                continue  # planned before the car got there: it is there now, not again
            label = p.name or p.saved or str(p.category)
            j = min(range(j, len(line)), key=lambda i: haversine_m((p.lat, p.lon), line[i]))
            refuel = p.category in ("fuel", "ev_charging")
            self.stops.append((self.cum[j], label, refuel, p))
        self.destination = route.destination
        self.arrived = False

    def _serving(self) -> RoutedPlace | None:
        """The stop the car is at (dwelling, or not yet driven away from)."""
        if not self.arrivals or self.arrivals[-1].destination:
            return None
        last = self.arrivals[-1].place
        if self.dwell_left_s > 0 or haversine_m(self.position, (last.lat, last.lon)) <= AT_STOP_M:
            return last
        return None

    def _segment(self) -> int:
        lo, hi = 0, len(self.cum) - 1
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self.cum[mid] <= self.s_m:
                lo = mid
            else:
                hi = mid
        return lo

    def step(self, dt_s: float) -> None:
        """Advance dt_s simulated seconds."""
        if not self.line or self.arrived or self.range_m <= 0:
            self.clock_s += dt_s
            self.speed_kph = 0.0
            return
        while dt_s > 1e-9:
            if self.dwell_left_s > 0:
                used = min(dt_s, self.dwell_left_s)
                self.dwell_left_s -= used
                if self.filling:
                    self._fill(used)
                dt_s -= used
                self.clock_s += used
                self.speed_kph = 0.0
                continue
            i = self._segment()
            v_kph = self.seg_kph[min(i, len(self.seg_kph) - 1)]
            v_mps = v_kph / 3.6
            seg_end = self.cum[min(i + 1, len(self.cum) - 1)]
            target = min(seg_end, self.stops[0][0] if self.stops else self.cum[-1])
            need = max(0.0, target - self.s_m)
            t_need = need / v_mps
            move_t = min(dt_s, t_need)
            moved = v_mps * move_t
            self._advance(moved)
            dt_s -= move_t
            self.clock_s += move_t
            self.speed_kph = v_kph
            if self.stops and self.s_m >= self.stops[0][0] - 0.5:
                _, label, refuel, place = self.stops.pop(0)
                self.visited.append(label)
                self.arrivals.append(Arrival(self.clock_s, place, False))
                self.dwell_left_s = self.dwell_s
                self.filling = refuel
            elif self.s_m >= self.cum[-1] - 0.5:
                self.arrived = True
                if self.destination is not None:
                    self.arrivals.append(Arrival(self.clock_s, self.destination, True))
                self.clock_s += dt_s  # parked for the rest of the step
                self.speed_kph = 0.0
                return
            elif move_t <= 1e-9 and need <= 1e-9:
                self.s_m += 1e-3  # step over a zero-length segment

    def _fill(self, dt_s: float) -> None:
        """dt_s of refuelling at the pump's pace; at 100 % the car stops filling."""
        if self._level0 <= 0:
            self.filling = False
            return
        full = self._range0 * 100.0 / self._level0
        self.level_percent = min(100.0, self.level_percent + FILL_PERCENT_PER_S * dt_s)
        self.range_m = full * self.level_percent / 100.0
        if self.level_percent >= 100.0:
            self.refuel()

    def refuel(self) -> None:
        """Fill up (or charge) to 100 % at once; range scales with the level the scenario gave."""
        self.filling = False
        if self._level0 > 0:
            full = self._range0 * 100.0 / self._level0
            self._range0, self._level0 = full, 100.0
            self.range_m, self.level_percent = full, 100.0

    def _advance(self, moved_m: float) -> None:
        self.s_m += moved_m
        self.travelled_m += moved_m
        self.range_m = max(0.0, self.range_m - moved_m)
        self.level_percent = self._level0 * (self.range_m / self._range0 if self._range0 else 0)
        i = self._segment()
        a, b = self.line[i], self.line[min(i + 1, len(self.line) - 1)]
        seg = self.cum[min(i + 1, len(self.cum) - 1)] - self.cum[i]
        f = 0.0 if seg <= 0 else (self.s_m - self.cum[i]) / seg
        self.lat, self.lon = a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])
        if a != b:
            self.heading_deg = bearing_deg(a, b)

    def point_ahead(self, ahead_m: float) -> LatLon:
        """A point on the current route this far ahead (for hazards seen on the road)."""
        if not self.line:
            return self.position
        s = min(self.s_m + ahead_m, self.cum[-1])
        lo = max(0, min(range(len(self.cum)), key=lambda i: abs(self.cum[i] - s)))
        return self.line[lo]

    def state(self, t_s: float) -> CarState:
        moving = self.speed_kph > 0.0
        return CarState(t_s, self.lat, self.lon, self.heading_deg, self.speed_kph, self.range_m,
                        self.level_percent, "D" if (self.line and not self.arrived) else "P",
                        moving, self.s_m / self.cum[-1] if self.cum and self.cum[-1] else 0.0)
