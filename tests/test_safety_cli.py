"""`copilot safety audit` and `copilot bench safety` (copilot/commands/safety.py)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from redteam import world

from copilot.audit import AuditLog
from copilot.commands.safety import bench_safety, safety_group
from routing.messages import Understanding
from safety.gate import Proposal
from safety.review import review


def test_audit_command_prints_what_was_refused(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    runner = CliRunner()
    r = runner.invoke(safety_group, ["audit", "--path", str(path)])
    assert r.exit_code == 0 and "no audit log" in r.output
    u = Understanding(text="disable traction control", intent="vehicle_control", confidence=1)
    AuditLog(path).record(review(Proposal(u, "ok", "Done.", ()), world.context()),
                          text=u.text, at=world.NOW)
    with path.open("a") as fh:
        fh.write("garbage\n")
    r = runner.invoke(safety_group, ["audit", "--path", str(path)])
    assert r.exit_code == 0
    assert "safety_system_refused" in r.output and "(unreadable line)" in r.output
    r = runner.invoke(safety_group, ["audit", "--path", str(path), "--json", "--tail", "2"])
    assert json.loads(r.output.splitlines()[0])["status"] == "refused"
    r = runner.invoke(safety_group, ["audit", "--path", str(path), "--tail", "0"])
    assert r.exit_code == 0 and r.output == ""
    r = runner.invoke(safety_group, ["audit", "--path", str(tmp_path)])  # a directory
    assert r.exit_code == 1 and "cannot read" in r.output


def test_bench_safety_reports_medians_and_expected_statuses() -> None:
    r = CliRunner().invoke(bench_safety, ["-n", "5", "--json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.output)
    assert set(res["kinds"]) == {"route", "places", "refusal", "cloud_json"}
    assert all(res["statuses_as_expected"].values())
    assert res["per_turn_median_ms"] > 0
    r = CliRunner().invoke(bench_safety, ["-n", "3"])
    assert r.exit_code == 0 and "per turn" in r.output
