"""The OSM tag -> category table (routing/categories.py): every contract category, and traps."""

from __future__ import annotations

import pytest

from routing.categories import brand_matches, categories_for
from routing.messages import Category

C = Category
CASES: list[tuple[dict[str, str], set[Category]]] = [
    ({"aeroway": "aerodrome", "iata": "MDT", "name": "Harrisburg International"}, {C.AIRPORT}),
    ({"railway": "station", "train": "yes"}, {C.TRAIN_STATION}),
    ({"amenity": "bus_station"}, {C.BUS_STATION}),
    ({"amenity": "hospital"}, {C.HOSPITAL}),
    ({"tourism": "motel"}, {C.HOTEL}),
    ({"amenity": "parking"}, {C.PARKING}),
    ({"amenity": "fuel", "brand": "Sheetz"}, {C.FUEL}),
    ({"amenity": "charging_station"}, {C.EV_CHARGING}),
    ({"amenity": "cafe", "name": "Joe's"}, {C.COFFEE}),
    ({"amenity": "fast_food", "cuisine": "donut;coffee_shop", "brand": "Dunkin'"},
     {C.COFFEE, C.FAST_FOOD}),
    ({"amenity": "fast_food", "cuisine": "burger", "name": "Five Guys"}, {C.BURGER, C.FAST_FOOD}),
    ({"amenity": "fast_food", "brand": "McDonald's"}, {C.BURGER, C.FAST_FOOD}),
    ({"amenity": "fast_food", "cuisine": "sandwich"}, {C.FAST_FOOD}),
    ({"amenity": "restaurant", "cuisine": "italian"}, {C.RESTAURANT}),
    ({"amenity": "restaurant", "cuisine": "pizza"}, {C.RESTAURANT, C.PIZZA}),
    ({"shop": "bakery"}, {C.BAKERY}),
    ({"shop": "supermarket"}, {C.GROCERY}),
    ({"amenity": "pharmacy"}, {C.PHARMACY}),
    ({"shop": "dry_cleaning"}, {C.DRY_CLEANING}),
    ({"shop": "laundry", "dry_cleaning": "yes"}, {C.DRY_CLEANING}),
    ({"shop": "laundry", "name": "Towne Cleaners"}, {C.DRY_CLEANING}),
    ({"amenity": "atm"}, {C.ATM}),
    ({"amenity": "bank", "atm": "yes"}, {C.BANK, C.ATM}),
    ({"amenity": "post_office"}, {C.POST_OFFICE}),
    ({"amenity": "car_wash"}, {C.CAR_WASH}),
    ({"amenity": "toilets"}, {C.RESTROOM}),
    # Traps: not what they seem.
    ({"aeroway": "aerodrome", "iata": "4MD", "name": "Pier 7 Helipad"}, set()),
    ({"aeroway": "helipad", "name": "Johns Hopkins Hospital"}, set()),
    ({"aeroway": "aerodrome", "aerodrome:type": "private"}, set()),
    ({"shop": "laundry", "name": "Gough Street Laundromat"}, set()),
    ({"railway": "station", "station": "subway"}, set()),
    ({"amenity": "toilets", "access": "customers"}, set()),
    ({"amenity": "parking", "access": "private"}, set()),
    ({"disused:amenity": "cafe"}, set()),
    ({}, set()),
]


@pytest.mark.parametrize(("tags", "expected"), CASES)
def test_tags_to_categories(tags: dict[str, str], expected: set[Category]) -> None:
    assert categories_for(tags) == expected


def test_every_contract_category_is_reachable_from_some_tags() -> None:
    covered = set().union(*(e for _, e in CASES))
    assert covered == set(Category)


def test_brand_matching_is_forgiving_about_spelling() -> None:
    assert brand_matches("McDonalds", "McDonald's", None)
    assert brand_matches("mcdonald's", None, "McDonald’s")
    assert not brand_matches("McDonald's", "Burger King", "Burger King")
    assert not brand_matches("", "Anything", None)
