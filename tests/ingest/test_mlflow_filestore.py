"""The MLflow FileStore adapter on real ``mlruns/`` trees written by MLflow 2.22 and 3.x.

The scenario (``tests/fixtures/mlflow/README.md``): models credit-risk v1..v3 and churn-model
v1; aliases champion -> 2, challenger -> 1; stages; a run without git commit (v1), one with it
(v2) and dataset inputs (training + evaluation) on the v2 run; a deleted run (churn); a failed
run; version 3 registered from a path with no run. The same scenario was written to a SQL
store by the same MLflow version, so both must give the same inventory facts.
"""

from __future__ import annotations

import math
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from govern.errors import IngestError, MalformedInputError
from govern.ingest.base import Candidate, Kind, sniff
from govern.ingest.mlflow_filestore import MlflowFileStoreAdapter
from govern.ingest.pipeline import discover, ingest, report_non_finite
from govern.ingest.registry import ADAPTERS, detect
from govern.inventory import VersionLineage, inventory
from govern.records.registry import Batch, ModelVersion, Run
from govern.store import Store
from tests.conftest import EXPORT_IMPORT, MLFLOW, dump_store

ADAPTER = MlflowFileStoreAdapter()
NOW = datetime(2025, 1, 1, tzinfo=UTC)
VERSIONS = ["v2", "v3"]


def root(mlflow: str) -> Path:
    return MLFLOW / mlflow / "mlruns"


def directory(path: Path) -> Candidate:
    return Candidate(path=path, kind=Kind.DIRECTORY)


def read(path: Path) -> Batch:
    candidate = directory(path)
    assert ADAPTER.detect(candidate)
    return ADAPTER.read(candidate)


def runs_by_name(batch: Batch) -> dict[str, Run]:
    return {r.run_name or "": r for r in batch.runs}


def versions_by_key(batch: Batch) -> dict[tuple[str, str], ModelVersion]:
    return {(v.model_name, v.version): v for v in batch.versions}


