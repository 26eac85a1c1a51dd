"""The answered-ids memory: request id -> the reply sent, optionally kept on disk.

With a file, a restarted service still knows what it answered, so a request the broker
redelivers after a crash (answered, not yet acknowledged) gets the same reply again instead
of a second computation. Append-only JSON lines, compacted when twice the size kept.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import OrderedDict
from pathlib import Path

log = logging.getLogger(__name__)


class AnsweredLog:
    """Last `keep` answered ids with their reply bodies (and when they were answered)."""

    def __init__(self, path: Path | None = None, keep: int = 10_000) -> None:
        self.path = path
        self.keep = keep
        self._lock = threading.Lock()
        self._items: OrderedDict[str, tuple[bytes, float]] = OrderedDict()
        self._lines = 0
        if path is not None:
            self._load(path)

    def _load(self, path: Path) -> None:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            return
        bad = 0
        with path.open("rb") as f:
            for line in f:
                self._lines += 1
                try:
                    rec = json.loads(line)
                    self._items[str(rec["id"])] = (str(rec["reply"]).encode(), 0.0)
                    self._items.move_to_end(str(rec["id"]))
                except (ValueError, KeyError, TypeError):
                    bad += 1  # a torn last line after a crash: skip it
        while len(self._items) > self.keep:
            self._items.popitem(last=False)
        log.info("answered ids: %d loaded from %s (%d unreadable lines)", len(self._items),
                 path, bad)

    def get(self, rid: str) -> tuple[bytes, float] | None:
        """(reply body, monotonic time answered; 0.0 for ids from a previous run)."""
        with self._lock:
            return self._items.get(rid)

    def __len__(self) -> int:
        return len(self._items)

    def add(self, rid: str, body: bytes) -> None:
        with self._lock:
            self._items[rid] = (body, time.monotonic())
            self._items.move_to_end(rid)
            while len(self._items) > self.keep:
                self._items.popitem(last=False)
            if self.path is None:
                return
            with self.path.open("ab") as f:
                f.write(json.dumps({"id": rid, "reply": body.decode()}).encode() + b"\n")
                f.flush()
                os.fsync(f.fileno())  # on disk before the request is acknowledged
            self._lines += 1
            if self._lines > 2 * self.keep:
                self._compact()

    def _compact(self) -> None:
        if self.path is None:
            return
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("wb") as f:
            for rid, (body, _) in self._items.items():
                f.write(json.dumps({"id": rid, "reply": body.decode()}).encode() + b"\n")
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(self.path)
        self._lines = len(self._items)
