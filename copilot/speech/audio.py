"""WAV bytes in, 16 kHz mono 16-bit PCM out, or an `AudioError` saying what is wrong.

Accepts any rate (resampled with linear interpolation, which is enough for 8-48 kHz speech
into a 16 kHz recogniser) and stereo (mixed down). Refuses what cannot be speech.
"""

from __future__ import annotations

import io
import logging
import wave
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)

TARGET_RATE_HZ = 16_000
MAX_AUDIO_S = 120.0
MIN_AUDIO_S = 0.2
"""Shorter than the shortest spoken word: a click or a truncated file, not a request."""
CLIP_SHARE = 0.2
"""Share of samples at full scale above which the audio is called clipped."""
SILENCE_RMS = 60.0
"""RMS (of 32767) below which the whole file is treated as silence."""


class AudioError(ValueError):
    """Audio that cannot be recognised; `reason` is a short code for callers and JSON."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Pcm:
    samples: np.ndarray
    """int16, mono, TARGET_RATE_HZ."""
    source_rate_hz: int
    source_channels: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / TARGET_RATE_HZ

    def rms(self) -> float:
        if len(self.samples) == 0:
            return 0.0
        return float(np.sqrt(np.mean(self.samples.astype(np.float64) ** 2)))


def read_wav(data: bytes) -> Pcm:
    """Decode and normalise a WAV file's bytes; raises AudioError with a reason code."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise AudioError("not_bytes", f"expected WAV bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioError("not_wav", "not a RIFF/WAVE file")
    try:
        with wave.open(io.BytesIO(data)) as w:
            channels, width, rate, frames = (w.getnchannels(), w.getsampwidth(),
                                             w.getframerate(), w.getnframes())
            raw = w.readframes(frames)
    except (wave.Error, EOFError) as exc:
        # The wave module refuses non-PCM formats (float, mu-law) with "unknown format".
        reason = "not_pcm16" if "format" in str(exc) else "corrupt_wav"
        raise AudioError(reason, str(exc)) from exc
    if width != 2:
        raise AudioError("not_pcm16", f"{8 * width}-bit samples; 16-bit PCM expected")
    if channels not in (1, 2):
        raise AudioError("channels", f"{channels} channels; mono (or stereo) expected")
    if not 4_000 <= rate <= 192_000:
        raise AudioError("rate", f"sample rate {rate} Hz is not a speech rate")
    samples = np.frombuffer(raw[: len(raw) - len(raw) % (2 * channels)], dtype="<i2")
    if channels == 2:
        samples = samples.reshape(-1, 2).astype(np.int32).mean(axis=1).astype(np.int16)
    if len(samples) == 0:
        raise AudioError("empty", "no samples")
    if len(samples) / rate < MIN_AUDIO_S:
        raise AudioError("too_short", f"{1000 * len(samples) / rate:.0f} ms of audio; "
                         f"a request needs at least {1000 * MIN_AUDIO_S:.0f} ms")
    if len(samples) / rate > MAX_AUDIO_S:
        raise AudioError("too_long", f"{len(samples) / rate:.0f} s > {MAX_AUDIO_S:.0f} s")
    if rate != TARGET_RATE_HZ:
        samples = resample(samples, rate, TARGET_RATE_HZ)
    pcm = Pcm(samples.astype(np.int16), rate, channels)
    clipped = float(np.mean(np.abs(pcm.samples.astype(np.int32)) >= 32_000))
    if clipped > CLIP_SHARE:
        raise AudioError("clipped", f"{100 * clipped:.0f}% of samples at full scale")
    return pcm


def resample(samples: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Linear-interpolation resampling with a crude low-pass when downsampling."""
    x = samples.astype(np.float64)
    if rate_out < rate_in:
        # Moving average roughly at the new Nyquist keeps aliasing down for speech.
        k = max(1, round(rate_in / rate_out))
        if k > 1:
            x = np.convolve(x, np.ones(k) / k, mode="same")
    n_out = round(len(x) * rate_out / rate_in)
    t = np.linspace(0, len(x) - 1, n_out)
    return np.clip(np.interp(t, np.arange(len(x)), x), -32768, 32767).astype(np.int16)
