"""The learned Korean model at inference, and how it is combined with the parser.

    from copilot.nlu.ko.model import understand_korean
    understand_korean("공항으로 가 줘. 가는 길에 햄버거랑 커피 사고 ...", mode="combined")

Modes, measured side by side by `python -m copilot.nlu.ko.evaluate`:
- "rules": the hand-written parser alone (`parse.parse_korean`).
- "model": the learned intent head decides the intent and the role tagger says which place
  mention is the destination, a stop or neither; the parser's lexicon only finds the places
  and times (it is the model's input, as the English rules are the English model's).
- "combined" (the default): the model decides the intent unless the parser is sure and the
  model is not; the parser's refusals (harm, services we cannot provide) always stand.
If the weights cannot be loaded, the parser answers alone.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from copilot.nlu.ko.features import ROLE_FEATURES, KoFeaturiser, role_features
from copilot.nlu.ko.parse import KoAnalysis, analyse, parse_korean
from routing.messages import Understanding

log = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parent / "data"
MODES = ("rules", "model", "combined")
PARSER_SURE = 0.85
"""The parser's confidence at or above which it keeps its intent..."""
MODEL_SURE = 0.5
"""...unless the model's probability for another intent is at least this."""
MOVES = frozenset({"navigate", "add_stop", "remove_stop", "cancel"})
QUESTIONS = frozenset({"ask_eta", "find_place", "ask_vehicle"})


@dataclass(frozen=True)
class KoPrediction:
    label: str
    probability: float
    scores: dict[str, float]


class KoModel:
    """Intent head and role tagger; loads both weight files once."""

    def __init__(self, folder: Path = DATA) -> None:
        from copilot.nlu.hashing import FeatureHasher

        with np.load(folder / "intent.npz", allow_pickle=False) as z:
            self.coef = z["coef"].astype(np.float32).T.copy()
            self.intercept = z["intercept"].astype(np.float32)
            self.labels = [str(x) for x in z["labels"]]
            self.data_sha = str(z["data_sha"])
            n = int(z["n_features"])
        with np.load(folder / "roles.npz", allow_pickle=False) as z:
            self.role_coef = z["coef"].astype(np.float32).T.copy()
            self.role_intercept = z["intercept"].astype(np.float32)
            self.roles = [str(x) for x in z["labels"]]
        self.features = KoFeaturiser(n)
        if self.coef.shape[0] != self.features.width:
            raise ValueError(f"{folder}: intent weights do not fit the featuriser")
        self.hasher = FeatureHasher(ROLE_FEATURES)

    def predict(self, a: KoAnalysis) -> KoPrediction:
        x = self.features.transform([a])
        logits = np.asarray(x @ self.coef).ravel() + self.intercept
        p = np.exp(logits - logits.max())
        p /= p.sum()
        k = int(p.argmax())
        return KoPrediction(self.labels[k], float(p[k]),
                            {lab: float(v) for lab, v in zip(self.labels, p, strict=True)})

    def mention_roles(self, a: KoAnalysis, intent: str) -> list[str]:
        if not a.mentions:
            return []
        x = self.hasher.transform(role_features(a, intent))
        logits = np.asarray(x @ self.role_coef) + self.role_intercept
        return [self.roles[int(k)] for k in logits.argmax(axis=1)]


_model: KoModel | None = None
_failed = False
_lock = threading.Lock()


def ko_model() -> KoModel | None:
    """The shipped Korean model, or None (logged once) when its weights cannot be loaded."""
    global _model, _failed
    with _lock:
        if _model is None and not _failed:
            try:
                _model = KoModel()
            except Exception as exc:           # no weights, no numpy: the parser answers
                log.warning("korean model unavailable (%s); parser only", exc)
                _failed = True
        return _model


def choose(a: KoAnalysis, pred: KoPrediction) -> str:
    """The combined intent: the model's, except where the parser's reading is the safer one.

    The parser keeps its intent when it is sure and the model is not, and whenever the model
    would move the car (a route, a stop, a cancel) for what the parser reads as a question
    about the trip or the car, or as another domain's request with no place in it: a
    question never routes and "노래 틀어 줘" never moves the car."""
    if pred.label == a.intent:
        return a.intent
    if a.confidence >= PARSER_SURE and pred.probability < MODEL_SURE:
        return a.intent
    if pred.label in MOVES and a.confidence >= PARSER_SURE and (
            a.intent in QUESTIONS or (a.intent == "out_of_scope" and not a.mentions)):
        return a.intent
    return pred.label


def understand_korean(text: str, error: str | None = None, mode: str = "combined",
                      model: KoModel | None = None) -> Understanding:
    """A sanitised Korean utterance -> `Understanding` in one of `MODES`."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    a = analyse(text)
    m = model or (ko_model() if mode != "rules" else None)
    if m is None or a.refusal is not None:
        return parse_korean(text, error, analysis=a)
    pred = m.predict(a)
    intent = pred.label if mode == "model" else choose(a, pred)
    roles = m.mention_roles(a, intent)
    u = parse_korean(text, error, intent=intent, roles=roles, analysis=a)
    return u.model_copy(update={"confidence": round(min(u.confidence, pred.probability)
                                                    if error is None else u.confidence, 3)})
