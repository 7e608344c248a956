"""Rows kept as sorted keys (:class:`SortedRows`) give every statistic the cells would give.

With many distinct scores in [0, 2), :func:`classification_cells` keeps the labelled rows as
sorted 64-bit keys and computes the ranking sums, confusion counts and per-record samples
straight from them; the cells themselves are built only when asked for. Here each statistic
is pinned to the same statistic of those cells (the general arithmetic), and to scikit-learn,
on data chosen for the awkward cases: runs of tied scores at both ends and side by side, runs
of one class only, one-class labels and rows without a decision. A second part pins the
label handling of the path that reads these rows (boolean, float and pending labels, a third
label value, scores missing) to the general path's.
"""

from __future__ import annotations

import warnings
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm

from govern.metrics.performance import (
    METRICS,
    Cells,
    PerformanceInputError,
    SortedRows,
    bootstrap_interval,
    calibration_bins,
    classification_cells,
)
from govern.metrics.performance import reading as reading_module
from govern.metrics.performance import sorted_rows as rows_module


def _rows(score: np.ndarray, y: np.ndarray, decided: bool = True) -> SortedRows:
    """The rows as sorted keys (score bits, then label and decision)."""
    d = (score >= 0.5).astype(np.int8) if decided else np.zeros(score.size, dtype=np.int8)
    code = y.astype(np.int8) * 2 + d
    keys = np.add(score, 0.0).view(np.uint64) << np.uint64(2)
    keys |= code.view(np.uint8).astype(np.uint64)
    keys.sort()
    return SortedRows(keys, decided)


def _awkward(seed: int, n: int = 3_000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.35).astype(np.int64)
    score = rng.random(n)
    score[:200] = 0.0  # a tied run at the bottom, both classes
    score[200:260] = 1.0  # and at the top
    score[260:300] = 0.25  # two tied runs side by side in key order
    score[300:330] = np.nextafter(0.25, 1.0)
    score[330:360] = 0.75
    y[330:360] = 1  # a run of positives only
    score[360:390] = 0.6
    y[360:390] = 0  # and of negatives only
    score[390:1_400] = np.round(score[390:1_400], 2)  # many short runs
    return score, y


CASES = {
    "awkward": _awkward(1),
    "no ties": (
        np.random.default_rng(2).random(2_000),
        np.random.default_rng(3).random(2_000) < 0.3,
    ),
    "one class": (np.random.default_rng(4).random(500), np.zeros(500, dtype=np.int64)),
    "all tied": (np.full(300, 0.5), np.arange(300) % 3 == 0),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("decided", [True, False], ids=["decided", "no decision"])
@pytest.mark.parametrize("chunk", [7, 1 << 15], ids=["short steps", "default steps"])
def test_statistics_equal_those_of_the_cells(
    monkeypatch: pytest.MonkeyPatch, case: str, decided: bool, chunk: int
) -> None:
    monkeypatch.setattr(rows_module, "_CHUNK", chunk)
    score, y = CASES[case]
    rows = _rows(score, np.asarray(y, dtype=np.int64), decided)
    cells = Cells(*rows.cells())
    assert cells.size < rows.size or case in ("no ties", "one class")
    assert rows.n == cells.n == score.size
    assert rows.decided is cells.decided is decided
    assert rows.score_range == cells.score_range
    p, n, pairs, precision = rows.rank_sums
    want = cells.rank_sums
    assert (p, n, pairs) == want[:3]  # counts: exact
    assert precision == pytest.approx(want[3], rel=1e-12, abs=1e-12)
    if decided:
        assert rows.confusion == cells.confusion
    else:
        assert all(np.isnan(rows.confusion))
    for name in ("roc_auc", "average_precision", "log_loss", "brier_score"):
        got, ref = METRICS[name].compute(rows), METRICS[name].compute(cells)
        assert got == pytest.approx(ref, rel=1e-12, abs=1e-12, nan_ok=True), name
    for got, ref in zip(calibration_bins(rows), calibration_bins(cells), strict=True):
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", ["awkward", "no ties"])
def test_ranking_equals_sklearn(case: str) -> None:
    score, y = CASES[case]
    rows = _rows(score, np.asarray(y, dtype=np.int64))
    assert METRICS["roc_auc"].compute(rows) == pytest.approx(skm.roc_auc_score(y, score), abs=1e-12)
    assert METRICS["average_precision"].compute(rows) == pytest.approx(
        skm.average_precision_score(y, score), abs=1e-12
    )
    d = score >= 0.5
    assert METRICS["f1"].compute(rows) == pytest.approx(skm.f1_score(y, d), abs=1e-12)
    assert METRICS["log_loss"].compute(rows) == pytest.approx(skm.log_loss(y, score), abs=1e-12)


def test_one_class_gives_nan_auc_and_zero_precision() -> None:
    score, y = CASES["one class"]
    rows = _rows(score, np.asarray(y, dtype=np.int64))
    assert np.isnan(METRICS["roc_auc"].compute(rows))
    assert METRICS["average_precision"].compute(rows) == 0.0


def test_bootstrap_resamples_the_built_cells() -> None:
    score, y = CASES["awkward"]
    rows = _rows(score, np.asarray(y, dtype=np.int64))
    resample = rows.with_counts(rows.count * 2)
    assert not isinstance(resample, SortedRows)
    assert resample.n == 2 * rows.n
    assert METRICS["roc_auc"].compute(resample) == pytest.approx(METRICS["roc_auc"].compute(rows))


# -- the path that reads the rows: labels as the general path treats them -----------------------


def _con(frame: pd.DataFrame) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.register("frame", frame)
    con.execute("CREATE TABLE rows AS SELECT * FROM frame")
    return con


def _general(monkeypatch: pytest.MonkeyPatch, con: Any, **kwargs: Any) -> Cells:
    monkeypatch.setattr(reading_module, "_fetched_rows", lambda *a, **k: None)
    try:
        return classification_cells(con, "rows", **kwargs)
    finally:
        monkeypatch.undo()


def _frame(label: Any, n: int = 5_000, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"__label": label, "__score": rng.random(n)})


