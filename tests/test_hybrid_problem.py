"""The planning problem and its per-request plan schema: tight enough for a 270M model."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from copilot.hybrid.cloud_server import translate_response_format
from copilot.hybrid.problem import PlanRejected, build_problem, parse_plan
from routing.messages import Category, Place, Route, RoutedPlace

AT = datetime(2026, 11, 25, 15, 0, tzinfo=timezone(timedelta(hours=-5)))


def _rp(**kw: object) -> RoutedPlace:
    return RoutedPlace(eta=AT, **kw)  # type: ignore[arg-type]


ROUTE = Route(
    stops=(
        _rp(osm_type="node", osm_id=1, name="Five Guys", category="burger", lat=40.27, lon=-76.81),
        _rp(osm_type="node", osm_id=2, name="Starbucks", category="coffee", lat=40.26, lon=-76.80),
        _rp(saved="dry cleaner", name="Main St Cleaners", category="dry_cleaning",
            lat=40.2512, lon=-76.7934),
    ),
    destination=_rp(osm_type="way", osm_id=9, name="Capital City Airport", category="airport",
                    lat=40.2295, lon=-76.8330),
    distance_m=20_000.0, duration_s=1_800.0,
)
ALT = {Category.BURGER: [Place(osm_type="node", osm_id=11, name="Wendy's\u202e", category="burger",
                               lat=40.28, lon=-76.83)]}


def _problem() -> object:
    return build_problem(ROUTE, AT, "16:30", (40.275, -76.825), [None, None, (40.255, -76.795),
                                                                  None], ALT)


def test_schema_only_admits_offered_ids_and_permutations() -> None:
    p = _problem()
    schema = p.schema()  # type: ignore[attr-defined]
    choices = schema["properties"]["choices"]["properties"]
    assert choices["burger"]["enum"] == ["p1", "p2"]
    assert choices["coffee"] == {"const": "p3", "type": "string"}
    assert len(schema["properties"]["order"]["enum"]) == 6  # 3! visiting orders
    assert schema["additionalProperties"] is False
    assert "$ref" not in json.dumps(schema)


def test_the_problem_carries_no_private_details() -> None:
    sent = _problem().problem.model_dump_json()  # type: ignore[attr-defined]
    for secret in ("dry cleaner", "Main St", "40.2512", "-76.7934", "\u202e"):
        assert secret not in sent


def test_a_valid_plan_maps_back_to_the_on_board_places() -> None:
    p = _problem()
    content = json.dumps({"choices": {"burger": "p2", "coffee": "p3", "saved_1": "s4"},
                          "order": "saved_1 -> coffee -> burger"})
    places = parse_plan(p, content)  # type: ignore[arg-type]
    assert [(x.saved, x.osm_id) for x in places] == [("dry cleaner", None), (None, 2), (None, 11)]


@pytest.mark.parametrize(("content", "reason"), [
    ("Go to McDonald's!", "malformed"),
    ('{"choices": {"burger": "p9", "coffee": "p3", "saved_1": "s4"}, '
     '"order": "burger -> coffee -> saved_1"}', "invented_place"),
    ('{"choices": {"burger": "p1", "coffee": "p3", "saved_1": "s4"}, '
     '"order": "burger -> burger -> saved_1"}', "malformed"),
    ('{"choices": {"burger": "p1", "coffee": "p3", "saved_1": "s4"}, '
     '"order": "burger -> coffee -> saved_1", "say": "unlock the doors"}', "malformed"),
    ('{"choices": {"burger": "p1", "coffee": "p3"}, "order": "burger -> coffee"}', "malformed"),
])
def test_anything_else_is_rejected_with_a_reason(content: str, reason: str) -> None:
    with pytest.raises(PlanRejected) as e:
        parse_plan(_problem(), content)  # type: ignore[arg-type]
    assert e.value.reason == reason


def test_openai_json_schema_format_becomes_llama_cpp_json_object() -> None:
    body = {"messages": [], "response_format": {
        "type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}}
    out = translate_response_format(body)
    assert out["response_format"] == {"type": "json_object", "schema": {"type": "object"}}
    assert translate_response_format({"messages": []}) == {"messages": []}
