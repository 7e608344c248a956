"""``govern report``: the audit report of one model version, as HTML, JSON and PDF files."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from govern.cli import output as output_module
from govern.cli.attest import write_report_attestation
from govern.cli.check import (
    ArtifactRootOption,
    PolicyOption,
    TrustModelOption,
    WaiverOption,
    as_of_time,
    explain_options,
    load_policies,
)
from govern.cli.common import err_console, handle_errors, settings
from govern.cli.keys import (
    CertOption,
    ChainOption,
    KeyOption,
    PassphraseOption,
    SignOption,
    report_signer,
)
from govern.errors import UsageError

if TYPE_CHECKING:
    from govern.report.context import ReportContext
    from govern.signing.keys import Signer
    from govern.store import ledger
    from govern.store.store import Store

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
    "  govern report -m credit-risk --version 2 --format json --out audit/\n\n"
    "With --from/--to instead of --version: the periodic fairness review report of the "
    "model over calendar windows (--period month or quarter), named "
    "MODEL-review-FROM-TO.EXT: per-window metrics, trend charts, regressions against the "
    "previous window and the last stored review (the review is not stored).\n\n"
    "  govern report -m credit-risk --from 2026-06 --to 2026-11 --policy policies/\n\n"
    "With --portfolio: every model version in scope of the policies (or of --model) with its "
    "decision (failed, stale evidence, not evaluated, waived, passed), counts per decision, "
    "coverage by control across the versions, named portfolio-DATE.EXT; each row links to the "
    "version's model report, written beside it in HTML unless --no-model-reports.\n\n"
    "  govern report --portfolio --policy policies/ --format html,json,pdf\n\n"
    "--sign works for every kind: the PDF is certified and STEM.sigstore.json attests "
    "every file written (see govern verify).\n\n"
    "  govern report --portfolio --policy policies/ --sign"
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
    model: Annotated[
        str | None,
        typer.Option(
            "--model", "-m", help="Registered model name (with --portfolio: only this model)."
        ),
    ] = None,
    version: Annotated[
        str | None,
        typer.Option(
            "--version", help="Model version to report on (a review report: only its rows)."
        ),
    ] = None,
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
    start: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="A periodic review report from this month or day (YYYY-MM or YYYY-MM-DD).",
        ),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option("--to", help="A periodic review report up to this month or day, inclusive."),
    ] = None,
    period: Annotated[
        str, typer.Option("--period", help="Windows of a review report: month or quarter.")
    ] = "month",
    portfolio: Annotated[
        bool,
        typer.Option(
            "--portfolio",
            help="The portfolio report: every model version in scope of the policies with its "
            "decision (all models, or --model's), named portfolio-DATE.EXT.",
        ),
    ] = False,
    stale_after: Annotated[
        str,
        typer.Option(
            "--stale-after",
            help="--portfolio: production evidence older than this is stale (12h, 30d, 2w).",
        ),
    ] = "90d",
    model_reports: Annotated[
        bool,
        typer.Option(
            "--model-reports/--no-model-reports",
            help="--portfolio with html: also write each version's model report (HTML), the "
            "files the portfolio links to (default: on).",
        ),
    ] = True,
    sign: SignOption = False,
    key: KeyOption = None,
    cert: CertOption = None,
    chain: ChainOption = None,
    passphrase_env: PassphraseOption = None,
    trust_model: TrustModelOption = False,
    artifact_root: ArtifactRootOption = None,
) -> None:
    """Write the audit report of one model version, or the review report of a model."""
    explain_options(trust_model, artifact_root)
    # --sign: the key is loaded first, so a bad key refuses the report before anything is written
    signer = report_signer(
        sign,
        key,
        cert,
        chain,
        passphrase_env,
    )
    if portfolio:
        if version is not None or start is not None or end is not None:
            raise UsageError(
                "--portfolio reports every version in scope: it takes no --version, --from "
                "or --to.",
                hint="Narrow it to one model with --model, or drop --portfolio.",
            )
        write_portfolio_report(
            ctx,
            model=model,
            policy=policy,
            waivers=waivers,
            formats=formats,
            out=out,
            as_of=as_of,
            pdf_variant=pdf_variant,
            stale_after=stale_after,
            model_reports=model_reports,
            signer=signer,
        )
        return
    if model is None:
        raise UsageError(
            "govern report needs --model (with --version, or --from/--to), or --portfolio.",
            hint="e.g. govern report --model credit-risk --version 2, or "
            "govern report --portfolio.",
        )
    if start is not None or end is not None:
        write_review_report(
            ctx,
            model=model,
            version=version,
            start=start,
            end=end,
            period=period,
            policy=policy,
            formats=formats,
            out=out,
            as_of=as_of,
            signer=signer,
        )
        return
    if version is None:
        raise UsageError(
            "govern report needs --version (a model version's report) or --from/--to "
            "(a periodic review report).",
            hint=f"e.g. govern report --model {model} --version 2, or "
            f"govern report --model {model} --from 2026-06 --to 2026-11.",
        )
    from govern.report.context import build_context, report_stem
    from govern.report.render import render_formats
    from govern.store import ledger
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
        ledger.check_tail(store)  # a broken ledger refuses the report before anything is written
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
    if signer is not None and "pdf" in rendered:
        rendered["pdf"] = sign_rendered_pdf(rendered["pdf"], signer, source=out / f"{stem}.pdf")
    files = with_ll144_summary(
        context,
        {out / f"{stem}.{fmt}": content for fmt, content in rendered.items()},
        chosen,
        out=out,
        now=now,
    )
    if signer is not None:  # the LL144 summary's PDF too (the report's is signed above)
        for path, content in list(files.items()):
            if path.suffix == ".pdf" and path.name != f"{stem}.pdf":
                files[path] = sign_rendered_pdf(content, signer, source=path)
    written, entry = write_and_record(db, context, files)
    for item in written:
        data = item.text.encode("utf-8") if isinstance(item.text, str) else item.text
        err_console.print(f"wrote {item.where()} (sha256 {hashlib.sha256(data).hexdigest()})")
    err_console.print(
        f"report {context.model} v{context.version} as of {context.as_of}: decision "
        f"{context.decision.upper()}; ledger entry {entry.seq} {entry.hash[:12]}"
    )
    if signer is not None:
        # the last step: it hashes the files as they are on disk (a signed PDF included)
        write_report_attestation(
            signer,
            context,
            [item.target for item in written if item.target is not None],
            entry,
            target=out / f"{stem}.sigstore.json",
        )


def write_and_record(
    db: Path, context: ReportContext, files: dict[Path, str | bytes]
) -> tuple[list[output_module.Staged], ledger.Entry]:
    """Write a model version's report files, then append their ``report`` ledger entry."""
    from govern.report.record import record_report

    return write_recorded(
        db, files, lambda store, outputs, now: record_report(store, context, outputs, now=now)
    )


