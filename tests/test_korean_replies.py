"""Korean turns through `copilot ask`: understood in Korean, answered in Korean, routed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from routing.places import PlaceIndex
from routing.places_build import build_place_index
from safety.text import is_korean, word_count

ROOT = Path(__file__).resolve().parents[1]
HARRISBURG = ROOT.parent / "shared" / "maps" / "harrisburg.osm.pbf"
STATE = {"Vehicle.CurrentLocation.Latitude": 40.277, "Vehicle.CurrentLocation.Longitude": -76.824,
         "Vehicle.Speed": 0, "Vehicle.Powertrain.Range": 90000,
         "Vehicle.Powertrain.FuelSystem.RelativeLevel": 40}
PROFILE = """saved:
  home: {lat: 40.2950, lon: -76.8000}
  dry cleaner: {lat: 40.2594, lon: -76.8098, name: "Main Street Cleaners", category: dry_cleaning}
languages: [en, ko]
"""


def _ask(tmp_path: Path, texts: list[str], speed: float = 0.0) -> list[dict[str, object]]:
    profile = tmp_path / "profile.yaml"
    profile.write_text(PROFILE, encoding="utf-8")
    state = {**STATE, "Vehicle.Speed": speed}
    lines = "\n".join(json.dumps({"text": t, "at": "2026-11-25T15:00:00-05:00", "state": state,
                                  "trip": None}, ensure_ascii=False) for t in texts)
    out = subprocess.run([sys.executable, "-m", "copilot.cli", "ask", "--map", str(HARRISBURG),
                          "--profile", str(profile), "--jsonl"], input=lines, text=True,
                         capture_output=True, timeout=600, cwd=ROOT, check=True)
    return [json.loads(line) for line in out.stdout.splitlines()]


@pytest.mark.skipif(not HARRISBURG.exists(), reason="needs ../shared/maps/harrisburg.osm.pbf")
def test_korean_turns_through_ask(tmp_path: Path) -> None:
    mission = ("공항으로 가 줘. 가는 길에 햄버거랑 커피 사고, 단골 세탁소에서 옷도 찾아야 해. "
               "비행기는 5시 반이야.")
    route, near, vehicle, window, weather, taxi = _ask(tmp_path, [
        mission, "근처에 커피숍 있어?", "기름 얼마나 남았어?", "창문 열어 줘", "오늘 날씨 어때?",
        "택시 불러 줘"])
    assert route["status"] == "ok"
    assert route["understanding"]["language"] == "ko"  # type: ignore[index]
    actions = route["actions"]
    assert isinstance(actions, list) and actions[0]["type"] == "set_route"
    r = actions[0]["route"]
    assert sorted(s["category"] for s in r["stops"]) == ["burger", "coffee", "dry_cleaning"]
    assert [s["saved"] for s in r["stops"] if s["saved"]] == ["dry cleaner"]
    assert r["destination"]["category"] == "airport"
    reply = str(route["reply"])
    assert is_korean(reply) and "공항에" in reply and "오후" in reply
    for s in r["stops"]:                                 # every stop is named, as the map has it
        assert ("단골 세탁소" if s["saved"] else s["name"]) in reply
    assert near["status"] == "ok" and str(near["reply"]).startswith("가까운 커피:")
    assert [a["type"] for a in near["actions"]] == ["show_places"]  # type: ignore[union-attr]
    assert "주행 가능 거리는 약 90km" in str(vehicle["reply"])
    assert window["status"] == "refused" and is_korean(str(window["reply"]))
    assert weather["status"] == "not_understood" and is_korean(str(weather["reply"]))
    assert taxi["actions"] == [] and is_korean(str(taxi["reply"]))


@pytest.mark.skipif(not HARRISBURG.exists(), reason="needs ../shared/maps/harrisburg.osm.pbf")
def test_korean_reply_while_moving_fits_the_limit(tmp_path: Path) -> None:
    (out,) = _ask(tmp_path, ["공항으로 가 줘. 가는 길에 햄버거랑 커피 사고, 단골 세탁소 들러 줘. "
                             "비행기는 5시 반이야."], speed=50.0)
    assert out["status"] == "ok" and is_korean(str(out["reply"]))
    assert word_count(str(out["reply"])) <= 25


OSM = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6">
  <node id="1" lat="37.5000" lon="127.0000" version="1"/>
  <node id="2" lat="37.5010" lon="127.0010" version="1"/>
  <node id="3" lat="37.5005" lon="127.0005" version="1">
    <tag k="amenity" v="cafe"/><tag k="name" v="Starbucks"/><tag k="name:ko" v="스타벅스"/>
  </node>
  <node id="4" lat="37.5006" lon="127.0006" version="1">
    <tag k="amenity" v="pharmacy"/><tag k="name" v="Main Pharmacy"/>
  </node>
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/></way>
</osm>
"""


