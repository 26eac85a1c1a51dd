"""The copilot on the device: understanding + vehicle state + planner -> a reviewed answer.

    copilot = Copilot(RegionPack.open(pbf), Profile.load(yaml))
    result = copilot.answer(AskTurn(text=..., at=..., state={...}, trip=None))

Every answer leaves through `safety.review.review` (the one door). Statuses: `ok`,
`needs_clarification` (ambiguous, unknown saved place, missing place), `infeasible` (with the
reason: no such place on the map, late for the flight, out of range, outside the map,
unreachable), `refused` (operating the car), `not_understood` (bad input, out of scope).
`answer` never raises for user input: anything unexpected becomes a short apology, logged.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from copilot.audit import AuditLog
from copilot.dialog.answer import Answer, Turn
from copilot.dialog.cannot import REFUSED_HARMFUL, UNSUPPORTED_SERVICE, cannot_do
from copilot.dialog.intents import HANDLERS, names_place
from copilot.dialog.preferences import road_kinds
from copilot.dialog.replies import PLACE_NOUN
from copilot.dialog.resolve import Clarify
from copilot.messages import AskResult, AskTurn, Timings
from routing.errors import (
    InfeasibleError,
    NoCandidatesError,
    OutsideMapError,
    RoutingError,
    UnknownSavedPlaceError,
    UnreachableError,
)
from routing.messages import (
    Category,
    CategoryRef,
    Intent,
    NameRef,
    Place,
    Route,
    SetRoute,
    StopRequest,
    Understanding,
)
from routing.pack import RegionPack
from routing.profile import Profile
from routing.router import Avoid
from safety.gate import Proposal, TurnContext
from safety.text import word_count
from sensors.messages import HazardEvent
from sensors.state import VehicleSnapshot

log = logging.getLogger(__name__)

Offload = Callable[[AskTurn, Understanding, AskResult, TurnContext], AskResult | None]
LOW_CONFIDENCE = 0.35


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000.0, 2)


def _sentence(msg: str) -> str:
    msg = msg.strip()
    msg = msg[:1].upper() + msg[1:]
    return msg if msg.endswith((".", "?", "!")) else msg + "."


MAX_WORDS_MOVING = 25
"""The safety gate's limit while moving (safety/reply.py): a longer reply gets cut there."""


def fit_reply(reply: str, moving: bool) -> str:
    """While moving, keep whole sentences that fit the word limit (the first one at least)."""
    if not moving or word_count(reply) <= MAX_WORDS_MOVING:
        return reply
    sentences = re.findall(r"[^.!?]+[.!?]*", reply)
    kept = sentences[0].strip()
    for s in sentences[1:]:
        if word_count(kept + " " + s.strip()) > MAX_WORDS_MOVING:
            break
        kept = kept + " " + s.strip()
    return kept


def brand_as_name(u: Understanding) -> Understanding:
    """A brand asked for ("the nearest Walgreens": pharmacy + Walgreens) is planned as that
    name on the map, as the contract's `{"name": ...}` is: found, or "I can't find that place
    on this map", never silently another brand of the kind."""
    d = u.destination
    if isinstance(d, CategoryRef) and d.brand:
        return u.model_copy(update={"destination": NameRef(name=d.brand)})
    return u


