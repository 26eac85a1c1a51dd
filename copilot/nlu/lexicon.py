"""The parser's vocabulary, loaded once from the YAML data next to this module.

Categories, brands, drink-order words and intent cues all live in `data/*.yaml` so the rule
parser, the template sampler, the recognisers' grammars and the tests share one source.
Phrases are stored as token tuples for greedy longest-match lookup.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

log = logging.getLogger(__name__)

# The last word of a street address ("1200 Market Street", "40 n 2nd st").
STREET_SUFFIXES = frozenset({
    "street", "st", "avenue", "ave", "road", "rd", "drive", "dr", "boulevard", "blvd", "lane",
    "ln", "way", "pike", "court", "ct", "place", "pl", "parkway", "pkwy", "highway", "hwy",
    "circle", "terrace", "trail", "square", "alley", "plaza"})

MAX_PHRASE_TOKENS = 5


def tokens_of(phrase: str) -> tuple[str, ...]:
    """Split a lexicon phrase exactly as utterances are split (see `text.normalise`)."""
    return tuple(phrase.lower().replace("-", " ").split())


@dataclass(frozen=True)
class PlaceEntry:
    """What a phrase names: a category, optionally a brand name within it."""

    category: str
    brand: str | None = None


@dataclass(frozen=True)
class Lexicon:
    places: dict[tuple[str, ...], PlaceEntry]
    """Category phrases and brand names -> the category (and brand)."""
    brands: dict[tuple[str, ...], PlaceEntry]
    order_words: dict[str, dict[tuple[str, ...], Any]]
    """Order field -> spoken phrase -> canonical value."""
    intent_cues: dict[str, tuple[re.Pattern[str], ...]]
    intent_priority: dict[str, int]
    intent_templates: dict[str, tuple[str, ...]]
    category_phrases: dict[str, tuple[str, ...]]
    brand_names: dict[str, tuple[str, ...]]


def _load_yaml(name: str) -> Any:
    text = resources.files("copilot.nlu").joinpath("data", name).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _brand_display(brand: str) -> str:
    # "mcdonald's" -> "McDonald's" is beyond title(); keep the lexicon's canonical lower case.
    return brand



def order_tables[K](raw: dict[str, dict[Any, list[Any]]],
                    key: Callable[[str], K]) -> dict[str, dict[K, Any]]:
    """Order vocabulary (field -> canonical -> spoken forms) as field -> spoken key -> value,
    with `shots` as an integer and `iced` as a boolean (contract section 1). `key` turns a
    spoken form into the lookup key: word tuples for English, compacted text for Korean."""
    out: dict[str, dict[K, Any]] = {}
    for field, values in raw.items():
        table: dict[K, Any] = {}
        for canonical, spoken in values.items():
            value: Any = canonical
            if field == "shots":
                value = int(canonical)
            elif field == "iced":
                value = bool(canonical)
            for s in spoken:
                table[key(str(s))] = value
        out[field] = table
    return out


def _plurals(word: str) -> tuple[str, ...]:
    """English plurals of a phrase's last word: charger -> chargers, pharmacy -> pharmacies,
    car wash -> car washes."""
    if word.endswith("y") and len(word) > 2 and word[-2] not in "aeiou":
        return (word + "s", word[:-1] + "ies")   # "pharmacys" is typed too
    if word.endswith(("sh", "ch", "x", "z")):
        return (word + "es",)
    return () if word.endswith("s") else (word + "s",)


@cache
def lexicon() -> Lexicon:
    """Load and index the YAML vocabulary (once per process)."""
    cats: dict[str, Any] = _load_yaml("categories.yaml")
    places: dict[tuple[str, ...], PlaceEntry] = {}
    brands: dict[tuple[str, ...], PlaceEntry] = {}
    category_phrases: dict[str, tuple[str, ...]] = {}
    brand_names: dict[str, tuple[str, ...]] = {}
    for category, entry in cats.items():
        phrases = tuple(str(p) for p in entry.get("phrases", []))
        category_phrases[category] = phrases
        for p in phrases:
            toks = tokens_of(p)
            places.setdefault(toks, PlaceEntry(category))
            for plural in _plurals(toks[-1]):          # "bus stations", "pharmacies"
                places.setdefault((*toks[:-1], plural), PlaceEntry(category))
        bs = tuple(str(b) for b in entry.get("brands", []) or [])
        brand_names[category] = bs
        for b in bs:
            e = PlaceEntry(category, _brand_display(b))
            # An utterance keeps a hyphenated word whole ("in-n-out", "chick-fil-a"), so a
            # brand is indexed both ways; said as a plural it is the same brand ("any
            # In-N-Outs on the way").
            for toks in {tokens_of(b), tuple(b.lower().split())}:
                brands[toks] = e
                places[toks] = e
                for plural in _plurals(toks[-1]):
                    places.setdefault((*toks[:-1], plural), e)
    order_words = order_tables(_load_yaml("orders.yaml"), tokens_of)
    intents_raw: dict[str, dict[str, Any]] = _load_yaml("intents.yaml")
    cues: dict[str, tuple[re.Pattern[str], ...]] = {}
    priority: dict[str, int] = {}
    templates: dict[str, tuple[str, ...]] = {}
    for intent, spec in intents_raw.items():
        priority[intent] = int(spec.get("priority", 0))
        templates[intent] = tuple(spec.get("templates", []))
        compiled = []
        for cue in spec.get("cues", []) or []:
            # {place} stands for a place mention, which the parser writes as PLACE.
            pattern = r"\b" + str(cue).replace("{place}", "place") + r"\b"
            pattern = pattern.replace(r"\b^", "^").replace(r"$\b", "$")
            compiled.append(re.compile(pattern))
        cues[intent] = tuple(compiled)
    log.debug("lexicon: %d place phrases, %d brands", len(places), len(brands))
    return Lexicon(places=places, brands=brands, order_words=order_words, intent_cues=cues,
                   intent_priority=priority, intent_templates=templates,
                   category_phrases=category_phrases, brand_names=brand_names)


def longest_match(tokens: list[str], start: int,
                  table: dict[tuple[str, ...], Any]) -> tuple[int, Any] | None:
    """The longest phrase of `table` starting at tokens[start]: (length, value) or None."""
    for n in range(min(MAX_PHRASE_TOKENS, len(tokens) - start), 0, -1):
        key = tuple(tokens[start:start + n])
        if key in table:
            return n, table[key]
    return None
