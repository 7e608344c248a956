"""The inventory and its lineage gaps, on real exports."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from govern.errors import UsageError
from govern.ingest.pipeline import ingest
from govern.inventory import GAP_CODES, inventory
from govern.store import Store
from tests.conftest import EXPORT_IMPORT

NOW = datetime(2026, 11, 22, tzinfo=UTC)
DATABRICKS = EXPORT_IMPORT / "databricks/single"


@pytest.fixture
def loaded(store: Store) -> Store:
    ingest(store, [DATABRICKS / "versions/sklearn_wine", DATABRICKS / "models/basic"], now=NOW)
    return store


def gaps(store: Store, model: str, version: str) -> set[str]:
    (v,) = inventory(store, model, version)
    return {g.code for g in v.gaps}


def test_complete_lineage_has_no_gaps(loaded: Store) -> None:
    (v,) = inventory(loaded, "andre_catalog.ml_models2.sklearn_wine_best", "15")
    assert v.gaps == ()
    assert v.aliases == ("white_2",)
    assert v.git_commit == "4afec69ef703ad51d52c41b52696910017475764"
    assert [(d.name, d.digest, d.context) for d in v.datasets] == [
        ("winequality_white_2", "062ac4fa", "training")
    ]
    assert v.environment == ("model/conda.yaml", "model/python_env.yaml")
    assert v.flavors == ("python_function", "sklearn")
    assert v.metrics == {
        "r2": pytest.approx(0.16952774536420723),
        "rmse": pytest.approx(0.8248773953029855),
    }
    assert v.experiment is not None


def test_failed_export_and_missing_runs_are_gaps(loaded: Store) -> None:
    assert "export-failed" in gaps(loaded, "Sklearn_Wine", "1")
    assert {"run-missing", "no-git-commit", "no-dataset-inputs", "no-environment"} <= gaps(
        loaded, "Sklearn_Wine", "3"
    )


def test_versions_sorted_numerically(store: Store) -> None:
    ingest(store, [EXPORT_IMPORT / "databricks/single/models/deleted_runs"], now=NOW)
    assert [v.version for v in inventory(store, "Sklearn_Wine")] == ["1", "2", "3", "4"]


def test_unknown_model_is_a_usage_error(loaded: Store) -> None:
    with pytest.raises(UsageError) as info:
        inventory(loaded, "nope")
    assert "Sklearn_Wine" in info.value.diagnostics()


def test_every_gap_code_is_documented(loaded: Store) -> None:
    for v in inventory(loaded):
        for gap in v.gaps:
            assert gap.code in GAP_CODES
            assert gap.message


def test_sagemaker_packages_in_the_inventory(store: Store) -> None:
    from tests.conftest import FIXTURES

    ingest(store, [FIXTURES / "sagemaker"], now=NOW)
    versions = inventory(store)
    assert versions, "SageMaker packages expected in the inventory"
    assert {v.registry for v in versions} == {"sagemaker"}
    for v in versions:
        codes = {g.code for g in v.gaps}
        assert "no-run" in codes  # SageMaker records no training run
        assert ("no-git-commit" in codes) == (v.git_commit is None)
    assert any(v.git_commit for v in versions), "CommitId should give a git commit"
    assert any(e.startswith("image ") for v in versions for e in v.environment)


def _log(path: Path, versions: list[str] | None = None) -> Path:
    """A small current log; each file differs (the same bytes twice are one ingest)."""
    import pandas as pd

    n = 60
    frame = pd.DataFrame(
        {
            "ts": pd.date_range("2026-10-01", periods=n, freq="h", tz="UTC"),
            "x": [ord(path.name[0]) + i for i in range(n)],
            "approved": [i % 2 for i in range(n)],
        }
    )
    if versions:
        frame["model_version"] = [versions[i % len(versions)] for i in range(n)]
    frame.to_parquet(path)
    return path


def test_versions_seen_only_in_production_evidence_are_listed_as_not_registered(
    loaded: Store, tmp_path: Path
) -> None:
    mapping = {"timestamp": "ts", "prediction": "approved", "role": "current"}
    ingest(loaded, [_log(tmp_path / "a.parquet")], now=NOW,
           options={**mapping, "model": "fraud", "version": "4"})  # fmt: skip
    ingest(loaded, [_log(tmp_path / "b.parquet", ["7", "8"])], now=NOW,
           options={**mapping, "model": "churn", "model_version": "model_version"})  # fmt: skip
    ingest(loaded, [_log(tmp_path / "c.parquet")], now=NOW, options={**mapping, "model": "ltv"})
    # a registered model's unversioned logs add no version of their own
    ingest(loaded, [_log(tmp_path / "d.parquet")], now=NOW,
           options={**mapping, "model": "andre_catalog.ml_models2.sklearn_wine_best"})  # fmt: skip
    found = {(v.model, v.version): v for v in inventory(loaded)}
    extra = {k: v for k, v in found.items() if v.registry in ("prediction logs",)}
    assert set(extra) == {("churn", "7"), ("churn", "8"), ("fraud", "4"), ("ltv", "unversioned")}
    assert all(tuple(g.code for g in v.gaps) == ("not-registered",) for v in extra.values())
    assert "not-registered" in GAP_CODES
    (fraud,) = inventory(loaded, "fraud")
    assert fraud.version == "4" and "seen in prediction logs" in fraud.gaps[0].message
    with pytest.raises(UsageError):
        inventory(loaded, "fraud", "5")
