"""The periodic review report: a :class:`~govern.review.model.Review` as HTML, JSON and PDF.

:func:`build_review_report` turns the typed review that ``govern review`` computes into a
frozen :class:`ReviewReport`: a cover (model, window, period, policies), a summary in plain
words, the windows and their row counts, one table per sensitive feature of every disparity
per window (value, interval, change against the previous window, regression and bound marks),
the trend as line charts (:func:`govern.report.charts.trend_lines`), the groups' metrics per
window, the regressions against the previous window and against the last stored review, the
LL144 impact ratios per window, limitations, a sign-off block and an appendix (SHA-256 of the
prediction logs and policies, tool versions, the commands that reproduce the report). The report and
its rows are declared in :mod:`govern.report.review_types`.

Nothing is recomputed here or in the templates: every number is a field of the review; this
module only arranges them into rows and sentences. The only store look-up is the digests of
the model's ingested logs (``sources``). Same store, options and clock: the same bytes
(:func:`render_review_html`, :func:`render_review_json`; the PDF through
:func:`govern.report.pdf.render_pdf`).

The JSON (``govern.review-report/v1``) holds the review's own ``govern.review/v1`` JSON
(:meth:`Review.to_json`) under ``review`` and the report's additions (digests, commands,
tools) beside it.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from govern.report import charts
from govern.report.context import SIGNOFF_ROLES, PolicyRow, tool_versions
from govern.report.html import STYLESHEET, RenderError, template_environment, templates_dir
from govern.report.review_types import (
    REVIEW_REPORT_SCHEMA,
    Cell,
    DisparityRow,
    FeatureReport,
    GroupRow,
    InputRow,
    LL144Cell,
    LL144Trend,
    MetricHead,
    RegressionRow,
    ReviewReport,
    WindowRow,
)
from govern.review.model import (
    DisparityValue,
    PerformanceRegression,
    Regression,
    Review,
    ReviewWindow,
)

if TYPE_CHECKING:
    from govern.store.store import Store

__all__ = [
    "REVIEW_REPORT_SCHEMA",
    "ReviewReport",
    "build_review_report",
    "render_review_formats",
    "render_review_html",
    "render_review_json",
    "review_report_stem",
]

REVIEW_TEMPLATE = "review.html"

#: The group metrics of the groups table, with their column headers.
GROUP_METRICS: tuple[tuple[str, str], ...] = (
    ("selection_rate", "selection rate"),
    ("mean_score", "mean score"),
    ("true_positive_rate", "TPR"),
    ("false_positive_rate", "FPR"),
    ("accuracy", "accuracy"),
    ("precision", "precision"),
)


# -- building ------------------------------------------------------------------------------------


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def _cell(d: DisparityValue | None, metric: str) -> Cell:
    if d is None:
        return Cell(metric, False, None, None, None, None, False, False, "not computed")
    low, high = d.ci if d.ci is not None else (None, None)
    return Cell(
        metric=metric,
        evaluated=d.status == "evaluated",
        value=d.value,
        ci_low=low,
        ci_high=high,
        delta=d.previous.delta
        if d.previous is not None and d.previous.source == "review"
        else None,
        regression=d.regression,
        out_of_bounds=d.out_of_bounds,
        reason=d.reason,
    )


def _features(review: Review) -> tuple[FeatureReport, ...]:
    names: list[str] = []
    for w in review.windows:
        for seen in w.features:
            if seen.feature not in names:
                names.append(seen.feature)
    metrics = review.params.metrics
    labels = {d.name: d.label for d in review.disparities}
    out = []
    for name in names:
        rows: list[DisparityRow] = []
        groups: list[GroupRow] = []
        notes: list[str] = []
        for w in review.windows:
            f = next((x for x in w.features if x.feature == name), None)
            if f is None:
                rows.append(
                    DisparityRow(
                        w.label,
                        w.partial,
                        w.status,
                        w.reason or "no data",
                        tuple(_cell(None, m) for m in metrics),
                    )
                )
                continue
            rows.append(
                DisparityRow(
                    w.label,
                    w.partial,
                    f.status,
                    f.reason,
                    tuple(_cell(f.disparity(m), m) for m in metrics),
                )
            )
            for g in f.groups:
                groups.append(
                    GroupRow(
                        w.label,
                        g.group,
                        g.n,
                        g.labelled,
                        tuple(g.metric(m) for m, _ in GROUP_METRICS),
                    )
                )
            if f.excluded:
                notes.append(
                    f"{w.label}: too small and left out of the disparities: "
                    + ", ".join(
                        f"{e.group} (n={e.n:,}"
                        + (", label metrics only" if e.scope == "label_metrics" else "")
                        + ")"
                        for e in f.excluded
                    )
                    + "."
                )
            if f.absent:
                notes.append(f"{w.label}: no rows of {', '.join(f.absent)}.")
            skipped: dict[str, list[str]] = {}
            if f.status == "evaluated":
                for d in f.disparities:
                    if d.status != "evaluated":
                        skipped.setdefault(d.reason or "no reason given", []).append(
                            labels.get(d.metric, d.metric)
                        )
            for reason, which in skipped.items():
                notes.append(f"{w.label}: {', '.join(which)} not evaluated: {reason}.")
            if f.missing:
                notes.append(
                    f"{w.label}: {_plural(f.missing, 'record')} without a value of {name} "
                    f"({review.params.missing})."
                )
        out.append(
            FeatureReport(
                feature=name,
                columns=tuple(metrics),
                rows=tuple(rows),
                groups=tuple(groups),
                notes=tuple(notes),
            )
        )
    return tuple(out)


def _windows(review: Review) -> tuple[WindowRow, ...]:
    def day(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%d")

    return tuple(
        WindowRow(
            label=w.label,
            start=day(w.start),
            # windows are half-open: the last day reviewed is the one before the end
            end=day(w.end - timedelta(microseconds=1)),
            partial=w.partial,
            rows=w.rows,
            reviewed=w.reviewed,
            labelled=w.labelled,
            missing_prediction=w.missing_prediction,
            missing_sensitive=w.missing_sensitive,
            evaluated=w.evaluated,
            reason=w.reason,
        )
        for w in review.windows
    )


def _ll144(windows: Sequence[ReviewWindow]) -> tuple[LL144Trend, ...]:
    labels = tuple(w.label for w in windows)
    dims: list[tuple[str, ...]] = []
    for w in windows:
        for s in w.ll144.sections if w.ll144 is not None else ():
            if s.dimension not in dims:
                dims.append(s.dimension)
    out = []
    for dim in dims:
        cats: dict[str, list[LL144Cell]] = {}
        for i, w in enumerate(windows):
            section = next(
                (s for s in (w.ll144.sections if w.ll144 else ()) if s.dimension == dim), None
            )
            for r in section.rows if section is not None else ():
                name = "×".join(str(v) for v in r.category)
                cells = cats.setdefault(name, [LL144Cell(None, False)] * len(windows))
                ratio = r.impact_ratio
                cells[i] = LL144Cell(None if ratio is None or ratio != ratio else ratio, r.excluded)
        out.append(
            LL144Trend(
                " × ".join(dim),
                labels,
                tuple((name, tuple(cells)) for name, cells in sorted(cats.items())),
            )
        )
    return tuple(out)


def _summary(review: Review, scope: str, span: str) -> tuple[str, ...]:
    s = review.summary
    lines = [
        f"This report reviews the fairness of the production decisions of {scope} "
        f"{'per calendar month' if review.period == 'month' else 'per calendar quarter'}, "
        f"from {span}: {_plural(s.windows, 'window')}, {s.evaluated} evaluated"
        + (f", {s.not_evaluated} without data" if s.not_evaluated else "")
        + f", {review.span.records:,} records in the logs.",
    ]
    if review.regressions:
        labels = {d.name: d.label for d in review.disparities}
        worst = sorted(
            {
                f"{labels.get(r.metric, r.metric)} of {r.feature} in {r.window}"
                for r in review.regressions
            }
        )
        lines.append(
            f"Decision: REGRESSION. {_plural(len(review.regressions), 'regression')} "
            f"{'was' if len(review.regressions) == 1 else 'were'} flagged: a disparity moved "
            f"the wrong way by more than {review.params.tolerance:g}, or no longer meets a "
            f"policy bound it met before ({'; '.join(worst)}). Each is listed under "
            "Regressions with the value it is compared with."
        )
    performance = review.performance_regressions
    if performance:
        worst = sorted({f"{r.metric} ({r.rule}) in {r.window}" for r in performance})
        lines.append(
            ("" if review.regressions else "Decision: REGRESSION. ")
            + f"{_plural(len(performance), 'performance regression')} "
            f"{'was' if len(performance) == 1 else 'were'} flagged: a performance rule's metric "
            f"got worse by more than {review.params.tolerance:g}, or no longer meets a bound "
            f"it met before ({'; '.join(worst)}). Each is listed under Regressions."
        )
    if not review.regressions and not performance:
        lines.append(
            "Decision: no regression. No disparity moved the wrong way by more than "
            f"{review.params.tolerance:g} against the previous window or the last stored "
            "review, and none stopped meeting a policy bound."
        )
    if s.bound_violations:
        lines.append(
            f"{_plural(s.bound_violations, 'disparity value')} across the windows "
            f"{'does' if s.bound_violations == 1 else 'do'} not meet a bound of the policies' "
            "fairness rules (marked ✗ in the tables); a bound not met in every window is a "
            "standing finding rather than a regression."
        )
    if review.compared_to is not None:
        lines.append(
            f"Windows are also compared with the same windows of stored review "
            f"#{review.compared_to.id} "
            f"({review.compared_to.created_at.strftime('%Y-%m-%d')})."
        )
    else:
        lines.append("No earlier review of this model and period is stored to compare with.")
    empty = [w.label for w in review.windows if not w.evaluated]
    if empty:
        lines.append(
            f"No evaluation for {', '.join(empty)}: the section of each says why "
            "(no records with a prediction)."
        )
    lines.extend(review.warnings)
    return tuple(lines)


def _limitations(review: Review) -> tuple[str, ...]:
    p = review.params
    out = [
        "Every number is computed from the prediction logs as ingested: govern does not verify "
        "that the logs reflect every decision the model made. The appendix gives the SHA-256 of "
        "each log.",
        f"Groups with fewer than {p.min_group_size} records are listed and left out of the "
        "disparities; they are never judged. Disparities measure differences between groups, "
        "not their causes.",
        "Label metrics (TPR, FPR, accuracy, precision, equalized odds) rest on the records with "
        "ground truth; recent windows may have few of them.",
        "A regression compares point values"
        + (
            f" unless an interval is given ({p.confidence:g} bootstrap, {p.n_boot} resamples, "
            f"seed {p.seed}); then a move counts only when the earlier value lies outside it."
            if p.confidence
            else "; without --confidence no sampling interval is taken into account."
        ),
        "Control mappings and bounds come from the policies named on the cover; meeting them is "
        "not a statement of compliance.",
    ]
    if p.missing == "exclude":
        out.append(
            "Records without a value of a sensitive feature are left out of that feature and "
            "counted per window."
        )
    return tuple(out)


def _inputs(store: Store, model: str) -> tuple[InputRow, ...]:
    rows = store.query(
        "SELECT DISTINCT s.path, p.role, s.format, s.sha256, s.ingested_at "
        "FROM prediction_logs p JOIN sources s ON s.sha256 = p.source_sha "
        "WHERE p.model = ? ORDER BY p.role, s.path, s.sha256",
        [model],
    )
    gt = store.query(
        "SELECT DISTINCT s.path, 'ground truth' AS role, s.format, s.sha256, s.ingested_at "
        "FROM ground_truth g JOIN sources s ON s.sha256 = g.source_sha "
        "WHERE g.model = ? ORDER BY s.path, s.sha256",
        [model],
    )
    return tuple(
        InputRow(
            r["path"],
            r["role"],
            r["format"],
            r["sha256"],
            r["ingested_at"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        for r in [*rows, *gt]
    )


def _shell(text: str) -> str:
    safe = all(c.isalnum() or c in "._-/:=@+," for c in text)
    return text if safe and text else "'" + text.replace("'", "'\"'\"'") + "'"


def _commands(review: Review, as_of: str, store_path: str) -> tuple[str, ...]:
    p = review.params
    db = f"govern --db {_shell(store_path)}"
    policies = "".join(f" --policy {_shell(x.path)}" for x in p.policies)
    version = f" --version {_shell(p.version)}" if p.version else ""
    start = p.start.strftime("%Y-%m-%d") if p.start else None
    end = (p.end - timedelta(days=1)).strftime("%Y-%m-%d") if p.end else None
    window = (f" --from {start}" if start else "") + (f" --to {end}" if end else "")
    options = f" --period {p.period}{window}{version}{policies}"
    if p.confidence:
        options += f" --confidence {p.confidence:g}"
    if p.tolerance != 0.05:
        options += f" --tolerance {p.tolerance:g}"
    if p.min_group_size != 30:
        options += f" --min-group-size {p.min_group_size}"
    return (
        f"{db} report --model {_shell(p.model)}{options} --as-of {as_of} --format html,json,pdf",
        f"{db} review {_shell(p.model)}{options} --no-store --format json",
        "sha256sum <the prediction logs and policies listed above>   # compare with this appendix",
    )


def check_model(store: Store, model: str) -> None:
    """Refuse a model without current prediction logs, naming the closest known models."""
    import difflib

    from govern.errors import UsageError
    from govern.store import predictions

    logged = sorted({log.model for log in predictions.logs(store, role="current")})
    if model in logged:
        return
    registered = sorted({r["name"] for r in store.query("SELECT name FROM registered_models")})
    known = sorted({*logged, *registered})
    close = difflib.get_close_matches(model, known, n=3)
    where = "has no current prediction log" if model in registered else "is not in the store"
    raise UsageError(
        f"model {model!r} {where}, so it has no production decisions to review.",
        hint=(f"Did you mean {', '.join(close)}? " if close else "")
        + (f"Models with logs: {', '.join(logged)}." if logged else "No model has logs yet.")
        + " Load logs with `govern ingest LOG --model M --role current ...`.",
    )


def _regression_row(r: Regression | PerformanceRegression, what: str) -> RegressionRow:
    """A row of the Regressions table: a disparity's (``what``: its feature) or a rule's."""
    return RegressionRow(
        r.window,
        what,
        r.metric,
        "previous window" if r.basis == "previous_window" else "last stored review",
        r.compared_with,
        r.earlier,
        r.value,
        r.delta,
        r.message,
    )


def build_review_report(
    store: Store, review: Review, *, now: datetime, store_path: str
) -> ReviewReport:
    """Arrange a review into its report (reads the digests of the model's logs from the store)."""
    first = review.windows[0].label if review.windows else "—"
    last = review.windows[-1].label if review.windows else "—"
    as_of = now.strftime("%Y-%m-%d")
    scope = (
        f"{review.model} version {review.version}"
        if review.version
        else f"{review.model} (all versions)"
    )
    span = first if first == last else f"{first} to {last}"
    by_name = {d.name: d for d in review.disparities}
    metrics = tuple(
        MetricHead(m, by_name[m].label, by_name[m].kind, by_name[m].description)
        if m in by_name
        else MetricHead(m, m, "difference", m)
        for m in review.params.metrics
    )
    return ReviewReport(
        review=review,
        model=review.model,
        version=review.version,
        period=review.period,
        first=first,
        last=last,
        generated_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        as_of=as_of,
        decision=review.decision,
        summary=_summary(review, scope, span),
        metrics=metrics,
        windows=_windows(review),
        features=_features(review),
        regressions=tuple(_regression_row(r, r.feature) for r in review.regressions)
        + tuple(_regression_row(r, f"rule {r.rule}") for r in review.performance_regressions),
        stored=(
            f"review #{review.compared_to.id} of "
            f"{review.compared_to.created_at.strftime('%Y-%m-%d %H:%M')} UTC "
            f"(SHA-256 {review.compared_to.result_sha256})"
            if review.compared_to is not None
            else "none: no earlier review of this model and period is stored"
        ),
        ll144=_ll144(review.windows),
        policies=tuple(  # a review reads policies only, each for its bounds
            PolicyRow(p.id, p.version, "Policy", p.path, p.sha256, applied=True)
            for p in review.params.policies
        ),
        inputs=_inputs(store, review.model),
        limitations=_limitations(review),
        signoff_roles=SIGNOFF_ROLES,
        tools=tool_versions(),
        commands=_commands(review, as_of, store_path),
        store=store_path,
    )


def review_report_stem(report: ReviewReport) -> str:
    """``credit-risk-review-2026-06-2026-11`` (``credit-risk-v2-review-...`` for one version).

    Characters other than letters, digits, ``.``, ``_`` and ``-`` become ``-``.
    """

    def safe(text: str) -> str:
        cleaned = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "-" for c in text)
        return cleaned.strip(".-") or "model"

    version = f"-v{safe(report.version)}" if report.version else ""
    return f"{safe(report.model)}{version}-review-{safe(report.first)}-{safe(report.last)}"


