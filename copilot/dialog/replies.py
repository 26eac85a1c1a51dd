"""What the copilot says: one or two short sentences, places by name, times as "4:12 pm".

Kept apart from the dialog logic so the wording can be read (and tested) in one place.
While moving, at most three places are named (the safety reply policy); the rest are counted.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from routing.categories import brand_matches
from routing.messages import Category
from routing.places import MapPlace
from routing.trip import PlannedStop, TripPlan

MAX_NAMED = 3

NOUN: dict[Category, str] = {
    Category.AIRPORT: "airport", Category.TRAIN_STATION: "train station",
    Category.BUS_STATION: "bus station", Category.HOSPITAL: "hospital", Category.HOTEL: "hotel",
    Category.PARKING: "parking", Category.FUEL: "fuel", Category.EV_CHARGING: "charging",
    Category.COFFEE: "coffee", Category.BURGER: "burger", Category.FAST_FOOD: "fast food",
    Category.RESTAURANT: "restaurant", Category.PIZZA: "pizza", Category.BAKERY: "bakery",
    Category.GROCERY: "groceries", Category.PHARMACY: "pharmacy",
    Category.DRY_CLEANING: "dry cleaning", Category.ATM: "cash", Category.BANK: "bank",
    Category.POST_OFFICE: "post office", Category.CAR_WASH: "car wash",
    Category.RESTROOM: "restroom",
}
PLACE_NOUN: dict[Category, str] = {
    **NOUN, Category.FUEL: "fuel station", Category.EV_CHARGING: "charging station",
    Category.COFFEE: "coffee shop", Category.BURGER: "burger place",
    Category.FAST_FOOD: "fast-food place", Category.GROCERY: "grocery store",
    Category.DRY_CLEANING: "dry cleaner", Category.ATM: "cash machine",
}


def clock(t: datetime) -> str:
    """4:12 pm (the driver's local time as given in the turn), to the nearest minute: an
    arrival at 3:19:51 is told as 3:20, 9 s off, not as 3:19, 51 s off."""
    t = (t + timedelta(seconds=30)).replace(second=0, microsecond=0)
    hour = t.hour % 12 or 12
    return f"{hour}:{t.minute:02d} {'am' if t.hour < 12 else 'pm'}"


def minutes(seconds: float) -> str:
    """A spoken duration: '7 min', '1 h', '2 h 5 min' (hours read faster than '125 min')."""
    m = max(1, round(seconds / 60.0))
    if m < 60:
        return f"{m} min"
    h, rest = divmod(m, 60)
    return f"{h} h" if rest == 0 else f"{h} h {rest} min"


def place_name(place: MapPlace, fallback: str = "the place") -> str:
    p = place.place
    if p.saved:
        return f"your {p.saved}"
    return p.name or (PLACE_NOUN.get(p.category, fallback) if p.category else fallback)


def brand_word(brand: str) -> str:
    """A lexicon brand as said back: "pnc" -> "PNC", "bank of america" -> "Bank of America"."""
    return " ".join(w.upper() if len(w) <= 3 and w not in _SMALL else
                    w if w in _SMALL else w[:1].upper() + w[1:] for w in brand.split())


_SMALL = {"of", "and", "the", "n", "in"}


def _stop_phrase(stop: PlannedStop) -> str:
    p = stop.place.place
    if p.saved:
        return f"your {p.saved}"
    cat = stop.spec.category or p.category
    noun = NOUN.get(cat, "stop") if cat else "stop"
    name = p.name or PLACE_NOUN.get(cat, "a nearby place") if cat else p.name or "a stop"
    wanted = stop.spec.prefer_name
    if wanted and cat and not brand_matches(wanted, p.name, stop.place.brand) and \
            wanted.lower() in _known_brands():
        # Never silently another brand: the one asked for is not near the way.
        return f"{noun} at {name} (no {brand_word(wanted)} near the way)"
    return f"{noun} at {name}"


def _known_brands() -> frozenset[str]:
    """The lexicon's brands: only these are said back (never the driver's free text)."""
    from copilot.nlu.lexicon import lexicon

    return frozenset(b for names in lexicon().brand_names.values() for b in names)


def _capital(s: str) -> str:
    return s[:1].upper() + s[1:]


def against_deadline(arrival: datetime, said: datetime, latest: datetime, flight: bool,
                     margin: bool = True) -> str:
    """How an arrival stands against what the driver said, with one meaning everywhere: the
    time left before the flight itself (or the arrive-by time). For a flight, `latest` is the
    flight less the check-in margin (the profile's airport buffer); with `margin`, the reply
    says how the arrival stands against that margin too, so the buffer is never left unstated.
    'That's 2 h 5 min before your 5:30 pm flight, 1 h 5 min more than your check-in margin.'"""
    what = f"your {clock(said)} flight" if flight else clock(said)
    before = (said - arrival).total_seconds()
    if before < 0:
        return f"That's {minutes(-before)} late for {what}."
    if not flight:
        return f"That's {minutes(before)} before {what}."
    left = (latest - arrival).total_seconds()
    buffer = minutes((said - latest).total_seconds())
    if left < 0:
        return f"That's only {minutes(before)} before {what}, inside your {buffer} check-in margin."
    if not margin:
        return f"That's {minutes(before)} before {what}."
    if left < 60:
        return f"That's {minutes(before)} before {what}, just your check-in margin."
    return (f"That's {minutes(before)} before {what}, {minutes(left)} more than your check-in "
            "margin.")


def route_reply(plan: TripPlan, dest_word: str | None, arrive_by: datetime | None,
                said: datetime | None = None, flight: bool = False) -> str:
    """'Burger at Five Guys, coffee at Starbucks, then your dry cleaner; at the airport 4:12 pm.'"""
    parts = [_stop_phrase(s) for s in plan.stops]
    if len(parts) > MAX_NAMED:
        parts = [*parts[:MAX_NAMED - 1], f"{len(parts) - MAX_NAMED + 1} more stops"]
    at = clock(plan.arrival)
    if plan.destination is None:
        where = "done by"
        lead = parts
    else:
        where = f"at {dest_word or 'the destination'}"
        lead = parts
    if not lead:
        word = dest_word or "your destination"
        text = (f"Heading {word}; there at {at}." if word in ("home", "work")
                else f"Heading to {word}; there at {at}.")
    elif plan.destination is None and len(lead) == 1:
        text = f"{_capital(lead[0])}, there at {at}."
    else:
        joined = lead[0] if len(lead) == 1 else ", ".join(lead[:-1]) + ", then " + lead[-1]
        text = f"{_capital(joined)}; {where} {at}."
    extra = []
    if plan.refuel_added is not None:
        word = "a charging stop" if plan.refuel_added == Category.EV_CHARGING else "a fuel stop"
        extra.append(f"Range is short, so I added {word}.")
    elif plan.over_detour:
        extra.append(f"The {plan.over_detour[0]} stop is a longer detour than you like.")
    if not extra and arrive_by is not None:
        if said is not None:  # measured against what the driver said (see against_deadline)
            extra.append(against_deadline(plan.arrival, said, arrive_by, flight))
        else:
            spare = (arrive_by - plan.arrival).total_seconds()
            extra.append(f"That leaves {minutes(spare)} to spare.")
    return " ".join([text, *extra[:1]])


def dest_word(place: MapPlace, asked: Category | None) -> str:
    p = place.place
    if p.saved:
        return p.saved if p.saved in ("home", "work") else f"your {p.saved}"
    if asked is not None and asked == Category.AIRPORT:
        return "the airport"
    return p.name or (f"the {PLACE_NOUN[asked]}" if asked else "the destination")
