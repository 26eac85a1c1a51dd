"""An order grammar over Whisper's output: the menu's words decide what an order's details were.

In kitchen noise Whisper writes an order with its details half heard ("a locked brown sugar",
"a simple shot", "sweet milk", "tapuccino"). A grammar-constrained recogniser (Picovoice
Rhino) only ever considers menu words there. This module brings that constraint to the
open-vocabulary decoder, for orders only, with the copilot's own vocabulary as the grammar
(every phrase of `copilot/nlu/data/orders.yaml`, never a recording or a label):

1. `choose`: of the beam's N-best transcripts (which cost nothing more), an order whose best
   reading has words the grammar cannot read among its details (`unknown_details`) takes
   the first other reading that is an order the grammar reads throughout. A best reading
   that is no order is kept, so navigation and every other request stay open-vocabulary.
2. `repair`: a detail the order parser could only read by sound ("purple shot" as some shot
   count) is a menu phrase the recogniser misspelt; which one is decided by the audio: each
   candidate (the closest-sounding values of its field, and the closest of any other field)
   is put in the transcript and scored by Whisper's decoder on the same encoded audio,
   teacher-forced (CTranslate2's `Whisper.align` gives each text token's probability; no
   domain prompt, so the audio decides, not the bias). The likeliest transcript is kept.
3. `copilot.speech.fill`: an unknown word where the order's own words say a detail must be
   ("chicken shot", "a little bit of sweetheart") is decided the same way, among that
   detail's phrases only.

Measured side by side by `copilot eval listen --engine whisper --engine whisper:norepair`.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

NEAREST = 3
"""Values of the heard field tried per sound-alike (the closest by sound)."""
NEAREST_OTHER = 1
"""Phrases of other fields tried per sound-alike."""
# Details worth the decoder's time: what a general recogniser mangles and the parser then
# guesses by sound.
_RESOLVED_FIELDS = {"drink", "shots", "milk", "sweetener", "size", "roast"}
LOOSE = 0.6
"""Largest sound distance per phoneme of a menu phrase for it to be tried at all (the
parser itself takes 0.34 as the phrase)."""
REACH = 4
"""Unknown words this close (in words) to an order word may hold a misheard detail."""
MAX_RUN = 3
_PROB_FLOOR = 1e-9
# Order words that make an utterance an order without a drink heard (a size or roast alone
# does not: "a large hotel", "the light").
_ORDER_FIELDS = {"shots", "milk", "sweetener"}
# Words of the request around an order, never a detail (the parser's frame words and a few
# of the same kind it does not need).
_EXTRA_FRAME = {"me", "us", "please", "thanks", "thank", "that", "this", "what", "it's",
                "i'll", "will", "we", "they", "our", "your", "at", "from", "just", "oh",
                "yes", "no", "okay", "ok", "so", "but", "or", "are", "was", "am"}


@dataclass(frozen=True)
class Phrase:
    """One way of saying a menu detail, as a transcript writes it."""

    field: str
    value: Any
    text: str
    key: str
    """How it sounds (`order_sounds.sounds`)."""


@dataclass(frozen=True)
class Stretch:
    """Words [start, end) of the transcript that may hold a menu detail."""

    start: int
    end: int
    said: str
    field: str | None
    """The order field the parser heard there; None for unknown words."""
    value: Any = None
    by_sound: bool = False
    """The parser heard the detail by sound, not as said: the recogniser was unsure."""

    @property
    def sure(self) -> bool:
        """An order word heard as it is written (not a sound-alike, not unknown)."""
        return self.field is not None and not self.by_sound


@dataclass(frozen=True)
class Repair:
    text: str
    changed: bool
    scored: int
    """Candidate transcripts scored by the decoder (the CPU cost is about linear in it)."""
    ms: float


@cache
def order_phrases() -> tuple[Phrase, ...]:
    """Every phrase of the order vocabulary with its sound (the grammar of a detail)."""
    from copilot.nlu.lexicon import lexicon
    from copilot.nlu.order_sounds import sounds

    out: list[Phrase] = []
    for field, table in lexicon().order_words.items():
        for phrase, value in table.items():
            text = " ".join(phrase)
            key = sounds(text)
            if key:
                out.append(Phrase(field, value, text, key))
    return tuple(out)


@cache
def _frame_words() -> frozenset[str]:
    from copilot.nlu.orders import _FRAME_WORDS  # the parser's own frame words

    return frozenset(_FRAME_WORDS | _EXTRA_FRAME)


def norm_word(word: str) -> str:
    """A transcript word as the parser sees it: lower case, outer punctuation dropped."""
    return re.sub(r"^[^a-z0-9%]+|[^a-z0-9%']+$", "", word.lower().replace("’", "'"))


def is_order(words: Sequence[str]) -> bool:
    """The parser hears an order in these words (a drink, shots, milk, sweetener...)."""
    from copilot.nlu.orders import order_words, orders_in

    norm = [norm_word(w) for w in words]
    return bool(orders_in(norm)) or any(w.field in _ORDER_FIELDS for w in order_words(norm))


def stretches(words: Sequence[str]) -> list[Stretch]:
    """Where a menu detail may be in an order's words; none for a request without an order."""
    from copilot.nlu.orders import order_words

    norm = [norm_word(w) for w in words]
    if not is_order(words):
        return []
    found = order_words(norm)
    frame = _frame_words()
    covered = {k for w in found for k in range(w.start, w.end)}
    out: dict[tuple[int, int], Stretch] = {}

    def add(i: int, j: int, field: str | None, value: Any = None, by_sound: bool = False) -> None:
        said = " ".join(n for n in norm[i:j] if n)
        if said and (i, j) not in out:
            out[(i, j)] = Stretch(i, j, said, field, value, by_sound)

    for w in found:
        if w.field != "amount":
            add(w.start, w.end, w.field, w.value, w.by_sound)
    near = {k for w in found for k in range(w.start - REACH, w.end + REACH)}
    runs: list[tuple[int, int]] = []
    k = 0
    while k < len(norm):
        if k in near and k not in covered and norm[k] and norm[k] not in frame:
            j = k
            while j < len(norm) and j - k < MAX_RUN and j not in covered and norm[j] and \
                    norm[j] not in frame:
                j += 1
            runs.append((k, j))
            k = j
        else:
            k += 1
    for i, j in runs:
        add(i, j, None)
    return sorted(out.values(), key=lambda s: (s.start, s.end))


