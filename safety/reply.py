"""Reply checks: what the driver hears and sees, moving or parked.

Numbers (sources in safety/POLICY.md):
- MAX_WORDS_MOVING = 25: the issue's limit; about 10 s of speech at 150 words/min, inside the
  12 s total eyes-off-road budget per task of the NHTSA visual-manual guidelines (2013,
  78 FR 24817, acceptance criteria), applied to listening as the same per-task attention cap.
- MAX_ITEMS_MOVING = 3: at most three items named per reply while moving (the issue), within
  Android Automotive's content limits (UX_RESTRICTIONS_LIMIT_CONTENT; default
  maxContentDepth 3) and far below its default maxCumulativeContentItems of 21 because a
  spoken list has to be held in memory.
- MAX_STRING_CHARS = 120: Android Automotive's default maxStringLength under
  UX_RESTRICTIONS_LIMIT_STRING_LENGTH (CarUxRestrictionsManagerService defaults), applied to
  every displayed string (place names).
- Video, browsing and reading long text are refused while moving: NHTSA per-se lock-outs
  (displaying video, web browsing, text for reading such as books, web pages, messages).
A longer answer is deferred until parked: the reply keeps what fits and says so.
- ECHO_MIN_WORDS = 4: a reply may not read back a run of this many of the driver's own words
  unless they are part of a place name it shows or routes to ("I can't find lose the police
  behind me on this map" reads the request back as a place; a clarification may still say
  "your mom's house", and "to the airport" is three words).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from safety.codes import Reason
from safety.gate import Outcome, Verdict
from safety.request import SAFETY_SYSTEM_RE, VEHICLE_CONTROL_RE
from safety.text import (
    FLAG_INSTRUCTION,
    commands_car,
    is_korean,
    sanitize_untrusted,
    steers_model,
    word_count,
)

log = logging.getLogger(__name__)

MAX_WORDS_MOVING = 25
MAX_ITEMS_MOVING = 3
MAX_STRING_CHARS = 120
ECHO_MIN_WORDS = 4
MAX_REPLY_CHARS_PARKED = 600
"""Longest reply at all (about 100 words): longer model output is cut, never read out."""
DEFER_SUFFIX = "More when you're parked."
DEFER_SUFFIX_KO = "나머지는 정차하면 알려 드릴게요."
CHECK = "reply"

_SENTENCE_RE = re.compile(r"[^.!?]+[.!?]*")
_LIST_MARKER_RE = re.compile(r"(?:^|\s)(?:\d+[.)]|[-*•])\s")
_CLAIM_RE = re.compile(
    r"\b(i\s*('ve|have|'ll|will|am)?|done|ok(ay)?|now)\b[^.!?]{0,25}\b(unlock\w*|lock\w*|open\w*"
    r"|clos\w*|disabl\w*|enabl\w*|turn(ed|ing)?\s+(off|on)|switch(ed|ing)?\s+(off|on)"
    r"|activat\w*|deactivat\w*|start\w*|stop\w*|set\w*|rais\w*|lower\w*)\b",
    re.IGNORECASE,
)
_DOORS_RE = re.compile(r"\b(doors?|locks?)\b", re.IGNORECASE)
_NEGATION_RE = re.compile(r"\b(can't|cannot|can not|won't|unable|not able|not allowed)\b",
                          re.IGNORECASE)


def _v(outcome: Outcome, reason: Reason, detail: str = "", count: int = 0) -> Verdict:
    return Verdict(CHECK, outcome, reason, detail[:200], count)


# Korean: a part of the car and a past or promised operation ("창문을 열었어요", "켤게요").
_CLAIM_KO_RE = re.compile(
    r"(창문|문|도어|잠금|트렁크|선루프|에어컨|히터|시트|와이퍼|라이트|시동|엔진|브레이크|"
    r"차선\s*유지|크루즈)\S*\s*(\S+\s*)?(열었|닫았|켰|껐|잠갔|잠궜|풀었|해제했|작동시켰|"
    r"열게요|닫을게요|켤게요|끌게요|잠글게요|해제할게요|열어\s*드릴게요|켜\s*드릴게요)")
_NEGATION_KO_RE = re.compile(r"수\s*없|못\s*해|못\s*합|안\s*돼|할\s*수는\s*없")


def claims_vehicle_control(reply: str) -> bool:
    """Does the reply say the car was (or will be) operated? The copilot never does that."""
    if _CLAIM_KO_RE.search(reply):
        return _NEGATION_KO_RE.search(reply) is None
    if _NEGATION_RE.search(reply):
        return False
    part = (SAFETY_SYSTEM_RE.search(reply) or VEHICLE_CONTROL_RE.search(reply)
            or _DOORS_RE.search(reply))
    return part is not None and _CLAIM_RE.search(reply) is not None


def items_named(reply: str, names: Iterable[str]) -> int:
    """Items a reply names: the places from its actions it mentions, or its list markers."""
    folded = reply.casefold()
    named = sum(1 for n in {x.casefold() for x in names if x} if n in folded)
    return max(named, len(_LIST_MARKER_RE.findall(reply)))


def scrub_names(reply: str, hostile: Iterable[str]) -> tuple[str, int]:
    """Replace every hostile name in the reply with 'a place'; return the count replaced."""
    count = 0
    for name in sorted({h for h in hostile if h.strip()}, key=len, reverse=True):
        for variant in {name, sanitize_untrusted(name, 10_000)[0]}:
            if variant:
                reply, n = re.subn(re.escape(variant), "a place", reply, flags=re.IGNORECASE)
                count += n
    return reply, count


def defer_while_moving(reply: str, names: Iterable[str]) -> str:
    """The leading sentences that fit the moving limits, plus a note that more waits."""
    suffix = DEFER_SUFFIX_KO if is_korean(reply) else DEFER_SUFFIX
    budget = MAX_WORDS_MOVING - word_count(suffix)
    kept: list[str] = []
    for sentence in (s.strip() for s in _SENTENCE_RE.findall(reply)):
        candidate = " ".join([*kept, sentence])
        if word_count(candidate) > budget or items_named(candidate, names) > MAX_ITEMS_MOVING:
            break
        kept.append(sentence)
    return " ".join([*kept, suffix])


_TOKEN_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)?")


def _tokens(text: str) -> list[str]:
    return _TOKEN_RE.findall(text.casefold())


def echoed_request(reply: str, said: str, names: Iterable[str]) -> str | None:
    """A run of at least ECHO_MIN_WORDS of the driver's words read back outside place names."""
    words, heard = _tokens(reply), _tokens(said)
    if len(words) < ECHO_MIN_WORDS or len(heard) < ECHO_MIN_WORDS:
        return None
    covered = [False] * len(words)
    for name in {tuple(_tokens(n)) for n in names if n}:
        size = len(name)
        for i in range(len(words) - size + 1):
            if size and tuple(words[i:i + size]) == name:
                covered[i:i + size] = [True] * size
    grams = {tuple(heard[i:i + ECHO_MIN_WORDS]) for i in range(len(heard) - ECHO_MIN_WORDS + 1)}
    for i in range(len(words) - ECHO_MIN_WORDS + 1):
        window = tuple(words[i:i + ECHO_MIN_WORDS])
        if window in grams and not any(covered[i:i + ECHO_MIN_WORDS]):
            return " ".join(window)
    return None


