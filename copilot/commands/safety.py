"""`copilot safety audit` (read the local audit log) and `copilot bench safety`.

The benchmark times `safety.review` on the kinds of turn the copilot answers: a multi-stop
route (400-point geometry, hazards, opening flags, an arrive-by time and a device re-route),
a place list while moving, a refusal, and a cloud model's raw JSON answer. Places come from
the real place index of a region pack (`--map`), or from an in-memory set when no map is
given. It prints medians (and p90) per kind and per turn; the target is < 2 ms per turn.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click

from copilot.commands.bench import bench_group
from copilot.commands.common import fail

log = logging.getLogger(__name__)

TARGET_MS = 2.0
NOW = datetime.fromisoformat("2026-11-25T15:00:00-05:00")


@click.group(name="safety", help="The safety layer: read the audit log.")
def safety_group() -> None:
    pass


@safety_group.command(name="audit", help="Print the audit log (refusals, rejections, fixes).")
@click.option("--path", type=click.Path(), default=None, help="Audit file (default: XDG state).")
@click.option("--tail", type=int, default=20, show_default=True, help="Last N entries.")
@click.option("--json", "as_json", is_flag=True, help="JSONL as stored.")
def audit(path: str | None, tail: int, as_json: bool) -> None:
    from copilot.audit import default_path, read_entries

    p = Path(path) if path else default_path()
    if not p.exists():
        click.echo(f"no audit log at {p} (nothing refused or rejected yet)")
        return
    try:
        entries = list(read_entries(p))[-max(tail, 0):] if tail else []
    except OSError as e:
        fail(f"cannot read {p}: {e}")
    for entry in entries:
        if entry is None:
            click.echo("(unreadable line)")
        elif as_json:
            click.echo(entry.model_dump_json())
        else:
            codes = ",".join(sorted({v.reason for v in entry.verdicts})) or "-"
            click.echo(f"{entry.at:%Y-%m-%d %H:%M} {entry.status:<19} {codes:<40} "
                       f"{entry.text[:60]!r}")


def _synthetic_places(n: int = 400) -> dict[tuple[str, int], Any]:
    from routing.messages import Category, Place

    cats = list(Category)
    return {("node", i): Place(osm_type="node", osm_id=i, name=f"Place {i}",
                               category=cats[i % len(cats)],
                               lat=40.25 + (i % 20) * 0.004, lon=-76.85 + (i // 20) * 0.004)
            for i in range(1, n + 1)}


def _pack_places(map_path: str) -> tuple[Callable[[str, int], Any], list[Any], Any]:
    from routing.messages import Category
    from routing.pack import RegionPack

    pack = RegionPack.open(Path(map_path))
    found = [mp.place for c in (Category.BURGER, Category.COFFEE, Category.FUEL,
                                Category.PHARMACY, Category.RESTAURANT)
             for mp in pack.places.all_of(c)[:4]]
    if len(found) < 5:
        fail(f"{map_path}: too few places for the benchmark ({len(found)})")
    return pack.places.get, found, pack.bbox


def _route(places: list[Any], start: tuple[float, float], points: int = 400) -> Any:
    from routing.messages import Route, RoutedPlace

    pts = [start] + [(p.lat, p.lon) for p in places]
    legs = list(itertools.pairwise(pts))
    per = max(1, points // len(legs))
    geometry = [(a[0] + (b[0] - a[0]) * k / per, a[1] + (b[1] - a[1]) * k / per)
                for a, b in legs for k in range(per)] + [pts[-1]]
    t, dist, routed = NOW, 0.0, []
    for p, (a, b) in zip(places, legs, strict=True):
        leg = 1.4 * 111_195.0 * math.hypot(b[0] - a[0], (b[1] - a[1]) * 0.76) + 100.0
        dist += leg
        t += timedelta(seconds=leg / 12.0 + 60.0)
        routed.append(RoutedPlace(**p.model_dump(), eta=t))
    return Route(stops=tuple(routed[:-1]), destination=routed[-1], distance_m=dist,
                 duration_s=(t - NOW).total_seconds(), geometry=tuple(geometry))


def run_bench(map_path: str | None, iterations: int) -> dict[str, Any]:
    """Median / p90 milliseconds of safety review per turn kind, and whether all held."""
    from routing.messages import SetRoute, ShowPlaces, Understanding
    from safety.gate import Proposal, TurnContext
    from safety.review import review, review_model_output
    from sensors.messages import HazardEvent
    from sensors.state import VehicleSnapshot

    if map_path:
        lookup, found, bbox = _pack_places(map_path)
    else:
        table = _synthetic_places()
        lookup = lambda t, i: table.get((t, i))  # noqa: E731
        found = [table[("node", i)] for i in (3, 27, 51, 77, 101, 140)]
        bbox = (40.24, -76.86, 40.34, -76.7)
    start = (found[0].lat + 0.01, found[0].lon + 0.01)
    route = _route([*found[1:4], found[0]], start)
    hazards = tuple(HazardEvent(kind="road_closed", lat=bbox[0] + k * 0.001, lon=bbox[1],
                                radius_m=150, sources=("radar",), ts=1.0) for k in range(3))
    ctx = TurnContext(
        vehicle=VehicleSnapshot(lat=start[0], lon=start[1], speed_kph=50.0, gear="D",
                                range_m=400_000.0, fuel_percent=60.0),
        now=NOW, region_bbox=bbox, known_place=lookup, hazards=hazards,
        arrive_by=NOW + timedelta(hours=3), reroute_duration_s=route.duration_s,
        open_at_arrival={(p.osm_type, p.osm_id): True for p in found},
    )
    nav = Understanding(text="take me there with three stops on the way", intent="navigate",
                        confidence=0.9)
    find = Understanding(text="find places", intent="find_place", confidence=0.9)
    refuse = Understanding(text="turn off lane assist", intent="vehicle_control", confidence=0.9)
    cloud_raw = json.dumps({"status": "ok", "reply": "Three stops, then your destination.",
                            "actions": [SetRoute(route=route).model_dump(mode="json")]})
    kinds: dict[str, Callable[[], Any]] = {
        "route": lambda: review(Proposal(nav, "ok", "Three stops, then your destination.",
                                         (SetRoute(route=route),)), ctx),
        "places": lambda: review(Proposal(find, "ok", "Here are five places nearby.",
                                          (ShowPlaces(places=tuple(found[:5])),)), ctx),
        "refusal": lambda: review(Proposal(refuse, "ok", "Done.", ()), ctx),
        "cloud_json": lambda: review_model_output(cloud_raw, nav, ctx),
    }
    expected = {"route": "ok", "places": "ok", "refusal": "refused", "cloud_json": "ok"}
    held = {k: fn().status == expected[k] for k, fn in kinds.items()}
    samples: dict[str, list[float]] = {k: [] for k in kinds}
    per_turn: list[float] = []
    for _ in range(iterations):
        for k, fn in kinds.items():
            t0 = time.perf_counter()
            fn()
            ms = (time.perf_counter() - t0) * 1000.0
            samples[k].append(ms)
            per_turn.append(ms)
    def q90(xs: list[float]) -> float:
        return statistics.quantiles(xs, n=10)[-1] if len(xs) > 1 else xs[0]

    return {
        "map": map_path or "synthetic",
        "iterations": iterations,
        "kinds": {k: {"median_ms": round(statistics.median(v), 4), "p90_ms": round(q90(v), 4)}
                  for k, v in samples.items()},
        "per_turn_median_ms": round(statistics.median(per_turn), 4),
        "per_turn_p90_ms": round(q90(per_turn), 4),
        "target_ms": TARGET_MS,
        "statuses_as_expected": held,
    }


@bench_group.command(name="safety", help="Median safety-review time per turn (< 2 ms target).")
@click.option("--map", "map_path", type=click.Path(exists=True), default=None,
              help="Use the place index of this region pack (default: in-memory places).")
@click.option("-n", "--iterations", type=int, default=300, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of a table.")
def bench_safety(map_path: str | None, iterations: int, as_json: bool) -> None:
    res = run_bench(map_path, max(iterations, 2))
    if as_json:
        click.echo(json.dumps(res))
        return
    click.echo(f"safety review on {res['map']} ({res['iterations']} iterations)")
    for k, v in res["kinds"].items():
        ok = "ok" if res["statuses_as_expected"][k] else "UNEXPECTED STATUS"
        click.echo(f"  {k:<11} median {v['median_ms']:.3f} ms   p90 {v['p90_ms']:.3f} ms  {ok}")
    verdict = "meets" if res["per_turn_median_ms"] < TARGET_MS else "MISSES"
    click.echo(f"  per turn    median {res['per_turn_median_ms']:.3f} ms   "
               f"p90 {res['per_turn_p90_ms']:.3f} ms  ({verdict} the {TARGET_MS} ms target)")
