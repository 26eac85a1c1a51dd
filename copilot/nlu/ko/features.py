"""Features of the Korean model: syllable and jamo n-grams, and what the parser read.

Korean glues particles and endings to words and drivers space them as they like, so words
are poor units: the text is read *compact* (no spaces) as syllable 1-3-grams, and as jamo
(letter) 2-4-grams, where a one-letter typo ("공함으로") still shares most n-grams with the
word. The parser's reading is a third view, as the English model's rules view is: its
skeleton (places ▣, times ◷) as syllable n-grams, and tokens for its intent and how sure it
was, which cues fired, the kinds of places and their particles' roles, a question ending.
For the role tagger, each place mention gets its kind and the syllables around it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from copilot.nlu.ko.fuzzy import jamo
from copilot.nlu.ko.parse import _ON_THE_WAY, _QUESTION, KoAnalysis

if TYPE_CHECKING:
    from scipy import sparse

log = logging.getLogger(__name__)

N_FEATURES = 2**15
"""Hash buckets per view (four views): with 9 labels, ~2 MB of float16 before compression."""
ROLE_FEATURES = 2**14
ROLES = ("dest", "stop", "drop")


def jamo_string(c: str) -> str:
    """Each Hangul syllable as its letters (conjoining jamo); other characters unchanged."""
    out: list[str] = []
    for ch in c:
        j = jamo(ch)
        if j is None:
            out.append(ch)
            continue
        i, v, f = j
        out.append(chr(0x1100 + i) + chr(0x1161 + v) + (chr(0x11A7 + f) if f else ""))
    return "".join(out)


def _band(confidence: float) -> str:
    return "high" if confidence >= 0.85 else "mid" if confidence >= 0.6 else "low"


def parser_tokens(a: KoAnalysis) -> str:
    """The parser's reading as tokens (see the module docstring)."""
    toks = [f"RULE={a.intent}", f"RULE={a.intent}:{_band(a.confidence)}"]
    toks += [f"HIT={k}" for k in sorted(a.hits)]
    if a.hits:
        toks.append("FIRST=" + min(a.hits, key=lambda k: a.hits[k]))
    toks.append(f"NM={min(len(a.mentions), 3)}")
    for m in a.mentions:
        kind = "saved" if m.entry.saved else f"cat:{m.entry.category}"
        toks += [f"K={kind}", f"R={m.role}", f"DL={m.dest_like}:{m.role}"]
    toks += [f"T={t.role}" for t in a.times]
    if _QUESTION.search(a.compact):
        toks.append("QUESTION")
    if _ON_THE_WAY.search(a.compact):
        toks.append("ON_THE_WAY")
    if a.avoid:
        toks.append("AVOID")
    if a.refusal:
        toks.append(f"REFUSAL={a.refusal}")
    return " ".join(toks)


class KoFeaturiser:
    """Analysis -> one sparse row of four hashed views."""

    def __init__(self, n_features: int = N_FEATURES) -> None:
        from copilot.nlu.hashing import HashingVectorizer

        self.n_features = n_features

        def chars(lo: int, hi: int) -> HashingVectorizer:
            return HashingVectorizer(n_features, "char", (lo, hi), lowercase=True)

        self._syllables = chars(1, 3)
        self._jamo = chars(2, 4)
        self._skeleton = chars(1, 4)
        self._tokens = HashingVectorizer(n_features, "word", lowercase=False,
                                         tokenizer=str.split)

    @property
    def width(self) -> int:
        return 4 * self.n_features

    def transform(self, analyses: list[KoAnalysis]) -> sparse.csr_matrix:
        import numpy as np
        from scipy import sparse

        text = [f"^{a.compact}$" for a in analyses]
        blocks = [self._syllables.transform(text),
                  self._jamo.transform([jamo_string(t) for t in text]),
                  self._skeleton.transform([f"^{a.skeleton}$" for a in analyses]),
                  self._tokens.transform([parser_tokens(a) for a in analyses])]
        return sparse.hstack(blocks, format="csr", dtype=np.float32)


def role_features(a: KoAnalysis, intent: str) -> list[list[str]]:
    """One feature list per place mention of `a`, for the role tagger (dest/stop/drop)."""
    c = a.compact
    out: list[list[str]] = []
    n = len(a.mentions)
    for k, m in enumerate(a.mentions):
        kind = "saved" if m.entry.saved else f"cat:{m.entry.category}"
        nxt = a.mentions[k + 1].start if k + 1 < n else len(c)
        after = c[m.end:nxt]
        before = c[a.mentions[k - 1].end if k else 0:m.start]
        f = [f"I={intent}", f"K={kind}", f"K={kind}|I={intent}", f"DL={m.dest_like}",
             f"DL={m.dest_like}|I={intent}", f"PR={m.role}", f"PR={m.role}|I={intent}",
             f"first={k == 0}", f"last={k == n - 1}", f"n={min(n, 3)}", "bias"]
        for j in (1, 2, 3, 4):
            f.append(f"a{j}={after[:j]}")
            f.append(f"a{j}={after[:j]}|I={intent}")
        for j in (1, 2, 3):
            f.append(f"b{j}={before[-j:]}")
        f.append(f"gap={min(len(after), 6)}")
        if _ON_THE_WAY.search(c[:m.start]):
            f.append("otw_before")
        if _ON_THE_WAY.search(c[m.end:]):
            f.append("otw_after")
        if a.times:
            f.append("time")
        out.append(f)
    return out
