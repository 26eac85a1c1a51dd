"""`copilot bench` fails loudly: a part that cannot run (here a real bad input, a maps
directory that does not exist) prints "FAILED <part>: <reason>" and exits 1, never a
traceback and never a quiet success; `bench all` runs the other parts and names the failed
ones in its summary."""

from __future__ import annotations

import subprocess
from pathlib import Path

COPILOT = str(Path(__file__).resolve().parents[1] / ".venv" / "bin" / "copilot")


def _bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COPILOT, "bench", *args], capture_output=True, text=True,
                          timeout=300)


def test_a_part_without_its_maps_is_failed_and_named(tmp_path: Path) -> None:
    missing = tmp_path / "no-maps-here"
    r = _bench("routing", "--maps", str(missing))
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"FAILED routing: CorruptMapError: map file not found: {missing}" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout


def test_all_runs_the_other_parts_and_names_the_failed_one(tmp_path: Path) -> None:
    r = _bench("all", "--only", "safety", "--only", "routing", "--maps", str(tmp_path / "x"))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "safety review on synthetic" in r.stdout and "per turn    median" in r.stdout
    summary = r.stdout[r.stdout.index("== 1 of 2 parts ran =="):]
    assert summary.splitlines()[1:] == [
        f"FAILED routing: CorruptMapError: map file not found: {tmp_path / 'x'}/copenhagen.osm.pbf"]
    assert "Traceback" not in r.stderr


def test_all_parts_that_ran_exit_0_and_unknown_parts_are_a_usage_error() -> None:
    ok = _bench("all", "--only", "safety")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "== 1 of 1 parts ran ==" in ok.stdout and "FAILED" not in ok.stdout + ok.stderr
    bad = _bench("all", "--only", "nope")
    assert bad.returncode == 2 and "no such part: nope" in bad.stderr
