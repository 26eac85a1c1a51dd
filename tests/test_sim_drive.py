"""The simulated car drives a real road of the harrisburg map at its speed limit, stops at
stops, refuels at a fuel stop, burns range by distance, and joins a new route where it is."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from copilot.sim.drive import DWELL_S, FILL_PERCENT_PER_S, Car, SpeedIndex
from copilot.sim.geo import cumulative_m, haversine_m
from copilot.sim.mapdata import load_map_data, parse_maxspeed
from routing.messages import Route, RoutedPlace

MAP = Path(__file__).resolve().parents[1] / "copilot" / "data" / "maps" / "harrisburg.osm.pbf"
T0 = datetime.fromisoformat("2026-11-25T15:00:00-05:00")


@pytest.fixture(scope="module")
def road() -> tuple[SpeedIndex, list[tuple[float, float]]]:
    data = load_map_data(MAP)
    # the longest motorway of the map: a real geometry with a known class
    line = max((pts for rank, pts in data.roads if rank == 1), key=lambda p: cumulative_m(p)[-1])
    return SpeedIndex(data), line


def _route(line: list[tuple[float, float]], *stops: RoutedPlace,
           duration_s: float | None = None) -> Route:
    end = line[-1]
    length = cumulative_m(line)[-1]
    return Route(stops=stops, destination=RoutedPlace(name="end", lat=end[0], lon=end[1], eta=T0),
                 distance_m=length, duration_s=duration_s or length / (80 / 3.6),
                 geometry=tuple(line))


def test_maxspeed_parsing() -> None:
    assert parse_maxspeed("50") == 50
    assert parse_maxspeed("45 mph") == pytest.approx(72.42, abs=0.01)
    assert parse_maxspeed("signals") is None and parse_maxspeed("") is None


@pytest.mark.parametrize("kph", [60.0, 90.0])
def test_drives_the_road_in_the_routers_time_and_arrives(road: tuple, kph: float) -> None:
    speeds, line = road
    length = cumulative_m(line)[-1]
    limit = speeds.limit_kph(line[len(line) // 2])
    car = Car(lat=line[0][0], lon=line[0][1], range_m=50_000, level_percent=50, speeds=speeds)
    car.follow(_route(line, duration_s=length / (kph / 3.6)))
    t, top = 0.0, 0.0
    while not car.arrived and t < 7200:
        car.step(1.0)
        t += 1.0
        top = max(top, car.speed_kph)
    assert car.arrived
    assert haversine_m(car.position, line[-1]) < 5
    assert t == pytest.approx(length / (kph / 3.6), rel=0.05)  # the router's duration
    assert 90 <= limit <= 110 and top <= limit + 1e-6  # a motorway's limit, never above it
    assert car.range_m == pytest.approx(50_000 - length, abs=5)
    assert car.level_percent == pytest.approx(50 * car.range_m / 50_000, rel=1e-6)
    assert car.state(t).gear == "P"


def test_dwells_at_a_stop_and_refuels_at_fuel(road: tuple) -> None:
    speeds, line = road
    mid = line[len(line) // 2]
    fuel = RoutedPlace(name="Sheetz", category="fuel", lat=mid[0], lon=mid[1], eta=T0)
    car = Car(lat=line[0][0], lon=line[0][1], range_m=20_000, level_percent=10, speeds=speeds)
    car.follow(_route(line, fuel))
    stopped = 0.0
    while not car.visited:
        car.step(1.0)
    assert car.visited == ["Sheetz"]
    assert car.level_percent < 20  # filling takes time at the pump
    while car.dwell_left_s > 0:
        before = car.level_percent
        car.step(1.0)
        stopped += 1.0
        assert car.level_percent - before <= FILL_PERCENT_PER_S + 1e-9
        if car.dwell_left_s > 0:
            assert car.speed_kph == 0.0
    assert stopped == pytest.approx(DWELL_S, abs=1.0)
    # full (the last step may already drive on a few metres)
    assert car.level_percent == pytest.approx(100, abs=0.1)
    assert car.range_m == pytest.approx(200_000, abs=100)
    car.step(1.0)
    assert car.speed_kph > 0


def test_a_new_route_is_joined_where_the_car_is(road: tuple) -> None:
    speeds, line = road
    car = Car(lat=line[0][0], lon=line[0][1], range_m=50_000, level_percent=50, speeds=speeds)
    car.follow(_route(line))
    for _ in range(60):
        car.step(1.0)
    here = car.position
    car.follow(_route(list(reversed(line))))
    assert haversine_m(car.position, here) < 1
    assert car.s_m > 0  # not back at the start of the new line
    ahead = car.point_ahead(500)
    assert 300 < haversine_m(ahead, here) < 700


def test_refuelling_streamed_at_the_scenarios_warp_passes_the_plausibility_checks(
        road: tuple) -> None:
    """What copilot serve --time-warp 30 receives of a fuel stop: nothing is implausible.

    The car used to fill 10 -> 100 % between two 10 Hz samples, which the service (rightly:
    a pump gives ~1.2 %/s) dropped as implausible_change."""
    from sensors import state as vss
    from sensors.plausibility import DropReason
    from sensors.store import SignalStore

    warp, hz = 30.0, 10.0
    speeds, line = road
    mid = line[len(line) // 2]
    fuel = RoutedPlace(name="Sheetz", category="fuel", lat=mid[0], lon=mid[1], eta=T0)
    car = Car(lat=line[0][0], lon=line[0][1], range_m=20_000, level_percent=10, speeds=speeds)
    car.follow(_route(line, fuel))
    wall = [1_764_100_800.0]
    store = SignalStore(clock=lambda: wall[0], staleness_scale=warp, rate_scale=warp)
    drops: list[tuple[str, float, DropReason]] = []
    while not car.visited or car.dwell_left_s > 0 or car.speed_kph == 0:
        car.step(warp / hz)
        wall[0] += 1 / hz
        for path, value in ((vss.SPEED, car.speed_kph), (vss.FUEL_LEVEL, car.level_percent),
                            (vss.RANGE, car.range_m), (vss.LAT, car.lat), (vss.LON, car.lon)):
            got = store.offer(path, json.dumps({"value": value, "ts": wall[0]}).encode())
            if isinstance(got, DropReason):
                drops.append((path, value, got))
    assert car.level_percent > 99
    assert drops == []


def test_arrivals_are_recorded_at_the_simulated_second_with_the_profiles_dwell(
        road: tuple) -> None:
    speeds, line = road
    length = cumulative_m(line)[-1]
    mid = line[len(line) // 2]
    stop = RoutedPlace(name="Wendy's", category="burger", lat=mid[0], lon=mid[1], eta=T0)
    driving_s = length / (80 / 3.6)
    car = Car(lat=line[0][0], lon=line[0][1], range_m=50_000, level_percent=50, speeds=speeds,
              dwell_s=90.0)
    # the router's duration includes the planner's 90 s at the stop: the car drives the rest
    car.follow(_route(line, stop, duration_s=driving_s + 90.0))
    t = 0.0
    while not car.arrived and t < 7200:
        car.step(0.5)
        t += 0.5
    at_stop, at_end = car.arrivals
    assert (at_stop.place.name, at_stop.destination) == ("Wendy's", False)
    assert (at_end.place.name, at_end.destination) == ("end", True)
    assert car.clock_s == pytest.approx(t)
    assert at_end.t_s <= t and at_end.t_s == pytest.approx(driving_s + 90.0, rel=0.05)
    assert 0 < at_stop.t_s < at_end.t_s - 90.0


def test_a_new_route_planned_before_the_car_reached_a_stop_does_not_serve_it_twice(
        road: tuple) -> None:
    speeds, line = road
    mid = line[len(line) // 2]
    fuel = RoutedPlace(name="Sheetz", category="fuel", lat=mid[0], lon=mid[1], eta=T0)
    car = Car(lat=line[0][0], lon=line[0][1], range_m=50_000, level_percent=50, speeds=speeds,
              dwell_s=300.0)
    car.follow(_route(line, fuel))
    while not car.visited:
        car.step(1.0)
    for _ in range(100):  # 100 s into the dwell, the re-plan (from before the pumps) arrives
        car.step(1.0)
    car.follow(_route(line, fuel))
    t = 0.0
    while not car.arrived and t < 7200:
        car.step(1.0)
        t += 1.0
    assert car.visited == ["Sheetz"] and [a.place.name for a in car.arrivals] == ["Sheetz", "end"]
    # the rest of the one dwell, then the drive on
    assert car.arrivals[1].t_s - car.arrivals[0].t_s >= 300.0
