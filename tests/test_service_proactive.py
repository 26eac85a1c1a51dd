"""The proactive monitor's decisions: when to speak up, what it may suggest, once per cause."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from copilot.service.proactive import ProactiveMonitor, RouteProgress
from routing.messages import Category, Place, Route, RoutedPlace
from routing.opening import open_state
from sensors.messages import HazardEvent
from sensors.state import VehicleSnapshot
from sensors.trace import Polyline

NOW = datetime.fromisoformat("2026-11-25T16:30:00-05:00")  # a Wednesday
GEOMETRY = tuple((40.30 - i * 0.001, -76.80) for i in range(101))  # ~11 km due south
STATION = Place(osm_type="node", osm_id=7, name="Sheetz", category="fuel", lat=40.25, lon=-76.8003)
BEHIND = Place(osm_type="node", osm_id=8, name="Behind Gas", category="fuel", lat=40.305,
               lon=-76.80)
CLEANER = RoutedPlace(osm_type="node", osm_id=9, name="Main Street Cleaners",
                      category="dry_cleaning", lat=40.27, lon=-76.80,
                      eta=NOW + timedelta(minutes=40))
DEST = RoutedPlace(osm_type="way", osm_id=10, name="Airport", category="airport", lat=40.20,
                   lon=-76.80, eta=NOW + timedelta(minutes=50))
TRIP = Route(stops=(CLEANER,), destination=DEST, distance_m=11_000, duration_s=900,
             geometry=GEOMETRY)
HOURS = {9: "Mo-Fr 08:00-17:00", 10: "24/7"}


def _find(cat: Category, lat: float, lon: float, radius_m: float) -> Sequence[Place]:
    return [BEHIND, STATION] if cat == "fuel" else []


def _open_at(place: Place, when: datetime) -> bool | None:
    return open_state(HOURS.get(place.osm_id or 0), when)


def _car(range_m: float | None, lat: float = 40.29) -> VehicleSnapshot:
    return VehicleSnapshot(lat=lat, lon=-76.80, speed_kph=60.0, range_m=range_m,
                           fuel_percent=5.0, gear="D", is_moving=True)


def test_route_progress_locates_points_along_and_off_the_route() -> None:
    p = RouteProgress(GEOMETRY)
    along, off = p.locate((40.25, -76.801))
    assert abs(along - 50 * 111.2) < 60 and 70 < off < 100
    assert abs(p.length_m - Polyline(GEOMETRY).length_m) < 1e-6


def test_low_range_suggests_the_station_ahead_once() -> None:
    m = ProactiveMonitor(_find)
    # 9 km to go, 30 km of range: fine (reserve 15 km)
    assert m.check(_car(30_000.0), TRIP, (), NOW) == []
    turns = m.check(_car(12_000.0), TRIP, (), NOW)
    assert [t.cause for t in turns] == ["low_range"]
    t = turns[0]
    # the station behind the car is not "on the way"; the one ahead is, ~4 km at 60 km/h
    assert t.reply == "Fuel is low: Sheetz is 4 minutes ahead. Add it?"
    assert [a.type for a in t.actions] == ["show_places"]
    assert t.understanding.intent == "find_place"
    # at most once per cause (per trip), however low it gets
    assert m.check(_car(5_000.0), TRIP, (), NOW) == []
    # unknown range (stale signal): nothing is assumed
    assert ProactiveMonitor(_find).check(_car(None), TRIP, (), NOW) == []


def test_no_low_range_warning_when_the_trip_already_stops_for_fuel() -> None:
    fuel_stop = RoutedPlace(**STATION.model_dump(), eta=NOW + timedelta(minutes=4))
    refuelling = TRIP.model_copy(update={"stops": (fuel_stop, CLEANER)})
    # 9 km of range, 4 km to the planned fuel stop: nothing to say
    assert ProactiveMonitor(_find).check(_car(9_000.0), refuelling, (), NOW) == []
    # but 5 km of range for a stop 4 km ahead is too tight
    turns = ProactiveMonitor(_find).check(_car(5_000.0), refuelling, (), NOW)
    assert [t.cause for t in turns] == ["low_range"]


def test_no_station_known_still_warns_without_inventing_one() -> None:
    turns = ProactiveMonitor(None).check(_car(5_000.0), TRIP, (), NOW)
    assert [t.reply for t in turns] == ["Fuel is low for this trip. Find a gas station?"]
    assert turns[0].actions == ()


def test_hazard_on_the_route_ahead_but_not_off_it_or_behind() -> None:
    def hz(lat: float, lon: float, r: float = 100.0) -> HazardEvent:
        return HazardEvent(kind="road_closed", lat=lat, lon=lon, radius_m=r,
                           sources=("camera",), ts=1.0)

    m = ProactiveMonitor()
    off_route = hz(40.25, -76.81)  # ~850 m west
    behind = hz(40.298, -76.80)
    assert m.check(_car(90_000.0), TRIP, (off_route, behind), NOW) == []
    ahead = hz(40.24, -76.8005)
    turns = m.check(_car(90_000.0), TRIP, (off_route, ahead), NOW)
    assert [t.reply for t in turns] == ["Road closed ahead on your route. Find a way around it?"]
    assert m.check(_car(90_000.0), TRIP, (ahead,), NOW) == []


def test_stop_closed_on_arrival() -> None:
    m = ProactiveMonitor(open_at=_open_at)
    turns = m.check(_car(90_000.0), TRIP, (), NOW)  # arrives 17:10, closes at 17:00
    assert [t.reply for t in turns] == [
        "Main Street Cleaners will be closed when you get there. Find another dry cleaning?"]
    assert m.check(_car(90_000.0), TRIP, (), NOW) == []
    early = TRIP.model_copy(update={"stops": (CLEANER.model_copy(
        update={"eta": NOW - timedelta(hours=2, minutes=-10)}),)})
    assert ProactiveMonitor(open_at=_open_at).check(_car(90_000.0), early, (),
                                                    NOW - timedelta(hours=3)) == []


def test_no_trip_no_proactive_turns() -> None:
    assert ProactiveMonitor(_find).check(_car(1_000.0), None, (), NOW) == []


def test_the_pipelines_map_lookups_on_the_real_pack() -> None:
    from copilot.service.pipeline import DEFAULT_MAP, build_pipeline

    pipe = build_pipeline(DEFAULT_MAP, None, lambda: ())
    assert pipe.find_places is not None and pipe.open_at is not None
    found = list(pipe.find_places(Category.FUEL, 40.2770, -76.8240, 5_000.0))
    assert found and all(p.category == "fuel" and p.osm_id is not None for p in found)
    # opening hours come from the map place behind the stop (by OSM type and id)
    from routing.pack import RegionPack

    places = RegionPack.open(DEFAULT_MAP).places
    with_hours = [m for c in Category for m in places.all_of(c) if m.opening_hours]
    assert with_hours
    for m in with_hours:
        assert pipe.open_at(m.place, NOW) == open_state(m.opening_hours, NOW)
    nowhere = Place(osm_type="node", osm_id=1, name="Not on the map", lat=40.0, lon=-76.0)
    assert pipe.open_at(nowhere, NOW) is None


def test_no_low_range_warning_at_the_pumps_of_the_planned_fuel_stop() -> None:
    fuel_stop = RoutedPlace(**STATION.model_dump(), eta=NOW + timedelta(minutes=4))
    refuelling = TRIP.model_copy(update={"stops": (fuel_stop, CLEANER)})
    # the car stands at Sheetz (on the road beside its map point), tank still nearly empty
    # while it fills: the plan refuels right here
    for lat in (40.2502, 40.25, 40.2496):  # pulling in, at the pump, pulling out
        car = VehicleSnapshot(lat=lat, lon=-76.80, speed_kph=0.0, range_m=3_000.0,
                              fuel_percent=3.0)
        assert ProactiveMonitor(_find).check(car, refuelling, (), NOW) == [], lat
    # 2 km past it, still empty (drove on without filling): that is worth saying
    past = VehicleSnapshot(lat=40.232, lon=-76.80, speed_kph=60.0, range_m=3_000.0,
                           fuel_percent=3.0)
    assert [t.cause for t in ProactiveMonitor(_find).check(past, refuelling, (), NOW)] \
        == ["low_range"]
