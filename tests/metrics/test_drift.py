"""Drift statistics computed in DuckDB, side by side with SciPy/NumPy on the same data."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import scipy.stats as sst
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import jensenshannon

from govern.metrics.drift import (
    METHODS,
    DriftOptions,
    DriftResult,
    Untestable,
    UntestableCause,
    choose_method,
    column_drift,
    dataset_drift,
    drift_columns,
    ks_2samp_p_value,
    sturges_edges,
)
from govern.metrics.drift import sql as drift_sql
from govern.sql import quote

TOL = 1e-9
PROPS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    yield c
    c.close()


def put(
    con: duckdb.DuckDBPyConnection,
    ref: Sequence[Any] | np.ndarray[Any, Any],
    cur: Sequence[Any] | np.ndarray[Any, Any],
    column: str = "x",
) -> None:
    """Register two one-column pandas frames as relations ``ref`` and ``cur``."""
    con.register("ref", pd.DataFrame({column: ref}))
    con.register("cur", pd.DataFrame({column: cur}))


def drift(con: duckdb.DuckDBPyConnection, method: str, **kw: Any) -> DriftResult:
    return column_drift(con, "ref", "cur", kw.pop("column", "x"), method=method, **kw)


# ----------------------------------------------------------------- NumPy references


def evidently_shares(
    ref: np.ndarray[Any, Any], cur: np.ndarray[Any, Any], *, numeric: bool, fill: bool
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Evidently's ``get_binned_data`` written from its definition, on in-memory arrays."""
    r, c = pd.Series(ref).dropna(), pd.Series(cur).dropna()
    if numeric and r.nunique() > 20:
        edges = np.histogram_bin_edges(pd.concat([r, c]).values, bins="sturges")
        rp = np.histogram(r, edges)[0] / len(r)
        cp = np.histogram(c, edges)[0] / len(c)
    else:
        keys = list(set(r.unique()) | set(c.unique()))
        rc, cc = r.value_counts(), c.value_counts()
        rp = np.array([rc.get(k, 0) / len(r) for k in keys])
        cp = np.array([cc.get(k, 0) / len(c) for k in keys])
    if fill:
        for p in (rp, cp):
            m = p[p != 0].min()
            p[p == 0] = m / 10**6 if m <= 0.0001 else 0.0001
    return rp, cp


def np_psi_evidently(ref: Any, cur: Any, *, numeric: bool = True) -> float:
    rp, cp = evidently_shares(np.asarray(ref), np.asarray(cur), numeric=numeric, fill=True)
    return float(np.sum((rp - cp) * np.log(rp / cp)))


def np_js(ref: Any, cur: Any, *, numeric: bool = True) -> float:
    rp, cp = evidently_shares(np.asarray(ref), np.asarray(cur), numeric=numeric, fill=False)
    return float(jensenshannon(rp, cp))


def np_psi(ref: Any, cur: Any, bins: int = 10, eps: float = 1e-4) -> float:
    """Reference-decile PSI from its definition: right-closed bins, zero shares -> eps."""
    ref, cur = np.asarray(ref, dtype=float), np.asarray(cur, dtype=float)
    edges = np.unique(np.quantile(ref, np.arange(1, bins) / bins))
    rs = np.bincount(np.searchsorted(edges, ref), minlength=len(edges) + 1) / len(ref)
    cs = np.bincount(np.searchsorted(edges, cur), minlength=len(edges) + 1) / len(cur)
    rs, cs = np.where(rs == 0, eps, rs), np.where(cs == 0, eps, cs)
    return float(np.sum((cs - rs) * np.log(cs / rs)))


def np_psi_categories(ref: Sequence[Any], cur: Sequence[Any], eps: float = 1e-4) -> float:
    keys = sorted(set(ref) | set(cur))
    rs = np.array([list(ref).count(k) / len(ref) for k in keys])
    cs = np.array([list(cur).count(k) / len(cur) for k in keys])
    rs, cs = np.where(rs == 0, eps, rs), np.where(cs == 0, eps, cs)
    return float(np.sum((cs - rs) * np.log(cs / rs)))


def table(ref: Sequence[Any], cur: Sequence[Any]) -> np.ndarray[Any, Any]:
    keys = sorted(set(ref) | set(cur))
    return np.array([[list(ref).count(k) for k in keys], [list(cur).count(k) for k in keys]])


