"""Which language `copilot.speech.language.hear` gives a turn, English and Korean speakers.

    .venv/bin/python eval/language_eval.py [--ko eval/ko_heldout.jsonl] [--ko-limit N]
        [--speech-dev ../shared/speech-dev] [--conditions "cabin 10 dB" "kitchen 18 dB"]
        [--limit N] [--json]

English: the real voices of ../shared/speech-dev (measured, never trained on) in the given
noise conditions. Korean: the sentences of a Korean set spoken by espeak-ng (voice `ko`, the
simulator's; synthetic, see eval/listen-ko.md). Every turn is heard as `copilot listen
--language auto` hears it (languages en, ko; `--no-llm` understanding). Reported: how many
turns got their own language, and the Korean turns acted on in English (the harm: the car
does what the hallucinated English says). `language.WHISPER_SURE` was chosen on
eval/ko_dev.jsonl and speech-dev in quiet and kitchen noise at 6 and 12 dB; the defaults here
are the sets it was not chosen on.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ko", type=Path, default=ROOT / "eval" / "ko_heldout.jsonl")
    ap.add_argument("--ko-limit", type=int, default=None)
    ap.add_argument("--speech-dev", type=Path, default=ROOT.parent / "shared" / "speech-dev")
    ap.add_argument("--conditions", nargs="*", default=["cabin 10 dB", "kitchen 18 dB"])
    ap.add_argument("--limit", type=int, default=None, help="speech-dev files per condition")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    from copilot.nlu import Understander
    from copilot.sim.audio import synthesise
    from copilot.speech.language import hear
    from copilot.speech.listen_eval import _read_pcm16, _wav_bytes, condition_audio, load_set

    for path in (args.ko, args.speech_dev):
        if not path.exists():
            ap.error(f"{path} does not exist")
    u = Understander(use_llm=False)
    langs = ("en", "ko")
    out: dict[str, dict[str, int]] = {}
    rows = [json.loads(line) for line in args.ko.read_text(encoding="utf-8").splitlines()
            if line.strip()][: args.ko_limit]
    ko = {"turns": 0, "heard_as_ko": 0, "acted_on_in_en": 0}
    for row in rows:
        h = hear(synthesise(row["text"], voice="ko"), langs, u.understand)
        ko["turns"] += 1
        ko["heard_as_ko"] += h.language == "ko"
        ko["acted_on_in_en"] += h.language == "en" and h.acted_on
    out[f"korean, espeak-ng, {args.ko.name}"] = ko
    items, kitchen = load_set(args.speech_dev, args.limit)
    for cond in args.conditions:
        en = {"turns": 0, "heard_as_en": 0}
        for wav, _slots in items:
            data = _wav_bytes(condition_audio(_read_pcm16(wav), cond, wav.name, kitchen))
            h = hear(data, langs, u.understand)
            en["turns"] += 1
            en["heard_as_en"] += h.language == "en"
        out[f"english, speech-dev, {cond}"] = en
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return
    for name, c in out.items():
        own = c.get("heard_as_ko", c.get("heard_as_en", 0))
        extra = f", {c['acted_on_in_en']} acted on in English" if "acted_on_in_en" in c else ""
        print(f"{name}: {own}/{c['turns']} in their own language ({own / c['turns']:.1%}){extra}")


if __name__ == "__main__":
    main()
