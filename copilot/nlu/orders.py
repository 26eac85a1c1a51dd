"""Drink orders: "a large iced hazelnut latte with oat milk and an extra shot" -> `Order`.

Only what was said is kept, as canonical words from `data/orders.yaml`. An order exists only
when a drink or an order-only detail (size, milk, shots, ...) is said near a coffee stop.

Words are matched exactly first (longest phrase wins, hyphenated words split: "light-roast",
"12-ounce"). Then, only in an utterance that is plainly ordering (an exact drink, shot,
milk, sweetener or ounce size), the stretches left over are matched by how they sound
(`order_sounds`): a recogniser that writes "dark rose", "soil milk" or "Americana" still
yields the order. An amount ("a little bit of", "lots of") counts only right before the milk
or sweetener it measures.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from copilot.nlu.lexicon import lexicon, longest_match
from copilot.nlu.order_sounds import SoundIndex
from routing.messages import Order

log = logging.getLogger(__name__)

# Fields whose words also occur outside orders ("it's cold", "a big hotel"): they only
# count in a stretch of order details that reaches a drink, and never start a sound search.
_WEAK_FIELDS = {"size", "iced", "roast"}
_FIELD_ORDER = ("drink", "shots", "size", "iced", "flavor", "milk", "sweetener", "roast",
                "amount")
# Fields worth guessing by sound: the menu words a general recogniser mangles.
_SOUND_FIELDS = {"drink", "roast", "shots", "milk", "sweetener", "size"}
# A sound-alike stretch never starts or ends on these (they are the frame, not the order).
_FRAME_WORDS = {"a", "an", "the", "i", "me", "my", "with", "and", "of", "can", "get", "have",
                "like", "want", "to", "some", "lot", "lots", "bit", "little", "make", "give",
                "brew", "may", "could", "would", "i'd", "for", "on", "in", "is", "it", "you",
                "please", "order", "one", "be", "do", "went", "won", "need", "grab", "also",
                "then", "find", "take", "stop", "go", "bring", "there", "here", "way",
                # Contractions and "be": "it's miserable out" is no "eights" (8 ounce).
                "it's", "its", "that's", "there's", "i'm", "we're", "you're", "been", "was",
                "were", "are", "am"}
_AMOUNT_FIELD = {"milk": "milk_amount", "sweetener": "sweetener_amount"}
SOUND_WINDOW = 3
"""Longest stretch of words compared by sound ("cap you know")."""
SURE_SOUND = 0.15
"""A sound-alike this close may start the search on its own (no exact order word)."""
_STRONG_SOUND = {"drink", "milk", "sweetener"}
CHAIN_GAP = 3
"""Most words between two details of one order ("with a lot of sugar and milk")."""
ANCHOR_REACH = 5
"""How far (in words) from a sure order word a sound-alike may be."""


@dataclass
class OrderSpan:
    start: int
    end: int
    values: dict[str, Any] = field(default_factory=dict)
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)

    def to_order(self) -> Order | None:
        values = {k: v for k, v in self.values.items() if k != "amount"}
        if not values:
            return None
        return Order(**values)


@dataclass(frozen=True)
class _Heard:
    start: int
    end: int
    field: str
    value: Any
    distance: float


@dataclass(frozen=True)
class OrderWord:
    start: int
    end: int
    field: str
    value: Any
    by_sound: bool = False


def _split_tokens(tokens: list[str]) -> tuple[list[str], list[int]]:
    """Hyphenated and glued words split ("light-roast", "12oz"); each part's source token."""
    parts: list[str] = []
    source: list[int] = []
    for k, t in enumerate(tokens):
        pieces = [p for p in re.split(r"-|(?<=\d)(?=[a-z])", t) if p] if t != "," else [t]
        for p in pieces or [t]:
            # "a triple short espresso": after a count of shots, "short" is the shot heard
            # short, not the cup size.
            if p == "short" and parts and parts[-1] in _SHOT_COUNTS:
                p = "shot"
            parts.append(p)
            source.append(k)
    return parts, source


_SHOT_COUNTS = {"single", "double", "triple", "quad", "one", "two", "three", "four"}


@cache
def _sound_index() -> SoundIndex:
    tables = lexicon().order_words
    return SoundIndex((name, value, phrase) for name in _FIELD_ORDER if name in _SOUND_FIELDS
                      for phrase, value in tables[name].items())


@cache
def _place_words() -> frozenset[str]:
    """Words of place names ("shop", "station"); never re-heard as order words."""
    order = {w for t in lexicon().order_words.values() for p in t for w in p}
    return frozenset(w for p in lexicon().places for w in p) - order


def _exact_words(parts: list[str]) -> list[OrderWord]:
    found: list[OrderWord] = []
    tables = lexicon().order_words
    i = 0
    while i < len(parts):
        best: tuple[int, str, Any] | None = None
        for name in _FIELD_ORDER:
            m = longest_match(parts, i, tables.get(name, {}))
            if m and (best is None or m[0] > best[0]):
                best = (m[0], name, m[1])
        if best is None:
            i += 1
            continue
        n, name, value = best
        found.append(OrderWord(i, i + n, name, value))
        i += n
    return found


