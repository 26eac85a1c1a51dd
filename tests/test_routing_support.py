"""Shared fixtures for the routing tests: real packs built once per session from shared/maps.

Imported by the other routing test modules (pytest puts tests/ on sys.path); the fixtures
are re-exported by name in each module that uses them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

MAPS = Path("/work/shared/maps")
if not MAPS.is_dir():  # the checkout's sibling layout (../shared/maps)
    MAPS = Path(__file__).resolve().parents[2] / "shared" / "maps"


def pbf(name: str) -> Path:
    path = MAPS / f"{name}.osm.pbf"
    if not path.is_file():
        pytest.skip(f"map extract {path} is not available")
    return path


@pytest.fixture(scope="session")
def pack_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("packs")


@pytest.fixture(scope="session")
def harrisburg(pack_cache: Path):  # type: ignore[no-untyped-def]
    from routing.pack import RegionPack

    return RegionPack.open(pbf("harrisburg"), pack_cache)


@pytest.fixture(scope="session")
def baltimore(pack_cache: Path):  # type: ignore[no-untyped-def]
    from routing.pack import RegionPack

    return RegionPack.open(pbf("baltimore"), pack_cache)


@pytest.fixture(scope="session")
def copenhagen(pack_cache: Path):  # type: ignore[no-untyped-def]
    from routing.pack import RegionPack

    return RegionPack.open(pbf("copenhagen"), pack_cache)