# -- rendering -----------------------------------------------------------------------------------


def render_review_json(report: ReviewReport) -> str:
    """The report's JSON: sorted keys, indented, one trailing newline (same report, same bytes)."""
    text = json.dumps(
        report.to_json(), indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False
    )
    return text + "\n"


def review_json_sha256(report: ReviewReport) -> str:
    """SHA-256 of :func:`render_review_json`'s UTF-8 bytes (named in the HTML's appendix)."""
    return hashlib.sha256(render_review_json(report).encode("utf-8")).hexdigest()


@functools.cache
def page_environment() -> Any:
    """The Jinja2 environment of the review report and the LL144 summary (autoescape on)."""
    env = template_environment(REVIEW_TEMPLATE)
    env.filters["num"] = _num
    env.filters["signed"] = _signed
    env.filters["pct"] = _pct
    return env


def stylesheet() -> Any:
    """The one stylesheet, to inline in ``<style>`` (refused if it could close the element)."""
    from markupsafe import Markup

    css = (templates_dir() / STYLESHEET).read_text(encoding="utf-8")
    if "</" in css:
        raise RenderError(f"{STYLESHEET} must not contain '</' (it is inlined in <style>).")
    return Markup(css)


def _num(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "—"
    if value != 0 and abs(value) < 10 ** (-digits):
        return f"{value:.1e}"
    return f"{value:.{digits}f}"


def _signed(value: float | None, digits: int = 3) -> str:
    if value is None:
        return ""
    if round(value, digits) == 0:
        return "±0"
    return f"{'▲' if value > 0 else '▼'}{abs(value):.{digits}f}"


def _pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f} %"


