"""Korean intent templates (`data/ko/intents.yaml`) and their sampler.

The syntax is the English sampler's (`copilot.nlu.templates`): `(a|b)` alternatives, `[x]`
optional, `{slot}` filled from the Korean lexicon. Korean adds one thing: a slot may name the
particle after it, `{dest:로}`, and the sampler picks the form that fits the last syllable
("공항으로", "회사로"). Each sample carries its labels in the evaluation sets' format
(`copilot/nlu/evaluate.py`), so the same rows test the parser, train a model, and feed the
vosk phrase grammar (`phrases`).
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from copilot.nlu.ko.fuzzy import jamo
from copilot.nlu.ko.lexicon import compact, ko_lexicon

log = logging.getLogger(__name__)

DESTINATION_CATEGORIES = frozenset({"airport", "train_station", "bus_station", "hospital",
                                    "hotel"})
SPOKEN_TIMES = {"다섯 시 반": "17:30", "5시 반": "17:30", "오후 3시 15분": "15:15",
                "세 시 십오 분": "15:15", "여섯 시": "18:00", "오후 네 시 사십오 분": "16:45",
                "저녁 7시": "19:00", "아침 9시": "09:00", "12시": "12:00", "17시 30분": "17:30"}
_TOKEN = re.compile(r"\(|\)|\[|\]|\||\{[a-z_]+(?::[^}]+)?\}|[^()\[\]|{}]+")
# Particles that change with the last syllable: (after a final consonant, after a vowel).
_PARTICLES = {"로": ("으로", "로"), "으로": ("으로", "로"), "랑": ("이랑", "랑"),
              "이랑": ("이랑", "랑"), "와": ("과", "와"), "과": ("과", "와"),
              "을": ("을", "를"), "를": ("을", "를"), "은": ("은", "는"), "는": ("은", "는"),
              "이": ("이", "가"), "가": ("이", "가"), "이야": ("이야", "야"), "야": ("이야", "야")}
_RIEUL = 8
"""The final ㄹ: it takes 로 like a vowel does ("서울로", not "서울으로")."""


def particle(word: str, kind: str) -> str:
    """`word` + the particle `kind` in the form its last syllable takes."""
    forms = _PARTICLES.get(kind)
    if forms is None:
        return word + kind
    j = jamo(word[-1]) if word else None
    final = j[2] if j is not None else 0
    if kind in ("로", "으로") and final == _RIEUL:
        return word + "로"
    return word + (forms[0] if final else forms[1])


@dataclass(frozen=True)
class KoSample:
    """One sampled sentence with its labels (the evaluation sets' fields)."""

    intent: str
    text: str
    slots: tuple[tuple[str, str, str], ...]
    """(slot, kind, value) in spoken order: kind "category"/"saved"/"time"."""

    def labels(self) -> dict[str, Any]:
        """The row an evaluation set would hold for this sentence."""
        dest: dict[str, str] | None = None
        stops: list[dict[str, str | None]] = []
        times = [v for s, k, v in self.slots if k == "time"]
        on_the_way = re.search(r"가는 길에|가다가", self.text) is not None
        for slot, kind, value in self.slots:
            if kind == "time":
                continue
            ref = {kind: value}
            where_to = slot == "dest" and self.intent in ("navigate", "ask_eta", "ask_vehicle")
            if where_to or (self.intent == "find_place" and not on_the_way):
                dest = ref
            else:
                stops.append({"category": None, "saved": None, "name": None, **ref})
        flight = times[0] if times and "비행기" in self.text else None
        arrive = times[0] if times and flight is None else None
        return {"text": self.text, "intent": self.intent, "destination": dest, "stops": stops,
                "arrive_by": arrive, "flight_time": flight, "language": "ko"}


def _nouns(category: str) -> list[str]:
    lex = ko_lexicon()
    words = [p for p in lex.category_phrases[category] if compact(p) in lex.fuzzy_ok]
    return words + list(lex.brand_names.get(category, ()))


def _slot(name: str, rng: random.Random, seen: list[tuple[str, str, str]]) -> str:
    lex = ko_lexicon()
    if name in ("category", "stop", "dest"):
        if name == "dest" and rng.random() < 0.35:
            label = rng.choice(sorted(lex.saved_phrases))
            seen.append((name, "saved", label))
            return rng.choice(lex.saved_phrases[label])
        pool = [c for c in sorted(lex.category_phrases)
                if name != "stop" or c not in DESTINATION_CATEGORIES]
        if name == "dest" and rng.random() < 0.5:
            pool = sorted(DESTINATION_CATEGORIES)
        category = rng.choice(pool)
        seen.append((name, "category", category))
        return rng.choice(_nouns(category))
    if name == "saved":
        label = rng.choice(sorted(lex.saved_phrases))
        seen.append((name, "saved", label))
        return rng.choice(lex.saved_phrases[label])
    if name == "time":
        spoken = rng.choice(sorted(SPOKEN_TIMES))
        seen.append((name, "time", SPOKEN_TIMES[spoken]))
        return spoken
    raise KeyError(f"unknown template slot {{{name}}}")


SlotFiller = Callable[[str, random.Random, list[tuple[str, str, str]]], str]


def expand(template: str, rng: random.Random, slot: SlotFiller | None = None
           ) -> tuple[str, tuple[tuple[str, str, str], ...]]:
    """One random expansion of a template and the slot values it used, in order. `slot`
    fills a {slot} (default: this module's slots; the model's corpus brings more)."""
    fill = slot or _slot
    toks: list[str] = _TOKEN.findall(template)
    pos = 0
    seen: list[tuple[str, str, str]] = []

    def seq(stop: set[str]) -> str:
        nonlocal pos
        out: list[str] = []
        while pos < len(toks) and toks[pos] not in stop:
            out.append(atom())
        return "".join(out)

    def atom() -> str:
        nonlocal pos
        t = toks[pos]
        pos += 1
        if t == "(":
            mark = len(seen)
            options: list[tuple[str, list[tuple[str, str, str]]]] = []
            while True:
                text = seq({"|", ")"})
                options.append((text, seen[mark:]))
                del seen[mark:]
                if pos < len(toks) and toks[pos] == "|":
                    pos += 1
                    continue
                pos += 1                                  # ")"
                break
            text, used = rng.choice(options)
            seen.extend(used)                            # only the chosen branch's slots
            return text
        if t == "[":
            mark = len(seen)
            inner = seq({"]"})
            pos += 1
            if rng.random() < 0.5:
                return inner
            del seen[mark:]
            return ""
        if t.startswith("{"):
            name, _, kind = t[1:-1].partition(":")
            word = fill(name, rng, seen)
            return particle(word, kind) if kind else word
        return t

    return " ".join(seq(set()).split()), tuple(seen)


def sample(intent: str, n: int, seed: int = 0) -> list[KoSample]:
    """`n` Korean sentences of one intent, cycling through its templates."""
    rng = random.Random(seed)
    temps = ko_lexicon().templates[intent]
    out: list[KoSample] = []
    for k in range(n):
        text, slots = expand(temps[k % len(temps)], rng)
        out.append(KoSample(intent, text, slots))
    return out


def training_rows(per_intent: int = 60, seed: int = 0) -> list[dict[str, Any]]:
    """Labelled rows (evaluation-set format) for every intent: training data for a model."""
    rows: list[dict[str, Any]] = []
    for k, intent in enumerate(sorted(ko_lexicon().templates)):
        rows += [s.labels() for s in sample(intent, per_intent, seed + k)]
    return rows


def phrases(per_intent: int = 40, seed: int = 0) -> list[str]:
    """Sentences and place words for a recogniser's phrase grammar (vosk)."""
    lex = ko_lexicon()
    out = {s.text for intent in lex.templates for s in sample(intent, per_intent, seed)}
    for category in lex.category_phrases:
        out.update(_nouns(category))
    for labels in lex.saved_phrases.values():
        out.update(labels)
    out.update(SPOKEN_TIMES)
    return sorted(out)
