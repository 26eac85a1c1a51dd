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

