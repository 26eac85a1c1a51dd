"""A reply is spoken as it is produced: sentence by sentence, the first playing while the rest
is synthesised.

`Speaker` picks the engine per language: piper's natural en_US voice for English when it
loads, espeak-ng otherwise (and for every other language, e.g. Korean with espeak's `ko`
voice). A synthesiser thread renders sentences into a queue; the caller's thread hands each
one to a sink (the cabin player, a WAV file, an MQTT message) the moment it is ready, so the
driver hears the first sentence after one sentence's synthesis, not the whole reply's.
"""

from __future__ import annotations

import io
import logging
import queue
import re
import shutil
import subprocess
import threading
import time
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from copilot.voice.engines import Engine, EspeakEngine, VoiceError, piper_engine

log = logging.getLogger(__name__)

MAX_SPOKEN_CHARS = 600
"""Replies are brief; anything longer is cut rather than read out for a minute."""
ENGINES = ("auto", "piper", "espeak")
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+")
MAX_SENTENCE_CHARS = 160
"""A sentence longer than this is split at its commas."""
FIRST_CHUNK_CHARS = 60
"""The first piece is cut shorter (at a comma) so the driver hears the reply begin sooner."""


def sentences(text: str) -> list[str]:
    """The reply cut into sentences (long ones at commas), empty pieces dropped."""
    out: list[str] = []
    for s in _SENTENCE_END.split(text[:MAX_SPOKEN_CHARS].strip()):
        s = s.strip()
        if not s:
            continue
        while True:
            limit = FIRST_CHUNK_CHARS if not out else MAX_SENTENCE_CHARS
            if len(s) <= limit or "," not in s[8:limit]:
                break
            cut = s.rindex(",", 8, limit) + 1
            out.append(s[:cut].strip())
            s = s[cut:].strip()
        if s:
            out.append(s)
    return out


@dataclass(frozen=True)
class SpokenChunk:
    index: int
    text: str
    pcm: bytes
    """16-bit little-endian mono PCM."""
    sample_rate: int
    engine: str
    ready_s: float
    """Seconds from the start of `speak` until this chunk was synthesised."""

    @property
    def duration_s(self) -> float:
        return len(self.pcm) / 2 / self.sample_rate


@dataclass(frozen=True)
class SpeechTimings:
    engine: str
    first_audio_s: float
    """From the reply text to the first sentence's audio handed to the sink."""
    total_s: float
    audio_s: float

    @property
    def rtf(self) -> float:
        """Synthesis time over audio time (below 1: faster than it is spoken)."""
        return self.total_s / self.audio_s if self.audio_s else 0.0


def _resample(pcm: bytes, src: int, dst: int) -> bytes:
    if src == dst or not pcm:
        return pcm
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float32)
    n = round(len(x) * dst / src)
    y = np.interp(np.linspace(0, len(x) - 1, n), np.arange(len(x)), x)
    return y.astype("<i2").tobytes()


class Speaker:
    """Speaks replies; the voices are loaded on first use and kept for the process."""

    def __init__(self, engine: str = "auto", *, piper_model: Path | None = None) -> None:
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
        self.engine = engine
        self.piper_model = piper_model
        self._piper_failed: str | None = None
        self._espeak: dict[str, EspeakEngine] = {}
        self._lock = threading.Lock()

    def engine_for(self, language: str = "en") -> Engine:
        """The engine that speaks `language`: piper for English when it loads, else espeak."""
        with self._lock:
            if self.engine != "espeak" and language == "en" and self._piper_failed is None:
                try:
                    return piper_engine(self.piper_model)
                except VoiceError as exc:
                    self._piper_failed = str(exc)
                    if self.engine == "piper":
                        raise
                    log.warning("piper voice unavailable (%s); espeak-ng speaks instead", exc)
            if self.engine == "piper":
                raise VoiceError(self._piper_failed or
                                 f"the piper voice speaks English only, not {language!r}")
            if language not in self._espeak:
                self._espeak[language] = EspeakEngine(language)
            return self._espeak[language]

    def chunks(self, text: str, language: str = "en") -> Iterator[SpokenChunk]:
        """Each sentence's audio, in order, as soon as it is synthesised."""
        t0 = time.perf_counter()
        engine = self.engine_for(language)
        rate = engine.sample_rate
        for i, sentence in enumerate(sentences(text)):
            try:
                pcm, name = engine.sentence_pcm(sentence), engine.name
            except Exception as exc:           # a sentence piper cannot say: espeak says it
                if isinstance(engine, EspeakEngine) or self.engine == "piper":
                    raise VoiceError(f"{engine.name} failed on a sentence: {exc}") from exc
                log.warning("%s failed (%s); espeak-ng speaks this sentence", engine.name, exc)
                fallback = EspeakEngine(language)
                pcm = _resample(fallback.sentence_pcm(sentence), fallback.sample_rate, rate)
                name = fallback.name
            yield SpokenChunk(i, sentence, pcm, rate, name, time.perf_counter() - t0)

    def speak(self, text: str, sink: Callable[[SpokenChunk], None],
              language: str = "en") -> SpeechTimings:
        """Synthesise in a thread and hand each sentence to `sink` as soon as it is ready."""
        t0 = time.perf_counter()
        q: queue.Queue[SpokenChunk | BaseException | None] = queue.Queue()

        def produce() -> None:
            try:
                for c in self.chunks(text, language):
                    q.put(c)
            except BaseException as exc:       # handed to the caller's thread, not lost
                q.put(exc)
            finally:
                q.put(None)

        worker = threading.Thread(target=produce, name="voice-synth", daemon=True)
        worker.start()
        first: float | None = None
        audio_s = 0.0
        engine = ""
        while True:
            item = q.get()
            if item is None:
                break
            if isinstance(item, BaseException):
                worker.join()
                raise item if isinstance(item, VoiceError) else VoiceError(str(item))
            if first is None:
                first = time.perf_counter() - t0
            engine = engine or item.engine
            audio_s += item.duration_s
            sink(item)
        worker.join()
        total = time.perf_counter() - t0
        return SpeechTimings(engine=engine, first_audio_s=first if first is not None else total,
                             total_s=total, audio_s=audio_s)

    def wav(self, text: str, language: str = "en") -> bytes:
        """The whole reply as one WAV (mono, 16-bit)."""
        parts: list[SpokenChunk] = []
        self.speak(text, parts.append, language)
        if not parts:
            raise VoiceError("nothing to say: the reply has no words")
        return to_wav(b"".join(c.pcm for c in parts), parts[0].sample_rate)


def to_wav(pcm: bytes, sample_rate: int) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm)
    return buf.getvalue()


class PlayerSink:
    """Plays chunks on the cabin speakers as they arrive (sox `play` or ALSA `aplay`)."""

    def __init__(self, sample_rate: int) -> None:
        if shutil.which("aplay"):
            cmd = ["aplay", "-q", "-t", "raw", "-f", "S16_LE", "-c", "1", "-r",
                   str(sample_rate), "-"]
        elif shutil.which("play"):
            cmd = ["play", "-q", "-t", "raw", "-r", str(sample_rate), "-e", "signed",
                   "-b", "16", "-c", "1", "-"]
        else:
            raise VoiceError("no audio player (aplay or sox's play) is installed")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)

    def __call__(self, chunk: SpokenChunk) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.write(chunk.pcm)
            self.proc.stdin.flush()

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=120)


_default: list[Speaker] = []
_default_lock = threading.Lock()


def default_speaker() -> Speaker:
    """The process's speaker (engine "auto"): one piper voice per process."""
    with _default_lock:
        if not _default:
            _default.append(Speaker())
        return _default[0]
