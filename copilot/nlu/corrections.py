"""Self-corrections: "no wait, take me to work", "actually make that a tea".

Rewrites the token list so the parser sees what the driver finally meant: a restatement
replaces what came before; "make that X" / a lone place after the marker replaces the last
item of the same kind; "also ..." after "actually" just adds.
"""

from __future__ import annotations

import logging

from copilot.nlu.orders import find_order_words
from copilot.nlu.places import find_mentions
from copilot.nlu.times import find_times

log = logging.getLogger(__name__)

_MARKERS: tuple[tuple[str, ...], ...] = (
    ("no", "wait"), ("wait", "no"), ("no", "no"), ("scratch", "that"), ("on", "second",
                                                                          "thought"),
    ("i", "mean"), ("or", "rather"), ("actually",), ("correction",), ("sorry",), ("wait",),
    ("change", "of", "plans"), ("never", "mind", "that"), ("oops",), ("my", "bad"),
    ("no", "sorry"), ("forget", "that"), ("let", "me", "rephrase"), (",", "no", ","),
    ("or", "no"), ("no", "make", "that"),
)
_REPLACE_LEADS: tuple[tuple[str, ...], ...] = (
    ("make", "that"), ("make", "it"), ("change", "that", "to"), ("change", "it", "to"),
    ("switch", "that", "to"), ("switch", "it", "to"), ("instead", "of", "that"),
    ("let's", "do"), ("let's", "say"), ("i'll", "have"), ("i'd", "rather", "have"), ("not",),
    ("i", "want"), ("i'd", "like"), ("change", "the", "order", "to"), ("swap", "that", "for"),
    ("go", "with"),
)
_BEFORE_AN_ADVERB = {"i", "we", "you", "it", "they", "we'll", "i'll", "you'll", "it'll",
                     "we're", "i'm", "you're", "it's", "is", "are", "was", "were", "be", "will",
                     "would", "can", "could", "should", "do", "does", "did", "not", "really",
                     "i'd", "we'd", "that's", "there's", "am"}
"""After these a one-word marker ("actually", "sorry") is an adverb in the clause ("when we'll
actually get there", "is it actually faster"), not a driver starting over."""
_ADDITIVE = {"also", "too", "and", "plus", "additionally"}
_VERBS = {"take", "bring", "drive", "navigate", "go", "head", "cancel", "stop", "find", "get",
          "how", "when", "what", "where", "turn", "open", "close", "set", "is", "are", "will",
          "let's", "lets", "i", "we", "can", "could", "remove", "skip", "add", "grab",
          "route", "directions", "show", "search", "pick"}


def _last_marker(tokens: list[str]) -> tuple[int, int] | None:
    best: tuple[int, int] | None = None
    for i in range(len(tokens)):
        for m in _MARKERS:
            if tuple(tokens[i:i + len(m)]) == m:
                if len(m) == 1 and i > 0 and tokens[i - 1] in _BEFORE_AN_ADVERB and \
                        tokens[i + 1:i + 2] != [","]:
                    break              # "when we'll actually get there": an adverb, no marker
                # "no" + "wait" only as a marker when it interrupts, not "no wait time".
                if best is None or i >= best[0]:
                    best = (i, len(m))
                break
    return best


def apply_corrections(tokens: list[str]) -> tuple[list[str], bool]:
    """The tokens the driver finally meant, and whether a correction was applied."""
    corrected = False
    for _ in range(4):                               # a few corrections in one breath at most
        found = _last_marker(tokens)
        if found is None:
            break
        at, n = found
        pre = [t for t in tokens[:at] if t != ","]
        post = tokens[at + n:]
        while post and post[0] in (",", "no", "wait"):
            post = post[1:]
        tokens = _merge(pre, post)
        corrected = True
    tokens = _drop_instead_of(tokens)
    return tokens, corrected


def _merge(pre: list[str], post: list[str]) -> list[str]:
    if not pre:
        return post
    if not post:
        return pre
    lead = next((m for m in _REPLACE_LEADS if tuple(post[:len(m)]) == m), None)
    if lead is not None:
        return _replace(pre, post[len(lead):]) or [*pre, ",", *post]
    if post[0] in _ADDITIVE or "also" in post[:3] or post[-1] in ("first", "too"):
        # "go home. oh wait, I need cash first": a stop added, not the trip replaced.
        return [*pre, ",", *post]
    if post[0] not in _VERBS:
        replaced = _replace(pre, post)
        if replaced:
            return replaced
        if not find_mentions(post, set()) and not find_order_words(post):
            # "be there by 5, I mean 6", "don't take the 405, I mean any freeway": a time or
            # a road corrected, not the trip: what came before stays.
            return _replace_time(pre, post) or [*pre, ",", *post]
    return post


def _replace_time(pre: list[str], post: list[str]) -> list[str] | None:
    old = find_times(pre)
    if not old:
        return None
    last = old[-1]
    lead = pre[last.start:last.start + 1]
    new = find_times(post) or find_times([*lead, *post])   # "by 5, I mean 6": "6" said alone
    if not new:
        return None
    said = post[new[0].start:new[0].end] if find_times(post) else post[:new[0].end - 1]
    keep = lead if lead and not find_times(post) else []
    return pre[:last.start] + keep + said + pre[last.end:]


def _replace(pre: list[str], item: list[str]) -> list[str] | None:
    """Replace the last order detail or place in `pre` with `item` (same kind)."""
    if "not" in item[1:]:                    # "a grocery store, not a bakery": said twice
        item = item[:item.index("not", 1)]
    item = [t for t in item if t not in ("instead", ",")]
    new_order = find_order_words(item)
    old_order = find_order_words(pre)
    if new_order and old_order:
        fields = {w[2] for w in new_order}
        spans = [w for w in old_order if w[2] in fields]
        if spans:
            out = list(pre)
            for start, end, _, _ in sorted(spans, reverse=True):
                del out[start:end]
            insert_at = spans[0][0]
            body = [t for t in item if t not in ("a", "an", "the")]
            return out[:insert_at] + body + out[insert_at:]
    new_places = find_mentions(item, set())
    old_places = find_mentions(pre, set())
    if new_places and old_places:
        last = old_places[-1]
        start = last.start
        while start > 0 and pre[start - 1] in ("a", "an", "the", "some"):
            start -= 1
        return pre[:start] + item + pre[last.end:]
    return None


def _drop_instead_of(tokens: list[str]) -> list[str]:
    """ "go to Dunkin instead of Starbucks" -> drop the rejected place."""
    out = list(tokens)
    for i in range(len(out) - 1):
        if out[i] == "instead" and out[i + 1] == "of":
            rest = out[i + 2:]
            places = find_mentions(rest, set())
            cut = i + 2 + (places[0].end if places and places[0].start <= 1 else 0)
            return out[:i] + out[cut:]
    return [t for t in out if t != "instead"]
