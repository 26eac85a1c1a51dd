"""Speech-set evaluation with driver enrollment: before and after, side by side, one run.

Each espeak-ng voice (at its speed) in the manifest is a different driver. For each, the
enrollment prompts (`eval/enroll/prompts.txt`, disjoint from the evaluation sentences: checked
here) are synthesised clean with that voice, a profile is enrolled per method, and every
evaluation line of that voice is decoded without a profile and with each of its profiles.
"""

from __future__ import annotations

import json
import logging
import re
import statistics
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_PROMPTS = Path(__file__).resolve().parents[2] / "eval" / "enroll" / "prompts.txt"


def read_prompts(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [x.strip() for x in lines if x.strip() and not x.lstrip().startswith("#")]


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z' ]+", " ", text.lower()).split())


def overlap(prompts: list[str], texts: list[str]) -> list[str]:
    """Evaluation sentences found inside enrollment prompts (must be none)."""
    ps = [f" {_norm(p)} " for p in prompts]
    return sorted({t for t in texts if any(f" {_norm(t)} " in p for p in ps)})


def enroll_voice(voice: str, speed_wpm: int, prompts: list[str], cache: Path,
                 methods: tuple[str, ...], passes: int | None = None) -> dict[str, Path]:
    """Synthesise the prompts in one voice and enroll one profile per method."""
    from copilot.nlu.speechset import synthesise
    from copilot.speech.adapt import PASSES, Utterance, enroll_utterances

    tag = f"{voice}-{speed_wpm}".replace("+", "_")
    utts = []
    for i, text in enumerate(prompts):
        wav = synthesise({"id": f"enroll-{tag}-{i:02d}", "voice": voice, "speed_wpm": speed_wpm,
                          "noise_snr_db": None, "text": text}, cache / "enroll-audio")
        utts.append(Utterance(wav.stem, wav.read_bytes(), text))
    out: dict[str, Path] = {}
    for m in methods:
        out[m] = enroll_utterances(utts, cache / "profiles" / f"{tag}-{m}", (m,),
                                   passes or PASSES).path
    return out


def synthetic_profile(voice: str, speed_wpm: int, method: str = "map",
                      prompts_path: Path | None = None) -> Path:
    """A profile for an espeak-ng "driver", enrolled on first use and then reused (keyed by
    voice, speed, method and the prompts' text): for simulations that speak with espeak."""
    import hashlib

    from copilot.speech.adapt import PASSES
    from copilot.speech.grammar import cache_dir

    prompts = read_prompts(prompts_path or DEFAULT_PROMPTS)
    digest = hashlib.sha256("\n".join([*prompts, str(PASSES)]).encode()).hexdigest()[:10]
    cache = cache_dir() / "synthetic-drivers" / digest
    tag = f"{voice}-{speed_wpm}".replace("+", "_")
    done = cache / "profiles" / f"{tag}-{method}"
    if (done / "profile.json").exists():
        return done
    return enroll_voice(voice, speed_wpm, prompts, cache, (method,))[method]


def evaluate_enrollment(manifest: Path, understander: Any, cache: Path | None = None,
                        prompts_path: Path | None = None, profile: Path | None = None,
                        methods: tuple[str, ...] = ("mllr", "map", "cmn"),
                        grammar: bool | str = True, show_misses: int = 10,
                        passes: int | None = None) -> dict[str, Any]:
    """Acceptance per condition (clean / noisy) and per column (baseline, each method).

    With `profile`, that one profile is used for every line (column "profile") instead of
    enrolling each voice."""
    from copilot.nlu.evaluate import Case, report_text, score
    from copilot.nlu.speechset import default_cache, synthesise
    from copilot.speech import AudioError, transcribe

    cases = [json.loads(x) for x in manifest.read_text(encoding="utf-8").splitlines()
             if x.strip()]
    if not cases:
        raise ValueError(f"{manifest}: no cases")
    cache = cache or default_cache()
    voices = sorted({(str(c.get("voice", "en-us")), int(c.get("speed_wpm", 160)))
                     for c in cases})
    profiles: dict[tuple[str, int], dict[str, Path]] = {}
    enroll_notes: list[str] = []
    if profile is not None:
        profiles = {v: {"profile": profile} for v in voices}
    else:
        prompts = read_prompts(prompts_path or DEFAULT_PROMPTS)
        clash = overlap(prompts, [str(c["text"]) for c in cases])
        if clash:
            raise ValueError(f"enrollment prompts contain evaluation sentences: {clash[:5]}")
        for v in voices:
            t0 = time.perf_counter()
            profiles[v] = enroll_voice(v[0], v[1], prompts, cache, methods, passes)
            took = time.perf_counter() - t0
            meta = json.loads((next(iter(profiles[v].values())) / "profile.json").read_text())
            enroll_notes.append(f"enrolled {v[0]} @ {v[1]} wpm: {meta['utterances']} prompts, "
                                f"{meta['failed_alignment']} not aligned, {took:.1f} s "
                                f"for {len(methods)} profile(s) incl. synthesis")
    # Whisper (no enrollment) last: does enrolling PocketSphinx still pay against it?
    columns = ["baseline", *next(iter(profiles.values())), "whisper"]
    # The order of `copilot eval listen` (all clean, then noisy; manifest order within), so
    # the baseline column is that command's figure: the unadapted recogniser's running
    # cepstral mean depends on what it heard before. Each profile keeps its own mean.
    cases.sort(key=lambda c: (c.get("noise_snr_db") is not None, c.get("noise_snr_db") or 0))
    table: dict[str, dict[str, tuple[list[Case], list[Any]]]] = {}
    rtf: dict[str, list[float]] = {col: [] for col in columns}
    latency: dict[str, list[float]] = {col: [] for col in columns}
    for case in cases:
        wav = synthesise(case, cache).read_bytes()
        v = (str(case.get("voice", "en-us")), int(case.get("speed_wpm", 160)))
        cond = "clean" if case.get("noise_snr_db") is None else f"{case['noise_snr_db']} dB SNR"
        for col in columns:
            adaptation = None if col in ("baseline", "whisper") else profiles[v][col]
            try:
                whisper = col == "whisper"   # a JSGF grammar is PocketSphinx's: Whisper's prompt
                t = transcribe(wav, engine="whisper" if whisper else "pocketsphinx",
                               grammar=True if whisper and grammar == "jsgf" else grammar,
                               adaptation=adaptation)
                text = t.text
                rtf[col].append(t.decode_ms / 1000 / max(1e-6, t.audio_s))
                latency[col].append(t.final_latency_ms)
            except AudioError as exc:
                text = ""
                log.warning("%s: %s", case["id"], exc)
            cs, rs = table.setdefault(cond, {}).setdefault(col, ([], []))
            cs.append(Case(case["text"], case, {"transcript": text, "id": case["id"],
                                                "voice": case.get("voice"), "driver": v}))
            rs.append(understander.understand(text).model_copy(update={"text": case["text"]}))
    out: dict[str, Any] = {"columns": columns, "groups": {}, "enrollment": enroll_notes}
    head = f"{'condition':<14}" + "".join(f"{c:>12}" for c in columns)
    lines = [*enroll_notes, "command acceptance (per-voice profiles)" if profile is None
             else f"command acceptance (profile {profile})", head]
    details: list[str] = []
    for cond, cols in table.items():
        reps = {col: score(*cols[col]) for col in columns}
        out["groups"][cond] = {col: r.as_dict() for col, r in reps.items()}
        n = reps["baseline"].total
        lines.append(f"{cond:<14}" + "".join(
            f"{reps[c].accepted:>5}/{n:<3}{100 * reps[c].accepted / n:>3.0f}%" for c in columns))
        for v in voices:
            idx = [i for i, c in enumerate(cols["baseline"][0]) if c.extra["driver"] == v]
            accepted = [score([cols[c][0][i] for i in idx], [cols[c][1][i] for i in idx]).accepted
                        for c in columns]
            lines.append(f"  {v[0]:<12}" + "".join(f"{a:>5}/{len(idx):<6}" for a in accepted))
        for col in columns[1:]:
            details.append(f"== {cond}, {col}\n{report_text(reps[col], show_misses)}")
    out["rtf_median"] = {c: statistics.median(v) for c, v in rtf.items() if v}
    out["final_latency_ms_median"] = {c: statistics.median(v) for c, v in latency.items() if v}
    lines.append("real-time factor median: " + ", ".join(
        f"{c} {v:.3f}" for c, v in out["rtf_median"].items()))
    lines.append("final result after end of speech, median ms: " + ", ".join(
        f"{c} {v:.0f}" for c, v in out["final_latency_ms_median"].items()))
    out["text"] = "\n".join([*lines, *details])
    return out
