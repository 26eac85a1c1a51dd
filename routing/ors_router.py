"""The cloud Router: openrouteservice (directions, matrix, POIs, optimization), any base URL.

Pointing it at a real instance:

    OrsRouter(base_url="https://api.openrouteservice.org", api_key="<your key>")
    OrsRouter(base_url="http://localhost:8080/ors")     # a self-hosted ORS (docker image
                                                         # openrouteservice/openrouteservice)

The public API needs a key (free sign-up at openrouteservice.org); a self-hosted instance
needs none, serves /v2/directions and /v2/matrix for the profiles it was built with, and
does NOT serve /pois (openpoiservice is a separate service) nor /optimization unless VROOM
is configured: `pois` and `optimize` raise RouterUnavailableError then. Coordinates go out
as [lon, lat] (ORS order) and come back as (lat, lon). ORS errors map onto ours: 2010 (no
routable point near a coordinate) -> OutsideMapError, 2009 (no route) -> UnreachableError,
anything else (HTTP errors, timeouts, bad JSON) -> RouterUnavailableError.

Road kinds the driver avoids go out as directions `options.avoid_features` (ORS_FEATURES:
highways, tollways, ferries), which ORS enforces as exclusions; the driving-car profile has
no feature for unpaved roads, so a route never claims to honour that. ORS's matrix endpoint
takes no options at all: its times ignore hazards and road preferences, and only the final
directions call honours them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from routing.errors import OutsideMapError, RouterUnavailableError, RoutingError, UnreachableError
from routing.messages import Category, Place
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

PROFILE = "driving-car"
ORS_POI_CATEGORIES: dict[Category, tuple[int, ...]] = {
    Category.AIRPORT: (581, 582), Category.TRAIN_STATION: (604,),
    Category.BUS_STATION: (587,), Category.HOSPITAL: (206,), Category.HOTEL: (108, 109),
    Category.PARKING: (601,), Category.FUEL: (596,), Category.EV_CHARGING: (593, 594),
    Category.COFFEE: (564, 448), Category.BURGER: (566,), Category.FAST_FOOD: (566,),
    Category.RESTAURANT: (570,), Category.PIZZA: (566, 570), Category.BAKERY: (426, 506),
    Category.GROCERY: (518, 451, 475, 474), Category.PHARMACY: (208,),
    Category.DRY_CLEANING: (393,), Category.ATM: (191,), Category.BANK: (192,),
    Category.POST_OFFICE: (370,), Category.CAR_WASH: (592,), Category.RESTROOM: (179,),
}
"""Contract category -> openpoiservice category_ids (ORS docs, "POI categories").
burger and pizza have no ORS category of their own: results are filtered by cuisine/name."""
_OSM_TYPE = {1: "node", 2: "way"}
ORS_FEATURES: dict[RoadKind, str] = {
    RoadKind.HIGHWAYS: "highways", RoadKind.TOLLS: "tollways", RoadKind.FERRIES: "ferries"}
"""Road kind -> the `avoid_features` value of ORS's driving-car profile (ORS API docs)."""


@dataclass(frozen=True)
class OrsPlace:
    place: Place
    distance_m: float | None
    tags: dict[str, str]


def _lonlat(p: LatLon) -> list[float]:
    return [round(p[1], 7), round(p[0], 7)]