def test_places_keep_their_korean_names(tmp_path: Path) -> None:
    from copilot.dialog.replies_ko import place_word
    from routing.messages import Category, Place

    src = tmp_path / "tiny.osm"
    src.write_text(OSM, encoding="utf-8")
    db = tmp_path / "places.sqlite"
    build_place_index(src, db)
    index = PlaceIndex(db)
    assert index.name_in("node", 3, "ko") == "스타벅스"
    assert index.name_in("node", 4, "ko") is None        # no name:ko: the name as it is
    cafe = Place(osm_type="node", osm_id=3, name="Starbucks", category=Category.COFFEE,
                 lat=37.5005, lon=127.0005)
    pharmacy = cafe.model_copy(update={"osm_id": 4, "name": "Main Pharmacy",
                                       "category": Category.PHARMACY})

    def name_of(p: Place) -> str | None:
        return index.name_in(str(p.osm_type), int(p.osm_id or 0), "ko")

    assert place_word(cafe, name_of) == "스타벅스"
    assert place_word(pharmacy, name_of) == "Main Pharmacy"


def test_korean_replies_are_spoken_with_the_korean_voice() -> None:
    from copilot.service.speech_out import synthesize_wav
    from copilot.voice import default_speaker

    chunks = list(default_speaker().chunks("공항에 오후 3시 25분 도착해요.", "ko"))
    assert chunks and all(c.engine == "espeak-ng:ko" for c in chunks)
    text = "공항에 오후 3시 25분 도착해요."
    wav = synthesize_wav(text)                                 # language read from the script
    assert wav.startswith(b"RIFF") and len(wav) > 20_000
    assert wav == synthesize_wav(text, language="ko")


def test_a_cloud_plan_is_announced_in_the_turns_language() -> None:
    from datetime import datetime

    from copilot.hybrid.offload import _reply_text
    from copilot.nlu.ko import parse_korean
    from routing.messages import Category, Route, RoutedPlace

    eta = datetime.fromisoformat("2026-11-25T15:25:00-05:00")
    route = Route(
        stops=(RoutedPlace(osm_type="node", osm_id=1, name="Wendy's", category=Category.BURGER,
                           lat=40.27, lon=-76.82, eta=eta),),
        destination=RoutedPlace(osm_type="way", osm_id=2, name="Capital City Airport",
                                category=Category.AIRPORT, lat=40.22, lon=-76.85, eta=eta),
        distance_m=9000.0, duration_s=1500.0)
    ko = _reply_text(route, parse_korean("공항 가는 길에 햄버거 사 줘"))
    assert ko == "Wendy's(햄버거) 들러서 공항에 오후 3시 25분 도착해요."
    assert _reply_text(route).startswith("Wendy's, then Capital City Airport at 3:25")


def test_the_copilots_own_suggestions_in_korean() -> None:
    from copilot.service.proactive import ProactiveTurn
    from copilot.service.proactive_ko import korean_proactive
    from routing.messages import Category, Intent, Place, ShowPlaces, StopRequest, Understanding

    u = Understanding(text="", intent=Intent.FIND_PLACE, confidence=1.0,
                      stops=(StopRequest(category=Category.FUEL),))
    sheetz = Place(osm_type="node", osm_id=5, name="Sheetz", category=Category.FUEL,
                   lat=40.2, lon=-76.8)
    cases = [
        (ProactiveTurn("low_range", "Fuel is low: Sheetz is 4 minutes ahead. Add it?", u,
                       (ShowPlaces(places=(sheetz,)),)),
         "연료가 부족해요. Sheetz가 4분 앞에 있어요. 추가할까요?"),
        (ProactiveTurn("low_range", "Charge is low for this trip. Find a charger?", u),
         "이번 경로에 배터리가 부족해요. 충전소를 찾을까요?"),
        (ProactiveTurn("hazard:road_closed:40.2472,-76.8193",
                       "Road closed ahead on your route. Find a way around it?", u),
         "경로 앞에 도로 통제가 있어요. 돌아가는 길을 찾을까요?"),
        (ProactiveTurn("closed:node:5", "Sheetz will be closed when you get there. "
                       "Find another fuel?", u),
         "Sheetz는 도착할 때 문을 닫아요. 다른 주유소를 찾을까요?"),
    ]
    for turn, korean in cases:
        out = korean_proactive(turn)
        assert out.reply == korean and out.cause == turn.cause and out.actions == turn.actions


def test_korean_clock_is_rounded_like_the_english_one() -> None:
    from datetime import datetime

    from copilot.dialog.replies import clock
    from copilot.dialog.replies_ko import _clock_of

    late = datetime(2026, 11, 25, 15, 19, 51)
    assert clock(late) == "3:20 pm" and _clock_of(late) == "오후 3시 20분"
    assert _clock_of(datetime(2026, 11, 25, 16, 59, 40)) == "오후 5시"
    assert _clock_of(datetime(2026, 11, 25, 9, 5, 10)) == "오전 9시 5분"
