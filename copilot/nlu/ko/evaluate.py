"""Korean understanding side by side: parser alone, learned model, combined, on a set.

    python -m copilot.nlu.ko.evaluate eval/ko_dev.jsonl eval/ko_heldout.jsonl

Prints, per set and mode, command acceptance, per-field accuracy, per-intent acceptance and
the median and 95th-percentile milliseconds per utterance. Misses are printed only with
--misses and never for a held-out set (eval/HELDOUT.md: its scores only).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from copilot.nlu.evaluate import load_cases, score
from copilot.nlu.ko.model import MODES, ko_model, understand_korean
from copilot.nlu.text import sanitise

log = logging.getLogger(__name__)


def run(path: Path, mode: str) -> tuple[str, list[str]]:
    cases = load_cases(path)
    ko_model()                                   # loading is not per-utterance latency
    results, ms = [], []
    for c in cases:
        t0 = time.perf_counter()
        clean = sanitise(c.text)
        results.append(understand_korean(clean.text, clean.error, mode))
        ms.append(1000 * (time.perf_counter() - t0))
    rep = score(cases, results)
    per: Counter[str] = Counter()
    ok: Counter[str] = Counter()
    missed = {m["text"] for m in rep.misses if {"intent", "destination", "stops"} &
              set(m["wrong"])}
    for c in cases:
        per[c.expect["intent"]] += 1
        ok[c.expect["intent"]] += c.text not in missed
    d = rep.as_dict()
    fields = " ".join(f"{k} {100 * v:.1f}" for k, v in d["fields"].items())
    intents = " ".join(f"{k} {ok[k]}/{per[k]}" for k in sorted(per))
    p95 = sorted(ms)[int(0.95 * (len(ms) - 1))]
    line = (f"{path.name:<20} {mode:<9} {rep.accepted}/{rep.total} = "
            f"{100 * d['acceptance']:.1f}%  p50 {statistics.median(ms):.2f} ms p95 {p95:.2f} ms"
            f"\n    fields: {fields}\n    intents: {intents}")
    return line, [f"  {m['text']!r} {m['wrong']} exp {m['expected']} got {m['got']}"
                  for m in rep.misses]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sets", nargs="+", type=Path)
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--misses", action="store_true", help="list misses (never for held-out)")
    args = ap.parse_args(argv)
    modes = [m for m in args.modes.split(",") if m]
    if not set(modes) <= set(MODES):
        print(f"--modes: choose from {', '.join(MODES)}", file=sys.stderr)
        return 2
    for path in args.sets:
        if not path.is_file():
            print(f"{path}: no such file", file=sys.stderr)
            return 2
        for mode in modes:
            line, misses = run(path, mode)
            print(line)
            if args.misses and "heldout" not in path.name:
                print("\n".join(misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
