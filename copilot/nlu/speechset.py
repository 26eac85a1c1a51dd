"""The synthesised speech set: espeak-ng voices and speeds, clean and in cabin noise.

A manifest line is an `understand` case plus {"id", "voice", "speed_wpm", "noise_snr_db"}.
Audio is generated at evaluation time into a cache directory (never committed): espeak-ng
speaks the text, sox makes cabin noise (brown noise through a low-pass, road rumble) and
mixes it at the requested SNR. Files are reused when present.
"""

from __future__ import annotations

import json
import logging
import shutil
import statistics
import subprocess
import wave
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


def default_cache() -> Path:
    from copilot.speech.grammar import cache_dir

    return cache_dir() / "speechset"


def _rms(path: Path) -> float:
    with wave.open(str(path)) as w:
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
    return float(np.sqrt(np.mean(x ** 2))) if len(x) else 0.0


def _duration_s(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def synthesise(case: dict[str, Any], cache: Path) -> Path:
    """The WAV for one manifest line (made once, then reused)."""
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is not installed (apt-get install {tool})")
    cache.mkdir(parents=True, exist_ok=True)
    out = cache / f"{case['id']}.wav"
    if out.exists():
        return out
    clean = cache / f"{case['id']}.clean.wav"
    voice = str(case.get("voice", "en-us"))
    speed = int(case.get("speed_wpm", 160))
    # 0.4 s of silence before and after, as a push-to-talk recording would have.
    raw = cache / f"{case['id']}.raw.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), case["text"]],
                   check=True, capture_output=True)
    subprocess.run(["sox", "-R", str(raw), str(clean), "pad", "0.4", "0.8"], check=True,
                   capture_output=True)
    raw.unlink(missing_ok=True)
    snr = case.get("noise_snr_db")
    if snr is None:
        clean.replace(out)
        return out
    with wave.open(str(clean)) as w:
        rate = w.getframerate()
    noise = cache / f"{case['id']}.noise.wav"
    subprocess.run(["sox", "-R", "-n", "-r", str(rate), "-b", "16", "-c", "1", str(noise), "synth",
                    f"{_duration_s(clean):.3f}", "brownnoise", "lowpass", "400", "gain", "-6"],
                   check=True, capture_output=True)
    # Speech RMS over the voiced part only, so pauses do not flatter the SNR.
    with wave.open(str(clean)) as w:
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
    voiced = x[np.abs(x) > 0.02 * max(1.0, float(np.max(np.abs(x))))]
    speech_rms = float(np.sqrt(np.mean(voiced ** 2))) if len(voiced) else 1.0
    gain = speech_rms / max(1e-6, _rms(noise)) / (10 ** (float(snr) / 20))
    subprocess.run(["sox", "-R", "-m", "-v", "1", str(clean), "-v", f"{gain:.5f}", str(noise),
                    str(out)], check=True, capture_output=True)
    noise.unlink(missing_ok=True)
    clean.unlink(missing_ok=True)
    return out


def evaluate_speech(path: Path, engine: str, model_dir: Path | None, cache: Path | None,
                    understander: Any, grammar: bool | str = True,
                    show_misses: int = 15) -> dict[str, Any]:
    """Recognise every manifest line and score it; report clean and noisy separately."""
    from copilot.nlu.evaluate import Case, report_text, score
    from copilot.speech import AudioError, transcribe

    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    if not lines:
        raise ValueError(f"{path}: no cases")
    cache = cache or default_cache()
    # One acoustic condition at a time (all clean, then all noisy), as in a real drive: the
    # recogniser's channel adaptation follows the cabin, not a random interleaving.
    lines.sort(key=lambda c: (c.get("noise_snr_db") is not None, c.get("noise_snr_db") or 0))
    groups: dict[str, tuple[list[Case], list[Any]]] = {}
    rtf: list[float] = []
    latency: list[float] = []
    for case in lines:
        wav = synthesise(case, cache)
        try:
            t = transcribe(wav.read_bytes(), engine=engine, model_dir=model_dir,
                           grammar=grammar)
            text = t.text
            rtf.append(t.decode_ms / 1000 / max(1e-6, t.audio_s))
            latency.append(t.final_latency_ms)
        except AudioError as exc:
            text = ""
            log.warning("%s: %s", wav, exc)
        label = "clean" if case.get("noise_snr_db") is None else f"{case['noise_snr_db']} dB SNR"
        cs, rs = groups.setdefault(label, ([], []))
        cs.append(Case(case["text"], case, {"transcript": text, "id": case["id"]}))
        rs.append(understander.understand(text).model_copy(update={"text": case["text"]}))
    out: dict[str, Any] = {"engine": engine, "groups": {}}
    parts = [f"engine: {engine}, grammar: {grammar}"]
    for label, (cs, rs) in groups.items():
        rep = score(cs, rs)
        out["groups"][label] = rep.as_dict()
        parts.append(f"== {label} ({len(cs)} utterances)\n{report_text(rep, show_misses)}")
    if rtf:
        out["rtf_median"] = statistics.median(rtf)
        out["final_latency_ms_median"] = statistics.median(latency)
        parts.append(f"real-time factor median {out['rtf_median']:.3f}; final result "
                     f"{out['final_latency_ms_median']:.0f} ms after end of speech (median)")
    out["text"] = "\n".join(parts)
    return out
