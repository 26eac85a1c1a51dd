"""Scenario files load strictly: every repository scenario is valid, and a bad file gets one
clear error naming the file and the field (never a traceback, never a silently ignored key)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from copilot.sim.scenario import (
    SayAudio,
    SaySynth,
    SayText,
    ScenarioError,
    load_scenario,
    resolve_map,
)

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
GOOD = {
    "name": "t", "map": "harrisburg.osm.pbf",
    "start": {"lat": 40.277, "lon": -76.824, "time": "2026-11-25T15:00:00-05:00"},
    "vehicle": {"powertrain": "ice", "fuel_percent": 20, "range_km": 90},
    "link": [{"from_s": 0, "to_s": 300, "quality": "good"},
             {"from_s": 300, "to_s": 420, "quality": "none"}],
    "timeline": [{"at_s": 0, "say": "take me to the airport"},
                 {"at_s": 5, "say_audio": "turn.wav"},
                 {"at_s": 6, "say_synth": "coffee please", "noise_snr_db": 10},
                 {"at_s": 240, "event": {"type": "hazard", "kind": "road_closed", "lat": 40.25,
                                         "lon": -76.81, "radius_m": 150}}],
    "expect": [{"route_has": ["burger"]}, {"status": "ok"}],
}


def write(tmp_path: Path, data: object) -> Path:
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(data))
    return p


def test_there_are_at_least_eight_repository_scenarios_and_all_load() -> None:
    assert len(SCENARIOS) >= 8
    names = set()
    for path in SCENARIOS:
        s = load_scenario(path)
        names.add(s.name)
        resolve_map(path, s.map)  # the map exists (../shared in CI, or embedded)
    assert len(names) == len(SCENARIOS)


def test_contract_example_loads_with_typed_steps(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, GOOD))
    kinds = [type(step) for step in s.timeline]
    assert kinds[:3] == [SayText, SayAudio, SaySynth]
    assert s.link_at(10) == "good" and s.link_at(300) == "none" and s.link_at(500) == "good"
    assert s.speedup == 20


@pytest.mark.parametrize(("patch", "needle"), [
    ({"speedup": -1}, "speedup"),
    ({"start": {"lat": 40, "lon": -76, "time": "2026-11-25T15:00:00"}}, "UTC offset"),
    ({"vehicle": {"powertrain": "ice", "soc_percent": 50, "range_km": 90}}, "fuel_percent"),
    ({"timeline": [{"at_s": 0, "shout": "hi"}]}, "timeline[0]"),
    ({"timeline": [{"at_s": 0, "event": {"type": "hazard", "kind": "road_closed"}}]},
     "lat and lon, or ahead_m"),
    ({"expect": [{"route_hass": ["burger"]}]}, "unknown expectation 'route_hass'"),
    ({"expect": [{"arrive_before": "5 pm"}]}, "expect"),
    ({"link": [{"from_s": 10, "to_s": 5, "quality": "good"}]}, "before it starts"),
    ({"surprise": 1}, "surprise"),
    ({"timeline": [{"at_s": 0, "say_synth": "hi", "synth": "festival"}]}, "timeline[0]"),
])
def test_bad_fields_are_named(tmp_path: Path, patch: dict, needle: str) -> None:
    with pytest.raises(ScenarioError) as e:
        load_scenario(write(tmp_path, {**GOOD, **patch}))
    assert needle in str(e.value)
    assert str(tmp_path / "s.yaml") in str(e.value)


def test_unreadable_and_non_yaml_files(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenario(bad)
    bad.write_text("- just a list")
    with pytest.raises(ScenarioError, match="mapping"):
        load_scenario(bad)


def test_maps_resolve_relative_to_the_file_then_embedded(tmp_path: Path) -> None:
    (tmp_path / "local.osm.pbf").write_bytes(b"x")
    assert resolve_map(tmp_path / "s.yaml", "local.osm.pbf") == tmp_path / "local.osm.pbf"
    assert resolve_map(tmp_path / "s.yaml", "harrisburg.osm.pbf").name == "harrisburg.osm.pbf"
    with pytest.raises(ScenarioError, match="not found"):
        resolve_map(tmp_path / "s.yaml", "atlantis.osm.pbf")


def test_the_demo_is_the_airport_run_on_the_embedded_map() -> None:
    demo = yaml.safe_load((ROOT / "copilot" / "data" / "demo-airport-run.yaml").read_text())
    flagship = yaml.safe_load((SCENARIOS[0].parent / "airport-run.yaml").read_text())
    assert demo.pop("map") == "maps/harrisburg.osm.pbf"
    assert demo.pop("name") == "demo-airport-run"
    flagship.pop("map"), flagship.pop("name")
    assert demo == flagship  # edit both together
    demo_path = ROOT / "copilot" / "data" / "demo-airport-run.yaml"
    assert resolve_map(demo_path, "maps/harrisburg.osm.pbf").is_file()
