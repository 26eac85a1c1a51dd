"""Region packs from the real extracts: categories, airport entry, cache, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_routing_support import baltimore, harrisburg, pack_cache, pbf

from routing.errors import CorruptMapError, EmptyMapError, OutsideMapError
from routing.messages import Category
from routing.pack import RegionPack
from routing.places_build import haversine_m

__all__ = ["baltimore", "harrisburg", "pack_cache"]


def names(pack: RegionPack, cat: Category) -> set[str]:
    return {m.place.name or "" for m in pack.places.all_of(cat)}


def test_harrisburg_has_the_airport_run(harrisburg: RegionPack) -> None:
    airports = harrisburg.places.all_of(Category.AIRPORT)
    assert [a.place.name for a in airports] == ["Capital City Airport"]
    burgers = names(harrisburg, Category.BURGER)
    assert {"Five Guys", "McDonald's", "Burger King", "Wendy's"} <= burgers
    coffee = names(harrisburg, Category.COFFEE)
    assert "Starbucks" in coffee and any(n.startswith("Dunkin") for n in coffee)
    assert harrisburg.places.count(Category.FUEL) == 18
    assert harrisburg.places.count(Category.DRY_CLEANING) == 0
    # Helipads are tagged aeroway=helipad/aerodrome here too: none of them is an airport.
    assert not any("Heli" in n for n in names(harrisburg, Category.AIRPORT))


def test_airport_entry_point_is_where_a_route_really_ends(harrisburg: RegionPack) -> None:
    ap = harrisburg.places.all_of(Category.AIRPORT)[0]
    # The map's own record keeps the aerodrome's id; lat/lon is the road-reachable entry.
    assert (ap.place.osm_type, ap.place.osm_id) == ("way", 149758790)
    assert ap.rank >= 2  # ref CXY
    start = (40.2770, -76.8240)
    route = harrisburg.router.route([start, (ap.place.lat, ap.place.lon)])
    end = route.geometry[-1]
    assert haversine_m(end[0], end[1], ap.place.lat, ap.place.lon) < 30.0
    # The aerodrome's own access roads are an island in this extract: snapping the centroid
    # would end the route somewhere else, far from where we said.
    centroid = (40.2178, -76.8513)
    r2 = harrisburg.router.route([start, centroid])
    assert haversine_m(r2.geometry[-1][0], r2.geometry[-1][1], *centroid) > 100.0


def test_baltimore_dry_cleaners_and_no_airport(baltimore: RegionPack) -> None:
    cleaners = baltimore.places.all_of(Category.DRY_CLEANING)
    assert len(cleaners) == 3
    assert {"Fresh Cleaners", "Cleaners"} <= {c.place.name for c in cleaners}
    assert "Gough Street Laundromat" not in {c.place.name for c in cleaners}
    assert baltimore.places.count(Category.AIRPORT) == 0  # "Pier 7 Helipad" is no airport


def test_lookup_by_id_and_name(harrisburg: RegionPack) -> None:
    ap = harrisburg.places.all_of(Category.AIRPORT)[0].place
    assert harrisburg.places.get("way", 149758790) == ap
    assert harrisburg.places.get("node", 1) is None
    hits = harrisburg.places.search_name("five guys")
    assert hits and hits[0].place.name == "Five Guys"


def test_reopening_reuses_the_pack(harrisburg: RegionPack, pack_cache: Path) -> None:
    again = RegionPack.open(pbf("harrisburg"), pack_cache)
    assert again.path == harrisburg.path
    manifest = json.loads((again.path / "manifest.json").read_text())
    assert manifest["sha256"] == again.path.name
    assert not list(pack_cache.glob(".build-*"))  # no half-built leftovers


def test_start_outside_the_map_is_a_clear_error(harrisburg: RegionPack) -> None:
    with pytest.raises(OutsideMapError, match="outside the on-board map"):
        harrisburg.check_inside(39.29, -76.61)  # Baltimore
    harrisburg.check_inside(40.277, -76.824)


def test_corrupt_pbf(tmp_path: Path) -> None:
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"this is not a protobuf" * 100)
    with pytest.raises(CorruptMapError, match=r"bad\.osm\.pbf"):
        RegionPack.open(bad, tmp_path / "cache")
    truncated = tmp_path / "cut.osm.pbf"
    truncated.write_bytes(pbf("harrisburg").read_bytes()[:5000])
    with pytest.raises(CorruptMapError):
        RegionPack.open(truncated, tmp_path / "cache")
    with pytest.raises(CorruptMapError, match="not found"):
        RegionPack.open(tmp_path / "missing.osm.pbf", tmp_path / "cache")
    assert not list((tmp_path / "cache").glob("*"))  # nothing half-built was kept


def test_empty_maps(tmp_path: Path) -> None:
    import osmium

    empty = tmp_path / "empty.osm.pbf"
    empty.write_bytes(b"")
    with pytest.raises(EmptyMapError, match="empty"):
        RegionPack.open(empty, tmp_path / "cache")
    no_roads = tmp_path / "noroads.osm.pbf"
    with osmium.SimpleWriter(str(no_roads)) as w:
        w.add_node(osmium.osm.mutable.Node(id=1, location=(-76.8, 40.27),
                                           tags={"amenity": "cafe", "name": "Lonely"}))
    with pytest.raises(EmptyMapError, match="no drivable roads"):
        RegionPack.open(no_roads, tmp_path / "cache")
