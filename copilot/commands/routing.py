"""`copilot ask`, `copilot map build|info` and `copilot bench routing`.

Heavy libraries (Valhalla, osmium, the NLU) are imported inside the commands, so `--help`
stays fast. A bad input line gives a `not_understood` output line with the reason and the
run goes on; a map that cannot be built or a profile that cannot be read is one clear error
line on stderr and exit code 1.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import click

from copilot.commands.bench import DEFAULT_MAPS, bench_group
from copilot.commands.common import fail

log = logging.getLogger(__name__)


def _open_pack(pbf: str, progress: bool) -> Any:
    from routing.errors import MapError
    from routing.pack import RegionPack

    try:
        return RegionPack.open(Path(pbf), progress=progress)
    except MapError as exc:
        fail(str(exc))


def _bad_line(text: str, why: str) -> str:
    from copilot.messages import AskResult, Timings
    from routing.messages import Intent, Understanding

    u = Understanding(text=text[:2000], intent=Intent.OUT_OF_SCOPE, confidence=0.0,
                      error="not_text")
    return AskResult(understanding=u, status="not_understood",
                     reply="Sorry, I couldn't read that request.",
                     timings_ms=Timings(understand=0, plan=0, validate=0, total=0),
                     why=why).to_json()


def _offload_hook(cloud_llm: str | None, cloud_model: str | None, offload: str,
                  link: str | None, privacy: str, deadline_ms: float, pack: Any,
                  profile: Any) -> Any:
    """The hybrid hook on this pack and profile (avoided brands, time per stop), or None."""
    from copilot.hybrid import build_offload

    hook = build_offload(cloud_llm, cloud_model, offload, link, privacy, deadline_ms=deadline_ms)
    if hook is not None:
        hook.attach_pack(pack, profile)
    return hook


@click.command(help="Answer driver turns (JSONL on stdin): reply, route, actions.")
@click.option("--map", "map_path", type=click.Path(), required=True, help="REGION.osm.pbf")
@click.option("--profile", type=click.Path(), default=None, help="PROFILE.yaml (saved places)")
@click.option("--jsonl", is_flag=True, required=True, help="Turns on stdin, one per line.")
@click.option("--cloud-llm", default=None, help="Base URL of an OpenAI-compatible endpoint.")
@click.option("--cloud-model", default=None, help="Model name to ask the cloud endpoint for.")
@click.option("--offload", type=click.Choice(["auto", "always", "never"]), default="auto")
@click.option("--link", type=click.Choice(["good", "degraded", "none"]), default=None)
@click.option("--privacy", type=click.Choice(["standard", "strict"]), default="standard")
@click.option("--audit", type=click.Path(dir_okay=False), default=None,
              help="Audit log of refusals (default ~/.local/state/copilot/audit.jsonl).")
@click.option("--cloud-deadline-ms", type=click.FloatRange(min=100), default=3000.0,
              show_default=True, help="Longest wait for the cloud before the device answers.")
def ask(map_path: str, profile: str | None, jsonl: bool, cloud_llm: str | None,
        cloud_model: str | None, offload: str, link: str | None, privacy: str,
        cloud_deadline_ms: float, audit: str | None) -> None:
    from pydantic import ValidationError

    from copilot.dialog import Copilot
    from copilot.messages import AskTurn
    from routing.errors import ProfileError
    from routing.profile import Profile

    pack = _open_pack(map_path, progress=sys.stderr.isatty())
    try:
        prof = Profile.load(profile) if profile else Profile()
    except ProfileError as exc:
        fail(str(exc))
    hook = None
    if offload != "never" or cloud_llm:
        try:
            hook = _offload_hook(cloud_llm, cloud_model, offload, link, privacy,
                                 cloud_deadline_ms, pack, prof)
        except ValueError as exc:  # a bad option value
            fail(str(exc), 2)
        except Exception as exc:  # the cloud side must never stop the device from answering
            log.warning("cloud offload unavailable (%s); answering on the device only", exc)
    from copilot.audit import AuditLog

    copilot = Copilot(pack, prof, offload=hook, audit=AuditLog(audit))
    for n, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            turn = AskTurn.model_validate_json(line)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "line"
            log.warning("input line %d rejected: %s: %s", n, where, first["msg"])
            click.echo(_bad_line(line.strip(), f"bad_input:{where}"))
            continue
        click.echo(copilot.answer(turn).to_json())
        sys.stdout.flush()


@click.group(name="map", help="Region packs: Valhalla tiles + place index from a .pbf.")
def map_group() -> None:
    pass


@map_group.command(name="build", help="Build (or reuse) the region pack for REGION.osm.pbf.")
@click.argument("pbf", type=click.Path())
def map_build(pbf: str) -> None:
    import time

    t0 = time.monotonic()
    pack = _open_pack(pbf, progress=True)
    took = time.monotonic() - t0
    info = pack.info
    click.echo(f"{info.source}: pack {pack.path} ({took:.2f} s; built in {info.built_s:.2f} s)")


@map_group.command(name="info", help="Show what a region pack holds (places per category).")
@click.argument("pbf", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of a table.")
def map_info(pbf: str, as_json: bool) -> None:
    pack = _open_pack(pbf, progress=True)
    info = pack.info
    if as_json:
        click.echo(json.dumps({"source": info.source, "sha256": info.sha256, "bbox": info.bbox,
                               "built_s": info.built_s, "path": str(pack.path),
                               "places": info.counts}))
        return
    a, b, c, d = info.bbox
    click.echo(f"{info.source}  sha256 {info.sha256[:12]}  built in {info.built_s:.2f} s")
    click.echo(f"bbox {a:.4f},{b:.4f} .. {c:.4f},{d:.4f}   pack {pack.path}")
    click.echo("places per category (OpenStreetMap data, ODbL):")
    for cat, n in info.counts.items():
        click.echo(f"  {cat:<14} {n:>5}")


@bench_group.command(name="routing", help="Planner gap vs brute force, ask latency, pack build.")
@click.option("--maps", default=str(DEFAULT_MAPS), type=click.Path(), show_default=True,
              help="Directory holding harrisburg/baltimore/copenhagen .osm.pbf.")
@click.option("--repeat", default=15, show_default=True, help="Timed runs per case.")
def bench_routing(maps: str, repeat: int) -> None:
    from copilot.dialog.bench import run_all

    ok = run_all(Path(maps), repeat)
    sys.exit(0 if ok else 1)


@bench_group.command(name="ask", help="ask device turn p50 (issue 13 turns); questions vs routes.")
@click.option("--map", "pbf", default=str(DEFAULT_MAPS / "harrisburg.osm.pbf"),
              type=click.Path(), show_default=True, help="Region extract to answer on.")
@click.option("--set", "sets", multiple=True, type=click.Path(exists=True),
              help="Evaluation JSONL whose question-labelled lines are answered (repeatable; "
                   "default: eval/*.jsonl of the checkout).")
@click.option("--top", type=click.Path(exists=True), default=None,
              help="TOP's eval .tsv: also count its trip questions that changed the route.")
@click.option("--repeat", default=15, show_default=True, help="Timed runs per turn.")
def bench_ask(pbf: str, sets: tuple[str, ...], top: str | None, repeat: int) -> None:
    from copilot.dialog.bench_ask import run

    chosen = [Path(s) for s in sets] or sorted(
        (Path(__file__).resolve().parents[2] / "eval").glob("*.jsonl"))
    sys.exit(0 if run(Path(pbf), chosen, repeat, Path(top) if top else None) else 1)
