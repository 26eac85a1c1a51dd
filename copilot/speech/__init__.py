"""Speech: 16-bit PCM WAV bytes -> `Transcript`, on the device.

    from copilot.speech import transcribe, AudioError
    t = transcribe(open("turn.wav", "rb").read())                 # pocketsphinx, English
    t = transcribe(wav, engine="vosk", model_dir=Path("/models/vosk-en"))
    t = transcribe(wav, adaptation=Path("~/driver-profile"))       # after `listen enroll`

Audio is streamed to the recogniser in chunks with end-of-speech detection (`stream`).
Bad audio raises `AudioError` with a `.reason` (not_wav, not_pcm16, clipped, ...); silence
is not an error: it gives an empty transcript with `reason="silence"`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from copilot.speech.audio import AudioError

__all__ = ["ENGINES", "AudioError", "Transcript", "transcribe"]

ENGINES = ("pocketsphinx", "vosk")


@dataclass(frozen=True)
class Transcript:
    text: str
    confidence: float
    audio_s: float
    decode_ms: float
    """Wall time to decode the whole file."""
    final_latency_ms: float
    """Time from the end of speech being fed to the final result."""
    engine: str
    reason: str | None = None
    """Why the transcript is empty ("silence"), else None."""


def transcribe(wav: bytes, engine: str = "pocketsphinx", model_dir: Path | None = None,
               grammar: bool | str = True, adaptation: Path | None = None) -> Transcript:
    """Recognise one utterance. Raises AudioError for audio that is not usable speech.

    `grammar`: True = domain grammar from the templates, "jsgf" = strict template grammar
    (PocketSphinx), False = the recogniser's general model. `adaptation`: a driver's
    enrollment profile (`copilot listen enroll`, `copilot.speech.adapt`), PocketSphinx only;
    a directory that is not a profile raises `copilot.speech.adapt.EnrollError`."""
    from copilot.speech.audio import read_wav
    from copilot.speech.engines import recogniser
    from copilot.speech.stream import run_stream

    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    pcm = read_wav(wav)
    rec = recogniser(engine, model_dir, grammar, adaptation)
    return run_stream(rec, pcm)
