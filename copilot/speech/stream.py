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
    frames: int = 0
    last_loud_frame: int = -1
    _rest: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int16))

    @property
    def silent_s(self) -> float:
        """Length of the current run of quiet frames (seconds)."""
        return self.silent_run * FRAME_S

    @property
    def last_speech_s(self) -> float | None:
        """Where the last loud frame ended (seconds of audio), or None."""
        return None if self.last_loud_frame < 0 else (self.last_loud_frame + 1) * FRAME_S

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
        self.frames += 1
        recent = self.energies[-_FLOOR_WINDOW:]
        floor = max(float(np.percentile(recent, 5)), SILENCE_RMS / 2)
        loud = energy > max(3.0 * floor, 2.0 * SILENCE_RMS)
        if loud:
            self.last_loud_frame = self.frames - 1
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

    @property
    def silent_s(self) -> float: ...

    @property
    def last_speech_s(self) -> float | None: ...

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


def run_stream(rec: Recogniser, pcm: Pcm, vad: str = "energy",
               speculate: bool = True) -> Transcript:
    """Decode one utterance chunk by chunk; silence gives an empty transcript with a reason.

    `final_latency_ms` is the wall time from the moment the chunk on which the detector
    declares the end of speech arrives to the final text: what the driver waits once the
    copilot knows they have stopped. A recogniser that decodes in one pass (Whisper) starts
    at the first pause with `speculate` (`copilot.speech.early`), and from then on the file is
    paced like a live microphone so that head start is real time, not a file read ahead;
    `speculate=False` gives the same text, decoded after the decision."""
    audio_s = pcm.duration_s
    if pcm.rms() < SILENCE_RMS / 2:
        return Transcript("", 0.0, audio_s, 0.0, 0.0, rec.name, reason="silence", vad=vad)
    from copilot.speech.early import EarlyDecoder, LiveClock, is_batch

    chunk = int(CHUNK_S * TARGET_RATE_HZ)
    eos = endpointer(vad)
    early = EarlyDecoder(rec, pcm.samples, live=speculate) if is_batch(rec) else None  # type: ignore[arg-type]
    clock = LiveClock()
    end_s: float | None = None
    fed = 0
    t0, cpu0 = time.perf_counter(), time.process_time()
    t_end, cpu_end = t0, cpu0
    if early is None:
        rec.start()
    for i in range(0, len(pcm.samples), chunk):
        part = pcm.samples[i:i + chunk]
        fed = i + len(part)
        clock.wait_for(fed)
        t_end, cpu_end = time.perf_counter(), time.process_time()    # this chunk has arrived
        if early is None:
            rec.feed(part.tobytes())
        ended = eos.push(part)
        if early is not None and early.update(eos, fed):
            clock.start(fed, t_end)
        if ended:
            end_s = fed / TARGET_RATE_HZ
            break
    if end_s is None:                         # the audio ran out: the result waits on nothing
        t_end, cpu_end = time.perf_counter(), time.process_time()
    if early is not None:
        d = early.final(end_s is not None, fed)
        text, confidence, decode_cpu = d.text, d.confidence, d.cpu_ms
    else:
        text, confidence = rec.finish()
    t_final, cpu_final = time.perf_counter(), time.process_time()
    if early is not None:
        # Work, not waiting: the loop without the paced waits, plus every decode.
        decode_ms = (t_end - t0) - clock.waited_ms / 1000 + early.work_ms / 1000
    else:
        decode_ms, decode_cpu = t_final - t0, (cpu_final - cpu0) * 1000
    if not eos.heard_speech and (vad == "silero" or pcm.rms() < 2 * SILENCE_RMS):
        # Nothing stood out from a quiet line, or Silero heard no voice in the noise: what a
        # recogniser makes of it is invented (Whisper says "Thank you." to cabin rumble).
        text, confidence = "", 0.0
    reason = None if text else ("silence" if not eos.heard_speech else "no_words")
    if not eos.ended:
        log.debug("no end of speech before the end of the audio (%.1f s)", audio_s)
    return Transcript(text=text, confidence=confidence, audio_s=audio_s,
                      decode_ms=decode_ms * 1000, final_latency_ms=(t_final - t_end) * 1000,
                      engine=rec.name, reason=reason, end_of_speech_s=end_s, vad=vad,
                      final_cpu_ms=(cpu_final - cpu_end) * 1000,
                      last_speech_s=eos.last_speech_s,
                      speculative=early is not None and early.live and end_s is not None
                      and early.cut is not None and early.cut < fed,
                      discarded=early.discarded if early is not None else 0,
                      decode_cpu_ms=decode_cpu)
