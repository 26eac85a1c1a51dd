"""Plausibility of sensor input: bad payloads are dropped and counted per reason, never fatal.

Checks, in order: size cap, JSON, finite numbers, schema/types, known signal, range, time
going backwards (or too far ahead), and rate of change against the last accepted value.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ValidationError

from sensors.messages import SignalUpdate
from sensors.signals import GEAR_NAMES, SIGNALS, Kind, Signal

log = logging.getLogger(__name__)

MAX_FUTURE_S = 5.0
"""A timestamp further ahead of our clock than this is a broken sensor clock."""
RATE_RESET_AFTER = 3
"""After this many rate-of-change rejections in a row, the new level is believed (a real jump)."""


class DropReason(StrEnum):
    OVERSIZE = "oversize"
    MALFORMED = "malformed"  # not JSON, not an object, missing or extra keys
    NOT_FINITE = "not_finite"  # NaN or an infinity anywhere in the payload
    WRONG_TYPE = "wrong_type"  # e.g. a string for a speed, a number for IsMoving
    UNKNOWN_SIGNAL = "unknown_signal"
    UNKNOWN_TOPIC = "unknown_topic"
    OUT_OF_RANGE = "out_of_range"
    TIME_BACKWARDS = "time_backwards"
    FUTURE_TS = "future_ts"
    IMPLAUSIBLE_CHANGE = "implausible_change"
    DUPLICATE = "duplicate"  # same timestamp again (retained redelivery, a resent message)


class DropCounter:
    """Thread-safe counts of dropped messages by (topic kind, reason)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str]] = Counter()

    def add(self, topic_kind: str, reason: DropReason | str) -> None:
        with self._lock:
            self._counts[(topic_kind, str(reason))] += 1

    def total(self, topic_kind: str | None = None) -> int:
        with self._lock:
            return sum(n for (k, _), n in self._counts.items() if topic_kind in (None, k))

    def as_dict(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        with self._lock:
            for (kind, reason), n in sorted(self._counts.items()):
                out.setdefault(kind, {})[reason] = n
        return out


@dataclass(frozen=True, slots=True)
class Reading:
    """An accepted value with the sensor's timestamp and our receive time (unix seconds)."""

    value: bool | int | float | str | None
    ts: float
    received_s: float


def _has_non_finite(obj: Any) -> bool:
    if isinstance(obj, float):
        return not math.isfinite(obj)
    if isinstance(obj, dict):
        return any(_has_non_finite(v) for v in obj.values())
    if isinstance(obj, list):
        return any(_has_non_finite(v) for v in obj)
    return False


def parse_json(payload: bytes, max_bytes: int) -> dict[str, Any] | DropReason:
    """Size cap, JSON object, no NaN/inf (Python's json accepts them; we do not)."""
    if len(payload) > max_bytes:
        return DropReason.OVERSIZE
    try:
        obj = json.loads(payload)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return DropReason.MALFORMED
    if not isinstance(obj, dict):
        return DropReason.MALFORMED
    if _has_non_finite(obj):
        return DropReason.NOT_FINITE
    return obj


def _schema_reason(err: ValidationError) -> DropReason:
    kinds = {e["type"] for e in err.errors()}
    if kinds & {"missing", "extra_forbidden"}:
        return DropReason.MALFORMED
    if kinds & {"finite_number"}:
        return DropReason.NOT_FINITE
    if kinds <= {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        return DropReason.OUT_OF_RANGE
    return DropReason.WRONG_TYPE


def parse_model[M: BaseModel](payload: bytes, model: type[M], max_bytes: int) -> M | DropReason:
    """An event payload (hazard, link) validated by its pydantic model."""
    obj = parse_json(payload, max_bytes)
    if isinstance(obj, DropReason):
        return obj
    try:
        return model.model_validate(obj)
    except ValidationError as e:
        return _schema_reason(e)


def _fast_signal(payload: bytes, max_bytes: int) -> SignalUpdate | None:
    """The common case in one step (pydantic's JSON parser, ~4x faster than json + model)."""
    if len(payload) > max_bytes:
        return None
    try:
        return SignalUpdate.model_validate_json(payload)
    except ValidationError:
        return None


def _value_reason(sig: Signal, v: object) -> DropReason | None:
    if sig.kind is Kind.BOOL:
        return None if isinstance(v, bool) else DropReason.WRONG_TYPE
    if sig.kind is Kind.GEAR:
        if isinstance(v, str):
            return None if v.upper() in GEAR_NAMES else DropReason.OUT_OF_RANGE
        if not isinstance(v, int) or isinstance(v, bool):
            return DropReason.WRONG_TYPE
    elif isinstance(v, bool) or not isinstance(v, int | float):
        return DropReason.WRONG_TYPE
    x = float(v)
    if (sig.min_value is not None and x < sig.min_value) or (
            sig.max_value is not None and x > sig.max_value):
        return DropReason.OUT_OF_RANGE
    return None


def _change(sig: Signal, a: float, b: float) -> float:
    d = abs(b - a)
    return min(d, sig.wraps_at - d) if sig.wraps_at else d


class SignalChecker:
    """Stateful per-signal checks (time order, rate of change); one per signal store."""

    def __init__(self, signals: dict[str, Signal] | None = None,
                 rate_scale: float = 1.0) -> None:
        self.signals = SIGNALS if signals is None else signals
        self.rate_scale = rate_scale
        """A simulator that stamps wall-clock time on a drive `warp` times faster than real
        changes values `warp` times faster per stamped second: scale the limits by the warp."""
        self._rate_strikes: Counter[str] = Counter()

    def check(self, path: str, payload: bytes, previous: Reading | None,
              now_s: float, max_bytes: int = 1024) -> SignalUpdate | DropReason:
        sig = self.signals.get(path)
        if sig is None:
            return DropReason.UNKNOWN_SIGNAL
        upd = _fast_signal(payload, max_bytes)
        if upd is None:  # invalid: the slow path finds the reason
            upd = parse_model(payload, SignalUpdate, max_bytes)
            if isinstance(upd, DropReason):
                return upd
        reason = _value_reason(sig, upd.value)
        if reason is not None:
            return reason
        if upd.ts > now_s + MAX_FUTURE_S:
            return DropReason.FUTURE_TS
        if previous is None:
            return upd
        if upd.ts < previous.ts:
            return DropReason.TIME_BACKWARDS
        if upd.ts == previous.ts:
            return DropReason.DUPLICATE
        if self._implausible_change(sig, upd, previous):
            self._rate_strikes[path] += 1
            if self._rate_strikes[path] < RATE_RESET_AFTER:
                return DropReason.IMPLAUSIBLE_CHANGE
            log.warning("%s jumped and stayed there; believing the new value", path)
        self._rate_strikes.pop(path, None)
        return upd

    def _implausible_change(self, sig: Signal, upd: SignalUpdate, prev: Reading) -> bool:
        if sig.max_rate_per_s is None or sig.kind is not Kind.NUMBER:
            return False
        if not isinstance(upd.value, int | float) or not isinstance(prev.value, int | float):
            return False
        dt = upd.ts - prev.ts
        if dt > sig.stale_after_s:  # after a gap anything may have happened
            return False
        # 0.1 s of slack so that jitter on closely spaced samples is not a "jump"
        limit = sig.max_rate_per_s * self.rate_scale
        return _change(sig, float(prev.value), float(upd.value)) > limit * (dt + 0.1)
