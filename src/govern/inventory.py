"""The model inventory: every model version with its lineage, and the lineage gaps flagged.

A *lineage gap* is a missing piece of the evidence an auditor asks for: which run trained
the version, from which commit, on which data, in which environment. Gaps are data (a code and
a sentence), never exceptions, and they are computed from whatever the store holds, whatever
registry it came from.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from govern.errors import UsageError
from govern.records.registry import ENVIRONMENT_KINDS
from govern.store.store import Store

#: Gap codes and what each means (shown in `govern models --help` and the README).
GAP_CODES: dict[str, str] = {
    "no-run": "the version was registered from a path, not from a run: no training record",
    "export-failed": "the exporter could not export this version (its run is gone or unreadable)",
    "run-missing": "the version names a run that is not in the store",
    "run-deleted": "the version's run is deleted (lifecycle_stage = deleted)",
    "run-not-finished": "the version's run did not finish (FAILED, KILLED or still RUNNING)",
    "no-git-commit": "no git commit is recorded for the code that trained the version",
    "no-dataset-inputs": "no dataset inputs are logged for the run",
    "dataset-no-digest": "a dataset input has no digest, so the data cannot be pinned",
    "no-environment": "no environment file (conda.yaml, python_env.yaml, requirements.txt) seen",
    "not-registered": "the version is known only from prediction logs or monitoring reports",
}

#: The version of a model whose logs or reports name no version.
UNVERSIONED = "unversioned"


@dataclass(frozen=True)
class Gap:
    """One lineage gap of a model version."""

    code: str
    message: str


@dataclass(frozen=True)
class DatasetRef:
    """A dataset input of the version's run."""

    name: str
    digest: str | None
    context: str | None
    source_type: str | None
    source_uri: str | None


