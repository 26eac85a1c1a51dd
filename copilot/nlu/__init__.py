"""Natural-language understanding: text -> `routing.messages.Understanding`.

    from copilot.nlu import Understander, understand
    understand("take me to the airport, grab a burger but not McDonald's on the way")

The learned model (`model/`) decides the intent; the rules (`rules`, vocabulary in
`data/*.yaml`) find places, times and orders and are its features and fallback; the local
LLM (`llm`) only in the `model+llm` / `rules+llm` modes (see README.md beside this file).
Conventions beyond the contract text:
- `destination` is where the trip ends; for `find_place` it is the place looked for, and
  places "on the way" are `stops`. `add_stop`/`remove_stop` put their places in `stops`.
- "my X" is a saved place (label X, lower case: "dry cleaner", "mom's house"); "home",
  "work", "the gym" are saved too. A brand is a stop with its category and `name`.
- Times without am/pm: hours 1-6 are afternoon. "by"/"before" -> `arrive_by`;
  "flight ... at" -> `flight_time`.
- `error` (extension) names bad input: empty, too_long, control_chars, not_english,
  no_words, not_text; and, with intent out_of_scope, refused_harmful (evading police,
  harming people) and unsupported_service (tickets, taxis, bookings, deliveries).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from copilot.nlu.understander import Understander
from routing.messages import Understanding

if TYPE_CHECKING:
    from copilot.speech import Transcript

__all__ = ["Understander", "understand", "understand_transcript"]

_default: Understander | None = None
_lock = threading.Lock()


def understand(text: str) -> Understanding:
    """Understand one utterance with a lazily created default `Understander`."""
    global _default
    with _lock:
        if _default is None:
            _default = Understander()
    return _default.understand(text)


def understand_transcript(t: Transcript, understander: Understander | None = None) -> Understanding:
    """Understand what the recogniser heard. The confidence is the product of the parse's and
    the recogniser's (mean word posterior), so a doubtful hearing asks back; an empty
    transcript carries the recogniser's reason ("silence", "no_words") as `error`."""
    u = understander
    if u is None:
        global _default
        with _lock:
            if _default is None:
                _default = Understander()
        u = _default
    result = u.understand(t.text)
    if not t.text:
        return result.model_copy(update={"error": t.reason or "no_words", "confidence": 0.0})
    conf = round(result.confidence * max(0.0, min(1.0, t.confidence)), 3)
    return result.model_copy(update={"confidence": conf})
