"""Performance metrics from DuckDB cells, side by side with scikit-learn on the same rows.

Every number must equal scikit-learn's to 1e-9: on generated data (tied scores, imbalanced
labels, one-class windows, string and boolean labels) and on real data sets shipped in
scikit-learn's wheel (breast cancer with a logistic regression's probability, diabetes with a
linear regression). Warnings are errors (pyproject): scikit-learn calls that warn are wrapped.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from govern.metrics.performance import (
    METRICS,
    Cells,
    PerformanceInputError,
    calibration_bins,
    classification_cells,
    metric_named,
    regression_cells,
)

TOL = 1e-9

#: scikit-learn's function for each classification metric: (y_true, score, decision) -> value
SKLEARN: dict[str, Callable[[Any, Any, Any], float]] = {
    "roc_auc": lambda y, s, d: skm.roc_auc_score(y, s),
    "average_precision": lambda y, s, d: skm.average_precision_score(y, s),
    "accuracy": lambda y, s, d: skm.accuracy_score(y, d),
    "balanced_accuracy": lambda y, s, d: skm.balanced_accuracy_score(y, d),
    "precision": lambda y, s, d: skm.precision_score(y, d, zero_division=0.0),
    "recall": lambda y, s, d: skm.recall_score(y, d, zero_division=0.0),
    "f1": lambda y, s, d: skm.f1_score(y, d, zero_division=0.0),
    "log_loss": lambda y, s, d: skm.log_loss(y, s, labels=[0, 1]),
    "brier_score": lambda y, s, d: skm.brier_score_loss(y, s, labels=[0, 1]),
}
REGRESSION: dict[str, Callable[[Any, Any], float]] = {
    "mae": skm.mean_absolute_error,
    "rmse": skm.root_mean_squared_error,
    "r2": skm.r2_score,
    "mape": skm.mean_absolute_percentage_error,
}


def _sklearn(fn: Callable[..., float], *args: Any) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(fn(*args))


def _relation(frame: pd.DataFrame) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.register("frame", frame)
    con.execute("CREATE TABLE rows AS SELECT * FROM frame")
    return con


def _cells(
    y: Sequence[Any], score: Sequence[float], threshold: float = 0.5, pos_label: Any = 1
) -> Cells:
    con = _relation(pd.DataFrame({"__label": y, "__score": score}))
    return classification_cells(con, "rows", threshold=threshold, pos_label=pos_label)


def _compare(y: np.ndarray, score: np.ndarray, threshold: float = 0.5) -> None:
    cells = _cells(list(y), list(score), threshold)
    decision = (score >= threshold).astype(int)
    for name, reference in SKLEARN.items():
        got = METRICS[name].compute(cells)
        if name == "roc_auc" and len(set(y.tolist())) < 2:
            # scikit-learn 1.9 warns and returns NaN: undefined with one class
            assert math.isnan(got), name
            assert math.isnan(_sklearn(reference, y, score, decision)), name
            continue
        want = _sklearn(reference, y, score, decision)
        assert got == pytest.approx(want, abs=TOL, rel=0), name


def _generated(seed: int, n: int, base_rate: float, decimals: int | None) -> tuple[Any, Any]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < base_rate).astype(int)
    score = np.clip(rng.normal(0.35 + 0.3 * y, 0.2), 0, 1)
    if decimals is not None:
        score = np.round(score, decimals)  # many ties
    return y, score


@pytest.mark.parametrize(
    ("seed", "n", "base_rate", "decimals"),
    [
        (0, 5000, 0.4, None),  # continuous scores
        (1, 5000, 0.4, 1),  # eleven distinct scores: ties everywhere
        (2, 5000, 0.4, 2),
        (3, 20000, 0.01, 2),  # imbalanced: 1% positives
        (4, 3000, 0.97, 1),  # imbalanced the other way
        (5, 50, 0.5, 0),  # scores 0 and 1 only: log loss clips
    ],
)
def test_generated_classification_equals_sklearn(
    seed: int, n: int, base_rate: float, decimals: int | None
) -> None:
    y, score = _generated(seed, n, base_rate, decimals)
    _compare(y, score)
    _compare(y, score, threshold=0.3)


@pytest.mark.parametrize("label", [0, 1])
def test_one_class_window_equals_sklearn(label: int) -> None:
    """All labels one class: AUC undefined (NaN), every other metric scikit-learn's value."""
    _, score = _generated(7, 400, 0.5, 2)
    y = np.full(400, label)
    _compare(y, score)
    cells = _cells(list(y), list(score))
    assert math.isnan(METRICS["roc_auc"].compute(cells))
    # all negative: 0 (scikit-learn sets recall to 1 and precision is 0); all positive: 1
    assert METRICS["average_precision"].compute(cells) == float(label)


