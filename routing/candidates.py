"""Candidate places for a requested stop, ranked by detour time on the road network.

Straight-line distance only pre-filters (the PREFILTER nearest to the origin-destination
segment inside a corridor box); the ranking is the detour in seconds from a Valhalla matrix:
t(origin -> place) + t(place -> destination) - t(origin -> destination), or t(origin -> place)
without a destination. Places closed at the estimated arrival, of an avoided brand, or beyond
the driver's maximum detour (when others are within it) are left out.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from routing.categories import brand_matches
from routing.errors import NoCandidatesError, OutsideMapError, UnreachableError
from routing.messages import Category
from routing.opening import is_open
from routing.places import MapPlace, PlaceIndex
from routing.router import Avoid, LatLon, Router

log = logging.getLogger(__name__)

PREFILTER = 30
KEEP = 10
CORRIDOR_KPH = 50.0
"""Speed that turns the maximum detour (minutes) into a search box margin (km)."""


@dataclass(frozen=True)
class Candidate:
    place: MapPlace
    detour_s: float
    to_s: float
    """Travel time from the origin, seconds."""
    within_detour: bool


def _flat_m(a: LatLon, b: LatLon) -> float:
    k = math.cos(math.radians((a[0] + b[0]) / 2))
    return 111_000.0 * math.hypot(a[0] - b[0], (a[1] - b[1]) * k)


def _box(origin: LatLon, dest: LatLon | None, margin_m: float) -> tuple[float, float, float, float]:
    pts = [origin, dest] if dest else [origin]
    dlat = margin_m / 111_000.0
    dlon = dlat / max(0.05, math.cos(math.radians(origin[0])))
    return (min(p[0] for p in pts) - dlat, min(p[1] for p in pts) - dlon,
            max(p[0] for p in pts) + dlat, max(p[1] for p in pts) + dlon)


def avoided(place: MapPlace, brands: tuple[str, ...]) -> bool:
    return any(brand_matches(b, place.place.name, place.brand) for b in brands)


def _detours(
    router: Router, origin: LatLon, dest: LatLon | None, pool: list[MapPlace],
    avoid: tuple[Avoid, ...],
) -> tuple[tuple[float | None, ...], list[float | None], float]:
    """(origin -> place, place -> destination, origin -> destination) travel times."""
    pts = [(p.place.lat, p.place.lon) for p in pool]
    to = router.matrix([origin], pts, avoid).durations_s[0]
    back: list[float | None] = [0.0] * len(pts)
    direct = 0.0
    if dest is not None:
        m = router.matrix([*pts, origin], [dest], avoid).durations_s
        back = [row[0] for row in m[:-1]]
        direct = m[-1][0] or 0.0
    return to, back, direct


def find_candidates(
    places: PlaceIndex, router: Router, category: Category, origin: LatLon,
    dest: LatLon | None, depart: datetime, *, avoid_brands: tuple[str, ...] = (),
    max_detour_s: float = 600.0, keep: int = KEEP, avoid: tuple[Avoid, ...] = (),
    prefer_name: str | None = None,
) -> list[Candidate]:
    """Up to `keep` candidates, smallest detour first. Raises NoCandidatesError with a reason.

    prefer_name ("Five Guys"): when some places of the category carry that name or brand,
    only those are candidates; otherwise the whole category is.
    """
    total = places.count(category)
    word = category.value.replace("_", " ")
    if total == 0:
        raise NoCandidatesError(category.value, f"There is no {word} on this map.")
    margin = max(3_000.0, max_detour_s / 3600.0 * CORRIDOR_KPH * 1000.0)
    pool = places.in_box(category, _box(origin, dest, margin), limit=2_000)
    if not pool:
        pool = places.all_of(category)
    pool = [p for p in pool if not avoided(p, avoid_brands)]
    if prefer_name:
        named = [p for p in places.all_of(category) if avoided(p, (prefer_name,))]
        named = [p for p in named if not avoided(p, avoid_brands)]
        pool = named or pool
    if not pool:
        raise NoCandidatesError(
            category.value, f"Every {word} on this map is a brand you asked to avoid.")

    def straight(p: MapPlace) -> float:
        pt = (p.place.lat, p.place.lon)
        return _flat_m(origin, pt) + (_flat_m(pt, dest) - _flat_m(origin, dest) if dest else 0.0)

    pool.sort(key=straight)
    pool = pool[:PREFILTER]
    try:
        to, back, direct = _detours(router, origin, dest, pool, avoid)
    except (UnreachableError, OutsideMapError):
        # One place on a road island fails the whole matrix: drop places with no road
        # nearby and ask once more (the origin/destination errors then surface as they are).
        snap = getattr(router, "snap", None)
        if snap is None:
            raise
        pool = [p for p in pool if snap((p.place.lat, p.place.lon)) is not None]
        to, back, direct = _detours(router, origin, dest, pool, avoid)
    found: list[Candidate] = []
    closed = 0
    for p, t_to, t_back in zip(pool, to, back, strict=True):
        if t_to is None or t_back is None:
            continue
        if not is_open(p.opening_hours, depart + timedelta(seconds=t_to)):
            closed += 1
            continue
        detour = t_to + t_back - direct if dest is not None else t_to
        found.append(Candidate(p, max(0.0, detour), t_to, detour <= max_detour_s))
    if not found:
        why = f"all {closed} nearby are closed then" if closed else "none can be reached by road"
        raise NoCandidatesError(category.value, f"No {word} is usable: {why}.")
    if category == Category.AIRPORT:  # a real airport beats a closer airstrip
        found.sort(key=lambda c: (-c.place.rank, c.detour_s))
    else:
        found.sort(key=lambda c: c.detour_s)
    within = [c for c in found if c.within_detour]
    return (within or found)[:keep]
