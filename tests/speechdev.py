"""The real voices of ../shared/speech-dev for the speech tests: where they are, their labels,
a skip marker for a checkout without them, and a file's samples."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SPEECH_DEV = ROOT.parent / "shared" / "speech-dev"
LABELS: dict = json.loads((SPEECH_DEV / "labels.json").read_text()) \
    if (SPEECH_DEV / "labels.json").exists() else {}
needs_set = pytest.mark.skipif(not LABELS, reason="../shared/speech-dev is not available")


def samples(name: str) -> np.ndarray:
    """16-bit mono samples of one file of the set (16 kHz)."""
    with wave.open(str(SPEECH_DEV / "wav" / name)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
