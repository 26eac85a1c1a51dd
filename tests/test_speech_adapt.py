"""Driver voice enrollment: real sphinxtrain estimation, real PocketSphinx decoding.

One espeak-ng voice enrolls from the enrollment prompts; evaluation sentences of the same
voice (never in the prompts) are decoded with the MAP profile and with a control profile that
carries only the same enrollment cepstral mean, so the difference is the adapted model.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from copilot.speech.adapt import EnrollError, Utterance, enroll, enroll_utterances
from copilot.speech.adapt_eval import DEFAULT_PROMPTS, overlap, read_prompts

ROOT = Path(__file__).resolve().parents[1]
COPILOT = str(ROOT / ".venv" / "bin" / "copilot")
VOICE, SPEED = "en-gb", 150
HELD_OUT = ["take me to the nearest hospital", "find a coffee shop nearby",
            "navigate to the closest gas station", "can you get me to the train station",
            "i need to stop for gas", "show me restaurants near me"]

pytestmark = pytest.mark.skipif(
    not (shutil.which("espeak-ng") and shutil.which("sphinx_fe")
         and Path("/usr/lib/sphinxtrain/bw").exists()),
    reason="needs espeak-ng, sphinxbase-utils and sphinxtrain (setup.sh installs them)")


def _speak(text: str, path: Path, voice: str = VOICE, speed: int = SPEED) -> Path:
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text],
                   check=True, capture_output=True)
    subprocess.run(["sox", "-R", str(raw), "-r", "16000", str(path), "pad", "0.4", "0.8"],
                   check=True, capture_output=True)
    raw.unlink()
    return path


def _word_errors(ref: str, hyp: str) -> int:
    r, h = ref.split(), hyp.split()
    d = list(range(len(h) + 1))
    for i in range(1, len(r) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(h) + 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (r[i - 1] != h[j - 1]))
    return d[len(h)]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Own cache: running cepstral means from other runs must not leak into the comparison.
    return tmp_path_factory.mktemp("xdg")


@pytest.fixture(scope="module")
def enroll_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("enroll")
    for i, text in enumerate(read_prompts(DEFAULT_PROMPTS)):
        _speak(text, d / f"p{i:02d}.wav")
        (d / f"p{i:02d}.txt").write_text(text + "\n", encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def profiles(enroll_dir: Path, cache: Path, tmp_path_factory: pytest.TempPathFactory
             ) -> dict[str, Path]:
    mp = pytest.MonkeyPatch()
    mp.setenv("XDG_CACHE_HOME", str(cache))
    out = tmp_path_factory.mktemp("profiles")
    try:
        return {"map": enroll(enroll_dir, out / "map", ("map",)).path,
                "cmn": enroll(enroll_dir, out / "cmn", ("cmn",)).path}
    finally:
        mp.undo()


def test_prompts_are_disjoint_from_every_evaluation_set() -> None:
    prompts = read_prompts(DEFAULT_PROMPTS)
    assert len(prompts) >= 20
    texts = []
    for name in ("listen.jsonl", "understand.jsonl", "understand_heldout.jsonl",
                 "understand_heldout2.jsonl"):
        path = ROOT / "eval" / name
        if path.exists():
            texts += [json.loads(x)["text"] for x in path.read_text().splitlines() if x.strip()]
    assert len(texts) > 300
    assert overlap(prompts, texts) == []
    assert overlap(["please take me home now"], ["take me home"]) == ["take me home"]


def test_enrollment_adapts_the_model_and_helps_on_held_out_sentences(
        profiles: dict[str, Path], cache: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from copilot.speech import transcribe

    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    meta = json.loads((profiles["map"] / "profile.json").read_text())
    assert meta["methods"] == ["map"] and meta["utterances"] == 30
    assert (profiles["map"] / "map" / "means").stat().st_size > 100_000
    errors = {"map": 0, "cmn": 0}
    differ = 0
    for i, text in enumerate(HELD_OUT):
        assert text not in read_prompts(DEFAULT_PROMPTS)
        wav = _speak(text, tmp_path / f"h{i}.wav").read_bytes()
        heard = {k: transcribe(wav, adaptation=p).text for k, p in profiles.items()}
        differ += heard["map"] != heard["cmn"]
        for k in errors:
            errors[k] += _word_errors(text, heard[k])
    words = sum(len(t.split()) for t in HELD_OUT)
    assert differ >= 1, "the adapted model decoded exactly like the unadapted one"
    assert errors["map"] <= errors["cmn"], errors
    assert errors["map"] / words < 0.35, errors


def test_listen_cli_uses_a_profile(profiles: dict[str, Path], cache: Path,
                                   tmp_path: Path) -> None:
    wav = _speak("take me to the airport", tmp_path / "a.wav")
    env = {"XDG_CACHE_HOME": str(cache), "PATH": "/usr/bin:/bin"}
    r = subprocess.run([COPILOT, "listen", "--no-llm", "--adapt", str(profiles["map"]),
                        "--json", str(wav)], capture_output=True, text=True, timeout=60,
                       env=env)
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    assert obj["intent"] == "navigate" and obj["destination"]["category"] == "airport"
    r = subprocess.run([COPILOT, "listen", "--no-llm", "--adapt", str(tmp_path),
                        "--json", str(wav)], capture_output=True, text=True, timeout=60,
                       env=env)
    assert r.returncode == 2 and "not an enrollment profile" in r.stderr
    assert "Traceback" not in r.stderr


def _utts(enroll_dir: Path, n: int) -> list[Utterance]:
    wavs = sorted(enroll_dir.glob("*.wav"))[:n]
    return [Utterance(w.stem, w.read_bytes(), w.with_suffix(".txt").read_text()) for w in wavs]


def test_too_few_recordings_are_refused(enroll_dir: Path, tmp_path: Path) -> None:
    d = tmp_path / "few"
    d.mkdir()
    for w in sorted(enroll_dir.glob("*.wav"))[:3]:
        shutil.copy(w, d / w.name)
        shutil.copy(w.with_suffix(".txt"), d / f"{w.stem}.txt")
    with pytest.raises(EnrollError, match="at least 8"):
        enroll(d, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_silence_and_unknown_words_are_refused(enroll_dir: Path, tmp_path: Path) -> None:
    utts = _utts(enroll_dir, 10)
    silent = tmp_path / "silent.wav"
    with wave.open(str(silent), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(np.zeros(32000, dtype="<i2").tobytes())
    bad = [*utts[:9], Utterance("quiet", silent.read_bytes(), "take me home")]
    with pytest.raises(EnrollError, match="quiet: silence"):
        enroll_utterances(bad, tmp_path / "out", ("mllr",))
    bad = [*utts[:9], Utterance("odd", utts[9].wav, "zqxv to the bank")]
    with pytest.raises(EnrollError, match="not in the recogniser's dictionary: zqxv"):
        enroll_utterances(bad, tmp_path / "out", ("mllr",))
    bad = [*utts[:9], Utterance("notwav", b"hello", "take me home")]
    with pytest.raises(EnrollError, match="notwav: not_wav"):
        enroll_utterances(bad, tmp_path / "out", ("mllr",))


def test_wrong_transcripts_are_refused(enroll_dir: Path, tmp_path: Path) -> None:
    utts = _utts(enroll_dir, 12)
    texts = [u.text for u in utts]
    shuffled = [Utterance(u.name, u.wav, texts[(i + 1) % len(texts)])
                for i, u in enumerate(utts)]
    with pytest.raises(EnrollError, match="do not match their transcripts"):
        enroll_utterances(shuffled, tmp_path / "out", ("mllr",))
    assert not (tmp_path / "out").exists()


def test_enroll_cli_reports_bad_input_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "a.wav").write_bytes(b"RIFF")
    r = subprocess.run([COPILOT, "listen", "enroll", "--out", str(tmp_path / "p"),
                        str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "enrollment failed" in r.stderr and "Traceback" not in r.stderr


def test_eval_listen_enroll_reports_before_and_after_side_by_side(tmp_path: Path) -> None:
    lines = [x for x in (ROOT / "eval" / "listen.jsonl").read_text().splitlines()
             if f'"voice": "{VOICE}"' in x][:4]
    data = tmp_path / "small.jsonl"
    data.write_text("\n".join(lines) + "\n")
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg"), "PATH": "/usr/bin:/bin"}
    # enrollment runs sphinxtrain per voice: minutes on a busy shared machine
    r = subprocess.run([COPILOT, "eval", "listen", str(data), "--no-llm", "--enroll",
                        "--cache", str(tmp_path / "audio"), "--json"],
                       capture_output=True, text=True, timeout=400, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    rep = json.loads(r.stdout)
    assert rep["columns"] == ["baseline", "mllr", "map", "cmn", "whisper"]
    assert set(rep["groups"]) == {"clean", "10 dB SNR"}
    for cols in rep["groups"].values():
        assert {c: cols[c]["total"] for c in rep["columns"]} == dict.fromkeys(rep["columns"], 2)
    assert rep["enrollment"] and VOICE in rep["enrollment"][0]
    clash = tmp_path / "clash.txt"
    clash.write_text("\n".join(["please " + json.loads(lines[0])["text"]] * 10))
    r = subprocess.run([COPILOT, "eval", "listen", str(data), "--no-llm", "--enroll",
                        str(clash), "--cache", str(tmp_path / "audio")],
                       capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode != 0 and "contain evaluation sentences" in r.stderr


def test_a_damaged_profile_is_refused_before_the_decoder_sees_it(
        profiles: dict[str, Path], tmp_path: Path) -> None:
    from copilot.speech import transcribe

    broken = tmp_path / "broken"
    shutil.copytree(profiles["map"], broken)
    (broken / "map" / "means").write_bytes(b"s3\njunk")
    wav = _speak("take me home", tmp_path / "h.wav").read_bytes()
    with pytest.raises(EnrollError, match="map/means is damaged"):
        transcribe(wav, adaptation=broken)
    with pytest.raises(EnrollError, match="not an enrollment profile"):
        transcribe(wav, adaptation=tmp_path)
