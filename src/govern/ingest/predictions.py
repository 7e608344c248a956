"""Production prediction logs: Parquet, CSV, JSON Lines and SageMaker Data Capture.

A prediction log is read by DuckDB itself (``read_parquet``/``read_csv``/``read_json``), never
row by row in Python, so a log larger than memory is fine. The adapter only *plans* the load:
it checks the file's schema against the column mapping given on the command line (model,
version, role, timestamp, prediction, score, label, id, sensitive attributes, features) and
that timestamps parse; the store then copies the file into its own table inside the ingest
transaction (:mod:`govern.store.predictions`).

Tabular files are taken as prediction logs only when a role is given (``--role reference`` or
``--role current``): a stray CSV in an export folder is never loaded by accident.

SageMaker Data Capture (``captureData`` records) is flattened in SQL: CSV payloads become
columns ``_c0, _c1, ...`` (Model Monitor's names for headerless CSV), the endpoint output
becomes ``prediction``; ``eventMetadata.eventId`` is the record id. Ground-truth files
(``groundTruthData``) hold labels by event id; they are joined to captured predictions when a
window is read.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govern.errors import IngestError, MalformedInputError, UsageError
from govern.ingest import normalise as n
from govern.ingest.base import Candidate, Kind
from govern.ingest.records import Batch

#: Standard roles of a mapped column.
MAPPED = ("timestamp", "prediction", "score", "label", "id", "model_version")
ROLES = ("reference", "current")

NUMERIC = (
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
    "UBIGINT", "FLOAT", "DOUBLE", "REAL",
)  # fmt: skip


def quote(identifier: str) -> str:
    """Quote a column or table name for DuckDB SQL."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def is_numeric(duck_type: str) -> bool:
    """True for DuckDB numeric types (including DECIMAL)."""
    return duck_type.upper().startswith("DECIMAL") or duck_type.upper() in NUMERIC


@dataclass(frozen=True)
class PredictionLog:
    """A planned load of one prediction log into the store."""

    path: str
    format: str
    model: str
    version: str | None
    role: str
    #: SQL that selects the log's rows (columns as in the file, plus ``__govern_ts``)
    select_sql: str
    #: standard name -> column name (timestamp, prediction, score, label, id, model_version)
    mapping: Mapping[str, str]
    sensitive: tuple[str, ...]
    features: tuple[str, ...]
    columns: Mapping[str, str]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class GroundTruth:
    """Labels by event id (SageMaker Model Monitor ground truth)."""

    path: str
    model: str
    select_sql: str


@dataclass
class _Plan:
    reader: str
    fmt: str
    columns: dict[str, str] = field(default_factory=dict)


def _reader(candidate: Candidate) -> _Plan:
    path = literal(str(candidate.path))
    if candidate.kind is Kind.PARQUET:
        return _Plan(f"read_parquet({path})", "parquet")
    if candidate.kind is Kind.JSONL:
        return _Plan(f"read_json({path}, format = 'newline_delimited')", "jsonl")
    return _Plan(f"read_csv({path}, header = true)", "csv")


def _describe(con: Any, sql: str, path: Path) -> dict[str, str]:
    import duckdb

    try:
        rows = con.execute(f"DESCRIBE {sql}").fetchall()
    except duckdb.Error as exc:
        raise MalformedInputError(
            f"could not be read as a table: {str(exc).splitlines()[0]}",
            hint="Check that the file is complete Parquet, CSV with a header, or JSON Lines.",
            path=path,
        ) from exc
    return {str(r[0]): str(r[1]) for r in rows}


def _missing(name: str, columns: Mapping[str, str], what: str, path: Path) -> IngestError:
    close = difflib.get_close_matches(name, list(columns), n=1, cutoff=0.6)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    shown = ", ".join(list(columns)[:20]) + (", ..." if len(columns) > 20 else "")
    return IngestError(
        f"has no column {name!r} (mapped as {what}).{hint}",
        hint=f"Its columns: {shown}. Fix the mapping option (e.g. --{what} COLUMN).",
        path=path,
    )


