"""The evidence of ``check: performance`` findings, typed: value, baseline, trend, bins, groups.

A performance finding carries a :class:`PerformanceEvidence`: the metric's value over the
labelled records of the rule's window, its interval, the :class:`PerformanceBaseline` it was
compared with, the labelled share, and optionally the value per calendar window
(:class:`PerformanceWindow`, judged by :func:`judged_trend`), the expected calibration error's
bins (:class:`CalibrationBin`) and the value per group of the ``by`` column
(:class:`GroupPerformance`). Formatters, the demo and reports read these fields; each class's
``to_json`` is the one place its JSON (the ``govern.check/v1`` evidence) is made. The message
helpers (:func:`last_judged_text`, :func:`bound_text`) word the trend and the bounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from govern.checks.fairness_evidence import Interval

__all__ = [
    "BaselineSource",
    "CalibrationBin",
    "GroupPerformance",
    "PerformanceBaseline",
    "PerformanceEvidence",
    "PerformanceWindow",
    "bound_text",
    "judged_trend",
    "last_judged_text",
]

#: Where a baseline value comes from (the key of the rule's ``baseline``, or ``reference``).
BaselineSource = Literal["reference", "registry_metric", "alias", "version", "stage"]


@dataclass(frozen=True)
class PerformanceWindow:
    """The metric in one calendar window of the current log (``trend:`` in a rule).

    ``value`` is computed over the window's labelled records whenever it can be (also below
    ``min_labelled``, to show what is known); ``met`` is ``None`` when the window was not
    judged (too few labels, or the metric undefined there).
    """

    #: the window's label, e.g. ``[2026-10-01, 2026-11-01)``
    window: str
    start: date | None
    rows: int
    labelled: int
    value: float | None
    met: bool | None

    @property
    def labelled_share(self) -> float:
        """Labelled records over all records of the window."""
        return self.labelled / self.rows if self.rows else 0.0

    def to_json(self) -> dict[str, Any]:
        """The point as JSON (``start`` as an ISO date)."""
        return {
            "window": self.window,
            "start": self.start.isoformat() if self.start else None,
            "rows": self.rows,
            "labelled": self.labelled,
            "labelled_share": self.labelled_share,
            "value": self.value,
            "met": self.met,
        }


@dataclass(frozen=True)
class GroupPerformance:
    """The metric over the labelled records of one group of the rule's ``by`` column."""

    group: str
    n: int
    #: None when the metric is undefined in the group (e.g. one class only)
    value: float | None

    def to_json(self) -> dict[str, Any]:
        """``{"group", "n", "value"}``."""
        return {"group": self.group, "n": self.n, "value": self.value}


@dataclass(frozen=True)
class CalibrationBin:
    """One equal-width bin of the score (expected calibration error): a reliability-chart point.

    ``mean_score`` and ``mean_label`` are ``None`` for an empty bin.
    """

    low: float
    high: float
    n: int
    mean_score: float | None
    mean_label: float | None

    def to_json(self) -> dict[str, Any]:
        """The bin as JSON."""
        return {
            "low": self.low,
            "high": self.high,
            "n": self.n,
            "mean_score": self.mean_score,
            "mean_label": self.mean_label,
        }


@dataclass(frozen=True)
class PerformanceBaseline:
    """The value the candidate was compared with, where it came from and what it had to reach."""

    source: BaselineSource
    #: ``reference``, the registry metric's key, or the selector's value (``champion``, 3)
    name: str
    value: float
    #: the value the candidate had to reach: ``value - max_drop`` (``+`` for a loss)
    required: float
    max_drop: float
    #: the baseline version (alias, version, stage), else None
    version: str | None = None
    #: labelled records behind the value (reference log, baseline version's window)
    n: int | None = None

    def describe(self) -> str:
        """``the reference log 0.7650, max_drop 0.02`` and the like, for messages."""
        if self.source == "reference":
            what = "the reference log"
        elif self.source == "registry_metric":
            what = f"run metric {self.name}"
        else:
            what = f"version {self.version} ({self.source} {self.name})"
        return f"{what} {self.value:.4f}, max_drop {self.max_drop:g}"

    def to_json(self) -> dict[str, Any]:
        """The baseline as JSON."""
        return {
            "source": self.source,
            "name": self.name,
            "version": self.version,
            "value": self.value,
            "n": self.n,
            "max_drop": self.max_drop,
            "required": self.required,
        }


