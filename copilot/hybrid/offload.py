"""The offload hook: after the device has answered, maybe ask the cloud for a better plan.

`Copilot` calls the hook with the turn, its understanding, the device's own result and the
safety context. The hook asks the pure policy (device or cloud, and why). For the cloud it
builds the redacted planning problem from the device's route, calls the endpoint with what is
left of the turn's deadline, parses the untrusted answer against the per-request schema, maps
the chosen ids back to on-board places, re-routes them on the device's router and passes the
result through the safety gate. Any failure (late, unreachable, malformed, invented place,
unsafe, worse than the device) falls back to the device answer with the reason in `why`.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from copilot.hybrid.cloud_client import ChatMessage, CloudClient, CloudError
from copilot.hybrid.metrics import HybridMetrics, TurnRecord
from copilot.hybrid.onboard import (
    CandidateSource,
    Replanner,
    known_as_offered,
    opening_at_arrival,
    places_candidates,
    router_replanner,
)
from copilot.hybrid.policy import Offload, PolicyInput, Privacy, Quality, decide
from copilot.hybrid.problem import PlanRejected, Problem, build_problem, parse_plan
from copilot.messages import AskResult, AskTurn, Timings
from routing.messages import Category, Place, Route, RoutedPlace, SetRoute, Understanding
from routing.router import Avoid, Keep
from safety.gate import Proposal, Review, TurnContext
from safety.redact import redact_for_cloud

log = logging.getLogger(__name__)

Reviewer = Callable[[Proposal, TurnContext], Review]

DEFAULT_DEADLINE_MS = 3000.0
"""A turn's whole budget, device answer included: past it the device answer is used."""
INITIAL_EXPECTED_CLOUD_MS = 1500.0
"""Before the first reply: the local 270M stand-in answers a plan in ~1.6 s on 2 busy cores."""
EXPECTATION_HALF_LIFE_S = 120.0
"""How fast a slow (or fast) cloud is forgotten: the estimate drifts back to the initial one,
so after a run of late answers the car stops waiting, then tries again a few minutes later."""
LOCAL_RESERVE_MS = 150.0
"""Kept back for the on-board re-route and the safety review after the cloud answers."""
MAX_SLOWDOWN = 0.10
"""A cloud plan arriving more than 10 % (and 60 s) later than the device's is not used."""
SYSTEM_PROMPT = (
    "You plan errands on a car trip. For every slot pick one candidate id, then pick the "
    "visiting order that reaches the destination soonest: prefer small km_from_car for early "
    "stops and small km_to_destination for late ones. Reply with JSON only."
)


