"""Region packs: an .osm.pbf turned into Valhalla tiles plus a place index, built once.

A pack lives in `<cache_dir>/<sha256 of the .pbf>/` (tiles/, places.sqlite, valhalla.json,
manifest.json). It is built in a temporary sibling directory and renamed into place when
complete, so a crash mid-build never leaves a half pack that later loads. Opening a built
pack reads the manifest and the SQLite file and creates a Valhalla Actor: well under 1 s.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from routing.errors import CorruptMapError, EmptyMapError, MapError, OutsideMapError
from routing.places import PlaceIndex
from routing.places_build import build_place_index
from routing.valhalla_router import ValhallaRouter, runtime_settings, write_config

log = logging.getLogger(__name__)

PACK_VERSION = 2
"""Bump when the pack layout or the category mapping changes: old packs are rebuilt."""
OUTSIDE_MARGIN_M = 1_000.0


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "copilot" / "packs"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _build_tiles(pbf: Path, work: Path) -> None:
    from valhalla import PYVALHALLA_DIR  # heavy

    tiles = work / "tiles"
    tiles.mkdir()
    conf = work / "valhalla.json"
    write_config(tiles, conf, concurrency=max(1, os.cpu_count() or 1))
    exe = PYVALHALLA_DIR / "bin" / "valhalla_build_tiles"
    proc = subprocess.run([str(exe), "-c", str(conf), str(pbf.resolve())],
                          capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise CorruptMapError(f"valhalla_build_tiles failed on {pbf.name}: {tail[0]}")
    if not any(tiles.rglob("*.gph")):
        raise EmptyMapError(f"{pbf.name} produced no road tiles: it holds no drivable roads")
    # Intermediate files the router never reads.
    for leftover in work.glob("*.bin"):
        leftover.unlink()


def _settle_entry_points(work: Path) -> int:
    """Move each airport to its nearest entry candidate that a route really ends on."""
    con = sqlite3.connect(work / "places.sqlite")
    try:
        hub = json.loads(con.execute("SELECT value FROM meta WHERE key='hub'").fetchone()[0])
        ids = [r[0] for r in con.execute("SELECT DISTINCT place_id FROM entry_candidates")]
        if not ids:
            return 0
        router = ValhallaRouter(work / "valhalla.json")
        moved = 0
        for pid in ids:
            cands = con.execute("SELECT lat, lon FROM entry_candidates WHERE place_id = ?"
                                " ORDER BY ord", (pid,)).fetchall()
            best = None
            for i in range(0, len(cands), 50):  # nearest first, in matrix-sized batches
                batch = cands[i:i + 50]
                ok = router.reachable_as_is((hub[0], hub[1]), [(c[0], c[1]) for c in batch])
                best = next((c for c, good in zip(batch, ok, strict=True) if good), None)
                if best is not None:
                    break
            if best is None:
                log.warning("airport place %d: no entry candidate is road-reachable", pid)
                continue
            con.execute("UPDATE places SET lat = ?, lon = ? WHERE id = ?", (best[0], best[1], pid))
            con.execute("UPDATE places_rtree SET min_lat = ?, max_lat = ?, min_lon = ?,"
                        " max_lon = ? WHERE id = ?", (best[0], best[0], best[1], best[1], pid))
            moved += 1
        con.commit()
        return moved
    finally:
        con.close()


@dataclass(frozen=True)
class PackInfo:
    sha256: str
    source: str
    built_s: float
    bbox: tuple[float, float, float, float]
    counts: dict[str, int]


class RegionPack:
    """A built region: `.places` (PlaceIndex), `.bbox`, `.router` (Valhalla)."""

    def __init__(self, path: Path, manifest: dict[str, Any]) -> None:
        self.path = path
        self.manifest = manifest
        self.places = PlaceIndex(path / "places.sqlite")
        lat0, lon0, lat1, lon1 = manifest["bbox"]
        self.bbox: tuple[float, float, float, float] = (lat0, lon0, lat1, lon1)
        conf = path / "valhalla.json"
        cfg = json.loads(conf.read_text())
        if runtime_settings(cfg, path / "tiles"):  # the pack moved, or older settings
            conf.write_text(json.dumps(cfg, indent=1))
        self.router = ValhallaRouter(conf)

    @property
    def name(self) -> str:
        return str(self.manifest.get("source", self.path.name))

    @property
    def info(self) -> PackInfo:
        m = self.manifest
        return PackInfo(m["sha256"], m["source"], m["built_s"], self.bbox, m["counts"])

    def contains(self, lat: float, lon: float, margin_m: float = OUTSIDE_MARGIN_M) -> bool:
        dlat = margin_m / 111_000.0
        dlon = dlat * 2.0  # generous in longitude; Valhalla's snap cutoff has the last word
        a, b, c, d = self.bbox
        return a - dlat <= lat <= c + dlat and b - dlon <= lon <= d + dlon

    def check_inside(self, lat: float, lon: float, what: str = "the vehicle") -> None:
        if not self.contains(lat, lon):
            a, b, c, d = self.bbox
            raise OutsideMapError(
                f"{what} at {lat:.4f}, {lon:.4f} is outside the on-board map "
                f"({self.name}: {a:.3f}..{c:.3f} N, {b:.3f}..{d:.3f} E)")

    @classmethod
    def open(cls, pbf: Path, cache_dir: Path | None = None, progress: bool = False) -> RegionPack:
        """Open the pack for pbf, building it first if this file was never built."""
        pbf = Path(pbf)
        if not pbf.exists():
            raise CorruptMapError(f"map file not found: {pbf}")
        if not pbf.is_file():
            raise CorruptMapError(f"not a file: {pbf}")
        if pbf.stat().st_size == 0:
            raise EmptyMapError(f"{pbf.name} is empty (0 bytes): it holds no roads")
        root = Path(cache_dir) if cache_dir else default_cache_dir()
        sha = file_sha256(pbf)
        final = root / sha
        manifest_path = final / "manifest.json"
        if manifest_path.is_file():
            manifest = json.loads(manifest_path.read_text())
            if manifest.get("version") == PACK_VERSION:
                log.info("reusing pack %s for %s", final, pbf.name)
                return cls(final, manifest)
            shutil.rmtree(final, ignore_errors=True)
        return cls._build(pbf, sha, root, progress)

    @classmethod
    def _build(cls, pbf: Path, sha: str, root: Path, progress: bool) -> RegionPack:
        root.mkdir(parents=True, exist_ok=True)
        work = root / f".build-{sha[:12]}-{os.getpid()}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        t0 = time.monotonic()
        try:
            with _Steps(progress, pbf.name) as steps:
                steps.start("places")
                meta = build_place_index(pbf, work / "places.sqlite", steps.tick)
                steps.start("tiles")
                _build_tiles(pbf, work)
                _settle_entry_points(work)
                steps.done()
            manifest = {
                "version": PACK_VERSION, "sha256": sha, "source": pbf.name,
                "built_s": round(time.monotonic() - t0, 3), "bbox": meta["bbox"],
                "counts": meta["counts"], "objects": meta["objects"],
            }
            (work / "manifest.json").write_text(json.dumps(manifest, indent=1))
            final = root / sha
            try:
                work.rename(final)
            except OSError:  # another process finished the same pack first: use theirs
                shutil.rmtree(work, ignore_errors=True)
                manifest = json.loads((final / "manifest.json").read_text())
            log.info("built pack %s in %.1f s", final, manifest["built_s"])
            return cls(final, manifest)
        except MapError:
            shutil.rmtree(work, ignore_errors=True)
            raise
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise


class _Steps:
    """A rich progress bar on stderr when asked for; silent otherwise."""

    def __init__(self, enabled: bool, label: str) -> None:
        self._enabled = enabled
        self._label = label
        self._progress: Any = None
        self._task: Any = None
        self._steps = ["places", "tiles"]

    def __enter__(self) -> _Steps:
        if self._enabled:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                      TimeElapsedColumn(), console=Console(stderr=True))
            self._progress.start()
            self._task = self._progress.add_task(f"{self._label}", total=len(self._steps))
        return self

    def start(self, step: str) -> None:
        if self._progress is not None:
            done = self._steps.index(step)
            self._progress.update(self._task, completed=done,
                                  description=f"{self._label}: {step}")

    def tick(self, objects: int) -> None:
        if self._progress is not None:
            self._progress.update(self._task, description=f"{self._label}: places ({objects:,})")

    def done(self) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=len(self._steps),
                                  description=f"{self._label}: done")

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
