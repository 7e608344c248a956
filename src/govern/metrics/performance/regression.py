"""Regression metrics over :class:`~govern.metrics.performance.cells.Cells`, as scikit-learn.

A cell is a distinct (target, predicted value) pair with its count; each sum weights the cell
by its count, so a value equals scikit-learn's over the rows (to 1e-9; the tests pin it).
"""

from __future__ import annotations

import math

import numpy as np

from govern.metrics.performance.cells import Cells, PerformanceInputError

__all__ = ["mae", "mape", "r2", "rmse"]


def _check(c: Cells, name: str) -> None:
    if c.n == 0:
        raise PerformanceInputError(f"{name} needs labelled records; there are none")


def mae(c: Cells) -> float:
    """Mean absolute error (``mean_absolute_error``)."""
    _check(c, "mae")
    return float(np.sum(c.count * np.abs(c.label - c.decision)) / c.n)


def rmse(c: Cells) -> float:
    """Root mean squared error (``root_mean_squared_error``)."""
    _check(c, "rmse")
    return math.sqrt(float(np.sum(c.count * (c.label - c.decision) ** 2) / c.n))


def r2(c: Cells) -> float:
    """Coefficient of determination (``r2_score``, ``force_finite=True``).

    ``1 - SS_res / SS_tot``; with constant targets 1.0 for a perfect prediction and 0.0
    otherwise; NaN with fewer than two records (scikit-learn warns and returns NaN).
    """
    _check(c, "r2")
    n = c.n
    if n < 2:
        return math.nan
    w = c.count.astype(np.float64)
    mean = float(np.sum(w * c.label) / n)
    ss_res = float(np.sum(w * (c.label - c.decision) ** 2))
    ss_tot = float(np.sum(w * (c.label - mean) ** 2))
    if ss_tot == 0:
        return 1.0 if ss_res == 0 else 0.0
    return 1.0 - ss_res / ss_tot


def mape(c: Cells) -> float:
    """Mean absolute percentage error (``mean_absolute_percentage_error``), as a share.

    ``mean(|y - y_hat| / max(|y|, eps))`` with ``eps`` the float64 machine epsilon, as
    scikit-learn: a target of 0 gives a huge value, never a division by zero.
    """
    _check(c, "mape")
    eps = float(np.finfo(np.float64).eps)
    share = np.abs(c.label - c.decision) / np.maximum(np.abs(c.label), eps)
    return float(np.sum(c.count * share) / c.n)
