"""Drift over many columns at once: the grid pass, binned vs exact ECDFs, parallel cursors.

The binned ``ks``/``wasserstein`` are checked against SciPy on large generated data: the
reported statistic is a lower bound and the exact value lies within ``error_bound`` above it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import scipy.stats as sst

from govern.metrics import drift as drift_module
from govern.metrics.drift import (
    BINNED_MAX_ERROR,
    EXACT_MAX_N,
    DriftResult,
    column_drift,
    dataset_drift,
)

TOL = 1e-9


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    yield c
    c.close()


def tables(con: duckdb.DuckDBPyConnection, ref: pd.DataFrame, cur: pd.DataFrame) -> None:
    """Catalog tables ``ref``/``cur`` (visible to cursors: the parallel path)."""
    con.register("ref_df", ref)
    con.register("cur_df", cur)
    con.execute("CREATE OR REPLACE TABLE ref AS SELECT * FROM ref_df")
    con.execute("CREATE OR REPLACE TABLE cur AS SELECT * FROM cur_df")
    con.unregister("ref_df")
    con.unregister("cur_df")


def scipy_w(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> float:
    return float(sst.wasserstein_distance(a, b) / max(float(np.std(a)), 0.001))


def check_bound(got: DriftResult, exact: float) -> None:
    """The binned statistic is a lower bound, the exact one within error_bound above it."""
    assert got.statistic is not None
    bound = float(got.details["error_bound"])
    slack = 1e-12 + 1e-9 * abs(exact)
    assert got.statistic - slack <= exact <= got.statistic + bound + slack, (
        got.statistic,
        exact,
        bound,
    )


def numeric_pairs(
    n: int, seed: int
) -> dict[str, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]]:
    rng = np.random.default_rng(seed)
    return {
        "normal_same": (rng.normal(0, 1, n), rng.normal(0, 1, n + 1234)),
        "normal_shift": (rng.normal(0, 1, n), rng.normal(0.01, 1, n)),
        "lognormal": (rng.lognormal(0, 1.5, n), rng.lognormal(0.02, 1.5, n)),
        "rounded_ties": (np.round(rng.normal(5, 2, n), 1), np.round(rng.normal(5, 2.02, n), 1)),
        "outlier": (np.r_[rng.normal(0, 1, n - 1), 1e6], rng.normal(0, 1, n)),
    }


# ----------------------------------------------------------------- binned vs SciPy


@pytest.mark.parametrize(
    "name", ["normal_same", "normal_shift", "lognormal", "rounded_ties", "outlier"]
)
def test_binned_ks_and_wasserstein_within_their_bound_of_scipy(
    con: duckdb.DuckDBPyConnection, name: str
) -> None:
    n = EXACT_MAX_N + 50_000
    a, b = numeric_pairs(n, 7)[name]
    tables(con, pd.DataFrame({"x": a}), pd.DataFrame({"x": b}))
    ks = column_drift(con, "ref", "cur", "x", method="ks", exact=False)
    w = column_drift(con, "ref", "cur", "x", method="wasserstein", exact=False)
    want_ks = sst.ks_2samp(a, b)
    assert ks.details["computation"] == w.details["computation"] == "binned"
    check_bound(ks, float(want_ks.statistic))
    lo_d, hi_d = ks.details["statistic_range"]
    assert lo_d == ks.statistic and hi_d == pytest.approx(ks.statistic + ks.details["error_bound"])
    p_lo, p_hi = ks.details["p_value_range"]
    assert p_lo - 1e-12 <= want_ks.pvalue <= p_hi + 1e-12
    check_bound(w, scipy_w(a, b))
    assert w.details["reference_std"] == pytest.approx(np.std(a), rel=1e-9)
    assert w.details["wasserstein_distance"] <= sst.wasserstein_distance(a, b) * (1 + 1e-9)
    # auto: binned where the bound is small and cannot flip the decision, else exact; the
    # decision is SciPy's either way, and the value within the (possibly zero) bound
    auto_ks = column_drift(con, "ref", "cur", "x", method="ks")
    auto_w = column_drift(con, "ref", "cur", "x", method="wasserstein")
    assert auto_ks.drifted is bool(want_ks.pvalue < 0.05)
    assert auto_w.drifted is bool(scipy_w(a, b) >= 0.1)
    for r, exact in ((auto_ks, float(want_ks.statistic)), (auto_w, scipy_w(a, b))):
        check_bound(r, exact)
        assert r.details["error_bound"] <= BINNED_MAX_ERROR
        if r.details["computation"] == "exact":
            assert r.statistic == pytest.approx(exact, rel=TOL, abs=TOL)


def test_binned_bound_is_small_on_a_million_normal_values(con: duckdb.DuckDBPyConnection) -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 1_000_000), rng.normal(0.002, 1, 1_000_000)
    tables(con, pd.DataFrame({"x": a}), pd.DataFrame({"x": b}))
    results, _ = dataset_drift(con, "ref", "cur", ["x"], method="wasserstein")
    w = results[0]
    assert w.details["computation"] == "binned"
    assert w.details["error_bound"] < 5e-4
    check_bound(w, scipy_w(a, b))
    ks = column_drift(con, "ref", "cur", "x", method="ks", exact=False)
    assert ks.details["error_bound"] < 5e-4
    check_bound(ks, float(sst.ks_2samp(a, b).statistic))


@pytest.mark.parametrize("name", ["normal_shift", "rounded_ties", "outlier"])
def test_exact_true_matches_scipy_at_any_size(con: duckdb.DuckDBPyConnection, name: str) -> None:
    a, b = numeric_pairs(EXACT_MAX_N + 10_000, 3)[name]
    tables(con, pd.DataFrame({"x": a}), pd.DataFrame({"x": b}))
    ks = column_drift(con, "ref", "cur", "x", method="ks", exact=True)
    w = column_drift(con, "ref", "cur", "x", method="wasserstein", exact=True)
    want = sst.ks_2samp(a, b)
    assert ks.details["computation"] == w.details["computation"] == "exact"
    assert ks.details["error_bound"] == w.details["error_bound"] == 0.0
    assert ks.statistic == pytest.approx(want.statistic, abs=1e-15)
    assert ks.p_value == pytest.approx(want.pvalue, rel=1e-9, abs=1e-300)
    assert w.statistic == pytest.approx(scipy_w(a, b), rel=TOL)


def test_exact_false_on_small_data_still_bounds(con: duckdb.DuckDBPyConnection) -> None:
    rng = np.random.default_rng(5)
    a, b = np.round(rng.normal(0, 1, 3000), 2), np.round(rng.normal(0.1, 1, 2500), 2)
    tables(con, pd.DataFrame({"x": a}), pd.DataFrame({"x": b}))
    w = column_drift(con, "ref", "cur", "x", method="wasserstein", exact=False)
    check_bound(w, scipy_w(a, b))
    exact = column_drift(con, "ref", "cur", "x", method="wasserstein")
    assert exact.details["computation"] == "exact"
    assert exact.statistic == pytest.approx(scipy_w(a, b), rel=TOL)


def test_exact_must_be_a_boolean_or_none(con: duckdb.DuckDBPyConnection) -> None:
    tables(con, pd.DataFrame({"x": [1.0, 2.0]}), pd.DataFrame({"x": [1.0, 3.0]}))
    with pytest.raises(ValueError, match="exact"):
        column_drift(con, "ref", "cur", "x", exact="yes")  # type: ignore[arg-type]


# ----------------------------------------------------------------- batched == one by one


def with_nulls(values: np.ndarray[Any, Any], null: np.ndarray[Any, Any]) -> list[Any]:
    return [None if z else v.item() for v, z in zip(values, null, strict=True)]


def mixed_frames(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)

    def frame(shift: float, m: int) -> pd.DataFrame:
        f = rng.normal(shift, 1, m)
        f[rng.random(m) < 0.03] = np.nan
        f[rng.random(m) < 0.01] = np.inf
        return pd.DataFrame(
            {
                "f": f,
                "g": pd.array(with_nulls(rng.gamma(2, 2, m), rng.random(m) < 0.05), "Float64"),
                "i_small": rng.integers(0, 4, m),
                "i_wide": rng.choice([0, 10**9, 3 * 10**9], m),  # 3 values far apart
                "i_many": rng.integers(-50, 50 + int(shift * 10), m),
                "s": rng.choice(["a", "b", "c", "d"], m, p=[0.4, 0.3, 0.2, 0.1]),
                "flag": rng.random(m) < 0.3 + shift / 10,
                "d": pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 3, m), "D"),
                "const": 7.0,
            }
        )

    return frame(0.0, n), frame(0.5, n + 37)


def same(a: DriftResult, b: DriftResult) -> None:
    assert (a.column, a.kind, a.method, a.drifted, a.reason) == (
        b.column, b.kind, b.method, b.drifted, b.reason,
    )  # fmt: skip
    assert (a.reference_n, a.current_n) == (b.reference_n, b.current_n)
    assert a.reference_missing_share == b.reference_missing_share
    for x, y in ((a.statistic, b.statistic), (a.p_value, b.p_value)):
        assert (x is None) == (y is None)
        if x is not None and y is not None:
            assert x == pytest.approx(y, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("compatibility", ["govern", "evidently"])
@pytest.mark.parametrize("parallel", [True, False])
def test_dataset_drift_equals_column_drift_per_column(
    con: duckdb.DuckDBPyConnection, compatibility: str, parallel: bool
) -> None:
    ref, cur = mixed_frames(3000, 11)
    if parallel:
        tables(con, ref, cur)
    else:
        con.register("ref", ref)
        con.register("cur", cur)
    columns = list(ref.columns)
    batch, share = dataset_drift(con, "ref", "cur", columns, compatibility=compatibility)
    single = [column_drift(con, "ref", "cur", c, compatibility=compatibility) for c in columns]
    for a, b in zip(batch, single, strict=True):
        same(a, b)
    by = {r.column: r for r in batch}
    assert by["i_small"].kind == "categorical" and by["i_many"].kind == "numeric"
    assert by["i_wide"].kind == "categorical"  # 3 values, exactly counted
    missing = ref["f"].isna().mean() + np.isinf(ref["f"]).mean()
    assert by["f"].reference_missing_share == pytest.approx(float(missing), abs=1e-12)
    assert by["const"].drifted is False  # one value: z p = 1 (govern), JS 0 (evidently)
    evaluated = [r for r in batch if r.drifted is not None]
    assert share == sum(1 for r in evaluated if r.drifted) / len(evaluated)


def test_batched_numbers_match_scipy(con: duckdb.DuckDBPyConnection) -> None:
    ref, cur = mixed_frames(2000, 4)
    tables(con, ref, cur)
    results, _ = dataset_drift(con, "ref", "cur", ["f", "i_many", "g"], method="ks")
    for r in results:
        a = ref[r.column].to_numpy(dtype=float, na_value=np.nan)
        b = cur[r.column].to_numpy(dtype=float, na_value=np.nan)
        a, b = a[np.isfinite(a)], b[np.isfinite(b)]
        want = sst.ks_2samp(a, b)
        assert r.statistic == pytest.approx(want.statistic, abs=TOL)
        assert r.p_value == pytest.approx(want.pvalue, abs=TOL, rel=1e-9)
    results, _ = dataset_drift(con, "ref", "cur", ["f", "i_many"], method="wasserstein")
    for r in results:
        a = ref[r.column].to_numpy(dtype=float)
        b = cur[r.column].to_numpy(dtype=float)
        a, b = a[np.isfinite(a)], b[np.isfinite(b)]
        assert r.statistic == pytest.approx(scipy_w(a, b), rel=TOL)
        assert r.details["reference_std"] == pytest.approx(np.std(a), rel=TOL)


def test_repeated_and_case_folded_columns(con: duckdb.DuckDBPyConnection) -> None:
    ref, cur = mixed_frames(500, 2)
    tables(con, ref, cur)
    results, _ = dataset_drift(con, "ref", "cur", ["f", "F", "f"], method="ks")
    assert [r.column for r in results] == ["f", "F", "f"]
    assert results[0].statistic == results[1].statistic == results[2].statistic


def test_errors_name_the_column(con: duckdb.DuckDBPyConnection) -> None:
    ref, cur = mixed_frames(200, 2)
    tables(con, ref, cur)
    with pytest.raises(ValueError, match="column 'nope' is not in relation 'ref'"):
        dataset_drift(con, "ref", "cur", ["f", "nope"])
    with pytest.raises(ValueError, match="not numeric"):
        dataset_drift(con, "ref", "cur", ["f", "s"], kind="numeric")
    with pytest.raises(ValueError, match="does not apply to categorical column 's'"):
        dataset_drift(con, "ref", "cur", ["f", "s"], method="ks")
    assert dataset_drift(con, "ref", "cur", []) == ([], 0.0)


# ----------------------------------------------------------------- relations and connections


def test_parquet_with_nan_and_infinity(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    a = rng.normal(0, 1, 5000)
    b = rng.normal(0.2, 1, 4000)
    a[::97], b[::89], b[::101] = np.nan, np.inf, -np.inf
    ints = pa.array(with_nulls(rng.integers(0, 100, 5000), rng.random(5000) < 0.1), pa.int64())
    pq.write_table(pa.table({"x": a, "k": ints}), tmp_path / "ref.parquet")
    pq.write_table(pa.table({"x": b, "k": ints.slice(0, 4000)}), tmp_path / "cur.parquet")
    for name in ("ref", "cur"):
        con.execute(
            f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{tmp_path / name}.parquet')"
        )
    results, _ = dataset_drift(con, "ref", "cur", ["x", "k"], method="ks")
    fa, fb = a[np.isfinite(a)], b[np.isfinite(b)]
    assert (results[0].reference_n, results[0].current_n) == (len(fa), len(fb))
    assert results[0].statistic == pytest.approx(sst.ks_2samp(fa, fb).statistic, abs=TOL)
    k = ints.to_numpy(zero_copy_only=False)
    ka, kb = k[~np.isnan(k)], k[:4000][~np.isnan(k[:4000])]
    assert results[1].reference_n == len(ka)
    assert results[1].p_value == pytest.approx(sst.ks_2samp(ka, kb).pvalue, abs=TOL)


def test_open_transaction_sees_its_own_rows(con: duckdb.DuckDBPyConnection) -> None:
    tables(con, pd.DataFrame({"x": np.arange(100.0)}), pd.DataFrame({"x": np.arange(100.0)}))
    con.execute("BEGIN TRANSACTION")
    con.execute("INSERT INTO cur SELECT range + 1000.0 FROM range(100)")
    r = column_drift(con, "ref", "cur", "x", method="ks")
    assert r.current_n == 200 and r.drifted is True
    con.execute("ROLLBACK")
    assert column_drift(con, "ref", "cur", "x", method="ks").current_n == 100


def test_a_temp_view_shadowing_a_table_is_read(con: duckdb.DuckDBPyConnection) -> None:
    tables(con, pd.DataFrame({"x": np.arange(50.0)}), pd.DataFrame({"x": np.arange(50.0)}))
    con.execute("CREATE TABLE base AS SELECT x + 100 AS x FROM cur")
    con.execute("CREATE TEMP VIEW cur AS SELECT x FROM base")
    r = column_drift(con, "ref", "cur", "x", method="ks")
    assert r.statistic == 1.0


def test_settings_are_restored(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("SET perfect_ht_threshold = 11")
    tables(con, pd.DataFrame({"x": np.arange(50.0)}), pd.DataFrame({"x": np.arange(60.0)}))
    dataset_drift(con, "ref", "cur", ["x"])
    assert con.execute("SELECT current_setting('perfect_ht_threshold')").fetchall() == [(11,)]


def test_settings_are_restored_when_a_statement_fails(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runner scopes its setting: an error on a parallel cursor leaves it unchanged."""
    from govern.metrics.drift import fetch

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the grid pass failed")

    con.execute("SET perfect_ht_threshold = 11")
    ref, cur = mixed_frames(400, 9)
    tables(con, ref, cur)
    monkeypatch.setattr(fetch, "grid_counts", failing)
    with pytest.raises(RuntimeError, match="the grid pass failed"):
        dataset_drift(con, "ref", "cur", list(ref.columns))
    assert con.execute("SELECT current_setting('perfect_ht_threshold')").fetchall() == [(11,)]


