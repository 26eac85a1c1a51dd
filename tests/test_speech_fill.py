"""Unknown words an order places in a detail (copilot/speech/fill.py).

Where the grammar sees a detail it cannot read, which menu phrases it offers there, and, with
the real model on real voices of ../shared/speech-dev, that Whisper's decoder picks the shot
count a speaker said when the transcript's count word is replaced by a word no menu has.
"""

from __future__ import annotations

import re

import pytest
from speechdev import LABELS, needs_set, samples

from copilot.speech import fill as F


def _one(text: str) -> F.Fill:
    spots = F.fills(text.split())
    assert len(spots) == 1, spots
    return spots[0]


def test_a_word_before_a_head_word_is_that_heads_modifier() -> None:
    text = "Make me a large chicken shot cappuccino with sugar."
    words, spot = text.split(), _one(text)
    assert words[spot.start:spot.end] == ["chicken", "shot"]
    # Every shot count, each said in two words like the two it replaces.
    assert set(spot.options) == {"single shot", "double shot", "triple shot", "quad shot"}


def test_before_a_head_word_the_parser_reads_the_word_as_heard_stays_an_option() -> None:
    text = "A medium roast drip coffee with honey and some bell sugar."
    words, spot = text.split(), _one(text)
    assert words[spot.start:spot.end] == ["bell", "sugar."]
    assert spot.options[0] == "brown sugar" and "sugar" in spot.options


def test_what_follows_an_amount_is_a_milk_or_a_sweetener() -> None:
    from copilot.speech.constrained import order_phrases

    spot = _one("Get me a 20 ounce chai latte with a little bit of sweetheart.")
    fields = {p.field for p in order_phrases() if p.text in spot.options}
    assert fields == {"milk", "sweetener"}
    assert any(o.startswith("sweet") for o in spot.options)


def test_no_place_to_fill_outside_an_order_or_in_an_order_read_throughout() -> None:
    for text in ("Take me to the airport and stop at a coffee shop.",
                 "Navigate home, the big shot is waiting.",
                 "Can I get a large iced latte with oat milk?", ""):
        assert F.fills(text.split()) == []


_COUNTS = {"single shot": "single", "double shot": "double", "triple shot": "triple"}


@needs_set
@pytest.mark.slow
def test_the_decoder_fills_the_shot_count_the_speaker_said() -> None:
    from copilot.speech.constrained import Scorer, repair
    from copilot.speech.engines import recogniser

    rec = recogniser("whisper", None, True)
    tried = right = 0
    for name in sorted(LABELS):
        said = LABELS[name]["slots"].get("numberOfShots", "").strip().lower()
        if said not in _COUNTS:
            continue
        x = samples(name).astype("float32") / 32768.0
        d = rec._nbest(x)                               # quiet audio: the count is heard
        text = d.texts[0]
        word = _COUNTS[said]
        if not re.search(rf"\b{word} shot\b", text, re.IGNORECASE):
            continue
        garbled = re.sub(rf"\b{word} shot\b", "chicken shot", text, count=1,
                         flags=re.IGNORECASE)
        fixed = repair(garbled, Scorer(rec._model.model, d.encoded, d.mel_frames, d.tok)).text
        tried += 1
        right += f"{word} shot" in fixed.lower()
        if tried == 6:
            break
    assert tried == 6
    assert right >= 5, (right, tried)