#: Appends the ``report`` entry of a set: (store, file name -> content, now) -> the entry.
Recorder = Callable[["Store", dict[str, str | bytes], datetime], "ledger.Entry"]


def write_recorded(
    db: Path, files: dict[Path, str | bytes], recorder: Recorder
) -> tuple[list[output_module.Staged], ledger.Entry]:
    """Write report files, then append their ``report`` ledger entry; both or neither.

    The store is opened for writing only for the entry, after the files are written: if it
    cannot be (a broken ledger, a locked or read-only store), the files are taken back (the
    ones they replaced are put back). The PDF comes last in ``files``: a failure before it
    takes the text files back.
    """
    from govern.store.store import Store

    entries: list[ledger.Entry] = []

    def record(staged: list[output_module.Staged]) -> None:
        with Store.open(db, create=False) as store:
            entries.append(recorder(store, output_module.by_name(staged), datetime.now(UTC)))

    written = output_module.write_all(files, then=record)
    return written, entries[0]


def with_ll144_summary(
    context: ReportContext,
    files: dict[Path, str | bytes],
    formats: tuple[str, ...],
    *,
    out: Path,
    now: datetime,
) -> dict[Path, str | bytes]:
    """The report's files and, when a rule has ``ll144:``, the one-page LL144 summary's.

    Named ``MODEL-vVERSION-ll144-DATE.EXT`` in the same formats; PDFs stay last.
    """
    from govern.report.ll144 import build_ll144_summary, ll144_stem, render_ll144_formats

    summary = build_ll144_summary(context)
    if summary is None:
        return files
    stem = ll144_stem(summary)
    extra = {
        out / f"{stem}.{fmt}": content
        for fmt, content in render_ll144_formats(summary, formats, now=now).items()
    }
    both = {**files, **extra}
    return dict(sorted(both.items(), key=lambda item: item[0].suffix == ".pdf"))


