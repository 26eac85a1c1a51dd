"""Benchmark labels map onto our Order, and acceptance means every labelled slot right."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from copilot.nlu.orders_eval import LabelError, label_order, order_of, score, summarise
from copilot.nlu.understander import Understander
from routing.messages import Order

LABELS = Path(__file__).resolve().parents[2] / "shared" / "speech-dev" / "labels.json"


@pytest.mark.skipif(not LABELS.exists(), reason="speech-dev labels not present")
def test_every_dev_label_maps_onto_an_order_with_one_field_set_per_slot() -> None:
    labels = json.loads(LABELS.read_text())
    for name, entry in labels.items():
        order = label_order(entry["slots"])
        assert order.drink, name
        said = {k for k, v in order.model_dump().items() if v is not None}
        assert len(said) >= len(entry["slots"]), name


def test_label_words_become_canonical_order_words() -> None:
    order = label_order({"coffeeDrink": "iced mocha", "size": "twelve ounce",
                         "numberOfShots": "triple shot", "milkAmount": "a little bit of skim milk",
                         "sugarAmount": " brown sugar", "roast": "dark roast"})
    assert order == Order(drink="mocha", iced=True, size="12 ounce", shots=3, milk="skim milk",
                          milk_amount="a little", sweetener="brown sugar", roast="dark roast")
    assert label_order({"coffeeDrink": "house coffee", "sugarAmount": "lots of sweetener"}) == \
        Order(drink="house coffee", sweetener="sweetener", sweetener_amount="a lot")


def test_an_unknown_label_word_is_a_clear_error() -> None:
    with pytest.raises(LabelError, match="size"):
        label_order({"coffeeDrink": "latte", "size": "bucket"})
    with pytest.raises(LabelError, match="slot"):
        label_order({"temperature": "hot"})


def test_acceptance_needs_every_slot_right_and_nothing_invented() -> None:
    slots = {"coffeeDrink": "iced coffee", "numberOfShots": "double shot"}
    right = Order(drink="coffee", iced=True, shots=2)
    assert score(right, slots).accepted
    wrong_shots = score(Order(drink="coffee", iced=True, shots=3), slots)
    assert not wrong_shots.accepted and wrong_shots.slots == {"coffeeDrink": True,
                                                             "numberOfShots": False}
    not_iced = score(Order(drink="coffee", shots=2), slots)
    assert not not_iced.accepted and not not_iced.slots["coffeeDrink"]
    invented = score(Order(drink="coffee", iced=True, shots=2, size="large"), slots)
    assert not invented.accepted and invented.extra == ("size",)
    assert not score(None, slots).accepted
    summary = summarise([score(right, slots), wrong_shots, invented])
    assert (summary.accepted, summary.total, summary.invented) == (1, 3, 1)
    assert summary.slot_right == {"coffeeDrink": 3, "numberOfShots": 2}


def test_order_of_reads_the_understanding_and_its_json() -> None:
    u = Understander(use_llm=False).understand(
        "take me to the airport and get me a large oat latte on the way")
    got = order_of(u)
    assert got is not None and got.drink == "latte" and got.size == "large"
    assert order_of(json.loads(u.model_dump_json())) == got
    assert order_of({"stops": []}) is None and order_of(None) is None
