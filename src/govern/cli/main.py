"""The ``govern`` command: global options and the command tree."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from govern import __version__
from govern.cli import (
    check,
    demo,
    ingest,
    keys,
    ledger,
    models,
    policy,
    report,
    review,
    sign,
    verify,
)
from govern.cli.common import EXIT_INTERRUPTED, Settings, report_interrupt
from govern.store.store import ENV_DB, default_db_path

app = typer.Typer(
    name="govern",
    help=(
        "ML governance and audit reporting: load registry exports into one store, see every "
        "model version with its lineage, and find the gaps an auditor would.\n\n"
        "Examples:\n\n"
        "  govern ingest exports/            # MLflow / SageMaker exports, detected by content\n\n"
        "  govern models                     # the inventory, lineage gaps flagged\n\n"
        "  govern models show credit-risk 2  # one version in detail\n\n"
        "  govern demo                       # the whole loop on bundled real exports"
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"govern {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            envvar=ENV_DB,
            help="The store file (default .govern/govern.duckdb under the current folder). "
            "Only `govern ingest` and `govern demo` create it; every other command needs an "
            "existing govern store, and no command writes to a file that is not one.",
            show_default=False,
        ),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show tracebacks of errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Set the global options."""
    ctx.obj = Settings(db=db if db is not None else default_db_path(), verbose=verbose)


ingest.register(app)
models.register(app)
check.register(app)
policy.register(app)
review.register(app)
report.register(app)
keys.register(app)
sign.register(app)
verify.register(app)
ledger.register(app)
demo.register(app)


def run() -> None:
    """Console-script entry point."""
    try:
        app()
    except SystemExit as exc:
        if exc.code == EXIT_INTERRUPTED:
            report_interrupt(once=True)
        raise