def write_review_report(
    ctx: typer.Context,
    *,
    model: str,
    version: str | None,
    start: str | None,
    end: str | None,
    period: str,
    policy: list[Path] | None,
    formats: str,
    out: Path,
    as_of: str | None,
    signer: Signer | None = None,
) -> None:
    """``govern report --model M --from --to``: review the model and write the review report.

    With ``signer`` (``--sign``), the PDF is certified and the set attested.
    """
    from govern.policy.loader import load
    from govern.report.review_report import (
        build_review_report,
        check_model,
    )
    from govern.review import ReviewOptions, review
    from govern.store import ledger
    from govern.store.store import Store
    from govern.windows import PERIODS, parse_bound

    chosen = parse_formats(formats)
    if period not in PERIODS:
        raise UsageError(
            f"--period {period!r} is not a review period.", hint="Choose month or quarter."
        )
    now = report_clock(as_of)
    options = ReviewOptions(
        model=model,
        version=version,
        period="quarter" if period == "quarter" else "month",
        start=parse_bound(start, end=False) if start else None,
        end=parse_bound(end, end=True) if end else None,
        policies=load(policy) if policy else None,
    )
    db = settings(ctx).db
    with (
        err_console.status("building the review report..."),
        Store.open(db, read_only=True) as store,
    ):
        check_model(store, model)
        ledger.check_tail(store)  # a broken ledger refuses the report before anything is written
        result = review(store, options, now=now)
        report = build_review_report(store, result, now=now, store_path=str(db))
    write_review_files(report, chosen, out=out, now=now, db=db, signer=signer)


def write_review_files(
    report: Any,
    formats: tuple[str, ...],
    *,
    out: Path,
    now: datetime,
    db: Path | None = None,
    signer: Signer | None = None,
) -> None:
    """Render a review report in ``formats`` and write the files atomically to ``out``.

    With ``db`` (``govern report --from/--to``, ``govern review --report``), the set's
    ``report`` ledger entry is appended after the files are written (:func:`write_recorded`).
    With ``signer`` (``--sign``; needs ``db``), the PDF is certified before it is written and
    ``STEM.sigstore.json`` attests the set, the ledger entry as its head.
    """
    from govern.report.record import record_review_report
    from govern.report.review_report import render_review_formats, review_report_stem

    stem = review_report_stem(report)
    rendered = render_review_formats(report, formats, now=now)
    if signer is not None and "pdf" in rendered:
        rendered["pdf"] = sign_rendered_pdf(rendered["pdf"], signer, source=out / f"{stem}.pdf")
    files: dict[Path, str | bytes] = {
        out / f"{stem}.{fmt}": content for fmt, content in rendered.items()
    }
    entry: ledger.Entry | None = None
    if db is None:
        written = output_module.write_all(files)
    else:
        written, entry = write_recorded(
            db,
            files,
            lambda store, outputs, at: record_review_report(store, report, outputs, now=at),
        )
    for item in written:
        data = item.text.encode("utf-8") if isinstance(item.text, str) else item.text
        err_console.print(f"wrote {item.where()} (sha256 {hashlib.sha256(data).hexdigest()})")
    err_console.print(
        f"review report {report.model} {report.span} as of {report.as_of}: decision "
        f"{'REGRESSION' if report.decision == 'regression' else 'no regression'}"
    )
    if signer is not None:
        write_report_attestation(
            signer,
            report,
            [item.target for item in written if item.target is not None],
            entry,
            target=out / f"{stem}.sigstore.json",
            details=report.attestation_details(),
        )


