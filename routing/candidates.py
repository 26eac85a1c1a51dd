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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from routing.categories import brand_matches, place_word
from routing.errors import NoCandidatesError, OutsideMapError, UnreachableError
from routing.messages import Category
from routing.opening import is_open
from routing.places import MapPlace, PlaceIndex
from routing.router import Keep, LatLon, Router

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
    avoid: tuple[Keep, ...],
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


@dataclass(frozen=True)
class Query:
    """One stop's search: a category with the driver's brand wishes and detour limit."""

    category: Category
    avoid_brands: tuple[str, ...] = ()
    max_detour_s: float = 600.0
    keep: int = KEEP
    prefer_name: str | None = None


def _pool(places: PlaceIndex, q: Query, origin: LatLon, dest: LatLon | None) -> list[MapPlace]:
    """The PREFILTER places of the category nearest the origin-destination segment."""
    category = q.category
    word = place_word(category)
    if places.count(category) == 0:
        raise NoCandidatesError(category.value, f"There is no {word} on this map.")
    margin = max(3_000.0, q.max_detour_s / 3600.0 * CORRIDOR_KPH * 1000.0)
    pool = places.in_box(category, _box(origin, dest, margin), limit=2_000)
    if not pool:
        pool = places.all_of(category)
    pool = [p for p in pool if not avoided(p, q.avoid_brands)]
    if q.prefer_name:
        named = [p for p in places.all_of(category) if avoided(p, (q.prefer_name,))]
        named = [p for p in named if not avoided(p, q.avoid_brands)]
        pool = named or pool
    if not pool:
        raise NoCandidatesError(
            category.value, f"Every {word} on this map is a brand you asked to avoid.")

    def straight(p: MapPlace) -> float:
        pt = (p.place.lat, p.place.lon)
        return _flat_m(origin, pt) + (_flat_m(pt, dest) - _flat_m(origin, dest) if dest else 0.0)

    pool.sort(key=straight)
    return pool[:PREFILTER]


def _rank(q: Query, pool: list[MapPlace], to: Sequence[float | None],
          back: Sequence[float | None], direct: float, has_dest: bool,
          depart: datetime) -> list[Candidate]:
    word = place_word(q.category)
    found: list[Candidate] = []
    closed = 0
    for p, t_to, t_back in zip(pool, to, back, strict=True):
        if t_to is None or t_back is None:
            continue
        if not is_open(p.opening_hours, depart + timedelta(seconds=t_to)):
            closed += 1
            continue
        detour = t_to + t_back - direct if has_dest else t_to
        found.append(Candidate(p, max(0.0, detour), t_to, detour <= q.max_detour_s))
    if not found:
        why = f"all {closed} nearby are closed then" if closed else "none can be reached by road"
        raise NoCandidatesError(q.category.value, f"No {word} is usable: {why}.")
    if q.category == Category.AIRPORT:  # a real airport beats a closer airstrip
        found.sort(key=lambda c: (-c.place.rank, c.detour_s))
    else:
        found.sort(key=lambda c: c.detour_s)
    within = [c for c in found if c.within_detour]
    return (within or found)[:q.keep]


def find_many(
    places: PlaceIndex, router: Router, queries: Sequence[Query], origin: LatLon,
    dest: LatLon | None, depart: datetime, avoid: tuple[Keep, ...] = (),
) -> list[list[Candidate]]:
    """Candidates for several stops with one origin row and one destination column in all."""
    pools = [_pool(places, q, origin, dest) for q in queries]
    flat = [p for pool in pools for p in pool]
    try:
        to, back, direct = _detours(router, origin, dest, flat, avoid)
    except (UnreachableError, OutsideMapError):
        # One place on a road island fails the whole matrix: drop places with no road
        # nearby and ask once more (the origin/destination errors then surface as they are).
        snap = getattr(router, "snap", None)
        if snap is None:
            raise
        pools = [[p for p in pool if snap((p.place.lat, p.place.lon)) is not None]
                 for pool in pools]
        flat = [p for pool in pools for p in pool]
        to, back, direct = _detours(router, origin, dest, flat, avoid)
    out: list[list[Candidate]] = []
    i = 0
    for q, pool in zip(queries, pools, strict=True):
        n = len(pool)
        out.append(_rank(q, pool, to[i:i + n], back[i:i + n], direct, dest is not None, depart))
        i += n
    return out


def find_candidates(
    places: PlaceIndex, router: Router, category: Category, origin: LatLon,
    dest: LatLon | None, depart: datetime, *, avoid_brands: tuple[str, ...] = (),
    max_detour_s: float = 600.0, keep: int = KEEP, avoid: tuple[Keep, ...] = (),
    prefer_name: str | None = None,
) -> list[Candidate]:
    """Up to `keep` candidates, smallest detour first. Raises NoCandidatesError with a reason.

    prefer_name ("Five Guys"): when some places of the category carry that name or brand,
    only those are candidates; otherwise the whole category is.
    """
    q = Query(category, avoid_brands, max_detour_s, keep, prefer_name)
    return find_many(places, router, [q], origin, dest, depart, avoid)[0]
