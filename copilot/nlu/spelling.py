"""Typo tolerance for the copilot's own closed vocabularies ("pharmcy" -> "pharmacy").

A typed word is corrected only when all of these hold:
- it is not itself a known English word (`data/known_words.txt`: the words of the model's
  training corpus said at least twice, plus the whole words of the sentence encoder's
  WordPiece vocabulary; regenerate with `python -m copilot.nlu.spelling`), nor a vocabulary word;
- it is within the length-dependent Damerau-Levenshtein bound (transposition = 1 edit) of
  exactly one vocabulary word at the smallest distance (a tie is not guessed at);
- the vocabulary is closed: category phrases, brands, drink words, saved-place words, the
  intent cues' words and route-preference words. A corrected word becomes that vocabulary
  word; an unknown word with no such neighbour stays as typed, so no place is invented.
Candidates come from a delete-neighbourhood index (SymSpell-style), so a lookup costs
microseconds, not a scan of the vocabulary.
"""

from __future__ import annotations

import logging
import re
import sys
from collections import Counter
from collections.abc import Iterable
from functools import cache
from importlib import resources
from itertools import combinations
from pathlib import Path

log = logging.getLogger(__name__)

_WORD = re.compile(r"[A-Za-z][A-Za-z']*")
_ALPHA = re.compile(r"[a-z]+(?:'[a-z]+)?")
KNOWN_FILE = "known_words.txt"
MIN_CORPUS_COUNT = 2
"""A corpus word said once may be a typo itself (public.tsv has "resturant" once)."""
MIN_TARGET = 3
"""Vocabulary words this short are targets ("gass" -> gas); typed words under 3 letters are
never corrected (`bound`)."""
MAX_WORD = 24
"""Longer tokens are not words a driver types (URLs, hashes): left alone."""
_EXTRA_VOCAB = (
    # Command and trip words the cues spell as regex alternatives or that the dialog needs.
    "navigate navigation directions route destination avoid avoiding highway highways "
    "freeway freeways interstate motorway tolls toll ferries ferry unpaved cancel remove "
    "nearest closest along minutes miles arrive leave airport home work office coffee fuel "
    "stop find take drive head want need grab remove skip cancel "
    "station restroom bathroom tonight tomorrow morning afternoon evening quarter thirty "
    "fifteen forty fifty twenty eleven twelve seven eight three please "
    # Question words: "hwo long to the airport" must read as a question.
    "how what when where which long far much many clear range charge battery tank"
)


def bound(word: str) -> int:
    """Edits allowed for a word of this length: 0 under 3 letters, 1 for 3-7, 2 for 8+.
    A three-letter word is corrected only when it is no English word at all (the known list
    holds three-letter words too, so "him", "ham" stay), and only for a dropped or swapped
    letter ("hom" -> home, "gsa" -> gas): a changed letter in three is as often a code or a
    name ("atl" is Atlanta's airport, not "atm")."""
    n = len(word)
    return 0 if n < 3 else 1 if n < 8 else 2


def damerau_levenshtein(a: str, b: str) -> int:
    """Optimal-string-alignment distance: insert, delete, substitute, swap neighbours."""
    if a == b:
        return 0
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]


def _deletes(word: str, n: int) -> set[str]:
    """Every string made by deleting up to n letters of word (word included)."""
    out = {word}
    for k in range(1, min(n, len(word) - 1) + 1):
        for idx in combinations(range(len(word)), k):
            out.add("".join(c for i, c in enumerate(word) if i not in idx))
    return out


def vocabulary_words() -> set[str]:
    """The closed vocabulary the copilot owns, as single lower-case words."""
    from copilot.nlu import places
    from copilot.nlu.lexicon import lexicon

    lex = lexicon()
    words: set[str] = set(_EXTRA_VOCAB.split())
    for phrase in list(lex.places) + [p for t in lex.order_words.values() for p in t]:
        words.update(phrase)
    # The intent cues' words are not taken: most are everyday words ("away", "money",
    # "near") whose neighbours are names in TOP ("amway", "monet"); _EXTRA_VOCAB holds the
    # command words instead.
    for group in (places._HEADS, places._FAMILY, set(places._SAVED_BARE)):
        for w in group:
            words.update(w.split())
    return {w for w in words if _ALPHA.fullmatch(w) and len(w) >= MIN_TARGET}


def place_words() -> set[str]:
    """Words of category phrases and brand names: preferred at equal distance."""
    from copilot.nlu.lexicon import lexicon

    return {w for phrase in lexicon().places for w in phrase}


