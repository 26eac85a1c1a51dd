"""Korean utterances -> the same `Understanding` the English parser gives.

The utterance is read *compact* (no spaces; see `lexicon.compact`): clock times are found
(`times`), then place mentions by longest match (typos of one letter in a phrase of two
syllables or more are forgiven, see `fuzzy`), then drink-order words next to a coffee stop.
Mentions become ▣ and times ◷ in a skeleton on which the intent cues of
`data/ko/intents.yaml` are matched. The particle after a mention says its role: "공항으로
가 줘" (으로/로/까지: where to), "세탁소에서", "커피랑", "약국에 들러" (errands on the way).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from copilot.nlu.ko.fuzzy import fuzzy_match
from copilot.nlu.ko.lexicon import Entry, KoLexicon, compact, ko_lexicon
from copilot.nlu.ko.times import KoTime, find_times
from routing.messages import (
    MAX_STOPS,
    Avoid,
    Category,
    CategoryRef,
    Destination,
    Intent,
    NameRef,
    Order,
    SavedRef,
    StopRequest,
    Understanding,
)

log = logging.getLogger(__name__)

_DEST_LIKE = {"airport", "train_station", "bus_station", "hospital", "hotel"}
_STATE_WORDS = ("기름", "연료", "배터리", "충전", "주유")
# What follows a mention that makes it the destination.
_DEST_AFTER = re.compile(
    r"^(으로|로|까지|쪽으로|방향으로|에가|에좀가|에빨리가|에도착|에데려|가자|가줘|가주세요|"
    r"가고싶|갈래|안내|가는|가야|가려|갈건데|갈거|가서|이요|요[.!?]*$|"
    r"부탁|이야[.!?]*$|야[.!?]*$|에몇시|까지몇|에언제|은어디|는어디|어디)")
_ON_THE_WAY = re.compile(r"가는길에|가다가|가는도중에|도중에|가면서|경로상|가는길|길에")
_STOP_VERB = re.compile(r"들러|들르|들렀|들를|추가|경유|잠깐서|잠깐세워")
_QUESTION = re.compile(r"\?|(까|까요|나요|니|냐|죠|지|어요|을까|ㄹ까|는지|있어|있나)[.!]*$")
_NAME_BEFORE = re.compile(
    r"(?<!\S)(\S+?(?:\s\S+?)?)\s*?(으로|로|까지|에)\s*(좀\s*)?(가|안내|데려|이동|모셔|출발|얼마나|몇|"
    r"언제|도착|가는|길\s*안내|경로)")
_NOT_NAMES = {"거기", "여기", "저기", "그쪽", "이쪽", "저쪽", "어디", "그곳", "이곳", "저곳",
              "집", "빨리", "지금", "먼저", "다시", "바로", "그냥", "이제", "얼른", "혼자",
              "같이", "차", "길", "이길", "이", "그", "저", "어디든", "아무데나", "목적지",
              "처음", "제시간", "시간", "기름", "배터리", "이기름", "이배터리", "연료", "다음",
              "오른쪽", "왼쪽", "앞", "뒤", "직진", "우회전", "좌회전", "고속도로", "국도",
              "비행기", "비행기는", "항공편"}
_NAME_LEAD = {"지금", "빨리", "좀", "나", "저", "우리", "먼저", "그럼", "자", "이제", "음",
              "어", "저기", "그", "일단", "바로", "얼른"}


@dataclass
class KoMention:
    start: int
    end: int
    entry: Entry
    text: str
    role: str = "stop"
    order: dict[str, Any] = field(default_factory=dict)

    @property
    def dest_like(self) -> bool:
        e = self.entry
        return e.saved is not None or e.category in _DEST_LIKE


def _exact(c: str, blocked: set[int], starts: set[int],
           lex: KoLexicon) -> list[tuple[int, int, Entry]]:
    out: list[tuple[int, int, Entry]] = []
    i = 0
    while i < len(c):
        hit = None
        if i not in blocked:
            for n in range(min(lex.longest, len(c) - i), 0, -1):
                e = lex.places.get(c[i:i + n])
                if e is not None and n == 1 and e.saved and i not in starts:
                    continue        # "꽃집", "떡집": a shop; "집" alone is home
                if e is not None and not any(k in blocked for k in range(i, i + n)):
                    hit = (i, i + n, e)
                    break
        if hit is None:
            i += 1
            continue
        out.append(hit)
        i = hit[1]
    return out


def _mentions(c: str, blocked: set[int], word_starts: set[int],
              lex: KoLexicon) -> list[KoMention]:
    """Exact phrases first; then typos, only at the start of a written word and only
    where no exact phrase (or non-place word) lies."""
    spans = _exact(c, blocked, word_starts, lex)
    taken = blocked | {k for s, e, _ in spans for k in range(s, e)}
    for i in sorted(word_starts):
        if i in taken:
            continue
        hit = fuzzy_match(c, i, lex)
        if hit is not None and not any(k in taken for k in range(i, i + hit[0])):
            spans.append((i, i + hit[0], hit[1]))
            taken |= set(range(i, i + hit[0]))
    return sorted((KoMention(s, e, entry, c[s:e]) for s, e, entry in spans
                   if entry.category is not None or entry.saved is not None),
                  key=lambda m: m.start)


def word_starts(text: str) -> set[int]:
    """Positions in the compact text where a written word begins."""
    starts: set[int] = set()
    k = 0
    prev_space = True
    for ch in text:
        if ch.isspace():
            prev_space = True
            continue
        if prev_space or not ch.isalnum():
            starts.add(k)
        prev_space = not ch.isalnum()
        k += 1
    return starts


def _merge_duplicates(c: str, mentions: list[KoMention]) -> list[KoMention]:
    """ "스타벅스에서 아이스 라떼": one coffee stop (the brand's), not two."""
    out: list[KoMention] = []
    for m in mentions:
        prev = out[-1] if out else None
        between = c[prev.end:m.start] if prev else ""
        # "스벅 들러 줘, 아메리카노 벤티로": the drink is what to order there, not a 2nd stop.
        drink = m.entry.category == "coffee" and m.text in ko_lexicon().orders["drink"]
        if prev is not None and m.entry.category is not None and (
                m.entry.category == prev.entry.category) and len(between) <= 8 and not (
                set(between) & set(".!?" if drink else ".!?,")) and not re.search(
                r"랑|하고|그리고|와|과|도", between):
            brand = prev.entry.brand or m.entry.brand
            prev.entry = Entry(category=prev.entry.category, brand=brand)
            prev.end = m.end
            continue
        out.append(m)
    return out


def _attach_orders(c: str, mentions: list[KoMention], lex: KoLexicon) -> None:
    """Order words in the clause of a coffee stop become its order ("아이스 라떼 큰 거")."""
    for m in mentions:
        if m.entry.category != "coffee":
            continue
        left = max([c.rfind(ch, 0, m.start) for ch in ".!?,"] + [-1])
        prev = [x.end for x in mentions if x.end <= m.start]
        left = max([left, *prev])
        rights = [x for x in (c.find(ch, m.end) for ch in ".!?,") if x != -1]
        nxt = [x.start for x in mentions if x.start >= m.end]
        right = min([*rights, *nxt, len(c)])
        span = c[left + 1:right]
        for fld, table in lex.orders.items():
            for phrase in sorted(table, key=len, reverse=True):
                if phrase in span:
                    m.order.setdefault(fld, table[phrase])
                    span = span.replace(phrase, "_")


def _skeleton(c: str, mentions: list[KoMention], times: list[KoTime]) -> str:
    spans = sorted([(m.start, m.end, "▣") for m in mentions] +
                   [(t.start, t.end, "◷") for t in times])
    out: list[str] = []
    i = 0
    for s, e, mark in spans:
        if s < i:
            continue
        out.append(c[i:s])
        out.append(mark)
        i = e
    out.append(c[i:])
    return "".join(out)


def _hits(skel: str, c: str, lex: KoLexicon) -> dict[str, int]:
    """Intent -> position of its first cue, in the skeleton or (for cues that name words
    the lexicon also knows, "기름 얼마나 남았어") in the plain compact text."""
    hits: dict[str, int] = {}
    for intent, patterns in lex.cues.items():
        for p in patterns:
            m = p.search(skel) or p.search(c)
            if m:
                hits[intent] = min(hits.get(intent, 10**6), m.start())
    return hits


def _roles(c: str, mentions: list[KoMention]) -> None:
    for m in mentions:
        after = c[m.end:m.end + 8]
        if _DEST_AFTER.search(after):
            m.role = "dest"
    # "햄버거랑 커피" is one list: a mention directly before another keeps the errand role.


def _decide(hits: dict[str, int], mentions: list[KoMention], skel: str,
            c: str) -> tuple[str, float]:
    places = bool(mentions)
    has_dest = any(m.role == "dest" for m in mentions)
    question = _QUESTION.search(c) is not None
    lex = ko_lexicon()
    if "remove_stop" in hits and places:
        return "remove_stop", 0.9
    if "cancel" in hits and not (places and "navigate" in hits and hits["navigate"] >
                                 hits["cancel"]):
        return "cancel", 0.92
    if "remove_stop" in hits:
        return "remove_stop", 0.7
    if "ask_vehicle" in hits:
        return "ask_vehicle", 0.9
    weak_eta = any(p.search(skel) or p.search(c) for p in lex.weak_eta)
    if "ask_eta" in hits or (weak_eta and (question or "navigate" not in hits)):
        return "ask_eta", 0.9
    if "vehicle_control" in hits and not (places and {"navigate", "add_stop", "find_place"} &
                                          set(hits)):
        return "vehicle_control", 0.9
    if "out_of_scope" in hits and (not places or not {"navigate", "add_stop", "find_place"} &
                                   set(hits)):
        return "out_of_scope", 0.85
    if "find_place" in hits and places and not (has_dest and "navigate" in hits) and (
            question or "add_stop" not in hits or hits["find_place"] < hits["add_stop"]):
        return "find_place", 0.88
    if ("navigate" in hits or "add_stop" in hits) and has_dest:
        return "navigate", 0.92
    errands = [m for m in mentions if not m.dest_like]
    if "add_stop" in hits and places:
        if _STOP_VERB.search(c) and not has_dest:
            return "add_stop", 0.88                     # "우리 세탁소 들러 줘": a stop
        if not errands and len(mentions) == 1:
            return "navigate", 0.8                      # "병원 가야 돼"
        if errands and len(errands) < len(mentions):
            return "navigate", 0.85                     # "공항, 가다가 커피"
        return "add_stop", 0.88
    if "navigate" in hits:
        return "navigate", 0.85 if places else 0.5
    if "find_place" in hits:
        return "find_place", 0.5
    if "add_stop" in hits:
        return "add_stop", 0.5
    if places:
        if errands and len(errands) == len(mentions):
            return "add_stop", 0.65                     # "커피" alone: an errand
        return "navigate", 0.7
    return "out_of_scope", 0.35


def _split(intent: str, mentions: list[KoMention], c: str
           ) -> tuple[KoMention | None, list[KoMention]]:
    if intent in ("cancel", "vehicle_control", "out_of_scope"):
        return None, []
    if intent in ("add_stop", "remove_stop"):
        return None, list(mentions)
    if intent in ("ask_eta", "ask_vehicle"):
        return (mentions[-1] if mentions else None), []
    if intent == "find_place":
        if _ON_THE_WAY.search(c) and len(mentions) >= 1:
            dests = [m for m in mentions if m.role == "dest"]
            dest = dests[-1] if dests else None
            return dest, [m for m in mentions if m is not dest]
        return (mentions[-1] if mentions else None), mentions[:-1]
    dests = [m for m in mentions if m.role == "dest"]
    like = [m for m in mentions if m.dest_like]
    dest = dests[-1] if dests else like[-1] if like else mentions[-1] if mentions else None
    return dest, [m for m in mentions if m is not dest]


def _name(text: str, intent: str) -> str | None:
    """ "허시 파크로 가 줘" -> "허시 파크": a place the lexicon does not know, by name."""
    if intent not in ("navigate", "ask_eta", "find_place", "ask_vehicle"):
        return None
    for m in _NAME_BEFORE.finditer(text):
        words = [w for w in re.split(r"[\s,.!?]+", m.group(1)) if w]
        while words and words[0] in _NAME_LEAD:
            words.pop(0)
        if not words:
            continue
        last = words[-1]
        if len(words) == 2 and words[0].endswith(("는", "은", "이", "가", "을", "를", "에서",
                                                  "고", "서")):
            words = words[1:]
        name = " ".join(words)
        if last in _NOT_NAMES or name in _NOT_NAMES or compact(name) in _NOT_NAMES:
            continue
        if re.search(r"\d|시$|분$", name):
            continue
        return name[:120]
    return None


def _to_stop(m: KoMention) -> StopRequest:
    e = m.entry
    order = Order.model_validate(m.order) if m.order else None
    # A brand is the stop's name (the planner prefers it); the category still decides.
    return StopRequest(category=Category(e.category) if e.category else None, saved=e.saved,
                       name=e.brand, order=order)


def _to_dest(m: KoMention) -> Destination:
    e = m.entry
    if e.saved:
        return SavedRef(saved=e.saved)
    return CategoryRef(category=Category(str(e.category)))


@dataclass
class KoAnalysis:
    """What the parser read in an utterance before it chose the intent: the learned model
    (`copilot.nlu.ko.model`) uses these as features and the parser's lexicon for slots."""

    text: str
    compact: str
    times: list[KoTime]
    mentions: list[KoMention]
    skeleton: str
    hits: dict[str, int]
    avoid: tuple[Avoid, ...]
    refusal: str | None
    """"refused_harmful" / "unsupported_service" when those patterns matched."""
    intent: str
    confidence: float


def analyse(text: str) -> KoAnalysis:
    """Times, place mentions (with the particle roles), cue hits and the parser's intent."""
    lex = ko_lexicon()
    c = compact(text)
    times = find_times(c)
    blocked = {k for t in times for k in range(t.start, t.end)}
    mentions = _mentions(c, blocked, word_starts(text.lower()), lex)
    mentions = _merge_duplicates(c, mentions)
    _attach_orders(c, mentions, lex)
    skel = _skeleton(c, mentions, times)
    avoid = tuple(Avoid(kind) for kind, p in lex.avoid.items() if p.search(c))
    refusal = ("refused_harmful" if any(p.search(c) for p in lex.harmful) else
               "unsupported_service" if any(p.search(c) for p in lex.unsupported) else None)
    _roles(c, mentions)
    hits = _hits(skel, c, lex)
    intent, confidence = _decide(hits, mentions, skel, c)
    return KoAnalysis(text, c, times, mentions, skel, hits, avoid, refusal, intent, confidence)


def _split_by_roles(intent: str, mentions: list[KoMention], roles: list[str]
                    ) -> tuple[KoMention | None, list[KoMention]] | None:
    """Destination and stops from per-mention roles (dest / stop / drop), or None to let the
    parser's own split decide (a navigation whose destination no role names)."""
    kept = [(m, r) for m, r in zip(mentions, roles, strict=True) if r != "drop"]
    ms = [m for m, _ in kept]
    dests = [m for m, r in kept if r == "dest"]
    if intent in ("cancel", "vehicle_control", "out_of_scope"):
        return None, []
    if intent in ("add_stop", "remove_stop"):
        return None, ms
    if intent in ("ask_eta", "ask_vehicle"):
        return (dests[-1] if dests else None), []
    if intent == "navigate" and not dests:
        return None if ms else (None, [])
    dest = dests[-1] if dests else None
    return dest, [m for m in ms if m is not dest]


def parse_korean(text: str, error: str | None = None, intent: str | None = None,
                 roles: list[str] | None = None, analysis: KoAnalysis | None = None
                 ) -> Understanding:
    """A sanitised Korean utterance -> `Understanding` (language "ko"). Never raises on str.

    `intent` (and `roles`, one of dest/stop/drop per mention of `analysis`) come from the
    learned model when it decides; without them the parser decides alone."""
    a = analysis or analyse(text)
    c, times = a.compact, a.times
    if a.refusal == "refused_harmful":
        return Understanding(text=text, intent=Intent.OUT_OF_SCOPE, language="ko",
                             confidence=0.9, error="refused_harmful")
    if a.refusal == "unsupported_service":
        return Understanding(text=text, intent=Intent.OUT_OF_SCOPE, language="ko",
                             confidence=0.85, error="unsupported_service")
    mentions = a.mentions
    source = "rules"
    if intent is None:
        intent, confidence = a.intent, a.confidence
    else:
        confidence = a.confidence if intent == a.intent else 0.8
        source = "model"
    if intent == "ask_vehicle":
        keep = [not (m.entry.category in ("fuel", "ev_charging") and m.text in _STATE_WORDS)
                for m in mentions]
        if roles is not None:
            roles = [r for r, k in zip(roles, keep, strict=True) if k]
        mentions = [m for m, k in zip(mentions, keep, strict=True) if k]
    split = _split_by_roles(intent, mentions, roles) if roles is not None else None
    dest, stops = split if split is not None else _split(intent, mentions, c)
    destination: Destination | None = _to_dest(dest) if dest is not None else None
    if destination is None:
        name = _name(text, intent)
        if name is not None:
            destination = NameRef(name=name)
            confidence = max(confidence, 0.8)          # "허시 파크로 가 줘": said as a place
    avoid = a.avoid
    if avoid and intent == "out_of_scope" and not mentions:
        intent, confidence = "navigate", 0.85        # "고속도로 피해서 가 줘"
    if intent == "navigate" and destination is None and not stops and not avoid:
        confidence = min(confidence, 0.55)
    arrive_by = next((t.hhmm for t in times if t.role == "arrive_by"), None)
    flight = next((t.hhmm for t in times if t.role == "flight"), None)
    if intent in ("navigate", "ask_eta", "add_stop") and arrive_by is None and flight is None:
        others = [t for t in times if t.role == "other"]
        if others:
            arrive_by = others[0].hhmm
    if error is not None:
        confidence = min(confidence, 0.2)
    return Understanding(
        text=text, intent=Intent(intent), destination=destination,
        stops=tuple(_to_stop(m) for m in stops[:MAX_STOPS]), arrive_by=arrive_by,
        flight_time=flight, avoid=avoid, language="ko",
        confidence=round(confidence, 3), source=source, error=error)
