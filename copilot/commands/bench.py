"""`copilot bench`: benchmarks print medians side by side (targets live here, not in tests)."""

from __future__ import annotations

import click


@click.group(name="bench", help="Benchmarks: medians of latency, throughput and accuracy.")
def bench_group() -> None:
    pass
