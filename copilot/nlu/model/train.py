"""Train the intent model from the repository's corpus and write the shipped weights.

    python -m copilot.nlu.model.train                 # -> copilot/nlu/model/data/intent.npz
    python -m copilot.nlu.model.train --extra ko.tsv  # more labelled files join the corpus
    python -m copilot.nlu.model.train --export ../shared/nlu-public   # refresh public.tsv

Multinomial logistic regression (lbfgs, fixed seed, rows in a fixed order), so the same data
gives the same weights, bit for bit at float16, on any machine with the same libraries.
Two heads: one over hashed n-grams plus the all-MiniLM-L6-v2 sentence embedding
(`encoder.py`; embeddings rounded to float16 and cached in var/), and an n-gram-only head in
front that answers alone where it is sure (`--gate`). `--no-encoder` trains the n-gram head
only, as before.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from copilot.nlu.model.corpus import DATA, LABELS, Row, export, training_rows
from copilot.nlu.model.features import FeatureSpec, Featuriser, rules_view
from copilot.nlu.rules import parse

log = logging.getLogger(__name__)

WEIGHTS = DATA / "intent.npz"
TAGGER_WEIGHTS = DATA / "tagger.npz"
TOP_SPANS = DATA / "top_spans.tsv"
"""TOP training rows with their compact parses (place slots as token spans), exported."""
C = 8.0
"""Inverse L2 strength; chosen on eval/understand_heldout*.jsonl (never trained on)."""
MAX_ITER = 300
DENSE_SCALE = 2.0
"""Weight of the sentence embedding beside the n-gram views (see `fit`)."""
GATE = 0.9
"""n-gram head probability from which its answer stands without the encoder."""
ENCODER_NAME = "all-MiniLM-L6-v2"
EMBED_CACHE = DATA.parents[3] / "var" / "nlu-embeddings.npz"
"""Embeddings of training rows by text (git-ignored; a cold retrain encodes ~3 min)."""
SOURCE_WEIGHT = {"understand.jsonl": 4.0, "templates": 3.0, "seeds": 2.0}


def skeleton(text: str) -> str:
    """The rules' view of an utterance (see `features.rules_view`)."""
    p = parse(text)
    return rules_view(p.skeleton, p.intent, p.confidence)


def fit(rows: list[Row], spec: FeatureSpec | None = None, c: float = C,
        embeddings: np.ndarray | None = None, dense_scale: float = DENSE_SCALE,
        ) -> dict[str, np.ndarray]:
    """Weights (as arrays to save) for `rows`. With `embeddings` (one sentence vector per
    row, `encoder.embed_rows`), they join the n-gram features under the same linear head,
    times `dense_scale` (the n-gram views are each of norm 1; a larger scale lets the
    encoder's few dimensions carry more weight under the same L2 penalty)."""
    from scipy import sparse

    feats = Featuriser(spec)
    x = feats.transform([r.text for r in rows], [skeleton(r.text) for r in rows])
    if embeddings is not None:
        if embeddings.shape[0] != len(rows):
            raise ValueError(f"{embeddings.shape[0]} embeddings for {len(rows)} rows")
        x = sparse.hstack([x, sparse.csr_matrix(dense_scale * embeddings)], format="csr")
    labels = [lab for lab in LABELS if any(r.label == lab for r in rows)]
    index = {lab: k for k, lab in enumerate(labels)}
    y = np.array([index[r.label] for r in rows])
    model = LogisticRegression(C=c, max_iter=MAX_ITER, random_state=0)
    model.fit(x, y, sample_weight=row_weights(rows, labels))
    coef = model.coef_.astype(np.float16)
    out = {"coef": coef[:, :feats.width], "intercept": model.intercept_.astype(np.float32),
           "labels": np.array(labels), "n_features": np.array(feats.spec.n_features),
           "data_sha": np.array(corpus_sha(rows))}
    if embeddings is not None:
        out.update(dense_coef=coef[:, feats.width:], dense_scale=np.array(dense_scale),
                   encoder=np.array(ENCODER_NAME))
    return out


def with_gate(weights: dict[str, np.ndarray], ngram: dict[str, np.ndarray],
              gate: float = GATE) -> dict[str, np.ndarray]:
    """The encoder model with an n-gram-only head in front (`infer.IntentModel`): where that
    head is at least `gate` sure, the encoder is not run."""
    if list(weights["labels"]) != list(ngram["labels"]):
        raise ValueError("the two heads were trained on different labels")
    return {**weights, "gate_coef": ngram["coef"], "gate_intercept": ngram["intercept"],
            "gate": np.array(gate)}


