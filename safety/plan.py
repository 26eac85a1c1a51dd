"""Plan validation: a proposed route or place list against the map and the live state.

Checks, in order: at most 8 stops; every place known (safety/places.py); distance and
duration physically plausible and, when the caller re-routed on the device, within a
tolerance of that duration; ETAs consistent with now and each other; the arrive-by time
holds; the range (with reserve) reaches the destination or a refuelling stop; the path
avoids active hazards; the destination is what was asked.
"""

from __future__ import annotations

import itertools
import logging
import math
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import cast

from routing.messages import (
    MAX_STOPS,
    Category,
    CategoryRef,
    Intent,
    NameRef,
    Place,
    Route,
    RoutedPlace,
    SavedRef,
    Understanding,
)
from safety.codes import Reason
from safety.gate import TurnContext, Verdict
from safety.geo import first_point_in_disc, haversine_m, in_bbox, path_length_m, position
from safety.places import REGION_MARGIN_DEG, PlaceFindings, categories_match, check_place

log = logging.getLogger(__name__)

MAX_AVG_SPEED_MPS = 200 / 3.6
"""No road trip averages more than 200 km/h (autobahn top speeds, not averages)."""
MIN_AVG_SPEED_MPS = 1.0
"""Slower than walking pace on average over a route longer than 1 km is not a car route."""
STRAIGHT_LINE_SLACK = 0.98
SNAP_SLACK_M = 150.0
"""Routers snap each end of a leg to the road (a car park, an entry point): per point, the
road may be this much shorter than the straight line between the raw coordinates."""
"""A road distance may not be shorter than the straight line (2 % for rounding/centroids)."""
DURATION_TOL_S = 120.0
DURATION_TOL_REL = 0.25
"""Proposal vs device re-route: within max(2 min, 25 %) (traffic models differ)."""
ETA_SLACK = timedelta(seconds=60)
MAX_GEOMETRY_POINTS = 50_000
"""A polyline longer than this is not drawn or checked (bounded work; ~1 point per 10 m of a
500 km trip)."""
GEOMETRY_END_M = 500.0
"""The drawn route must end within this of the destination (road snapping, entrances)."""
MAX_RANGE_M = 3_000_000.0
"""No production vehicle reports more than 3,000 km of range: above it the sensor is wrong."""
REFUEL_DETOUR = 1.4
"""Road distance vs straight line to the refuelling stop (typical urban detour factor)."""
SAME_PLACE_M = 50.0

_WORD_RE = re.compile(r"[^\W_]+")


def _words(text: str) -> set[str]:
    return set(_WORD_RE.findall(text.casefold()))


def _tol(reference_s: float) -> float:
    return max(DURATION_TOL_S, DURATION_TOL_REL * reference_s)


def _same_place(a: Place, b: Place) -> bool:
    if a.osm_id is not None and a.osm_type is not None:
        return (a.osm_type, a.osm_id) == (b.osm_type, b.osm_id)
    if a.saved is not None:
        return a.saved == b.saved
    return haversine_m(a.lat, a.lon, b.lat, b.lon) <= SAME_PLACE_M


def destination_matches(dest: Place, u: Understanding, trip: Route | None) -> bool:
    """Is the route's destination the one the driver asked for (or the trip's, for stops)?"""
    asked = u.destination
    if u.intent in (Intent.ADD_STOP, Intent.REMOVE_STOP) and trip is not None and asked is None:
        return _same_place(trip.destination, dest)
    if isinstance(asked, CategoryRef):
        return dest.category is not None and categories_match(asked.category, dest.category)
    if isinstance(asked, SavedRef):
        return dest.saved is not None and dest.saved.casefold() == asked.saved.casefold()
    if isinstance(asked, NameRef):
        want, got = _words(asked.name), _words(dest.name or "")
        return bool(want) and len(want & got) * 2 >= len(want)
    return True  # nothing specific was asked (stops only): any checked place will do


