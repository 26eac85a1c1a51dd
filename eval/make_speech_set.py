"""Synthesise the speech evaluation set into a cache directory (nothing is committed but the
manifest): espeak-ng voices and speeds, clean and with sox cabin noise at 10 dB SNR.

    .venv/bin/python eval/make_speech_set.py [eval/listen.jsonl] [--cache DIR]

`copilot eval listen eval/listen.jsonl` calls the same code and makes missing files itself.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from copilot.nlu.speechset import default_cache, synthesise


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("manifest", nargs="?", default=str(Path(__file__).with_name("listen.jsonl")))
    ap.add_argument("--cache", default=None)
    args = ap.parse_args()
    cache = Path(args.cache) if args.cache else default_cache()
    lines = Path(args.manifest).read_text(encoding="utf-8").splitlines()
    for line in lines:
        if line.strip():
            print(synthesise(json.loads(line), cache))


if __name__ == "__main__":
    main()
