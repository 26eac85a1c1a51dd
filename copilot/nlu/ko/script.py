"""Which language a turn is in, from its script: Hangul means Korean."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

KOREAN_SHARE = 0.3
"""A turn is Korean when at least this share of its letters is Hangul: Korean drivers mix
in Latin brand names and abbreviations ("KTX역", "GS칼텍스", "ATM"), English drivers
never write Hangul."""


def _is_hangul(ch: str) -> bool:
    code = ord(ch)
    return (0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F
            or 0xA960 <= code <= 0xA97F or 0xD7B0 <= code <= 0xD7FF)


def hangul_share(text: str) -> float:
    """The share of letters in `text` that are Hangul (0.0 without letters)."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for c in letters if _is_hangul(c)) / len(letters)


def is_korean(text: str) -> bool:
    return hangul_share(text) >= KOREAN_SHARE
