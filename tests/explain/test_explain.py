"""Explainability (issue 14): safe model loading, SHAP values and the explainability rules."""

from __future__ import annotations

import pickle
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.base import BaseEstimator, ClassifierMixin

from govern.checks.base import Rule, Subject
from govern.checks.explainability import Explainability, ExplainabilityEvidence
from govern.explain import loading
from govern.explain import shap_values as sv
from govern.models import Finding, Severity, Status
from govern.policy.engine import StoreData
from tests.checks.test_rule_cases import lineage
from tests.explain.conftest import FEATURES, RUN, World, arrests, make_world, train, write_model

SOURCE = f"file:///srv/mlruns/1/{RUN}/artifacts/model"


@contextmanager
def options(world: World | None, *, trust: bool = False, mapped: bool = True) -> Iterator[None]:
    """Load options for one evaluation (as govern check --artifact-root/--trust-model set)."""
    roots = (("file:///srv/mlruns", str(world.root)),) if world and mapped else ()
    token = loading.OPTIONS.set(loading.LoadOptions(trust_model=trust, artifact_roots=roots))
    try:
        yield
    finally:
        loading.OPTIONS.reset(token)


def evaluate(
    world: World, mapped: bool = True, source: str = SOURCE, **params: Any
) -> list[Finding]:
    """The findings of one explainability rule on the world's model and logs."""
    version = lineage({"source": source, "model_id": None, "run_id": RUN,
                       "run_artifact_uri": f"file:///srv/mlruns/1/{RUN}/artifacts"})  # fmt: skip
    rule = Rule(id="explain", check="explainability", severity=Severity.block, params=params)
    with options(world, mapped=mapped):
        produced = Explainability().evaluate(rule, Subject(version, data=StoreData(world.store)))
    return produced if isinstance(produced, list) else [produced]


def by_rule(findings: list[Finding]) -> dict[str, Finding]:
    return {f.subject or "": f for f in findings}


def evidence(f: Finding) -> ExplainabilityEvidence:
    assert isinstance(f.evidence, ExplainabilityEvidence)
    return f.evidence


# -- SHAP values ---------------------------------------------------------------------------------


def test_tree_shap_values_add_up_to_the_model_output() -> None:
    model = train()
    rows = arrests()[FEATURES].iloc[:200]
    explained = sv.shap_values(model, rows, rows, seed=0)
    assert explained.explainer == "tree"
    total = explained.values.sum(axis=1) + explained.base
    np.testing.assert_allclose(total, model.predict_proba(rows)[:, 1], atol=1e-9)
    assert np.abs(explained.values).sum() > 0


def test_model_agnostic_shap_values_add_up_to_the_model_output() -> None:
    from sklearn.naive_bayes import GaussianNB

    df = arrests()
    model = GaussianNB().fit(df[FEATURES], df["released"])  # neither trees nor linear
    rows = df[FEATURES].iloc[:60]
    seen: list[tuple[str, int, int]] = []
    token = sv.PROGRESS.set(lambda what, done, total: seen.append((what, done, total)))
    try:
        explained = sv.shap_values(model, rows, df[FEATURES].iloc[100:200], seed=0, what="log")
    finally:
        sv.PROGRESS.reset(token)
    assert seen == [("log", 50, 60), ("log", 60, 60)]
    assert explained.explainer == "permutation"
    total = explained.values.sum(axis=1) + explained.base
    np.testing.assert_allclose(total, model.predict_proba(rows)[:, 1], atol=1e-6)


