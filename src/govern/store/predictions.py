"""Prediction logs in the store: load them (inside the ingest transaction) and read windows.

Each log is copied by DuckDB into its own table ``predlog_<sha>`` (the file's columns plus
``__govern_ts``, the timestamp in UTC) and described in ``prediction_logs`` (model, version,
role, column mapping, rows, time span, null counts). :func:`relation` builds a view over every
log of a model and role, with the standard columns ``__ts``, ``__prediction``, ``__score``,
``__label``, ``__id`` and ``__version`` next to the original ones, optionally cut to a time
window; checks read that view by name.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from govern.errors import UsageError
from govern.ingest.predictions import GroundTruth, PredictionLog, quote
from govern.store.store import EXTRA_WRITERS, Store


def table_name(sha: str, index: int) -> str:
    """The store table holding one log's rows."""
    return f"predlog_{sha[:16]}" + (f"_{index}" if index else "")


def write_logs(store: Store, sha: str, logs: Sequence[PredictionLog]) -> None:
    """Copy each planned log into its own table and describe it (one transaction)."""
    for index, log in enumerate(logs):
        name = table_name(sha, index)
        store.con.execute(f"CREATE TABLE {quote(name)} AS {log.select_sql}")
        columns = [c for c in log.columns if c != "__govern_ts"]
        counts = ", ".join(f"count({quote(c)})" for c in columns)
        row = store.con.execute(
            "SELECT count(*), min(__govern_ts), max(__govern_ts)"
            + (f", {counts}" if counts else "")
            + f" FROM {quote(name)}"
        ).fetchone()
        assert row is not None
        total = int(row[0])
        nulls = {c: total - int(v) for c, v in zip(columns, row[3:], strict=True)}
        store.con.execute(
            "INSERT INTO prediction_logs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                name,
                sha,
                log.path,
                log.format,
                log.model,
                log.version,
                log.role,
                json.dumps(dict(log.mapping), sort_keys=True),
                list(log.sensitive),
                list(log.features),
                json.dumps(dict(log.columns)),
                total,
                row[1],
                row[2],
                json.dumps(nulls, sort_keys=True),
            ],
        )


def write_ground_truth(store: Store, sha: str, records: Sequence[GroundTruth]) -> None:
    """Load labels by event id."""
    for gt in records:
        store.con.execute(
            "INSERT INTO ground_truth SELECT ?, CAST(event_id AS VARCHAR), label, ? "
            f"FROM ({gt.select_sql})",
            [gt.model, sha],
        )


EXTRA_WRITERS["predictions"] = write_logs
EXTRA_WRITERS["ground_truth"] = write_ground_truth