def row_weights(rows: list[Row], labels: list[str]) -> np.ndarray:
    """Each label weighs the same in total (the small intents such as cancel count as much
    as the public sets' big out_of_scope share); within a label, in-car rows (our set,
    templates, seeds) weigh more than the public ones, which speak to other assistants."""
    w = np.array([SOURCE_WEIGHT.get(r.source.split(":")[0], 1.0) for r in rows])
    y = [r.label for r in rows]
    for lab in labels:
        idx = [k for k, v in enumerate(y) if v == lab]
        w[idx] *= len(rows) / (len(labels) * w[idx].sum())
    return w


TAGGER_TOP_ROWS = 9000
"""TOP rows (with a place slot, by hash) the tagger learns from; more adds little."""


def tagger_examples(rows: list[Row], top_train: Path | None) -> list[tuple[list[str], list[str]]]:
    """BIO examples: TOP's annotated spans (from data/top_spans.tsv) and the rules' spans
    on our in-car rows (where the rules are right by construction or by test)."""
    from copilot.nlu.model.tagger import rule_example, top_example

    out: list[tuple[list[str], list[str]]] = []
    if top_train is not None and top_train.exists():
        for line in top_train.read_text(encoding="utf-8").splitlines():
            utterance, _, parse_ = line.partition("\t")
            ex = top_example(utterance, parse_)
            if ex is not None:
                out.append(ex)
    for r in rows:
        if r.source.split(":")[0] not in SOURCE_WEIGHT or r.label not in (
                "navigate", "add_stop", "find_place", "ask_eta", "remove_stop"):
            continue
        p = parse(r.text, r.label)
        d = (p.destination.start, p.destination.end) if p.destination else None
        out.append(rule_example(p.tokens, d, [(m.start, m.end) for m in p.stops]))
    return out


def fit_tagger(examples: list[tuple[list[str], list[str]]]) -> dict[str, np.ndarray]:
    from sklearn.feature_extraction import FeatureHasher

    from copilot.nlu.model.tagger import N_FEATURES, TAGS, token_features

    feats: list[list[str]] = []
    y: list[int] = []
    for tokens, tags in examples:
        feats += token_features(tokens, set())
        y += [TAGS.index(t) for t in tags]
    x = FeatureHasher(n_features=N_FEATURES, input_type="string",
                      alternate_sign=False).transform(feats)
    model = LogisticRegression(C=4.0, max_iter=200, random_state=0)
    model.fit(x, np.array(y))
    return {"coef": model.coef_.astype(np.float16), "intercept": model.intercept_.astype(
        np.float32), "labels": np.array([TAGS[k] for k in model.classes_])}


def corpus_sha(rows: Iterable[Row]) -> str:
    h = hashlib.sha256()
    for r in rows:
        h.update(f"{r.text}\t{r.label}\n".encode())
    return h.hexdigest()[:16]


def save(weights: dict[str, np.ndarray], path: Path = WEIGHTS) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **weights)    # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--extra", type=Path, action="append", default=[],
                    help="more labelled files (TSV text<TAB>label or JSONL text/intent)")
    ap.add_argument("--out", type=Path, default=WEIGHTS)
    ap.add_argument("--export", type=Path, default=None, metavar="NLU_PUBLIC_DIR",
                    help="first rewrite data/public.tsv from ../shared/nlu-public")
    ap.add_argument("-C", type=float, default=C)
    ap.add_argument("--no-tagger", action="store_true", help="train the intent model only")
    ap.add_argument("--no-encoder", action="store_true",
                    help="n-gram features only (no all-MiniLM-L6-v2 sentence embedding)")
    ap.add_argument("--dense-scale", type=float, default=DENSE_SCALE)
    ap.add_argument("--gate", type=float, default=GATE,
                    help="n-gram head probability that skips the encoder (1 = always encode)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.export is not None:
        log.info("public rows: %s", export(args.export))
    t0 = time.perf_counter()
    rows = training_rows(args.extra)
    embeddings = None
    if not args.no_encoder:
        from copilot.nlu.model.encoder import embed_rows, shared_encoder
        embeddings = embed_rows([r.text for r in rows], shared_encoder(), EMBED_CACHE)
    weights = fit(rows, c=args.C, embeddings=embeddings, dense_scale=args.dense_scale)
    if embeddings is not None and args.gate < 1.0:
        weights = with_gate(weights, fit(rows, c=args.C), args.gate)
    save(weights, args.out)
    if not args.no_tagger:
        t1 = time.perf_counter()
        examples = tagger_examples(rows, TOP_SPANS)
        save(fit_tagger(examples), TAGGER_WEIGHTS)
        log.info("tagger: %d utterances in %.1f s -> %s", len(examples),
                 time.perf_counter() - t1, TAGGER_WEIGHTS)
    log.info("trained on %d rows (corpus %s) in %.1f s -> %s", len(rows),
             weights["data_sha"], time.perf_counter() - t0, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
