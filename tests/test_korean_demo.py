"""`copilot demo --lang ko`: the airport run in Korean on the embedded map, end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_demo_runs_the_airport_run_in_korean(tmp_path: Path) -> None:
    out = tmp_path / "demo-ko"
    r = subprocess.run([sys.executable, "-m", "copilot.cli", "demo", "--lang", "ko", "--report",
                        str(out)], capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "공항으로 가 줘" in r.stdout
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["passed"] and report["scenario"] == "demo-airport-run-ko"
    held = {next(iter(e["expect"])): e["held"] for e in report["expectations"]}
    assert held["reply_language"] and held["route_has"] and held["arrived"]
    first = report["turns"][0]
    assert first["status"] == "ok" and "공항에" in first["reply"]
