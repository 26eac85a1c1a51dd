"""Request validation: what was understood, and whether the copilot may act on it at all.

`validate_understanding` re-validates an understanding strictly (contract vocabulary only,
bounded lengths and counts, HH:MM times that parse) whether it arrives as a typed object, a
dict or JSON text from a model. `classify_request` finds what is refused whatever the
intent says: evading the police or harming people (always; also when the understanding says
`error: "refused_harmful"`, copilot/nlu/README.md), operating the vehicle (one short
sentence), driver-assistance and restraint systems (always), and while moving, video,
browsing and reading long text (NHTSA per-se lock-outs; see safety/POLICY.md).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass

from pydantic import ValidationError

from routing.messages import MAX_STOPS, Intent, Understanding
from safety.codes import Reason
from safety.gate import Outcome, Verdict
from safety.text import sanitize_untrusted

log = logging.getLogger(__name__)

CHECK = "request"
MAX_RAW_CHARS = 50_000
MAX_EXCLUDED_BRANDS = 10
MAX_BRAND_CHARS = 60
MAX_ERROR_CHARS = 200
"""Bounds on the understanding's extension fields, which the message type leaves open."""

# Driver assistance and restraint systems: refused always, moving or parked.
SAFETY_SYSTEM_RE = re.compile(
    r"\b(lane[\s-]*(keep\w*|assist\w*|departure|centering|centring)|lka|ldw"
    r"|(automatic\s+|auto\s+)?emergency\s+brak\w*|\baeb\b|collision\s+(avoidance|warning)"
    r"|traction(\s+control)?|stability\s+control|\besc\b|\babs\b|anti[\s-]*lock"
    r"|air\s*bags?|seat\s*belts?|pretensioner|blind[\s-]*spot|cruise\s+control)",
    re.IGNORECASE,
)
# Door locks: a restraint matter while moving (refused always), plain vehicle control parked.
DOOR_LOCK_RE = re.compile(
    r"\b(child\s+locks?|door\s+locks?|(un)?lock\s+(the\s+|all\s+|my\s+)?(car\s+)?doors?)\b",
    re.IGNORECASE,
)
# Other vehicle operation: refused with one short sentence (the copilot has no such action).
VEHICLE_CONTROL_RE = re.compile(
    r"\b(windows?|sunroof|moonroof|trunk|boot|tailgate|hood|bonnet|mirrors?|wipers?"
    r"|headlights?|high\s+beams?|lights|horn|hazards?\s+lights|climate|a/?c|air\s+con\w*"
    r"|heat(er|ing)?|defrost\w*|seat\s+heat\w*|heated\s+seats?|temperature|fan"
    r"|engine|ignition|gear|park\s+brake|handbrake|accelerat\w*|brake|steer\w*"
    r"|speed\s+up|slow\s+down|honk|start\s+the\s+car|stop\s+the\s+car|self[\s-]*driv\w*"
    r"|autopilot)\b",
    re.IGNORECASE,
)
OPERATE_RE = re.compile(
    r"\b(open|close|shut|roll|turn|switch|set|raise|lower|put|start|stop|disable|enable"
    r"|deactivate|activate|unlock|lock|honk|flash|speed|slow|accelerate|brake|steer|warm"
    r"|cool|increase|decrease|make)\b",
    re.IGNORECASE,
)
QUESTION_RE = re.compile(
    r"^(is|are|was|were|what|what's|whats|how|does|do|did|which|when|where|why|can you tell"
    r"|tell me)\b", re.IGNORECASE)
# Per-se lock-outs while moving (NHTSA 2013, section V): video, browsing, reading text.
DISTRACTION_RE = re.compile(
    r"\b(play|watch|stream|show)\b.{0,30}\b(video|movie|film|youtube|netflix|tv|episode"
    r"|clip)s?\b|\b(browse|browsing|surf)\b|\b(open|load|show)\b.{0,20}\b(website|web\s*page"
    r"|browser|internet)\b|\bread\b.{0,30}\b(emails?|messages?|texts?|news|articles?"
    r"|book|reviews?|menu|page|wikipedia|tweets?|posts?)\b|\b(type|write|compose)\b.{0,20}"
    r"\b(emails?|messages?|texts?)\b",
    re.IGNORECASE,
)


# Evading the police or harming people: refused always, never a place search. The verb comes
# first ("lose the police", "run over pedestrians"); a warning ("don't hit the cyclist",
# "how do I avoid hitting people") is not a request to do it.
_POLICE = (r"(the\s+)?(police|cops?|officers?|troopers?|sheriffs?|patrol(\s+cars?)?"
           r"|squad\s+cars?|feds|the\s+law|cruisers?)")
