"""`copilot ask` end to end on the real Harrisburg/Baltimore maps: every status, every intent.

The CLI tests run the real command (NLU, Valhalla, safety gate); the dialog tests go through
`answer_understood` with hand-built understandings, so they hold whatever the parser does.
"""

from __future__ import annotations

import json
import re
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from test_routing_support import baltimore, harrisburg, pack_cache, pbf

from copilot.dialog import Copilot
from copilot.messages import AskResult, AskTurn
from routing.messages import (
    Category,
    CategoryRef,
    Intent,
    Route,
    SavedRef,
    SetRoute,
    StopRequest,
    Understanding,
)
from routing.pack import RegionPack
from routing.profile import Profile

__all__ = ["baltimore", "harrisburg", "pack_cache"]

COPILOT = str(Path(__file__).resolve().parents[1] / ".venv" / "bin" / "copilot")
TZ = timezone(timedelta(hours=-5))
AT = datetime(2026, 11, 25, 15, 0, tzinfo=TZ)
HBG = {"Vehicle.CurrentLocation.Latitude": 40.2770, "Vehicle.CurrentLocation.Longitude": -76.8240,
       "Vehicle.Speed": 0.0, "Vehicle.Powertrain.Range": 90_000,
       "Vehicle.Powertrain.FuelSystem.RelativeLevel": 20}
PROFILE = {
    "saved": {"home": {"lat": 40.30, "lon": -76.80},
              "dry cleaner": {"lat": 40.27, "lon": -76.82, "name": "Main Street Cleaners",
                              "category": "dry_cleaning"},
              "cabin": {"lat": 40.2370, "lon": -76.8815}},
    "preferences": {"avoid_brands": [], "max_detour_min": 10},
}


def u(intent: Intent, text: str = "test", **kw: Any) -> Understanding:
    return Understanding(text=text, intent=intent, confidence=0.9, **kw)


def turn(state: dict[str, Any] | None = None, trip: Route | None = None,
         at: datetime = AT) -> AskTurn:
    return AskTurn(text="test", at=at, state=HBG if state is None else state, trip=trip)


@pytest.fixture(scope="module")
def copilot(harrisburg: RegionPack) -> Copilot:
    return Copilot(harrisburg, Profile.from_dict(PROFILE))


def route_of(r: AskResult) -> Route:
    routes = [a.route for a in r.actions if isinstance(a, SetRoute)]
    assert len(routes) == 1, r
    return routes[0]


