"""Small spherical geometry for the validators: distances and hazard discs (WGS84 degrees)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG); haversine error stays below 0.5 %, plenty for these checks."""
M_PER_DEG_LAT = 111_195.0


def finite(*values: float) -> bool:
    return all(math.isfinite(v) for v in values)


def position(lat: float | None, lon: float | None) -> tuple[float, float] | None:
    """(lat, lon) if both are known, finite and on the planet; None otherwise (sensor fault)."""
    if lat is None or lon is None or not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return None  # NaN fails the comparisons too
    return (lat, lon)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def in_bbox(
    lat: float, lon: float, bbox: tuple[float, float, float, float], margin_deg: float = 0.0
) -> bool:
    min_lat, min_lon, max_lat, max_lon = bbox
    return (min_lat - margin_deg <= lat <= max_lat + margin_deg
            and min_lon - margin_deg <= lon <= max_lon + margin_deg)


def first_point_in_disc(
    points: Iterable[tuple[float, float]], lat: float, lon: float, radius_m: float
) -> tuple[float, float] | None:
    """The first point within radius_m of (lat, lon), or None; a cheap box test goes first."""
    dlat = radius_m / M_PER_DEG_LAT
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    for p in points:
        if (abs(p[0] - lat) <= dlat and abs(p[1] - lon) <= dlon
                and haversine_m(p[0], p[1], lat, lon) <= radius_m):
            return p
    return None


def path_length_m(points: list[tuple[float, float]]) -> float:
    """Great-circle length of a polyline: a lower bound on any road distance along it."""
    return sum(haversine_m(a[0], a[1], b[0], b[1]) for a, b in itertools.pairwise(points))
