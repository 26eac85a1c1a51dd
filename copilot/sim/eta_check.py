"""`eta_error_max_s`: every arrival time the driver was told vs the arrival then simulated.

Told arrival times come from two places of a run's log:
- every `set_route` action: each stop's and the destination's `eta`;
- every reply with status `ok` that states a clock time ("at the airport 3:25 pm", "You'll
  reach the airport at 3:19 pm"): the time is an arrival at the destination of the route in
  force after that turn. Deadlines the reply repeats ("ahead of your 5:30 pm flight", "by
  4:30 pm") are not arrivals and are skipped. A reply that is not `ok` (too late, no route)
  describes a drive the car never makes, so it is not checked.

Each told time is compared with the car's first arrival at that place after it was told. The
times of a turn that set a route assume the car leaves on it when the copilot read the clock;
a car standing still leaves when the reply arrives, and the simulated clock stretches that
wait (the answer's `timings_ms.total`) `speedup` times (a 2 s answer at speedup 60 holds the
car 2 min). The stretch beyond the real wait is the simulation's, not the copilot's, so it is
taken off the error (and the raw error is shown).

A route set later, before that arrival, supersedes a told time (the trip changed: a stop
added, a hazard avoided) and the newer times are checked instead; a place the car never
reached (the drive ended first, the stop was dropped) cannot be checked. Both are counted in
the detail.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from copilot.sim.geo import haversine_m
from copilot.sim.record import ArrivalRecord, RunLog, TurnRecord, route_in_force
from routing.messages import Place

log = logging.getLogger(__name__)

STANDING_KPH = 1.0
"""Below this the car was standing when asked (it waits for the route to leave on)."""
SAME_PLACE_M = 30.0
"""Two places without a map id or saved label are the same within this distance."""

_CLOCK_EN = re.compile(r"\b(\d{1,2}):(\d{2})\s*([ap])\.?m\b\.?", re.IGNORECASE)
_CLOCK_KO = re.compile(r"(오전|오후)\s*(\d{1,2})\s*시(?:\s*(\d{1,2})\s*분)?")
_DEADLINE_BEFORE = re.compile(
    r"(?:ahead of|before|late for|for|(?<!done )by|until|after|than)\s+(?:your\s+|the\s+)?$",
    re.IGNORECASE)
_DEADLINE_AFTER = re.compile(r"^\s*(?:flight|deadline|departure|비행|항공|출발|까지)",
                             re.IGNORECASE)


@dataclass(frozen=True)
class Told:
    """One arrival time told to the driver."""

    turn: int
    """Index into the run's turns."""
    at_s: float
    place: Place
    eta: datetime
    source: str
    """'reply' or 'route'."""
    stretch_s: float = 0.0
    """Simulated seconds the car waited for this route beyond the real (wall) wait."""
    from_s: float | None = None
    """Simulated second the car heard it (an arrival before that belongs to the old route)."""


def said_times(reply: str) -> list[tuple[int, int]]:
    """(hour 0-23, minute) of every clock time in a reply that is not a repeated deadline."""
    out: list[tuple[int, int, int, int]] = []  # (start, end, hour, minute)
    for m in _CLOCK_EN.finditer(reply):
        h, minute = int(m.group(1)) % 12, int(m.group(2))
        out.append((m.start(), m.end(), h + (12 if m.group(3).lower() == "p" else 0), minute))
    for m in _CLOCK_KO.finditer(reply):
        h, minute = int(m.group(2)) % 12, int(m.group(3) or 0)
        out.append((m.start(), m.end(), h + (12 if m.group(1) == "오후" else 0), minute))
    return [(h, minute) for start, end, h, minute in sorted(out)
            if not _DEADLINE_BEFORE.search(reply[:start])
            and not _DEADLINE_AFTER.match(reply[end:])]


def _on_day_near(h: int, minute: int, near: datetime) -> datetime:
    """h:minute on the day (before, of, after `near`) that puts it closest to `near`."""
    base = near.replace(hour=h, minute=minute, second=0, microsecond=0)
    return min((base + timedelta(days=d) for d in (-1, 0, 1)), key=lambda t: abs(t - near))


