"""The two records every intent handler shares: the turn it answers and the answer it proposes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from copilot.dialog.resolve import Deadline
from routing.messages import Action, Route, Status, Understanding
from routing.pack import RegionPack
from routing.profile import Profile
from routing.router import Keep, LatLon
from sensors.state import VehicleSnapshot


@dataclass
class Answer:
    status: Status
    reply: str
    actions: tuple[Action, ...] = ()
    deadline: Deadline | None = None
    reroute_duration_s: float | None = None
    open_at_arrival: dict[tuple[str, int] | str, bool] = field(default_factory=dict)
    why: str | None = None


@dataclass(frozen=True)
class Turn:
    u: Understanding
    now: datetime
    vehicle: VehicleSnapshot
    origin: LatLon
    trip: Route | None
    pack: RegionPack
    profile: Profile
    avoid: tuple[Keep, ...]
    """Hazard areas and road kinds every route of this turn keeps out of."""
    leave_at: datetime | None = None
    """When the car goes on, if later than now: it stands at a stop whose time is not over."""
