"""`copilot eval listen DIR`: command acceptance on real voices, per engine and noise, one run.

DIR is a speech set like `../shared/speech-dev`: `wav/*.wav`, `labels.json` (file -> intent and
the benchmark's slots) and `kitchen-noise.wav`. Every file is heard in every condition by every
engine, end to end: WAV bytes -> `copilot.speech.transcribe` (streamed, end of speech
detected) -> the Understander -> the coffee stop's order, scored by `copilot.nlu.orders_eval`
(accepted only when every labelled slot is right and nothing is invented).

Conditions: quiet (the recording as it is), cabin rumble at 10 dB (`noise.cabin_noise`) and
the set's own kitchen recording at 6, 12 and 18 dB, each file at its own seeded offset.
Timing: `after_end_of_speech` is the wall time from the detector's end of speech to the
understood result (the recogniser's finish plus understanding; Whisper decodes early, at the
first pause, paced like a live microphone: `copilot.speech.early`), `after_last_speech` the
same from the last voiced audio (the hangover included); the real-time factor is the
recogniser's work time over the audio it was fed. Medians, over every file and condition.
Nothing here trains or tunes anything on the recordings.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import resource
import statistics
import sys
import time
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

CONDITIONS: dict[str, tuple[str, float] | None] = {
    "quiet": None,
    "cabin 10 dB": ("cabin", 10.0),
    "kitchen 6 dB": ("kitchen", 6.0),
    "kitchen 12 dB": ("kitchen", 12.0),
    "kitchen 18 dB": ("kitchen", 18.0),
}


@dataclass(frozen=True)
class EngineSpec:
    """One column of the comparison: an engine with its biasing and end-of-speech detector."""

    label: str
    engine: str
    grammar: bool | str = True
    vad: str | None = None
    model_dir: Path | None = None
    window: str = "fit"
    beam: int = 5
    repair: bool = True
    denoise: bool = False
    fill: bool = True

    @classmethod
    def parse(cls, text: str, model_dir: Path | None = None) -> EngineSpec:
        """"whisper", "whisper:nobias", "whisper:energy", "whisper:full" (30 s window),
        "whisper:repair" / "whisper:norepair" (order repair on / off), "whisper:nofill" (repair
        without `fill.fills`), "whisper:denoise",
        "pocketsphinx:nobias", "vosk"."""
        name, *mods = text.split(":")
        if name not in ("whisper", "vosk", "pocketsphinx"):
            raise ValueError(f"unknown engine {name!r} in {text!r}")
        grammar: bool | str = True
        vad: str | None = None
        window = "fit"
        beam = 5
        repair, denoise, fill = True, False, True
        for m in mods:
            if m == "nobias":
                grammar = False
            elif m in ("silero", "energy"):
                vad = m
            elif m in ("fit", "full") and name == "whisper":
                window = m
            elif m.startswith("beam") and m[4:].isdigit() and name == "whisper":
                beam = int(m[4:])
            elif m == "nofill" and name == "whisper":
                fill = False
            elif m in ("repair", "norepair", "denoise") and name == "whisper":
                repair = m == "repair" or (repair and m != "norepair")
                denoise = denoise or m == "denoise"
            else:
                raise ValueError(f"unknown modifier {m!r} in {text!r} (nobias, silero, "
                                 "energy; whisper: fit, full, beamN, repair, norepair, nofill, "
                                 "denoise)")
        return cls(text, name, grammar, vad, model_dir, window, beam, repair, denoise, fill)


DEFAULT_ENGINES = ("whisper", "whisper:nobias", "pocketsphinx")


_NUMBER_WORDS = {"8": "eight", "12": "twelve", "16": "sixteen", "20": "twenty"}


def heard_all_slots(transcript: str, slots: dict[str, str]) -> bool:
    """The recogniser's share of the work: every labelled slot's words are in the transcript
    (lower case, punctuation dropped, the benchmark's ounce numbers as words). It separates
    hearing errors from understanding errors; acceptance is what counts."""
    words = re.sub(r"[^a-z0-9' ]+", " ", transcript.lower().replace("-", " ")).split()
    text = " " + " ".join(_NUMBER_WORDS.get(w, w) for w in words) + " "
    return all(f" {' '.join(v.lower().split())} " in text for v in slots.values())


@dataclass
class Column:
    heard: dict[str, list[bool]] = field(default_factory=dict)
    scores: dict[str, list[Any]] = field(default_factory=dict)
    after_eos_ms: list[float] = field(default_factory=list)
    after_last_ms: list[float] = field(default_factory=list)
    final_cpu_ms: list[float] = field(default_factory=list)
    rtf: list[float] = field(default_factory=list)
    misses: list[dict[str, Any]] = field(default_factory=list)
    transcripts: list[dict[str, str]] = field(default_factory=list)


def _read_pcm16(path: Path) -> np.ndarray:
    """A 16 kHz mono 16-bit WAV of any length (the noise recording is over two minutes)."""
    with wave.open(str(path)) as w:
        if (w.getnchannels(), w.getsampwidth(), w.getframerate()) != (1, 2, 16_000):
            raise ValueError(f"{path}: 16 kHz mono 16-bit PCM expected")
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


def _wav_bytes(samples: np.ndarray) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16_000)
        w.writeframes(samples.astype("<i2").tobytes())
    return buf.getvalue()


def load_set(root: Path, limit: int | None = None) -> tuple[list[tuple[Path, dict[str, str]]],
                                                            np.ndarray | None]:
    """(wav path, slots) per labelled file in name order, and the kitchen recording."""
    labels_path = root / "labels.json"
    if not labels_path.is_file():
        raise FileNotFoundError(f"{root}: no labels.json (a speech set has wav/, labels.json)")
    labels = json.loads(labels_path.read_text(encoding="utf-8"))
    items: list[tuple[Path, dict[str, str]]] = []
    for name in sorted(labels):
        wav = root / "wav" / name
        if not wav.is_file():
            raise FileNotFoundError(f"{wav}: listed in labels.json but missing")
        items.append((wav, dict(labels[name].get("slots") or {})))
    if limit is not None:
        items = items[:max(0, limit)]
    kitchen = root / "kitchen-noise.wav"
    return items, (_read_pcm16(kitchen) if kitchen.is_file() else None)


def condition_audio(samples: np.ndarray, condition: str, name: str,
                    kitchen: np.ndarray | None) -> np.ndarray:
    from copilot.speech.noise import cabin_noise, mix_at_snr, noise_segment, seed_of

    spec = CONDITIONS[condition]
    if spec is None:
        return samples
    kind, snr = spec
    if kind == "cabin":
        return mix_at_snr(samples, cabin_noise(len(samples), seed_of(name)), snr)
    if kitchen is None:
        raise FileNotFoundError("kitchen-noise.wav is missing from the speech set")
    return mix_at_snr(samples, noise_segment(kitchen, len(samples), seed_of(name)), snr)


def evaluate(root: Path, engines: Sequence[EngineSpec], understander: Any,
             conditions: Sequence[str] = tuple(CONDITIONS), limit: int | None = None,
             progress: Callable[[str], None] | None = None,
             checkpoint: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Hear every file in every condition with every engine; the report as a dict.
    `checkpoint` gets the report of the conditions done so far after each one."""
    from copilot.nlu.orders_eval import order_of, score
    from copilot.speech import AudioError, transcribe

    unknown = [c for c in conditions if c not in CONDITIONS]
    if unknown:
        raise ValueError(f"unknown condition(s) {unknown}; known: {', '.join(CONDITIONS)}")
    items, kitchen = load_set(root, limit)
    if not items:
        raise ValueError(f"{root}: no files to evaluate")
    cols = {e.label: Column() for e in engines}
    for e in engines:                          # load every model before timing anything
        warm = _read_pcm16(items[0][0])
        transcribe(_wav_bytes(warm), engine=e.engine, model_dir=e.model_dir, grammar=e.grammar,
                   vad=e.vad, window=e.window, beam=e.beam, repair=e.repair, denoise=e.denoise,
                   fill=e.fill)
    understander.understand("warm up with a large latte")
    t_start = time.perf_counter()
    for cond in conditions:
        for i, (wav, slots) in enumerate(items):
            samples = condition_audio(_read_pcm16(wav), cond, wav.name, kitchen)
            data = _wav_bytes(samples)
            for e in engines:
                col = cols[e.label]
                try:
                    t = transcribe(data, engine=e.engine, model_dir=e.model_dir,
                                   grammar=e.grammar, vad=e.vad, window=e.window, beam=e.beam,
                                   repair=e.repair, denoise=e.denoise, fill=e.fill)
                    text = t.text
                except AudioError as exc:
                    log.warning("%s (%s): %s", wav.name, cond, exc)
                    t, text = None, ""
                t0 = time.perf_counter()
                u = understander.understand(text)
                understand_ms = (time.perf_counter() - t0) * 1000
                sc = score(order_of(u), slots)
                col.scores.setdefault(cond, []).append(sc)
                col.heard.setdefault(cond, []).append(heard_all_slots(text, slots))
                col.transcripts.append({"file": wav.name, "condition": cond, "transcript": text})
                if t is not None:
                    col.after_eos_ms.append(t.final_latency_ms + understand_ms)
                    col.after_last_ms.append(t.hangover_ms + t.final_latency_ms + understand_ms)
                    col.final_cpu_ms.append(t.final_cpu_ms)
                    fed_s = t.end_of_speech_s or t.audio_s
                    col.rtf.append(t.decode_ms / 1000 / max(1e-6, fed_s))
                if not sc.accepted:
                    col.misses.append({"file": wav.name, "condition": cond, "transcript": text,
                                       "expected": sc.expected.model_dump(),
                                       "got": sc.got.model_dump() if sc.got else None})
            if progress and (i + 1) % 25 == 0:
                progress(f"{cond}: {i + 1}/{len(items)} files "
                         f"({time.perf_counter() - t_start:.0f} s)")
        if checkpoint is not None:
            done = list(conditions)[:list(conditions).index(cond) + 1]
            checkpoint(_report(cols, done, len(items)))
    return _report(cols, conditions, len(items))


def _report(cols: dict[str, Column], conditions: Sequence[str], n_files: int) -> dict[str, Any]:
    from copilot.nlu.orders_eval import summarise

    out: dict[str, Any] = {"files": n_files, "conditions": list(conditions), "engines": {}}
    for label, col in cols.items():
        per: dict[str, Any] = {}
        for cond in conditions:
            s = summarise(col.scores.get(cond, []))
            heard = col.heard.get(cond, [])
            per[cond] = {"accepted": s.accepted, "total": s.total,
                         "acceptance": round(s.acceptance, 4),
                         "slot_accuracy": round(s.slot_accuracy(), 4),
                         "heard_all_slots": round(sum(heard) / len(heard), 4) if heard else 0.0}
        accs = [per[c]["acceptance"] for c in conditions]
        out["engines"][label] = {
            "conditions": per,
            "average": round(sum(accs) / len(accs), 4) if accs else 0.0,
            "worst": round(min(accs), 4) if accs else 0.0,
            "after_end_of_speech_ms_median":
                round(statistics.median(col.after_eos_ms), 1) if col.after_eos_ms else None,
            "after_last_speech_ms_median":
                round(statistics.median(col.after_last_ms), 1) if col.after_last_ms else None,
            "recogniser_cpu_ms_after_eos_median":
                round(statistics.median(col.final_cpu_ms), 1) if col.final_cpu_ms else None,
            "rtf_median": round(statistics.median(col.rtf), 4) if col.rtf else None,
            "misses": col.misses,
            "transcripts": col.transcripts,
        }
    # ru_maxrss is in KiB on Linux: the peak of this process with every engine loaded.
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    out["load_average"] = round(os.getloadavg()[0], 2)
    out["cpus"] = os.cpu_count()
    return out


def report_text(rep: dict[str, Any], show_misses: int = 10) -> str:
    conds = rep["conditions"]
    width = max(12, *(len(c) + 2 for c in conds))
    head = f"{'engine':<22}" + "".join(f"{c:>{width}}" for c in conds) + \
        f"{'average':>10}{'eos->result ms':>16}{'RTF':>8}"
    lines = [f"command acceptance on {rep['files']} real voices (every labelled slot right)",
             head]
    for label, e in rep["engines"].items():
        cells = "".join(f"{100 * e['conditions'][c]['acceptance']:>{width - 1}.1f}%"
                        for c in conds)
        lat = e["after_end_of_speech_ms_median"]
        rtf = e["rtf_median"]
        lines.append(f"{label:<22}{cells}{100 * e['average']:>9.1f}%"
                     f"{(f'{lat:.0f}' if lat is not None else '-'):>16}"
                     f"{(f'{rtf:.3f}' if rtf is not None else '-'):>8}")
    lines.append("eos->result: median wall ms from the detected end of speech to the "
                 "understood order; RTF: median recogniser time / audio fed")
    lines.append("last voiced audio -> result (the detector's hangover included), median ms: "
                 + ", ".join(f"{k} {e.get('after_last_speech_ms_median')}"
                             for k, e in rep["engines"].items()))
    lines.append("recogniser CPU ms after end of speech (all threads; the work, whatever else "
                 "runs): " + ", ".join(f"{k} {e['recogniser_cpu_ms_after_eos_median']}"
                                        for k, e in rep["engines"].items()))
    lines.append(f"load average at the end: {rep.get('load_average', 0):.1f} on "
                 f"{rep.get('cpus', 0)} cores")
    lines.append(f"peak resident memory {rep['peak_rss_mb']:.0f} MB (this process, every "
                 "engine above and the understanding loaded)")
    lines.append("slot words heard (every labelled slot's words in the transcript):")
    for label, e in rep["engines"].items():
        cells = "".join(f"{100 * e['conditions'][c]['heard_all_slots']:>{width - 1}.1f}%"
                        for c in conds)
        lines.append(f"{label:<22}{cells}")
    for label, e in rep["engines"].items():
        if show_misses <= 0 or not e["misses"]:
            continue
        lines.append(f"== misses of {label} (first {show_misses} of {len(e['misses'])})")
        for m in e["misses"][:show_misses]:
            lines.append(f"  [{m['condition']}] {m['file']}: heard {m['transcript']!r}; "
                         f"expected {m['expected']} got {m['got']}")
    return "\n".join(lines)


def stderr_progress(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)
