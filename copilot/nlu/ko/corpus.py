"""The Korean model's training corpus: templates expanded by a sampler, then varied the way
drivers and phones write Korean.

Sources, in a fixed order: the parser's templates (`../data/ko/intents.yaml`, labels from
`templates.KoSample.labels`) and the model's own (`data/templates.yaml`, more phrasings and
slots: free place names, flights, stops said without a place word). Each sentence is then
varied with a fixed seed: spacing dropped ("공항으로가줘") or kept, a filler ("음", "저기"),
a one-letter typo of the kind a phone keyboard makes (one jamo changed), punctuation.
Every row carries the evaluation sets' labels (`copilot/nlu/evaluate.py`), so the same rows
train the intent head and the mention-role tagger. eval/ko_heldout.jsonl and
eval/ko_dev.jsonl are never read here.
"""

from __future__ import annotations

import hashlib
import logging
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from copilot.nlu.ko.fuzzy import jamo
from copilot.nlu.ko.lexicon import compact, ko_lexicon
from copilot.nlu.ko.templates import DESTINATION_CATEGORIES, expand, sample
from copilot.nlu.ko.times import to_24h

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "data" / "templates.yaml"
SEED = 14
PER_TEMPLATE = 36
"""Sentences sampled per template of data/templates.yaml."""
PER_PARSER_INTENT = 120
"""Sentences sampled per intent from the parser's templates."""

NAMES = ("남산타워", "코엑스", "광안리 해변", "경복궁", "올림픽공원", "서울숲", "한강공원",
         "에버랜드", "청계천", "인사동", "수원화성", "불국사", "민속촌", "해운대", "북한산",
         "남이섬", "롯데타워", "월미도", "설악산", "동물원", "월드컵경기장", "센트럴파크",
         "하늘공원", "보라매공원", "정동진", "경포대", "대명리조트", "남대문", "성수동",
         "이태원", "허시 파크", "킨텍스", "벡스코", "아쿠아리움", "과학관")
_NATIVE = ("한", "두", "세", "네", "다섯", "여섯", "일곱", "여덟", "아홉", "열", "열한", "열두")
_SINO_MIN = {10: "십", 15: "십오", 20: "이십", 25: "이십오", 30: "삼십", 40: "사십",
             45: "사십오", 50: "오십", 5: "오", 55: "오십오"}
_AMPM = ("오전", "오후", "아침", "저녁", "밤")
_FILLERS = ("음 ", "어 ", "저기 ", "아 ", "그 ", "자 ", "혹시 ", "야 ")
_TEMPS = ("이십", "이십이", "스물", "21", "23", "이십오", "18", "십팔")


@dataclass(frozen=True)
class KoRow:
    text: str
    labels: dict[str, Any]
    """The evaluation sets' fields: intent, destination, stops, arrive_by, flight_time."""
    source: str

    @property
    def intent(self) -> str:
        return str(self.labels["intent"])


def spoken_time(rng: random.Random) -> tuple[str, str]:
    """A clock time as drivers say it ("다섯 시 반", "오후 3시 15분", "17:30") and HH:MM."""
    hour = rng.randint(1, 12)
    minute = rng.choice([0, 0, 0, 30, 30, 15, 45, 10, 20, 40, 50])
    ampm = rng.choice(_AMPM) if rng.random() < 0.3 else None
    if ampm in ("아침", "오전") and hour > 11:
        ampm = None
    native = rng.random() < 0.6
    h = _NATIVE[hour - 1] if native else str(hour)
    sp = " " if native or rng.random() < 0.5 else ""
    if minute == 0:
        text = f"{h}{sp}시"
    elif minute == 30 and rng.random() < 0.7:
        text = f"{h}{sp}시 반"
    elif native and minute in _SINO_MIN and rng.random() < 0.6:
        text = f"{h} 시 {_SINO_MIN[minute]} 분"
    elif not native and rng.random() < 0.3:
        text = f"{hour}:{minute:02d}"
    else:
        text = f"{h}{sp}시 {minute}분"
    hhmm = to_24h(hour, minute, ampm) or "12:00"
    return (f"{ampm} {text}" if ampm else text), hhmm


def _noun(category: str, rng: random.Random) -> str:
    lex = ko_lexicon()
    words = [p for p in lex.category_phrases[category] if compact(p) in lex.fuzzy_ok]
    words += list(lex.brand_names.get(category, ()))
    return rng.choice(words or list(lex.category_phrases[category]))


