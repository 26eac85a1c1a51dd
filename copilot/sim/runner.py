"""`copilot sim run`: play a scenario against the real service and judge it.

Starts Mosquitto (or uses a given broker), the cloud endpoint behind the link emulator when
the scenario's link needs them, and `copilot serve`; then runs a simulated clock (wall time x
`speedup`): the car drives the route the copilot set and publishes its signals at 10 Hz,
timeline entries become requests (text, WAV, synthesised speech), hazards and link changes;
replies (asked for and proactive) are recorded. At the end every expectation is evaluated
and report.json / report.html are written.
"""

from __future__ import annotations

import base64
import logging
import queue
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from copilot.sim.audio import SYNTH_WPM, AudioError, synthesise
from copilot.sim.bus import Recorder, Role, SimBus
from copilot.sim.drive import Car, SpeedIndex
from copilot.sim.mapdata import MapData, load_map_data
from copilot.sim.parts import (
    SERVE_START_TIMEOUT_S,
    CloudLink,
    PartError,
    ServiceProcess,
    read_audit,
)
from copilot.sim.record import (
    ArrivalRecord,
    HazardRecord,
    LinkName,
    ReplanRecord,
    Report,
    RunLog,
    Sample,
    TurnRecord,
)
from copilot.sim.report_files import collect_verdicts, judge, write_report
from copilot.sim.scenario import (
    EventStep,
    Hazard,
    LinkChange,
    SayAudio,
    SaySynth,
    SayText,
    Scenario,
    ScenarioError,
    load_scenario,
    resolve_map,
    resolve_path,
)
from routing.messages import Route
from routing.profile import Preferences
from sensors.messages import HazardEvent

log = logging.getLogger(__name__)

TICK_S = 0.1
"""Wall seconds between signal publications (10 Hz)."""
REPLY_TIMEOUT_S = 90.0
"""Wall seconds to wait for a reply before recording the turn as unanswered."""
SETTLE_S = 1.5
"""Wall seconds after the last event, for late proactive replies."""
IDLE_END_SIM_S = 120.0
"""With no route and nothing left to say, the drive ends this long after the last step."""
MAX_HOLD_SIM_S = 900.0
"""Longest a `when_moving` turn waits for the car to roll."""
RTT_MS = {"good": 40.0, "degraded": 320.0, "none": None}

NO_ROLE = Role(None, None)
Progress = Callable[[str, Any], None]


@dataclass
class RunOptions:
    broker_url: str | None = None
    gateway: Role = NO_ROLE
    hmi: Role = NO_ROLE
    copilot: Role = NO_ROLE
    vin: str = "SIM0001"
    cloud: str = "auto"
    """auto: start the cloud and link emulator when the scenario has link changes."""
    record: bool = True
    max_wall_s: float = 900.0


class SimulationError(RuntimeError):
    """The run could not happen at all (bad scenario, a part that would not start)."""


@dataclass
class _Pending:
    at_s: float
    text: str
    input: str
    speed_kph: float
    link: LinkName
    sent_wall: float