def _stretch_s(t: TurnRecord, speedup: float) -> float:
    """How much longer than really the car waited for the route this turn set: the copilot's
    time to answer after it read the clock (its `total`; a wait in its queue before that is
    already in its times), else the whole round trip. Only a car standing still waits: one
    on the move drives on meanwhile, and joins the new route further along."""
    if t.route() is None or t.speed_kph >= STANDING_KPH:
        return 0.0
    wait_ms = t.timings_ms.total if t.timings_ms is not None else t.reply_latency_ms
    return (wait_ms or 0.0) / 1000.0 * max(0.0, speedup - 1.0)


def told_times(run: RunLog, start: datetime, speedup: float = 1.0) -> list[Told]:
    out: list[Told] = []
    for i, t in enumerate(run.turns):
        route = t.route()
        stretch = _stretch_s(t, speedup)
        if route is not None:
            out.extend(Told(i, t.at_s, p, p.eta, "route", stretch, t.replied_s)
                       for p in (*route.stops, route.destination))
        if t.status != "ok":
            continue
        times = said_times(t.reply)
        in_force = route_in_force(run.turns[:i + 1]) if times else None
        if in_force is None:
            continue
        when = start + timedelta(seconds=t.at_s)
        out.extend(Told(i, t.at_s, in_force.destination, _on_day_near(h, m, when), "reply",
                        stretch, t.replied_s) for h, m in times)
    return out


def same_place(a: Place, b: Place) -> bool:
    if a.osm_type is not None and a.osm_id is not None and b.osm_id is not None:
        return (a.osm_type, a.osm_id) == (b.osm_type, b.osm_id)
    if a.saved is not None or b.saved is not None:
        return a.saved == b.saved
    return haversine_m((a.lat, a.lon), (b.lat, b.lon)) <= SAME_PLACE_M


def _describe(told: Told, turn: TurnRecord) -> str:
    where = told.place.name or told.place.saved or str(told.place.category or "the place")
    if told.source == "reply":
        return f"{turn.reply!r} at {told.at_s:.0f}s ({where})"
    return f"the route set at {told.at_s:.0f}s ({where})"


def eta_error_max_s(limit: float, run: RunLog, start: datetime,
                    speedup: float = 1.0) -> tuple[bool, str]:
    """Held when every told arrival time the car then reached is within `limit` seconds."""
    route_at = [t.at_s for t in run.turns if t.route() is not None]
    checked: list[tuple[float, Told, ArrivalRecord]] = []
    superseded = unreached = 0
    for told in told_times(run, start, speedup):
        heard_s = told.at_s if told.from_s is None else max(told.at_s, told.from_s)
        arrival = next((a for a in run.arrivals
                        if a.at_s >= heard_s and same_place(a.place, told.place)), None)
        if arrival is None:
            unreached += 1
            continue
        if any(told.at_s < s < arrival.at_s for s in route_at):
            superseded += 1
            continue
        simulated = start + timedelta(seconds=arrival.at_s)
        checked.append(((simulated - told.eta).total_seconds() - told.stretch_s, told, arrival))
    skipped = f"{superseded} superseded by a later route, {unreached} for places not reached"
    if not checked:
        return False, f"no arrival time told was followed by an arrival there ({skipped})"
    err, told, arrival = max(checked, key=lambda c: abs(c[0]))
    said = sum(1 for _, t, _ in checked if t.source == "reply")
    simulated = start + timedelta(seconds=arrival.at_s)
    detail = (f"{len(checked)} arrival times checked ({said} said in replies, "
              f"{len(checked) - said} on routes); worst {err:+.0f} s: "
              f"{_describe(told, run.turns[told.turn])} told "
              f"{told.eta.astimezone(start.tzinfo):%H:%M:%S}, simulated {simulated:%H:%M:%S}"
              + (f" ({err + told.stretch_s:+.0f} s raw, {told.stretch_s:.0f} s of it the reply's "
                 f"wait stretched {speedup:g}x by the simulated clock)" if told.stretch_s else "")
              + f"; {skipped}")
    return abs(err) <= limit, detail
