"""Voice benchmark: time to first audio and real-time factor, piper vs espeak-ng.

For `copilot bench` (the lead wires the command): `bench_voices()` speaks a few typical
replies with each engine, after loading the voice and one warm-up, and reports medians.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Sequence
from typing import Any

from copilot.voice.engines import VoiceError
from copilot.voice.speak import Speaker

log = logging.getLogger(__name__)

REPLIES = (
    "Okay. Heading to Capital City Airport, with a stop for a large oat latte on Market "
    "Street. You'll arrive at 4:35 pm, 55 minutes before your flight.",
    "You have about 90 kilometres of range left. The nearest fuel station is 3 minutes ahead.",
    "Sorry, I can't find a dry cleaner on this map. Should I look along the route instead?",
    "Added a stop for a medium iced coffee with a little bit of skim milk. It adds 4 minutes.",
    "Your trip is cancelled.",
)


def bench_voices(engines: Sequence[str] = ("piper", "espeak"),
                 replies: Sequence[str] = REPLIES, repeats: int = 2) -> list[dict[str, Any]]:
    """One row per engine: load time, median/max time to first audio, median RTF."""
    rows: list[dict[str, Any]] = []
    for name in engines:
        speaker = Speaker(name)
        t0 = time.perf_counter()
        try:
            engine = speaker.engine_for("en")
            speaker.wav("Warm up.")
        except VoiceError as exc:
            rows.append({"engine": name, "error": str(exc)})
            continue
        load_s = time.perf_counter() - t0
        first: list[float] = []
        rtf: list[float] = []
        for _ in range(repeats):
            for text in replies:
                t = speaker.speak(text, lambda _chunk: None)
                first.append(t.first_audio_s)
                rtf.append(t.rtf)
        rows.append({"engine": engine.name, "load_s": round(load_s, 3),
                     "first_audio_ms_median": round(1000 * statistics.median(first), 1),
                     "first_audio_ms_max": round(1000 * max(first), 1),
                     "rtf_median": round(statistics.median(rtf), 4), "replies": len(first)})
    return rows