def test_model_output_skips_the_data_frame_only_when_the_model_gives_the_same() -> None:
    """Arrays are fed bare after the first batch only if the model's output is identical."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import GaussianNB
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    df = arrests()
    rows = df[FEATURES].iloc[:40]
    by_name = make_pipeline(  # selects columns by name: needs a DataFrame
        ColumnTransformer([("s", StandardScaler(), ["age", "checks"])], remainder="drop"),
        LogisticRegression(),
    ).fit(df[FEATURES], df["released"])
    plain = GaussianNB().fit(df[FEATURES], df["released"])
    for model in (by_name, plain):
        run = sv._output(model, FEATURES)
        expected = model.predict_proba(rows)[:, -1]
        for _ in range(3):  # the first call decides; later calls take the chosen path
            np.testing.assert_array_equal(run(rows.to_numpy()), expected)
            np.testing.assert_array_equal(run(rows), expected)
    explained = sv.shap_values(by_name, rows, df[FEATURES].iloc[100:200], seed=0)
    assert explained.explainer == "permutation"
    total = explained.values.sum(axis=1) + explained.base
    np.testing.assert_allclose(total, by_name.predict_proba(rows)[:, 1], atol=1e-6)


def test_linear_model_is_explained_exactly_on_its_log_odds() -> None:
    from sklearn.linear_model import LogisticRegression

    df = arrests()
    model = LogisticRegression(max_iter=1000).fit(df[FEATURES], df["released"])
    rows = df[FEATURES].iloc[:60]
    explained = sv.shap_values(model, rows, df[FEATURES].iloc[100:200], seed=0)
    assert explained.explainer == "linear (log-odds)"
    total = explained.values.sum(axis=1) + explained.base
    np.testing.assert_allclose(total, model.decision_function(rows), atol=1e-9)


def test_sample_is_seeded_and_stratified(world: World) -> None:
    con = world.store.con
    sql = "SELECT table_name FROM prediction_logs WHERE role = 'current'"
    con.execute(
        f'CREATE TEMP VIEW cur AS SELECT * FROM "{world.store.query(sql)[0]["table_name"]}"'
    )
    one = sv.sample(con, "cur", FEATURES, ["colour"], 300, seed=5)
    again = sv.sample(con, "cur", FEATURES, ["colour"], 300, seed=5)
    other = sv.sample(con, "cur", FEATURES, ["colour"], 300, seed=6)
    pd.testing.assert_frame_equal(one, again)
    assert not one.equals(other)
    full = con.execute("SELECT colour, count(*) AS n FROM cur GROUP BY colour").df()
    shares = full.set_index("colour")["n"] / full["n"].sum()
    got = one["colour"].value_counts(normalize=True)
    for colour, share in shares.items():
        assert got[colour] == pytest.approx(share, abs=0.01)
    assert 300 <= len(one) <= 300 + len(shares)


# -- loading -------------------------------------------------------------------------------------


def test_untrusted_pickle_is_refused_and_loads_when_trusted(tmp_path: Path) -> None:
    folder = write_model(tmp_path / "model", train(), fmt="cloudpickle")
    with pytest.raises(loading.ModelUnavailable, match=r"runs code when loaded.*--trust-model"):
        loading.load(folder, loading.LoadOptions())
    loaded = loading.load(folder, loading.LoadOptions(trust_model=True))
    assert loaded.serialization == "cloudpickle"
    assert loaded.features == tuple(FEATURES)


class Sneaky(ClassifierMixin, BaseEstimator):
    """A model class outside scikit-learn and NumPy, which a skops file must not bring in."""

    def fit(self, x: Any, y: Any) -> Sneaky:
        self.classes_ = np.unique(y)
        return self


def test_skops_file_with_an_unexpected_type_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    sio.dump(Sneaky().fit([[0], [1]], [0, 1]), folder / "model.skops")
    (folder / "MLmodel").write_text(
        "flavors:\n  sklearn:\n    pickled_model: model.skops\n    serialization_format: skops\n"
    )
    with pytest.raises(loading.ModelUnavailable, match=r"tests\.explain\.test_explain\.Sneaky"):
        loading.load(folder, loading.LoadOptions(trust_model=True))


def test_skops_model_loads_with_only_sklearn_types(tmp_path: Path) -> None:
    model = train()
    folder = write_model(tmp_path / "model", model)
    loaded = loading.load(folder, loading.LoadOptions())
    assert loaded.serialization == "skops"
    rows = arrests()[FEATURES].iloc[:50]
    np.testing.assert_array_equal(loaded.model.predict_proba(rows), model.predict_proba(rows))
    assert len(loaded.digest) == 64


def test_artifact_roots_parse_and_rewrite() -> None:
    roots = loading.parse_roots(["s3://b/x=/mnt/x", "dbfs:/models=file:///mnt/dbfs%20copy"])
    assert roots == (("s3://b/x", "/mnt/x"), ("dbfs:/models", "file:///mnt/dbfs%20copy"))
    assert loading.local_path("s3://b/x/1/model", roots) == Path("/mnt/x/1/model")
    assert loading.local_path("dbfs:/models/a", roots) == Path("/mnt/dbfs copy/a")
    assert loading.local_path("file:///srv/mlruns/1", roots) == Path("/srv/mlruns/1")
    assert loading.local_path("s3://other/1", roots) is None
    with pytest.raises(ValueError, match="not OLD=NEW"):
        loading.parse_roots(["s3://b/x"])


def test_missing_artefact_is_not_evaluated(world: World) -> None:
    (found,) = evaluate(world, mapped=False, max_share=0.9)
    assert found.status is Status.not_evaluated
    assert "not found" in found.message and "/srv/mlruns" in found.message
    (remote,) = evaluate(world, source="s3://bucket/1/model", max_share=0.9)
    assert remote.status is Status.not_evaluated
    assert "--artifact-root" in remote.message


def test_pickled_model_in_the_store_is_not_evaluated_without_trust(world: World) -> None:
    write_model(world.model_dir, world.model, fmt="pickle")
    (found,) = evaluate(world, max_share=0.9)
    assert found.status is Status.not_evaluated
    assert "--trust-model" in found.message
    (trusted,) = evaluate(world, max_share=0.9, trust_model=True)
    assert trusted.status is Status.passed


# -- the rules -----------------------------------------------------------------------------------


def test_same_seed_same_importances_and_result_kept_in_the_store(world: World) -> None:
    first = evidence(evaluate(world, max_share=0.9, seed=3, sample=200)[0])
    second = evidence(evaluate(world, max_share=0.9, seed=3, sample=200)[0])
    other = evidence(evaluate(world, max_share=0.9, seed=4, sample=200)[0])
    assert first.importance == second.importance
    assert first.importance != other.importance
    assert first.seed == 3 and first.sample_size == 200 and first.rows["current"] >= 200
    assert set(first.by_group) == {"colour", "sex"}
    assert first.explainer == "tree"
    rows = world.store.query("SELECT * FROM explanations WHERE id = ?", [first.stored_as])
    assert rows and rows[0]["model_digest"] == first.model_digest and rows[0]["seed"] == 3
    assert sum(first.share.values()) == pytest.approx(1.0)
    assert first.to_json()["importance"] == dict(first.importance)


def test_not_in_top_k(world: World) -> None:
    ranking = sorted(FEATURES, key=lambda f: -evidence(evaluate(world, max_share=1)[0]).share[f])
    top, last = ranking[0], ranking[-1]
    fail = by_rule(evaluate(world, not_in_top_k={"features": [top, "zip"], "k": 2}))
    assert fail["not_in_top_k"].status is Status.failed
    assert top in fail["not_in_top_k"].message and "zip not a model input" in fail[
        "not_in_top_k"].message  # fmt: skip
    ok = by_rule(evaluate(world, not_in_top_k={"features": [last], "k": 2}))
    assert ok["not_in_top_k"].status is Status.passed


def test_max_share(world: World) -> None:
    (ok,) = evaluate(world, max_share=0.99)
    (bad,) = evaluate(world, max_share=0.1)
    assert ok.status is Status.passed and bad.status is Status.failed
    assert ok.value == pytest.approx(max(evidence(ok).share.values()))


def test_attribution_drift(world: World, tmp_path: Path) -> None:
    (small,) = evaluate(world, max_attribution_drift=0.1)
    assert small.status is Status.passed, small.message
    drift = evidence(small).attribution_drift
    assert drift is not None and small.value == pytest.approx(max(drift.values()))
    (tight,) = evaluate(world, max_attribution_drift=0.0)
    assert tight.status is Status.failed
    # now nobody is employed or a citizen: those features take importance from checks
    shifted = arrests().iloc[2613:].assign(employed=0, citizen=0)
    moved = make_world(tmp_path / "shifted", current=shifted)
    (big,) = evaluate(moved, max_attribution_drift=0.1)
    assert big.status is Status.failed and "(checks;" in big.message, big.message
    assert big.value is not None and big.value > 0.15
    moved.store.close()


def test_proxy_screen(world: World) -> None:
    (ok,) = evaluate(world, proxy_screen={"max_association": 0.99, "sensitive": ["colour"]})
    assert ok.status is Status.passed
    (bad,) = evaluate(world, proxy_screen={"max_association": 0.0, "top_k": 5})
    assert bad.status is Status.failed and "colour" in bad.message
    association = evidence(bad).association
    assert set(association) == {"colour", "sex"}
    # the correlation ratio against numpy's: sqrt(between-group / total variance)
    df = arrests().iloc[len(arrests()) // 2 :]
    x, groups = df["age"].astype(float), df["colour"]
    between = sum(len(g) * (g.mean() - x.mean()) ** 2 for _, g in x.groupby(groups))
    expected = (between / (len(x) * x.var(ddof=0))) ** 0.5
    assert association["colour"]["age"] == pytest.approx(expected, rel=1e-9)


def test_proxy_screen_of_a_sensitive_input_is_not_evaluated(world: World) -> None:
    (found,) = evaluate(world, proxy_screen={"sensitive": ["age"]})
    assert found.status is Status.not_evaluated and "model input" in found.message


def test_lint_needs_a_rule() -> None:
    kind = Explainability()
    assert kind.lint({"check": "explainability", "sample": 100})
    assert kind.lint({"check": "explainability", "max_share": 0.5}) == []


def test_evidence_json_round_trip_of_keys(world: World) -> None:
    (found,) = evaluate(world, max_share=0.9)
    data: Mapping[str, Any] = evidence(found).to_json()
    assert {"importance", "share", "by_group", "attribution_drift", "rows", "seed",
            "model_digest", "sample_size", "explainer"} <= set(data)  # fmt: skip
    assert pickle.loads(pickle.dumps(data)) == data


def test_sampled_shares_are_close_to_the_full_data(world: World) -> None:
    """The sampling plan's accuracy on the arrests log (2613 rows): 1000 rows are within 0.01."""
    full = evidence(evaluate(world, max_share=1, sample=100_000)[0])
    assert full.rows["current"] == 2613
    for seed in (0, 1, 2):
        sampled = evidence(evaluate(world, max_share=1, sample=1000, seed=seed)[0]).share
        assert max(abs(sampled[f] - full.share[f]) for f in FEATURES) < 0.01
