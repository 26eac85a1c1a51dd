"""Noise for the speech evaluation: cabin rumble's spectrum, SNR of a mix, stable seeds, and
the cut of a Whisper decode that repeats itself."""

from __future__ import annotations

import numpy as np
import pytest

from copilot.speech.noise import cabin_noise, mix_at_snr, noise_segment, seed_of, speech_level
from copilot.speech.whisper import drop_repeats


def test_cabin_noise_is_low_frequency_rumble_with_unit_rms_and_repeatable() -> None:
    x = cabin_noise(16000 * 4, seed=3)
    assert np.sqrt(np.mean(x ** 2)) == pytest.approx(1.0)
    power = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / 16000)
    assert power[f < 400].sum() / power.sum() > 0.95            # road and engine rumble
    assert np.array_equal(x, cabin_noise(16000 * 4, seed=3))
    assert not np.array_equal(x, cabin_noise(16000 * 4, seed=4))


@pytest.mark.parametrize("snr_db", [6.0, 12.0, 18.0])
def test_mix_sets_the_speech_level_over_noise_to_the_snr(snr_db: float) -> None:
    t = np.arange(16000 * 2)
    speech = np.where((t > 4000) & (t < 24000), 8000 * np.sin(t / 9), 0).astype(np.int16)
    noise = np.random.default_rng(1).normal(0, 1000, len(t))
    mixed = mix_at_snr(speech, noise, snr_db)
    added = mixed.astype(np.float64) - speech
    measured = 20 * np.log10(speech_level(speech) / np.sqrt(np.mean(added ** 2)))
    assert measured == pytest.approx(snr_db, abs=0.05)
    # the pauses do not count towards the speech level: harsher than whole-file RMS
    assert speech_level(speech) > np.sqrt(np.mean(speech.astype(np.float64) ** 2))


def test_noise_segments_loop_a_short_recording_from_a_seeded_offset() -> None:
    rec = np.arange(100, dtype=np.int16)
    seg = noise_segment(rec, 250, seed_of("a.wav"))
    assert len(seg) == 250 and set(np.diff(seg)) <= {1.0, -99.0}
    assert np.array_equal(seg, noise_segment(rec, 250, seed_of("a.wav")))
    assert seed_of("a.wav") == seed_of("a.wav") != seed_of("b.wav")


def test_a_decode_that_repeats_the_request_is_cut_and_real_sentences_kept() -> None:
    looped = ("Can I get a triple shot coffee? Can I get a triple shot coffee? "
              "Can I get a triple")
    assert drop_repeats(looped) == "Can I get a triple shot coffee?"
    assert drop_repeats("Take me home. Then stop for coffee.") == \
        "Take me home. Then stop for coffee."
    assert drop_repeats("A latte with a lot of milk and a lot of sugar.") == \
        "A latte with a lot of milk and a lot of sugar."
