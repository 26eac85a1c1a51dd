"""Message types owned by sensors: signal updates, hazard and link events (MQTT payloads).

Units live in field names; `ts` is unix time in seconds (float). Topics are listed in
sensors/topics.py with owner and expected rate.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    field_validator,
)

JsonScalar = StrictBool | StrictInt | StrictFloat | Annotated[str, Field(max_length=200)] | None


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SignalUpdate(_Frozen):
    """`vehicle/VIN/vss/<VSS path>` payload: one value of one VSS signal."""

    value: JsonScalar
    ts: float = Field(gt=0.0)
    """Unix seconds when the sensor measured the value."""

    @field_validator("value", "ts")
    @classmethod
    def _finite(cls, v: object) -> object:
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError("not a finite number")
        return v


class LinkQuality(StrEnum):
    GOOD = "good"
    DEGRADED = "degraded"
    NONE = "none"


class HazardEvent(_Frozen):
    """`vehicle/VIN/events/hazard`: a hazard fused from radar, lidar and camera."""

    kind: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z_]+$")]
    lat: float = Field(ge=-90.0, le=90.0)
    lon: float = Field(ge=-180.0, le=180.0)
    radius_m: float = Field(gt=0.0, le=50_000.0)
    sources: tuple[Literal["radar", "lidar", "camera"], ...] = Field(min_length=1, max_length=3)
    ts: float = Field(gt=0.0)
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    """Extension: fusion confidence, 0..1."""


class LinkEvent(_Frozen):
    """`vehicle/VIN/events/link`: cellular link quality as the modem sees it."""

    quality: LinkQuality
    rtt_ms: float | None = Field(default=None, ge=0.0, le=600_000.0)
    ts: float = Field(gt=0.0)
