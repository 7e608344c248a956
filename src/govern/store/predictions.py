"""Prediction logs in the store: load them (inside the ingest transaction) and read windows.

Each log is copied by DuckDB into its own table ``predlog_<sha>`` (the file's columns plus
``__govern_ts``, the timestamp in UTC) and described in ``prediction_logs`` (model, version,
role, column mapping, rows, time span, null counts). :func:`relation` builds a view over every
log of a model and role, with the standard columns ``__ts``, ``__prediction``, ``__score``,
``__label``, ``__id`` and ``__version`` next to the original ones, optionally cut to a time
window; checks read that view by name.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from govern.errors import IngestError, UsageError
from govern.records.predictions import GROUND_TRUTH_KEY, PREDICTIONS_KEY, GroundTruth, PredictionLog
from govern.sql import quote
from govern.store.store import Store
from govern.store.writers import EXTRA_WRITERS


def table_name(sha: str, index: int) -> str:
    """The store table holding one log's rows."""
    return f"predlog_{sha[:16]}" + (f"_{index}" if index else "")


def write_logs(store: Store, sha: str, logs: Sequence[PredictionLog]) -> None:
    """Copy each planned log into its own table and describe it (one transaction)."""
    import duckdb

    for index, log in enumerate(logs):
        name = table_name(sha, index)
        try:
            store.con.execute(f"CREATE TABLE {quote(name)} AS {log.select_sql}")
        except (duckdb.ConversionException, duckdb.InvalidInputException) as exc:
            raise _load_error(log, exc) from exc
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


_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")
_CONVERT = re.compile(
    r'converting column "(?P<column>(?:[^"]|"")*)"\. Could not convert string '
    r'"(?P<value>.*?)" to \'(?P<type>[^\']+)\''
)


_JSON_LINE = re.compile(
    r'in line (?P<line>\d+): Failed to cast value to (?P<type>[\w ]+?): "(?P<value>.*?)"'
)


def _load_error(log: PredictionLog, exc: Exception) -> IngestError:
    """A plain message for a log DuckDB could not load whole (a type change past the sample)."""
    text = str(exc)
    line = _CSV_LINE.search(text)
    convert = _CONVERT.search(text)
    if line and convert:
        value = convert["value"]
        shown = value if len(value) <= 40 else value[:37] + "..."
        return IngestError(
            f"column {convert['column']!r} changes type at line {line[1]}: {shown!r} is not "
            f"{convert['type']}, the type inferred from the rows before it. Nothing was written.",
            hint="Ingest it again with --sample-size -1 (types inferred from the whole file), "
            "or convert the log to Parquet with declared column types.",
            path=log.path,
        )
    json_line = _JSON_LINE.search(text)
    if json_line:
        value = json_line["value"]
        shown = value if len(value) <= 40 else value[:37] + "..."
        return IngestError(
            f"line {json_line['line']} has a value of another type than the rows before it "
            f"({shown!r} is not {json_line['type']}). Nothing was written.",
            hint="Ingest it again with --sample-size -1 (types inferred from the whole file), "
            "or convert the log to Parquet with declared column types.",
            path=log.path,
        )
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return IngestError(
        f"{log.path} could not be loaded: {first}. Nothing was written.",
        hint="If a column's type changes after the first rows, ingest it again with "
        "--sample-size -1, or convert the log to Parquet with declared column types.",
        path=log.path,
    )


def write_ground_truth(store: Store, sha: str, records: Sequence[GroundTruth]) -> None:
    """Load labels by event id."""
    for gt in records:
        store.con.execute(
            "INSERT INTO ground_truth SELECT ?, CAST(event_id AS VARCHAR), label, ? "
            f"FROM ({gt.select_sql})",
            [gt.model, sha],
        )


EXTRA_WRITERS[PREDICTIONS_KEY] = write_logs
EXTRA_WRITERS[GROUND_TRUTH_KEY] = write_ground_truth


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


