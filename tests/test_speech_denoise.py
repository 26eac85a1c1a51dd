"""The Wiener noise front end (copilot/speech/denoise.py): a tone in noise, kitchen noise."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from copilot.speech.denoise import denoise

ROOT = Path(__file__).resolve().parents[1]
SPEECH_DEV = ROOT.parent / "shared" / "speech-dev"


def _tone_in_noise(seconds: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    t = np.arange(int(16_000 * seconds)) / 16_000
    tone = 0.3 * np.sin(2 * np.pi * 440 * t) * (t > 0.8)       # silence, then the "speech"
    return (tone + 0.05 * rng.standard_normal(len(t))).astype(np.float32), tone


def test_noise_is_lowered_where_nothing_is_said_and_the_signal_is_kept() -> None:
    noisy, tone = _tone_in_noise()
    out = denoise(noisy)
    assert out.shape == noisy.shape and out.dtype == np.float32
    quiet = slice(0, int(0.7 * 16_000))
    assert np.sqrt(np.mean(out[quiet] ** 2)) < 0.4 * np.sqrt(np.mean(noisy[quiet] ** 2))
    loud = slice(int(1.0 * 16_000), None)
    err = np.sqrt(np.mean((out[loud] - tone[loud]) ** 2))
    assert err < 0.5 * np.sqrt(np.mean((noisy[loud] - tone[loud]) ** 2))


def test_short_or_bad_input() -> None:
    assert len(denoise(np.zeros(100, dtype=np.float32))) == 100
    with pytest.raises(ValueError):
        denoise(np.zeros((2, 100), dtype=np.float32))


@pytest.mark.skipif(not (SPEECH_DEV / "kitchen-noise.wav").exists(), reason="no speech-dev")
def test_real_kitchen_noise_alone_is_attenuated() -> None:
    with wave.open(str(SPEECH_DEV / "kitchen-noise.wav")) as w:
        x = np.frombuffer(w.readframes(16_000 * 4), dtype="<i2").astype(np.float32) / 32768
    out = denoise(x)
    assert np.sqrt(np.mean(out ** 2)) < np.sqrt(np.mean(x ** 2))
