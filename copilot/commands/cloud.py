"""`copilot cloud serve`: a local OpenAI-compatible endpoint standing in for the cloud model."""

from __future__ import annotations

import click

from copilot.commands.common import not_landed


@click.group(name="cloud", help="The cloud side: a local OpenAI-compatible chat endpoint.")
def cloud_group() -> None:
    pass


@cloud_group.command(name="serve", help="Serve a GGUF over POST /v1/chat/completions on loopback.")
@click.option("--port", type=int, required=True)
@click.option("--model", type=click.Path(), default=None, help="GGUF (default: packaged Gemma).")
def cloud_serve(port: int, model: str | None) -> None:
    not_landed("cloud serve", 7)
