"""Intent and category templates (YAML, in the spirit of hassil) and their sampler.

Template syntax: `(a|b)` alternatives, `[x]` optional, `{slot}` filled from the lexicon:
{category} a category phrase, {stop} a category phrase or drink order, {dest} a category or
saved place, {saved_bare} "home"/"to work"..., {time} a spoken clock time, {temp} a number.
The same templates feed the tests (`sample`) and the recognisers' grammars (`jsgf`,
`phrases`), so the vocabulary has one source.
"""

from __future__ import annotations

import logging
import random
import re
from dataclasses import dataclass
from functools import cache

from copilot.nlu.lexicon import lexicon

log = logging.getLogger(__name__)

DESTINATION_CATEGORIES = frozenset({"airport", "train_station", "bus_station", "hospital",
                                    "hotel"})
SAVED_LABELS = ("home", "work", "gym", "mom's house", "dry cleaner", "school")
_SAVED_SPOKEN = {"home": "home", "work": "work", "gym": "the gym", "mom's house": "mom's house",
                 "dry cleaner": "my dry cleaner", "school": "my school"}
SPOKEN_TIMES = {"five thirty": "17:30", "six forty five": "18:45", "4:15": "16:15",
                "seven pm": "19:00", "noon": "12:00", "quarter to six": "17:45",
                "half past three": "15:30", "10:30 am": "10:30"}
_TOKEN = re.compile(r"\(|\)|\[|\]|\||\{[a-z_]+\}|[^()\[\]|{}]+")


@dataclass(frozen=True)
class Sample:
    """One sampled sentence and what the slots put in it (for tests to check)."""

    intent: str
    text: str
    categories: tuple[str, ...]
    saved: tuple[str, ...]
    times: tuple[str, ...]


def templates() -> dict[str, tuple[str, ...]]:
    """Intent -> its templates, as written in data/intents.yaml."""
    return dict(lexicon().intent_templates)


def _article(phrase: str) -> str:
    if phrase.startswith(("the ", "a ", "an ", "some ", "my ")):
        return phrase
    if phrase in ("fast food", "gas", "fuel", "parking", "coffee", "pizza", "cash",
                  "groceries", "takeout", "food", "lunch", "dinner", "breakfast"):
        return phrase
    return ("an " if phrase[0] in "aeiou" else "a ") + phrase


def _slot(name: str, rng: random.Random, seen: dict[str, list[str]]) -> str:
    lex = lexicon()
    if name in ("category", "stop", "dest"):
        kinds = ["category", "saved"] if name == "dest" else ["category"]
        kind = rng.choice(kinds)
        if kind == "saved":
            label = rng.choice(SAVED_LABELS)
            seen["saved"].append(label)
            return _SAVED_SPOKEN[label]
        # A stop is an errand: places one travels *to* (airport, hotel) are destinations.
        pool = [c for c in sorted(lex.category_phrases)
                if name != "stop" or c not in DESTINATION_CATEGORIES]
        category = rng.choice(pool)
        seen["categories"].append(category)
        # The first phrase of each category is its plainest name; {category} goes bare
        # ("the {category} stop"), {stop}/{dest} take an article.
        phrase = lex.category_phrases[category][0]
        return phrase if name == "category" else _article(phrase)
    if name == "saved_bare":
        label = rng.choice(["home", "work"])
        seen["saved"].append(label)
        return "home" if label == "home" else "to work"
    if name == "time":
        spoken = rng.choice(sorted(SPOKEN_TIMES))
        seen["times"].append(SPOKEN_TIMES[spoken])
        return spoken
    if name == "temp":
        return str(rng.randint(16, 26))
    raise KeyError(f"unknown template slot {{{name}}}")


def _expand(template: str, rng: random.Random, seen: dict[str, list[str]]) -> str:
    """Expand one template at random (recursive descent over the token stream)."""
    toks = _TOKEN.findall(template)
    pos = 0

    def seq(stop: set[str]) -> str:
        nonlocal pos
        out: list[str] = []
        while pos < len(toks) and toks[pos] not in stop:
            out.append(alt_or_atom())
        return "".join(out)

    def alt_or_atom() -> str:
        nonlocal pos
        t = toks[pos]
        pos += 1
        if t == "(":
            options = [seq({"|", ")"})]
            while pos < len(toks) and toks[pos] == "|":
                pos += 1
                options.append(seq({"|", ")"}))
            pos += 1                                     # ")"
            return rng.choice(options)
        if t == "[":
            inner = seq({"]"})
            pos += 1
            return inner if rng.random() < 0.5 else ""
        if t.startswith("{"):
            return _slot(t[1:-1], rng, seen)
        return t

    return " ".join(seq(set()).split())


