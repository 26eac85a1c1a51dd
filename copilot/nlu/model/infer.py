"""Inference with the shipped intent weights: text (+ the rules' skeleton) -> label scores.

The weights are plain arrays (`data/intent.npz`): no pickles, nothing executed on load.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from copilot.nlu.model.features import FeatureSpec, Featuriser

log = logging.getLogger(__name__)

DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "data" / "intent.npz"


@dataclass(frozen=True)
class Prediction:
    label: str
    """A contract intent, or refused_harmful / unsupported_service."""
    probability: float
    scores: dict[str, float]


class IntentModel:
    """Loads the weights once; `predict` is a sparse dot product and a softmax."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or DEFAULT_WEIGHTS
        with np.load(self.path, allow_pickle=False) as z:
            self.coef = z["coef"].astype(np.float32).T.copy()      # (features, labels)
            self.intercept = z["intercept"].astype(np.float32)
            self.labels = [str(x) for x in z["labels"]]
            self.data_sha = str(z["data_sha"])
            n = int(z["n_features"])
        self.features = Featuriser(FeatureSpec(n_features=n))
        if self.coef.shape[0] != self.features.width:
            raise ValueError(f"{self.path}: weights do not fit the featuriser")

    def predict(self, text: str, skeleton: str) -> Prediction:
        x = self.features.transform([text], [skeleton])
        logits = np.asarray(x @ self.coef).ravel() + self.intercept
        p = np.exp(logits - logits.max())
        p /= p.sum()
        k = int(p.argmax())
        return Prediction(self.labels[k], float(p[k]),
                          {lab: float(v) for lab, v in zip(self.labels, p, strict=True)})
