"""Questions answered without touching the route: drive time, when to leave, open now.

- "how long / how far to the airport" (ask_eta, no trip in progress): minutes and km from
  the on-board router, the arrival time, then an offer to go there; the place is shown
  (show_places), never routed.
- "when should I leave to be there by 5" (ask_eta with arrive_by): the latest departure is
  the arrival to meet less the drive time and a margin, LEAVE_MARGIN_MIN or LEAVE_MARGIN_SHARE
  of the drive, whichever is larger: Valhalla's times are free-flow (no live traffic, no
  parking), so the margin covers lights, a slow car park and a late start. For a flight, the
  arrival to meet already holds the profile's airport buffer.
- "is there a pharmacy open now" (find_place): the nearest places whose opening_hours say
  open at this moment, shown with show_places; places with no hours are named as such only
  when none is known to be open.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from copilot.dialog.answer import Answer, Turn
from copilot.dialog.preferences import words
from copilot.dialog.replies import NOUN, clock, dest_word, minutes, place_name
from copilot.dialog.resolve import Deadline
from routing.candidates import Candidate
from routing.messages import Category, ShowPlaces
from routing.opening import open_state
from routing.places import MapPlace
from routing.trip import route_in_order

log = logging.getLogger(__name__)

LEAVE_MARGIN_MIN = 5.0
LEAVE_MARGIN_SHARE = 0.15
SHOWN = 3
OPEN_NOW_RE = re.compile(r"\b(open|opened|still\s+serving)\b", re.IGNORECASE)


def leave_margin_s(drive_s: float) -> float:
    """Seconds to add to the drive before an arrival to meet (see the module docstring)."""
    return max(LEAVE_MARGIN_MIN * 60.0, LEAVE_MARGIN_SHARE * drive_s)


def _km(metres: float) -> str:
    return f"{metres / 1000.0:.1f} km"


def drive_question(t: Turn, dest: MapPlace, dl: Deadline | None) -> Answer:
    """Drive time and distance to a place, or when to leave for it; never a route change."""
    plan = route_in_order(t.origin, t.now, [], dest, t.pack.router, t.profile.preferences,
                          t.avoid)
    word = dest_word(dest, dest.place.category)
    if plan.avoid:
        word += f" avoiding {words(plan.avoid)}"
    drive = f"{minutes(plan.duration_s)} ({_km(plan.distance_m)})"
    shown = (ShowPlaces(places=(dest.place,)),)
    # Owned up to first, as for a route: what the answer's numbers could not keep off.
    owned = f"There's no way without {words(plan.avoid_unmet)} here. " if plan.avoid_unmet \
        else ""
    if dl is None:
        return Answer("ok", f"{owned}It's {drive} to {word}; you'd be there at "
                      f"{clock(plan.arrival)}. Want to go?", shown, why="drive_time")
    what = f"your {clock(dl.said)} flight" if dl.is_flight else clock(dl.said)
    margin = leave_margin_s(plan.duration_s)
    leave = dl.at - timedelta(seconds=plan.duration_s + margin)
    if leave > t.now + timedelta(minutes=1):
        # "spare" keeps one meaning, the time before what the driver said: for a flight,
        # the arrival then is the margin plus the airport buffer before take-off
        there = dl.at - timedelta(seconds=margin)
        spare = (f"there {minutes((dl.said - there).total_seconds())} before {what}"
                 if dl.is_flight else f"with {minutes(margin)} to spare for {what}")
        text = f"{owned}Leave by {clock(leave)}: it's {drive} to {word}, {spare}. Want to go?"
        return Answer("ok", text, shown, why="leave_by")
    if plan.arrival <= dl.at:
        return Answer("ok", f"{owned}Leave now: it's {drive} to {word}, there at "
                      f"{clock(plan.arrival)} for {what}. Want to go?", shown, why="leave_now")
    return Answer("ok", f"{owned}Too late for {what}: it's {drive} to {word}, there at "
                  f"{clock(plan.arrival)} at the earliest.", shown, why="leave_too_late")


def asks_open_now(text: str) -> bool:
    return OPEN_NOW_RE.search(text) is not None


def open_now(t: Turn, cat: Category, cands: list[Candidate]) -> Answer:
    """The nearest places of a category open at this moment, shown, not routed."""
    states = [(c, open_state(c.place.opening_hours, t.now)) for c in cands]
    noun = NOUN.get(cat, cat.value)
    shown = [c for c, s in states if s is True][:SHOWN]
    if shown:
        lead, why = f"Open now, {noun}: ", "open_now"
    else:
        shown = [c for c, s in states if s is None][:SHOWN]
        lead, why = f"I can't confirm a {noun} open now; the map has no hours for ", "hours_unknown"
    if not shown:
        return Answer("ok", f"No {noun} nearby is open now.", why="none_open")
    listed = ", ".join(f"{place_name(c.place)} ({minutes(c.to_s)})" for c in shown)
    return Answer("ok", f"{lead}{listed}.",
                  (ShowPlaces(places=tuple(c.place.place for c in shown)),), why=why)