class Copilot:
    """Answers `ask` turns against one region pack and one driver profile."""

    def __init__(self, pack: RegionPack, profile: Profile | None = None,
                 understander: Any = None, offload: Offload | None = None,
                 audit: AuditLog | None = None) -> None:
        self.pack = pack
        self.profile = profile or Profile()
        self._understander = understander
        self.offload = offload
        self.audit = audit
        """Where refusals, rejections and fixes are written (None: nowhere, e.g. in tests)."""

    def understand(self, text: str) -> Understanding:
        """What `text` asks (loads the understanding on first use)."""
        return self._understand(text)

    def _understand(self, text: str) -> Understanding:
        if self._understander is None:
            from copilot.nlu import Understander  # heavy: loads vocabularies (LLM lazily)

            self._understander = Understander()
        u: Understanding = self._understander.understand(text)
        return u

    def _korean_name(self, place: Place) -> str | None:
        """The map's `name:ko` of a place, if the region pack has one."""
        if place.osm_type is None or place.osm_id is None:
            return None
        lookup = getattr(self.pack.places, "name_in", None)
        return lookup(place.osm_type, place.osm_id, "ko") if lookup is not None else None

    def answer(self, turn: AskTurn, hazards: tuple[HazardEvent, ...] = ()) -> AskResult:
        t0 = time.perf_counter()
        u = self._understand(turn.text)
        return self.answer_understood(u, turn, hazards, understand_ms=_ms(t0), t0=t0)

    def answer_understood(self, understanding: Understanding, turn: AskTurn,
                          hazards: tuple[HazardEvent, ...] = (), *,
                          understand_ms: float = 0.0, t0: float | None = None) -> AskResult:
        t_start = t0 if t0 is not None else time.perf_counter()
        u = brand_as_name(understanding)
        vehicle = VehicleSnapshot.from_vss(turn.state)
        t_plan = time.perf_counter()
        try:
            ans = self._propose(u, turn, vehicle, hazards)
        except Exception:  # the last line of defence: a short apology, never a traceback
            log.exception("planning failed for %r", turn.text[:80])
            ans = Answer("infeasible", "Sorry, I couldn't plan that.", why="internal_error")
        if u.language == "ko":   # the same answer, worded in the turn's language
            from copilot.dialog.replies_ko import korean_reply

            ans.reply = korean_reply(ans, u, self._korean_name)
        ans.reply = fit_reply(ans.reply, vehicle.moving)
        plan_ms = _ms(t_plan)
        ctx = self._context(vehicle, turn, hazards, ans)
        t_val = time.perf_counter()
        from safety.review import review

        verdict = review(Proposal(u, ans.status, ans.reply, ans.actions), ctx)
        for v in verdict.verdicts:
            if v.outcome != "pass":
                log.info("safety %s %s %s: %s", v.check, v.outcome, v.reason, v.detail)
        if self.audit is not None:
            self.audit.record(verdict, text=turn.text, at=turn.at, served_by="device")
        why = ans.why
        if verdict.rejected:
            why = next(v.reason for v in verdict.verdicts if v.outcome == "rejected")
            why = f"safety:{why}"
        val_ms = _ms(t_val)
        reply = verdict.reply
        if u.language == "ko":   # the safety layer's own fixed replies, in Korean too
            from copilot.dialog.replies_ko import korean_fallback

            reply = korean_fallback(reply)
        result = AskResult(
            understanding=understanding, status=verdict.status, reply=reply,
            actions=verdict.actions, served_by="device",
            timings_ms=Timings(understand=understand_ms, plan=plan_ms, validate=val_ms,
                               total=_ms(t_start)),
            why=why,
        )
        if self.offload is not None:
            try:
                cloud = self.offload(turn, u, result, ctx)
            except Exception:  # the hybrid hook must never cost the device's answer
                log.exception("offload hook failed; keeping the device answer")
                cloud = None
            if cloud is not None:
                return cloud
        return result

    def _context(self, vehicle: VehicleSnapshot, turn: AskTurn,
                 hazards: tuple[HazardEvent, ...], ans: Answer) -> TurnContext:
        used: dict[tuple[str, int], Category] = {}
        for a in ans.actions:
            if isinstance(a, SetRoute):
                for p in (*a.route.stops, a.route.destination):
                    if p.osm_type and p.osm_id is not None and p.category is not None:
                        used[(p.osm_type, p.osm_id)] = p.category
        places = self.pack.places

        def known(osm_type: str, osm_id: int) -> Place | None:
            place = places.get(osm_type, osm_id)
            want = used.get((osm_type, osm_id))
            if place is not None and want is not None and want != place.category \
                    and want in places.categories_of(osm_type, osm_id):
                return place.model_copy(update={"category": want})  # one place, many kinds
            return place

        return TurnContext(
            vehicle=vehicle, now=turn.at, region_bbox=self.pack.bbox, known_place=known,
            saved_places=dict(self.profile.saved), hazards=hazards,
            arrive_by=ans.deadline.at if ans.deadline else None,
            range_reserve_m=self.profile.preferences.range_reserve_km * 1000.0,
            reroute_duration_s=ans.reroute_duration_s, open_at_arrival=ans.open_at_arrival,
            trip=turn.trip, avoid=self.profile.preferences.avoid,
        )

    def _leave_at(self, turn: AskTurn) -> datetime | None:
        """The end of the planned time at the stop the car stands at, if still ahead."""
        if turn.at_stop_since is None:
            return None
        leave = turn.at_stop_since + timedelta(minutes=self.profile.preferences.stop_dwell_min)
        return leave if leave > turn.at else None

    def _same_destination(self, u: Understanding, trip: Route | None) -> bool:
        """Does a navigate turn head for the trip's own destination (a new way there)?"""
        if trip is None or u.destination is None:
            return trip is not None
        return names_place(StopRequest(**u.destination.model_dump()), trip.destination,
                           self.pack)

    def _propose(self, u: Understanding, turn: AskTurn, vehicle: VehicleSnapshot,
                 hazards: tuple[HazardEvent, ...]) -> Answer:
        if u.error == REFUSED_HARMFUL:  # evading the police, harming people (nlu/README.md)
            return Answer("refused", "I can't help with that.", why=f"nlu:{u.error}")
        if u.error == UNSUPPORTED_SERVICE:  # tickets, taxis, bookings: said, never routed
            return Answer("infeasible", cannot_do(u.text), why=f"nlu:{u.error}")
        if u.error or (u.intent == Intent.OUT_OF_SCOPE):
            return Answer("not_understood", "Sorry, I can help with routes, stops and the car's "
                          "range.", why=f"nlu:{u.error or 'out_of_scope'}")
        if u.intent == Intent.VEHICLE_CONTROL:
            return Answer("refused", "Sorry, I can't operate the car.", why="vehicle_control")
        handler = HANDLERS.get(u.intent)
        if handler is None:
            return Answer("not_understood", "Sorry, I didn't catch that.", why="no_handler")
        needs_position = u.intent not in (Intent.CANCEL, Intent.ASK_VEHICLE)
        pos = vehicle.position
        if needs_position and pos is None:
            return Answer("infeasible", "I don't know where the car is right now.",
                          why="no_position")
        try:
            if needs_position and pos is not None:
                self.pack.check_inside(pos[0], pos[1], "the car")
            turn_ = Turn(u=u, now=turn.at, vehicle=vehicle, origin=pos or (0.0, 0.0),
                         trip=turn.trip, pack=self.pack, profile=self.profile,
                         avoid=(*(Avoid(h.lat, h.lon, h.radius_m) for h in hazards),
                                *road_kinds(u, self.profile, turn.trip,
                                            self._same_destination(u, turn.trip))),
                         leave_at=self._leave_at(turn))
            if u.confidence < LOW_CONFIDENCE and u.intent == Intent.NAVIGATE \
                    and u.destination is None and not u.stops:
                raise Clarify("Sorry, where would you like to go?")
            return handler(turn_)
        except Clarify as c:
            return Answer("needs_clarification", str(c), why="clarify")
        except UnknownSavedPlaceError as e:
            return Answer("needs_clarification",
                          f"I don't have your {e.label} saved. Where is it?",
                          why=e.code)
        except NoCandidatesError as e:
            if e.category in Category.__members__.values() and str(e).startswith("There is no"):
                noun = PLACE_NOUN.get(Category(e.category), e.category)
                text = f"There's no {noun} on this map, so I can't plan that."
            else:
                text = _sentence(str(e))
            return Answer("infeasible", text, why=f"{e.code}:{e.category}")
        except OutsideMapError as e:
            if str(e).startswith("Your"):  # a saved place beyond the map
                return Answer("infeasible", _sentence(str(e)), why=e.code)
            if str(e).startswith("the car"):
                return Answer("infeasible", "You're outside the on-board map, so I can't "
                              "plan a route here.", why=e.code)
            # The router found no road near a stop or the destination.
            return Answer("infeasible", "I can't reach that place by road on this map.",
                          why="unreachable")
        except UnreachableError as e:
            return Answer("infeasible", "I can't find a drivable route there on this map.",
                          why=e.code)
        except InfeasibleError as e:
            return Answer("infeasible", _sentence(str(e)), why=e.code)
        except RoutingError as e:
            log.warning("routing error: %s", e)
            return Answer("infeasible", "Sorry, I couldn't plan that route.", why=e.code)