EVADE_POLICE_RE = re.compile(
    r"\b(lose|ditch|shake|evade|escape|outrun|outdrive|flee|run\s+from|get\s+away\s+from"
    r"|hide\s+from|dodge|avoid\s+getting\s+caught\s+by|get\s+rid\s+of)\b[^.!?]{0,25}?\b"
    + _POLICE + r"\b|\b(police|cops?)\s+chase\b|\bwithout\s+(the\s+)?(police|cops)"
    r"\s+(seeing|noticing|catching|following)",
    re.IGNORECASE,
)
HARM_PEOPLE_RE = re.compile(
    r"\b(run\s+over|running\s+over|ran\s+over|mow\s+down|plow\s+into|plough\s+into|ram"
    r"|ramming|hit|drive\s+into|crash\s+into|kill|hurt|injure|attack)\b[^.!?]{0,20}?\b"
    r"(people|pedestrians?|someone|somebody|a\s+person|persons?|cyclists?|bikers?|crowds?"
    r"|protesters?|kids|children|a\s+child|that\s+(guy|man|woman)|him|her|them)\b"
    r"|\b(ram|ramming|crash\s+into)\b[^.!?]{0,20}?\b(cars?|vehicles?|trucks?|bus(es)?)\b"
    r"|\b(run|force|push)\s+(\w+\s+){1,3}off\s+the\s+road\b",
    re.IGNORECASE,
)
# Following or pursuing someone ("follow that black SUV", "tail the guy in the red car"): a
# vehicle or a person after "that / the / this"; following signs, a road or a route is not.
PURSUE_RE = re.compile(
    r"\b(follow|following|tail|tailing|chase|chasing|pursue|pursuing|keep\s+up\s+with|stay"
    r"\s+behind)\s+(that|the|this|those|these)\s+(\w+\s+){0,2}?(car|cars|suv|truck|van"
    r"|vehicle|motorcycle|bike|guy|man|woman|girl|person|people)\b"
    r"(?!\s+(routes?|signs?|lanes?|stops?|parking|directions))"
    # Stalking: "stalk her", where an ex lives, or a person's whereabouts asked "so I can
    # follow / watch her". A friend followed in convoy is said without such a purpose.
    r"|\b(stalk|stalking)\b|\bwhere\s+my\s+ex(-?\w+)?\s+(lives|works|is\s+staying|stays)\b"
    r"|\bso\s+(i|we)\s+can\s+(follow|tail|watch|spy\s+on|track|surprise)\s+(him|her|them)\b",
    re.IGNORECASE,
)
_WARNING_RE = re.compile(r"\b(don'?t|do\s+not|never|not|avoid|without|careful|so\s+i\s+don'?t)"
                         r"\s+(\w+\s+)?$", re.IGNORECASE)
HARMFUL_ERROR = "refused_harmful"
"""The understanding's error for such requests (agreed with copilot/nlu/README.md)."""


def harmful(text: str) -> str | None:
    """The phrase that asks to evade the police, harm or pursue people, or None."""
    for pattern in (EVADE_POLICE_RE, HARM_PEOPLE_RE, PURSUE_RE):
        for m in pattern.finditer(text):
            if not _WARNING_RE.search(text[max(0, m.start() - 25):m.start()]):
                return m.group(0)
    return None


@dataclass(frozen=True)
class RequestClass:
    """What kind of refusal an utterance calls for, if any (None: none)."""

    reason: Reason | None
    detail: str = ""


def classify_request(text: str, intent: Intent, moving: bool,
                     error: str | None = None) -> RequestClass:
    """Which refusal applies to this utterance, whatever a model made of it."""
    clean, _ = sanitize_untrusted(text, 2000)
    if error == HARMFUL_ERROR:
        return RequestClass(Reason.HARMFUL_REQUEST, "understanding")
    phrase = harmful(clean)
    if phrase is not None:
        return RequestClass(Reason.HARMFUL_REQUEST, phrase)
    m = SAFETY_SYSTEM_RE.search(clean)
    if m and (OPERATE_RE.search(clean) or intent == Intent.VEHICLE_CONTROL):
        return RequestClass(Reason.SAFETY_SYSTEM, m.group(0))
    m = DOOR_LOCK_RE.search(clean)
    if m:
        return RequestClass(Reason.SAFETY_SYSTEM if moving else Reason.VEHICLE_CONTROL, m.group(0))
    if intent == Intent.VEHICLE_CONTROL:
        return RequestClass(Reason.VEHICLE_CONTROL, "intent")
    m = VEHICLE_CONTROL_RE.search(clean)
    if m and OPERATE_RE.search(clean) and intent in (Intent.OUT_OF_SCOPE, Intent.ASK_VEHICLE) \
            and not QUESTION_RE.match(clean):  # "is the trunk open?" asks, it does not operate
        return RequestClass(Reason.VEHICLE_CONTROL, m.group(0))
    m = DISTRACTION_RE.search(clean)
    if m and moving:
        return RequestClass(Reason.DISTRACTION_REQUEST, m.group(0))
    return RequestClass(None)


def _verdict(reason: Reason, outcome: Outcome, detail: str = "", count: int = 0) -> Verdict:
    return Verdict(check=CHECK, outcome=outcome, reason=reason, detail=detail[:200], count=count)


def validate_understanding(raw: object) -> tuple[Understanding | None, tuple[Verdict, ...]]:
    """A strictly re-validated understanding, or None with the verdict saying why."""
    try:
        if isinstance(raw, Understanding):
            text = raw.model_dump_json()
        elif isinstance(raw, str | bytes | bytearray):
            if len(raw) > MAX_RAW_CHARS:
                return None, (_verdict(Reason.REQUEST_INVALID, "rejected", "too long"),)
            text = raw.decode("utf-8", "replace") if not isinstance(raw, str) else raw
        else:
            text = json.dumps(raw, allow_nan=False)
        u = Understanding.model_validate_json(text, strict=True)
    except (ValidationError, TypeError, ValueError, RecursionError) as e:
        return None, (_verdict(Reason.REQUEST_INVALID, "rejected", str(e)),)
    brands = [b for s in u.stops for b in s.exclude_brands]
    if len(brands) > MAX_EXCLUDED_BRANDS or any(len(b) > MAX_BRAND_CHARS for b in brands) \
            or len(u.error or "") > MAX_ERROR_CHARS:
        return None, (_verdict(Reason.REQUEST_INVALID, "rejected", "unbounded extension field"),)
    if len(u.stops) > MAX_STOPS:
        return None, (
            _verdict(Reason.REQUEST_TOO_MANY_STOPS, "rejected", f"{len(u.stops)} stops",
                     count=len(u.stops)),
        )
    return u, (_verdict(Reason.REQUEST_OK, "pass"),)
