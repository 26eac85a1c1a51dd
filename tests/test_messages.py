"""Every message type that crosses a process boundary survives a JSON round trip unchanged,
and the contract's shapes (keys present or omitted) hold."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from copilot.messages import AskResult, AskTurn, ServiceReply, ServiceRequest, Timings
from routing.messages import (
    Action,
    CancelRoute,
    CategoryRef,
    NameRef,
    Order,
    Place,
    Route,
    RoutedPlace,
    SavedRef,
    SetRoute,
    ShowPlaces,
    StopRequest,
    Understanding,
)
from sensors.messages import HazardEvent, LinkEvent, SignalUpdate

AT = datetime.fromisoformat("2026-11-25T15:00:00-05:00")
AIRPORT = RoutedPlace(osm_type="way", osm_id=123, name="Capital City Airport", category="airport",
                      lat=40.2172, lon=-76.8512, eta=AT)
PLACE = Place(osm_type="node", osm_id=42, name="Five Guys", category="burger", lat=40.3,
              lon=-76.8)
ROUTE = Route(stops=(RoutedPlace(saved="dry cleaner", lat=40.27, lon=-76.82, eta=AT),),
              destination=AIRPORT, distance_m=12_000.0, duration_s=900.0,
              geometry=((40.27, -76.82), (40.2172, -76.8512)))
UNDERSTANDING = Understanding(
    text="take me to the airport with a burger and a large iced hazelnut latte",
    intent="navigate", destination=CategoryRef(category="airport"),
    stops=(StopRequest(category="burger", exclude_brands=("mcdonald's",)),
           StopRequest(category="coffee", order=Order(drink="latte", size="large",
                                                      flavor="hazelnut", iced=True, shots=2)),
           StopRequest(saved="dry cleaner")),
    flight_time="17:30", confidence=0.93, source="rules")

SAMPLES: list[BaseModel] = [
    UNDERSTANDING,
    Understanding(text="", intent="out_of_scope", confidence=0.0, error="empty"),
    Understanding(text="home", intent="navigate", destination=SavedRef(saved="home"), confidence=1),
    Understanding(text="go to Joe's", intent="navigate", destination=NameRef(name="Joe's"),
                  confidence=0.7, source="local_llm"),
    Place(osm_type="node", osm_id=42, name="Five Guys", category="burger", lat=40.3, lon=-76.8),
    ROUTE,
    SetRoute(route=ROUTE), CancelRoute(), ShowPlaces(places=(PLACE,)),
    AskTurn(text="hi", at=AT, state={"Vehicle.Speed": 50.0}, trip=ROUTE),
    AskResult(understanding=UNDERSTANDING, status="ok", reply="Burger, coffee, then the airport.",
              actions=(SetRoute(route=ROUTE),), served_by="device",
              timings_ms=Timings(understand=1, plan=2, validate=0.5, total=3.5)),
    ServiceRequest(id="r1", text="take me home"),
    ServiceRequest(id="r2", audio_wav_b64="UklGRg=="),
    ServiceReply(id="r1", understanding=UNDERSTANDING, status="refused", reply="I can't do that.",
                 timings_ms=Timings(understand=1, plan=0, validate=0, total=1)),
    SignalUpdate(value=88.5, ts=1_764_100_800.0),
    SignalUpdate(value="DRIVE", ts=1_764_100_800.0),
    HazardEvent(kind="road_closed", lat=40.25, lon=-76.81, radius_m=150,
                sources=("camera", "radar"), ts=1_764_100_800.0),
    LinkEvent(quality="degraded", rtt_ms=180, ts=1_764_100_800.0),
]


@pytest.mark.parametrize("msg", SAMPLES, ids=lambda m: type(m).__name__)
def test_json_round_trip(msg: BaseModel) -> None:
    text = msg.model_dump_json(by_alias=True)
    again = type(msg).model_validate_json(text)
    assert again == msg
    assert again.model_dump_json(by_alias=True) == text


def test_actions_round_trip_through_the_discriminated_union() -> None:
    adapter = TypeAdapter(list[Action])
    actions = [SetRoute(route=ROUTE), CancelRoute(), ShowPlaces(places=(PLACE,))]
    assert adapter.validate_json(adapter.dump_json(actions)) == actions
    with pytest.raises(ValidationError):
        adapter.validate_python([{"type": "open_window"}])


def test_understanding_has_the_contract_shape() -> None:
    obj = json.loads(UNDERSTANDING.model_dump_json())
    assert set(obj) >= {"text", "intent", "destination", "stops", "arrive_by", "flight_time",
                        "confidence", "source"}
    assert obj["destination"] == {"category": "airport"}
    assert obj["arrive_by"] is None
    stop = obj["stops"][0]
    assert {"category", "saved", "name", "order"} <= set(stop)
    assert stop["order"] is None
    # An order holds only what was said.
    assert obj["stops"][1]["order"] == {"drink": "latte", "size": "large", "flavor": "hazelnut",
                                        "shots": 2, "iced": True}


def test_timings_serialize_as_validate() -> None:
    t = Timings(understand=1, plan=2, validate=3, total=6)
    assert json.loads(t.model_dump_json(by_alias=True)) == {"understand": 1, "plan": 2,
                                                           "validate": 3, "total": 6}


@pytest.mark.parametrize("bad", [
    {"text": "x", "intent": "fly", "confidence": 0.5},
    {"text": "x", "intent": "navigate", "confidence": 1.5},
    {"text": "x", "intent": "navigate", "confidence": 0.5, "arrive_by": "25:00"},
    {"text": "x", "intent": "navigate", "confidence": 0.5,
     "destination": {"category": "spaceport"}},
    {"text": "x", "intent": "navigate", "confidence": 0.5, "unlock_doors": True},
])
def test_understanding_rejects_what_the_contract_does_not_allow(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Understanding.model_validate(bad)


@pytest.mark.parametrize("payload", [
    '{"value": NaN, "ts": 1}', '{"value": 1, "ts": -5}', '{"value": [1,2], "ts": 1}',
    '{"value": 1}', '{"value": 1, "ts": 1, "extra": 2}',
])
def test_signal_update_rejects_malformed(payload: str) -> None:
    with pytest.raises(ValidationError):
        SignalUpdate.model_validate_json(payload)


def test_service_request_needs_exactly_one_input() -> None:
    with pytest.raises(ValidationError):
        ServiceRequest(id="x")
    with pytest.raises(ValidationError):
        ServiceRequest(id="x", text="a", audio_wav_b64="b")
