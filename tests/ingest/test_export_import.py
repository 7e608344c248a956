"""The mlflow-export-import adapter on the public samples (real tool output)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from govern.errors import MalformedInputError
from govern.ingest.base import sniff
from govern.ingest.export_import import ExportImportAdapter
from govern.records.registry import Batch
from tests.conftest import EXPORT_IMPORT

ADAPTER = ExportImportAdapter()


def read(rel: str) -> Batch:
    candidate = sniff(EXPORT_IMPORT / rel)
    assert ADAPTER.detect(candidate)
    return ADAPTER.read(candidate)


def test_single_model_export_oss() -> None:
    batch = read("oss_mlflow/single/models/basic/model.json")
    (model,) = batch.models
    assert model.name == "sklearn_wine"
    assert model.registry == "mlflow"
    assert model.aliases == {"about-ready": "2", "good-to-go": "1", "just-in-case": "3"}
    assert model.tags == {"info": "Skearn Wine Quality model"}
    assert model.created_at == datetime(2023, 5, 22, 0, 41, 15, 258000, tzinfo=UTC)
    versions = {v.version: v for v in batch.versions}
    assert set(versions) == {"1", "2", "3"}
    assert versions["1"].stage == "Production"
    assert versions["1"].run_id == "d583ca20513841749b26907cb2d3952b"
    assert versions["1"].tags == {"registered_version_info": "v1 Production - wine"}
    # versions[].aliases are exported empty; the model-level list is the truth
    assert all(v.aliases == () for v in batch.versions)
    assert batch.documents[0].kind == "export-import:model"


def test_old_tool_latest_versions() -> None:
    """Tool 1.1.2 wrote latest_versions instead of versions."""
    batch = read("oss_mlflow/bulk/models/models/sklearn_iris/model.json")
    assert [(v.model_name, v.version, v.stage) for v in batch.versions] == [
        ("sklearn_iris", "1", "Staging")
    ]


def test_failed_versions_become_lineage_gaps() -> None:
    batch = read("databricks/single/models/deleted_runs/model.json")
    assert batch.models[0].registry == "databricks"  # tracking uri databricks://...
    failed = sorted(batch.versions, key=lambda v: v.version)
    assert [v.version for v in failed] == ["1", "2", "3", "4"]
    assert failed[0].run_id == "3c0b2decc41c4dc0becd3d60bc814a4d"
    assert failed[0].export_error is not None
    assert "RESOURCE_DOES_NOT_EXIST" in failed[0].export_error
    assert "BAD_REQUEST" in (failed[3].export_error or "")


def test_databricks_version_export() -> None:
    batch = read("databricks/single/versions/sklearn_wine/version.json")
    (version,) = batch.versions
    assert version.model_name == "andre_catalog.ml_models2.sklearn_wine_best"
    assert version.version == "15"
    assert version.stage is None  # current_stage: null in Unity Catalog
    assert version.aliases == ("white_2",)
    assert version.user_id == "andre.mesarovic@databricks.com"


def test_databricks_run_with_dataset_inputs_and_artifacts() -> None:
    batch = read("databricks/single/versions/sklearn_wine/run/run.json")
    (run,) = batch.runs
    assert run.run_id == "6222162b4c7f47c2820a7e5b520f65a9"
    assert run.git_commit == "4afec69ef703ad51d52c41b52696910017475764"  # Databricks git tag
    assert run.source_type == "NOTEBOOK"
    assert run.user_id == "andre.mesarovic@databricks.com"  # from mlflow.user; info.user_id ""
    assert run.params == {"max_depth": "1"}
    (dataset,) = run.datasets
    assert dataset.name == "winequality_white_2"
    assert dataset.digest == "062ac4fa"
    assert dataset.context == "training"
    assert dataset.source_type == "delta_table"
    assert dataset.source_uri == "andre_catalog.ml_data.winequality_white_2"
    kinds = sorted(a.kind for a in run.artifacts)
    assert kinds == ["conda", "mlmodel", "python_env"]
    mlmodel = next(a for a in run.artifacts if a.kind == "mlmodel")
    assert "sklearn" in mlmodel.flavors and "python_function" in mlmodel.flavors
    assert len(batch.files) == 4  # run.json + 3 artifacts


def test_run_metric_history_and_oss_git_commit() -> None:
    batch = read(
        "oss_mlflow/single/experiments/basic/runs/eb66c160957d4a28b11d3f1b968df9cd/run.json"
    )
    (run,) = batch.runs
    assert run.git_commit
    assert run.tags["mlflow.source.git.commit"] == run.git_commit
    assert run.metrics, "metrics with history expected"
    assert all(m.timestamp is not None for m in run.metrics)


def test_oldest_export_format() -> None:
    """MLflow 2.0.1-era export: `-export_time`, mlflow_export_import.* tags."""
    batch = read("oss_mlflow/bulk/experiments/2/runs/5397ae67ee0c49139bf64834b4d27fab/run.json")
    (run,) = batch.runs
    assert run.run_id == "5397ae67ee0c49139bf64834b4d27fab"
    assert any(k.startswith("mlflow_export_import") for k in run.tags)


def test_index_files_load_nothing() -> None:
    for rel in (
        "oss_mlflow/bulk/models/manifest.json",
        "oss_mlflow/bulk/models/models/models.json",
        "oss_mlflow/bulk/experiments/experiments.json",
        "oss_mlflow/single/experiments/basic/logged_models/logged_models.json",
    ):
        batch = read(rel)
        assert batch.counts() == {k: 0 for k in batch.counts()}
        assert batch.notes


def test_truncated_export_is_refused_naming_the_file() -> None:
    path = EXPORT_IMPORT / "oss_mlflow/bulk/experiments/2/experiment.json"
    with pytest.raises(MalformedInputError) as info:
        sniff(path)
    assert "experiment.json" in info.value.diagnostics()
    assert "not valid JSON" in info.value.diagnostics()


def test_export_of_unknown_kind(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "odd.json"
    path.write_text('{"system": {"package_version": "1.2.0"}, "mlflow": {"webhook": {}}}')
    with pytest.raises(MalformedInputError, match="unknown kind"):
        ADAPTER.read(sniff(path))


def test_export_with_missing_field(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "model.json"
    path.write_text('{"system": {}, "mlflow": {"registered_model": {"versions": []}}}')
    with pytest.raises(MalformedInputError, match="missing key 'name'"):
        ADAPTER.read(sniff(path))
