"""Cloud round trips through the link emulator, by link profile (medians).

    .venv/bin/python bench/hybrid_link.py [--n 5] [--cloud-llm URL]

Starts `copilot cloud serve` (unless a URL is given), then sends the same constrained planning
request N times through each link profile and prints median latency and the bytes on the wire
per request. `none` is measured with a 2 s deadline: it shows the client giving up on time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from copilot.hybrid.cloud_client import ChatMessage, CloudClient, CloudError
from copilot.hybrid.cloud_server import CloudServerProcess
from copilot.hybrid.link import LinkEmulator
from copilot.hybrid.offload import SYSTEM_PROMPT
from copilot.hybrid.problem import build_problem
from routing.messages import Category, Place, Route, RoutedPlace

AT = datetime(2026, 11, 25, 15, 0, tzinfo=timezone(timedelta(hours=-5)))


def _problem() -> tuple[str, dict[str, object]]:
    def rp(**kw: object) -> RoutedPlace:
        return RoutedPlace(eta=AT, **kw)  # type: ignore[arg-type]

    route = Route(
        stops=(rp(osm_type="node", osm_id=792990765, name="Wendy's", category="burger",
                  lat=40.2779, lon=-76.8245),
               rp(osm_type="node", osm_id=422157543, name="Starbucks", category="coffee",
                  lat=40.2770, lon=-76.8241)),
        destination=rp(osm_type="way", osm_id=149758790, name="Capital City Airport",
                       category="airport", lat=40.2295, lon=-76.8330),
        distance_m=9_000.0, duration_s=700.0)
    alt = {Category.BURGER: [Place(osm_type="node", osm_id=417846110, name="McDonald's",
                                   category="burger", lat=40.2780, lon=-76.8217)]}
    p = build_problem(route, AT, "16:30", (40.275, -76.825), [None, None, None], alt)
    return p.problem.model_dump_json(exclude_none=True), p.schema()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5)
    ap.add_argument("--cloud-llm", default=None)
    args = ap.parse_args()
    server = None if args.cloud_llm else CloudServerProcess().start()
    url = args.cloud_llm or server.base_url  # type: ignore[union-attr]
    parts = urlsplit(url)
    user, schema = _problem()
    msgs = [ChatMessage(role="system", content=SYSTEM_PROMPT),
            ChatMessage(role="user", content=user)]
    rows = {}
    try:
        for profile in ("good", "degraded", "none"):
            with LinkEmulator(parts.hostname or "127.0.0.1", parts.port or 80, profile,
                              seed=5) as link:
                client = CloudClient(f"http://127.0.0.1:{link.port}{parts.path}")
                times, outcomes = [], []
                for _ in range(args.n):
                    t0 = time.monotonic()
                    try:
                        client.complete(msgs, "plan", schema,
                                        timeout_s=2.0 if profile == "none" else 60.0)
                        outcomes.append("ok")
                    except CloudError as e:
                        outcomes.append(e.reason)
                    times.append((time.monotonic() - t0) * 1000.0)
                    while client.in_flight:
                        time.sleep(0.05)
                c = link.counters
                rows[profile] = {
                    "median_ms": round(statistics.median(times)),
                    "wire_up_per_request": c.bytes_up // args.n,
                    "wire_down_per_request": c.bytes_down // args.n,
                    "outcomes": dict((o, outcomes.count(o)) for o in set(outcomes)),
                }
                print(profile, json.dumps(rows[profile]), flush=True)
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
