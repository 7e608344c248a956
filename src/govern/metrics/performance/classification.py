"""Classification metrics over :class:`~govern.metrics.performance.cells.Cells`, as scikit-learn.

Each function weights every cell by its count, so a value over the cells equals
scikit-learn's over the rows (to 1e-9; the tests pin it). Ranking metrics group the cells by
distinct score: for each score, highest first, the positives and negatives at that score are
added at once, which is scikit-learn's handling of ties.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from govern.metrics.performance.cells import Cells, PerformanceInputError

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "DEFAULT_BINS",
    "accuracy",
    "average_precision",
    "balanced_accuracy",
    "brier_score",
    "calibration_bins",
    "expected_calibration_error",
    "f1",
    "log_loss",
    "precision",
    "recall",
    "roc_auc",
]

#: Equal-width bins of the expected calibration error over [0, 1].
DEFAULT_BINS = 10
_NAN = math.nan


def _scored(c: Cells, name: str) -> tuple[float, float]:
    """The score range; raise when there are no records or no scores."""
    if c.n == 0:
        raise PerformanceInputError(f"{name} needs labelled records; there are none")
    scores = c.score_range
    if scores is None:
        raise PerformanceInputError(
            f"{name} needs a score column", hint="map the model's score at ingest (--score)"
        )
    return scores


def _probabilities(c: Cells, name: str) -> None:
    low, high = _scored(c, name)
    if low < 0 or high > 1:
        raise PerformanceInputError(
            f"{name} needs probabilities, but the scores lie in [{low:.6g}, {high:.6g}], "
            "outside [0, 1]",
            hint="map the predicted probability of the positive class as the score",
        )


def roc_auc(c: Cells) -> float:
    """Area under the ROC curve (``sklearn.metrics.roc_auc_score``, binary).

    The curve has one point per distinct score (ties form one step, a diagonal segment) and
    the area is the trapezoidal rule: the step of score ``k`` (highest first) adds
    ``neg_k / N * (TPR_{k-1} + TPR_k) / 2``, so the area is
    ``sum_k neg_k (2 TP_k - pos_k) / (2 P N)``. NaN when the labels hold one class only
    (scikit-learn 1.9 warns and returns NaN too).
    """
    _scored(c, "roc_auc")
    p, n, pairs = c.roc_sums
    if p == 0 or n == 0:
        return _NAN
    return pairs / (2 * p * n)


def average_precision(c: Cells) -> float:
    """Average precision (``sklearn.metrics.average_precision_score``), not interpolated.

    ``sum_k (R_k - R_{k-1}) P_k`` over the distinct scores, highest first, with the precision
    and recall of ``score >= threshold``: ``R_k - R_{k-1}`` is ``pos_k / P``, so the sum is
    ``sum_k pos_k P_k / P``. 0 without positives, as scikit-learn.
    """
    _scored(c, "average_precision")
    p, _, _, precision_sum = c.rank_sums
    if p == 0:
        return 0.0
    return max(0.0, precision_sum / p)


def _confusion(c: Cells, name: str) -> tuple[float, float, float, float]:
    """(tp, fp, tn, fn) of the decisions."""
    if c.n == 0:
        raise PerformanceInputError(f"{name} needs labelled records; there are none")
    if not c.decided:
        raise PerformanceInputError(
            f"{name} needs a decision: a prediction column or a score and a threshold"
        )
    return c.confusion


def _ratio0(a: float, b: float) -> float:
    """``a / b``, 0 when ``b`` is 0 (scikit-learn's ``zero_division`` default value)."""
    return a / b if b else 0.0


def accuracy(c: Cells) -> float:
    """Share of correct decisions (``accuracy_score``)."""
    tp, fp, tn, fn = _confusion(c, "accuracy")
    return (tp + tn) / (tp + fp + tn + fn)


def balanced_accuracy(c: Cells) -> float:
    """Mean recall of the classes present in the labels (``balanced_accuracy_score``)."""
    tp, fp, tn, fn = _confusion(c, "balanced_accuracy")
    recalls = [tp / (tp + fn)] if tp + fn else []
    if tn + fp:
        recalls.append(tn / (tn + fp))
    return sum(recalls) / len(recalls)


def precision(c: Cells) -> float:
    """TP / (TP + FP), 0 without positive decisions (``precision_score``)."""
    tp, fp, _, _ = _confusion(c, "precision")
    return _ratio0(tp, tp + fp)


def recall(c: Cells) -> float:
    """TP / (TP + FN), 0 without positive labels (``recall_score``)."""
    tp, _, _, fn = _confusion(c, "recall")
    return _ratio0(tp, tp + fn)


def f1(c: Cells) -> float:
    """2 TP / (2 TP + FP + FN), 0 when that is 0/0 (``f1_score``)."""
    tp, fp, _, fn = _confusion(c, "f1")
    return _ratio0(2 * tp, 2 * tp + fp + fn)


def log_loss(c: Cells) -> float:
    """Mean negative log-likelihood (``sklearn.metrics.log_loss``, natural log).

    As scikit-learn 1.9, the probabilities of each class, ``p`` and ``1 - p``, are clipped to
    ``[eps, 1 - eps]`` with ``eps`` the float64 machine epsilon (``numpy.finfo``;
    :attr:`Cells.log_likelihood`). Unlike scikit-learn it is also defined when the labels hold
    one class only.
    """
    _probabilities(c, "log_loss")
    return -c.log_likelihood / c.n


def brier_score(c: Cells) -> float:
    """Mean squared difference of probability and label (``brier_score_loss``)."""
    _probabilities(c, "brier_score")
    return c.squared_error / c.n


def calibration_bins(
    c: Cells, bins: int = DEFAULT_BINS
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """Per equal-width bin of the score: records, sum of labels, sum of scores.

    Bin ``b`` of ``bins`` holds the scores ``p`` with ``min(floor(p * bins), bins - 1) == b``:
    ``[0, 0.1), [0.1, 0.2), ..., [0.9, 1.0]`` for 10 bins (the last bin is closed).
    """
    _probabilities(c, "expected_calibration_error")
    if bins < 1:
        raise PerformanceInputError(f"bins must be at least 1, got {bins}")
    score, label, weight = c.samples
    index = np.minimum(np.floor(score * bins), bins - 1).astype(np.int64)
    w = np.ones(score.size) if weight is None else weight.astype(np.float64)
    n = np.bincount(index, weights=w, minlength=bins).astype(np.int64)
    labels = np.asarray(np.bincount(index, weights=w * label, minlength=bins), np.float64)
    scores = np.asarray(np.bincount(index, weights=w * score, minlength=bins), np.float64)
    return n, labels, scores


def expected_calibration_error(c: Cells, bins: int = DEFAULT_BINS) -> float:
    """Expected calibration error over equal-width bins (:func:`calibration_bins`).

    ``sum_b (n_b / n) |mean label_b - mean score_b|``, empty bins contributing nothing.
    scikit-learn has no ECE; the tests pin it against a direct numpy computation.
    """
    _, labels, scores = calibration_bins(c, bins)
    return float(np.sum(np.abs(labels - scores)) / c.n)
