"""`copilot cloud serve` (the local stand-in for the cloud model) and `copilot bench hybrid`."""

from __future__ import annotations

import logging

import click

from copilot.commands.bench import bench_group
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


@bench_group.command(name="hybrid", help="A scripted day of driving: device share, bytes, "
                     "tokens, cost per 1,000 turns, latency by path (medians).")
@click.option("--cloud-llm", default=None, help="Endpoint URL (default: start cloud serve).")
@click.option("--days", type=click.IntRange(1, 100), default=1, show_default=True)
@click.option("--deadline-ms", type=click.FloatRange(100, 60_000), default=3000.0,
              show_default=True, help="A turn's whole budget, device answer included.")
@click.option("--price-in", type=float, default=None, help="USD per million prompt tokens.")
@click.option("--price-out", type=float, default=None, help="USD per million output tokens.")
@click.option("--quality", type=click.IntRange(0, 1000), default=10, show_default=True,
              help="Heavy requests without deadline pressure (usable-plan rate).")
@click.option("--json", "as_json", is_flag=True, help="Also print the summary as JSON.")
def bench_hybrid(cloud_llm: str | None, days: int, deadline_ms: float, price_in: float | None,
                 price_out: float | None, quality: int, as_json: bool) -> None:
    import json

    from copilot.hybrid.bench import run_day

    try:
        out = run_day(cloud_llm, days, deadline_ms, price_in, price_out,
                      say=lambda s: click.echo(s), quality=quality)
    except (OSError, RuntimeError) as e:
        fail(f"bench hybrid: {e}")
    if as_json:
        click.echo(json.dumps(out))
