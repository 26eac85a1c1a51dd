"""Benchmark drink labels -> our `Order`, and command acceptance ("every labelled slot right").

The speech-dev set (Picovoice's speech-to-intent benchmark, coffee orders) labels each file
with slots in its own words: coffeeDrink "iced mocha", size "twelve ounce", roast "dark
roast", numberOfShots "triple shot", milkAmount "a lot of skim milk", sugarAmount " brown
sugar". This module is the one place that turns those words into our canonical `Order`
(contract section 1: canonical lower-case words, `shots` an integer, `iced` a boolean), and
decides whether an extracted order is right. The tables below are written against the
benchmark's label vocabulary, not derived from the parser, so a parser bug cannot hide by
being on both sides of the comparison.

Stable API (imported by `copilot eval listen`):

    label_order(slots: Mapping[str, str]) -> Order
        The order a label describes. Raises `LabelError` on a slot or word it does not know.
    order_of(understanding: Understanding | Mapping[str, Any] | None) -> Order | None
        The order the copilot heard: the first stop that carries one (a coffee stop first).
        Takes the `Understanding` or its JSON object as printed by `understand`/`listen`.
    score(got: Order | None, slots: Mapping[str, str]) -> OrderScore
        Per labelled slot right/wrong, fields said that the label does not have, and
        `accepted`: every labelled slot right and nothing invented (exact order equality).
    summarise(scores: Iterable[OrderScore]) -> AcceptanceSummary
        Counts: accepted, per-slot right/total; `.lines()` renders them for a report.

Canonical words chosen here: sizes "small" | "medium" | "large" | "8 ounce" | "12 ounce" |
"16 ounce" | "20 ounce"; drinks "coffee", "house coffee", "drip coffee", "espresso",
"americano", "latte", "cappuccino", "mocha", "macchiato" with "iced ..." as `iced=True`;
roast "light roast" | "medium roast" | "dark roast"; milk "milk", "whole milk", "skim milk",
"soy milk", "almond milk", "oat milk", "cream", "half and half"; sweetener "sugar", "brown
sugar", "sweetener", "honey"; amounts "a little" (a bit of, a little bit of), "some", "a lot"
(a lot of, lots of). The benchmark's "a bit of" and "a little bit of" are one amount to a
barista, so both are "a little"; that is the only place its distinctions are merged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from routing.messages import Order, Understanding

log = logging.getLogger(__name__)

SLOTS = ("coffeeDrink", "size", "roast", "numberOfShots", "milkAmount", "sugarAmount")
"""The benchmark's slot names."""

SLOT_FIELDS: dict[str, tuple[str, ...]] = {
    "coffeeDrink": ("drink", "iced"),
    "size": ("size",),
    "roast": ("roast",),
    "numberOfShots": ("shots",),
    "milkAmount": ("milk", "milk_amount"),
    "sugarAmount": ("sweetener", "sweetener_amount"),
}
"""Which `Order` fields carry each benchmark slot."""

_DRINKS = {"coffee": "coffee", "house coffee": "house coffee", "drip coffee": "drip coffee",
           "espresso": "espresso", "americano": "americano", "latte": "latte",
           "cafe latte": "latte", "caffe latte": "latte", "cappuccino": "cappuccino",
           "mocha": "mocha", "macchiato": "macchiato", "flat white": "flat white"}
_SIZES = {"small": "small", "medium": "medium", "large": "large",
          "eight ounce": "8 ounce", "twelve ounce": "12 ounce", "sixteen ounce": "16 ounce",
          "twenty ounce": "20 ounce", "8 ounce": "8 ounce", "12 ounce": "12 ounce",
          "16 ounce": "16 ounce", "20 ounce": "20 ounce"}
_ROASTS = {"light roast": "light roast", "medium roast": "medium roast",
           "dark roast": "dark roast", "light": "light roast", "medium": "medium roast",
           "dark": "dark roast"}
_SHOTS = {"single shot": 1, "one shot": 1, "double shot": 2, "two shots": 2,
          "triple shot": 3, "three shots": 3, "quad shot": 4, "four shots": 4}
_MILKS = {"milk": "milk", "whole milk": "whole milk", "skim milk": "skim milk",
          "soy milk": "soy milk", "almond milk": "almond milk", "oat milk": "oat milk",
          "cream": "cream", "half and half": "half and half", "coconut milk": "coconut milk"}
_SWEETENERS = {"sugar": "sugar", "brown sugar": "brown sugar", "sweetener": "sweetener",
               "honey": "honey", "stevia": "stevia"}
# Longest first, so "a little bit of" wins over "a little".
_AMOUNTS = (("a little bit of", "a little"), ("a little", "a little"), ("a bit of", "a little"),
            ("a lot of", "a lot"), ("lots of", "a lot"), ("some", "some"))


class LabelError(ValueError):
    """A benchmark label slot or word this mapping does not know (fix the table, not the data)."""


def _words(value: str) -> str:
    return " ".join(str(value).lower().split())


