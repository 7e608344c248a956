"""Deterministic inline SVG charts: geometry computed here, drawn by ``templates/_chart.html``.

Every chart is a horizontal bar chart (one bar per group or column) with optional whiskers
(an interval), a shaded band (the range a bound allows) and dashed reference lines (a bound).
Coordinates are rounded to 0.1 px and every label comes from the section data, so the same
context always gives the same bytes. Charts read in black and white: failing bars are solid
dark, the others light with an outline, the band is hatched, bounds are dashed and every value
is printed; each chart has a ``<title>``, a ``<desc>`` and its data table beside it.

Why SVG templates and not matplotlib's SVG backend: matplotlib would be a heavy dependency of
every report (and of ``govern --help``'s import budget), writes ids and metadata that need
scrubbing to be byte-stable, and gives no control over the accessible title/description; three
bar layouts are a few dozen lines here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from govern.report.sections import DriftRow, FairnessBlock

WIDTH = 760
LABEL_W = 170
PLOT_X0 = 180
PLOT_X1 = 560
ROW_H = 22
BAR_H = 14
TOP = 26
BOTTOM = 30

#: metrics whose bound is a statement about selection rates (the bound band applies)
_SELECTION_METRICS = ("demographic_parity", "impact_ratio", "selection_rate")


@dataclass(frozen=True)
class Bar:
    """One bar: its label, geometry, printed value and whether it breaks the bound."""

    label: str
    y: float
    width: float
    value: str
    fail: bool
    whisker: tuple[float, float] | None = None
    note: str = ""


@dataclass(frozen=True)
class Line:
    """A dashed vertical reference line (a bound) with its label."""

    x: float
    label: str


@dataclass(frozen=True)
class Band:
    """A hatched band: the range of values the bound allows."""

    x0: float
    x1: float
    label: str


@dataclass(frozen=True)
class Tick:
    """An axis tick."""

    x: float
    label: str


@dataclass(frozen=True)
class Row:
    """A row of the chart's data table."""

    cells: tuple[str, ...]


@dataclass(frozen=True)
class BarChart:
    """A chart ready to draw, with its accessible title, description and data table."""

    id: str
    title: str
    desc: str
    axis: str
    width: int
    height: int
    bars: tuple[Bar, ...]
    lines: tuple[Line, ...]
    bands: tuple[Band, ...]
    ticks: tuple[Tick, ...]
    columns: tuple[str, ...]
    rows: tuple[Row, ...]

    @property
    def plot_x0(self) -> int:
        """Left edge of the plot area."""
        return PLOT_X0

    @property
    def plot_x1(self) -> int:
        """Right edge of the plot area."""
        return PLOT_X1

    @property
    def bar_h(self) -> int:
        """Height of a bar."""
        return BAR_H

    @property
    def label_x(self) -> int:
        """Right edge of the bar labels."""
        return LABEL_W

    @property
    def axis_y(self) -> float:
        """The y of the axis line."""
        return self.height - BOTTOM + 4


def _r(x: float) -> float:
    return round(x, 1)


def fmt(value: float | None, digits: int = 3) -> str:
    """A number with ``digits`` decimals, ``—`` for none."""
    return "—" if value is None else f"{value:.{digits}f}"


class _Scale:
    def __init__(self, top: float) -> None:
        self.top = top if top > 0 else 1.0

    def x(self, value: float) -> float:
        value = min(max(value, 0.0), self.top)
        return _r(PLOT_X0 + value / self.top * (PLOT_X1 - PLOT_X0))

    def w(self, value: float) -> float:
        return _r(self.x(value) - PLOT_X0)

    def ticks(self, count: int = 5) -> tuple[Tick, ...]:
        step = self.top / count
        digits = 2 if self.top <= 2 else 1
        return tuple(Tick(self.x(i * step), f"{i * step:.{digits}f}") for i in range(count + 1))


def _height(n: int) -> int:
    return TOP + n * ROW_H + BOTTOM


def _nice_top(value: float) -> float:
    for top in (0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 1.25, 1.5, 2.0, 2.5, 5.0, 10.0):
        if value <= top:
            return top
    return float(int(value) + 1)


