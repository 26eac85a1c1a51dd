"""Turn what was said into places the planner can use: destinations, stops, deadlines.

"my dry cleaner" / "home" are saved places from the profile and win over the map; a category
is searched on the map; a name ("Five Guys") is looked up by full-text search (and, with a
category, preferred among that category). Deadlines: `arrive_by` directly, `flight_time`
less the profile's airport buffer, both on the turn's own date and offset.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from copilot.dialog.replies import PLACE_NOUN
from routing.candidates import find_candidates
from routing.errors import NoCandidatesError, OutsideMapError, UnknownSavedPlaceError
from routing.messages import Category, CategoryRef, Destination, NameRef, Place, SavedRef
from routing.messages import StopRequest as StopAsk
from routing.pack import RegionPack
from routing.places import MapPlace
from routing.profile import LABEL_KINDS, Profile
from routing.router import Keep, LatLon
from routing.trip import StopSpec

log = logging.getLogger(__name__)


class Clarify(Exception):
    """The request is ambiguous or incomplete: ask the driver (needs_clarification)."""


@dataclass(frozen=True)
class Deadline:
    at: datetime
    """Latest arrival at the destination."""
    said: datetime
    """What the driver said (the flight time, or the arrive-by time)."""
    is_flight: bool


def hhmm_on(now: datetime, hhmm: str) -> datetime:
    """HH:MM on the turn's date and offset; a time more than an hour past means tomorrow."""
    h, m = (int(x) for x in hhmm.split(":"))
    t = now.replace(hour=h, minute=m, second=0, microsecond=0)
    if t < now - timedelta(hours=1):
        t += timedelta(days=1)
    return t


_MORNING = re.compile(r"\b(a\.?m\.?|morning|tomorrow)\b|\d(am|a\.m\.)", re.IGNORECASE)


def said_clock(now: datetime, hhmm: str, text: str = "") -> datetime:
    """HH:MM as the driver meant it: "by 7" said at 3 pm is 7 pm today, not 7 am tomorrow.

    Understandings carry 24-hour times without saying whether "am" was spoken; when the
    utterance `text` is given and names no morning, a morning hour that would fall tomorrow
    is read as the same hour in the evening when that comes sooner.
    """
    t = hhmm_on(now, hhmm)
    h, m = (int(x) for x in hhmm.split(":"))
    if text and h < 12 and not _MORNING.search(text):
        evening = hhmm_on(now, f"{h + 12:02d}:{m:02d}")
        t = min(t, evening)
    return t


def deadline(now: datetime, arrive_by: str | None, flight_time: str | None,
             profile: Profile, text: str = "") -> Deadline | None:
    """The arrival to meet; `text` (the utterance) lets "by 7" at 3 pm mean 7 pm."""
    flight = flight_time or profile.flight_time
    if flight:
        said = said_clock(now, flight, text if flight_time else "")
        buffer = timedelta(minutes=profile.preferences.airport_buffer_min)
        at = said - buffer
        if arrive_by:
            at = min(at, said_clock(now, arrive_by, text))
        return Deadline(at, said, True)
    if arrive_by:
        t = said_clock(now, arrive_by, text)
        return Deadline(t, t, False)
    return None


def _check_on_map(pack: RegionPack, place: Place, what: str) -> None:
    if not pack.contains(place.lat, place.lon):
        raise OutsideMapError(f"{what} is outside the on-board map.")


def saved_place(pack: RegionPack, profile: Profile, label: str,
                category: Category | None = None) -> MapPlace:
    place = profile.find_saved(label, category)  # UnknownSavedPlaceError -> clarification
    label_word = place.saved or label
    _check_on_map(pack, place, f"Your {label_word}")
    return MapPlace(place=place)


