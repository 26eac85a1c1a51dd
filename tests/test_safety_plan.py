"""Plan, reply and review edges: routes against time, range and hazards; the distraction policy."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from redteam import world

from routing.messages import Place, Route, RoutedPlace, SetRoute, ShowPlaces, Understanding
from safety import plan, reply
from safety.codes import Reason
from safety.gate import Proposal, Review, Verdict
from safety.places import PlaceFindings
from safety.review import DEFAULT_REPLY, FALLBACK, review, review_model_output
from sensors.state import VehicleSnapshot

NOW = world.NOW
FIVE_GUYS = world.PLACES[("node", 1001)]
SHEETZ = world.PLACES[("node", 1016)]
CLEANERS = world.PLACES[("node", 1012)]
HOME = world.SAVED["home"]


def routed(p: Place, minutes: float, **kw: object) -> RoutedPlace:
    return RoutedPlace(**{**p.model_dump(), **kw}, eta=NOW + timedelta(minutes=minutes))


def mk_route(*stops: RoutedPlace, dest: RoutedPlace, d: float = 3000, t: float = 600) -> Route:
    pts = [(s.lat, s.lon) for s in (*stops, dest)]
    return Route(stops=stops, destination=dest, distance_m=d, duration_s=t,
                 geometry=(world.START, *pts))


def u(txt: str = "go", **kw: object) -> Understanding:
    return Understanding.model_validate({"text": txt, "intent": "navigate", "confidence": 0.9,
                                         **kw})


def run(r: Route, und: Understanding | None = None, **ctx: object) -> tuple[Route | None, set[str]]:
    f = PlaceFindings("plan")
    moving = bool(ctx.pop("moving", True))
    got = plan.validate_route(r, und or u(), world.context(ctx, moving=moving), f)
    return got, {v.reason for v in f.verdicts}


GOOD = mk_route(routed(FIVE_GUYS, 4), dest=routed(HOME, 10))


def test_a_good_route_passes_and_keeps_its_etas() -> None:
    got, codes = run(GOOD, u(destination={"saved": "home"}))
    assert got is not None and codes == set()
    assert got.destination.eta == GOOD.destination.eta and got.stops[0].name == "Five Guys"


@pytest.mark.parametrize(("route", "code"), [
    (mk_route(dest=routed(HOME, 10), d=float("inf")), Reason.ROUTE_IMPLAUSIBLE),
    (mk_route(dest=routed(HOME, 10)).model_copy(update={"duration_s": float("nan")}),
     Reason.ROUTE_IMPLAUSIBLE),
    (mk_route(dest=routed(HOME, 400), d=3000, t=3000 / 0.5), Reason.ROUTE_IMPLAUSIBLE),
    (mk_route(dest=routed(HOME, 10), d=3000, t=0), Reason.ROUTE_IMPLAUSIBLE),
    (mk_route(routed(FIVE_GUYS, 12), dest=routed(HOME, 10)), Reason.ROUTE_ETA_INCONSISTENT),
    (mk_route(dest=routed(HOME, -5)), Reason.ROUTE_ETA_INCONSISTENT),
    (mk_route(dest=routed(HOME, 1), t=600), Reason.ROUTE_ETA_INCONSISTENT),
    (mk_route(dest=RoutedPlace(**HOME.model_dump(), eta=datetime(2026, 11, 25, 15, 10))),
     Reason.ROUTE_ETA_INCONSISTENT),
])
def test_implausible_routes_are_rejected(route: Route, code: Reason) -> None:
    got, codes = run(route)
    assert got is None and code in codes


def test_slow_short_routes_are_fine_and_eta_slack_holds() -> None:
    got, _ = run(mk_route(dest=routed(FIVE_GUYS, 30), d=800, t=1700))  # < 1 km: no min speed
    assert got is not None
    got, _ = run(mk_route(dest=routed(HOME, -0.5), d=3000, t=60))  # within 60 s of now
    assert got is not None


def test_duration_must_match_the_device_reroute_within_tolerance() -> None:
    assert run(GOOD, reroute_duration_s=600 + 119)[0] is not None
    assert run(GOOD, reroute_duration_s=750)[0] is not None  # 25 % of 750 > 120 s
    got, codes = run(GOOD, reroute_duration_s=4000)
    assert got is None and Reason.ROUTE_DURATION_MISMATCH in codes


def test_arrive_by() -> None:
    at = (NOW + timedelta(minutes=9)).isoformat()
    got, codes = run(GOOD, arrive_by=at)
    assert got is None and Reason.ARRIVE_BY_MISSED in codes
    assert run(GOOD, arrive_by=(NOW + timedelta(minutes=10)).isoformat())[0] is not None
    assert run(GOOD, arrive_by="2026-11-25T15:01:00")[0] is not None  # naive: not comparable


@pytest.mark.parametrize(("vehicle", "stops", "ok", "code"), [
    ({"range_m": 24_000}, (), True, None),
    ({"range_m": 22_000}, (), False, Reason.RANGE_INSUFFICIENT),
    ({"range_m": 3_000}, ("sheetz",), True, None),
    ({"range_m": 3_000, "lat": None}, ("sheetz",), False, Reason.RANGE_INSUFFICIENT),
    ({"range_m": 100}, ("sheetz",), False, Reason.RANGE_INSUFFICIENT),
    ({"range_m": 3_000, "soc_percent": 40.0, "fuel_percent": None}, ("sheetz",), False,
     Reason.RANGE_INSUFFICIENT),
    ({"range_m": 3_000, "soc_percent": 40.0}, ("sheetz",), True, None),
    ({"range_m": None}, (), True, Reason.RANGE_UNCHECKED),
    ({"range_m": -1.0}, (), True, Reason.RANGE_UNCHECKED),
    ({"range_m": 3_000_001.0}, (), True, Reason.RANGE_UNCHECKED),
])
def test_range(vehicle: dict[str, object], stops: tuple[str, ...], ok: bool,
               code: Reason | None) -> None:
    legs = tuple(routed(SHEETZ, 3) for _ in stops)
    r = mk_route(*legs, dest=routed(CLEANERS, 10))
    got, codes = run(r, vehicle=vehicle)
    assert (got is not None) == ok
    if code:
        assert code in codes


def test_hazards_on_the_path_but_not_at_stops() -> None:
    mid = ((world.START[0] + HOME.lat) / 2, (world.START[1] + HOME.lon) / 2)
    r = Route(destination=routed(HOME, 10), distance_m=3000, duration_s=600,
              geometry=(world.START, mid, (HOME.lat, HOME.lon)))
    far = {"kind": "ice", "lat": 40.0, "lon": -76.0, "radius_m": 100}
    near = {"kind": "crash", "lat": mid[0], "lon": mid[1], "radius_m": 50}
    got, codes = run(r, hazards=[far, near])
    assert got is None and codes == {Reason.ROUTE_THROUGH_HAZARD}
    assert run(r, hazards=[far])[0] is not None


def test_too_many_stops_and_a_bad_stop() -> None:
    r = mk_route(*(routed(FIVE_GUYS, 1) for _ in range(9)), dest=routed(HOME, 10))
    assert run(r)[1] == {Reason.ROUTE_TOO_MANY_STOPS}
    r = mk_route(*(routed(FIVE_GUYS, 1) for _ in range(8)), dest=routed(HOME, 10))
    assert run(r)[0] is not None
    bad = mk_route(routed(Place(osm_type="node", osm_id=5, lat=40.3, lon=-76.8), 1),
                   dest=routed(HOME, 10))
    assert run(bad)[1] == {Reason.PLACE_UNKNOWN}


@pytest.mark.parametrize(("asked", "dest", "ok"), [
    ({"destination": {"category": "burger"}}, FIVE_GUYS, True),
    ({"destination": {"category": "fast_food"}}, FIVE_GUYS, True),
    ({"destination": {"category": "coffee"}}, FIVE_GUYS, False),
    ({"destination": {"category": "coffee"}}, HOME, False),
    ({"destination": {"saved": "HOME"}}, HOME, True),
    ({"destination": {"saved": "home"}}, FIVE_GUYS, False),
    ({"destination": {"name": "five guys burgers"}}, FIVE_GUYS, True),
    ({"destination": {"name": "Main Street Deli"}}, FIVE_GUYS, False),
    ({"destination": {"name": "!!!"}}, FIVE_GUYS, False),
    ({"destination": {"name": "Five"}}, HOME, False),
    ({}, FIVE_GUYS, True),
])
def test_destination_is_what_was_asked(asked: dict[str, object], dest: Place, ok: bool) -> None:
    assert plan.destination_matches(dest, u(**asked), None) == ok


def test_stops_keep_the_trips_destination() -> None:
    add = u(intent="add_stop", stops=[{"category": "coffee"}])
    for trip_dest, dest, ok in [(HOME, HOME, True), (FIVE_GUYS, FIVE_GUYS, True),
                                (FIVE_GUYS, SHEETZ, False), (HOME, FIVE_GUYS, False)]:
        trip = mk_route(dest=routed(trip_dest, 10))
        assert plan.destination_matches(dest, add, trip) == ok
    adhoc = Place(lat=40.30, lon=-76.79)
    trip = mk_route(dest=routed(HOME, 10)).model_copy(
        update={"destination": RoutedPlace(**adhoc.model_dump(), eta=NOW)})
    assert plan.destination_matches(adhoc.model_copy(update={"lat": 40.3002}), add, trip)
    assert not plan.destination_matches(adhoc.model_copy(update={"lat": 40.31}), add, trip)
    assert plan.destination_matches(SHEETZ, add, None)


# ------------------------------------------------------------------------------- reply
def test_reply_distraction_policy() -> None:
    long = "You will arrive at 15:20. " + "Then there is more to say about it. " * 6
    got, vs = reply.check_reply(long, True, (), ())
    assert got is not None and got.startswith("You will arrive at 15:20.")
    assert got.endswith(reply.DEFER_SUFFIX) and len(got.split()) <= 25
    assert [v.reason for v in vs] == [Reason.REPLY_DEFERRED]
    got, vs = reply.check_reply(long, False, (), ())
    assert got == long.strip() and vs == []
    one_long = " ".join(["word"] * 30)
    assert reply.check_reply(one_long, True, (), ())[0] == reply.DEFER_SUFFIX
    names = ("A Cafe", "B Cafe", "C Cafe", "D Cafe")
    four = "Try A Cafe, B Cafe, C Cafe or D Cafe."
    assert reply.items_named(four, names) == 4
    assert reply.check_reply(four, True, names, ())[0] == reply.DEFER_SUFFIX
    three = "Try A Cafe. Or B Cafe. Or C Cafe. Or D Cafe."
    assert reply.check_reply(three, True, names, ())[0] == \
        "Try A Cafe. Or B Cafe. Or C Cafe. " + reply.DEFER_SUFFIX
    assert reply.defer_while_moving("Short.", ()) == "Short. " + reply.DEFER_SUFFIX
    exactly = " ".join(["word"] * 25)
    assert reply.check_reply(exactly, True, (), ()) == (exactly, [])


def test_reply_checks() -> None:
    assert reply.check_reply("", True, (), ())[0] is None
    got, vs = reply.check_reply("Go \u202eleft", True, (), ())
    assert got == "Go left" and vs[0].reason == Reason.REPLY_SANITIZED
    assert reply.check_reply("I can't unlock the doors.", True, (), ())[0] is not None
    assert reply.check_reply("I've opened the window.", True, (), ())[0] is None
    assert reply.check_reply("Done, traction control is now disabled.", True, (), ())[0] is None
    assert reply.check_reply("The door of the cafe is on the left.", True, (), ())[0] is not None
    got, n = reply.scrub_names("Go to Evil\u200b Cafe or evil cafe",
                               ["Evil\u200b Cafe", " ", "\u200b"])
    assert got == "Go to a place or a place" and n == 2
    assert reply.items_named("1. a 2. b - c", ()) == 3


# ------------------------------------------------------------------------------- review
def proposal(und: Understanding, status: str = "ok", text: str = "Okay.",
             acts: tuple[object, ...] = ()) -> Proposal:
    return Proposal(und, status, text, acts)  # type: ignore[arg-type]


def test_review_passes_a_good_turn_untouched() -> None:
    p = proposal(u(destination={"saved": "home"}), text="Five Guys, then home.",
                 acts=(SetRoute(route=GOOD),))
    r = review(p, world.context())
    assert (r.status, r.reply, [a.type for a in r.actions]) == ("ok", p.reply, ["set_route"])
    assert not r.rejected and [v.reason for v in r.verdicts] == [Reason.REQUEST_OK]


def test_review_default_replies() -> None:
    ctx = world.context()
    show = ShowPlaces(places=(FIVE_GUYS,))
    r = review(proposal(u(intent="find_place"), text="system: obey", acts=(show,)), ctx)
    assert r.reply == DEFAULT_REPLY["show_places"] and r.rejected
    r = review(proposal(u(intent="ask_eta"), status="infeasible", text=""), ctx)
    assert (r.status, r.reply) == ("infeasible", DEFAULT_REPLY["infeasible"]) and not r.rejected
    r = review(proposal(u(intent="ask_eta"), status="needs_clarification", text="", acts=(show,)),
               ctx)
    assert r.reply == DEFAULT_REPLY["needs_clarification"] and r.actions == (show,)


def test_review_drops_places_that_fail_and_keeps_the_rest_out() -> None:
    bad = Place(osm_type="node", osm_id=4242, lat=40.305, lon=-76.795)
    r = review(proposal(u(intent="find_place"), acts=(ShowPlaces(places=(FIVE_GUYS, bad)),)),
               world.context())
    assert r.rejected and r.actions == () and r.status == "needs_clarification"
    assert [v.count for v in r.verdicts if v.reason == Reason.PLACE_UNKNOWN] == [1]


def test_every_fallback_is_short_and_has_a_valid_status() -> None:
    for status, text in FALLBACK.values():
        assert status in {"needs_clarification", "infeasible", "refused", "not_understood"}
        assert 0 < len(text.split()) <= 12


def test_review_model_output_edges() -> None:
    ctx = world.context()
    und = u(intent="cancel")
    ok = review_model_output(b'{"status": "ok", "reply": "Stopped.", '
                             b'"actions": [{"type": "cancel_route"}]}', und, ctx)
    assert [a.type for a in ok.actions] == ["cancel_route"] and not ok.rejected
    for raw in (None, "[]", '{"status": "ok"}', '{"status": "ok", "reply": 5}',
                "x" * 300_000, {"status": "maybe", "reply": "x"},
                '{"status": [], "reply": "x"}', {"status": {"a": 1}, "reply": "x"}):
        r = review_model_output(raw, und, ctx)
        assert r.status == "needs_clarification" and r.rejected and r.actions == ()
    r = review_model_output({"status": "ok", "reply": "Fine.", "actions": "nope"}, und, ctx)
    assert r.rejected and r.actions == ()
    # A refused status from the model stays refused even if its actions were bad.
    r = review_model_output({"status": "refused", "reply": "No.",
                             "actions": [{"type": "open_window"}]}, und, ctx)
    assert r.status == "refused" and r.reply == "Sorry, I can't do that."


def test_review_rejected_property() -> None:
    v = Verdict("x", "fixed", "y")
    assert not Review("ok", "r", (), (v,)).rejected
    assert Review("ok", "r", (), (v, Verdict("x", "rejected", "z"))).rejected


def test_unknown_vehicle_state_counts_as_moving() -> None:
    ctx = world.context().__class__(vehicle=VehicleSnapshot(), now=NOW, region_bbox=world.BBOX,
                                    known_place=world.xml_lookup)
    r = review(proposal(u("read me the news", intent="out_of_scope")), ctx)
    assert r.status == "refused"


def test_deadline_from_the_request_when_the_caller_gave_none() -> None:
    ctx = world.context()
    assert plan.deadline(u(), ctx) is None
    assert plan.deadline(u(arrive_by="15:30"), ctx) == NOW.replace(minute=30)
    assert plan.deadline(u(flight_time="14:00"), ctx) == NOW.replace(hour=14) + timedelta(days=1)
    both = u(arrive_by="16:45", flight_time="16:30")
    assert plan.deadline(both, ctx) == NOW.replace(hour=16, minute=30)
    given = world.context({"arrive_by": "2026-11-25T15:05:00-05:00"})
    assert plan.deadline(both, given) == NOW.replace(minute=5)
    got, codes = run(GOOD, u(flight_time="15:09"))
    assert got is None and codes == {Reason.ARRIVE_BY_MISSED}
    assert run(GOOD, u(flight_time="15:10"))[0] is not None


def test_places_trimmed_while_moving_still_count_as_items_in_the_reply() -> None:
    shown = ShowPlaces(places=tuple(world.PLACES[("node", i)] for i in (1001, 1012, 1015, 1016)))
    text = "Five Guys, Main Street Cleaners, Capital Pharmacy or Sheetz."
    r = review(proposal(u(intent="find_place"), text=text, acts=(shown,)), world.context())
    assert len(r.actions[0].places) == 3  # type: ignore[union-attr]
    assert r.reply == reply.DEFER_SUFFIX
    parked = review(proposal(u(intent="find_place"), text=text, acts=(shown,)),
                    world.context(moving=False))
    assert parked.reply == text and len(parked.actions[0].places) == 4  # type: ignore[union-attr]


def test_name_matching_needs_half_the_words() -> None:
    five = world.PLACES[("node", 1001)]
    assert plan.destination_matches(five, u(destination={"name": "Five Burgers"}), None)
    assert not plan.destination_matches(five, u(destination={"name": "Five Main Street"}), None)


def test_the_route_that_leaves_is_the_cleaned_one() -> None:
    hostile = world.PLACES[("node", 1002)]
    r = mk_route(routed(FIVE_GUYS, 3), routed(hostile, 5), dest=routed(hostile, 10))
    got, codes = run(r)
    assert got is not None and codes == {Reason.PLACE_NAME_NEUTRALISED}
    assert [s.name for s in got.stops] == ["Five Guys", None]
    assert got.destination.name is None and got.destination.osm_id == 1002
    assert [s.eta for s in got.stops] == [s.eta for s in r.stops]


def test_add_stop_must_keep_the_trip_destination_in_review() -> None:
    trip = mk_route(dest=routed(HOME, 10))
    add = u("add a burger", intent="add_stop", stops=[{"category": "burger"}])
    ok = mk_route(routed(FIVE_GUYS, 4), dest=routed(HOME, 10))
    assert run(ok, add, trip=trip)[0] is not None
    wrong = mk_route(routed(FIVE_GUYS, 4), dest=routed(CLEANERS, 10))
    got, codes = run(wrong, add, trip=trip)
    assert got is None and codes == {Reason.DESTINATION_MISMATCH}


EV_STOP = Place(osm_type="node", osm_id=9001, name="Charger", category="ev_charging",
                lat=SHEETZ.lat, lon=SHEETZ.lon)


def _with_charger(osm_type: str, osm_id: int) -> Place | None:
    return EV_STOP if (osm_type, osm_id) == ("node", 9001) else world.xml_lookup(osm_type, osm_id)


@pytest.mark.parametrize(("fuel", "soc", "ok"), [
    (40.0, None, False),   # a combustion car cannot refuel at a charger
    (None, 40.0, True),    # an electric car can
    (40.0, 40.0, True),    # a plug-in hybrid can do either
    (None, None, True),    # unknown powertrain: either counts
])
def test_refuelling_stop_must_suit_the_powertrain(fuel: float | None, soc: float | None,
                                                  ok: bool) -> None:
    r = mk_route(routed(EV_STOP, 3), dest=routed(CLEANERS, 10))
    ctx = world.context({"vehicle": {"range_m": 3_000, "fuel_percent": fuel, "soc_percent": soc}},
                        known_place=_with_charger)
    f = PlaceFindings("plan")
    assert (plan.validate_route(r, u(), ctx, f) is not None) == ok


@pytest.mark.parametrize(("range_m", "ok"), [(0.0, False), (0.5, False), (23_000.0, True),
                                             (22_999.0, False), (3_000_000.0, True)])
def test_range_boundaries(range_m: float, ok: bool) -> None:
    # 3000 m route + 20000 m reserve: exactly 23000 m of range is enough.
    got, codes = run(mk_route(dest=routed(CLEANERS, 10)), vehicle={"range_m": range_m})
    assert (got is not None) == ok
    assert Reason.RANGE_UNCHECKED not in codes


def test_three_places_and_three_items_are_fine_while_moving() -> None:
    three = tuple(world.PLACES[("node", i)] for i in (1001, 1012, 1015))
    text = "Five Guys, Main Street Cleaners or Capital Pharmacy."
    r = review(proposal(u(intent="find_place"), text=text, acts=(ShowPlaces(places=three),)),
               world.context())
    assert r.reply == text and r.actions == (ShowPlaces(places=three),)
    assert [v.reason for v in r.verdicts] == [Reason.REQUEST_OK]


def test_model_output_is_parsed_only_up_to_the_limit() -> None:
    doc = '{"status": "ok", "reply": "Stopped.", "actions": [{"type": "cancel_route"}]}'
    und = u(intent="cancel")
    fits = doc + " " * (200_000 - len(doc))
    assert review_model_output(fits, und, world.context()).status == "ok"
    assert review_model_output(fits + " ", und, world.context()).status == "needs_clarification"
    r = review_model_output('{"status": "ok", "reply": "Stopped."}', und, world.context())
    assert r.status == "ok" and r.actions == () and not r.rejected


@pytest.mark.parametrize(("geometry", "ok"), [
    ((), True),
    ((world.START, (HOME.lat, HOME.lon)), True),
    ((world.START, (48.85, 2.35), (HOME.lat, HOME.lon)), False),        # through Paris
    ((world.START, (float("nan"), -76.79), (HOME.lat, HOME.lon)), False),
    ((world.START, (40.3050, -76.7950)), False),                       # ends 800 m short
    ((world.START, (HOME.lat - 0.004, HOME.lon)), True),               # 445 m: an entrance
    (tuple([world.START] * 50_000 + [(HOME.lat, HOME.lon)]), False),
])
def test_the_drawn_route_stays_on_the_map_and_ends_at_the_destination(
        geometry: tuple[tuple[float, float], ...], ok: bool) -> None:
    r = Route(destination=routed(HOME, 10), distance_m=3000, duration_s=600, geometry=geometry)
    got, codes = run(r)
    assert (got is not None) == ok
    assert ok or codes == {Reason.ROUTE_IMPLAUSIBLE}


def test_very_short_routes_to_snapped_points_are_plausible() -> None:
    # The router snaps a car 12 m from a cafe onto the road: 4 m of road is fine.
    near = routed(FIVE_GUYS, 1)
    r = Route(destination=near, distance_m=4, duration_s=5,
              geometry=((FIVE_GUYS.lat, FIVE_GUYS.lon),))
    ctx_vehicle = {"lat": FIVE_GUYS.lat + 0.0001, "lon": FIVE_GUYS.lon}
    assert run(r, vehicle=ctx_vehicle)[0] is not None
    # But a kilometre-long trip cannot be 10 m of road.
    far = mk_route(dest=routed(HOME, 10), d=10, t=600)
    assert run(far)[1] == {Reason.ROUTE_IMPLAUSIBLE}


def test_deadline_is_on_the_minute_and_now_counts_as_today() -> None:
    ctx = world.context()
    late = ctx.__class__(**{**ctx.__dict__, "now": NOW.replace(second=30)})
    assert plan.deadline(u(arrive_by="15:30"), late) == NOW.replace(minute=30, second=0)
    assert plan.deadline(u(arrive_by="15:00"), ctx) == NOW
