"""Silero end of speech on real voices: a short blip does not end the turn before it starts."""

from __future__ import annotations

import numpy as np
from speechdev import LABELS, needs_set, samples

from copilot.speech.vad import SHORT_TRAILING_SILENCE_S, TRAILING_SILENCE_S, SileroEndOfSpeech

RATE = 16_000


def _voice() -> np.ndarray:
    return samples(sorted(LABELS)[0])


def _ended_at(x: np.ndarray, eos: SileroEndOfSpeech) -> float | None:
    """Seconds of audio fed when the detector said the speech had ended (None: never)."""
    for i in range(0, len(x), 1600):
        if eos.push(x[i:i + 1600]):
            return (i + 1600) / RATE
    return None


def _silence(seconds: float) -> np.ndarray:
    return (np.random.default_rng(1).normal(0, 30, int(seconds * RATE))).astype("<i2")


@needs_set
def test_a_short_blip_before_the_driver_speaks_does_not_end_the_turn() -> None:
    voice = _voice()
    blip = voice[int(1.0 * RATE):int(1.2 * RATE)]           # 0.2 s from the middle of a word
    # the recording leads with 0.7 s of room tone: the driver starts 1.0 s after the blip
    x = np.concatenate([_silence(0.5), blip, _silence(0.3), voice, _silence(2.0)])
    eos = SileroEndOfSpeech()
    end = _ended_at(x, eos)
    # it ended after the sentence (which is voiced until about 3 s into it), not after the blip
    assert end is not None and eos.last_speech_s is not None and eos.last_speech_s > 1.0 + 3.0
    assert end - eos.last_speech_s <= TRAILING_SILENCE_S + 0.2, end
    # the detector as it was (no longer wait for a short utterance) cut it off at the blip
    old = _ended_at(x, SileroEndOfSpeech(short_trailing_silence_s=TRAILING_SILENCE_S))
    assert old is not None and old < 0.5 + 0.2 + 0.3 + 0.7


@needs_set
def test_a_lone_short_word_still_ends_the_turn_a_little_later() -> None:
    voice = _voice()
    word = voice[int(1.0 * RATE):int(1.3 * RATE)]
    x = np.concatenate([_silence(0.5), word, _silence(3.0)])
    end = _ended_at(x, SileroEndOfSpeech())
    assert end is not None
    assert 0.8 + TRAILING_SILENCE_S < end <= 0.8 + SHORT_TRAILING_SILENCE_S + 0.4, end


@needs_set
def test_a_whole_sentence_ends_after_the_usual_hangover() -> None:
    voice = _voice()
    x = np.concatenate([voice, _silence(2.0)])
    eos = SileroEndOfSpeech()
    end = _ended_at(x, eos)
    assert end is not None and eos.last_speech_s is not None
    assert end - eos.last_speech_s <= TRAILING_SILENCE_S + 0.2
