"""Train the Korean model (intent head + mention-role tagger) and write its weights.

    python -m copilot.nlu.ko.train       # -> copilot/nlu/ko/data/intent.npz, roles.npz

The English model's recipe (`copilot.nlu.model.train`): multinomial logistic regression
(lbfgs, random_state 0) over hashed features, rows in a fixed order from a fixed seed, every
intent weighing the same in total (`row_weights`), so the same corpus gives the same
weights on any machine with the same libraries. The corpus is `corpus.training_rows`; a row
whose text is also in an eval/*.jsonl set is dropped (those sets are for measuring only).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from copilot.nlu.ko.corpus import KoRow, corpus_sha, training_rows
from copilot.nlu.ko.features import ROLE_FEATURES, ROLES, KoFeaturiser, role_features
from copilot.nlu.ko.lexicon import compact
from copilot.nlu.ko.parse import KoAnalysis, analyse
from copilot.nlu.model.corpus import Row
from copilot.nlu.model.train import row_weights, save
from routing.messages import Intent

log = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parent / "data"
INTENT_WEIGHTS = DATA / "intent.npz"
ROLE_WEIGHTS = DATA / "roles.npz"
EVAL = Path(__file__).resolve().parents[3] / "eval"
C = 4.0
"""Inverse L2 strength of the intent head; chosen on eval/ko_dev.jsonl (never trained on)."""
ROLE_C = 2.0
MAX_ITER = 400
LABELS = tuple(i.value for i in Intent)


def evaluation_texts(folder: Path = EVAL) -> set[str]:
    """Compact texts of every evaluation set (so that none is trained on)."""
    out: set[str] = set()
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                out.add(compact(str(json.loads(line).get("text", ""))))
    return out


def gold_roles(a: KoAnalysis, labels: dict[str, Any]) -> list[str] | None:
    """dest / stop / drop per mention from a row's labels; None when a labelled place has
    no mention (a typo the lexicon did not forgive): such rows teach the intent only."""
    dest = labels["destination"]
    stops = [{k: v for k, v in s.items() if v is not None} for s in labels["stops"]]
    roles: list[str] = []
    for m in a.mentions:
        ref = {"saved": m.entry.saved} if m.entry.saved else {"category": m.entry.category}
        if dest is not None and ref == dest and "dest" not in roles:
            roles.append("dest")
        elif ref in stops:
            stops.remove(ref)
            roles.append("stop")
        else:
            roles.append("drop")
    dest_found = dest is None or "name" in dest or "dest" in roles
    return roles if dest_found and not stops else None


def fit_intent(rows: list[KoRow], analyses: list[KoAnalysis], c: float = C
               ) -> dict[str, np.ndarray]:
    feats = KoFeaturiser()
    x = feats.transform(analyses)
    labels = [lab for lab in LABELS if any(r.intent == lab for r in rows)]
    y = np.array([labels.index(r.intent) for r in rows])
    weights = row_weights([Row(r.text, r.intent, r.source) for r in rows], labels)
    model = LogisticRegression(C=c, max_iter=MAX_ITER, random_state=0)
    model.fit(x, y, sample_weight=weights)
    return {"coef": model.coef_.astype(np.float16),
            "intercept": model.intercept_.astype(np.float32), "labels": np.array(labels),
            "n_features": np.array(feats.n_features), "data_sha": np.array(corpus_sha(rows))}


def fit_roles(rows: list[KoRow], analyses: list[KoAnalysis]) -> dict[str, np.ndarray]:
    from sklearn.feature_extraction import FeatureHasher

    feats: list[list[str]] = []
    y: list[int] = []
    for r, a in zip(rows, analyses, strict=True):
        gold = gold_roles(a, r.labels)
        if not gold:
            continue
        feats += role_features(a, r.intent)
        y += [ROLES.index(g) for g in gold]
    x = FeatureHasher(n_features=ROLE_FEATURES, input_type="string",
                      alternate_sign=False).transform(feats)
    model = LogisticRegression(C=ROLE_C, max_iter=MAX_ITER, random_state=0)
    model.fit(x, np.array(y))
    log.info("role tagger: %d mentions", len(y))
    return {"coef": model.coef_.astype(np.float16),
            "intercept": model.intercept_.astype(np.float32),
            "labels": np.array([ROLES[k] for k in model.classes_])}


def corpus() -> list[KoRow]:
    """The training rows minus any text of an evaluation set."""
    banned = evaluation_texts()
    rows = training_rows()
    kept = [r for r in rows if compact(r.text) not in banned]
    log.info("corpus: %d rows (%d dropped: also in eval/)", len(kept), len(rows) - len(kept))
    return kept


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=DATA, help="folder for intent.npz, roles.npz")
    ap.add_argument("-C", type=float, default=C)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    t0 = time.perf_counter()
    rows = corpus()
    analyses = [analyse(r.text) for r in rows]
    weights = fit_intent(rows, analyses, c=args.C)
    save(weights, args.out / INTENT_WEIGHTS.name)
    save(fit_roles(rows, analyses), args.out / ROLE_WEIGHTS.name)
    log.info("trained on %d rows (corpus %s) in %.1f s -> %s", len(rows),
             weights["data_sha"], time.perf_counter() - t0, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