def check_reply(
    reply: str, moving: bool, names: tuple[str, ...], hostile: Iterable[str], said: str = "",
    place_words: tuple[str, ...] = (),
) -> tuple[str | None, list[Verdict]]:
    """The reply as it may be spoken, or None if it must be replaced by a safe default.

    `said` is the driver's utterance: a reply reading it back outside `place_words` (names,
    saved labels and categories of the places it acts on) is replaced (ECHO_MIN_WORDS).
    """
    verdicts: list[Verdict] = []
    echo = echoed_request(reply, said, place_words)
    if echo is not None:
        return None, [_v("fixed", Reason.REPLY_ECHOES_REQUEST, echo, 1)]
    reply, scrubbed = scrub_names(reply, hostile)
    if scrubbed:
        verdicts.append(_v("fixed", Reason.PLACE_NAME_NEUTRALISED, "in reply", scrubbed))
    clean, flags = sanitize_untrusted(reply, MAX_REPLY_CHARS_PARKED)
    if steers_model(clean) or (commands_car(clean) and not _NEGATION_RE.search(clean)):
        return None, [*verdicts, _v("rejected", Reason.REPLY_INJECTION, clean[:80], 1)]
    if claims_vehicle_control(clean):
        return None, [*verdicts, _v("rejected", Reason.REPLY_CLAIMS_CONTROL, clean[:80], 1)]
    if not clean:
        return None, [*verdicts, _v("fixed", Reason.REPLY_EMPTY, "", 1)]
    flags = tuple(f for f in flags if f != FLAG_INSTRUCTION)
    if flags:
        verdicts.append(_v("fixed", Reason.REPLY_SANITIZED, ",".join(flags), 1))
    if moving and (word_count(clean) > MAX_WORDS_MOVING
                   or items_named(clean, names) > MAX_ITEMS_MOVING):
        clean = defer_while_moving(clean, names)
        verdicts.append(_v("fixed", Reason.REPLY_DEFERRED, f"{word_count(reply)} words", 1))
    return clean, verdicts
