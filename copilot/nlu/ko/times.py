"""Korean clock times -> "HH:MM", and whether each is a deadline, a flight or neither.

Korean counts hours with native numerals and minutes with Sino-Korean ones: "다섯 시 반"
(5:30), "세 시 십오 분" (3:15), "오후 3시 15분", "17시 30분", "5:30". Matched on the
compact utterance (no spaces), so "다섯시반" and "다섯 시 반" read the same.

Without 오전/오후, hours 1-7 are afternoon and 8-11 morning (a driver in a car saying "다섯
시까지" means 17:00), the convention of the English parser's held-out labels.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

log = logging.getLogger(__name__)

NATIVE_HOURS = {"한": 1, "두": 2, "세": 3, "네": 4, "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8,
                "아홉": 9, "열": 10, "열한": 11, "열두": 12, "하나": 1, "둘": 2, "셋": 3, "넷": 4}
_SINO_DIGITS = {"일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "칠": 7, "팔": 8, "구": 9}
_PM = ("오후", "저녁", "밤", "낮")
_AM = ("오전", "아침", "새벽")
_FLIGHT = re.compile(r"비행기|비행편|항공편|비행|탑승|플라이트|출국|보딩|이륙|뱅기")
_EVENT = re.compile(r"회의|미팅|약속|예약|수업|면접|진료|공연|영화|경기|출근|기차|버스|"
                    r"도착해야|가야|들어가야|체크인|시작")
_DEADLINE_AFTER = re.compile(r"^(까지|전에|전까지|이전에|이전까지|안에|전으로|정각까지)")

_HOUR = "|".join(sorted(NATIVE_HOURS, key=len, reverse=True))
_SINO = r"(?:[이삼사오]?십[일이삼사오육칠팔구]?|[일이삼사오육칠팔구])"
_CLOCK = re.compile(
    rf"(?P<ampm>오전|오후|아침|저녁|밤|새벽|낮)?(?P<h>\d{{1,2}}|{_HOUR})시"
    rf"(?:(?P<half>반)|(?P<m>\d{{1,2}}|{_SINO})분|(?!간))")
_COLON = re.compile(r"(?P<ampm>오전|오후|아침|저녁|밤|새벽|낮)?(?P<h>\d{1,2}):(?P<m>\d{2})")
_NOON = re.compile(r"정오|자정")


@dataclass(frozen=True)
class KoTime:
    start: int
    end: int
    hhmm: str
    role: str
    """"arrive_by", "flight" or "other"."""


def sino(word: str) -> int | None:
    """A Sino-Korean number 0-99 ("십오" 15, "사십오" 45, "삼" 3) or None."""
    if word.isdigit():
        return int(word)
    if "십" in word:
        tens, _, units = word.partition("십")
        t = _SINO_DIGITS.get(tens, 0) if tens else 1
        if tens and tens not in _SINO_DIGITS:
            return None
        u = _SINO_DIGITS.get(units, 0) if units else 0
        if units and units not in _SINO_DIGITS:
            return None
        return 10 * t + u
    return _SINO_DIGITS.get(word)


def to_24h(hour: int, minute: int, ampm: str | None) -> str | None:
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    if hour <= 12:
        if ampm in _PM and hour < 12:
            hour += 12
        elif ampm in _AM and hour == 12:
            hour = 0
        elif ampm is None and 1 <= hour <= 7:
            hour += 12
    return f"{hour:02d}:{minute:02d}"


def _clause(c: str, start: int, end: int) -> str:
    """The clause around a span: from the previous sentence break to the next."""
    left = max(c.rfind(ch, 0, start) for ch in ".!?")
    rights = [i for i in (c.find(ch, end) for ch in ".!?") if i != -1]
    return c[left + 1:min(rights) if rights else len(c)]


def _role(c: str, start: int, end: int) -> str:
    after = c[end:end + 6]
    clause = _clause(c, start, end)
    if _FLIGHT.search(clause):
        return "flight"
    if _DEADLINE_AFTER.search(after) or _EVENT.search(clause):
        return "arrive_by"
    return "other"


def find_times(c: str) -> list[KoTime]:
    """Every clock time in the compact utterance `c`, in order."""
    found: list[KoTime] = []
    for m in _CLOCK.finditer(c):
        h = m.group("h")
        hour = int(h) if h.isdigit() else NATIVE_HOURS[h]
        minute = 30 if m.group("half") else (sino(m.group("m")) if m.group("m") else 0)
        if minute is None:
            continue
        hhmm = to_24h(hour, minute, m.group("ampm"))
        if hhmm is not None:
            found.append(KoTime(m.start(), m.end(), hhmm, _role(c, m.start(), m.end())))
    for m in _COLON.finditer(c):
        if any(t.start <= m.start() < t.end for t in found):
            continue
        hhmm = to_24h(int(m.group("h")), int(m.group("m")), m.group("ampm"))
        if hhmm is not None:
            found.append(KoTime(m.start(), m.end(), hhmm, _role(c, m.start(), m.end())))
    for m in _NOON.finditer(c):
        hhmm = "12:00" if m.group(0) == "정오" else "00:00"
        found.append(KoTime(m.start(), m.end(), hhmm, _role(c, m.start(), m.end())))
    found.sort(key=lambda t: t.start)
    return found
