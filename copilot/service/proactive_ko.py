"""The copilot's own suggestions (low range, hazard ahead, closed stop) in Korean.

`proactive.ProactiveMonitor` words a suggestion in English from its cause; a driver whose
last turn was Korean hears it in Korean, worded here from the same facts (the cause, the
place shown, the minutes ahead). Anything not recognised keeps a generic Korean sentence.
"""

from __future__ import annotations

import dataclasses
import logging
import re

from copilot.dialog.replies_ko import noun, place_word
from copilot.nlu.ko.templates import particle
from copilot.service.proactive import ProactiveTurn
from routing.messages import ShowPlaces

log = logging.getLogger(__name__)

HAZARD_KO = {"road_closed": "도로 통제", "road_closure": "도로 통제", "accident": "사고",
             "debris": "낙하물", "construction": "공사", "flooding": "침수", "ice": "결빙",
             "stalled_vehicle": "고장 차량", "pedestrian": "보행자", "animal": "동물"}
_MINUTES = re.compile(r"is (\d+) minutes? ahead")


def korean_proactive(t: ProactiveTurn) -> ProactiveTurn:
    """The same suggestion, worded in Korean."""
    return dataclasses.replace(t, reply=_words(t))


def _words(t: ProactiveTurn) -> str:
    electric = t.reply.startswith("Charge")
    what = "배터리" if electric else "연료"
    station = "충전소" if electric else "주유소"
    shown = [p for a in t.actions if isinstance(a, ShowPlaces) for p in a.places]
    if t.cause == "low_range":
        m = _MINUTES.search(t.reply)
        if shown and m:
            name = place_word(shown[0])
            return (f"{particle(what, '가')} 부족해요. {particle(name, '이')} {m.group(1)}분 "
                    "앞에 있어요. 추가할까요?")
        return f"이번 경로에 {particle(what, '가')} 부족해요. {particle(station, '을')} 찾을까요?"
    if t.cause.startswith("hazard:"):
        kind = t.cause.split(":")[1]
        hazard = HAZARD_KO.get(kind, "위험 상황")
        return f"경로 앞에 {particle(hazard, '이')} 있어요. 돌아가는 길을 찾을까요?"
    if t.cause.startswith("closed:"):
        m = re.match(r"(.+?) will be closed", t.reply)
        name = m.group(1) if m else "그곳"
        cats = [s.category.value for s in t.understanding.stops if s.category]
        kind = noun(cats[0]) if cats else "곳"
        return (f"{particle(name, '은')} 도착할 때 문을 닫아요. 다른 {particle(kind, '을')} "
                "찾을까요?")
    return "알려 드릴 게 있어요. 정차하면 확인해 주세요."
