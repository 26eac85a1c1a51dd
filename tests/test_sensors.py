"""Vehicle state from VSS signals: plausibility (drop reasons), freshness, topics, drive traces."""

from __future__ import annotations

import itertools
import json
import math

import pytest

from sensors import state as s
from sensors.ingest import SensorIngest
from sensors.plausibility import DropReason
from sensors.signals import SIGNALS
from sensors.store import SignalStore
from sensors.topics import HAZARD, LINK, REQUEST, TOPICS, VSS, classify, vss_topic
from sensors.trace import Polyline, drive

T0 = 1_764_100_800.0
CONTRACT_PATHS = (s.LAT, s.LON, s.HEADING, s.SPEED, s.RANGE, s.FUEL_LEVEL, s.SOC)
EXTRA_PATHS = (s.IS_MOVING, s.GEAR, s.EV_RANGE, s.FUEL_RANGE)


class Clock:
    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def _p(value: object, ts: float) -> bytes:
    return json.dumps({"value": value, "ts": ts}).encode()


@pytest.fixture()
def store() -> SignalStore:
    return SignalStore(clock=Clock())


def test_signal_table_covers_the_contract_with_units_ranges_and_rates() -> None:
    assert set(CONTRACT_PATHS + EXTRA_PATHS) == set(SIGNALS)
    for path in CONTRACT_PATHS:
        sig = SIGNALS[path]
        assert sig.unit and sig.min_value is not None and sig.max_value is not None
        assert sig.max_rate_per_s and sig.expected_hz > 0
    # freshness follows the expected rate: a 10 Hz signal goes stale sooner than a 1 Hz one
    assert SIGNALS[s.SPEED].stale_after_s < SIGNALS[s.RANGE].stale_after_s


@pytest.mark.parametrize(("path", "payload", "reason"), [
    (s.SPEED, b"x" * 5000, DropReason.OVERSIZE),
    (s.SPEED, b"\xff\xfe not json", DropReason.MALFORMED),
    (s.SPEED, b"[1, 2]", DropReason.MALFORMED),
    (s.SPEED, b'{"value": 1}', DropReason.MALFORMED),
    (s.SPEED, b'{"value": 1, "ts": 1764100800, "extra": 1}', DropReason.MALFORMED),
    (s.SPEED, b'{"value": NaN, "ts": 1764100800}', DropReason.NOT_FINITE),
    (s.SPEED, b'{"value": 1, "ts": Infinity}', DropReason.NOT_FINITE),
    (s.SPEED, _p("fast", T0), DropReason.WRONG_TYPE),
    (s.SPEED, _p(True, T0), DropReason.WRONG_TYPE),
    (s.SPEED, _p([1], T0), DropReason.WRONG_TYPE),
    (s.SPEED, b'{"value": 1, "ts": "now"}', DropReason.WRONG_TYPE),
    (s.IS_MOVING, _p(1, T0), DropReason.WRONG_TYPE),
    (s.GEAR, _p("WARP", T0), DropReason.OUT_OF_RANGE),
    (s.SPEED, _p(900.0, T0), DropReason.OUT_OF_RANGE),
    (s.LAT, _p(91.0, T0), DropReason.OUT_OF_RANGE),
    (s.FUEL_LEVEL, _p(-3, T0), DropReason.OUT_OF_RANGE),
    (s.SPEED, _p(10.0, -5), DropReason.OUT_OF_RANGE),
    (s.SPEED, _p(10.0, T0 + 3600), DropReason.FUTURE_TS),
    ("Vehicle.Cabin.Door.Row1.IsOpen", _p(True, T0), DropReason.UNKNOWN_SIGNAL),
])
def test_implausible_values_are_dropped_with_their_reason(
        store: SignalStore, path: str, payload: bytes, reason: DropReason) -> None:
    assert store.offer(path, payload) == reason
    assert store.get(path) is None and store.accepted == 0


def test_time_order_and_rate_of_change(store: SignalStore) -> None:
    clock = store.clock
    assert isinstance(clock, Clock)
    assert not isinstance(store.offer(s.SPEED, _p(50.0, T0)), DropReason)
    assert store.offer(s.SPEED, _p(51.0, T0 - 1)) == DropReason.TIME_BACKWARDS
    assert store.offer(s.SPEED, _p(50.0, T0)) == DropReason.DUPLICATE
    # 50 -> 200 km/h in 0.1 s is no car; three times in a row it is a real change (sensor reset)
    assert store.offer(s.SPEED, _p(200.0, T0 + 0.1)) == DropReason.IMPLAUSIBLE_CHANGE
    assert store.offer(s.SPEED, _p(200.0, T0 + 0.2)) == DropReason.IMPLAUSIBLE_CHANGE
    clock.t = T0 + 0.3
    assert not isinstance(store.offer(s.SPEED, _p(200.0, T0 + 0.3)), DropReason)
    assert store.get(s.SPEED) == 200.0
    # heading wraps: 359 -> 1 degree is a 2 degree turn
    assert not isinstance(store.offer(s.HEADING, _p(359.0, T0)), DropReason)
    assert not isinstance(store.offer(s.HEADING, _p(1.0, T0 + 0.1)), DropReason)


