"""An MLflow SQL tracking store file (``mlflow.db``), schema of MLflow 2.x and 3.x.

Read with the standard library's :mod:`sqlite3`, read-only (DuckDB's sqlite extension would
need a download). The schema revision is ``alembic_version.version_num``; rather than trusting
a list of known revisions, the adapter checks that every table and column it reads exists, so
stores from MLflow versions it has never seen load as long as those are there, and a store
missing one is refused naming the revision and what is missing. Tables added over time
(aliases in 2.3, datasets/inputs in 2.4, logged models in 3.0) are read when present.

Artifacts are not in the database. When the artifact location is on this machine
(``file://`` URIs, or ``mlflow-artifacts:/`` served from an ``mlartifacts/`` folder beside the
database), MLmodel and environment files found there are recorded.
"""

from __future__ import annotations

import math
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from govern.errors import IngestError, MalformedInputError
from govern.ingest import files
from govern.ingest import normalise as n
from govern.ingest.base import Candidate, Kind
from govern.records.registry import (
    Artifact,
    Batch,
    DatasetInput,
    Experiment,
    LoggedModel,
    MetricPoint,
    ModelVersion,
    RegisteredModel,
    Run,
)

#: Tables and columns every MLflow SQL store this adapter reads must have.
REQUIRED: dict[str, tuple[str, ...]] = {
    "experiments": ("experiment_id", "name", "artifact_location", "lifecycle_stage"),
    "runs": (
        "run_uuid",
        "name",
        "status",
        "user_id",
        "start_time",
        "end_time",
        "lifecycle_stage",
        "artifact_uri",
        "experiment_id",
    ),
    "params": ("key", "value", "run_uuid"),
    "tags": ("key", "value", "run_uuid"),
    "metrics": ("key", "value", "timestamp", "step", "run_uuid"),
    "registered_models": ("name", "creation_time", "last_updated_time", "description"),
    "model_versions": (
        "name",
        "version",
        "creation_time",
        "last_updated_time",
        "description",
        "user_id",
        "current_stage",
        "source",
        "run_id",
        "status",
    ),
}

#: Alembic heads seen in real stores (informational; unknown heads are read if compatible).
KNOWN_HEADS = {
    "0584bdc529eb": "MLflow 2.22",
    "dc11669786a5": "MLflow 3.17",
}


def _connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    return con


def _tables(con: sqlite3.Connection) -> dict[str, set[str]]:
    names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {t: {r[1] for r in con.execute(f'PRAGMA table_info("{t}")')} for t in names}


def _rows(con: sqlite3.Connection, sql: str) -> list[dict[str, Any]]:
    return [dict(r) for r in con.execute(sql)]


