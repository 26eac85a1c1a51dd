"""Read an .osm.pbf with osmium into the SQLite place index (R*Tree for space, FTS5 for names).

One pass over the file collects: places in any contract category (nodes, closed ways as
areas -> centroid), aerodrome outlines and terminals, and the nodes of public drivable roads
(for the map's bounding box, for the empty-map check, and for airport entry points).

An aerodrome's entry point is the public road node nearest to its terminal (or, without a
terminal, to its centroid) inside the aerodrome's box grown by 3 km that a route from the
map's hub really ends on (checked once the tiles exist, see pack.py): routing to the centroid
would snap to whatever road passes the runway, and an extract often cuts the airport's own
access roads into an island that no route reaches.
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from routing.categories import airport_rank, brand_of, categories_for
from routing.errors import CorruptMapError, EmptyMapError
from routing.messages import Category

log = logging.getLogger(__name__)

DRIVABLE = frozenset({
    "motorway", "trunk", "primary", "secondary", "tertiary", "unclassified", "residential",
    "motorway_link", "trunk_link", "primary_link", "secondary_link", "tertiary_link",
    "living_street", "service", "road",
})
ENTRY_SEARCH_M = 3_000.0

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE places (
    id INTEGER PRIMARY KEY, osm_type TEXT NOT NULL, osm_id INTEGER NOT NULL,
    name TEXT, brand TEXT, lat REAL NOT NULL, lon REAL NOT NULL,
    centroid_lat REAL NOT NULL, centroid_lon REAL NOT NULL,
    opening_hours TEXT, rank INTEGER NOT NULL DEFAULT 0, primary_category TEXT NOT NULL
);
CREATE UNIQUE INDEX places_osm ON places (osm_type, osm_id);
CREATE TABLE place_categories (place_id INTEGER NOT NULL, category TEXT NOT NULL);
CREATE INDEX place_categories_cat ON place_categories (category, place_id);
CREATE VIRTUAL TABLE places_rtree USING rtree (id, min_lat, max_lat, min_lon, max_lon);
CREATE VIRTUAL TABLE places_fts USING fts5 (name, brand, content='places', content_rowid='id');
CREATE TABLE entry_candidates (place_id INTEGER NOT NULL, ord INTEGER NOT NULL,
    lat REAL NOT NULL, lon REAL NOT NULL);
CREATE TABLE place_names (place_id INTEGER NOT NULL, lang TEXT NOT NULL, name TEXT NOT NULL);
CREATE INDEX place_names_id ON place_names (place_id, lang);
"""
NAME_LANGUAGES = ("ko",)
"""Languages the copilot replies in besides English: their `name:<lang>` tags are kept so a
reply names a place as the map has it in the driver's language."""
ENTRY_CANDIDATES = 400
"""Road nodes kept per airport, nearest the anchor first; the pack keeps the first that routes."""


@dataclass
class _Raw:
    osm_type: str
    osm_id: int
    tags: dict[str, str]
    lat: float
    lon: float
    categories: set[Category]
    bbox: tuple[float, float, float, float] | None = None


@dataclass
class _Collected:
    places: list[_Raw] = field(default_factory=list)
    terminals: list[tuple[float, float]] = field(default_factory=list)
    road_nodes: dict[int, tuple[float, float]] = field(default_factory=dict)
    drivable_ways: int = 0
    objects: int = 0
    skipped_relations: int = 0


def haversine_m(a_lat: float, a_lon: float, b_lat: float, b_lon: float) -> float:
    r = 6_371_000.0
    p1, p2 = math.radians(a_lat), math.radians(b_lat)
    dp, dl = p2 - p1, math.radians(b_lon - a_lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(h)))


