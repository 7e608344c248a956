"""The two ways of building cells give the same cells, and the shared per-score sums are exact.

With mostly distinct scores, :func:`classification_cells` sorts the fetched rows in numpy
instead of a DuckDB ``GROUP BY``; both must give the same cells in the same order (score,
label, decision), so every metric is the same number either way.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
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
    classification_cells,
)
from govern.metrics.performance import reading as reading_module


def _con(frame: pd.DataFrame) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.register("frame", frame)
    con.execute("CREATE TABLE rows AS SELECT * FROM frame")
    return con


def _both(
    monkeypatch: pytest.MonkeyPatch, frame: pd.DataFrame, **kwargs: Any
) -> tuple[Cells, Cells]:
    """(numpy-sorted cells, GROUP BY cells) of the same rows."""
    con = _con(frame)
    sorted_cells = classification_cells(con, "rows", **kwargs)
    monkeypatch.setattr(reading_module, "_MANY", 10**9)
    monkeypatch.setattr(reading_module, "_FETCH", 0)
    grouped = classification_cells(con, "rows", **kwargs)
    monkeypatch.undo()
    return sorted_cells, grouped


def _frame(seed: int, n: int = 12_000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    score = rng.normal(0.2 * y, 1.0)  # not probabilities: negative scores too
    score[: n // 3] = np.round(score[: n // 3], 1)  # a third tied on a coarse grid
    prediction = (rng.random(n) < 0.5).astype(int)
    return pd.DataFrame({"__label": y, "__score": score, "pred": prediction})


@pytest.mark.parametrize(
    "kwargs",
    [{"threshold": 0.1}, {"prediction": "pred"}, {}],
    ids=["threshold", "prediction", "no decision"],
)
def test_sorted_cells_equal_group_by_cells(
    monkeypatch: pytest.MonkeyPatch, kwargs: dict[str, Any]
) -> None:
    fast, slow = _both(monkeypatch, _frame(1), **kwargs)
    assert fast.score.size > 2_000  # the numpy path ran: many distinct scores
    assert len(fast.count) == len(slow.count) < 12_000  # ties merged into cells
    np.testing.assert_array_equal(fast.score, slow.score)
    np.testing.assert_array_equal(fast.label, slow.label)
    np.testing.assert_array_equal(fast.decision, slow.decision)
    np.testing.assert_array_equal(fast.count, slow.count)
    names = ["roc_auc", "average_precision"] + (["accuracy", "f1"] if kwargs else [])
    for name in names:
        assert METRICS[name].compute(fast) == METRICS[name].compute(slow), name


def test_ranking_metrics_equal_sklearn_on_unscaled_scores(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = _frame(2)
    fast, slow = _both(monkeypatch, frame, threshold=0.0)
    y, s = frame["__label"].to_numpy(), frame["__score"].to_numpy()
    for cells in (fast, slow):
        assert METRICS["roc_auc"].compute(cells) == pytest.approx(
            skm.roc_auc_score(y, s), abs=1e-12
        )
        assert METRICS["average_precision"].compute(cells) == pytest.approx(
            skm.average_precision_score(y, s), abs=1e-12
        )


def test_grouped_cells_are_sorted_for_the_ranking_metrics() -> None:
    """Cells split by a group are sorted by group first; the per-score sums still hold."""
    frame = _frame(3, 4_000)
    frame["g"] = np.where(np.arange(4_000) % 3 == 0, "a", "b")
    con = _con(frame)
    grouped = classification_cells(con, "rows", threshold=0.0, group="g")
    assert np.any(grouped.score[1:] < grouped.score[:-1])  # not sorted by score
    y, s = frame["__label"].to_numpy(), frame["__score"].to_numpy()
    assert METRICS["roc_auc"].compute(grouped) == pytest.approx(skm.roc_auc_score(y, s), abs=1e-12)


def test_bootstrap_with_empty_top_cells_stays_finite() -> None:
    """A resample that leaves the highest scores empty has a precision there of 0/0."""
    cells = Cells(
        score=np.array([0.1, 0.2, 0.8, 0.9]),
        label=np.array([0.0, 1.0, 0.0, 1.0]),
        decision=np.array([0.0, 0.0, 1.0, 1.0]),
        count=np.array([3, 2, 0, 0], dtype=np.int64),
    )
    # ranked highest first: scores 0.9 and 0.8 hold no row; 0.2 holds 2 positives, 0.1 none
    assert METRICS["average_precision"].compute(cells) == 1.0
    assert METRICS["roc_auc"].compute(cells) == 1.0
    low, high = bootstrap_interval(
        cells.with_counts(np.array([30, 20, 5, 5], dtype=np.int64)),
        METRICS["average_precision"].compute,
        n_boot=50,
    )
    assert 0 < low <= high <= 1


@pytest.mark.parametrize(
    "kwargs",
    [{"threshold": 0.5}, {"prediction": "pred"}, {}],
    ids=["threshold", "prediction", "no decision"],
)
def test_packed_key_cells_equal_group_by_cells(
    monkeypatch: pytest.MonkeyPatch, kwargs: dict[str, Any]
) -> None:
    """Scores in [0, 2) sort as 64-bit keys (bits, class); the cells are the GROUP BY's."""
    frame = _frame(4)
    rng = np.random.default_rng(4)
    score = rng.random(len(frame))
    score[:3000] = np.round(score[:3000], 2)  # ties
    score[3000:3100] = 0.0
    score[3100:3150] = -0.0  # the same score as 0.0: one cell with it
    score[3150:3200] = 1.0
    score[3200:3210] = np.nextafter(2.0, 0.0)  # the largest double below 2
    frame["__score"] = score
    calls: list[bool] = []
    packed = reading_module._packed_rows

    def spy(*args: Any) -> Cells | None:
        got = packed(*args)
        calls.append(got is not None)
        return got

    monkeypatch.setattr(reading_module, "_packed_rows", spy)
    fast, slow = _both(monkeypatch, frame, **kwargs)
    assert calls == [True]
    np.testing.assert_array_equal(fast.score, slow.score)
    np.testing.assert_array_equal(fast.label, slow.label)
    np.testing.assert_array_equal(fast.decision, slow.decision)
    np.testing.assert_array_equal(fast.count, slow.count)
    y = frame["__label"].to_numpy()
    for name, reference in (
        ("roc_auc", skm.roc_auc_score),
        ("average_precision", skm.average_precision_score),
    ):
        assert METRICS[name].compute(fast) == pytest.approx(reference(y, score), abs=1e-12)


