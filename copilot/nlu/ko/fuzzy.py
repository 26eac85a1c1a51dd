"""One-letter typos in Korean place words: "공함으로" still names the airport.

A Hangul syllable is three letters (jamo: initial, vowel, optional final); a phone keyboard
typo or a mis-hearing usually changes one of them. A phrase of two or more syllables matches
a stretch of the utterance that differs from it in exactly one letter of one syllable.
One-syllable phrases ("집", "빵") must match exactly: one letter off is another common word.
"""

from __future__ import annotations

import logging

from copilot.nlu.ko.lexicon import Entry, KoLexicon

log = logging.getLogger(__name__)

_HANGUL_FIRST, _HANGUL_LAST = 0xAC00, 0xD7A3
MIN_SYLLABLES = 2


def jamo(ch: str) -> tuple[int, int, int] | None:
    """(initial, vowel, final) indexes of a Hangul syllable, or None for anything else."""
    code = ord(ch)
    if not _HANGUL_FIRST <= code <= _HANGUL_LAST:
        return None
    offset = code - _HANGUL_FIRST
    return offset // 588, (offset % 588) // 28, offset % 28


def one_letter_apart(a: str, b: str) -> bool:
    """Two different Hangul syllables that differ in exactly one of their three letters."""
    ja, jb = jamo(a), jamo(b)
    if ja is None or jb is None or ja == jb:
        return False
    return sum(x != y for x, y in zip(ja, jb, strict=True)) == 1


_Index = dict[tuple[int, str], list[tuple[str, Entry]]]
_indexes: dict[int, _Index] = {}


def _masked(lex: KoLexicon) -> _Index:
    """(position, phrase with that syllable masked) -> the phrases (all-Hangul, long enough)."""
    if id(lex) in _indexes:
        return _indexes[id(lex)]
    index: _Index = {}
    for phrase, entry in lex.places.items():
        if phrase not in lex.fuzzy_ok or (entry.category is None and entry.saved is None):
            continue
        if len(phrase) < MIN_SYLLABLES or any(jamo(ch) is None for ch in phrase):
            continue
        for p in range(len(phrase)):
            index.setdefault((p, phrase[:p] + "_" + phrase[p + 1:]), []).append((phrase, entry))
    _indexes[id(lex)] = index
    return index


def fuzzy_match(c: str, i: int, lex: KoLexicon) -> tuple[int, Entry] | None:
    """The longest phrase one letter away from c[i:i+n], as (n, entry), or None."""
    index = _masked(lex)
    longest = min(lex.longest, len(c) - i)
    for n in range(longest, MIN_SYLLABLES - 1, -1):
        s = c[i:i + n]
        if any(jamo(ch) is None for ch in s):
            continue
        if s in lex.places:
            return None                  # an exact word (maybe a non-place) is not a typo
        for p in range(n):
            for phrase, entry in index.get((p, s[:p] + "_" + s[p + 1:]), []):
                if one_letter_apart(s[p], phrase[p]):
                    return n, entry
    return None
