"""Explainability charts: importance shares, attribution drift and the by-group comparison.

The same deterministic SVG geometry as :mod:`govern.report.charts` (whose frame, scale and
bars these charts reuse); grouped bars (one bar per series within each feature) are drawn by
``templates/_grouped_chart.html``, which shares its opening, axis and data table with
``_chart.html`` (``templates/_chart_parts.html``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from govern.report.charts import (
    BOTTOM,
    PLOT_X0,
    ROW_H,
    TOP,
    WIDTH,
    Bar,
    BarChart,
    HorizontalFrame,
    Line,
    Row,
    Scale,
    Tick,
    bars_height,
    fmt,
    nice_top,
    px,
)
from govern.report.sections import ExplanationBlock, GroupComparison

# -- explainability: importance shares, attribution drift, the by-group comparison ------------

#: Features drawn before the rest are summed into one "other" bar.
TOP_FEATURES = 12
#: Features drawn in a by-group comparison (the rest summed as "other").
GROUP_FEATURES = 8

GBAR_H = 10
GBAR_GAP = 2
GCAT_GAP = 9
GTOP = 40

#: Per series of a grouped chart, in order: its fill and the fill's name, so series differ
#: without colour (``hatch`` is the chart's hatch pattern).
SERIES_FILLS: tuple[tuple[str, str], ...] = (
    ("#222", "solid dark"),
    ("#fff", "white"),
    ("#aaa", "grey"),
    ("hatch", "hatched"),
)


@dataclass(frozen=True)
class GroupedBar:
    """One bar of a category: its series (an index of :data:`SERIES_FILLS`), geometry, value."""

    series: int
    y: float
    width: float
    value: str
    fill: str


@dataclass(frozen=True)
class Category:
    """A category of a grouped chart (a feature): its label and one bar per series."""

    label: str
    label_y: float
    bars: tuple[GroupedBar, ...]


@dataclass(frozen=True)
class LegendEntry:
    """A legend swatch with the series name (its top left corner at ``x``, ``y``)."""

    x: float
    y: float
    label: str
    fill: str


@dataclass(frozen=True)
class GroupedBarChart(HorizontalFrame):
    """Horizontal bars grouped by category, one per series, with legend and data table."""

    categories: tuple[Category, ...]
    legend: tuple[LegendEntry, ...]
    #: top of the plot area (below the legend and the bound labels)
    plot_y0: float

    @property
    def bar_h(self) -> int:
        """Height of a bar."""
        return GBAR_H


def share_text(value: float | None) -> str:
    """A share as a percentage with one decimal (``34.2 %``), ``—`` for none."""
    return "—" if value is None else f"{value * 100:.1f} %"


#: Legend geometry: swatch and gap widths, an estimate of a character's width, row height.
LEGEND_SWATCH = 19
LEGEND_GAP = 18
LEGEND_CHAR = 6.2
LEGEND_ROW = 16


def _legend(series: Sequence[str]) -> tuple[tuple[LegendEntry, ...], int]:
    """Legend entries left to right from the plot's left edge, wrapped to new rows as needed."""
    entries: list[LegendEntry] = []
    x, row = float(PLOT_X0), 0
    for k, name in enumerate(series):
        width = LEGEND_SWATCH + LEGEND_CHAR * len(name) + LEGEND_GAP
        if x > PLOT_X0 and x + width > WIDTH - 8:
            x, row = float(PLOT_X0), row + 1
        entries.append(LegendEntry(px(x), 4 + row * LEGEND_ROW, name, SERIES_FILLS[k][0]))
        x += width
    return tuple(entries), row + 1


def _share_ticks(scale: Scale, count: int = 5) -> tuple[Tick, ...]:
    step = scale.top / count
    return tuple(Tick(scale.x(i * step), f"{i * step * 100:.0f} %") for i in range(count + 1))