def test_single_thread_database_runs_sequentially(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("SET threads = 1")
    ref, cur = mixed_frames(400, 9)
    tables(con, ref, cur)
    one, _ = dataset_drift(con, "ref", "cur", list(ref.columns))
    con.execute("SET threads = 2")
    two, _ = dataset_drift(con, "ref", "cur", list(ref.columns))
    for a, b in zip(one, two, strict=True):
        same(a, b)


# ----------------------------------------------------------------- edge cases


@pytest.mark.filterwarnings("ignore:ks_2samp")
def test_range_beyond_floating_point_falls_back_to_exact(con: duckdb.DuckDBPyConnection) -> None:
    a = np.array([-1e308, 0.0, 1.0, 2.0, 1e308])
    b = np.array([-1e308, 0.5, 1.5, 1e308, 1e308])
    tables(con, pd.DataFrame({"x": a}), pd.DataFrame({"x": b}))
    r = column_drift(con, "ref", "cur", "x", method="ks")
    assert r.statistic == pytest.approx(sst.ks_2samp(a, b).statistic, abs=TOL)


def test_tiny_range_and_subnormal_spacing(con: duckdb.DuckDBPyConnection) -> None:
    a = 1.0 + np.arange(40) * np.spacing(1.0)
    b = 1.0 + np.arange(10, 60) * np.spacing(1.0)
    tables(con, pd.DataFrame({"x": a}), pd.DataFrame({"x": b}))
    r = column_drift(con, "ref", "cur", "x", method="ks")
    assert r.statistic == pytest.approx(sst.ks_2samp(a, b).statistic, abs=TOL)
    tiny = np.arange(30) * 5e-324
    tables(con, pd.DataFrame({"x": tiny}), pd.DataFrame({"x": tiny[::-1] * 2}))
    r = column_drift(con, "ref", "cur", "x", method="ks")
    assert r.statistic == pytest.approx(sst.ks_2samp(tiny, tiny * 2).statistic, abs=TOL)


def test_decimal_and_hugeint_columns(con: duckdb.DuckDBPyConnection) -> None:
    for name, div, mul, n in (("ref", 7, 3, 500), ("cur", 6.5, 4, 450)):
        con.execute(
            f"CREATE TABLE {name} AS SELECT CAST(range / {div} AS DECIMAL(18, 3)) AS x, "
            f"CAST(range AS HUGEINT) * {mul} AS h FROM range({n})"
        )
    a = np.array([float(r[0]) for r in con.execute("SELECT CAST(x AS DOUBLE) FROM ref").fetchall()])
    b = np.array([float(r[0]) for r in con.execute("SELECT CAST(x AS DOUBLE) FROM cur").fetchall()])
    results, _ = dataset_drift(con, "ref", "cur", ["x", "h"], method="wasserstein")
    assert results[0].statistic == pytest.approx(scipy_w(a, b), rel=TOL)
    ha, hb = np.arange(500) * 3.0, np.arange(450) * 4.0
    assert results[1].statistic == pytest.approx(scipy_w(ha, hb), rel=TOL)


def test_too_many_categories_are_refused_without_fetching_them(
    con: duckdb.DuckDBPyConnection,
) -> None:
    n = drift_module.MAX_CATEGORIES + 10
    tables(
        con,
        pd.DataFrame({"id": [f"u{i}" for i in range(n)], "v": np.arange(n) / 3}),
        pd.DataFrame({"id": [f"u{i}" for i in range(n // 2)], "v": np.arange(n // 2) / 3}),
    )
    results, _ = dataset_drift(con, "ref", "cur", ["id", "v"], method="chisquare")
    for r in results:
        assert r.drifted is None and r.reason is not None and "too many categories" in r.reason


def test_all_missing_and_empty_in_a_batch(con: duckdb.DuckDBPyConnection) -> None:
    ref = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [np.nan, np.nan, np.inf], "s": ["a", "b", None]})
    cur = pd.DataFrame({"x": [1.0, 5.0], "y": [1.0, 2.0], "s": [None, None]})
    tables(con, ref, cur)
    results, _ = dataset_drift(con, "ref", "cur", ["x", "y", "s"])
    x, y, s = results
    assert x.drifted is not None
    assert y.drifted is None and y.reason is not None and "reference" in y.reason
    assert s.drifted is None and s.reason is not None and "current" in s.reason
    m, _ = dataset_drift(con, "ref", "cur", ["x", "y", "s"], method="missing_share")
    assert [r.reference_missing_share for r in m] == [0.0, 1.0, pytest.approx(1 / 3)]
    assert math.isclose(m[2].current_missing_share, 1.0)
