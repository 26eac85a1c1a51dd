"""Message types owned by copilot: `ask` turns and results, MQTT requests and replies.

One pydantic model per message; the CLI, the MQTT service, the cloud client and the reports
all serialize through these, so nothing drifts. Durations are milliseconds (`*_ms`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from routing.messages import Action, Route, ServedBy, Status, Understanding

MAX_AUDIO_B64_CHARS = 8_000_000
"""About 4 minutes of 16 kHz 16-bit mono: longer requests are refused, not buffered."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AskTurn(_Frozen):
    """One input line of `copilot ask --jsonl`."""

    text: Annotated[str, Field(max_length=20_000)]
    at: datetime
    """Local time of the turn, ISO-8601 with offset."""
    state: dict[str, Any] = Field(default_factory=dict)
    """COVESA VSS path -> value (degrees, km/h, metres, percent)."""
    trip: Route | None = None
    at_stop_since: datetime | None = None
    """Extension: the car stands at a stop of the trip, reached at this time; the trip goes on
    after the driver's time there (the profile's `stop_dwell_min`), so times told count it."""


class Timings(_Frozen):
    understand: float = Field(ge=0.0)
    plan: float = Field(ge=0.0)
    validate_: float = Field(ge=0.0, alias="validate", serialization_alias="validate")
    total: float = Field(ge=0.0)

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class AskResult(_Frozen):
    """One output line of `copilot ask`, and the body of `copilot/VIN/reply`."""

    understanding: Understanding
    status: Status
    reply: str
    actions: tuple[Action, ...] = ()
    served_by: ServedBy = "device"
    timings_ms: Timings
    why: str | None = None
    """Extension: a short reason code for served_by and status (e.g. 'offload:link_none')."""
    proactive: bool = False
    """Extension: true when the copilot spoke up on its own (no request)."""

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True)


class ServiceRequest(_Frozen):
    """`copilot/VIN/request`: text or a base64 WAV, with the caller's id."""

    id: Annotated[str, Field(min_length=1, max_length=128)]
    text: Annotated[str, Field(max_length=20_000)] | None = None
    audio_wav_b64: Annotated[str, Field(max_length=MAX_AUDIO_B64_CHARS)] | None = None
    speak: bool = False
    """Extension: also publish the reply as speech (WAV) for the cabin speakers."""

    @model_validator(mode="after")
    def _one_input(self) -> ServiceRequest:
        if (self.text is None) == (self.audio_wav_b64 is None):
            raise ValueError("exactly one of text or audio_wav_b64 is required")
        return self


class ServiceReply(AskResult):
    """`copilot/VIN/reply`: the ask output plus the request id (null when proactive)."""

    id: str | None = None