class OrsRouter:
    """Router over an openrouteservice instance through the `openrouteservice` client."""

    name = "openrouteservice"

    def __init__(self, base_url: str = "https://api.openrouteservice.org",
                 api_key: str | None = None, timeout_s: float = 10.0,
                 profile: str = PROFILE) -> None:
        import openrouteservice  # the client pulls in requests: only when this backend is used

        self.profile = profile
        try:
            self._client = openrouteservice.Client(
                key=api_key, base_url=base_url.rstrip("/"), timeout=timeout_s,
                retry_timeout=int(max(1, timeout_s)), retry_over_query_limit=False)
        except ValueError as exc:  # the public API without a key
            raise RouterUnavailableError(f"openrouteservice: {exc}") from exc

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        from openrouteservice import exceptions

        try:
            return fn(self._client, *args, **kwargs)
        except exceptions.ApiError as exc:
            raise self._translate(exc, what) from exc
        except (exceptions.HTTPError, exceptions.Timeout, ValueError, OSError) as exc:
            raise RouterUnavailableError(f"openrouteservice {what}: {exc}") from exc
        except Exception as exc:  # requests' own connection errors and the like
            raise RouterUnavailableError(f"openrouteservice {what}: {exc}") from exc

    @staticmethod
    def _translate(exc: Any, what: str) -> RoutingError:
        body = exc.message if isinstance(exc.message, dict) else {}
        err = body.get("error", {}) if isinstance(body, dict) else {}
        code = err.get("code") if isinstance(err, dict) else None
        msg = err.get("message", str(err)) if isinstance(err, dict) else str(err)
        if code == 2010:
            return OutsideMapError(f"{what}: no road near a point ({msg})")
        if code == 2009:
            return UnreachableError(f"{what}: no route ({msg})")
        return RouterUnavailableError(f"openrouteservice {what}: HTTP {exc.status} {msg}")

    def _options(self, avoid: Sequence[Keep]) -> dict[str, Any] | None:
        areas, kinds = split_avoid(avoid)
        opts: dict[str, Any] = {}
        if features := [ORS_FEATURES[k] for k in kinds if k in ORS_FEATURES]:
            opts["avoid_features"] = features
        if areas:
            polys = [[a.polygon()] for a in areas]
            opts["avoid_polygons"] = {"type": "MultiPolygon", "coordinates": polys}
        return opts or None

    def route(self, points: Sequence[LatLon], avoid: Sequence[Keep] = ()) -> RouteResult:
        from openrouteservice.directions import directions

        if len(points) < 2:
            raise ValueError("a route needs at least two points")
        # Per-leg segments come only with instructions (ORS omits them otherwise).
        kwargs: dict[str, Any] = {"profile": self.profile, "format": "json",
                                  "instructions": True}
        if (opts := self._options(avoid)) is not None:
            kwargs["options"] = opts
        res = self._call("directions", directions, [_lonlat(p) for p in points], **kwargs)
        try:
            r = res["routes"][0]
            legs = tuple(Leg(distance_m=float(s.get("distance", 0.0)),
                             duration_s=float(s.get("duration", 0.0))) for s in r["segments"])
            geometry = decode_polyline(r["geometry"], 5) if isinstance(r["geometry"], str) \
                else tuple((c[1], c[0]) for c in r["geometry"]["coordinates"])
            honours = frozenset(k for k in split_avoid(avoid)[1] if k in ORS_FEATURES)
            return RouteResult(distance_m=float(r["summary"].get("distance", 0.0)),
                               duration_s=float(r["summary"].get("duration", 0.0)),
                               legs=legs, geometry=geometry, honours=honours)
        except (KeyError, IndexError, TypeError) as exc:
            raise RouterUnavailableError(f"openrouteservice directions: bad reply ({exc})") \
                from exc

    def matrix(self, sources: Sequence[LatLon], targets: Sequence[LatLon],
               avoid: Sequence[Keep] = ()) -> Matrix:
        from openrouteservice.distance_matrix import distance_matrix

        locs = [_lonlat(p) for p in (*sources, *targets)]
        n = len(sources)
        res = self._call("matrix", distance_matrix, locs, profile=self.profile,
                         sources=list(range(n)), destinations=list(range(n, len(locs))),
                         metrics=["duration", "distance"], units="m")
        try:
            def grid(key: str) -> tuple[tuple[float | None, ...], ...]:
                return tuple(tuple(None if v is None else float(v) for v in row)
                             for row in res[key])
            return Matrix(durations_s=grid("durations"), distances_m=grid("distances"))
        except (KeyError, TypeError) as exc:
            raise RouterUnavailableError(f"openrouteservice matrix: bad reply ({exc})") from exc

    def pois(self, category: Category, around: LatLon, radius_m: float = 2_000.0,
             limit: int = 20) -> list[OrsPlace]:
        """Places of a category around a point (openpoiservice /pois)."""
        from openrouteservice.places import places

        geojson = {"type": "Point", "coordinates": _lonlat(around)}
        res = self._call("pois", places, "pois", geojson=geojson, buffer=int(radius_m),
                         filter_category_ids=list(ORS_POI_CATEGORIES[category]), limit=limit)
        from routing.categories import categories_for

        found: list[OrsPlace] = []
        for f in res.get("features", []) if isinstance(res, dict) else []:
            try:
                lon, lat = f["geometry"]["coordinates"][:2]
                props = f.get("properties", {})
                tags = {str(k): str(v) for k, v in (props.get("osm_tags") or {}).items()}
                osm_type = _OSM_TYPE.get(int(props.get("osm_type", 0)))
                if category in (Category.BURGER, Category.PIZZA, Category.COFFEE):
                    cats = ORS_POI_CATEGORIES[category]
                    amenity = {564: "cafe", 566: "fast_food", 570: "restaurant"}
                    ids = [int(k) for k in (props.get("category_ids") or {})]
                    kind = next((amenity[i] for i in ids if i in amenity and i in cats), None)
                    if kind and category not in categories_for({"amenity": kind, **tags}):
                        continue
                place = Place(osm_type=osm_type, osm_id=int(props["osm_id"]),  # type: ignore[arg-type]
                              name=tags.get("name"), category=category,
                              lat=float(lat), lon=float(lon))
                found.append(OrsPlace(place, props.get("distance"), tags))
            except (KeyError, TypeError, ValueError) as exc:
                log.info("skipping a malformed ORS POI feature: %s", exc)
        return found

    def optimize(self, start: LatLon, stops: Sequence[LatLon], end: LatLon | None = None
                 ) -> list[int]:
        """Visiting order (indices into stops) from ORS /optimization (VROOM)."""
        from openrouteservice import optimization as opt

        jobs = [opt.Job(id=i + 1, location=_lonlat(p)) for i, p in enumerate(stops)]
        vehicle = opt.Vehicle(id=1, profile=self.profile, start=_lonlat(start),
                              end=_lonlat(end) if end is not None else None)
        res = self._call("optimization", opt.optimization, jobs=jobs, vehicles=[vehicle])
        try:
            steps = res["routes"][0]["steps"]
            order = [int(s["job"]) - 1 for s in steps if s.get("type") == "job"]
        except (KeyError, IndexError, TypeError) as exc:
            raise RouterUnavailableError(f"openrouteservice optimization: bad reply ({exc})") \
                from exc
        if res.get("unassigned"):
            raise UnreachableError(f"optimization left {len(res['unassigned'])} stops unassigned")
        return order