def _variable(view: str, key: str) -> str:
    """The name of a DuckDB variable holding one bound value of the view ``view``.

    Made of the view name's digest, so that it is a plain identifier whatever the view is
    called, and each view keeps its own values.
    """
    digest = hashlib.sha256(view.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"govern_rel_{digest}_{key}"


def _get(view: str, key: str) -> str:
    """SQL reading one bound value of ``view`` (``getvariable`` is folded at bind time)."""
    name = _variable(view, key)
    assert _SAFE_VARIABLE.fullmatch(name), name
    return f"getvariable('{name}')"


_SAFE_VARIABLE = re.compile(r"govern_rel_[0-9a-f]{16}_[a-z0-9_]+")


def _standard(log: LogInfo, view: str, index: int) -> tuple[str, dict[str, Any]]:
    """One log's rows with the standard columns (labels from ground truth by event id).

    Returns the SQL and the values it reads from variables (see :func:`relation`).
    """
    m = log.mapping
    values: dict[str, Any] = {}

    def col(key: str) -> str:
        return "p." + quote(m[key]) if key in m else "NULL"

    if "model_version" in m:
        version = col("model_version")
    elif log.version:
        values[f"log{index}_version"] = log.version
        version = _get(view, f"log{index}_version")
    else:
        version = "NULL"
    join = ""
    label = col("label")
    if "label" not in m and "id" in m:
        values["model"] = log.model
        join = (
            " LEFT JOIN (SELECT event_id, any_value(label) AS label FROM ground_truth "
            f"WHERE model = {_get(view, 'model')} GROUP BY event_id) g "
            f"ON g.event_id = CAST({col('id')} AS VARCHAR)"
        )
        label = "g.label"
    sql = (
        f"SELECT p.*, p.__govern_ts AS __ts, {col('prediction')} AS __prediction, "
        f"{col('score')} AS __score, {label} AS __label, {col('id')} AS __id, "
        f"CAST({version} AS VARCHAR) AS __version FROM {quote(log.table)} p{join}"
    )
    return sql, values


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

    Values (the model, versions, window bounds) are never written into the SQL text: a view
    cannot take parameters, so each value is bound into a DuckDB variable of this connection
    (``SET VARIABLE ... = ?``) and the view reads it with ``getvariable``, which DuckDB folds
    into a constant when a query over the view is bound, so filters still reach the scans.
    The view is temporary, like the variables: it is valid only on ``store.con``, and a later
    call for the same ``name`` replaces both.
    """
    found = logs(store, model=model, role=role)
    if not found:
        raise UsageError(
            f"no {role} prediction log of model {model!r} is in the store.",
            hint=f"Load one with `govern ingest LOG --model {model} --role {role} ...`.",
        )
    values: dict[str, Any] = {}
    parts = []
    for index, log in enumerate(found):
        sql, used = _standard(log, name, index)
        parts.append(f"({sql})")
        values.update(used)
    union = " UNION ALL BY NAME ".join(parts)
    conditions = []
    if version is not None:
        values["version"] = version
        conditions.append(f"__version = {_get(name, 'version')}")
    if window is not None and window.start is not None:
        values["start"] = window.start
        conditions.append(f"__ts >= {_get(name, 'start')}")
    if window is not None and window.end is not None:
        values["end"] = window.end
        conditions.append(f"__ts < {_get(name, 'end')}")
    where = (" WHERE " + " AND ".join(conditions)) if conditions else ""
    for key, value in values.items():
        if isinstance(value, datetime):
            if value.tzinfo is not None:  # the store's timestamps are naive UTC
                value = value.astimezone(UTC).replace(tzinfo=None)
            cast = "TIMESTAMP"
        else:
            cast = "VARCHAR"
        store.con.execute(f"SET VARIABLE {_variable(name, key)} = CAST(? AS {cast})", [value])
    store.con.execute(
        f"CREATE OR REPLACE TEMP VIEW {quote(name)} AS SELECT * FROM ({union}){where}"
    )
    return found
