"""add_stop against the trip in progress: the destination is never added a second time.

"Also add a pharmacy before the airport" is parsed by the rules as two stops (pharmacy,
airport); the route used to end up with the airport both as a stop and as the destination.
Real Harrisburg map and Valhalla; the understandings are built by hand (the parser's output
for that sentence), so the test holds whatever the parser does.
"""

from __future__ import annotations

from test_ask import AT, copilot, route_of, turn, u
from test_routing_support import harrisburg, pack_cache

from copilot.dialog import Copilot
from routing.messages import Category, CategoryRef, Intent, Route, StopRequest

__all__ = ["copilot", "harrisburg", "pack_cache"]


def _airport_trip(copilot: Copilot) -> Route:
    r = copilot.answer_understood(
        u(Intent.NAVIGATE, "Take me to the airport.", destination=CategoryRef(category="airport")),
        turn())
    assert r.status == "ok", r
    return route_of(r)


def _is(place: object, other: object) -> bool:
    return (getattr(place, "osm_type", None), getattr(place, "osm_id", None)) == \
        (getattr(other, "osm_type", None), getattr(other, "osm_id", None))


def test_stop_before_the_destination_does_not_add_the_destination_as_a_stop(
        copilot: Copilot) -> None:
    trip = _airport_trip(copilot)
    said = "Also add a pharmacy before the airport, I must be there by 4:15."
    r = copilot.answer_understood(
        u(Intent.ADD_STOP, said, stops=(StopRequest(category="pharmacy"),
                                        StopRequest(category="airport")), arrive_by="16:15"),
        turn(trip=trip, at=AT))
    assert r.status == "ok", r
    route = route_of(r)
    assert _is(route.destination, trip.destination)
    assert [s.category for s in route.stops] == [Category.PHARMACY], route.stops
    assert not any(_is(s, route.destination) for s in route.stops)


def test_a_trip_stop_that_is_the_destination_is_not_kept_twice(copilot: Copilot) -> None:
    trip = _airport_trip(copilot)
    # a trip as a client may send it: the destination repeated as its last stop
    doubled = trip.model_copy(update={"stops": (*trip.stops, trip.destination)})
    r = copilot.answer_understood(
        u(Intent.ADD_STOP, "add a coffee", stops=(StopRequest(category="coffee"),)),
        turn(trip=doubled))
    assert r.status == "ok", r
    route = route_of(r)
    assert [s.category for s in route.stops] == [Category.COFFEE], route.stops


def test_asking_only_for_the_destination_asks_which_stop(copilot: Copilot) -> None:
    trip = _airport_trip(copilot)
    r = copilot.answer_understood(
        u(Intent.ADD_STOP, "add the airport", stops=(StopRequest(category="airport"),)),
        turn(trip=trip))
    assert r.status == "needs_clarification", r
    assert "already the destination" in r.reply
    assert not r.actions