def _ring_centroid(coords: list[tuple[float, float]]) -> tuple[float, float]:
    """Area-weighted centroid of a closed ring (lat, lon); vertex mean if degenerate."""
    a = cx = cy = 0.0
    for (y0, x0), (y1, x1) in zip(coords, coords[1:] + coords[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        a += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if abs(a) < 1e-14:
        return (sum(c[0] for c in coords) / len(coords), sum(c[1] for c in coords) / len(coords))
    return (cy / (3 * a), cx / (3 * a))


def _collect(pbf: Path, tick: Callable[[int], None]) -> _Collected:
    import osmium  # heavy: only when building

    out = _Collected()
    try:
        fp = osmium.FileProcessor(str(pbf)).with_locations().with_areas()
        for obj in fp:
            out.objects += 1
            if out.objects % 50_000 == 0:
                tick(out.objects)
            if obj.is_node():
                if not obj.tags:
                    continue
                tags = dict(obj.tags)
                cats = categories_for(tags)
                if cats and obj.location.valid():
                    loc = obj.location
                    out.places.append(_Raw("node", obj.id, tags, loc.lat, loc.lon, cats))
            elif obj.is_way():
                tags = dict(obj.tags)
                hw = tags.get("highway")
                if hw in DRIVABLE and tags.get("access") not in ("private", "no"):
                    out.drivable_ways += 1
                    for n in obj.nodes:
                        if n.location.valid():
                            out.road_nodes[n.ref] = (n.location.lat, n.location.lon)
                if not obj.is_closed() and categories_for(tags):
                    pts = [(n.location.lat, n.location.lon) for n in obj.nodes
                           if n.location.valid()]
                    if pts:
                        lat = sum(p[0] for p in pts) / len(pts)
                        lon = sum(p[1] for p in pts) / len(pts)
                        out.places.append(_Raw("way", obj.id, tags, lat, lon, categories_for(tags)))
            elif obj.is_area():
                tags = dict(obj.tags)
                cats = categories_for(tags)
                is_terminal = tags.get("aeroway") == "terminal"
                if not cats and not is_terminal:
                    continue
                if not obj.from_way():
                    out.skipped_relations += 1  # the contract's PLACE is a node or a way
                    continue
                rings = [[(n.lat, n.lon) for n in ring] for ring in obj.outer_rings()]
                ring = max(rings, key=len) if rings else []
                if len(ring) < 3:
                    continue
                lat, lon = _ring_centroid(ring[:-1] if ring[0] == ring[-1] else ring)
                if is_terminal:
                    out.terminals.append((lat, lon))
                if cats:
                    lats, lons = [p[0] for p in ring], [p[1] for p in ring]
                    box = (min(lats), min(lons), max(lats), max(lons))
                    out.places.append(_Raw("way", obj.orig_id(), tags, lat, lon, cats, box))
    except RuntimeError as exc:  # osmium reports unreadable input as RuntimeError
        raise CorruptMapError(f"{pbf.name} is not a readable OSM PBF extract ({exc})") from exc
    return out


def _entry_points(
    raw: _Raw, terminals: list[tuple[float, float]], roads: list[tuple[float, float]]
) -> tuple[list[tuple[float, float]], bool]:
    """(candidate entry points, nearest the anchor first; has_terminal) for an airport."""
    box = raw.bbox or (raw.lat, raw.lon, raw.lat, raw.lon)
    grow_lat = ENTRY_SEARCH_M / 111_000.0
    grow_lon = grow_lat / max(0.1, math.cos(math.radians(raw.lat)))
    lo_lat, lo_lon = box[0] - grow_lat, box[1] - grow_lon
    hi_lat, hi_lon = box[2] + grow_lat, box[3] + grow_lon
    inside = [t for t in terminals if box[0] <= t[0] <= box[2] and box[1] <= t[1] <= box[3]]
    anchor = min(inside, key=lambda t: haversine_m(t[0], t[1], raw.lat, raw.lon)) if inside \
        else (raw.lat, raw.lon)
    near = [r for r in roads if lo_lat <= r[0] <= hi_lat and lo_lon <= r[1] <= hi_lon]
    near.sort(key=lambda r: haversine_m(r[0], r[1], anchor[0], anchor[1]))
    return (near[:ENTRY_CANDIDATES] or [anchor]), bool(inside)


def build_place_index(
    pbf: Path, db_path: Path, tick: Callable[[int], None] = lambda _n: None
) -> dict[str, object]:
    """Build the SQLite index at db_path; returns the meta (bbox, counts). Raises MapError."""
    if not pbf.is_file():
        raise CorruptMapError(f"map file not found: {pbf}")
    if pbf.stat().st_size == 0:
        raise EmptyMapError(f"{pbf.name} is empty (0 bytes): it holds no roads")
    col = _collect(pbf, tick)
    if col.drivable_ways == 0 or not col.road_nodes:
        raise EmptyMapError(f"{pbf.name} holds no drivable roads ({col.objects} OSM objects)")
    roads = list(col.road_nodes.values())
    lats, lons = [r[0] for r in roads], [r[1] for r in roads]
    bbox = (min(lats), min(lons), max(lats), max(lons))

    db_path.unlink(missing_ok=True)
    con = sqlite3.connect(db_path)
    con.executescript(SCHEMA)
    counts: dict[str, int] = {c.value: 0 for c in Category}
    seen: set[tuple[str, int]] = set()
    for raw in col.places:
        if (raw.osm_type, raw.osm_id) in seen:
            continue
        seen.add((raw.osm_type, raw.osm_id))
        lat, lon, rank = raw.lat, raw.lon, 0
        entries: list[tuple[float, float]] = []
        if Category.AIRPORT in raw.categories:
            entries, has_terminal = _entry_points(raw, col.terminals, roads)
            lat, lon = entries[0]
            rank = airport_rank(raw.tags, has_terminal)
        primary = min(raw.categories, key=lambda c: list(Category).index(c))
        cur = con.execute(
            "INSERT INTO places (osm_type, osm_id, name, brand, lat, lon, centroid_lat,"
            " centroid_lon, opening_hours, rank, primary_category)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (raw.osm_type, raw.osm_id, raw.tags.get("name"), brand_of(raw.tags), lat, lon,
             raw.lat, raw.lon, raw.tags.get("opening_hours"), rank, primary.value),
        )
        pid = cur.lastrowid
        con.executemany("INSERT INTO place_names VALUES (?,?,?)",
                        [(pid, lang, raw.tags[f"name:{lang}"][:120]) for lang in NAME_LANGUAGES
                         if raw.tags.get(f"name:{lang}")])
        con.executemany("INSERT INTO entry_candidates VALUES (?,?,?,?)",
                        [(pid, i, e[0], e[1]) for i, e in enumerate(entries)])
        con.execute("INSERT INTO places_rtree VALUES (?,?,?,?,?)", (pid, lat, lat, lon, lon))
        for c in raw.categories:
            con.execute("INSERT INTO place_categories VALUES (?,?)", (pid, c.value))
            counts[c.value] += 1
    con.execute("INSERT INTO places_fts (places_fts) VALUES ('rebuild')")
    meta: dict[str, object] = {
        "bbox": bbox, "counts": counts, "objects": col.objects,
        "drivable_ways": col.drivable_ways, "skipped_relations": col.skipped_relations,
    }
    con.executemany("INSERT INTO meta VALUES (?,?)", [(k, json.dumps(v)) for k, v in meta.items()])
    centre = ((bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2)
    hub = min(roads, key=lambda r: haversine_m(r[0], r[1], centre[0], centre[1]))
    con.execute("INSERT INTO meta VALUES ('hub', ?)", (json.dumps(hub),))
    con.commit()
    con.close()
    log.info("place index %s: %d places, bbox %s", db_path, len(seen), bbox)
    return meta
