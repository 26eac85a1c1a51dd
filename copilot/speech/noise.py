"""Noise for measuring speech: cabin rumble made here, real recordings mixed at a chosen SNR.

Cabin noise is what `copilot/nlu/speechset.py` asks sox for ("brownnoise lowpass 400"): brown
(1/f^2) noise, rolled off above 400 Hz, where road and engine noise sits. It is made in numpy
from a seed, so an evaluation mixes hundreds of files without a subprocess each and gives
the same samples every run.

The SNR is speech level over noise level, the speech level measured on its voiced samples
only (those above 2% of the peak, as the synthesised set does), so the pauses of a recording
do not flatter it: 10 dB here is harsher than 10 dB over the whole file.
"""

from __future__ import annotations

import logging
import zlib

import numpy as np

log = logging.getLogger(__name__)

RATE_HZ = 16_000
CABIN_LOWPASS_HZ = 400.0
_BROWN_FROM_HZ = 20.0
"""Below this brown noise is flattened: a true 1/f^2 would be all DC."""
_VOICED_SHARE_OF_PEAK = 0.02


def seed_of(name: str) -> int:
    """A stable seed from a name (Python's hash() is salted per process)."""
    return zlib.crc32(name.encode())


def cabin_noise(n: int, seed: int = 1) -> np.ndarray:
    """`n` samples of cabin rumble (float64, unit RMS): brown noise low-passed at 400 Hz."""
    if n <= 0:
        return np.zeros(0)
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / RATE_HZ)
    brown = 1.0 / np.maximum(f, _BROWN_FROM_HZ)              # amplitude ~ 1/f: power 1/f^2
    lowpass = 1.0 / np.sqrt(1.0 + (f / CABIN_LOWPASS_HZ) ** 4)  # 2nd-order roll-off
    x = np.fft.irfft(spectrum * brown * lowpass, n)
    x -= x.mean()
    return x / max(1e-12, float(np.sqrt(np.mean(x ** 2))))


def noise_segment(recording: np.ndarray, n: int, seed: int) -> np.ndarray:
    """`n` samples of a noise recording from a seeded offset, looped when it is shorter."""
    if len(recording) == 0:
        raise ValueError("empty noise recording")
    start = int(np.random.default_rng(seed).integers(0, len(recording)))
    idx = (start + np.arange(n)) % len(recording)
    return recording[idx].astype(np.float64)


def speech_level(samples: np.ndarray) -> float:
    """RMS of the voiced samples (above 2% of the peak)."""
    x = samples.astype(np.float64)
    if len(x) == 0:
        return 0.0
    peak = float(np.max(np.abs(x)))
    voiced = x[np.abs(x) > _VOICED_SHARE_OF_PEAK * max(1.0, peak)]
    return float(np.sqrt(np.mean(voiced ** 2))) if len(voiced) else 0.0


def mix_at_snr(speech: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """int16 speech + noise scaled so that speech level / noise RMS is `snr_db`."""
    s = speech.astype(np.float64)
    nz = noise[: len(s)].astype(np.float64)
    n_rms = float(np.sqrt(np.mean(nz ** 2))) if len(nz) else 0.0
    level = speech_level(s)
    if n_rms == 0.0 or level == 0.0:
        return speech.astype(np.int16)
    gain = level / (10 ** (snr_db / 20)) / n_rms
    return np.clip(np.round(s + gain * nz), -32768, 32767).astype(np.int16)