def named_place(pack: RegionPack, name: str, near: LatLon,
                category: Category | None = None) -> MapPlace:
    found = pack.places.search_name(name, limit=25)
    if not found and "," in name:
        # "Ferry Building, San Francisco": the map's names rarely carry the town; the place
        # is looked up by its own name (the town said only placed it).
        found = pack.places.search_name(name.split(",")[0], limit=25)
    if category is not None:
        same = [m for m in found if category in pack.places.categories_of(
            str(m.place.osm_type), int(m.place.osm_id or 0))]
        found = same or found
    if not found:
        # Never read the driver's words back as a place name (issue 13: "I can't find lose
        # the police behind me on this map").
        raise NoCandidatesError("name", "I can't find that place on this map.")
    best = min(found, key=lambda m: (m.place.lat - near[0]) ** 2 + (m.place.lon - near[1]) ** 2)
    if category is not None:
        best = MapPlace(best.place.model_copy(update={"category": category}), best.brand,
                        best.opening_hours, best.rank)
    return best


def destination(pack: RegionPack, profile: Profile, ref: Destination, origin: LatLon,
                depart: datetime, avoid: tuple[Keep, ...]) -> MapPlace:
    if isinstance(ref, SavedRef):
        kind = LABEL_KINDS.get(ref.saved)
        try:
            return saved_place(pack, profile, ref.saved, kind)
        except UnknownSavedPlaceError:
            if kind is None:
                raise
            ref = CategoryRef(category=kind)
    if isinstance(ref, NameRef):
        return named_place(pack, ref.name, origin)
    if isinstance(ref, CategoryRef):
        cands = find_candidates(
            pack.places, pack.router, ref.category, origin, None, depart,
            avoid_brands=profile.preferences.avoid_brands, keep=5,
            max_detour_s=profile.preferences.max_detour_min * 60.0 * 6, avoid=avoid)
        return cands[0].place
    raise Clarify("Where would you like to go?")


_MY = re.compile(r"\b(my|our)\s+(\w+(?:\s+\w+)?)", re.IGNORECASE)


def said_my(text: str, profile: Profile, category: Category) -> Place | None:
    """The saved place the driver meant by "my dry cleaning" when the parse kept a category.

    Saved places win over the map when the driver says "my": a saved place of the category
    whose label (or the category's own words) follows "my" in the utterance.
    """
    same = [p for p in profile.saved.values() if p.category == category]
    if not same:
        return None
    cat_words = set(category.value.split("_")) | set(PLACE_NOUN[category].split())
    for m in _MY.finditer(text):
        said = {w.lower().rstrip("s") for w in m.group(2).split()}
        for p in same:
            label_words = {w.rstrip("s") for w in (p.saved or "").split()}
            if said & (label_words | {w.rstrip("s") for w in cat_words}):
                return p
    return None


def stop_spec(pack: RegionPack, profile: Profile, ask: StopAsk, origin: LatLon,
              text: str = "") -> StopSpec:
    if ask.saved:
        try:
            fixed = saved_place(pack, profile, ask.saved, ask.category)
        except UnknownSavedPlaceError:
            kind = LABEL_KINDS.get(ask.saved)
            if kind is None:
                raise
            return StopSpec(category=kind, exclude_brands=ask.exclude_brands,
                            label=PLACE_NOUN.get(kind, kind.value))
        return StopSpec(fixed=fixed, label=f"your {fixed.place.saved}")
    if ask.category is not None and text:
        mine = said_my(text, profile, ask.category)
        if mine is not None and mine.saved:
            fixed = saved_place(pack, profile, mine.saved, ask.category)
            return StopSpec(fixed=fixed, label=f"your {mine.saved}")
    if ask.category is not None:
        label = PLACE_NOUN.get(ask.category, ask.category.value)
        return StopSpec(category=ask.category, exclude_brands=ask.exclude_brands,
                        label=label, prefer_name=ask.name)
    if ask.name:
        fixed = named_place(pack, ask.name, origin)
        return StopSpec(fixed=fixed, label=fixed.place.name or ask.name)
    raise Clarify("Which kind of stop do you need?")


def trip_place(pack: RegionPack, place: Place) -> MapPlace:
    """A place of the trip in progress as a MapPlace (opening hours from the index)."""
    if place.osm_type is not None and place.osm_id is not None:
        known = pack.places.get_map_place(place.osm_type, place.osm_id)
        if known is not None:
            clean = Place(**place.model_dump(include=set(Place.model_fields)))
            return MapPlace(clean, known.brand, known.opening_hours, known.rank)
    return MapPlace(Place(**place.model_dump(include=set(Place.model_fields))))
