"""Places checked against the on-board map, the user's saved places and live hazards.

A place leaves the car only if it is in the on-board index (same osm_type/osm_id, a matching
category, the same position) or is one of the user's saved places, lies inside the region
the map covers, is not inside an active hazard and is not known to be closed at arrival.
Its name is the sanitised name from the map or profile; a name that carries instructions is
removed (neutralised) and counted, never echoed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from routing.messages import Category, Place
from safety.codes import Reason
from safety.gate import TurnContext, Verdict
from safety.geo import finite, haversine_m, in_bbox
from safety.text import FLAG_INSTRUCTION, sanitize_untrusted

log = logging.getLogger(__name__)

MAX_NAME_CHARS = 120
"""Android Automotive's default maxStringLength under UX restrictions (safety/POLICY.md)."""
REGION_MARGIN_DEG = 0.01
"""About 1 km: a pack's bbox is that of its roads, and places at the edge sit just outside."""
POSITION_TOLERANCE_M = 250.0
"""A proposed place may sit this far from the index's point (way centroids, rounding)."""

_C = Category
_COMPATIBLE: frozenset[frozenset[Category]] = frozenset({
    frozenset({_C.BURGER, _C.FAST_FOOD}),
    frozenset({_C.BURGER, _C.RESTAURANT}),
    frozenset({_C.PIZZA, _C.FAST_FOOD}),
    frozenset({_C.PIZZA, _C.RESTAURANT}),
    frozenset({_C.FAST_FOOD, _C.RESTAURANT}),
    frozenset({_C.COFFEE, _C.BAKERY}),
    frozenset({_C.COFFEE, _C.FAST_FOOD}),
    frozenset({_C.COFFEE, _C.RESTAURANT}),
    frozenset({_C.COFFEE, _C.GROCERY}),
    frozenset({_C.BAKERY, _C.GROCERY}),
    frozenset({_C.BANK, _C.ATM}),
    frozenset({_C.TRAIN_STATION, _C.BUS_STATION}),
})
"""Category pairs one place can honestly carry both of (a burger bar is fast food, a bank
with a cash machine is an ATM), following routing/categories.py. Used only when the caller
gives no `place_categories` lookup (which answers exactly)."""


def categories_match(asked: Category | None, actual: Category | None) -> bool:
    if asked is None or asked == actual:
        return True
    return actual is not None and frozenset({asked, actual}) in _COMPATIBLE


@dataclass
class PlaceFindings:
    """Accumulates verdicts and the raw hostile names to scrub from replies."""

    check: str
    verdicts: list[Verdict] = field(default_factory=list)
    hostile_names: set[str] = field(default_factory=set)

    def reject(self, reason: Reason, detail: str) -> None:
        self.verdicts.append(Verdict(self.check, "rejected", reason, detail[:200], 1))


def _clean_name(
    name: str | None, findings: PlaceFindings, raw: tuple[str | None, ...]
) -> str | None:
    if name is None:
        return None
    clean, flags = sanitize_untrusted(name, MAX_NAME_CHARS)
    if FLAG_INSTRUCTION in flags:
        findings.hostile_names.update(r for r in raw if r)
        findings.verdicts.append(
            Verdict(findings.check, "fixed", Reason.PLACE_NAME_NEUTRALISED, clean[:60], 1)
        )
        return None
    if flags:
        findings.verdicts.append(
            Verdict(findings.check, "fixed", Reason.TEXT_INVISIBLE, ",".join(flags), 1)
        )
    return clean or None


def _category_ok(asked: Category | None, known: Place, key: tuple[str, int],
                 ctx: TurnContext) -> bool:
    """Does the map file this place under the proposed category (any of its categories)?"""
    if asked is None or asked == known.category:
        return True
    if ctx.place_categories is None:
        return categories_match(asked, known.category)
    try:
        return asked in ctx.place_categories(*key)
    except Exception:  # the caller's index failed: fall back to the fixed table
        log.warning("place_categories failed for %s/%s", *key)
        return categories_match(asked, known.category)


def _reference(place: Place, ctx: TurnContext, f: PlaceFindings) -> Place | None:
    """The map's or profile's own record of the place, or None (with a verdict) if none."""
    if place.osm_type is not None and place.osm_id is not None:
        try:
            known = ctx.known_place(place.osm_type, place.osm_id)
        except Exception as e:  # the caller's index failed (locked, closed): fail closed
            f.reject(Reason.PLACE_LOOKUP_FAILED, f"{type(e).__name__}: {e}")
            return None
        if not isinstance(known, Place):
            f.reject(Reason.PLACE_UNKNOWN, f"{place.osm_type}/{place.osm_id}")
            return None
        if not _category_ok(place.category, known, (place.osm_type, place.osm_id), ctx):
            f.reject(Reason.PLACE_CATEGORY_MISMATCH,
                     f"{place.osm_type}/{place.osm_id}: {place.category} vs {known.category}")
            return None
        return known
    if place.saved is not None:
        saved = ctx.saved_places.get(place.saved)
        if saved is None:
            f.reject(Reason.SAVED_PLACE_UNKNOWN, place.saved[:60])
        return saved
    f.reject(Reason.PLACE_UNIDENTIFIED, "neither an osm id nor a saved label")
    return None


def check_place(place: Place, ctx: TurnContext, f: PlaceFindings) -> Place | None:
    """The place as it may leave (map name, neutralised if hostile), or None if refused."""
    if not finite(place.lat, place.lon):
        f.reject(Reason.PLACE_NOT_FINITE, f"{place.lat},{place.lon}")
        return None
    if not in_bbox(place.lat, place.lon, ctx.region_bbox, REGION_MARGIN_DEG):
        f.reject(Reason.PLACE_OUTSIDE_REGION, f"{place.lat:.5f},{place.lon:.5f}")
        return None
    ref = _reference(place, ctx, f)
    if ref is None:
        return None
    off_m = haversine_m(place.lat, place.lon, ref.lat, ref.lon)
    if not off_m <= POSITION_TOLERANCE_M:  # also catches a NaN reference
        f.reject(Reason.PLACE_MOVED, f"{off_m:.0f} m from the map's point")
        return None
    for hz in ctx.hazards:
        if haversine_m(ref.lat, ref.lon, hz.lat, hz.lon) <= hz.radius_m:
            f.reject(Reason.PLACE_IN_HAZARD, f"{hz.kind} within {hz.radius_m:.0f} m")
            return None
    key: tuple[str, int] | str = (
        (place.osm_type, place.osm_id) if place.osm_type and place.osm_id is not None
        else str(place.saved)
    )
    if ctx.open_at_arrival.get(key) is False:
        f.reject(Reason.PLACE_CLOSED, str(key))
        return None
    name = _clean_name(ref.name, f, (ref.name, place.name))
    if place.name is not None and place.name != ref.name:
        # The proposal renamed the place: the map's name wins. The proposal's name is still
        # checked so that, if it carries instructions, it is counted and scrubbed from replies.
        _clean_name(place.name, f, (place.name,))
    return place.model_copy(update={
        "name": name, "lat": ref.lat, "lon": ref.lon,
        "category": place.category or ref.category,
    })
