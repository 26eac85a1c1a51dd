"""Unknown words that an order's own words place in a detail, for the decoder to decide.

Whisper in kitchen noise writes an order's details as words no menu has: "a large chicken
shot cappuccino", "a light roast chipu shot", "some bell sugar", "a little bit of
sweetheart". The order parser reads nothing there, so the detail is lost. The words around
them say what it must have been: a word before a head word of menu phrases ("shot" ends
"single shot", "double shot", "triple shot", "quad shot"; "sugar" ends "brown sugar") is
that phrase's modifier, and what follows an amount ("a little bit of", "lots of") is a milk
or a sweetener. `fills` lists those places with the menu phrases they may hold, closest by
sound first; `constrained.repair` puts each in the transcript and keeps the one Whisper's
decoder finds likeliest on the same audio (teacher-forced). It is a forced choice (the
words as written read as nothing), except before a head word the parser reads alone
("bell sugar"), where the head word as heard ("sugar") stays one of the options.

Only an utterance the parser already hears as an order has such places (`stretches`), so
navigation and every other request stay open-vocabulary. The grammar is the vocabulary of
`copilot/nlu/data/orders.yaml`, nothing from a recording.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from copilot.speech.constrained import NEAREST, Phrase, norm_word, order_phrases, stretches

log = logging.getLogger(__name__)

_HEAD_FIELDS = ("shots", "roast", "milk", "sweetener", "size")
"""Fields whose phrases end on a head word that says which detail stands before it."""
_MEASURED_FIELDS = ("milk", "sweetener")
"""What an amount ("a little bit of", "lots of") measures."""
FILL_OTHER_FIELD = 3
"""Phrases per measured field tried after an amount."""


@cache
def _headed() -> dict[str, tuple[Phrase, ...]]:
    """Head word -> the menu phrases of two words or more that end on it ("shot" -> "triple
    shot", "double shot"...; "sugar" -> "brown sugar"...)."""
    out: dict[str, list[Phrase]] = {}
    for p in order_phrases():
        words = p.text.split()
        if p.field in _HEAD_FIELDS and len(words) > 1 and not words[-1].isdigit():
            out.setdefault(words[-1], []).append(p)
    return {k: tuple(v) for k, v in out.items()}


def _closest(said: str, phrases: Sequence[Phrase], n: int, per_value: int = 2) -> list[Phrase]:
    """The `n` phrases that sound most like `said`, at most `per_value` of each value (a value
    is said several ways: "sweetener", "sweet and low")."""
    from copilot.nlu.order_sounds import sound_distance, sounds

    key = sounds(said)
    ranked = sorted(phrases, key=lambda p: sound_distance(key, p.key, 4.0 * len(p.key))
                    / len(p.key) if key else 0.0)
    out: list[Phrase] = []
    seen: dict[tuple[str, str], int] = {}
    for p in ranked:
        slot = (p.field, str(p.value))
        if seen.get(slot, 0) < per_value and all(q.text != p.text for q in out):
            out.append(p)
            seen[slot] = seen.get(slot, 0) + 1
        if len(out) == n:
            break
    return out


@dataclass(frozen=True)
class Fill:
    """Words [start, end) where the order says a detail must be, and what it may be."""

    start: int
    end: int
    options: tuple[str, ...]
    """Replacements for the words, each read by the grammar (one may be a word as heard)."""


def fills(words: Sequence[str]) -> list[Fill]:
    """Unknown words that the order's own words place in a detail (module doc)."""
    from copilot.nlu.orders import order_words

    spots = [s for s in stretches(words) if s.field is None]
    if not spots:
        return []
    norm = [norm_word(w) for w in words]
    found = order_words(norm)
    heads = _headed()
    out: list[Fill] = []
    for s in spots:
        run = norm[s.start:s.end]
        after = next((w for w in found if w.start == s.end), None)
        before = next((w for w in found if w.end == s.start), None)
        if len(run) > 1 and run[-1] in heads:
            # "chicken shot": the modifier of a head word; the word before it is the detail.
            start = s.end - 2
            said = " ".join(norm[start:s.end])
            # Two words for two: "chicken shot" is "triple shot", not "a triple shot".
            opts = _closest(said, [p for p in heads[run[-1]] if len(p.text.split()) == 2],
                            NEAREST + 1, per_value=1)
            out.append(Fill(start, s.end, tuple(p.text for p in opts)))
        elif after is not None and after.field in _HEAD_FIELDS and after.end - after.start == 1 \
                and norm[after.start] in heads:
            # "bell sugar": a longer phrase on this head word, or the head word as heard.
            start = s.end - 1
            said = " ".join(norm[start:after.end])
            opts = _closest(said, [p for p in heads[norm[after.start]]
                                   if len(p.text.split()) == 2], NEAREST, per_value=1)
            out.append(Fill(start, after.end,
                            (*(p.text for p in opts), norm[after.start])))
        elif before is not None and before.field == "amount":
            # "a little bit of sweetheart": what an amount measures.
            said = " ".join(run)
            opts = [p for f in _MEASURED_FIELDS
                    for p in _closest(
                        said, [q for q in order_phrases() if q.field == f], FILL_OTHER_FIELD)]
            out.append(Fill(s.start, s.end, tuple(p.text for p in opts)))
    return out
