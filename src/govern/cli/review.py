"""``govern review MODEL``: a periodic fairness review over calendar windows."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, assert_never

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
from govern.cli.keys import (
    CertOption,
    ChainOption,
    KeyOption,
    PassphraseOption,
    SignOption,
    report_signer,
)

HELP = (
    "A periodic fairness review of a model's production decisions: per calendar month or "
    "quarter, for each sensitive feature and their intersection, the group metrics "
    "(selection rate, mean score; TPR, FPR, accuracy and precision where ground truth is "
    "known), the disparities (demographic parity and equalized odds difference/ratio, equal "
    "opportunity difference, smallest impact ratio), an LL144 table when sex/race columns "
    "are known, and the trend against earlier windows and the last stored review. Records "
    "without a value of a sensitive feature are left out of that feature and counted "
    "(--missing).\n\n"
    "A regression is a disparity that moved the wrong way (a difference up, a ratio down) by "
    "more than --tolerance, or that no longer meets a bound of a `check: fairness` rule of "
    "--policy it met before. The result is stored (unless --no-store) so the next review "
    "compares against it.\n\n"
    "Exit code 0 when no regression is flagged, 1 when one is, 2 on bad input.\n\n"
    "Examples:\n\n"
    "  govern review credit-risk\n\n"
    "  govern review credit-risk --period quarter --from 2026-01 --to 2026-06\n\n"
    "  govern review credit-risk --version 2 --sensitive sex --sensitive age_band "
    "--policy policies/credit.yaml\n\n"
    "  govern review credit-risk --confidence 0.95 --format json -o review.json\n\n"
    "  govern review credit-risk --tolerance 0.1 --no-store\n\n"
    "  govern review credit-risk --from 2026-06 --to 2026-11 --report --report-out reports/\n\n"
    "  govern review credit-risk --from 2026-06 --to 2026-11 --report --sign"
)


class Period(StrEnum):
    """Calendar windows of a review."""

    month = "month"
    quarter = "quarter"


class Missing(StrEnum):
    """What becomes of records without a value of a sensitive feature."""

    exclude = "exclude"
    group = "group"
    fail = "fail"


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command(name="review", help=HELP)(review_command)


def _missing(choice: Missing | None) -> Literal["exclude", "group", "fail"] | None:
    if choice is None:
        return None
    if choice is Missing.exclude:
        return "exclude"
    if choice is Missing.group:
        return "group"
    if choice is Missing.fail:
        return "fail"
    assert_never(choice)


@handle_errors
def review_command(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="Model whose current prediction logs to review.")],
    version: Annotated[
        str | None, typer.Option("--version", help="Only rows of this model version.")
    ] = None,
    period: Annotated[
        Period, typer.Option("--period", help="Calendar windows: month or quarter.")
    ] = Period.month,
    start: Annotated[
        str | None,
        typer.Option(
            "--from", help="First day reviewed (YYYY-MM-DD or YYYY-MM); default: the first record."
        ),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="Last day reviewed, inclusive (YYYY-MM-DD, or YYYY-MM for the whole month); "
            "default: the last record.",
        ),
    ] = None,
    sensitive: Annotated[
        list[str] | None,
        typer.Option(
            "--sensitive", "-s", help="Sensitive column (repeat; default: those mapped at ingest)."
        ),
    ] = None,
    no_intersect: Annotated[
        bool,
        typer.Option("--no-intersect", help="Do not review the intersection of the features."),
    ] = False,
    policy: Annotated[
        list[Path] | None,
        typer.Option(
            "--policy",
            "-p",
            help="Policy file or folder (repeatable): bounds and pos_label of its "
            "`check: fairness` rules for this model.",
        ),
    ] = None,
    min_group_size: Annotated[
        int,
        typer.Option("--min-group-size", help="Smaller groups are excluded from disparities."),
    ] = 30,
    confidence: Annotated[
        float | None,
        typer.Option(
            "--confidence",
            help="Seeded bootstrap intervals at this level (e.g. 0.95); a move then counts "
            "only when the earlier value lies outside the interval.",
        ),
    ] = None,
    tolerance: Annotated[
        float,
        typer.Option("--tolerance", help="Absolute move of a disparity that is a regression."),
    ] = 0.05,
    ll144_sex: Annotated[
        str | None,
        typer.Option(
            "--ll144-sex",
            help="Sex column of the LL144 table (default: a sensitive column named sex or gender).",
        ),
    ] = None,
    ll144_race: Annotated[
        str | None,
        typer.Option(
            "--ll144-race",
            help="Race/ethnicity column of the LL144 table (default: a "
            "sensitive column named race or ethnicity).",
        ),
    ] = None,
    missing: Annotated[
        Missing | None,
        typer.Option(
            "--missing",
            help="Records without a value of a sensitive feature (NULL, NaN, empty): exclude "
            "leaves them out of that feature and counts them, group makes them a group "
            "'(missing)', fail leaves the feature not evaluated. Default: the policy's fairness "
            "rules' `missing`, else exclude.",
        ),
    ] = None,
    output_format: FormatOption = OutputFormat.table,
    output: OutputOption = None,
    no_store: Annotated[
        bool,
        typer.Option("--no-store", help="Do not keep the result in the store for the next review."),
    ] = False,
    report: Annotated[
        bool,
        typer.Option(
            "--report",
            help="Also write the review report (HTML, JSON, tagged PDF) to --report-out, named "
            "MODEL-review-FROM-TO; dated SOURCE_DATE_EPOCH, else now.",
        ),
    ] = False,
    report_out: Annotated[
        Path, typer.Option("--report-out", help="Folder of the review report (with --report).")
    ] = Path("reports"),
    sign: SignOption = False,
    key: KeyOption = None,
    cert: CertOption = None,
    chain: ChainOption = None,
    passphrase_env: PassphraseOption = None,
) -> None:
    """Review a model's fairness over calendar windows."""
    from govern.formats import review as fmt
    from govern.policy.loader import load
    from govern.review import ReviewOptions, review, store_review
    from govern.store.store import Store
    from govern.windows import parse_bound

    if sign and not report:
        from govern.errors import UsageError

        raise UsageError("--sign signs the review report: add --report.")
    # the key is loaded first, so a bad key refuses the review before anything is written
    signer = report_signer(sign, key, cert, chain, passphrase_env)
    options = ReviewOptions(
        model=model,
        version=version,
        period="quarter" if period is Period.quarter else "month",
        start=parse_bound(start, end=False) if start else None,
        end=parse_bound(end, end=True) if end else None,
        sensitive=tuple(sensitive) if sensitive else None,
        intersect=False if no_intersect else None,
        policies=load(policy) if policy else None,
        min_group_size=min_group_size,
        confidence=confidence,
        tolerance=tolerance,
        ll144_sex=ll144_sex,
        ll144_race=ll144_race,
        missing=_missing(missing),
    )
    now = _report_clock() if report else datetime.now(UTC)
    db = settings(ctx).db
    # a missing store is an error (read-only open says so), never a new empty file
    with Store.open(db, read_only=not db.exists()) as store:
        result = review(store, options, now=now)
        built = _review_report(store, result, now=now, db=db) if report else None
        stored = None if no_store else store_review(store, result, now=now)
    if output_format is OutputFormat.json:
        text = fmt.render_json(result)
    else:
        text = fmt.render_table(result, width=stdout_width())
    write_output(text, output)
    regressions = len(result.regressions) + len(result.performance_regressions)
    for warning in result.warnings:
        err_console.print(f"warning: {warning}", style="yellow")
    if stored is not None:
        err_console.print(f"stored as review #{stored.id} ({stored.result_sha256[:12]})")
    if built is not None:
        from govern.cli.report import write_review_files

        write_review_files(
            built, ("html", "json", "pdf"), out=report_out, now=now, db=db, signer=signer
        )
    err_console.print(
        f"govern review {model}: {regressions} regression(s)"
        + (
            f" ({len(result.performance_regressions)} of performance)"
            if result.performance_regressions
            else ""
        )
        if regressions
        else f"govern review {model}: no regression",
        style="bold red" if regressions else "bold green",
    )
    raise typer.Exit(EXIT_POLICY if regressions else EXIT_OK)


def _report_clock() -> datetime:
    """The clock of a review with ``--report``: ``SOURCE_DATE_EPOCH``, else now."""
    from govern.report.clock import source_date

    return source_date() or datetime.now(UTC)


def _review_report(store: Any, result: Any, *, now: datetime, db: Path) -> Any:
    """The review report of ``result`` (``--report``), built while the store is open."""
    from govern.report.review_report import build_review_report

    return build_review_report(store, result, now=now, store_path=str(db))
