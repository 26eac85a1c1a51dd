"""Spoken replies: espeak-ng renders the reply text as a WAV for the cabin speakers."""

from __future__ import annotations

import logging
import shutil
import subprocess

from pydantic import BaseModel, ConfigDict

log = logging.getLogger(__name__)

ESPEAK = "espeak-ng"
MAX_SPOKEN_CHARS = 600
"""Replies are brief; anything longer is cut rather than read out for a minute."""


class SpeechOutError(RuntimeError):
    pass


class SpokenReply(BaseModel):
    """`copilot/VIN/reply/audio` (extension): the reply as speech, with the request id."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str | None
    proactive: bool = False
    text: str
    audio_wav_b64: str


def synthesize_wav(text: str, *, voice: str = "en-us", words_per_minute: int = 165,
                   timeout_s: float = 20.0) -> bytes:
    """espeak-ng WAV bytes (22.05 kHz mono 16-bit) for `text`."""
    exe = shutil.which(ESPEAK)
    if exe is None:
        raise SpeechOutError("espeak-ng is not installed")
    # text goes on stdin, never on the command line (a reply starting with '-' is not an option)
    proc = subprocess.run([exe, "-v", voice, "-s", str(words_per_minute), "--stdout"],
                          input=text[:MAX_SPOKEN_CHARS].encode(), capture_output=True,
                          timeout=timeout_s, check=False)
    if proc.returncode != 0 or not proc.stdout.startswith(b"RIFF"):
        raise SpeechOutError(f"espeak-ng failed: {proc.stderr.decode(errors='replace')[:200]}")
    return proc.stdout
