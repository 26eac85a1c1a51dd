"""The on-device Router: pyvalhalla's Actor over the pack's tiles (route and matrix).

Valhalla reports problems as ValhallaError (a RuntimeError) with a sentence; those map onto
OutsideMapError (no road near a point) and UnreachableError (no path). Hazards become
`exclude_polygons`, so a closed road is routed around, not through. Road kinds the driver
avoids become the auto costing's options (ROAD_COSTING): `use_highways`, `use_tolls`,
`use_ferry` at 0 (Valhalla's strongest dislike, still allowed when nothing else connects)
and `exclude_unpaved` (a hard exclusion except at the route's ends). The trip summary's
`has_highway` / `has_toll` / `has_ferry` flags say what the route still uses.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from routing.errors import OutsideMapError, RoutingError, UnreachableError
from routing.router import (
    Keep,
    LatLon,
    Leg,
    Matrix,
    RoadKind,
    RouteResult,
    decode_polyline,
    split_avoid,
)

log = logging.getLogger(__name__)

COSTING = "auto"
MIN_REACH = 50
"""Valhalla's default minimum_reachability: edges reaching fewer nodes are never snapped to."""
SNAP_CUTOFF_M = 2_000
"""A point farther than this from any road is not on the map (Valhalla's default is 35 km)."""
ROAD_COSTING: dict[RoadKind, tuple[str, float | bool]] = {
    RoadKind.HIGHWAYS: ("use_highways", 0.0), RoadKind.TOLLS: ("use_tolls", 0.0),
    RoadKind.FERRIES: ("use_ferry", 0.0), RoadKind.UNPAVED: ("exclude_unpaved", True),
}
"""Road kind -> the auto costing option that avoids it (Valhalla's API reference)."""
SUMMARY_FLAGS: dict[str, RoadKind] = {
    "has_highway": RoadKind.HIGHWAYS, "has_toll": RoadKind.TOLLS, "has_ferry": RoadKind.FERRIES}


def write_config(tile_dir: Path, config_path: Path, concurrency: int = 1) -> dict[str, Any]:
    """A Valhalla config for this pack: its tiles, our limits, no log spam."""
    from valhalla import get_config  # heavy: only when building or opening a pack

    cfg: dict[str, Any] = get_config(tile_extract="", tile_dir=tile_dir)
    cfg["mjolnir"]["concurrency"] = concurrency
    cfg["mjolnir"]["logging"] = {"type": "", "color": False}
    cfg["logging"] = {"type": "", "color": False}
    runtime_settings(cfg, tile_dir)
    config_path.write_text(json.dumps(cfg, indent=1))
    return cfg


def runtime_settings(cfg: dict[str, Any], tile_dir: Path) -> bool:
    """Apply what the router needs at run time; True if the config changed.

    timedistancematrix (one Dijkstra per source, or per target when fewer) answers the
    planner's one-to-many and 32 x 32 matrices 3-5x faster than costmatrix here, with the
    same times.
    """
    want = {("mjolnir", "tile_dir"): str(tile_dir),
            ("thor", "source_to_target_algorithm"): "timedistancematrix",
            ("service_limits", "auto", "max_matrix_location_pairs"): 10_000,
            ("service_limits", "auto", "max_locations"): 50,
            ("loki", "service_defaults", "search_cutoff"): SNAP_CUTOFF_M}
    changed = False
    for path, value in want.items():
        node = cfg
        for key in path[:-1]:
            node = node.setdefault(key, {})
        if node.get(path[-1]) != value:
            node[path[-1]] = value
            changed = True
    return changed


def _loc(p: LatLon) -> dict[str, float]:
    return {"lat": round(p[0], 7), "lon": round(p[1], 7)}


def _translate(exc: Exception, what: str) -> RoutingError:
    msg = str(exc)
    low = msg.lower()
    if "no suitable edges" in low or "exceeds the max distance" in low or "no edges" in low:
        return OutsideMapError(f"{what}: a point is not near any road on this map")
    if "no path could be found" in low or "no route" in low or "unreachable" in low \
            or "unconnected regions" in low:
        return UnreachableError(f"{what}: no drivable route between these places")
    return RoutingError(f"{what}: the on-board router failed ({msg})")


