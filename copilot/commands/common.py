"""Helpers shared by the subcommands: clean errors instead of tracebacks."""

from __future__ import annotations

import logging
import sys
from typing import NoReturn

import click

log = logging.getLogger(__name__)

EXIT_USAGE = 2
"""Exit code for bad usage and for commands whose issue has not landed yet."""


def not_landed(command: str, issue: int) -> NoReturn:
    """Say plainly that a contract command exists but is not built yet, and exit 2."""
    click.echo(f"copilot {command}: not available yet (issue #{issue} has not landed)", err=True)
    sys.exit(EXIT_USAGE)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one clear line to stderr and exit; used for user-facing errors (no traceback)."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)
