"""Spoken replies: piper's real voice sentence by sentence, espeak-ng when piper is missing."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np
import pytest

from copilot.service.speech_out import SpeechOutError, synthesize_wav
from copilot.voice import Speaker, SpokenChunk, VoiceError, sentences

REPLY = ("Okay, heading to Capital City Airport with a stop for a large oat latte. "
         "You will arrive at 4:35 pm, about fifty minutes before your flight.")


def _audio(wav: bytes) -> tuple[np.ndarray, int]:
    with wave.open(io.BytesIO(wav)) as w:
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2"), w.getframerate()


def _is_speech(x: np.ndarray, rate: int, words: int) -> None:
    seconds = len(x) / rate
    # people speak 2-4 words a second; a synthesiser is not far off
    assert words / 5 < seconds < words / 1.2, seconds
    rms = float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))
    assert rms > 300, rms                                 # not silence
    # speech has pauses: its loudness varies over 50 ms frames, a tone or noise would not
    frames = x[: len(x) // 1103 * 1103].reshape(-1, 1103).astype(np.float64)
    energy = np.sqrt(np.mean(frames ** 2, axis=1))
    assert np.percentile(energy, 90) > 4 * np.percentile(energy, 10) + 1


def test_piper_speaks_a_real_reply_sentence_by_sentence() -> None:
    speaker = Speaker("piper")
    got: list[SpokenChunk] = []
    timings = speaker.speak(REPLY, got.append)
    assert [c.text for c in got] == sentences(REPLY) and len(got) >= 2
    assert all(c.engine.startswith("piper:") for c in got)
    # the first sentence was handed over before the last one was ready
    assert got[0].ready_s < got[-1].ready_s and timings.first_audio_s < timings.total_s
    x = np.frombuffer(b"".join(c.pcm for c in got), dtype="<i2")
    _is_speech(x, got[0].sample_rate, len(REPLY.split()))
    assert timings.rtf > 0 and timings.audio_s == pytest.approx(len(x) / got[0].sample_rate)


def test_the_service_wav_is_piper_by_default() -> None:
    wav = synthesize_wav("How much fuel do I have? About a quarter of a tank.")
    x, rate = _audio(wav)
    assert rate == 22050
    _is_speech(x, rate, 11)


def test_espeak_speaks_when_piper_cannot_load(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-voice.onnx"
    auto = Speaker("auto", piper_model=missing)
    assert auto.engine_for("en").name.startswith("espeak-ng")
    x, rate = _audio(auto.wav(REPLY))
    _is_speech(x, rate, len(REPLY.split()))
    with pytest.raises(VoiceError, match="piper voice"):
        Speaker("piper", piper_model=missing).wav(REPLY)


def test_other_languages_use_espeaks_voice_for_them() -> None:
    speaker = Speaker("auto")
    assert speaker.engine_for("ko").name == "espeak-ng:ko"
    x, rate = _audio(speaker.wav("공항으로 안내합니다.", language="ko"))
    assert len(x) / rate > 0.5


def test_nothing_to_say_is_a_clear_error_not_an_empty_wav() -> None:
    with pytest.raises(SpeechOutError, match="no words"):
        synthesize_wav("   ")


def test_sentences_split_where_a_voice_would_pause() -> None:
    assert sentences("Okay. Turn left at 4:35 pm! Is that fine?") == [
        "Okay.", "Turn left at 4:35 pm!", "Is that fine?"]
    first, *rest = sentences("Heading to the airport via the coffee shop on Market Street, "
                             "then the dry cleaner, arriving at five.")
    assert first.endswith(",") and len(first) <= 60 and rest


def test_voice_bench_reports_each_engine_or_why_it_could_not() -> None:
    from copilot.voice.bench import bench_voices

    rows = bench_voices(("espeak",), replies=("Your trip is cancelled. Drive safely.",),
                        repeats=1)
    assert rows[0]["engine"] == "espeak-ng:en-us" and rows[0]["replies"] == 1
    assert rows[0]["first_audio_ms_median"] > 0 and 0 < rows[0]["rtf_median"] < 1


def test_a_reply_can_be_published_one_sentence_at_a_time() -> None:
    import base64

    from copilot.service.speech_out import SpokenReply, spoken_parts

    parts = list(spoken_parts("r1", REPLY))
    assert [p.part for p in parts] == list(range(len(sentences(REPLY))))
    assert [p.last for p in parts] == [False] * (len(parts) - 1) + [True]
    assert all(p.id == "r1" and SpokenReply.model_validate_json(p.model_dump_json()) == p
               for p in parts)
    x, rate = _audio(base64.b64decode(parts[0].audio_wav_b64))
    assert 0.5 < len(x) / rate < 8
