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
