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
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govern.errors import IngestError, MalformedInputError, UsageError
from govern.ingest import normalise as n
from govern.ingest.base import Candidate, Kind
from govern.records.predictions import (
    GROUND_TRUTH_KEY,
    MAPPED,
    PREDICTIONS_KEY,
    RESERVED_PREFIX,
    ROLES,
    GroundTruth,
    PredictionLog,
)
from govern.records.registry import Batch
from govern.sql import literal, quote
from govern.store.store import connect

NUMERIC = (
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
    "UBIGINT", "FLOAT", "DOUBLE", "REAL",
)  # fmt: skip


#: Characters DuckDB's file readers take as a glob pattern.
GLOB_CHARACTERS = frozenset("*?[")


def duck_path(path: Path) -> str:
    """The path for DuckDB's readers, so that they read exactly this one file.

    ``read_parquet``/``read_csv``/``read_json`` take their argument as a glob: a file named
    ``a*.parquet`` would also read ``a1.parquet``. Each glob character is escaped as a
    one-character class (``[*]``, ``[?]``, ``[[]``), which DuckDB matches literally. DuckDB has
    no escape for a backslash in a pattern, so a path holding both is refused.
    """
    text = str(path)
    if not GLOB_CHARACTERS & set(text):
        return text
    if "\\" in text:
        raise IngestError(
            "has a backslash and a glob character (* ? [) in its path; DuckDB cannot read "
            "it as exactly one file.",
            hint="Rename the file (or copy it to a plain name) and ingest it again.",
            path=path,
        )
    return "".join(f"[{c}]" if c in GLOB_CHARACTERS else c for c in text)


def _one_file(con: Any, path: Path) -> None:
    """Check that DuckDB reads exactly ``path`` (and no other file) through :func:`duck_path`."""
    import duckdb

    try:
        rows = con.execute("SELECT file FROM glob(?)", [duck_path(path)]).fetchall()
        found = [str(r[0]) for r in rows]
    except duckdb.Error:
        found = []
    if len(found) != 1 or Path(found[0]).resolve() != path.resolve():
        raise IngestError(
            "cannot be read by DuckDB as exactly one file (its name matches "
            f"{len(found)} files as a pattern).",
            hint="Rename the file to a plain name (no * ? [ or backslash) and ingest it again.",
            path=path,
        )


def is_numeric(duck_type: str) -> bool:
    """True for DuckDB numeric types (including DECIMAL)."""
    return duck_type.upper().startswith("DECIMAL") or duck_type.upper() in NUMERIC


@dataclass
class _Plan:
    reader: str
    fmt: str
    columns: dict[str, str] = field(default_factory=dict)
    #: pandas index columns of the file, left out of the log
    index: tuple[str, ...] = ()


def _reader(candidate: Candidate) -> _Plan:
    path = literal(duck_path(candidate.path))
    sample = candidate.options.get("sample_size")  # --sample-size: an int, never text
    sampled = f", sample_size = {int(sample)}" if sample else ""
    if candidate.kind is Kind.PARQUET:
        return _Plan(f"read_parquet({path})", "parquet")
    if candidate.kind is Kind.JSONL:
        return _Plan(f"read_json({path}, format = 'newline_delimited'{sampled})", "jsonl")
    return _Plan(f"read_csv({path}, header = true{sampled})", "csv")


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


def _missing(
    name: str, columns: Mapping[str, str], what: str, path: Path, index: tuple[str, ...] = ()
) -> IngestError:
    if name in index:
        return IngestError(
            f"maps {name!r} as {what}, but that column is the pandas index of the DataFrame "
            "that wrote the log, which govern leaves out.",
            hint="Write the log with the index as a plain column (df.reset_index()) and map "
            "that column.",
            path=path,
        )
    close = difflib.get_close_matches(name, list(columns), n=1, cutoff=0.6)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    shown = ", ".join(list(columns)[:20]) + (", ..." if len(columns) > 20 else "")
    return IngestError(
        f"has no column {name!r} (mapped as {what}).{hint}",
        hint=f"Its columns: {shown}. Fix the mapping option (e.g. --{what} COLUMN).",
        path=path,
    )


#: The timestamps govern keeps: years 1 to 9999 (what Python's ``datetime`` can hold).
_TS_MIN = "TIMESTAMP '0001-01-01 00:00:00'"
_TS_MAX = "TIMESTAMP '9999-12-31 23:59:59.999999'"
# epoch seconds and milliseconds of those bounds
_SECONDS = (-62135596800, 253402300799)
_MILLIS = (-62135596800000, 253402300799999)


