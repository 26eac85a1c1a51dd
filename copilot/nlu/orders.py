"""Drink orders: "a large iced hazelnut latte with oat milk and an extra shot" -> `Order`.

Only what was said is kept, as canonical words from `data/orders.yaml`. An order exists only
when a drink or an order-only detail (size, milk, shots, ...) is said near a coffee stop.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from copilot.nlu.lexicon import lexicon, longest_match
from routing.messages import Order

log = logging.getLogger(__name__)

# Fields whose words also occur outside orders ("it's cold", "a big hotel"): they only
# count next to a drink.
_WEAK_FIELDS = {"size", "iced", "roast"}
_FIELD_ORDER = ("drink", "shots", "size", "iced", "flavor", "milk", "sweetener", "roast")


@dataclass
class OrderSpan:
    start: int
    end: int
    values: dict[str, Any] = field(default_factory=dict)
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)

    def to_order(self) -> Order | None:
        if not self.values:
            return None
        return Order(**self.values)


def find_order_words(tokens: list[str]) -> list[tuple[int, int, str, Any]]:
    """Every order word: (start, end, field, canonical value), longest match first."""
    found: list[tuple[int, int, str, Any]] = []
    tables = lexicon().order_words
    i = 0
    while i < len(tokens):
        best: tuple[int, str, Any] | None = None
        for name in _FIELD_ORDER:
            m = longest_match(tokens, i, tables[name])
            if m and (best is None or m[0] > best[0]):
                best = (m[0], name, m[1])
        if best is None:
            i += 1
            continue
        n, name, value = best
        found.append((i, i + n, name, value))
        i += n
    return found


def orders_in(tokens: list[str]) -> list[OrderSpan]:
    """Group order words into orders: a new order starts when a field repeats."""
    words = find_order_words(tokens)
    drinks = [w for w in words if w[2] == "drink"]
    if not drinks:
        return []
    out: list[OrderSpan] = []
    current: OrderSpan | None = None
    last_end = -10
    for start, end, name, value in words:
        near_drink = any(abs(start - d[0]) <= 6 for d in drinks)
        if name in _WEAK_FIELDS and not near_drink:
            continue
        if name != "drink" and not near_drink:
            continue
        gap = start - last_end
        if current is None or name in current.values or gap > 6:
            current = OrderSpan(start, end)
            out.append(current)
        current.values[name] = value
        current.spans[name] = (start, end)
        current.end = max(current.end, end)
        last_end = end
    # A lone "coffee" is the place, not an order; keep orders that say something more.
    return [o for o in out if set(o.values) != {"drink"} or o.values["drink"] != "coffee"]

