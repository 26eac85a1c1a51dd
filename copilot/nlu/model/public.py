"""Public NLU sets mapped onto our intents, written once as code (TOP, SLURP, Snips, KVRET).

Every reader yields `Labelled` rows: the text, our training label (a contract intent, or
`refused_harmful` / `unsupported_service`, which become `out_of_scope` with that error), and
what the gold annotation says about the destination ("place kind") and `avoid`.

Mapping (TOP): GET_DIRECTIONS -> navigate; GET_ESTIMATED_DURATION / _ARRIVAL / _DEPARTURE,
GET_DISTANCE, GET_INFO_ROUTE, GET_INFO_TRAFFIC, GET_INFO_ROAD_CONDITION -> ask_eta (trip
questions: answered, never a route change); UPDATE_DIRECTIONS -> navigate (PATH_AVOID gives
`avoid`); GET_LOCATION at the top -> find_place; GET_EVENT*, UNSUPPORTED*, UNINTELLIGIBLE ->
out_of_scope; UNSUPPORTED* (only in the eval split: requests TOP's schema cannot express,
such as "should I leave early to beat traffic" or "nearby bakeries please") -> "unsupported",
scored as right when the answer does not move the car, and reported apart; COMBINE is
skipped (two requests in one). Place kind of SL:DESTINATION:
GET_LOCATION_HOME/WORK/SCHOOL -> saved; CATEGORY_LOCATION -> our category when the lexicon
names it, else name; anything else (POINT_ON_MAP, events, addresses) -> name.
SLURP: transport_taxi, transport_ticket, takeaway_order -> unsupported_service;
transport_traffic -> ask_eta; recommendation_locations -> find_place; all else out_of_scope.
Snips: BookRestaurant -> unsupported_service; all else out_of_scope.
KVRET (dev only): first driver turn of each navigate dialogue; poi_type -> category.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from copilot.nlu.lexicon import lexicon, tokens_of

log = logging.getLogger(__name__)

EXTRA_LABELS = ("refused_harmful", "unsupported_service")
"""Training labels beyond the contract's intents; both come out as out_of_scope + error."""

_TOP_INTENTS = {
    "GET_DIRECTIONS": "navigate", "UPDATE_DIRECTIONS": "navigate",
    "GET_ESTIMATED_DURATION": "ask_eta", "GET_ESTIMATED_ARRIVAL": "ask_eta",
    "GET_ESTIMATED_DEPARTURE": "ask_eta", "GET_DISTANCE": "ask_eta",
    "GET_INFO_ROUTE": "ask_eta", "GET_INFO_TRAFFIC": "ask_eta",
    "GET_INFO_ROAD_CONDITION": "ask_eta", "GET_LOCATION": "find_place",
    "UNSUPPORTED_NAVIGATION": "unsupported", "UNSUPPORTED": "unsupported",
    "UNSUPPORTED_EVENT": "unsupported", "UNINTELLIGIBLE": "out_of_scope",
}
_SAVED_INTENTS = {"GET_LOCATION_HOME": "home", "GET_LOCATION_WORK": "work",
                  "GET_LOCATION_SCHOOL": "school"}
_SLURP = {"transport_taxi": "unsupported_service", "transport_ticket": "unsupported_service",
          "takeaway_order": "unsupported_service", "transport_traffic": "ask_eta",
          "recommendation_locations": "find_place"}
KVRET_POI = {"gas station": "fuel", "coffee or tea place": "coffee", "grocery store": "grocery",
             "hospital": "hospital", "parking garage": "parking", "rest stop": "restroom",
             "pizza restaurant": "pizza", "chinese restaurant": "restaurant"}
"""KVRET poi_type -> category; the others (shopping center, friend's house, home, certain
address) have no contract category and are left out of the place-kind score."""
_AVOID_WORDS = (("highways", re.compile(r"high ?ways?|freeways?|interstates?|motorways?|\bi-?\d+|"
                                        r"expressways?|turnpike")),
                ("tolls", re.compile(r"tolls?")), ("ferries", re.compile(r"ferr(y|ies)")),
                ("unpaved", re.compile(r"unpaved|dirt|gravel")))


@dataclass(frozen=True)
class Labelled:
    text: str
    label: str
    place_kind: str | None = None
    """"category:<c>", "saved", "name", or None when no destination was annotated."""
    avoid: tuple[str, ...] = ()
    source: str = ""
    tags: tuple[str, ...] = field(default=())
    """Per-token BIO tags of the destination/waypoint spans when the set annotates them."""


def held_out(key: str, share: float = 0.2) -> bool:
    """A stable split by hash of the text: the same rows are held out on every machine."""
    h = int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16)
    return h / 0xFFFFFFFF < share


def category_of(phrase: str) -> str | None:
    """Our category for a spoken place phrase, through the lexicon (None if unknown)."""
    toks = tokens_of(re.sub(r"^(the|a|an|some|nearest|closest|my)\s+", "", phrase.lower()))
    entry = lexicon().places.get(toks)
    if entry is None and toks and toks[-1].endswith("s"):
        entry = lexicon().places.get((*toks[:-1], toks[-1][:-1]))
    return entry.category if entry else None


