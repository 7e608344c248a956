"""``govern verify PATH...``: check signed reports, attestations and gate decisions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from govern.cli.common import (
    EXIT_OK,
    EXIT_POLICY,
    FormatOption,
    OutputFormat,
    handle_errors,
    settings,
)
from govern.cli.keys import DEFAULT_KEYS_DIR

VERIFY_HELP = (
    "Check signed evidence and say what was checked and what failed.\n\n"
    "A Sigstore bundle (.sigstore.json, from `govern report --sign` or `govern gate "
    "--attest`): the DSSE signature with --key or --cert (else the key in .govern/keys whose "
    "id the bundle names), every file it names against its SHA-256 (beside the bundle, or in "
    "--dir), a gate decision's model version against the store, and the ledger chain against "
    "the head the statement records (with the store: --db, or .govern/govern.duckdb when it "
    "exists).\n\n"
    "A PDF report: every signature (pyHanko), its certificate against --trust CERT or the "
    "key pinned with --key/--cert, and no change after signing but filling in and signing "
    "the approvers' fields.\n\n"
    "Exit code 0 when everything holds, 1 when a check fails (changed files, another key, a "
    "truncated ledger), 2 on bad input (not a bundle, a missing file, an unreadable key).\n\n"
    "Examples:\n\n"
    "  govern verify reports/credit-risk-v2-2026-12-03.sigstore.json --key key.pub.pem\n\n"
    "  govern --db .govern/govern.duckdb verify gate.sigstore.json --cert cert.pem\n\n"
    "  govern verify reports/*.sigstore.json --format json\n\n"
    "  govern verify reports/credit-risk-v2-2026-12-03.pdf --trust cert.pem"
)


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command(name="verify", help=VERIFY_HELP)(verify_command)


@handle_errors
def verify_command(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Bundles (.sigstore.json) or PDFs.")],
    key: Annotated[
        Path | None,
        typer.Option("--key", help="The signer's public key (PEM) or certificate."),
    ] = None,
    cert: Annotated[
        Path | None, typer.Option("--cert", help="The signer's certificate (PEM or DER).")
    ] = None,
    trust: Annotated[
        list[Path] | None,
        typer.Option("--trust", help="A certificate to trust as a root (PDFs; repeatable)."),
    ] = None,
    folder: Annotated[
        Path | None,
        typer.Option("--dir", help="Where the files a bundle names are (default: its folder)."),
    ] = None,
    keys_dir: Annotated[
        Path,
        typer.Option("--keys", help="Where to find a key by the bundle's key id."),
    ] = DEFAULT_KEYS_DIR,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Verify signed evidence."""
    import dataclasses
    import json

    from govern.signing.verify import VerifyOptions, render_text, verify_paths
    from govern.store.store import Store

    db = settings(ctx).db
    source = ctx.find_root().get_parameter_source("db")
    explicit = source is not None and source.name != "DEFAULT"
    options = VerifyOptions(
        key=key,
        cert=cert,
        trust=tuple(trust or ()),
        keys_dir=keys_dir,
        subjects_dir=folder,
        no_store_reason=f"--db was not given and there is no {db}",
    )
    if explicit or db.exists():
        with Store.open(db, read_only=True, create=False) as store:
            options = dataclasses.replace(options, store=store)
            result = verify_paths(paths, options)
    else:
        result = verify_paths(paths, options)
    if output_format is OutputFormat.json:
        typer.echo(json.dumps(result.to_json(), indent=2))
    else:
        typer.echo(render_text(result), nl=False)
    raise typer.Exit(EXIT_OK if result.ok else EXIT_POLICY)
