"""The hybrid policy: one pure function deciding device or cloud for a turn, with a reason.

Device first. The cloud is asked only when the work is heavy (several stops with a time
constraint, places beyond the on-board map, low local confidence), the link is good, privacy
allows and the turn's deadline leaves room for a round trip. Every decision carries a stable
reason code (`device:link_none`, `cloud:heavy_request`, ...) that ends up in the reply's `why`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from routing.messages import Intent, ServedBy, Status

Offload = Literal["auto", "always", "never"]
Privacy = Literal["standard", "strict"]
Quality = Literal["good", "degraded", "none"]

LOW_CONFIDENCE = 0.6
"""Below this the local understanding is a guess worth a second opinion."""
HEAVY_MIN_STOPS = 2
PLANNING_INTENTS = frozenset({Intent.NAVIGATE, Intent.ADD_STOP})
"""Only route planning is sent out; questions, cancels and vehicle requests stay on board."""


@dataclass(frozen=True)
class PolicyInput:
    """Everything the decision depends on, already measured by the caller."""

    offload: Offload
    cloud_configured: bool
    link: Quality | None
    """None: no link information (treated as good; the deadline still bounds the wait)."""
    privacy: Privacy
    intent: Intent
    n_stops: int
    has_time_constraint: bool
    beyond_map: bool
    """The device could not find a requested place on the on-board map."""
    confidence: float
    device_status: Status
    has_base_plan: bool
    """The device produced a route the cloud can improve (choice and order of stops)."""
    budget_ms: float
    """Time left before the turn's deadline."""
    expected_cloud_ms: float
    """Round trip plus model time, as recently observed."""


@dataclass(frozen=True)
class Decision:
    target: ServedBy
    why: str

    @property
    def cloud(self) -> bool:
        return self.target == "cloud"


def _device(reason: str) -> Decision:
    return Decision("device", f"device:{reason}")


def heavy_reason(p: PolicyInput) -> str | None:
    """Why this request would benefit from the cloud, or None when the device suffices."""
    if p.beyond_map:
        return "beyond_map"
    if p.n_stops >= HEAVY_MIN_STOPS and p.has_time_constraint:
        return "heavy_request"
    if p.confidence < LOW_CONFIDENCE:
        return "low_confidence"
    return None


def decide(p: PolicyInput) -> Decision:
    """Device or cloud for one turn. Checks run from the hardest limit to the softest."""
    if not p.cloud_configured:
        return _device("no_cloud")
    if p.offload == "never":
        return _device("offload_never")
    if p.privacy == "strict":
        return _device("privacy_strict")
    link = p.link or "good"
    if link == "none":
        return _device("link_none")
    if p.intent not in PLANNING_INTENTS:
        return _device("not_planning")
    reason = heavy_reason(p)
    if p.offload == "auto":
        if reason is None:
            return _device("light_request")
        if link != "good":
            return _device(f"link_{link}")
    if not p.has_base_plan:
        return _device("no_base_plan")
    if p.budget_ms < p.expected_cloud_ms:
        return _device("no_deadline_room")
    return Decision("cloud", f"cloud:{reason or 'offload_always'}")
