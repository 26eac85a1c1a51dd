"""Small geometry on WGS84 for the simulator: distances, points along a polyline."""

from __future__ import annotations

import math
from collections.abc import Sequence

EARTH_R_M = 6_371_008.8

LatLon = tuple[float, float]


def haversine_m(a: LatLon, b: LatLon) -> float:
    la1, lo1, la2, lo2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin(
        (lo2 - lo1) / 2) ** 2
    return 2 * EARTH_R_M * math.asin(min(1.0, math.sqrt(h)))


def _xy(p: LatLon, origin: LatLon) -> tuple[float, float]:
    """Local equirectangular metres around origin (fine over a few km)."""
    k = math.cos(math.radians(origin[0]))
    return (math.radians(p[1] - origin[1]) * EARTH_R_M * k,
            math.radians(p[0] - origin[0]) * EARTH_R_M)


def point_segment_m(p: LatLon, a: LatLon, b: LatLon) -> float:
    """Distance from p to the segment a-b, metres."""
    ax, ay = _xy(a, p)
    bx, by = _xy(b, p)
    dx, dy = bx - ax, by - ay
    seg2 = dx * dx + dy * dy
    t = 0.0 if seg2 == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / seg2))
    return math.hypot(ax + t * dx, ay + t * dy)


def polyline_distance_m(p: LatLon, line: Sequence[LatLon]) -> float:
    """Closest approach of a polyline to p, metres (inf for an empty line)."""
    if not line:
        return math.inf
    if len(line) == 1:
        return haversine_m(p, line[0])
    return min(point_segment_m(p, line[i], line[i + 1]) for i in range(len(line) - 1))


def cumulative_m(line: Sequence[LatLon]) -> list[float]:
    out = [0.0]
    for i in range(1, len(line)):
        out.append(out[-1] + haversine_m(line[i - 1], line[i]))
    return out


def point_at(line: Sequence[LatLon], cum: Sequence[float], s_m: float) -> tuple[LatLon, float]:
    """The point s_m along the line (clamped) and the heading there, degrees from north."""
    if len(line) == 1:
        return line[0], 0.0
    s = max(0.0, min(s_m, cum[-1]))
    lo, hi = 0, len(cum) - 1
    while hi - lo > 1:  # bisect for the segment holding s
        mid = (lo + hi) // 2
        if cum[mid] <= s:
            lo = mid
        else:
            hi = mid
    a, b = line[lo], line[hi]
    seg = cum[hi] - cum[lo]
    t = 0.0 if seg <= 0 else (s - cum[lo]) / seg
    p = (a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]))
    return p, bearing_deg(a, b)


def bearing_deg(a: LatLon, b: LatLon) -> float:
    la1, la2 = math.radians(a[0]), math.radians(b[0])
    dlo = math.radians(b[1] - a[1])
    y = math.sin(dlo) * math.cos(la2)
    x = math.cos(la1) * math.sin(la2) - math.sin(la1) * math.cos(la2) * math.cos(dlo)
    return (math.degrees(math.atan2(y, x)) + 360.0) % 360.0
