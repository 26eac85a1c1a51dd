"""Synthesise an enrollment set for one espeak-ng voice: NAME.wav + NAME.txt per prompt, the
layout `copilot listen enroll` reads (a real driver would record the same prompts).

    .venv/bin/python eval/enroll/make_enrollment.py OUT_DIR [--voice en-gb] [--speed 150]
    .venv/bin/copilot listen enroll --out PROFILE_DIR OUT_DIR
    .venv/bin/copilot listen --adapt PROFILE_DIR --json turn.wav
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from copilot.nlu.speechset import synthesise
from copilot.speech.adapt_eval import DEFAULT_PROMPTS, read_prompts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--voice", default="en-us")
    ap.add_argument("--speed", type=int, default=160, help="words per minute")
    ap.add_argument("--prompts", default=str(DEFAULT_PROMPTS))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for i, text in enumerate(read_prompts(Path(args.prompts))):
        name = f"prompt{i:02d}"
        wav = synthesise({"id": name, "voice": args.voice, "speed_wpm": args.speed,
                          "noise_snr_db": None, "text": text}, out / ".tmp")
        shutil.move(wav, out / f"{name}.wav")
        (out / f"{name}.txt").write_text(text + "\n", encoding="utf-8")
    shutil.rmtree(out / ".tmp", ignore_errors=True)
    print(out)


if __name__ == "__main__":
    main()