@dataclass(frozen=True)
class PerformanceEvidence:
    """The evidence of a performance finding: value, interval, baseline, labels and trend.

    ``value`` is ``None`` when the window was not judged (the finding is then
    ``not_evaluated`` and its message says why); ``n`` is the labelled records the value rests
    on, ``rows`` every record of the window.
    """

    metric: str
    task: Literal["classification", "regression"]
    greater_is_better: bool
    #: the rule's window (``all`` for the whole log)
    window: str
    rows: int
    n: int
    min_labelled: float
    value: float | None = None
    interval: Interval | None = None
    decided_on: Literal["ci", "point"] = "point"
    baseline: PerformanceBaseline | None = None
    #: the decision of threshold metrics: ``prediction`` (the log's column) or ``score >= t``
    decision: str | None = None
    #: equal-width bins of the expected calibration error
    bins: int | None = None
    trend: tuple[PerformanceWindow, ...] | None = None
    #: the bins of expected_calibration_error over the rule's window (a reliability chart)
    calibration: tuple[CalibrationBin, ...] | None = None
    #: the rule's ``by`` column and the metric per group of it (informational, not judged)
    by: str | None = None
    by_group: tuple[GroupPerformance, ...] | None = None

    @property
    def labelled_share(self) -> float:
        """Labelled records over all records of the window."""
        return self.n / self.rows if self.rows else 0.0

    @property
    def below_since(self) -> date | None:
        """The start of the run of trend windows failing the bound that reaches the latest one.

        Windows not judged (label delay) neither start nor break the run.
        """
        began: date | None = None
        for point in self.trend or ():
            if point.met is None:
                continue
            began = (began or point.start) if not point.met else None
        return began

    def to_json(self) -> dict[str, Any]:
        """The ``evidence`` of the finding (``ci`` is lifted to the finding when set)."""
        out: dict[str, Any] = {
            "task": self.task,
            "greater_is_better": self.greater_is_better,
            "window": self.window,
            "rows": self.rows,
            "labelled": self.n,
            "labelled_share": self.labelled_share,
            "min_labelled": self.min_labelled,
            "ci": self.interval.to_json() if self.interval else None,
            "fail_when": self.decided_on,
            "baseline": self.baseline.to_json() if self.baseline else None,
        }
        if self.decision is not None:
            out["decision"] = self.decision
        if self.bins is not None:
            out["bins"] = self.bins
        if self.trend is not None:
            out["trend"] = [point.to_json() for point in self.trend]
        if self.calibration is not None:
            out["calibration"] = [b.to_json() for b in self.calibration]
        if self.by_group is not None:
            out["by_group"] = {"column": self.by, "groups": [g.to_json() for g in self.by_group]}
        return out


def judged_trend(
    points: tuple[PerformanceWindow, ...] | None,
    low: float | None,
    high: float | None,
    min_labelled: float,
) -> tuple[PerformanceWindow, ...] | None:
    """Trend points with ``met`` set where the window can be judged (enough labels, a value)."""
    import dataclasses

    from govern.metrics.fairness import bound_met

    if points is None:
        return None
    return tuple(
        dataclasses.replace(
            point,
            met=bound_met(point.value, low=low, high=high)
            if point.value is not None and point.labelled_share >= min_labelled
            else None,
        )
        for point in points
    )


def last_judged_text(trend: tuple[PerformanceWindow, ...] | None) -> str:
    """'; the latest judged window [..) had 0.7639 (met)' for a label-delay message."""
    judged = [p for p in trend or () if p.met is not None and p.value is not None]
    if not judged:
        return ""
    last = judged[-1]
    verdict = "within the bound" if last.met else "outside the bound"
    return f"; the latest judged window, {last.window}, had {last.value:.4f} ({verdict})"


def bound_text(low: float | None, high: float | None) -> str:
    """'min 0.75, max 0.9' (or 'no bound'): the effective bounds, for a finding's message."""
    parts = ([f"min {low:.4g}"] if low is not None else []) + (
        [f"max {high:.4g}"] if high is not None else []
    )
    return ", ".join(parts) if parts else "no bound"
