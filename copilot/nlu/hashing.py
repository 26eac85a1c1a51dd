"""The feature hashing of scikit-learn, without importing scikit-learn at run time.

The understanding's heads were trained on scikit-learn's `HashingVectorizer` and
`FeatureHasher` (signed 32-bit MurmurHash3 of the UTF-8 feature, seed 0, index
|h| mod n_features, alternate_sign=False, l2 rows for the vectorizer). Importing scikit-learn
for that costs 52-58 MB resident (its package import pulls in most of scipy, joblib and
more; measured by `copilot bench listen`), so inference hashes here: the same n-grams, the
same hash, the same float64 rows summed in the same order, so the same matrices
(tests/test_nlu_hashing.py compares them with scikit-learn's, bit for bit). Training still
uses scikit-learn.
"""

from __future__ import annotations

import functools
import re
import struct
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scipy import sparse

_M = 0xFFFFFFFF
_WHITE_SPACES = re.compile(r"\s\s+")


def murmurhash3_32(data: bytes, seed: int = 0) -> int:
    """MurmurHash3 x86 32-bit, as a signed int (scikit-learn's `murmurhash3_bytes_s32`)."""
    c1, c2 = 0xCC9E2D51, 0x1B873593
    h = seed & _M
    n = len(data)
    end = n & ~3
    for (k,) in struct.iter_unpack("<I", data[:end]):
        k = (k * c1) & _M
        k = ((k << 15) | (k >> 17)) & _M
        h ^= (k * c2) & _M
        h = ((h << 13) | (h >> 19)) & _M
        h = (h * 5 + 0xE6546B64) & _M
    tail = n & 3
    if tail:
        k = 0
        if tail == 3:
            k ^= data[end + 2] << 16
        if tail >= 2:
            k ^= data[end + 1] << 8
        k ^= data[end]
        k = (k * c1) & _M
        k = ((k << 15) | (k >> 17)) & _M
        h ^= (k * c2) & _M
    h ^= n
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _M
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _M
    h ^= h >> 16
    return h - (1 << 32) if h & 0x80000000 else h


@functools.lru_cache(maxsize=1 << 16)
def _hash(feature: str) -> int:
    """Features repeat (character n-grams above all): most calls are a dictionary look-up."""
    return murmurhash3_32(feature.encode("utf-8"))


def _index(feature: str, n_features: int) -> int:
    h = _hash(feature)
    if h == -2147483648:                 # abs() of INT_MIN: scikit-learn's special case
        return (2147483647 - (n_features - 1)) % n_features
    return abs(h) % n_features


def _rows(features: Iterable[list[str]], n_features: int, l2: bool) -> sparse.csr_matrix:
    """One CSR row per feature list, counts summed per index (sorted), float64; with `l2`
    each row divided by its norm, the squares added in index order as scikit-learn does."""
    import numpy as np
    from scipy import sparse

    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for feats in features:
        counts: dict[int, int] = {}
        for f in feats:
            k = _index(f, n_features)
            counts[k] = counts.get(k, 0) + 1
        keys = sorted(counts)
        values = [float(counts[k]) for k in keys]
        if l2:
            total = 0.0
            for v in values:
                total += v * v
            if total != 0.0:
                norm = float(np.sqrt(total))
                values = [v / norm for v in values]
        indices += keys
        data += values
        indptr.append(len(indices))
    return sparse.csr_matrix((np.asarray(data, dtype=np.float64),
                              np.asarray(indices, dtype=np.int32),
                              np.asarray(indptr, dtype=np.int32)),
                             shape=(len(indptr) - 1, n_features))


def _word_ngrams(tokens: list[str], lo: int, hi: int) -> list[str]:
    out = list(tokens) if lo == 1 else []
    for n in range(max(lo, 2), min(hi + 1, len(tokens) + 1)):
        out += [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
    return out


def _char_ngrams(text: str, lo: int, hi: int) -> list[str]:
    text = _WHITE_SPACES.sub(" ", text)
    out = list(text) if lo == 1 else []
    for n in range(max(lo, 2), min(hi + 1, len(text) + 1)):
        out += [text[i:i + n] for i in range(len(text) - n + 1)]
    return out


def _char_wb_ngrams(text: str, lo: int, hi: int) -> list[str]:
    out: list[str] = []
    for w in _WHITE_SPACES.sub(" ", text).split():
        w = f" {w} "
        for n in range(lo, hi + 1):
            offset = 0
            out.append(w[offset:offset + n])
            while offset + n < len(w):
                offset += 1
                out.append(w[offset:offset + n])
            if offset == 0:                  # a word shorter than n: counted once
                break
    return out


class HashingVectorizer:
    """scikit-learn's `HashingVectorizer(n_features, analyzer, ngram_range, lowercase,
    tokenizer=str.split, token_pattern=None, alternate_sign=False, norm="l2")` for the
    analyzers used here: "word" (with a tokenizer), "char" and "char_wb"."""

    def __init__(self, n_features: int, analyzer: str, ngram_range: tuple[int, int] = (1, 1),
                 lowercase: bool = True, tokenizer: Callable[[str], list[str]] | None = None
                 ) -> None:
        if analyzer == "word" and tokenizer is None:
            raise ValueError("a word analyzer needs a tokenizer here")
        if analyzer not in ("word", "char", "char_wb"):
            raise ValueError(f"analyzer {analyzer!r} not supported")
        self.n_features = n_features
        self.analyzer = analyzer
        self.ngram_range = ngram_range
        self.lowercase = lowercase
        self.tokenizer = tokenizer

    def analyse(self, doc: str) -> list[str]:
        if self.lowercase:
            doc = doc.lower()
        lo, hi = self.ngram_range
        if self.analyzer == "word":
            assert self.tokenizer is not None
            return _word_ngrams(self.tokenizer(doc), lo, hi)
        if self.analyzer == "char":
            return _char_ngrams(doc, lo, hi)
        return _char_wb_ngrams(doc, lo, hi)

    def transform(self, docs: Iterable[str]) -> sparse.csr_matrix:
        return _rows((self.analyse(d) for d in docs), self.n_features, l2=True)


class FeatureHasher:
    """scikit-learn's `FeatureHasher(n_features, input_type="string", alternate_sign=False)`."""

    def __init__(self, n_features: int) -> None:
        self.n_features = n_features

    def transform(self, rows: Iterable[list[str]]) -> sparse.csr_matrix:
        return _rows(rows, self.n_features, l2=False)