def nearest_phrases(said: str, n: int = NEAREST, field: str | None = None,
                    exclude: tuple[str, Any] | None = None) -> list[Phrase]:
    """The menu phrases (the closest way of saying each value) that sound most like `said`,
    closest first; only `field`'s when given, never the value `exclude` (field, value)."""
    from copilot.nlu.order_sounds import sound_distance, sounds

    key = sounds(said)
    if not key:
        return []
    best: dict[tuple[str, str], tuple[float, Phrase]] = {}
    for p in order_phrases():
        if p.text == said or (field is not None and p.field != field) or \
                (exclude is not None and (p.field, p.value) == exclude):
            continue
        # Distance per phoneme of the menu phrase, as the parser's sound match measures it.
        d = sound_distance(key, p.key, LOOSE * len(p.key))
        if d == math.inf:
            continue
        ratio = d / len(p.key)
        slot = (p.field, str(p.value))
        if slot not in best or ratio < best[slot][0]:
            best[slot] = (ratio, p)
    return [p for _, p in sorted(best.values(), key=lambda x: x[0])[:n]]


def _replace(words: Sequence[str], s: Stretch, text: str) -> list[str]:
    last = words[s.end - 1]
    tail = last[len(last.rstrip(".,?!;:")):]
    new = text + tail
    if s.start == 0:
        new = new[:1].upper() + new[1:]
    return [*words[:s.start], new, *words[s.end:]]


class Scorer:
    """Log-probability of whole transcripts given one encoded utterance (teacher-forced)."""

    def __init__(self, model: Any, encoded: Any, mel_frames: int, tokenizer: Any) -> None:
        self._model = model                       # ctranslate2.models.Whisper
        self._encoded = np.asarray(encoded)
        self._frames = mel_frames
        self._tok = tokenizer
        self._start = [*tokenizer.sot_sequence, tokenizer.no_timestamps]
        self.calls = 0

    def token_probs(self, texts: Sequence[str]) -> list[list[float]]:
        """Each text token's probability given the audio and the tokens before it."""
        import ctranslate2

        if not texts:
            return []
        tokens = [self._tok.encode(" " + t.strip()) for t in texts]
        batch = ctranslate2.StorageView.from_array(
            np.ascontiguousarray(np.repeat(self._encoded, len(texts), axis=0)))
        results = self._model.align(batch, self._start, tokens, [self._frames] * len(texts))
        self.calls += len(texts)
        # align gives the text tokens' probabilities only: the end of text is not scored.
        return [list(r.text_token_probs) for r in results]

    def score(self, texts: Sequence[str]) -> list[float]:
        """Sum of token log-probabilities of each whole text."""
        return [log_prob(p) for p in self.token_probs(texts)]

    def word_probs(self, words: Sequence[str], probs: Sequence[float]) -> list[float]:
        """The least probable token of each word (how sure the recogniser was of it)."""
        ends = [len(self._tok.encode(" " + " ".join(words[:k + 1]))) for k in range(len(words))]
        out: list[float] = []
        begin = 0
        for end in ends:
            span = probs[begin:max(begin + 1, end)]
            out.append(min(span) if span else 1.0)
            begin = max(begin, end)
        return out