def run_ask(tmp_path: Path, pbf_path: Path, turns: list[dict[str, Any]],
            profile: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    import os
    prof = tmp_path / "profile.yaml"
    prof.write_text(json.dumps(profile or PROFILE))  # JSON is YAML
    lines = "\n".join(json.dumps(t) for t in turns) + "\nnot json at all\n"
    r = subprocess.run([COPILOT, "ask", "--map", str(pbf_path), "--profile", str(prof),
                        "--jsonl", "--offload", "never"],
                       input=lines, capture_output=True, text=True, timeout=300,
                       env=os.environ | {"XDG_CACHE_HOME": str(tmp_path.parent / "xdg"),
                                         "XDG_STATE_HOME": str(tmp_path / "state")})
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(out) == len(turns) + 1
    assert out[-1]["status"] == "not_understood"  # the bad line answered, not dropped
    for o in out:
        AskResult.model_validate(o)  # exactly the contract's shape
        assert set(o) >= {"understanding", "status", "reply", "actions", "served_by",
                          "timings_ms"}
        assert set(o["timings_ms"]) == {"understand", "plan", "validate", "total"}
    return out[:-1]


def test_cli_the_mission_request_on_harrisburg(tmp_path: Path) -> None:
    state = dict(HBG)
    out = run_ask(tmp_path, pbf("harrisburg"), [
        {"text": "take me to the airport, my flight is at 5:30, I need a burger, coffee and "
                 "my dry cleaning on the way", "at": AT.isoformat(), "state": state,
         "trip": None},
        {"text": "I need a dry cleaner", "at": AT.isoformat(), "state": state, "trip": None},
    ], profile={k: v for k, v in PROFILE.items() if k != "saved"} | {"saved": {
        "home": {"lat": 40.30, "lon": -76.80}}})
    # Nothing saved and no dry cleaner in this map: say so, never invent one.
    for r in out:
        assert r["status"] == "infeasible" and "no dry cleaner" in r["reply"], r
        assert r["actions"] == []


def test_cli_refusals_reach_the_local_audit_log(tmp_path: Path) -> None:
    out = run_ask(tmp_path, pbf("harrisburg"), [
        {"text": "open the sunroof", "at": AT.isoformat(), "state": dict(HBG), "trip": None},
        {"text": "take me home", "at": AT.isoformat(), "state": dict(HBG), "trip": None},
    ])
    assert [o["status"] for o in out] == ["refused", "ok"]
    log_file = tmp_path / "state" / "copilot" / "audit.jsonl"
    entries = [json.loads(line) for line in log_file.read_text().splitlines()]
    # The refusal is written with its reason code; the clean turn is not.
    assert [e["text"] for e in entries] == ["open the sunroof"]
    assert entries[0]["status"] == "refused" and entries[0]["verdicts"]
    assert all(v["reason"] for v in entries[0]["verdicts"])


def test_cli_mission_with_saved_dry_cleaner(tmp_path: Path) -> None:
    out = run_ask(tmp_path, pbf("harrisburg"), [
        {"text": "take me to the airport, my flight is at 5:30, I need a burger, coffee and "
                 "my dry cleaning on the way", "at": AT.isoformat(), "state": HBG, "trip": None}])
    r = out[0]
    assert r["status"] == "ok", r
    route = r["actions"][0]["route"]
    cats = [s["category"] for s in route["stops"]]
    assert sorted(cats) == ["burger", "coffee", "dry_cleaning"]
    saved = [s for s in route["stops"] if s["saved"]]
    assert saved and saved[0]["saved"] == "dry cleaner" and saved[0]["osm_id"] is None
    assert route["destination"]["name"] == "Capital City Airport"
    assert route["destination"]["osm_type"] == "way"
    etas = [s["eta"] for s in route["stops"]] + [route["destination"]["eta"]]
    assert etas == sorted(etas)
    assert datetime.fromisoformat(etas[-1]) <= datetime.fromisoformat("2026-11-25T16:30-05:00")
    assert len(route["geometry"]) > 10 and route["distance_m"] > 1000
    assert "airport" in r["reply"] and r["reply"].count(".") <= 2
    assert r["served_by"] == "device"


def test_ok_and_needs_clarification(copilot: Copilot) -> None:
    ok = copilot.answer_understood(u(Intent.NAVIGATE, destination=CategoryRef(
        category=Category.AIRPORT), stops=(StopRequest(category=Category.COFFEE),)), turn())
    assert ok.status == "ok" and route_of(ok).stops[0].category == Category.COFFEE
    nowhere = copilot.answer_understood(u(Intent.NAVIGATE), turn())
    assert nowhere.status == "needs_clarification" and not nowhere.actions
    gym = copilot.answer_understood(u(Intent.NAVIGATE, destination=SavedRef(saved="gym")),
                                    turn())
    assert gym.status == "needs_clarification" and "gym" in gym.reply


def test_saved_place_wins_when_the_driver_says_my(copilot: Copilot) -> None:
    r = copilot.answer_understood(u(Intent.NAVIGATE, text="home via my dry cleaner",
                                    destination=SavedRef(saved="home"),
                                    stops=(StopRequest(saved="dry cleaner"),)), turn())
    route = route_of(r)
    assert route.stops[0].saved == "dry cleaner" and route.destination.saved == "home"


def test_infeasible_flight_and_missing_category(copilot: Copilot) -> None:
    late = copilot.answer_understood(u(Intent.NAVIGATE, destination=CategoryRef(
        category=Category.AIRPORT), flight_time="15:30"), turn())
    assert late.status == "infeasible" and "flight" in late.reply and not late.actions
    none = copilot.answer_understood(u(Intent.NAVIGATE, destination=CategoryRef(
        category=Category.AIRPORT), stops=(StopRequest(category=Category.DRY_CLEANING),)), turn())
    assert none.status == "infeasible" and "no dry cleaner" in none.reply


def test_bad_positions_and_places(copilot: Copilot) -> None:
    home = u(Intent.NAVIGATE, destination=SavedRef(saved="home"))
    outside = copilot.answer_understood(home, turn(dict(HBG) | {
        "Vehicle.CurrentLocation.Latitude": 39.29, "Vehicle.CurrentLocation.Longitude": -76.61}))
    assert outside.status == "infeasible" and "outside" in outside.reply
    unknown = copilot.answer_understood(home, turn({}))
    assert unknown.status == "infeasible" and "where the car is" in unknown.reply
    # "cabin" lies inside the map's box but more than 2 km from any road.
    assert copilot.pack.router.snap((40.2370, -76.8815)) is None
    cabin = copilot.answer_understood(u(Intent.NAVIGATE, destination=SavedRef(saved="cabin")),
                                      turn())
    assert cabin.status == "infeasible" and "route" in cabin.reply and cabin.why == "unreachable"


def test_refused_and_not_understood(copilot: Copilot) -> None:
    r = copilot.answer_understood(u(Intent.VEHICLE_CONTROL, text="open the windows"), turn())
    assert r.status == "refused" and not r.actions
    n = copilot.answer_understood(u(Intent.OUT_OF_SCOPE, text="sing me a song"), turn())
    assert n.status == "not_understood"


def test_trip_edits_against_the_given_trip(copilot: Copilot) -> None:
    start = copilot.answer_understood(u(Intent.NAVIGATE, destination=CategoryRef(
        category=Category.AIRPORT), stops=(StopRequest(category=Category.BURGER),)), turn())
    trip = route_of(start)
    added = copilot.answer_understood(u(Intent.ADD_STOP, stops=(
        StopRequest(category=Category.COFFEE),)), turn(trip=trip))
    trip2 = route_of(added)
    assert {s.category for s in trip2.stops} == {Category.COFFEE, Category.BURGER}
    assert trip2.destination.osm_id == trip.destination.osm_id
    removed = copilot.answer_understood(u(Intent.REMOVE_STOP, stops=(
        StopRequest(category=Category.BURGER),)), turn(trip=trip2))
    trip3 = route_of(removed)
    assert [s.category for s in trip3.stops] == [Category.COFFEE]
    assert removed.reply.startswith("Dropped")
    eta = copilot.answer_understood(u(Intent.ASK_ETA, flight_time="17:30"), turn(trip=trip3))
    assert eta.status == "ok" and "before your 5:30 pm flight" in eta.reply
    # The time before is measured from the arrival to the flight itself (not the buffer).
    m = re.search(r"at (\d+):(\d\d) pm.*That's (?:(\d+) h)? ?(?:(\d+) min)? before", eta.reply)
    assert m, eta.reply
    arrive_min = (int(m[1]) + 12) * 60 + int(m[2])
    ahead_min = int(m[3] or 0) * 60 + int(m[4] or 0)
    assert abs(ahead_min - (17 * 60 + 30 - arrive_min)) <= 1, eta.reply  # clock rounding
    veh = copilot.answer_understood(u(Intent.ASK_VEHICLE, text="how far can I go"),
                                    turn(trip=trip3))
    assert veh.status == "ok" and "90 km" in veh.reply and "covers the trip" in veh.reply
    cancel = copilot.answer_understood(u(Intent.CANCEL), turn(trip=trip3))
    assert cancel.status == "ok" and [a.type for a in cancel.actions] == ["cancel_route"]


def test_find_place_shows_real_places(copilot: Copilot, harrisburg: RegionPack) -> None:
    r = copilot.answer_understood(u(Intent.FIND_PLACE, destination=CategoryRef(
        category=Category.COFFEE)), turn())
    assert r.status == "ok" and r.actions[0].type == "show_places"
    for p in r.actions[0].places:  # type: ignore[union-attr]
        assert p.osm_type and p.osm_id is not None
        assert harrisburg.places.get(p.osm_type, p.osm_id) is not None


def test_low_range_inserts_fuel_and_says_so(copilot: Copilot) -> None:
    low = dict(HBG) | {"Vehicle.Powertrain.Range": 24_000}
    r = copilot.answer_understood(u(Intent.NAVIGATE, destination=CategoryRef(
        category=Category.AIRPORT), stops=(StopRequest(category=Category.BURGER),)), turn(low))
    assert r.status == "ok", r
    assert Category.FUEL in [s.category for s in route_of(r).stops]
    assert "fuel stop" in r.reply


def test_baltimore_dry_cleaner_is_a_real_one(baltimore: RegionPack) -> None:
    cop = Copilot(baltimore, Profile())
    state = {"Vehicle.CurrentLocation.Latitude": 39.2850,
             "Vehicle.CurrentLocation.Longitude": -76.5800, "Vehicle.Speed": 0.0}
    r = cop.answer_understood(u(Intent.NAVIGATE, stops=(
        StopRequest(category=Category.DRY_CLEANING), StopRequest(category=Category.COFFEE))),
        turn(state))
    route = route_of(r)
    places = [*route.stops, route.destination]
    cleaners = [p for p in places if p.category == Category.DRY_CLEANING]
    assert len(cleaners) == 1 and cleaners[0].osm_id is not None
    assert baltimore.places.get(str(cleaners[0].osm_type), cleaners[0].osm_id) is not None


def test_cli_bad_map_and_profile_are_one_clear_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"garbage" * 50)
    r = subprocess.run([COPILOT, "ask", "--map", str(bad), "--jsonl"], input="",
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "bad.osm.pbf" in r.stderr and r.stderr.startswith("error:")
    prof = tmp_path / "p.yaml"
    prof.write_text("saved: [oops")
    r = subprocess.run([COPILOT, "ask", "--map", str(pbf("harrisburg")), "--profile", str(prof),
                        "--jsonl"], input="", capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "profile" in r.stderr and "Traceback" not in r.stderr


def test_cli_map_info_lists_places_per_category(tmp_path: Path) -> None:
    import os

    r = subprocess.run([COPILOT, "map", "info", "--json", str(pbf("baltimore"))],
                       capture_output=True, text=True, timeout=120,
                       env=os.environ | {"XDG_CACHE_HOME": str(tmp_path.parent / "xdg"),
                                         "XDG_STATE_HOME": str(tmp_path / "state")})
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout.splitlines()[-1])
    assert info["places"]["dry_cleaning"] == 3 and info["places"]["airport"] == 0
    assert set(info["places"]) == {c.value for c in Category}


def test_hazard_on_the_way_is_routed_around(copilot: Copilot) -> None:
    from safety.geo import first_point_in_disc
    from sensors.messages import HazardEvent

    ask = u(Intent.NAVIGATE, destination=CategoryRef(category=Category.AIRPORT))
    first = route_of(copilot.answer_understood(ask, turn()))
    mid = first.geometry[len(first.geometry) // 2]
    hz = HazardEvent(kind="road_closed", lat=mid[0], lon=mid[1], radius_m=60.0,
                     sources=("radar", "camera"), ts=1.0)
    again = copilot.answer_understood(ask, turn(), hazards=(hz,))
    assert again.status == "ok", again
    assert first_point_in_disc(route_of(again).geometry, hz.lat, hz.lon, hz.radius_m) is None


def test_one_place_serving_two_stops_is_visited_once(copilot: Copilot) -> None:
    r = copilot.answer_understood(u(Intent.NAVIGATE, destination=CategoryRef(
        category=Category.AIRPORT), stops=(StopRequest(category=Category.BANK),
                                           StopRequest(category=Category.ATM))), turn())
    assert r.status == "ok", r
    ids = [(s.osm_type, s.osm_id) for s in route_of(r).stops]
    assert len(ids) == len(set(ids)) >= 1


def test_replies_while_moving_fit_the_word_limit(copilot: Copilot) -> None:
    from copilot.dialog import MAX_WORDS_MOVING, fit_reply

    long = "Coffee at A, burger at B, then your dry cleaner; at the airport 4:12 pm. " \
           "That leaves 72 min to spare, which is plenty of time for a relaxed drive today."
    assert len(fit_reply(long, True).split()) <= MAX_WORDS_MOVING
    assert fit_reply(long, True).endswith("4:12 pm.") and fit_reply(long, False) == long
    ev = dict(HBG) | {"Vehicle.Speed": 50.0, "Vehicle.Powertrain.Range": 15_000,
                      "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current": 8}
    ev.pop("Vehicle.Powertrain.FuelSystem.RelativeLevel")
    r = copilot.answer_understood(u(Intent.NAVIGATE, destination=CategoryRef(
        category=Category.AIRPORT)), turn(ev))
    assert r.status == "infeasible" and "charging station" in r.reply  # none on this map
    assert len(r.reply.split()) <= MAX_WORDS_MOVING


def test_any_text_gets_an_answer_never_a_traceback(copilot: Copilot) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    words = st.sampled_from(["take", "me", "to", "the", "airport", "my", "gym", "coffee",
                             "burger", "not", "McDonald's", "by", "5:30", "flight", "drop",
                             "cancel", "add", "stop", "windows", "home", "dry", "cleaner", "é"])

    @settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.one_of(st.lists(words, max_size=12).map(" ".join), st.text(max_size=80)))
    def check(text: str) -> None:
        r = copilot.answer(AskTurn(text=text, at=AT, state=HBG, trip=None))
        assert r.status in ("ok", "needs_clarification", "infeasible", "refused",
                            "not_understood")
        assert r.reply and r.timings_ms.total >= 0
        AskResult.model_validate_json(r.to_json())

    check()


def test_the_dry_cleaner_with_none_saved_is_searched_on_the_map(harrisburg: RegionPack) -> None:
    """"the dry cleaner" reads as the saved label; with none saved the dialog searches the
    kind (this map has none, so it says so) instead of asking which saved place was meant."""
    bare = Copilot(harrisburg, Profile.from_dict({"saved": {"home": {"lat": 40.30,
                                                                      "lon": -76.80}}}))
    for understood in (u(Intent.NAVIGATE, text="take me to the dry cleaner",
                         destination=SavedRef(saved="dry cleaner")),
                       u(Intent.NAVIGATE, text="home via the dry cleaner",
                         destination=SavedRef(saved="home"),
                         stops=(StopRequest(saved="dry cleaner"),))):
        r = bare.answer_understood(understood, turn())
        assert r.status == "infeasible" and "no dry cleaner" in r.reply, r
