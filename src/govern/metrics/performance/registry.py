"""The performance metrics a rule can bound, by name: task, direction, what they need."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import numpy as np

from govern.metrics.performance import classification as cls
from govern.metrics.performance import regression as reg
from govern.metrics.performance.cells import Cells, PerformanceInputError

__all__ = ["METRICS", "METRIC_NAMES", "PerformanceMetric", "bootstrap_interval", "metric_named"]

Task = Literal["classification", "regression"]
#: what a metric reads: the score (ranking), a probability in [0, 1], the decision, or the
#: predicted value (regression)
Needs = Literal["score", "probability", "decision", "value"]


@dataclass(frozen=True)
class PerformanceMetric:
    """One metric: its name, task, direction and the function over cells."""

    name: str
    task: Task
    greater_is_better: bool
    needs: Needs
    compute: Callable[[Cells], float]
    #: the scikit-learn function it equals
    sklearn: str


def _entry(
    name: str, task: Task, greater: bool, needs: Needs, fn: Callable[[Cells], float], sk: str
) -> tuple[str, PerformanceMetric]:
    return name, PerformanceMetric(name, task, greater, needs, fn, sk)


#: Every metric by name, classification first.
METRICS: Mapping[str, PerformanceMetric] = MappingProxyType(
    dict(
        [
            _entry("roc_auc", "classification", True, "score", cls.roc_auc, "roc_auc_score"),
            _entry(
                "average_precision",
                "classification",
                True,
                "score",
                cls.average_precision,
                "average_precision_score",
            ),
            _entry("accuracy", "classification", True, "decision", cls.accuracy, "accuracy_score"),
            _entry(
                "balanced_accuracy",
                "classification",
                True,
                "decision",
                cls.balanced_accuracy,
                "balanced_accuracy_score",
            ),
            _entry(
                "precision", "classification", True, "decision", cls.precision, "precision_score"
            ),
            _entry("recall", "classification", True, "decision", cls.recall, "recall_score"),
            _entry("f1", "classification", True, "decision", cls.f1, "f1_score"),
            _entry("log_loss", "classification", False, "probability", cls.log_loss, "log_loss"),
            _entry(
                "brier_score",
                "classification",
                False,
                "probability",
                cls.brier_score,
                "brier_score_loss",
            ),
            _entry(
                "expected_calibration_error",
                "classification",
                False,
                "probability",
                cls.expected_calibration_error,
                "(none: numpy reference)",
            ),
            _entry("mae", "regression", False, "value", reg.mae, "mean_absolute_error"),
            _entry("rmse", "regression", False, "value", reg.rmse, "root_mean_squared_error"),
            _entry("r2", "regression", True, "value", reg.r2, "r2_score"),
            _entry(
                "mape", "regression", False, "value", reg.mape, "mean_absolute_percentage_error"
            ),
        ]
    )
)
METRIC_NAMES: tuple[str, ...] = tuple(METRICS)


def metric_named(name: str) -> PerformanceMetric:
    """The metric called ``name``; :class:`PerformanceInputError` naming the known ones."""
    try:
        return METRICS[name]
    except KeyError:
        raise PerformanceInputError(
            f"unknown performance metric {name!r}", hint=f"choose one of {', '.join(METRICS)}"
        ) from None


#: Below this many rows per cell, a bootstrap draws rows (see :func:`bootstrap_interval`).
_ROWS_PER_CELL = 8


def bootstrap_interval(
    cells: Cells,
    statistic: Callable[[Cells], float],
    *,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic``, resampling the rows through the cells.

    A resample of the ``n`` rows with replacement is a multinomial draw of ``n`` over the
    cells with their observed shares (``numpy.random.default_rng(seed)``), so each replicate
    costs one pass over the cells, not over the rows. With fewer than 8 rows per cell (scores
    nearly all distinct; no cell empty), the ``n`` rows are drawn instead
    (``rng.integers(0, n, n)``, rows in cell order) and counted per cell: the same resample,
    cheaper than a multinomial over as many cells as rows. The cells' order by score is
    worked out once, not per replicate. Replicates where the statistic is NaN (e.g. one class
    only) are dropped; the interval is the ``(1 - confidence) / 2`` and ``(1 + confidence) /
    2`` quantiles (linear interpolation), ``(nan, nan)`` if none is left.
    """
    if not 0 < confidence < 1:
        raise PerformanceInputError(f"confidence must lie strictly between 0 and 1: {confidence}")
    if n_boot < 1:
        raise PerformanceInputError(f"n_boot must be positive, got {n_boot}")
    n = cells.n
    if n == 0:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    counts = cells.count
    k = int(counts.size)
    values = np.empty(n_boot, dtype=np.float64)
    if k * _ROWS_PER_CELL > n and counts.min() > 0:
        # about as many cells as rows: drawing the rows and counting them per cell is faster
        # than a multinomial draw over every cell (the same distribution); the rows of a cell
        # are consecutive (cell order), so a cell's count is the sum over its rows' counts
        first = np.concatenate(([0], np.cumsum(counts)[:-1])) if k < n else None
        for b in range(n_boot):
            drawn = np.bincount(rng.integers(0, n, n), minlength=n)
            if first is not None:
                drawn = np.add.reduceat(drawn, first)
            values[b] = statistic(cells.with_counts(np.asarray(drawn, dtype=np.int64)))
    else:
        shares = counts / n
        for b in range(n_boot):
            drawn = rng.multinomial(n, shares).astype(np.int64)
            values[b] = statistic(cells.with_counts(drawn))
    finite = values[~np.isnan(values)]
    if finite.size == 0:
        return (math.nan, math.nan)
    alpha = 1.0 - confidence
    low, high = np.quantile(finite, [alpha / 2, 1 - alpha / 2])
    return (float(low), float(high))
