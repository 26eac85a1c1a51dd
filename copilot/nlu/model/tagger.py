"""A learned token tagger for place spans: destination, stops on the way, and where from.

BIO labels over the rules' tokens (`text.normalise`): B-/I-DEST, B-/I-STOP, B-/I-SRC, O.
Features per token: the word and its neighbours (+-2), bigrams, suffix, whether it was
capitalised mid-sentence, and what the rules' lexicon saw there (category phrase, saved
place, brand, time) -- so the tagger learns roles ("from my house to the YMCA": SRC, DEST)
and free-text names the lexicon does not know ("how long to drive to Bandon").
Trained on TOP's training split (SL:DESTINATION / SL:SOURCE / SL:WAYPOINT spans) and on the
rules' own spans on our templates and set; logistic regression over hashed features.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from copilot.nlu.lexicon import STREET_SUFFIXES
from copilot.nlu.places import (
    PRONOUNS,
    Mention,
    family_house,
    find_mentions,
    name_after_joiner,
    original_case,
    trim_name,
)
from copilot.nlu.rules import _STOP_AFTER, _TRIP_GOAL, RuleParse, what_if_stop
from copilot.nlu.text import normalise
from copilot.nlu.times import find_times

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

TAGS = ("O", "B-DEST", "I-DEST", "B-STOP", "I-STOP", "B-SRC", "I-SRC")
N_FEATURES = 2**17
DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "data" / "tagger.npz"
_SLOT_ROLE = {"SL:DESTINATION": "DEST", "SL:SOURCE": "SRC", "SL:WAYPOINT": "STOP",
              "SL:WAYPOINT_ADDED": "STOP"}


@dataclass(frozen=True)
class Span:
    role: str
    """DEST, STOP or SRC."""
    start: int
    end: int


def capitalised(text: str) -> set[str]:
    """Lower-cased words written with a capital inside the sentence (names, mostly)."""
    words = re.findall(r"[\w'&-]+", text)
    if sum(w[:1].isupper() for w in words) > 0.6 * max(1, len(words)):
        return set()                                   # ALL CAPS or Title Case Everything
    return {w.lower() for k, w in enumerate(words) if k > 0 and w[:1].isupper() and w != "I"}


def lexicon_marks(tokens: list[str]) -> list[str]:
    """What the rules' lexicon sees at each token: cat / saved / brand / time / -."""
    marks = ["-"] * len(tokens)
    times = find_times(tokens)
    blocked: set[int] = set()
    for t in times:
        for k in range(t.start, t.end):
            marks[k] = "time"
            blocked.add(k)
    for m in find_mentions(tokens, blocked):
        kind = "saved" if m.saved else "brand" if m.name else "cat"
        for k in range(m.start, min(m.end, len(tokens))):
            marks[k] = ("B-" if k == m.start else "I-") + kind
    return marks


def token_features(tokens: list[str], caps: set[str]) -> list[list[str]]:
    marks = lexicon_marks(tokens)
    pad = ["<s2>", "<s1>", *tokens, "</s1>", "</s2>"]
    mpad = ["<s>", "<s>", *marks, "</s>", "</s>"]
    out: list[list[str]] = []
    for k, w in enumerate(tokens):
        i = k + 2
        f = [f"w={w}", f"w-1={pad[i - 1]}", f"w-2={pad[i - 2]}", f"w+1={pad[i + 1]}",
             f"w+2={pad[i + 2]}", f"b-={pad[i - 1]}|{w}", f"b+={w}|{pad[i + 1]}",
             f"b--={pad[i - 2]}|{pad[i - 1]}", f"suf={w[-3:]}", f"m={mpad[i]}",
             f"m-1={mpad[i - 1]}", f"m+1={mpad[i + 1]}", f"m|w-1={mpad[i]}|{pad[i - 1]}",
             f"pos={min(k, 6)}", "bias"]
        if w in caps:
            f.append("cap")
            if pad[i - 1] in caps:
                f.append("cap-1")
        if w.isdigit():
            f.append("digit")
        out.append(f)
    return out


def decode(tags: list[str]) -> list[Span]:
    """BIO tags -> spans (an I- without its B- starts a span)."""
    spans: list[Span] = []
    role: str | None = None
    start = 0
    for k, t in enumerate([*tags, "O"]):
        if t == "O" or t.startswith("B-") or (role is not None and t[2:] != role):
            if role is not None:
                spans.append(Span(role, start, k))
                role = None
            if t != "O":
                role, start = t[2:], k
        elif role is None:
            role, start = t[2:], k
    return spans


