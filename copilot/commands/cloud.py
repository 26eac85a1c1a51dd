"""`copilot cloud serve` (the local stand-in for the cloud model) and `copilot bench hybrid`."""

from __future__ import annotations

import logging

import click

from copilot.commands.common import fail

log = logging.getLogger(__name__)


@click.group(name="cloud", help="The cloud side: a local OpenAI-compatible chat endpoint.")
def cloud_group() -> None:
    pass


@cloud_group.command(name="serve", help="Serve a GGUF over POST /v1/chat/completions on loopback.")
@click.option("--port", type=click.IntRange(1, 65535), required=True)
@click.option("--model", type=click.Path(), default=None, help="GGUF (default: packaged Gemma).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Bind address.")
@click.option("--threads", type=click.IntRange(1, 256), default=None, help="CPU threads.")
def cloud_serve(port: int, model: str | None, host: str, threads: int | None) -> None:
    from copilot.hybrid.cloud_server import serve

    click.echo(f"cloud endpoint: http://{host}:{port}/v1 (POST /chat/completions)", err=True)
    try:
        serve(port, model, host=host, n_threads=threads)
    except FileNotFoundError as e:
        fail(str(e))
    except (OSError, ValueError, RuntimeError) as e:
        fail(f"cloud serve: {e}")
    except KeyboardInterrupt:
        pass
