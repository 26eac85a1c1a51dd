"""Opening hours at the ETA (opening-hours-py) and the driver's profile (YAML)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from test_routing_support import copenhagen, pack_cache

from routing.candidates import find_candidates
from routing.errors import ProfileError, UnknownSavedPlaceError
from routing.messages import Category
from routing.opening import is_open, open_state, stats
from routing.pack import RegionPack
from routing.profile import Profile

__all__ = ["copenhagen", "pack_cache"]

CPH = timezone(timedelta(hours=1))


def test_opening_hours_parser() -> None:
    wed = datetime(2026, 11, 25, 17, 59)
    assert open_state("Mo-Fr 08:00-18:00", wed) is True
    assert open_state("Mo-Fr 08:00-18:00", wed + timedelta(minutes=2)) is False
    assert open_state("Sa-Su 10:00-14:00", wed) is False
    assert open_state("24/7", datetime(2026, 11, 25, 3, 0, tzinfo=CPH)) is True
    before = stats["unparseable"]
    assert open_state("Weekdays 7-3, Saturdays 7-6", wed) is None  # free text: unknown
    assert stats["unparseable"] == before + 1  # counted, not silently dropped
    assert is_open(None, wed) and is_open("garbage", wed)


def test_candidates_closed_at_eta_are_left_out(copenhagen: RegionPack) -> None:
    centre = (55.6690, 12.5530)  # Vesterbro: cafes with opening_hours nearby
    night = datetime(2026, 11, 25, 3, 0, tzinfo=CPH)  # a Wednesday, 3 am
    day = datetime(2026, 11, 25, 11, 0, tzinfo=CPH)
    at_night = find_candidates(copenhagen.places, copenhagen.router, Category.COFFEE, centre,
                               None, night, keep=30)
    by_day = find_candidates(copenhagen.places, copenhagen.router, Category.COFFEE, centre,
                             None, day, keep=30)
    for c in at_night:
        assert open_state(c.place.opening_hours, night + timedelta(seconds=c.to_s)) is not False
    night_ids = {c.place.place.osm_id for c in at_night}
    closed_by_night = [c for c in by_day if c.place.place.osm_id not in night_ids
                       and open_state(c.place.opening_hours, night) is False]
    assert closed_by_night  # cafes open at 11 am and shut at 3 am were really dropped


def test_profile_yaml(tmp_path: Path) -> None:
    p = tmp_path / "p.yaml"
    p.write_text("saved:\n  Home: {lat: 40.30, lon: -76.80}\n"
                 "  dry cleaner: {lat: 40.27, lon: -76.82, name: Main Street Cleaners,"
                 " category: dry_cleaning}\n"
                 "preferences: {avoid_brands: [McDonald's], max_detour_min: 7}\n")
    prof = Profile.load(p)
    assert prof.find_saved("home").saved == "home"
    assert prof.find_saved("my dry cleaners").name == "Main Street Cleaners"
    assert prof.find_saved("cleaner shop", Category.DRY_CLEANING).saved == "dry cleaner"
    assert prof.preferences.avoid_brands == ("McDonald's",)
    assert prof.preferences.max_detour_min == 7
    with pytest.raises(UnknownSavedPlaceError, match=r"gym.*dry cleaner, home"):
        prof.find_saved("gym")


@pytest.mark.parametrize("text", ["saved: [1, 2", "- a list", "saved:\n  home: {lat: 95, lon: 0}",
                                  "preferences: {max_detour_min: -3}"])
def test_bad_profiles_are_clear_errors(tmp_path: Path, text: str) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    with pytest.raises(ProfileError, match="profile"):
        Profile.load(p)
    with pytest.raises(ProfileError, match="not found"):
        Profile.load(tmp_path / "missing.yaml")