def grouped_bars(
    chart_id: str,
    *,
    title: str,
    desc: str,
    axis: str,
    series: Sequence[str],
    categories: Sequence[tuple[str, Sequence[float | None]]],
    bounds: Sequence[tuple[float, str]] = (),
    first_column: str = "feature",
) -> GroupedBarChart | None:
    """Shares per category and series (at most four series), with dashed bound lines.

    ``categories`` are ``(label, one share per series)``; ``bounds`` are ``(value, label)``.
    None when there is no category, no value or more series than :data:`SERIES_FILLS`.
    """
    if not categories or not series or len(series) > len(SERIES_FILLS):
        return None
    known = [v for _, values in categories for v in values if v is not None]
    if not known:
        return None
    scale = Scale(nice_top(max([*known, *(b for b, _ in bounds)]) * 1.05))
    legend, legend_rows = _legend(series)
    top = GTOP + (legend_rows - 1) * LEGEND_ROW
    block = len(series) * (GBAR_H + GBAR_GAP) - GBAR_GAP
    drawn: list[Category] = []
    for i, (label, values) in enumerate(categories):
        y0 = top + i * (block + GCAT_GAP)
        bars = tuple(
            GroupedBar(
                k,
                px(y0 + k * (GBAR_H + GBAR_GAP)),
                scale.w(v or 0.0),
                share_text(v),
                SERIES_FILLS[k][0],
            )
            for k, v in enumerate(values)
        )
        drawn.append(Category(label, px(y0 + block / 2 + 4), bars))
    height = top + len(categories) * (block + GCAT_GAP) + BOTTOM
    fills = ", ".join(f"{name}: {SERIES_FILLS[k][1]}" for k, name in enumerate(series))
    bound_text = "".join(f" The dashed line marks {label}." for _, label in bounds)
    return GroupedBarChart(
        id=chart_id,
        title=title,
        desc=f"{desc} Bars per {first_column}, one per series ({fills}); every value is "
        f"printed beside its bar.{bound_text}",
        axis=axis,
        width=WIDTH,
        height=height,
        categories=tuple(drawn),
        legend=legend,
        lines=tuple(Line(scale.x(value), label) for value, label in bounds),
        ticks=_share_ticks(scale),
        columns=(first_column, *series),
        rows=tuple(Row((label, *(share_text(v) for v in values))) for label, values in categories),
        plot_y0=top - 8,
    )


def _top_with_other(
    labels: Sequence[str], values: Sequence[Sequence[float | None]], top: int
) -> list[tuple[str, Sequence[float | None]]]:
    """The first ``top`` categories, the rest summed per series as ``other (n features)``.

    One leftover category is drawn as itself: an ``other`` bar of a single feature says less.
    """
    rows = list(zip(labels, values, strict=True))
    if len(rows) <= top + 1:
        return rows
    rest = rows[top:]
    summed = tuple(
        sum(v[k] or 0.0 for _, v in rest) if any(v[k] is not None for _, v in rest) else None
        for k in range(len(values[0]))
    )
    return [*rows[:top], (f"other ({len(rest)} features)", summed)]


def importance_shares(block: ExplanationBlock, chart_id: str) -> BarChart | GroupedBarChart | None:
    """Each feature's share of the importance (top features, the rest as "other").

    Current against reference bars when the evidence carries the reference shares; the rule's
    ``max_share`` is a dashed line and a feature above it is drawn solid.
    """
    features = [f for f in block.features if f.share is not None]
    if not features:
        return None
    bounds = (
        ((block.max_share, f"max_share {block.max_share:g}"),)
        if block.max_share is not None
        else ()
    )
    title = f"Share of the importance per feature ({block.rule})"
    where = (
        f"in the newest SageMaker Clarify analysis ({block.explainer})"
        if block.source == "clarify"
        else f"on the current sample ({block.explainer}, seed {block.seed})"
    )
    intro = (
        f"Horizontal bars: each feature's share of the total mean |SHAP value| {where}, "
        "largest first"
    )
    if len(features) > TOP_FEATURES + 1:
        intro += f"; the {len(features) - TOP_FEATURES} smallest are summed as other"
    if any(f.reference_share is not None for f in features):
        categories = _top_with_other(
            [f.feature for f in features],
            [(f.share, f.reference_share) for f in features],
            TOP_FEATURES,
        )
        return grouped_bars(
            chart_id,
            title=title,
            desc=intro
            + (
                ", against the oldest analysis."
                if block.source == "clarify"
                else ", against the reference sample."
            ),
            axis="share of the mean |SHAP value|",
            series=("current", "reference"),
            categories=categories,
            bounds=bounds,
        )
    rows = _top_with_other(
        [f.feature for f in features], [(f.share,) for f in features], TOP_FEATURES
    )
    scale = Scale(nice_top(max([v[0] or 0.0 for _, v in rows] + [b for b, _ in bounds]) * 1.05))
    bound = block.max_share
    bars = tuple(
        Bar(
            label=label,
            y=TOP + i * ROW_H,
            width=scale.w(values[0] or 0.0),
            value=share_text(values[0]),
            fail=bound is not None
            and (values[0] or 0.0) > bound
            and not label.startswith("other ("),
        )
        for i, (label, values) in enumerate(rows)
    )
    solid = "; a feature above it is drawn solid" if bound is not None else ""
    line_text = f" The dashed line marks max_share {bound:g}{solid}." if bound is not None else ""
    rank = {f.feature: f for f in features}
    return BarChart(
        id=chart_id,
        title=title,
        desc=intro + "." + line_text,
        axis="share of the mean |SHAP value|",
        width=WIDTH,
        height=bars_height(len(bars)),
        bars=bars,
        lines=tuple(Line(scale.x(v), label) for v, label in bounds),
        bands=(),
        ticks=_share_ticks(scale),
        columns=("rank", "feature", "mean |SHAP|", "share"),
        rows=tuple(
            Row(
                (
                    str(rank[label].rank) if label in rank else "—",
                    label,
                    fmt(rank[label].importance, 4) if label in rank else "—",
                    share_text(values[0]),
                )
            )
            for label, values in rows
        ),
    )


