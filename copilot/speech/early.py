"""Early decoding at the first pause: the result is ready when the end of speech is decided.

The end-of-speech detector waits `TRAILING_SILENCE_S` (0.6 s) of silence before it decides,
and a recogniser that decodes the utterance in one pass (Whisper) only starts then. Here the
decode of the audio heard so far starts in a worker as soon as the driver has been silent for
`SPECULATE_AFTER_S`, while the detector keeps listening:

- voice again before the decision (a pause inside the request): that decode is discarded,
  the next pause starts another;
- the decision comes with no voice after the cut: the early decode is the result.

Either way the text is the decode of the audio up to the cut (the speech and 0.25-0.35 s of
silence after it), also when nothing runs early (`live=False`): the early result equals the
late one by construction, only its timing differs. The cut is padded with its own last
0.15 s of background, mirrored back and forth to `TAIL_PAD_S`, because Whisper hears the
end of a request better with the background after it: on 100 real voices (every slot heard)
in kitchen noise at 6 dB a bare cut at 0.15 s gave 40 where the decode of everything up to
the decision gave 47, padded 45; at 12 dB padded cuts at 0.15 / 0.25 s gave 65 / 68 against
69 (quiet 90 against 91, cabin 89 against 90, kitchen 18 dB 81 both at 0.15 s).

A file is all there at once, so to measure what a driver would wait, the stream is paced
like a live microphone from the first early decode on: a chunk is handed over only when it
would have been spoken. Before that nothing runs in the background, so there is nothing to
pace.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)

SPECULATE_AFTER_S = 0.25
"""Silence before the early decode starts. With the 0.6 s hangover this leaves ~0.35 s for the
decode (~0.3 s of CPU over two threads, bench listen); 8 of the 200 speech-dev files pause
0.2 s or more inside a request (18 for 0.15 s), each such pause costs a discarded decode."""
RATE_HZ = 16_000
TAIL_S = 0.15
"""The end of the cut the detector has heard as silence: the background to pad with."""
TAIL_PAD_S = 0.5

_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


class BatchRecogniser(Protocol):
    """A recogniser that decodes a whole utterance at once (Whisper)."""

    name: str

    def decode(self, samples: np.ndarray) -> tuple[str, float]: ...


class Endpoint(Protocol):
    """What the early decode reads from an end-of-speech detector."""

    heard_speech: bool

    @property
    def silent_s(self) -> float: ...

    @property
    def last_speech_s(self) -> float | None: ...


def padded(samples: np.ndarray, cut: int) -> np.ndarray:
    """`samples[:cut]` and `TAIL_PAD_S` more of its own background (the last `TAIL_S`,
    mirrored back and forth, so there is no jump where the copies meet)."""
    tail = samples[max(0, cut - int(TAIL_S * RATE_HZ)):cut]
    if len(tail) == 0:
        return samples[:cut]
    pad = np.resize(np.concatenate([tail[::-1], tail]), int(TAIL_PAD_S * RATE_HZ))
    return np.concatenate([samples[:cut], pad])


def is_batch(rec: object) -> bool:
    return callable(getattr(rec, "decode", None))


def _worker() -> ThreadPoolExecutor:
    # One worker per process: decodes run one after another, as on the device, so a
    # discarded decode still running delays the next (that cost is measured, not hidden).
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="early-decode")
        return _pool


@dataclass(frozen=True)
class Decoded:
    text: str
    confidence: float
    wall_ms: float
    cpu_ms: float
    """Process CPU time (every thread) while this decode ran."""


class EarlyDecoder:
    """Follows one stream: where the cut is, the decode started there, what was discarded."""

    def __init__(self, rec: BatchRecogniser, samples: np.ndarray, live: bool = True) -> None:
        self.rec = rec
        self.samples = samples
        self.live = live
        self.cut: int | None = None
        self.started = 0
        self.discarded = 0
        self._future: Future[Decoded] | None = None
        self._done: list[Decoded] = []

    def _decode(self, end: int, pad: bool = True) -> Decoded:
        t, c = time.perf_counter(), time.process_time()
        x = padded(self.samples, end) if pad else self.samples[:end]
        text, conf = self.rec.decode(x.astype(np.float32) / 32768.0)
        d = Decoded(text, conf, (time.perf_counter() - t) * 1000,
                    (time.process_time() - c) * 1000)
        self._done.append(d)
        return d

    def update(self, eos: Endpoint, fed: int) -> bool:
        """After each chunk (`fed` samples so far): discard the cut if voice came after it,
        take one at a long enough pause. True when a decode was started now."""
        last = eos.last_speech_s
        if self.cut is not None and last is not None and last * RATE_HZ > self.cut:
            self.cut = None
            self.discarded += 1
            if self._future is not None:
                self._future.cancel()          # a decode already running finishes unused
                self._future = None
        if self.cut is None and eos.heard_speech and eos.silent_s >= SPECULATE_AFTER_S:
            self.cut = fed
            if self.live:
                self._future = _worker().submit(self._decode, fed)
                self.started += 1
                return True
        return False

    def final(self, ended: bool, fed: int) -> Decoded:
        """The result: the decode at the cut once the end of speech is decided, else (the
        audio ran out first) a decode of everything fed."""
        if ended and self.cut is not None:
            if self._future is not None:
                return self._future.result()
            return self._decode(self.cut)
        if self._future is not None:
            self._future.cancel()
            self._future = None
        return self._decode(fed, pad=False)

    @property
    def work_ms(self) -> float:
        """Wall time of every decode that finished, kept or discarded."""
        return sum(d.wall_ms for d in self._done)


class LiveClock:
    """Hands chunks over no sooner than a microphone would, once `start` has been called."""

    def __init__(self) -> None:
        self._origin: tuple[float, int] | None = None
        self.waited_ms = 0.0

    def start(self, fed: int, arrived: float) -> None:
        """From now on chunks come in real time; `fed` samples arrived at `arrived`."""
        if self._origin is None:
            self._origin = (arrived, fed)

    def wait_for(self, fed: int) -> None:
        """Block until the audio up to sample `fed` has been spoken."""
        if self._origin is None:
            return
        t0, start = self._origin
        delay = t0 + (fed - start) / RATE_HZ - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
            self.waited_ms += delay * 1000
