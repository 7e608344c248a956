"""Predictive performance of a model from its labelled prediction logs, equal to scikit-learn.

One ``GROUP BY`` in DuckDB aggregates the labelled rows of a relation into cells, one per
distinct (score, label, decision) with its count (read by :mod:`.reading`, held by
:mod:`.cells`); every metric is then numpy arithmetic over those cells, each weighted by its
count, so no row reaches a Python loop. When nearly every score is distinct, the cells would
be as many as the rows: the rows are fetched once and sorted in numpy as 64-bit keys instead
(:class:`~govern.metrics.performance.sorted_rows.SortedRows`), which give every statistic the
metrics read (ranking sums, confusion counts, per-record losses) without building the cells.
Values equal scikit-learn 1.9's on the same rows to 1e-9 (``tests/metrics/performance/``), on
generated data with tied scores, imbalanced and one-class labels, and on the breast-cancer
data set shipped in scikit-learn's wheel.

Classification (:mod:`~govern.metrics.performance.classification`):

* ``roc_auc``: trapezoidal area under the ROC curve with one point per distinct score (ties as
  scikit-learn); NaN with one class only (as scikit-learn 1.9, which warns);
* ``average_precision``: scikit-learn's step sum ``sum (R_k - R_{k-1}) P_k``, not interpolated;
  0 without positives;
* ``accuracy``, ``balanced_accuracy``, ``precision``, ``recall``, ``f1``: of a decision, the
  log's prediction column or ``score >= threshold``; a 0/0 ratio is 0 (``zero_division``);
* ``log_loss``: natural log, each class's probability clipped to ``[eps, 1 - eps]``
  (``eps = numpy.finfo(float64).eps``, scikit-learn 1.9's rule); ``brier_score``: mean squared
  difference of probability and label; both need scores in [0, 1];
* ``expected_calibration_error``: ``sum_b (n_b / n) |mean label_b - mean score_b|`` over
  equal-width bins of the score (default 10; bin ``b`` holds ``min(floor(p * bins), bins - 1)
  == b``, so ``[0, 0.1), ..., [0.9, 1.0]``); not in scikit-learn, pinned against numpy.

Regression (:mod:`~govern.metrics.performance.regression`): ``mae``, ``rmse``, ``r2``
(``force_finite``: constant targets give 1.0 or 0.0) and ``mape`` (a share; ``|y|`` floored at
the float64 epsilon, as scikit-learn).

:func:`bootstrap_interval` resamples rows through the cells (a multinomial draw per replicate, or,
with about a cell per row, the rows drawn and counted per cell).
With a ``group`` column (e.g. a sensitive feature) the cells are also split by its values, and
:meth:`Cells.by_group` gives each group's cells: a metric per group from the same scan.
"""

from __future__ import annotations

from govern.metrics.performance.cells import MISSING_GROUP, Cells, PerformanceInputError
from govern.metrics.performance.classification import DEFAULT_BINS, calibration_bins
from govern.metrics.performance.reading import classification_cells, regression_cells
from govern.metrics.performance.registry import (
    METRIC_NAMES,
    METRICS,
    PerformanceMetric,
    bootstrap_interval,
    metric_named,
)
from govern.metrics.performance.sorted_rows import SortedRows

__all__ = [
    "DEFAULT_BINS",
    "METRICS",
    "METRIC_NAMES",
    "MISSING_GROUP",
    "Cells",
    "PerformanceInputError",
    "PerformanceMetric",
    "SortedRows",
    "bootstrap_interval",
    "calibration_bins",
    "classification_cells",
    "metric_named",
    "regression_cells",
]