def timestamp_expr(column: str, duck_type: str) -> str:
    """SQL turning a timestamp column (ISO text, epoch seconds or ms, DATE) into TIMESTAMP.

    A value that is not a timestamp of years 1 to 9999 (NaN, Infinity, an epoch number such
    as 1e20, an infinite TIMESTAMP) gives NULL, which :func:`_check_timestamps` counts and
    refuses or reports; nothing raises inside DuckDB.
    """
    c = quote(column)
    upper = duck_type.upper()
    if upper.startswith("TIMESTAMP WITH TIME ZONE"):
        expr = f"TRY_CAST(timezone('UTC', {c}) AS TIMESTAMP)"
    elif upper.startswith("TIMESTAMP") or upper == "DATE":
        expr = f"TRY_CAST({c} AS TIMESTAMP)"
    elif is_numeric(upper):
        # epoch milliseconds above 1e11 (1973 in ms, year 5138 in seconds), else seconds
        d = f"TRY_CAST({c} AS DOUBLE)"
        expr = (
            f"CASE WHEN NOT isfinite({d}) THEN NULL "
            f"WHEN abs({d}) > 100000000000 THEN CASE WHEN {d} BETWEEN {_MILLIS[0]} AND "
            f"{_MILLIS[1]} THEN make_timestamp(TRY_CAST({d} * 1000 AS BIGINT)) END "
            f"WHEN {d} BETWEEN {_SECONDS[0]} AND {_SECONDS[1]} "
            f"THEN make_timestamp(TRY_CAST({d} * 1000000 AS BIGINT)) END"
        )
    else:
        expr = (
            f"COALESCE(TRY_CAST(timezone('UTC', TRY_CAST({c} AS TIMESTAMPTZ)) AS TIMESTAMP), "
            f"TRY_CAST({c} AS TIMESTAMP))"
        )
    return f"CASE WHEN ({expr}) BETWEEN {_TS_MIN} AND {_TS_MAX} THEN ({expr}) END"


def _check_timestamps(con: Any, sql: str, column: str, path: Path) -> tuple[str, ...]:
    """Refuse a log whose timestamps do not all parse; note a log with none at all.

    NaN, Infinity and epoch numbers outside years 1 to 9999 count as values that do not
    parse: among real timestamps they are refused; when no value is a timestamp the log is
    loaded with a note, so the gap is reported, never silent.
    """
    import duckdb

    c = quote(column)
    try:
        row = con.execute(
            f"SELECT count(*), count({c}), count({c}) - count(__govern_ts), "
            f"any_value(CAST({c} AS VARCHAR)) FILTER (WHERE {c} IS NOT NULL AND __govern_ts IS "
            f"NULL) FROM ({sql})"
        ).fetchone()
    except duckdb.Error as exc:
        raise MalformedInputError(
            f"could not be read: {_first_line(exc)}",
            hint="Check that the file is complete. For a CSV whose column types change after "
            "the first rows, ingest it again with --sample-size -1.",
            path=path,
        ) from exc
    assert row is not None
    total, present, bad, example = row
    if bad and bad == present:
        return (
            f"{path}: no value of {column!r} is a timestamp (e.g. {example!r}); loaded without "
            "timestamps, so time windows cannot select these rows.",
        )
    if bad:
        raise IngestError(
            f"column {column!r} mixes timestamps and other values: {bad} of {present} values "
            f"are not timestamps of years 1 to 9999 (e.g. {example!r}).",
            hint="Use one format: ISO-8601 (with offset, or UTC), or epoch seconds/milliseconds; "
            "NaN, Infinity and out-of-range epoch numbers are refused.",
            path=path,
        )
    if total == 0:
        raise IngestError("holds no rows.", path=path)
    return ()


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _records_are_objects(candidate: Candidate) -> None:
    """Refuse JSON Lines whose records are not all objects (DuckDB would read one column)."""
    if candidate.kind is not Kind.JSONL:
        return
    for number, record in enumerate(candidate.lines, start=1):
        if not isinstance(record, Mapping):
            kind = "array" if isinstance(record, list) else type(record).__name__
            raise MalformedInputError(
                f"record {number} is a JSON {kind}, not an object; every line of a prediction "
                "log must be one record {column: value, ...}.",
                hint="Fix or drop that line and ingest the log again.",
                path=candidate.path,
            )


#: Columns pandas writes into Parquet for a DataFrame's index (``__index_level_0__``, ...,
#: one per level) when the index is not the default range, e.g. after filtering rows.
PANDAS_INDEX = re.compile(r"__index_level_\d+__")


