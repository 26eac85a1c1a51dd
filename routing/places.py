"""The place index of a region pack: look-up by OSM id, by category near a point, by name.

Read-only over the SQLite file that routing.places_build wrote. A `MapPlace` is a contract
`Place` plus what the planner needs (brand, opening_hours, airport rank). Places' lat/lon are
their road-reachable entry points (see places_build), so routes go where a car can stop.
"""

from __future__ import annotations

import json
import logging
import math
import re
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from routing.messages import Category, Place

log = logging.getLogger(__name__)

_COLS = ("p.id, p.osm_type, p.osm_id, p.name, p.brand, p.lat, p.lon, p.opening_hours, p.rank,"
         " p.primary_category")


@dataclass(frozen=True)
class MapPlace:
    """A place from the on-board map with the facts the planner weighs."""

    place: Place
    brand: str | None = None
    opening_hours: str | None = None
    rank: int = 0
    """For airports: 3 IATA code, 2 ICAO/ref code, 1 terminal, 0 none (higher preferred)."""

    @property
    def key(self) -> tuple[str | None, int | None, str | None]:
        return (self.place.osm_type, self.place.osm_id, self.place.saved)


def _meters_to_deg(lat: float, radius_m: float) -> tuple[float, float]:
    dlat = radius_m / 111_000.0
    return dlat, dlat / max(0.05, math.cos(math.radians(lat)))


class PlaceIndex:
    """Queries over one pack's places.sqlite (opened read-only; safe to share in a process)."""

    def __init__(self, db_path: Path) -> None:
        self._path = db_path
        self._con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, check_same_thread=False)
        self._lock = threading.Lock()  # the service answers from several threads
        meta = dict(self._q("SELECT key, value FROM meta"))
        self.meta: dict[str, Any] = {k: json.loads(v) for k, v in meta.items()}

    def _q(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._con.execute(sql, params).fetchall()

    def close(self) -> None:
        self._con.close()

    def _row(self, row: tuple[Any, ...], category: Category | None = None) -> MapPlace:
        _, osm_type, osm_id, name, brand, lat, lon, oh, rank, primary = row
        place = Place(
            osm_type=cast(Literal["node", "way"], osm_type), osm_id=osm_id, name=name,
            category=category or Category(primary), lat=lat, lon=lon,
        )
        return MapPlace(place=place, brand=brand, opening_hours=oh, rank=rank)

    def get(self, osm_type: str, osm_id: int) -> Place | None:
        """The place as the index holds it, or None if this map has no such object."""
        found = self.get_map_place(osm_type, osm_id)
        return found.place if found else None

    def name_in(self, osm_type: str, osm_id: int, lang: str) -> str | None:
        """The place's `name:<lang>` from the map (e.g. "ko"), or None if it has none."""
        try:
            rows = self._q("SELECT n.name FROM places p JOIN place_names n ON n.place_id = p.id"
                           " WHERE p.osm_type = ? AND p.osm_id = ? AND n.lang = ?",
                           (osm_type, osm_id, lang))
        except sqlite3.OperationalError:     # a pack built before names were kept
            return None
        return str(rows[0][0]) if rows else None

    def get_map_place(self, osm_type: str, osm_id: int) -> MapPlace | None:
        rows = self._q(f"SELECT {_COLS} FROM places p WHERE p.osm_type = ? AND p.osm_id = ?",
                       (osm_type, osm_id))
        return self._row(rows[0]) if rows else None

    def categories_of(self, osm_type: str, osm_id: int) -> set[Category]:
        rows = self._q(
            "SELECT c.category FROM places p JOIN place_categories c ON c.place_id = p.id"
            " WHERE p.osm_type = ? AND p.osm_id = ?", (osm_type, osm_id))
        return {Category(r[0]) for r in rows}

    def count(self, category: Category) -> int:
        return int(self.meta.get("counts", {}).get(category.value, 0))

    def counts(self) -> dict[Category, int]:
        return {c: self.count(c) for c in Category}

    def in_box(
        self, category: Category, box: tuple[float, float, float, float], limit: int = 500
    ) -> list[MapPlace]:
        """Places of a category inside (min_lat, min_lon, max_lat, max_lon)."""
        rows = self._q(
            f"SELECT {_COLS} FROM places_rtree r JOIN places p ON p.id = r.id"
            " JOIN place_categories c ON c.place_id = p.id"
            " WHERE c.category = ? AND r.min_lat >= ? AND r.max_lat <= ?"
            " AND r.min_lon >= ? AND r.max_lon <= ? LIMIT ?",
            (category.value, box[0], box[2], box[1], box[3], limit),
        )
        return [self._row(r, category) for r in rows]

    def near(
        self, category: Category, lat: float, lon: float, radius_m: float = 5_000.0,
        limit: int = 20,
    ) -> list[MapPlace]:
        """Places of a category within radius_m (straight line), nearest first."""
        dlat, dlon = _meters_to_deg(lat, radius_m)
        found = self.in_box(category, (lat - dlat, lon - dlon, lat + dlat, lon + dlon), 5_000)
        found.sort(key=lambda m: (m.place.lat - lat) ** 2
                   + ((m.place.lon - lon) * math.cos(math.radians(lat))) ** 2)
        return found[:limit]

    def all_of(self, category: Category) -> list[MapPlace]:
        rows = self._q(
            f"SELECT {_COLS} FROM places p JOIN place_categories c ON c.place_id = p.id"
            " WHERE c.category = ?", (category.value,))
        return [self._row(r, category) for r in rows]

    def frequent_names(self, limit: int = 20) -> list[str]:
        """Brand (else place) names, most frequent in the region first: the speech
        recogniser's prompt names what the driver is likely to say."""
        rows = self._q(
            "SELECT COALESCE(brand, name) AS n, COUNT(*) AS k FROM places"
            " WHERE n IS NOT NULL AND n != '' GROUP BY n ORDER BY k DESC, n LIMIT ?", (limit,))
        return [str(r[0]) for r in rows]

    def search_name(self, text: str, limit: int = 10) -> list[MapPlace]:
        """Full-text search over names and brands (FTS5), best match first."""
        words = [w for w in re.findall(r"\w+", text.lower()) if len(w) > 1]
        if not words:
            return []
        query = " ".join(f'"{w}"*' for w in words)
        rows = self._q(
            f"SELECT {_COLS} FROM places_fts f JOIN places p ON p.id = f.rowid"
            " WHERE places_fts MATCH ? ORDER BY f.rank LIMIT ?", (query, limit))
        return [self._row(r) for r in rows]
