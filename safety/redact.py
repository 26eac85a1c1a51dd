"""Redaction for the cloud: what about the driver may leave the car.

- Saved places leave only as opaque ids ("saved_1", numbered per request, never derived from
  the label) with a coarse cell: 0.01 degrees (about 1.1 km north-south) for ordinary saved
  places, 0.05 degrees (about 5.5 km) for home, work and anything naming a person.
- Labels and names of saved places never leave; in the utterance they are replaced by their
  id, and "<someone>'s house/place/..." by "a private place".
- The vehicle's own position leaves as a 0.01-degree cell, or as the coarse 0.05 cell when it
  is within 1 km of home or work (so "where the car is" cannot reveal where you live).
- Map places (osm_type/osm_id) are public data and keep their coordinates.
- `privacy="strict"` sends nothing: `redact_for_cloud` returns None.
The id -> label table stays on the device (`Redacted.labels`) to map answers back.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from routing.messages import (
    Category,
    NameRef,
    Place,
    Route,
    SavedRef,
    StopRequest,
    Understanding,
)
from safety.geo import haversine_m, position
from sensors.state import VehicleSnapshot

log = logging.getLogger(__name__)

Privacy = Literal["standard", "strict"]
CELL_DEG = 0.01
SENSITIVE_CELL_DEG = 0.05
NEAR_SENSITIVE_M = 1_000.0
SENSITIVE_LABELS = frozenset({"home", "work", "office", "my house", "my place", "school"})
_DWELLING = r"\s+(house|home|place|apartment|flat|office|work)\b"
_PERSON_RE = re.compile(
    r"\b(?i:mom|mum|mother|dad|father|parents|grandma|grandpa|grandmother|grandfather|sister"
    r"|brother|aunt|uncle|son|daughter|wife|husband|partner|girlfriend|boyfriend|friend)"
    rf"('s|s'|s)\b(?i:{_DWELLING})?|\b[A-Z][a-z]+('s|s'){_DWELLING}"
)
"""Relations (mom's, my sister's house) and "<Name>'s house": people, never sent. Brand
possessives (McDonald's, Wendy's) are not matched: they name businesses."""
PRIVATE_PLACE = "a private place"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CloudPlace(_Frozen):
    """A place as the cloud may see it: a map place exactly, a saved place as id + cell."""

    id: str | None = None
    """Opaque id of a saved place ("saved_1"); None for a map place."""
    osm_type: Literal["node", "way"] | None = None
    osm_id: int | None = None
    category: Category | None = None
    lat: float = Field(ge=-90.0, le=90.0)
    lon: float = Field(ge=-180.0, le=180.0)
    cell_deg: float = Field(default=0.0, ge=0.0)
    """0 for exact (public map data); otherwise lat/lon are the centre of a cell this size."""


class CloudRequest(_Frozen):
    """Everything about the turn that may be sent to the cloud planner."""

    understanding: Understanding
    origin: CloudPlace | None
    saved: tuple[CloudPlace, ...] = ()
    trip: tuple[CloudPlace, ...] = ()
    """The trip in progress: stops then destination, redacted like everything else."""
    now: datetime | None = None
    range_m: float | None = None


@dataclass(frozen=True)
class Redacted:
    request: CloudRequest
    labels: Mapping[str, str]
    """Opaque id -> saved label; stays on the device."""


def is_sensitive(label: str) -> bool:
    return label.casefold() in SENSITIVE_LABELS or _PERSON_RE.search(label) is not None


def cell(lat: float, lon: float, deg: float) -> tuple[float, float]:
    """Centre of the grid cell of size `deg` holding (lat, lon)."""
    return (round((math.floor(lat / deg) + 0.5) * deg, 6),
            round((math.floor(lon / deg) + 0.5) * deg, 6))


class _Ids:
    def __init__(self, saved: Mapping[str, Place]) -> None:
        self.saved = saved
        self.by_label: dict[str, str] = {}

    def id_for(self, label: str) -> str:
        if label not in self.by_label:
            self.by_label[label] = f"saved_{len(self.by_label) + 1}"
        return self.by_label[label]

    def place(self, label: str, p: Place) -> CloudPlace:
        deg = SENSITIVE_CELL_DEG if is_sensitive(label) else CELL_DEG
        lat, lon = cell(p.lat, p.lon, deg)
        return CloudPlace(id=self.id_for(label), category=p.category, lat=lat, lon=lon,
                          cell_deg=deg)


def _scrub_text(text: str, ids: _Ids) -> str:
    for label in sorted(ids.saved, key=len, reverse=True):
        if label.strip():
            pattern = re.compile(rf"\b{re.escape(label)}\b", re.IGNORECASE)
            if pattern.search(text):
                text = pattern.sub(ids.id_for(label), text)
    return _PERSON_RE.sub(PRIVATE_PLACE, text)


def _stop(s: StopRequest, ids: _Ids) -> StopRequest:
    return s.model_copy(update={
        "saved": ids.id_for(s.saved) if s.saved is not None else None,
        "name": _PERSON_RE.sub(PRIVATE_PLACE, s.name) if s.name is not None else None,
    })


def _origin(vehicle: VehicleSnapshot, saved: Mapping[str, Place]) -> CloudPlace | None:
    pos = position(vehicle.lat, vehicle.lon)
    if pos is None:
        return None
    near = any(is_sensitive(label) and haversine_m(pos[0], pos[1], p.lat, p.lon)
               <= NEAR_SENSITIVE_M for label, p in saved.items())
    deg = SENSITIVE_CELL_DEG if near else CELL_DEG
    lat, lon = cell(pos[0], pos[1], deg)
    return CloudPlace(lat=lat, lon=lon, cell_deg=deg)


def _trip_place(p: Place, ids: _Ids) -> CloudPlace:
    if p.osm_type is not None and p.osm_id is not None:
        return CloudPlace(osm_type=p.osm_type, osm_id=p.osm_id, category=p.category,
                          lat=p.lat, lon=p.lon)
    if p.saved is not None:
        return ids.place(p.saved, p)
    lat, lon = cell(p.lat, p.lon, CELL_DEG)  # an ad-hoc point: treat like a saved place
    return CloudPlace(category=p.category, lat=lat, lon=lon, cell_deg=CELL_DEG)


def redact_for_cloud(
    understanding: Understanding,
    vehicle: VehicleSnapshot,
    saved_places: Mapping[str, Place],
    *,
    privacy: Privacy = "standard",
    trip: Route | None = None,
    now: datetime | None = None,
) -> Redacted | None:
    """What may be sent to the cloud for this turn, or None when privacy forbids sending."""
    if privacy != "standard":
        return None
    ids = _Ids(saved_places)
    u = understanding
    dest = u.destination
    if isinstance(dest, SavedRef):
        dest = SavedRef(saved=ids.id_for(dest.saved))
    elif isinstance(dest, NameRef):
        dest = NameRef(name=_PERSON_RE.sub(PRIVATE_PLACE, dest.name))
    red = u.model_copy(update={
        "text": _scrub_text(u.text, ids),
        "destination": dest,
        "stops": tuple(_stop(s, ids) for s in u.stops),
    })
    origin = _origin(vehicle, saved_places)
    on_trip = (*trip.stops, trip.destination) if trip else ()
    trip_places = tuple(_trip_place(p, ids) for p in on_trip)
    asked = [s.saved for s in u.stops if s.saved] + (
        [u.destination.saved] if isinstance(u.destination, SavedRef) else [])
    saved = tuple(ids.place(label, saved_places[label])
                  for label in dict.fromkeys(asked) if label in saved_places)
    labels = {v: k for k, v in ids.by_label.items()}
    rng = vehicle.range_m
    request = CloudRequest(
        understanding=red, origin=origin, saved=saved, trip=trip_places, now=now,
        range_m=round(rng, -3) if rng is not None and 0 <= rng < 1e7 else None,
    )
    return Redacted(request=request, labels=labels)