def run_dir(tree: Path, run_name: str) -> Path:
    """The folder of the run called ``run_name`` (ids are random per generation)."""
    for meta in sorted(tree.glob("*/*/meta.yaml")):
        doc = yaml.safe_load(meta.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and doc.get("run_name") == run_name:
            return meta.parent
    raise AssertionError(f"no run {run_name} in {tree}")


@pytest.fixture(params=VERSIONS)
def mlflow(request: pytest.FixtureRequest) -> str:
    version: str = request.param
    return version


@pytest.fixture(params=VERSIONS)
def batch(request: pytest.FixtureRequest) -> Batch:
    version: str = request.param
    return read(root(version))


@pytest.fixture
def tree(tmp_path: Path, mlflow: str) -> Path:
    """A writable copy of the FileStore, to break or extend."""
    copy = tmp_path / "mlruns"
    shutil.copytree(root(mlflow), copy)
    return copy


# --------------------------------------------------------------------------- detection


def test_detects_the_mlruns_root(mlflow: str) -> None:
    assert ADAPTER.detect(directory(root(mlflow)))
    assert detect(directory(root(mlflow))) is ADAPTERS["mlflow-filestore"]


def test_not_an_export_import_folder() -> None:
    folder = EXPORT_IMPORT / "oss_mlflow/bulk/experiments"
    assert folder.is_dir()
    assert not ADAPTER.detect(directory(folder))
    assert not ADAPTER.detect(directory(EXPORT_IMPORT / "oss_mlflow/bulk"))


def test_not_a_run_experiment_or_registry_folder(mlflow: str) -> None:
    seeded = run_dir(root(mlflow), "seeded-lr")
    assert not ADAPTER.detect(directory(seeded))
    assert not ADAPTER.detect(directory(seeded.parent))  # the experiment
    assert not ADAPTER.detect(directory(root(mlflow) / "models"))
    assert not ADAPTER.detect(directory(root(mlflow) / "models" / "credit-risk"))
    assert not ADAPTER.detect(directory(MLFLOW / mlflow))  # holds mlruns/, mlflow.db, rest/


def test_not_a_logged_models_folder() -> None:
    """MLflow 3 ``<exp>/models/m-<id>/meta.yaml`` has experiment_id and name: still not a root."""
    logged = run_dir(root("v3"), "seeded-lr").parent / "models"
    assert list(logged.glob("m-*/meta.yaml"))
    assert not ADAPTER.detect(directory(logged))


def test_files_are_not_detected(mlflow: str) -> None:
    assert not ADAPTER.detect(sniff(MLFLOW / mlflow / "mlflow.db"))
    assert not ADAPTER.detect(sniff(root(mlflow) / "0" / "meta.yaml"))


def test_folder_walk_reads_mlruns_as_one_unit(mlflow: str) -> None:
    units, _ = discover([MLFLOW / mlflow])
    by_format = {u.adapter.name: u.candidate.path for u in units}
    assert by_format["mlflow-filestore"] == root(mlflow)
    assert by_format["mlflow-sqlite"] == MLFLOW / mlflow / "mlflow.db"
    inside = [u for u in units if root(mlflow) in u.candidate.path.parents]
    assert inside == []


# --------------------------------------------------------------------------- the scenario


def test_registered_models_and_aliases(batch: Batch) -> None:
    models = {m.name: m for m in batch.models}
    assert set(models) == {"credit-risk", "churn-model"}
    assert models["credit-risk"].registry == "mlflow"
    assert models["credit-risk"].aliases == {"champion": "2", "challenger": "1"}
    assert models["churn-model"].aliases == {}
    assert models["credit-risk"].tags == {
        "owner": "risk-team",
        "risk_tier": "high",
        "use_case": "loan-approval",
    }
    assert models["credit-risk"].description == (
        "Probability of default for consumer loan applications."
    )
    created = models["credit-risk"].created_at
    assert created is not None and created.tzinfo is UTC


def test_versions_as_text_with_stages(batch: Batch) -> None:
    versions = versions_by_key(batch)
    assert {k: v.stage for k, v in versions.items()} == {
        ("credit-risk", "1"): "Archived",
        ("credit-risk", "2"): "Production",
        ("credit-risk", "3"): None,  # the string "None" in the file
        ("churn-model", "1"): "Staging",
    }
    assert all(v.status == "READY" for v in versions.values())
    assert versions[("credit-risk", "2")].tags == {
        "approved_by": "model-risk-committee",
        "validation_status": "approved",
    }
    assert versions[("credit-risk", "1")].description == "Baseline without fixed seed."


def test_version_registered_from_a_path_has_no_run(batch: Batch) -> None:
    v3 = versions_by_key(batch)[("credit-risk", "3")]
    assert v3.run_id is None
    assert v3.source == "s3://bucket/models/credit/3"
    assert v3.model_id is None


def test_versions_link_to_their_runs(batch: Batch) -> None:
    versions = versions_by_key(batch)
    runs = {r.run_id: r.run_name for r in batch.runs}
    assert runs[versions[("credit-risk", "1")].run_id or ""] == "baseline-lr"
    assert runs[versions[("credit-risk", "2")].run_id or ""] == "seeded-lr"
    assert runs[versions[("churn-model", "1")].run_id or ""] == "churn-lr"


def test_git_commit_on_v2_run_only(batch: Batch) -> None:
    runs = runs_by_name(batch)
    assert runs["baseline-lr"].git_commit is None
    commit = runs["seeded-lr"].git_commit
    assert commit is not None and len(commit) == 40
    assert runs["seeded-lr"].tags["mlflow.source.git.commit"] == commit


def test_run_fields(batch: Batch) -> None:
    seeded = runs_by_name(batch)["seeded-lr"]
    assert seeded.status == "FINISHED"
    assert seeded.lifecycle_stage == "active"
    assert seeded.user_id == "alice"
    assert seeded.source_type == "LOCAL"
    assert seeded.source_name == "/home/alice/projects/credit/repo/train.py"
    assert seeded.params["random_state"] == "42"
    assert seeded.params["train_rows"] == "240"
    assert seeded.tags["mlflow.user"] == "alice"  # key with dots, from tags/mlflow.user
    assert seeded.tags["mlflow.runName"] == "seeded-lr"
    assert seeded.start_time is not None and seeded.end_time is not None
    assert seeded.start_time < seeded.end_time
    experiments = {e.experiment_id: e for e in batch.experiments}
    exp = experiments[seeded.experiment_id or ""]
    assert exp.name == "credit-risk-training"
    assert exp.tags == {"project": "credit-risk", "team": "risk"}
    assert experiments["0"].name == "Default"


def test_dataset_inputs_with_digests_and_contexts(batch: Batch) -> None:
    seeded = runs_by_name(batch)["seeded-lr"]
    assert [
        (d.name, d.digest, d.context, d.source_type, d.source_uri) for d in seeded.datasets
    ] == [
        ("eval", "9ded097c", "evaluation", "s3", "s3://bucket/eval.parquet"),
        ("train", "f8bf91cc", "training", "s3", "s3://bucket/train.parquet"),
    ]
    train = seeded.datasets[1]
    assert train.profile == '{"num_rows": 240, "num_elements": 1200}'
    assert train.schema is not None and '"mlflow_colspec"' in train.schema
    assert runs_by_name(batch)["baseline-lr"].datasets == ()


def test_deleted_and_failed_runs(batch: Batch) -> None:
    runs = runs_by_name(batch)
    assert runs["churn-lr"].lifecycle_stage == "deleted"
    assert runs["churn-lr"].status == "FINISHED"
    assert runs["failed-attempt"].status == "FAILED"
    assert runs["failed-attempt"].lifecycle_stage == "active"


def test_metric_history(batch: Batch) -> None:
    seeded = runs_by_name(batch)["seeded-lr"]
    loss = [m for m in seeded.metrics if m.key == "loss"]
    assert [m.step for m in loss] == [0, 1, 2, 3, 4]
    assert loss[0].value == pytest.approx(0.6792849700930966)
    assert loss[-1].value == pytest.approx(0.5913899343276671)
    assert all(m.timestamp is not None and m.timestamp.tzinfo is UTC for m in loss)
    assert [m.key for m in seeded.metrics if m.key != "loss"] == ["roc_auc"]


def test_every_file_read_is_listed_but_no_model_binary(batch: Batch) -> None:
    files = {p.name for p in batch.files}
    assert "meta.yaml" in files
    assert {"mlflow.user", "mlflow.runName", "loss", "random_state", "champion"} <= files
    assert {"MLmodel", "conda.yaml"} <= files
    assert not {"model.pkl", "model.skops"} & files
    assert len(batch.files) == len(set(batch.files))


def test_mlflow2_artifacts_in_the_run_folder() -> None:
    batch = read(root("v2"))
    seeded = runs_by_name(batch)["seeded-lr"]
    assert {a.path: a.kind for a in seeded.artifacts} == {
        "model/MLmodel": "mlmodel",
        "model/conda.yaml": "conda",
        "model/python_env.yaml": "python_env",
        "model/requirements.txt": "requirements",
    }
    (mlmodel,) = [a for a in seeded.artifacts if a.kind == "mlmodel"]
    assert mlmodel.flavors == ("python_function", "sklearn")
    assert batch.logged_models == []
    assert all(v.model_id is None for v in batch.versions)


def test_mlflow3_logged_models() -> None:
    batch = read(root("v3"))
    runs = runs_by_name(batch)
    logged = {m.model_id: m for m in batch.logged_models}
    assert len(logged) == 3
    assert {m.status for m in logged.values()} == {"LOGGED_MODEL_READY"}
    v2 = versions_by_key(batch)[("credit-risk", "2")]
    assert v2.source == f"models:/{v2.model_id}"
    model = logged[v2.model_id or ""]
    assert model.source_run_id == runs["seeded-lr"].run_id == v2.run_id
    assert model.name == "model"
    assert model.tags["mlflow.modelVersions"] == '[{"name": "credit-risk", "version": 2}]'
    # the logged model's artifacts are attached to its source run, as the SQL adapter does
    paths = {a.path for a in runs["seeded-lr"].artifacts}
    assert f"{model.model_id}/MLmodel" in paths
    assert f"{model.model_id}/conda.yaml" in paths


# --------------------------------------------------------------------------- same as SQL


COMPARABLE = (
    "model",
    "version",
    "registry",
    "stage",
    "aliases",
    "status",
    "run_name",
    "run_status",
    "run_lifecycle_stage",
    "experiment",
    "user",
    "git_commit",
    "code_repository",
    "source_name",
    "params",
    "metrics",
    "datasets",
    "tags",
    "model_tags",
    "export_error",
)


def facts(version: VersionLineage) -> dict[str, Any]:
    """What must not depend on the backend: ids, paths and timestamps legitimately differ;
    the SQL fixture's artifacts are not on this machine, so environment gaps differ too."""
    out = {k: v for k, v in version.to_json().items() if k in COMPARABLE}
    out["has_run"] = version.run_id is not None
    out["has_model_id"] = version.model_id is not None
    out["gaps"] = sorted(g.code for g in version.gaps if g.code != "no-environment")
    return out


def test_same_inventory_as_the_sql_store(mlflow: str, tmp_path: Path) -> None:
    found: dict[str, list[VersionLineage]] = {}
    for name, path in (("file", root(mlflow)), ("sql", MLFLOW / mlflow / "mlflow.db")):
        with Store.open(tmp_path / f"{name}.duckdb") as store:
            report = ingest(store, [path], now=NOW)
            assert [u.format for u in report.loaded] == [
                "mlflow-filestore" if name == "file" else "mlflow-sqlite"
            ]
            found[name] = inventory(store)
    file_facts = [facts(v) for v in found["file"]]
    assert file_facts == [facts(v) for v in found["sql"]]
    assert {(f["model"], f["version"], f["stage"], tuple(f["aliases"])) for f in file_facts} == {
        ("credit-risk", "1", "Archived", ("challenger",)),
        ("credit-risk", "2", "Production", ("champion",)),
        ("credit-risk", "3", None, ()),
        ("churn-model", "1", "Staging", ()),
    }
    # the FileStore has the artifacts the SQL fixture's scrubbed paths lost
    credit2 = next(v for v in found["file"] if (v.model, v.version) == ("credit-risk", "2"))
    assert credit2.gaps == ()
    assert credit2.flavors == ("python_function", "sklearn")


def test_same_counts_as_the_sql_store(mlflow: str) -> None:
    file_batch = read(root(mlflow))
    sql_batch = ADAPTERS["mlflow-sqlite"].read(sniff(MLFLOW / mlflow / "mlflow.db"))
    file_counts, sql_counts = file_batch.counts(), sql_batch.counts()
    del file_counts["artifacts"], sql_counts["artifacts"]
    assert file_counts == sql_counts


def test_reingest_unchanged_then_changed(tree: Path, tmp_path: Path) -> None:
    """The unit hash covers every file read: an edited tag file is a new source."""
    with Store.open(tmp_path / "s.duckdb") as store:
        assert len(ingest(store, [tree], now=NOW).loaded) == 1
        again = ingest(store, [tree], now=NOW)
        assert again.loaded == [] and again.unchanged == [(str(tree), "mlflow-filestore")]
        tag = run_dir(tree, "seeded-lr") / "tags" / "mlflow.user"
        tag.write_text("bob", encoding="utf-8")
        changed = ingest(store, [tree], now=NOW)
        assert len(changed.loaded) == 1
        (row,) = store.query("SELECT user_id FROM runs WHERE run_name = 'seeded-lr'")
        assert row["user_id"] == "alice"  # meta.yaml user_id wins over the mlflow.user tag
        (tag_row,) = store.query(
            "SELECT value FROM run_tags t JOIN runs r USING (run_id) "
            "WHERE r.run_name = 'seeded-lr' AND t.key = 'mlflow.user'"
        )
        assert tag_row["value"] == "bob"


# --------------------------------------------------------------------------- other shapes


def test_trashed_experiment_runs_are_deleted(tree: Path) -> None:
    experiment = run_dir(tree, "seeded-lr").parent
    (tree / ".trash").mkdir(exist_ok=True)
    experiment.rename(tree / ".trash" / experiment.name)
    batch = read(tree)
    runs = runs_by_name(batch)
    assert runs["seeded-lr"].lifecycle_stage == "deleted"
    assert runs["baseline-lr"].lifecycle_stage == "deleted"
    assert runs["seeded-lr"].datasets  # datasets of the trashed experiment still resolve
    exp = next(e for e in batch.experiments if e.experiment_id == experiment.name)
    assert exp.lifecycle_stage == "deleted"


def test_nested_keys_nan_and_short_metric_lines(tree: Path) -> None:
    seeded = run_dir(tree, "seeded-lr")
    (seeded / "tags" / "team").mkdir()
    (seeded / "tags" / "team" / "owner").write_text("risk", encoding="utf-8")
    (seeded / "metrics" / "eval").mkdir()
    (seeded / "metrics" / "eval" / "auc").write_text(
        "1795336498686 nan 0\n1795336498699 0.5 1\n1700000000000 0.25\n", encoding="utf-8"
    )
    batch = read(tree)
    run = runs_by_name(batch)["seeded-lr"]
    assert run.tags["team/owner"] == "risk"
    auc = [(m.step, m.value) for m in run.metrics if m.key == "eval/auc"]
    assert [s for s, _ in auc] == [0, 0, 1]  # by step, then timestamp
    assert auc[0][1] == 0.25 and math.isnan(auc[1][1] or 0.0) and auc[2][1] == 0.5
    # the pipeline stores NaN as missing and says so in the report
    report_non_finite(batch, tree)
    run = runs_by_name(batch)["seeded-lr"]
    assert [m.value for m in run.metrics if m.key == "eval/auc"] == [0.25, None, 0.5]
    assert any("'eval/auc'" in note and "nan" in note for note in batch.notes)


def test_escaped_folder_name_uses_the_name_in_meta(tree: Path) -> None:
    (tree / "models" / "credit-risk").rename(tree / "models" / "credit%2Drisk")
    batch = read(tree)
    assert {m.name for m in batch.models} == {"credit-risk", "churn-model"}
    assert {v.model_name for v in batch.versions} == {"credit-risk", "churn-model"}


def test_aliases_from_the_model_map_without_alias_files(tree: Path) -> None:
    shutil.rmtree(tree / "models" / "credit-risk" / "aliases")
    (model,) = [m for m in read(tree).models if m.name == "credit-risk"]
    assert model.aliases == {"champion": "2", "challenger": "1"}


def test_aliases_listed_in_the_version_file(tree: Path) -> None:
    """The older 2.x shape: ``aliases: [champion]`` in the version's own meta.yaml."""
    model_dir = tree / "models" / "credit-risk"
    shutil.rmtree(model_dir / "aliases")
    meta = yaml.safe_load((model_dir / "meta.yaml").read_text(encoding="utf-8"))
    del meta["aliases"]
    (model_dir / "meta.yaml").write_text(yaml.safe_dump(meta), encoding="utf-8")
    version = yaml.safe_load((model_dir / "version-2" / "meta.yaml").read_text(encoding="utf-8"))
    version["aliases"] = ["champion"]
    (model_dir / "version-2" / "meta.yaml").write_text(yaml.safe_dump(version), encoding="utf-8")
    batch = read(tree)
    (model,) = [m for m in batch.models if m.name == "credit-risk"]
    assert model.aliases == {"champion": "2"}
    assert versions_by_key(batch)[("credit-risk", "2")].aliases == ("champion",)


def test_local_artifact_uri_outside_the_tree_is_not_read(tree: Path, tmp_path: Path) -> None:
    """DESIGN trust boundary: only files inside the folder named are read; the rest is noted."""
    elsewhere = tmp_path / "artifact-root" / "run"
    (elsewhere / "model").mkdir(parents=True)
    (elsewhere / "model" / "requirements.txt").write_text("scikit-learn==1.5\n", encoding="utf-8")
    meta_path = run_dir(tree, "failed-attempt") / "meta.yaml"
    meta = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
    meta["artifact_uri"] = elsewhere.as_uri()
    meta_path.write_text(yaml.safe_dump(meta), encoding="utf-8")
    batch = read(tree)
    run = runs_by_name(batch)["failed-attempt"]
    assert run.artifacts == ()
    assert elsewhere / "model" / "requirements.txt" not in batch.files
    assert any(str(elsewhere) in note and "not read" in note for note in batch.notes)


def test_int_source_type_when_no_tag(tree: Path) -> None:
    for tag in (run_dir(tree, "failed-attempt") / "tags").glob("mlflow.source.*"):
        tag.unlink()
    run = runs_by_name(read(tree))["failed-attempt"]
    assert run.source_type == "LOCAL"  # source_type: 4 in meta.yaml
    assert run.source_name is None


# --------------------------------------------------------------------------- malformed input


def raises_naming(tree: Path, broken: Path, *needles: str) -> MalformedInputError:
    with pytest.raises(MalformedInputError) as info:
        ADAPTER.read(directory(tree))
    assert info.value.path == str(broken)
    text = info.value.diagnostics()
    assert str(broken) in text
    for needle in needles:
        assert needle in text, text
    return info.value


def test_experiment_meta_not_yaml(tree: Path) -> None:
    broken = run_dir(tree, "seeded-lr").parent / "meta.yaml"
    broken.write_text("name: [credit-risk\nexperiment_id: '1'\n", encoding="utf-8")
    assert ADAPTER.detect(directory(tree))  # other experiments still say what the folder is
    raises_naming(tree, broken, "not valid YAML", "line")


def test_run_meta_missing_experiment_id(tree: Path) -> None:
    broken = run_dir(tree, "failed-attempt") / "meta.yaml"
    meta = yaml.safe_load(broken.read_text(encoding="utf-8"))
    del meta["experiment_id"]
    broken.write_text(yaml.safe_dump(meta), encoding="utf-8")
    raises_naming(tree, broken, "run meta.yaml", "experiment_id")


def test_version_meta_missing_version(tree: Path) -> None:
    broken = tree / "models" / "credit-risk" / "version-2" / "meta.yaml"
    meta = yaml.safe_load(broken.read_text(encoding="utf-8"))
    del meta["version"]
    broken.write_text(yaml.safe_dump(meta), encoding="utf-8")
    raises_naming(tree, broken, "model version", "version")


def test_model_meta_is_a_list(tree: Path) -> None:
    broken = tree / "models" / "churn-model" / "meta.yaml"
    broken.write_text("- churn-model\n", encoding="utf-8")
    raises_naming(tree, broken, "not a mapping")


def test_empty_dataset_meta(tree: Path) -> None:
    (broken,) = list((run_dir(tree, "seeded-lr").parent / "datasets").glob("*/meta.yaml"))[:1]
    broken.write_text("", encoding="utf-8")
    raises_naming(tree, broken, "empty")


def test_bad_metric_line(tree: Path) -> None:
    broken = run_dir(tree, "seeded-lr") / "metrics" / "loss"
    lines = len(broken.read_text(encoding="utf-8").splitlines())
    with broken.open("a", encoding="utf-8") as handle:
        handle.write("yesterday 0.5 6\n")
    raises_naming(tree, broken, f"line {lines + 1} ", "yesterday")


def test_bad_timestamp(tree: Path) -> None:
    broken = run_dir(tree, "baseline-lr") / "meta.yaml"
    meta = yaml.safe_load(broken.read_text(encoding="utf-8"))
    meta["start_time"] = "last tuesday"
    broken.write_text(yaml.safe_dump(meta), encoding="utf-8")
    raises_naming(tree, broken, "start_time")


def test_broken_tree_leaves_the_store_unchanged(tree: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        ingest(store, [MLFLOW / "v2" / "mlflow.db"], now=NOW)
    before = dump_store(db)
    broken = tree / "models" / "credit-risk" / "meta.yaml"
    broken.write_text("name: credit-risk\naliases: {champion: [\n", encoding="utf-8")
    with Store.open(db) as store, pytest.raises(IngestError) as info:
        ingest(store, [tree], now=NOW)
    assert info.value.path == str(broken)
    assert dump_store(db) == before
