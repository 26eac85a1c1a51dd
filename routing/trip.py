"""From a trip request to a routed plan: candidates, one matrix, the planner, one route.

`plan_trip` resolves every stop to candidates (routing.candidates), asks the router for one
matrix over origin, destination and all candidates, lets routing.planner choose places and
order, then re-routes the chosen order for true ETAs and geometry. When the vehicle's range
(less the reserve) does not cover the trip it adds a fuel (or charging) stop and re-plans;
the plan says so (`refuel_added`). Lateness against arrive-by is reported, not hidden: the
caller decides what to tell the driver. Road kinds to avoid (the driver's preferences) ride
in `TripRequest.avoid` next to hazard areas; the plan says which it honours (`avoid`, what
`Route.avoid` carries) and which the road network could not (`avoid_unmet`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from routing.candidates import Candidate, Query, find_many
from routing.errors import InfeasibleError, NoCandidatesError, UnreachableError
from routing.messages import Category, Place, Route, RoutedPlace
from routing.opening import is_open
from routing.places import MapPlace, PlaceIndex
from routing.planner import Problem, Solution, solve
from routing.profile import Preferences
from routing.router import Keep, LatLon, Matrix, RoadKind, Router, RouteResult, split_avoid

log = logging.getLogger(__name__)

REFUEL_MARGIN = 0.7
"""Drive at most this share of the remaining range (road metres) before the inserted fuel
stop: the safety gate allows 1.4 x the straight line, so 1 / 1.4 keeps both in agreement."""
MAX_GEOMETRY_POINTS = 1_500


@dataclass(frozen=True)
class StopSpec:
    """One requested stop: a category to search, or one fixed place (saved or from the map)."""

    category: Category | None = None
    fixed: MapPlace | None = None
    exclude_brands: tuple[str, ...] = ()
    label: str = ""
    prefer_name: str | None = None
    """A brand or name the driver said ("Five Guys"): preferred among the category."""


@dataclass(frozen=True)
class TripRequest:
    origin: LatLon
    depart: datetime
    destination: MapPlace | None
    stops: tuple[StopSpec, ...] = ()
    arrive_by: datetime | None = None
    range_m: float | None = None
    electric: bool = False
    preferences: Preferences = field(default_factory=Preferences)
    avoid: tuple[Keep, ...] = ()
    """Hazard areas and road kinds the route keeps out of."""


@dataclass(frozen=True)
class PlannedStop:
    place: MapPlace
    eta: datetime
    spec: StopSpec
    detour_s: float | None = None


@dataclass(frozen=True)
class TripPlan:
    stops: tuple[PlannedStop, ...]
    destination: MapPlace | None
    arrival: datetime
    distance_m: float
    duration_s: float
    geometry: tuple[LatLon, ...]
    exact: bool
    refuel_added: Category | None = None
    late_by_s: float | None = None
    over_detour: tuple[str, ...] = ()
    """Labels of stops whose best place is beyond the driver's maximum detour."""
    avoid: tuple[RoadKind, ...] = ()
    """The road kinds asked to be avoided that the route keeps off."""
    avoid_unmet: tuple[RoadKind, ...] = ()
    """The road kinds asked to be avoided that the route still uses (no way around them)."""

    def to_route(self) -> Route:
        stops = tuple(RoutedPlace(**s.place.place.model_dump(), eta=s.eta) for s in self.stops)
        if self.destination is not None:
            dest = RoutedPlace(**self.destination.place.model_dump(), eta=self.arrival)
        else:  # errands only: the last stop is where the route ends
            dest, stops = stops[-1], stops[:-1]
        geo = self.geometry
        if len(geo) > MAX_GEOMETRY_POINTS:
            step = len(geo) / MAX_GEOMETRY_POINTS
            geo = (*tuple(geo[int(i * step)] for i in range(MAX_GEOMETRY_POINTS)), geo[-1])
        return Route(stops=stops, destination=dest, distance_m=round(self.distance_m, 1),
                     duration_s=round(self.duration_s, 1),
                     geometry=tuple((round(a, 6), round(b, 6)) for a, b in geo),
                     avoid=self.avoid)


def honoured(avoid: tuple[Keep, ...], routed: RouteResult
             ) -> tuple[tuple[RoadKind, ...], tuple[RoadKind, ...]]:
    """(kept off, still used) among the road kinds asked for, in contract order."""
    kinds = split_avoid(avoid)[1]
    return (tuple(k for k in kinds if k in routed.honours),
            tuple(k for k in kinds if k not in routed.honours))


