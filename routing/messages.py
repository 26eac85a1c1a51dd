"""Message types owned by routing: what was asked (the understanding), places, routes, actions.

These cross process boundaries (CLI JSON, MQTT replies, cloud requests, reports), so they are
defined once here and every serializer is derived from them. Field names carry units
(`distance_m`, `duration_s`); coordinates are WGS84 degrees; times are ISO-8601 with offset.
The vocabulary is fixed by the outer contract (shared/CONTRACT.md).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

MAX_TEXT_CHARS = 2000
"""Longest utterance kept; longer input is truncated and flagged."""
MAX_STOPS = 8
"""Most stops in one request/route (safety refuses more; see safety/plan)."""


class Category(StrEnum):
    """Place categories: the only values `category` may take (contract vocabulary)."""

    AIRPORT = "airport"
    TRAIN_STATION = "train_station"
    BUS_STATION = "bus_station"
    HOSPITAL = "hospital"
    HOTEL = "hotel"
    PARKING = "parking"
    FUEL = "fuel"
    EV_CHARGING = "ev_charging"
    COFFEE = "coffee"
    BURGER = "burger"
    FAST_FOOD = "fast_food"
    RESTAURANT = "restaurant"
    PIZZA = "pizza"
    BAKERY = "bakery"
    GROCERY = "grocery"
    PHARMACY = "pharmacy"
    DRY_CLEANING = "dry_cleaning"
    ATM = "atm"
    BANK = "bank"
    POST_OFFICE = "post_office"
    CAR_WASH = "car_wash"
    RESTROOM = "restroom"


class Intent(StrEnum):
    """Intents: the only values `intent` may take (contract vocabulary)."""

    NAVIGATE = "navigate"
    ADD_STOP = "add_stop"
    REMOVE_STOP = "remove_stop"
    CANCEL = "cancel"
    FIND_PLACE = "find_place"
    ASK_ETA = "ask_eta"
    ASK_VEHICLE = "ask_vehicle"
    VEHICLE_CONTROL = "vehicle_control"
    OUT_OF_SCOPE = "out_of_scope"


Source = Literal["rules", "local_llm", "cloud_llm", "model"]
Status = Literal["ok", "needs_clarification", "infeasible", "refused", "not_understood"]
ServedBy = Literal["device", "cloud"]
HHMM = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
Label = Annotated[str, Field(min_length=1, max_length=60)]
FreeText = Annotated[str, Field(min_length=1, max_length=120)]


class Avoid(StrEnum):
    """Route preferences (contract vocabulary): road kinds a route may be asked to avoid."""

    HIGHWAYS = "highways"
    TOLLS = "tolls"
    FERRIES = "ferries"
    UNPAVED = "unpaved"


Language = Annotated[str, Field(pattern=r"^[a-z]{2,3}$")]
"""A BCP 47 primary language tag ("en", "ko")."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Order(_Frozen):
    """A drink order: only what was said, as canonical lower-case words."""

    drink: str | None = Field(default=None, max_length=40)
    size: str | None = Field(default=None, max_length=20)
    flavor: str | None = Field(default=None, max_length=40)
    milk: str | None = Field(default=None, max_length=30)
    sweetener: str | None = Field(default=None, max_length=30)
    shots: int | None = Field(default=None, ge=1, le=8)
    roast: str | None = Field(default=None, max_length=20)
    iced: bool | None = None
    milk_amount: str | None = Field(default=None, max_length=20)
    """Extension: how much milk was asked for ("a little", "some", "a lot"), only if said."""
    sweetener_amount: str | None = Field(default=None, max_length=20)
    """Extension: how much sweetener was asked for, in the same words as `milk_amount`."""

    @model_serializer(mode="wrap")
    def _only_said(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # The contract: "an order holds only what was said", so unset keys are omitted.
        data: dict[str, Any] = handler(self)
        return {k: v for k, v in data.items() if v is not None}


class CategoryRef(_Frozen):
    category: Category
    brand: FreeText | None = None
    """Extension: the brand asked for within the kind ("take me to the nearest Walgreens":
    pharmacy, Walgreens). Omitted when none was said, so the contract's one-key form stays."""

    @model_serializer(mode="wrap")
    def _brand_if_said(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        return {k: v for k, v in data.items() if k != "brand" or v is not None}


class SavedRef(_Frozen):
    saved: Label


class NameRef(_Frozen):
    name: FreeText


Destination = CategoryRef | SavedRef | NameRef


class StopRequest(_Frozen):
    """One requested stop, in spoken order. Exactly one of category/saved/name is normally set."""

    category: Category | None = None
    saved: Label | None = None
    name: FreeText | None = None
    order: Order | None = None
    exclude_brands: tuple[str, ...] = ()
    """Extension: brands the driver ruled out ("a burger but not from McDonald's")."""


class Understanding(_Frozen):
    """What the driver asked for: the `copilot understand` object."""

    text: str = Field(max_length=MAX_TEXT_CHARS)
    intent: Intent
    destination: Destination | None = None
    stops: tuple[StopRequest, ...] = Field(default=(), max_length=40)
    arrive_by: HHMM | None = None
    flight_time: HHMM | None = None
    avoid: tuple[Avoid, ...] = ()
    """Route preferences said in this turn (highways, tolls, ferries, unpaved)."""
    language: Language = "en"
    """The turn's language (BCP 47 primary tag)."""
    confidence: float = Field(ge=0.0, le=1.0)
    source: Source = "rules"
    error: str | None = None
    """Extension: why the input could not be understood (empty, too long, not text, ...)."""


class Place(_Frozen):
    """A place from the map (osm_type + osm_id) or a saved place (saved label)."""

    osm_type: Literal["node", "way"] | None = None
    osm_id: int | None = None
    saved: str | None = None
    name: str | None = None
    category: Category | None = None
    lat: float = Field(ge=-90.0, le=90.0)
    lon: float = Field(ge=-180.0, le=180.0)


class RoutedPlace(Place):
    """A place on a route, with its estimated time of arrival."""

    eta: datetime


class Route(_Frozen):
    stops: tuple[RoutedPlace, ...] = ()
    destination: RoutedPlace
    distance_m: float = Field(ge=0.0)
    duration_s: float = Field(ge=0.0)
    geometry: tuple[tuple[float, float], ...] = ()
    """Polyline as [lat, lon] pairs."""
    avoid: tuple[Avoid, ...] = ()
    """The preferences this route honours (empty when none were asked for)."""


class SetRoute(_Frozen):
    type: Literal["set_route"] = "set_route"
    route: Route


class CancelRoute(_Frozen):
    type: Literal["cancel_route"] = "cancel_route"


class ShowPlaces(_Frozen):
    type: Literal["show_places"] = "show_places"
    places: tuple[Place, ...]


Action = Annotated[SetRoute | CancelRoute | ShowPlaces, Field(discriminator="type")]
"""The only actions that exist: the copilot never operates the vehicle."""
