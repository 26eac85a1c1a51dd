"""A drive-trace player: drives along a route and publishes the car's VSS signals at 10 Hz.

Position, heading, speed, range (total and per powertrain), fuel level or state of charge,
gear and IsMoving go out as retained `vehicle/VIN/vss/<path>` messages, the same as a sensor
gateway would. `time_warp` is simulated seconds per wall second: at 20, one wall second of
publishing covers twenty seconds of driving (still 10 messages per signal per wall second).
"""

from __future__ import annotations

import bisect
import json
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from sensors import state as s
from sensors.mqtt import MqttSession
from sensors.topics import vss_topic

log = logging.getLogger(__name__)

EARTH_RADIUS_M = 6_371_008.8
ACCEL_MPS2 = 2.0
"""Gentle acceleration and braking (7 km/h per second)."""
MIN_CRAWL_MPS = 0.5
ARRIVED_M = 1.0
SUBSTEPS = 10


class WarpClock:
    """Simulated unix time running `warp` times faster than the wall clock from `start_s`.

    Give the same instance to the trace player (timestamps) and to the consumer's
    SignalStore (freshness, future checks), so rates of change are judged in simulated time.
    """

    def __init__(self, warp: float, start_s: float | None = None) -> None:
        self.warp = warp
        self.start_s = time.time() if start_s is None else start_s
        self._m0 = time.monotonic()

    def __call__(self) -> float:
        return self.start_s + (time.monotonic() - self._m0) * self.warp


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    la1, lo1, la2, lo2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (math.sin((la2 - la1) / 2) ** 2
         + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def bearing_deg(a: tuple[float, float], b: tuple[float, float]) -> float:
    la1, lo1, la2, lo2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    y = math.sin(lo2 - lo1) * math.cos(la2)
    x = math.cos(la1) * math.sin(la2) - math.sin(la1) * math.cos(la2) * math.cos(lo2 - lo1)
    return math.degrees(math.atan2(y, x)) % 360.0


@dataclass(frozen=True, slots=True)
class TraceSample:
    t_s: float
    """Simulated seconds since the start of the drive."""
    lat: float
    lon: float
    heading_deg: float
    speed_kph: float
    travelled_m: float
    range_m: float
    level_percent: float | None
    gear: str
    is_moving: bool


class Polyline:
    """A route geometry with cumulative distances, for positions at a distance along it."""

    def __init__(self, points: Sequence[tuple[float, float]]) -> None:
        if len(points) < 2:
            raise ValueError("a trace needs at least two points")
        self.points = [(float(p[0]), float(p[1])) for p in points]
        self.cum_m = [0.0]
        for a, b in zip(self.points, self.points[1:], strict=False):
            self.cum_m.append(self.cum_m[-1] + haversine_m(a, b))
        self.length_m = self.cum_m[-1]

    def at(self, d_m: float) -> tuple[float, float, float]:
        """(lat, lon, heading) at distance d_m along the line (clamped to its ends)."""
        d = min(max(d_m, 0.0), self.length_m)
        i = max(1, min(bisect.bisect_right(self.cum_m, d), len(self.points) - 1))
        a, b = self.points[i - 1], self.points[i]
        seg = self.cum_m[i] - self.cum_m[i - 1]
        f = 0.0 if seg <= 0 else (d - self.cum_m[i - 1]) / seg
        return a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), bearing_deg(a, b)


def drive(line: Polyline, *, speed_kph: float, range_m: float, level_percent: float | None,
          hz: float, time_warp: float) -> Iterator[TraceSample]:
    """Samples every 1/hz wall seconds (time_warp/hz simulated seconds) until arrival, then one
    parked sample. The car speeds up and brakes at ACCEL_MPS2 (plausible rates of change);
    range falls by the distance driven and the fuel/charge level in proportion."""
    step_s = time_warp / hz
    cruise = speed_kph / 3.6
    t = d = v = 0.0
    while True:
        left_m = line.length_m - d
        arrived = left_m < ARRIVED_M
        lat, lon, hdg = line.at(d)
        left = max(0.0, range_m - d)
        share = left / range_m if range_m else 0.0
        level = None if level_percent is None else level_percent * share
        yield TraceSample(t, lat, lon, hdg, 0.0 if arrived else v * 3.6, d, left, level,
                          "P" if arrived else "D", not arrived)
        if arrived:
            return
        # integrate in small steps so a large time warp keeps the same physics
        for _ in range(SUBSTEPS):
            dt = step_s / SUBSTEPS
            brake = math.sqrt(2 * ACCEL_MPS2 * max(0.0, line.length_m - d))
            v = max(MIN_CRAWL_MPS, min(cruise, v + ACCEL_MPS2 * dt, brake))
            d = min(line.length_m, d + v * dt)
        t += step_s


class TracePlayer:
    """Publishes `drive(...)` samples over an MQTT session (as the sensor gateway)."""

    def __init__(self, session: MqttSession, vin: str, geometry: Sequence[tuple[float, float]], *,
                 speed_kph: float = 50.0, range_m: float = 400_000.0,
                 level_percent: float | None = None, powertrain: str = "ice",
                 hz: float = 10.0, time_warp: float = 1.0,
                 clock: Callable[[], float] | None = None) -> None:
        self.session = session
        self.vin = vin
        self.line = Polyline(geometry)
        self.speed_kph, self.range_m, self.level_percent = speed_kph, range_m, level_percent
        self.electric = powertrain == "ev"
        self.hz, self.time_warp = hz, time_warp
        # timestamps in simulated time; consumers use the same clock (see WarpClock)
        self.clock: Callable[[], float] = clock or (
            time.time if time_warp == 1.0 else WarpClock(time_warp))
        self.published = 0
        self.last: TraceSample | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _signals(self, x: TraceSample) -> dict[str, object]:
        out: dict[str, object] = {
            s.LAT: round(x.lat, 7), s.LON: round(x.lon, 7), s.HEADING: round(x.heading_deg, 1),
            s.SPEED: round(x.speed_kph, 2), s.RANGE: round(x.range_m, 1),
            s.EV_RANGE if self.electric else s.FUEL_RANGE: round(x.range_m, 1),
            s.GEAR: x.gear, s.IS_MOVING: x.is_moving,
        }
        if x.level_percent is not None:
            out[s.SOC if self.electric else s.FUEL_LEVEL] = round(x.level_percent, 2)
        return out

    def publish(self, x: TraceSample) -> None:
        ts = self.clock()
        for path, value in self._signals(x).items():
            self.session.publish(vss_topic(self.vin, path),
                                 json.dumps({"value": value, "ts": ts}), qos=0, retain=True)
            self.published += 1
        self.last = x

    def run(self) -> int:
        """Publish until arrival (or stop()); paced at `hz` wall-clock ticks. Returns messages."""
        period = 1.0 / self.hz
        next_t = time.monotonic()
        for x in drive(self.line, speed_kph=self.speed_kph, range_m=self.range_m,
                       level_percent=self.level_percent, hz=self.hz, time_warp=self.time_warp):
            if self._stop.is_set():
                break
            self.publish(x)
            next_t += period
            delay = next_t - time.monotonic()
            if delay > 0 and self._stop.wait(delay):
                break
        return self.published

    def start(self) -> TracePlayer:
        self._thread = threading.Thread(target=self.run, name="trace-player", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def join(self, timeout_s: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout_s)
