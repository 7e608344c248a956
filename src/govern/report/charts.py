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

from govern.report.sections import (
    DriftRow,
    FairnessBlock,
    PerformanceRow,
)

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
class ChartFrame:
    """What every chart has: title, description, axis title, size and data table.

    ``templates/_chart_parts.html`` draws these parts for every kind of chart.
    """

    id: str
    title: str
    desc: str
    axis: str
    width: int
    height: int
    columns: tuple[str, ...]
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class HorizontalFrame(ChartFrame):
    """What every horizontal bar chart adds: dashed bound lines and ticks.

    Labels sit on the left, the plot to the right.
    """

    lines: tuple[Line, ...]
    ticks: tuple[Tick, ...]

    @property
    def plot_x0(self) -> int:
        """Left edge of the plot area."""
        return PLOT_X0

    @property
    def plot_x1(self) -> int:
        """Right edge of the plot area."""
        return PLOT_X1

    @property
    def label_x(self) -> int:
        """Right edge of the bar labels."""
        return LABEL_W

    @property
    def axis_y(self) -> float:
        """The y of the axis line."""
        return self.height - BOTTOM + 4


@dataclass(frozen=True)
class BarChart(HorizontalFrame):
    """A chart ready to draw: one bar per row, with whiskers and shaded bands."""

    bars: tuple[Bar, ...]
    bands: tuple[Band, ...]

    @property
    def bar_h(self) -> int:
        """Height of a bar."""
        return BAR_H


def px(x: float) -> float:
    """A coordinate rounded to 0.1 px (the same context gives the same bytes)."""
    return round(x, 1)


def fmt(value: float | None, digits: int = 3) -> str:
    """A number with ``digits`` decimals, ``—`` for none."""
    return "—" if value is None else f"{value:.{digits}f}"


class Scale:
    """Values from 0 to ``top`` mapped onto the plot's width."""

    def __init__(self, top: float) -> None:
        self.top = top if top > 0 else 1.0

    def x(self, value: float) -> float:
        """The x of a value (clamped to the scale)."""
        value = min(max(value, 0.0), self.top)
        return px(PLOT_X0 + value / self.top * (PLOT_X1 - PLOT_X0))

    def w(self, value: float) -> float:
        """The width of a bar from the plot's left edge to a value."""
        return px(self.x(value) - PLOT_X0)

    def ticks(self, count: int = 5) -> tuple[Tick, ...]:
        """``count`` equal steps of the axis, labelled."""
        step = self.top / count
        digits = 2 if self.top <= 2 else 1
        return tuple(Tick(self.x(i * step), f"{i * step:.{digits}f}") for i in range(count + 1))


def bars_height(n: int) -> int:
    """The height of a chart of ``n`` bars."""
    return TOP + n * ROW_H + BOTTOM


def nice_top(value: float) -> float:
    """The smallest round axis end at or above ``value``."""
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
    top = nice_top(max([g.selection_high or 0.0 for g in groups] + rates))
    scale = Scale(top)
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
        height=bars_height(len(bars)),
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
    scale = Scale(nice_top(max([*ratios, 1.0])))
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
        height=bars_height(len(bars)),
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
    scale = Scale(nice_top(max([r.statistic or 0.0 for r in rows] + [threshold]) * 1.05))
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
        height=bars_height(len(bars)),
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


# -- metric trends over windows: a line chart ----------------------------------------------------

LINE_X0 = 64
LINE_X1 = 540
LINE_TOP = 24
LINE_PLOT_H = 190
LINE_LEGEND_X = 556

#: Per series, in order: a dash pattern, a marker and the pattern's name, so series differ
#: without colour. Bounds are drawn grey with :data:`BOUND_DASH`, unlike any series.
LINE_STYLES: tuple[tuple[str, str, str], ...] = (
    ("", "circle", "solid"),
    ("7 3", "square", "dashed"),
    ("2 2", "triangle", "dotted"),
    ("9 3 2 3", "diamond", "dash-dot"),
    ("4 4", "cross", "short-dashed"),
)
BOUND_DASH = "14 4"


@dataclass(frozen=True)
class TrendInput:
    """One series of a trend chart: a name, a value per window (None: no value) and flags.

    A flagged point (a regression, a bound not met) is drawn filled; the others hollow.
    """

    name: str
    values: tuple[float | None, ...]
    flagged: tuple[bool, ...]


@dataclass(frozen=True)
class Point:
    """A marker of a series: centre, outline path, value, whether it is flagged, its window."""

    x: float
    y: float
    d: str
    value: str
    flagged: bool
    window: str


@dataclass(frozen=True)
class Series:
    """A drawn series: the line's path, its dash pattern, its markers and its legend entry."""

    name: str
    path: str
    dash: str
    marker: str
    points: tuple[Point, ...]
    legend_y: float
    legend_marker: str