class Tagger:
    """Loads the weights once; `spans` tags one token list."""

    def __init__(self, path: Path | None = None) -> None:
        import numpy as np

        from copilot.nlu.hashing import FeatureHasher

        self.path = path or DEFAULT_WEIGHTS
        with np.load(self.path, allow_pickle=False) as z:
            self.coef: np.ndarray = z["coef"].astype(np.float32).T.copy()
            self.intercept: np.ndarray = z["intercept"].astype(np.float32)
            self.tags = [str(x) for x in z["labels"]]
        self.hasher = FeatureHasher(N_FEATURES)

    def spans(self, tokens: list[str], text: str) -> list[Span]:
        if not tokens:
            return []
        x = self.hasher.transform(token_features(tokens, capitalised(text)))
        logits = (x @ self.coef) + self.intercept
        return decode([self.tags[int(k)] for k in logits.argmax(axis=1)])


def tokens_by_word(words: list[str]) -> tuple[list[str], list[int]]:
    """Normalise word by word, keeping which word each token came from (for TOP spans)."""
    tokens: list[str] = []
    owner: list[int] = []
    for i, w in enumerate(words):
        for t in normalise(w) if w not in (",", ".", "?", "!") else [","]:
            tokens.append(t)
            owner.append(i)
    return tokens, owner


def top_example(utterance: str, parse: str) -> tuple[list[str], list[str]] | None:
    """A TOP compact row as (tokens, BIO tags); None when it has no place slot."""
    words = utterance.split()
    toks = parse.split()
    depth = 0
    slot: str | None = None
    spans: list[tuple[str, int, int]] = []
    lo, hi = 10**6, -1
    k = 0
    while k < len(toks):
        t = toks[k]
        if t.startswith("["):
            depth += 1
            if depth == 2 and t[1:] in _SLOT_ROLE:
                slot, lo, hi = _SLOT_ROLE[t[1:]], 10**6, -1
        elif t == "]":
            if depth == 2 and slot is not None:
                if hi > lo:
                    spans.append((slot, lo, hi))
                slot = None
            depth -= 1
        elif t.isdigit() and k + 1 < len(toks) and toks[k + 1].isdigit():
            if slot is not None:
                lo, hi = min(lo, int(t)), max(hi, int(toks[k + 1]))
            k += 1
        k += 1
    tokens, owner = tokens_by_word(words)
    if not tokens:
        return None
    role: list[str | None] = [None] * len(tokens)
    span_id = [-1] * len(tokens)
    for n, (r, s, e) in enumerate(spans):
        for j, w in enumerate(owner):
            if s <= w < e and tokens[j] != ",":
                role[j], span_id[j] = r, n
    # A partial span inside a lexicon mention ("my" of "my house") takes the whole mention.
    for m in find_mentions(tokens, set()):
        inside = range(m.start, min(m.end, len(tokens)))
        hit = next((j for j in inside if role[j] is not None), None)
        if hit is not None:
            for j in inside:
                role[j], span_id[j] = role[hit], span_id[hit]
    return tokens, bio(role, span_id)


def bio(role: list[str | None], span_id: list[int]) -> list[str]:
    tags: list[str] = []
    for j, r in enumerate(role):
        if r is None:
            tags.append("O")
        elif j > 0 and role[j - 1] == r and span_id[j - 1] == span_id[j]:
            tags.append(f"I-{r}")
        else:
            tags.append(f"B-{r}")
    return tags


def rule_example(tokens: list[str], dest: tuple[int, int] | None,
                 stops: list[tuple[int, int]]) -> tuple[list[str], list[str]]:
    """Tokens and BIO tags from spans the rules found (templates, our own set)."""
    role: list[str | None] = [None] * len(tokens)
    span_id = [-1] * len(tokens)
    for n, (r, (s, e)) in enumerate([("DEST", d) for d in ([dest] if dest else [])] +
                                    [("STOP", st) for st in stops]):
        for j in range(s, min(e, len(tokens))):
            role[j], span_id[j] = r, n
    return tokens, bio(role, span_id)


_NOT_A_NAME = {"there", "it", "here", "destination", "my destination", "the destination",
               "way", "route", "trip", "road", "the road", "traffic", "work", "home"}
# Words that never make a place name alone: pronouns and events ("his train", "we'd be
# there", "my flight at 7:15").
_NO_NAME_WORDS = PRONOUNS | {"flight", "plane", "meeting", "appointment", "train", "bus",
                             "game", "show", "class", "shift", "party", "thing", "one", "stuff",
                             # answers and road kinds: "..., yeah?", "but nothing unpaved"
                             "not", "nothing", "yeah", "yes", "no", "nope", "okay", "ok",
                             "unpaved", "gravel", "highway", "highways", "toll", "tolls",
                             "ferry", "ferries", "rush", "hour", "why", "what", "when",
                             "where", "how", "who", "which", "crossing", "station",
                             "company", "company'll", "departure", "trailer",
                             # the trip's own stops: "how far to the next stop"
                             "next", "stop", "stops", "first", "last", "final"}


