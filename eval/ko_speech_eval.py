"""Korean speech through vosk: synthesised sentences -> character/word error and acceptance.

    .venv/bin/python eval/ko_speech_eval.py [--per-intent 3] [--seed 99] [--grammar domain|none]
        [--engine vosk|whisper] [--voice ko] [--rate WPM]

Sentences come from the Korean templates with a seed the vosk phrase grammar does not use
(the grammar samples seed 0), plus the mission's request; espeak-ng speaks them (voice
`ko`, the simulator's rate) and sox makes 16 kHz WAVs. Reported: character error rate
(spaces ignored: the Korean model writes morphemes, "햄버거 랑"), word error rate on
space-separated words, command acceptance (the understanding of the transcript against the
sentence's labels, as `copilot eval understand` scores it), misheard turns still understood
as a request, the turns the hearing gate asks again (`copilot.speech.gate`: how many, how
many of them wrong requests and right ones) and latency medians.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MISSION = ("공항으로 가 줘. 가는 길에 햄버거랑 커피 사고, 세탁소에서 옷도 찾아야 해. "
           "비행기는 5시 반이야.")
MISSION_LABELS = {"text": MISSION, "intent": "navigate", "destination": {"category": "airport"},
                  "stops": [{"category": "burger"}, {"category": "coffee"},
                            {"category": "dry_cleaning"}], "flight_time": "17:30"}


def edit_distance(a: list[str], b: list[str]) -> int:
    d = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, d[0] = d[:], i
        for j, y in enumerate(b, 1):
            d[j] = min(prev[j] + 1, d[j - 1] + 1, prev[j - 1] + (x != y))
    return d[-1]


def _plain(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-intent", type=int, default=3)
    ap.add_argument("--seed", type=int, default=99)
    ap.add_argument("--grammar", choices=["domain", "none"], default="domain")
    ap.add_argument("--engine", default="vosk")
    ap.add_argument("--voice", default="ko")
    ap.add_argument("--rate", type=int, default=None, help="espeak-ng wpm (default: the sim's)")
    ap.add_argument("--cache", type=Path,
                    default=Path.home() / ".cache" / "incar-copilot" / "ko-speech")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    from copilot.nlu import Understander
    from copilot.nlu.evaluate import Case, score
    from copilot.nlu.ko.lexicon import ko_lexicon
    from copilot.nlu.ko.templates import sample
    from copilot.sim.audio import synthesise
    from copilot.speech import transcribe
    from copilot.speech.gate import is_unsure

    rows = [MISSION_LABELS]
    for k, intent in enumerate(sorted(ko_lexicon().templates)):
        rows += [s.labels() for s in sample(intent, args.per_intent, args.seed + k)]
    args.cache.mkdir(parents=True, exist_ok=True)
    understander = Understander(use_llm=False)
    cer_e = cer_n = wer_e = wer_n = 0
    latencies, decodes, results, heard, unsure = [], [], [], [], []
    for row in rows:
        key = f"{args.voice}:{row['text']}" + (f":{args.rate}" if args.rate else "")
        tag = hashlib.sha256(key.encode()).hexdigest()[:16]
        wav = args.cache / f"{tag}.wav"
        if not wav.exists():
            wav.write_bytes(synthesise(row["text"], voice=args.voice, rate_wpm=args.rate))
        t0 = time.perf_counter()
        t = transcribe(wav.read_bytes(), engine=args.engine, language="ko",
                       grammar=args.grammar == "domain")
        decodes.append((time.perf_counter() - t0) * 1000.0)
        latencies.append(t.final_latency_ms)
        ref, hyp = _plain(row["text"]), _plain(t.text)
        cer_e += edit_distance(list(ref), list(hyp))
        cer_n += len(ref)
        wer_e += edit_distance(row["text"].replace(",", " ").replace(".", " ").split(),
                               t.text.split())
        wer_n += len(row["text"].split())
        results.append(understander.understand(t.text))
        heard.append(t.text)
        unsure.append(is_unsure(t.text, t.confidence, t.engine, "ko"))
    rep = score([Case(r["text"], r) for r in rows], results)
    # A misheard turn that still reads as a request acts on the wrong thing: counted apart.
    cases = [score([Case(r["text"], r)], [u]).accepted for r, u in zip(rows, results, strict=True)]
    wrong = sum(1 for ok, u in zip(cases, results, strict=True)
                if not ok and u.error is None and u.intent.value != "out_of_scope")
    # The hearing gate (copilot.speech.gate) asks these turns again instead of acting.
    acts = [u.error is None and u.intent.value != "out_of_scope" for u in results]
    stopped_wrong = sum(1 for ok, a, s in zip(cases, acts, unsure, strict=True)
                        if s and a and not ok)
    stopped_right = sum(1 for ok, s in zip(cases, unsure, strict=True) if s and ok)
    out = {"engine": args.engine, "grammar": args.grammar, "voice": args.voice,
           "rate_wpm": args.rate,
           "utterances": len(rows), "cer": round(cer_e / cer_n, 3),
           "wer": round(wer_e / wer_n, 3), "accepted": rep.accepted,
           "acceptance": round(rep.accepted / rep.total, 3), "wrong_request": wrong,
           "stopped": sum(unsure), "stopped_wrong": stopped_wrong,
           "stopped_right": stopped_right, "accepted_after_gate": rep.accepted - stopped_right,
           "wrong_request_after_gate": wrong - stopped_wrong,
           "final_latency_ms_median": round(statistics.median(latencies), 1),
           "decode_ms_median": round(statistics.median(decodes), 1),
           "mission_heard": heard[0]}
    print(json.dumps(out, ensure_ascii=False) if args.json else
          "\n".join(f"{k}: {v}" for k, v in out.items()))


if __name__ == "__main__":
    main()
