"""The on-board side of cloud planning: candidates from the place index, routes from the router.

The cloud only ever picks among ids the car offered; this module supplies the offer (public map
places of each requested category between the car and the destination) and turns the chosen
order back into a route on the device's own router, so every place and every leg of a cloud
plan comes from the on-board map. Works with `routing.pack.RegionPack` or anything shaped like
it (`.places.near(...)`, `.router.route(...)`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from copilot.hybrid.problem import MAX_CANDIDATES_PER_SLOT
from routing.messages import Category, Place, Route, RoutedPlace
from routing.router import Keep
from routing.trip import honoured

log = logging.getLogger(__name__)

CandidateSource = Callable[[Category, tuple[float, float], Place], Sequence[Place]]
"""(category, car position, destination) -> on-board map places worth offering."""
Replanner = Callable[[Sequence[Place], Place, tuple[float, float], datetime, Sequence[Keep]],
                     Route | None]
"""(stops in order, destination, car, departure, what to keep out of) -> the route."""
"""(stops in visiting order, destination, car position, departure) -> a route, or None."""

DEFAULT_DWELL_S = 300.0
"""Time at each errand stop; matches the profile default (routing.profile stop_dwell_min)."""
MAX_OFFERED = MAX_CANDIDATES_PER_SLOT - 1
"""Alternatives per category besides the device's own pick."""


class _Places(Protocol):
    def near(self, category: Category, lat: float, lon: float, radius_m: float = ...,
             limit: int = ...) -> list[Any]: ...

    def get_map_place(self, osm_type: str, osm_id: int) -> Any: ...

    def categories_of(self, osm_type: str, osm_id: int) -> set[Category]: ...


class _Router(Protocol):
    def route(self, points: Sequence[tuple[float, float]]) -> Any: ...


def _m(a: tuple[float, float], b: tuple[float, float]) -> float:
    dlat = (b[0] - a[0]) * 111_000.0
    dlon = (b[1] - a[1]) * 111_000.0 * math.cos(math.radians((a[0] + b[0]) / 2))
    return math.hypot(dlat, dlon)


def _avoided(m: Any, avoid: Sequence[str]) -> bool:
    words = f"{getattr(m, 'brand', None) or ''} {getattr(m, 'place', m).name or ''}".casefold()
    return any(b.casefold() in words for b in avoid if b.strip())


def places_candidates(
    places: _Places, limit: int = MAX_OFFERED, avoid_brands: Sequence[str] = ()
) -> CandidateSource:
    """Offer the places with the smallest straight-line detour between car and destination."""

    def source(category: Category, car: tuple[float, float], dest: Place) -> Sequence[Place]:
        d = (dest.lat, dest.lon)
        mid = ((car[0] + d[0]) / 2, (car[1] + d[1]) / 2)
        radius = min(20_000.0, _m(car, d) / 2 + 3_000.0)
        found = places.near(category, mid[0], mid[1], radius_m=radius, limit=50)
        found_places: list[Place] = [
            getattr(m, "place", m) for m in found if not _avoided(m, avoid_brands)
        ]
        direct = _m(car, d)
        found_places.sort(key=lambda p: _m(car, (p.lat, p.lon)) + _m((p.lat, p.lon), d) - direct)
        return found_places[:limit]

    return source


def router_replanner(router: _Router, dwell_s: float = DEFAULT_DWELL_S) -> Replanner:
    """Route car -> stops -> destination in the given order; ETAs add `dwell_s` per stop.

    `avoid` is what the device's own route kept out of (hazard areas, the driver's road
    preferences): the cloud chooses places and order, never the roads, so its plan keeps the
    same preferences and the route says which it honours."""

    def replan(
        stops: Sequence[Place], dest: Place, car: tuple[float, float], depart: datetime,
        avoid: Sequence[Keep] = (),
    ) -> Route | None:
        points = [car, *((p.lat, p.lon) for p in stops), (dest.lat, dest.lon)]
        try:
            rr = router.route(points, tuple(avoid))
        except Exception as e:  # the router's own errors (outside map, unreachable)
            log.info("on-board re-route of the cloud plan failed: %s", e)
            return None
        legs = list(rr.legs)
        if len(legs) != len(stops) + 1:
            log.info("router returned %d legs for %d stops", len(legs), len(stops))
            return None
        t = depart
        routed: list[RoutedPlace] = []
        for place, leg in zip(stops, legs, strict=False):
            t += timedelta(seconds=leg.duration_s)
            routed.append(RoutedPlace(**place.model_dump(), eta=t))
            t += timedelta(seconds=dwell_s)
        t += timedelta(seconds=legs[-1].duration_s)
        return Route(
            stops=tuple(routed),
            destination=RoutedPlace(**dest.model_dump(), eta=t),
            distance_m=float(rr.distance_m),
            duration_s=float(rr.duration_s),
            geometry=tuple((float(a), float(b)) for a, b in rr.geometry),
            avoid=honoured(tuple(avoid), rr)[0],
        )

    return replan


def opening_at_arrival(places: _Places, route: Route) -> dict[tuple[str, int] | str, bool]:
    """(osm_type, osm_id) -> open at the stop's ETA, for the places whose hours are known."""
    from routing.opening import open_state  # routing's parser of the OSM opening_hours syntax

    out: dict[tuple[str, int] | str, bool] = {}
    for p in (*route.stops, route.destination):
        if p.osm_type is None or p.osm_id is None:
            continue
        m = places.get_map_place(p.osm_type, p.osm_id)
        state = open_state(getattr(m, "opening_hours", None), p.eta) if m is not None else None
        if state is not None:
            out[(p.osm_type, p.osm_id)] = state
    return out


def known_as_offered(
    known: Callable[[str, int], Place | None], places: _Places, route: Route
) -> Callable[[str, int], Place | None]:
    """The map lookup, answering with the category a route stop was offered under when the
    index holds that category for the place (one place can be a burger bar and fast food)."""
    offered: dict[tuple[str, int], Category] = {
        (p.osm_type, p.osm_id): p.category for p in route.stops
        if p.osm_type is not None and p.osm_id is not None and p.category is not None}

    def lookup(osm_type: str, osm_id: int) -> Place | None:
        place = known(osm_type, osm_id)
        want = offered.get((osm_type, osm_id))
        if place is not None and want is not None and want != place.category \
                and want in places.categories_of(osm_type, osm_id):
            return place.model_copy(update={"category": want})
        return place

    return lookup
