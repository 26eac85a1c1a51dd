"""`copilot bench`: benchmarks print medians side by side (targets live here, not in tests).

Every subcommand is one part; `copilot bench all` runs them all. A part that could not run
(it raised, its model, map or service is missing, it exited non-zero) is reported as
"FAILED <part>: <reason>" and the exit code is 1; the other parts of `all` still run, and
the summary names every failed one. A part that ran but missed its targets keeps its own
report and exit code.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from copilot.bench_part import PartFailed

log = logging.getLogger(__name__)

DEFAULT_MAPS = Path(__file__).resolve().parents[2].parent / "shared" / "maps"
"""../shared/maps beside the repository (where CI and the developers keep it)."""


class PartExit(SystemExit):
    """A part ended with a non-zero status; `reason` says why, for the summary of `all`."""

    def __init__(self, code: int, part: str, reason: str) -> None:
        super().__init__(code)
        self.part = part
        self.reason = reason


def _failed(part: str, reason: str, code: int = 1) -> PartExit:
    click.echo(f"FAILED {part}: {reason}", err=True)
    return PartExit(code, part, reason)


def guarded(name: str, callback: Callable[..., Any]) -> Callable[..., Any]:
    """The part's callback, with whatever stops it from running turned into FAILED + exit."""

    @wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except PartExit:
            raise
        except PartFailed as e:
            if e.measured:
                click.echo(e.measured)
            raise _failed(f"{name}/{e.part}", e.reason) from None
        except (click.exceptions.Exit, click.Abort, click.ClickException):
            raise  # click's own: usage errors keep their message and exit code
        except SystemExit as e:
            if e.code in (0, None):
                raise
            code = e.code if isinstance(e.code, int) else 1
            raise _failed(name, f"exited with status {code} (see above)", code) from None
        except Exception as e:  # any crash of a part is reported, never a traceback
            log.debug("bench %s failed", name, exc_info=True)
            raise _failed(name, f"{type(e).__name__}: {e}") from None

    return run


class BenchGroup(click.Group):
    """Registers each benchmark with `guarded` around it."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        part = name or cmd.name or "?"
        if cmd.callback is not None and part != "all":
            cmd.callback = guarded(part, cmd.callback)
        super().add_command(cmd, name)


@click.group(name="bench", cls=BenchGroup,
             help="Benchmarks: medians of latency, throughput and accuracy.")
def bench_group() -> None:
    pass


def _arguments(cmd: click.Command, maps: Path) -> dict[str, Any]:
    """Where a part reads maps, it reads them from --maps (a directory of .osm.pbf)."""
    names = {p.name for p in cmd.params}
    if "maps" in names:
        return {"maps": str(maps)}
    if "pbf" in names:  # `bench ask --map FILE`
        return {"pbf": str(maps / "harrisburg.osm.pbf")}
    return {}


@bench_group.command(name="all", help="Every benchmark in turn; FAILED lines name the parts "
                     "that could not run (exit 1).")
@click.option("--maps", type=click.Path(path_type=Path), default=DEFAULT_MAPS,
              show_default=True, help="Directory of the region extracts the parts use.")
@click.option("--only", "only", multiple=True, help="Run only this part (repeatable).")
@click.option("--skip", "skip", multiple=True, help="Leave this part out (repeatable).")
@click.pass_context
def bench_all(ctx: click.Context, maps: Path, only: tuple[str, ...],
              skip: tuple[str, ...]) -> None:
    parts = {n: c for n, c in sorted(bench_group.commands.items()) if n != "all"}
    unknown = sorted((set(only) | set(skip)) - set(parts))
    if unknown:
        raise click.BadParameter(f"no such part: {', '.join(unknown)} "
                                 f"(parts: {', '.join(parts)})", param_hint="--only/--skip")
    chosen = [n for n in parts if (not only or n in only) and n not in skip]
    failed: list[tuple[str, str]] = []
    for n in chosen:
        click.echo(f"== bench {n} ==")
        try:
            ctx.invoke(parts[n], **_arguments(parts[n], maps))
        except PartExit as e:
            failed.append((e.part, e.reason))
        except click.ClickException as e:
            click.echo(f"FAILED {n}: {e.format_message()}", err=True)
            failed.append((n, e.format_message()))
        except SystemExit as e:
            if e.code not in (0, None):
                failed.append((n, f"exited with status {e.code}"))
    click.echo(f"== {len(chosen) - len(failed)} of {len(chosen)} parts ran ==")
    for part, reason in failed:
        click.echo(f"FAILED {part}: {reason}")
    if failed:
        sys.exit(1)