def _is_anchor(w: OrderWord, parts: list[str]) -> bool:
    """A word that only an order would contain: not "large", "cold" or "light" alone."""
    if w.field == "drink":
        return parts[w.start:w.end] != ["coffee"]      # "a coffee" is as often the place
    if w.field in ("shots", "milk", "sweetener", "flavor"):
        return True
    said = parts[w.start:w.end]
    return (w.field == "size" and any(x in ("ounce", "ounces", "oz") for x in said)) or \
        (w.field == "roast" and "roast" in said)


def _sound_candidates(parts: list[str], exact: list[OrderWord],
                      starts: list[int]) -> list[_Heard]:
    """Every stretch starting at `starts` that sounds like an order phrase."""
    # Exact words a stretch may take in: single words that are often the sure half of a
    # misheard pair: a weak detail ("dark rose", "medium row") or the head word of the
    # phrase heard ("soil milk"). Anything longer stays as said.
    single = {w.start: w for w in exact if w.end - w.start == 1}
    fixed = {k for w in exact if w.end - w.start > 1 for k in range(w.start, w.end)}
    blocked = _place_words()
    index = _sound_index()
    out: list[_Heard] = []
    for i in starts:
        for n in range(1, min(SOUND_WINDOW, len(parts) - i) + 1):
            window = parts[i:i + n]
            span = range(i, i + n)
            if "," in window or window[0] in _FRAME_WORDS or window[-1] in _FRAME_WORDS:
                continue
            inside = [single[k] for k in span if k in single]
            if any(k in fixed for k in span) or len(inside) == n or set(window) & blocked:
                continue
            m = index.best(window, _SOUND_FIELDS)
            # A sure word inside stays what it is: "soil milk" may become soy MILK, but
            # "your cappuccino" does not become a frappuccino.
            if m is not None and all(w.field in _WEAK_FIELDS or (
                    w.field == m.field and parts[w.start] in m.phrase) for w in inside):
                out.append(_Heard(i, i + n, m.field, m.value, m.distance))
    return out


def _sound_words(parts: list[str], exact: list[OrderWord]) -> list[OrderWord]:
    """Sound-alike order words in the stretches the exact pass left (see module doc)."""
    anchors = [(w.start, w.end) for w in exact if _is_anchor(w, parts)]
    if not anchors:
        # No sure order word: only a drink, milk or sweetener that sounds almost exactly
        # like one, next to an order detail ("a dark roast capuchino"), starts the search.
        beside = sorted({k for e in exact for k in range(e.start - 2 - SOUND_WINDOW, e.end + 3)
                         if 0 <= k < len(parts)})
        anchors = [(w.start, w.end) for w in _sound_candidates(parts, exact, beside)
                   if w.distance <= SURE_SOUND and w.field in _STRONG_SOUND and any(
                       0 <= w.start - e.end <= 2 or 0 <= e.start - w.end <= 2 for e in exact)]
        if not anchors:
            return []
    near = [k for k in range(len(parts)) if any(
        abs(k - a) <= ANCHOR_REACH or abs(k - b) <= ANCHOR_REACH for a, b in anchors)]
    found = {(w.start, w.end): w for w in _sound_candidates(parts, exact, near)}
    out: list[OrderWord] = []
    for (i, j), m in found.items():
        # A longer stretch only if its edge words belong to it: a shorter one that hears
        # the same value as well or better wins.
        inner = [found.get((i + 1, j)), found.get((i, j - 1))] if j - i > 1 else []
        if any(x is not None and x.value == m.value and x.distance <= m.distance
               for x in inner):
            continue
        out.append(OrderWord(i, j, m.field, m.value, by_sound=True))
    return out


def _choose(exact: list[OrderWord], heard: list[OrderWord]) -> list[OrderWord]:
    """Left to right, the longest candidate at each place; exact beats sound on a tie."""
    by_start: dict[int, list[OrderWord]] = {}
    for w in exact + heard:
        by_start.setdefault(w.start, []).append(w)
    chosen: list[OrderWord] = []
    i = 0
    end = max((w.end for w in exact + heard), default=0)
    while i < end:
        cands = by_start.get(i, [])
        # A sound-alike may not cut an exact phrase that runs past it.
        cands = [c for c in cands if not c.by_sound or not any(
            c.start < e.start < c.end < e.end for e in exact)]
        if not cands:
            i += 1
            continue
        best = max(cands, key=lambda w: (w.end - w.start, not w.by_sound))
        chosen.append(best)
        i = best.end
    return chosen


def order_words(tokens: list[str]) -> list[OrderWord]:
    """Every order word in `tokens` (exact and by sound), with spans in token indexes."""
    parts, source = _split_tokens(tokens)
    exact = _exact_words(parts)
    chosen = _choose(exact, _sound_words(parts, exact))
    return [OrderWord(source[w.start], source[w.end - 1] + 1, w.field, w.value, w.by_sound)
            for w in chosen]


