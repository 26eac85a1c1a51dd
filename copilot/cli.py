"""The `copilot` command: one group, each area's subcommands registered from its own module."""

from __future__ import annotations

import logging
import os

import click

from copilot.commands import cloud, nlu, routing, safety, service, sim
from copilot.commands.bench import bench_group


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """In-car conversational copilot: device first, cloud when it pays."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    if os.environ.get("COPILOT_LOG"):  # read at call time, never at import
        level = getattr(logging, os.environ["COPILOT_LOG"].upper(), level)
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(levelname)s %(message)s")


cli.add_command(nlu.understand)
cli.add_command(nlu.listen)
cli.add_command(nlu.eval_group)
cli.add_command(routing.ask)
cli.add_command(routing.map_group)
cli.add_command(service.serve)
cli.add_command(cloud.cloud_group)
cli.add_command(sim.sim_group)
cli.add_command(sim.demo)
cli.add_command(safety.safety_group)
cli.add_command(bench_group)


def main() -> None:
    cli(prog_name="copilot")


if __name__ == "__main__":
    main()
