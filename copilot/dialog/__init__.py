"""The dialog: one turn of `ask` -> a reviewed answer.

- `turn`: `Copilot.answer`, the one entry point (statuses, the safety review, reply length).
- `intents`: one handler per intent (navigation, stops, ETA, ...).
- `answer`: the turn a handler answers and the answer it proposes.
- `questions`: drive time, when to leave, open now (answered, never routed).
- `preferences`: road kinds a turn keeps off (said, profile, trip) and how the reply says so.
- `cannot`: what the copilot cannot do (tickets, taxis, bookings) and prices it does not have.
- `resolve`: what was said -> places, stops and deadlines the planner can use.
- `replies`: the wording of what the copilot says.
- `bench`: `copilot bench routing`; `bench_ask`: `copilot bench ask`.

Other modules import the public names from here (`from copilot.dialog import Copilot`).
"""

from copilot.dialog.turn import LOW_CONFIDENCE, MAX_WORDS_MOVING, Copilot, Offload, fit_reply

__all__ = ["LOW_CONFIDENCE", "MAX_WORDS_MOVING", "Copilot", "Offload", "fit_reply"]