def test_ties_are_one_cell_each() -> None:
    """Eleven distinct scores, two labels, one threshold: at most 22 cells for 5000 rows."""
    y, score = _generated(1, 5000, 0.4, 1)
    cells = _cells(list(y), list(score))
    assert cells.n == 5000
    assert len(cells.count) <= 22


def test_breast_cancer_equals_sklearn() -> None:
    """A real data set from scikit-learn's wheel, scored by a logistic regression."""
    data = load_breast_cancer()
    x, y = data.data, data.target
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(x[::2], y[::2])
    score = model.predict_proba(x[1::2])[:, 1]
    _compare(y[1::2], score)
    _compare(y[1::2], np.round(score, 2), threshold=0.7)


def test_prediction_column_is_the_decision() -> None:
    """With a prediction column, accuracy and f1 judge it, not the score."""
    y, score = _generated(8, 1000, 0.3, None)
    decision = (np.random.default_rng(9).random(1000) < 0.5).astype(int)
    con = _relation(pd.DataFrame({"__label": y, "__score": score, "__prediction": decision}))
    cells = classification_cells(con, "rows", prediction="__prediction")
    for name in ("accuracy", "balanced_accuracy", "precision", "recall", "f1"):
        want = _sklearn(SKLEARN[name], y, score, decision)
        assert METRICS[name].compute(cells) == pytest.approx(want, abs=TOL), name


def test_string_and_boolean_labels() -> None:
    """pos_label names the positive class of text labels; True counts as 1."""
    y, score = _generated(10, 800, 0.4, 2)
    words = ["yes" if v else "no" for v in y]
    text = _cells(words, list(score), pos_label="yes")
    flags = _cells([bool(v) for v in y], list(score))
    want = _sklearn(skm.roc_auc_score, y, score)
    assert METRICS["roc_auc"].compute(text) == pytest.approx(want, abs=TOL)
    assert METRICS["roc_auc"].compute(flags) == pytest.approx(want, abs=TOL)
    flipped = _cells(words, list(score), pos_label="no")
    assert METRICS["roc_auc"].compute(flipped) == pytest.approx(1 - want, abs=TOL)


def _ece_reference(y: np.ndarray, p: np.ndarray, bins: int) -> float:
    """ECE written out row by row: bin b holds b/bins <= p < (b+1)/bins (the last one closed)."""
    total = 0.0
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        inside = (p >= low) & ((p < high) if b < bins - 1 else (p <= high))
        if inside.any():
            total += inside.sum() / len(p) * abs(y[inside].mean() - p[inside].mean())
    return total


@pytest.mark.parametrize("bins", [1, 5, 10, 15])
@pytest.mark.parametrize("decimals", [None, 1, 2])
def test_expected_calibration_error_equals_numpy_reference(bins: int, decimals: int | None) -> None:
    y, score = _generated(11, 4000, 0.35, decimals)
    cells = _cells(list(y), list(score))
    got = float(np.sum(np.abs(np.subtract(*calibration_bins(cells, bins)[1:]))) / cells.n)
    assert got == pytest.approx(_ece_reference(y, score, bins), abs=TOL)
    if bins == 10:
        assert METRICS["expected_calibration_error"].compute(cells) == pytest.approx(
            _ece_reference(y, score, 10), abs=TOL
        )


def test_calibration_bins_count_every_row() -> None:
    y, score = _generated(12, 1000, 0.5, 1)
    n, labels, scores = calibration_bins(_cells(list(y), list(score)), 10)
    assert int(n.sum()) == 1000
    assert float(labels.sum()) == pytest.approx(float(y.sum()))
    assert float(scores.sum()) == pytest.approx(float(score.sum()))
    assert int(n[9]) == int(np.sum(score >= 0.9))  # 1.0 is in the last bin


def _regression(y: Sequence[float], pred: Sequence[float]) -> Cells:
    con = _relation(pd.DataFrame({"__label": y, "__prediction": pred}))
    return regression_cells(con, "rows")


def _compare_regression(y: np.ndarray, pred: np.ndarray) -> None:
    cells = _regression(list(y), list(pred))
    for name, reference in REGRESSION.items():
        want = _sklearn(reference, y, pred)
        assert METRICS[name].compute(cells) == pytest.approx(want, abs=TOL, rel=1e-12), name


def test_diabetes_regression_equals_sklearn() -> None:
    data = load_diabetes()
    model = LinearRegression().fit(data.data[::2], data.target[::2])
    _compare_regression(data.target[1::2], model.predict(data.data[1::2]))


def test_generated_regression_with_ties_and_zero_targets() -> None:
    rng = np.random.default_rng(13)
    y = np.round(rng.normal(10, 5, 3000), 0)  # ties, and some targets are 0
    pred = np.round(y + rng.normal(0, 2, 3000), 1)
    assert (y == 0).any()
    _compare_regression(y, pred)


