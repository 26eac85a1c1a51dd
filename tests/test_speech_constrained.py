"""The order grammar over Whisper's N-best (copilot/speech/constrained.py).

Unit tests of where the grammar sees an order's details and which hypothesis it keeps, then
the real model on real voices of ../shared/speech-dev in the set's kitchen noise: the same
files with and without the order grammar, scored by command acceptance.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from speechdev import LABELS, SPEECH_DEV, needs_set, samples
from wavs import wav_bytes

from copilot.speech import constrained as C

ROOT = Path(__file__).resolve().parents[1]


def _words(text: str) -> list[str]:
    return text.split()


def test_grammar_phrases_come_from_the_order_vocabulary() -> None:
    from copilot.nlu.lexicon import lexicon

    phrases = C.order_phrases()
    tables = lexicon().order_words
    assert {p.field for p in phrases} == set(tables)
    for p in phrases:
        assert tuple(p.text.split()) in tables[p.field] and p.key
    texts = {p.text for p in phrases}
    assert {"cappuccino", "skim milk", "brown sugar", "triple shot", "12 ounce"} <= texts


def test_a_navigation_request_is_no_order_and_has_no_details() -> None:
    for text in ("Take me to the airport and stop at a coffee shop.",
                 "Navigate home avoiding highways.", "Is there a pharmacy open now?"):
        words = text.split()
        assert not C.is_order(words)
        assert C.stretches(words) == []
        assert C.unknown_details(text) == -1


def test_details_of_an_order_are_found_with_the_unknown_words_among_them() -> None:
    words = _words("Get me a 16 ounce triple shot iced coffee with a locked brown sugar.")
    spots = {(s.said, s.field) for s in C.stretches(words)}
    assert ("16 ounce", "size") in spots and ("triple shot", "shots") in spots
    assert ("brown sugar", "sweetener") in spots
    assert ("locked", None) in spots                     # unknown, between "a" and a detail
    # A detail the parser hears by sound is no unknown word, but not a sure one either.
    trip = C.stretches(_words("Can I get a trip a shot light roast coffee?"))
    assert any(s.said == "trip" and s.field == "shots" and not s.sure for s in trip)


def test_a_clean_order_has_no_unknown_details() -> None:
    assert C.unknown_details("Can I get a large iced latte with oat milk?") == 0
    assert C.unknown_details("I'd like a triple shot large iced coffee with sweet mac.") > 0


def test_choose_keeps_the_first_hypothesis_the_order_grammar_reads_throughout() -> None:
    hyps = ["Get me a 16 ounce triple shot iced coffee with a locked brown sugar.",
            "Get me a 16 ounce triple shot iced coffee with a lock brown sugar.",
            "Get me a 16 ounce triple shot iced coffee with a lot of brown sugar."]
    assert C.choose(hyps) == 2
    # The best is kept when it already reads as an order, when none does, and when it is
    # no order at all (a request that is not an order stays open-vocabulary).
    assert C.choose(["A large latte.", "A large lotta."]) == 0
    assert C.choose(["A latte with sweet mac.", "A latte with sweet mack."]) == 0
    assert C.choose(["Take me to the mall.", "Take me a latte with oat milk."]) == 0
    assert C.choose([]) == 0


def test_nearest_phrases_sound_like_what_was_heard() -> None:
    near = [p.text for p in C.nearest_phrases("tapuccino")]
    assert near[0] == "cappuccino"
    assert "8 ounce" in [p.text for p in C.nearest_phrases("a ounce", field="size")]
    assert all(p.field == "shots" for p in C.nearest_phrases("google shot", field="shots"))


def test_sound_alikes_get_their_fields_values_as_candidates() -> None:
    words = _words("Give me an 8 ounce light roast purple shot house coffee with sugar.")
    (spot,) = C.sound_alikes(words)
    assert (spot.said, spot.field) == ("purple shot", "shots")
    texts = [p.text for p in C.candidates(spot)]
    assert {"single shot", "double shot", "triple shot"} <= set(texts)
    # The field the parser guessed may itself be the mistake: one phrase of another field.
    (milk,) = C.sound_alikes(_words("A mocha with sweet milk."))
    assert any(p.field == "sweetener" for p in C.candidates(milk))
    # Exact menu words and requests without an order have none.
    assert C.sound_alikes(_words("A large latte with oat milk.")) == []
    assert C.sound_alikes(_words("Take me to the coffee shop on main street.")) == []



@needs_set
@pytest.mark.slow
def test_order_grammar_recovers_orders_in_kitchen_noise_on_real_voices() -> None:
    from copilot.nlu.orders_eval import order_of, score
    from copilot.nlu.understander import Understander
    from copilot.speech import transcribe
    from copilot.speech.listen_eval import condition_audio, load_set

    _, kitchen = load_set(SPEECH_DEV, 1)
    u = Understander(None, use_llm=False)
    names = sorted(LABELS)[:28]                        # the first files, whatever they say
    accepted = {False: 0, True: 0}
    for name in names:
        wav = wav_bytes(condition_audio(samples(name), "kitchen 12 dB", name, kitchen))
        for repair in (False, True):
            t = transcribe(wav, engine="whisper", repair=repair, speculate=False)
            got = order_of(u.understand(t.text))
            accepted[repair] += score(got, LABELS[name]["slots"]).accepted
    assert accepted[True] > accepted[False], accepted