def attribution_drift(block: ExplanationBlock, chart_id: str) -> BarChart | None:
    """|share now − share in the reference| per feature, largest first, against the bound."""
    features = sorted(
        (f for f in block.features if f.drift is not None),
        key=lambda f: (-(f.drift or 0.0), f.feature),
    )
    if not features:
        return None
    shown = features[:TOP_FEATURES]
    bound = block.drift_bound
    scale = Scale(
        nice_top(
            max([f.drift or 0.0 for f in shown] + ([bound] if bound is not None else [])) * 1.05
        )
    )
    bars = tuple(
        Bar(
            label=f.feature,
            y=TOP + i * ROW_H,
            width=scale.w(f.drift or 0.0),
            value=fmt(f.drift, 4),
            fail=bound is not None and (f.drift or 0.0) > bound,
        )
        for i, f in enumerate(shown)
    )
    between = (
        "the oldest and the newest Clarify analysis"
        if block.source == "clarify"
        else "the reference and the current sample"
    )
    rest = len(features) - len(shown)
    more = f" The {rest} other features drift less and are in the table." if rest else ""
    line_text = (
        f" The dashed line marks max_attribution_drift {bound:g}; a feature above it is drawn "
        "solid."
        if bound is not None
        else ""
    )
    return BarChart(
        id=chart_id,
        title=f"Attribution drift per feature ({block.rule})",
        desc="Horizontal bars: the absolute change of each feature's share of the importance "
        f"between {between}, largest first.{line_text}{more}",
        axis="|share now − share in the reference|",
        width=WIDTH,
        height=bars_height(len(bars)),
        bars=bars,
        lines=(Line(scale.x(bound), f"{bound:g}"),) if bound is not None else (),
        bands=(),
        ticks=scale.ticks(),
        columns=("feature", "share now", "drift", "above bound"),
        rows=tuple(
            Row(
                (
                    f.feature,
                    share_text(f.share),
                    fmt(f.drift, 4),
                    "—" if bound is None else ("yes" if (f.drift or 0.0) > bound else "no"),
                )
            )
            for f in features
        ),
    )


def group_importance(
    block: ExplanationBlock, comparison: GroupComparison, chart_id: str
) -> GroupedBarChart | None:
    """Each feature's share of the importance within each group of a sensitive column.

    None with more groups than :data:`SERIES_FILLS` (the section's table shows them).
    """
    if not comparison.rows or not comparison.groups:
        return None
    categories = _top_with_other(
        [r.feature for r in comparison.rows], [r.shares for r in comparison.rows], GROUP_FEATURES
    )
    return grouped_bars(
        chart_id,
        title=f"Share of the importance by {comparison.sensitive} ({block.rule})",
        desc=f"Horizontal bars: within each group of {comparison.sensitive}, each feature's "
        "share of the group's total mean |SHAP value|, features in overall rank order. Similar "
        "bars mean the model relies on the same features for every group.",
        axis="share of the group's mean |SHAP value|",
        series=comparison.groups,
        categories=categories,
    )
