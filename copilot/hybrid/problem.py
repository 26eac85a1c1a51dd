"""The cloud planning step's data: the redacted problem the car sends and the plan it accepts.

The problem holds only what planning needs and nothing personal: the requested stops as slots
(a category, or an opaque id for a saved place), candidate places that are public map places
under per-request ids (`p1`, `p2`, ...), a coarse position cell, the clock and the deadline.
The plan schema is derived per request from a pydantic model whose fields are enums of exactly
those ids and whose `order` is an enum of the permutations of the slots, so a constrained
decoder can only produce a structurally valid plan, and anything else fails validation.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import permutations
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from routing.messages import HHMM, Category, Place, Route

CELL_DEG = 0.01
"""Coarse position: about 1.1 km north-south. Saved places and the car leave only as cells."""
MAX_CANDIDATES_PER_SLOT = 4
"""The device's pick plus three alternatives: enough choice, and a prompt a small model
reads in about a second."""
MAX_ENUM_SLOTS = 5
"""Up to 5 slots the order is an enum of all 120 permutations; beyond, a fixed-length list."""
ORDER_SEP = " -> "


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CandidatePlace(_Frozen):
    id: str
    name: str | None = None
    """Public map name, cleaned and capped; absent for saved places."""
    lat: float
    lon: float
    km_from_car: float
    km_to_destination: float


class Slot(_Frozen):
    slot: str
    category: Category | None = None
    kind: Literal["category", "saved", "fixed"]
    candidates: tuple[CandidatePlace, ...]


class PlanningProblem(_Frozen):
    """What the car sends (the body of the user message, as JSON)."""

    task: Literal["choose_and_order_stops"] = "choose_and_order_stops"
    now: HHMM
    arrive_by: HHMM | None = None
    car_cell: tuple[float, float]
    destination_cell: tuple[float, float]
    destination_category: Category | None = None
    slots: tuple[Slot, ...] = Field(min_length=1)


@dataclass(frozen=True)
class Problem:
    """The problem plus the on-board side of it: which id stands for which real place."""

    problem: PlanningProblem
    places: Mapping[str, Place]
    """Candidate id -> the on-board place it stands for (never sent)."""
    destination: Place
    plan_model: type[BaseModel]

    def schema(self) -> dict[str, Any]:
        return inline_refs(self.plan_model.model_json_schema())


class PlanRejected(Exception):
    """The cloud's answer is not a usable plan; `reason` is a stable code for `why`."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = math.sin((la2 - la1) / 2) ** 2
    h += math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return round(2 * 6371.0 * math.asin(math.sqrt(h)), 1)


def cell(lat: float, lon: float) -> tuple[float, float]:
    return (round(round(lat / CELL_DEG) * CELL_DEG, 2), round(round(lon / CELL_DEG) * CELL_DEG, 2))