def _labels(kind: str, n: int = 5_000) -> Any:
    ones = np.random.default_rng(6).random(n) < 0.4
    if kind == "boolean":
        return ones
    if kind == "float with pending":
        out = ones.astype(np.float64)
        out[::7] = np.nan  # pending: not yet labelled
        return out
    if kind == "nullable integer with pending":
        return pd.array(np.where(np.arange(n) % 5 == 0, None, ones.astype(int)), dtype="Int64")
    if kind == "-1 and 1":
        return np.where(ones, 1, -1)
    return ones.astype(np.int64)


KINDS = ["integer", "boolean", "float with pending", "nullable integer with pending", "-1 and 1"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("spread", ["many scores", "few scores, large log"])
def test_label_types_give_the_general_paths_cells(
    monkeypatch: pytest.MonkeyPatch, kind: str, spread: str
) -> None:
    frame = _frame(_labels(kind))
    con = _con(frame)
    if spread != "many scores":  # a large log of few scores: grouped by DuckDB
        con.execute("UPDATE rows SET __score = round(__score, 2)")
        monkeypatch.setattr(reading_module, "_FETCH", 100)
    fast = classification_cells(con, "rows", threshold=0.5)
    slow = _general(monkeypatch, con, threshold=0.5)
    assert isinstance(fast, SortedRows) == (spread == "many scores")
    for got, want in zip(
        (fast.score, fast.label, fast.decision, fast.count),
        (slow.score, slow.label, slow.decision, slow.count),
        strict=True,
    ):
        np.testing.assert_array_equal(got, want)
    labelled = con.execute("SELECT * FROM rows WHERE NOT isnan(__label::DOUBLE)").df()
    y = labelled["__label"].to_numpy(dtype=float) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want_auc = skm.roc_auc_score(y, labelled["__score"].to_numpy(dtype=float))
    assert METRICS["roc_auc"].compute(fast) == pytest.approx(want_auc, abs=1e-12)


@pytest.mark.parametrize("spread", ["many scores", "few scores, large log"])
@pytest.mark.parametrize(
    ("label", "pos_label", "message"),
    [
        (np.arange(5_000) % 3, 1, "not binary"),  # 0, 1, 2: min and max alone cannot tell
        (np.arange(5_000) % 2, 2, r"pos_label 2 is not one of the values \[0, 1\]"),
        (np.full(5_000, 3), 1, None),  # one value, not positive: every record negative
    ],
    ids=["three values", "pos_label absent", "one negative value"],
)
def test_label_errors_are_the_general_paths(
    monkeypatch: pytest.MonkeyPatch, spread: str, label: Any, pos_label: int, message: str | None
) -> None:
    con = _con(_frame(label))
    if spread != "many scores":
        con.execute("UPDATE rows SET __score = round(__score, 2)")
        monkeypatch.setattr(reading_module, "_FETCH", 100)
    if message is None:
        cells = classification_cells(con, "rows", threshold=0.5, pos_label=pos_label)
        assert cells.n == 5_000 and cells.confusion[0] == 0  # no true positive
        assert METRICS["average_precision"].compute(cells) == 0.0
        return
    with pytest.raises(PerformanceInputError, match=message):
        classification_cells(con, "rows", threshold=0.5, pos_label=pos_label)


@pytest.mark.parametrize("spread", ["many scores", "few scores, large log"])
def test_missing_scores_are_refused_with_their_count(
    monkeypatch: pytest.MonkeyPatch, spread: str
) -> None:
    frame = _frame(_labels("integer"))
    frame.loc[:9, "__score"] = np.nan
    frame["__score"] = frame["__score"].astype("Float64")
    frame.loc[10:12, "__score"] = None  # NULL as well as NaN
    con = _con(frame)
    if spread != "many scores":
        con.execute("UPDATE rows SET __score = round(__score, 2)")
        monkeypatch.setattr(reading_module, "_FETCH", 100)
    with pytest.raises(PerformanceInputError, match="13 of 5000 labelled records have no score"):
        classification_cells(con, "rows", threshold=0.5)


def test_no_label_at_all_is_refused() -> None:
    con = _con(_frame(np.full(5_000, np.nan)))
    with pytest.raises(PerformanceInputError, match="no record has a label"):
        classification_cells(con, "rows", threshold=0.5)


@pytest.mark.parametrize("chunk", [1, 2, 7, 64])
def test_tied_runs_across_step_boundaries(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    """A pass takes the rows in steps; runs of tied scores that cross a step's end (or start
    one, or end one) give the counts exactly, and the precision sum to rounding."""
    score, y = CASES["awkward"]
    labels = np.asarray(y, dtype=np.int64)
    want = Cells(*_rows(score, labels).cells())
    monkeypatch.setattr(rows_module, "_CHUNK", chunk)
    rows = _rows(score, labels)
    p, n, pairs, precision = rows.rank_sums
    assert (p, n, pairs) == want.rank_sums[:3]
    assert precision == pytest.approx(want.rank_sums[3], rel=1e-12)
    assert rows.confusion == want.confusion
    assert rows.log_likelihood == pytest.approx(want.log_likelihood, rel=1e-12)
    assert rows.squared_error == pytest.approx(want.squared_error, rel=1e-12)


def test_bootstrap_of_distinct_scores_equals_a_row_bootstrap_with_sklearn() -> None:
    """With about a cell per row, the bootstrap draws rows: each replicate is scikit-learn's
    roc_auc of the same rows drawn with replacement (rows in cell order), to 1e-12."""
    rng = np.random.default_rng(11)
    n = 4_000
    y = (rng.random(n) < 0.3).astype(np.int64)
    score = np.clip(rng.normal(0.4 + 0.2 * y, 0.2), 0.0, 1.0)  # ties at 0 and 1 only
    con = _con(pd.DataFrame({"__label": y, "__score": score}))
    cells = classification_cells(con, "rows", threshold=0.5)
    assert isinstance(cells, SortedRows)
    built = cells.built
    assert built.size * 8 > built.n  # the row-drawing path
    rows_y = np.repeat(built.label, built.count)
    rows_s = np.repeat(built.score, built.count)
    draw = np.random.default_rng(3)
    want = []
    for _ in range(40):
        drawn = draw.integers(0, n, n)
        want.append(skm.roc_auc_score(rows_y[drawn], rows_s[drawn]))
    low, high = np.quantile(want, [0.025, 0.975])
    got = bootstrap_interval(cells, METRICS["roc_auc"].compute, n_boot=40, seed=3)
    assert got == pytest.approx((low, high), abs=1e-12)


def _by_score(cells: Cells) -> tuple[float, float, float]:
    pos, neg, tps, _ = cells.ranked
    return float(pos.sum()), float(neg.sum()), float(np.dot(neg, 2 * tps - pos))


@pytest.mark.parametrize("case", list(CASES))
def test_pair_count_of_ordered_cells_equals_the_sum_by_distinct_score(case: str) -> None:
    """Cells in score order count pairs in whole numbers with a correction per tied run; the
    counts equal the sum over distinct scores exactly, for the cells and a resample of them
    (zero counts too, as a bootstrap draws them)."""
    score, y = CASES[case]
    cells = Cells(*_rows(score, np.asarray(y, dtype=np.int64)).cells())
    assert cells.roc_sums == _by_score(cells)
    resample = cells.with_counts(np.random.default_rng(1).integers(0, 3, cells.size))
    assert resample.tied_runs is cells.tied_runs  # worked out once
    assert resample.roc_sums == _by_score(resample)
    assert (cells.tied_runs is None) == (case in ("no ties", "one class"))


def test_pair_count_does_not_depend_on_the_order_inside_a_tied_run() -> None:
    """Cells sharing a score count their pairs once, tied, whichever comes first."""
    for labels in ([1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0], [1.0, 1.0, 0.0, 0.0]):
        cells = Cells(
            score=np.array([0.2, 0.5, 0.5, 0.7]),
            label=np.array(labels),
            decision=np.full(4, np.nan),
            count=np.array([3, 2, 5, 1], dtype=np.int64),
        )
        assert cells.roc_sums == _by_score(cells), labels
        y = np.repeat(labels, cells.count)
        s = np.repeat(cells.score, cells.count)
        assert METRICS["roc_auc"].compute(cells) == pytest.approx(skm.roc_auc_score(y, s))