def _rejected(reason: Reason, detail: str) -> Verdict:
    """A rejection of the route as a whole (one item)."""
    return Verdict("plan", "rejected", reason, detail[:200], 1)


def _aware_pair(a: datetime, b: datetime) -> bool:
    return (a.tzinfo is None) == (b.tzinfo is None)


def deadline(u: Understanding, ctx: TurnContext) -> datetime | None:
    """Latest arrival: the caller's, else the earliest of the asked arrive-by / flight time.

    A flight time is a hard bound on its own (arriving after departure is never right); the
    caller's `arrive_by` normally adds the airport buffer. An HH:MM earlier than now means
    tomorrow.
    """
    if ctx.arrive_by is not None:
        return ctx.arrive_by
    times = []
    for hhmm in (u.arrive_by, u.flight_time):
        if hhmm is not None:
            at = ctx.now.replace(hour=int(hhmm[:2]), minute=int(hhmm[3:]), second=0,
                                 microsecond=0)
            times.append(at if at >= ctx.now else at + timedelta(days=1))
    return min(times, default=None)


def _check_times(route: Route, ctx: TurnContext, v: list[Verdict],
                 limit: datetime | None = None) -> None:
    points = (*route.stops, route.destination)
    etas = [p.eta for p in points]
    if not all(_aware_pair(e, ctx.now) for e in etas):
        v.append(_rejected(Reason.ROUTE_ETA_INCONSISTENT, "eta without offset"))
        return
    if any(b < a for a, b in itertools.pairwise(etas)) or etas[0] < ctx.now - ETA_SLACK:
        v.append(_rejected(Reason.ROUTE_ETA_INCONSISTENT, "etas out of order"))
        return
    earliest = ctx.now + timedelta(seconds=route.duration_s - _tol(route.duration_s))
    if etas[-1] < earliest:
        v.append(_rejected(Reason.ROUTE_ETA_INCONSISTENT,
                         f"arrives before the route could ({etas[-1].isoformat()})"))
        return
    if limit is not None and _aware_pair(limit, ctx.now) and etas[-1] > limit:
        v.append(_rejected(Reason.ARRIVE_BY_MISSED,
                         f"eta {etas[-1]:%H:%M} after {limit:%H:%M}"))


def _check_motion(route: Route, ctx: TurnContext, v: list[Verdict]) -> None:
    d, t = route.distance_m, route.duration_s
    pts = [(p.lat, p.lon) for p in (*route.stops, route.destination)]
    here = position(ctx.vehicle.lat, ctx.vehicle.lon)
    crow = path_length_m([here, *pts] if here is not None else pts)
    floor_m = crow * STRAIGHT_LINE_SLACK - SNAP_SLACK_M * (len(pts) + (here is not None))
    if not (math.isfinite(d) and math.isfinite(t)) or d < floor_m:
        v.append(_rejected(Reason.ROUTE_IMPLAUSIBLE,
                         f"{d:.0f} m road vs {crow:.0f} m straight line"))
        return
    if d > 1000.0 and not MIN_AVG_SPEED_MPS <= d / max(t, 1e-9) <= MAX_AVG_SPEED_MPS:
        v.append(_rejected(Reason.ROUTE_IMPLAUSIBLE,
                         f"average {3.6 * d / max(t, 1e-9):.0f} km/h"))
        return
    r = ctx.reroute_duration_s
    if r is not None and abs(t - r) > _tol(r):
        v.append(_rejected(Reason.ROUTE_DURATION_MISMATCH,
                         f"{t:.0f} s proposed vs {r:.0f} s on device"))


def _refuel_categories(ctx: TurnContext) -> frozenset[Category]:
    veh = ctx.vehicle
    if veh.soc_percent is not None and veh.fuel_percent is None:
        return frozenset({Category.EV_CHARGING})
    if veh.fuel_percent is not None and veh.soc_percent is None:
        return frozenset({Category.FUEL})
    return frozenset({Category.FUEL, Category.EV_CHARGING})