@dataclass(frozen=True)
class LogInfo:
    """One ingested prediction log, as described in ``prediction_logs``."""

    table: str
    path: str
    format: str
    model: str
    version: str | None
    role: str
    mapping: dict[str, str]
    sensitive: tuple[str, ...]
    features: tuple[str, ...]
    columns: dict[str, str]
    rows: int
    ts_min: datetime | None
    ts_max: datetime | None
    null_counts: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready description."""
        return {
            "table": self.table,
            "path": self.path,
            "format": self.format,
            "model": self.model,
            "version": self.version,
            "role": self.role,
            "mapping": self.mapping,
            "sensitive": list(self.sensitive),
            "features": list(self.features),
            "columns": self.columns,
            "rows": self.rows,
            "ts_min": self.ts_min.isoformat() + "Z" if self.ts_min else None,
            "ts_max": self.ts_max.isoformat() + "Z" if self.ts_max else None,
            "null_counts": self.null_counts,
        }


def logs(
    store: Store,
    *,
    model: str | None = None,
    role: str | None = None,
    sources: Sequence[str] | None = None,
) -> list[LogInfo]:
    """The ingested logs, optionally of one model/role or from some sources."""
    rows = store.query(
        "SELECT * FROM prediction_logs WHERE (? IS NULL OR model = ?) AND (? IS NULL OR role = ?) "
        "ORDER BY model, role, ts_min NULLS LAST, table_name",
        [model, model, role, role],
    )
    out = [
        LogInfo(
            table=r["table_name"],
            path=r["path"],
            format=r["format"],
            model=r["model"],
            version=r["version"],
            role=r["role"],
            mapping=json.loads(r["mapping"]),
            sensitive=tuple(r["sensitive"]),
            features=tuple(r["features"]),
            columns=json.loads(r["columns"]),
            rows=int(r["rows"]),
            ts_min=r["ts_min"],
            ts_max=r["ts_max"],
            null_counts=json.loads(r["null_counts"]),
        )
        for r in rows
    ]
    if sources is not None:
        wanted = set(sources)
        keep = {
            r["table_name"]
            for r in store.query("SELECT table_name, source_sha FROM prediction_logs")
            if r["source_sha"] in wanted
        }
        out = [log for log in out if log.table in keep]
    return out


@dataclass(frozen=True)
class Window:
    """A half-open time window [start, end) in UTC; ``None`` bounds are open."""

    start: datetime | None = None
    end: datetime | None = None

    def label(self) -> str:
        """Human-readable bounds."""
        start = self.start.date().isoformat() if self.start else "…"
        end = self.end.date().isoformat() if self.end else "…"
        return f"[{start}, {end})"


def _standard(log: LogInfo) -> str:
    """One log's rows with the standard columns (labels from ground truth by event id)."""
    m = log.mapping

    def col(key: str) -> str:
        return "p." + quote(m[key]) if key in m else "NULL"

    if "model_version" in m:
        version = col("model_version")
    else:
        version = "'" + log.version.replace("'", "''") + "'" if log.version else "NULL"
    join = ""
    label = col("label")
    if "label" not in m and "id" in m:
        model = log.model.replace("'", "''")
        join = (
            " LEFT JOIN (SELECT event_id, any_value(label) AS label FROM ground_truth "
            f"WHERE model = '{model}' GROUP BY event_id) g "
            f"ON g.event_id = CAST({col('id')} AS VARCHAR)"
        )
        label = "g.label"
    return (
        f"SELECT p.*, p.__govern_ts AS __ts, {col('prediction')} AS __prediction, "
        f"{col('score')} AS __score, {label} AS __label, {col('id')} AS __id, "
        f"CAST({version} AS VARCHAR) AS __version FROM {quote(log.table)} p{join}"
    )


def relation(
    store: Store,
    name: str,
    *,
    model: str,
    role: str,
    version: str | None = None,
    window: Window | None = None,
) -> list[LogInfo]:
    """Create (or replace) a temporary view ``name`` over a model's logs of one role.

    Returns the logs it covers; raises :class:`UsageError` when there are none.
    """
    found = logs(store, model=model, role=role)
    if not found:
        raise UsageError(
            f"no {role} prediction log of model {model!r} is in the store.",
            hint=f"Load one with `govern ingest LOG --model {model} --role {role} ...`.",
        )
    union = " UNION ALL BY NAME ".join(f"({_standard(log)})" for log in found)
    conditions = []
    params: list[Any] = []
    if version is not None:
        conditions.append("__version = ?")
        params.append(version)
    if window is not None and window.start is not None:
        conditions.append("__ts >= ?")
        params.append(window.start)
    if window is not None and window.end is not None:
        conditions.append("__ts < ?")
        params.append(window.end)
    where = (" WHERE " + " AND ".join(conditions)) if conditions else ""
    # Views cannot take parameters: inline them as typed literals.
    for value in params:
        literal = (
            f"TIMESTAMP '{value.isoformat(sep=' ')}'"
            if isinstance(value, datetime)
            else "'" + str(value).replace("'", "''") + "'"
        )
        where = where.replace("?", literal, 1)
    store.con.execute(
        f"CREATE OR REPLACE TEMP VIEW {quote(name)} AS SELECT * FROM ({union}){where}"
    )
    return found
