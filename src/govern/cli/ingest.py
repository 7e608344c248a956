"""``govern ingest PATH...``."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn

from govern.cli.common import OutputFormat, err_console, handle_errors, settings, stdout_width
from govern.cli.common import write_output as write
from govern.formats import ingest as fmt
from govern.ingest.pipeline import IngestReport, discover, ingest
from govern.ingest.registry import ADAPTERS
from govern.store.store import Store

HELP = (
    "Load exports into the store. Formats are detected by content; folders are walked.\n\n"
    "Everything is read before anything is written, and written in one transaction: bad "
    "input leaves the store as it was. Ingesting the same bytes again changes nothing.\n\n"
    "Formats: "
    + "; ".join(f"{a.name} ({a.description})" for a in ADAPTERS.values())
    + "\n\nExamples:\n\n"
    "  govern ingest mlflow.db\n\n"
    "  govern ingest mlruns/\n\n"
    "  govern ingest export/ --skip-invalid   # skip files that are not valid JSON\n\n"
    "  govern ingest describe-model-package.json --format json"
)


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command(name="ingest", help=HELP)(ingest_command)


@handle_errors
def ingest_command(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to load.")],
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid",
            help="In walked folders, skip files that are not valid JSON instead of stopping.",
        ),
    ] = False,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.")
    ] = OutputFormat.table,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the result to this file.")
    ] = None,
) -> None:
    """Load exports into the store."""
    options = settings(ctx)
    units, _ = discover(paths, skip_invalid=skip_invalid)  # fail fast, before opening the store
    with Store.open(options.db) as store:
        report = _run(store, paths, skip_invalid, len(units))
    if output_format is OutputFormat.json:
        write(fmt.render_json(report), output)
    else:
        write(fmt.render_table(report, width=stdout_width()), output)


def _run(store: Store, paths: list[Path], skip_invalid: bool, total: int) -> IngestReport:
    now = datetime.now(UTC)
    if not sys.stderr.isatty() or total < 3:
        return ingest(store, paths, now=now, skip_invalid=skip_invalid)
    with Progress(
        TextColumn("reading"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} {task.description}"),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=total)

        def step(path: str) -> None:
            bar.update(task, advance=1, description=Path(path).name)

        return ingest(store, paths, now=now, skip_invalid=skip_invalid, progress=step)
