"""The live vehicle state: accepted signal readings, hazards and the link, with freshness.

A reading older than its signal's `stale_after_s` reads as unknown (None), so a sensor that
stopped talking can never keep the car "parked" or the tank "full". Thread-safe: paho's
network thread writes, the service's worker reads.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sensors.messages import HazardEvent, LinkEvent, LinkQuality
from sensors.plausibility import DropReason, Reading, SignalChecker
from sensors.signals import SIGNALS, Signal
from sensors.state import VehicleSnapshot

log = logging.getLogger(__name__)

HAZARD_TTL_S = 1800.0
"""A hazard without a fresh report is forgotten after 30 minutes."""
LINK_STALE_S = 30.0
"""No link report for this long: link quality unknown."""

Clock = Callable[[], float]


class SignalStore:
    """Latest accepted reading per VSS path, plus hazards and the link state."""

    def __init__(self, signals: dict[str, Signal] | None = None, clock: Clock = time.time,
                 staleness_scale: float = 1.0, rate_scale: float = 1.0) -> None:
        self.signals = SIGNALS if signals is None else signals
        self.clock = clock
        self.staleness_scale = staleness_scale
        """Under a time warp, 10 wall-clock updates per second are `warp` times sparser in
        simulated time: scale freshness by the warp."""
        self.checker = SignalChecker(self.signals, rate_scale)
        self._lock = threading.Lock()
        self._readings: dict[str, Reading] = {}
        self._hazards: dict[tuple[str, float, float], HazardEvent] = {}
        self._link: LinkEvent | None = None
        self.accepted = 0

    # writes -------------------------------------------------------------------------------
    def offer(self, path: str, payload: bytes, max_bytes: int = 1024) -> Reading | DropReason:
        """Check a raw `vehicle/VIN/vss/<path>` payload and keep it if plausible."""
        now = self.clock()
        with self._lock:
            checked = self.checker.check(path, payload, self._readings.get(path), now, max_bytes)
            if isinstance(checked, DropReason):
                return checked
            reading = Reading(checked.value, checked.ts, now)
            self._readings[path] = reading
            self.accepted += 1
            return reading

    def put(self, path: str, value: bool | int | float | str | None,
            ts: float | None = None) -> None:
        """Set a value directly (trusted callers: tests, the simulator's own state)."""
        now = self.clock()
        with self._lock:
            self._readings[path] = Reading(value, now if ts is None else ts, now)

    def add_hazard(self, event: HazardEvent) -> bool:
        """Keep a hazard; False when the same hazard (kind and place) was already known."""
        key = (event.kind, round(event.lat, 4), round(event.lon, 4))
        with self._lock:
            known = key in self._hazards
            self._hazards[key] = event
            return not known

    def set_link(self, event: LinkEvent) -> None:
        with self._lock:
            if self._link is None or event.ts >= self._link.ts:
                self._link = event

    # reads --------------------------------------------------------------------------------
    def _fresh(self, path: str, r: Reading, now: float) -> bool:
        sig = self.signals.get(path)
        age = now - r.ts
        return sig is not None and age <= sig.stale_after_s * self.staleness_scale

    def reading(self, path: str) -> Reading | None:
        """The last accepted reading, fresh or not (for diagnostics)."""
        with self._lock:
            return self._readings.get(path)

    def get(self, path: str, now: float | None = None) -> Any:
        """The value if fresh, else None (unknown)."""
        now = self.clock() if now is None else now
        with self._lock:
            r = self._readings.get(path)
        return r.value if r is not None and self._fresh(path, r, now) else None

    def vss_state(self, now: float | None = None) -> dict[str, Any]:
        """`{VSS path: value}` of the fresh readings only: the `state` of an ask turn."""
        now = self.clock() if now is None else now
        with self._lock:
            items = list(self._readings.items())
        return {p: r.value for p, r in items if self._fresh(p, r, now)}

    def snapshot(self, now: float | None = None) -> VehicleSnapshot:
        return VehicleSnapshot.from_vss(self.vss_state(now))

    def stale_paths(self, now: float | None = None) -> list[str]:
        now = self.clock() if now is None else now
        with self._lock:
            items = list(self._readings.items())
        return sorted(p for p, r in items if not self._fresh(p, r, now))

    def hazards(self, now: float | None = None) -> tuple[HazardEvent, ...]:
        now = self.clock() if now is None else now
        with self._lock:
            for k in [k for k, h in self._hazards.items() if now - h.ts > HAZARD_TTL_S]:
                del self._hazards[k]
            return tuple(self._hazards.values())

    def link_quality(self, now: float | None = None) -> LinkQuality | None:
        now = self.clock() if now is None else now
        with self._lock:
            link = self._link
        if link is None or now - link.ts > LINK_STALE_S:
            return None
        return link.quality
