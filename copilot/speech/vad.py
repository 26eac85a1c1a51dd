"""Voice activity on streamed audio with Silero VAD (the ONNX model faster-whisper ships).

`SileroEndOfSpeech` has the interface of the energy detector in `stream` (`push(chunk)` ->
True once speech has ended; `heard_speech`, `ended`), so either can gate a stream. Silero
scores 32 ms windows (512 samples at 16 kHz, with 64 samples of left context) carrying its
recurrent state from window to window, so a chunk costs the same wherever it falls.

Speech starts after `MIN_SPEECH_S` of windows at or above `THRESHOLD`; it ends after
`TRAILING_SILENCE_S` of windows below `NEG_THRESHOLD` (the hysteresis faster-whisper uses).
An utterance with less than `MIN_UTTERANCE_S` of voiced windows in all waits
`SHORT_TRAILING_SILENCE_S` instead: a clatter in a kitchen or a cabin (a dropped cup, a
door) scores as voice for a tenth of a second, and ending the turn 0.6 s after it cut the
driver off before the first word (4 of 60 real voices in kitchen noise at 6 dB). A lone
"yes" still ends the turn, a little later.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

WINDOW = 512
CONTEXT = 64
RATE_HZ = 16_000
WINDOW_S = WINDOW / RATE_HZ
THRESHOLD = 0.5
NEG_THRESHOLD = 0.35
MIN_SPEECH_S = 0.1
TRAILING_SILENCE_S = 0.6
MIN_UTTERANCE_S = 0.4
SHORT_TRAILING_SILENCE_S = 1.5


def model_path() -> Path:
    """faster-whisper's packaged Silero VAD (FileNotFoundError if faster-whisper is absent)."""
    import importlib.util

    spec = importlib.util.find_spec("faster_whisper")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("faster-whisper is not installed (it carries Silero VAD)")
    path = Path(spec.origin).parent / "assets" / "silero_vad_v6.onnx"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: Silero VAD model missing")
    return path


@functools.cache
def _session() -> Any:
    import onnxruntime

    opts = onnxruntime.SessionOptions()
    # One thread: the VAD runs alongside the recogniser and its windows are tiny.
    opts.inter_op_num_threads = 1
    opts.intra_op_num_threads = 1
    opts.log_severity_level = 4
    # No memory arena: it keeps the largest buffers ever used (bench listen: resident memory).
    opts.enable_cpu_mem_arena = False
    return onnxruntime.InferenceSession(str(model_path()), providers=["CPUExecutionProvider"],
                                        sess_options=opts)


def available() -> bool:
    try:
        model_path()
        import onnxruntime  # noqa: F401
    except (FileNotFoundError, ImportError):
        return False
    return True


class SileroEndOfSpeech:
    """Online end-of-speech detection over 16 kHz int16 chunks with Silero VAD."""

    def __init__(self, trailing_silence_s: float = TRAILING_SILENCE_S,
                 short_trailing_silence_s: float = SHORT_TRAILING_SILENCE_S) -> None:
        self._session = _session()
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT, dtype=np.float32)
        self._rest = np.zeros(0, dtype=np.float32)
        self._trailing = max(1, round(trailing_silence_s / WINDOW_S))
        self._short_trailing = max(self._trailing, round(short_trailing_silence_s / WINDOW_S))
        self._min_speech = max(1, round(MIN_SPEECH_S / WINDOW_S))
        self._min_utterance = max(1, round(MIN_UTTERANCE_S / WINDOW_S))
        self.voiced_windows = 0
        """Windows at or above THRESHOLD since speech started (the utterance's voiced length)."""
        self.voiced_run = 0
        self.silent_run = 0
        self.in_speech = False
        self.heard_speech = False
        self.ended = False
        self.windows = 0
        self.last_voiced_window = -1
        self.probs: list[float] = []

    @property
    def last_speech_s(self) -> float | None:
        """Where the last voiced window ended (seconds of audio), or None."""
        if self.last_voiced_window < 0:
            return None
        return (self.last_voiced_window + 1) * WINDOW_S

    @property
    def silent_s(self) -> float:
        """Length of the current run of silent windows (seconds)."""
        return self.silent_run * WINDOW_S

    def push(self, chunk: np.ndarray) -> bool:
        """Feed one chunk of int16 samples; True once the end of speech has been detected."""
        x = np.concatenate([self._rest, chunk.astype(np.float32) / 32768.0])
        n = len(x) - len(x) % WINDOW
        self._rest = x[n:]
        if n == 0 or self.ended:
            return self.ended
        frames = x[:n].reshape(-1, WINDOW)
        ctx = np.concatenate([self._context[None, :], frames[:-1, -CONTEXT:]], axis=0)
        batch = np.concatenate([ctx, frames], axis=1).astype(np.float32)
        self._context = frames[-1, -CONTEXT:].copy()
        out, self._h, self._c = self._session.run(
            None, {"input": batch, "h": self._h, "c": self._c})
        for p in np.asarray(out, dtype=np.float32).reshape(-1):
            self._window(float(p))
        return self.ended

    def _window(self, prob: float) -> None:
        self.probs.append(prob)
        self.windows += 1
        if self.ended:
            return
        if prob >= THRESHOLD:
            self.voiced_run += 1
            self.silent_run = 0
            self.last_voiced_window = self.windows - 1
            if self.voiced_run >= self._min_speech:
                self.in_speech = self.heard_speech = True
            if self.heard_speech:
                self.voiced_windows += 1
        elif prob < NEG_THRESHOLD or not self.in_speech:
            self.voiced_run = 0
            self.silent_run += 1
            short = self.voiced_windows < self._min_utterance
            wait = self._short_trailing if short else self._trailing
            if self.in_speech and self.silent_run >= wait:
                self.in_speech = False
                self.ended = True
        else:                                  # between the thresholds: keeps speech going
            self.last_voiced_window = self.windows - 1
