"""Redaction for the cloud: saved places leave only as opaque ids and coarse cells."""

from __future__ import annotations

import json

from redteam import world

from routing.messages import Place, Route, RoutedPlace, Understanding
from safety import redact
from sensors.state import VehicleSnapshot

SAVED = {
    **world.SAVED,
    "gym": Place(saved="gym", name="Iron Works", category=None, lat=40.3055, lon=-76.7921),
    "John's place": Place(saved="John's place", lat=40.3012, lon=-76.7961),
}
AT_HOME = VehicleSnapshot(lat=40.3111, lon=-76.7881, range_m=54_321.0)
AWAY = VehicleSnapshot(lat=40.3612, lon=-76.7013, range_m=54_321.0)


def u(text: str, **kw: object) -> Understanding:
    return Understanding.model_validate({"text": text, "intent": "navigate", "confidence": 0.9,
                                         **kw})


def sent(r: redact.Redacted | None) -> str:
    assert r is not None
    return r.request.model_dump_json()


def test_strict_privacy_sends_nothing() -> None:
    assert redact.redact_for_cloud(u("take me home"), AWAY, SAVED, privacy="strict") is None


def test_labels_names_and_exact_coordinates_never_leave() -> None:
    und = u("drop the shirts at the dry cleaner, then mom's house, then John's place and home",
            destination={"saved": "home"},
            stops=[{"saved": "dry cleaner"}, {"saved": "mom's house"},
                   {"name": "John's place"}, {"category": "coffee"}, {"saved": "nowhere"}])
    r = redact.redact_for_cloud(und, AT_HOME, SAVED, now=world.NOW)
    out = sent(r)
    for secret in ("dry cleaner", "mom", "John", "Jane Doe", "Main Street Cleaners", "home",
                   "40.311,", "-76.788,", "54321"):
        assert secret not in out, secret
    assert r is not None
    assert set(r.labels.values()) == {"home", "dry cleaner", "mom's house", "John's place",
                                      "nowhere"}
    req = r.request
    assert req.understanding.destination is not None
    assert req.understanding.destination.saved in r.labels  # type: ignore[union-attr]
    assert req.understanding.stops[2].name == redact.PRIVATE_PLACE
    assert req.understanding.stops[3].category == "coffee"
    assert req.range_m == 54_000.0
    # Only the saved places the turn asks for leave, each as a cell; home and people coarser.
    cells = {r.labels[c.id]: c for c in req.saved if c.id}
    assert set(cells) == {"home", "dry cleaner", "mom's house"}
    assert cells["dry cleaner"].cell_deg == redact.CELL_DEG
    assert cells["dry cleaner"].category == "dry_cleaning"
    assert cells["home"].cell_deg == cells["mom's house"].cell_deg == redact.SENSITIVE_CELL_DEG
    assert abs(cells["home"].lat - 40.311) <= redact.SENSITIVE_CELL_DEG / 2
    # The car is at home, so its own position is as coarse as home's.
    assert req.origin is not None and req.origin.cell_deg == redact.SENSITIVE_CELL_DEG


def test_away_from_home_the_origin_is_a_fine_cell_and_brands_survive() -> None:
    und = u("burger at McDonald's then Wendy's", stops=[{"name": "McDonald's"}],
            destination={"name": "Wendy's"})
    r = redact.redact_for_cloud(und, AWAY, SAVED)
    assert r is not None and r.labels == {}
    req = r.request
    assert req.understanding.text == und.text
    assert req.understanding.destination.name == "Wendy's"  # type: ignore[union-attr]
    assert req.origin is not None and req.origin.cell_deg == redact.CELL_DEG
    assert (req.origin.lat, req.origin.lon) == redact.cell(AWAY.lat or 0, AWAY.lon or 0, 0.01)


def test_unknown_position_and_range() -> None:
    r = redact.redact_for_cloud(u("where is coffee", intent="find_place"),
                                VehicleSnapshot(range_m=-3.0), SAVED)
    assert r is not None and r.request.origin is None and r.request.range_m is None
    blank = {**SAVED, " ": Place(saved=" ", lat=40.3, lon=-76.8)}  # a broken profile label
    r = redact.redact_for_cloud(u("x y"), VehicleSnapshot(range_m=1e9), blank)
    assert r is not None and r.request.range_m is None
    assert r.request.understanding.text == "x y" and r.labels == {}