# ----------------------------------------------------------------- Kolmogorov-Smirnov


@pytest.mark.parametrize(
    ("n1", "n2", "decimals"),
    [
        (5, 7, 3),
        (40, 40, 1),  # equal sizes, many ties
        (100, 250, 2),
        (999, 1001, 1),
        (3000, 2000, 0),  # integers: heavy ties
        (10_000, 10_000, 3),  # largest exact case, equal sizes
        (12_000, 9_000, 2),  # asymptotic
    ],
)
def test_ks_matches_scipy(con: duckdb.DuckDBPyConnection, n1: int, n2: int, decimals: int) -> None:
    rng = np.random.default_rng(n1 * 7 + n2)
    a = np.round(rng.normal(0, 3, n1), decimals)
    b = np.round(rng.normal(0.3, 3, n2), decimals)
    put(con, a, b)
    got = drift(con, "ks")
    want = sst.ks_2samp(a, b)
    assert got.statistic == pytest.approx(want.statistic, abs=TOL)
    assert got.p_value == pytest.approx(want.pvalue, abs=TOL, rel=1e-9)
    assert got.drifted is bool(want.pvalue < 0.05)
    assert got.details["direction"] == "p_value"
    assert got.details["p_value_method"] == ("exact" if max(n1, n2) <= 10_000 else "asymp")


def test_ks_p_value_from_d_n_m_matches_scipy_on_many_sizes() -> None:
    rng = np.random.default_rng(1)
    for _ in range(60):
        n1, n2 = (int(v) for v in rng.integers(1, 120, size=2))
        a = rng.integers(0, 15, n1).astype(float)
        b = rng.integers(0, 15, n2).astype(float) + rng.integers(0, 3)
        want = sst.ks_2samp(a, b)
        both = np.r_[a, b]
        f1 = np.searchsorted(np.sort(a), both, "right") / n1
        f2 = np.searchsorted(np.sort(b), both, "right") / n2
        d = float(np.max(np.abs(f1 - f2)))
        stat, p, _ = ks_2samp_p_value(d, n1, n2)
        assert stat == pytest.approx(want.statistic, abs=TOL)
        assert p == pytest.approx(want.pvalue, abs=TOL)