class Runner:
    def __init__(self, scenario_path: str | Path, report_dir: str | Path,
                 options: RunOptions | None = None, progress: Progress | None = None) -> None:
        self.path = Path(scenario_path)
        self.report_dir = Path(report_dir)
        self.opt = options or RunOptions()
        self.progress = progress or (lambda kind, payload: None)
        try:
            self.scenario: Scenario = load_scenario(self.path)
            self.map_path = resolve_map(self.path, self.scenario.map)
        except ScenarioError as e:
            raise SimulationError(str(e)) from None
        self.log = RunLog()
        self.t_s = 0.0
        self._answers_due: list[tuple[float, str]] = []
        self._answered_causes: set[str] = set()
        self._answer_n = 0
        self._dry = False

    # -- set-up ---------------------------------------------------------------------------
    def _profile_file(self, tmp: Path) -> Path:
        path = tmp / "profile.yaml"
        path.write_text(yaml.safe_dump(self._profile_body(), sort_keys=False))
        return path

    def _profile_body(self) -> dict[str, Any]:
        p = self.scenario.profile
        body: dict[str, Any] = {
            "saved": {k: v.model_dump(exclude_none=True, mode="json") for k, v in p.saved.items()},
            "preferences": p.preferences,
        }
        if p.flight_time:
            body["flight_time"] = p.flight_time
        if p.languages:   # the recognisers serve lets decide a spoken turn's language
            body["languages"] = list(p.languages)
        return body

    def _dwell_s(self) -> float:
        """The simulated driver spends at each stop what their profile says a stop takes."""
        try:
            prefs = Preferences.model_validate(self.scenario.profile.preferences)
        except ValidationError as e:
            raise SimulationError(f"{self.path}: profile.preferences: "
                                  f"{e.errors()[0]['msg']}") from None
        return prefs.stop_dwell_min * 60.0

    def _speech_options(self) -> list[str]:
        """`copilot serve` options for the driver's voice profile, if the scenario names one."""
        which = self.scenario.speech_enrollment
        if which is None:
            return []
        if which == "synthetic":
            from copilot.speech.adapt_eval import synthetic_profile
            from copilot.speech.profile import EnrollError

            voices = {s.voice for s in self.scenario.timeline if isinstance(s, SaySynth)}
            if len(voices) != 1:
                raise SimulationError(f"{self.path}: speech_enrollment: synthetic needs the "
                                      f"say_synth turns to share one voice, not {voices}")
            try:  # enrolled once per voice, then reused from the cache
                profile = synthetic_profile(voices.pop(), SYNTH_WPM)
            except EnrollError as e:
                raise SimulationError(f"{self.path}: enrollment failed: {e}") from None
        else:
            profile = resolve_path(self.path, which)
        return ["--speech-adapt", str(profile)]

    def _audio(self, step: SayAudio | SaySynth) -> bytes:
        if isinstance(step, SayAudio):
            wav = resolve_path(self.path, step.say_audio)
            try:
                return wav.read_bytes()
            except OSError as e:
                raise SimulationError(f"{self.path}: cannot read {wav}: {e.strerror}") from None
        try:
            return synthesise(step.say_synth, voice=step.voice, noise_snr_db=step.noise_snr_db,
                              synth=step.synth, rate_wpm=step.rate_wpm)
        except AudioError as e:
            raise SimulationError(str(e)) from None

    def _link_at(self, t_s: float, event_quality: str | None) -> LinkName:
        quality: str | None = None
        for span in self.scenario.link:
            if span.from_s <= t_s < span.to_s:
                quality = span.quality
        return (quality or event_quality or "good")  # type: ignore[return-value]

    def _needs_cloud(self) -> bool:
        if self.opt.cloud in ("on", "off"):
            return self.opt.cloud == "on"
        has_events = any(isinstance(s, EventStep) and isinstance(s.event, LinkChange)
                         for s in self.scenario.timeline)
        return bool(self.scenario.link) or has_events

    # -- the run --------------------------------------------------------------------------
    def run(self) -> Report:
        wall0 = time.monotonic()
        sc = self.scenario
        self.progress("stage", f"reading {self.map_path.name}")
        data = load_map_data(self.map_path)
        car = Car(lat=sc.start.lat, lon=sc.start.lon, range_m=sc.vehicle.range_km * 1000,
                  level_percent=sc.vehicle.level_percent, speeds=SpeedIndex(data),
                  dwell_s=self._dwell_s())
        # Synthesise speech before the clock starts: it is the driver's voice, not our latency.
        audio = {i: self._audio(s) for i, s in enumerate(sc.timeline)
                 if isinstance(s, SayAudio | SaySynth)}
        broker = cloud = service = bus = None
        self.report_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="copilot-sim-") as tmp_name:
            tmp = Path(tmp_name)
            try:
                url = self.opt.broker_url
                roles: tuple[Role, ...] = (self.opt.gateway, self.opt.hmi, self.opt.copilot)
                if url is None:
                    from copilot.service.broker import BrokerError, Mosquitto

                    self.progress("stage", "starting Mosquitto")
                    try:
                        broker = Mosquitto(vin=self.opt.vin)
                    except (BrokerError, OSError) as e:
                        raise SimulationError(f"the broker did not start: {e}") from None
                    url = broker.url
                    roles = tuple(Role(c.username, c.password) for c in
                                  (broker.sensor_gateway, broker.hmi, broker.copilot))
                gateway, hmi, copilot_role = roles
                if self._needs_cloud():
                    self.progress("stage", "starting the cloud endpoint and the link emulator")
                    try:
                        cloud = CloudLink().start(self._link_at(0.0, None))
                    except PartError as e:
                        raise SimulationError(str(e)) from None
                recorder = Recorder(self.report_dir / "mqtt.jsonl" if self.opt.record else None)
                recorder.meta({"scenario": sc.name, "map": str(self.map_path),
                               "start_time": sc.start.time.isoformat(), "speedup": sc.speedup,
                               "vin": self.opt.vin, "profile": self._profile_body()})
                try:
                    bus = SimBus(url, self.opt.vin, gateway=gateway, hmi=hmi,
                                 recorder=recorder, clock=lambda: self.t_s)
                    bus.start()
                except (ConnectionError, OSError, ValueError) as e:
                    raise SimulationError(f"cannot use the broker {url}: {e}") from None
                self._publish_state(bus, car)
                bus.link(self._link_at(0.0, None), RTT_MS[self._link_at(0.0, None)])
                self.progress("stage", "starting copilot serve (builds the region pack once)")
                service = ServiceProcess(
                    url, self.opt.vin, self.map_path, copilot_role.username,
                    copilot_role.password, profile_path=self._profile_file(tmp),
                    cloud_url=cloud.url if cloud else None, start_time=sc.start.time,
                    time_warp=sc.speedup, log_path=self.report_dir / "serve.log",
                    state_dir=tmp / "state", extra=self._speech_options()).start()
                deadline = time.monotonic() + SERVE_START_TIMEOUT_S
                while not bus.wait_online(1.0):
                    if not service.alive():
                        raise SimulationError(service.exit_reason())
                    if time.monotonic() > deadline:
                        raise SimulationError("copilot serve did not come online in "
                                              f"{SERVE_START_TIMEOUT_S:.0f} s")
                self.progress("stage", "driving")
                self._drive(bus, car, cloud, service, audio, self._clock_start(service))
            finally:
                for part in (service, bus, cloud):
                    if part is not None:
                        part.stop()
                if broker is not None:
                    broker.close()
            self.log.safety_verdicts = collect_verdicts(self.log.turns,
                                                        read_audit(tmp / "state"))
            if service is not None:
                self.log.service_counters = service.final_counters()
        if bus is not None:
            self.log.messages = dict(bus.counts)
            self.log.signals_published = bus.counts.get("signals", 0)
        if cloud is not None:
            self.log.messages.update(cloud.counters())
        return self._finish(data, car, time.monotonic() - wall0)

    def _publish_state(self, bus: SimBus, car: Car) -> None:
        bus.car_state(car.state(self.t_s), electric=self.scenario.vehicle.powertrain == "ev")

    @staticmethod
    def _clock_start(service: ServiceProcess) -> float:
        """The monotonic instant of simulated second 0: when the service started its clock
        (it prints the instant), so that both clocks read the same time whatever either
        process was doing meanwhile; else now."""
        anchor = service.clock_anchor()
        now = time.monotonic()
        if anchor is None:
            log.warning("copilot serve printed no clock anchor; the clocks may disagree")
            return now
        return now - max(0.0, time.time() - anchor)

    def _drive(self, bus: SimBus, car: Car, cloud: CloudLink | None,
               service: ServiceProcess, audio: dict[int, bytes], wall0: float) -> None:
        sc = self.scenario
        steps = sorted(enumerate(sc.timeline), key=lambda p: p[1].at_s)
        pending: dict[str, _Pending] = {}
        event_link: str | None = None
        link = self._link_at(0.0, None)
        last_activity_s = 0.0
        settle_until: float | None = None
        visited = 0
        while True:
            now = time.monotonic()
            self.t_s = (now - wall0) * sc.speedup
            car.step(self.t_s - (self.log.samples[-1].t_s if self.log.samples else 0.0))
            # the car's state of this moment goes out before anything the driver says now, so
            # a turn is answered from where the car is, not from where it was a tick ago
            self._publish_state(bus, car)
            while steps and steps[0][1].at_s <= self.t_s:
                if self._hold(steps[0][1], car, pending):
                    break  # the driver speaks once the car rolls again
                i, step = steps.pop(0)
                last_activity_s = self.t_s
                if isinstance(step, EventStep) and isinstance(step.event, Hazard):
                    self._hazard(bus, car, step.event)
                elif isinstance(step, EventStep) and isinstance(step.event, LinkChange):
                    event_link = step.event.quality
                else:
                    self._say(bus, car, i, step, audio.get(i), link, pending)
            for due in [a for a in self._answers_due if a[0] <= self.t_s]:
                self._answers_due.remove(due)
                last_activity_s = self.t_s
                self._answer_n += 1
                answer = SayText(at_s=due[0], say=due[1])
                self._say(bus, car, f"answer-{self._answer_n}", answer, None, link, pending)
            new_link = self._link_at(self.t_s, event_link)
            if new_link != link:
                link = new_link
                bus.link(link, RTT_MS[link])
                if cloud is not None:
                    cloud.set_quality(link)
                self.progress("link", link)
            st = car.state(self.t_s)
            cc = cloud.counters() if cloud is not None else {}
            self.log.samples.append(Sample(t_s=round(self.t_s, 2), lat=st.lat, lon=st.lon,
                                           speed_kph=round(st.speed_kph, 2),
                                           range_m=round(st.range_m, 1),
                                           level_percent=round(st.level_percent, 2), link=link,
                                           cloud_bytes_up=cc.get("cloud_bytes_up"),
                                           cloud_connects=cc.get("cloud_connects_tried")))
            self.progress("tick", st)
            if len(car.visited) > visited:
                visited = len(car.visited)
                self.progress("stop", (self.t_s, car.visited[-1]))
            self._collect(bus, car, pending)
            if car.arrived and self.log.arrived_s is None:
                self.log.arrived_s = self.t_s
                self.progress("arrived", self.t_s)
            for rid, p in list(pending.items()):
                if now - p.sent_wall > REPLY_TIMEOUT_S:
                    del pending[rid]
                    self._unanswered(rid, p)
            if not service.alive():
                self.log.errors.append(service.exit_reason())
                break
            if car.range_m <= 0 and car.line and not car.arrived and not self._dry:
                self._dry = True
                self.log.errors.append(f"the car ran out of range at {self.t_s:.0f} s")
            done = not steps and not pending and not self._answers_due and (
                car.arrived or self._dry
                or (not car.line and self.t_s - last_activity_s > IDLE_END_SIM_S)
                or (sc.duration_s is not None and self.t_s >= sc.duration_s))
            if sc.duration_s is not None and self.t_s >= sc.duration_s and not pending:
                done = True
            if done:
                settle_until = settle_until or now + SETTLE_S
                if now >= settle_until:
                    break
            else:
                settle_until = None
            if now - wall0 > self.opt.max_wall_s:
                self.log.errors.append(f"stopped after {self.opt.max_wall_s:.0f} s wall time")
                break
            time.sleep(max(0.0, TICK_S - (time.monotonic() - now)))
        self._collect(bus, car, pending)
        self.log.stops_visited = list(car.visited)
        self.log.arrivals = [ArrivalRecord(at_s=round(a.t_s, 2), place=a.place,
                                           destination=a.destination) for a in car.arrivals]

    def _hold(self, step: Any, car: Car, pending: dict[str, _Pending]) -> bool:
        """A `when_moving` turn waits while the car is stopped on its way (at a stop, at the
        start) or the copilot has not answered yet (the route may be in that answer: a slow
        machine at speedup 60 turns a 5 s answer into 5 simulated minutes); not when it has
        nowhere to go, and never more than MAX_HOLD_SIM_S."""
        if not getattr(step, "when_moving", False) or car.speed_kph >= 1.0:
            return False
        can_move = (bool(car.line) and not car.arrived) or bool(pending)
        return can_move and self.t_s < step.at_s + MAX_HOLD_SIM_S

    def _say(self, bus: SimBus, car: Car, i: int | str, step: Any, wav: bytes | None,
             link: LinkName, pending: dict[str, _Pending]) -> None:
        rid = i if isinstance(i, str) else f"turn-{i}"
        if isinstance(step, SayText):
            text, kind = step.say, "text"
            bus.request(rid, text=text)
        else:
            text = step.say_synth if isinstance(step, SaySynth) else f"[{step.say_audio}]"
            kind = "synth" if isinstance(step, SaySynth) else "audio"
            bus.request(rid, audio_b64=base64.b64encode(wav or b"").decode("ascii"))
        pending[rid] = _Pending(self.t_s, text, kind, car.speed_kph, link, time.monotonic())
        self.progress("say", (self.t_s, text, kind))

    def _hazard(self, bus: SimBus, car: Car, h: Hazard) -> None:
        if h.ahead_m is not None:
            lat, lon = car.point_ahead(h.ahead_m)
        else:
            lat, lon = h.lat or 0.0, h.lon or 0.0
        event = HazardEvent(kind=h.kind, lat=lat, lon=lon, radius_m=h.radius_m,
                            sources=h.sources, ts=time.time(), confidence=0.95)
        bus.hazard(event.model_dump(mode="json"))
        self.log.hazards.append(HazardRecord(at_s=self.t_s, event=event))
        self.progress("hazard", event)

    def _collect(self, bus: SimBus, car: Car, pending: dict[str, _Pending]) -> None:
        while True:
            try:
                got_wall, reply = bus.replies.get_nowait()
            except queue.Empty:
                return
            p = pending.pop(reply.id, None) if reply.id else None
            if reply.id and p is None:
                bus.counts["replies_unexpected"] += 1
                continue
            turn = TurnRecord(
                at_s=round(p.at_s if p else self.t_s, 2),
                text=p.text if p else "", proactive=reply.proactive or p is None,
                speed_kph=round(p.speed_kph if p else car.speed_kph, 2), status=reply.status,
                reply=reply.reply, actions=list(reply.actions), served_by=reply.served_by,
                id=reply.id, input=p.input if p else "proactive",  # type: ignore[arg-type]
                transcript=reply.understanding.text if p and p.input != "text" else None,
                understanding=reply.understanding, timings_ms=reply.timings_ms, why=reply.why,
                link=p.link if p else self._link_at(self.t_s, None),
                reply_latency_ms=round((got_wall - p.sent_wall) * 1000, 1) if p else None,
                replied_s=round(self.t_s, 2))
            self.log.turns.append(turn)
            if turn.proactive:
                self._maybe_answer(turn)
            route = turn.route()
            if route is not None:
                self._replanned(len(self.log.turns) - 1, turn, route)
                car.follow(route)
            elif any(a.type == "cancel_route" for a in turn.actions):
                car.line = []
            self.progress("turn", turn)

    def _maybe_answer(self, turn: TurnRecord) -> None:
        cause = (turn.why or "").removeprefix("proactive:")
        if cause in self._answered_causes:
            return
        for a in self.scenario.answers:
            if cause.startswith(a.to):
                self._answered_causes.add(cause)
                self._answers_due.append((self.t_s + a.delay_s, a.say))
                return

    def _replanned(self, index: int, turn: TurnRecord, route: Route) -> None:
        cause = "proactive" if turn.proactive else "request"
        last = self.log.replan_log[-1].at_s if self.log.replan_log else -1.0
        if any(last < h.at_s <= self.t_s for h in self.log.hazards):
            cause = "hazard"
        self.log.replan_log.append(ReplanRecord(
            at_s=round(self.t_s, 2), turn=index, cause=cause, distance_m=route.distance_m,
            duration_s=route.duration_s, eta=route.destination.eta,
            stops=[p.name or p.saved or str(p.category) for p in route.stops]))

    def _unanswered(self, rid: str, p: _Pending) -> None:
        msg = f"{rid} ({p.text[:40]!r}) got no reply within {REPLY_TIMEOUT_S:.0f} s"
        self.log.errors.append(msg)
        self.log.turns.append(TurnRecord(
            at_s=p.at_s, text=p.text, speed_kph=p.speed_kph, status="not_understood", reply="",
            id=rid, input=p.input, link=p.link, why="sim:no_reply"))  # type: ignore[arg-type]

    # -- judging --------------------------------------------------------------------------
    def _finish(self, data: MapData, car: Car, wall_s: float) -> Report:
        report = judge(self.scenario, self.map_path.name, self.log, data, sim_s=self.t_s,
                       wall_s=wall_s)
        write_report(report, data, self.report_dir)
        return report