def test_scores_outside_zero_to_two_take_the_general_path() -> None:
    zeros = np.zeros(3, dtype=np.int8)
    for given in ([0.1, 2.0, 0.5], [0.1, -0.5, 0.5]):
        s = np.array(given)
        assert reading_module._packed_rows(s, zeros, False) is None
        np.testing.assert_array_equal(s, given)  # untouched: the general path reads them


def test_packed_keys_take_the_scores_memory() -> None:
    """The keys are made in the fetched scores' own array: no second array as large."""
    s = np.array([0.75, 0.25, 0.5] * 1_000) + np.arange(3_000) * 1e-9
    code = np.tile(np.array([2, 0, 3], dtype=np.int8), 1_000)
    rows = reading_module._packed_rows(s, code, True)
    assert isinstance(rows, SortedRows)
    assert np.shares_memory(rows.keys, s)
    assert rows.confusion == (1_000.0, 0.0, 1_000.0, 1_000.0)


def test_null_scores_of_fetched_rows_are_refused() -> None:
    """A NULL score comes from DuckDB as a masked array: counted as missing, as NaN is."""
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE rows AS SELECT * FROM (VALUES (0, 0.1), (1, NULL), (1, 'NaN'::DOUBLE), "
        "(0, 0.4)) AS t(__label, __score)"
    )
    with pytest.raises(PerformanceInputError, match="2 of 4 labelled records have no score"):
        classification_cells(con, "rows")


def test_fetched_rows_without_nulls_leave_numpy_ma_unimported(tmp_path: Path) -> None:
    """numpy imports ``numpy.ma`` on first use (about 10 ms): a log without NULL scores
    must not pay for it, so the masked array is told apart by its type, not ``np.ma``."""
    code = (
        "import sys, duckdb\n"
        "from govern.metrics.performance import METRICS, classification_cells\n"
        "con = duckdb.connect()\n"
        "con.execute('CREATE TABLE rows AS SELECT (i % 3 = 0)::INT AS __label, "
        "random() AS __score FROM range(50000) t(i)')\n"
        "cells = classification_cells(con, 'rows', threshold=0.5)\n"
        "print(METRICS['roc_auc'].compute(cells), 'numpy.ma' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    auc, imported = done.stdout.split()
    assert 0.0 <= float(auc) <= 1.0
    assert imported == "False"
