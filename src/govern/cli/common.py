"""Shared command-line plumbing: global options, error handling, output writing."""

from __future__ import annotations

import contextvars
import functools
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from govern.cli import output as output_module
from govern.errors import GovernError
from govern.formats.render import safe_console
from govern.store.store import default_db_path

P = ParamSpec("P")
R = TypeVar("R")

#: Exit codes (DESIGN.md): 0 clean, 1 policy failed, 2 usage error or bad input, 3 a bug in
#: govern, 130 interrupted.
EXIT_OK = 0
EXIT_POLICY = 1
EXIT_INPUT = 2
EXIT_BUG = 3
EXIT_INTERRUPTED = 130

err_console = safe_console(stderr=True, highlight=False, soft_wrap=True, markup=False)


class OutputFormat(StrEnum):
    """Formats of commands that print results."""

    table = "table"
    json = "json"


#: ``--format table|json`` of the commands that print results
FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]
#: ``--output FILE``: the result goes to this file instead of stdout (see govern.cli.output)
OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Write the result to this file (- for stdout). A regular file is replaced "
        "atomically; a device, pipe or symlink is written through.",
    ),
]


@dataclass
class Settings:
    """Global options, set by the top-level callback."""

    db: Path
    verbose: bool = False


def settings(ctx: typer.Context) -> Settings:
    """Return the global settings (defaults when a command is invoked on its own)."""
    obj = ctx.find_root().obj
    if isinstance(obj, Settings):
        return obj
    return Settings(db=default_db_path())


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a :class:`GovernError` into its plain message and exit code 2.

    Any other exception is a bug: say so in one sentence (the traceback with ``--verbose``) and
    exit with code 3, so that CI can tell a govern bug from a bad file.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        verbose = _verbose(args, kwargs)
        started = _writes()
        try:
            # in a context of its own: what the command sets (e.g. how explainability loads
            # models) ends with it, not carried into the next command of the same process
            return contextvars.copy_context().run(func, *args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except GovernError as exc:
            if verbose:
                traceback.print_exc()
            err_console.print(f"[bold red]error:[/] {escape(exc.diagnostics())}", markup=True)
            raise typer.Exit(EXIT_INPUT) from None
        except KeyboardInterrupt:
            report_interrupt(since=started)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Exception as exc:
            if _interrupted_query(exc):
                report_interrupt(since=started)
                raise typer.Exit(EXIT_INTERRUPTED) from None
            if _io_failure(exc):
                if verbose:
                    traceback.print_exc()
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                err_console.print(
                    f"error: a file could not be read or written ({first}).\n"
                    "The store or an input may be damaged or on a full or failing disk; "
                    "nothing was written.",
                )
                raise typer.Exit(EXIT_INPUT) from None
            if verbose:
                traceback.print_exc()
            err_console.print(
                f"[bold red]error:[/] govern failed unexpectedly "
                f"({escape(type(exc).__name__)}: {escape(str(exc))}). "
                "Re-run with --verbose for the traceback and please report it.",
                markup=True,
            )
            raise typer.Exit(EXIT_BUG) from None

    return wrapper


_interrupt_reported = False


def _writes() -> tuple[int, int]:
    """(committed, uncertain) store transactions of this process (0, 0 before any)."""
    store = sys.modules.get("govern.store.store")
    return store.writes() if store is not None else (0, 0)


def report_interrupt(*, once: bool = False, since: tuple[int, int] = (0, 0)) -> None:
    """Say that Ctrl-C stopped the command, and whether the store was written.

    Every write is one transaction: one cut short is rolled back, one committed is complete.
    ``since`` is the count of transactions when the command started.

    With ``once``, say nothing if it was said already (the entry point's fallback for an
    interrupt outside a command, which Typer turns into exit 130 silently).
    """
    global _interrupt_reported
    if once and _interrupt_reported:
        return
    _interrupt_reported = True
    now = _writes()
    committed, uncertain = now[0] - since[0], now[1] - since[1]
    if uncertain:
        err_console.print(
            "interrupted while the store was committing: the change may or may not be in it. "
            "Run the command again (loading the same bytes twice changes nothing)."
        )
    elif committed:
        err_console.print(
            "interrupted after the store was updated: what was written is complete and kept; "
            "only what came after it (the summary) was cut short."
        )
    else:
        err_console.print("interrupted; nothing was written.")


def _interrupted_query(exc: Exception) -> bool:
    """True for DuckDB's answer to Ctrl-C during a query (it turns KeyboardInterrupt into this).

    The store's transaction was rolled back on the way out, so nothing was written.
    """
    duckdb = sys.modules.get("duckdb")
    interrupt = getattr(duckdb, "InterruptException", None) if duckdb else None
    if interrupt is not None and isinstance(exc, interrupt):
        return True
    return type(exc) is RuntimeError and str(exc) == "Query interrupted"


def _io_failure(exc: Exception) -> bool:
    """True for DuckDB's IO errors (a damaged block met mid-query, a disk that fails)."""
    duckdb = sys.modules.get("duckdb")
    io_error = getattr(duckdb, "IOException", None) if duckdb else None
    return io_error is not None and isinstance(exc, io_error)


def _verbose(args: tuple[object, ...], kwargs: dict[str, object]) -> bool:
    for value in (*args, *kwargs.values()):
        root = getattr(value, "find_root", None)
        if root is not None:
            obj = root().obj
            return isinstance(obj, Settings) and obj.verbose
    return os.environ.get("GOVERN_VERBOSE") == "1"


def write_output(text: str, output: Path | None) -> None:
    """Print ``text`` to stdout, or write it to ``output`` (see :mod:`govern.cli.output`)."""
    staged = output_module.write_output(text, output)
    if staged.target is not None:
        err_console.print(f"wrote {staged.where()}")


def stdout_width() -> int:
    """Terminal width for tables (wide when not a terminal, so piped tables do not wrap)."""
    if sys.stdout.isatty():
        return Console().width
    return int(os.environ.get("COLUMNS", "160"))
