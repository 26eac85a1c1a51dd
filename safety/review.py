"""`review(proposal, context)`: the one door every proposed answer passes through.

Order: the understanding (strict re-validation), the request itself (evading the police or
harming people, vehicle control, safety systems, distraction while moving), the action
allowlist, whether the intent may change the route at all (a question never does), each
action against the map and the live state, the driver's road preferences, then the reply
(untrusted text, hostile names, the request read back, distraction policy).
A rejection replaces the proposal with a safe fallback (clarify, refuse or infeasible, with
one short sentence); callers may instead use the device's own answer when
`Review.rejected`. Pure: no I/O, no clocks (the context carries `now`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import cast

from routing.messages import (
    Action,
    CancelRoute,
    SetRoute,
    ShowPlaces,
    Status,
    Understanding,
)
from safety.actions import MAX_RAW_CHARS, check_allowlist, parse_model_actions
from safety.codes import Reason
from safety.gate import Proposal, Review, TurnContext, Verdict
from safety.places import PlaceFindings, check_place
from safety.plan import validate_route
from safety.preferences import route_change_not_asked, unmet_preferences
from safety.reply import MAX_ITEMS_MOVING, check_reply
from safety.request import classify_request, validate_understanding

log = logging.getLogger(__name__)

_CLARIFY_PLACE: tuple[Status, str] = (
    "needs_clarification", "I couldn't confirm that place. Where should we go?")
_UNVERIFIED: tuple[Status, str] = ("infeasible", "I couldn't verify that route.")
FALLBACK: dict[str, tuple[Status, str]] = {
    Reason.REQUEST_INVALID: ("not_understood", "Sorry, I didn't catch that."),
    Reason.REQUEST_TOO_MANY_STOPS: ("needs_clarification",
                                    "I can plan up to 8 stops. Which ones matter most?"),
    Reason.ROUTE_TOO_MANY_STOPS: ("needs_clarification",
                                  "I can plan up to 8 stops. Which ones matter most?"),
    Reason.VEHICLE_CONTROL: ("refused", "Sorry, I can't operate the car."),
    Reason.SAFETY_SYSTEM: ("refused", "I can't change the car's safety systems."),
    Reason.DISTRACTION_REQUEST: ("refused", "That has to wait until you're parked."),
    Reason.HARMFUL_REQUEST: ("refused", "I can't help with that."),
    Reason.ROUTE_CHANGE_NOT_ASKED: ("needs_clarification",
                                    "I haven't changed the route. Should I?"),
    Reason.ROUTE_PREFERENCE_UNMET: ("infeasible",
                                    "That route doesn't keep to your road preferences."),
    Reason.ACTION_NOT_ALLOWED: ("refused", "Sorry, I can't do that."),
    Reason.ACTION_MALFORMED: ("needs_clarification", "Sorry, could you say that again?"),
    Reason.ACTIONS_TOO_MANY: ("needs_clarification", "Sorry, could you say that again?"),
    Reason.MODEL_OUTPUT_NOT_JSON: ("needs_clarification", "Sorry, could you say that again?"),
    Reason.MODEL_OUTPUT_TOO_LONG: ("needs_clarification", "Sorry, could you say that again?"),
    Reason.MODEL_OUTPUT_MALFORMED: ("needs_clarification", "Sorry, could you say that again?"),
    Reason.PLACE_UNKNOWN: _CLARIFY_PLACE,
    Reason.PLACE_LOOKUP_FAILED: _UNVERIFIED,
    Reason.PLACE_UNIDENTIFIED: _CLARIFY_PLACE,
    Reason.PLACE_CATEGORY_MISMATCH: _CLARIFY_PLACE,
    Reason.PLACE_MOVED: _CLARIFY_PLACE,
    Reason.PLACE_NOT_FINITE: _CLARIFY_PLACE,
    Reason.SAVED_PLACE_UNKNOWN: _CLARIFY_PLACE,
    Reason.PLACE_OUTSIDE_REGION: ("infeasible", "That place is outside the on-board map."),
    Reason.PLACE_CLOSED: ("infeasible", "That place is closed when we'd get there."),
    Reason.PLACE_IN_HAZARD: ("infeasible", "That stop is inside a reported hazard."),
    Reason.ROUTE_THROUGH_HAZARD: ("infeasible", "That route runs into a reported hazard."),
    Reason.ROUTE_IMPLAUSIBLE: _UNVERIFIED,
    Reason.ROUTE_DURATION_MISMATCH: _UNVERIFIED,
    Reason.ROUTE_ETA_INCONSISTENT: _UNVERIFIED,
    Reason.ARRIVE_BY_MISSED: ("infeasible", "That won't get you there in time."),
    Reason.RANGE_INSUFFICIENT: ("infeasible", "Not enough range for that without refuelling."),
    Reason.DESTINATION_MISMATCH: ("needs_clarification", "Where would you like to go?"),
}
DEFAULT_REPLY: dict[str, str] = {
    "set_route": "Route set.",
    "show_places": "Here's what I found.",
    "cancel_route": "Guidance stopped.",
    "ok": "Okay.",
    "needs_clarification": "Could you say that differently?",
    "infeasible": "I can't plan that.",
    "refused": "Sorry, I can't do that.",
    "not_understood": "Sorry, I didn't catch that.",
}
_NO_ACTIONS: frozenset[str] = frozenset({"refused", "not_understood", "infeasible"})


def _fail(reason: str, verdicts: list[Verdict]) -> Review:
    status, reply = FALLBACK[reason]
    return Review(status=status, reply=reply, actions=(), verdicts=tuple(verdicts))


def _first_rejection(verdicts: list[Verdict]) -> str | None:
    return next((v.reason for v in verdicts if v.outcome == "rejected" and v.reason in FALLBACK),
                None)


def _check_show(
    a: ShowPlaces, ctx: TurnContext, f: PlaceFindings, moving: bool
) -> ShowPlaces | None:
    places = [p for p in (check_place(p, ctx, f) for p in a.places) if p is not None]
    if moving and len(places) > MAX_ITEMS_MOVING:
        f.verdicts.append(Verdict("plan", "fixed", Reason.PLACES_TRIMMED, "",
                                  len(places) - MAX_ITEMS_MOVING))
        places = places[:MAX_ITEMS_MOVING]
    return ShowPlaces(places=tuple(places)) if places else None


def _place_names(acts: Sequence[Action]) -> tuple[str, ...]:
    out: list[str] = []
    for a in acts:
        if isinstance(a, ShowPlaces):
            out.extend(p.name for p in a.places if p.name)
        elif isinstance(a, SetRoute):
            out.extend(p.name for p in (*a.route.stops, a.route.destination) if p.name)
    return tuple(out)


def _place_words(acts: Sequence[Action]) -> tuple[str, ...]:
    """Names, saved labels and category words of the places in actions: a reply may say them."""
    out: list[str] = list(_place_names(acts))
    for a in acts:
        places = a.places if isinstance(a, ShowPlaces) else (
            (*a.route.stops, a.route.destination) if isinstance(a, SetRoute) else ())
        out.extend(p.saved for p in places if p.saved)
        out.extend(p.category.replace("_", " ") for p in places if p.category)
    return tuple(out)


def _asked_words(u: Understanding) -> tuple[str, ...]:
    """Categories and saved labels the driver asked for: vocabulary, not free text, so a reply
    may repeat them ("8 min to the train station"). Free-text names are not among them."""
    refs = [u.destination, *u.stops]
    cats = [getattr(r, "category", None) for r in refs]
    labels = [getattr(r, "saved", None) for r in refs]
    return (*(c.replace("_", " ") for c in cats if c), *(s for s in labels if s))


def review(proposal: Proposal, context: TurnContext) -> Review:
    """What may leave for this proposal in this context, with every verdict."""
    u, verdicts_t = validate_understanding(proposal.understanding)
    verdicts = list(verdicts_t)
    if u is None:
        return _fail(verdicts[0].reason, verdicts)
    moving = context.vehicle.moving
    asked = classify_request(u.text, u.intent, moving, u.error)
    if asked.reason is not None:
        verdicts.append(Verdict("request", "rejected", asked.reason, asked.detail,
                                len(proposal.actions)))
        return _fail(asked.reason, verdicts)

    actions, allow_verdicts = check_allowlist(proposal.actions)
    verdicts.extend(allow_verdicts)
    if route_change_not_asked(u, actions):
        verdicts.append(Verdict("plan", "rejected", Reason.ROUTE_CHANGE_NOT_ASKED,
                                str(u.intent), len(actions)))
        return _fail(Reason.ROUTE_CHANGE_NOT_ASKED, verdicts)
    status: Status = proposal.status
    if status in _NO_ACTIONS and actions:
        verdicts.append(Verdict("actions", "fixed", Reason.ACTIONS_WITHOUT_CONSENT,
                                status, len(actions)))
        actions = ()
    f = PlaceFindings("plan")
    kept: list[Action] = []
    for a in actions:
        if isinstance(a, SetRoute):
            route = validate_route(a.route, u, context, f)
            unmet = unmet_preferences(a.route, u, context, proposal.reply)
            if route is not None and unmet:
                f.reject(Reason.ROUTE_PREFERENCE_UNMET, ",".join(unmet))
            elif route is not None:
                kept.append(SetRoute(route=route))
        elif isinstance(a, ShowPlaces):
            shown = _check_show(a, context, f, moving)
            if shown is not None:
                kept.append(shown)
        else:
            kept.append(CancelRoute())
    verdicts.extend(f.verdicts)
    rejection = _first_rejection(verdicts)
    if rejection is not None:
        return _fail(rejection, verdicts)

    # Names of places trimmed away while moving count as items too if the reply lists them.
    names = _place_names(kept) + _place_names(actions)
    reply, reply_verdicts = check_reply(proposal.reply, moving, names, f.hostile_names, u.text,
                                        _place_words(kept) + _asked_words(u))
    verdicts.extend(reply_verdicts)
    if reply is None:
        key = kept[0].type if kept and status == "ok" else status
        reply = DEFAULT_REPLY[key]
    return Review(status=status, reply=reply, actions=tuple(kept), verdicts=tuple(verdicts))


_STATUSES: frozenset[str] = frozenset(
    {"ok", "needs_clarification", "infeasible", "refused", "not_understood"})
MAX_MODEL_REPLY_CHARS = 4_000


def review_model_output(
    raw: object, understanding: Understanding, context: TurnContext
) -> Review:
    """Review a model's raw answer (JSON text or a dict: status, reply, actions) as a proposal.

    Anything malformed is refused item by item (bad actions) or as a whole (no usable
    status/reply), with the parse verdicts in front of the review's own.
    """
    if isinstance(raw, str | bytes | bytearray):
        try:
            raw = json.loads(raw) if len(raw) <= MAX_RAW_CHARS else None
        except (ValueError, RecursionError):  # not JSON, or nested absurdly deep
            raw = None
    obj = raw if isinstance(raw, dict) else {}
    status, reply = obj.get("status"), obj.get("reply")
    # A status that is no string ({"status": []}) is malformed, never a TypeError.
    if not isinstance(status, str) or status not in _STATUSES or not isinstance(reply, str):
        verdict = Verdict("actions", "rejected", Reason.MODEL_OUTPUT_MALFORMED,
                          f"status={str(status)[:30]!r} reply={type(reply).__name__}", 1)
        return _fail(Reason.MODEL_OUTPUT_MALFORMED, [verdict])
    actions, parse_verdicts = parse_model_actions(obj.get("actions", []))
    proposal = Proposal(understanding, cast(Status, status), reply[:MAX_MODEL_REPLY_CHARS],
                        actions, "cloud")
    result = review(proposal, context)
    verdicts = [*parse_verdicts, *result.verdicts]
    if parse_verdicts and not result.rejected:
        # The review passed what was left, but the model also said something refused:
        # its answer as a whole is not trusted.
        return _fail(parse_verdicts[0].reason, verdicts)
    return Review(result.status, result.reply, result.actions, tuple(verdicts))
