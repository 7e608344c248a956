"""``govern demo``: the whole loop on bundled real exports."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from govern.cli.common import err_console, handle_errors, settings, stdout_width, write_output
from govern.demo import demo_inputs, reset_store
from govern.formats import ingest as ingest_fmt
from govern.formats import inventory as inventory_fmt
from govern.ingest.pipeline import ingest
from govern.inventory import inventory
from govern.store.store import Store


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command(name="demo")(demo_command)


@handle_errors
def demo_command(
    ctx: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option(
            "--demo-db",
            help="Store for the demo (default .govern/demo.duckdb; recreated on every run).",
        ),
    ] = None,
) -> None:
    """Run govern end to end on bundled real exports (offline).

    Loads MLflow (SQL store, FileStore, REST, export-import) and SageMaker exports shipped with
    govern into a fresh demo store and prints the inventory with its lineage gaps.
    """
    path = db or settings(ctx).db.parent / "demo.duckdb"
    reset_store(path)
    inputs = demo_inputs()
    err_console.print(f"1. ingest {len(inputs)} bundled exports into {path}", style="bold")
    with Store.open(path) as store:
        report = ingest(store, inputs, now=datetime.now(UTC))
        write_output(ingest_fmt.render_table(report, width=stdout_width()), None)
        err_console.print("2. inventory: every model version and its lineage gaps", style="bold")
        versions = inventory(store)
    write_output(inventory_fmt.render_table(versions, width=stdout_width()), None)
