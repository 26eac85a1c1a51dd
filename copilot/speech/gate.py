"""The hearing gate: a spoken turn the recogniser is unsure of is asked again, not acted on.

In a car a misheard request that reads fluently is worse than a request not heard: on
espeak-ng Korean the snap to the template language (`ko_snap`) turned half the misheard
commands into a different, fluent request ("공항으로 가 줘" -> "두통약에 좀 들러 줘"). The
Korean snap's confidence (`ko_snap.confidence`: unsnapped, or no margin over a different
request among vosk's N-best) says when; below `HEARING_MIN` the turn gets `UNSURE` as its
understanding error, a short "say it again" in the turn's language and no actions.

Only vosk's Korean snap is gated: its confidence was measured for this (eval/listen-ko.md);
Whisper's (exp of the mean token log-probability) gives correct English 0.30-0.92, so the
same rule would cost right English turns, and English is left alone until measured.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from routing.messages import Intent, Understanding

log = logging.getLogger(__name__)

UNSURE = "unsure_hearing"
"""The understanding error (and `why`) of a turn asked again."""
HEARING_MIN: dict[tuple[str, str], float] = {("vosk", "ko"): 0.5}
"""(engine, language) -> the hearing confidence a spoken turn needs to be acted on.
vosk/Korean: `ko_snap.UNSURE_CONFIDENCE` (0.4, no margin) and `UNSNAPPED_CONFIDENCE` (0.3)
fall below it, a snap with a margin (1 - distance >= 0.65) does not."""
REPEAT: dict[str, str] = {"ko": "잘 못 들었어요. 다시 말씀해 주세요.",
                          "en": "Sorry, I didn't catch that. Could you say it again?"}


@dataclass(frozen=True)
class Hearing:
    """What the recogniser heard in a spoken turn, with how sure it is of it."""

    text: str
    confidence: float
    """The recogniser's hearing confidence (0-1; `Transcript.confidence`)."""
    engine: str
    language: str
    """The turn's language as heard (BCP 47 primary tag)."""
    tried: tuple[str, ...] = ()
    """The languages whose recognisers heard the turn (`speech.language.hear`), if several."""

    @property
    def unsure(self) -> bool:
        return is_unsure(self.text, self.confidence, self.engine, self.language)


def is_unsure(text: str, confidence: float, engine: str, language: str) -> bool:
    """True when a spoken turn must be asked again instead of acted on (an empty turn is
    not unsure: it has its own reply)."""
    need = HEARING_MIN.get((engine, language))
    return bool(text.strip()) and need is not None and confidence < need


def spoken_language(text: str, fallback: str = "en") -> str:
    """The language of a transcript by its script (vosk's Korean model writes Hangul)."""
    return "ko" if any("\uac00" <= ch <= "\ud7a3" for ch in text) else fallback


def repeat_reply(language: str, tried: tuple[str, ...] = ()) -> str:
    """"Say it again" in the turn's language; when the recognisers of several languages heard
    it, in each of them, the one heard first: Whisper's English of Korean speech and vosk's
    Korean of English speech both read as requests, so the language itself is in doubt."""
    phrases = (REPEAT.get(lang, REPEAT["en"]) for lang in (language, *tried))
    return " ".join(dict.fromkeys(phrases))


def unsure_understanding(h: Hearing) -> Understanding:
    """The understanding of a turn asked again: nothing to act on, the heard text kept."""
    log.info("unsure hearing (%s %.2f): %r asked again", h.engine, h.confidence, h.text[:60])
    return Understanding(text=h.text[:2000], intent=Intent.OUT_OF_SCOPE, confidence=0.0,
                         language=h.language, error=UNSURE)
