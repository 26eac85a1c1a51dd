"""The Korean vocabulary, loaded once from `copilot/nlu/data/ko/*.yaml`.

Korean attaches particles and endings to words ("공항으로", "햄버거랑"), and drivers and
recognisers space words differently ("가 줘" / "가줘"; vosk's Korean model even splits
words into morphemes), so every phrase is stored *compact*: lower case, without spaces.
The parser matches them as substrings of the compact utterance, longest first.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from copilot.nlu.lexicon import order_tables

log = logging.getLogger(__name__)

_SPACE = re.compile(r"\s+")


def compact(text: str) -> str:
    """Lower case without whitespace: the form phrases and cues are matched on."""
    return _SPACE.sub("", text).lower()


@dataclass(frozen=True)
class Entry:
    """What a compact phrase names: a category (maybe a brand of it), a saved label, or
    nothing (a word that merely contains a phrase, "스마트" is not a 마트)."""

    category: str | None = None
    saved: str | None = None
    brand: str | None = None


NOTHING = Entry()


@dataclass(frozen=True)
class KoLexicon:
    places: dict[str, Entry]
    """Compact phrase -> what it names (categories, brands, saved places, non-places)."""
    longest: int
    fuzzy_ok: frozenset[str]
    """Compact phrases that forgive a one-letter typo: single nouns of two syllables or more
    (not verb fragments such as "돈 찾", whose neighbours are everyday words)."""
    category_nouns: dict[str, str]
    """Category -> its plain Korean noun (the first phrase), for the sampler and replies."""
    category_phrases: dict[str, tuple[str, ...]]
    saved_phrases: dict[str, tuple[str, ...]]
    brand_names: dict[str, tuple[str, ...]]
    orders: dict[str, dict[str, Any]]
    """Order field -> compact phrase -> canonical English value."""
    cues: dict[str, tuple[re.Pattern[str], ...]]
    weak_eta: tuple[re.Pattern[str], ...]
    unsupported: tuple[re.Pattern[str], ...]
    harmful: tuple[re.Pattern[str], ...]
    avoid: dict[str, re.Pattern[str]]
    templates: dict[str, tuple[str, ...]]


def _load(name: str) -> Any:
    path = resources.files("copilot.nlu").joinpath("data", "ko", name)
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _patterns(items: list[Any] | None) -> tuple[re.Pattern[str], ...]:
    # Cues are written with {place} for a place mention, which the parser writes as ▣.
    return tuple(re.compile(str(p).replace("{place}", "▣")) for p in items or [])


def _orders(raw: dict[str, dict[Any, list[Any]]]) -> dict[str, dict[str, Any]]:
    return order_tables(raw, compact)


@cache
def ko_lexicon() -> KoLexicon:
    """Load and index the Korean vocabulary (once per process)."""
    cats: dict[str, Any] = _load("categories.yaml")
    saved_raw: dict[str, Any] = _load("saved.yaml")
    places: dict[str, Entry] = {}
    nouns: dict[str, str] = {}
    cat_phrases: dict[str, tuple[str, ...]] = {}
    brand_names: dict[str, tuple[str, ...]] = {}
    fuzzy_ok: set[str] = set()
    blockers = cats.pop("not_places", []) + saved_raw.pop("not_saved", [])
    for category, spec in cats.items():
        phrases = tuple(str(p) for p in spec.get("phrases", []))
        nouns[category] = phrases[0]
        cat_phrases[category] = phrases
        for p in phrases:
            places.setdefault(compact(p), Entry(category=category))
            if " " not in p:
                fuzzy_ok.add(compact(p))
        brands = tuple(str(b) for b in spec.get("brands", []) or [])
        brand_names[category] = brands
        for b in brands:
            places.setdefault(compact(b), Entry(category=category, brand=b))
    saved_phrases: dict[str, tuple[str, ...]] = {}
    for label, phrases in saved_raw.items():
        saved_phrases[str(label)] = tuple(str(p) for p in phrases)
        for p in phrases:
            places.setdefault(compact(str(p)), Entry(saved=str(label)))
            if " " not in str(p):
                fuzzy_ok.add(compact(str(p)))
    for word in blockers:            # after the phrases: "빵집" stays a bakery, "술집" is nothing
        places.setdefault(compact(str(word)), NOTHING)
    intents: dict[str, Any] = _load("intents.yaml")
    avoid_raw: dict[str, str] = intents.pop("avoid")
    oos = intents["out_of_scope"]
    cues = {intent: _patterns(spec.get("cues")) for intent, spec in intents.items()}
    templates = {intent: tuple(str(t) for t in spec.get("templates", []))
                 for intent, spec in intents.items()}
    lex = KoLexicon(
        places=places, longest=max(len(k) for k in places), fuzzy_ok=frozenset(fuzzy_ok),
        category_nouns=nouns,
        category_phrases=cat_phrases, saved_phrases=saved_phrases, brand_names=brand_names,
        orders=_orders(_load("orders.yaml")), cues=cues,
        weak_eta=_patterns(intents["ask_eta"].get("weak_cues")),
        unsupported=_patterns(oos.get("unsupported_service")),
        harmful=_patterns(oos.get("refused_harmful")),
        avoid={kind: re.compile(p) for kind, p in avoid_raw.items()}, templates=templates)
    log.debug("korean lexicon: %d phrases", len(places))
    return lex
