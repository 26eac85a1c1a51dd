"""The copilot's voice: spoken replies with piper (natural en_US voice), espeak-ng fallback.

    engines     piper and espeak-ng engines: one sentence -> 16-bit PCM; the voice is
                loaded once per process
    speak       Speaker: sentence-by-sentence synthesis handed to a sink as it is ready
                (time to first audio is one sentence), WAV output, a player sink
    bench       bench_voices: time to first audio and real-time factor, piper vs espeak-ng
"""

from copilot.voice.engines import VoiceError, packaged_voice
from copilot.voice.speak import (
    PlayerSink,
    Speaker,
    SpeechTimings,
    SpokenChunk,
    default_speaker,
    sentences,
    to_wav,
)

__all__ = ["PlayerSink", "Speaker", "SpeechTimings", "SpokenChunk", "VoiceError",
           "default_speaker", "packaged_voice", "sentences", "to_wav"]
