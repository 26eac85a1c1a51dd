"""Benchmarks of the understanding path; every figure is a median (targets in the issue).

- rule path per utterance (warm), target < 5 ms
- LLM path per utterance (models loaded), target < 1.5 s
- `copilot understand --jsonl` on 100 lines including start-up, target < 10 s
(The speech benchmark, `copilot bench listen`, lives in `copilot.speech.bench`.)
"""

from __future__ import annotations

import json
import logging
import statistics
import subprocess
import sys
import time
from pathlib import Path

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TEXT = ROOT / "eval" / "understand.jsonl"


def _texts(data: Path | None) -> list[str]:
    path = data or DEFAULT_TEXT
    return [json.loads(x)["text"] for x in path.read_text(encoding="utf-8").splitlines()
            if x.strip()]


def _copilot() -> str:
    exe = Path(sys.executable).with_name("copilot")
    return str(exe) if exe.exists() else "copilot"


def run_understand_bench(data: Path | None, llm_runs: int) -> str:
    from copilot.nlu import Understander

    texts = _texts(data)
    rules = Understander(use_llm=False)
    rules.understand(texts[0])
    per: list[float] = []
    for _ in range(3):
        for t in texts:
            t0 = time.perf_counter()
            rules.understand(t)
            per.append(1000 * (time.perf_counter() - t0))
    lines = [f"rule path: median {statistics.median(per):.2f} ms per utterance "
             f"(p95 {sorted(per)[int(0.95 * len(per))]:.2f} ms, {len(texts)} utterances x3)"]

    # Every third utterance spans all intents, including ones the rules are unsure of, so
    # the run pays for loading the LLM once, as a real session would.
    lines_in = "\n".join((texts[::3] * 2)[:100]) + "\n"
    walls: list[float] = []
    for _ in range(3):
        t0 = time.perf_counter()
        r = subprocess.run([_copilot(), "understand", "--jsonl"], input=lines_in, text=True,
                           capture_output=True, timeout=300)
        sources = [json.loads(x)["source"] for x in r.stdout.splitlines() if x.strip()]
        walls.append(time.perf_counter() - t0)
        if r.returncode != 0 or len(r.stdout.splitlines()) != 100:
            lines.append(f"understand --jsonl FAILED: {r.stderr.strip()[:200]}")
            break
    lines.append("understand --jsonl, 100 lines incl. start-up: median "
                 f"{statistics.median(walls):.2f} s, {sources.count('local_llm')} answered by "
                 f"the LLM (runs: {', '.join(f'{w:.2f}' for w in walls)})")

    try:
        from copilot.nlu.llm import LabelScorer, merge_with_llm
        from copilot.nlu.rules import parse
        from copilot.nlu.understander import to_understanding

        t0 = time.perf_counter()
        scorer = LabelScorer()
        load_s = time.perf_counter() - t0
        scorer.intent("warm up")
        scorer.category("warm up")
        llm_ms: list[float] = []
        for t in texts[:llm_runs]:
            t0 = time.perf_counter()
            p = parse(t)
            merge_with_llm(to_understanding(t, p, None).model_copy(update={"confidence": 0.3}),
                           p, scorer)
            llm_ms.append(1000 * (time.perf_counter() - t0))
        lines.append("LLM path (embedding kNN intent, category label scores; forced): median "
                     f"{statistics.median(llm_ms):.0f} ms"
                     f" per utterance over {len(llm_ms)}; model load {load_s:.1f} s (once)")
    except Exception as exc:               # report, do not hide: the LLM path is optional
        lines.append(f"LLM path: unavailable ({exc})")
    return "\n".join(lines)