def sample(intent: str, n: int, seed: int = 0) -> list[Sample]:
    """`n` sentences of one intent, each with the slot values it was built from."""
    rng = random.Random(seed)
    temps = lexicon().intent_templates[intent]
    out: list[Sample] = []
    for k in range(n):
        seen: dict[str, list[str]] = {"categories": [], "saved": [], "times": []}
        # Slots are drawn inside alternatives too; record only what survives in the text.
        text = _expand(temps[k % len(temps)], rng, seen)
        out.append(Sample(intent, text, tuple(seen["categories"]), tuple(seen["saved"]),
                          tuple(seen["times"])))
    return out


@cache
def vocabulary() -> tuple[str, ...]:
    """Every word a template, a place phrase or an order may use (for recogniser grammars)."""
    lex = lexicon()
    words: set[str] = set()
    for temps in lex.intent_templates.values():
        for t in temps:
            words.update(re.findall(r"[a-z']+", re.sub(r"\{[a-z_]+\}", " ", t.lower())))
    for phrases in lex.category_phrases.values():
        for p in phrases:
            words.update(p.lower().split())
    for brands in lex.brand_names.values():
        for b in brands:
            words.update(b.lower().replace("-", " ").split())
    for table in lex.order_words.values():
        for phrase in table:
            words.update(phrase)
    for s in _SAVED_SPOKEN.values():
        words.update(s.split())
    for t in SPOKEN_TIMES:
        words.update(w for w in t.split() if w.isalpha())
    return tuple(sorted(w for w in words if re.fullmatch(r"[a-z']+", w)))


def _jsgf_body(template: str) -> str:
    """A template in JSGF syntax: (a|b) and [x] are already JSGF; {slot} -> <slot>."""
    body = re.sub(r"\{([a-z_]+)\}", r"<\1>", template.lower())
    return re.sub(r"[^a-z0-9'<>_()\[\]| ]", " ", body)


def jsgf(known: set[str] | None = None) -> str:
    """The intent templates as one JSGF grammar (for PocketSphinx), slots filled from the
    lexicon. Words outside `known` (the recogniser's dictionary) are left out."""
    lex = lexicon()

    def ok(phrase: str) -> bool:
        return known is None or all(w in known for w in phrase.split())

    def alts(phrases: list[str]) -> str:
        good = sorted({p for p in phrases if p and ok(p)})
        return "(" + " | ".join(good) + ")" if good else "<NULL>"

    cats = [p.lower().replace("-", " ") for ps in lex.category_phrases.values() for p in ps]
    spoken_saved = list(_SAVED_SPOKEN.values())
    rules = {
        "category": alts(cats),
        "stop": alts([_article(c) for c in cats if c.split()[0] not in ("the", "my")]),
        "dest": alts([_article(c) for c in cats] + spoken_saved),
        "saved_bare": alts(["home", "to work"]),
        "time": alts([t for t in SPOKEN_TIMES if not any(ch.isdigit() for ch in t)]),
        "temp": alts(["sixteen", "eighteen", "twenty", "twenty one", "twenty two"]),
    }
    lines = ["#JSGF V1.0;", "grammar copilot;"]
    names: list[str] = []
    for intent, temps in lex.intent_templates.items():
        bodies = [_jsgf_body(t) for t in temps]
        bodies = [b for b in bodies if ok(re.sub(r"<[a-z_]+>|[()\[\]|]", " ", b))]
        if bodies:
            lines.append(f"<{intent}> = " + " | ".join(f"({b})" for b in bodies) + ";")
            names.append(f"<{intent}>")
    for name, body in rules.items():
        lines.append(f"<{name}> = {body};")
    lines.append("public <command> = " + " | ".join(names) + ";")
    return "\n".join(lines) + "\n"
