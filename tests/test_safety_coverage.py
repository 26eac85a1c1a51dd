"""safety/ is fully covered, branch by branch, by its own tests (issue 6 asks for 100 %)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAFETY_TESTS = ["tests/test_safety_redteam.py", "tests/test_safety_units.py",
                "tests/test_safety_plan.py", "tests/test_safety_redact.py",
                "tests/test_safety_properties.py", "tests/test_safety_questions.py"]


def test_safety_has_full_branch_coverage(tmp_path: Path) -> None:
    data = tmp_path / ".coverage"
    run = subprocess.run(
        [sys.executable, "-m", "coverage", "run", "--branch", "--source=safety",
         f"--data-file={data}", "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "-k", "not region_pack", *SAFETY_TESTS],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    report = subprocess.run(
        [sys.executable, "-m", "coverage", "report", f"--data-file={data}", "-m",
         "--fail-under=100"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert report.returncode == 0, report.stdout
