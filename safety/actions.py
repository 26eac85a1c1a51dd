"""The action allowlist: `set_route`, `cancel_route`, `show_places` and nothing else.

Whatever a model says (local LLM, cloud model, rule parser), only these three action types
can leave the car's software; the copilot never operates the vehicle. `parse_model_actions`
turns raw model output (JSON text, a dict, a list) into typed actions and one verdict per
item it refused, so a bad item never takes the good ones with it and never goes uncounted.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable

from pydantic import TypeAdapter, ValidationError

from routing.messages import Action, CancelRoute, SetRoute, ShowPlaces
from safety.codes import Reason
from safety.gate import Verdict

log = logging.getLogger(__name__)

ALLOWED_ACTIONS = frozenset({"set_route", "cancel_route", "show_places"})
MAX_ACTIONS = 4
"""More actions than this in one turn is a malfunction (a turn needs at most two)."""
MAX_RAW_CHARS = 200_000
"""Raw model output longer than this is not parsed at all (bounded work per turn)."""

_ACTION_ADAPTER: TypeAdapter[Action] = TypeAdapter(Action)
_ALLOWED_CLASSES = (SetRoute, CancelRoute, ShowPlaces)
CHECK = "actions"


def _reject(reason: Reason, detail: str) -> Verdict:
    return Verdict(check=CHECK, outcome="rejected", reason=reason, detail=detail[:200], count=1)


def _items(raw: object) -> tuple[list[object], list[Verdict]]:
    """The list of candidate action items inside raw output, or verdicts saying why none."""
    if isinstance(raw, bytes | bytearray):
        raw = bytes(raw).decode("utf-8", errors="replace")
    if isinstance(raw, str):
        if len(raw) > MAX_RAW_CHARS:
            return [], [_reject(Reason.MODEL_OUTPUT_TOO_LONG, f"{len(raw)} chars")]
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError) as e:  # malformed, or nested absurdly deep
            return [], [_reject(Reason.MODEL_OUTPUT_NOT_JSON, str(e))]
    if isinstance(raw, dict) and "actions" in raw:
        raw = raw["actions"]
    if isinstance(raw, dict):
        return [raw], []
    if isinstance(raw, list | tuple):
        return list(raw), []
    if raw is None:
        return [], []
    return [], [_reject(Reason.ACTION_MALFORMED, f"not an action list: {type(raw).__name__}")]


def parse_model_actions(raw: object) -> tuple[tuple[Action, ...], tuple[Verdict, ...]]:
    """Typed, allowlisted actions from raw model output, and a verdict per refused item.

    Accepts JSON text (or bytes), `{"actions": [...]}`, a list of action objects, one action
    object, or already-typed actions. Never raises.
    """
    items, verdicts = _items(raw)
    actions: list[Action] = []
    for i, item in enumerate(items):
        if len(actions) >= MAX_ACTIONS:
            verdicts.append(_reject(Reason.ACTIONS_TOO_MANY, f"{len(items)} items"))
            break
        kind = item.get("type") if isinstance(item, dict) else getattr(item, "type", None)
        # A type that is no string ({"type": []}) is refused like an unknown one.
        if not isinstance(kind, str) or kind not in ALLOWED_ACTIONS:
            verdicts.append(_reject(Reason.ACTION_NOT_ALLOWED, f"item {i}: type={kind!r}"))
            continue
        try:
            # Round trip through JSON so typed objects built with model_construct (which
            # skips validation) are validated too, and strict JSON rules apply to dicts.
            data = item.model_dump(mode="json") if isinstance(item, _ALLOWED_CLASSES) else item
            actions.append(
                _ACTION_ADAPTER.validate_json(json.dumps(data, allow_nan=False), strict=True)
            )
        except (ValidationError, TypeError, ValueError, RecursionError) as e:
            verdicts.append(_reject(Reason.ACTION_MALFORMED, f"item {i}: {e}"))
    return tuple(actions), tuple(verdicts)


def check_allowlist(actions: Iterable[object]) -> tuple[tuple[Action, ...], tuple[Verdict, ...]]:
    """Typed actions from a proposal, re-validated; anything else is refused and counted."""
    return parse_model_actions(list(actions))
