"""The Router protocol: what the planner needs from a road network, whichever engine answers.

Two backends implement it: `routing.valhalla_router.ValhallaRouter` (on the device, over the
pack's tiles) and `routing.ors_router.OrsRouter` (openrouteservice, any base URL). Points are
(lat, lon) in degrees; times in seconds, distances in metres. A pair with no drivable route
is None in a matrix and UnreachableError from `route`.

`avoid` holds what a route must keep out of: areas (`Avoid`, a hazard's circle) and kinds of
road (`RoadKind`: highways, tolls, ferries, unpaved; the driver's preferences). A router that
cannot keep off a kind of road still answers, and `RouteResult.honours` says which of the
asked kinds the route does keep off, so the caller can tell the driver instead of pretending.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from routing.messages import Avoid as RoadKind

LatLon = tuple[float, float]
ROAD_ORDER: tuple[RoadKind, ...] = tuple(RoadKind)
"""The contract's order of road kinds (highways, tolls, ferries, unpaved), for stable output."""


@dataclass(frozen=True)
class Avoid:
    """A circle the route must not enter (a hazard: road closed, crash), metres."""

    lat: float
    lon: float
    radius_m: float

    def polygon(self, sides: int = 12) -> list[list[float]]:
        """The circle as a closed [lon, lat] ring (GeoJSON order, as Valhalla and ORS want)."""
        dlat = self.radius_m / 111_000.0
        dlon = dlat / max(0.05, math.cos(math.radians(self.lat)))
        ring = [[self.lon + dlon * math.cos(2 * math.pi * i / sides),
                 self.lat + dlat * math.sin(2 * math.pi * i / sides)] for i in range(sides)]
        return [*ring, ring[0]]


Keep = Avoid | RoadKind
"""One thing a route keeps out of: an area or a kind of road."""


def split_avoid(avoid: Sequence[Keep]) -> tuple[tuple[Avoid, ...], tuple[RoadKind, ...]]:
    """(areas, road kinds in contract order, each once) of an avoid list."""
    areas = tuple(a for a in avoid if isinstance(a, Avoid))
    kinds = {RoadKind(a) for a in avoid if isinstance(a, str)}
    return areas, tuple(k for k in ROAD_ORDER if k in kinds)


@dataclass(frozen=True)
class Leg:
    distance_m: float
    duration_s: float


@dataclass(frozen=True)
class RouteResult:
    distance_m: float
    duration_s: float
    legs: tuple[Leg, ...]
    geometry: tuple[LatLon, ...]
    """Polyline as (lat, lon) pairs."""
    honours: frozenset[RoadKind] = frozenset()
    """The asked-for road kinds this route keeps off (as the router enforced or reports)."""


@dataclass(frozen=True)
class Matrix:
    """durations_s[i][j]: from source i to target j; None when no route exists."""

    durations_s: tuple[tuple[float | None, ...], ...]
    distances_m: tuple[tuple[float | None, ...], ...]


@runtime_checkable
class Router(Protocol):
    name: str

    def route(self, points: Sequence[LatLon], avoid: Sequence[Keep] = ()) -> RouteResult:
        """Drive through points in the given order. Raises OutsideMapError/UnreachableError."""
        ...

    def matrix(
        self, sources: Sequence[LatLon], targets: Sequence[LatLon], avoid: Sequence[Keep] = ()
    ) -> Matrix:
        """Travel time and distance for every source x target pair."""
        ...


def decode_polyline(encoded: str, precision: int = 6) -> tuple[LatLon, ...]:
    """Google's encoded polyline (Valhalla uses precision 6, ORS precision 5)."""
    coords: list[LatLon] = []
    index = lat = lon = 0
    factor = 10.0 ** precision
    while index < len(encoded):
        for is_lon in (False, True):
            shift = result = 0
            while True:
                b = ord(encoded[index]) - 63
                index += 1
                result |= (b & 0x1F) << shift
                shift += 5
                if b < 0x20:
                    break
            delta = ~(result >> 1) if result & 1 else result >> 1
            if is_lon:
                lon += delta
            else:
                lat += delta
        coords.append((lat / factor, lon / factor))
    return tuple(coords)
