"""Untrusted text: place names from the map, anything from the cloud, sensor strings.

All of it is data, never instructions. `sanitize_untrusted` removes what a human cannot see
(control characters, bidi overrides, Unicode tag characters, zero-width and other format
characters, private-use and unassigned code points), folds compatibility forms (NFKC, so
full-width or ligature look-alikes cannot hide a keyword), collapses whitespace and caps the
length. `carries_instructions` spots text written to steer a model or the driver (prompt
injection, role markers, chat-template tokens, JSON action payloads, links); such a place
name is never echoed: callers drop or neutralise it and count it.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata

log = logging.getLogger(__name__)

FLAG_CONTROL = "control_chars"
FLAG_INVISIBLE = "invisible_chars"
FLAG_BIDI = "bidi_override"
FLAG_TAG = "tag_chars"
FLAG_TRUNCATED = "truncated"
FLAG_INSTRUCTION = "instruction_like"
FLAG_NOT_TEXT = "not_text"

# Explicit embeddings, overrides and isolates (UAX #9): they reorder what the driver sees.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
# Whitespace-like controls become a plain space; every other control is removed.
_SPACE_CONTROLS = frozenset("\t\n\r\x0b\x0c\x85\u2028\u2029")
# Unicode general categories nobody needs in a name or a spoken reply.
_DROP_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn"})

_INSTRUCTION_PATTERNS = (
    # "ignore all previous instructions", "disregard the rules above", "forget your prompt"
    r"\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(instructions?|rules?|prompts?"
    r"|guidelines|polic(y|ies)|context|safety|restrictions?|everything)\b",
    r"\b(system|developer|hidden)\s+(prompt|message|instructions?|mode)\b",
    r"\b(you\s+are\s+now|act\s+as|pretend\s+(to\s+be|you)|new\s+instructions?"
    r"|jailbreak|do\s+anything\s+now)\b",
    # "from now on you are ...": a role handed over. A driver's "avoid highways from now on"
    # or "from now on avoid tolls" is a preference for the trip, not an instruction.
    r"\bfrom\s+now\s+on,?\s+(you|you're|your|act|respond|answer|reply|speak|talk|behave|"
    r"pretend|obey|only\s+(say|answer|respond|reply)|always\s+(say|answer|respond|reply|obey))\b",
    r"(^|\s)(system|assistant|user|tool)\s*:",
    r"<\|[a-z_]*\|>|<\s*/?\s*(start_of_turn|end_of_turn|s|system|assistant)\s*>|\[/?inst\]",
    r"```|\{\s*\"|\"\s*type\s*\"\s*:",
    r"\b(set_route|cancel_route|show_places|open_window|unlock_doors?)\b",
    r"https?://|www\.|\.(com|net|org|io|xyz)\b",
    r"\b(tell|say\s+to|instruct)\s+the\s+(driver|user|assistant|model)\b",
    r"\b(reveal|print|repeat)\b.{0,20}\b(prompt|instructions?)\b",
    # Korean: "ignore (the previous) instructions", "system prompt"
    r"(이전|앞의|모든)?\s*(지시|명령|지침)[을를]?\s*무시|시스템\s*프롬프트",
)
# Imperatives aimed at the car: never in a name; in a reply only as a refusal ("I can't ...").
_COMMAND_PATTERN = (
    r"\b(unlock|disable|deactivate|turn\s+off|switch\s+off)\b.{0,30}\b(doors?|brakes?|airbags?"
    r"|lane|traction|stability|assist|safety|alarm|abs)\b"
)
_STEER_RE = re.compile("|".join(f"(?:{p})" for p in _INSTRUCTION_PATTERNS), re.IGNORECASE)
_COMMAND_RE = re.compile(_COMMAND_PATTERN, re.IGNORECASE)
_SPACES_RE = re.compile(r"\s+")


def _classify(ch: str) -> str | None:
    """The flag a character earns when removed, or None if it stays."""
    if ch in _SPACE_CONTROLS:
        return FLAG_CONTROL
    if ch in _BIDI:
        return FLAG_BIDI
    if "\U000e0000" <= ch <= "\U000e007f":
        return FLAG_TAG
    cat = unicodedata.category(ch)
    if cat == "Cc":
        return FLAG_CONTROL
    if cat in _DROP_CATEGORIES:
        return FLAG_INVISIBLE
    return None


def sanitize_untrusted(text: str, max_chars: int) -> tuple[str, tuple[str, ...]]:
    """Clean untrusted text for display or speech; return it with the flags raised.

    Never raises: a non-string becomes "" flagged `not_text`. The result has no control or
    invisible characters, single spaces, no leading/trailing space and at most `max_chars`
    characters (cut at a word boundary when one is near). `instruction_like` is raised when
    the cleaned text reads as instructions; the text itself is returned unchanged so the
    caller decides (drop, neutralise) and counts.
    """
    if not isinstance(text, str):
        return "", (FLAG_NOT_TEXT,)
    flags: list[str] = []
    # Cap the work before normalising: NFKC can only grow text by a bounded factor.
    if len(text) > 4 * max_chars + 64:
        text = text[: 4 * max_chars + 64]
        flags.append(FLAG_TRUNCATED)
    kept: list[str] = []
    for ch in unicodedata.normalize("NFKC", text):
        flag = _classify(ch)
        if flag is None:
            kept.append(ch)
            continue
        if flag not in flags:
            flags.append(flag)
        if ch in _SPACE_CONTROLS:
            kept.append(" ")
    clean = _SPACES_RE.sub(" ", "".join(kept)).strip()
    if len(clean) > max_chars:
        cut = clean[:max_chars]
        space = cut.rfind(" ")
        clean = (cut[:space] if space >= max_chars // 2 else cut).rstrip()
        if FLAG_TRUNCATED not in flags:
            flags.append(FLAG_TRUNCATED)
    if carries_instructions(clean):
        flags.append(FLAG_INSTRUCTION)
    return clean, tuple(flags)


def steers_model(text: str) -> bool:
    """True when text tries to steer a model (injection phrases, role markers, templates)."""
    return _STEER_RE.search(text) is not None


def commands_car(text: str) -> bool:
    """True when text tells someone to unlock, disable or switch off part of the car."""
    return _COMMAND_RE.search(text) is not None


def carries_instructions(text: str) -> bool:
    """True when text reads as instructions to a model or the driver, not as a name or fact."""
    return steers_model(text) or commands_car(text)


HANGUL_SYLLABLES_PER_WORD = 1.5
"""A Korean word (eojeol) weighs its syllables / 1.5 English words: what takes as long to say
(espeak-ng at one rate: 0.36 s per English word, 0.23 s per Korean syllable; POLICY.md)."""


def _is_hangul_syllable(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7a3"


KOREAN_SHARE = 0.3
"""A text is Korean when at least this share of its words carry Hangul: by words, not
letters, so a Korean reply naming "Capital City Airport" is still Korean."""


def is_korean(text: str) -> bool:
    """Is this (a reply) Korean? By script: the share of its words written in Hangul."""
    words = text.split()
    hangul = sum(1 for w in words if any(_is_hangul_syllable(ch) for ch in w))
    return hangul > 0 and hangul / len(words) >= KOREAN_SHARE


def word_count(text: str) -> int:
    """Words as heard: space-separated words; a Korean one counts as long as it is to say."""
    total = 0.0
    for token in text.split():
        syllables = sum(1 for ch in token if _is_hangul_syllable(ch))
        if syllables:
            digits = sum(1 for ch in token if ch.isdigit())   # "4시": digits are said too
            total += max(1.0, (syllables + digits) / HANGUL_SYLLABLES_PER_WORD)
        else:
            total += 1.0
    return math.ceil(total - 1e-9)
