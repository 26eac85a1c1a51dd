"""Order repair by the recogniser's own scores: the menu's words, weighed against the audio.

In kitchen noise Whisper writes an order with its details half heard ("a trip a shot", "a
little bit of brachu", "tapuccino"): the words that carry the order are the ones it is least
sure of. A grammar-constrained recogniser (Picovoice Rhino) would only ever consider menu
words there. This module does the same after the fact, for orders only:

1. the transcript is read by the order parser (`copilot.nlu.orders`); a request that carries
   no order is returned untouched, so navigation and everything else stay open-vocabulary;
2. the stretches that may hold a menu detail are collected: every order word heard (exactly
   or by sound), every run of unknown words near one, and each such run joined with the
   order word beside it ("trip" + "a shot");
3. each stretch gets the few menu phrases that sound most like it (the order grammar:
   every phrase of `copilot/nlu/data/orders.yaml`, compared by `order_sounds`);
4. every candidate transcript (one stretch replaced) is scored by Whisper's decoder on the
   same encoded audio, teacher-forced (CTranslate2's `Whisper.align`, which returns each
   text token's probability), without the domain prompt, so the audio decides, not the bias;
5. a replacement is kept only when the whole transcript becomes more likely than what was
   heard (sum of token log-probabilities, end of text included); non-overlapping winners
   are combined and the combination is kept only if it scores better still.

The grammar comes from the copilot's own vocabulary, never from any recording or label.
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
"""Menu phrases tried per stretch (the closest by sound)."""
LOOSE = 0.75
"""Largest sound distance per phoneme for a menu phrase to be tried at all."""
REACH = 4
"""Unknown words this close (in words) to an order word may hold a misheard detail."""
MAX_RUN = 3
MIN_GAIN = 0.0
"""Log-probability a replacement must gain over what was heard (0: simply more likely)."""
_PROB_FLOOR = 1e-9
# Order words that make an utterance an order on their own (a size or roast alone does not).
_ORDER_FIELDS = {"drink", "shots", "milk", "sweetener", "flavor"}
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


@dataclass(frozen=True)
class Repair:
    text: str
    changed: bool
    scored: int
    """Candidate transcripts scored by the decoder (the CPU cost is about linear in it)."""
    ms: float
    gain: float = 0.0
    """Log-probability gained over the transcript as heard."""


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

    def add(i: int, j: int, field: str | None) -> None:
        said = " ".join(n for n in norm[i:j] if n)
        if said and (i, j) not in out:
            out[(i, j)] = Stretch(i, j, said, field)

    for w in found:
        if w.field != "amount":
            add(w.start, w.end, w.field)
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
        # The run joined with the order word next to it (over one frame word at most):
        # "trip" + "a shot" may be "triple shot".
        for w in found:
            if w.field == "amount":
                continue
            if 0 <= w.start - j <= 1:
                add(i, w.end, w.field)
            elif 0 <= i - w.end <= 1:
                add(w.start, j, w.field)
    return sorted(out.values(), key=lambda s: (s.start, s.end))


def nearest_phrases(said: str, n: int = NEAREST) -> list[Phrase]:
    """The menu phrases (one per value) that sound most like `said`, closest first."""
    from copilot.nlu.order_sounds import sound_distance, sounds

    key = sounds(said)
    if not key:
        return []
    best: dict[tuple[str, str], tuple[float, Phrase]] = {}
    for p in order_phrases():
        if p.text == said:
            continue
        limit = LOOSE * max(len(p.key), len(key))
        d = sound_distance(key, p.key, limit)
        if d == math.inf:
            continue
        ratio = d / max(len(p.key), len(key))
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

    def score(self, texts: Sequence[str]) -> list[float]:
        import ctranslate2

        if not texts:
            return []
        tokens = [[*self._tok.encode(" " + t.strip()), self._tok.eot] for t in texts]
        batch = ctranslate2.StorageView.from_array(
            np.ascontiguousarray(np.repeat(self._encoded, len(texts), axis=0)))
        results = self._model.align(batch, self._start, tokens, [self._frames] * len(texts))
        self.calls += len(texts)
        return [float(sum(math.log(max(p, _PROB_FLOOR)) for p in r.text_token_probs))
                for r in results]


def repair(text: str, scorer: Scorer) -> Repair:
    """The transcript with menu details the decoder finds more likely (module doc)."""
    t0 = time.perf_counter()
    words = text.split()
    spots = stretches(words)
    if not spots:
        return Repair(text, False, 0, 0.0)
    trials: list[tuple[Stretch, Phrase, str]] = []
    for s in spots:
        for p in nearest_phrases(s.said):
            trials.append((s, p, " ".join(_replace(words, s, p.text))))
    scores = scorer.score([text] + [t for _, _, t in trials])
    base = scores[0]
    wins = sorted(((sc - base, s, p) for (s, p, _), sc in zip(trials, scores[1:], strict=True)
                   if sc - base > MIN_GAIN), key=lambda x: -x[0])
    if not wins:
        return Repair(text, False, len(scores), (time.perf_counter() - t0) * 1000)
    chosen: list[tuple[float, Stretch, Phrase]] = []
    for gain, s, p in wins:
        if all(s.end <= c.start or s.start >= c.end for _, c, _ in chosen):
            chosen.append((gain, s, p))
    best_gain, best_s, best_p = chosen[0]
    out_words = _replace(words, best_s, best_p.text)
    out_gain = best_gain
    if len(chosen) > 1:
        combined = list(words)
        for _, s, p in sorted(chosen, key=lambda c: -c[1].start):   # right to left
            combined = _replace(combined, s, p.text)
        (sc,) = scorer.score([" ".join(combined)])
        if sc - base > best_gain:
            out_words, out_gain = combined, sc - base
    out = " ".join(out_words)
    ms = (time.perf_counter() - t0) * 1000
    log.debug("order repair %r -> %r (+%.2f, %d scored, %.0f ms)", text, out, out_gain,
              scorer.calls, ms)
    return Repair(out, True, scorer.calls, ms, out_gain)
