"""Road preferences in the dialog: which kinds a turn's route keeps off, and how to say so.

A turn keeps off what was said in it (`Understanding.avoid`), what the profile always avoids
(`preferences.avoid`) and, when it edits, asks about or re-routes the trip in progress, what
that trip already avoids (`Route.avoid`). The reply names what was said this turn ("..., avoiding
highways") and owns up to every kind the road network gave no way around, which the safety
gate checks (safety/preferences.py).
"""

from __future__ import annotations

import logging
import re

from routing.messages import Avoid as RoadKind
from routing.messages import Intent, Route, Understanding
from routing.profile import Profile
from routing.router import ROAD_ORDER
from routing.trip import TripPlan

log = logging.getLogger(__name__)

WORDS: dict[RoadKind, str] = {RoadKind.HIGHWAYS: "highways", RoadKind.TOLLS: "tolls",
                              RoadKind.FERRIES: "ferries", RoadKind.UNPAVED: "unpaved roads"}
_FIRST_SENTENCE_END = re.compile(r"[.!?](\s|$)")


def road_kinds(u: Understanding, profile: Profile, trip: Route | None,
               same_destination: bool = False) -> tuple[RoadKind, ...]:
    """Every road kind this turn's routes keep off, in contract order.

    The trip in progress keeps its preferences for edits, questions and a new way to the same
    destination ("find another way to the airport"); a new destination is a new trip."""
    kinds = set(u.avoid) | set(profile.preferences.avoid)
    if trip is not None and (u.intent != Intent.NAVIGATE or same_destination):
        kinds |= set(trip.avoid)
    return tuple(k for k in ROAD_ORDER if k in kinds)


def words(kinds: tuple[RoadKind, ...]) -> str:
    """'highways', 'highways and tolls', 'highways, tolls and ferries'."""
    names = [WORDS[k] for k in kinds]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def mention(reply: str, plan: TripPlan, said: tuple[RoadKind, ...]) -> str:
    """The reply naming the preferences said this turn that the route keeps, and owning up
    (first, so it survives trimming while moving) to those it cannot keep."""
    kept = tuple(k for k in plan.avoid if k in said)
    if kept:
        m = _FIRST_SENTENCE_END.search(reply)
        cut = m.start() if m else len(reply)
        reply = f"{reply[:cut]}, avoiding {words(kept)}{reply[cut:]}"
    if plan.avoid_unmet:
        reply = f"There's no way without {words(plan.avoid_unmet)} here. {reply}"
    return reply
