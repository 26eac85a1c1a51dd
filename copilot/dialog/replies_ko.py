"""Replies in Korean: the same answers as `replies` and the intent handlers, Korean words.

The handlers decide (status, actions, deadline, `why`) and word the answer in English; for a
Korean turn this module words the same answer again from those facts: a route from its
`set_route` action (stops, names as the map has them, arrival), shown places from
`show_places`, and the numbers of the English reply (clock times, durations, distances,
percentages), which `replies.clock`/`minutes` write in one fixed form. An answer this
module does not know gets a Korean sentence for its status, never English.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta

from copilot.dialog.answer import Answer
from copilot.nlu.ko.lexicon import ko_lexicon
from copilot.nlu.ko.templates import particle
from routing.messages import (
    CancelRoute,
    CategoryRef,
    NameRef,
    Place,
    SavedRef,
    SetRoute,
    ShowPlaces,
    Understanding,
)

log = logging.getLogger(__name__)

MAX_NAMED = 3
SAVED_KO = {"home": "집", "work": "회사", "gym": "헬스장", "mom's house": "엄마 집",
            "school": "학교", "dry cleaner": "단골 세탁소"}
AVOID_KO = {"highways": "고속도로", "tolls": "유료도로", "ferries": "페리", "unpaved": "비포장도로"}
NameOf = Callable[[Place], str | None]
"""The place's name as the map has it in Korean (`name:ko`), if it has one."""

_CLOCK = re.compile(r"\b(\d{1,2}):(\d\d) (am|pm)\b")
_DURATION = re.compile(r"\b(?:(\d+) h(?: (\d+) min)?|(\d+) min)\b")
_KM = re.compile(r"\b(\d+(?:\.\d+)?) km\b")
_PERCENT = re.compile(r"\b(\d+)%")

STATUS_KO = {
    "ok": "알겠어요.",
    "needs_clarification": "다시 한 번 말씀해 주시겠어요?",
    "infeasible": "죄송해요, 그건 계획할 수 없어요.",
    "refused": "죄송해요, 그건 도와드릴 수 없어요.",
    "not_understood": "죄송해요, 경로와 경유지, 차량 상태만 도와드릴 수 있어요.",
}
_CLARIFY = [
    (re.compile(r"^Sorry, where|^Where would you like"), "어디로 갈까요?"),
    (re.compile(r"^Which stop should I add"), "어떤 경유지를 추가할까요?"),
    (re.compile(r"is already the destination"), "이미 목적지예요. 어떤 경유지를 추가할까요?"),
    (re.compile(r"^Which stop should I drop"), "어떤 경유지를 뺄까요?"),
    (re.compile(r"^What kind of place"), "어떤 곳을 찾으세요?"),
    (re.compile(r"^I don't have your (.+) saved"), "저장된 장소가 없어요. 어디인가요?"),
]


def clock_ko(hour: int, minute: int) -> str:
    """오후 4시 12분 (the driver's local time); 오후 5시 on the hour."""
    half = "오전" if hour < 12 else "오후"
    h = hour % 12 or 12
    return f"{half} {h}시" + (f" {minute}분" if minute else "")


def _clock_of(t: datetime) -> str:
    """To the nearest minute, as the English reply says it (3:19:51 is 3시 20분, not 19분)."""
    t = (t + timedelta(seconds=30)).replace(second=0, microsecond=0)
    return clock_ko(t.hour, t.minute)


def _clocks(text: str) -> list[str]:
    out = []
    for m in _CLOCK.finditer(text):
        h = int(m.group(1)) % 12 + (12 if m.group(3) == "pm" else 0)
        out.append(clock_ko(h, int(m.group(2))))
    return out


def _durations(text: str) -> list[str]:
    out = []
    for m in _DURATION.finditer(text):
        if m.group(3):
            out.append(f"{m.group(3)}분")
        else:
            out.append(f"{m.group(1)}시간" + (f" {m.group(2)}분" if m.group(2) else ""))
    return out


def noun(category: str | None) -> str:
    """The plain Korean noun of a category ("burger" -> "햄버거")."""
    if category is None:
        return "장소"
    return ko_lexicon().category_nouns.get(category, category)


