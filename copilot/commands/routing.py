"""`copilot ask` and `copilot map`."""

from __future__ import annotations

import click

from copilot.commands.common import not_landed


@click.command(help="Answer driver turns (JSONL on stdin): reply, route, actions.")
@click.option("--map", "map_path", type=click.Path(), required=True, help="REGION.osm.pbf")
@click.option("--profile", type=click.Path(), default=None, help="PROFILE.yaml (saved places)")
@click.option("--jsonl", is_flag=True, required=True, help="Turns on stdin, one per line.")
@click.option("--cloud-llm", default=None, help="Base URL of an OpenAI-compatible endpoint.")
@click.option("--cloud-model", default=None, help="Model name to ask the cloud endpoint for.")
@click.option("--offload", type=click.Choice(["auto", "always", "never"]), default="auto")
@click.option("--link", type=click.Choice(["good", "degraded", "none"]), default=None)
@click.option("--privacy", type=click.Choice(["standard", "strict"]), default="standard")
def ask(**_: object) -> None:
    not_landed("ask", 4)


@click.group(name="map", help="Region packs: Valhalla tiles + place index from a .pbf.")
def map_group() -> None:
    pass


@map_group.command(name="build", help="Build (or reuse) the region pack for REGION.osm.pbf.")
@click.argument("pbf", type=click.Path())
def map_build(pbf: str) -> None:
    not_landed("map build", 4)


@map_group.command(name="info", help="Show what a region pack holds (places per category).")
@click.argument("pbf", type=click.Path())
def map_info(pbf: str) -> None:
    not_landed("map info", 4)
