"""Streaming decode: 100 ms chunks go to the recogniser as they arrive, an online
end-of-speech detector decides when the driver has finished, then the result is finalised.

Two detectors: Silero VAD (`copilot.speech.vad`, a neural voice-activity model) and the energy
gate here. The energy gate on 20 ms frames: the noise floor is tracked from the quietest
recent frames, speech starts after `MIN_SPEECH_S` above the floor, and ends after
`TRAILING_SILENCE_S` below it. Nothing after the end is fed, so `final_latency_ms` is the
time from the end of speech being detected to the final text.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from copilot.speech import Transcript
from copilot.speech.audio import SILENCE_RMS, TARGET_RATE_HZ, Pcm
from copilot.speech.engines import Recogniser

log = logging.getLogger(__name__)

CHUNK_S = 0.1
FRAME_S = 0.02
TRAILING_SILENCE_S = 0.6
MIN_SPEECH_S = 0.1
_FLOOR_WINDOW = 150                                     # frames (3 s) for the noise floor


@dataclass
class EndOfSpeech:
    """Online end-of-speech detection over 16 kHz int16 chunks."""

    frame: int = int(FRAME_S * TARGET_RATE_HZ)
    energies: list[float] = field(default_factory=list)
    """Frame energies (RMS), the noise floor's history."""
    voiced_run: int = 0
    silent_run: int = 0
    in_speech: bool = False
    heard_speech: bool = False
    ended: bool = False
    _rest: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int16))

    def push(self, chunk: np.ndarray) -> bool:
        """Feed one chunk; True once the end of speech has been detected."""
        x = np.concatenate([self._rest, chunk])
        n = len(x) - len(x) % self.frame
        self._rest = x[n:]
        for f in x[:n].astype(np.float64).reshape(-1, self.frame):
            self._frame(float(np.sqrt(np.mean(f ** 2))))
        return self.ended

    def _frame(self, energy: float) -> None:
        # Minimum statistics: the floor is a low percentile over the last 3 s, which reaches
        # into the pauses between words, so a long sentence does not lift it.
        self.energies.append(energy)
        recent = self.energies[-_FLOOR_WINDOW:]
        floor = max(float(np.percentile(recent, 5)), SILENCE_RMS / 2)
        loud = energy > max(3.0 * floor, 2.0 * SILENCE_RMS)
        if loud:
            self.voiced_run += 1
            self.silent_run = 0
            if self.voiced_run * FRAME_S >= MIN_SPEECH_S:
                self.in_speech = self.heard_speech = True
        else:
            self.voiced_run = 0
            self.silent_run += 1
            if self.in_speech and self.silent_run * FRAME_S >= TRAILING_SILENCE_S:
                self.in_speech = False
                self.ended = True


class Endpointer(Protocol):
    heard_speech: bool
    ended: bool

    def push(self, chunk: np.ndarray) -> bool: ...


def endpointer(vad: str) -> Endpointer:
    """A fresh detector: "silero" (Silero VAD) or "energy" (the energy gate)."""
    if vad == "silero":
        from copilot.speech.vad import SileroEndOfSpeech

        return SileroEndOfSpeech()
    if vad == "energy":
        return EndOfSpeech()
    raise ValueError(f"unknown end-of-speech detector {vad!r} (silero, energy)")


def speech_end_s(samples: np.ndarray, vad: str = "energy") -> float | None:
    """Where the online detector decides speech has ended (seconds), or None."""
    eos = endpointer(vad)
    chunk = int(CHUNK_S * TARGET_RATE_HZ)
    for i in range(0, len(samples), chunk):
        if eos.push(samples[i:i + chunk]):
            return (i + chunk) / TARGET_RATE_HZ
    return len(samples) / TARGET_RATE_HZ if eos.heard_speech else None


def run_stream(rec: Recogniser, pcm: Pcm, vad: str = "energy") -> Transcript:
    """Decode one utterance chunk by chunk; silence gives an empty transcript with a reason.

    `final_latency_ms` is the wall time from the moment the detector declares the end of
    speech to the final text: all the recogniser still has to do once the driver stopped."""
    audio_s = pcm.duration_s
    if pcm.rms() < SILENCE_RMS / 2:
        return Transcript("", 0.0, audio_s, 0.0, 0.0, rec.name, reason="silence", vad=vad)
    chunk = int(CHUNK_S * TARGET_RATE_HZ)
    eos = endpointer(vad)
    end_s: float | None = None
    t0 = time.perf_counter()
    rec.start()
    for i in range(0, len(pcm.samples), chunk):
        part = pcm.samples[i:i + chunk]
        rec.feed(part.tobytes())
        if eos.push(part):
            end_s = (i + len(part)) / TARGET_RATE_HZ
            break
    t_end, cpu_end = time.perf_counter(), time.process_time()
    text, confidence = rec.finish()
    t_final, cpu_final = time.perf_counter(), time.process_time()
    if not eos.heard_speech and (vad == "silero" or pcm.rms() < 2 * SILENCE_RMS):
        # Nothing stood out from a quiet line, or Silero heard no voice in the noise: what a
        # recogniser makes of it is invented (Whisper says "Thank you." to cabin rumble).
        text, confidence = "", 0.0
    reason = None if text else ("silence" if not eos.heard_speech else "no_words")
    if not eos.ended:
        log.debug("no end of speech before the end of the audio (%.1f s)", audio_s)
    return Transcript(text=text, confidence=confidence, audio_s=audio_s,
                      decode_ms=(t_final - t0) * 1000, final_latency_ms=(t_final - t_end) * 1000,
                      engine=rec.name, reason=reason, end_of_speech_s=end_s, vad=vad,
                      final_cpu_ms=(cpu_final - cpu_end) * 1000)
