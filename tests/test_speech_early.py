"""Early decoding at the first pause (copilot.speech.early) on real voices of ../shared/speech-dev.

The real Whisper model and Silero VAD on real recordings: the early result must be the text
the late decode gives, a pause followed by more speech must throw the early decode away, and
`listen` must report the wait from the last voiced audio beside the contract's timings.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from speechdev import LABELS, SPEECH_DEV, needs_set, samples

from copilot.speech.audio import read_wav
from copilot.speech.early import SPECULATE_AFTER_S
from copilot.speech.engines import recogniser
from copilot.speech.stream import run_stream
from copilot.speech.vad import THRESHOLD, TRAILING_SILENCE_S, WINDOW_S, SileroEndOfSpeech

ROOT = Path(__file__).resolve().parents[1]
COPILOT = str(ROOT / ".venv" / "bin" / "copilot")
CONTRACT_TIMINGS = {"speech", "understand", "total", "after_end_of_speech"}


def _first_with(drink: str) -> str:
    return next(f for f in sorted(LABELS) if LABELS[f]["slots"].get("coffeeDrink") == drink)



def _voiced_span(x: np.ndarray) -> tuple[int, int]:
    """First and last voiced sample as Silero hears the whole file."""
    v = SileroEndOfSpeech(trailing_silence_s=100.0)
    v.push(x)
    first = next(i for i, p in enumerate(v.probs) if p >= THRESHOLD)
    return int(first * WINDOW_S * 16000), int((v.last_speech_s or 0) * 16000)


@needs_set
@pytest.mark.slow
def test_the_early_result_is_the_late_decode_of_the_same_real_voice() -> None:
    rec = recogniser("whisper", None, True)
    pcm = read_wav((SPEECH_DEV / "wav" / _first_with("americano")).read_bytes())
    early = run_stream(rec, pcm, vad="silero", speculate=True)
    late = run_stream(rec, pcm, vad="silero", speculate=False)
    assert "americano" in early.text.lower()
    assert early.text == late.text and early.confidence == pytest.approx(late.confidence)
    assert early.speculative and not late.speculative
    # the decode started inside the hangover: the detector decided later than the cut
    assert early.end_of_speech_s is not None and early.last_speech_s is not None
    assert early.hangover_ms >= TRAILING_SILENCE_S * 1000
    assert early.end_of_speech_s - early.last_speech_s >= SPECULATE_AFTER_S


@needs_set
@pytest.mark.slow
def test_an_early_decode_is_discarded_when_the_driver_speaks_again() -> None:
    # Two real orders with a 0.4 s pause: long enough to start an early decode, shorter
    # than the 0.6 s the detector waits, so it is one request and both drinks are heard.
    a, b = samples(_first_with("mocha")), samples(_first_with("latte"))
    _, a_end = _voiced_span(a)
    b_start, _ = _voiced_span(b)
    pause = np.zeros(int(0.4 * 16000), dtype=np.int16)
    joined = np.concatenate([a[:a_end], pause, b[max(0, b_start - 1600):]])
    from wavs import wav_bytes

    pcm = read_wav(wav_bytes(joined))
    rec = recogniser("whisper", None, True)
    t = run_stream(rec, pcm, vad="silero", speculate=True)
    assert t.discarded >= 1 and t.speculative
    assert "mocha" in t.text.lower() and "latte" in t.text.lower(), t.text
    assert t.end_of_speech_s is not None and t.end_of_speech_s > len(a[:a_end]) / 16000 + 0.4
    assert t.text == run_stream(rec, pcm, vad="silero", speculate=False).text


@needs_set
@pytest.mark.slow
def test_listen_json_keeps_every_contract_timing_and_adds_the_wait_from_the_last_voice() -> None:
    r = subprocess.run([COPILOT, "listen", "--no-llm", "--json",
                        str(SPEECH_DEV / "wav" / _first_with("cappuccino"))],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    t = json.loads(r.stdout)["timings_ms"]
    assert set(t) >= CONTRACT_TIMINGS and "after_last_speech" in t
    # the hangover the detector waits is in the new figure, not in after_end_of_speech
    assert t["after_last_speech"] >= t["after_end_of_speech"] + TRAILING_SILENCE_S * 1000