def test_stale_values_read_as_unknown(store: SignalStore) -> None:
    clock = store.clock
    assert isinstance(clock, Clock)
    for path, value in ((s.SPEED, 0.0), (s.GEAR, "P"), (s.IS_MOVING, False),
                        (s.RANGE, 50_000.0), (s.LAT, 40.3), (s.LON, -76.8)):
        assert not isinstance(store.offer(path, _p(value, T0)), DropReason)
    snap = store.snapshot()
    assert snap.speed_kph == 0.0 and snap.range_m == 50_000.0 and snap.moving is False
    # two seconds later the 10 Hz signals are stale, the 1 Hz ones are not yet
    clock.t = T0 + 2.0
    snap = store.snapshot()
    assert snap.speed_kph is None and snap.position is None
    assert snap.range_m == 50_000.0 and snap.gear == "P"
    # much later everything is unknown, and unknown counts as moving (the strict reading)
    clock.t = T0 + 60.0
    snap = store.snapshot()
    assert (snap.range_m, snap.gear, snap.is_moving) == (None, None, None)
    assert snap.moving is True
    assert s.SPEED in store.stale_paths()


def test_ingest_routes_topics_and_counts_every_drop(store: SignalStore) -> None:
    ing = SensorIngest("V1", store)
    hazard = {"kind": "road_closed", "lat": 40.25, "lon": -76.81, "radius_m": 150,
              "sources": ["camera", "radar"], "ts": T0}
    msgs = [
        (vss_topic("V1", s.SPEED), _p(30.0, T0)),
        (vss_topic("V1", s.SPEED), _p(math.inf, T0 + 1).replace(b"Infinity", b"1e999")),
        (HAZARD.for_vin("V1"), json.dumps(hazard).encode()),
        (HAZARD.for_vin("V1"), json.dumps({**hazard, "sources": ["sonar"]}).encode()),
        (LINK.for_vin("V1"), json.dumps({"quality": "degraded", "rtt_ms": 300, "ts": T0}).encode()),
        (LINK.for_vin("V1"), b'{"quality": "great", "ts": 1}'),
    ]
    assert all(ing.handle(t, p) for t, p in msgs)
    assert not ing.handle("vehicle/OTHER/vss/Vehicle.Speed", _p(1.0, T0))
    assert not ing.handle(REQUEST.for_vin("V1"), b"{}")
    assert store.get(s.SPEED) == 30.0
    assert [h.kind for h in store.hazards()] == ["road_closed"]
    assert store.link_quality() == "degraded"
    d = ing.drops.as_dict()
    assert d == {"vss": {"not_finite": 1}, "hazard": {"wrong_type": 1},
                 "link": {"wrong_type": 1}}
    accepted = store.accepted + ing.hazards_accepted + ing.links_accepted
    assert ing.received == accepted + ing.drops.total() == 6


def test_topic_table() -> None:
    assert {t.name for t in TOPICS} >= {"vss", "hazard", "link", "request", "reply", "status"}
    assert VSS.filter("V1") == "vehicle/V1/vss/#"
    assert classify("V1", "vehicle/V1/vss/Vehicle.Speed") == (VSS, "Vehicle.Speed")
    assert classify("V1", "copilot/V1/request") == (REQUEST, "")
    assert classify("V1", "copilot/V2/request") is None
    by = {t.name: t for t in TOPICS}
    assert by["reply"].qos == by["request"].qos == 1 and by["status"].retained


def test_drive_trace_is_plausible_end_to_end() -> None:
    line = Polyline([(40.27, -76.82), (40.26, -76.83), (40.2172, -76.8512)])
    samples = list(drive(line, speed_kph=90, range_m=90_000, level_percent=20, hz=10,
                         time_warp=20))
    assert samples[-1].gear == "P" and samples[-1].speed_kph == 0 and not samples[-1].is_moving
    assert (samples[-1].lat, samples[-1].lon) == pytest.approx((40.2172, -76.8512))
    assert samples[-1].range_m == pytest.approx(90_000 - line.length_m)
    assert all(abs(b.t_s - a.t_s - 2.0) < 1e-9 for a, b in itertools.pairwise(samples))
    # fed through the checker in simulated time, nothing the trace says is implausible
    clock = Clock()
    store = SignalStore(clock=clock, staleness_scale=20)
    for x in samples:
        clock.t = T0 + x.t_s
        for path, value in ((s.LAT, x.lat), (s.LON, x.lon), (s.HEADING, x.heading_deg),
                            (s.SPEED, x.speed_kph), (s.RANGE, x.range_m),
                            (s.FUEL_LEVEL, x.level_percent), (s.GEAR, x.gear)):
            got = store.offer(path, _p(value, clock.t))
            assert not isinstance(got, DropReason), (path, value, got)
    assert store.snapshot().fuel_percent == pytest.approx(20 * (1 - line.length_m / 90_000))


@pytest.mark.parametrize("warp", [1.0, 30.0])
def test_an_emergency_stop_is_plausible_at_any_time_warp(warp: float) -> None:
    """10 m/s^2 (36 km/h per second), a real car's hardest braking, sampled at 10 Hz of
    stamped (wall-clock) time: accepted when the store scales the limit by the warp."""
    clock = Clock()
    store = SignalStore(clock=clock, rate_scale=warp)
    unscaled = SignalStore(clock=clock)
    kph, dropped, dropped_unscaled = 100.0, 0, 0
    store.offer(s.SPEED, _p(kph, clock.t))
    unscaled.offer(s.SPEED, _p(kph, clock.t))
    while kph > 0:
        clock.t += 0.1
        kph = max(0.0, kph - 36.0 * 0.1 * warp)
        dropped += isinstance(store.offer(s.SPEED, _p(kph, clock.t)), DropReason)
        dropped_unscaled += isinstance(unscaled.offer(s.SPEED, _p(kph, clock.t)), DropReason)
    assert dropped == 0 and store.get(s.SPEED) == 0.0
    assert (dropped_unscaled > 0) == (warp > 1.0)  # the warp is what makes it plausible
    if warp == 1.0:  # while 0 -> 100 km/h between two real-time samples is no car
        clock.t += 0.1
        assert store.offer(s.SPEED, _p(100.0, clock.t)) is DropReason.IMPLAUSIBLE_CHANGE