class ValhallaRouter:
    """Router backed by pyvalhalla. One Actor per router; calls are serialised by a lock."""

    name = "valhalla"

    def __init__(self, config_path: Path) -> None:
        from valhalla import Actor  # heavy

        self._actor = Actor(str(config_path))
        self._lock = threading.Lock()

    def _options(self, avoid: Sequence[Keep]) -> dict[str, Any]:
        areas, kinds = split_avoid(avoid)
        opts: dict[str, Any] = {"costing": COSTING, "units": "kilometers"}
        if areas:
            opts["exclude_polygons"] = [a.polygon() for a in areas]
        if kinds:
            opts["costing_options"] = {COSTING: dict(ROAD_COSTING[k] for k in kinds)}
        return opts

    def route(self, points: Sequence[LatLon], avoid: Sequence[Keep] = ()) -> RouteResult:
        if len(points) < 2:
            raise ValueError("a route needs at least two points")
        req = {"locations": [_loc(p) for p in points], **self._options(avoid),
               "directions_type": "none"}
        try:
            with self._lock:
                res = self._actor.route(req)
        except RuntimeError as exc:
            raise _translate(exc, "route") from exc
        trip = res["trip"]
        legs = tuple(Leg(distance_m=leg["summary"]["length"] * 1000.0,
                         duration_s=float(leg["summary"]["time"])) for leg in trip["legs"])
        geometry: list[LatLon] = []
        for leg in trip["legs"]:
            shape = decode_polyline(leg["shape"], 6)
            geometry.extend(shape[1:] if geometry else shape)
        summary = trip["summary"]
        # A flag missing from the summary counts as used: unknown is not honoured.
        used = {kind for flag, kind in SUMMARY_FLAGS.items() if summary.get(flag, True)}
        honours = frozenset(k for k in split_avoid(avoid)[1] if k not in used)
        return RouteResult(
            distance_m=summary["length"] * 1000.0,
            duration_s=float(summary["time"]),
            legs=legs,
            geometry=tuple(geometry),
            honours=honours,
        )

    def matrix(
        self, sources: Sequence[LatLon], targets: Sequence[LatLon], avoid: Sequence[Keep] = ()
    ) -> Matrix:
        req = {"sources": [_loc(p) for p in sources], "targets": [_loc(p) for p in targets],
               **self._options(avoid)}
        try:
            with self._lock:
                res = self._actor.matrix(req)
        except RuntimeError as exc:
            raise _translate(exc, "matrix") from exc
        rows = res["sources_to_targets"]
        durations: list[tuple[float | None, ...]] = []
        distances: list[tuple[float | None, ...]] = []
        for row in rows:
            durations.append(tuple(
                float(c["time"]) if c.get("time") is not None else None for c in row))
            distances.append(tuple(
                float(c["distance"]) * 1000.0 if c.get("distance") is not None else None
                for c in row))
        return Matrix(durations_s=tuple(durations), distances_m=tuple(distances))

    def reachable_as_is(self, hub: LatLon, points: Sequence[LatLon], tol_m: float = 30.0
                        ) -> list[bool]:
        """For each point: is it on a road of the main network (not a road island)?

        Valhalla only snaps onto edges whose reach (nodes reachable in and out, capped at its
        minimum_reachability of 50) is at least 50, so a route to a point on an island ends
        somewhere else. `locate` reports each edge's reach: a point passes when an edge within
        tol_m of it reaches 50 both ways. `hub` is kept for the signature's sake (any point of
        the main network).
        """
        del hub
        req = {"locations": [_loc(p) for p in points], "costing": COSTING, "verbose": True}
        try:
            with self._lock:
                res = self._actor.locate(req)
        except RuntimeError as exc:
            log.warning("entry point check failed: %s", exc)
            return [False] * len(points)
        out = []
        for item in res:
            edges = (item or {}).get("edges") or []
            out.append(any(float(e.get("distance", 1e9)) <= tol_m
                           and e.get("inbound_reach", 0) >= MIN_REACH
                           and e.get("outbound_reach", 0) >= MIN_REACH for e in edges))
        return out

    def snap(self, point: LatLon) -> LatLon | None:
        """The nearest drivable point, or None when no road is within the snap cutoff."""
        try:
            with self._lock:
                res = self._actor.locate({"locations": [_loc(point)], "costing": COSTING,
                                          "verbose": False})
        except RuntimeError:
            return None
        edges = res[0].get("edges") if res else None
        if not edges:
            return None
        e = edges[0]
        return (float(e["correlated_lat"]), float(e["correlated_lon"]))
