"""How each contract category maps onto OpenStreetMap tags (the written-down table).

One OSM object may fall in several categories (a Five Guys is `burger` and `fast_food`; a
bank with `atm=yes` is `bank` and `atm`). The rules, checked against the extracts in
shared/maps by tests/test_routing_categories.py:

| category      | OSM tags                                                                        |
| ------------- | ------------------------------------------------------------------------------- |
| airport       | aeroway=aerodrome, not a heliport (name "heliport/helipad", aerodrome:type=    |
|               | heliport or private); ranked: IATA code > ICAO/ref code > terminal > none.       |
|               | Its entry point is a public road node near the terminal (see places.py).         |
| train_station | railway=station|halt (not subway), or public_transport=station + train=yes      |
| bus_station   | amenity=bus_station, or public_transport=station + bus=yes                      |
| hospital      | amenity=hospital, healthcare=hospital                                           |
| hotel         | tourism=hotel|motel|guest_house|hostel                                          |
| parking       | amenity=parking (access not private/no)                                         |
| fuel          | amenity=fuel                                                                    |
| ev_charging   | amenity=charging_station                                                        |
| coffee        | amenity=cafe; shop=coffee; cuisine has coffee_shop|coffee; a coffee brand       |
|               | (Starbucks, Dunkin', Tim Hortons, Costa, Peet's, Caribou, Espresso House, ...)  |
| burger        | amenity=fast_food|restaurant|pub|bar with cuisine burger; or a burger brand     |
|               | (McDonald's, Burger King, Five Guys, Wendy's, ...) by brand or name             |
| fast_food     | amenity=fast_food, amenity=food_court                                           |
| restaurant    | amenity=restaurant                                                              |
| pizza         | cuisine has pizza; or a pizza brand (Domino's, Pizza Hut, Papa John's, ...)     |
| bakery        | shop=bakery|pastry; cuisine has bakery                                          |
| grocery       | shop=supermarket|convenience|grocery|greengrocer|deli                           |
| pharmacy      | amenity=pharmacy, healthcare=pharmacy, shop=chemist with dispensing=yes         |
| dry_cleaning  | shop=dry_cleaning; shop=laundry with dry_cleaning=yes or a "cleaners" /        |
|               | "dry clean" name (a coin laundromat alone is not dry cleaning)                  |
| atm           | amenity=atm; amenity=bank with atm=yes                                          |
| bank          | amenity=bank                                                                    |
| post_office   | amenity=post_office                                                             |
| car_wash      | amenity=car_wash                                                                |
| restroom      | amenity=toilets (access not private/no/customers)                               |

Objects that are closed for good (`disused:*`, `was:*`, `abandoned:*` prefixes only) never
match: only live keys are read.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from routing.messages import Category

log = logging.getLogger(__name__)

BURGER_BRANDS = frozenset({
    "mcdonald's", "mcdonalds", "burger king", "five guys", "wendy's", "wendys", "shake shack",
    "in-n-out burger", "carl's jr.", "hardee's", "jack in the box", "white castle",
    "smashburger", "checkers", "rally's", "culver's", "whataburger", "fuddruckers",
    "red robin", "steak 'n shake", "sonic", "sonic drive-in", "max burgers", "max",
    "burger joint", "sunset boulevard", "halifax", "gasoline grill",
})
COFFEE_BRANDS = frozenset({
    "starbucks", "dunkin'", "dunkin", "dunkin' donuts", "dunkin donuts", "tim hortons",
    "costa", "costa coffee", "peet's coffee", "caribou coffee", "espresso house",
    "joe & the juice", "caffè nero", "caffe nero", "dutch bros", "the coffee bean & tea leaf",
    "baresso", "coffee collective", "wayne's coffee", "7-eleven coffee",
})
PIZZA_BRANDS = frozenset({
    "domino's", "dominos", "domino's pizza", "pizza hut", "papa john's", "papa johns",
    "little caesars", "sbarro", "marco's pizza", "jet's pizza", "papa murphy's",
})
PLACE_WORDS: dict[Category, str] = {
    Category.EV_CHARGING: "charging station", Category.FUEL: "fuel station",
    Category.COFFEE: "coffee shop", Category.BURGER: "burger place",
    Category.FAST_FOOD: "fast-food place", Category.GROCERY: "grocery store",
    Category.DRY_CLEANING: "dry cleaner", Category.ATM: "cash machine",
    Category.RESTROOM: "restroom", Category.PIZZA: "pizza place",
}
"""How a place of a category is named in a sentence ("no dry cleaner on this map")."""


def place_word(category: Category) -> str:
    return PLACE_WORDS.get(category, category.value.replace("_", " "))


_HELI = re.compile(r"heli(port|pad)|helistop", re.IGNORECASE)
_CLEANERS = re.compile(r"\bcleaners?\b|dry[ -]?clean|renseri", re.IGNORECASE)
_IATA = re.compile(r"^[A-Z]{3}$")
_ICAO = re.compile(r"^[A-Z]{4}$")
_PRIVATE = frozenset({"private", "no"})


def _values(tags: Mapping[str, str], key: str) -> set[str]:
    """A multi-valued OSM tag (`cuisine=burger;american`) as a set of lower-case values."""
    raw = tags.get(key, "")
    return {v.strip().lower() for v in re.split(r"[;,]", raw) if v.strip()}


def brand_of(tags: Mapping[str, str]) -> str | None:
    """The brand as written (brand, else brand:en, else None)."""
    return tags.get("brand") or tags.get("brand:en") or None


def _brand_keys(tags: Mapping[str, str]) -> set[str]:
    fields = ("brand", "brand:en", "name", "name:en")
    keys = {v.strip().lower() for k in fields if (v := tags.get(k))}
    return keys | {k.replace("’", "'") for k in keys}


def is_heliport(tags: Mapping[str, str]) -> bool:
    kind = tags.get("aerodrome:type", "").lower()
    name = tags.get("name", "") + " " + tags.get("name:en", "")
    return tags.get("aeroway") in ("heliport", "helipad") or kind == "heliport" or bool(
        _HELI.search(name)
    )


def airport_rank(tags: Mapping[str, str], has_terminal: bool = False) -> int:
    """Higher is a better airport: 3 IATA code, 2 ICAO/ref code, 1 a terminal, 0 none."""
    if _IATA.match(tags.get("iata", "")):
        return 3
    if _ICAO.match(tags.get("icao", "")) or _IATA.match(tags.get("ref", "")):
        return 2
    return 1 if has_terminal else 0


def categories_for(tags: Mapping[str, str]) -> set[Category]:
    """Every contract category this OSM object belongs to (empty for most objects)."""
    if not tags:
        return set()
    C = Category
    out: set[Category] = set()
    amenity = tags.get("amenity", "")
    shop = tags.get("shop", "")
    cuisine = _values(tags, "cuisine")
    brands = _brand_keys(tags)
    access_private = tags.get("access", "") in _PRIVATE

    kind = tags.get("aerodrome:type", "").lower()
    if tags.get("aeroway") == "aerodrome" and not is_heliport(tags) and kind not in (
        "private", "military"
    ):
        out.add(C.AIRPORT)
    if (tags.get("railway") in ("station", "halt") and tags.get("station") != "subway") or (
        tags.get("public_transport") == "station" and tags.get("train") == "yes"
    ):
        out.add(C.TRAIN_STATION)
    if amenity == "bus_station" or (
        tags.get("public_transport") == "station" and tags.get("bus") == "yes"
    ):
        out.add(C.BUS_STATION)
    if amenity == "hospital" or tags.get("healthcare") == "hospital":
        out.add(C.HOSPITAL)
    if tags.get("tourism") in ("hotel", "motel", "guest_house", "hostel"):
        out.add(C.HOTEL)
    if amenity == "parking" and not access_private:
        out.add(C.PARKING)
    if amenity == "fuel":
        out.add(C.FUEL)
    if amenity == "charging_station":
        out.add(C.EV_CHARGING)

    food_place = amenity in ("fast_food", "restaurant", "cafe", "pub", "bar", "food_court")
    coffee_brand = bool(brands & COFFEE_BRANDS) and (food_place or bool(shop))
    if amenity == "cafe" or shop == "coffee" or cuisine & {"coffee_shop", "coffee"} or coffee_brand:
        out.add(C.COFFEE)
    if food_place and ("burger" in cuisine or "burgers" in cuisine or brands & BURGER_BRANDS):
        out.add(C.BURGER)
    if amenity in ("fast_food", "food_court"):
        out.add(C.FAST_FOOD)
    if amenity == "restaurant":
        out.add(C.RESTAURANT)
    if (food_place or shop) and ("pizza" in cuisine or brands & PIZZA_BRANDS):
        out.add(C.PIZZA)
    if shop in ("bakery", "pastry") or "bakery" in cuisine:
        out.add(C.BAKERY)
    if shop in ("supermarket", "convenience", "grocery", "greengrocer", "deli"):
        out.add(C.GROCERY)
    if amenity == "pharmacy" or tags.get("healthcare") == "pharmacy" or (
        shop == "chemist" and tags.get("dispensing") == "yes"
    ):
        out.add(C.PHARMACY)
    if shop == "dry_cleaning" or (
        shop == "laundry"
        and (tags.get("dry_cleaning") == "yes" or bool(_CLEANERS.search(tags.get("name", ""))))
    ):
        out.add(C.DRY_CLEANING)
    if amenity == "atm" or (amenity == "bank" and tags.get("atm") == "yes"):
        out.add(C.ATM)
    if amenity == "bank":
        out.add(C.BANK)
    if amenity == "post_office":
        out.add(C.POST_OFFICE)
    if amenity == "car_wash":
        out.add(C.CAR_WASH)
    if amenity == "toilets" and tags.get("access", "") not in (*_PRIVATE, "customers"):
        out.add(C.RESTROOM)
    return out


def brand_matches(avoid: str, name: str | None, brand: str | None) -> bool:
    """True when a place's brand or name is the avoided brand ("McDonalds" ~ "McDonald's")."""
    def norm(s: str) -> str:
        return re.sub(r"[^a-z0-9]", "", s.lower().replace("’", "'"))

    a = norm(avoid)
    if not a:
        return False
    return any(a == norm(v) or (len(a) >= 4 and a in norm(v)) for v in (name, brand) if v)