class MlflowSqlAdapter:
    """Adapter for MLflow SQL tracking stores saved as SQLite files."""

    name = "mlflow-sqlite"
    family = "registry"
    description = "MLflow SQL tracking store file (mlflow.db), MLflow 2.x and 3.x"

    def detect(self, candidate: Candidate) -> bool:
        """A SQLite file with MLflow's ``runs`` and ``model_versions`` tables."""
        if candidate.kind is not Kind.SQLITE:
            return False
        try:
            with _connect(candidate.path) as con:
                tables = _tables(con)
        except sqlite3.DatabaseError:
            return False
        return "runs" in tables and "model_versions" in tables

    def read(self, candidate: Candidate) -> Batch:
        """Read every experiment, run, registered model and version of the store."""
        path = candidate.path
        try:
            con = _connect(path)
            try:
                return self._read(con, path, candidate.tree())
            finally:
                con.close()
        except sqlite3.DatabaseError as exc:
            raise MalformedInputError(
                f"is an MLflow SQL store but could not be read: {exc}.",
                hint="The file may be damaged or still being written; copy it again.",
                path=path,
            ) from exc

    def _read(self, con: sqlite3.Connection, path: Path, tree: files.Tree) -> Batch:
        tables = _tables(con)
        revision = self._revision(con, tables)
        missing = [
            f"{table}.{column}" if table in tables else table
            for table, columns in REQUIRED.items()
            for column in (columns if table in tables else columns[:1])
            if table not in tables or column not in tables[table]
        ]
        if missing:
            raise IngestError(
                f"is an MLflow SQL store of an unknown schema (alembic revision {revision}): "
                f"missing {', '.join(sorted(set(missing)))}.",
                hint="Upgrade the store with `mlflow db upgrade`, or export it with "
                "mlflow-export-import and ingest the export.",
                path=path,
            )
        batch = Batch(files=[path])
        batch.experiments.extend(self._experiments(con, tables))
        artifacts_by_run: dict[str, list[Artifact]] = defaultdict(list)
        logged = self._logged_models(con, tables)
        batch.logged_models.extend(logged)
        for model in logged:
            if model.source_run_id and model.artifact_uri:
                found = self._artifacts(path, model.artifact_uri, batch, tree)
                artifacts_by_run[model.source_run_id].extend(
                    replace(a, path=f"{model.model_id}/{a.path}") for a in found
                )
        for run in self._runs(con, tables):
            found = self._artifacts(path, run.artifact_uri, batch, tree)
            found.extend(artifacts_by_run.get(run.run_id, []))
            batch.runs.append(replace(run, artifacts=tuple(found)) if found else run)
        batch.models.extend(self._models(con, tables))
        batch.versions.extend(self._versions(con, tables))
        if revision not in KNOWN_HEADS:
            batch.notes.append(
                f"{path}: MLflow schema revision {revision} is newer or older than the ones "
                "govern was tested with; every table it reads was found."
            )
        return batch

    @staticmethod
    def _revision(con: sqlite3.Connection, tables: dict[str, set[str]]) -> str:
        if "alembic_version" not in tables:
            return "unknown"
        row = con.execute("SELECT version_num FROM alembic_version").fetchone()
        return str(row[0]) if row else "unknown"

    @staticmethod
    def _experiments(con: sqlite3.Connection, tables: dict[str, set[str]]) -> list[Experiment]:
        tags: dict[str, dict[str, str]] = defaultdict(dict)
        if "experiment_tags" in tables:
            for row in _rows(con, "SELECT experiment_id, key, value FROM experiment_tags"):
                tags[str(row["experiment_id"])][row["key"]] = row["value"] or ""
        cols = tables["experiments"]
        out = []
        for row in _rows(con, "SELECT * FROM experiments ORDER BY experiment_id"):
            eid = str(row["experiment_id"])
            out.append(
                Experiment(
                    experiment_id=eid,
                    name=n.text(row["name"]),
                    artifact_location=n.text(row["artifact_location"]),
                    lifecycle_stage=n.text(row["lifecycle_stage"]),
                    created_at=n.timestamp(row["creation_time"])
                    if "creation_time" in cols
                    else None,
                    updated_at=(
                        n.timestamp(row["last_update_time"]) if "last_update_time" in cols else None
                    ),
                    tags=tags.get(eid, {}),
                )
            )
        return out

    @staticmethod
    def _runs(con: sqlite3.Connection, tables: dict[str, set[str]]) -> Iterable[Run]:
        params: dict[str, dict[str, str]] = defaultdict(dict)
        for row in _rows(con, "SELECT run_uuid, key, value FROM params"):
            params[row["run_uuid"]][row["key"]] = row["value"] or ""
        tags: dict[str, dict[str, str]] = defaultdict(dict)
        for row in _rows(con, "SELECT run_uuid, key, value FROM tags"):
            tags[row["run_uuid"]][row["key"]] = row["value"] or ""
        metrics: dict[str, list[MetricPoint]] = defaultdict(list)
        nan = ", is_nan" if "is_nan" in tables["metrics"] else ""
        for row in _rows(
            con,
            f"SELECT run_uuid, key, value, timestamp, step{nan} FROM metrics "
            "ORDER BY run_uuid, key, step, timestamp",
        ):
            value = math.nan if row.get("is_nan") else n.metric_value(row["value"])
            metrics[row["run_uuid"]].append(
                MetricPoint(row["key"], value, n.timestamp(row["timestamp"]), n.step(row["step"]))
            )
        datasets = MlflowSqlAdapter._datasets(con, tables)
        for row in _rows(con, "SELECT * FROM runs ORDER BY start_time, run_uuid"):
            run_id = row["run_uuid"]
            run_tags = tags.get(run_id, {})
            yield Run(
                run_id=run_id,
                experiment_id=n.text(row["experiment_id"]),
                run_name=n.text(row["name"]) or run_tags.get("mlflow.runName"),
                status=n.text(row["status"]),
                user_id=n.text(row["user_id"]) or run_tags.get("mlflow.user"),
                start_time=n.timestamp(row["start_time"]),
                end_time=n.timestamp(row["end_time"]),
                artifact_uri=n.text(row["artifact_uri"]),
                lifecycle_stage=n.text(row["lifecycle_stage"]),
                source_name=run_tags.get("mlflow.source.name")
                or run_tags.get("mlflow.databricks.notebookPath"),
                source_type=run_tags.get("mlflow.source.type"),
                git_commit=n.git_commit(run_tags),
                params=params.get(run_id, {}),
                tags=run_tags,
                metrics=tuple(metrics.get(run_id, [])),
                datasets=tuple(datasets.get(run_id, [])),
            )

    @staticmethod
    def _datasets(
        con: sqlite3.Connection, tables: dict[str, set[str]]
    ) -> dict[str, list[DatasetInput]]:
        if not {"datasets", "inputs"} <= set(tables):
            return {}
        input_tags: dict[str, dict[str, str]] = defaultdict(dict)
        if "input_tags" in tables:
            for row in _rows(con, "SELECT input_uuid, name, value FROM input_tags"):
                input_tags[row["input_uuid"]][row["name"]] = row["value"] or ""
        out: dict[str, list[DatasetInput]] = defaultdict(list)
        for row in _rows(
            con,
            """
            SELECT i.input_uuid, i.destination_id AS run_id, d.name, d.digest,
                   d.dataset_source_type, d.dataset_source, d.dataset_schema, d.dataset_profile
            FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id
            WHERE i.source_type = 'DATASET' AND i.destination_type = 'RUN'
            ORDER BY i.destination_id, d.name
            """,
        ):
            out[row["run_id"]].append(
                n.dataset_input(
                    {
                        "name": row["name"],
                        "digest": row["digest"],
                        "source_type": row["dataset_source_type"],
                        "source": row["dataset_source"],
                        "schema": row["dataset_schema"],
                        "profile": row["dataset_profile"],
                    },
                    input_tags.get(row["input_uuid"], {}),
                )
            )
        return out

    @staticmethod
    def _models(con: sqlite3.Connection, tables: dict[str, set[str]]) -> list[RegisteredModel]:
        tags: dict[str, dict[str, str]] = defaultdict(dict)
        if "registered_model_tags" in tables:
            for row in _rows(con, "SELECT name, key, value FROM registered_model_tags"):
                tags[row["name"]][row["key"]] = row["value"] or ""
        aliases: dict[str, dict[str, str]] | None = None
        if "registered_model_aliases" in tables:
            aliases = defaultdict(dict)
            for row in _rows(con, "SELECT name, alias, version FROM registered_model_aliases"):
                aliases[row["name"]][row["alias"]] = n.version_text(row["version"])
        return [
            RegisteredModel(
                name=row["name"],
                registry="mlflow",
                description=n.text(row["description"]),
                created_at=n.timestamp(row["creation_time"]),
                updated_at=n.timestamp(row["last_updated_time"]),
                tags=tags.get(row["name"], {}),
                aliases=dict(aliases.get(row["name"], {})) if aliases is not None else None,
            )
            for row in _rows(con, "SELECT * FROM registered_models ORDER BY name")
        ]

    @staticmethod
    def _versions(con: sqlite3.Connection, tables: dict[str, set[str]]) -> list[ModelVersion]:
        tags: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
        if "model_version_tags" in tables:
            for row in _rows(con, "SELECT name, version, key, value FROM model_version_tags"):
                tags[(row["name"], n.version_text(row["version"]))][row["key"]] = row["value"] or ""
        out = []
        for row in _rows(con, "SELECT * FROM model_versions ORDER BY name, version"):
            version = n.version_text(row["version"])
            source = n.text(row["source"])
            model_id = (
                source[len("models:/") :] if source and source.startswith("models:/m-") else None
            )
            out.append(
                ModelVersion(
                    model_name=row["name"],
                    version=version,
                    stage=n.stage(row["current_stage"]),
                    status=n.text(row["status"]),
                    status_message=n.text(row.get("status_message")),
                    description=n.text(row["description"]),
                    source=source,
                    run_id=n.text(row["run_id"]),
                    run_link=n.text(row.get("run_link")),
                    user_id=n.text(row["user_id"]),
                    created_at=n.timestamp(row["creation_time"]),
                    updated_at=n.timestamp(row["last_updated_time"]),
                    model_id=model_id,
                    tags=tags.get((row["name"], version), {}),
                )
            )
        return out

    @staticmethod
    def _logged_models(con: sqlite3.Connection, tables: dict[str, set[str]]) -> list[LoggedModel]:
        if "logged_models" not in tables:
            return []
        tags: dict[str, dict[str, str]] = defaultdict(dict)
        if "logged_model_tags" in tables:
            for row in _rows(con, "SELECT model_id, tag_key, tag_value FROM logged_model_tags"):
                tags[row["model_id"]][row["tag_key"]] = row["tag_value"] or ""
        return [
            LoggedModel(
                model_id=row["model_id"],
                name=n.text(row.get("name")),
                experiment_id=n.text(row.get("experiment_id")),
                source_run_id=n.text(row.get("source_run_id")),
                artifact_uri=n.text(row.get("artifact_location")),
                status=n.enum_name(row.get("status"), n.LOGGED_MODEL_STATUS),
                created_at=n.timestamp(row.get("creation_timestamp_ms")),
                tags=tags.get(row["model_id"], {}),
            )
            for row in _rows(con, "SELECT * FROM logged_models ORDER BY model_id")
        ]

    @staticmethod
    def _artifacts(db: Path, uri: str | None, batch: Batch, tree: files.Tree) -> list[Artifact]:
        """Scan an artifact location if it is on this machine and inside ``tree``.

        ``tree`` is the folder the user named (or the one holding the store file): an
        artifact location elsewhere is noted, not read. Records the files read.
        """
        folder = local_artifact_dir(db, uri)
        if folder is None:
            return []
        if not tree.contains(folder):
            batch.notes.append(
                f"{db}: artifact location {uri} is outside {tree.root}; not read (govern reads "
                "only inside the folder named)."
            )
            return []
        found = n.scan_artifacts(folder, tree=tree, notes=batch.notes)
        batch.files.extend(folder / a.path for a in found)
        return found


def local_artifact_dir(db: Path, uri: str | None) -> Path | None:
    """Map an artifact URI to a local folder, if it is one that exists here."""
    if not uri:
        return None
    parsed = urlparse(uri)
    candidate: Path | None = None
    if parsed.scheme == "file":
        candidate = Path(unquote(parsed.path))
    elif parsed.scheme == "mlflow-artifacts":
        candidate = db.parent / "mlartifacts" / unquote(parsed.path).lstrip("/")
    elif parsed.scheme == "" and uri.startswith("/"):
        candidate = Path(uri)
    if candidate is not None and candidate.is_dir():
        return candidate
    return None