def _check_range(route: Route, ctx: TurnContext, v: list[Verdict]) -> None:
    rng = ctx.vehicle.range_m
    if rng is None or not 0.0 <= rng <= MAX_RANGE_M:
        v.append(Verdict("plan", "pass", Reason.RANGE_UNCHECKED, f"range {rng!r} unusable"))
        return
    refuel = _refuel_categories(ctx)
    points = (*route.stops, route.destination)
    stop = next((p for p in points if p.category in refuel), None)
    here = position(ctx.vehicle.lat, ctx.vehicle.lon)
    if stop is not None and here is not None:
        need = REFUEL_DETOUR * haversine_m(here[0], here[1], stop.lat, stop.lon)
        ok, what = need <= rng, f"{need:.0f} m to {stop.category} with {rng:.0f} m left"
    else:
        need = route.distance_m + ctx.range_reserve_m
        ok, what = need <= rng, f"{route.distance_m:.0f} m + reserve with {rng:.0f} m left"
    if not ok:
        v.append(_rejected(Reason.RANGE_INSUFFICIENT, what))


def _check_geometry(route: Route, ctx: TurnContext, v: list[Verdict]) -> None:
    """The drawn line stays on the map and ends at the destination (what the driver sees)."""
    geo = route.geometry
    if len(geo) > MAX_GEOMETRY_POINTS:
        v.append(_rejected(Reason.ROUTE_IMPLAUSIBLE, f"{len(geo)} geometry points"))
        return
    outside = next((p for p in geo if not in_bbox(p[0], p[1], ctx.region_bbox,
                                                  REGION_MARGIN_DEG)), None)
    if outside is not None:  # NaN fails in_bbox too
        v.append(_rejected(Reason.ROUTE_IMPLAUSIBLE, f"geometry leaves the map at {outside}"))
        return
    dest = route.destination
    if geo and haversine_m(geo[-1][0], geo[-1][1], dest.lat, dest.lon) > GEOMETRY_END_M:
        v.append(_rejected(Reason.ROUTE_IMPLAUSIBLE, "geometry does not end at the destination"))


def _check_hazards(route: Route, ctx: TurnContext, v: list[Verdict]) -> None:
    for hz in ctx.hazards:
        hit = first_point_in_disc(route.geometry, hz.lat, hz.lon, hz.radius_m)
        if hit is not None:
            v.append(_rejected(Reason.ROUTE_THROUGH_HAZARD,
                             f"{hz.kind} at {hit[0]:.5f},{hit[1]:.5f}"))
            return


def validate_route(
    route: Route, u: Understanding, ctx: TurnContext, f: PlaceFindings
) -> Route | None:
    """The route as it may leave (places cleaned), or None; findings collect the verdicts."""
    if len(route.stops) > MAX_STOPS:
        f.reject(Reason.ROUTE_TOO_MANY_STOPS, f"{len(route.stops)} stops")
        return None
    checked = [check_place(p, ctx, f) for p in (*route.stops, route.destination)]
    clean = [p for p in checked if p is not None]
    if len(clean) != len(checked):
        return None
    v = f.verdicts
    before = len(v)
    if not destination_matches(route.destination, u, ctx.trip):
        v.append(_rejected(Reason.DESTINATION_MISMATCH,
                         f"asked {u.destination!r}"[:200]))
        return None
    limit = deadline(u, ctx)
    checks: tuple[Callable[[], None], ...] = (
        lambda: _check_motion(route, ctx, v), lambda: _check_geometry(route, ctx, v),
        lambda: _check_times(route, ctx, v, limit),
        lambda: _check_range(route, ctx, v), lambda: _check_hazards(route, ctx, v))
    for check in checks:
        # In order, stopping at the first rejection: later checks assume finite numbers.
        check()
        if any(x.outcome == "rejected" for x in v[before:]):
            return None
    # check_place copies its input, so these are still RoutedPlaces with their ETAs.
    stops = cast(list[RoutedPlace], clean)
    return route.model_copy(update={"stops": tuple(stops[:-1]), "destination": stops[-1]})
