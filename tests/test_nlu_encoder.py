"""The numpy all-MiniLM-L6-v2 encoder: the same vectors as the reference implementation, and
the property the intent head relies on (paraphrases close, other requests far)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from copilot.nlu.model.encoder import DIM, embed_rows, read_safetensors, shared_encoder

ENC = shared_encoder()


def test_matches_the_reference_sentence_transformers_output() -> None:
    # The first dimensions sentence-transformers prints for this sentence with
    # all-MiniLM-L6-v2 (mean pooling, normalised); a wrong layer order, GELU, LayerNorm or
    # pooling changes them in the second digit.
    v = ENC.encode(["This is an example sentence"])[0]
    assert np.allclose(v[:5], [0.0676569, 0.0634959, 0.0487131, 0.0793050, 0.0374480],
                       atol=2e-4)
    assert abs(float(np.linalg.norm(v)) - 1.0) < 1e-5


@pytest.mark.parametrize(("a", "b", "other"), [
    ("take me to the airport", "drive me to the airport please", "play some jazz music"),
    ("how long will it take to get to the airport", "how far is the airport from here",
     "what's the weather like tomorrow"),
    ("cancel the navigation", "stop the route guidance", "add the album to my playlist"),
    ("turn on the seat heater", "switch the heated seats on", "find a gas station nearby"),
])
def test_paraphrases_are_closer_than_unrelated_requests(a: str, b: str, other: str) -> None:
    va, vb, vo = ENC.encode([a, b, other])
    assert float(va @ vb) > float(va @ vo) + 0.2


def test_batches_and_single_calls_agree_and_keep_the_order() -> None:
    texts = ["uh take me home", "is there a pharmacy open now", "home", "x " * 200]
    together = ENC.encode(texts)
    alone = np.stack([ENC.encode([t])[0] for t in texts])
    assert together.shape == (4, DIM)
    assert np.allclose(together, alone, atol=1e-5)


def test_training_embeddings_are_cached_by_text(tmp_path: Path) -> None:
    cache = tmp_path / "emb.npz"
    first = embed_rows(["take me home", "play jazz"], ENC, cache)
    again = embed_rows(["play jazz", "take me home", "play jazz"], ENC, cache)
    assert np.array_equal(first[::-1], again[:2]) and np.array_equal(again[0], again[2])
    assert first.dtype == np.float32 and np.array_equal(first, first.astype(np.float16))


def test_a_truncated_safetensors_file_is_a_clear_error() -> None:
    from copilot.nlu.model.encoder import EncoderUnavailable

    with pytest.raises(EncoderUnavailable):
        read_safetensors(b"\x01")


def test_the_float16_word_table_gives_the_float32_tables_embeddings() -> None:
    import json
    import zipfile

    from copilot.nlu.model.encoder import SentenceEncoder, model_zip

    assert ENC._emb[0].dtype == np.float16                 # the memory saving is in place
    with zipfile.ZipFile(model_zip()) as z:
        name = next(n for n in z.namelist() if n.endswith("model.safetensors"))
        table = read_safetensors(z.read(name))["embeddings.word_embeddings.weight"]
    wide = SentenceEncoder()
    wide._emb = (table.astype(np.float32), *wide._emb[1:])
    root = Path(__file__).resolve().parents[1]
    texts = [json.loads(x)["text"] for x in (root / "eval" / "understand.jsonl").read_text(
        encoding="utf-8").splitlines() if x.strip()][:120]
    cos = (ENC.encode(texts) * wide.encode(texts)).sum(axis=1)
    assert float(cos.min()) > 0.99999
