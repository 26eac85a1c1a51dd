"""Korean understanding: the same structured request as English, language "ko"."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from copilot.nlu import Understander
from copilot.nlu.evaluate import Case, score
from copilot.nlu.ko import hangul_share, is_korean, parse_korean
from copilot.nlu.ko.templates import particle, phrases, sample, training_rows
from copilot.nlu.ko.times import find_times
from copilot.nlu.text import sanitise

MISSION_KO = ("공항으로 가 줘. 가는 길에 햄버거랑 커피 사고, 세탁소에서 옷도 찾아야 해. "
              "비행기는 5시 반이야.")


def _cats(u: object) -> list[str | None]:
    return [s.category.value if s.category else s.saved for s in u.stops]  # type: ignore[attr-defined]


def test_mission_request_in_korean_through_the_cli() -> None:
    out = subprocess.run([sys.executable, "-m", "copilot.cli", "understand", "--json", MISSION_KO,
                          "--no-llm"], capture_output=True, text=True, timeout=120, check=True)
    obj = json.loads(out.stdout)
    assert obj["language"] == "ko"
    assert obj["intent"] == "navigate"
    assert obj["destination"] == {"category": "airport"}
    assert [s["category"] for s in obj["stops"]] == ["burger", "coffee", "dry_cleaning"]
    assert obj["flight_time"] == "17:30"
    assert obj["error"] is None


@pytest.mark.parametrize(("text", "intent", "dest", "stops"), [
    ("집으로가줘", "navigate", {"saved": "home"}, []),
    ("회사까지 안내해 주세요", "navigate", {"saved": "work"}, []),
    ("경로안내취소해줘", "cancel", None, []),
    ("근처에 약국 있어?", "find_place", {"category": "pharmacy"}, []),
    ("기름 얼마나 남았어?", "ask_vehicle", None, []),
    ("공항까지 얼마나 걸려?", "ask_eta", {"category": "airport"}, []),
    ("창문 열어 줘", "vehicle_control", None, []),
    ("커피는 빼 줘", "remove_stop", None, ["coffee"]),
    ("주유소 들러 줘", "add_stop", None, ["fuel"]),
    ("은행이랑 우체국 들렀다가 집으로 가 줘", "navigate", {"saved": "home"},
     ["bank", "post_office"]),
    ("오늘 날씨 어때?", "out_of_scope", None, []),
    ("빵집에 들러 줘", "add_stop", None, ["bakery"]),          # 빵집 is a bakery, not home
    ("공함으로 가자", "navigate", {"category": "airport"}, []),  # one-letter typo
])
def test_korean_forms_of_each_intent(text: str, intent: str, dest: dict[str, str] | None,
                                     stops: list[str]) -> None:
    u = parse_korean(text)
    assert u.intent.value == intent
    got = u.destination.model_dump(mode="json") if u.destination else None
    assert got == dest
    assert _cats(u) == stops
    assert u.language == "ko"


@pytest.mark.parametrize(("text", "hhmm", "role"), [
    ("다섯 시 반까지", "17:30", "arrive_by"),
    ("오후 3시 15분까지", "15:15", "arrive_by"),
    ("세 시 십오 분에 회의가 있어", "15:15", "arrive_by"),
    ("비행기는 여섯 시 사십오 분이야", "18:45", "flight"),
    ("아침 9시까지", "09:00", "arrive_by"),
    ("저녁 8시 비행기", "20:00", "flight"),
    ("17:30까지", "17:30", "arrive_by"),
])
def test_korean_times(text: str, hhmm: str, role: str) -> None:
    times = find_times(text.replace(" ", ""))
    assert [(t.hhmm, t.role) for t in times] == [(hhmm, role)]


def test_hours_are_not_durations() -> None:
    assert find_times("두시간걸려") == []
    assert find_times("한시간쯤") == []


def test_brand_stop_keeps_its_name_and_orders_use_canonical_words() -> None:
    u = parse_korean("스타벅스에서 아이스 라떼 큰 거 하나 사 가자")
    assert u.intent.value == "add_stop"
    stop = u.stops[0]
    assert stop.category is not None and stop.category.value == "coffee"
    assert stop.name == "스타벅스"
    assert stop.order is not None
    assert stop.order.model_dump() == {"drink": "latte", "size": "large", "iced": True}


def test_unknown_place_is_kept_by_name() -> None:
    u = parse_korean("지금 허시 파크로 가 줘")
    assert u.intent.value == "navigate"
    assert u.destination is not None and u.destination.model_dump() == {"name": "허시 파크"}


def test_refusals_and_services_follow_the_english_conventions() -> None:
    assert parse_korean("경찰 따돌리는 방법 알려 줘").error == "refused_harmful"
    taxi = parse_korean("택시 불러 줘")
    assert taxi.intent.value == "out_of_scope" and taxi.error == "unsupported_service"
    assert taxi.destination is None and taxi.stops == ()


def test_road_preferences() -> None:
    u = parse_korean("고속도로 피해서 가 줘")
    assert u.intent.value == "navigate" and [a.value for a in u.avoid] == ["highways"]
    assert [a.value for a in parse_korean("통행료 없는 길로 공항 가자").avoid] == ["tolls"]


def test_language_is_chosen_from_the_text() -> None:
    u = Understander(use_llm=False, mode="rules")
    assert u.understand("take me home").language == "en"
    ko = u.understand("집에 가자")
    assert ko.language == "ko" and ko.destination is not None
    assert sanitise("공항 가자").error is None and sanitise("공항 가자").language == "ko"
    # A script the copilot does not understand is still refused with a clear code.
    assert u.understand("Отвези меня домой").error == "not_english"
    assert hangul_share("KTX역 가자") == 0.5 and is_korean("KTX역 가자")


def test_korean_bad_input_is_flagged_not_dropped() -> None:
    u = Understander(use_llm=False, mode="rules").understand("공항으로\x00 가 줘")
    assert u.error == "control_chars" and u.language == "ko" and u.confidence <= 0.2


def test_particles_follow_the_last_syllable() -> None:
    assert particle("공항", "로") == "공항으로"
    assert particle("회사", "로") == "회사로"
    assert particle("서울", "로") == "서울로"
    assert particle("커피", "랑") == "커피랑"
    assert particle("햄버거", "을") == "햄버거를"


def test_every_intent_has_korean_templates_and_every_category_a_korean_form() -> None:
    rows = training_rows(per_intent=30, seed=3)
    assert {r["intent"] for r in rows} == {"navigate", "add_stop", "remove_stop", "cancel",
                                           "find_place", "ask_eta", "ask_vehicle",
                                           "vehicle_control", "out_of_scope"}
    from routing.messages import Category
    for c in Category:
        assert parse_korean(f"{_noun(c.value)} 들러 줘").stops, c


def _noun(category: str) -> str:
    from copilot.nlu.ko.lexicon import ko_lexicon
    return ko_lexicon().category_nouns[category]


def test_the_parser_reads_every_template_form() -> None:
    # Regression over the sampler's own sentences (not an accuracy figure: the held-out
    # set eval/ko_heldout.jsonl, written by someone else, is the measure).
    rows = training_rows(per_intent=40, seed=11)
    rep = score([Case(r["text"], r) for r in rows], [parse_korean(r["text"]) for r in rows])
    assert rep.accepted / rep.total >= 0.97, rep.misses[:5]


def test_sampler_records_only_the_chosen_slots() -> None:
    for s in sample("navigate", 30, seed=5):
        for _, kind, value in s.slots:
            if kind == "time":
                continue
            assert value, s
    assert "공항" in phrases()