def test_regression_constant_targets() -> None:
    """Constant targets: r2 is 1.0 for a perfect prediction and 0.0 otherwise (force_finite)."""
    y = np.full(10, 3.0)
    _compare_regression(y, y.copy())
    _compare_regression(y, y + np.arange(10) / 10)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 1), st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0])),
        min_size=2,
        max_size=60,
    )
)
def test_ranking_metrics_property(rows: list[tuple[int, float]]) -> None:
    """Any small sample with heavy ties: AUC and AP equal scikit-learn's."""
    y = np.array([r[0] for r in rows])
    score = np.array([r[1] for r in rows])
    cells = _cells(list(y), list(score))
    if len(set(y.tolist())) == 2:
        want = _sklearn(skm.roc_auc_score, y, score)
        assert METRICS["roc_auc"].compute(cells) == pytest.approx(want, abs=TOL)
    want_ap = _sklearn(skm.average_precision_score, y, score)
    assert METRICS["average_precision"].compute(cells) == pytest.approx(want_ap, abs=TOL)


# -- refusals ---------------------------------------------------------------------------------


def test_labels_not_binary_are_refused() -> None:
    with pytest.raises(PerformanceInputError, match="not binary"):
        _cells([0, 1, 2, 1], [0.1, 0.2, 0.3, 0.4])


def test_pos_label_not_present_is_refused() -> None:
    with pytest.raises(PerformanceInputError, match="pos_label 'yes'"):
        _cells(["a", "b"], [0.1, 0.2], pos_label="yes")


def test_scores_outside_unit_interval_refused_for_probabilities() -> None:
    cells = _cells([0, 1, 0, 1], [-0.5, 1.5, 0.2, 0.8])
    for name in ("log_loss", "brier_score", "expected_calibration_error"):
        with pytest.raises(PerformanceInputError, match=r"outside \[0, 1\]"):
            METRICS[name].compute(cells)
    assert METRICS["roc_auc"].compute(cells) == 1.0  # ranking needs no probability


def test_unscored_labelled_records_refused() -> None:
    with pytest.raises(PerformanceInputError, match="1 of 3 labelled records have no score"):
        _cells([0, 1, 1], [0.1, None, 0.8])


def test_unlabelled_records_are_left_out() -> None:
    cells = _cells([0, None, 1, float("nan")], [0.1, 0.9, 0.8, 0.2])
    assert cells.n == 2
    assert METRICS["roc_auc"].compute(cells) == 1.0


def test_no_labels_refused() -> None:
    with pytest.raises(PerformanceInputError, match="no record has a label"):
        _cells([None, None], [0.1, 0.2])


def test_regression_on_class_labels_refused() -> None:
    with pytest.raises(PerformanceInputError, match="class labels"):
        _regression([0, 1, 1, 0], [0.2, 0.7, 0.9, 0.1])
    con = _relation(pd.DataFrame({"__label": ["a", "b", "c"], "__prediction": [1.0, 2.0, 3.0]}))
    with pytest.raises(PerformanceInputError, match="class labels"):
        regression_cells(con, "rows")


def test_unknown_metric_named() -> None:
    with pytest.raises(PerformanceInputError, match="unknown performance metric 'auc'"):
        metric_named("auc")
    assert metric_named("roc_auc").greater_is_better
    assert not metric_named("log_loss").greater_is_better


def test_cells_by_group_equal_sklearn_per_group() -> None:
    """A group column splits the cells; each group's metric is scikit-learn's on its rows."""
    y, score = _generated(14, 3000, 0.4, 2)
    rng = np.random.default_rng(15)
    group = rng.choice(["a", "b", None], 3000, p=[0.5, 0.4, 0.1])
    con = _relation(pd.DataFrame({"__label": y, "__score": score, "g": group}))
    cells = classification_cells(con, "rows", threshold=0.5, group="g")
    whole = classification_cells(con, "rows", threshold=0.5)
    assert METRICS["roc_auc"].compute(cells) == pytest.approx(
        METRICS["roc_auc"].compute(whole), abs=1e-12
    )
    parts = dict(cells.by_group())
    assert sorted(parts) == ["(missing)", "a", "b"]
    for name, part in parts.items():
        inside = np.array([g is None for g in group]) if name == "(missing)" else group == name
        assert part.n == int(inside.sum())
        for metric in ("roc_auc", "f1", "log_loss"):
            want = _sklearn(SKLEARN[metric], y[inside], score[inside], score[inside] >= 0.5)
            assert METRICS[metric].compute(part) == pytest.approx(want, abs=TOL), (name, metric)
    assert whole.by_group() == []