def timestamp_expr(column: str, duck_type: str) -> str:
    """SQL turning a timestamp column (ISO text, epoch seconds or ms, DATE) into TIMESTAMP."""
    c = quote(column)
    upper = duck_type.upper()
    if upper.startswith("TIMESTAMP WITH TIME ZONE"):
        return f"timezone('UTC', {c})"
    if upper.startswith("TIMESTAMP") or upper == "DATE":
        return f"CAST({c} AS TIMESTAMP)"
    if is_numeric(upper):
        # epoch milliseconds above 1e11 (1973 in ms, year 5138 in seconds), else seconds
        return (
            f"CASE WHEN abs({c}) > 100000000000 THEN make_timestamp(CAST({c} * 1000 AS BIGINT)) "
            f"ELSE make_timestamp(CAST({c} * 1000000 AS BIGINT)) END"
        )
    return (
        f"COALESCE(TRY_CAST(timezone('UTC', TRY_CAST({c} AS TIMESTAMPTZ)) AS TIMESTAMP), "
        f"TRY_CAST({c} AS TIMESTAMP))"
    )


def _check_timestamps(con: Any, sql: str, column: str, path: Path) -> tuple[str, ...]:
    """Refuse a log whose timestamps do not all parse; note a log with none at all."""
    c = quote(column)
    total, present, bad, example = con.execute(
        f"SELECT count(*), count({c}), count({c}) - count(__govern_ts), "
        f"any_value(CAST({c} AS VARCHAR)) FILTER (WHERE {c} IS NOT NULL AND __govern_ts IS NULL) "
        f"FROM ({sql})"
    ).fetchone()
    if bad and bad == present:
        return (
            f"{path}: no value of {column!r} is a timestamp (e.g. {example!r}); loaded without "
            "timestamps, so time windows cannot select these rows.",
        )
    if bad:
        raise IngestError(
            f"column {column!r} mixes timestamps and other values: {bad} of {present} values "
            f"do not parse (e.g. {example!r}).",
            hint="Use one format: ISO-8601 (with offset, or UTC), or epoch seconds/milliseconds.",
            path=path,
        )
    if total == 0:
        raise IngestError("holds no rows.", path=path)
    return ()


def _options(candidate: Candidate) -> Mapping[str, Any]:
    opts = candidate.options
    if not opts.get("model"):
        raise UsageError(
            f"{candidate.path}: a prediction log needs --model (the registered model it scores)."
        )
    if opts.get("role") not in ROLES:
        raise UsageError(f"{candidate.path}: --role must be 'reference' or 'current'.")
    return opts


