"""Typo correction onto the copilot's closed vocabulary (copilot/nlu/spelling.py)."""

from __future__ import annotations

import pytest

from copilot.nlu import Understander
from copilot.nlu.spelling import Speller, bound, correct, damerau_levenshtein, speller


def test_distance_counts_a_transposition_as_one() -> None:
    assert damerau_levenshtein("hoem", "home") == 1
    assert damerau_levenshtein("cancle", "cancel") == 1
    assert damerau_levenshtein("bakrey", "bakery") == 1
    assert damerau_levenshtein("abc", "abc") == 0
    assert damerau_levenshtein("", "abc") == 3


def test_bound_depends_on_length() -> None:
    assert [bound(w) for w in ("at", "gym", "home", "station", "hospital")] == [0, 1, 1, 1, 2]


@pytest.mark.parametrize(("typed", "meant"), [
    ("hosptial", "hospital"), ("aiport", "airport"), ("bakrey", "bakery"),
    ("wokr", "work"), ("statoin", "station"), ("cancle", "cancel"), ("higways", "highways"),
    ("starbuks", "starbucks"), ("gass", "gas"), ("supermakret", "supermarket"),
    ("lattte", "latte"), ("donust", "donut"), ("tols", "tolls"), ("tomorow", "tomorrow"),
])
def test_corrects_vocabulary_typos(typed: str, meant: str) -> None:
    s = speller()
    assert s is not None
    assert s.correct_word(typed) == meant


@pytest.mark.parametrize("word", ["sheets", "dont", "caring", "pass", "stations", "wendy",
                                  "bear", "homes", "coffee", "gym", "restaurants"])
def test_real_words_are_left_alone(word: str) -> None:
    s = speller()
    assert s is not None
    assert s.correct_word(word) is None


def test_short_words_are_left_alone() -> None:
    s = Speller(["home", "work", "gym", "atm", "gas"], known=["him"])
    assert s.correct_word("go") is None           # 2 letters: no edits allowed
    assert s.correct_word("hom") == "home"        # 3 letters: a dropped letter
    assert s.correct_word("wrk") == "work"
    assert s.correct_word("gsa") == "gas"         # or two letters swapped
    assert s.correct_word("gim") is None          # a changed letter in three is not guessed
    assert s.correct_word("atl") is None          # Atlanta's airport, not an ATM
    assert s.correct_word("him") is None          # a known word


def test_typos_the_training_data_carries_are_still_corrected() -> None:
    # The corpus holds "tkae" and "wrok" on purpose (typo robustness), so counting corpus
    # words as known had made them words: the known list leaves swapped vocabulary out.
    s = speller()
    assert s is not None
    assert (s.correct_word("tkae"), s.correct_word("wrok")) == ("take", "work")
    for word in ("from", "form", "lax", "jfk", "sfo"):   # real swaps and airport codes stay
        assert s.correct_word(word) is None, word


def test_no_place_is_invented() -> None:
    s = Speller(["pharmacy", "airport"], known=["harbor"])
    assert s.correct_word("zebulon") is None      # no neighbour: stays as typed
    assert s.correct("take me to Zebulon Park") == "take me to Zebulon Park"
    assert s.correct("the airprt, then Phramacy") == "the airport, then Pharmacy"
    assert s.correct_word("harbor") is None       # a known word is never rewritten


def test_a_tie_is_not_guessed() -> None:
    s = Speller(["bake", "bike"], known=[])
    assert s.correct_word("bqke") is None


def test_extra_words_join_the_vocabulary() -> None:
    s = Speller(["home"], known=[]).with_words(["grandma's cabin", "lake house"])
    assert s.correct_word("cabni") == "cabin"


@pytest.mark.parametrize("text", ["", " ", "x" * 5000, "a" * 30, "\x00\u202e", "🚗🚗",
                                  "'''", "McDonalds'' s'"])
def test_bad_input_never_raises(text: str) -> None:
    assert isinstance(correct(text), str)


@pytest.mark.parametrize(("text", "intent", "dest", "stop"), [
    ("take me to the hosptial", "navigate", {"category": "hospital"}, None),
    ("drive hoem and stop at a gas statoin on the way", "navigate", {"saved": "home"}, "fuel"),
    ("add a stop at the supermakret", "add_stop", None, "grocery"),
    ("cancle the whole trip", "cancel", None, None),
    ("tkae me to wrok", "navigate", {"saved": "work"}, None),
    ("set a course for hom", "navigate", {"saved": "home"}, None),
])
def test_understand_typos_end_to_end(text: str, intent: str, dest: dict[str, str] | None,
                                     stop: str | None) -> None:
    u = Understander(use_llm=False).understand(text)
    assert u.text == text                        # the driver's words are kept
    assert u.intent.value == intent
    got = u.destination.model_dump(exclude_none=True) if u.destination else None
    if got is not None:
        got = {k: v for k, v in got.items() if k in ("category", "saved", "name")}
    assert got == dest
    assert [s.category.value for s in u.stops if s.category] == ([stop] if stop else [])


@pytest.mark.parametrize("word", ["zorn", "corning", "clearest", "joel's", "mother's"])
def test_names_with_another_first_letter_or_an_apostrophe_stay(word: str) -> None:
    s = speller()
    assert s is not None
    assert s.correct_word(word) is None
