"""Streaming decode: feed 100 ms chunks, detect the end of speech, then finalise.

End of speech is an energy detector on 20 ms frames: speech once a frame is well above the
noise floor, ended after `TRAILING_SILENCE_S` below it. Feeding stops there, so the final
result's latency is measured from the moment the end of speech was seen.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from copilot.speech import Transcript
from copilot.speech.audio import SILENCE_RMS, TARGET_RATE_HZ, Pcm
from copilot.speech.engines import Recogniser

log = logging.getLogger(__name__)

CHUNK_S = 0.1
FRAME_S = 0.02
TRAILING_SILENCE_S = 0.6


def frame_energy(samples: np.ndarray) -> np.ndarray:
    n = int(FRAME_S * TARGET_RATE_HZ)
    frames = samples[: len(samples) - len(samples) % n].astype(np.float64).reshape(-1, n)
    return np.sqrt(np.mean(frames ** 2, axis=1)) if len(frames) else np.zeros(0)


def speech_end_s(samples: np.ndarray) -> float | None:
    """Where speech ends (seconds), or None when no speech was found."""
    energy = frame_energy(samples)
    if len(energy) == 0:
        return None
    floor = max(float(np.percentile(energy, 10)), SILENCE_RMS / 2)
    threshold = max(floor * 3.0, SILENCE_RMS * 2)
    voiced = np.nonzero(energy > threshold)[0]
    if len(voiced) < 5:                                  # < 100 ms above threshold: no speech
        return None
    return float((voiced[-1] + 1) * FRAME_S)


def run_stream(rec: Recogniser, pcm: Pcm) -> Transcript:
    """Decode one utterance in chunks; silence gives an empty transcript with a reason."""
    audio_s = pcm.duration_s
    end_s = speech_end_s(pcm.samples)
    if end_s is None or pcm.rms() < SILENCE_RMS:
        return Transcript("", 0.0, audio_s, 0.0, 0.0, rec.name, reason="silence")
    # Feed up to the end of speech plus the trailing silence the detector needs to decide.
    stop_at = min(len(pcm.samples), int((end_s + TRAILING_SILENCE_S) * TARGET_RATE_HZ))
    chunk = int(CHUNK_S * TARGET_RATE_HZ)
    t0 = time.perf_counter()
    rec.start()
    for i in range(0, stop_at, chunk):
        rec.feed(pcm.samples[i:min(i + chunk, stop_at)].tobytes())
    t_end = time.perf_counter()
    text, confidence = rec.finish()
    t_final = time.perf_counter()
    return Transcript(text=text, confidence=confidence, audio_s=audio_s,
                      decode_ms=(t_final - t0) * 1000, final_latency_ms=(t_final - t_end) * 1000,
                      engine=rec.name, reason=None if text else "no_words")
