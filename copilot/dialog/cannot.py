"""What the copilot cannot do, said plainly and briefly: never turned into a route.

The understanding marks bookings, tickets, taxis and deliveries `error: "unsupported_service"`
(copilot/nlu/README.md); the words of the request pick the sentence. Prices are not on the
map: a request for the cheapest place gets the closest one, and the reply says so.
"""

from __future__ import annotations

import logging
import re

log = logging.getLogger(__name__)

UNSUPPORTED_SERVICE = "unsupported_service"
REFUSED_HARMFUL = "refused_harmful"
"""The understanding's error codes for these (agreed in copilot/nlu/README.md)."""

_SERVICES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\btickets?\b|\bboarding\s+pass", re.IGNORECASE), "I can't book tickets"),
    (re.compile(r"\b(uber|lyft|taxis?|cabs?|ride\s*share|rides?|chauffeur|driver\s+for)\b",
                re.IGNORECASE), "I can't order a taxi"),
    (re.compile(r"\b(deliver\w*|takeout|take-out|order\s+(food|pizza|dinner|lunch))\b",
                re.IGNORECASE), "I can't order deliveries"),
    (re.compile(r"\b(book\w*|reserv\w*|table\s+for)\b", re.IGNORECASE), "I can't make bookings"),
)
PRICE_RE = re.compile(
    r"\b(cheap\w*|least\s+expensive|lowest[\s-]+pric\w*|best\s+pric\w*|low\s+pric\w*"
    r"|pric\w*|how\s+much)\b", re.IGNORECASE)
NO_PRICES = "I don't have prices, so I picked the closest."


def cannot_do(text: str) -> str:
    """One short sentence for a service the copilot does not offer."""
    what = next((said for pattern, said in _SERVICES if pattern.search(text)),
                "I can't do that from the car")
    return f"{what}; I can only plan the drive."


def asks_price(text: str) -> bool:
    """Does the request rank by price (which the map does not carry)?"""
    return PRICE_RE.search(text) is not None
