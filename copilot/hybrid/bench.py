"""`copilot bench hybrid`: a scripted day of driving through the real hybrid path.

The day runs on the embedded harrisburg map with the real `Copilot` (device planner + safety),
the offload hook, a real cloud endpoint (`copilot cloud serve` started here unless a URL is
given) and the link emulator between them. Coverage changes over the day; the modem's view
(`hook.set_link`) and the wire (`emulator.set_profile`) usually agree, except in a tunnel where
the modem still reports a good link while nothing gets through. Prints the metrics (medians)
and how often the cloud's constrained answer was a usable plan.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from copilot.hybrid.policy import Quality

log = logging.getLogger(__name__)

MAP = Path(__file__).resolve().parents[1] / "data" / "maps" / "harrisburg.osm.pbf"
TZ = timezone(timedelta(hours=-5))
PROFILE = {
    "saved": {
        "home": {"lat": 40.3000, "lon": -76.8000},
        "work": {"lat": 40.2600, "lon": -76.8400, "name": "Office"},
        "gym": {"lat": 40.2715, "lon": -76.8150},
    },
    "preferences": {"avoid_brands": [], "max_detour_min": 10},
}


@dataclass(frozen=True)
class ScriptedTurn:
    hhmm: str
    text: str
    lat: float
    lon: float
    speed_kph: float
    modem: Quality
    """What the modem reports (the policy's view)."""
    wire: Quality
    """What the link really does (the emulator's profile)."""


DAY: tuple[ScriptedTurn, ...] = (
    ScriptedTurn("07:40", "take me to work", 40.3000, -76.8000, 0.0, "good", "good"),
    ScriptedTurn("07:45", "I need a coffee on the way", 40.2950, -76.8050, 45.0, "good", "good"),
    ScriptedTurn("07:52", "how much range do I have", 40.2850, -76.8150, 50.0, "good", "good"),
    ScriptedTurn("08:05", "find a pharmacy", 40.2620, -76.8380, 0.0, "degraded", "degraded"),
    ScriptedTurn("12:10", "I want a burger and a coffee and I have to be back at work by 1 pm",
                 40.2600, -76.8400, 0.0, "good", "good"),
    ScriptedTurn("12:15", "find a place to eat", 40.2650, -76.8350, 30.0, "none", "none"),
    ScriptedTurn("12:20", "cancel the route", 40.2680, -76.8300, 30.0, "none", "none"),
    ScriptedTurn("14:30", "take me to the airport, I need a burger and coffee on the way, "
                 "my flight is at 5:30 pm", 40.2770, -76.8240, 0.0, "good", "good"),
    ScriptedTurn("14:33", "take me to the airport with fuel and a coffee, I have to be there "
                 "by 4 pm", 40.2760, -76.8250, 40.0, "good", "none"),  # a tunnel
    ScriptedTurn("14:40", "open the window", 40.2700, -76.8300, 50.0, "good", "good"),
    ScriptedTurn("15:10", "take me to the airport with a burger and a coffee on the way, "
                 "I need to be there by 4 pm", 40.2560, -76.8380, 20.0, "degraded", "degraded"),
    ScriptedTurn("17:30", "take me home", 40.2300, -76.8300, 0.0, "good", "good"),
    ScriptedTurn("17:35", "I need fuel and a coffee on the way home, I have to be home by 6:30 pm",
                 40.2350, -76.8280, 35.0, "good", "good"),
    ScriptedTurn("17:50", "find a grocery store", 40.2700, -76.8100, 40.0, "good", "good"),
    ScriptedTurn("18:20", "take me to the gym", 40.3000, -76.8000, 0.0, "none", "none"),
)


def _state(t: ScriptedTurn) -> dict[str, Any]:
    return {
        "Vehicle.CurrentLocation.Latitude": t.lat, "Vehicle.CurrentLocation.Longitude": t.lon,
        "Vehicle.Speed": t.speed_kph, "Vehicle.Powertrain.Range": 350_000.0,
        "Vehicle.Powertrain.FuelSystem.RelativeLevel": 60.0,
    }


def run_day(
    cloud_url: str | None = None,
    days: int = 1,
    deadline_ms: float = 3000.0,
    price_in: float | None = None,
    price_out: float | None = None,
    say: Any = print,
    quality: int = 10,
) -> dict[str, Any]:
    """Run the scripted day `days` times, then `quality` heavy requests with no deadline
    pressure (how often the model's constrained answer is a usable plan); print and return."""
    from copilot.dialog import Copilot
    from copilot.hybrid.cloud_client import CloudClient
    from copilot.hybrid.cloud_server import CloudServerProcess
    from copilot.hybrid.link import LinkEmulator
    from copilot.hybrid.metrics import PRICE_IN_USD_PER_MTOK, PRICE_OUT_USD_PER_MTOK
    from copilot.hybrid.offload import CloudOffload
    from copilot.messages import AskTurn
    from routing.pack import RegionPack
    from routing.profile import Profile

    server = None
    if cloud_url is None:
        say("starting copilot cloud serve (llama-cpp-python, Gemma 3 270M) ...")
        server = CloudServerProcess().start()
        cloud_url = server.base_url
    from urllib.parse import urlsplit

    parts = urlsplit(cloud_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    try:
        with LinkEmulator(host, port, "good", seed=11) as link:
            client = CloudClient(f"http://127.0.0.1:{link.port}{parts.path}")
            pack = RegionPack.open(MAP)
            profile = Profile.from_dict(PROFILE)
            hook = CloudOffload(client, deadline_ms=deadline_ms).attach_pack(pack, profile)
            copilot = Copilot(pack, profile, offload=hook)
            day0 = datetime(2026, 11, 25, tzinfo=TZ)
            # Warm-up (not measured): loads the understander and the router's tiles.
            copilot.answer(AskTurn(text="find a coffee", at=day0.replace(hour=7),
                                   state=_state(DAY[0])))
            hook.metrics = type(hook.metrics)()
            walls: list[float] = []
            for _ in range(days):
                for t in DAY:
                    hh, mm = map(int, t.hhmm.split(":"))
                    hook.set_link(t.modem)
                    link.set_profile(t.wire)
                    turn = AskTurn(text=t.text, at=day0.replace(hour=hh, minute=mm),
                                   state=_state(t))
                    t0 = time.monotonic()
                    r = copilot.answer(turn)
                    walls.append((time.monotonic() - t0) * 1000.0)
                    say(f"  {t.hhmm} link {t.modem:>8}/{t.wire:<8} {r.served_by:>6} "
                        f"{(r.why or '').split(';')[0]:<28} {r.status:<19} {r.reply[:60]}")
                link.set_profile("good")
            counters = link.counters
            day_metrics = hook.metrics
            quality_out = _quality(copilot, hook, quality, day0, say) if quality else {}
            hook.metrics = day_metrics
    finally:
        if server is not None:
            server.stop()
    summary = hook.metrics.summary(
        price_in if price_in is not None else PRICE_IN_USD_PER_MTOK,
        price_out if price_out is not None else PRICE_OUT_USD_PER_MTOK,
    )
    recs = hook.metrics.records
    answered = [r for r in recs if r.cloud_tried and r.completion_tokens > 0]
    usable = [r for r in answered
              if r.why not in ("device:cloud_malformed", "device:cloud_invented_place")]
    out = summary.model_dump()
    out.update({
        "wall_ms_median": round(statistics.median(walls), 1) if walls else 0.0,
        "wire_bytes_up": counters.bytes_up, "wire_bytes_down": counters.bytes_down,
        "cloud_answers": len(answered),
        "cloud_answers_schema_valid": len(usable),
        "fallback_reasons": dict(Counter(r.why for r in recs if r.cloud_tried
                                         and r.served_by == "device")),
        "quality": quality_out,
    })
    say(f"turns {summary.turns}  on device {summary.device_share:.0%}  cloud tried "
        f"{summary.cloud_tried}  cloud used {summary.cloud_used} (changed the plan "
        f"{summary.cloud_changed_plan})")
    say(f"bytes to cloud {summary.bytes_to_cloud} (wire {counters.bytes_up}), "
        f"per 1,000 turns {summary.bytes_to_cloud_per_1000_turns:.0f}")
    say(f"cloud tokens per 1,000 turns {summary.cloud_tokens_per_1000_turns:.0f}; "
        f"est. cost per 1,000 turns ${summary.est_cost_usd_per_1000_turns:.4f}")
    say("median latency by path (ms): " + ", ".join(
        f"{k} {v:.0f}" for k, v in sorted(summary.latency_ms_median.items())))
    say(f"cloud answers {len(answered)}, parsed into a valid plan {len(usable)}; "
        f"fallbacks {out['fallback_reasons']}")
    return out


HEAVY = tuple(t for t in DAY if " by " in t.text or "flight" in t.text)


def _quality(copilot: Any, hook: Any, n: int, day0: datetime, say: Any) -> dict[str, Any]:
    """Heavy requests from varied positions on a good link with a generous deadline."""
    from copilot.messages import AskTurn

    hook.metrics = type(hook.metrics)()
    saved_deadline, hook.deadline_ms = hook.deadline_ms, 60_000.0
    hook.set_link("good")
    try:
        for i in range(n):
            t = HEAVY[i % len(HEAVY)]
            k = i // len(HEAVY)
            lat, lon = t.lat + 0.004 * ((k % 3) - 1), t.lon + 0.004 * (((k // 3) % 3) - 1)
            hh, mm = map(int, t.hhmm.split(":"))
            state = _state(ScriptedTurn(t.hhmm, t.text, lat, lon, t.speed_kph, "good", "good"))
            copilot.answer(AskTurn(text=t.text, at=day0.replace(hour=hh, minute=mm), state=state))
    finally:
        hook.deadline_ms = saved_deadline
    recs = [r for r in hook.metrics.records if r.cloud_tried]
    answered = [r for r in recs if r.completion_tokens > 0]
    why = Counter(r.why for r in recs)
    bad = why["device:cloud_malformed"] + why["device:cloud_invented_place"]
    lat_ms = [r.latency_ms for r in recs if r.served_by == "cloud"]
    out = {
        "requests": len(recs), "answered": len(answered),
        "schema_valid": len(answered) - bad,
        "passed_safety": len(answered) - bad - why["device:cloud_unsafe"]
        - why["device:cloud_no_route"],
        "used": why["cloud:heavy_request"], "outcomes": dict(why),
        "changed_plan": sum(r.plan_changed for r in recs),
        "cloud_turn_ms_median": round(statistics.median(lat_ms), 1) if lat_ms else None,
    }
    say(f"constrained output over {out['requests']} heavy requests (no deadline pressure): "
        f"answered {out['answered']}, schema-valid {out['schema_valid']}, passed safety "
        f"{out['passed_safety']}, used (not slower than the device) {out['used']}, of which "
        f"changed the device's plan {out['changed_plan']}; "
        f"outcomes {out['outcomes']}; median cloud-served turn {out['cloud_turn_ms_median']} ms")
    return out