@pytest.mark.parametrize(
    ("m", "n", "h"), [(30, 45, 40), (7, 3, 5), (300, 451, 20000), (64, 48, 60)]
)
def test_exact_lattice_p_value_equals_scipy_ks_2samp(m: int, n: int, h: int) -> None:
    """D = h / lcm(m, n) from two samples of 0s and 1s: i of m and j of n are 0, with
    i/m - j/n = h/lcm; SciPy's exact two-sided p-value of those samples is ours."""
    g = math.gcd(m, n)
    lcm = m * n // g
    i, j = next(
        (i, j) for i in range(m + 1) for j in range(n + 1) if abs(i * (n // g) - j * (m // g)) == h
    )
    x, y = [0.0] * i + [1.0] * (m - i), [0.0] * j + [1.0] * (n - j)
    want = sst.ks_2samp(x, y, method="exact")
    stat, p, how = ks_2samp_p_value(h / lcm, m, n)
    assert how == "exact"
    assert stat == pytest.approx(want.statistic, abs=1e-15)
    assert p == pytest.approx(want.pvalue, abs=1e-12)


def test_ks_single_value_is_not_evaluated_with_statistic_zero(
    con: duckdb.DuckDBPyConnection,
) -> None:
    put(con, [2.5] * 20, [2.5] * 30)
    r = drift(con, "ks")
    assert (r.statistic, r.p_value, r.drifted) == (0.0, 1.0, None)
    assert r.reason is not None and "single value" in r.reason


def test_ks_constant_reference_against_varying_current_is_evaluated(
    con: duckdb.DuckDBPyConnection,
) -> None:
    cur = [0.0] * 20 + [1.0] * 20
    put(con, [0.0] * 40, cur)
    r = drift(con, "ks")
    want = sst.ks_2samp([0.0] * 40, cur)
    assert r.drifted is True
    assert r.p_value == pytest.approx(want.pvalue, abs=TOL)


# ----------------------------------------------------------------- Wasserstein


@pytest.mark.parametrize("n", [50, 1500])
def test_wasserstein_matches_scipy_over_numpy_std(con: duckdb.DuckDBPyConnection, n: int) -> None:
    rng = np.random.default_rng(n)
    a = np.round(rng.gamma(2.0, 2.0, n), 2)
    b = np.round(rng.gamma(2.2, 2.0, n + 17), 2)
    put(con, a, b)
    r = drift(con, "wasserstein")
    want = sst.wasserstein_distance(a, b) / np.std(a)
    assert r.statistic == pytest.approx(want, rel=TOL, abs=TOL)
    assert r.p_value is None
    assert r.drifted is bool(want >= 0.1)
    assert r.details["reference_std"] == pytest.approx(np.std(a), rel=TOL)


def test_wasserstein_uses_evidentlys_std_floor(con: duckdb.DuckDBPyConnection) -> None:
    a = np.array([1.0, 1.0001, 1.0002, 1.0])
    b = np.array([1.0, 1.0003, 1.0005])
    put(con, a, b)
    r = drift(con, "wasserstein")
    assert np.std(a) < 0.001
    assert r.statistic == pytest.approx(sst.wasserstein_distance(a, b) / 0.001, rel=TOL)


def test_wasserstein_constant_reference_is_not_evaluated(con: duckdb.DuckDBPyConnection) -> None:
    put(con, [3.0] * 10, [3.0, 4.0, 5.0])
    r = drift(con, "wasserstein")
    assert r.drifted is None and r.statistic is None
    assert r.reason is not None and "standard deviation 0" in r.reason
    w = sst.wasserstein_distance([3.0] * 10, [3.0, 4.0, 5.0])
    assert r.details["evidently_score"] == pytest.approx(w / 0.001)


# ----------------------------------------------------------------- Evidently-binned: PSI, JS


@pytest.mark.parametrize(
    ("n1", "n2", "decimals"),
    [(40, 60, 3), (1200, 800, 2), (5000, 5000, 1), (300, 400, 0)],  # last: <= 20 values
)
def test_psi_evidently_and_js_match_numpy_on_numeric(
    con: duckdb.DuckDBPyConnection, n1: int, n2: int, decimals: int
) -> None:
    rng = np.random.default_rng(n1 + n2)
    a = np.round(rng.normal(10, 4, n1), decimals)
    b = np.round(rng.normal(11, 5, n2), decimals)
    put(con, a, b)
    psi = drift(con, "psi_evidently")
    js = drift(con, "jensenshannon")
    assert psi.statistic == pytest.approx(np_psi_evidently(a, b), rel=TOL, abs=TOL)
    assert js.statistic == pytest.approx(np_js(a, b), rel=TOL, abs=TOL)
    assert psi.threshold == js.threshold == 0.1
    if pd.Series(a).nunique() > 20:
        assert psi.details["edges"] == pytest.approx(
            np.histogram_bin_edges(np.r_[a, b], bins="sturges").tolist(), abs=0
        )


def test_psi_evidently_tiny_shares_use_min_over_a_million(con: duckdb.DuckDBPyConnection) -> None:
    # 30,000 reference values: a bin with one value has share 3.3e-5 <= 1e-4
    rng = np.random.default_rng(5)
    a = rng.normal(0, 1, 30_000)
    b = rng.normal(3, 1, 400)
    put(con, a, b)
    assert drift(con, "psi_evidently").statistic == pytest.approx(np_psi_evidently(a, b), rel=TOL)


def test_psi_evidently_and_js_on_categories(con: duckdb.DuckDBPyConnection) -> None:
    a = ["a"] * 50 + ["b"] * 30 + ["c"] * 20
    b = ["a"] * 20 + ["b"] * 30 + ["d"] * 10
    put(con, a, b)
    psi = drift(con, "psi_evidently", kind="categorical")
    js = drift(con, "jensenshannon")
    assert js.kind == "categorical"
    assert psi.statistic == pytest.approx(np_psi_evidently(a, b, numeric=False), rel=TOL)
    assert js.statistic == pytest.approx(np_js(a, b, numeric=False), rel=TOL)
    assert js.details["categories"] == ["a", "b", "c", "d"]


@pytest.mark.parametrize("n", [21, 1000, 600_000])
def test_sturges_edges_match_numpy(n: int) -> None:
    rng = np.random.default_rng(n)
    ints = rng.integers(-3, 18, n)  # 21 values: width < 1 above 2**19 values
    floats = rng.normal(0, 1, n)
    for data, integer in ((ints, True), (floats, False)):
        want = np.histogram_bin_edges(data, bins="sturges")
        got = sturges_edges(float(data.min()), float(data.max()), n, integer=integer)
        assert got.tolist() == want.tolist()
    assert (
        sturges_edges(0.0, 1.0, 10, bins=4).tolist()
        == np.histogram_bin_edges(np.linspace(0, 1, 10), bins=4).tolist()
    )


def test_integer_histogram_width_floor_end_to_end(con: duckdb.DuckDBPyConnection) -> None:
    rng = np.random.default_rng(3)
    a = rng.integers(0, 21, 300_000)
    b = rng.integers(1, 22, 300_000)
    put(con, a, b)
    r = drift(con, "psi_evidently", kind="numeric")
    assert r.details["bins"] == 21
    assert r.statistic == pytest.approx(np_psi_evidently(a, b), rel=TOL)


# ----------------------------------------------------------------- PSI (govern)


@pytest.mark.parametrize("bins", [None, 5, 20])
def test_psi_matches_numpy_definition(con: duckdb.DuckDBPyConnection, bins: int | None) -> None:
    rng = np.random.default_rng(11)
    a = np.round(rng.lognormal(0, 1, 2000), 2)
    b = np.round(rng.lognormal(0.2, 1.1, 1500), 2)
    put(con, a, b)
    r = drift(con, "psi", bins=bins)
    assert r.statistic == pytest.approx(np_psi(a, b, bins or 10), rel=TOL, abs=TOL)
    assert r.threshold == 0.2
    assert r.details["epsilon"] == 1e-4
    assert r.details["edges"] == pytest.approx(
        np.quantile(a, np.arange(1, bins or 10) / (bins or 10))
    )


def test_psi_merges_duplicate_quantiles_of_a_mass_point(con: duckdb.DuckDBPyConnection) -> None:
    rng = np.random.default_rng(2)
    a = np.r_[np.zeros(600), rng.uniform(0, 10, 400)]  # 60 % zeros: deciles 1-6 are 0
    b = np.r_[np.zeros(300), rng.uniform(0, 12, 700)]
    put(con, a, b)
    r = drift(con, "psi")
    assert r.details["bins"] == 6  # deciles 1-5 are 0: one edge at 0, four more
    assert r.statistic == pytest.approx(np_psi(a, b), rel=TOL)
    assert r.drifted is True


def test_psi_on_categories_includes_new_ones(con: duckdb.DuckDBPyConnection) -> None:
    a = ["x"] * 70 + ["y"] * 30
    b = ["x"] * 60 + ["y"] * 30 + ["z"] * 10
    put(con, a, b)
    r = drift(con, "psi")
    assert r.statistic == pytest.approx(np_psi_categories(a, b), rel=TOL)
    assert r.details["categories"] == ["x", "y", "z"]
    assert r.details["reference_shares"] == [0.7, 0.3, 0.0]


# ----------------------------------------------------------------- chi-square, z


def test_chisquare_matches_chi2_contingency(con: duckdb.DuckDBPyConnection) -> None:
    a = ["a"] * 40 + ["b"] * 35 + ["c"] * 25
    b = ["a"] * 30 + ["b"] * 45 + ["c"] * 20 + ["d"] * 5  # d new in current
    put(con, a, b)
    r = drift(con, "chisquare")
    want = sst.chi2_contingency(table(a, b), correction=False)
    assert r.statistic == pytest.approx(want.statistic, rel=TOL)
    assert r.p_value == pytest.approx(want.pvalue, rel=TOL, abs=TOL)
    assert r.details["dof"] == want.dof == 3


def test_chisquare_evidently_matches_scipy_chisquare(con: duckdb.DuckDBPyConnection) -> None:
    a = ["a"] * 40 + ["b"] * 35 + ["c"] * 25
    b = ["a"] * 50 + ["b"] * 45 + ["c"] * 5
    put(con, a, b)
    r = drift(con, "chisquare_evidently")
    t = table(a, b)
    want = sst.chisquare(t[1], t[0] * (len(b) / len(a)))
    assert r.statistic == pytest.approx(want.statistic, rel=TOL)
    assert r.p_value == pytest.approx(want.pvalue, rel=TOL, abs=TOL)
    assert r.drifted is True


def test_chisquare_evidently_refuses_a_new_category(con: duckdb.DuckDBPyConnection) -> None:
    put(con, ["a", "b"] * 20, ["a", "b", "new"] * 10)
    r = drift(con, "chisquare_evidently")
    assert r.drifted is None and r.statistic is None
    assert r.reason is not None and "'new'" in r.reason
    assert r.details["new_categories"] == ["new"]
    assert drift(con, "chisquare").drifted is not None  # the two-sample test copes


def test_z_equals_chi2_on_two_by_two_and_evidentlys_formula(con: duckdb.DuckDBPyConnection) -> None:
    a = ["no"] * 70 + ["yes"] * 30
    b = ["no"] * 55 + ["yes"] * 45
    put(con, a, b)
    r = drift(con, "z")
    p1, p2 = 30 / 100, 45 / 100
    pooled = (p1 * 100 + p2 * 100) / 200
    z = (p1 - p2) / math.sqrt(pooled * (1 - pooled) * (1 / 100 + 1 / 100))
    assert r.statistic == pytest.approx(z, rel=TOL)
    assert r.p_value == pytest.approx(2 * (1 - sst.norm.cdf(abs(z))), rel=TOL)
    chi = sst.chi2_contingency(table(a, b), correction=False)
    assert r.p_value == pytest.approx(chi.pvalue, rel=1e-7)


def test_z_single_value_is_p_one_and_more_than_two_is_not_evaluated(
    con: duckdb.DuckDBPyConnection,
) -> None:
    put(con, [True] * 10, [True] * 5)
    r = drift(con, "z")
    assert (r.p_value, r.drifted, r.kind) == (1.0, False, "categorical")
    put(con, ["a", "b", "c"], ["a", "b"])
    r = drift(con, "z")
    assert r.drifted is None and r.reason is not None and "binary" in r.reason


# ----------------------------------------------------------------- missing values


def test_null_and_nan_both_count_as_missing(con: duckdb.DuckDBPyConnection) -> None:
    ref = pa.table({"x": pa.array([1.0, 2.0, None, float("nan"), 3.0, float("inf")] * 20)})
    cur = pa.table({"x": pa.array([1.0, 2.5, 3.0, 4.0, None, 5.0] * 20)})
    con.register("ref", ref)
    con.register("cur", cur)
    r = drift(con, "ks")
    assert (r.reference_n, r.current_n) == (60, 100)
    assert r.reference_missing_share == pytest.approx(0.5)
    assert r.current_missing_share == pytest.approx(1 / 6)
    want = sst.ks_2samp([1.0, 2.0, 3.0] * 20, [1.0, 2.5, 3.0, 4.0, 5.0] * 20)
    assert r.p_value == pytest.approx(want.pvalue, abs=TOL)
    m = drift(con, "missing_share")
    assert m.statistic == pytest.approx(1 / 6 - 0.5)
    chi = sst.chi2_contingency(np.array([[60, 60], [20, 100]]), correction=False)
    assert m.p_value == pytest.approx(chi.pvalue, rel=1e-7)
    assert m.drifted is True
    assert m.details["direction"] == "p_value"


def test_missing_share_without_any_missing_is_p_one(con: duckdb.DuckDBPyConnection) -> None:
    put(con, [1, 2, 3], [4, 5])
    r = drift(con, "missing_share")
    assert (r.statistic, r.p_value, r.drifted) == (0.0, 1.0, False)


def test_all_null_and_empty_windows_are_not_evaluated(con: duckdb.DuckDBPyConnection) -> None:
    put(con, [1.0, 2.0, 3.0], pd.Series([None, None], dtype=float))
    for method in ("ks", "wasserstein", "psi", "psi_evidently", "jensenshannon"):
        r = drift(con, method)
        assert r.drifted is None and r.reason is not None and "missing" in r.reason
        assert (r.current_n, r.current_missing_share) == (0, 1.0)
    assert drift(con, "missing_share").drifted is True
    con.register("ref", pd.DataFrame({"x": pd.Series([], dtype=float)}))
    for method in ("ks", "chisquare", "missing_share"):
        r = drift(con, method, kind="numeric" if method == "ks" else "categorical")
        assert r.drifted is None and r.reason == "the reference window is empty"
        assert r.reference_missing_share == 0.0


# ----------------------------------------------------------------- errors and identifiers


def test_column_missing_from_one_relation_raises_naming_it(con: duckdb.DuckDBPyConnection) -> None:
    con.register("ref", pd.DataFrame({"age": [1.0]}))
    con.register("cur", pd.DataFrame({"income": [1.0]}))
    with pytest.raises(ValueError, match=r"column 'age' is not in relation 'cur'"):
        column_drift(con, "ref", "cur", "age")
    with pytest.raises(ValueError, match=r"relation 'nope' cannot be read"):
        column_drift(con, "ref", "nope", "age")


def test_bad_arguments_raise(con: duckdb.DuckDBPyConnection) -> None:
    put(con, ["a", "b"], ["a"])
    with pytest.raises(ValueError, match="unknown drift method 'chi2'"):
        drift(con, "chi2")
    with pytest.raises(ValueError, match="does not apply to categorical"):
        drift(con, "ks")
    with pytest.raises(ValueError, match="not numeric"):
        drift(con, "psi", kind="numeric")
    with pytest.raises(ValueError, match="bins"):
        drift(con, "psi", bins=0)
    with pytest.raises(ValueError, match="compatibility"):
        column_drift(con, "ref", "cur", "x", compatibility="spark")


def test_awkward_identifiers_are_quoted(con: duckdb.DuckDBPyConnection) -> None:
    col = 'net "amount"; DROP TABLE x -- (EUR)'
    con.register('my ref"s', pd.DataFrame({col: [1.0, 2.0, 3.0, 4.0], "other": [0] * 4}))
    con.register("cur rent", pd.DataFrame({"other": [1] * 3, col: [2.0, 3.0, 9.0]}))
    r = column_drift(con, 'my ref"s', "cur rent", col, method="ks")
    assert r.p_value == pytest.approx(sst.ks_2samp([1.0, 2.0, 3.0, 4.0], [2.0, 3.0, 9.0]).pvalue)
    assert quote('a"b') == '"a""b"'


def test_sql_returns_only_aggregates(con: duckdb.DuckDBPyConnection) -> None:
    rng = np.random.default_rng(0)
    put(con, rng.normal(0, 1, 50_000), rng.normal(0, 1, 50_000))
    ref, cur = (
        drift_sql.Side(rel, "CAST(x AS DOUBLE)", drift_sql.missing_predicate("x", floating=True))
        for rel in ("ref", "cur")
    )
    assert len(con.execute(*drift_sql.ecdf_summary_sql(ref, cur)).fetchall()) == 1
    assert len(con.execute(*drift_sql.profile_sql(ref, cur)).fetchall()) == 3
    hist = con.execute(*drift_sql.histogram_sql(ref, cur, [-1.0, 0.0, 1.0], right_closed=True))
    assert len(hist.fetchall()) == 4


# ----------------------------------------------------------------- defaults and kinds


@pytest.mark.parametrize(
    ("kind", "ref_n", "n_unique", "evidently", "govern"),
    [
        ("numeric", 1000, 6, "ks", "ks"),
        ("numeric", 1000, 5, "chisquare_evidently", "ks"),
        ("numeric", 1000, 2, "z", "z"),
        ("categorical", 1000, 3, "chisquare_evidently", "chisquare"),
        ("categorical", 500, 2, "z", "z"),
        ("numeric", 1001, 6, "wasserstein", "ks"),
        ("numeric", 1001, 5, "jensenshannon", "ks"),
        ("categorical", 1001, 2, "jensenshannon", "z"),
        ("categorical", 5000, 40, "jensenshannon", "chisquare"),
    ],
)
def test_choose_method(kind: str, ref_n: int, n_unique: int, evidently: str, govern: str) -> None:
    assert choose_method(kind, ref_n, n_unique, compatibility="evidently") == evidently
    assert choose_method(kind, ref_n, n_unique) == govern


def test_defaults_and_kind_inference_end_to_end(con: duckdb.DuckDBPyConnection) -> None:
    rng = np.random.default_rng(4)
    ref = pd.DataFrame(
        {
            "f": rng.normal(0, 1, 1500),
            "i5": rng.integers(0, 5, 1500),  # integer, 5 values: categorical (Evidently)
            "i9": rng.integers(0, 9, 1500),  # integer, 9 values: numeric
            "s": rng.choice(["a", "b", "c"], 1500),
            "b": rng.choice([True, False], 1500),
        }
    )
    con.register("ref", ref)
    con.register("cur", ref.sample(frac=0.5, random_state=1))
    want = {
        "f": ("numeric", "wasserstein", "ks"),
        "i5": ("categorical", "jensenshannon", "chisquare"),
        "i9": ("numeric", "wasserstein", "ks"),
        "s": ("categorical", "jensenshannon", "chisquare"),
        "b": ("categorical", "jensenshannon", "z"),
    }
    for column, (kind, evidently, govern) in want.items():
        e = column_drift(con, "ref", "cur", column, compatibility="evidently")
        g = column_drift(con, "ref", "cur", column)
        assert (e.kind, e.method, g.method) == (kind, evidently, govern), column
        assert g.drifted is False
        assert e.details["method_chosen_by"] == "default (evidently)"


def test_methods_registry_describes_itself() -> None:
    assert set(METHODS) == {
        "ks", "wasserstein", "psi", "psi_evidently", "jensenshannon", "chisquare",
        "chisquare_evidently", "z", "missing_share",
    }  # fmt: skip
    for name, info in METHODS.items():
        assert info.direction in ("p_value", "distance"), name
        assert info.kinds <= {"numeric", "categorical"} and info.description
        assert info.default_threshold == (0.05 if info.direction == "p_value" else
                                          0.2 if name == "psi" else 0.1)  # fmt: skip


def test_dataset_drift_share_counts_evaluated_columns(con: duckdb.DuckDBPyConnection) -> None:
    rng = np.random.default_rng(9)
    ref = pd.DataFrame({"a": rng.normal(0, 1, 400), "b": rng.normal(0, 1, 400), "c": [1.0] * 400})
    cur = pd.DataFrame({"a": rng.normal(2, 1, 300), "b": rng.normal(0, 1, 300), "c": [1.0] * 300})
    con.register("ref", ref)
    con.register("cur", cur)
    results, share = dataset_drift(con, "ref", "cur", ["a", "b", "c"], method="ks")
    assert [r.column for r in results] == ["a", "b", "c"]
    assert [r.drifted for r in results] == [True, False, None]
    assert share == 0.5


# ----------------------------------------------------------------- properties

# One connection for every example (a connection per example costs more than the test).
SHARED = duckdb.connect()
SHARED.execute("SET threads = 1")

values = st.lists(
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False).map(lambda v: round(v, 3)),
    min_size=2,
    max_size=60,
)


@PROPS
@given(values)
def test_identical_windows_show_no_drift(xs: list[float]) -> None:
    con = SHARED
    put(con, xs, xs)
    ks = drift(con, "ks")
    assert ks.statistic == 0.0 and ks.p_value == 1.0
    assert ks.drifted is (False if len(set(xs)) > 1 else None)
    for method in ("psi", "jensenshannon"):
        r = drift(con, method)
        assert r.statistic == pytest.approx(0.0, abs=1e-12) and r.drifted is False


@PROPS
@given(values, st.floats(0.001, 1e6))
def test_a_positive_shift_raises_ks_and_psi(xs: list[float], shift: float) -> None:
    con = SHARED
    shifted = [x + shift for x in xs]
    put(con, xs, xs)
    same_ks, same_psi = drift(con, "ks").statistic, drift(con, "psi").statistic
    put(con, xs, shifted)
    assert same_ks is not None and same_psi is not None
    ks, psi = drift(con, "ks"), drift(con, "psi")
    assert ks.statistic is not None and psi.statistic is not None
    assert ks.statistic > same_ks
    assert psi.statistic >= same_psi
    if min(shifted) > max(xs) and len(set(xs)) > 1:
        assert psi.statistic > same_psi


@PROPS
@given(values, values, st.randoms(use_true_random=False))
def test_row_and_column_order_change_nothing(xs: list[float], ys: list[float], rnd: Any) -> None:
    con = SHARED
    ref = pd.DataFrame({"x": xs, "k": [f"c{round(x) % 3}" for x in xs], "z": 0})
    cur = pd.DataFrame({"x": ys, "k": [f"c{round(y) % 4}" for y in ys], "z": 1})
    con.register("ref", ref)
    con.register("cur", cur)
    before = [drift(con, m, column=c) for m, c in (("ks", "x"), ("psi", "x"), ("chisquare", "k"))]
    shuffled_ref = ref.sample(frac=1.0, random_state=rnd.randint(0, 2**31))[["z", "k", "x"]]
    shuffled_cur = cur.sample(frac=1.0, random_state=rnd.randint(0, 2**31))[["k", "x", "z"]]
    con.register("ref", shuffled_ref.reset_index(drop=True))
    con.register("cur", shuffled_cur.reset_index(drop=True))
    for b in before:
        a = drift(con, b.method, column=b.column)
        assert (a.drifted, a.reason, a.reference_n, a.current_n) == (
            b.drifted, b.reason, b.reference_n, b.current_n,
        )  # fmt: skip
        for x, y in ((a.statistic, b.statistic), (a.p_value, b.p_value)):
            assert (x is None) == (y is None)
            if x is not None and y is not None:
                assert x == pytest.approx(y, rel=1e-12, abs=1e-15)


maybe_missing = st.lists(
    st.one_of(
        st.none(),
        st.sampled_from([math.nan, math.inf, -math.inf]),
        st.floats(-100, 100).map(lambda v: round(v, 1)),
    ),
    min_size=1,
    max_size=40,
)


@PROPS
@given(maybe_missing, maybe_missing)
def test_scores_stay_in_their_ranges(xs: list[float | None], ys: list[float | None]) -> None:
    con = SHARED
    con.register("ref", pa.table({"x": pa.array(xs, type=pa.float64())}))
    con.register("cur", pa.table({"x": pa.array(ys, type=pa.float64())}))
    for method in METHODS:
        r = drift(con, method, kind="numeric")
        assert 0.0 <= r.reference_missing_share <= 1.0
        assert 0.0 <= r.current_missing_share <= 1.0
        assert r.p_value is None or 0.0 <= r.p_value <= 1.0
        if r.statistic is None:
            continue
        if method == "ks":
            assert 0.0 <= r.statistic <= 1.0
        if method == "jensenshannon":
            assert 0.0 <= r.statistic <= math.sqrt(math.log(2)) + 1e-12
        if method in ("psi", "psi_evidently", "wasserstein", "chisquare"):
            assert r.statistic >= -1e-12
        if method == "missing_share":
            assert -1.0 <= r.statistic <= 1.0


# ----------------------------------------------------------------- untestable columns as values


def test_drift_columns_returns_untestable_values_and_computes_the_rest(
    con: duckdb.DuckDBPyConnection,
) -> None:
    rng = np.random.default_rng(3)
    con.register("ref", pd.DataFrame({"x": rng.normal(0, 1, 200), "s": ["a", "b"] * 100}))
    con.register("cur", pd.DataFrame({"x": rng.normal(1, 1, 150), "s": ["a"] * 150}))
    answers = drift_columns(con, "ref", "cur", ["x", "income", "s"], DriftOptions(method="ks"))
    x, income, s = answers
    assert isinstance(x, DriftResult) and x.drifted is True
    assert x == column_drift(con, "ref", "cur", "x", method="ks")
    assert isinstance(income, Untestable) and income.column == "income"
    assert income.cause is UntestableCause.MISSING_COLUMN
    assert "column 'income' is not in relation 'ref'" in income.message
    assert isinstance(s, Untestable) and s.cause is UntestableCause.METHOD_DOES_NOT_APPLY
    assert s.message.startswith("drift method 'ks' does not apply to categorical column 's'")
    (numeric,) = drift_columns(con, "ref", "cur", ["s"], DriftOptions(kind="numeric"))
    assert isinstance(numeric, Untestable) and numeric.cause is UntestableCause.NOT_NUMERIC
    (gone,) = drift_columns(con, "ref", "nope", ["x"], DriftOptions())
    assert isinstance(gone, Untestable) and gone.cause is UntestableCause.UNREADABLE_RELATION
    assert gone.message.startswith("relation 'nope' cannot be read")
    bad = drift_columns(con, "ref", "cur", ["x", "s"], DriftOptions(method="chi2"))
    assert [type(a) for a in bad] == [Untestable, Untestable]
    assert all(
        isinstance(a, Untestable) and a.cause is UntestableCause.INVALID_OPTIONS for a in bad
    )


def test_an_unexpected_error_propagates(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug (here a ValueError inside a statistic) is raised, never turned into a reason."""
    from govern.metrics.drift import engine

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("a bug")

    monkeypatch.setattr(engine, "psi", broken)
    put(con, [1.0, 2.0, 3.0], [2.0, 3.0, 4.0])
    with pytest.raises(ValueError, match="a bug"):
        drift_columns(con, "ref", "cur", ["x"], DriftOptions(method="psi"))