class PredictionLogAdapter:
    """Adapter for prediction logs in Parquet, CSV and JSON Lines (with ``--role``)."""

    name = "prediction-log"
    family = "predictions"
    description = "prediction logs in Parquet, CSV or JSON Lines (needs --model and --role)"

    def detect(self, candidate: Candidate) -> bool:
        """Parquet, CSV-like text or JSON Lines of flat records, when a role is given."""
        if not candidate.options.get("role"):
            return False
        if candidate.kind is Kind.PARQUET:
            return True
        if candidate.kind is Kind.JSONL:
            first = candidate.lines[0] if candidate.lines else None
            return isinstance(first, Mapping) and not (
                {"captureData", "groundTruthData"} & set(first)
            )
        if candidate.kind is Kind.TEXT:
            head = candidate.data[:4096].decode("utf-8", errors="replace").splitlines()
            return bool(head) and any(sep in head[0] for sep in (",", ";", "\t", "|"))
        return False

    def read(self, candidate: Candidate) -> Batch:
        """Plan the load: check the mapping and timestamps against the file."""
        import duckdb

        opts = _options(candidate)
        plan = _reader(candidate)
        con = duckdb.connect()
        try:
            columns = _describe(con, f"SELECT * FROM {plan.reader}", candidate.path)
            log = self._plan(con, candidate, opts, plan, columns)
        finally:
            con.close()
        batch = Batch(files=[candidate.path], notes=list(log.notes))
        batch.extra["predictions"] = [log]
        return batch

    @staticmethod
    def _plan(
        con: Any,
        candidate: Candidate,
        opts: Mapping[str, Any],
        plan: _Plan,
        columns: dict[str, str],
    ) -> PredictionLog:
        path = candidate.path
        mapping: dict[str, str] = {}
        for key in MAPPED:
            name = opts.get(key)
            if name:
                if name not in columns:
                    raise _missing(name, columns, key.replace("_", "-"), path)
                mapping[key] = name
        if "prediction" not in mapping and "score" not in mapping:
            raise UsageError(
                f"{path}: map the prediction column (--prediction COLUMN) or the score column "
                "(--score COLUMN)."
            )
        for key in ("score",):
            if key in mapping and not is_numeric(columns[mapping[key]]):
                raise IngestError(
                    f"column {mapping[key]!r} (the {key}) is {columns[mapping[key]]}, not a "
                    "number.",
                    hint="Map a numeric column, or fix the log's type.",
                    path=path,
                )
        sensitive = tuple(opts.get("sensitive") or ())
        for name in sensitive:
            if name not in columns:
                raise _missing(name, columns, "sensitive", path)
        used = set(mapping.values()) | set(sensitive)
        wanted = opts.get("features")
        if wanted:
            for name in wanted:
                if name not in columns:
                    raise _missing(name, columns, "features", path)
            features = tuple(wanted)
        else:
            features = tuple(c for c in columns if c not in used)
        ts = mapping.get("timestamp")
        ts_sql = timestamp_expr(ts, columns[ts]) if ts else "CAST(NULL AS TIMESTAMP)"
        select_sql = f"SELECT *, {ts_sql} AS __govern_ts FROM {plan.reader}"
        notes = _check_timestamps(con, select_sql, ts, path) if ts else ()
        return PredictionLog(
            path=str(path),
            format=plan.fmt,
            model=str(opts["model"]),
            version=n.text(opts.get("version")),
            role=str(opts["role"]),
            select_sql=select_sql,
            mapping=mapping,
            sensitive=sensitive,
            features=features,
            columns=columns,
            notes=notes,
        )


_CAPTURE_SQL = """
SELECT
    eventMetadata.eventId AS event_id,
    CAST(eventMetadata.inferenceTime AS VARCHAR) AS inference_time,
    captureData.endpointInput.data AS input_data,
    captureData.endpointInput.encoding AS input_encoding,
    captureData.endpointOutput.data AS output_data,
    captureData.endpointOutput.encoding AS output_encoding
FROM read_json({path}, format = 'newline_delimited', maximum_object_size = 104857600)
"""


