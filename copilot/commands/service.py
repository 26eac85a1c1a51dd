"""`copilot serve` (the in-car service over MQTT) and `copilot bench mqtt`."""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click

from copilot.commands.bench import bench_group
from copilot.commands.common import EXIT_USAGE, fail

log = logging.getLogger(__name__)


def _parse_start(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        fail(f"--start-time {value!r} is not ISO-8601 (e.g. 2026-11-25T15:00:00-05:00)",
             EXIT_USAGE)
    if t.tzinfo is None:
        fail("--start-time needs a UTC offset (e.g. -05:00)", EXIT_USAGE)
    return t


@click.command(help="The in-car service: MQTT sensors and requests in, replies out.")
@click.option("--broker", required=True, help="mqtt://HOST:PORT or mqtts://HOST:PORT")
@click.option("--vin", required=True, help="The vehicle's id (topic prefix).")
@click.option("--username", default=None)
@click.option("--password", default=None)
@click.option("--map", "map_path", type=click.Path(), default=None,
              help="REGION.osm.pbf (default: the embedded map).")
@click.option("--profile", "profile_path", type=click.Path(), default=None,
              help="PROFILE.yaml (saved places, preferences).")
@click.option("--cafile", type=click.Path(), default=None,
              help="CA certificate that signed the broker's TLS certificate (mqtts://).")
@click.option("--cloud-llm", default=None, help="Base URL of an OpenAI-compatible endpoint.")
@click.option("--cloud-model", default=None)
@click.option("--offload", type=click.Choice(["auto", "always", "never"]), default="auto")
@click.option("--link", type=click.Choice(["good", "degraded", "none"]), default=None,
              help="Fix the link quality (default: follow vehicle/VIN/events/link).")
@click.option("--privacy", type=click.Choice(["standard", "strict"]), default="standard")
@click.option("--speech-engine", type=click.Choice(["auto", "whisper", "vosk", "pocketsphinx"]),
              default="auto", show_default=True,
              help="Recogniser for spoken requests (auto: whisper for English, pocketsphinx "
                   "when it is missing or with --speech-adapt).")
@click.option("--speech-model", type=click.Path(), default=None, help="Recogniser model dir.")
@click.option("--speech-adapt", type=click.Path(file_okay=False), default=None,
              help="The driver's voice profile from `copilot listen enroll` (pocketsphinx).")
@click.option("--start-time", default=None,
              help="Simulated local time at start (ISO-8601 with offset) for turn times.")
@click.option("--time-warp", type=float, default=1.0, show_default=True,
              help="Simulated seconds per wall second (with --start-time).")
@click.option("--proactive/--no-proactive", default=True, show_default=True,
              help="Speak up about low range, hazards on the route and closed stops.")
@click.option("--speak-proactive", is_flag=True,
              help="Also publish proactive turns as speech on copilot/VIN/reply/audio.")
@click.option("--client-id", default=None, help="MQTT client id (default copilot-VIN).")
@click.option("--state-dir", type=click.Path(file_okay=False), default=None,
              help="Keep answered request ids here, so a restart never answers one twice.")
@click.option("--audit", type=click.Path(dir_okay=False), default=None,
              help="Audit log of refusals (default ~/.local/state/copilot/audit.jsonl).")
def serve(broker: str, vin: str, username: str | None, password: str | None,
          map_path: str | None, profile_path: str | None, cafile: str | None,
          cloud_llm: str | None, cloud_model: str | None, offload: str, link: str | None,
          privacy: str, speech_engine: str, speech_model: str | None,
          speech_adapt: str | None, start_time: str | None,
          time_warp: float, proactive: bool, speak_proactive: bool,
          client_id: str | None, state_dir: str | None, audit: str | None) -> None:
    from sensors.mqtt import BrokerAddress, BrokerUrlError

    if not vin or any(c in vin for c in "/+#") or len(vin) > 64:
        fail(f"--vin {vin!r}: use letters and digits (no '/', '+', '#')", EXIT_USAGE)
    try:
        address = BrokerAddress.parse(broker, username, password, cafile)
    except BrokerUrlError as e:
        fail(str(e), EXIT_USAGE)
    if time_warp <= 0:
        fail("--time-warp must be positive", EXIT_USAGE)
    start = _parse_start(start_time)
    for p, what in ((map_path, "map"), (profile_path, "profile"), (cafile, "CA file")):
        if p is not None and not Path(p).is_file():
            fail(f"{what} not found: {p}")
    if speech_adapt is not None:
        from copilot.speech.profile import EnrollError, decoder_options

        try:  # a damaged profile is refused here, not at the first spoken request
            decoder_options(Path(speech_adapt))
        except EnrollError as e:
            fail(f"--speech-adapt: {e}")

    from copilot.service.pipeline import build_pipeline, make_transcriber
    from copilot.service.proactive import ProactiveMonitor
    from copilot.service.server import CopilotService
    from copilot.service.speech_out import synthesize_wav
    from routing.errors import RoutingError
    from sensors.store import SignalStore

    # under a time warp, values stamped with wall time change `warp` times faster
    store = SignalStore(rate_scale=time_warp)
    click.echo(f"copilot serve: loading {Path(map_path).name if map_path else 'the embedded map'}"
               " (the first time builds its region pack)", err=True)
    try:
        pipe = build_pipeline(Path(map_path) if map_path else None,
                              Path(profile_path) if profile_path else None, store.hazards,
                              cloud_llm=cloud_llm, cloud_model=cloud_model, offload=offload,
                              link=link, privacy=privacy, audit_path=audit)
    except (RoutingError, ValueError, OSError) as e:
        fail(f"cannot load the map or profile: {e}")
    now_local = None
    if start is not None:
        t0, start_at = time.monotonic(), start

        def now_local() -> datetime:
            return start_at + timedelta(seconds=(time.monotonic() - t0) * time_warp)

    monitor = ProactiveMonitor(pipe.find_places, pipe.open_at, speak_aloud=speak_proactive) \
        if proactive else None
    try:
        transcriber = make_transcriber(
            speech_engine, Path(speech_model) if speech_model else None,
            Path(speech_adapt) if speech_adapt else None, saved_labels=pipe.saved_labels,
            place_names=pipe.place_names, languages=pipe.languages)
    except (FileNotFoundError, ImportError, ValueError) as e:
        fail(f"--speech-engine {speech_engine}: recogniser unavailable: {e}")
    svc = CopilotService(address, vin, pipe.answer,
                         transcribe=transcriber,
                         speak=synthesize_wav, proactive=monitor, store=store,
                         now_local=now_local, client_id=client_id, on_link=pipe.set_link,
                         answered_path=Path(state_dir) / f"answered-{vin}.jsonl"
                         if state_dir else None)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    click.echo(f"copilot serve: connecting to {address.host}:{address.port} as "
               f"{client_id or 'copilot-' + vin}", err=True)
    try:
        svc.start(timeout_s=None)
    except ConnectionError as e:
        fail(str(e))
    clock = ""
    if start is not None:
        # the simulated day starts when the service is online: loading the models must not
        # advance it (at --time-warp 60, 4 s of loading put every time told 4 simulated
        # minutes ahead of the car). The wall-clock instant is printed so that a simulator
        # on this machine runs its clock from the same instant (copilot.sim.parts).
        t0 = time.monotonic()
        clock = f"; simulated {start.isoformat()} at unix {time.time():.3f}"
    click.echo(f"copilot serve: online for {vin}{clock}", err=True)
    try:
        while not stop.wait(1.0):
            pass
    finally:
        svc.stop()
        click.echo("copilot serve: stopped " + json.dumps(svc.counters()), err=True)


@bench_group.command(name="mqtt", help="MQTT ingest rate and publish->state latency; "
                     "request->reply overhead over the ask time (medians, p99).")
@click.option("--rate", type=int, default=5000, show_default=True, help="Signal updates per s.")
@click.option("--seconds", type=float, default=5.0, show_default=True)
@click.option("--requests", "n_requests", type=int, default=200, show_default=True)
@click.option("--map", "map_path", type=click.Path(), default=None,
              help="Also time request->reply with the real Copilot on this map.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
def bench_mqtt(rate: int, seconds: float, n_requests: int, map_path: str | None,
               as_json: bool) -> None:
    from copilot.service.bench import run_mqtt_bench

    result: dict[str, Any] = run_mqtt_bench(rate=rate, seconds=seconds, n_requests=n_requests,
                                            map_path=Path(map_path) if map_path else None,
                                            progress=None if as_json else click.echo)
    if as_json:
        click.echo(json.dumps(result))
