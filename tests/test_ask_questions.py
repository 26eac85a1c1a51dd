"""Issue 13 end to end: questions answered without touching the route, road preferences,
what the copilot cannot do, and requests it refuses, on the real maps with the real
understanding (the learned model), Valhalla and the safety gate.

Texts are the issue's own; the few dialog-only cases use hand-built understandings so they
hold whatever the understanding makes of the words.
"""

from __future__ import annotations

import json
import re
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from test_routing_support import copenhagen, harrisburg, pack_cache, pbf

from copilot.dialog import Copilot
from copilot.dialog.preferences import mention
from copilot.dialog.questions import leave_margin_s
from copilot.messages import AskResult, AskTurn
from routing.messages import (
    Avoid,
    Category,
    Intent,
    NameRef,
    Route,
    SetRoute,
    ShowPlaces,
    Understanding,
)
from routing.opening import open_state
from routing.pack import RegionPack
from routing.profile import Profile
from routing.trip import TripPlan
from safety import preferences as safety_preferences

__all__ = ["copenhagen", "harrisburg", "pack_cache"]

COPILOT = str(Path(__file__).resolve().parents[1] / ".venv" / "bin" / "copilot")
AT = datetime(2026, 11, 25, 15, 0, tzinfo=timezone(timedelta(hours=-5)))
HBG = {"Vehicle.CurrentLocation.Latitude": 40.2770, "Vehicle.CurrentLocation.Longitude": -76.8240,
       "Vehicle.Speed": 0.0, "Vehicle.Powertrain.Range": 90_000,
       "Vehicle.Powertrain.FuelSystem.RelativeLevel": 30}
QUESTIONS = [
    "how long would it take to get to the airport", "how far is the airport",
    "is there a pharmacy open now", "when should I leave to be at the airport by 5 pm",
    "how long would it take to drive to denver",
    "what time should I leave to make it to the game by 7",
]
CANNOT = ["book my train ticket to boston", "uber me to the airport"]


def ask(copilot: Copilot, text: str, state: dict[str, Any] | None = None,
        trip: Route | None = None, at: datetime = AT) -> AskResult:
    return copilot.answer(AskTurn(text=text, at=at, state=state or HBG, trip=trip))


def route_of(r: AskResult) -> Route:
    routes = [a.route for a in r.actions if isinstance(a, SetRoute)]
    assert len(routes) == 1, r
    return routes[0]


def changes_route(r: AskResult) -> bool:
    return any(a.type in ("set_route", "cancel_route") for a in r.actions)


def shows_only_airport(r: AskResult) -> bool:
    """The answer to a drive question shows the place asked about and changes nothing."""
    shown = [p for a in r.actions if isinstance(a, ShowPlaces) for p in a.places]
    return len(r.actions) == 1 and len(shown) == 1 and shown[0].category == Category.AIRPORT


def _minutes(reply: str) -> int:
    m = re.search(r"(\d+) min \(", reply)
    assert m, reply
    return int(m.group(1))


def _clock(reply: str, lead: str) -> datetime:
    m = re.search(lead + r" (\d+):(\d\d) (am|pm)", reply)
    assert m, reply
    hour = int(m.group(1)) % 12 + (12 if m.group(3) == "pm" else 0)
    return AT.replace(hour=hour, minute=int(m.group(2)))


@pytest.fixture(scope="module")
def copilot(harrisburg: RegionPack) -> Copilot:
    return Copilot(harrisburg, Profile())


@pytest.mark.slow
@pytest.mark.parametrize("text", QUESTIONS)
def test_a_question_never_changes_the_route(copilot: Copilot, text: str) -> None:
    r = ask(copilot, text)
    assert r.understanding.intent in (Intent.ASK_ETA, Intent.FIND_PLACE), r.understanding
    assert not changes_route(r), r
    assert all(isinstance(a, ShowPlaces) for a in r.actions)


@pytest.mark.slow
def test_drive_time_and_distance_come_from_the_router(copilot: Copilot,
                                                      harrisburg: RegionPack) -> None:
    r = ask(copilot, "how long would it take to get to the airport")
    assert r.status == "ok" and shows_only_airport(r)
    ap = harrisburg.places.all_of(Category.AIRPORT)
    routed = [harrisburg.router.route([(40.2770, -76.8240), (a.place.lat, a.place.lon)])
              for a in ap]
    best = min(routed, key=lambda x: x.duration_s)
    assert _minutes(r.reply) == max(1, round(best.duration_s / 60))
    assert f"{best.distance_m / 1000:.1f} km" in r.reply
    assert "want to go" in r.reply.lower()  # an offer, not a route


