"""Wires the real parts behind `copilot serve`: region pack, profile, Copilot, hybrid offload,
speech in (Whisper for English by default; vosk, pocketsphinx) and the proactive monitor's
map look-ups.

Kept apart from the transport (server.py) so the transport can be tested with any
`Callable[[AskTurn], AskResult]`; everything heavy is imported inside the functions.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from copilot.messages import AskResult, AskTurn
from copilot.service.proactive import OpenCheck, PlaceFinder
from copilot.speech.gate import Hearing
from routing.messages import Category, Place
from sensors.messages import HazardEvent

log = logging.getLogger(__name__)

DEFAULT_MAP = Path(__file__).resolve().parents[1] / "data" / "maps" / "harrisburg.osm.pbf"
"""The embedded map used when `--map` is not given."""


class UnusableAudio(Exception):
    """The request's audio is not usable speech; `.reason` says why (not_wav, clipped, ...)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Pipeline:
    answer: Callable[[AskTurn], AskResult]
    find_places: PlaceFinder | None = None
    open_at: OpenCheck | None = None
    set_link: Callable[[str | None], None] | None = None
    """Live link quality for the hybrid policy (from `vehicle/VIN/events/link`)."""
    saved_labels: tuple[str, ...] = ()
    """The driver's saved places, for the recogniser's prompt."""
    place_names: tuple[str, ...] = ()
    """The region pack's most frequent brand/place names, for the recogniser's prompt."""
    languages: tuple[str, ...] = ("en",)
    """The languages the driver speaks (the profile's), for `copilot.speech.language`."""


def build_pipeline(map_path: Path | None, profile_path: Path | None,
                   hazards: Callable[[], tuple[HazardEvent, ...]], *,
                   cloud_llm: str | None = None, cloud_model: str | None = None,
                   offload: str = "auto", link: str | None = None,
                   privacy: str = "standard", audit_path: Path | str | None = None) -> Pipeline:
    """The real Copilot on a region pack (built on first use), answering with live hazards."""
    from copilot.dialog import Copilot
    from routing.opening import open_state
    from routing.pack import RegionPack
    from routing.profile import Profile

    pack = RegionPack.open(map_path or DEFAULT_MAP, progress=False)
    profile = Profile.load(profile_path) if profile_path else Profile()
    hook: Any = None
    if cloud_llm or offload != "auto" or link is not None or privacy != "standard":
        from copilot.hybrid import build_offload

        hook = build_offload(cloud_llm, cloud_model, offload, link, privacy)
        if hook is not None:
            hook.attach_pack(pack, profile)
    from copilot.audit import AuditLog

    copilot = Copilot(pack, profile, offload=hook, audit=AuditLog(audit_path))
    # Load the understanding now: its first call reads vocabularies and weights (seconds on
    # busy cores), which the driver's first request must not wait for.
    t0 = time.perf_counter()
    copilot.understand("take me to the airport")
    _warm_encoder()
    log.info("understanding loaded in %.0f ms", (time.perf_counter() - t0) * 1000.0)
    places = pack.places

    def answer(turn: AskTurn) -> AskResult:
        return copilot.answer(turn, hazards=hazards())

    def find_places(cat: Category, lat: float, lon: float, radius_m: float) -> Sequence[Place]:
        return [m.place for m in places.near(cat, lat, lon, radius_m)]

    def open_at(place: Place, when: datetime) -> bool | None:
        if place.osm_type is None or place.osm_id is None:
            return None
        m = places.get_map_place(place.osm_type, place.osm_id)
        return None if m is None else open_state(m.opening_hours, when)

    def set_link(quality: str | None) -> None:
        if hook is not None and link is None:  # an explicit --link wins over the modem
            hook.set_link(quality)

    from copilot.speech.bias import region_names

    return Pipeline(answer, find_places, open_at, set_link, tuple(profile.saved),
                    tuple(region_names(places)), tuple(profile.languages))


def _warm_encoder() -> None:
    """Load the sentence encoder now: the model runs it only for a sentence its n-gram head is
    unsure of, and that turn must not pay for loading it. Without it the head answers alone."""
    try:
        from copilot.nlu.model.encoder import shared_encoder

        shared_encoder().encode(["is there a pharmacy open now"])
    except Exception as exc:          # the understanding falls back to the n-gram head
        log.warning("sentence encoder not loaded: %s", exc)


def make_transcriber(engine: str = "auto", model_dir: Path | None = None,
                     adaptation: Path | None = None, *, language: str = "en",
                     saved_labels: Sequence[str] = (),
                     place_names: Sequence[str] = (),
                     languages: Sequence[str] = ()) -> Callable[[bytes], Hearing]:
    """WAV bytes -> what was heard (text, hearing confidence, engine, language) with
    copilot.speech; unusable audio -> UnusableAudio. The service asks a turn again when the
    hearing is unsure (`copilot.speech.gate`).

    `engine` "auto" picks by language and what is installed (Whisper for English).
    `adaptation` is the driver's enrollment profile (`copilot listen enroll`, PocketSphinx).
    The recogniser is loaded here, once, so the first spoken request does not pay for it;
    Whisper's prompt names the driver's saved places and the region's frequent brands."""
    from copilot.speech import AudioError, transcribe
    from copilot.speech.bias import domain_bias
    from copilot.speech.engines import choose_engine, recogniser
    from copilot.speech.gate import spoken_language

    name = choose_engine(engine, language, model_dir, adaptation)
    bias = domain_bias(saved_labels, place_names) if name == "whisper" else None
    recogniser(name, model_dir, True, adaptation, bias=bias)      # load the model now
    log.info("speech: %s recogniser loaded", name)

    several = engine == "auto" and model_dir is None and adaptation is None and len(
        set(languages)) > 1

    def run(wav: bytes) -> Hearing:
        try:
            if several:   # the recognisers decide the turn's language (speech.language)
                from copilot.nlu import understand
                from copilot.speech.language import hear

                h = hear(wav, languages, understand)
                return Hearing(h.transcript.text, h.transcript.confidence, h.transcript.engine,
                               h.language, h.tried)
            t = transcribe(wav, engine=name, model_dir=model_dir, adaptation=adaptation,
                           language=language, bias=bias)
        except AudioError as e:
            raise UnusableAudio(str(getattr(e, "reason", "bad_audio"))) from e
        # The script says the language: `language` is the default, vosk's model may be Korean.
        return Hearing(t.text, t.confidence, t.engine, spoken_language(t.text, language))

    return run
