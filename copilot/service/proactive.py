"""Proactive turns: the copilot speaks up when the trip in progress is in trouble.

Three causes, each said at most once per trip: the range left is below what the route still
needs plus a reserve; a hazard lies on the rest of the route; a stop will be closed on
arrival. Replies are brief and only suggest (a `show_places` at most): the driver decides.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from routing.messages import (
    Action,
    Category,
    Place,
    Route,
    RoutedPlace,
    ShowPlaces,
    StopRequest,
    Understanding,
)
from sensors.messages import HazardEvent
from sensors.state import VehicleSnapshot
from sensors.trace import haversine_m

log = logging.getLogger(__name__)

RESERVE_M = 15_000.0
"""Range to keep in hand at the destination, at least..."""
RESERVE_SHARE = 0.10
"""...or this share of the distance still to drive, whichever is more."""
REFUEL_RESERVE_M = 3_000.0
"""Reserve when the trip already has a fuel/charging stop: enough to reach it with a margin."""
SEARCH_RADIUS_M = 15_000.0
MAX_OFF_ROUTE_M = 1_500.0
"""A station further than this from the route is not 'on the way'."""
HAZARD_MARGIN_M = 30.0
AT_STOP_M = 150.0
"""A planned fuel stop this far behind the car still counts: the car is at the pumps (a
station's map point can project behind where the car stands), filling up, not past it."""
MIN_SPEED_KPH = 30.0
"""For 'N minutes ahead' while crawling or stopped."""

PlaceFinder = Callable[[Category, float, float, float], Sequence[Place]]
"""(category, lat, lon, radius_m) -> places, nearest first (e.g. the pack's PlaceIndex.near)."""
OpenCheck = Callable[[Place, datetime], bool | None]
"""Whether a map place is open at a time; None when its hours are unknown."""


@dataclass(frozen=True, slots=True)
class ProactiveTurn:
    cause: str
    reply: str
    understanding: Understanding
    actions: tuple[Action, ...] = ()


def _xy(origin: tuple[float, float], p: tuple[float, float]) -> tuple[float, float]:
    k = math.cos(math.radians(origin[0]))
    return (p[1] - origin[1]) * 111_320.0 * k, (p[0] - origin[0]) * 110_540.0


def _segment_distance_m(p: tuple[float, float], a: tuple[float, float],
                        b: tuple[float, float]) -> tuple[float, float]:
    """(distance from p to segment ab, fraction along ab of the closest point), in metres."""
    ax, ay = _xy(p, a)
    bx, by = _xy(p, b)
    dx, dy = bx - ax, by - ay
    seg2 = dx * dx + dy * dy
    f = 0.0 if seg2 == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / seg2))
    return math.hypot(ax + f * dx, ay + f * dy), f


class RouteProgress:
    """Where a point lies along a route's geometry: distance from its start, and off it."""

    def __init__(self, geometry: Sequence[tuple[float, float]]) -> None:
        self.points = list(geometry)
        self.cum_m = [0.0]
        for a, b in zip(self.points, self.points[1:], strict=False):
            self.cum_m.append(self.cum_m[-1] + haversine_m(a, b))
        self.length_m = self.cum_m[-1]

    def locate(self, p: tuple[float, float], from_m: float = 0.0) -> tuple[float, float]:
        """(along_m, off_m) of the closest point of the route at or after from_m."""
        best = (math.inf, 0.0)
        for i in range(len(self.points) - 1):
            if self.cum_m[i + 1] < from_m:
                continue
            off, f = _segment_distance_m(p, self.points[i], self.points[i + 1])
            if off < best[0]:
                best = (off, self.cum_m[i] + f * (self.cum_m[i + 1] - self.cum_m[i]))
        return best[1], best[0]


def _name(p: Place) -> str:
    return p.name or p.saved or (p.category.value.replace("_", " ") if p.category else "a place")