def trend_charts(report: ReviewReport) -> dict[str, list[charts.LineChart]]:
    """Per feature, a chart of its differences and one of its ratios across the windows."""
    labels = tuple(w.label for w in report.windows)
    out: dict[str, list[charts.LineChart]] = {}
    for i, f in enumerate(report.features):
        made: list[charts.LineChart | None] = []
        for kind, axis in (
            ("difference", "difference (0 is parity)"),
            ("ratio", "ratio (1 is parity)"),
        ):
            heads = [(j, m) for j, m in enumerate(report.metrics) if m.kind == kind]
            if not heads:
                continue
            series = []
            bounds: dict[tuple[float, str, str], None] = {}
            for j, m in heads[: len(charts.LINE_STYLES)]:
                cells = [row.cells[j] for row in f.rows]
                series.append(
                    charts.TrendInput(
                        m.label,
                        tuple(c.value if c.evaluated else None for c in cells),
                        tuple(c.regression or c.out_of_bounds for c in cells),
                    )
                )
                for bound in _bounds(report.review, f.feature, m.name, m.label):
                    bounds[bound] = None
            made.append(
                charts.trend_lines(
                    f"chart-trend-{i}-{kind}",
                    title=f"{kind.capitalize()}s of {f.feature} per {report.period}",
                    subject=f"the {kind}s of {f.feature}",
                    axis=axis,
                    windows=labels,
                    series=series,
                    bounds=tuple(bounds),
                )
            )
        out[f.feature] = [c for c in made if c is not None]
    return out


