"""Expectation evaluators: pure functions of a run's log (no I/O), one per contract key.

Each takes the value written in the scenario, the RunLog and a CheckContext and returns
(held, detail). An expectation that had nothing to look at (no hazard happened, no turn
while offline) does NOT hold: a scenario that never exercised what it claims must fail.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Protocol

from pydantic import TypeAdapter, ValidationError

from copilot.sim import eta_check
from copilot.sim.geo import haversine_m, polyline_distance_m
from copilot.sim.record import ExpectationResult, RunLog, served_stops
from routing.messages import HHMM, Category, Place, Route, Status
from safety.text import is_korean, word_count

log = logging.getLogger(__name__)

class MapObjectLike(Protocol):
    @property
    def name(self) -> str | None: ...

    @property
    def tolerance_m(self) -> float: ...

    def distance_m(self, lat: float, lon: float) -> float: ...


KnownPlace = Callable[[str, int], MapObjectLike | None]
"""(osm_type, osm_id) -> that object as the map file has it, or None."""

MOVING_KPH = 1.0
NEAR_SAVED_M = 100.0


@dataclass(frozen=True)
class CheckContext:
    start: datetime
    known_place: KnownPlace
    saved: Mapping[str, tuple[float, float, Category | None]] = field(default_factory=dict)
    """Profile label -> (lat, lon, category)."""
    speedup: float = 1.0
    """Simulated seconds per wall second of the run."""


Result = tuple[bool, str]


def _place_tags(p: Place, ctx: CheckContext) -> set[str]:
    tags = {p.category.value} if p.category else set()
    if p.saved:
        tags.add(p.saved)
        saved = ctx.saved.get(p.saved)
        if saved and saved[2]:
            tags.add(str(saved[2]))
    return tags


def _describe(p: Place) -> str:
    return p.name or (f"saved:{p.saved}" if p.saved else f"{p.osm_type}/{p.osm_id}")


def route_has(want: list[str], run: RunLog, ctx: CheckContext) -> Result:
    route = run.final_route()
    if route is None:
        return False, "no route was set"
    ahead = [*route.stops, route.destination]
    places = [*served_stops(run.arrivals, ahead), *ahead]
    have = [_place_tags(p, ctx) for p in places]
    missing = [w for w in want if not any(w in h for h in have)]
    listing = ", ".join(f"{_describe(p)} ({p.category or p.saved})" for p in places)
    if missing:
        return False, f"missing {', '.join(missing)}; route: {listing}"
    return True, f"route: {listing}"


def _deadline(hhmm: str, start: datetime) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime.combine(start.date(), time(h, m), tzinfo=start.tzinfo)


def arrive_before(hhmm: str, run: RunLog, ctx: CheckContext) -> Result:
    deadline = _deadline(hhmm, ctx.start)
    if run.arrived_s is not None:
        at = ctx.start + timedelta(seconds=run.arrived_s)
        how = "arrived"
    else:
        route = run.final_route()
        if route is None:
            return False, "no route was set and the car never arrived"
        at = route.destination.eta.astimezone(ctx.start.tzinfo)
        how = "planned arrival (the drive ended first)"
    ok = at <= deadline
    return ok, f"{how} {at:%H:%M:%S}, deadline {hhmm}"


def max_reply_words_while_moving(limit: int, run: RunLog, ctx: CheckContext) -> Result:
    moving = [t for t in run.turns if t.speed_kph >= MOVING_KPH]
    if not moving:
        return False, "no reply was given while moving, so nothing was checked"
    # Words as the safety layer counts them (a Korean word by its syllables, POLICY.md).
    worst = max(moving, key=lambda t: word_count(t.reply))
    n = word_count(worst.reply)
    detail = f"{len(moving)} replies while moving, longest {n} words at {worst.at_s:.0f}s"
    return n <= limit, detail


def reply_language(language: str, run: RunLog, ctx: CheckContext) -> Result:
    """Extension: every reply the driver heard is in `language` ("ko" or "en"), by script."""
    said = [t for t in run.turns if t.reply]
    if not said:
        return False, "no reply was given"
    wrong = [t for t in said if is_korean(t.reply) != (language == "ko")]
    if wrong:
        return False, f"{len(wrong)} of {len(said)} replies not in {language}: {wrong[0].reply!r}"
    return True, f"all {len(said)} replies in {language}"


def _avoids(route: Route | None, lat: float, lon: float, radius_m: float) -> bool:
    return route is not None and polyline_distance_m((lat, lon), route.geometry) > radius_m


def replanned_after_hazard(want: bool, run: RunLog, ctx: CheckContext) -> Result:
    if not run.hazards:
        return False, "no hazard happened"
    notes = []
    all_ok = True
    for h in run.hazards:
        e = h.event
        later = [(i, t) for i, t in enumerate(run.turns) if t.at_s >= h.at_s and t.route()]
        avoiding = [i for i, t in later if _avoids(t.route(), e.lat, e.lon, e.radius_m)]
        if want:
            ok = bool(avoiding)
            notes.append(f"{e.kind} at {h.at_s:.0f}s: " + (
                f"new route avoiding it at {run.turns[avoiding[0]].at_s:.0f}s" if ok
                else f"{len(later)} later routes, none avoiding it"))
        else:
            ok = not later
            notes.append(f"{e.kind} at {h.at_s:.0f}s: {len(later)} later routes")
        all_ok = all_ok and ok
    return all_ok, "; ".join(notes)


def no_invented_places(want: bool, run: RunLog, ctx: CheckContext) -> Result:
    checked = 0
    invented: list[str] = []
    for t in run.turns:
        for a in t.actions:
            if a.type == "set_route":
                places: list[Place] = [*a.route.stops, a.route.destination]
            elif a.type == "show_places":
                places = list(a.places)
            else:
                continue
            for p in places:
                checked += 1
                problem = _invented(p, ctx)
                if problem:
                    invented.append(f"{_describe(p)}: {problem}")
    if not checked:
        return False, "no place was proposed, so nothing was checked"
    if want:
        return not invented, (f"{checked} places checked against the map and profile"
                              + (f"; invented: {'; '.join(invented[:5])}" if invented else ""))
    return bool(invented), f"{len(invented)} of {checked} places not in the map or profile"


def _invented(p: Place, ctx: CheckContext) -> str | None:
    if p.osm_type is not None and p.osm_id is not None:
        known = ctx.known_place(p.osm_type, p.osm_id)
        if known is None:
            return "no such object in the map"
        if p.name and known.name and p.name.casefold() != known.name.casefold():
            return f"the map calls {p.osm_type}/{p.osm_id} {known.name!r}"
        d = known.distance_m(p.lat, p.lon)
        return None if d <= known.tolerance_m else f"{d:.0f} m from where the map has it"
    if p.saved is not None:
        saved = ctx.saved.get(p.saved)
        if saved is None:
            return "not a saved place of the profile"
        d = haversine_m((p.lat, p.lon), (saved[0], saved[1]))
        return None if d <= NEAR_SAVED_M else f"{d:.0f} m from the saved place"
    return "neither a map object nor a saved place"


def served_by_device_when_offline(want: bool, run: RunLog, ctx: CheckContext) -> Result:
    offline = [t for t in run.turns if t.link == "none" and not t.proactive]
    if not offline:
        return False, "no turn happened while the link was down, so nothing was checked"
    cloud = [t for t in offline if t.served_by != "device"]
    ok = not cloud if want else bool(cloud)
    return ok, f"{len(offline)} offline turns, {len(cloud)} served by the cloud"


def no_cloud_traffic_while_offline(want: bool, run: RunLog, ctx: CheckContext) -> Result:
    """Extension: while the link was down the vehicle opened no connection to the cloud and
    no byte reached it (the link emulator's counters, sampled every tick)."""
    s = [x for x in run.samples if x.cloud_bytes_up is not None]
    if not s:
        return False, "no cloud endpoint ran, so nothing was checked"
    pairs = [(a, b) for a, b in itertools.pairwise(s) if b.link == "none"]
    if not pairs:
        return False, "the link was never down, so nothing was checked"
    sent = sum((b.cloud_bytes_up or 0) - (a.cloud_bytes_up or 0) for a, b in pairs)
    tries = sum((b.cloud_connects or 0) - (a.cloud_connects or 0) for a, b in pairs)
    offline_s = sum(b.t_s - a.t_s for a, b in pairs)
    quiet = sent == 0 and tries == 0
    return quiet == want, (f"{offline_s:.0f} s offline: {tries} connection attempts, "
                           f"{sent} bytes reached the cloud")


def cloud_reached_when_online(want: bool, run: RunLog, ctx: CheckContext) -> Result:
    """Extension: with the link up, the vehicle did send work to the cloud (bytes reached it
    while the link was good or degraded): the hybrid policy follows the link both ways."""
    s = [x for x in run.samples if x.cloud_bytes_up is not None]
    if not s:
        return False, "no cloud endpoint ran, so nothing was checked"
    pairs = [(a, b) for a, b in itertools.pairwise(s) if b.link != "none"]
    sent = sum((b.cloud_bytes_up or 0) - (a.cloud_bytes_up or 0) for a, b in pairs)
    return (sent > 0) == want, f"{sent} bytes reached the cloud while the link was up"


def status(want: str | list[str], run: RunLog, ctx: CheckContext) -> Result:
    asked = [t for t in run.turns if not t.proactive]
    if not asked:
        return False, "no driver turn was answered"
    got = [t.status for t in asked]
    if isinstance(want, str):
        bad = [(t.at_s, t.status) for t in asked if t.status != want]
        return not bad, f"statuses {got}" + (f"; expected all {want}" if bad else "")
    return got == want, f"statuses {got}, expected {want}"


def route_avoids(refs: list[str], run: RunLog, ctx: CheckContext) -> Result:
    """Extension: none of these map objects ("node/123", "way/45") is a stop on the route."""
    route = run.final_route()
    if route is None:
        return False, "no route was set"
    on_route = {f"{p.osm_type}/{p.osm_id}" for p in [*route.stops, route.destination]}
    hit = [r for r in refs if r in on_route]
    return not hit, ("route uses " + ", ".join(hit)) if hit else f"none of {refs} on the route"


def route_includes(refs: list[str], run: RunLog, ctx: CheckContext) -> Result:
    """Extension: each of these map objects ("node/123") is a stop or the destination."""
    route = run.final_route()
    if route is None:
        return False, "no route was set"
    on_route = [f"{p.osm_type}/{p.osm_id}" for p in [*route.stops, route.destination]]
    missing = [r for r in refs if r not in on_route]
    return not missing, (f"missing {', '.join(missing)}; " if missing else "") + (
        f"route: {', '.join(on_route)}")


def destination(want: str, run: RunLog, ctx: CheckContext) -> Result:
    """Extension: the final route ends at this category or saved place (not just visits it)."""
    route = run.final_route()
    if route is None:
        return False, "no route was set"
    d = route.destination
    return want in _place_tags(d, ctx), f"destination {_describe(d)} ({d.category or d.saved})"


def arrived(want: bool, run: RunLog, ctx: CheckContext) -> Result:
    """Extension: the car reached the final destination within the simulated drive."""
    did = run.arrived_s is not None
    return did == want, (f"arrived at {run.arrived_s:.0f}s" if did else "did not arrive")


def eta_error_max_s(limit: float, run: RunLog, ctx: CheckContext) -> Result:
    """Every arrival time told (replies and routes) vs the arrival then simulated."""
    return eta_check.eta_error_max_s(limit, run, ctx.start, ctx.speedup)


EVALUATORS: dict[str, tuple[Callable[[Any, RunLog, CheckContext], Result], Any]] = {
    "route_has": (route_has, list[str]),
    "arrive_before": (arrive_before, HHMM),
    "max_reply_words_while_moving": (max_reply_words_while_moving, int),
    "replanned_after_hazard": (replanned_after_hazard, bool),
    "no_invented_places": (no_invented_places, bool),
    "served_by_device_when_offline": (served_by_device_when_offline, bool),
    "status": (status, Status | list[Status]),
    "no_cloud_traffic_while_offline": (no_cloud_traffic_while_offline, bool),
    "cloud_reached_when_online": (cloud_reached_when_online, bool),
    "route_avoids": (route_avoids, list[str]),
    "route_includes": (route_includes, list[str]),
    "destination": (destination, str),
    "arrived": (arrived, bool),
    "eta_error_max_s": (eta_error_max_s, float),
    "reply_language": (reply_language, str),
}


def check_spec(spec: Any) -> str | None:
    """Why an `expect` entry is malformed, or None when it is fine."""
    if not isinstance(spec, dict) or len(spec) != 1:
        return "each expectation is a mapping with exactly one key"
    (key, value), = spec.items()
    if key not in EVALUATORS:
        return f"unknown expectation {key!r} (known: {', '.join(EVALUATORS)})"
    try:
        TypeAdapter(EVALUATORS[key][1]).validate_python(value, strict=True)
    except ValidationError as e:
        return f"{key}: {e.errors()[0]['msg']} (got {value!r})"
    return None


def evaluate(
    specs: list[dict[str, Any]], run: RunLog, ctx: CheckContext
) -> list[ExpectationResult]:
    out = []
    for spec in specs:
        problem = check_spec(spec)
        if problem:
            shown = spec if isinstance(spec, dict) else {"malformed": repr(spec)}
            out.append(ExpectationResult(expect=shown, held=False, detail=problem))
            continue
        (key, value), = spec.items()
        fn = EVALUATORS[key][0]
        held, detail = fn(value, run, ctx)
        log.info("expect %s: %s (%s)", key, "held" if held else "FAILED", detail)
        out.append(ExpectationResult(expect=spec, held=held, detail=detail))
    return out
