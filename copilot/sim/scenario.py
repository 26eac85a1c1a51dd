"""The scenario file (CONTRACT section 3): a strict model and a loader with clear errors.

Unknown keys are errors (a typo must not silently disable an expectation). Paths in the
file (map, WAVs) resolve relative to the scenario file; a bare map name that does not
exist there falls back to the maps that ship with the project (copilot/data/maps).
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from routing.messages import HHMM, Category

log = logging.getLogger(__name__)

EMBEDDED_MAPS = Path(__file__).resolve().parents[1] / "data" / "maps"
MAX_SIM_S = 6 * 3600.0
"""Longest simulated drive accepted (a guard against a typo of at_s in hours)."""


class ScenarioError(ValueError):
    """A scenario file that cannot be run; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Start(_Strict):
    lat: float = Field(ge=-90.0, le=90.0)
    lon: float = Field(ge=-180.0, le=180.0)
    time: datetime

    @field_validator("time")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("start.time needs a UTC offset, e.g. 2026-11-25T15:00:00-05:00")
        return v


class Vehicle(_Strict):
    powertrain: Literal["ice", "ev"] = "ice"
    fuel_percent: float | None = Field(default=None, ge=0.0, le=100.0)
    soc_percent: float | None = Field(default=None, ge=0.0, le=100.0)
    range_km: float = Field(gt=0.0, le=2000.0)

    @model_validator(mode="after")
    def _level(self) -> Vehicle:
        if self.powertrain == "ice" and self.soc_percent is not None:
            raise ValueError("a combustion vehicle has fuel_percent, not soc_percent")
        if self.powertrain == "ev" and self.fuel_percent is not None:
            raise ValueError("an electric vehicle has soc_percent, not fuel_percent")
        return self

    @property
    def level_percent(self) -> float:
        """Tank or battery level; when not given, assume a full one for the stated range."""
        level = self.fuel_percent if self.powertrain == "ice" else self.soc_percent
        return 100.0 if level is None else level


class SavedPlace(_Strict):
    lat: float = Field(ge=-90.0, le=90.0)
    lon: float = Field(ge=-180.0, le=180.0)
    name: str | None = None
    category: Category | None = None


class Profile(_Strict):
    saved: dict[str, SavedPlace] = Field(default_factory=dict)
    preferences: dict[str, Any] = Field(default_factory=dict)
    flight_time: HHMM | None = None
    languages: list[Annotated[str, Field(pattern=r"^[a-z]{2,3}$")]] = Field(
        default_factory=list)
    """The languages the driver speaks (CONTRACT.md section 2), e.g. [en, ko]."""


class LinkSpan(_Strict):
    from_s: float = Field(ge=0.0, le=MAX_SIM_S)
    to_s: float = Field(gt=0.0, le=MAX_SIM_S)
    quality: Literal["good", "degraded", "none"]

    @model_validator(mode="after")
    def _ordered(self) -> LinkSpan:
        if self.to_s <= self.from_s:
            raise ValueError(f"link span ends ({self.to_s}) before it starts ({self.from_s})")
        return self


class Hazard(_Strict):
    type: Literal["hazard"]
    kind: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z_]+$")]
    lat: float | None = Field(default=None, ge=-90.0, le=90.0)
    lon: float | None = Field(default=None, ge=-180.0, le=180.0)
    radius_m: float = Field(default=150.0, gt=0.0, le=50_000.0)
    sources: tuple[Literal["radar", "lidar", "camera"], ...] = Field(
        default=("camera",), min_length=1, max_length=3)
    ahead_m: float | None = Field(default=None, gt=0.0)
    """Extension: put the hazard on the current route this far ahead of the car (a road
    closure the camera sees on the road being driven), instead of at a fixed lat/lon."""

    @model_validator(mode="after")
    def _where(self) -> Hazard:
        fixed = self.lat is not None and self.lon is not None
        if fixed == (self.ahead_m is not None):
            raise ValueError("a hazard needs either lat and lon, or ahead_m (on the route)")
        return self


class LinkChange(_Strict):
    """Extension: a link change as a timeline event (equivalent to a `link` span)."""

    type: Literal["link"]
    quality: Literal["good", "degraded", "none"]


Event = Annotated[Hazard | LinkChange, Field(discriminator="type")]


class _Step(_Strict):
    at_s: float = Field(ge=0.0, le=MAX_SIM_S)


class _Say(_Step):
    when_moving: bool = False
    """Extension: hold this turn (and the ones after it) until the car is moving."""


class SayText(_Say):
    say: Annotated[str, Field(min_length=1, max_length=2000)]


class SayAudio(_Say):
    say_audio: str
    """WAV path, relative to the scenario file."""


class SaySynth(_Say):
    """Extension: speech synthesised at run time, optionally in cabin noise.

    `synth` picks the synthesiser: espeak-ng (any `voice`, robotic) or piper (the packaged
    natural en_US voice; `voice` is then ignored)."""

    say_synth: Annotated[str, Field(min_length=1, max_length=500)]
    noise_snr_db: float | None = Field(default=None, ge=-10.0, le=60.0)
    voice: str = "en-us"
    synth: Literal["espeak", "piper"] = "espeak"
    rate_wpm: int | None = Field(default=None, ge=80, le=400)
    """espeak-ng's speaking rate (default `copilot.sim.audio.SYNTH_WPM`)."""


