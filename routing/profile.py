"""The driver's profile (CONTRACT.md section 2): saved places and preferences, from YAML.

    saved:
      home: {lat: 40.30, lon: -76.80}
      dry cleaner: {lat: 40.27, lon: -76.82, name: "Main Street Cleaners", category: dry_cleaning}
    preferences: {avoid_brands: [], max_detour_min: 10, airport_buffer_min: 60,
                  range_reserve_km: 20, avoid: [tolls]}

Labels are lower case. "my dry cleaner" finds the saved place labelled "dry cleaner" or, failing
that, the one saved place whose category is dry_cleaning (see `find_saved`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from routing.errors import ProfileError, UnknownSavedPlaceError
from routing.messages import Avoid, Category, Place

log = logging.getLogger(__name__)

LABEL_KINDS: dict[str, Category] = {"dry cleaner": Category.DRY_CLEANING}
"""Saved labels that also name a kind of place: the parser merges "my suits at the dry
cleaner" into one stop, and the dialog searches the kind when none is saved."""


class _SavedIn(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    lat: float = Field(ge=-90.0, le=90.0)
    lon: float = Field(ge=-180.0, le=180.0)
    name: str | None = Field(default=None, max_length=120)
    category: Category | None = None


class Preferences(BaseModel):
    """What the driver prefers; every field has a sensible default."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    avoid_brands: tuple[str, ...] = ()
    max_detour_min: float = Field(default=10.0, gt=0.0, le=240.0)
    airport_buffer_min: float = Field(default=60.0, ge=0.0, le=600.0)
    """How long before the flight the driver wants to be at the airport."""
    range_reserve_km: float = Field(default=20.0, ge=0.0, le=500.0)
    """Range to keep in hand on arrival; below it a fuel or charging stop is added."""
    stop_dwell_min: float = Field(default=5.0, ge=0.0, le=120.0)
    """Time spent at each errand stop (ordering, picking up)."""
    avoid: tuple[Avoid, ...] = ()
    """Road kinds every route keeps off (highways, tolls, ferries, unpaved) unless it can't."""


class _ProfileIn(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    saved: dict[str, _SavedIn] = Field(default_factory=dict)
    preferences: Preferences = Field(default_factory=Preferences)
    flight_time: str | None = None
    languages: tuple[str, ...] = ("en",)


def _norm_label(label: str) -> str:
    label = label.strip().lower()
    for prefix in ("my ", "the "):
        if label.startswith(prefix):
            label = label[len(prefix):]
    return label.replace("’", "'")


@dataclass(frozen=True)
class Profile:
    saved: Mapping[str, Place] = field(default_factory=dict)
    preferences: Preferences = field(default_factory=Preferences)
    flight_time: str | None = None
    """HH:MM; a scenario may carry the flight in the profile."""
    languages: tuple[str, ...] = ("en",)
    """The languages the driver speaks (BCP 47 primary tags), most used first: which
    recognisers `--engine auto` tries on a spoken turn (`copilot.speech.language`). Text
    turns are understood and answered in their own language whatever this says."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Profile:
        try:
            parsed = _ProfileIn.model_validate(dict(data or {}))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ProfileError(f"profile: {where}: {first['msg']}") from exc
        saved = {
            _norm_label(label): Place(saved=_norm_label(label), name=s.name, category=s.category,
                                      lat=s.lat, lon=s.lon)
            for label, s in parsed.saved.items()
        }
        languages = tuple(dict.fromkeys(x.strip().lower().split("-")[0]
                                        for x in parsed.languages if x.strip()))
        return cls(saved=saved, preferences=parsed.preferences, flight_time=parsed.flight_time,
                   languages=languages or ("en",))

    @classmethod
    def load(cls, path: Path | str) -> Profile:
        import yaml

        p = Path(path)
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ProfileError(f"profile not found: {p}") from exc
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ProfileError(f"profile {p.name} is not readable YAML: {exc}") from exc
        if data is not None and not isinstance(data, dict):
            raise ProfileError(f"profile {p.name}: expected a mapping at the top level")
        return cls.from_dict(data)

    def find_saved(self, label: str, category: Category | None = None) -> Place:
        """The saved place for a label ("home", "my dry cleaner"); raises UnknownSavedPlaceError.

        Falls back to the only saved place of the category (or the label's category word:
        "my cleaners" -> the saved dry_cleaning place) when the label itself is unknown.
        """
        key = _norm_label(label)
        if key in self.saved:
            return self.saved[key]
        for variant in (key.rstrip("s"), key + "s", key.replace("'s", "")):
            if variant in self.saved:
                return self.saved[variant]
        if category is not None:
            same = [p for p in self.saved.values() if p.category == category]
            if len(same) == 1:
                return same[0]
        raise UnknownSavedPlaceError(key, tuple(sorted(self.saved)))