def _bounds(review: Review, feature: str, metric: str, label: str) -> list[tuple[float, str, str]]:
    """The policy bounds on a feature's disparity, as the review recorded them."""
    out: list[tuple[float, str, str]] = []
    for w in review.windows:
        for f in w.features:
            d = f.disparity(metric) if f.feature == feature else None
            for b in d.bounds if d is not None else ():
                for value, word in ((b.low, "min"), (b.high, "max")):
                    if value is None:
                        continue
                    item = (value, f"{label} {word} {value:g}", b.rule)
                    if item not in out:
                        out.append(item)
    return out


def render_review_html(report: ReviewReport) -> str:
    """The review report as one self-contained HTML document (same report, same bytes)."""
    template = page_environment().get_template(REVIEW_TEMPLATE)
    return str(
        template.render(
            r=report,
            css=stylesheet(),
            charts=trend_charts(report),
            group_metrics=GROUP_METRICS,
            json_sha256=review_json_sha256(report),
        )
    )


def render_review_formats(
    report: ReviewReport, formats: Sequence[str], *, now: datetime
) -> dict[str, str | bytes]:
    """The report in each of ``formats`` (``html``, ``json``: text; ``pdf``: tagged PDF/UA)."""
    out: dict[str, str | bytes] = {}
    html: str | None = None
    for fmt in formats:
        if fmt == "html":
            html = render_review_html(report)
            out[fmt] = html
        elif fmt == "json":
            out[fmt] = render_review_json(report)
        elif fmt == "pdf":
            from govern.report.pdf import render_pdf

            out[fmt] = render_pdf(
                html if html is not None else render_review_html(report),
                base_url=templates_dir(),
                created=now,
            )
        else:
            raise ValueError(f"unknown report format {fmt!r}")
    return out