def group_rates(block: FairnessBlock, chart_id: str) -> BarChart | None:
    """Selection rate per group with its Wilson interval and the band the bound allows."""
    groups = [g for g in block.groups if g.selection_rate is not None]
    if not groups:
        return None
    rates = [g.selection_rate for g in groups if g.selection_rate is not None]
    top = _nice_top(max([g.selection_high or 0.0 for g in groups] + rates))
    scale = _Scale(top)
    best = max(rates)
    low: float | None = None
    if any(m in block.metric for m in _SELECTION_METRICS):
        if block.threshold_min is not None and "ratio" in block.metric:
            low = block.threshold_min * best
        elif block.threshold_max is not None and "difference" in block.metric:
            low = max(best - block.threshold_max, 0.0)
    bars = []
    for i, g in enumerate(groups):
        rate = g.selection_rate or 0.0
        whisker = None
        if g.selection_low is not None and g.selection_high is not None:
            whisker = (scale.x(g.selection_low), scale.x(g.selection_high))
        bars.append(
            Bar(
                label=g.group,
                y=TOP + i * ROW_H,
                width=scale.w(rate),
                value=fmt(rate),
                fail=low is not None and rate < low,
                whisker=whisker,
                note=f"n={g.n:,}",
            )
        )
    bands: tuple[Band, ...] = ()
    band_text = ""
    if low is not None:
        bands = (Band(scale.x(low), scale.x(best), f"allowed: ≥ {low:.3f}"),)
        band_text = (
            f" The hatched band is the range the bound {block.bound} allows, from {low:.3f} "
            f"up to the highest rate {best:.3f}; groups below it are drawn solid."
        )
    return BarChart(
        id=chart_id,
        title=f"Selection rate by {block.feature} ({block.rule})",
        desc=f"Horizontal bars: the selection rate of each group of {block.feature}, with its "
        f"95% Wilson interval as a whisker.{band_text}",
        axis="selection rate",
        width=WIDTH,
        height=_height(len(bars)),
        bars=tuple(bars),
        lines=(),
        bands=bands,
        ticks=scale.ticks(),
        columns=("group", "n", "selection rate", "95% interval"),
        rows=tuple(
            Row(
                (
                    g.group,
                    f"{g.n:,}",
                    fmt(g.selection_rate),
                    f"[{fmt(g.selection_low)}, {fmt(g.selection_high)}]",
                )
            )
            for g in groups
        ),
    )


def impact_ratios(block: FairnessBlock, chart_id: str) -> BarChart | None:
    """Impact ratio per group against the four-fifths line (or the rule's own minimum)."""
    groups = [g for g in block.groups if g.impact_ratio is not None]
    if not groups:
        return None
    bound = block.threshold_min if "ratio" in block.metric and block.threshold_min else 0.8
    ratios = [g.impact_ratio or 0.0 for g in groups]
    scale = _Scale(_nice_top(max([*ratios, 1.0])))
    bars = tuple(
        Bar(
            label=g.group,
            y=TOP + i * ROW_H,
            width=scale.w(g.impact_ratio or 0.0),
            value=fmt(g.impact_ratio),
            fail=(g.impact_ratio or 0.0) < bound,
        )
        for i, g in enumerate(groups)
    )
    return BarChart(
        id=chart_id,
        title=f"Impact ratio by {block.feature} ({block.rule})",
        desc=f"Horizontal bars: each group's selection rate over the most selected group's. "
        f"The dashed line marks {bound:g}; groups below it are drawn solid.",
        axis="impact ratio",
        width=WIDTH,
        height=_height(len(bars)),
        bars=bars,
        lines=(Line(scale.x(bound), f"{bound:g}"),),
        bands=(),
        ticks=scale.ticks(),
        columns=("group", "impact ratio", f"below {bound:g}"),
        rows=tuple(
            Row((g.group, fmt(g.impact_ratio), "yes" if (g.impact_ratio or 0) < bound else "no"))
            for g in groups
        ),
    )


def drift_columns(rows: Sequence[DriftRow], chart_id: str) -> BarChart | None:
    """The drift statistic per column against the rule's threshold (distance methods)."""
    rows = [r for r in rows if r.statistic is not None and r.direction != "p_value"]
    if not rows:
        return None
    threshold = rows[0].threshold
    method = rows[0].method
    scale = _Scale(_nice_top(max([r.statistic or 0.0 for r in rows] + [threshold]) * 1.05))
    bars = tuple(
        Bar(
            label=r.column,
            y=TOP + i * ROW_H,
            width=scale.w(r.statistic or 0.0),
            value=fmt(r.statistic),
            fail=r.status == "fail",
            note=f"since {r.drifted_since}" if r.drifted_since else "",
        )
        for i, r in enumerate(rows)
    )
    return BarChart(
        id=chart_id,
        title=f"Drift per column: {method} ({rows[0].rule})",
        desc=f"Horizontal bars: the {method} of each column between the reference and the "
        f"current window. The dashed line marks the threshold {threshold:g}; drifted columns "
        "are drawn solid.",
        axis=method,
        width=WIDTH,
        height=_height(len(bars)),
        bars=bars,
        lines=(Line(scale.x(threshold), f"{threshold:g}"),),
        bands=(),
        ticks=scale.ticks(),
        columns=("column", method, "drifted", "since"),
        rows=tuple(
            Row(
                (
                    r.column,
                    fmt(r.statistic),
                    "yes" if r.status == "fail" else "no",
                    r.drifted_since or "—",
                )
            )
            for r in rows
        ),
    )
