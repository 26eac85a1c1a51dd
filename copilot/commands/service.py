"""`copilot serve`: the in-car service over MQTT."""

from __future__ import annotations

import click

from copilot.commands.common import not_landed


@click.command(help="The in-car service: MQTT sensors and requests in, replies out.")
@click.option("--broker", required=True, help="mqtt://HOST:PORT or mqtts://HOST:PORT")
@click.option("--vin", required=True, help="The vehicle's id (topic prefix).")
@click.option("--username", default=None)
@click.option("--password", default=None)
@click.option("--map", "map_path", type=click.Path(), default=None, help="REGION.osm.pbf")
def serve(**_: object) -> None:
    not_landed("serve", 5)
