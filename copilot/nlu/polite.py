"""Requests said as questions: "would it be possible to head home", "do you think you could
navigate to Pike Place", "is it possible to drop the pharmacy", "what if we just went to the
hotel instead".

The learned model reads many of these as questions (ask_eta, find_place) from their opening
words. A question must never move the car (contract section 1), so this check is narrow:
the opening must be a polite form followed at once by an action verb, nothing in the line may
ask about time, distance or arriving, and the rules must read the words as a route change on
their own with confidence. Where any of that fails the model's question stands: a request
answered as a question costs the driver one "yes"; a question acted on moves the car.
"""

from __future__ import annotations

import logging
import re

log = logging.getLogger(__name__)

_ACTION = (r"(navigate|route|plot|set up|take|drive|head|go|swing|stop|add|drop|remove|skip|"
           r"cancel|end|hit|grab|pull|pick|charge|run through|make a stop|squeeze|get me|"
           r"get us|bring|cut|call off|ditch|scratch|avoid|stay off|steer clear)")
_PAST_ACTION = (r"(went|headed|drove|swung|stopped|picked|skipped|dropped|grabbed|took|"
                r"avoided|called off|ditched|cut|didn't stop|did not stop|pulled|hit|ran)")
_POLITE = re.compile(
    r"^(so |hey |ok |okay |um |uh )?("
    r"(do you think|i wonder if|any chance|is there any way|is there a way) (that )?"
    r"(you|we|i) (can|could|would|might)( please| just| maybe)?( be able to)?"
    rf"( go ahead and)? {_ACTION}\b|"
    r"(would|is|will) it be (ok|okay|possible|alright|all right|fine) (to|if) "
    rf"((we|i|you) )?(can |could )?(just )?{_ACTION}\b|"
    rf"is it (ok|okay|possible|alright|all right|fine) (to|if) ((we|i|you) )?(just )?{_ACTION}\b|"
    r"(could|can|would|will) (you|we)( please| just| maybe)?( go ahead and)? "
    rf"{_ACTION}\b|"
    rf"what if we (just )?{_PAST_ACTION}\b)")
# Anything that asks about the trip's time, distance or the car keeps the question.
_ASKS_ABOUT = re.compile(
    r"\b(how long|how far|how much|how many|what time|when|eta|make it|in time|on time|"
    r"still|minutes?|miles?|km|faster|quicker|slower|longer|shorter|save|cost|worth|"
    r"enough|range|battery|charge left|open|closed|closest|nearest|which|where|would we|"
    r"will we|would i|will i|does it|is it far|traffic|"
    r"on (one|a single|this|the|my|our|half a) (charge|battery|tank))\b")
# A question followed by what to do: "do you know the way to Graceland? take us there".
_THEN_ACT = re.compile(r"[,?.] (then )?((please )?(take|get|bring) (me|us) there|let's (go|do it|"
                       r"cut it|skip it|drop it)|set (it|that) up|can you set (it|that) up|"
                       r"do it|go ahead)\b")

MIN_RULES_CONFIDENCE = 0.8
"""The rules' own reading must be this sure of the route change (their scale, rules.py)."""


def asks_politely(text: str) -> bool:
    """Whether `text` (normalised, lower case) is a request said as a question."""
    plain = " ".join(text.lower().split())
    if _THEN_ACT.search(plain):
        return True
    if not _POLITE.search(plain):
        return False
    return _ASKS_ABOUT.search(plain) is None


def polite_request(model_intent: str, rules_intent: str, rules_confidence: float,
                   text: str) -> str | None:
    """The route change a politely asked request names, where the model read a question or
    no request of ours; None where the model's reading stands. (A refusal or a service we
    do not offer never gets here: the understander decides those first.)"""
    if model_intent not in ("ask_eta", "find_place", "ask_vehicle", "out_of_scope"):
        return None
    if rules_intent not in ("navigate", "add_stop", "remove_stop", "cancel"):
        return None
    if rules_confidence < MIN_RULES_CONFIDENCE or not asks_politely(text):
        return None
    log.debug("polite request: %s -> %s", model_intent, rules_intent)
    return rules_intent
