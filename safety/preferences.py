"""Route preferences and questions: what a proposal may do given what the driver asked.

Two pure checks, both run by `safety.review.review` on the actions that survived the rest:

- `route_change_not_asked`: only the intents that move the car (navigate, add_stop,
  remove_stop, cancel) may carry `set_route` or `cancel_route`. A question (ask_eta,
  find_place, ask_vehicle) or anything out of scope answers with a reply and at most
  `show_places` (CONTRACT.md section 1), whatever a model proposed.
- `unmet_preferences`: the road kinds the driver keeps off (this turn's `avoid`, the
  profile's and the trip in progress's, via `TurnContext.avoid` and `TurnContext.trip`) must
  be in the route's `avoid`, or the reply must name each one it cannot honour ("no way there
  without highways"). A route that quietly ignores a preference is rejected.
"""

from __future__ import annotations

import logging
import re

from routing.messages import Action, Avoid, CancelRoute, Intent, Route, SetRoute, Understanding
from safety.gate import TurnContext

log = logging.getLogger(__name__)

ROUTE_INTENTS: frozenset[Intent] = frozenset(
    {Intent.NAVIGATE, Intent.ADD_STOP, Intent.REMOVE_STOP, Intent.CANCEL})
"""The intents that may change the route; every other one only answers."""
TRIP_INTENTS: frozenset[Intent] = frozenset({Intent.ADD_STOP, Intent.REMOVE_STOP})
"""Edits of the trip in progress, which keep its preferences."""
_MENTION: dict[Avoid, re.Pattern[str]] = {
    Avoid.HIGHWAYS: re.compile(r"\b(highways?|motorways?|freeways?|interstates?|expressways?)\b"
                               r"|고속도로", re.IGNORECASE),
    Avoid.TOLLS: re.compile(r"\btoll|유료도로|통행료", re.IGNORECASE),
    Avoid.FERRIES: re.compile(r"\bferr(y|ies)\b|페리", re.IGNORECASE),
    Avoid.UNPAVED: re.compile(r"\b(unpaved|dirt|gravel)\b|비포장", re.IGNORECASE),
}
"""How a reply names each road kind, in English or Korean (replies are in the turn's language)."""


def changes_route(actions: tuple[Action, ...]) -> bool:
    return any(isinstance(a, SetRoute | CancelRoute) for a in actions)


def route_change_not_asked(u: Understanding, actions: tuple[Action, ...]) -> bool:
    """Does the proposal change the route although the driver did not ask for that?"""
    return u.intent not in ROUTE_INTENTS and changes_route(actions)


def asked_avoid(u: Understanding, ctx: TurnContext) -> frozenset[Avoid]:
    """Every road kind this turn's route must keep off."""
    kinds = set(u.avoid) | set(ctx.avoid)
    if u.intent in TRIP_INTENTS and ctx.trip is not None:
        kinds |= set(ctx.trip.avoid)
    return frozenset(kinds)


def mentions(reply: str, kind: Avoid) -> bool:
    return _MENTION[kind].search(reply) is not None


def unmet_preferences(route: Route, u: Understanding, ctx: TurnContext,
                      reply: str) -> tuple[Avoid, ...]:
    """The asked road kinds the route does not honour and the reply does not own up to."""
    honoured = set(route.avoid)
    return tuple(k for k in Avoid if k in asked_avoid(u, ctx) and k not in honoured
                 and not mentions(reply, k))
