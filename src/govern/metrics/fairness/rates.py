"""Per-group metrics from confusion counts, by fairlearn name (``MetricFrame.by_group``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from govern.metrics.fairness.counts import _NAN, Group, GroupCounts, _fail


def _ratio0(num: int, den: int) -> float:
    """scikit-learn's normalised confusion matrix: 0/0 is 0."""
    return num / den if den else 0.0


def _labels(c: GroupCounts, name: str) -> None:
    if not c.has_labels:
        raise _fail(
            f"metric {name!r} needs labels, but the counts were made without a label column",
            "call group_counts with label=<column>",
        )


def _label_metric(name: str, f: Callable[[GroupCounts], float]) -> Callable[[GroupCounts], float]:
    def metric(c: GroupCounts) -> float:
        _labels(c, name)
        return _NAN if c.n == 0 else f(c)

    metric.__name__ = name
    metric.__doc__ = f.__doc__
    return metric


def _selection_rate(c: GroupCounts) -> float:
    """Share of predicted positives (fairlearn ``selection_rate``)."""
    return _NAN if c.n == 0 else c.predicted_positive / c.n


def _count(c: GroupCounts) -> float:
    """Number of rows (fairlearn ``count``); NaN for an empty cell, as in ``MetricFrame``."""
    return _NAN if c.n == 0 else float(c.n)


def _mean_score(c: GroupCounts) -> float:
    """Mean score (fairlearn ``mean_prediction`` on the score column)."""
    if c.score_sum is None:
        raise _fail(
            "metric 'mean_score' needs a score, but the counts were made without a score column",
            "call group_counts with score=<column>",
        )
    return _NAN if c.score_n == 0 else c.score_sum / c.score_n


def _tpr(c: GroupCounts) -> float:
    """TP / (TP + FN); 0 without positives (fairlearn ``true_positive_rate``)."""
    return _ratio0(c.tp, c.tp + c.fn)


def _fpr(c: GroupCounts) -> float:
    """FP / (FP + TN); 0 without negatives (fairlearn ``false_positive_rate``)."""
    return _ratio0(c.fp, c.fp + c.tn)


def _tnr(c: GroupCounts) -> float:
    """TN / (TN + FP); 0 without negatives (fairlearn ``true_negative_rate``)."""
    return _ratio0(c.tn, c.tn + c.fp)


def _fnr(c: GroupCounts) -> float:
    """FN / (FN + TP); 0 without positives (fairlearn ``false_negative_rate``)."""
    return _ratio0(c.fn, c.fn + c.tp)


def _precision(c: GroupCounts) -> float:
    """TP / (TP + FP); 0 without predicted positives (scikit-learn ``precision_score``)."""
    return _ratio0(c.tp, c.tp + c.fp)


def _accuracy(c: GroupCounts) -> float:
    """(TP + TN) / n (scikit-learn ``accuracy_score``)."""
    return (c.tp + c.tn) / c.n


def _error_rate(c: GroupCounts) -> float:
    """(FP + FN) / n, i.e. 1 - accuracy."""
    return (c.fp + c.fn) / c.n


def _base_rate(c: GroupCounts) -> float:
    """Share of positive labels (fairlearn ``selection_rate`` on the labels)."""
    return c.label_positive / c.n


_LABELLED: dict[str, Callable[[GroupCounts], float]] = {
    "true_positive_rate": _tpr,
    "false_positive_rate": _fpr,
    "true_negative_rate": _tnr,
    "false_negative_rate": _fnr,
    "precision": _precision,
    "accuracy": _accuracy,
    "error_rate": _error_rate,
    "base_rate": _base_rate,
}

LABEL_METRICS: frozenset[str] = frozenset(_LABELLED)
"""Names of the metrics that need a label column."""

GROUP_METRICS: Mapping[str, Callable[[GroupCounts], float]] = MappingProxyType(
    {
        "selection_rate": _selection_rate,
        **{name: _label_metric(name, f) for name, f in _LABELLED.items()},
        "mean_score": _mean_score,
        "count": _count,
    }
)
"""Per-group metric functions by fairlearn name; every one is NaN on an empty cell."""


def _metric(name: str) -> Callable[[GroupCounts], float]:
    try:
        return GROUP_METRICS[name]
    except KeyError:
        raise _fail(
            f"unknown group metric {name!r}", f"choose one of {sorted(GROUP_METRICS)}"
        ) from None


@dataclass(frozen=True)
class GroupMetric:
    """One metric of one group: ``value`` is NaN for an empty cell (``n == 0``)."""

    grouping: tuple[str, ...]
    group: Group
    metric: str
    value: float
    n: int
    control: Group = ()


def group_metrics(counts: Sequence[GroupCounts], metrics: Sequence[str]) -> list[GroupMetric]:
    """Each requested metric of each group, in the order of ``counts`` then ``metrics``.

    This is ``MetricFrame.by_group`` for every grouping at once (the population ``()``
    included, which is ``MetricFrame.overall``).
    """
    fns = [(m, _metric(m)) for m in metrics]
    return [
        GroupMetric(c.grouping, c.group, m, f(c), c.n, c.control) for c in counts for m, f in fns
    ]
