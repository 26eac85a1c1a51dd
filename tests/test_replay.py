"""Replay: the recorded road-closure drive (tests/data/replay/road-closure.jsonl, made by
`copilot sim run scenarios/road-closure.yaml`, signals thinned to 2 Hz) is played back into a
fresh `copilot serve`; its replies must match the recording in status, intent, actions and
places (timings and wording ignored). The comparison itself must catch every such change."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from copilot.messages import ServiceReply
from copilot.sim.replay import compare, load_recording, signature

ROOT = Path(__file__).resolve().parents[1]
RECORDING = ROOT / "tests" / "data" / "replay" / "road-closure.jsonl"
MAP = ROOT / "copilot" / "data" / "maps" / "harrisburg.osm.pbf"


def test_the_recording_holds_a_whole_loop() -> None:
    rec = load_recording(RECORDING)
    assert rec.meta["start_time"] and rec.meta["speedup"] > 0
    kinds = {r.topic.split("/")[-1] for r in rec.sent}
    assert {"hazard", "link", "request", "Vehicle.Speed"} <= kinds
    assert [r.proactive for r in rec.replies] == [False, True, False]
    assert any(a.type == "set_route" for a in rec.replies[-1].actions)


def _changed(original: ServiceReply, **update: object) -> ServiceReply:
    return original.model_copy(update=update)


def test_compare_ignores_timings_and_wording_but_not_decisions() -> None:
    old = load_recording(RECORDING).replies
    same = [_changed(r, reply=r.reply + " (reworded)",
                     timings_ms=r.timings_ms.model_copy(update={"total": 9999.0}))
            for r in old]
    assert compare(old, same).same
    first = old[0]
    route = first.actions[0].route  # type: ignore[union-attr]
    moved = route.model_copy(update={"destination": route.destination.model_copy(
        update={"osm_id": 1})})
    cases = {
        "status": _changed(first, status="refused"),
        "served_by": _changed(first, served_by="cloud"),
        "actions": _changed(first, actions=(first.actions[0].model_copy(
            update={"route": moved}),)),
    }
    for field, bad in cases.items():
        diff = compare(old, [bad, *old[1:]])
        assert not diff.same and field in diff.differences[0], field
    assert not compare(old, old[:2]).same  # a missing reply is a difference
    assert not compare(old, [old[0], old[2]]).same  # so is a missing proactive turn
    assert signature(first)["actions"][0][0] == "set_route"


@pytest.mark.slow
def test_recorded_drive_replays_identically_into_copilot_serve() -> None:
    r = subprocess.run([str(ROOT / ".venv" / "bin" / "copilot"), "sim", "replay",
                        str(RECORDING), "--map", str(MAP)],
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr[-2000:]
    assert r.stdout.startswith("3 replies compared, 0 differ")
