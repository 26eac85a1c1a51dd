"""Sensor input from MQTT into the signal store: routes each topic to its check, counts drops.

Runs on paho's network thread, so it only parses, checks and stores (microseconds); nothing
here may block or call a model.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sensors import topics
from sensors.messages import HazardEvent, LinkEvent
from sensors.plausibility import DropCounter, DropReason, Reading, parse_model
from sensors.store import SignalStore

log = logging.getLogger(__name__)


class SensorIngest:
    """Handles `vehicle/VIN/vss/#` and `vehicle/VIN/events/#` messages for one vehicle."""

    def __init__(self, vin: str, store: SignalStore, drops: DropCounter | None = None,
                 on_signal: Callable[[str, Reading], None] | None = None,
                 on_hazard: Callable[[HazardEvent, bool], None] | None = None,
                 on_link: Callable[[LinkEvent], None] | None = None) -> None:
        self.vin = vin
        self.store = store
        self.drops = DropCounter() if drops is None else drops
        self.on_signal = on_signal
        self.on_hazard = on_hazard
        self.on_link = on_link
        self.received = 0
        self.hazards_accepted = 0
        self.links_accepted = 0
        self.subscriptions = [(topics.VSS.filter(vin), topics.VSS.qos),
                              (topics.HAZARD.for_vin(vin), topics.HAZARD.qos),
                              (topics.LINK.for_vin(vin), topics.LINK.qos)]

    def handle(self, topic: str, payload: bytes) -> bool:
        """True if the message was a sensor message (accepted or dropped), False if not ours."""
        found = topics.classify(self.vin, topic)
        if found is None or found[0] not in (topics.VSS, topics.HAZARD, topics.LINK):
            return False
        spec, path = found
        self.received += 1
        if spec is topics.VSS:
            got = self.store.offer(path, payload, spec.max_bytes)
            if isinstance(got, DropReason):
                self._drop(spec.name, got, topic)
            elif self.on_signal is not None:
                self.on_signal(path, got)
        elif spec is topics.HAZARD:
            hz = parse_model(payload, HazardEvent, spec.max_bytes)
            if isinstance(hz, DropReason):
                self._drop(spec.name, hz, topic)
            else:
                self.hazards_accepted += 1
                new = self.store.add_hazard(hz)
                if self.on_hazard is not None:
                    self.on_hazard(hz, new)
        else:
            link = parse_model(payload, LinkEvent, spec.max_bytes)
            if isinstance(link, DropReason):
                self._drop(spec.name, link, topic)
            else:
                self.links_accepted += 1
                self.store.set_link(link)
                if self.on_link is not None:
                    self.on_link(link)
        return True

    def _drop(self, kind: str, reason: DropReason, topic: str) -> None:
        self.drops.add(kind, reason)
        log.debug("dropped %s on %s: %s", kind, topic, reason)
