"""The learned model's intent, overruled where the words say plainly what it is.

`guarded_intent` runs the checks that keep the car still (a reminder, a line that tries to
steer a model, a question, a search) and then `said_plainly`: intents the words name
whatever the model guessed. The phrases themselves live in `guards.py`; this module only
decides which one wins, in order.
"""

from __future__ import annotations

import logging
import re

from copilot.nlu.avoid import avoid_in
from copilot.nlu.guards import (
    ADD_START,
    CAR_COMMAND,
    CAR_STATE_ASKED,
    CLIMATE_COMPLAINT,
    DRIVEN_TO,
    ENDS_THE_TRIP,
    ENOUGH_ENERGY,
    EVADING,
    GUIDANCE_OFF,
    IN_TIME,
    NOT_STOPPING,
    OPENS_WITH_ROUTE,
    PREFERENCE_SAID,
    RIDE_OR_DELIVERY,
    STOP_DROPPED,
    THEN_GO,
    THEN_STOP,
    TIME_DOUBT,
    UNTIL_REFUEL,
    as_question,
    asks_about_arriving,
    asks_about_the_car,
    asks_opening_hours,
    asks_to_be_driven,
    is_note,
    is_question,
    is_search,
    looks_for_a_place,
    names_a_new_trip,
    names_vehicle_state,
    said,
)
from copilot.nlu.orders import spells_out_a_drink
from copilot.nlu.polite import polite_request
from copilot.nlu.rules import RuleParse, parse
from safety.text import steers_model

log = logging.getLogger(__name__)

MOVING = ("navigate", "add_stop", "remove_stop", "cancel")
"""The intents that change the route."""


def guarded_intent(intent: str, text: str, p: RuleParse) -> str:
    """The model's intent, overruled where the words say plainly what it is: a question
    never moves the car, a search is shown, a reminder is another domain; and, where the
    model put a request in no domain, an arrival question, a spelled-out drink or a search
    for a kind of place is what it says. Stops said with where to go are a new trip."""
    tokens = p.tokens
    if is_note(tokens) or said(EVADING, tokens):
        return "out_of_scope"                  # "set an alarm for 5 am", "any speed traps"
    if intent in MOVING and steers_model(text):
        # A line that tries to steer a model ("ignore previous instructions ...") never
        # moves the car, whatever it asks.
        return "out_of_scope"
    if intent in MOVING and said(TIME_DOUBT, tokens):
        return "ask_eta"                       # "I'm not sure we have time for coffee"
    if intent in MOVING and is_question(tokens, intent in ("navigate", "add_stop")):
        asked = as_question(intent, tokens)    # asked, not requested: no route change
        return "ask_vehicle" if said(ENOUGH_ENERGY, tokens) else asked
    if intent in ("navigate", "add_stop") and is_search(tokens):
        return "find_place"                    # "locate ...": shown, not routed
    if intent == "out_of_scope":
        if (asks_to_be_driven(p.skeleton, tokens) or said(DRIVEN_TO, tokens)) and \
                not is_question(tokens, True) and (
                d := parse(text, "navigate").destination) is not None and (
                d.saved or d.category or said(DRIVEN_TO, tokens)):
            return "navigate"                  # "ugh just take me hom please, ..."
        if asks_about_arriving(tokens):
            return "ask_eta"                   # "any idea when we'll get there"
        if spells_out_a_drink(tokens):
            return "add_stop"                  # "brew a light roast coffee with brown sugar"
        places = [*p.stops, *([p.destination] if p.destination else [])]
        if is_search(tokens) and any(m.category for m in places):
            return "find_place"                # "find me a hotel room for tonight"
    if (polite := polite_request(intent, p.intent, p.confidence, text)) is not None:
        return said_plainly(polite, text, p)   # "would it be possible to head home"
    return said_plainly(intent, text, p)


_ERRAND_KINDS = frozenset({"fuel", "ev_charging", "coffee", "burger", "fast_food", "pizza",
                           "bakery", "grocery", "pharmacy", "dry_cleaning", "atm", "bank",
                           "post_office", "car_wash", "restroom", "parking"})
_ERRAND_CUE = re.compile(r"\b(hit|grab|pick up|drop|drop off|need to|gotta|have to|first|"
                         r"stop at|stop for|swing by|also)\b")


def errands_only(tokens: list[str], p: RuleParse) -> bool:
    """Errands said with nowhere to go ("also need to hit an ATM and then a grocery store",
    "drop this package off at a post office"): stops on the trip in progress, not a new
    trip, unless the words ask to be taken somewhere."""
    places = [*p.stops, *([p.destination] if p.destination else [])]
    plain = " ".join(t for t in tokens if t != ",")
    if _FIRST_THEN.search(plain):
        # "stop for a pharmacy then a restroom": the project's own templates end the trip at
        # the place after "then" (intents.yaml, navigate); outside authors differ (notes).
        return False
    return bool(places) and all(m.category in _ERRAND_KINDS and not m.saved for m in places) \
        and _ERRAND_CUE.search(plain) is not None and not names_a_new_trip(tokens) \
        and not said(OPENS_WITH_ROUTE, tokens) and not avoid_in(tokens) and not _GO_TO.search(plain)


_FIRST_THEN = re.compile(r"^(first|stop for|stop at) .*\b(then|and then)\b")
# Events are not places on the map ("any food and wine events this weekend").
_EVENTS = re.compile(r"\b(events?|shows?|concerts?|festivals?|happening|holidays?|weekend|"
                     r"craft|fairs|markets)\b")
