"""Registry records into the store's tables: one writer per kind of record.

Called by :meth:`govern.store.store.Store.write` inside its transaction. An entity seen
before is updated, never erased: a value the new source leaves empty keeps the old one
(:func:`upsert`); key/value pairs (tags, params) are replaced pair by pair (:func:`put_pairs`);
metric points, datasets and artifacts already held are skipped. Other families (prediction
logs, monitoring reports) register a writer of their own in :data:`EXTRA_WRITERS`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from govern.errors import StoreError

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

    from govern.records.registry import Batch, ModelVersion, RegisteredModel, Run
    from govern.store.store import SourceRecord, Store

__all__ = [
    "EXTRA_WRITERS",
    "put_pairs",
    "upsert",
    "utc_naive",
    "write_model",
    "write_run",
    "write_unit",
    "write_version",
]

#: Writers of ``Batch.extra`` entries, by key: ``writer(store, source_sha, records)``, called
#: inside the ingest transaction. Modules of other families register themselves here.
EXTRA_WRITERS: dict[str, Callable[[Store, str, Any], None]] = {}


def utc_naive(value: datetime | None) -> datetime | None:
    """Store timestamps as naive UTC (the schema's convention)."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def write_unit(store: Store, source: SourceRecord, batch: Batch, *, now: datetime) -> None:
    """Write one unit's records and its ``sources`` row (inside the caller's transaction)."""
    con, sha = store.con, source.sha256
    con.execute(
        "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            sha,
            source.path,
            source.format,
            source.family,
            source.files,
            json.dumps(batch.counts(), sort_keys=True),
            utc_naive(now),
        ],
    )
    for doc in batch.documents:
        con.execute(
            "INSERT INTO documents VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [doc.sha256, sha, doc.path, doc.kind, doc.text],
        )
    for exp in batch.experiments:
        upsert(
            con,
            "experiments",
            ("experiment_id",),
            {
                "experiment_id": exp.experiment_id,
                "name": exp.name,
                "artifact_location": exp.artifact_location,
                "lifecycle_stage": exp.lifecycle_stage,
                "created_at": utc_naive(exp.created_at),
                "updated_at": utc_naive(exp.updated_at),
                "source_sha": sha,
            },
        )
        put_pairs(con, "experiment_tags", ("experiment_id",), (exp.experiment_id,), exp.tags)
    for model in batch.models:
        write_model(con, model, sha)
    for version in batch.versions:
        write_version(con, version, sha)
    for run in batch.runs:
        write_run(con, run, sha)
    for logged in batch.logged_models:
        upsert(
            con,
            "logged_models",
            ("model_id",),
            {
                "model_id": logged.model_id,
                "name": logged.name,
                "experiment_id": logged.experiment_id,
                "source_run_id": logged.source_run_id,
                "artifact_uri": logged.artifact_uri,
                "status": logged.status,
                "created_at": utc_naive(logged.created_at),
                "source_sha": sha,
            },
        )
        put_pairs(con, "logged_model_tags", ("model_id",), (logged.model_id,), logged.tags)
    for key, records in sorted(batch.extra.items()):
        writer = EXTRA_WRITERS.get(key)
        if writer is None:
            raise StoreError(f"no writer is registered for {key!r} records.")
        writer(store, sha, records)


def write_model(con: DuckDBPyConnection, model: RegisteredModel, sha: str) -> None:
    """A registered model, its tags, and its aliases when the source lists them all."""
    upsert(
        con,
        "registered_models",
        ("name",),
        {
            "name": model.name,
            "registry": model.registry,
            "description": model.description,
            "created_at": utc_naive(model.created_at),
            "updated_at": utc_naive(model.updated_at),
            "user_id": model.user_id,
            "source_sha": sha,
        },
    )
    put_pairs(con, "model_tags", ("model_name",), (model.name,), model.tags)
    if model.aliases is not None:
        # The registered model's alias list is the whole truth at export time.
        con.execute("DELETE FROM model_aliases WHERE model_name = ?", [model.name])
        for alias, version in sorted(model.aliases.items()):
            con.execute("INSERT INTO model_aliases VALUES (?, ?, ?)", [model.name, alias, version])