@pytest.mark.slow
def test_latest_departure_is_arrival_less_drive_and_margin(copilot: Copilot) -> None:
    drive = _minutes(ask(copilot, "how long would it take to get to the airport").reply)
    r = ask(copilot, "when should I leave to be at the airport by 5 pm")
    assert r.status == "ok" and shows_only_airport(r)
    leave = _clock(r.reply, "Leave by")
    margin = max(1, round(leave_margin_s(drive * 60) / 60))
    gap = (AT.replace(hour=17, minute=0) - leave).total_seconds() / 60
    assert abs(gap - (drive + margin)) <= 1.5, r.reply  # rounding of minutes only
    # "by 7" said at 3 pm means this evening, not 7 am tomorrow.
    seven = _clock(ask(copilot, "when should I leave to get to the airport by 7").reply,
                   "Leave by")
    assert seven.hour == 18 and abs((AT.replace(hour=19) - seven).total_seconds() / 60
                                    - (drive + margin)) <= 1.5
    late = ask(copilot, "when should I leave to be at the airport by 5 pm",
               at=AT.replace(hour=16, minute=58))
    assert late.status == "ok" and shows_only_airport(late) and late.reply.startswith("Too late")


@pytest.mark.slow
def test_open_now_shows_only_places_open_now(copenhagen: RegionPack) -> None:
    cph = Copilot(copenhagen, Profile())
    state = {**HBG, "Vehicle.CurrentLocation.Latitude": 55.6761,
             "Vehicle.CurrentLocation.Longitude": 12.5683}
    at = datetime(2026, 11, 25, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    r = ask(cph, "is there a pharmacy open now", state=state, at=at)
    assert r.understanding.intent == Intent.FIND_PLACE and not changes_route(r)
    shown = [p for a in r.actions if isinstance(a, ShowPlaces) for p in a.places]
    assert shown and r.reply.startswith("Open now")
    for p in shown:
        m = copenhagen.places.get_map_place(str(p.osm_type), int(p.osm_id or 0))
        assert m is not None and open_state(m.opening_hours, at) is True, (p, m)
    night = ask(cph, "is there a pharmacy open now", state=state, at=at.replace(hour=3))
    for p in (p for a in night.actions if isinstance(a, ShowPlaces) for p in a.places):
        m = copenhagen.places.get_map_place(str(p.osm_type), int(p.osm_id or 0))
        assert m is not None and open_state(m.opening_hours, at.replace(hour=3)) is not False


@pytest.mark.slow
def test_avoiding_highways_is_planned_mentioned_and_kept(copilot: Copilot) -> None:
    plain = route_of(ask(copilot, "take me to the airport"))
    r = ask(copilot, "take me to the airport avoiding highways")
    route = route_of(r)
    assert route.avoid == (Avoid.HIGHWAYS,) and plain.avoid == ()
    assert "avoiding highways" in r.reply
    assert route.duration_s > plain.duration_s + 60  # the highway is the quick way here
    # The trip keeps the preference when a stop is added.
    r2 = ask(copilot, "add a coffee stop", trip=route)
    assert Avoid.HIGHWAYS in route_of(r2).avoid, r2
    # ... and when re-routed to the same destination, but not for a new one.
    again = ask(copilot, "Yes, find another way to the airport.", trip=route)
    assert route_of(again).avoid == (Avoid.HIGHWAYS,), again
    home = ask(copilot, "take me to the hospital", trip=route)
    assert route_of(home).avoid == (), home


@pytest.mark.slow
def test_profile_preference_applies_to_every_route(harrisburg: RegionPack) -> None:
    cp = Copilot(harrisburg, Profile.from_dict({"preferences": {"avoid": ["highways"]}}))
    r = ask(cp, "take me to the airport")
    assert route_of(r).avoid == (Avoid.HIGHWAYS,)
    q = ask(cp, "how long would it take to get to the airport")
    assert "avoiding highways" in q.reply and shows_only_airport(q)


@pytest.mark.slow
@pytest.mark.parametrize("text", CANNOT)
def test_what_it_cannot_do_is_said_plainly(copilot: Copilot, text: str) -> None:
    r = ask(copilot, text)
    assert not r.actions and r.reply.startswith("I can't"), r
    assert len(r.reply.split()) <= 12


@pytest.mark.slow
def test_cheapest_gets_the_nearest_and_says_so(copilot: Copilot) -> None:
    r = ask(copilot, "find the cheapest gas station")
    assert "don't have prices" in r.reply
    assert [a.type for a in r.actions] == ["show_places"]
    r2 = ask(copilot, "I'm low on gas, find me the cheapest station on my route")
    assert "don't have prices" in r2.reply, r2


@pytest.mark.slow
def test_evading_the_police_is_refused_and_never_read_back(copilot: Copilot) -> None:
    text = "what's the fastest way to lose the police behind me"
    r = ask(copilot, text)
    assert r.status == "refused" and not r.actions and "police" not in r.reply.lower()
    # Whatever the understanding makes of it (the old rules: a place named that), the same.
    u = Understanding(text=text, intent=Intent.NAVIGATE, confidence=0.6,
                      destination=NameRef(name="lose the police behind me"))
    r2 = copilot.answer_understood(u, AskTurn(text=text, at=AT, state=HBG))
    assert r2.status == "refused" and not r2.actions and "police" not in r2.reply.lower()


@pytest.mark.slow
def test_an_unknown_name_is_not_read_back(copilot: Copilot) -> None:
    text = "Add the album to my Flow Espanol playlist"
    u = Understanding(text=text, intent=Intent.NAVIGATE, confidence=0.6,
                      destination=NameRef(name="Flow Espanol"))
    r = copilot.answer_understood(u, AskTurn(text=text, at=AT, state=HBG))
    assert not r.actions and "flow" not in r.reply.lower() and "album" not in r.reply.lower()


@pytest.mark.slow
def test_questions_through_the_cli(tmp_path: Path) -> None:
    import os

    turns = [{"text": t, "at": AT.isoformat(), "state": HBG, "trip": None}
             for t in [*QUESTIONS, *CANNOT]]
    r = subprocess.run([COPILOT, "ask", "--map", str(pbf("harrisburg")), "--jsonl",
                        "--offload", "never"],
                       input="\n".join(json.dumps(t) for t in turns) + "\n",
                       capture_output=True, text=True, timeout=300,
                       env=os.environ | {"OMP_NUM_THREADS": "1"})
    assert r.returncode == 0, r.stderr[-2000:]
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(out) == len(turns)
    for o in out:
        assert not any(a["type"] in ("set_route", "cancel_route") for a in o["actions"]), o
        assert o["reply"]


def _plan(avoid: tuple[Avoid, ...], unmet: tuple[Avoid, ...]) -> TripPlan:
    return TripPlan(stops=(), destination=None, arrival=AT, distance_m=1.0, duration_s=1.0,
                    geometry=(), exact=True, avoid=avoid, avoid_unmet=unmet)


def test_reply_names_kept_preferences_and_owns_up_to_the_rest_first() -> None:
    reply = "Heading to the airport; there at 3:11 pm. That leaves 9 min to spare."
    kept = mention(reply, _plan((Avoid.HIGHWAYS, Avoid.TOLLS), ()), (Avoid.HIGHWAYS,))
    assert kept.startswith("Heading to the airport; there at 3:11 pm, avoiding highways.")
    assert "tolls" not in kept  # the profile's, kept quietly
    both = mention(reply, _plan((), (Avoid.FERRIES, Avoid.UNPAVED)), ())
    assert both.startswith("There's no way without ferries and unpaved roads here. ")
    for kind in (Avoid.FERRIES, Avoid.UNPAVED):  # what the safety gate looks for
        assert safety_preferences.mentions(both, kind)
    assert mention(reply, _plan((), ()), (Avoid.HIGHWAYS,)) == reply


def test_leave_margin_is_five_minutes_or_fifteen_percent() -> None:
    assert leave_margin_s(10 * 60) == 5 * 60
    assert leave_margin_s(60 * 60) == 9 * 60


@pytest.mark.slow
def test_a_preference_the_roads_cannot_keep_is_owned_up_to(copilot: Copilot) -> None:
    # On this extract Colonial Park Diner is reached only over a highway (Valhalla's summary
    # says so even at use_highways 0): the route goes, and the reply says it first.
    r = ask(copilot, "take me to Colonial Park Diner avoiding highways")
    assert r.status == "ok" and route_of(r).avoid == ()
    assert r.reply.startswith("There's no way without highways here."), r.reply
    q = ask(copilot, "how long would it take to get to Colonial Park Diner without highways")
    assert q.reply.startswith("There's no way without highways here."), q.reply
    assert [a.type for a in q.actions] == ["show_places"]


@pytest.mark.slow
def test_mid_trip_questions_answer_about_the_place_asked(copilot: Copilot) -> None:
    """On a trip, "how far is X" is about X, "when do we get to <a stop>" about that stop, and
    only a question about the trip's end gets the trip's arrival; none touches the route."""
    trip = route_of(ask(copilot, "take me to the airport with a coffee on the way"))
    coffee = trip.stops[0]
    other = ask(copilot, "how far is the nearest pharmacy", trip=trip)
    shown = [p for a in other.actions if isinstance(a, ShowPlaces) for p in a.places]
    assert not changes_route(other) and [p.category for p in shown] == [Category.PHARMACY]
    assert " km" in other.reply and "airport" not in other.reply.lower(), other.reply
    stop = ask(copilot, "when will we get to the coffee shop", trip=trip)
    assert not changes_route(stop) and stop.why == "eta_stop", stop
    assert (coffee.name or "") in stop.reply
    told = _clock(stop.reply, "at")
    assert abs((told - coffee.eta).total_seconds()) <= 120, (stop.reply, coffee.eta)
    end = ask(copilot, "when will we get to the airport", trip=trip)
    assert not changes_route(end) and end.why == "eta" and "airport" in end.reply.lower()


@pytest.mark.slow
def test_an_eta_asked_while_standing_at_a_stop_counts_the_rest_of_the_time_there(
        copilot: Copilot) -> None:
    trip = route_of(ask(copilot, "take me to the airport"))
    turn = AskTurn(text="when will we get to the airport", at=AT, state=HBG, trip=trip)
    moving = copilot.answer(turn)
    dwell_min = Profile().preferences.stop_dwell_min
    standing = copilot.answer(turn.model_copy(update={"at_stop_since": AT - timedelta(minutes=2)}))
    gap = (_clock(standing.reply, "at") - _clock(moving.reply, "at")).total_seconds()
    assert abs(gap - (dwell_min - 2) * 60) <= 60, (moving.reply, standing.reply)
    assert not changes_route(standing)
    done = copilot.answer(turn.model_copy(update={"at_stop_since": AT - timedelta(hours=1)}))
    assert done.reply == moving.reply          # the time there is over: it goes on now


@pytest.mark.slow
def test_a_stop_asked_about_is_weighed_not_added(copilot: Copilot) -> None:
    """ "How much time would a pharmacy stop add": the trip with and without it, the
    difference told against the route the driver is on, the pharmacy shown; the route stays."""
    trip = route_of(ask(copilot, "take me to the airport"))
    r = ask(copilot, "how much time would a stop at a pharmacy add", trip=trip)
    assert r.understanding.intent == Intent.ASK_ETA and not changes_route(r), r
    assert r.why == "what_if_stop", r
    shown = [p for a in r.actions if isinstance(a, ShowPlaces) for p in a.places]
    assert [p.category for p in shown] == [Category.PHARMACY]
    m = re.search(r"adds (\d+) min", r.reply)
    assert m and (shown[0].name or "") in r.reply, r.reply
    before = _clock(r.reply, "instead of")
    after = _clock(r.reply, "airport at")
    assert abs((before - trip.destination.eta).total_seconds()) <= 120, (r.reply, trip)
    assert abs((after - before).total_seconds() - 60 * int(m.group(1))) <= 120, r.reply
    # Said before a trip, with where to: the same weighing from here.
    fresh = ask(copilot, "would we still make it to the airport by 5 pm if we stopped for gas")
    assert fresh.why == "what_if_stop" and not changes_route(fresh), fresh
    assert re.search(r"\b(before|after|on time|late|spare)\b", fresh.reply), fresh.reply


@pytest.mark.slow
def test_a_brand_not_near_the_way_is_said_not_swapped_silently(copilot: Copilot) -> None:
    """A chain the map has no branch of near the route: the stop is another place of the
    kind, and the reply says the chain asked for is not near the way."""
    r = ask(copilot, "take me to the airport with a Whataburger on the way")
    assert [a.type for a in r.actions] == ["set_route"], r
    assert "no Whataburger near the way" in r.reply, r.reply
    found = ask(copilot, "take me to the airport with a Five Guys on the way")
    assert "Five Guys" in found.reply and "near the way" not in found.reply, found.reply


@pytest.mark.slow
def test_a_place_named_with_its_town_is_found_by_its_own_name(copilot: Copilot) -> None:
    r = ask(copilot, "take me to the Capitol Diner in Harrisburg")
    assert r.understanding.destination == NameRef(name="Capitol Diner, Harrisburg"), r
    assert [a.type for a in r.actions] == ["set_route"], r
    assert "Capitol Diner" in r.reply and route_of(r).stops == (), r.reply
