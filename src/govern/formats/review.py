"""Render a fairness review (``govern review``, schema ``govern.review/v1``) as JSON or tables.

The JSON is the review's data serialised canonically (sorted keys, two-space indent). The
table shows a header with the decision, then per window a compact disparity table (each cell:
value, change against the previous window with an arrow, ``!`` for a regression and ``✗`` for
a policy bound not met) and the groups' metrics, then the trend of every disparity as a text
sparkline, the regressions, the LL144 table of the latest evaluated window and any warnings.
Records without a sensitive value are counted in the window's line and, per feature, in a
``(no value, left out)`` row of the groups (with ``missing: group`` they are the ``(missing)``
group). Both read the typed :class:`~govern.review.model.Review`; the JSON is its
:meth:`~govern.review.model.Review.to_json`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from rich.table import Table
from rich.text import Text

from govern.formats.render import to_json, to_text
from govern.metrics.fairness.disparities import DISPARITIES
from govern.review.model import DisparityValue, PerformanceValue, Review, ReviewWindow, iso

#: Short column headers of the disparities (the registry's labels).
SHORT: dict[str, str] = {name: d.label for name, d in DISPARITIES.items()}
GROUP_COLUMNS: tuple[tuple[str, str], ...] = (
    ("selection_rate", "sel"),
    ("mean_score", "score"),
    ("true_positive_rate", "TPR"),
    ("false_positive_rate", "FPR"),
    ("accuracy", "acc"),
    ("precision", "prec"),
)
BARS = "▁▂▃▄▅▆▇█"
#: How the header says what became of records without a sensitive value (``params.missing``).
MISSING_TEXT: dict[str, str] = {
    "exclude": "; records without a sensitive value are left out of that feature",
    "group": "; records without a sensitive value form the group (missing)",
    "fail": "; a feature with records without a value is not evaluated",
}


def render_json(review: Review) -> str:
    """The review as canonical JSON (schema ``govern.review/v1``)."""
    return to_json(review.to_json())


def sparkline(values: Sequence[float | None]) -> str:
    """A text sparkline: one bar per value between the series' min and max, ``·`` if missing."""
    present = [v for v in values if v is not None]
    if not present:
        return "·" * len(values)
    low, high = min(present), max(present)
    out = []
    for v in values:
        if v is None:
            out.append("·")
        elif high - low < 1e-12:
            out.append(BARS[3])
        else:
            out.append(BARS[round((v - low) / (high - low) * (len(BARS) - 1))])
    return "".join(out)


