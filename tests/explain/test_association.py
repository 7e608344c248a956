"""The proxy screen's association measures, computed in DuckDB (govern.explain.association)."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mutual_info_score, normalized_mutual_info_score

from govern.explain.association import binned, mutual_information
from govern.models import Status
from tests.explain.conftest import World, arrests
from tests.explain.test_explain import evaluate, evidence


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    """The arrests data as view ``a`` (numeric year/age/checks, text colour/sex/employed)."""
    from sklego.datasets import load_arrests

    connection = duckdb.connect()
    connection.register("a", load_arrests(as_frame=True))
    return connection


@pytest.mark.parametrize("feature", ["age", "year", "checks", "employed", "sex", "colour"])
@pytest.mark.parametrize("sensitive", ["colour", "sex"])
def test_mutual_information_equals_scikit_learn_on_the_same_bins(
    con: duckdb.DuckDBPyConnection, feature: str, sensitive: str
) -> None:
    mi, nmi = mutual_information(con, "a", feature, sensitive)
    rows = con.execute(binned(con, "a", feature, sensitive)).df()
    assert mi == pytest.approx(mutual_info_score(rows["s"], rows["x"]), abs=1e-9)
    assert nmi == pytest.approx(normalized_mutual_info_score(rows["s"], rows["x"]), abs=1e-9)
    assert 0.0 <= nmi <= 1.0
    if feature == sensitive:
        assert nmi == pytest.approx(1.0)


def test_numeric_bins_are_deciles_and_ties_share_a_bin() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=1000),
            "flag": rng.integers(0, 2, size=1000),
            "g": rng.choice(["a", "b"], size=1000),
        }
    )
    con = duckdb.connect()
    con.register("d", frame)
    bins = con.execute(binned(con, "d", "x", "g")).df()["x"].value_counts()
    assert len(bins) == 10 and set(bins) == {100}
    # the bins follow the values: each holds one decile of x
    joined = frame.assign(bin=con.execute(binned(con, "d", "x", "g")).df()["x"].astype(int))
    assert joined.groupby("bin")["x"].max().is_monotonic_increasing
    flags = con.execute(binned(con, "d", "flag", "g")).df()
    assert flags.groupby("x").size().tolist() == frame["flag"].value_counts().sort_index().tolist()


def test_constant_columns_reveal_nothing() -> None:
    con = duckdb.connect()
    con.register("d", pd.DataFrame({"x": [1.0] * 50, "g": ["a", "b"] * 25}))
    assert mutual_information(con, "d", "x", "g") == (0.0, 0.0)
    assert mutual_information(con, "d", "g", "g")[1] == pytest.approx(1.0)


def test_proxy_screen_with_mutual_information(world: World) -> None:
    (bad,) = evaluate(
        world, proxy_screen={"max_association": 0.0, "top_k": 5, "measure": "mutual_information"}
    )
    assert bad.status is Status.failed and "colour" in bad.message
    ev = evidence(bad)
    assert ev.association_measure == "mutual_information"
    assert ev.to_json()["association_measure"] == "mutual_information"
    # the flagged proxies are data as well as words: each pair is named in the message
    assert {s for s, _ in ev.proxies} == {"colour", "sex"}  # every association is above 0
    for s, f in ev.proxies:
        assert f"{f} ({s}: {ev.association[s][f]:.3f})" in bad.message
    assert ev.to_json()["proxies"] == [{"sensitive": s, "feature": f} for s, f in ev.proxies]
    # the same value the module computes from the current log (the arrests' second half)
    df = arrests().iloc[len(arrests()) // 2 :]
    con = duckdb.connect()
    con.register("cur", df)
    assert ev.association["colour"]["age"] == pytest.approx(
        mutual_information(con, "cur", "age", "colour")[1], abs=1e-12
    )
    (ok,) = evaluate(world, proxy_screen={"max_association": 0.5, "measure": "mutual_information"})
    assert ok.status is Status.passed and "normalised mutual information" in ok.message
    assert evidence(ok).proxies == ()
    (default,) = evaluate(world, proxy_screen={"max_association": 0.99})
    assert evidence(default).association_measure == "correlation"