def write_version(con: DuckDBPyConnection, version: ModelVersion, sha: str) -> None:
    """A model version, its tags and the aliases that point at it."""
    upsert(
        con,
        "model_versions",
        ("model_name", "version"),
        {
            "model_name": version.model_name,
            "version": version.version,
            "stage": version.stage,
            "status": version.status,
            "status_message": version.status_message,
            "description": version.description,
            "source": version.source,
            "run_id": version.run_id,
            "run_link": version.run_link,
            "user_id": version.user_id,
            "created_at": utc_naive(version.created_at),
            "updated_at": utc_naive(version.updated_at),
            "model_id": version.model_id,
            "git_commit": version.git_commit,
            "code_repository": version.code_repository,
            "approval_status": version.approval_status,
            "export_error": version.export_error,
            "source_sha": sha,
        },
    )
    put_pairs(
        con,
        "version_tags",
        ("model_name", "version"),
        (version.model_name, version.version),
        version.tags,
    )
    for alias in version.aliases:
        con.execute(
            "INSERT OR REPLACE INTO model_aliases VALUES (?, ?, ?)",
            [version.model_name, alias, version.version],
        )


def write_run(con: DuckDBPyConnection, run: Run, sha: str) -> None:
    """A run: its params, tags, metric history, datasets and artifacts."""
    upsert(
        con,
        "runs",
        ("run_id",),
        {
            "run_id": run.run_id,
            "experiment_id": run.experiment_id,
            "run_name": run.run_name,
            "status": run.status,
            "user_id": run.user_id,
            "start_time": utc_naive(run.start_time),
            "end_time": utc_naive(run.end_time),
            "artifact_uri": run.artifact_uri,
            "lifecycle_stage": run.lifecycle_stage,
            "source_name": run.source_name,
            "source_type": run.source_type,
            "git_commit": run.git_commit,
            "source_sha": sha,
        },
    )
    put_pairs(con, "run_params", ("run_id",), (run.run_id,), run.params)
    put_pairs(con, "run_tags", ("run_id",), (run.run_id,), run.tags)
    if run.metrics:
        # Keep the full history; a point seen before (same key, step, time, value) is skipped.
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _metrics "
            "(run_id VARCHAR, key VARCHAR, value DOUBLE, timestamp TIMESTAMP, step BIGINT)"
        )
        con.executemany(
            "INSERT INTO _metrics VALUES (?, ?, ?, ?, ?)",
            [(run.run_id, m.key, m.value, utc_naive(m.timestamp), m.step) for m in run.metrics],
        )
        con.execute(
            """
            INSERT INTO run_metrics
            SELECT DISTINCT n.* FROM _metrics n
            WHERE NOT EXISTS (
                SELECT 1 FROM run_metrics o
                WHERE o.run_id = n.run_id AND o.key = n.key AND o.step = n.step
                  AND o.timestamp IS NOT DISTINCT FROM n.timestamp
                  AND o.value IS NOT DISTINCT FROM n.value)
            """
        )
        con.execute("DROP TABLE _metrics")
    for ds in run.datasets:
        con.execute(
            """
            INSERT INTO run_datasets
            SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?
            WHERE NOT EXISTS (
                SELECT 1 FROM run_datasets
                WHERE run_id = ? AND name = ? AND digest IS NOT DISTINCT FROM ?
                  AND context IS NOT DISTINCT FROM ?)
            """,
            [
                run.run_id,
                ds.name,
                ds.digest,
                ds.context,
                ds.source_type,
                ds.source,
                ds.source_uri,
                ds.schema,
                ds.profile,
                run.run_id,
                ds.name,
                ds.digest,
                ds.context,
            ],
        )
    for art in run.artifacts:
        con.execute(
            "INSERT OR REPLACE INTO artifacts VALUES (?, ?, ?, ?, ?, ?)",
            [run.run_id, art.path, art.kind, art.sha256, list(art.flavors), art.detail],
        )


def upsert(con: DuckDBPyConnection, table: str, keys: tuple[str, ...], row: dict[str, Any]) -> None:
    """Insert a row, or update it keeping old values where the new ones are NULL."""
    columns = list(row)
    updates = ", ".join(
        f"{c} = COALESCE(excluded.{c}, {table}.{c})" for c in columns if c not in keys
    )
    con.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}",
        list(row.values()),
    )


def put_pairs(
    con: DuckDBPyConnection,
    table: str,
    key_columns: tuple[str, ...],
    key_values: tuple[str, ...],
    pairs: dict[str, str],
) -> None:
    """Insert or replace key/value pairs (tags, params) of one entity."""
    if not pairs:
        return
    placeholders = ", ".join("?" for _ in range(len(key_columns) + 2))
    con.executemany(
        f"INSERT OR REPLACE INTO {table} VALUES ({placeholders})",
        [(*key_values, k, v) for k, v in sorted(pairs.items())],
    )
