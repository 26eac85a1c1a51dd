"""One handler per intent: understanding + vehicle + trip in, a proposed answer out.

Handlers raise routing errors and `Clarify`; copilot.dialog.turn turns those into statuses and
short replies. Nothing here is sent anywhere: every answer still passes the safety gate.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

from copilot.dialog import preferences
from copilot.dialog.answer import Answer, Turn
from copilot.dialog.cannot import NO_PRICES, asks_price
from copilot.dialog.questions import asks_open_now, drive_question, open_now
from copilot.dialog.replies import (
    NOUN,
    against_deadline,
    clock,
    dest_word,
    minutes,
    place_name,
    route_reply,
)
from copilot.dialog.resolve import (
    Clarify,
    Deadline,
    deadline,
    destination,
    named_place,
    stop_spec,
    trip_place,
)
from routing.candidates import find_candidates
from routing.messages import (
    CancelRoute,
    Category,
    CategoryRef,
    Intent,
    Place,
    Route,
    SetRoute,
    ShowPlaces,
    StopRequest,
)
from routing.opening import open_state
from routing.pack import RegionPack
from routing.places import MapPlace
from routing.trip import StopSpec, TripPlan, TripRequest, plan_trip, route_in_order

log = logging.getLogger(__name__)


def _route_answer(t: Turn, plan: TripPlan, dl: Deadline | None, asked: Category | None,
                  why: str) -> Answer:
    dest = dest_word(plan.destination, asked) if plan.destination else None
    if dl is not None and plan.late_by_s:
        return _late(t, plan, dl, dest)
    opens: dict[tuple[str, int] | str, bool] = {}
    for s in plan.stops:
        state = open_state(s.place.opening_hours, s.eta)
        p = s.place.place
        if state is not None and p.osm_type and p.osm_id is not None:
            opens[(p.osm_type, p.osm_id)] = state
    reply = route_reply(plan, dest, dl.at if dl else None, dl.said if dl else None,
                        bool(dl and dl.is_flight))
    reply = preferences.mention(reply, plan, t.u.avoid)
    if asks_price(t.u.text) and plan.stops:
        reply = f"{NO_PRICES} {reply}"
    return Answer("ok", reply, (SetRoute(route=plan.to_route()),), dl, plan.duration_s, opens,
                  why)


def _late(t: Turn, plan: TripPlan, dl: Deadline, dest: str | None) -> Answer:
    what = f"your {clock(dl.said)} flight" if dl.is_flight else clock(dl.said)
    where = dest or "there"
    if plan.stops:
        direct = route_in_order(t.origin, t.now, [], plan.destination, t.pack.router,
                                t.profile.preferences, t.avoid, dl.at)
        if direct.late_by_s is None:
            return Answer("infeasible", f"With these stops you'd reach {where} at "
                          f"{clock(plan.arrival)}, too late for {what}. Drop a stop?",
                          deadline=dl, why="late_with_stops")
    return Answer("infeasible", f"You can't make {what}: the earliest arrival at {where} is "
                  f"{clock(plan.arrival)}.", deadline=dl, why="late")


def _request(t: Turn, dest: MapPlace | None, stops: tuple[StopSpec, ...],
             dl: Deadline | None) -> TripRequest:
    electric = t.vehicle.soc_percent is not None and t.vehicle.fuel_percent is None
    return TripRequest(origin=t.origin, depart=t.now, destination=dest, stops=stops,
                       arrive_by=dl.at if dl else None, range_m=t.vehicle.range_m,
                       electric=electric, preferences=t.profile.preferences, avoid=t.avoid)


def navigate(t: Turn) -> Answer:
    u = t.u
    if u.destination is None and not u.stops:
        raise Clarify("Where would you like to go?")
    dl = deadline(t.now, u.arrive_by, u.flight_time, t.profile, u.text)
    if dl is not None and dl.at < t.now:
        what = f"your {clock(dl.said)} flight" if dl.is_flight else clock(dl.said)
        return Answer("infeasible", f"It's already too late for {what}.", deadline=dl,
                      why="deadline_passed")
    dest = None
    asked = None
    if u.destination is not None:
        if isinstance(u.destination, CategoryRef):
            asked = u.destination.category
        dest = destination(t.pack, t.profile, u.destination, t.origin, t.now, t.avoid)
    stops = tuple(stop_spec(t.pack, t.profile, s, t.origin, t.u.text) for s in u.stops)
    plan = plan_trip(_request(t, dest, stops, dl), t.pack.places, t.pack.router)
    return _route_answer(t, plan, dl, asked, "planned")


def _trip_dest(t: Turn, trip: Route) -> MapPlace:
    return trip_place(t.pack, trip.destination)


def add_stop(t: Turn) -> Answer:
    if t.trip is None:
        return navigate(t)
    if not t.u.stops and t.u.destination is None:
        raise Clarify("Which stop should I add?")
    asks = t.u.stops
    if not asks and t.u.destination is not None:  # "add a coffee stop" parsed as destination
        d = t.u.destination
        asks = (StopRequest(category=getattr(d, "category", None), saved=getattr(d, "saved", None),
                            name=getattr(d, "name", None)),)
    dest = t.trip.destination
    # "a pharmacy before the airport" parses the airport as a stop too: the destination is
    # already on the route, so it is not added again (once as a stop, once as destination)
    asks = tuple(a for a in asks if not names_place(a, dest, t.pack))
    if not asks:
        word = dest_word(trip_place(t.pack, dest), dest.category)
        raise Clarify(f"{word[:1].upper()}{word[1:]} is already the destination. "
                      "Which stop should I add?")
    kept = tuple(StopSpec(fixed=trip_place(t.pack, s), label=s.name or s.saved or "stop")
                 for s in t.trip.stops if not _same_place(s, dest))
    new = tuple(stop_spec(t.pack, t.profile, s, t.origin, t.u.text) for s in asks)
    dl = deadline(t.now, t.u.arrive_by, t.u.flight_time, t.profile, t.u.text)
    plan = plan_trip(_request(t, _trip_dest(t, t.trip), kept + new, dl), t.pack.places,
                     t.pack.router)
    return _route_answer(t, plan, dl, t.trip.destination.category, "stop_added")


def _same_place(a: Place, b: Place) -> bool:
    if a.osm_type is not None and a.osm_id is not None:
        return (a.osm_type, a.osm_id) == (b.osm_type, b.osm_id)
    if a.saved is not None:
        return a.saved == b.saved
    return abs(a.lat - b.lat) < 1e-5 and abs(a.lon - b.lon) < 1e-5  # ~1 m


def names_place(ask: StopRequest, place: Place, pack: RegionPack) -> bool:
    """Whether a requested stop refers to `place` (the trip's destination) rather than a new one."""
    if ask.saved:
        return ask.saved == place.saved
    if ask.category is not None:
        return _matches(place, set(), {ask.category}, set(), pack)
    if ask.name:
        return _matches(place, set(re.findall(r"\w+", ask.name.lower())), set(), set(), pack)
    return False


def _matches(place: Place, ask_words: set[str], cats: set[Category], saved: set[str],
             pack: RegionPack) -> bool:
    if place.saved and place.saved in saved:
        return True
    pcats = {place.category} if place.category else set()
    if place.osm_type and place.osm_id is not None:
        pcats |= pack.places.categories_of(place.osm_type, place.osm_id)
    if cats & pcats:
        return True
    name_words = set(re.findall(r"\w+", (place.name or "").lower()))
    return bool(ask_words) and ask_words <= name_words


def remove_stop(t: Turn) -> Answer:
    if t.trip is None or not t.trip.stops:
        return Answer("needs_clarification", "There are no stops on the route to remove.",
                      why="no_stops")
    asks = list(t.u.stops)
    cats = {s.category for s in asks if s.category} | (
        {t.u.destination.category} if isinstance(t.u.destination, CategoryRef) else set())
    saved = {s.saved for s in asks if s.saved}
    words = set()
    for s in asks:
        if s.name:
            words |= set(re.findall(r"\w+", s.name.lower()))
    drop = [s for s in t.trip.stops if _matches(s, words, cats, saved, t.pack)]
    if not drop:
        names = ", ".join(s.name or s.saved or "a stop" for s in t.trip.stops[:3])
        raise Clarify(f"Which stop should I drop: {names}?")
    keep = [(trip_place(t.pack, s), StopSpec(label=s.name or "stop"))
            for s in t.trip.stops if s not in drop]
    dl = deadline(t.now, t.u.arrive_by, t.u.flight_time, t.profile, t.u.text)
    plan = route_in_order(t.origin, t.now, keep, _trip_dest(t, t.trip), t.pack.router,
                          t.profile.preferences, t.avoid, dl.at if dl else None)
    ans = _route_answer(t, plan, dl, t.trip.destination.category, "stop_removed")
    if ans.status == "ok":
        gone = drop[0].name or (f"your {drop[0].saved}" if drop[0].saved else "that stop")
        where = dest_word(plan.destination, plan.destination.place.category) \
            if plan.destination else "the last stop"
        ans.reply = f"Dropped {gone}; at {where} {clock(plan.arrival)}."
    return ans


def cancel(t: Turn) -> Answer:
    if t.trip is None:
        return Answer("ok", "There's no active route.", why="no_trip")
    return Answer("ok", "Okay, guidance stopped.", (CancelRoute(),), why="cancelled")


def find_place(t: Turn) -> Answer:
    u = t.u
    ref = u.destination
    cat = ref.category if isinstance(ref, CategoryRef) else next(
        (s.category for s in u.stops if s.category), None)
    name = getattr(ref, "name", None) or next((s.name for s in u.stops if s.name), None)
    if cat is None and name:
        m = named_place(t.pack, name, t.origin)
        return Answer("ok", f"{place_name(m)} is on the map; want to go there?",
                      (ShowPlaces(places=(m.place,)),), why="found_by_name")
    if cat is None:
        raise Clarify("What kind of place are you looking for?")
    dest_pt = None
    if t.trip is not None:
        dest_pt = (t.trip.destination.lat, t.trip.destination.lon)
    wants_open = asks_open_now(u.text)
    cands = find_candidates(t.pack.places, t.pack.router, cat, t.origin, dest_pt, t.now,
                            avoid_brands=t.profile.preferences.avoid_brands,
                            keep=10 if wants_open else 3, avoid=t.avoid, prefer_name=name)
    if wants_open:
        return open_now(t, cat, cands)
    shown = ", ".join(f"{place_name(c.place)} ({minutes(c.to_s)})" for c in cands)
    lead = f"{NO_PRICES} " if asks_price(u.text) else ""
    return Answer("ok", f"{lead}Nearest {NOUN.get(cat, cat.value)}: {shown}.",
                  (ShowPlaces(places=tuple(c.place.place for c in cands)),), why="found")


def _what_if(t: Turn, dl: Deadline | None) -> Answer:
    """ "How much would a pizza stop add", "do we still make it by 5:30 if we grab coffee":
    the trip planned with and without the stops asked about, the difference told and the
    stops shown; the route is left as it is (a question never changes it)."""
    if t.trip is not None:
        goal = t.trip.destination
        dest = _trip_dest(t, t.trip)
        kept = tuple(StopSpec(fixed=trip_place(t.pack, s), label=s.name or s.saved or "stop")
                     for s in t.trip.stops if not _same_place(s, goal))
        asks = tuple(a for a in t.u.stops if not names_place(a, goal, t.pack) and not any(
            names_place(a, s, t.pack) for s in t.trip.stops))
    elif t.u.destination is not None:
        dest = destination(t.pack, t.profile, t.u.destination, t.origin, t.now, t.avoid)
        kept, asks = (), t.u.stops
    else:
        return Answer("ok", "There's no active route; where would you like to go?",
                      why="no_trip")
    if not asks:     # the stop asked about is already on the trip: its time is the answer
        return ask_eta(t, weigh=False)
    new = tuple(stop_spec(t.pack, t.profile, a, t.origin, t.u.text) for a in asks)
    without = plan_trip(_request(t, dest, kept, None), t.pack.places, t.pack.router)
    plan = plan_trip(_request(t, dest, kept + new, None), t.pack.places, t.pack.router)
    added = [s for s in plan.stops if any(s.spec is n for n in new)]
    names = " and ".join(place_name(s.place) for s in added) or "that stop"
    # Told as the difference of the two clock times said, so the sum adds up to the minute.
    extra_s = max(60.0, 60.0 * round((plan.arrival - without.arrival).total_seconds() / 60.0))
    if clock(plan.arrival) != clock(without.arrival):
        said = [datetime.strptime(clock(x), "%I:%M %p") for x in (without.arrival, plan.arrival)]
        extra_s = max(60.0, (said[1] - said[0]).total_seconds() % 86400.0)
    word = dest_word(dest, dest.place.category)
    text = (f"A stop at {names} adds {minutes(extra_s)}: you'd reach {word} at "
            f"{clock(plan.arrival)} instead of {clock(without.arrival)}.")
    if dl is not None:
        text += " " + against_deadline(plan.arrival, dl.said, dl.at, dl.is_flight, margin=False)
    shown = (ShowPlaces(places=tuple(s.place.place for s in added)),) if added else ()
    return Answer("ok", text + " Want me to add it?", shown, why="what_if_stop")


def ask_eta(t: Turn, weigh: bool = True) -> Answer:
    dl = deadline(t.now, t.u.arrive_by, t.u.flight_time, t.profile, t.u.text)
    if weigh and t.u.stops:
        return _what_if(t, dl)
    if t.trip is None:
        if t.u.destination is None:
            ask = "Where to? I'll work out when to leave." if dl is not None else \
                "There's no active route; where would you like to go?"
            return Answer("ok", ask, why="no_trip")
        dest = destination(t.pack, t.profile, t.u.destination, t.origin, t.now, t.avoid)
        return drive_question(t, dest, dl)
    asked = StopRequest(**t.u.destination.model_dump()) if t.u.destination else None
    on_trip = [i for i, s in enumerate(t.trip.stops)
               if asked is not None and names_place(asked, s, t.pack)]
    if asked is not None and not on_trip and not names_place(asked, t.trip.destination, t.pack):
        # "how far is the hospital" mid-trip asks about that place, not about the trip
        dest = destination(t.pack, t.profile, t.u.destination, t.origin, t.now, t.avoid)
        return drive_question(t, dest, dl)
    dest = _trip_dest(t, t.trip)
    stops = [(trip_place(t.pack, s), StopSpec(label=s.name or "stop")) for s in t.trip.stops]
    depart = t.leave_at or t.now           # standing at a stop: the trip goes on after it
    plan = route_in_order(t.origin, depart, stops, dest, t.pack.router, t.profile.preferences,
                          t.avoid, dl.at if dl else None)
    if on_trip:                            # "when do we get to the coffee place": that stop
        stop = plan.stops[on_trip[0]]
        left = (stop.eta - t.now).total_seconds()
        return Answer("ok", f"You'll reach {place_name(stop.place)} at {clock(stop.eta)}, in "
                      f"{minutes(left)}.", why="eta_stop")
    word = dest_word(dest, dest.place.category)
    left_s = (plan.arrival - t.now).total_seconds()
    text = f"You'll reach {word} at {clock(plan.arrival)}, in {minutes(left_s)}."
    if dl is not None:  # the same measure as the route's reply; the margin said there once
        text += " " + against_deadline(plan.arrival, dl.said, dl.at, dl.is_flight, margin=False)
    return Answer("ok", text, why="eta")


def ask_vehicle(t: Turn) -> Answer:
    v = t.vehicle
    text = t.u.text.lower()
    if re.search(r"\btyres?\b|\btires?\b|pressure|oil|wiper|brake", text):
        return Answer("ok", "I don't have that reading; check the instrument cluster.",
                      why="no_signal")
    parts = []
    if v.range_m is not None:
        parts.append(f"About {v.range_m / 1000:.0f} km of range left")
    if v.soc_percent is not None:
        parts.append(f"battery at {v.soc_percent:.0f}%")
    elif v.fuel_percent is not None:
        parts.append(f"fuel at {v.fuel_percent:.0f}%")
    if not parts:
        return Answer("ok", "I don't have range or fuel readings right now.", why="no_signal")
    reply = (", ".join(parts) + ".").capitalize() if not parts[0].startswith("About") \
        else ", ".join(parts) + "."
    if t.trip is not None and v.range_m is not None:
        reserve = t.profile.preferences.range_reserve_km * 1000.0
        need = t.trip.distance_m
        reply += (" That covers the trip." if v.range_m - reserve >= need
                  else " Not enough for the trip; I'd add a fuel stop.")
    return Answer("ok", reply, why="vehicle")


HANDLERS = {
    Intent.NAVIGATE: navigate,
    Intent.ADD_STOP: add_stop,
    Intent.REMOVE_STOP: remove_stop,
    Intent.CANCEL: cancel,
    Intent.FIND_PLACE: find_place,
    Intent.ASK_ETA: ask_eta,
    Intent.ASK_VEHICLE: ask_vehicle,
}