@dataclass(frozen=True)
class HLine:
    """A long-dashed grey horizontal line (a policy bound), its label and the rule's id.

    The label and rule are written in the legend (at ``legend_y``), not on the plot.
    """

    y: float
    label: str
    rule: str
    legend_y: float


@dataclass(frozen=True)
class YTick:
    """A tick of the value axis, with its grid line."""

    y: float
    label: str


@dataclass(frozen=True)
class LineChart(ChartFrame):
    """A line chart over windows, ready to draw, with title, description and data table."""

    x0: int
    x1: int
    y0: float
    y1: float
    legend_x: int
    series: tuple[Series, ...]
    xticks: tuple[Tick, ...]
    yticks: tuple[YTick, ...]
    lines: tuple[HLine, ...]

    @property
    def bound_dash(self) -> str:
        """The dash pattern of the bound lines."""
        return BOUND_DASH


def _marker(kind: str, x: float, y: float) -> str:
    """The outline of a marker centred on (x, y) as an SVG path (every marker is a path)."""
    s = 4.0

    def p(dx: float, dy: float) -> str:
        return f"{px(x + dx)},{px(y + dy)}"

    if kind == "square":
        return f"M{p(-s + 0.6, -s + 0.6)} L{p(s - 0.6, -s + 0.6)} L{p(s - 0.6, s - 0.6)} " \
               f"L{p(-s + 0.6, s - 0.6)} Z"  # fmt: skip
    if kind == "triangle":
        return f"M{p(0, -s - 0.5)} L{p(s, s - 0.5)} L{p(-s, s - 0.5)} Z"
    if kind == "diamond":
        return f"M{p(0, -s - 0.5)} L{p(s + 0.5, 0)} L{p(0, s + 0.5)} L{p(-s - 0.5, 0)} Z"
    if kind == "cross":
        return f"M{p(-s, -s)} L{p(s, s)} M{p(-s, s)} L{p(s, -s)}"
    # a circle as two arcs
    return f"M{p(-s, 0)} A{s},{s} 0 1,0 {p(s, 0)} A{s},{s} 0 1,0 {p(-s, 0)} Z"


def trend_lines(
    chart_id: str,
    *,
    title: str,
    subject: str,
    axis: str,
    windows: Sequence[str],
    series: Sequence[TrendInput],
    bounds: Sequence[tuple[float, str, str]] = (),
    digits: int = 3,
    unit: str = "window",
    flags: str = "Filled markers are regressions or values outside a policy bound; hollow "
    "markers are not.",
    extra: Sequence[tuple[str, Sequence[str]]] = (),
) -> LineChart | None:
    """A line per series across the windows, with the policy bounds as long-dashed lines.

    ``bounds`` are ``(value, label, rule)``, e.g. ``(0.8, "impact ratio min 0.8",
    "fairness.four-fifths")``. ``windows`` are the x positions: calendar windows, or any
    ordered categories named by ``unit`` (``score bin``); ``flags`` says what a filled marker
    means; ``extra`` adds ``(column, one cell per window)`` to the data table.

    A window without a value breaks the line (no point is invented). Returns None when no
    series has a value. Styles come from :data:`LINE_STYLES` in order (at most five series).
    """
    if not windows or not series or len(series) > len(LINE_STYLES):
        return None
    known = [v for s in series for v in s.values if v is not None]
    if not known:
        return None
    top = nice_top(max([*known, *(b for b, _, _ in bounds), 0.0]) * 1.05)
    y0 = float(LINE_TOP)
    y1 = float(LINE_TOP + LINE_PLOT_H)

    def y_of(value: float) -> float:
        value = min(max(value, 0.0), top)
        return px(y1 - value / top * (y1 - y0))

    step = (LINE_X1 - LINE_X0) / len(windows)
    xs = [px(LINE_X0 + step * (i + 0.5)) for i in range(len(windows))]
    drawn: list[Series] = []
    for k, s in enumerate(series):
        dash, marker, _ = LINE_STYLES[k]
        parts: list[str] = []
        points: list[Point] = []
        pen_down = False
        for i, value in enumerate(s.values):
            if value is None:
                pen_down = False
                continue
            x, y = xs[i], y_of(value)
            parts.append(f"{'L' if pen_down else 'M'}{x},{y}")
            pen_down = True
            flagged = i < len(s.flagged) and s.flagged[i]
            points.append(
                Point(x, y, _marker(marker, x, y), fmt(value, digits), flagged, windows[i])
            )
        legend_y = px(y0 + 8 + k * 20)
        drawn.append(
            Series(
                name=s.name,
                path=" ".join(parts),
                dash=dash,
                marker=marker,
                points=tuple(points),
                legend_y=legend_y,
                legend_marker=_marker(marker, LINE_LEGEND_X + 14, legend_y),
            )
        )
    # five steps when that gives round numbers (0.25 -> 0.05), else four (1.0 -> 0.25)
    steps = 5 if round(top / 5, 6) in (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0) else 4
    yticks = tuple(
        YTick(y_of(top * i / steps), f"{top * i / steps:.3f}".rstrip("0").rstrip("."))
        for i in range(steps + 1)
    )
    shown = [(value, label, rule) for value, label, rule in bounds if 0 <= value <= top]
    lines = tuple(
        HLine(y_of(value), label, rule, px(y0 + 8 + (len(series) + 0.5) * 20 + k * 28))
        for k, (value, label, rule) in enumerate(shown)
    )
    styles = ", ".join(
        f"{s.name} ({LINE_STYLES[k][1]} markers, {LINE_STYLES[k][2]} line)"
        for k, s in enumerate(series)
    )
    bound_text = (
        " Grey long-dashed horizontal lines mark the policy bounds: "
        + "; ".join(f"{label} ({rule})" for _, label, rule in shown)
        + "."
        if shown
        else ""
    )
    return LineChart(
        id=chart_id,
        title=title,
        desc=f"Line chart of {subject} per {unit} from {windows[0]} to {windows[-1]}: "
        f"{styles}. {flags} A gap in a line is a {unit} without a value.{bound_text}",
        axis=axis,
        width=WIDTH,
        height=int(y1) + 46,
        x0=LINE_X0,
        x1=LINE_X1,
        y0=y0,
        y1=y1,
        legend_x=LINE_LEGEND_X,
        series=tuple(drawn),
        xticks=tuple(Tick(x, w) for x, w in zip(xs, windows, strict=True)),
        yticks=yticks,
        lines=lines,
        columns=(unit, *(s.name for s in series), *(name for name, _ in extra)),
        rows=tuple(
            Row(
                (
                    w,
                    *(
                        fmt(s.values[i], digits)
                        + (" (flagged)" if i < len(s.flagged) and s.flagged[i] else "")
                        for s in series
                    ),
                    *(cells[i] if i < len(cells) else "" for _, cells in extra),
                )
            )
            for i, w in enumerate(windows)
        ),
    )