def _n(value: Any, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return f"{float(value):.{digits}f}"


def _arrow(delta: float) -> str:
    if abs(delta) < 0.0005:
        return "="
    return f"{'▲' if delta > 0 else '▼'}{abs(delta):.3f}"


def _cell(d: DisparityValue | None) -> Text:
    if d is None or d.status != "evaluated":
        return Text("—", style="dim")
    text = _n(d.value)
    if d.ci:
        lo, hi = d.ci
        text += f" [{_n(lo, 2)}, {_n(hi, 2)}]"
    if d.previous:
        text += " " + _arrow(d.previous.delta)
    style = ""
    if d.out_of_bounds:
        text += " ✗"
        style = "yellow"
    if d.regression:
        text += " !"
        style = "bold red"
    return Text(text, style=style)


def _header(review: Review) -> list[Any]:
    s = review.summary
    windows = review.windows
    version = f"version {review.version}" if review.version else "all versions"
    span = f"{windows[0].label} … {windows[-1].label}" if windows else "no window"
    period = {"month": "monthly", "quarter": "quarterly"}.get(review.period, review.period)
    params = review.params
    lines = [
        Text(
            f"Fairness review: {review.model} ({version}), {period}, {span} "
            f"({s.windows} window(s), {s.evaluated} evaluated)",
            style="bold",
        ),
        Text(
            f"sensitive: {', '.join(params.sensitive)}"
            + (" and their intersection" if params.intersect else "")
            + f"; min group size {params.min_group_size}; tolerance {params.tolerance:g}"
            + (f"; {params.confidence:.0%} bootstrap intervals" if params.confidence else "")
            + MISSING_TEXT.get(params.missing, "")
        ),
    ]
    ref = review.compared_to
    lines.append(
        Text(
            f"compared with stored review #{ref.id} of {ref.created_at:%Y-%m-%dT%H:%M:%SZ}"
            if ref
            else "no stored review of this model and period to compare with"
        )
    )
    bad = review.decision == "regression"
    performance = (
        f" ({s.performance_regressions} of performance)" if s.performance_regressions else ""
    )
    verdict = (
        f"REGRESSION: {s.regressions + s.performance_regressions} regression(s) flagged"
        f"{performance}"
        if bad
        else "no regression flagged"
    )
    lines.append(
        Text(
            f"{verdict}; {s.bound_violations} policy bound(s) not met",
            style="bold red" if bad else "bold green",
        )
    )
    return lines


def _window_parts(w: ReviewWindow, metrics: Sequence[str], missing: str) -> list[Any]:
    title = f"{w.label}  [{iso(w.start)}, {iso(w.end)})" + (" partial" if w.partial else "")
    if not w.evaluated:
        return [Text(f"{title}: not evaluated, {w.reason}", style="magenta")]
    counts = f"{w.rows:,} records, {w.labelled:,} labelled"
    if w.missing_prediction:
        counts += f"; {w.missing_prediction:,} without prediction left out"
    if w.missing_sensitive:
        counts += f"; {w.missing_sensitive:,} without a value of a sensitive feature"
    parts: list[Any] = [Text(f"{title}  {counts}", style="bold")]
    table = Table(expand=False)
    table.add_column("feature", overflow="fold")
    for m in metrics:
        table.add_column(SHORT.get(m, m), justify="right", min_width=len(SHORT.get(m, m)))
    for f in w.features:
        table.add_row(Text(f.feature), *(_cell(f.disparity(m)) for m in metrics))
    parts.append(table)
    notes = [f"{f.feature}: {f.reason}" for f in w.features if f.status != "evaluated"]
    groups = Table(expand=False)
    groups.add_column("feature")
    groups.add_column("group", overflow="fold")
    groups.add_column("n", justify="right")
    groups.add_column("labelled", justify="right", min_width=len("labelled"))
    for _, header in GROUP_COLUMNS:
        groups.add_column(header, justify="right", min_width=len(header))
    for f in w.features:
        small = {e.group for e in f.excluded}
        for g in f.groups:
            name = g.group + (" (small)" if g.group in small else "")
            groups.add_row(
                Text(f.feature),
                Text(name, style="dim" if g.group in small else ""),
                _n(g.n),
                _n(g.labelled),
                *(_n(g.metric(key)) for key, _ in GROUP_COLUMNS),
            )
        if f.missing and missing != "group":  # grouped ones are the (missing) row
            groups.add_row(
                Text(f.feature),
                Text(f"(no value{', left out' if missing == 'exclude' else ''})", style="dim"),
                _n(f.missing),
                _n(f.missing_labelled),
                *("" for _ in GROUP_COLUMNS),
            )
    parts.append(groups)
    parts.extend(Text(f"  not evaluated: {note}", style="magenta") for note in notes)
    parts.extend(_performance_line(p) for p in w.performance)
    return parts


def _performance_line(p: PerformanceValue) -> Text:
    """A performance rule in a window: its value, change and flags, or why it is not judged."""
    head = f"  performance {p.rule} ({p.metric}): "
    if p.status != "evaluated" or p.value is None:
        return Text(head + f"not evaluated, {p.reason}", style="magenta")
    text = head + _n(p.value, 4)
    if p.previous:
        text += " " + _arrow(p.previous.delta)
    if p.stored and p.stored.delta:  # the window was restated since the stored review
        text += f" ({p.stored.delta:+.4f} against review #{p.stored.review})"
    style = ""
    if p.out_of_bounds:
        text += " ✗"
        style = "yellow"
    if p.regression:
        text += " !"
        style = "bold red"
    return Text(text + f" over {p.labelled:,} labelled of {p.rows:,}", style=style)


def _trend(review: Review) -> list[Any]:
    table = Table(title="Trend", title_justify="left", expand=False)
    for name in ("feature", "metric", "windows", "first", "last", "change"):
        table.add_column(name, justify="right" if name in ("first", "last", "change") else "left")
    for t in review.trend:
        present = [v for v in t.values if v is not None]
        if not present:
            continue
        change = present[-1] - present[0]
        table.add_row(
            Text(t.feature),
            Text(SHORT.get(t.metric, t.metric)),
            Text(sparkline(t.values)),
            _n(present[0]),
            _n(present[-1]),
            Text(_arrow(change) if len(present) > 1 else "—"),
        )
    return [table] if table.row_count else []


def _regressions(review: Review) -> list[Any]:
    regs = review.regressions
    if not regs:
        return []
    table = Table(title=f"Regressions ({len(regs)})", title_justify="left", expand=False)
    for name in ("window", "feature", "metric", "against", "message"):
        table.add_column(name, overflow="fold")
    for r in regs:
        table.add_row(
            Text(r.window),
            Text(r.feature),
            Text(SHORT.get(r.metric, r.metric)),
            Text(r.compared_with),
            Text(r.message, style="red"),
        )
    return [table]


def _performance_regressions(review: Review) -> list[Any]:
    regs = review.performance_regressions
    if not regs:
        return []
    table = Table(
        title=f"Performance regressions ({len(regs)})", title_justify="left", expand=False
    )
    for name in ("window", "rule", "metric", "against", "message"):
        table.add_column(name, overflow="fold")
    for r in regs:
        table.add_row(
            Text(r.window),
            Text(r.rule),
            Text(r.metric),
            Text(r.compared_with),
            Text(r.message, style="red"),
        )
    return [table]


def _ll144(review: Review) -> list[Any]:
    latest = next((w for w in reversed(review.windows) if w.evaluated and w.ll144), None)
    if latest is None or latest.ll144 is None:
        return []
    ll = latest.ll144
    title = Text(
        f"LL144 {ll.rate_kind.replace('_', ' ')}s and impact ratios, {latest.label} "
        f"({ll.total:,} records; a category under {ll.min_share:.0%} of them gets no "
        "impact ratio)",
        style="bold",
    )
    table = Table(expand=False)
    for name in ("dimension", "category", "n", "selected", "rate", "impact ratio"):
        table.add_column(name, justify="left" if name in ("dimension", "category") else "right")
    for section in ll.sections:
        dim = " × ".join(section.dimension)
        for row in section.rows:
            ratio = "excluded" if row.excluded else _n(_finite(row.impact_ratio))
            table.add_row(
                Text(dim),
                Text("×".join(str(v) for v in row.category)),
                _n(row.n),
                _n(row.selected),
                _n(_finite(row.rate)),
                Text(ratio),
            )
        if section.unknown:
            table.add_row(Text(dim), Text("(unknown)"), _n(section.unknown), "", "", "")
    return [title, table]


def _finite(value: float | None) -> float | None:
    """None for a missing or NaN rate or ratio (a reference rate of 0)."""
    return None if value is None or math.isnan(value) else value


def render_table(review: Review, *, width: int = 160, color: bool = False) -> str:
    """The review as text: header, a table per window, trend, regressions, LL144, warnings."""
    metrics = [m.name for m in review.disparities]
    parts: list[Any] = _header(review)
    for w in review.windows:
        parts.append(Text(""))
        parts.extend(_window_parts(w, metrics, review.params.missing))
    parts.append(Text(""))
    parts.append(
        Text(
            "cells: value [interval], ▲/▼ change against the previous window, "
            "✗ policy bound not met, ! regression; groups: sel selection rate, score mean "
            "score, acc accuracy, prec precision, (small) excluded from disparities",
            style="dim",
        )
    )
    sections = (_trend(review), _regressions(review), _performance_regressions(review))
    for section in (*sections, _ll144(review)):
        if section:
            parts.append(Text(""))
            parts.extend(section)
    for warning in review.warnings:
        parts.append(Text(f"warning: {warning}", style="yellow"))
    text = to_text(*parts, width=width, color=color)
    return "".join(line.rstrip() + "\n" for line in text.splitlines())
