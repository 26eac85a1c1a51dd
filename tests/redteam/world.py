"""The red-team world: the crafted map's places, a turn context over them, case expansion.

The crafted map (crafted.osm) is a small road grid whose places carry hostile names. Until a
region pack is built from it, `known_place` reads the places straight from the XML with the
same category rules the routing pack uses for these tags; tests/test_safety_redteam.py also
runs the place cases over a real `routing.pack.RegionPack` built from the converted .pbf.
"""

from __future__ import annotations

import itertools
import math
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from routing.messages import Avoid, Category, Place, Understanding
from safety.gate import PlaceLookup, TurnContext
from sensors.messages import HazardEvent
from sensors.state import VehicleSnapshot

HERE = Path(__file__).resolve().parent
CRAFTED_OSM = HERE / "crafted.osm"
CASES = HERE / "cases.yaml"
NOW = datetime.fromisoformat("2026-11-25T15:00:00-05:00")
START = (40.3006, -76.7994)
BBOX = (40.3, -76.8, 40.3125, -76.7875)
"""What routing.pack.RegionPack reports for the crafted map (the road network's extent)."""
SAVED = {
    "home": Place(saved="home", lat=40.3110, lon=-76.7880),
    "mom's house": Place(saved="mom's house", name="Jane Doe", lat=40.3060, lon=-76.7960),
    "dry cleaner": Place(saved="dry cleaner", name="Main Street Cleaners", category="dry_cleaning",
                         lat=40.3103, lon=-76.7947),
}


def _category(tags: Mapping[str, str]) -> Category | None:
    amenity, cuisine = tags.get("amenity"), tags.get("cuisine", "")
    if "burger" in cuisine:
        return Category.BURGER
    if "pizza" in cuisine:
        return Category.PIZZA
    table = {"cafe": Category.COFFEE, "fuel": Category.FUEL, "pharmacy": Category.PHARMACY,
             "restaurant": Category.RESTAURANT, "fast_food": Category.FAST_FOOD}
    if amenity in table:
        return table[amenity]
    return Category.DRY_CLEANING if tags.get("shop") == "dry_cleaning" else None


def crafted_places(path: Path = CRAFTED_OSM) -> dict[tuple[str, int], Place]:
    """Every tagged place node of the crafted map, as the place index would return it."""
    out: dict[tuple[str, int], Place] = {}
    for node in ET.parse(path).getroot().iter("node"):
        tags = {t.get("k", ""): t.get("v", "") for t in node.iter("tag")}
        cat = _category(tags)
        if cat is None:
            continue
        oid = int(node.get("id", "0"))
        out[("node", oid)] = Place(osm_type="node", osm_id=oid, name=tags.get("name"),
                                   category=cat, lat=float(node.get("lat", "nan")),
                                   lon=float(node.get("lon", "nan")))
    return out


PLACES = crafted_places()


def xml_lookup(osm_type: str, osm_id: int) -> Place | None:
    return PLACES.get((osm_type, osm_id))


def context(spec: Mapping[str, Any] | None = None, moving: bool = True,
            known_place: PlaceLookup = xml_lookup,
            bbox: tuple[float, float, float, float] = BBOX) -> TurnContext:
    spec = dict(spec or {})
    veh = dict(spec.pop("vehicle", {}))
    vehicle = VehicleSnapshot(
        lat=veh.get("lat", START[0]), lon=veh.get("lon", START[1]),
        speed_kph=veh.get("speed_kph", 50.0 if moving else 0.0),
        gear=veh.get("gear", "D" if moving else "P"),
        range_m=veh.get("range_m", 90_000.0), fuel_percent=veh.get("fuel_percent", 40.0),
        soc_percent=veh.get("soc_percent"),
    )
    hazards = tuple(HazardEvent(sources=("radar", "camera"), ts=1_764_100_800.0, **h)
                    for h in spec.pop("hazards", ()))
    arrive_by = spec.pop("arrive_by", None)
    open_at = {(("node", int(k)) if str(k).isdigit() else str(k)): bool(v)
               for k, v in spec.pop("open", {}).items()}
    if "avoid" in spec:  # road kinds from the profile
        spec["avoid"] = tuple(Avoid(k) for k in spec["avoid"])
    return TurnContext(
        vehicle=vehicle, now=NOW, region_bbox=bbox, known_place=known_place,
        saved_places=SAVED, hazards=hazards,
        arrive_by=datetime.fromisoformat(arrive_by) if arrive_by else None,
        open_at_arrival=open_at, **spec,
    )


