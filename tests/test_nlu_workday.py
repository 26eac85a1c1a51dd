"""Phrasings from two dev sets by outside authors (eval/incar_dev11.jsonl, people driving for
work; eval/questions_dev3.jsonl, questions against requests said as questions) that the
model or the rules missed: house numbers read as clock times, work places named by what is
there, a doctor's office, and requests said politely as questions.

Each case is the general pattern, in words of our own, not a line of the set.
"""

from __future__ import annotations

import pytest

from copilot.nlu import Understander
from copilot.nlu.polite import asks_politely
from copilot.nlu.text import normalise
from copilot.nlu.times import find_times

MODEL = Understander(use_llm=False)


@pytest.mark.parametrize("text", [
    "I have a service call at 215 Walnut Lane",
    "add a stop at 730 Ridge Road for the parts",
    "when should I leave to be at 1145 Cherry Street",
])
def test_a_house_number_is_no_clock_time(text: str) -> None:
    assert find_times(normalise(text)) == []


def test_a_house_number_and_a_time_in_one_line() -> None:
    u = MODEL.understand("I'm due at 508 Aspen Court at 2:45, take me there")
    assert u.intent.value == "navigate"
    assert u.destination is not None and u.destination.name == "508 Aspen Court"
    assert u.arrive_by == "14:45"


def test_a_time_then_a_street_is_still_a_time() -> None:
    assert [t.hhmm for t in find_times(normalise("be there by 9 on Elm Street"))] == ["09:00"]


@pytest.mark.parametrize(("text", "name"), [
    ("head over to the Fox Hollow substation", "Fox Hollow substation"),
    ("get me to the Birchwood job site", "Birchwood job site"),
    ("navigate to the Kettle Creek water plant", "Kettle Creek water plant"),
    ("take me to Dr. Alvarez's office", "Dr. Alvarez's office"),
])
def test_a_work_place_named_by_what_is_there(text: str, name: str) -> None:
    u = MODEL.understand(text)
    assert u.intent.value == "navigate"
    assert u.destination is not None and u.destination.name == name


@pytest.mark.parametrize(("text", "intent"), [
    ("would it be possible to drive to the lake house and skip the interstate", "navigate"),
    ("do you think you could get me to the gym, and I need gas on the way", "navigate"),
    ("is it possible to take the bakery off the list", "remove_stop"),
    ("is it alright to skip the post office today", "remove_stop"),
    ("what if we just went to the hotel instead", "navigate"),
    ("is it possible to stop the directions now", "cancel"),
    ("is it possible to navigate to the Hoover Dam by way of a gas station", "navigate"),
])
def test_a_request_said_as_a_question_is_done(text: str, intent: str) -> None:
    assert MODEL.understand(text).intent.value == intent


@pytest.mark.parametrize("text", [
    "would it be possible to get to the airport by 5",
    "could we go to the airport and still be on time",
    "what if we went to the hotel, how long would that take",
    "is it possible to drive to Denver on one charge",
    "do you think we could make it to the gym before it closes",
    "could we get a coffee and still be at work by 9",
])
def test_a_polite_question_about_the_trip_stays_a_question(text: str) -> None:
    assert not asks_politely(text.lower())
    assert MODEL.understand(text).intent.value not in ("navigate", "add_stop", "remove_stop",
                                                        "cancel")


def test_a_flight_out_of_an_airport_names_no_place_called_out_of() -> None:
    u = MODEL.understand("am I going to make my 4:40 flight out of Midway")
    assert u.intent.value == "ask_eta" and u.flight_time == "16:40"
    assert u.destination is None or u.destination.model_dump().get("name") not in (
        "out of", "of", "out")


def test_a_list_ending_on_the_way_is_all_stops() -> None:
    u = MODEL.understand("over to the train station, an atm, a pharmacy and coffee on the way")
    assert u.intent.value == "navigate"
    assert u.destination is not None and u.destination.model_dump().get("category") == \
        "train_station"
    assert [s.category.value for s in u.stops if s.category] == ["atm", "pharmacy", "coffee"]


@pytest.mark.parametrize("text", ["how far to the next stop", "how long until our last stop"])
def test_the_trips_own_stops_are_no_place_name(text: str) -> None:
    u = MODEL.understand(text)
    assert u.intent.value == "ask_eta" and u.destination is None


def test_to_reach_is_no_place_name() -> None:
    u = MODEL.understand("when should I head out to reach Lakeside Rehab Center by 9:45")
    assert u.intent.value == "ask_eta" and not u.stops
    assert u.destination is not None and u.destination.model_dump().get("name") == \
        "Lakeside Rehab Center"


def test_run_me_out_to_is_a_drive() -> None:
    assert MODEL.understand("run me out to Hadley's Hardware").intent.value == "navigate"


@pytest.mark.parametrize(("text", "intent"), [
    ("do you know the road to Hershey? get us there", "navigate"),
    ("is there a way to skip stopping at the pharmacy", "remove_stop"),
    ("can we just drop the car wash", "remove_stop"),
])
def test_a_question_that_leads_to_a_request(text: str, intent: str) -> None:
    assert MODEL.understand(text).intent.value == intent