def map_place(place: Place) -> MapPlace:
    return MapPlace(place=place)


def _groups(
    req: TripRequest, places: PlaceIndex, router: Router, dest_pt: LatLon | None,
    extra: StopSpec | None,
) -> tuple[list[StopSpec], list[list[Candidate]]]:
    specs = [*req.stops, *([extra] if extra else [])]
    prefs = req.preferences
    queries: list[Query] = []
    for spec in specs:
        if spec.fixed is None and spec.category is None:
            raise InfeasibleError(f"stop '{spec.label}' names neither a category nor a place")
        if spec.fixed is None and spec.category is not None:
            queries.append(Query(spec.category, (*prefs.avoid_brands, *spec.exclude_brands),
                                 prefs.max_detour_min * 60.0, prefer_name=spec.prefer_name))
    found = iter(find_many(places, router, queries, req.origin, dest_pt, req.depart, req.avoid)
                 if queries else [])
    groups = [[Candidate(spec.fixed, 0.0, 0.0, True)] if spec.fixed is not None else next(found)
              for spec in specs]
    return specs, groups


def _plan_matrix(router: Router, points: list[LatLon], dest_index: int | None,
                 avoid: tuple[Keep, ...]) -> Matrix:
    """The square matrix the planner reads, asking only for rows and columns it uses:
    nobody leaves the destination and nobody drives back to the origin."""
    src = [i for i in range(len(points)) if i != dest_index]
    dst = [i for i in range(len(points)) if i != 0]
    m = router.matrix([points[i] for i in src], [points[j] for j in dst], avoid)
    n = len(points)
    dur: list[list[float | None]] = [[None] * n for _ in range(n)]
    dist: list[list[float | None]] = [[None] * n for _ in range(n)]
    for a, i in enumerate(src):
        for b, j in enumerate(dst):
            dur[i][j] = m.durations_s[a][b]
            dist[i][j] = m.distances_m[a][b]
    return Matrix(tuple(map(tuple, dur)), tuple(map(tuple, dist)))


def _solve(
    req: TripRequest, router: Router, specs: list[StopSpec], groups: list[list[Candidate]],
    refuel_group: int | None,
) -> tuple[Solution, list[MapPlace]]:
    points: list[LatLon] = [req.origin]
    dest_index: int | None = None
    if req.destination is not None:
        dest_index = 1
        points.append((req.destination.place.lat, req.destination.place.lon))
    cand_places: list[MapPlace] = [MapPlace(Place(lat=p[0], lon=p[1])) for p in points]
    idx_groups: list[tuple[int, ...]] = []
    for g in groups:
        idx = []
        for c in g:
            idx.append(len(points))
            points.append((c.place.place.lat, c.place.place.lon))
            cand_places.append(c.place)
        idx_groups.append(tuple(idx))
    m = _plan_matrix(router, points, dest_index, req.avoid)
    hours = {i: cand_places[i].opening_hours for i in range(len(points))}
    dwell = req.preferences.stop_dwell_min * 60.0
    problem = Problem(
        durations_s=m.durations_s, distances_m=m.distances_m, groups=tuple(idx_groups),
        depart=req.depart, origin=0, destination=dest_index,
        dwell_s=tuple(dwell for _ in specs),
        is_open=lambda i, t: is_open(hours[i], t),
        refuel_group=refuel_group,
        range_m=req.range_m * REFUEL_MARGIN if req.range_m is not None else None,
    )
    sol = solve(problem)
    if sol is None:
        raise InfeasibleError("no order of these stops works: some are closed on arrival "
                              "or out of range")
    return sol, cand_places


