"""``govern report``: the audit report of one model version, as HTML, JSON and PDF files."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from govern.cli import output as output_module
from govern.cli.check import PolicyOption, WaiverOption, as_of_time, load_policies
from govern.cli.common import err_console, handle_errors, settings
from govern.errors import UsageError

if TYPE_CHECKING:
    pass

#: The formats ``--format`` accepts, in the order files are written.
REPORT_FORMATS = ("html", "json", "pdf")

REPORT_HELP = (
    "Write the audit report of one model version: cover, executive summary, scope, framework "
    "coverage, findings by severity, evidence (lineage, metrics, fairness, drift, monitoring, "
    "gate history), waivers, limitations, sign-off and an appendix of digests.\n\n"
    "Files are named MODEL-vVERSION-DATE.EXT in --out (default reports/) and written "
    "atomically. The same store, policies and date give byte-identical files: the date is "
    "--as-of, else SOURCE_DATE_EPOCH, else now. Exit code 0 when the report was written "
    "(whatever its decision), 2 on bad input.\n\n"
    "Examples:\n\n"
    "  govern report --model credit-risk --version 2\n\n"
    "  govern report -m credit-risk --version 2 --policy policies/ --as-of 2026-12-03\n\n"
    "  govern report -m credit-risk --version 2 --format json --out audit/"
)


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command(name="report", help=REPORT_HELP)(report_command)


def report_clock(as_of: str | None) -> datetime:
    """The report's clock: ``--as-of`` (noon UTC), else ``SOURCE_DATE_EPOCH``, else now."""
    from govern.report.clock import source_date

    if as_of is not None:
        return as_of_time(as_of)
    return source_date() or datetime.now(UTC)


def parse_formats(value: str) -> tuple[str, ...]:
    """``html,json`` -> ``("html", "json")``; an unknown format is a usage error."""
    wanted = [part.strip().lower() for part in value.split(",") if part.strip()]
    unknown = [w for w in wanted if w not in REPORT_FORMATS]
    if unknown or not wanted:
        raise UsageError(
            f"--format {value!r}: unknown report format {', '.join(unknown) or '(none)'}.",
            hint="Choose from " + ", ".join(REPORT_FORMATS) + " (comma-separated).",
        )
    return tuple(f for f in REPORT_FORMATS if f in wanted)


@handle_errors
def report_command(
    ctx: typer.Context,
    model: Annotated[str, typer.Option("--model", "-m", help="Registered model name.")],
    version: Annotated[str, typer.Option("--version", help="Model version to report on.")],
    policy: PolicyOption = None,
    waivers: WaiverOption = None,
    formats: Annotated[
        str, typer.Option("--format", "-f", help="Comma-separated: html, json, pdf.")
    ] = "html,json",
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the report files (created if missing).")
    ] = Path("reports"),
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Evaluate and date the report as of this day (YYYY-MM-DD, UTC); default "
            "SOURCE_DATE_EPOCH, else now.",
        ),
    ] = None,
    pdf_variant: Annotated[
        str,
        typer.Option(
            "--pdf-variant",
            help="pdf/ua-1: tagged, accessible PDF (default); pdf/a-3b: archival PDF/A-3b "
            "with the evidence JSON embedded.",
        ),
    ] = "pdf/ua-1",
) -> None:
    """Write the audit report of one model version."""
    from govern.report.context import build_context, report_stem
    from govern.report.render import render_formats
    from govern.store.store import Store

    chosen = parse_formats(formats)
    if "pdf" in chosen:
        from govern.report.pdf import PDF_VARIANTS

        if pdf_variant not in PDF_VARIANTS:
            raise UsageError(
                f"--pdf-variant {pdf_variant!r} is not one govern makes.",
                hint="Choose from " + ", ".join(PDF_VARIANTS) + ".",
            )
    now = report_clock(as_of)
    policies = load_policies(policy, waivers)
    db = settings(ctx).db
    # a spinner on stderr while the report is built (shown only on a terminal)
    with err_console.status("building the report..."), Store.open(db, read_only=True) as store:
        context = build_context(
            store,
            policies,
            model=model,
            version=version,
            now=now,
            store_path=str(db),
            waiver_paths=[str(w) for w in waivers or []],
        )
    stem = report_stem(context.model, context.version, context.as_of)
    rendered = render_formats(context, chosen, stem=stem, now=now, pdf_variant=pdf_variant)
    # the PDF last: a failure before it takes the text files back
    written = output_module.write_all(
        {out / f"{stem}.{fmt}": content for fmt, content in rendered.items()}
    )
    for item in written:
        data = item.text.encode("utf-8") if isinstance(item.text, str) else item.text
        err_console.print(f"wrote {item.where()} (sha256 {hashlib.sha256(data).hexdigest()})")
    err_console.print(
        f"report {context.model} v{context.version} as of {context.as_of}: decision "
        f"{context.decision.upper()}"
    )
