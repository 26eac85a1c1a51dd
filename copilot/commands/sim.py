"""`copilot sim run` and `copilot demo`."""

from __future__ import annotations

import click

from copilot.commands.common import not_landed


@click.group(name="sim", help="Simulated drives: scenarios with expectations.")
def sim_group() -> None:
    pass


@sim_group.command(name="run", help="Run SCENARIO.yaml; exit 0 iff every expectation holds.")
@click.argument("scenario", type=click.Path())
@click.option("--report", "report_dir", type=click.Path(), required=True)
def sim_run(scenario: str, report_dir: str) -> None:
    not_landed("sim run", 8)


@click.command(help="The airport run end to end on the embedded map.")
def demo() -> None:
    not_landed("demo", 8)