# -- production performance: the trend and the reliability of the score ----------------------


def performance_trend(row: PerformanceRow, chart_id: str) -> LineChart | None:
    """The metric per calendar window with the rule's bounds; windows outside them are filled."""
    points = row.trend
    if not points:
        return None
    flagged = tuple(p.met is False for p in points)
    return trend_lines(
        chart_id,
        title=f"{row.metric} per window ({row.rule})",
        subject=f"{row.metric} over the labelled records",
        axis=row.metric,
        windows=tuple(p.short for p in points),
        series=(TrendInput(row.metric, tuple(p.value for p in points), flagged),),
        bounds=tuple((value, label, row.rule) for value, label in row.bounds),
        digits=4,
        flags="Filled markers are windows outside the bound; hollow markers are within it, or "
        f"not judged because fewer than {row.min_labelled:.0%} of their records were labelled "
        "(see the table).",
        extra=(
            (
                "labelled",
                tuple(f"{p.labelled:,} of {p.rows:,} ({p.labelled_share:.1%})" for p in points),
            ),
            (
                "judged",
                tuple(_judged_text(p.met, p.labelled_share < row.min_labelled) for p in points),
            ),
        ),
    )


def _judged_text(met: bool | None, delayed: bool) -> str:
    if met is None:
        return "no: label delay" if delayed else "no"
    return "within bound" if met else "outside bound"


def reliability(row: PerformanceRow, chart_id: str) -> LineChart | None:
    """Reliability of the score: per bin, the mean score against the share of positive labels."""
    bins = row.calibration
    if not bins or not any(b.n for b in bins):
        return None
    return trend_lines(
        chart_id,
        title=f"Reliability of the score ({row.rule})",
        subject="the observed positive rate and the mean score",
        axis="score bin (equal width)",
        windows=tuple(b.label for b in bins),
        series=(
            TrendInput("observed rate", tuple(b.mean_label for b in bins), ()),
            TrendInput("mean score", tuple(b.mean_score for b in bins), ()),
        ),
        unit="score bin",
        flags="A calibrated score has the two lines on top of each other; the vertical gap in "
        "a bin is its calibration error, weighted by the bin's share of records in the ECE.",
        extra=(
            ("records", tuple(f"{b.n:,}" for b in bins)),
            ("|gap|", tuple(fmt(b.gap) for b in bins)),
        ),
    )
