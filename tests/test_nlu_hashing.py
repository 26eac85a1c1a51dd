"""copilot.nlu.hashing gives scikit-learn's hashed matrices bit for bit (the heads were
trained on scikit-learn's), without importing scikit-learn at run time."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from copilot.nlu.hashing import FeatureHasher, HashingVectorizer, murmurhash3_32

sk_text = pytest.importorskip("sklearn.feature_extraction.text")
ROOT = Path(__file__).resolve().parents[1]


def _same(a: object, b: object) -> bool:
    a, b = a.tocsr(), b.tocsr()                                  # type: ignore[attr-defined]
    a.sort_indices()
    b.sort_indices()
    return (a.shape == b.shape and a.data.dtype == b.data.dtype
            and np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
            and np.array_equal(a.data, b.data))


def _texts() -> list[str]:
    rng = random.Random(0)
    noise = ["".join(rng.choice("ab xyz공항줘é-'0\t") for _ in range(rng.randint(0, 12)))
             for _ in range(300)]
    rows = [json.loads(x)["text"] for f in ("understand.jsonl", "ko_dev.jsonl")
            for x in (ROOT / "eval" / f).read_text(encoding="utf-8").splitlines() if x.strip()]
    return rows + noise


def test_murmurhash_is_scikit_learns() -> None:
    from sklearn.utils import murmurhash3_32 as reference

    for t in _texts():
        assert murmurhash3_32(t.encode()) == reference(t.encode(), seed=0, positive=False)


@pytest.mark.parametrize(("analyzer", "ngrams", "lowercase"), [
    ("word", (1, 2), False), ("word", (1, 3), False), ("word", (1, 1), False),
    ("char_wb", (2, 4), True), ("char", (1, 3), True), ("char", (2, 4), True),
    ("char", (1, 4), True)])
def test_vectorizers_give_scikit_learns_rows(analyzer: str, ngrams: tuple[int, int],
                                             lowercase: bool) -> None:
    texts = _texts()
    ours = HashingVectorizer(2**16, analyzer, ngrams, lowercase=lowercase,
                             tokenizer=str.split if analyzer == "word" else None)
    ref = sk_text.HashingVectorizer(
        n_features=2**16, analyzer=analyzer, ngram_range=ngrams, lowercase=lowercase,
        tokenizer=str.split if analyzer == "word" else None, token_pattern=None,
        alternate_sign=False, norm="l2")
    assert _same(ours.transform(texts), ref.transform(texts))


def test_feature_hasher_gives_scikit_learns_rows() -> None:
    from sklearn.feature_extraction import FeatureHasher as Reference

    from copilot.nlu.model.tagger import capitalised, token_features
    from copilot.nlu.text import normalise

    rows = [f for t in _texts() for f in token_features(normalise(t) or ["x"], capitalised(t))]
    assert _same(FeatureHasher(2**17).transform(rows),
                 Reference(n_features=2**17, input_type="string",
                           alternate_sign=False).transform(rows))


def test_understanding_does_not_import_scikit_learn() -> None:
    code = ("import sys; from copilot.nlu import Understander; u = Understander(); "
            "u.understand('take me to the airport'); u.understand('공항으로 가 줘'); "
            "print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=300, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