def place_word(p: Place, name_of: NameOf | None = None) -> str:
    """A place as the driver hears it: 집, the map's Korean name, its name, or its kind."""
    if p.saved:
        return SAVED_KO.get(p.saved, p.saved)
    ko = name_of(p) if name_of is not None else None
    return ko or p.name or noun(p.category.value if p.category else None)


def _dest_word(u: Understanding) -> str:
    d = u.destination
    if isinstance(d, SavedRef):
        return SAVED_KO.get(d.saved, d.saved)
    if isinstance(d, CategoryRef):
        return noun(d.category.value)
    if isinstance(d, NameRef):
        return d.name
    return "목적지"


def _what(ans: Answer) -> str:
    dl = ans.deadline
    if dl is None:
        return "약속 시간"
    return f"{_clock_of(dl.said)} 비행기" if dl.is_flight else _clock_of(dl.said)


def _stop_word(p: Place, name_of: NameOf | None) -> str:
    kind = noun(p.category.value if p.category else None)
    if p.saved:
        return SAVED_KO.get(p.saved, p.saved)
    name = (name_of(p) if name_of is not None else None) or p.name
    return f"{name}({kind})" if name else kind


def route_reply_ko(action: SetRoute, ans: Answer, english: str, u: Understanding,
                   name_of: NameOf | None = None) -> str:
    """'파이브 가이즈(햄버거), 스타벅스(커피), 단골 세탁소 들러서 공항에 오후 4시 12분 도착해요.'"""
    route = action.route
    parts = [_stop_word(s, name_of) for s in route.stops]
    if len(parts) > MAX_NAMED:
        parts = [*parts[:MAX_NAMED - 1], f"외 {len(parts) - MAX_NAMED + 1}곳"]
    d = route.destination
    # Like the English replies: an airport is "공항", not its long name.
    dest = "공항" if d.category is not None and d.category.value == "airport" and not d.saved \
        else place_word(d, name_of)
    at = _clock_of(route.destination.eta)
    avoid = ", ".join(AVOID_KO[a.value] for a in route.avoid if a.value in AVOID_KO)
    via = f"{avoid} 피해서 " if avoid and u.avoid else ""
    if parts:
        text = f"{', '.join(parts)} 들러서 {via}{particle(dest, '에')} {at} 도착해요."
    else:
        text = f"{via}{particle(dest, '로')} 안내할게요. {at} 도착 예정이에요."
    if english.startswith("Dropped"):
        text = f"경유지를 뺐어요. {particle(dest, '에')} {at} 도착해요."
    unmet = [AVOID_KO[k.value] for k in u.avoid if k not in route.avoid]
    if unmet:              # owned up to first, so it survives trimming while moving
        text = f"여기서는 {', '.join(unmet)}를 피해 갈 길이 없어요. " + text
    if "Range is short" in english:
        text += " 주행 가능 거리가 짧아서 주유소를 추가했어요."
    elif "longer detour" in english:
        text += " 경유지 하나가 원하시는 것보다 많이 돌아가요."
    elif ans.deadline is not None:
        dl = ans.deadline
        spare = (dl.said - d.eta).total_seconds()
        if spare > 0:
            text += (f" {_clock_of(dl.said)} 비행기보다 {minutes_ko(spare)} 일찍이에요."
                     if dl.is_flight else f" {minutes_ko(spare)} 여유가 있어요.")
    return text


def minutes_ko(seconds: float) -> str:
    """A spoken duration: '7분', '1시간', '2시간 5분'."""
    m = max(1, round(seconds / 60.0))
    if m < 60:
        return f"{m}분"
    h, rest = divmod(m, 60)
    return f"{h}시간" if rest == 0 else f"{h}시간 {rest}분"


def _shown(action: ShowPlaces, english: str, name_of: NameOf | None) -> str:
    durations = _durations(english)
    names = [place_word(p, name_of) for p in action.places]
    if len(durations) == len(names):
        return ", ".join(f"{n}({d})" for n, d in zip(names, durations, strict=True))
    return ", ".join(names)


def korean_reply(ans: Answer, u: Understanding, name_of: NameOf | None = None) -> str:
    """The Korean words for an answer the handlers worded in English."""
    try:
        return _korean(ans, u, name_of)
    except Exception:                    # a reply must always come: the status's sentence
        log.exception("korean reply failed for why=%s", ans.why)
        return STATUS_KO.get(ans.status, STATUS_KO["not_understood"])


_DRIVE_QUESTIONS = ("drive_time", "leave_by", "leave_now", "leave_too_late")


