"""The hybrid policy is a pure function: every limit wins over every reason to offload."""

from __future__ import annotations

import dataclasses

import pytest

from copilot.hybrid.policy import PolicyInput, decide
from routing.messages import Intent

HEAVY = PolicyInput(
    offload="auto", cloud_configured=True, link="good", privacy="standard",
    intent=Intent.NAVIGATE, n_stops=3, has_time_constraint=True, beyond_map=False,
    confidence=0.95, device_status="ok", has_base_plan=True, budget_ms=2500.0,
    expected_cloud_ms=1500.0,
)


def _with(**kw: object) -> PolicyInput:
    return dataclasses.replace(HEAVY, **kw)  # type: ignore[arg-type]


def test_heavy_request_on_a_good_link_goes_to_the_cloud() -> None:
    d = decide(HEAVY)
    assert (d.target, d.why) == ("cloud", "cloud:heavy_request")


@pytest.mark.parametrize(("change", "why"), [
    ({"cloud_configured": False}, "device:no_cloud"),
    ({"offload": "never"}, "device:offload_never"),
    ({"privacy": "strict"}, "device:privacy_strict"),
    ({"link": "none"}, "device:link_none"),
    ({"link": "degraded"}, "device:link_degraded"),
    ({"intent": Intent.VEHICLE_CONTROL}, "device:not_planning"),
    ({"intent": Intent.ASK_ETA}, "device:not_planning"),
    ({"n_stops": 1}, "device:light_request"),
    ({"has_time_constraint": False}, "device:light_request"),
    ({"has_base_plan": False}, "device:no_base_plan"),
    ({"budget_ms": 900.0}, "device:no_deadline_room"),
])
def test_each_limit_keeps_the_turn_on_the_device(change: dict[str, object], why: str) -> None:
    d = decide(_with(**change))
    assert (d.target, d.why) == ("device", why)


def test_strict_privacy_and_no_link_win_even_with_offload_always() -> None:
    for change in ({"privacy": "strict"}, {"link": "none"}):
        assert decide(_with(offload="always", **change)).target == "device"


def test_offload_always_sends_light_requests_and_tolerates_a_degraded_link() -> None:
    d = decide(_with(offload="always", n_stops=1, link="degraded"))
    assert (d.target, d.why) == ("cloud", "cloud:offload_always")


@pytest.mark.parametrize(("change", "why"), [
    ({"n_stops": 1, "confidence": 0.4}, "cloud:low_confidence"),
    ({"beyond_map": True}, "cloud:beyond_map"),
])
def test_other_heavy_reasons(change: dict[str, object], why: str) -> None:
    assert decide(_with(**change)).why == why


def test_unknown_link_is_treated_as_good_but_the_deadline_still_decides() -> None:
    assert decide(_with(link=None)).target == "cloud"
    assert decide(_with(link=None, budget_ms=100.0)).why == "device:no_deadline_room"