def _place(ref: Any, lookup: Callable[[str, int], Place | None]) -> dict[str, Any]:
    """'@1002' (crafted place), '@saved:home', or a dict with '@' plus overrides."""
    over: dict[str, Any] = {}
    if isinstance(ref, dict) and "@" in ref:
        over = {k: v for k, v in ref.items() if k != "@"}
        ref = f"@{ref['@']}"
    if isinstance(ref, str) and ref.startswith("@saved:"):
        base = SAVED[ref[7:]].model_dump(mode="json")
    elif isinstance(ref, str) and ref.startswith("@"):
        found = lookup("node", int(ref[1:]))
        base = (found.model_dump(mode="json") if found else
                {"osm_type": "node", "osm_id": int(ref[1:]), "lat": 40.305, "lon": -76.795})
    else:
        return dict(ref)
    base.update(over)
    return base


def _crow(a: tuple[float, float], b: tuple[float, float]) -> float:
    dy = (b[0] - a[0]) * 111_195.0
    dx = (b[1] - a[1]) * 111_195.0 * math.cos(math.radians(a[0]))
    return math.hypot(dx, dy)


def _route(spec: dict[str, Any], lookup: Callable[[str, int], Place | None]) -> dict[str, Any]:
    """Expand a route shorthand into a contract ROUTE with ETAs and a densified geometry."""
    stops = [_place(s, lookup) for s in spec.get("stops", [])]
    dest = _place(spec["destination"], lookup)
    pts = [START] + [(p["lat"], p["lon"]) for p in (*stops, dest)]
    t = NOW + timedelta(seconds=spec.get("eta_shift_s", 0))
    dist = 0.0
    for p, a, b in zip((*stops, dest), pts, pts[1:], strict=False):
        leg = 1.3 * _crow(a, b) + 50.0
        dist += leg
        t += timedelta(seconds=leg / 8.0 + 120.0)  # 8 m/s in town, 2 min per stop
        p["eta"] = t.isoformat()
    geometry = [[a[0] + (b[0] - a[0]) * k / 10, a[1] + (b[1] - a[1]) * k / 10]
                for a, b in itertools.pairwise(pts) for k in range(10)] + [list(pts[-1])]
    return {"stops": stops, "destination": dest,
            "distance_m": spec.get("distance_m", dist),
            "duration_s": spec.get("duration_s", (t - NOW).total_seconds()
                                   - spec.get("eta_shift_s", 0)),
            "geometry": spec.get("geometry", geometry), "avoid": spec.get("avoid", [])}


def expand_actions(actions: Any, lookup: Callable[[str, int], Place | None]) -> Any:
    """Actions with place/route shorthands expanded; anything else passes through as is."""
    if not isinstance(actions, list):
        return actions
    out = []
    for a in actions:
        if isinstance(a, dict) and a.get("type") == "show_places" and "places" in a:
            a = {**a, "places": [_place(p, lookup) for p in a["places"]]}
        elif isinstance(a, dict) and a.get("type") == "set_route" and "route" in a:
            a = {**a, "route": _route(dict(a["route"]), lookup)}
        out.append(a)
    return out


def understanding(case: Mapping[str, Any]) -> Any:
    if "understanding_raw" in case:
        return case["understanding_raw"]
    return Understanding.model_validate({
        "text": case["text"], "intent": case.get("intent", "navigate"),
        "destination": case.get("destination"), "stops": case.get("stops", []),
        "arrive_by": case.get("arrive_by"), "flight_time": case.get("flight_time"),
        "confidence": case.get("confidence", 0.9), "source": case.get("source", "local_llm"),
        "avoid": case.get("avoid", []), "error": case.get("error"),
    })


def load_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = yaml.safe_load(CASES.read_text(encoding="utf-8"))["cases"]
    return cases
