"""`copilot eval listen` synthesises its manifest into a cache and scores it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COPILOT = str(ROOT / ".venv" / "bin" / "copilot")
MANIFEST = ROOT / "eval" / "listen.jsonl"


def test_speech_manifest_has_60_requests_in_voices_speeds_clean_and_noisy() -> None:
    cases = [json.loads(x) for x in MANIFEST.read_text().splitlines() if x.strip()]
    clean = [c for c in cases if c["noise_snr_db"] is None]
    noisy = [c for c in cases if c["noise_snr_db"] == 10]
    assert len(clean) >= 60 and len(noisy) >= 60
    assert len({c["voice"] for c in cases}) >= 3 and len({c["speed_wpm"] for c in cases}) >= 3


@pytest.mark.slow
def test_eval_listen_on_a_small_manifest(tmp_path: Path) -> None:
    base = {"intent": "cancel", "destination": None, "stops": [], "voice": "en-us",
            "speed_wpm": 150}
    data = tmp_path / "mini.jsonl"
    data.write_text("\n".join(json.dumps({**base, "id": i, "text": "cancel the navigation",
                                          "noise_snr_db": snr})
                              for i, snr in (("a", None), ("b", 10))) + "\n")
    r = subprocess.run([COPILOT, "eval", "listen", "--no-llm", "--cache", str(tmp_path / "c"),
                        str(data)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "== clean (1 utterances)" in r.stdout and "== 10 dB SNR (1 utterances)" in r.stdout
    assert "real-time factor median" in r.stdout
    assert (tmp_path / "c" / "a.wav").exists() and (tmp_path / "c" / "b.wav").exists()


SPEECH_DEV = ROOT.parent / "shared" / "speech-dev"


@pytest.mark.slow
@pytest.mark.skipif(not (SPEECH_DEV / "labels.json").exists(), reason="no ../shared/speech-dev")
def test_eval_listen_on_real_voices_side_by_side() -> None:
    r = subprocess.run([COPILOT, "eval", "listen", str(SPEECH_DEV), "--limit", "2", "--no-llm",
                        "--engine", "whisper", "--engine", "pocketsphinx", "--condition",
                        "quiet", "--condition", "kitchen 6 dB", "--json"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["files"] == 2 and rep["conditions"] == ["quiet", "kitchen 6 dB"]
    assert set(rep["engines"]) == {"whisper", "pocketsphinx"}
    for e in rep["engines"].values():
        assert all(c["total"] == 2 for c in e["conditions"].values())
        assert 0 <= e["average"] <= 1 and e["after_end_of_speech_ms_median"] > 0
        assert 0 < e["rtf_median"] < 5
        # every miss names its file, condition and what was heard
        assert all({"file", "condition", "transcript"} <= set(m) for m in e["misses"])
    assert rep["engines"]["whisper"]["conditions"]["quiet"]["heard_all_slots"] >= 0.5
    assert rep["peak_rss_mb"] > 100


def test_eval_listen_refuses_a_directory_that_is_not_a_speech_set(tmp_path: Path) -> None:
    r = subprocess.run([COPILOT, "eval", "listen", str(tmp_path), "--no-llm"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "labels.json" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([COPILOT, "eval", "listen", str(tmp_path), "--engine", "siri"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "siri" in r.stderr and "Traceback" not in r.stderr