def test_skipping_a_road_is_a_preference_not_a_dropped_stop() -> None:
    u = MODEL.understand("could we skip the toll road")
    assert u.intent.value != "remove_stop" and "tolls" in [a.value for a in u.avoid]


@pytest.mark.parametrize(("text", "stops"), [
    ("the guys want lunch, find a burger joint on the way", ["burger"]),
    ("we need lunch and a coffee", ["restaurant", "coffee"]),
])
def test_a_meal_had_at_a_kind_of_place_is_one_stop(text: str, stops: list[str]) -> None:
    u = MODEL.understand(text)
    assert [s.category.value for s in u.stops if s.category] == stops


def test_a_named_place_for_a_meal_is_one_stop() -> None:
    u = MODEL.understand("add a stop at Rosie's Grill for breakfast")
    assert [s.name for s in u.stops] == ["Rosie's Grill"]


@pytest.mark.parametrize(("text", "kinds"), [
    ("drive to Fresno, nothing with tolls please", ["tolls"]),
    ("head to the ranch and avoid them gravel roads", ["unpaved"]),
    ("route to Trenton, leave the turnpike out of it", ["tolls"]),
    ("to Malibu, and don't take the 101", ["highways"]),
    ("a route to Reno that doesn't touch any freeways", ["highways"]),
    ("steer us clear of dirt roads", ["unpaved"]),
    ("to Denver avoiding tolls, the interstate is fine", ["tolls"]),
    ("skip the Golden Gate toll on the way to Sausalito", ["tolls"]),
])
def test_more_preferences_said_in_passing(text: str, kinds: list[str]) -> None:
    from copilot.nlu.avoid import avoid_in
    from copilot.nlu.corrections import apply_corrections

    tokens, _ = apply_corrections(normalise(text))
    assert [a.value for a in avoid_in(tokens)] == kinds


@pytest.mark.parametrize("text", ["avoid the 5 o'clock rush", "skip the 20 minute detour"])
def test_a_number_after_the_is_not_always_a_freeway(text: str) -> None:
    from copilot.nlu.avoid import avoid_in

    assert avoid_in(normalise(text)) == ()


@pytest.mark.parametrize(("text", "saved"), [
    ("take me to grandpa", "grandpa's house"),
    ("head over to dad", "dad's house"),
    ("how far is it to mom", "mom's house"),
])
def test_a_family_word_as_the_place_is_their_house(text: str, saved: str) -> None:
    u = MODEL.understand(text)
    assert u.destination is not None and u.destination.model_dump().get("saved") == saved


def test_calling_mom_is_no_trip() -> None:
    assert MODEL.understand("call mom").intent.value == "out_of_scope"


def test_a_named_place_for_a_kind_is_one_stop_of_that_kind() -> None:
    u = MODEL.understand("stop at Rocky's for gas")
    assert [(s.name, s.category.value if s.category else None) for s in u.stops] == [
        ("Rocky's", "fuel")]


def test_an_order_after_a_brand_is_had_there() -> None:
    u = MODEL.understand("Peet's on the way home, a small mocha with oat milk")
    coffee = [s for s in u.stops if s.category and s.category.value == "coffee"]
    assert len(coffee) == 1 and coffee[0].order is not None and coffee[0].order.drink == "mocha"


@pytest.mark.parametrize("text", ["get me the cheapest nonstop to Phoenix",
                                  "book me a flight to Tampa for Friday"])
def test_flights_bought_are_a_service_we_do_not_offer(text: str) -> None:
    u = MODEL.understand(text)
    assert u.intent.value == "out_of_scope" and u.destination is None


def test_a_flight_said_with_the_trip_to_the_airport_is_still_a_trip() -> None:
    u = MODEL.understand("get me to the airport, my flight is at 6:20")
    assert u.intent.value == "navigate" and u.flight_time == "18:20"


@pytest.mark.parametrize("text", ["what time do we get to Reno if we left at 6",
                                  "if I leave the house at 7:40 when do I reach the gym",
                                  "do we have to leave by three to make it"])
def test_a_departure_time_is_no_arrival_to_meet(text: str) -> None:
    assert [t for t in find_times(normalise(text)) if t.role == "arrive_by"] == []


def test_the_arrival_after_a_departure_is_still_read() -> None:
    assert [t.hhmm for t in find_times(normalise("when should I leave to be at work by 9"))
            if t.role == "arrive_by"] == ["09:00"]


@pytest.mark.parametrize(("text", "hhmm"), [
    ("I have a 2:30 interview at the Hilton, when do I go", "14:30"),
    ("we've got an 11 o'clock meeting at the office", "11:00"),
])
def test_a_time_naming_its_event_is_the_arrival(text: str, hhmm: str) -> None:
    assert [t.hhmm for t in find_times(normalise(text)) if t.role == "arrive_by"] == [hhmm]


def test_a_count_before_a_thing_is_no_time() -> None:
    assert find_times(normalise("a 2 shot latte and a 5 car pileup")) == []
