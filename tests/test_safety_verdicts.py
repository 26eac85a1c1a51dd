"""Verdict shape: every reason code keeps one check and one outcome, rejections say why and
how many items they concern, and the red-team suite exercises (nearly) every code."""

from __future__ import annotations

from collections import Counter

from test_safety_redteam import CASES, run_case

from safety.codes import Reason
from safety.gate import Verdict

R = Reason
SHAPE: dict[Reason, tuple[frozenset[str], str]] = {}


def _add(check: str | tuple[str, ...], outcome: str, *codes: Reason) -> None:
    checks = frozenset((check,) if isinstance(check, str) else check)
    for c in codes:
        SHAPE[c] = (checks, outcome)


_add("request", "pass", R.REQUEST_OK)
_add("request", "rejected", R.REQUEST_INVALID, R.REQUEST_TOO_MANY_STOPS, R.VEHICLE_CONTROL,
     R.SAFETY_SYSTEM, R.DISTRACTION_REQUEST, R.HARMFUL_REQUEST)
_add("actions", "rejected", R.ACTION_NOT_ALLOWED, R.ACTION_MALFORMED, R.ACTIONS_TOO_MANY,
     R.MODEL_OUTPUT_NOT_JSON, R.MODEL_OUTPUT_TOO_LONG, R.MODEL_OUTPUT_MALFORMED)
_add("actions", "fixed", R.ACTIONS_WITHOUT_CONSENT)
_add("plan", "rejected", R.PLACE_UNKNOWN, R.PLACE_LOOKUP_FAILED, R.PLACE_UNIDENTIFIED,
     R.PLACE_CATEGORY_MISMATCH, R.PLACE_MOVED, R.PLACE_OUTSIDE_REGION, R.PLACE_NOT_FINITE,
     R.SAVED_PLACE_UNKNOWN, R.PLACE_CLOSED, R.PLACE_IN_HAZARD, R.ROUTE_TOO_MANY_STOPS,
     R.ROUTE_IMPLAUSIBLE, R.ROUTE_DURATION_MISMATCH, R.ROUTE_ETA_INCONSISTENT,
     R.ROUTE_THROUGH_HAZARD, R.ARRIVE_BY_MISSED, R.RANGE_INSUFFICIENT, R.DESTINATION_MISMATCH,
     R.ROUTE_CHANGE_NOT_ASKED, R.ROUTE_PREFERENCE_UNMET)
_add("plan", "fixed", R.PLACES_TRIMMED, R.TEXT_INVISIBLE)
_add("plan", "pass", R.RANGE_UNCHECKED)
_add(("plan", "reply"), "fixed", R.PLACE_NAME_NEUTRALISED)
_add("reply", "fixed", R.REPLY_SANITIZED, R.REPLY_EMPTY, R.REPLY_DEFERRED,
     R.REPLY_ECHOES_REQUEST)
_add("reply", "rejected", R.REPLY_INJECTION, R.REPLY_CLAIMS_CONTROL)


def test_every_code_has_a_shape_and_values_are_unique_snake_case() -> None:
    assert set(SHAPE) == set(Reason)
    values = [c.value for c in Reason]
    assert len(values) == len(set(values))
    assert all(v.replace("_", "").isalpha() and v == v.lower() for v in values)


def _check(v: Verdict) -> None:
    checks, outcome = SHAPE[Reason(v.reason)]
    assert v.check in checks and v.outcome == outcome, v
    if v.outcome != "pass" and v.check != "request":
        assert v.count >= 1, v
    if v.outcome == "rejected" and v.reason != R.REQUEST_INVALID:
        assert v.detail.strip(), v
    assert len(v.detail) <= 200


def test_red_team_verdicts_keep_their_shape_and_cover_the_codes() -> None:
    seen: Counter[str] = Counter()
    for case in CASES:
        for v in run_case(case).verdicts:
            _check(v)
            seen[v.reason] += 1
    # Codes only unit tests reach (a caller's broken index, NaN built without validation,
    # output longer than the parser reads).
    direct = {R.PLACE_LOOKUP_FAILED, R.PLACE_NOT_FINITE, R.MODEL_OUTPUT_NOT_JSON,
              R.MODEL_OUTPUT_TOO_LONG}
    assert set(SHAPE) - set(seen) <= direct, set(SHAPE) - set(seen)
