"""`copilot eval understand` scores the committed text set and names its misses."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COPILOT = str(ROOT / ".venv" / "bin" / "copilot")
DATA = ROOT / "eval" / "understand.jsonl"


def test_text_set_is_large_and_covers_every_intent() -> None:
    cases = [json.loads(x) for x in DATA.read_text().splitlines() if x.strip()]
    assert len(cases) >= 300
    assert len({c["intent"] for c in cases}) == 9


def test_eval_understand_prints_acceptance_fields_and_misses(tmp_path: Path) -> None:
    data = tmp_path / "mini.jsonl"
    data.write_text(
        json.dumps({"text": "take me home", "intent": "navigate",
                    "destination": {"saved": "home"}}) + "\n" +
        json.dumps({"text": "take me home", "intent": "cancel"}) + "\n")
    r = subprocess.run([COPILOT, "eval", "understand", "--no-llm", str(data)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "command acceptance: 1/2 = 50.0%" in r.stdout
    assert "intent" in r.stdout and "take me home" in r.stdout.split("misses")[1]


def test_a_held_out_set_shows_scores_only(tmp_path: Path) -> None:
    """A set listed in its folder's HELDOUT.md never has its misses printed by default."""
    data = tmp_path / "secret_heldout.jsonl"
    data.write_text(json.dumps({"text": "take me home", "intent": "cancel"}) + "\n")
    (tmp_path / "HELDOUT.md").write_text("| file |\n|---|\n| `secret_heldout.jsonl` | en |\n")
    r = subprocess.run([COPILOT, "eval", "understand", "--no-llm", str(data)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "command acceptance: 0/1" in r.stdout and "take me home" not in r.stdout
    assert "1 misses not shown" in r.stdout
    r = subprocess.run([COPILOT, "eval", "understand", "--no-llm", "--json", str(data)],
                       capture_output=True, text=True, timeout=60)
    assert json.loads(r.stdout)["misses"] == [] and "take me home" not in r.stdout
    r = subprocess.run([COPILOT, "eval", "understand", "--no-llm", "--misses", "5", str(data)],
                       capture_output=True, text=True, timeout=60)
    assert "take me home" in r.stdout          # the set's author asks for them


def test_eval_understand_rejects_a_bad_line(tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text("{not json\n")
    r = subprocess.run([COPILOT, "eval", "understand", "--no-llm", str(data)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "bad.jsonl:1" in r.stderr and "Traceback" not in r.stderr


PUBLIC = ROOT.parent / "shared" / "nlu-public"


@pytest.mark.skipif(not (PUBLIC / "top_eval.tsv").exists(), reason="../shared/nlu-public absent")
def test_eval_understand_public_sets_side_by_side() -> None:
    r = subprocess.run([COPILOT, "eval", "understand", "--public", str(PUBLIC), "--modes",
                        "rules,model", "--limit", "40", "--json"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert {"top_eval", "kvret", "snips_heldout", "slurp_heldout_other"} <= set(res)
    for name in ("snips_heldout", "slurp_heldout_other"):
        assert set(res[name]) == {"rules", "model"} and res[name]["model"]["n"] == 40
    # The learned model beats the rules on requests from outside the project.
    assert res["top_eval"]["model"]["intent"] > res["top_eval"]["rules"]["intent"]


def test_eval_understand_rejects_an_unknown_mode() -> None:
    r = subprocess.run([COPILOT, "eval", "understand", "--public", str(ROOT), "--modes",
                        "magic"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_an_order_is_scored_as_the_contract_means_it() -> None:
    """"oat" and "oat milk", "dark" and "dark roast" are one milk and one roast; a wrong
    size is still wrong."""
    from copilot.nlu import Understander
    from copilot.nlu.evaluate import Case, score

    text = "stop for a small cappuccino with oat milk, dark roast"
    stop = {"category": "coffee", "saved": None, "name": None}
    said = {"drink": "cappuccino", "size": "small", "milk": "oat", "roast": "dark"}
    got = Understander(use_llm=False).understand(text)
    right = Case(text, {"intent": "add_stop", "stops": [{**stop, "order": said}]})
    wrong = Case(text, {"intent": "add_stop", "stops": [{**stop, "order": {**said,
                                                                        "size": "large"}}]})
    rep = score([right, wrong], [got, got])
    assert rep.field_right["order"] == 1 and rep.field_total["order"] == 2