_AWAY_FROM = re.compile(r"^(how (far|long|many (miles|minutes|kilometers|km))|what's the "
                        r"distance) (\w+ )?(are we|am i|is it|we are|i am|are you)( still)? "
                        r"(\w+ )?from\b")


def _overlaps(m: Mention, s: Span) -> bool:
    return m.start < s.end and s.start < m.end


def apply_spans(p: RuleParse, spans: list[Span], text: str) -> RuleParse:
    """The tagger's roles applied to the rules' places, conservatively: the rules' destination
    stays unless the tagger calls it the starting point; where the rules found no
    destination, the tagger's DEST span names it (a lexicon place if one is inside it, else
    free text in the driver's spelling)."""
    dest = p.destination
    stops = list(p.stops)
    srcs = [s for s in spans if s.role == "SRC"]
    # "the closest airport to here": a DEST that is only "here" or "there" names no other
    # place, so the airport stays what is asked for.
    dests = [s for s in spans if s.role == "DEST"]
    deictic = bool(dests) and all(" ".join(t for t in p.tokens[s.start:s.end] if t != ",")
                                  in _NOT_A_NAME for s in dests)
    dests = [] if deictic else dests
    # A DEST span that is only a street word ("st" left over from "AL Gamhouria st.") does
    # not hide the place the tagger also marked.
    dests = [s for s in dests if not set(p.tokens[s.start:s.end]) <= STREET_SUFFIXES | {","}
             ] or dests
    # "how far are we from Lambeau Field": the distance to it, not a trip starting there.
    away_from = _AWAY_FROM.search(" ".join(p.tokens)) is not None
    if dest is not None and not deictic and not away_from and any(
            _overlaps(dest, s) for s in srcs) and not any(_overlaps(dest, s) for s in dests):
        dest = None                                     # "from my house to ...": not where to
    # "how much would a detour to the Costco on Harbor add": a stop the question weighs is
    # never where it goes, nor is the name around it.
    if dest is None and p.intent == "ask_eta":
        dests = [s for s in dests if not any(
            _overlaps(m, s) and what_if_stop(p.tokens, m) for m in stops)]
    if dest is None and p.intent == "find_place":
        # "hotels along the way to Bend": where the trip goes, not what is looked for.
        dests = [s for s in dests if not _TRIP_GOAL.search(
            " ".join(p.tokens[max(0, s.start - 5):s.start]))]
    if dest is None and dests:
        span = dests[-1]
        inside = [m for m in stops if _overlaps(m, span)]
        # A search "along the route" keeps its place as a stop (the rules put it there).
        along = p.intent == "find_place" and any(_STOP_AFTER.search(
            " ".join(p.tokens[m.end:m.end + 4])) for m in inside)
        if inside and p.intent != "add_stop" and not along:
            dest = inside[-1]
            stops = [m for m in stops if m is not dest]
        elif not inside and p.intent in ("navigate", "ask_eta", "find_place"):
            words = [t for t in p.tokens[span.start:span.end] if t != ","]
            while words and words[0] in ("the", "a", "an", "to", "at", "by", "for", "my", "hit",
                                         "reach", "make"):
                words = words[1:]
            # "make my 5pm flight", "my 3 o'clock appointment": a time and its event name no
            # place; "my 1 pm appointment in Lansing" names Lansing.
            timed = [t for t in find_times(p.tokens) if t.start < span.end and span.start < t.end]
            if timed:
                rest = p.tokens[max(t.end for t in timed):span.end]
                at = [k for k, w in enumerate(rest) if w in ("in", "at")]
                words = [t for t in rest[at[0] + 1:] if t != ","] if at else []
            while words[:1] in (["out"], ["of"], ["from"]):
                words = words[1:]                            # "my flight out of JFK"
            words = trim_name(words) or name_after_joiner(p.tokens, span.start, span.end)
            phrase = " ".join(words)
            kinds = [m for m in find_mentions(words, set()) if m.category] if words else []
            if len(kinds) == 1 and kinds[0].end - kinds[0].start == len(words):
                # "are we close to the restaurant yet": a kind the rules left as a qualifier.
                dest = Mention(span.start, span.end, category=kinds[0].category)
            elif (house := family_house(words)) is not None:
                dest = Mention(span.start, span.end, saved=house)   # "go see mom"
            elif words and phrase not in _NOT_A_NAME and any(c.isalpha() for c in phrase) \
                    and not set(words) <= _NO_NAME_WORDS:
                dest = Mention(span.start, span.end, name=original_case(words, text))
    if p.intent in ("ask_eta", "find_place"):
        stops = [m for m in stops if not any(_overlaps(m, s) for s in srcs)]
    if dest is p.destination and stops == p.stops:
        return p
    return replace(p, destination=dest, stops=stops)