def _amount_and_kind(value: str, kinds: Mapping[str, str], slot: str) -> tuple[str | None, str]:
    text = _words(value)
    amount: str | None = None
    for phrase, canonical in _AMOUNTS:
        if text.startswith(phrase + " "):
            amount, text = canonical, text[len(phrase) + 1:]
            break
    if text not in kinds:
        raise LabelError(f"{slot}: unknown value {value!r}")
    return amount, kinds[text]


_LOOKUPS: dict[str, tuple[str, Mapping[str, Any]]] = {
    "size": ("size", _SIZES), "roast": ("roast", _ROASTS), "numberOfShots": ("shots", _SHOTS)}
"""Slots that are one word table each: benchmark slot -> (Order field, table)."""


def label_order(slots: Mapping[str, str]) -> Order:
    """The `Order` a benchmark label describes (only the labelled fields are set)."""
    values: dict[str, Any] = {}
    for slot, raw in slots.items():
        text = _words(raw)
        if slot == "coffeeDrink":
            if text.startswith("iced "):
                values["iced"] = True
                text = text[len("iced "):]
            if text not in _DRINKS:
                raise LabelError(f"coffeeDrink: unknown value {raw!r}")
            values["drink"] = _DRINKS[text]
        elif slot in _LOOKUPS:
            field, table = _LOOKUPS[slot]
            if text not in table:
                raise LabelError(f"{slot}: unknown value {raw!r}")
            values[field] = table[text]
        elif slot == "milkAmount":
            amount, values["milk"] = _amount_and_kind(raw, _MILKS, slot)
            if amount:
                values["milk_amount"] = amount
        elif slot == "sugarAmount":
            amount, values["sweetener"] = _amount_and_kind(raw, _SWEETENERS, slot)
            if amount:
                values["sweetener_amount"] = amount
        else:
            raise LabelError(f"unknown slot {slot!r} (known: {', '.join(SLOTS)})")
    return Order(**values)


def order_of(understanding: Understanding | Mapping[str, Any] | None) -> Order | None:
    """The order the copilot heard: a coffee stop's order first, else any stop's order."""
    if understanding is None:
        return None
    if isinstance(understanding, Understanding):
        stops = [(s.category, s.order) for s in understanding.stops]
    else:
        stops = []
        for s in understanding.get("stops") or []:
            raw = s.get("order") if isinstance(s, Mapping) else None
            stops.append((s.get("category") if isinstance(s, Mapping) else None,
                          Order.model_validate(raw) if raw else None))
    with_order = [(c, o) for c, o in stops if o is not None]
    for category, order in with_order:
        if category == "coffee":
            return order
    return with_order[0][1] if with_order else None


@dataclass(frozen=True)
class OrderScore:
    """One utterance: which labelled slots came out right, what was invented."""

    accepted: bool
    slots: dict[str, bool]
    """Benchmark slot -> right (all its `Order` fields equal the label's)."""
    extra: tuple[str, ...]
    """`Order` fields set although the label has no slot for them (an invented detail)."""
    expected: Order
    got: Order | None


def score(got: Order | None, slots: Mapping[str, str]) -> OrderScore:
    """Compare the heard order with the label: accepted only if equal field for field."""
    expected = label_order(slots)
    want = expected.model_dump()
    have = got.model_dump() if got is not None else {}
    per_slot = {s: all(have.get(f) == want.get(f) for f in SLOT_FIELDS[s]) for s in slots}
    labelled = {f for s in slots for f in SLOT_FIELDS[s]}
    extra = tuple(sorted(f for f, v in have.items() if v is not None and f not in labelled))
    accepted = got is not None and all(per_slot.values()) and not extra
    return OrderScore(accepted=accepted, slots=per_slot, extra=extra, expected=expected, got=got)


@dataclass
class AcceptanceSummary:
    total: int = 0
    accepted: int = 0
    slot_right: dict[str, int] = field(default_factory=dict)
    slot_total: dict[str, int] = field(default_factory=dict)
    invented: int = 0
    """Utterances whose order carried a field the label does not have."""

    @property
    def acceptance(self) -> float:
        return self.accepted / self.total if self.total else 0.0

    def slot_accuracy(self) -> float:
        """Right labelled slots over all labelled slots."""
        n = sum(self.slot_total.values())
        return sum(self.slot_right.values()) / n if n else 0.0

    def lines(self) -> list[str]:
        out = [f"command acceptance {self.accepted}/{self.total} "
               f"{100 * self.acceptance:.1f}%",
               f"slot accuracy {100 * self.slot_accuracy():.1f}% "
               f"(invented details in {self.invented})"]
        for s in SLOTS:
            if self.slot_total.get(s):
                out.append(f"  {s:<14}{self.slot_right[s]:>4}/{self.slot_total[s]:<4}"
                           f"{100 * self.slot_right[s] / self.slot_total[s]:.1f}%")
        return out


def summarise(scores: Iterable[OrderScore]) -> AcceptanceSummary:
    """Acceptance and per-slot accuracy over many scored utterances."""
    out = AcceptanceSummary()
    for sc in scores:
        out.total += 1
        out.accepted += sc.accepted
        out.invented += bool(sc.extra)
        for s, ok in sc.slots.items():
            out.slot_total[s] = out.slot_total.get(s, 0) + 1
            out.slot_right[s] = out.slot_right.get(s, 0) + ok
    return out