def _korean(ans: Answer, u: Understanding, name_of: NameOf | None) -> str:
    en = ans.reply
    why = ans.why or ""
    for a in ans.actions:
        if isinstance(a, SetRoute):
            return route_reply_ko(a, ans, en, u, name_of)
        if isinstance(a, CancelRoute):
            return "알겠어요, 안내를 종료할게요."
    cats = [s.category.value for s in u.stops if s.category]
    kind = noun(u.destination.category.value if isinstance(u.destination, CategoryRef)
                else cats[0] if cats else None)
    shows = [a for a in ans.actions if isinstance(a, ShowPlaces)]
    if shows and why not in _DRIVE_QUESTIONS:  # those show the place asked about, worded below
        listed = _shown(shows[0], en, name_of)
        if why == "found_by_name":
            return f"{particle(listed, '이')} 지도에 있어요. 갈까요?"
        if why == "open_now":
            return f"지금 영업 중인 {kind}: {listed}."
        if why == "hours_unknown":
            return f"지금 영업 중인지 확인할 수 없어요. 영업시간 정보가 없는 {kind}: {listed}."
        return f"가까운 {kind}: {listed}."
    c, d = _clocks(en), _durations(en)
    km = [f"{m}km" for m in _KM.findall(en)]
    word = _dest_word(u)
    simple = {
        "no_trip": "진행 중인 경로가 없어요." + (" 어디로 갈까요?" if "where" in en else ""),
        "no_stops": "경로에 뺄 경유지가 없어요.",
        "deadline_passed": f"이미 {_what(ans)}에 늦었어요.",
        "none_open": f"근처에 지금 영업 중인 {particle(kind, '이')} 없어요.",
        "no_position": "지금 차의 위치를 알 수 없어요.",
        "vehicle_control": "죄송해요, 차를 직접 조작할 수는 없어요.",
        "no_handler": "죄송해요, 잘 못 알아들었어요.",
        "unreachable": "그곳까지 가는 도로를 이 지도에서 찾을 수 없어요.",
        "internal_error": "죄송해요, 경로를 계획하지 못했어요.",
    }
    if why in simple:
        return simple[why]
    if why == "late_with_stops" and c:
        return (f"경유지를 모두 들르면 {c[0]} 도착이라 {_what(ans)}에 늦어요. "
                "경유지를 하나 뺄까요?")
    if why == "late" and c:
        return f"{_what(ans)}에 맞출 수 없어요. 가장 빨리 {c[-1]} 도착해요."
    if why in ("eta", "eta_stop") and c and d:    # the trip's end, or the stop asked about
        text = f"{particle(word, '에')} {c[0]} 도착해요. {d[0]} 남았어요."
        if "late for" in en and len(d) > 1:
            text += f" {_what(ans)}에 {d[1]} 늦어요."
        elif "less than your buffer" in en and len(d) > 1:
            text += f" {_what(ans)}까지 {d[1]}밖에 여유가 없어요."
        elif "ahead of" in en and len(d) > 1:
            text += f" {_what(ans)}보다 {d[1]} 일찍이에요."
        return text
    if why in _DRIVE_QUESTIONS and c and d:
        drive = f"{d[0]}" + (f"({km[0]})" if km else "")
        if why == "drive_time":
            return f"{particle(word, '까지')} {drive} 걸려요. {c[0]}에 도착해요. 갈까요?"
        if why == "leave_by":
            return f"{c[0]}까지 출발하세요. {particle(word, '까지')} {drive} 걸려요. 갈까요?"
        if why == "leave_now":
            return f"지금 출발하세요. {particle(word, '까지')} {drive}, {c[0]} 도착이에요. 갈까요?"
        return f"{_what(ans)}에는 늦어요. 가장 빨리 {c[-1]}에 도착해요."
    if why == "vehicle":
        return _vehicle(en)
    if why == "no_signal":
        return ("그 정보는 없어요. 계기판을 확인해 주세요." if "instrument" in en
                else "지금은 주행 가능 거리나 연료 정보가 없어요.")
    if why.startswith("no_candidates") or en.startswith("There's no "):
        missing = why.partition(":")[2] or None
        return f"이 지도에는 {particle(noun(missing), '이')} 없어서 계획할 수 없어요."
    if why == "clarify" or ans.status == "needs_clarification":
        for pattern, ko in _CLARIFY:
            if pattern.search(en):
                return ko
    if why.startswith("nlu:refused"):
        return "그건 도와드릴 수 없어요."
    if why.startswith("nlu:unsupported"):
        return "그건 제가 할 수 없어요. 운전 경로만 도와드릴 수 있어요."
    if ans.status == "infeasible" and "outside the on-board map" in en:
        return "지금 위치가 지도 밖이라 경로를 계획할 수 없어요."
    return STATUS_KO.get(ans.status, STATUS_KO["not_understood"])