class _LateProgress:
    """A progress bar on stderr that appears when a step comes after the first second.

    Shown on a terminal only; one step per model version, in each phase (evaluating the
    portfolio, then building the model reports).
    """

    def __init__(self) -> None:
        import time

        self.started = time.monotonic()
        self.bar: Any = None
        self.task: Any = None

    def step(self, label: str, done: int, total: int) -> None:
        """Step ``done`` of ``total`` finished; show the bar once a second has passed."""
        import sys
        import time

        if self.bar is None:
            if not sys.stderr.isatty() or time.monotonic() - self.started < 1.0:
                return
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=err_console,
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task(label, total=total)
        self.bar.update(self.task, completed=done, total=total, description=label)

    def close(self) -> None:
        """Take the bar off the terminal."""
        if self.bar is not None:
            self.bar.stop()


def write_portfolio_report(
    ctx: typer.Context,
    *,
    model: str | None,
    policy: list[Path] | None,
    waivers: list[Path] | None,
    formats: str,
    out: Path,
    as_of: str | None,
    pdf_variant: str,
    stale_after: str,
    model_reports: bool,
    signer: Signer | None = None,
) -> None:
    """``govern report --portfolio``: the portfolio (and the model reports it links to).

    With ``html`` among the formats and ``--model-reports`` (the default), each version's model
    report is written in HTML beside the portfolio, so every link of the portfolio opens. All
    files are written atomically together: every one or none. With ``signer`` (``--sign``),
    the PDF is certified before it is written and ``STEM.sigstore.json`` attests every file,
    the model reports included.
    """
    from govern.report.portfolio import portfolio_files, portfolio_stem
    from govern.report.record import record_portfolio
    from govern.store import ledger
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
    progress = _LateProgress()
    try:
        with Store.open(db, read_only=True) as store:
            ledger.check_tail(store)  # a broken ledger refuses the report before it is built
            context, files = portfolio_files(
                store,
                policies,
                now=now,
                store_path=str(db),
                formats=chosen,
                model=model,
                stale_after=stale_after,
                waiver_paths=[str(w) for w in waivers or []],
                with_model_reports=model_reports,
                pdf_variant=pdf_variant,
                progress=progress.step,
            )
    finally:
        progress.close()
    stem = portfolio_stem(context.as_of)
    if signer is not None and f"{stem}.pdf" in files:
        files[f"{stem}.pdf"] = sign_rendered_pdf(
            files[f"{stem}.pdf"], signer, source=out / f"{stem}.pdf"
        )
    written, entry = write_recorded(
        db,
        {out / name: content for name, content in files.items()},
        lambda store, outputs, at: record_portfolio(store, context, outputs, now=at),
    )
    for item in written:
        if item.target is not None and item.target.name.startswith(stem):
            data = item.text.encode("utf-8") if isinstance(item.text, str) else item.text
            err_console.print(f"wrote {item.where()} (sha256 {hashlib.sha256(data).hexdigest()})")
    reports = len(written) - len(chosen)
    if reports:
        err_console.print(f"wrote {reports} model report(s) (HTML) beside it in {out}")
    counts = ", ".join(f"{n} {d}" for d, n in context.decisions if n)
    err_console.print(
        f"portfolio as of {context.as_of}: {len(context.versions)} version(s) in scope"
        + (f" ({counts})" if counts else "")
        + (f"; {len(context.out_of_scope)} in scope of no policy" if context.out_of_scope else "")
    )
    if signer is not None:
        write_report_attestation(
            signer,
            context,
            [item.target for item in written if item.target is not None],
            entry,
            target=out / f"{stem}.sigstore.json",
            details=context.attestation_details(),
        )


def sign_rendered_pdf(pdf: str | bytes, signer: Signer, *, source: Path) -> bytes:
    """The report's PDF, certified before it is written.

    The ledger entry and the attestation then record the signed file's digest.
    """
    from govern.cli.sign import sign_report_pdf

    assert isinstance(pdf, bytes)
    return sign_report_pdf(pdf, signer, source=source)
