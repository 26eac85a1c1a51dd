"""Natural-language understanding: text -> `routing.messages.Understanding`.

    from copilot.nlu import Understander, understand
    understand("take me to the airport, grab a burger but not McDonald's on the way")

Rules first (`rules`, vocabulary in `data/*.yaml`), the local LLM (`llm`) only when the
rules are unsure. Conventions beyond the contract text:
- `destination` is where the trip ends; for `find_place` it is the place looked for, and
  places "on the way" are `stops`. `add_stop`/`remove_stop` put their places in `stops`.
- "my X" is a saved place (label X, lower case: "dry cleaner", "mom's house"); "home",
  "work", "the gym" are saved too. A brand is a stop with its category and `name`.
- Times without am/pm: hours 1-6 are afternoon. "by"/"before" -> `arrive_by`;
  "flight ... at" -> `flight_time`.
- `error` (extension) names bad input: empty, too_long, control_chars, not_english,
  no_words, not_text.
"""

from __future__ import annotations

import threading

from copilot.nlu.understander import Understander
from routing.messages import Understanding

__all__ = ["Understander", "understand"]

_default: Understander | None = None
_lock = threading.Lock()


def understand(text: str) -> Understanding:
    """Understand one utterance with a lazily created default `Understander`."""
    global _default
    with _lock:
        if _default is None:
            _default = Understander()
    return _default.understand(text)
