"""Is an utterance a question? A question never changes the route (contract section 1).

The learned model decides the intent; this grammar check is its guard: when the model says
navigate or add_stop but the driver asked a question ("should I avoid the highway to New
York", "is there a gas station on the way"), the turn becomes ask_eta or find_place, so it
is answered and the route is left alone. Requests phrased politely as questions ("can you
take me home", "could we stop for coffee", "would you mind ...") and questions that ask
for a route ("what's the fastest way to work") stay requests.
"""

from __future__ import annotations

import logging
import re

log = logging.getLogger(__name__)

_QUESTION_START = re.compile(
    r"^(is|are|was|were|isn't|aren't|do|does|did|don't|should|shall|will|would|can|could|"
    r"has|have|what|what's|whats|which|where|where's|wheres|when|when's|how|how's|why|who|"
    r"any idea|is it|do you know|tell me (if|whether|how|when|what|where))\b")
_REQUEST = re.compile(
    r"^(can|could|would|will|won't)( you| ya| u| we| i| us)?( please| just| maybe)?"
    r"( (take|drive|get|bring|navigate|route|direct|guide|find|add|stop|remove|drop|cancel|"
    r"head|go|swing|pop|pull|grab|pick|set|start|show me the way|give me directions|"
    r"make a stop|make|have|hit|skip|turn|end|get directions|redirect|reroute|plan|"
    r"change|switch|avoid|include|throw in|squeeze in|put)\b)|"
    r"^(would|do) you mind\b|^(how|what) about\b|^why (don't|not) (we|you)\b|"
    r"^(can|could|may) (i|we) (get|have) (directions|a route|navigation)\b|"
    r"^(is it|it is) (ok|okay|possible) (to|if) (we|i|you) (go|stop|head|add|take)\b")


# Asking for a route is asking to be routed: "what's the best way to get to work", "how do I
# get to Michigan", "is there another way home", "which route has the least traffic".
_ROUTE_SEEKING = re.compile(
    r"\b(?<!on the )(?<!along the )(?<!on my )(?<!on our )(way|ways)\b|"
    r"\b(route|routes|rout|directions|shortcut|alternate|alternative|detour|reroute|"
    r"re route|bypass|to go to|take to get|should i take|should we take|should i go|"
    r"should we go)\b|^how (do|can|would|should|could) (i|we) (get|go|drive|avoid|reach)\b|"
    r"\bhow to (get|go|drive|reach)\b")


def is_question(tokens: list[str]) -> bool:
    """Asked, not requested: a question word first, no request verb right after it, and not
    a request for a route."""
    plain = " ".join(t for t in tokens if t != ",")
    if not _QUESTION_START.search(plain):
        return False
    return _REQUEST.search(plain) is None and _ROUTE_SEEKING.search(plain) is None


_LOOKING = re.compile(r"^(where|where's|wheres|is there|are there|any|do you know (a|any|where)|"
                      r"what|which)\b")


def as_question(intent: str, tokens: list[str]) -> str:
    """The answering intent for a question the model read as a route change: looking for a
    place ("where can I get a burger on the way") is find_place, the rest are trip
    questions (ask_eta)."""
    if intent not in ("navigate", "add_stop"):
        return intent
    plain = " ".join(t for t in tokens if t != ",")
    return "find_place" if intent == "add_stop" or _LOOKING.search(plain) else "ask_eta"