def avoid_of(phrase: str) -> tuple[str, ...]:
    return tuple(a for a, p in _AVOID_WORDS if p.search(phrase.lower()))


# --- TOP -------------------------------------------------------------------------------

@dataclass
class Node:
    label: str
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        return " ".join(c if isinstance(c, str) else c.text() for c in self.children)

    def find(self, label: str) -> Node | None:
        for c in self.children:
            if isinstance(c, Node):
                if c.label == label:
                    return c
                hit = c.find(label)
                if hit is not None:
                    return hit
        return None


def parse_tree(parse: str, words: list[str] | None = None) -> Node:
    """A TOP bracketed parse as a tree. With `words` (compact form), "start end" spans are
    replaced by those words; without, the words are inline."""
    toks = parse.split()
    pos = 0

    def node() -> Node:
        nonlocal pos
        n = Node(toks[pos][1:])
        pos += 1
        while pos < len(toks) and toks[pos] != "]":
            if toks[pos].startswith("["):
                n.children.append(node())
            elif words is not None and toks[pos].isdigit() and pos + 1 < len(toks) \
                    and toks[pos + 1].isdigit():
                n.children.extend(words[int(toks[pos]):int(toks[pos + 1])])
                pos += 2
            else:
                n.children.append(toks[pos])
                pos += 1
        pos += 1
        return n

    return node()


def _place_kind(dest: Node | None) -> str | None:
    if dest is None:
        return None
    for c in dest.children:
        if isinstance(c, Node) and c.label in (f"IN:{k}" for k in _SAVED_INTENTS):
            return "saved"
    cat = dest.find("SL:CATEGORY_LOCATION")
    if cat is not None and dest.find("SL:POINT_ON_MAP") is None:
        found = category_of(cat.text())
        if found is not None:
            return f"category:{found}"
    return "name"


def _top_row(text: str, tree: Node, source: str) -> Labelled | None:
    top = tree.label.removeprefix("IN:")
    intent = _TOP_INTENTS.get(top)
    if top.startswith("GET_EVENT"):
        intent = "out_of_scope"
    if intent is None:
        return None
    avoid_node = tree.find("SL:PATH_AVOID")
    avoid = avoid_of(avoid_node.text()) if avoid_node is not None else ()
    kind = _place_kind(tree.find("SL:DESTINATION")) if intent not in (
        "out_of_scope", "unsupported") else None
    return Labelled(text, intent, kind, avoid, f"{source}:{top}")


def read_top(path: Path, compact: bool) -> Iterator[Labelled]:
    """TOP train (compact: utterance, parse with spans) or eval (raw, tokens, inline parse)."""
    for line in path.read_text(encoding="utf-8").splitlines():
        cols = line.split("\t")
        if compact and len(cols) == 2:
            tree = parse_tree(cols[1], cols[0].split())
        elif not compact and len(cols) == 3:
            tree = parse_tree(cols[2])
        else:
            continue
        row = _top_row(cols[0].strip(), tree, "top")
        if row is not None:
            yield row


# --- SLURP, Snips, KVRET -----------------------------------------------------------------

def read_slurp(path: Path) -> Iterator[Labelled]:
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        obj = json.loads(line)
        yield Labelled(str(obj["sentence"]), _SLURP.get(str(obj["intent"]), "out_of_scope"),
                       source=f"slurp:{obj['scenario']}")


_BOOKING = re.compile(r"\b(book|booking|reserve|reservation|reservations|table|seats?|spot)\b",
                      re.IGNORECASE)


def read_snips(path: Path, training: bool = False) -> Iterator[Labelled]:
    """Snips queries. For training, a BookRestaurant query that does not say book / reserve /
    table ("I want to go to the popular pub at ten PM") is left out: as an in-car request it
    is a place to go, so labelling it "cannot do" would teach the model to refuse food stops."""
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        text, _, intent = line.rpartition("\t")
        if not text.strip():
            continue
        if training and intent == "BookRestaurant" and not _BOOKING.search(text):
            continue
        yield Labelled(text.strip(), "unsupported_service" if intent == "BookRestaurant"
                       else "out_of_scope", source=f"snips:{intent}")


def read_kvret(path: Path) -> Iterator[Labelled]:
    """First driver turn of each navigate dialogue; its poi_type (annotated on the
    assistant's reply) is the category asked for."""
    for d in json.loads(path.read_text(encoding="utf-8")):
        if d["scenario"]["task"]["intent"] != "navigate" or len(d["dialogue"]) < 2:
            continue
        first, reply = d["dialogue"][0], d["dialogue"][1]
        if first["turn"] != "driver":
            continue
        poi = (reply["data"].get("slots") or {}).get("poi_type")
        cat = KVRET_POI.get(str(poi).lower()) if poi else None
        yield Labelled(str(first["data"]["utterance"]).strip(), "navigate",
                       f"category:{cat}" if cat else None, source="kvret")
