"""Expectation evaluators are pure functions of a run log: each one holds on a run that did
what it claims and fails (with a reason) on one that did not, or that never exercised it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from copilot.messages import Timings
from copilot.sim.expectations import CheckContext, check_spec, evaluate
from copilot.sim.mapdata import MapObject
from copilot.sim.record import ArrivalRecord, HazardRecord, RunLog, Sample, TurnRecord
from routing.messages import Place, Route, RoutedPlace, SetRoute, ShowPlaces
from sensors.messages import HazardEvent

T0 = datetime.fromisoformat("2026-11-25T15:00:00-05:00")
BURGER = RoutedPlace(osm_type="node", osm_id=793413281, name="Five Guys", category="burger",
                     lat=40.2451, lon=-76.8032, eta=T0 + timedelta(minutes=10))
CLEANER = RoutedPlace(saved="dry cleaner", lat=40.27, lon=-76.82, eta=T0 + timedelta(minutes=20))
AIRPORT = RoutedPlace(osm_type="way", osm_id=299517580, name="Capital City Airport",
                      category="airport", lat=40.217, lon=-76.851,
                      eta=T0 + timedelta(minutes=40))
MAP = {("node", 793413281): MapObject(((40.2451, -76.8032),), "Five Guys", 300.0),
       ("way", 299517580): MapObject(((40.212, -76.86), (40.222, -76.84)), "Capital City Airport",
                                     1500.0)}
CTX = CheckContext(start=T0, known_place=lambda t, i: MAP.get((t, i)),
                   saved={"dry cleaner": (40.27, -76.82, "dry_cleaning")})
STRAIGHT = ((40.277, -76.824), (40.26, -76.81), (40.245, -76.803), (40.217, -76.851))
DETOUR = ((40.277, -76.824), (40.28, -76.79), (40.245, -76.78), (40.217, -76.851))


def _route(geometry: tuple[tuple[float, float], ...] = STRAIGHT, *stops: RoutedPlace) -> Route:
    return Route(stops=stops or (BURGER, CLEANER), destination=AIRPORT, distance_m=20_000,
                 duration_s=2400, geometry=geometry)


def turn(at_s: float, *, status: str = "ok", reply: str = "Okay.", speed: float = 0.0,
         actions: list | None = None, link: str = "good", served_by: str = "device",
         proactive: bool = False) -> TurnRecord:
    return TurnRecord(at_s=at_s, text="x", status=status, reply=reply, speed_kph=speed,
                      actions=actions or [], link=link, served_by=served_by, proactive=proactive,
                      timings_ms=Timings(understand=1, plan=1, validate=1, total=3))


def check(spec: dict, run: RunLog) -> tuple[bool, str]:
    r = evaluate([spec], run, CTX)[0]
    assert r.expect == spec
    return r.held, r.detail


def test_route_has_matches_categories_and_saved_place_categories() -> None:
    run = RunLog(turns=[turn(0, actions=[SetRoute(route=_route())])])
    assert check({"route_has": ["burger", "dry_cleaning", "airport"]}, run)[0]
    assert check({"route_has": ["dry cleaner"]}, run)[0]
    held, detail = check({"route_has": ["burger", "coffee"]}, run)
    assert not held and "missing coffee" in detail


def test_route_has_counts_stops_reached_before_a_later_replan() -> None:
    # The re-plan after passing Five Guys leaves it out (it is behind the car): the drive
    # still served it, but only if the car really reached it.
    replan = SetRoute(route=_route(STRAIGHT, CLEANER))
    turns = [turn(0, actions=[SetRoute(route=_route())]), turn(60, actions=[replan])]
    reached = [ArrivalRecord(at_s=30, place=BURGER)]
    assert check({"route_has": ["burger"]}, RunLog(turns=turns, stops_visited=["Five Guys"],
                                                   arrivals=reached))[0]
    held, detail = check({"route_has": ["burger"]}, RunLog(turns=turns))
    assert not held and "missing burger" in detail


def test_route_has_uses_the_last_route_and_cancel_clears_it() -> None:
    only_burger = _route(STRAIGHT, BURGER)
    run = RunLog(turns=[turn(0, actions=[SetRoute(route=_route())]),
                        turn(60, actions=[SetRoute(route=only_burger)])])
    assert not check({"route_has": ["dry_cleaning"]}, run)[0]
    run.turns.append(turn(90, actions=[{"type": "cancel_route"}]))
    assert check({"route_has": ["burger"]}, run) == (False, "no route was set")


def test_arrive_before_prefers_the_actual_arrival() -> None:
    run = RunLog(turns=[turn(0, actions=[SetRoute(route=_route())])])
    assert check({"arrive_before": "15:45"}, run)[0]           # planned 15:40
    assert not check({"arrive_before": "15:30"}, run)[0]
    run.arrived_s = 3000.0                                     # actually arrived 15:50
    held, detail = check({"arrive_before": "15:45"}, run)
    assert not held and "arrived 15:50:00" in detail


def test_reply_words_only_count_while_moving() -> None:
    long = " ".join(["word"] * 30)
    parked = RunLog(turns=[turn(0, reply=long, speed=0.0), turn(5, reply="Sure.", speed=40)])
    assert check({"max_reply_words_while_moving": 25}, parked)[0]
    moving = RunLog(turns=[turn(0, reply=long, speed=30.0)])
    held, detail = check({"max_reply_words_while_moving": 25}, moving)
    assert not held and "30 words" in detail
    assert not check({"max_reply_words_while_moving": 25}, RunLog(turns=[turn(0)]))[0]


def test_replanned_after_hazard_needs_a_later_route_that_avoids_it() -> None:
    hz = HazardRecord(at_s=100, event=HazardEvent(kind="road_closed", lat=40.26, lon=-76.81,
                                                  radius_m=150, sources=("camera",), ts=1e9))
    before = turn(0, actions=[SetRoute(route=_route())])
    same_way = turn(110, actions=[SetRoute(route=_route())], proactive=True)
    around = turn(120, actions=[SetRoute(route=_route(DETOUR))], proactive=True)
    assert not check({"replanned_after_hazard": True}, RunLog(turns=[before], hazards=[hz]))[0]
    assert not check({"replanned_after_hazard": True},
                     RunLog(turns=[before, same_way], hazards=[hz]))[0]
    assert check({"replanned_after_hazard": True},
                 RunLog(turns=[before, same_way, around], hazards=[hz]))[0]
    assert check({"replanned_after_hazard": True}, RunLog(turns=[before])) == (
        False, "no hazard happened")


def test_no_invented_places_checks_ids_positions_and_saved_labels() -> None:
    good = RunLog(turns=[turn(0, actions=[SetRoute(route=_route())])])
    assert check({"no_invented_places": True}, good)[0]
    fake = Place(osm_type="node", osm_id=1, name="Joe's Cleaners", lat=40.2, lon=-76.8)
    moved = Place(osm_type="node", osm_id=793413281, name="Five Guys", lat=40.3, lon=-76.8)
    renamed = Place(osm_type="node", osm_id=793413281, name="Burger Palace", lat=40.2451,
                    lon=-76.8032)
    unsaved = Place(saved="gym", lat=40.2, lon=-76.8)
    nothing = Place(name="Somewhere", lat=40.2, lon=-76.8)
    for bad in (fake, moved, renamed, unsaved, nothing):
        run = RunLog(turns=[turn(0, actions=[ShowPlaces(places=(bad,))])])
        held, detail = check({"no_invented_places": True}, run)
        assert not held, bad
        assert "invented" in detail
    assert not check({"no_invented_places": True}, RunLog(turns=[turn(0)]))[0]


def test_served_by_device_when_offline() -> None:
    ok = RunLog(turns=[turn(0, served_by="cloud"), turn(9, link="none")])
    assert check({"served_by_device_when_offline": True}, ok)[0]
    bad = RunLog(turns=[turn(9, link="none", served_by="cloud")])
    assert not check({"served_by_device_when_offline": True}, bad)[0]
    never_offline = RunLog(turns=[turn(0)])
    assert not check({"served_by_device_when_offline": True}, never_offline)[0]


def test_status_all_or_in_order_ignoring_proactive_turns() -> None:
    run = RunLog(turns=[turn(0), turn(5, status="infeasible", proactive=True),
                        turn(9, status="refused")])
    assert not check({"status": "ok"}, run)[0]
    assert check({"status": ["ok", "refused"]}, run)[0]
    assert not check({"status": ["refused", "ok"]}, run)[0]


def test_route_avoids_includes_destination_and_arrived() -> None:
    run = RunLog(turns=[turn(0, actions=[SetRoute(route=_route())])], arrived_s=2400)
    assert not check({"route_avoids": ["node/793413281"]}, run)[0]
    assert check({"route_avoids": ["node/1"]}, run)[0]
    assert check({"route_includes": ["node/793413281", "way/299517580"]}, run)[0]
    assert not check({"route_includes": ["node/1"]}, run)[0]
    assert check({"destination": "airport"}, run)[0]
    assert not check({"destination": "burger"}, run)[0]  # a stop, not where the trip ends
    assert check({"arrived": True}, run)[0]
    assert not check({"arrived": True}, RunLog(turns=run.turns))[0]


@pytest.mark.parametrize("spec", [
    {"route_has": "burger"}, {"arrive_before": "5pm"}, {"status": "fine"},
    {"max_reply_words_while_moving": 2.5}, {"replanned_after_hazard": "yes"},
    {"teleport": True}, {"status": "ok", "arrived": True}, [],
])
def test_malformed_specs_are_named_and_never_hold(spec: object) -> None:
    assert check_spec(spec)
    r = evaluate([spec], RunLog(turns=[turn(0)]), CTX)[0]  # type: ignore[list-item]
    assert not r.held and r.detail


def _sample(t: float, link: str, up: int | None, tries: int | None) -> Sample:
    return Sample(t_s=t, lat=40.0, lon=-76.0, speed_kph=30, range_m=1000, level_percent=10,
                  link=link, cloud_bytes_up=up, cloud_connects=tries)


def test_no_cloud_traffic_while_offline_reads_the_emulator_counters() -> None:
    quiet = [_sample(0, "good", 0, 0), _sample(1, "good", 900, 1), _sample(2, "none", 900, 1),
             _sample(3, "none", 900, 1), _sample(4, "good", 1800, 2)]
    assert check({"no_cloud_traffic_while_offline": True}, RunLog(samples=quiet))[0]
    tried = [*quiet[:3], _sample(3, "none", 900, 2), quiet[4]]
    held, detail = check({"no_cloud_traffic_while_offline": True}, RunLog(samples=tried))
    assert not held and "1 connection attempts" in detail
    leaked = [*quiet[:3], _sample(3, "none", 950, 1), quiet[4]]
    assert not check({"no_cloud_traffic_while_offline": True}, RunLog(samples=leaked))[0]
    no_cloud = [_sample(0, "none", None, None), _sample(1, "none", None, None)]
    assert not check({"no_cloud_traffic_while_offline": True}, RunLog(samples=no_cloud))[0]
    never_down = [_sample(0, "good", 0, 0), _sample(1, "good", 0, 0)]
    assert not check({"no_cloud_traffic_while_offline": True}, RunLog(samples=never_down))[0]
    assert check({"cloud_reached_when_online": True}, RunLog(samples=quiet))[0]
    assert not check({"cloud_reached_when_online": True}, RunLog(samples=never_down))[0]
    assert not check({"cloud_reached_when_online": True}, RunLog(samples=no_cloud))[0]


def test_safety_verdicts_come_from_the_audit_log_else_the_reason_codes() -> None:
    from copilot.sim.report_files import collect_verdicts

    turns = [turn(0), turn(5, status="refused"), turn(9, status="refused")]
    turns[1].id, turns[2].id = "a", "b"
    turns[1].why = "safety:safety_system_refused"
    turns[2].why = "device:link_none; safety:invented_place"
    audit = [("a", "request", "rejected", "safety_system_refused", "lane keeping")]
    got = [(v.turn, v.check, v.reason) for v in collect_verdicts(turns, audit)]
    assert got == [(1, "request", "safety_system_refused"), (2, "review", "invented_place")]
