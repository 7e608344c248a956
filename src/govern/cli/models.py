"""``govern models`` and ``govern models show NAME [VERSION]``."""

from __future__ import annotations

from typing import Annotated

import typer

from govern.cli.common import (
    FormatOption,
    OutputFormat,
    OutputOption,
    handle_errors,
    settings,
    stdout_width,
    write_output,
)
from govern.formats import inventory as fmt
from govern.inventory import GAP_CODES, inventory
from govern.store.store import Store

GAPS_HELP = "; ".join(f"{code}: {text}" for code, text in GAP_CODES.items())


models_app = typer.Typer(
    help=(
        "The model inventory: every model version with its stage, aliases, run, git commit, "
        "datasets and environment, and its lineage gaps.\n\n"
        f"Lineage gaps: {GAPS_HELP}.\n\n"
        "Examples:\n\n"
        "  govern models\n\n"
        "  govern models --format json --output inventory.json\n\n"
        "  govern models show credit-risk 2"
    ),
    invoke_without_command=True,
    no_args_is_help=False,
)


def register(app: typer.Typer) -> None:
    """Add the command group to the app."""
    app.add_typer(models_app, name="models")


@models_app.callback()
@handle_errors
def list_models(
    ctx: typer.Context,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Only this model.")] = None,
    gaps_only: Annotated[
        bool, typer.Option("--gaps", help="Only versions with lineage gaps.")
    ] = False,
    output_format: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """List every model version (the inventory)."""
    if ctx.invoked_subcommand is not None:
        return
    with Store.open(settings(ctx).db, read_only=True) as store:
        versions = inventory(store, model)
    if gaps_only:
        versions = [v for v in versions if v.gaps]
    if output_format is OutputFormat.json:
        write_output(fmt.render_json(versions), output)
    else:
        write_output(fmt.render_table(versions, width=stdout_width()), output)


@models_app.command("show")
@handle_errors
def show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    version: Annotated[str | None, typer.Argument(help="Version (default: all).")] = None,
    output_format: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """Show one model (or one version) in detail."""
    with Store.open(settings(ctx).db, read_only=True) as store:
        versions = inventory(store, name, version)
    if output_format is OutputFormat.json:
        write_output(fmt.render_json(versions), output)
    else:
        write_output(fmt.render_detail(versions, width=stdout_width()), output)
