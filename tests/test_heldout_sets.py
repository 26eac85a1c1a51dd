"""The held-out understanding sets (eval/HELDOUT.md) are well-formed against the contract.

Only the files are checked here (vocabulary, shapes, sizes), never a model's accuracy: the
sets are scored by `copilot eval understand`. No model is loaded; this runs in well under a
second.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "eval"
SETS = {"incar_heldout.jsonl": ("en", 220), "ko_heldout.jsonl": ("ko", 110),
        "incar_heldout2.jsonl": ("en", 220), "incar_heldout3.jsonl": ("en", 220),
        "incar_heldout4.jsonl": ("en", 220), "incar_heldout5.jsonl": ("en", 220),
        "incar_heldout6.jsonl": ("en", 220), "incar_heldout7.jsonl": ("en", 220),
        "incar_heldout8.jsonl": ("en", 220), "incar_heldout9.jsonl": ("en", 220),
        # Dev sets by outside authors (misses readable, same conventions and checks).
        "incar_dev3.jsonl": ("en", 220), "incar_dev4.jsonl": ("en", 220),
        "incar_dev5.jsonl": ("en", 220), "incar_dev6.jsonl": ("en", 220),
        "incar_dev7.jsonl": ("en", 220), "incar_dev8.jsonl": ("en", 220),
        "questions_dev2.jsonl": ("en", 220), "incar_dev9.jsonl": ("en", 220),
        "incar_dev10.jsonl": ("en", 220), "incar_dev11.jsonl": ("en", 220),
        "questions_dev3.jsonl": ("en", 220)}

# ../shared/CONTRACT.md, "Vocabulary" and section 1 (written out here on purpose: the sets
# are checked against the contract, not against whatever the code happens to accept).
INTENTS = {"navigate", "add_stop", "remove_stop", "cancel", "find_place", "ask_eta",
           "ask_vehicle", "vehicle_control", "out_of_scope"}
CATEGORIES = {"airport", "train_station", "bus_station", "hospital", "hotel", "parking", "fuel",
              "ev_charging", "coffee", "burger", "fast_food", "restaurant", "pizza", "bakery",
              "grocery", "pharmacy", "dry_cleaning", "atm", "bank", "post_office", "car_wash",
              "restroom"}
AVOID = {"highways", "tolls", "ferries", "unpaved"}
ORDER_KEYS = {"drink", "size", "flavor", "milk", "sweetener", "shots", "roast", "iced"}
SAVED = {"home", "work", "gym", "mom's house", "dry cleaner"}
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
KEYS = ["text", "intent", "destination", "stops", "arrive_by", "flight_time", "avoid",
        "language"]
NO_PLACES = {"cancel", "vehicle_control", "out_of_scope"}
HANGUL = re.compile(r"[\uac00-\ud7a3]")
MISSION_KO = ("공항으로 가 줘. 가는 길에 햄버거랑 커피 사고, 세탁소에서 옷도 찾아야 해. "
              "비행기는 5시 반이야.")


def _load(name: str) -> list[dict[str, Any]]:
    lines = (EVAL / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(x) for x in lines if x.strip()]


def _check_place(p: Any, where: str, stop: bool) -> None:
    assert isinstance(p, dict), where
    refs = {k: p.get(k) for k in ("category", "saved", "name")}
    set_refs = [k for k, v in refs.items() if v is not None]
    assert len(set_refs) == 1, f"{where}: exactly one of category/saved/name: {p}"
    if stop:
        assert set(p) - {"order"} == {"category", "saved", "name"}, f"{where}: keys {sorted(p)}"
    else:
        assert set(p) == set(set_refs), f"{where}: a destination has one key: {p}"
    if refs["category"] is not None:
        assert refs["category"] in CATEGORIES, f"{where}: category {refs['category']!r}"
    if refs["saved"] is not None:
        assert refs["saved"] in SAVED, f"{where}: saved label {refs['saved']!r}"
    if refs["name"] is not None:
        assert isinstance(refs["name"], str) and 0 < len(refs["name"]) <= 120, where
    order = p.get("order")
    if order is not None:
        assert refs["category"] == "coffee", f"{where}: an order belongs to a coffee stop"
        assert order and set(order) <= ORDER_KEYS, f"{where}: order keys {sorted(order)}"
        for k, v in order.items():
            if k == "shots":
                assert isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 8, where
            elif k == "iced":
                assert isinstance(v, bool), where
            else:
                assert isinstance(v, str) and v and v == v.lower(), f"{where}: {k}={v!r}"


@pytest.mark.parametrize("name", sorted(SETS))
def test_every_line_is_well_formed(name: str) -> None:
    lang, _ = SETS[name]
    for n, c in enumerate(_load(name), 1):
        where = f"{name}:{n}"
        assert list(c) == KEYS, f"{where}: keys {list(c)}"
        assert isinstance(c["text"], str) and c["text"].strip() == c["text"] and c["text"], where
        assert c["intent"] in INTENTS, f"{where}: intent {c['intent']!r}"
        assert c["language"] == lang, where
        assert bool(HANGUL.search(c["text"])) == (lang == "ko"), f"{where}: script vs language"
        if c["destination"] is not None:
            _check_place(c["destination"], where, stop=False)
        assert isinstance(c["stops"], list), where
        for i, s in enumerate(c["stops"]):
            _check_place(s, f"{where} stop {i}", stop=True)
        for k in ("arrive_by", "flight_time"):
            assert c[k] is None or HHMM.match(c[k]), f"{where}: {k} {c[k]!r}"
        assert isinstance(c["avoid"], list) and set(c["avoid"]) <= AVOID, where
        assert len(set(c["avoid"])) == len(c["avoid"]), where
        if c["intent"] in NO_PLACES:
            assert c["destination"] is None and not c["stops"], f"{where}: no places"
        if c["intent"] in ("add_stop", "remove_stop"):
            assert c["stops"] and c["destination"] is None, f"{where}: stops, no destination"


@pytest.mark.parametrize("name", sorted(SETS))
def test_sizes_and_coverage(name: str) -> None:
    _, least = SETS[name]
    cases = _load(name)
    assert len(cases) >= least
    texts = [c["text"] for c in cases]
    assert len(set(texts)) == len(texts), "duplicate utterances"
    intents = Counter(c["intent"] for c in cases)
    assert set(intents) == INTENTS and min(intents.values()) >= 8, intents
    cats = {p["category"] for c in cases for p in [c["destination"], *c["stops"]]
            if p and p.get("category")}
    assert cats == CATEGORIES, CATEGORIES - cats
    assert {a for c in cases for a in c["avoid"]} == AVOID
    # Questions about a trip not yet started name the place and the arrival to meet.
    assert any(c["intent"] == "ask_eta" and c["destination"] and c["arrive_by"] for c in cases)
    assert any(c["intent"] == "find_place" and c["destination"] for c in cases)


def test_heldout_sets_are_not_in_the_other_sets() -> None:
    """Held-out means disjoint from the sets the project tunes on."""
    texts: dict[str, set[str]] = {}
    for p in EVAL.glob("*.jsonl"):
        texts[p.name] = {str(json.loads(x).get("text", "")).lower()
                         for x in p.read_text(encoding="utf-8").splitlines()
                         if x.strip() and not x.lstrip().startswith("#")}
    for name in SETS:
        # Every other eval file, the other held-out sets included.
        others = set().union(*(t for n, t in texts.items() if n != name))
        clash = [c["text"] for c in _load(name) if c["text"].lower() in others]
        assert not clash, f"{name}: also in another eval set: {clash}"


def test_korean_set_has_the_mission_request() -> None:
    by_text = {c["text"]: c for c in _load("ko_heldout.jsonl")}
    m = by_text[MISSION_KO]
    assert m["intent"] == "navigate" and m["destination"] == {"category": "airport"}
    assert [s["category"] for s in m["stops"]] == ["burger", "coffee", "dry_cleaning"]
    assert m["flight_time"] == "17:30"


@pytest.mark.parametrize("name", sorted(SETS))
def test_sets_load_with_the_scoring_code(name: str) -> None:
    """`copilot eval understand` reads them with the same loader (no model is built)."""
    from copilot.nlu.evaluate import load_cases

    cases = load_cases(EVAL / name)
    assert len(cases) == len(_load(name))
    assert all(set(c.extra) == {"avoid", "language"} for c in cases)
