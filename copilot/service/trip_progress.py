"""Which stops of the trip in progress the car has already reached.

The service holds the trip it last set; a turn while driving ("also add a pharmacy") is
planned against it, and must not send the car back through stops it has passed. The live
position (the signal store) marks a stop reached once the car is within REACHED_RADIUS_M
of it, measured both to the place itself and to the point of the route that serves it (a
fuel station's map point can sit 100 m off the road, behind the pumps; the car only passes
the kerb), AND has got there: it is level with that point of the route, or it has stopped
near it after driving. Coming close is not enough: a car 70 m short of a stop, still rolling
towards it, has its dwell there ahead, and an ETA that dropped the stop then was five
minutes early (the demo's "3:20 pm" for a 3:25 arrival); nor is standing short of a stop
when the trip is set. The dialog gets only the remaining stops as the turn's `trip`.

Standing counts for a stop only when it is the trip's stop nearest the car: two
shops 100 m apart on one street (the demo's Starbucks and Wendy's) are both within the
radius, and a car dwelling at the first had the second marked reached, its dwell dropped
from every time told (+272 s). How much of the dwell at the stop the car stands at is still
to come is the service's (`AskTurn.at_stop_since`), not this module's.
"""

from __future__ import annotations

import logging
import threading

from copilot.service.proactive import RouteProgress
from routing.messages import Route, RoutedPlace
from sensors.trace import haversine_m

log = logging.getLogger(__name__)

REACHED_RADIUS_M = 75.0
"""A stop is reached within this distance. Larger than GPS error (~10 m) plus the car's
travel between two position samples (at 10 Hz, 3 m at 100 km/h; the simulator's 30x warp
makes that ~80 m, but a car stops at a stop); smaller than the spacing of two distinct stops
in practice (two shops on the same corner are within it, and both are then 'reached')."""
LEVEL_M = 10.0
"""The car is level with a stop's point of the route within this distance (GPS error)."""
STOPPED_KPH = 3.0
"""Below this the car is standing (at a stop: the driver has pulled in)."""


class TripProgress:
    """The trip in progress and the stops reached so far. Thread-safe: the network thread
    reports positions, the worker sets trips and reads what remains."""

    def __init__(self, radius_m: float = REACHED_RADIUS_M) -> None:
        self.radius_m = radius_m
        self._lock = threading.Lock()
        self._route: Route | None = None
        self._progress: RouteProgress | None = None
        self._stop_along_m: list[float] = []
        self._reached: list[bool] = []
        self._moved = False
        """The car has driven since the trip was set (standing at the start is no arrival)."""

    def set(self, route: Route | None) -> None:
        """A new trip (or none): nothing of it is reached yet."""
        progress = RouteProgress(route.geometry) if route and len(route.geometry) >= 2 else None
        along: list[float] = []
        if route is not None and progress is not None:
            from_m = 0.0  # stops in order along the line, as the route serves them
            for s in route.stops:
                from_m, _ = progress.locate((s.lat, s.lon), from_m)
                along.append(from_m)
        with self._lock:
            self._route, self._progress = route, progress
            self._stop_along_m = along
            self._reached = [False] * (len(route.stops) if route else 0)
            self._moved = False

    @property
    def route(self) -> Route | None:
        """The trip as set, every stop included."""
        with self._lock:
            return self._route

    def update(self, lat: float, lon: float,
               speed_kph: float | None = None) -> list[RoutedPlace]:
        """The car is here (at this speed, if known): the stops it reaches for the first time."""
        with self._lock:
            if speed_kph is None or speed_kph >= STOPPED_KPH:  # unknown speed: as before
                self._moved = True
            route, progress, along = self._route, self._progress, self._stop_along_m
            todo = [i for i, r in enumerate(self._reached) if not r]
            standing = speed_kph is not None and speed_kph < STOPPED_KPH and self._moved
        if route is None or not todo:
            return []
        car = (lat, lon)
        car_along = car_off = None
        newly: list[int] = []
        for i in todo:
            stop = route.stops[i]
            near_place = haversine_m(car, (stop.lat, stop.lon)) <= self.radius_m
            if progress is None or not along:
                if near_place:  # no line to measure along: near is all there is
                    newly.append(i)
                continue
            if car_along is None:
                car_along, car_off = progress.locate(car)
            near_line = car_off is not None and car_off <= self.radius_m and \
                abs(car_along - along[i]) <= self.radius_m
            if not (near_place or near_line):
                continue
            # Standing counts only at the stop nearest the car: a car dwelling at one shop is
            # not at the next one 60 m down the road. Measured straight, not along the line: a
            # route that loops the block passes a stop twice, so "along" is ambiguous there.
            d_i = haversine_m(car, (stop.lat, stop.lon))
            pulled_in = standing and all(
                d_i <= haversine_m(car, (o.lat, o.lon)) for o in route.stops)
            if car_along >= along[i] - LEVEL_M or pulled_in:
                newly.append(i)
        if not newly:
            return []
        with self._lock:
            if self._route is not route:  # replaced meanwhile: this position was for the old one
                return []
            for i in newly:
                self._reached[i] = True
        for i in newly:
            log.info("stop reached: %s", route.stops[i].name or route.stops[i].category)
        return [route.stops[i] for i in newly]

    def remaining(self) -> Route | None:
        """The trip with only the stops not reached yet (what a re-plan must still serve)."""
        with self._lock:
            route, reached = self._route, list(self._reached)
        if route is None or not any(reached):
            return route
        left = tuple(s for s, r in zip(route.stops, reached, strict=True) if not r)
        return route.model_copy(update={"stops": left})
