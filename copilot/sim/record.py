"""What a simulated drive records, and the report built from it (report.json).

The contract fields of report.json (scenario, passed, turns[at_s, text, proactive, speed_kph,
status, reply, actions, served_by], expectations[expect, held, detail], signals_published,
replans) come first; everything else is an extension. The JSON is always produced by
`Report.model_dump_json`, never written by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from copilot.messages import Timings
from routing.messages import (
    Action,
    Place,
    Route,
    RoutedPlace,
    ServedBy,
    SetRoute,
    Status,
    Understanding,
)
from sensors.messages import HazardEvent

LinkName = Literal["good", "degraded", "none"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TurnRecord(_Model):
    at_s: float
    text: str
    proactive: bool = False
    speed_kph: float = 0.0
    status: Status
    reply: str
    actions: list[Action] = Field(default_factory=list)
    served_by: ServedBy = "device"
    # -- extensions --
    id: str | None = None
    input: Literal["text", "audio", "synth", "proactive"] = "text"
    transcript: str | None = None
    understanding: Understanding | None = None
    timings_ms: Timings | None = None
    why: str | None = None
    link: LinkName = "good"
    reply_latency_ms: float | None = None
    replied_s: float | None = None
    """Simulated second the reply reached the car (later than `at_s` by the wait, stretched by
    the speed-up): a route acts on the car only from then."""
    """Wall-clock time from publishing the request to receiving the reply over MQTT."""

    def route(self) -> Route | None:
        for a in self.actions:
            if isinstance(a, SetRoute):
                return a.route
        return None


class HazardRecord(_Model):
    at_s: float
    event: HazardEvent


class ReplanRecord(_Model):
    at_s: float
    turn: int
    """Index into turns of the reply that set the new route."""
    cause: Literal["request", "hazard", "proactive"]
    distance_m: float
    duration_s: float
    eta: datetime
    stops: list[str]


class ArrivalRecord(_Model):
    """The simulated car reached a place of its route (before dwelling there)."""

    at_s: float
    place: RoutedPlace
    destination: bool = False


class VerdictRecord(_Model):
    turn: int | None = None
    check: str
    outcome: str
    reason: str
    detail: str = ""


class Sample(_Model):
    """One point of the drive, for the plots (one per simulated second or so)."""

    t_s: float
    lat: float
    lon: float
    speed_kph: float
    range_m: float
    level_percent: float
    link: LinkName
    cloud_bytes_up: int | None = None
    """Bytes that reached the cloud so far (link emulator), None when no cloud ran."""
    cloud_connects: int | None = None
    """Connections the vehicle opened towards the cloud so far (accepted by the emulator)."""


class ExpectationResult(_Model):
    expect: dict[str, Any]
    held: bool
    detail: str



def route_in_force(turns: list[TurnRecord]) -> Route | None:
    """The route the car follows once these turns were answered (the last set_route, unless a
    cancel_route came after it)."""
    route: Route | None = None
    for t in turns:
        for a in t.actions:
            if a.type == "set_route":
                route = a.route
            elif a.type == "cancel_route":
                route = None
    return route


def place_key(p: Place) -> tuple[object, ...]:
    """One place, however many routes list it."""
    return (p.osm_type, p.osm_id, p.saved, p.name, round(p.lat, 5), round(p.lon, 5))


def served_stops(arrivals: Sequence[ArrivalRecord], ahead: Sequence[Place]) -> list[RoutedPlace]:
    """Stops the car reached that `ahead` (the route in force) no longer lists, in the order
    reached: a later re-plan rightly passes only the stops still ahead, yet the drive did serve
    them."""
    here = {place_key(p) for p in ahead}
    out: dict[tuple[object, ...], RoutedPlace] = {}
    for a in arrivals:
        if not a.destination and place_key(a.place) not in here:
            out.setdefault(place_key(a.place), a.place)
    return list(out.values())


class RunLog(_Model):
    """Everything a run observed; the expectations are pure functions of this."""

    turns: list[TurnRecord] = Field(default_factory=list)
    hazards: list[HazardRecord] = Field(default_factory=list)
    replan_log: list[ReplanRecord] = Field(default_factory=list)
    safety_verdicts: list[VerdictRecord] = Field(default_factory=list)
    samples: list[Sample] = Field(default_factory=list)
    signals_published: int = 0
    messages: dict[str, int] = Field(default_factory=dict)
    """Message counts by kind (signals, requests, replies, hazards, link, dropped ...)."""
    service_counters: dict[str, Any] = Field(default_factory=dict)
    arrived_s: float | None = None
    """Simulated second the car reached the destination of the final route, if it did."""
    stops_visited: list[str] = Field(default_factory=list)
    arrivals: list[ArrivalRecord] = Field(default_factory=list)
    """Every stop and destination the car reached, in order, with the simulated second."""
    errors: list[str] = Field(default_factory=list)
    """Problems of the run itself (a part that failed to start, a reply that never came)."""

    def final_route(self) -> Route | None:
        return route_in_force(self.turns)


class Report(_Model):
    scenario: str
    passed: bool
    turns: list[TurnRecord]
    expectations: list[ExpectationResult]
    signals_published: int
    replans: int
    # -- extensions --
    description: str = ""
    map: str = ""
    map_attribution: str = "Map data (c) OpenStreetMap contributors, ODbL 1.0"
    started_at: datetime
    arrived_at: datetime | None = None
    sim_duration_s: float = 0.0
    wall_duration_s: float = 0.0
    speedup: float = 1.0
    final_route: Route | None = None
    hazards: list[HazardRecord] = Field(default_factory=list)
    replan_log: list[ReplanRecord] = Field(default_factory=list)
    safety_verdicts: list[VerdictRecord] = Field(default_factory=list)
    messages: dict[str, int] = Field(default_factory=dict)
    service_counters: dict[str, Any] = Field(default_factory=dict)
    """What `copilot serve` counted: messages received, accepted, answered, dropped."""
    stops_visited: list[str] = Field(default_factory=list)
    arrivals: list[ArrivalRecord] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)
    samples: list[Sample] = Field(default_factory=list)

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, indent=2)