def plan_trip(req: TripRequest, places: PlaceIndex, router: Router) -> TripPlan:
    """Plan and route. Raises NoCandidatesError, InfeasibleError, UnreachableError."""
    dest_pt = (req.destination.place.lat, req.destination.place.lon) if req.destination else None
    if dest_pt is None and not req.stops:
        raise InfeasibleError("there is nowhere to go: no destination and no stops")
    specs, groups = _groups(req, places, router, dest_pt, None)
    sol, cands = _solve(req, router, specs, groups, None)
    refuel: Category | None = None
    fuel_cat = Category.EV_CHARGING if req.electric else Category.FUEL
    has_fuel = any(s.category in (Category.FUEL, Category.EV_CHARGING) for s in specs)
    reserve = req.preferences.range_reserve_km * 1000.0
    if req.range_m is not None and not has_fuel and sol.distance_m > req.range_m - reserve:
        spec = StopSpec(category=fuel_cat, label=fuel_cat.value.replace("_", " "))
        try:
            specs, groups = _groups(req, places, router, dest_pt, spec)
        except NoCandidatesError as exc:
            why = str(exc)
            raise InfeasibleError(
                f"not enough range for this {sol.distance_m / 1000:.0f} km trip, and "
                f"{why[:1].lower()}{why[1:]}") from exc
        sol, cands = _solve(req, router, specs, groups, len(specs) - 1)
        refuel = fuel_cat
    by_index = {i: c for i, c in enumerate(cands)}
    group_of_place = {}
    detours: dict[int, float] = {}
    for gi, g in enumerate(groups):
        for c in g:
            group_of_place[id(c.place)] = gi
            detours[id(c.place)] = c.detour_s
    chosen: list[MapPlace] = []
    for i in sol.order:  # one place may serve two stops (a bank with an ATM): stop there once
        if not chosen or by_index[i].key != chosen[-1].key or by_index[i].key == (None, None, None):
            chosen.append(by_index[i])
    pts = [req.origin, *((c.place.lat, c.place.lon) for c in chosen)]
    if dest_pt is not None:
        pts.append(dest_pt)
    if len(pts) < 2:
        raise InfeasibleError("there is nowhere to go")
    try:
        routed = router.route(pts, req.avoid)
    except UnreachableError:
        raise
    dwell = req.preferences.stop_dwell_min * 60.0
    t = 0.0
    stops: list[PlannedStop] = []
    for i, place in enumerate(chosen):
        t += routed.legs[i].duration_s
        spec = specs[group_of_place[id(place)]]
        stops.append(PlannedStop(place, req.depart + timedelta(seconds=t), spec,
                                 detours.get(id(place))))
        t += dwell
    if dest_pt is not None:
        t += routed.legs[-1].duration_s
    else:
        t -= dwell
    arrival = req.depart + timedelta(seconds=t)
    late = (arrival - req.arrive_by).total_seconds() if req.arrive_by else None
    over = tuple(s.spec.label for s in stops
                 if s.detour_s is not None and s.detour_s > req.preferences.max_detour_min * 60)
    kept, unmet = honoured(req.avoid, routed)
    return TripPlan(
        stops=tuple(stops), destination=req.destination, arrival=arrival,
        distance_m=routed.distance_m, duration_s=t, geometry=routed.geometry,
        exact=sol.exact, refuel_added=refuel,
        late_by_s=late if late is not None and late > 0 else None, over_detour=over,
        avoid=kept, avoid_unmet=unmet,
    )


def route_in_order(
    origin: LatLon, depart: datetime, stops: list[tuple[MapPlace, StopSpec]],
    destination: MapPlace | None, router: Router, preferences: Preferences,
    avoid: tuple[Keep, ...] = (), arrive_by: datetime | None = None,
) -> TripPlan:
    """Route the given stops in the given order (a trip edited by remove_stop, or ETA checks)."""
    pts = [origin, *((m.place.lat, m.place.lon) for m, _ in stops)]
    if destination is not None:
        pts.append((destination.place.lat, destination.place.lon))
    if len(pts) < 2:
        raise InfeasibleError("there is nowhere to go")
    routed = router.route(pts, avoid)
    dwell = preferences.stop_dwell_min * 60.0
    t = 0.0
    planned: list[PlannedStop] = []
    for i, (m, spec) in enumerate(stops):
        t += routed.legs[i].duration_s
        planned.append(PlannedStop(m, depart + timedelta(seconds=t), spec))
        t += dwell
    if destination is not None:
        t += routed.legs[-1].duration_s
    else:
        t -= dwell
    arrival = depart + timedelta(seconds=t)
    late = (arrival - arrive_by).total_seconds() if arrive_by else None
    kept, unmet = honoured(avoid, routed)
    return TripPlan(stops=tuple(planned), destination=destination, arrival=arrival,
                    distance_m=routed.distance_m, duration_s=t, geometry=routed.geometry,
                    exact=True, late_by_s=late if late is not None and late > 0 else None,
                    avoid=kept, avoid_unmet=unmet)
