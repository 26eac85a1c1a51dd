"""Spoken turns for the simulator: synthesised speech, optionally mixed with cabin noise.

Two synthesisers: espeak-ng (every language, robotic: the voice enrollment is tested with)
and piper with the packaged natural en_US voice (closer to a person; what the demo speaks).

Cabin noise is brown noise from sox (most road and engine noise sits in the low
frequencies), scaled so that speech RMS / noise RMS is exactly the requested SNR, then added
sample by sample. Output: 16 kHz, 16-bit PCM mono WAV bytes, as a microphone would give.
"""

from __future__ import annotations

import array
import io
import logging
import math
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

log = logging.getLogger(__name__)

RATE_HZ = 16_000


class AudioError(RuntimeError):
    """Speech could not be synthesised (espeak-ng or sox missing or failing)."""


def _run(cmd: list[str]) -> None:
    if shutil.which(cmd[0]) is None:
        raise AudioError(f"{cmd[0]} is not installed (apt-get install espeak-ng sox)")
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AudioError(f"{cmd[0]} failed: {r.stderr.strip()[:300]}")


def _read_pcm(path: Path) -> array.array[int]:
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise AudioError(f"{path}: expected 16-bit mono")
        samples = array.array("h")
        samples.frombytes(w.readframes(w.getnframes()))
    return samples


def _wav_bytes(samples: array.array[int]) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE_HZ)
        w.writeframes(samples.tobytes())
    return buf.getvalue()


def rms(samples: array.array[int]) -> float:
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples))


SYNTH_WPM = 150
"""espeak-ng speaking rate, words per minute (also the rate a synthetic driver enrolls at)."""


def _piper_wav(text: str, out: Path) -> None:
    from copilot.voice.engines import VoiceError
    from copilot.voice.speak import Speaker

    try:
        out.write_bytes(Speaker("piper").wav(text, "en"))
    except VoiceError as e:
        raise AudioError(f"piper could not speak the turn: {e}") from None


def synthesise(text: str, *, voice: str = "en-us", noise_snr_db: float | None = None,
               seed: int = 1, synth: str = "espeak", rate_wpm: int | None = None) -> bytes:
    """WAV bytes of `text` spoken by `synth` (espeak-ng or piper, espeak at `rate_wpm`,
    default SYNTH_WPM), in cabin noise at `noise_snr_db` if given."""
    with tempfile.TemporaryDirectory(prefix="copilot-tts-") as tmp:
        d = Path(tmp)
        raw, speech = d / "raw.wav", d / "speech.wav"
        if synth == "piper":
            _piper_wav(text, raw)
        elif synth == "espeak":
            _run(["espeak-ng", "-v", voice, "-s", str(rate_wpm or SYNTH_WPM), "-w", str(raw),
                  text])
        else:
            raise AudioError(f"unknown synthesiser {synth!r} (espeak or piper)")
        # 0.4 s of lead-in and tail, as a push-to-talk recording has. -R: sox dithers the
        # 16-bit result with fresh random noise on every run unless told to repeat itself,
        # and recognisers on the edge (Whisper on Korean speech) then heard different words.
        _run(["sox", "-R", str(raw), "-r", str(RATE_HZ), "-c", "1", "-b", "16", str(speech),
              "pad", "0.4", "0.4"])
        voice_pcm = _read_pcm(speech)
        if noise_snr_db is None:
            return _wav_bytes(voice_pcm)
        noise_file = d / "noise.wav"
        seconds = len(voice_pcm) / RATE_HZ
        _run(["sox", "-R", "-n", "-r", str(RATE_HZ), "-c", "1", "-b", "16", str(noise_file),
              "synth", f"{seconds:.3f}", "brownnoise", "vol", "0.5"])
        noise = _read_pcm(noise_file)
        return _wav_bytes(mix_at_snr(voice_pcm, noise, noise_snr_db))


def mix_at_snr(voice: array.array[int], noise: array.array[int], snr_db: float
               ) -> array.array[int]:
    """voice + noise scaled so that 20 log10(rms(voice) / rms(scaled noise)) == snr_db."""
    v_rms, n_rms = rms(voice), rms(noise)
    if v_rms == 0 or n_rms == 0:
        return array.array("h", voice)
    gain = v_rms / (10 ** (snr_db / 20)) / n_rms
    n = len(noise)
    out = array.array("h", bytes(2 * len(voice)))
    for i, s in enumerate(voice):
        out[i] = max(-32768, min(32767, round(s + gain * noise[i % n])))
    return out