def _clean_name(name: str | None) -> str | None:
    if not name:
        return None
    kept = "".join(ch for ch in name if ch.isprintable())[:40].strip()
    return kept or None


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """Replace `$ref`s by their definitions: grammar converters and providers differ on refs."""
    defs = schema.get("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {k: walk(v) for k, v in node.items() if k not in ("$defs", "title")}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    out: dict[str, Any] = walk(schema)
    return out


def _plan_model(slots: Sequence[Slot]) -> type[BaseModel]:
    config = ConfigDict(frozen=True, extra="forbid")
    fields: dict[str, Any] = {
        s.slot: (Literal[tuple(c.id for c in s.candidates)], ...) for s in slots
    }
    choices = create_model("Choices", __config__=config, **fields)
    labels = [s.slot for s in slots]
    order: Any
    if len(labels) <= MAX_ENUM_SLOTS:
        order = Literal[tuple(ORDER_SEP.join(p) for p in permutations(labels))]
    else:
        order = list[Literal[tuple(labels)]]  # type: ignore[misc]
    n = len(labels)
    field = Field(min_length=n, max_length=n) if n > MAX_ENUM_SLOTS else ...
    return create_model(
        "CloudPlan", __config__=config, choices=(choices, ...), order=(order, field)
    )


def build_problem(
    route: Route,
    now: datetime,
    arrive_by: str | None,
    car_cell: tuple[float, float],
    private_cells: Sequence[tuple[float, float] | None],
    extra_candidates: Mapping[Category, Sequence[Place]] | None = None,
) -> Problem:
    """Turn the device's route into a problem the cloud may improve: choice and order of stops.

    `private_cells` is aligned with the route's stops then destination: the coarse cell a
    non-public place (saved, ad hoc) may be shown as, None for public map places. Distances
    are measured from cells only, so they cannot be used to locate the car or a saved place.
    """
    points = (*route.stops, route.destination)
    if len(private_cells) != len(points):
        raise ValueError("private_cells must align with the route's stops and destination")

    def shown(place: Place, private: tuple[float, float] | None) -> tuple[float, float]:
        if place.saved is None and place.osm_id is not None and private is None:
            return (round(place.lat, 4), round(place.lon, 4))  # public map data
        return private or cell(place.lat, place.lon)

    dest = Place(**route.destination.model_dump(exclude={"eta"}))
    dest_at = shown(dest, private_cells[-1])
    places: dict[str, Place] = {}
    slots: list[Slot] = []
    used_labels: dict[str, int] = {}

    def add(place: Place, private: tuple[float, float] | None = None) -> CandidatePlace:
        cid = f"{'p' if place.saved is None and place.osm_id is not None else 's'}"
        cid += str(len(places) + 1)
        places[cid] = place
        at = shown(place, private)
        public = cid.startswith("p")
        return CandidatePlace(
            id=cid, name=_clean_name(place.name) if public else None, lat=at[0], lon=at[1],
            km_from_car=_km(car_cell, at), km_to_destination=_km(at, dest_at),
        )

    for stop, private in zip(route.stops, private_cells, strict=False):
        place = Place(**stop.model_dump(exclude={"eta"}))
        if place.saved is not None:
            kind, base = "saved", "saved"
        elif place.category is not None and place.osm_id is not None:
            kind, base = "category", place.category.value
        else:
            kind, base = "fixed", "place"
        used_labels[base] = used_labels.get(base, 0) + 1
        first = used_labels[base] == 1 and kind == "category"
        label = base if first else f"{base}_{used_labels[base]}"
        cands = [add(place, private)]
        if kind == "category" and place.category is not None and extra_candidates:
            for alt in extra_candidates.get(place.category, ()):
                if len(cands) >= MAX_CANDIDATES_PER_SLOT:
                    break
                if (alt.osm_type, alt.osm_id) != (place.osm_type, place.osm_id) and alt.osm_id:
                    cands.append(add(alt))
        slots.append(Slot(slot=label, category=place.category, kind=kind, candidates=tuple(cands)))

    problem = PlanningProblem(
        now=now.strftime("%H:%M"),
        arrive_by=arrive_by,
        car_cell=car_cell,
        destination_cell=dest_at if private_cells[-1] is not None else cell(dest.lat, dest.lon),
        destination_category=dest.category,
        slots=tuple(slots),
    )
    return Problem(problem=problem, places=places, destination=dest, plan_model=_plan_model(slots))


def parse_plan(problem: Problem, content: str) -> list[Place]:
    """The cloud's content -> the chosen on-board places in visiting order, or PlanRejected."""
    try:
        plan = problem.plan_model.model_validate_json(content)
    except ValidationError as e:
        raise PlanRejected(_classify(problem, content), str(e.errors()[:1])) from None
    raw_order = plan.order  # type: ignore[attr-defined]
    order = raw_order.split(ORDER_SEP) if isinstance(raw_order, str) else list(raw_order)
    labels = [s.slot for s in problem.problem.slots]
    if sorted(order) != sorted(labels):
        raise PlanRejected("malformed", f"order {order} is not a permutation of {labels}")
    choices = plan.choices  # type: ignore[attr-defined]
    return [problem.places[getattr(choices, label)] for label in order]


def _classify(problem: Problem, content: str) -> str:
    """Tell an invented place apart from plain garbage, for the reason code and the metrics."""
    try:
        data = json.loads(content)
    except ValueError:
        return "malformed"
    if isinstance(data, dict) and isinstance(data.get("choices"), dict):
        ids = set(problem.places)
        if any(isinstance(v, str) and v not in ids for v in data["choices"].values()):
            return "invented_place"
    return "malformed"
