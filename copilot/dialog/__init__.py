"""The dialog: one turn of `ask` -> a reviewed answer.

- `turn`: `Copilot.answer`, the one entry point (statuses, the safety review, reply length).
- `intents`: one handler per intent (navigation, stops, ETA, ...).
- `resolve`: what was said -> places, stops and deadlines the planner can use.
- `replies`: the wording of what the copilot says.
- `bench`: `copilot bench routing`.

Other modules import the public names from here (`from copilot.dialog import Copilot`).
"""

from copilot.dialog.turn import LOW_CONFIDENCE, MAX_WORDS_MOVING, Copilot, Offload, fit_reply

__all__ = ["LOW_CONFIDENCE", "MAX_WORDS_MOVING", "Copilot", "Offload", "fit_reply"]