def _vehicle(en: str) -> str:
    km = re.search(r"About (\d+) km", en)
    pct = _PERCENT.search(en)
    parts = []
    if km:
        parts.append(f"주행 가능 거리는 약 {km.group(1)}km")
    if pct:
        parts.append(("배터리" if "battery" in en else "연료") + f"는 {pct.group(1)}%")
    text = ", ".join(parts) + "예요." if parts else "차량 정보를 확인할 수 없어요."
    if "covers the trip" in en:
        text += " 이번 경로는 충분해요."
    elif "Not enough" in en:
        text += " 경로를 가기엔 부족해요. 주유소를 추가할게요."
    return text


def _fallbacks() -> dict[str, str]:
    """The safety layer's fixed replies (English) -> Korean, by the reason or status."""
    from safety.codes import Reason
    from safety.review import DEFAULT_REPLY, FALLBACK

    by_reason: dict[str, str] = {
        Reason.REQUEST_INVALID: "죄송해요, 잘 못 알아들었어요.",
        Reason.REQUEST_TOO_MANY_STOPS: "경유지는 8곳까지 계획할 수 있어요. 어디가 가장 중요해요?",
        Reason.ROUTE_TOO_MANY_STOPS: "경유지는 8곳까지 계획할 수 있어요. 어디가 가장 중요해요?",
        Reason.VEHICLE_CONTROL: "죄송해요, 차를 직접 조작할 수는 없어요.",
        Reason.SAFETY_SYSTEM: "차의 안전 장치는 바꿀 수 없어요.",
        Reason.DISTRACTION_REQUEST: "그건 정차한 다음에 할 수 있어요.",
        Reason.HARMFUL_REQUEST: "그건 도와드릴 수 없어요.",
        Reason.ROUTE_CHANGE_NOT_ASKED: "경로는 바꾸지 않았어요. 바꿀까요?",
        Reason.ROUTE_PREFERENCE_UNMET: "그 경로는 원하시는 도로 조건에 맞지 않아요.",
        Reason.PLACE_OUTSIDE_REGION: "그곳은 차에 있는 지도 밖이에요.",
        Reason.PLACE_CLOSED: "도착할 때 그곳은 문을 닫아요.",
        Reason.PLACE_IN_HAZARD: "그 경유지는 신고된 위험 구역 안에 있어요.",
        Reason.ROUTE_THROUGH_HAZARD: "그 경로는 신고된 위험 구역을 지나가요.",
        Reason.ARRIVE_BY_MISSED: "그 경로로는 제시간에 도착할 수 없어요.",
        Reason.RANGE_INSUFFICIENT: "주유하지 않으면 주행 가능 거리가 부족해요.",
        Reason.DESTINATION_MISMATCH: "어디로 갈까요?",
    }
    out: dict[str, str] = {}
    for reason, (status, english) in FALLBACK.items():
        out[english] = by_reason.get(reason, "") or (
            "그 장소를 확인하지 못했어요. 어디로 갈까요?" if "confirm that place" in english
            else "그 경로를 확인하지 못했어요." if "verify that route" in english
            else STATUS_KO.get(status, STATUS_KO["not_understood"]))
    defaults = {"set_route": "경로를 설정했어요.", "show_places": "찾은 곳이에요.",
                "cancel_route": "안내를 종료했어요."}
    for key, english in DEFAULT_REPLY.items():
        out.setdefault(english, defaults.get(key) or STATUS_KO.get(key, "알겠어요."))
    return out


_FALLBACKS: dict[str, str] = {}


def korean_fallback(reply: str) -> str:
    """A fixed reply of the safety layer in Korean (for a Korean turn); others unchanged."""
    if not _FALLBACKS:
        _FALLBACKS.update(_fallbacks())
    return _FALLBACKS.get(reply, reply)
