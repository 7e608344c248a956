"""``govern ledger show`` and ``govern ledger verify``: read and check the evidence ledger."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from govern.cli.common import (
    EXIT_OK,
    EXIT_POLICY,
    FormatOption,
    OutputFormat,
    OutputOption,
    err_console,
    handle_errors,
    settings,
    stdout_width,
    write_output,
)

ledger_app = typer.Typer(
    help=(
        "The evidence ledger: the append-only, hash-chained record of gate decisions, waiver "
        "uses, reports, stored reviews and ingests.\n\n"
        "Examples:\n\n"
        "  govern ledger show\n\n"
        "  govern ledger show --kind gate --subject credit-risk@2 --format json\n\n"
        "  govern ledger verify\n\n"
        "  govern ledger verify --head HASH   # HASH: the ledger head an attestation recorded"
    ),
    no_args_is_help=True,
)


class Kind(StrEnum):
    """Kinds of ledger entries (``govern.store.ledger.KINDS``)."""

    gate = "gate"
    waiver = "waiver"
    report = "report"
    review = "review"
    ingest = "ingest"


def register(app: typer.Typer) -> None:
    """Add the command group to the app."""
    app.add_typer(ledger_app, name="ledger")


@ledger_app.command("show")
@handle_errors
def show_command(
    ctx: typer.Context,
    kind: Annotated[
        Kind | None, typer.Option("--kind", "-k", help="Only entries of this kind.")
    ] = None,
    subject: Annotated[
        str | None,
        typer.Option(
            "--subject", "-s", help="Only entries about this subject (e.g. credit-risk@2)."
        ),
    ] = None,
    output_format: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """List ledger entries, oldest first (the JSON holds every field, for recomputing hashes).

    Exit code 0, 2 on bad input.
    """
    from govern.formats import ledger as fmt
    from govern.store import ledger
    from govern.store.store import Store

    with Store.open(settings(ctx).db, read_only=True) as store:
        chosen = ledger.entries(
            store, kind=kind.value if kind is not None else None, subject=subject
        )
    if output_format is OutputFormat.json:
        filters = {"kind": kind.value if kind is not None else None, "subject": subject}
        text = fmt.render_json(chosen, filters)
    else:
        text = fmt.render_table(chosen, width=stdout_width())
    write_output(text, output)
    raise typer.Exit(EXIT_OK)


@ledger_app.command("verify")
@handle_errors
def verify_command(
    ctx: typer.Context,
    head: Annotated[
        str | None,
        typer.Option(
            "--head",
            help="A head hash recorded elsewhere (an attestation's ledger head): the chain must "
            "still hold it, so cut-off or rewritten entries show.",
        ),
    ] = None,
    output_format: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """Recompute every hash and link of the ledger, and look for --head.

    Exit code 0 when the chain is intact (and holds --head), 1 when it is broken or the head
    is missing, 2 on bad input (no store, a malformed --head).
    """
    from govern.formats import ledger as fmt
    from govern.store import ledger
    from govern.store.store import Store

    expected = ledger.check_head(head) if head is not None else None
    with Store.open(settings(ctx).db, read_only=True) as store:
        check = ledger.check_chain(store, expected)
    if output_format is OutputFormat.json:
        write_output(fmt.verification_json(check), output)
    else:
        write_output(fmt.verification_text(check), output)
    if not check.intact:
        err_console.print(f"govern ledger verify: {check.problem}", style="bold red")
    raise typer.Exit(EXIT_OK if check.intact else EXIT_POLICY)