def _fill(name: str, rng: random.Random, seen: list[tuple[str, str, str]]) -> str:
    """The model's slots (see data/templates.yaml); (slot, kind, value) is recorded."""
    lex = ko_lexicon()
    cats = sorted(lex.category_phrases)
    if name == "dest":
        r = rng.random()
        if r < 0.4:
            label = rng.choice(sorted(lex.saved_phrases))
            seen.append(("dest", "saved", label))
            return rng.choice(lex.saved_phrases[label])
        category = rng.choice(sorted(DESTINATION_CATEGORIES) if r < 0.75 else cats)
        seen.append(("dest", "category", category))
        return _noun(category, rng)
    if name == "place":
        category = rng.choice(cats)
        seen.append(("dest", "category", category))
        return _noun(category, rng)
    if name == "stop" or name.startswith("stop_"):
        category = name[5:] or rng.choice([c for c in cats if c not in DESTINATION_CATEGORIES])
        seen.append(("stop", "category", category))
        return _noun(category, rng)
    if name == "name":
        place = rng.choice(NAMES)
        seen.append(("dest", "name", place))
        return place
    if name in ("time", "flight"):
        text, hhmm = spoken_time(rng)
        seen.append((name, "time", hhmm))
        return text
    if name == "num":
        return rng.choice(_TEMPS)
    raise KeyError(f"unknown template slot {{{name}}}")


def _labels(intent: str, text: str, slots: tuple[tuple[str, str, str], ...],
            fixed_stops: list[str]) -> dict[str, Any]:
    dest: dict[str, str] | None = None
    stops: list[dict[str, Any]] = []
    arrive = flight = None
    for slot, kind, value in slots:
        if slot == "time":
            arrive = arrive or value
        elif slot == "flight":
            flight = flight or value
        elif slot == "dest":
            dest = {kind: value}
        else:
            stops.append({"category": None, "saved": None, "name": None, kind: value})
    stops += [{"category": c, "saved": None, "name": None} for c in fixed_stops]
    return {"intent": intent, "destination": dest, "stops": stops, "arrive_by": arrive,
            "flight_time": flight}


def _typo(text: str, rng: random.Random) -> str:
    """One jamo of one Hangul syllable changed: initial or vowel, as a thumb slips."""
    idx = [k for k, ch in enumerate(text) if jamo(ch) is not None]
    if not idx:
        return text
    k = rng.choice(idx)
    i, v, f = jamo(text[k]) or (0, 0, 0)
    if rng.random() < 0.5:
        v = (v + rng.choice((-1, 1, 4))) % 21
    else:
        i = (i + rng.choice((-1, 1))) % 19
    return text[:k] + chr(0xAC00 + i * 588 + v * 28 + f) + text[k + 1:]


def vary(text: str, intent: str, rng: random.Random) -> str:
    """Spacing, fillers, a typo and punctuation, each with its own chance."""
    r = rng.random()
    if r < 0.25:
        text = text.replace(" ", "")
    elif r < 0.45:
        text = "".join(ch if ch != " " or rng.random() < 0.5 else "" for ch in text)
    if rng.random() < 0.12:
        text = rng.choice(_FILLERS) + text
    if rng.random() < 0.15:
        text = _typo(text, rng)
    if not re.search(r"[.?!]$", text):
        question = intent in ("ask_eta", "find_place", "ask_vehicle")
        p = rng.random()
        if question and p < 0.4:
            text += "?"
        elif p < 0.2:
            text += "."
    return text.strip()


def _model_templates() -> dict[str, list[Any]]:
    spec: dict[str, Any] = yaml.safe_load(TEMPLATES.read_text(encoding="utf-8"))
    macros: dict[str, str] = spec.pop("macros")
    out: dict[str, list[Any]] = {}
    for intent, items in spec.items():
        expanded = []
        for item in items:
            t = item["t"] if isinstance(item, dict) else item
            for k, v in macros.items():
                t = t.replace(f"<{k}>", v)
            expanded.append({**item, "t": t} if isinstance(item, dict) else t)
        out[intent] = expanded
    return out


def training_rows(seed: int = SEED, per_template: int = PER_TEMPLATE) -> list[KoRow]:
    """Every training row, deduplicated by compact text, in a fixed order."""
    rng = random.Random(seed)
    rows: list[KoRow] = []
    lex = ko_lexicon()
    for k, intent in enumerate(sorted(lex.templates)):
        for s in sample(intent, PER_PARSER_INTENT, seed + k):
            lab = s.labels()
            rows.append(KoRow(vary(s.text, intent, rng), {key: lab[key] for key in (
                "intent", "destination", "stops", "arrive_by", "flight_time")}, "parser"))
    for intent, items in sorted(_model_templates().items()):
        for item in items:
            template = item["t"] if isinstance(item, dict) else item
            fixed = list(item.get("stops", [])) if isinstance(item, dict) else []
            for _ in range(per_template):
                text, slots = expand(template, rng, _fill)
                rows.append(KoRow(vary(text, intent, rng),
                                  _labels(intent, text, slots, fixed), "model"))
    seen: set[str] = set()
    out: list[KoRow] = []
    for r in rows:
        key = compact(r.text)
        if key and key not in seen:
            seen.add(key)
            out.append(r)
    log.info("korean corpus: %d rows", len(out))
    return out


def corpus_sha(rows: list[KoRow]) -> str:
    h = hashlib.sha256()
    for r in rows:
        h.update(f"{r.text}\t{r.intent}\n".encode())
    return h.hexdigest()[:16]