def _index_note(index: tuple[str, ...], path: Path) -> tuple[str, ...]:
    """The note saying which pandas index columns were left out of the log."""
    if not index:
        return ()
    names = ", ".join(repr(c) for c in index)
    return (
        f"{path}: left out the pandas index column{'s' if len(index) > 1 else ''} {names} "
        "(pandas writes a DataFrame's index into Parquet; it is not a column of the log). "
        "To keep the index, write the log with df.reset_index().",
    )


def _reserved(columns: Mapping[str, str], path: Path) -> None:
    """Refuse a log with a column named like govern's own columns."""
    taken = [c for c in columns if c.startswith(RESERVED_PREFIX)]
    if taken:
        shown = ", ".join(repr(c) for c in taken[:5])
        raise IngestError(
            f"has a column named {shown}; column names starting with {RESERVED_PREFIX!r} are "
            "reserved for govern's own columns.",
            hint="Rename the column in the log (e.g. without the leading underscores) and "
            "ingest it again.",
            path=path,
        )


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
        opts = _options(candidate)
        _records_are_objects(candidate)
        plan = _reader(candidate)
        con = connect()
        try:
            _one_file(con, candidate.path)
            columns = _describe(con, f"SELECT * FROM {plan.reader}", candidate.path)
            plan.index = tuple(c for c in columns if PANDAS_INDEX.fullmatch(c))
            columns = {c: t for c, t in columns.items() if c not in plan.index}
            _reserved(columns, candidate.path)
            log = self._plan(con, candidate, opts, plan, columns)
        finally:
            con.close()
        batch = Batch(files=[candidate.path], notes=list(log.notes))
        batch.extra[PREDICTIONS_KEY] = [log]
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
                    raise _missing(name, columns, key.replace("_", "-"), path, plan.index)
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
                raise _missing(name, columns, "sensitive", path, plan.index)
        used = set(mapping.values()) | set(sensitive)
        wanted = opts.get("features")
        if wanted:
            for name in wanted:
                if name not in columns:
                    raise _missing(name, columns, "features", path, plan.index)
            features = tuple(wanted)
        else:
            features = tuple(c for c in columns if c not in used)
        ts = mapping.get("timestamp")
        ts_sql = timestamp_expr(ts, columns[ts]) if ts else "CAST(NULL AS TIMESTAMP)"
        star = f"* EXCLUDE ({', '.join(quote(c) for c in plan.index)})" if plan.index else "*"
        select_sql = f"SELECT {star}, {ts_sql} AS __govern_ts FROM {plan.reader}"
        notes = _index_note(plan.index, path)
        notes += _check_timestamps(con, select_sql, ts, path) if ts else ()
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
        base = _CAPTURE_SQL.format(path=literal(duck_path(path)))
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
            f"{timestamp_expr('inference_time', 'VARCHAR')} AS __govern_ts FROM ({rows})"
        )
        con = connect()
        try:
            _one_file(con, path)
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
        batch.extra[PREDICTIONS_KEY] = [log]
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
            f"FROM read_json({literal(duck_path(candidate.path))}, "
            "format = 'newline_delimited')"
        )
        con = connect()
        try:
            _one_file(con, candidate.path)
            _check_ground_truth(con, sql, candidate.path)
        finally:
            con.close()
        batch = Batch(files=[candidate.path])
        batch.extra[GROUND_TRUTH_KEY] = [GroundTruth(str(candidate.path), str(model), sql)]
        return batch


def _check_ground_truth(con: Any, sql: str, path: Path) -> None:
    """Refuse ground truth that DuckDB cannot read whole, or a record without an event id.

    Labels are joined to predictions by event id, so a label without one could never be
    used; the store also requires it.
    """
    import duckdb

    try:
        row = con.execute(f"SELECT count(*), count(event_id) FROM ({sql})").fetchone()
    except duckdb.Error as exc:
        raise MalformedInputError(
            f"is SageMaker ground truth but could not be read: {_first_line(exc)}",
            hint="Each line must be {groundTruthData: {data, encoding}, eventMetadata: "
            "{eventId}, eventVersion}.",
            path=path,
        ) from exc
    assert row is not None
    total, with_id = row
    if total == 0:
        raise IngestError("holds no ground-truth records.", path=path)
    if with_id < total:
        raise MalformedInputError(
            f"is SageMaker ground truth but {total - with_id} of {total} records have no "
            "eventMetadata.eventId, so their labels cannot be joined to predictions.",
            hint="Give every record its event id (the inferenceId or eventId of the prediction).",
            path=path,
        )