class DataCaptureAdapter:
    """Adapter for SageMaker endpoint Data Capture JSON Lines (needs --model and --role)."""

    name = "sagemaker-data-capture"
    family = "predictions"
    description = "SageMaker Data Capture JSON Lines (captureData records; needs --model/--role)"

    def detect(self, candidate: Candidate) -> bool:
        """JSON Lines whose first record has ``captureData``."""
        first = candidate.lines[0] if candidate.kind is Kind.JSONL and candidate.lines else None
        return isinstance(first, Mapping) and "captureData" in first

    def read(self, candidate: Candidate) -> Batch:
        """Flatten captured requests in SQL: features ``_c0..``, ``prediction``, event id."""
        import duckdb

        opts = _options(candidate)
        path = candidate.path
        first = candidate.lines[0]
        try:
            encoding = str(first["captureData"]["endpointInput"]["encoding"]).upper()
            sample = str(first["captureData"]["endpointInput"]["data"])
        except (KeyError, TypeError) as exc:
            raise MalformedInputError(
                "is Data Capture JSON Lines but its first record has no endpointInput data.",
                path=path,
            ) from exc
        base = _CAPTURE_SQL.format(path=literal(str(path)))
        if encoding == "CSV":
            width = len(sample.split(","))
            feats = ", ".join(
                f"TRY_CAST(trim(string_split(input_data, ',')[{i + 1}]) AS DOUBLE) AS _c{i}"
                for i in range(width)
            )
            rows = f"SELECT event_id, inference_time, {feats}, output_data FROM ({base})"
            out = "TRY_CAST(trim(string_split(output_data, ',')[1]) AS DOUBLE)"
            features = tuple(f"_c{i}" for i in range(width))
        elif encoding == "JSON":
            # {"instances": [...]} batches: one row per instance, one per prediction
            rows = (
                "SELECT event_id, inference_time, "
                "CAST(unnest(json_extract(input_data, '$.instances[*]')) AS VARCHAR) AS _c0_raw, "
                "unnest(json_extract(output_data, '$.predictions[*]')) AS output_data "
                f"FROM ({base})"
            )
            rows = (
                "SELECT event_id, inference_time, TRY_CAST(_c0_raw AS DOUBLE) AS _c0, "
                f"output_data FROM ({rows})"
            )
            out = "TRY_CAST(CAST(output_data AS VARCHAR) AS DOUBLE)"
            features = ("_c0",)
        else:
            raise IngestError(
                f"has Data Capture payloads encoded as {encoding}; govern reads CSV and JSON.",
                path=path,
            )
        columns_sql = (
            f"SELECT * EXCLUDE (output_data), {out} AS prediction, "
            "TRY_CAST(timezone('UTC', TRY_CAST(inference_time AS TIMESTAMPTZ)) AS TIMESTAMP) "
            f"AS __govern_ts FROM ({rows})"
        )
        con = duckdb.connect()
        try:
            columns = _describe(con, columns_sql, path)
            notes = _check_timestamps(con, columns_sql, "inference_time", path)
        finally:
            con.close()
        log = PredictionLog(
            path=str(path),
            format="sagemaker-data-capture",
            model=str(opts["model"]),
            version=n.text(opts.get("version")),
            role=str(opts["role"]),
            select_sql=columns_sql,
            mapping={"timestamp": "inference_time", "prediction": "prediction", "id": "event_id"},
            sensitive=(),
            features=features,
            columns={k: v for k, v in columns.items() if k != "__govern_ts"},
            notes=notes,
        )
        batch = Batch(files=[path], notes=list(notes))
        batch.extra["predictions"] = [log]
        return batch


class GroundTruthAdapter:
    """Adapter for SageMaker Model Monitor ground truth JSON Lines (needs --model)."""

    name = "sagemaker-ground-truth"
    family = "predictions"
    description = "SageMaker ground-truth JSON Lines (groundTruthData by eventId; needs --model)"

    def detect(self, candidate: Candidate) -> bool:
        """JSON Lines whose first record has ``groundTruthData``."""
        first = candidate.lines[0] if candidate.kind is Kind.JSONL and candidate.lines else None
        return isinstance(first, Mapping) and "groundTruthData" in first

    def read(self, candidate: Candidate) -> Batch:
        """Plan the load of labels by event id."""
        model = candidate.options.get("model")
        if not model:
            raise UsageError(f"{candidate.path}: ground truth needs --model.")
        sql = (
            "SELECT eventMetadata.eventId AS event_id, "
            "TRY_CAST(groundTruthData.data AS DOUBLE) AS label "
            f"FROM read_json({literal(str(candidate.path))}, format = 'newline_delimited')"
        )
        batch = Batch(files=[candidate.path])
        batch.extra["ground_truth"] = [GroundTruth(str(candidate.path), str(model), sql)]
        return batch