class _Fallback(Exception):
    def __init__(self, reason: str, reply: Any = None, sent: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.reply = reply
        self.sent = sent


def _safety_review() -> Reviewer | None:
    try:
        from safety.review import review
    except ImportError:
        return None
    return review


class CloudOffload:
    """The hook. One per process; thread-safe; `set_link` may be called at any time."""

    def __init__(
        self,
        client: CloudClient | None,
        *,
        offload: Offload = "auto",
        link: Quality | None = None,
        privacy: Privacy = "standard",
        deadline_ms: float = DEFAULT_DEADLINE_MS,
        metrics: HybridMetrics | None = None,
        reviewer: Reviewer | None = None,
        candidates: CandidateSource | None = None,
        replan: Replanner | None = None,
        annotate_device: bool = True,
        max_slowdown: float = MAX_SLOWDOWN,
    ) -> None:
        self.client = client
        self.offload: Offload = offload
        self.privacy: Privacy = privacy
        self.deadline_ms = deadline_ms
        self.metrics = metrics or HybridMetrics()
        self.reviewer = reviewer or _safety_review()
        self.candidates = candidates
        self.replan = replan
        self.annotate_device = annotate_device
        self.max_slowdown = max_slowdown
        self.places: Any = None
        """The on-board place index (opening hours, categories); set by attach_pack."""
        self._link: Quality | None = link
        self._observed_ms = INITIAL_EXPECTED_CLOUD_MS
        self._observed_at = time.monotonic()
        self._lock = threading.Lock()

    # -- wiring ---------------------------------------------------------------------------
    def attach_pack(self, pack: Any, profile: Any = None) -> CloudOffload:
        """Use a region pack's place index for candidates and its router for re-routing;
        a `routing.profile.Profile` adds the driver's avoided brands and time per stop."""
        prefs = getattr(profile, "preferences", None)
        avoid = tuple(getattr(prefs, "avoid_brands", ()))
        dwell_min = getattr(prefs, "stop_dwell_min", None)
        self.places = pack.places
        self.candidates = places_candidates(pack.places, avoid_brands=avoid)
        self.replan = router_replanner(
            pack.router, *(() if dwell_min is None else (float(dwell_min) * 60.0,)))
        return self

    def set_link(self, quality: Quality | None) -> None:
        with self._lock:
            self._link = quality

    def expected_cloud_ms(self) -> float:
        """Recent cloud latency, decaying towards the initial estimate while unobserved."""
        with self._lock:
            w = 0.5 ** ((time.monotonic() - self._observed_at) / EXPECTATION_HALF_LIFE_S)
            return INITIAL_EXPECTED_CLOUD_MS + (self._observed_ms - INITIAL_EXPECTED_CLOUD_MS) * w

    def _observe(self, latency_ms: float) -> None:
        expected = self.expected_cloud_ms()
        with self._lock:
            self._observed_ms = 0.7 * expected + 0.3 * latency_ms
            self._observed_at = time.monotonic()

    @property
    def link(self) -> Quality | None:
        with self._lock:
            return self._link

    # -- the hook -------------------------------------------------------------------------
    def __call__(
        self, turn: AskTurn, u: Understanding, device: AskResult, ctx: TurnContext
    ) -> AskResult | None:
        t0 = time.monotonic()
        spent_ms = device.timings_ms.total
        deadline_at = t0 + (self.deadline_ms - spent_ms) / 1000.0
        base = next((a.route for a in device.actions if isinstance(a, SetRoute)), None)
        decision = decide(PolicyInput(
            offload=self.offload,
            cloud_configured=self.client is not None,
            link=self.link,
            privacy=self.privacy,
            intent=u.intent,
            n_stops=len(u.stops),
            has_time_constraint=bool(u.arrive_by or u.flight_time or ctx.arrive_by),
            beyond_map=device.status == "infeasible" and base is None,
            confidence=u.confidence,
            device_status=device.status,
            has_base_plan=base is not None and bool(base.stops),
            budget_ms=self.deadline_ms - spent_ms - LOCAL_RESERVE_MS,
            expected_cloud_ms=self.expected_cloud_ms(),
        ))
        if not decision.cloud or base is None:
            return self._device(device, decision.why, t0)
        try:
            return self._cloud(turn, u, device, ctx, base, decision.why, t0, deadline_at)
        except _Fallback as f:
            log.info("cloud plan not used: %s", f.reason)
            return self._device(device, f"device:cloud_{f.reason}", t0, tried=True,
                                reply=f.reply, sent=f.sent)

    def _cloud(
        self, turn: AskTurn, u: Understanding, device: AskResult, ctx: TurnContext,
        base: Route, why: str, t0: float, deadline_at: float,
    ) -> AskResult:
        if self.client is None:
            raise _Fallback("no_cloud")
        if self.reviewer is None:
            raise _Fallback("no_safety_gate")  # nothing unreviewed may reach the driver
        if self.replan is None:
            raise _Fallback("no_replanner")
        car = ctx.vehicle.position
        if car is None:
            raise _Fallback("no_position")
        if self.client.in_flight > 0:
            # One outstanding request per car: an abandoned late one still occupies the
            # endpoint (and the link); queueing behind it would only be late again.
            raise _Fallback("busy")
        problem = self._problem(turn, u, ctx, base, car)
        if problem is None:
            raise _Fallback("privacy_strict")
        user = problem.problem.model_dump_json(exclude_none=True)
        budget_s = deadline_at - time.monotonic() - LOCAL_RESERVE_MS / 1000.0
        try:
            reply = self.client.complete(
                [ChatMessage(role="system", content=SYSTEM_PROMPT),
                 ChatMessage(role="user", content=user)],
                "errand_plan", problem.schema(), timeout_s=budget_s,
                max_tokens=32 + 24 * len(problem.problem.slots),  # the plan JSON, no more
            )
        except CloudError as e:
            if e.reason == "late":  # it took at least the budget; count it as half again
                self._observe(1.5 * budget_s * 1000.0)
            raise _Fallback(e.reason, sent=e.bytes_sent) from None
        self._observe(reply.latency_ms)
        try:
            chosen = parse_plan(problem, reply.content)
        except PlanRejected as e:
            raise _Fallback(e.reason, reply) from None
        stops = [self._on_board(p, ctx, reply) for p in chosen]
        # the device's route kept out of the live hazards and the preferences it honours:
        # the cloud's places and order must not bring the car back onto them
        keep: tuple[Keep, ...] = (*(Avoid(h.lat, h.lon, h.radius_m) for h in ctx.hazards),
                                  *base.avoid)
        route = self.replan(stops, problem.destination, car, turn.at, keep)
        if route is None:
            raise _Fallback("no_route", reply)
        slack_s = max(60.0, self.max_slowdown * base.duration_s)
        if (route.destination.eta - base.destination.eta).total_seconds() > slack_s:
            raise _Fallback("worse", reply)
        proposal = Proposal(u, "ok", _reply_text(route, u), (SetRoute(route=route),), "cloud")
        t_val = time.monotonic()
        # The re-route is the device's own (its router), so it is the reference duration;
        # opening hours at the new ETAs and the offered categories come from the on-board map.
        checked_ctx = dataclasses.replace(ctx, reroute_duration_s=route.duration_s)
        if self.places is not None:
            checked_ctx = dataclasses.replace(
                checked_ctx,
                known_place=known_as_offered(ctx.known_place, self.places, route),
                open_at_arrival={**ctx.open_at_arrival,
                                 **opening_at_arrival(self.places, route)},
            )
        review = self.reviewer(proposal, checked_ctx)
        if review.rejected or review.status != "ok" or not review.actions:
            bad = [v.reason for v in review.verdicts if v.outcome == "rejected"]
            log.info("safety rejected the cloud plan: %s", bad)
            raise _Fallback("unsafe", reply)
        now = time.monotonic()
        if now > deadline_at:
            raise _Fallback("late", reply)
        dt = device.timings_ms
        result = AskResult(
            understanding=device.understanding,
            status=review.status,
            reply=review.reply,
            actions=review.actions,
            served_by="cloud",
            timings_ms=Timings(
                understand=dt.understand,
                plan=round(dt.plan + (t_val - t0) * 1000.0, 2),
                validate_=round(dt.validate_ + (now - t_val) * 1000.0, 2),
                total=round(dt.total + (now - t0) * 1000.0, 2),
            ),
            why=why,
            proactive=device.proactive,
        )
        changed = [_key(p) for p in route.stops] != [_key(p) for p in base.stops]
        self._record(result, tried=True, reply=reply, changed=changed)
        return result

    def _problem(
        self, turn: AskTurn, u: Understanding, ctx: TurnContext, base: Route,
        car: tuple[float, float],
    ) -> Problem | None:
        """The redacted problem (safety.redact decides what about the driver may leave)."""
        red = redact_for_cloud(u, ctx.vehicle, ctx.saved_places, privacy=self.privacy,
                               trip=base, now=turn.at)
        if red is None or red.request.origin is None:
            return None
        origin = red.request.origin
        private = [None if p.cell_deg == 0.0 else (p.lat, p.lon) for p in red.request.trip]
        extra: dict[Category, list[Place]] = {}
        if self.candidates is not None:
            dest = Place(**base.destination.model_dump(exclude={"eta"}))
            for stop in base.stops:
                if stop.category is not None and stop.saved is None and stop.category not in extra:
                    extra[stop.category] = list(self.candidates(stop.category, car, dest))
        arrive_by = ctx.arrive_by.astimezone(turn.at.tzinfo).strftime("%H:%M") \
            if ctx.arrive_by is not None else u.arrive_by
        return build_problem(base, turn.at, arrive_by, (origin.lat, origin.lon), private, extra)

    @staticmethod
    def _on_board(place: Place, ctx: TurnContext, reply: Any) -> Place:
        """The place as the on-board map holds it; anything else is an invention."""
        if place.osm_type is None or place.osm_id is None:
            return place  # a saved or ad-hoc stop of the device's own route, offered by id
        found = ctx.known_place(place.osm_type, place.osm_id)
        if found is None:
            raise _Fallback("invented_place", reply)
        # Keep the category it was offered under (a burger bar is also fast food); the safety
        # review checks that the index holds that category for the place.
        return found.model_copy(update={"category": place.category or found.category})

    # -- bookkeeping ----------------------------------------------------------------------
    def _device(self, device: AskResult, why: str, t0: float, tried: bool = False,
                reply: Any = None, sent: int = 0) -> AskResult | None:
        hook_ms = (time.monotonic() - t0) * 1000.0
        full = f"{why}; {device.why}" if device.why else why
        out = device.model_copy(update={
            "why": full,
            "served_by": "device",
            "timings_ms": device.timings_ms.model_copy(
                update={"total": round(device.timings_ms.total + hook_ms, 2)}),
        })
        self._record(out, tried=tried, reply=reply, sent=sent)
        return out if self.annotate_device else None

    def _record(self, result: AskResult, tried: bool, reply: Any = None, sent: int = 0,
                changed: bool = False) -> None:
        self.metrics.record(TurnRecord(
            served_by=result.served_by,
            why=(result.why or "").split(";")[0],
            latency_ms=result.timings_ms.total,
            cloud_tried=tried,
            bytes_up=reply.bytes_sent if reply is not None else sent,
            bytes_down=reply.bytes_received if reply is not None else 0,
            prompt_tokens=reply.prompt_tokens if reply is not None else 0,
            completion_tokens=reply.completion_tokens if reply is not None else 0,
            plan_changed=changed,
        ))


def _key(p: Place) -> tuple[str | None, int | None, str | None]:
    return (p.osm_type, p.osm_id, p.saved)


def _reply_text(route: Route, u: Understanding | None = None) -> str:
    """One short sentence built on the device from on-board names (never from cloud text),
    in the turn's language."""
    if u is not None and u.language == "ko":
        from copilot.dialog.answer import Answer
        from copilot.dialog.replies_ko import route_reply_ko

        action = SetRoute(route=route)
        return route_reply_ko(action, Answer("ok", "", (action,)), "", u)

    def label(p: RoutedPlace) -> str:
        if p.saved is not None:
            return f"your {p.saved}"
        return p.name or (p.category.value.replace("_", " ") if p.category else "a stop")

    names = [label(s) for s in route.stops]
    listed = ", ".join(names) if len(names) <= 3 else f"{len(names)} stops"
    dest = label(route.destination)
    return f"{listed}, then {dest} at {route.destination.eta:%-I:%M %p}."


def build_offload(
    cloud_llm: str | None,
    cloud_model: str | None,
    offload: str,
    link: str | None,
    privacy: str,
    deadline_ms: float = DEFAULT_DEADLINE_MS,
) -> CloudOffload | None:
    """The hook for `copilot ask` options; call `.attach_pack(pack)` to enable cloud plans.

    The API key for a provider is read from COPILOT_CLOUD_API_KEY when this is called.
    """
    if offload not in ("auto", "always", "never"):
        raise ValueError(f"--offload must be auto, always or never, not {offload!r}")
    if link not in (None, "good", "degraded", "none"):
        raise ValueError(f"--link must be good, degraded or none, not {link!r}")
    if privacy not in ("standard", "strict"):
        raise ValueError(f"--privacy must be standard or strict, not {privacy!r}")
    client = None
    if cloud_llm:
        client = CloudClient(cloud_llm, cloud_model, os.environ.get("COPILOT_CLOUD_API_KEY"))
    return CloudOffload(
        client, offload=offload, link=link, privacy=privacy,  # type: ignore[arg-type]
        deadline_ms=deadline_ms,
    )