class EventStep(_Step):
    event: Event


Step = SayText | SayAudio | SaySynth | EventStep


def _step_kind(raw: Any) -> str:
    for key in ("say", "say_audio", "say_synth", "event"):
        if isinstance(raw, dict) and key in raw:
            return key
    raise ValueError("a timeline entry needs one of: say, say_audio, say_synth, event")


_STEP_TYPES: dict[str, type[_Step]] = {
    "say": SayText, "say_audio": SayAudio, "say_synth": SaySynth, "event": EventStep}

class Answer(_Strict):
    """Extension: how the simulated driver answers the copilot's proactive suggestions.

    `to` matches the start of the cause after "proactive:" (hazard, low_range, closed, or
    "" for any); the driver says `say` once per matching suggestion, `delay_s` later.
    """

    to: str = ""
    say: Annotated[str, Field(min_length=1, max_length=500)]
    delay_s: float = Field(default=5.0, ge=0.0, le=600.0)


StatusName = Literal["ok", "needs_clarification", "infeasible", "refused", "not_understood"]


class Scenario(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.-]+$")]
    map: str
    start: Start
    vehicle: Vehicle
    profile: Profile = Field(default_factory=Profile)
    link: tuple[LinkSpan, ...] = ()
    speedup: float = Field(default=20.0, gt=0.0, le=1000.0)
    timeline: tuple[Step, ...] = Field(min_length=1)
    expect: tuple[dict[str, Any], ...] = Field(min_length=1)
    """Kept as written (the report echoes them); checked by copilot.sim.expectations."""
    answers: tuple[Answer, ...] = ()
    duration_s: float | None = Field(default=None, gt=0.0, le=MAX_SIM_S)
    """Extension: stop the drive after this much simulated time (default: on arrival)."""
    description: str = ""
    speech_enrollment: Literal["synthetic"] | str | None = None
    """Extension: the driver's voice profile for spoken turns. "synthetic" enrolls the
    espeak-ng voice of the `say_synth` turns once (cached); a path names a profile made by
    `copilot listen enroll` (relative to the scenario file). None: no adaptation."""

    @field_validator("timeline", mode="before")
    @classmethod
    def _typed_steps(cls, v: Any) -> Any:
        if not isinstance(v, list):
            raise ValueError("timeline must be a list")
        out = []
        for i, raw in enumerate(v):
            try:
                out.append(_STEP_TYPES[_step_kind(raw)].model_validate(raw))
            except ValidationError as e:
                raise ValueError(f"timeline[{i}]: {_first_error(e)}") from None
            except ValueError as e:
                raise ValueError(f"timeline[{i}]: {e}") from None
        return out

    @field_validator("expect", mode="after")
    @classmethod
    def _known_expectations(cls, v: tuple[dict[str, Any], ...]) -> tuple[dict[str, Any], ...]:
        from copilot.sim.expectations import check_spec  # the evaluators own their syntax

        for i, spec in enumerate(v):
            problem = check_spec(spec)
            if problem:
                raise ValueError(f"expect[{i}]: {problem}")
        return v

    def link_at(self, t_s: float) -> str:
        """Link quality at simulated time t_s: the last span covering it wins; default good."""
        quality = "good"
        for span in self.link:
            if span.from_s <= t_s < span.to_s:
                quality = span.quality
        return quality


def _first_error(e: ValidationError) -> str:
    err = e.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "(top)"
    return f"{where}: {err['msg']}"


def _all_errors(e: ValidationError) -> str:
    lines = []
    for err in e.errors()[:8]:
        where = ".".join(str(p) for p in err["loc"]) or "(top)"
        lines.append(f"  {where}: {err['msg']}")
    return "\n".join(lines)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; every problem becomes a ScenarioError."""
    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise ScenarioError(f"{p}: cannot read ({e.strerror or e})") from None
    except yaml.YAMLError as e:
        raise ScenarioError(f"{p}: not valid YAML ({e})") from None
    if not isinstance(raw, dict):
        raise ScenarioError(f"{p}: expected a mapping at the top (name, map, start, ...)")
    try:
        return Scenario.model_validate(raw)
    except ValidationError as e:
        raise ScenarioError(f"{p}: invalid scenario\n{_all_errors(e)}") from None


def resolve_path(scenario_file: str | Path, ref: str) -> Path:
    """A path written in a scenario: absolute, or relative to the scenario file."""
    p = Path(ref).expanduser()
    return p if p.is_absolute() else (Path(scenario_file).resolve().parent / p)


def resolve_map(scenario_file: str | Path, ref: str) -> Path:
    """The scenario's map; a bare name not found beside the file may be an embedded map."""
    p = resolve_path(scenario_file, ref)
    if p.is_file():
        return p
    embedded = EMBEDDED_MAPS / Path(ref).name
    if embedded.is_file():
        log.info("map %s not found; using the embedded %s", p, embedded)
        return embedded
    raise ScenarioError(f"{scenario_file}: map {ref!r} not found (looked for {p})")