_GO_TO = re.compile(r"\b(go|going|head|heading|drive|driving|take (me|us)|taking (me|us)|"
                    r"get (me|us)|navigate|"
                    r"directions|route (me|us)?|bring (me|us)|find (me |us )?the (nearest|"
                    r"closest))\b|^(nearest|closest)\b")


def said_plainly(intent: str, text: str, p: RuleParse) -> str:
    """Intents the words name whatever the model says: the trip cancelled, a preference said
    alone, a stop added or taken back, the car asked about, a route asked for."""
    tokens = p.tokens
    places = [*p.stops, *([p.destination] if p.destination else [])]
    trip: list[RuleParse] = []

    def as_trip() -> RuleParse:
        """The places split as for a trip: parsed once, and only when a rule asks."""
        if not trip:
            trip.append(p if p.intent == "navigate" else parse(text, "navigate"))
        return trip[0]

    if intent == "vehicle_control" and tokens[:1] in (["is"], ["are"], ["did"], ["was"],
                                                     ["were"], ["have"], ["has"]) and \
            tokens[1:3] not in (["it", "possible"], ["it", "ok"], ["it", "okay"],
                                ["you", "able"]):
        return "ask_vehicle"                   # "is the parking brake still on": asked
    if intent in ("out_of_scope", "vehicle_control") and avoid_in(tokens) and not is_question(
            tokens, False):
        return "navigate"                      # "no more ferries for the rest of this trip"
    if intent in ("ask_eta", "cancel") and avoid_in(tokens) and said(PREFERENCE_SAID, tokens):
        return "navigate"                      # "no more gravel roads ok?"
    if intent == "ask_eta" and said(DRIVEN_TO, tokens) and as_trip().destination is not None:
        return "navigate"                      # "would you mind getting me to work by 8:45"
    if intent not in ("cancel", "remove_stop") and said(ENDS_THE_TRIP, tokens) and \
            not is_question(tokens, False):
        return "cancel"                        # "cancel the trip, the meeting got moved"
    if intent == "out_of_scope" and said(CLIMATE_COMPLAINT, tokens):
        return "vehicle_control"               # "Lord, it's freezing in this cab"
    if intent == "out_of_scope" and looks_for_a_place(tokens) and any(
            m.category for m in places) and not said(RIDE_OR_DELIVERY, tokens) and \
            not _EVENTS.search(" ".join(tokens)):
        return "find_place"                    # "are there any EV chargers in Valentine"
    if intent == "out_of_scope" and asks_about_the_car(tokens):
        return "ask_vehicle"                   # "how worn are my brake pads"
    if intent in ("navigate", "add_stop", "ask_eta", "find_place", "out_of_scope") and said(
            CAR_COMMAND, tokens):
        return "vehicle_control"               # "set the cruise at 70, we're on the highway"
    if intent == "ask_eta" and said(UNTIL_REFUEL, tokens):
        return "ask_vehicle"                   # "how long till I need to charge"
    if intent in ("ask_eta", "find_place", "ask_vehicle") and said(OPENS_WITH_ROUTE, tokens):
        return "navigate"                      # "Navigate to Riverside Hospital, my son's ..."
    if intent == "navigate" and said(ADD_START, tokens) and not names_a_new_trip(tokens):
        return "add_stop"                      # "let's add a hotel for the night"
    if intent == "add_stop" and said(NOT_STOPPING, tokens):
        return "remove_stop"                   # "can we not stop at the grocery store"
    if intent == "ask_vehicle" and not names_vehicle_state(tokens) and (
            said(IN_TIME, tokens) or asks_about_arriving(tokens)):
        return "ask_eta"                       # "could we make it to the post office by 5"
    if intent == "ask_eta" and CAR_STATE_ASKED & set(tokens) \
            and p.destination is None and not p.stops:
        return "ask_vehicle"                   # "is the range estimate counting the cold"
    if intent in ("out_of_scope", "find_place", "ask_eta", "navigate", "ask_vehicle",
                  "add_stop") and places and said(STOP_DROPPED, tokens) and \
            not avoid_in(tokens) and not names_a_new_trip(tokens) and \
            not _GO_TO.search(" ".join(tokens)):
        return "remove_stop"                   # "forget the dry cleaner, they're closed"
    if intent in ("ask_eta", "ask_vehicle") and places and asks_opening_hours(tokens):
        return "find_place"                    # "what time does the Trader Joe's close"
    if intent in ("ask_eta", "ask_vehicle") and looks_for_a_place(tokens) and any(
            m.category for m in places) and not names_vehicle_state(tokens):
        return "find_place"                    # "are there any In-N-Outs on the way"
    if intent in ("find_place", "ask_eta") and places and said(THEN_STOP, tokens):
        return "add_stop"                      # "which is closest on our route, let's stop there"
    if intent in ("find_place", "add_stop") and places and said(THEN_GO, tokens):
        return "navigate"                      # "is there a pharmacy nearby? take me there"
    if intent in ("ask_eta", "find_place") and said(ENOUGH_ENERGY, tokens):
        return "ask_vehicle"                   # "will we get to Yosemite on a quarter tank"
    if intent == "vehicle_control" and said(GUIDANCE_OFF, tokens):
        return "cancel"                        # "shut off the turn by turn"
    if intent == "navigate" and p.destination is None and p.stops and not avoid_in(tokens) \
            and not said(OPENS_WITH_ROUTE, tokens) and as_trip().destination is None:
        return "add_stop"                      # "pick up my suit from the cleaners, yeah?"
    if intent == "navigate" and errands_only(tokens, as_trip()):
        return "add_stop"                      # "hit an ATM, then the dry cleaners on Fifth"
    if intent == "add_stop" and names_a_new_trip(tokens) and as_trip().destination is not None:
        return "navigate"                      # "get me to work, gas on the way": a new trip
    return intent
