"""The DuckDB store: open (create, migrate), record sources, write batches atomically.

One file holds everything. Every ingest is one transaction: either every unit of the ingest
is written together with its ``sources`` row, or nothing is (a failure rolls back). A unit
whose SHA-256 is already in ``sources`` is skipped, which makes re-ingesting the same bytes
a no-op. Re-ingesting a newer export of the same entities updates them: a value the new
source leaves empty never erases a value an earlier source gave.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govern.errors import StoreError
from govern.ingest.records import Batch, ModelVersion, RegisteredModel, Run
from govern.store.schema import MIGRATIONS, SCHEMA_VERSION

if TYPE_CHECKING:
    import duckdb

ENV_DB = "GOVERN_DB"
DEFAULT_DB = Path(".govern") / "govern.duckdb"


def default_db_path() -> Path:
    """Return the store path: ``$GOVERN_DB`` if set, else ``.govern/govern.duckdb``."""
    env = os.environ.get(ENV_DB)
    return Path(env) if env else DEFAULT_DB


def _utc_naive(value: datetime | None) -> datetime | None:
    """Store timestamps as naive UTC (the schema's convention)."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


@dataclass(frozen=True)
class SourceRecord:
    """One ingested unit: a file or folder, its detected format and the hash of its bytes."""

    sha256: str
    path: str
    format: str
    family: str
    files: int


#: Writers of ``Batch.extra`` entries, by key: ``writer(store, source_sha, records)``, called
#: inside the ingest transaction. Modules of other families register themselves here.
EXTRA_WRITERS: dict[str, Callable[[Store, str, Any], None]] = {}


class Store:
    """A govern store on disk. Use :meth:`open`; close with :meth:`close` or ``with``."""

    def __init__(self, path: Path, connection: duckdb.DuckDBPyConnection) -> None:
        self.path = path
        self.con = connection

    @classmethod
    def open(cls, path: Path | None = None, *, read_only: bool = False) -> Store:
        """Open the store at ``path`` (default :func:`default_db_path`), creating it if needed.

        A read-only open of a store that does not exist yet raises :class:`StoreError`.
        """
        import duckdb  # imported here so `govern --help` stays fast

        path = Path(path) if path is not None else default_db_path()
        if read_only and not path.exists():
            raise StoreError(
                f"there is no govern store at {path}.",
                hint="Load exports first with `govern ingest PATH`, or point --db at a store.",
            )
        try:
            if not read_only:
                path.parent.mkdir(parents=True, exist_ok=True)
            con = duckdb.connect(str(path), read_only=read_only)
        except (duckdb.Error, OSError) as exc:
            raise StoreError(
                f"cannot open the govern store {path}: {exc}",
                hint="Is another govern process writing to it? Otherwise check the path.",
            ) from exc
        store = cls(path, con)
        store._migrate(read_only=read_only)
        return store

    def close(self) -> None:
        """Close the connection."""
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema -------------------------------------------------------------------------------

    def schema_version(self) -> int:
        """Return the schema version of the open store (0 for a new, empty file)."""
        exists = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
        ).fetchone()
        if not exists or exists[0] == 0:
            return 0
        row = self.con.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def _migrate(self, *, read_only: bool) -> None:
        current = self.schema_version()
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"the store {self.path} has schema version {current}, newer than this govern "
                f"understands ({SCHEMA_VERSION}).",
                hint="Upgrade govern, or use a different --db.",
            )
        if current == SCHEMA_VERSION:
            return
        if read_only:
            raise StoreError(
                f"the store {self.path} needs a schema upgrade ({current} -> {SCHEMA_VERSION}).",
                hint="Run any writing command (e.g. `govern ingest`) once to migrate it.",
            )
        with self.transaction():
            self.con.execute(
                "CREATE TABLE IF NOT EXISTS schema_version "
                "(version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
            )
            for number in range(current + 1, SCHEMA_VERSION + 1):
                self.con.execute(MIGRATIONS[number - 1])
                self.con.execute(
                    "INSERT INTO schema_version VALUES (?, ?)",
                    [number, _utc_naive(datetime.now(UTC))],
                )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run a block in one transaction; roll back everything if it raises."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    # -- queries ------------------------------------------------------------------------------

    def has_source(self, sha256: str) -> bool:
        """Return True when bytes with this SHA-256 were ingested before."""
        row = self.con.execute("SELECT count(*) FROM sources WHERE sha256 = ?", [sha256]).fetchone()
        return bool(row and row[0])

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run a read query and return rows as dicts."""
        cursor = self.con.execute(sql, list(params))
        names = [d[0] for d in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    # -- writes -------------------------------------------------------------------------------

    def write(self, units: Sequence[tuple[SourceRecord, Batch]], *, now: datetime) -> None:
        """Write every unit and its ``sources`` row in one transaction (all or nothing)."""
        with self.transaction():
            for source, batch in units:
                self._write_unit(source, batch, now=now)

    def _write_unit(self, source: SourceRecord, batch: Batch, *, now: datetime) -> None:
        sha = source.sha256
        self.con.execute(
            "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                sha,
                source.path,
                source.format,
                source.family,
                source.files,
                json.dumps(batch.counts(), sort_keys=True),
                _utc_naive(now),
            ],
        )
        for doc in batch.documents:
            self.con.execute(
                "INSERT INTO documents VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [doc.sha256, sha, doc.path, doc.kind, doc.text],
            )
        for exp in batch.experiments:
            self._upsert(
                "experiments",
                ("experiment_id",),
                {
                    "experiment_id": exp.experiment_id,
                    "name": exp.name,
                    "artifact_location": exp.artifact_location,
                    "lifecycle_stage": exp.lifecycle_stage,
                    "created_at": _utc_naive(exp.created_at),
                    "updated_at": _utc_naive(exp.updated_at),
                    "source_sha": sha,
                },
            )
            self._put_pairs("experiment_tags", ("experiment_id",), (exp.experiment_id,), exp.tags)
        for model in batch.models:
            self._write_model(model, sha)
        for version in batch.versions:
            self._write_version(version, sha)
        for run in batch.runs:
            self._write_run(run, sha)
        for logged in batch.logged_models:
            self._upsert(
                "logged_models",
                ("model_id",),
                {
                    "model_id": logged.model_id,
                    "name": logged.name,
                    "experiment_id": logged.experiment_id,
                    "source_run_id": logged.source_run_id,
                    "artifact_uri": logged.artifact_uri,
                    "status": logged.status,
                    "created_at": _utc_naive(logged.created_at),
                    "source_sha": sha,
                },
            )
            self._put_pairs("logged_model_tags", ("model_id",), (logged.model_id,), logged.tags)
        for key, records in sorted(batch.extra.items()):
            writer = EXTRA_WRITERS.get(key)
            if writer is None:
                raise StoreError(f"no writer is registered for {key!r} records.")
            writer(self, sha, records)

    def _write_model(self, model: RegisteredModel, sha: str) -> None:
        self._upsert(
            "registered_models",
            ("name",),
            {
                "name": model.name,
                "registry": model.registry,
                "description": model.description,
                "created_at": _utc_naive(model.created_at),
                "updated_at": _utc_naive(model.updated_at),
                "user_id": model.user_id,
                "source_sha": sha,
            },
        )
        self._put_pairs("model_tags", ("model_name",), (model.name,), model.tags)
        if model.aliases is not None:
            # The registered model's alias list is the whole truth at export time.
            self.con.execute("DELETE FROM model_aliases WHERE model_name = ?", [model.name])
            for alias, version in sorted(model.aliases.items()):
                self.con.execute(
                    "INSERT INTO model_aliases VALUES (?, ?, ?)", [model.name, alias, version]
                )

    def _write_version(self, version: ModelVersion, sha: str) -> None:
        self._upsert(
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
                "created_at": _utc_naive(version.created_at),
                "updated_at": _utc_naive(version.updated_at),
                "model_id": version.model_id,
                "git_commit": version.git_commit,
                "code_repository": version.code_repository,
                "approval_status": version.approval_status,
                "export_error": version.export_error,
                "source_sha": sha,
            },
        )
        self._put_pairs(
            "version_tags",
            ("model_name", "version"),
            (version.model_name, version.version),
            version.tags,
        )
        for alias in version.aliases:
            self.con.execute(
                "INSERT OR REPLACE INTO model_aliases VALUES (?, ?, ?)",
                [version.model_name, alias, version.version],
            )

    def _write_run(self, run: Run, sha: str) -> None:
        self._upsert(
            "runs",
            ("run_id",),
            {
                "run_id": run.run_id,
                "experiment_id": run.experiment_id,
                "run_name": run.run_name,
                "status": run.status,
                "user_id": run.user_id,
                "start_time": _utc_naive(run.start_time),
                "end_time": _utc_naive(run.end_time),
                "artifact_uri": run.artifact_uri,
                "lifecycle_stage": run.lifecycle_stage,
                "source_name": run.source_name,
                "source_type": run.source_type,
                "git_commit": run.git_commit,
                "source_sha": sha,
            },
        )
        self._put_pairs("run_params", ("run_id",), (run.run_id,), run.params)
        self._put_pairs("run_tags", ("run_id",), (run.run_id,), run.tags)
        if run.metrics:
            # Keep the full history; a point seen before (same key, step, time, value) is skipped.
            self.con.execute(
                "CREATE OR REPLACE TEMP TABLE _metrics "
                "(run_id VARCHAR, key VARCHAR, value DOUBLE, timestamp TIMESTAMP, step BIGINT)"
            )
            self.con.executemany(
                "INSERT INTO _metrics VALUES (?, ?, ?, ?, ?)",
                [
                    (run.run_id, m.key, m.value, _utc_naive(m.timestamp), m.step)
                    for m in run.metrics
                ],
            )
            self.con.execute(
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
            self.con.execute("DROP TABLE _metrics")
        for ds in run.datasets:
            self.con.execute(
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
            self.con.execute(
                "INSERT OR REPLACE INTO artifacts VALUES (?, ?, ?, ?, ?, ?)",
                [run.run_id, art.path, art.kind, art.sha256, list(art.flavors), art.detail],
            )

    def _upsert(self, table: str, keys: tuple[str, ...], row: dict[str, Any]) -> None:
        """Insert a row, or update it keeping old values where the new ones are NULL."""
        columns = list(row)
        updates = ", ".join(
            f"{c} = COALESCE(excluded.{c}, {table}.{c})" for c in columns if c not in keys
        )
        self.con.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)}) "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}",
            list(row.values()),
        )

    def _put_pairs(
        self,
        table: str,
        key_columns: tuple[str, ...],
        key_values: tuple[str, ...],
        pairs: dict[str, str],
    ) -> None:
        """Insert or replace key/value pairs (tags, params) of one entity."""
        if not pairs:
            return
        placeholders = ", ".join("?" for _ in range(len(key_columns) + 2))
        self.con.executemany(
            f"INSERT OR REPLACE INTO {table} VALUES ({placeholders})",
            [(*key_values, k, v) for k, v in sorted(pairs.items())],
        )
