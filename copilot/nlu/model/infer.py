"""Inference with the shipped intent weights: text (+ the rules' skeleton) -> label scores.

The scores are one linear head over hashed n-grams and, when the weights hold `dense_coef`,
the all-MiniLM-L6-v2 sentence embedding of the text (`encoder.py`).

The weights are plain arrays (`data/intent.npz`): no pickles, nothing executed on load.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from copilot.nlu.model.features import FeatureSpec, Featuriser

if TYPE_CHECKING:
    from copilot.nlu.model.encoder import SentenceEncoder

log = logging.getLogger(__name__)

DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "data" / "intent.npz"


@dataclass(frozen=True)
class Prediction:
    label: str
    """A contract intent, or refused_harmful / unsupported_service."""
    probability: float
    scores: dict[str, float]


def _softmax(logits: np.ndarray) -> np.ndarray:
    p = np.exp(logits - logits.max())
    return p / p.sum()


class IntentModel:
    """Loads the weights once; `predict` is a sparse dot product and a softmax.

    Weights with `dense_coef` add the sentence embedding (times `dense_scale`) to the
    n-gram logits. Weights with `gate_coef` put an n-gram-only head in front: when it is at
    least `gate` sure, its answer stands and the encoder is not run (most in-car requests;
    that keeps the median near the n-gram model's few milliseconds)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or DEFAULT_WEIGHTS
        with np.load(self.path, allow_pickle=False) as z:
            self.coef = z["coef"].astype(np.float32).T.copy()      # (features, labels)
            self.intercept = z["intercept"].astype(np.float32)
            self.labels = [str(x) for x in z["labels"]]
            self.data_sha = str(z["data_sha"])
            n = int(z["n_features"])
            files = set(z.files)
            self.dense_coef = z["dense_coef"].astype(np.float32).T.copy() if "dense_coef" in \
                files else None                                     # (384, labels)
            self.dense_scale = float(z["dense_scale"]) if "dense_scale" in files else 0.0
            self.gate_coef = z["gate_coef"].astype(np.float32).T.copy() if "gate_coef" in \
                files else None
            self.gate_intercept = z["gate_intercept"].astype(np.float32) if "gate_coef" in \
                files else None
            self.gate = float(z["gate"]) if "gate" in files else 1.0
        self.encoder: SentenceEncoder | None = None
        self._encoder_failed = False
        self.features = Featuriser(FeatureSpec(n_features=n))
        if self.coef.shape[0] != self.features.width:
            raise ValueError(f"{self.path}: weights do not fit the featuriser")
        self.encoded = 0
        """How many predictions ran the encoder (the rest the gate answered)."""

    def predict(self, text: str, skeleton: str) -> Prediction:
        x = self.features.transform([text], [skeleton])
        if self.gate_coef is not None and self.gate_intercept is not None:
            p = _softmax(np.asarray(x @ self.gate_coef).ravel() + self.gate_intercept)
            if p.max() >= self.gate:
                return self._prediction(p)
            encoder = self._load_encoder()
            if encoder is None:                  # no encoder: the gate's answer stands
                return self._prediction(p)
        logits = np.asarray(x @ self.coef).ravel() + self.intercept
        if self.dense_coef is not None:
            encoder = self._load_encoder()
            if encoder is None:
                raise RuntimeError(f"{self.path} needs the sentence encoder, which did not load")
            # float16 rounding as in training (`encoder.embed_rows`)
            emb = encoder.encode([text]).astype(np.float16).astype(np.float32)
            logits += self.dense_scale * (emb @ self.dense_coef).ravel()
            self.encoded += 1
        return self._prediction(_softmax(logits))

    def _load_encoder(self) -> SentenceEncoder | None:
        """Loaded at the first utterance the gate is unsure of (start-up stays short)."""
        if self.encoder is None and not self._encoder_failed and self.dense_coef is not None:
            try:
                from copilot.nlu.model.encoder import shared_encoder
                self.encoder = shared_encoder()
            except Exception as exc:             # missing package, unreadable zip
                log.warning("sentence encoder unavailable (%s); n-gram head only", exc)
                self._encoder_failed = True
        return self.encoder

    def _prediction(self, p: np.ndarray) -> Prediction:
        k = int(p.argmax())
        return Prediction(self.labels[k], float(p[k]),
                          {lab: float(v) for lab, v in zip(self.labels, p, strict=True)})
