"""`copilot bench listen`: the speech path's speed on real voices, and memory with every model.

Files: the real voices of a speech set (default `../shared/speech-dev` next to the repository,
first `limit` files in name order), else the synthesised manifest. Each file goes through
`transcribe` (streamed, end of speech detected) and the Understander, as `listen` does.
Reported as medians: the real-time factor (recogniser wall time / audio fed), the time from
the detected end of speech to the understood result, and the model load. Memory: resident
set after loading Whisper, Silero VAD, PocketSphinx with its domain LM, the Korean vosk model,
the understanding and the local LLM, i.e. every model the device carries.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import statistics
import time
from pathlib import Path

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SET = ROOT.parent / "shared" / "speech-dev"


def _rss_mb() -> float:
    """Current resident set (VmRSS) in MB; 0 where /proc is not available."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _wavs(data: Path | None, limit: int) -> list[bytes]:
    root = data or DEFAULT_SET
    if root.is_dir():
        labels = json.loads((root / "labels.json").read_text(encoding="utf-8"))
        return [(root / "wav" / n).read_bytes() for n in sorted(labels)[:limit]]
    from copilot.nlu.speechset import default_cache, synthesise

    cases = [json.loads(x) for x in root.read_text().splitlines() if x.strip()]
    clean = [c for c in cases if c.get("noise_snr_db") is None][:limit]
    return [synthesise(c, default_cache()).read_bytes() for c in clean]


def _load_everything(lines: list[str]) -> None:
    """Every model the device carries, so the resident set is the whole speech+NLU stack."""
    from copilot.speech.engines import recogniser

    for engine in ("whisper", "pocketsphinx", "vosk"):
        try:
            recogniser(engine, None, True)
        except Exception as exc:               # report, do not hide: an engine may be absent
            lines.append(f"  {engine}: not loaded ({exc})")
    try:
        from copilot.speech.vad import SileroEndOfSpeech

        SileroEndOfSpeech()
    except Exception as exc:
        lines.append(f"  silero VAD: not loaded ({exc})")
    try:
        from copilot.nlu.llm import LabelScorer

        LabelScorer().intent("warm up")
    except Exception as exc:
        lines.append(f"  local LLM: not loaded ({exc})")


def run_listen_bench(data: Path | None, engine: str, model_dir: Path | None, limit: int) -> str:
    from copilot.nlu import Understander, understand_transcript
    from copilot.speech import transcribe
    from copilot.speech.engines import choose_engine

    wavs = _wavs(data, limit)
    if not wavs:
        raise ValueError("no audio to measure")
    name = choose_engine(engine, "en", model_dir)
    u = Understander()
    t0 = time.perf_counter()
    transcribe(wavs[0], engine=name, model_dir=model_dir)        # loads the model
    load_s = time.perf_counter() - t0
    u.understand("warm up with a large latte")
    rtf: list[float] = []
    after_eos: list[float] = []
    decode_only: list[float] = []
    cpu: list[float] = []
    audio: list[float] = []
    for w in wavs:
        t = transcribe(w, engine=name, model_dir=model_dir)
        t1 = time.perf_counter()
        understand_transcript(t, u)
        understand_ms = (time.perf_counter() - t1) * 1000
        fed = t.end_of_speech_s or t.audio_s
        rtf.append(t.decode_ms / 1000 / max(1e-6, fed))
        decode_only.append(t.final_latency_ms)
        cpu.append(t.final_cpu_ms)
        after_eos.append(t.final_latency_ms + understand_ms)
        audio.append(t.audio_s)
    lines = [f"{name}: {len(wavs)} utterances ({statistics.median(audio):.1f} s median) from "
             f"{data or DEFAULT_SET}",
             f"  real-time factor median {statistics.median(rtf):.3f} (max {max(rtf):.3f})",
             f"  end of speech -> understood result: median {statistics.median(after_eos):.0f} ms"
             f" (recogniser's part {statistics.median(decode_only):.0f} ms, max "
             f"{max(after_eos):.0f} ms)",
             f"  recogniser CPU time after end of speech (all threads): median "
             f"{statistics.median(cpu):.0f} ms",
             f"  first call incl. model load {load_s:.2f} s",
             f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores while measuring"]
    _load_everything(lines)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines.append(f"  resident memory with every model loaded: {_rss_mb():.0f} MB "
                 f"(peak {peak:.0f} MB)")
    return "\n".join(lines)

