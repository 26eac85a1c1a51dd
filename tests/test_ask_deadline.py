"""One meaning for "time to spare": every reply measures an arrival against what the driver
said (the flight itself, or the arrive-by time), and the check-in margin (the profile's
airport buffer) is stated, once, as how the arrival stands against it.

The demo used to say "That leaves 1 h 5 min to spare" (against the unstated buffer) and then
"2 h 10 min ahead of your 5:30 pm flight" on the same trip."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from test_routing_support import harrisburg, pack_cache

from copilot.dialog import Copilot
from copilot.dialog.replies import against_deadline, clock
from copilot.messages import AskResult, AskTurn
from routing.messages import Category, CategoryRef, Intent, SetRoute, StopRequest, Understanding
from routing.pack import RegionPack
from routing.profile import Profile

__all__ = ["harrisburg", "pack_cache"]

TZ = timezone(timedelta(hours=-5))
AT = datetime(2026, 11, 25, 15, 0, tzinfo=TZ)
FLIGHT = AT.replace(hour=17, minute=30)
STATE = {"Vehicle.CurrentLocation.Latitude": 40.2770,
         "Vehicle.CurrentLocation.Longitude": -76.8240, "Vehicle.Speed": 0.0,
         "Vehicle.Powertrain.Range": 300_000, "Vehicle.Powertrain.FuelSystem.RelativeLevel": 60}
PROFILE = {"saved": {"dry cleaner": {"lat": 40.2594, "lon": -76.8098, "category": "dry_cleaning",
                                     "name": "Main Street Cleaners"}},
           "preferences": {"airport_buffer_min": 60}, "flight_time": "17:30"}
_DUR = r"(?:(\d+) h)? ?(?:(\d+) min)?"


def _minutes(h: str | None, m: str | None) -> int:
    return int(h or 0) * 60 + int(m or 0)


def _arrival(reply: str) -> datetime:
    m = re.search(r"(?:at the airport|reach the airport at) (\d+):(\d\d) pm", reply)
    assert m, reply
    return AT.replace(hour=int(m[1]) + 12, minute=int(m[2]))


def _before_flight(reply: str) -> int:
    m = re.search(rf"That's {_DUR} before your 5:30 pm flight", reply)
    assert m, reply
    return _minutes(m[1], m[2])


def test_the_phrase_measures_against_the_flight_and_states_the_margin() -> None:
    latest = FLIGHT - timedelta(hours=1)
    on_time = FLIGHT - timedelta(hours=2, minutes=5)
    assert against_deadline(on_time, FLIGHT, latest, flight=True) == (
        "That's 2 h 5 min before your 5:30 pm flight, 1 h 5 min more than your check-in "
        "margin.")
    assert against_deadline(on_time, FLIGHT, latest, True, margin=False) == \
        "That's 2 h 5 min before your 5:30 pm flight."
    inside = FLIGHT - timedelta(minutes=40)
    assert against_deadline(inside, FLIGHT, latest, True, margin=False) == (
        "That's only 40 min before your 5:30 pm flight, inside your 1 h check-in margin.")
    assert against_deadline(FLIGHT + timedelta(minutes=10), FLIGHT, latest, True) == \
        "That's 10 min late for your 5:30 pm flight."
    five = AT.replace(hour=17, minute=0)
    assert against_deadline(five - timedelta(minutes=12), five, five, flight=False) == \
        "That's 12 min before 5:00 pm."


def test_clock_rounds_to_the_nearest_minute() -> None:
    assert clock(AT.replace(minute=19, second=51)) == "3:20 pm"
    assert clock(AT.replace(minute=19, second=29)) == "3:19 pm"
    assert clock(AT.replace(hour=23, minute=59, second=45)) == "12:00 am"


@pytest.mark.slow
def test_route_and_eta_replies_on_one_trip_tell_the_same_time_before_the_flight(
        harrisburg: RegionPack) -> None:
    cop = Copilot(harrisburg, Profile.from_dict(PROFILE))

    def ask(u: Understanding, trip: object = None) -> AskResult:
        return cop.answer_understood(u, AskTurn(text=u.text, at=AT, state=STATE, trip=trip))

    start = ask(Understanding(
        text="airport via a burger and my dry cleaner, flight at 5:30", intent=Intent.NAVIGATE,
        confidence=0.9, destination=CategoryRef(category=Category.AIRPORT), flight_time="17:30",
        stops=(StopRequest(category=Category.BURGER), StopRequest(saved="dry cleaner"))))
    assert start.status == "ok", start.reply
    route = next(a.route for a in start.actions if isinstance(a, SetRoute))
    # the route's reply: the arrival, the time before the flight, the margin once
    arrive = _arrival(start.reply)
    before = _before_flight(start.reply)
    assert abs((FLIGHT - arrive).total_seconds() / 60 - before) <= 1, start.reply
    m = re.search(rf"flight, {_DUR} more than your check-in margin", start.reply)
    assert m, start.reply
    assert abs(before - _minutes(m[1], m[2]) - 60) <= 1, start.reply  # the 60 min buffer
    assert "to spare" not in start.reply
    # the ETA question on the same trip, same moment: the same arrival, the same measure
    eta = ask(Understanding(text="when will we get there", intent=Intent.ASK_ETA,
                            confidence=0.9), trip=route)
    assert eta.status == "ok" and not eta.actions
    assert _arrival(eta.reply) == arrive, (start.reply, eta.reply)
    assert _before_flight(eta.reply) == before, eta.reply
    assert "check-in margin" not in eta.reply  # said once, in the route's reply
