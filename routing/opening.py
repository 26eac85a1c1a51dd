"""Is a place open at a given local time? `opening_hours` tags parsed by opening-hours-py.

opening-hours-py is the maintained Rust parser of the OSM opening_hours syntax. Times are the
place's local wall-clock time (a naive datetime). An unparseable tag counts as "unknown", and
unknown is treated as open: the map not knowing is no reason to send the driver elsewhere.
Unparseable tags are counted (`stats`) so they are never silently dropped.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime
from functools import lru_cache
from typing import Any

log = logging.getLogger(__name__)

stats: Counter[str] = Counter()
"""'parsed', 'unparseable' and 'unknown_state' counts since start (for logs and map info)."""


@lru_cache(maxsize=4096)
def _parse(expr: str) -> Any:
    import opening_hours

    try:
        parsed = opening_hours.OpeningHours(expr)
    except (opening_hours.ParserError, ValueError) as exc:
        stats["unparseable"] += 1
        log.debug("unparseable opening_hours %r: %s", expr, exc)
        return None
    stats["parsed"] += 1
    return parsed


def _local(when: datetime) -> datetime:
    return when.replace(tzinfo=None) if when.tzinfo is not None else when


def open_state(expr: str | None, when: datetime) -> bool | None:
    """True open, False closed, None unknown (no tag, unparseable, or 'unknown' rule)."""
    if not expr:
        return None
    parsed = _parse(expr.strip())
    if parsed is None:
        return None
    t = _local(when)
    try:
        if parsed.is_open(t):
            return True
        if parsed.is_closed(t):
            return False
    except (ValueError, RuntimeError) as exc:
        log.debug("opening_hours %r at %s: %s", expr, t, exc)
    stats["unknown_state"] += 1
    return None


def is_open(expr: str | None, when: datetime) -> bool:
    """Open or unknown: the planner's reading."""
    return open_state(expr, when) is not False


def next_open(expr: str | None, when: datetime) -> datetime | None:
    """When a closed place next opens (local, naive), or None when unknown."""
    if not expr:
        return None
    parsed = _parse(expr.strip())
    if parsed is None:
        return None
    try:
        change = parsed.next_change(_local(when))
    except (ValueError, RuntimeError):
        return None
    return change if isinstance(change, datetime) else None