def test_trip_in_progress_is_redacted_too() -> None:
    five_guys = world.PLACES[("node", 1001)]
    adhoc = Place(lat=40.30777, lon=-76.79111)
    trip = Route(stops=(RoutedPlace(**five_guys.model_dump(), eta=world.NOW),
                        RoutedPlace(**SAVED["gym"].model_dump(), eta=world.NOW),
                        RoutedPlace(**adhoc.model_dump(), eta=world.NOW)),
                 destination=RoutedPlace(**SAVED["home"].model_dump(), eta=world.NOW),
                 distance_m=1.0, duration_s=1.0)
    r = redact.redact_for_cloud(u("add coffee", intent="add_stop"), AWAY, SAVED, trip=trip)
    assert r is not None
    mapped, gym, point, home = r.request.trip
    assert (mapped.osm_id, mapped.lat, mapped.cell_deg) == (1001, five_guys.lat, 0.0)
    assert gym.id is not None and r.labels[gym.id] == "gym" and gym.cell_deg == redact.CELL_DEG
    assert point.id is None and point.cell_deg == redact.CELL_DEG and point.lat != adhoc.lat
    assert home.id is not None and r.labels[home.id] == "home"
    assert "Iron Works" not in sent(r) and "gym" not in sent(r)


def test_cells_and_sensitivity() -> None:
    assert redact.cell(40.3012, -76.8034, 0.01) == (40.305, -76.805)
    assert redact.cell(-0.001, 0.001, 0.01) == (-0.005, 0.005)
    assert redact.is_sensitive("Home") and redact.is_sensitive("my sister's house")
    assert redact.is_sensitive("Alice's place") and not redact.is_sensitive("dry cleaner")
    assert not redact.is_sensitive("McDonald's")


def test_request_round_trips_as_json() -> None:
    r = redact.redact_for_cloud(u("home", destination={"saved": "home"}), AWAY, SAVED)
    assert r is not None
    again = redact.CloudRequest.model_validate_json(json.dumps(json.loads(sent(r))))
    assert again == r.request


def test_a_position_off_the_planet_is_not_sent() -> None:
    for lat, lon in ((200.0, 10.0), (10.0, -500.0), (float("nan"), 0.0)):
        r = redact.redact_for_cloud(u("x"), VehicleSnapshot(lat=lat, lon=lon), SAVED)
        assert r is not None and r.request.origin is None


def test_ids_are_numbered_per_request_and_longest_labels_win() -> None:
    saved = {"gym": Place(saved="gym", lat=40.30, lon=-76.80),
             "gym annex": Place(saved="gym annex", lat=40.31, lon=-76.81),
             "work": Place(saved="work", lat=40.32, lon=-76.82)}
    und = u("Take me to the GYM ANNEX, then WORK", destination={"saved": "work"})
    r = redact.redact_for_cloud(und, AWAY, saved)
    assert r is not None
    assert r.labels == {"saved_1": "work", "saved_2": "gym annex"}
    assert r.request.understanding.text == "Take me to the saved_2, then saved_1"


def test_trip_places_keep_their_category_and_the_turns_time() -> None:
    half = Place(osm_type="node", saved="gym", category="parking", lat=40.3055, lon=-76.7921)
    five = world.PLACES[("node", 1001)]
    trip = Route(stops=(RoutedPlace(**half.model_dump(), eta=world.NOW),
                        RoutedPlace(**Place(lat=40.30777, lon=-76.79111,
                                            category="fuel").model_dump(), eta=world.NOW)),
                 destination=RoutedPlace(**five.model_dump(), eta=world.NOW),
                 distance_m=1.0, duration_s=1.0)
    r = redact.redact_for_cloud(u("x"), VehicleSnapshot(range_m=0.0), SAVED, trip=trip,
                                now=world.NOW)
    assert r is not None
    gym, point, mapped = r.request.trip
    # A saved place with a stray osm_type but no id is still a saved place: a cell, no type.
    assert gym.osm_type is None and gym.cell_deg == redact.CELL_DEG and gym.id is not None
    assert (gym.category, point.category, mapped.category) == ("parking", "fuel", "burger")
    assert mapped.osm_type == "node"
    assert r.request.now == world.NOW and r.request.range_m == 0.0