class ProactiveMonitor:
    """Decides, from the live state and the trip, what (if anything) to say unprompted."""

    def __init__(self, find_places: PlaceFinder | None = None, open_at: OpenCheck | None = None,
                 *, reserve_m: float = RESERVE_M, speak_aloud: bool = False) -> None:
        self.find_places = find_places
        self.open_at = open_at
        self.reserve_m = reserve_m
        self.speak_aloud = speak_aloud
        self._said: set[str] = set()

    def check(self, car: VehicleSnapshot, trip: Route | None, hazards: Sequence[HazardEvent],
              now: datetime) -> list[ProactiveTurn]:
        if trip is None:
            return []
        trip_key = f"{trip.destination.lat:.5f},{trip.destination.lon:.5f}"
        progress = RouteProgress(trip.geometry) if len(trip.geometry) >= 2 else None
        here_m = 0.0
        if progress is not None and car.position is not None:
            here_m = progress.locate(car.position)[0]
        out: list[ProactiveTurn] = []
        for turn in (self._range(car, trip, progress, here_m),
                     *self._hazards(hazards, progress, here_m),
                     *self._closed(trip, now)):
            if turn is None:
                continue
            key = f"{trip_key}|{turn.cause}"
            if key in self._said:
                continue
            self._said.add(key)
            log.info("proactive: %s", turn.cause)
            out.append(turn)
        return out

    # causes -------------------------------------------------------------------------------
    def _remaining_m(self, car: VehicleSnapshot, trip: Route, progress: RouteProgress | None,
                     here_m: float) -> float | None:
        if progress is not None:
            return max(0.0, progress.length_m - here_m)
        if car.position is None:
            return None
        pts = [car.position, *((s.lat, s.lon) for s in trip.stops),
               (trip.destination.lat, trip.destination.lon)]
        # no geometry: straight lines, stretched by a typical road detour factor
        return 1.3 * sum(haversine_m(a, b) for a, b in itertools.pairwise(pts))

    def _range(self, car: VehicleSnapshot, trip: Route, progress: RouteProgress | None,
               here_m: float) -> ProactiveTurn | None:
        need = self._remaining_m(car, trip, progress, here_m)
        if car.range_m is None or need is None:
            return None
        electric = car.soc_percent is not None and car.fuel_percent is None
        cat = Category.EV_CHARGING if electric else Category.FUEL
        reserve = max(self.reserve_m, RESERVE_SHARE * need)
        to_refuel = self._refuel_stop_ahead(trip, cat, progress, here_m)
        if to_refuel is not None and to_refuel <= AT_STOP_M:
            return None  # at the pumps of the planned stop: filling up
        if to_refuel is not None:  # the plan already refuels: only reaching that stop matters
            need, reserve = to_refuel, REFUEL_RESERVE_M
        if car.range_m >= need + reserve:
            return None
        what = "Charge" if electric else "Fuel"
        u = Understanding(text="", intent="find_place", stops=(StopRequest(category=cat),),
                          confidence=1.0, source="rules")
        found = self._station_ahead(cat, car, progress, here_m)
        if found is None:
            kind = "charger" if electric else "gas station"
            return ProactiveTurn("low_range", f"{what} is low for this trip. Find a {kind}?", u)
        place, ahead_m = found
        speed = max(car.speed_kph or 0.0, MIN_SPEED_KPH)
        minutes = max(1, round(ahead_m / (speed / 3.6) / 60.0))
        unit = "minute" if minutes == 1 else "minutes"
        return ProactiveTurn("low_range",
                             f"{what} is low: {_name(place)} is {minutes} {unit} ahead. Add it?",
                             u, (ShowPlaces(places=(place,)),))

    def _refuel_stop_ahead(self, trip: Route, cat: Category, progress: RouteProgress | None,
                           here_m: float) -> float | None:
        """Distance along the route to the trip's next fuel (or charging) stop, if any."""
        if progress is None:
            return None
        for stop in trip.stops:
            if stop.category != cat:
                continue
            at_m, off_m = progress.locate((stop.lat, stop.lon), max(0.0, here_m - AT_STOP_M))
            if off_m <= MAX_OFF_ROUTE_M and at_m >= here_m - AT_STOP_M:
                return max(0.0, at_m - here_m) + off_m
        return None

    def _station_ahead(self, cat: Category, car: VehicleSnapshot, progress: RouteProgress | None,
                       here_m: float) -> tuple[Place, float] | None:
        if self.find_places is None or car.position is None:
            return None
        try:
            places = list(self.find_places(cat, car.position[0], car.position[1],
                                           SEARCH_RADIUS_M))
        except Exception:
            log.exception("place search failed")
            return None
        best: tuple[Place, float] | None = None
        for p in places:
            if progress is None:
                along = haversine_m(car.position, (p.lat, p.lon))
            else:
                at_m, off_m = progress.locate((p.lat, p.lon), here_m)
                if off_m > MAX_OFF_ROUTE_M:
                    continue
                along = at_m - here_m + off_m
            if best is None or along < best[1]:
                best = (p, along)
        return best

    def _hazards(self, hazards: Sequence[HazardEvent], progress: RouteProgress | None,
                 here_m: float) -> list[ProactiveTurn]:
        if progress is None:
            return []
        out = []
        for h in hazards:
            _, off = progress.locate((h.lat, h.lon), here_m)
            if off > h.radius_m + HAZARD_MARGIN_M:
                continue
            what = h.kind.replace("_", " ").capitalize()
            u = Understanding(text="", intent="navigate", confidence=1.0, source="rules")
            out.append(ProactiveTurn(f"hazard:{h.kind}:{h.lat:.4f},{h.lon:.4f}",
                                     f"{what} ahead on your route. Find a way around it?", u))
        return out

    def _closed(self, trip: Route, now: datetime) -> list[ProactiveTurn]:
        if self.open_at is None:
            return []
        out = []
        stops: list[RoutedPlace] = [*trip.stops, trip.destination]
        for s in stops:
            if s.osm_id is None or s.eta < now:
                continue
            try:
                is_open = self.open_at(s, s.eta)
            except Exception:
                log.exception("opening-hours check failed for %s", _name(s))
                continue
            if is_open is not False:
                continue
            cat = s.category.value.replace("_", " ") if s.category else "place"
            u = Understanding(text="", intent="find_place", confidence=1.0, source="rules",
                              stops=(StopRequest(category=s.category),) if s.category else ())
            out.append(ProactiveTurn(f"closed:{s.osm_type}:{s.osm_id}",
                                     f"{_name(s)} will be closed when you get there. "
                                     f"Find another {cat}?", u))
        return out
