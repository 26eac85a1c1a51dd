"""The one door every proposed answer passes through before it reaches the driver.

`review(proposal, context)` is pure: it validates the understanding, the actions and the
reply against the on-board map and the live vehicle state, and returns what may leave
(possibly a safer status/reply with fewer actions) plus one verdict per finding, each with a
reason code. Callers (dialog, hybrid, service) log the verdicts; safety itself does no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from routing.messages import Action, Avoid, Category, Place, Route, ServedBy, Status, Understanding
from sensors.messages import HazardEvent
from sensors.state import VehicleSnapshot

PlaceLookup = Callable[[str, int], Place | None]
"""(osm_type, osm_id) -> the place as the on-board index holds it, or None if unknown."""


@dataclass(frozen=True)
class TurnContext:
    """What the validators check a proposal against. Built by the caller, read-only here."""

    vehicle: VehicleSnapshot
    now: datetime
    region_bbox: tuple[float, float, float, float]
    """min_lat, min_lon, max_lat, max_lon of the on-board map, degrees."""
    known_place: PlaceLookup
    saved_places: Mapping[str, Place] = field(default_factory=dict)
    hazards: tuple[HazardEvent, ...] = ()
    arrive_by: datetime | None = None
    """Latest acceptable arrival at the destination (arrive-by or flight time less buffer)."""
    range_reserve_m: float = 20_000.0
    reroute_duration_s: float | None = None
    """Duration of the device's own re-route of a proposed route (Valhalla), if the caller ran
    one; the proposal's duration must lie within a tolerance of it (safety/plan.py)."""
    open_at_arrival: Mapping[tuple[str, int] | str, bool] = field(default_factory=dict)
    """Precomputed by the caller from opening_hours at each stop's ETA: (osm_type, osm_id) or
    a saved label -> open? Missing means unknown (not checked)."""
    trip: Route | None = None
    """The trip in progress, if any (add_stop/remove_stop keep its destination)."""
    place_categories: Callable[[str, int], Collection[Category]] | None = None
    """(osm_type, osm_id) -> every category the index files the place under (a Five Guys is
    burger and fast_food). Without it a fixed table of compatible pairs is used."""
    avoid: tuple[Avoid, ...] = ()
    """Road kinds the driver keeps off beyond this turn's words (the profile's preferences, the
    trip in progress): a route must honour them or its reply must say it cannot."""


@dataclass(frozen=True)
class Proposal:
    """An answer some component (rules, local LLM, cloud, planner) wants to give."""

    understanding: Understanding
    status: Status
    reply: str
    actions: tuple[Action, ...]
    served_by: ServedBy = "device"


Outcome = Literal["pass", "fixed", "rejected"]


@dataclass(frozen=True)
class Verdict:
    """One finding: which check, what happened, a stable reason code and a short detail."""

    check: str
    outcome: Outcome
    reason: str
    detail: str = ""
    count: int = 0
    """How many items the finding concerns (names neutralised, places dropped, ...)."""


@dataclass(frozen=True)
class Review:
    """What may leave: the (possibly replaced) status, reply and actions, and every verdict."""

    status: Status
    reply: str
    actions: tuple[Action, ...]
    verdicts: tuple[Verdict, ...]

    @property
    def rejected(self) -> bool:
        return any(v.outcome == "rejected" for v in self.verdicts)
