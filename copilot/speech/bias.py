"""Domain biasing for Whisper, generated from what the copilot knows (never a hand-kept list).

Whisper reads an earlier "context" before the utterance: faster-whisper's `initial_prompt`
(and `hotwords`) go there, up to 223 tokens each, the end kept when longer. The copilot's
vocabulary fills it as sentences a driver might have said, because Whisper continues the
style of its context: a bare list of words makes it loop ("krispy, krispy, ...") on real
voices, while sentences bias the spelling ("light roast" not "light rose", "Americano" not
"Americana") without changing what it hears (measured side by side by `copilot eval listen`).

- a request naming the saved labels, place categories and the region pack's most frequent
  brand names;
- drink orders built round-robin from `copilot/nlu/data/orders.yaml`: every drink, and the
  other fields' canonical values in turn (size, roast, shots, milk, sweetener, flavour, iced).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

log = logging.getLogger(__name__)

PROMPT_CHARS = 700
"""About 160 Whisper tokens: inside faster-whisper's 223-token limit with room to spare."""
_EXTRA_FIELDS = ("size", "roast", "shots", "milk", "sweetener", "flavor", "iced")
_EXTRAS_PER_ORDER = 2
_PLACES_IN_REQUEST = 6
_CATEGORIES_IN_REQUEST = 8


@dataclass(frozen=True)
class Bias:
    prompt: str
    hotwords: str = ""

    @property
    def empty(self) -> bool:
        return not (self.prompt or self.hotwords)


NO_BIAS = Bias("", "")


def _canonical(field: str) -> list[str]:
    """A field's values as words: the canonical value, or for shots/iced its first phrase."""
    from copilot.nlu.lexicon import lexicon

    table = lexicon().order_words.get(field, {})
    out: list[str] = []
    seen: set[object] = set()
    for phrase, value in table.items():
        if value in seen:
            continue
        text = " ".join(phrase)
        if isinstance(value, str) and text != value:
            continue                           # a spoken variant; the canonical one comes too
        if field == "iced" and value is not True:
            continue                           # "hot" is the unmarked case
        seen.add(value)
        out.append(text)
    return out


def _order_sentence(drink: str, extras: dict[str, str]) -> str:
    before = " ".join(extras[f] for f in ("size", "iced", "roast", "flavor") if f in extras)
    after = [extras[f] for f in ("milk", "sweetener", "shots") if f in extras]
    head = " ".join(p for p in (before, drink) if p)
    article = "An" if head[:1] in "aeiou" else "A"
    return f"{article} {head}" + (f" with {' and '.join(after)}" if after else "") + "."


def order_sentences(budget: int = PROMPT_CHARS) -> list[str]:
    """Example orders covering every drink, then the other fields' values round-robin."""
    drinks = _canonical("drink")
    values = {f: _canonical(f) for f in _EXTRA_FIELDS}
    values = {f: v for f, v in values.items() if v}
    fields = list(values)
    next_value = dict.fromkeys(fields, 0)
    out: list[str] = []
    used = 0
    for i, drink in enumerate(drinks):
        extras: dict[str, str] = {}
        for k in range(_EXTRAS_PER_ORDER):
            if not fields:
                break
            f = fields[(i * _EXTRAS_PER_ORDER + k) % len(fields)]
            extras[f] = values[f][next_value[f] % len(values[f])]
            next_value[f] += 1
        s = _order_sentence(drink, extras)
        if used + len(s) + 1 > budget:
            break
        out.append(s)
        used += len(s) + 1
    return out


def request_sentence(saved_labels: Sequence[str] = (), place_names: Sequence[str] = ()) -> str:
    """"Take me to the airport, stop at ..." with saved labels, categories and brands."""
    from copilot.nlu.lexicon import lexicon

    lex = lexicon()
    cats = [p[0] for p in lex.category_phrases.values() if p]
    saved = [f"my {lbl.lower()}" if lbl.lower() not in ("home", "work") else lbl.lower()
             for lbl in saved_labels]
    names = list(dict.fromkeys(n for n in place_names if n.strip()))[:_PLACES_IN_REQUEST]
    stops = [*saved, *(f"the {c}" for c in cats[1:_CATEGORIES_IN_REQUEST]), *names]
    dest = f"the {cats[0]}" if cats else "home"
    return f"Take me to {dest}, stop at {', '.join(stops)}." if stops else ""


def domain_bias(saved_labels: Sequence[str] = (), place_names: Sequence[str] = (),
                budget: int = PROMPT_CHARS) -> Bias:
    """The prompt for this driver and region. `place_names`: brand and place names of the
    loaded region pack, most frequent first (`region_names`)."""
    request = request_sentence(saved_labels, place_names)
    orders = order_sentences(max(0, budget - len(request) - 1))
    # faster-whisper keeps the end of a long context, so the orders (the densest part) last.
    return Bias(prompt=" ".join(p for p in (request, *orders) if p))


def region_names(places: object, limit: int = 20) -> list[str]:
    """The most frequent brand and place names of a region pack's place index (for the
    prompt). Accepts the pack's `PlaceIndex`; anything without `frequent_names` gives none."""
    names = getattr(places, "frequent_names", None)
    if names is None:
        return []
    try:
        return [str(n) for n in names(limit)]
    except Exception as exc:                   # a damaged index must not stop listening
        log.warning("region names for the speech prompt unavailable: %s", exc)
        return []