class Speller:
    """Corrects typed words onto a closed vocabulary; never raises for str input."""

    def __init__(self, vocabulary: Iterable[str], known: Iterable[str],
                 preferred: Iterable[str] = ()) -> None:
        self.vocab = frozenset(w.lower() for w in vocabulary if len(w) >= MIN_TARGET)
        self.known = frozenset(w.lower() for w in known) | self.vocab
        self.preferred = frozenset(preferred) & self.vocab
        self._index: dict[str, set[str]] = {}
        for w in self.vocab:
            # Deletes up to the bound of the longest typo that may reach w (one letter more).
            for d in _deletes(w, bound(w + "x")):
                self._index.setdefault(d, set()).add(w)

    def with_words(self, extra: Iterable[str]) -> Speller:
        """The same speller with more vocabulary (e.g. the profile's saved-place labels)."""
        more = {w for label in extra for w in label.lower().split() if _ALPHA.fullmatch(w)}
        return self if more <= self.vocab else Speller(self.vocab | more, self.known,
                                                       self.preferred)

    def correct_word(self, word: str) -> str | None:
        """The vocabulary word meant by a lower-case typed word, or None to leave it alone."""
        if (len(word) > MAX_WORD or word in self.known or bound(word) == 0
                or "'" in word):                 # possessives are names: "joel's", "dan's"
            return None
        n = bound(word)
        candidates: set[str] = set()
        for d in _deletes(word, n):
            candidates |= self._index.get(d, set())
        best: list[tuple[int, int, str]] = []
        for c in candidates:
            # The first letter is rarely the mistyped one (Pollock & Zamora 1984); a wrong
            # first letter is mostly another word or a name ("zorn", "corning").
            if c[0] != word[0] and not (word[1:2] == c[0] and word[0] == c[1:2]):
                continue
            if len(word) == 3 and len(c) != 4 and sorted(c) != sorted(word):
                continue                  # a three-letter word: dropped or swapped letters only
            dist = damerau_levenshtein(word, c)
            if 0 < dist <= n:
                # At equal distance a place word beats a cue word ("gass": gas, not pass).
                best.append((dist, 0 if c in self.preferred else 1, c))
        if not best:
            return None
        best.sort()
        tied = {c for d, t, c in best if (d, t) == best[0][:2]}
        if len(tied) == 2:
            # "tols": toll or tolls, the same thing; the one whose last letter was typed.
            short, long_ = sorted(tied, key=len)
            if long_ == short + "s":
                return long_ if word.endswith("s") else short
        if len(tied) > 1:
            log.debug("typo %r: tie between %r and %r, left alone", word, best[0][1], best[1][1])
            return None
        return best[0][2]

    def correct(self, text: str) -> str:
        """Text with each correctable word replaced (case of a first capital kept)."""
        if not isinstance(text, str) or not text:
            return text if isinstance(text, str) else ""

        def fix(m: re.Match[str]) -> str:
            typed = m.group(0)
            fixed = self.correct_word(typed.lower())
            if fixed is None:
                return typed
            log.debug("typo %r -> %r", typed, fixed)
            return fixed.capitalize() if typed[0].isupper() else fixed

        return _WORD.sub(fix, text)


def _known_from_file() -> set[str]:
    try:
        raw = resources.files("copilot.nlu").joinpath("data", KNOWN_FILE).read_text("utf-8")
    except (OSError, FileNotFoundError):
        log.warning("%s missing: only vocabulary words count as known; typos are not "
                    "corrected", KNOWN_FILE)
        return set()
    words = {w for w in raw.split() if not w.startswith("#")}
    # "dont", "cant": contractions typed without the apostrophe are words too.
    return words | {w.replace("'", "") for w in words if "'" in w}


@cache
def speller() -> Speller | None:
    """The shared speller (built once); None when the known-word list is missing, since
    correcting without it could rewrite real words."""
    known = _known_from_file()
    if not known:
        return None
    return Speller(vocabulary_words(), known, place_words())


def correct(text: str) -> str:
    """Typos of the copilot's vocabulary fixed in `text`; text unchanged if no speller."""
    s = speller()
    return text if s is None else s.correct(text)


def build_known_words() -> list[str]:
    """The known-word list: training-corpus words said >= MIN_CORPUS_COUNT times, plus the
    sentence encoder's whole-word WordPiece tokens; only words of 3+ letters are kept
    (shorter ones are never corrected anyway).

    A corpus word that is no WordPiece word and is a vocabulary word with two neighbouring
    letters swapped ("tkae", "wrok") is a typo the training data carries on purpose, not a
    word: it is left out, so it is corrected."""
    import json
    import zipfile

    from copilot.nlu.model.corpus import training_rows
    from copilot.nlu.model.encoder import model_zip

    counts: Counter[str] = Counter()
    for row in training_rows():
        counts.update(_ALPHA.findall(row.text.lower()))
    with zipfile.ZipFile(model_zip()) as z:
        name = next(n for n in z.namelist() if n.endswith("tokenizer.json"))
        vocab = json.loads(z.read(name))["model"]["vocab"]
    pieces = {w for w in vocab if w.isascii() and w.isalpha() and w.islower()}
    targets = vocabulary_words()
    swapped = {w[:i] + w[i + 1] + w[i] + w[i + 2:] for w in targets for i in range(len(w) - 1)}
    words = {w for w, c in counts.items() if c >= MIN_CORPUS_COUNT
             and (w in pieces or w in targets or w not in swapped)}
    words |= pieces
    words |= {w.replace("'", "") for w in words if "'" in w}
    return sorted(w for w in words if len(w) >= 3 and len(w) <= MAX_WORD)


def main(argv: list[str] | None = None) -> int:
    out = Path(__file__).resolve().parent / "data" / KNOWN_FILE
    words = build_known_words()
    header = ("# Known English words (never corrected by copilot/nlu/spelling.py): training-"
              "corpus words said twice or more\n# and all-MiniLM-L6-v2 whole-word tokens. "
              "Regenerate: python -m copilot.nlu.spelling\n")
    out.write_text(header + "\n".join(words) + "\n", encoding="utf-8")
    print(f"{len(words)} words -> {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