@dataclass(frozen=True)
class VersionLineage:
    """One model version with everything the inventory shows about it."""

    model: str
    version: str
    registry: str
    stage: str | None
    aliases: tuple[str, ...]
    status: str | None
    source: str | None
    created_at: datetime | None
    run_id: str | None
    run_name: str | None
    run_status: str | None
    run_lifecycle_stage: str | None
    experiment: str | None
    user: str | None
    git_commit: str | None
    code_repository: str | None
    source_name: str | None
    params: dict[str, str]
    metrics: dict[str, float | None]
    datasets: tuple[DatasetRef, ...]
    environment: tuple[str, ...]
    flavors: tuple[str, ...]
    tags: dict[str, str]
    export_error: str | None
    run_artifact_uri: str | None = None
    model_id: str | None = None
    model_tags: dict[str, str] = field(default_factory=dict)
    gaps: tuple[Gap, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict (timestamps as ISO-8601 UTC)."""
        out = asdict(self)
        out["created_at"] = (
            self.created_at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z" if self.created_at else None
        )
        out["aliases"] = list(self.aliases)
        out["environment"] = list(self.environment)
        out["flavors"] = list(self.flavors)
        out["datasets"] = [asdict(d) for d in self.datasets]
        out["gaps"] = [asdict(g) for g in self.gaps]
        return out


_VERSIONS_SQL = """
SELECT v.model_name, v.version, m.registry, v.stage, v.status, v.source, v.created_at,
       v.git_commit AS version_commit, v.code_repository, v.export_error,
       COALESCE(v.run_id, lm.source_run_id) AS run_id,
       r.run_id IS NOT NULL AS run_present, r.run_name, r.status AS run_status,
       r.lifecycle_stage, r.user_id, r.git_commit AS run_commit, r.source_name,
       r.artifact_uri AS run_artifact_uri, COALESCE(v.model_id, lm.model_id) AS model_id,
       COALESCE(e.name, r.experiment_id) AS experiment,
       (SELECT list(a.alias ORDER BY a.alias) FROM model_aliases a
         WHERE a.model_name = v.model_name AND a.version = v.version) AS aliases
FROM model_versions v
LEFT JOIN registered_models m ON m.name = v.model_name
LEFT JOIN logged_models lm ON v.source = 'models:/' || lm.model_id
LEFT JOIN runs r ON r.run_id = COALESCE(v.run_id, lm.source_run_id)
LEFT JOIN experiments e ON e.experiment_id = r.experiment_id
WHERE (? IS NULL OR v.model_name = ?) AND (? IS NULL OR v.version = ?)
ORDER BY v.model_name, TRY_CAST(v.version AS BIGINT) NULLS LAST, v.version
"""


def _gaps(row: dict[str, Any], datasets: list[DatasetRef], environment: list[str]) -> list[Gap]:
    gaps: list[Gap] = []
    run_id = row["run_id"]
    has_run_facts = bool(row["run_present"])
    if row["export_error"]:
        gaps.append(Gap("export-failed", f"not exported: {row['export_error']}"))
    elif not run_id:
        if row["registry"] == "sagemaker":
            gaps.append(Gap("no-run", "SageMaker model packages record no training run"))
        else:
            gaps.append(Gap("no-run", f"registered from {row['source'] or 'a path'}, not a run"))
    elif not has_run_facts:
        gaps.append(Gap("run-missing", f"run {run_id} is not in the store; ingest its export"))
    if has_run_facts and row["lifecycle_stage"] == "deleted":
        gaps.append(Gap("run-deleted", f"run {run_id} is deleted"))
    if has_run_facts and row["run_status"] and row["run_status"] != "FINISHED":
        gaps.append(Gap("run-not-finished", f"run {run_id} has status {row['run_status']}"))
    if not (row["run_commit"] or row["version_commit"]):
        gaps.append(Gap("no-git-commit", "no git commit recorded"))
    if not datasets:
        gaps.append(Gap("no-dataset-inputs", "no dataset inputs logged"))
    for ds in datasets:
        if not ds.digest:
            gaps.append(Gap("dataset-no-digest", f"dataset {ds.name} has no digest"))
    if not environment:
        gaps.append(Gap("no-environment", "no environment file seen"))
    return gaps


def _environment(
    artifacts: list[dict[str, Any]], log_history: str | None, tags: dict[str, str]
) -> list[str]:
    """Environment evidence: env artifact files, env files named in the model log, image."""
    found = [a["path"] for a in artifacts if a["kind"] in ENVIRONMENT_KINDS]
    if not found:
        found.extend(_env_from_log_history(log_history))
    if tags.get("sagemaker.image"):
        found.append(f"image {tags['sagemaker.image']}")
    return found


def _grouped(store: Store, sql: str, key: str | tuple[str, ...]) -> dict[Any, list[dict[str, Any]]]:
    """Run one query over the whole store and group its rows by ``key``."""
    out: dict[Any, list[dict[str, Any]]] = {}
    for row in store.query(sql):
        k = tuple(row[c] for c in key) if isinstance(key, tuple) else row[key]
        out.setdefault(k, []).append(row)
    return out


def _env_from_log_history(value: str | None) -> list[str]:
    """Environment files named by ``mlflow.log-model.history`` (MLflow 2.x)."""
    try:
        entries = json.loads(value or "[]")
    except json.JSONDecodeError:
        return []
    found: list[str] = []
    for entry in entries if isinstance(entries, list) else []:
        flavors = entry.get("flavors") if isinstance(entry, dict) else None
        pyfunc = flavors.get("python_function") if isinstance(flavors, dict) else None
        env = pyfunc.get("env") if isinstance(pyfunc, dict) else None
        if isinstance(env, dict):
            path = entry.get("artifact_path") or "model"
            found.extend(f"{path}/{f} (logged)" for f in sorted(env.values()) if f)
        elif isinstance(env, str):
            found.append(f"{entry.get('artifact_path') or 'model'}/{env} (logged)")
    return found


def inventory(
    store: Store, model: str | None = None, version: str | None = None
) -> list[VersionLineage]:
    """Return every model version in the store (or one model / version) with its lineage."""
    rows = store.query(_VERSIONS_SQL, [model, model, version, version])
    registered = {(r["model_name"], r["version"]) for r in store.query(
        "SELECT model_name, version FROM model_versions")}  # fmt: skip
    unregistered = [
        (m, v, where)
        for m, v, where in observed_versions(store, registered)
        if (model is None or m == model) and (version is None or v == version)
    ]
    if model is not None and not rows and not unregistered:
        known = [r["name"] for r in store.query("SELECT name FROM registered_models ORDER BY 1")]
        what = f"model {model!r}" + (f" version {version!r}" if version else "")
        raise UsageError(
            f"{what} is not in the store.",
            hint=("Known models: " + ", ".join(known)) if known else "The store is empty.",
        )
    # One query per kind of fact over the whole store, not one per version.
    tags_by_version = _grouped(
        store,
        "SELECT model_name, version, key, value FROM version_tags ORDER BY key",
        ("model_name", "version"),
    )
    datasets_by_run = _grouped(
        store,
        "SELECT run_id, name, digest, context, source_type, source_uri FROM run_datasets "
        "ORDER BY context NULLS LAST, name, digest",
        "run_id",
    )
    artifacts_by_run = _grouped(
        store, "SELECT run_id, path, kind, flavors FROM artifacts ORDER BY path", "run_id"
    )
    metrics_by_run = _grouped(
        store,
        "SELECT run_id, key, arg_max(value, (step, timestamp)) AS value FROM run_metrics "
        "GROUP BY run_id, key ORDER BY key",
        "run_id",
    )
    params_by_run: dict[str, dict[str, str]] = {}
    for r in store.query("SELECT run_id, key, value FROM run_params ORDER BY key"):
        params_by_run.setdefault(r["run_id"], {})[r["key"]] = r["value"]
    model_tags: dict[str, dict[str, str]] = {}
    for r in store.query("SELECT model_name, key, value FROM model_tags ORDER BY key"):
        model_tags.setdefault(r["model_name"], {})[r["key"]] = r["value"]
    history_by_run = {
        r["run_id"]: r["value"]
        for r in store.query(
            "SELECT run_id, value FROM run_tags WHERE key = 'mlflow.log-model.history'"
        )
    }
    out: list[VersionLineage] = []
    for row in rows:
        run_id = row["run_id"]
        tags = {
            t["key"]: t["value"]
            for t in tags_by_version.get((row["model_name"], row["version"]), [])
        }
        datasets = [
            DatasetRef(d["name"], d["digest"], d["context"], d["source_type"], d["source_uri"])
            for d in datasets_by_run.get(run_id, [])
        ]
        artifacts = artifacts_by_run.get(run_id, [])
        environment = _environment(artifacts, history_by_run.get(run_id), tags)
        metrics = {m["key"]: m["value"] for m in metrics_by_run.get(run_id, [])}
        flavors = sorted(
            {f for a in artifacts if a["kind"] == "mlmodel" for f in a["flavors"] or []}
        )
        out.append(
            VersionLineage(
                model=row["model_name"],
                version=row["version"],
                registry=row["registry"] or "unknown",
                stage=row["stage"],
                aliases=tuple(row["aliases"] or ()),
                status=row["status"],
                source=row["source"],
                created_at=row["created_at"],
                run_id=run_id,
                run_name=row["run_name"],
                run_status=row["run_status"],
                run_lifecycle_stage=row["lifecycle_stage"],
                experiment=row["experiment"],
                user=row["user_id"],
                git_commit=row["run_commit"] or row["version_commit"],
                code_repository=row["code_repository"],
                source_name=row["source_name"],
                params=params_by_run.get(run_id, {}),
                metrics=metrics,
                datasets=tuple(datasets),
                environment=tuple(environment),
                flavors=tuple(flavors),
                tags=tags,
                export_error=row["export_error"],
                run_artifact_uri=row["run_artifact_uri"],
                model_id=row["model_id"],
                model_tags=model_tags.get(row["model_name"], {}),
                gaps=tuple(_gaps(row, datasets, environment)),
            )
        )
    for m, v, where in unregistered:
        out.append(_unregistered(m, v, where, model_tags.get(m, {})))
    return out


def observed_versions(store: Store, registered: set[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """(model, version, where seen) of versions in production evidence but not in a registry.

    Current prediction logs name their version (``--version``), hold it in a column
    (``--version-column``: its distinct values) or name none (:data:`UNVERSIONED`, only for a
    model with no version known otherwise); monitoring reports linked to a model likewise.
    """
    seen: dict[tuple[str, str], list[str]] = {}
    unversioned: dict[str, list[str]] = {}
    for r in store.query(
        "SELECT table_name, model, version, mapping FROM prediction_logs "
        "WHERE role = 'current' ORDER BY model, table_name"
    ):
        column = json.loads(r["mapping"]).get("model_version")
        if r["version"]:
            seen.setdefault((r["model"], r["version"]), []).append("prediction logs")
        elif column:
            quoted = '"' + str(column).replace('"', '""') + '"'
            table = '"' + str(r["table_name"]).replace('"', '""') + '"'
            values = store.con.execute(
                f"SELECT DISTINCT CAST({quoted} AS VARCHAR) FROM {table} "
                f"WHERE {quoted} IS NOT NULL ORDER BY 1"
            ).fetchall()
            for (value,) in values:
                seen.setdefault((r["model"], value), []).append("prediction logs")
        else:
            unversioned.setdefault(r["model"], []).append("prediction logs")
    for r in store.query(
        "SELECT DISTINCT model, version FROM monitoring_reports WHERE model IS NOT NULL "
        "ORDER BY model, version NULLS FIRST"
    ):
        if r["version"]:
            seen.setdefault((r["model"], r["version"]), []).append("monitoring reports")
        else:
            unversioned.setdefault(r["model"], []).append("monitoring reports")
    known_models = {m for m, _ in registered} | {m for m, _ in seen}
    for name, where in unversioned.items():
        if name not in known_models:
            seen.setdefault((name, UNVERSIONED), []).extend(where)
    return [
        (m, v, " and ".join(dict.fromkeys(where)))
        for (m, v), where in sorted(seen.items(), key=lambda kv: _version_key(*kv[0]))
        if (m, v) not in registered
    ]


def _version_key(model: str, version: str) -> tuple[str, int, str]:
    return (model, int(version) if version.isdigit() else 1 << 62, version)


def _unregistered(model: str, version: str, where: str, tags: dict[str, str]) -> VersionLineage:
    """A version seen in production evidence with no registry record: every fact unknown."""
    return VersionLineage(
        model=model,
        version=version,
        registry=where,
        stage=None,
        aliases=(),
        status=None,
        source=None,
        created_at=None,
        run_id=None,
        run_name=None,
        run_status=None,
        run_lifecycle_stage=None,
        experiment=None,
        user=None,
        git_commit=None,
        code_repository=None,
        source_name=None,
        params={},
        metrics={},
        datasets=(),
        environment=(),
        flavors=(),
        tags={},
        export_error=None,
        model_tags=tags,
        gaps=(
            Gap(
                "not-registered",
                f"version {version} of {model} is seen in {where} but in no registry export: "
                "ingest the registry export that holds it",
            ),
        ),
    )