def log_prob(probs: Sequence[float]) -> float:
    return float(sum(math.log(max(p, _PROB_FLOOR)) for p in probs))


def sound_alikes(words: Sequence[str]) -> list[Stretch]:
    """The order details the parser read by sound ("purple shot" as a shot count): what the
    recogniser wrote is no menu phrase, so which menu phrase it was is for the audio to say."""
    from copilot.nlu.orders import order_words

    if not is_order(words):
        return []
    norm = [norm_word(w) for w in words]
    return [Stretch(w.start, w.end, " ".join(n for n in norm[w.start:w.end] if n), w.field,
                    w.value, True)
            for w in order_words(norm) if w.by_sound and w.field in _RESOLVED_FIELDS]


def candidates(s: Stretch) -> list[Phrase]:
    """Menu phrases a sound-alike may be: the closest of its field's values, and the closest
    of any field (the parser's guess of the field may be the mistake: "sweet milk")."""
    same = nearest_phrases(s.said, NEAREST, field=s.field)
    other = [p for p in nearest_phrases(s.said, 2 * NEAREST) if p.field != s.field]
    return same + other[:NEAREST_OTHER]


def repair(text: str, scorer: Scorer, fill: bool = True) -> Repair:
    """The transcript with each sound-alike detail replaced by the menu phrase that Whisper's
    decoder finds most likely on the same audio, and with `fill` each unknown word the order
    places in a detail (module doc)."""
    t0 = time.perf_counter()
    words = text.split()
    spots = sound_alikes(words)
    trials: list[tuple[Stretch, str, str]] = []
    for s in spots:
        for p in candidates(s):
            trials.append((s, p.text, " ".join(_replace(words, s, p.text))))
    if fill:
        from copilot.speech.fill import fills

        taken = {k for s in spots for k in range(s.start, s.end)}
        for f in fills(words):
            if taken.isdisjoint(range(f.start, f.end)):
                s = Stretch(f.start, f.end, "", None)
                trials += [(s, o, " ".join(_replace(words, s, o))) for o in f.options]
    if not trials:
        return Repair(text, False, 0, 0.0)
    scores = scorer.score([t for _, _, t in trials])
    best: dict[tuple[int, int], tuple[float, Stretch, str]] = {}
    for (s, p, _), sc in zip(trials, scores, strict=True):
        if (s.start, s.end) not in best or sc > best[(s.start, s.end)][0]:
            best[(s.start, s.end)] = (sc, s, p)
    out = list(words)
    for _, s, p in sorted(best.values(), key=lambda b: -b[1].start):    # right to left
        out = _replace(out, s, p)
    new = " ".join(out)
    ms = (time.perf_counter() - t0) * 1000
    log.debug("sound-alikes %r -> %r (%d scored, %.0f ms)", text, new, len(trials), ms)
    return Repair(new, new != text, len(trials), ms)


def unknown_details(text: str) -> int:
    """How many stretches of an order's words the order grammar cannot read (unknown words
    among its details: "a locked brown sugar", "sweet mac"); -1 when the text is no order."""
    words = text.split()
    if not words or not is_order(words):
        return -1
    return sum(1 for s in stretches(words) if s.field is None)


def choose(hypotheses: Sequence[str]) -> int:
    """Which of the decoder's N-best transcripts (best first) to keep: when the best is an
    order with words the order grammar cannot read, the first other one that reads as an
    order throughout; otherwise the best. A request that is no order keeps its best reading,
    so navigation and everything else stay open-vocabulary."""
    if not hypotheses:
        return 0
    first = unknown_details(hypotheses[0])
    if first <= 0:
        return 0
    for k, text in enumerate(hypotheses[1:], start=1):
        if unknown_details(text) == 0:
            return k
    return 0
