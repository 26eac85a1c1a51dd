"""What the simulator reads from the .pbf itself: the road network (to draw it in the
report) and every named or tagged object (to check that no place was invented).

This is deliberately independent of the copilot's own place index: a check that trusted
the index under test could not catch it inventing a place. Read once per file (cached by
content hash under ~/.cache/copilot/sim).
"""

from __future__ import annotations

import hashlib
import logging
import pickle
from dataclasses import dataclass, field
from pathlib import Path

from copilot.sim.geo import polyline_distance_m

log = logging.getLogger(__name__)

CACHE_DIR = Path.home() / ".cache" / "copilot" / "sim"
CACHE_VERSION = 3
DRIVABLE = {
    "motorway": 1, "trunk": 1, "motorway_link": 2, "trunk_link": 2, "primary": 2,
    "primary_link": 3, "secondary": 3, "secondary_link": 3, "tertiary": 3, "tertiary_link": 4,
    "unclassified": 4, "residential": 4, "living_street": 4, "service": 5, "road": 4,
}
"""highway=* -> drawing rank (1 widest); footways and paths are not drawn."""
DEFAULT_KPH = {
    "motorway": 105.0, "trunk": 90.0, "motorway_link": 60.0, "trunk_link": 60.0,
    "primary": 70.0, "primary_link": 50.0, "secondary": 60.0, "secondary_link": 50.0,
    "tertiary": 50.0, "tertiary_link": 40.0, "unclassified": 40.0, "residential": 40.0,
    "living_street": 15.0, "service": 20.0, "road": 40.0,
}
"""Typical limits where a road carries no maxspeed (urban US/EU values)."""
NODE_TOLERANCE_M = 300.0
"""A place on a route may be snapped to the road next to it (an entry point)."""
WAY_TOLERANCE_M = 1500.0
"""From an area's outline: an airport's road-reachable entry point can be a long access road
away from the aerodrome's fence."""
OUTLINE_POINTS = 24


@dataclass(frozen=True, slots=True)
class MapObject:
    """A tagged node or way as the map file has it."""

    outline: tuple[tuple[float, float], ...]
    """One point for a node; up to OUTLINE_POINTS of a way's nodes."""
    name: str | None
    tolerance_m: float

    def distance_m(self, lat: float, lon: float) -> float:
        return polyline_distance_m((lat, lon), self.outline)


@dataclass
class MapData:
    roads: list[tuple[int, list[tuple[float, float]]]] = field(default_factory=list)
    """(rank, [(lat, lon), ...]) per drivable way."""
    road_speeds_kph: list[float] = field(default_factory=list)
    """Speed limit of each road in `roads` (maxspeed, else a default for its class)."""
    objects: dict[tuple[str, int], MapObject] = field(default_factory=dict)
    """(osm_type, osm_id) -> the object, for every tagged node and way."""
    bbox: tuple[float, float, float, float] = (90.0, 180.0, -90.0, -180.0)

    def known_place(self, osm_type: str, osm_id: int) -> MapObject | None:
        return self.objects.get((osm_type, osm_id))


def _file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:20]


def load_map_data(pbf: str | Path, cache_dir: Path | None = None) -> MapData:
    path = Path(pbf)
    cache = (cache_dir or CACHE_DIR) / f"{_file_hash(path)}-v{CACHE_VERSION}.pickle"
    if cache.is_file():
        try:
            with cache.open("rb") as f:
                data: MapData = pickle.load(f)
            return data
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            log.warning("unreadable map cache %s; reading the .pbf again", cache)
    data = _read(path)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        with tmp.open("wb") as f:
            pickle.dump(data, f)
        tmp.replace(cache)
    except OSError as e:
        log.warning("cannot cache map data at %s: %s", cache, e)
    return data


def _read(path: Path) -> MapData:
    import osmium  # heavy; only when a map is actually read

    data = MapData()
    min_lat, min_lon, max_lat, max_lon = 90.0, 180.0, -90.0, -180.0
    fp = osmium.FileProcessor(str(path)).with_locations()
    for obj in fp:
        if not isinstance(obj, osmium.osm.Node | osmium.osm.Way) or not len(obj.tags):
            continue
        tags = obj.tags
        if isinstance(obj, osmium.osm.Node):
            loc = obj.location
            if loc.valid():
                data.objects[("node", obj.id)] = MapObject(
                    ((loc.lat, loc.lon),), tags.get("name"), NODE_TOLERANCE_M)
            continue
        pts = [(n.lat, n.lon) for n in obj.nodes if n.location.valid()]
        if not pts:
            continue
        lats = [p[0] for p in pts]
        lons = [p[1] for p in pts]
        step = max(1, len(pts) // OUTLINE_POINTS)
        outline = (*pts[::step], pts[-1])
        data.objects[("way", obj.id)] = MapObject(outline, tags.get("name"), WAY_TOLERANCE_M)
        highway = tags.get("highway") or ""
        rank = DRIVABLE.get(highway)
        if rank is not None:
            data.roads.append((rank, pts))
            data.road_speeds_kph.append(
                parse_maxspeed(tags.get("maxspeed") or "") or DEFAULT_KPH[highway])
            min_lat, max_lat = min(min_lat, *lats), max(max_lat, *lats)
            min_lon, max_lon = min(min_lon, *lons), max(max_lon, *lons)
    data.bbox = (min_lat, min_lon, max_lat, max_lon)
    log.info("read %s: %d roads, %d tagged objects", path.name, len(data.roads),
             len(data.objects))
    return data


def parse_maxspeed(value: str) -> float | None:
    """OSM maxspeed: "50", "45 mph", "30;50" (first wins); anything else is None."""
    v = value.split(";")[0].strip().lower()
    mph = v.endswith("mph")
    num = v.removesuffix("mph").strip()
    try:
        kph = float(num) * (1.609344 if mph else 1.0)
    except ValueError:
        return None
    return kph if 5.0 <= kph <= 200.0 else None
