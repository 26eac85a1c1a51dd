"""Sound-alike matching of order words: "dark rose" -> dark roast, "cap you know" -> cappuccino.

A recogniser that does not know the menu writes what it heard in ordinary English words. We
compare how a stretch of the transcript SOUNDS with how each phrase of the order vocabulary
sounds: both are turned into phonemes by espeak-ng (in-process, through piper's bundled
espeak bridge) and compared with a weighted edit distance in which near sounds (two vowels,
s/z, t/d, m/n, ...) cost less than unrelated ones. The index is generated from the same
vocabulary table the exact matcher uses (`data/orders.yaml`), so a word added there is
heard tolerantly too; nothing here lists any recording's errors. Without espeak the key
falls back to a spelling-based approximation.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

log = logging.getLogger(__name__)

ESPEAK_LOCK = threading.Lock()
"""espeak's voice is process-global: anything phonemising through the bridge holds this."""

_VOWELS = set("aeiouæɐɑɒɔəɚɛɜɝɪʊʌɨʉɵɘøœy")
# Sounds a recogniser (or an accent) swaps for each other cost half a substitution.
_NEAR_GROUPS = ("szʃʒθð", "tdɾʔ", "pb", "bm", "kgɡ", "fv", "mnŋ", "ɹlɫ", "wʍ", "ʧʤ")
_NEAR = {(a, b) for g in _NEAR_GROUPS for a in g for b in g if a != b}
_DROP = re.compile(r"[ˈˌːˑ\s\-_.,?!'ʲ̩̃]")


def _bridge() -> Any | None:
    try:
        from piper import espeakbridge
        from piper.phonemize_espeak import ESPEAK_DATA_DIR
    except Exception as exc:                 # piper not installed: spelling keys instead
        log.info("espeak bridge unavailable (%s); spelling-based sound keys", exc)
        return None
    try:
        espeakbridge.initialize(str(ESPEAK_DATA_DIR))
    except Exception as exc:
        log.warning("espeak bridge failed to start (%s); spelling-based sound keys", exc)
        return None
    return espeakbridge


_bridge_once: list[Any] = []


def _espeak() -> Any | None:
    with ESPEAK_LOCK:
        if not _bridge_once:
            _bridge_once.append(_bridge())
        return _bridge_once[0]


def _spelling_key(text: str) -> str:
    """A rough sound key from spelling, for machines without espeak."""
    t = re.sub(r"[^a-z0-9]", "", text.lower())
    for a, b in (("ph", "f"), ("ck", "k"), ("ch", "ʧ"), ("sh", "ʃ"), ("qu", "kw"), ("x", "ks"),
                 ("c(?=[eiy])", "s"), ("c", "k"), ("q", "k"), ("z", "s"), ("y", "i"),
                 (r"(.)\1", r"\1")):
        t = re.sub(a, b, t)
    return t


@cache
def sounds(text: str) -> str:
    """Phonemes of `text` (stress, length and spaces dropped): what it sounds like."""
    bridge = _espeak()
    if bridge is None:
        return _spelling_key(text)
    with ESPEAK_LOCK:
        bridge.set_voice("en-us")
        clauses = bridge.get_phonemes(text)
    ipa = "".join(p for p, _, _ in clauses)
    ipa = re.sub(r"\([^)]*\)", "", unicodedata.normalize("NFD", ipa))
    # An affricate is one sound, not two: "ch" and "j" cost one edit, as any other.
    return _DROP.sub("", ipa).replace("ɡ", "g").replace("tʃ", "ʧ").replace("dʒ", "ʤ")


def _first_consonant(key: str) -> str:
    return next((c for c in key if c not in _VOWELS), "")


def _sub_cost(a: str, b: str) -> float:
    if a == b:
        return 0.0
    if a in _VOWELS and b in _VOWELS:
        return 0.4
    if (a, b) in _NEAR:
        return 0.5
    return 1.0


def _indel_cost(a: str) -> float:
    return 0.6 if a in _VOWELS else 1.0


def sound_distance(a: str, b: str, limit: float) -> float:
    """Weighted edit distance between two phoneme strings; anything above `limit` is inf."""
    if abs(len(a) - len(b)) > limit + 1:
        return float("inf")
    prev = [0.0]
    for ch in b:
        prev.append(prev[-1] + _indel_cost(ch))
    for ca in a:
        cur = [prev[0] + _indel_cost(ca)]
        for j, cb in enumerate(b):
            cur.append(min(prev[j] + _sub_cost(ca, cb), prev[j + 1] + _indel_cost(ca),
                           cur[j] + _indel_cost(cb)))
        if min(cur) > limit:
            return float("inf")
        prev = cur
    return prev[-1] if prev[-1] <= limit else float("inf")


@dataclass(frozen=True)
class SoundEntry:
    field: str
    value: Any
    phrase: tuple[str, ...]
    key: str


@dataclass(frozen=True)
class SoundMatch:
    field: str
    value: Any
    phrase: tuple[str, ...]
    distance: float
    """Edit distance over the phrase's sound length (0 = sounds the same)."""


TOLERANCE = 0.34
"""Largest distance per phoneme still taken as the phrase (about one sound in three)."""
ONSET_PENALTY = 0.5
"""Extra cost when the first consonants differ (and are not near sounds)."""
MIN_KEY = 5
"""Phrases shorter than this many phonemes are too short to guess at ("oat", "dark")."""


class SoundIndex:
    """The order vocabulary by sound, for matching stretches of a transcript."""

    def __init__(self, entries: Iterable[tuple[str, Any, tuple[str, ...]]]) -> None:
        seen: set[tuple[str, str]] = set()
        self.entries: list[SoundEntry] = []
        for field, value, phrase in entries:
            key = sounds(" ".join(phrase))
            if len(key) < MIN_KEY or (field, key) in seen:
                continue
            seen.add((field, key))
            self.entries.append(SoundEntry(field, value, phrase, key))
        log.debug("sound index: %d phrases", len(self.entries))

    def best(self, words: list[str], fields: set[str]) -> SoundMatch | None:
        """The vocabulary phrase of `fields` that `words` sound most like, if close enough."""
        key = sounds(" ".join(words))
        if len(key) < MIN_KEY - 2:
            return None
        return self._best(key, frozenset(fields))

    @lru_cache(maxsize=4096)  # noqa: B019 - one index per process; drivers repeat themselves
    def _best(self, key: str, fields: frozenset[str]) -> SoundMatch | None:
        best: SoundMatch | None = None
        onset = _first_consonant(key)
        for e in self.entries:
            if e.field not in fields:
                continue
            # A recogniser seldom mishears how a word starts: a different first consonant
            # costs half an edit more ("white" is not "chai tea", "full milk" is whole milk).
            other = _first_consonant(e.key)
            extra = 0.0 if onset == other or (onset, other) in _NEAR else ONSET_PENALTY
            limit = TOLERANCE * len(e.key) - extra
            if limit <= 0:
                continue
            d = sound_distance(key, e.key, limit)
            if d == float("inf"):
                continue
            d += extra
            ratio = d / len(e.key)
            if best is None or ratio < best.distance:
                best = SoundMatch(e.field, e.value, e.phrase, ratio)
        return best