def find_order_words(tokens: list[str]) -> list[tuple[int, int, str, Any]]:
    """Every order word: (start, end, field, canonical value), longest match first."""
    return [(w.start, w.end, w.field, w.value) for w in order_words(tokens)
            if w.field != "amount"]


def orders_in(tokens: list[str]) -> list[OrderSpan]:
    """Group order words into orders: a new order starts when a field repeats."""
    words = order_words(tokens)
    # "a large dark roast" is a coffee order with no drink word: the roast stands for it.
    drinks = [w for w in words if w.field == "drink" or (
        w.field == "roast" and "roast" in tokens[w.start:w.end])]
    if not drinks:
        return []
    out: list[OrderSpan] = []
    chains: list[list[OrderWord]] = []
    current: OrderSpan | None = None
    last_end = -10
    amount: OrderWord | None = None
    for w in words:
        if w.field == "amount":
            amount = w
            continue
        measured = amount is not None and amount.end == w.start and w.field in _AMOUNT_FIELD
        start = amount.start if measured and amount is not None else w.start
        gap = start - last_end
        near = any(abs(w.start - d.start) <= 6 for d in drinks)
        if w.by_sound and current is not None and w.field in current.values:
            amount = None
            continue                           # a guess never overrides what was said
        if current is not None and w.field == "drink" and current.values.get("drink") == \
                "coffee" and w.value != "coffee" and "and" not in tokens[last_end:w.start] \
                and gap <= 2 * CHAIN_GAP:
            # "coffee stop, a large cappuccino", "coffee. A big iced latte": the general
            # word named the stop; the drink said next is the order.
            current.values["drink"] = w.value
            current.spans["drink"] = (w.start, w.end)
            chains[-1].append(w)
            current.end = max(current.end, w.end)
            last_end = w.end
            amount = None
            continue
        if current is not None and w.field == "drink" and current.values.get("drink") == \
                w.value and current.spans["drink"][1] == w.start:
            # "a double shot expresso espresso": the drink said again at once (a restart or
            # a word heard twice) is the same drink, not a second order.
            current.spans["drink"] = (current.spans["drink"][0], w.end)
            current.end = max(current.end, w.end)
            last_end = w.end
            amount = None
            continue
        if current is None or w.field in current.values or (gap > CHAIN_GAP and not near):
            current = OrderSpan(start, w.end)
            out.append(current)
            chains.append([])
        chains[-1].append(w)
        current.values[w.field] = w.value
        current.spans[w.field] = (w.start, w.end)
        if measured and amount is not None:
            current.values[_AMOUNT_FIELD[w.field]] = amount.value
        amount = None
        current.end = max(current.end, w.end)
        last_end = w.end
    # An order is said around a drink: a stretch of details that has none counts only when
    # every word of it is near one (the rule before chaining).
    out = [o for o, ws in zip(out, chains, strict=True) if "drink" in o.values or any(
        w in drinks for w in ws) or all(
        any(abs(w.start - d.start) <= 6 for d in drinks) for w in ws)]
    # A lone "coffee" is the place, not an order ("stop for coffee"), unless it is asked for
    # as one cup: "can I get a coffee", "give me a coffee".
    return [o for o in out if set(o.values) != {"drink"} or o.values["drink"] != "coffee"
            or _one_cup_asked_for(tokens, o.spans.get("drink", (o.start, o.end))[0])]


_ASKING = frozenset({"get", "have", "like", "order", "take", "grab", "brew", "me"})
"""The word before "a coffee" that makes it a drink ordered ("get me" / "give me" end in me)."""


def _one_cup_asked_for(tokens: list[str], start: int) -> bool:
    after = tokens[start + 1] if start + 1 < len(tokens) else ""
    return start >= 2 and tokens[start - 1] in ("a", "an", "one") and \
        tokens[start - 2] in _ASKING and after not in ("house", "run") and \
        after not in _place_words()


_DETAILS = ("size", "shots", "milk", "sweetener", "roast", "iced", "flavor")
_NOT_AT_A_STOP = re.compile(r"\b(deliver|delivered|delivery|pickup|app|mobile order|remind|"
                            r"reminder|list|machine|at home)\b")
DETAILS_SPELLED_OUT = 2
"""Details beside the drink that make an order unmistakable ("a light roast coffee with
brown sugar"): no other domain spells a cup out like that."""


def spells_out_a_drink(tokens: list[str]) -> bool:
    """A drink ordered with at least DETAILS_SPELLED_OUT details, and no word that sends it
    somewhere else (an app, a delivery, a list, the coffee machine at home)."""
    if _NOT_AT_A_STOP.search(" ".join(tokens)):
        return False
    return any(("drink" in o.values or "roast" in o.values)
               and sum(k in o.values for k in _DETAILS) >= DETAILS_SPELLED_OUT + (
                   "drink" not in o.values)
               for o in orders_in(tokens))
