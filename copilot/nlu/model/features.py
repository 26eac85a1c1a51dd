"""The featuriser: hashed word and character n-grams, language-agnostic.

Words come from `text.normalise` (lower case, fillers dropped), so "uh take me, like, home"
and "take me home" look alike; character 2-4-grams inside word boundaries carry spelling
variants and scripts without spaces between morphemes (Korean works unchanged). A second,
"skeleton" view replaces what the rules recognised (places, times) by their kind, so the
model learns "take me to PLACE by TIME" once rather than per place; that is how the rules
serve as features. Hashing needs no vocabulary file: the weights are the only artefact.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from copilot.nlu.text import normalise

if TYPE_CHECKING:
    from scipy import sparse

log = logging.getLogger(__name__)

N_FEATURES = 2**16
"""Hash buckets per view; with 11 labels the float16 weights stay near 1.5 MB per view."""


@dataclass(frozen=True)
class FeatureSpec:
    n_features: int = N_FEATURES
    char_ngrams: tuple[int, int] = (2, 4)
    word_ngrams: tuple[int, int] = (1, 2)


def rules_view(skeleton: str, intent: str, confidence: float) -> str:
    """The skeleton plus the rules' own intent and how sure they were, as extra tokens: the
    model learns where the rules can be trusted (in-car phrasings) and where not (other
    assistants' requests)."""
    band = "high" if confidence >= 0.85 else "mid" if confidence >= 0.6 else "low"
    return f"{skeleton} RULE={intent} RULE={intent}:{band}"


def _words(text: str) -> list[str]:
    return [t for t in normalise(text) if t != ","]


class Featuriser:
    """Text -> one sparse row: words, char n-grams and the rules' skeleton, hashed."""

    def __init__(self, spec: FeatureSpec | None = None) -> None:
        # scikit-learn's hashing, without importing scikit-learn (52 MB resident)
        from copilot.nlu.hashing import HashingVectorizer

        self.spec = spec or FeatureSpec()
        n = self.spec.n_features
        self._words = HashingVectorizer(n, "word", self.spec.word_ngrams, lowercase=False,
                                        tokenizer=str.split)
        self._chars = HashingVectorizer(n, "char_wb", self.spec.char_ngrams, lowercase=True)
        self._skeleton = HashingVectorizer(n, "word", (1, 3), lowercase=False,
                                           tokenizer=str.split)

    @property
    def width(self) -> int:
        return 3 * self.spec.n_features

    def transform(self, texts: list[str], skeletons: list[str]) -> sparse.csr_matrix:
        import numpy as np
        from scipy import sparse

        words = [" ".join(_words(t)) for t in texts]
        blocks = [self._words.transform(words), self._chars.transform(words),
                  self._skeleton.transform(["<s> " + s + " </s>" for s in skeletons])]
        return sparse.hstack(blocks, format="csr", dtype=np.float32)
