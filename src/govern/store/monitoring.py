"""Monitoring reports and results in the store (tables ``monitoring_reports``/``_results``).

:func:`write_monitoring` is registered as the ``Batch.extra['monitoring']`` writer, so the
records of an Evidently, Model Monitor or Clarify export are written in the same transaction
as the rest of the ingest. ``govern.ingest.registry`` imports this module so the writer is
registered whenever adapters are.

Timestamps: an aware ``generated_at`` is stored as naive UTC with ``generated_at_tz = 'UTC'``;
a naive one (Evidently writes local time without a zone) is stored as given with
``generated_at_tz = NULL`` (zone unknown).

:func:`stored_reports` and :func:`stored_results` read them back for checks (``check:
monitoring``), with the file each report came from and the model version it is linked to.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from govern.records.monitoring import (
    MONITORING_KEY,
    MonitoringRecords,
    MonitoringReport,
    MonitoringResult,
)
from govern.store.store import Store
from govern.store.writers import EXTRA_WRITERS


def _finite(value: float | None) -> float | None:
    """NaN and infinities are stored as NULL (DOUBLE columns and JSON have no NaN)."""
    if value is None or not math.isfinite(value):
        return None
    return value


def _json_safe(value: Any) -> Any:
    """Replace non-finite floats by ``None`` anywhere in a JSON-like value."""
    if isinstance(value, float):
        return _finite(value)
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def _dumps(value: Any) -> str:
    return json.dumps(_json_safe(value), sort_keys=True, allow_nan=False)


def write_monitoring(
    store: Store,
    source_sha: str,
    reports: Sequence[MonitoringReport],
    results: Sequence[MonitoringResult],
) -> None:
    """Insert reports and their results (inside the caller's transaction)."""
    for report in reports:
        generated = report.generated_at
        zone: str | None = None
        if generated is not None and generated.tzinfo is not None:
            generated = generated.astimezone(UTC).replace(tzinfo=None)
            zone = "UTC"
        store.con.execute(
            "INSERT INTO monitoring_reports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                report.report_id,
                source_sha,
                report.tool,
                report.tool_version,
                report.kind,
                generated,
                zone,
                report.model,
                report.version,
                _dumps(report.dataset_summary),
            ],
        )
    seqs: dict[str, int] = {}
    rows = []
    for result in results:
        seq = seqs.get(result.report_id, 0)
        seqs[result.report_id] = seq + 1
        rows.append(
            (
                result.report_id,
                seq,
                result.subject,
                result.metric,
                _finite(result.value),
                _finite(result.threshold),
                result.direction,
                result.drifted,
                result.passed,
                _dumps(result.detail),
            )
        )
    if rows:
        store.con.executemany(
            "INSERT INTO monitoring_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
        )


def _write_extra(store: Store, source_sha: str, records: Sequence[MonitoringRecords]) -> None:
    for record in records:
        write_monitoring(store, source_sha, record.reports, record.results)


EXTRA_WRITERS[MONITORING_KEY] = _write_extra


# -- reading back ---------------------------------------------------------------------------

#: keys of a report's own ``metadata`` (Evidently ``Report(metadata=...)``, kept in
#: ``dataset_summary``) that name the model and its version, in order of preference
METADATA_MODEL_KEYS = ("model", "model_name", "registered_model")
METADATA_VERSION_KEYS = ("model_version", "version")


@dataclass(frozen=True)
class StoredReport:
    """A stored monitoring report, where it came from and the model version it is linked to."""

    report_id: str
    tool: str
    tool_version: str | None
    kind: str
    #: naive; UTC when ``generated_at_tz`` is ``"UTC"``, else local time as the tool wrote it
    generated_at: datetime | None
    generated_at_tz: str | None
    #: naive UTC
    ingested_at: datetime
    path: str
    source_sha: str
    model: str | None
    version: str | None
    #: where the link comes from: ``"ingest"`` (``--model``/``--version`` or the adapter),
    #: ``"report metadata"`` (the report's own metadata), or ``None`` (not linked)
    link: str | None
    summary: Mapping[str, Any]

    @property
    def time(self) -> datetime:
        """The time the report is dated by: generated (as stored), else ingested."""
        return self.generated_at if self.generated_at is not None else self.ingested_at

    def to_json(self) -> dict[str, Any]:
        """The report's identity for a finding's evidence."""
        return {
            "report_id": self.report_id,
            "tool": self.tool,
            "tool_version": self.tool_version,
            "kind": self.kind,
            "path": self.path,
            "generated_at": self.generated_at.isoformat() if self.generated_at else None,
            "generated_at_zone": self.generated_at_tz,
            "ingested_at": self.ingested_at.isoformat(),
            "model": self.model,
            "version": self.version,
            "link": self.link,
        }


@dataclass(frozen=True)
class StoredResult:
    """One stored result of a report (see :class:`MonitoringResult` for the fields)."""

    report_id: str
    seq: int
    subject: str
    metric: str
    value: float | None
    threshold: float | None
    direction: str | None
    drifted: bool | None
    passed: bool | None
    detail: Mapping[str, Any]


def _metadata_link(summary: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """Model and version named in a report's own metadata, if any."""
    metadata = summary.get("metadata")
    if not isinstance(metadata, Mapping):
        return None, None
    model = next((metadata[k] for k in METADATA_MODEL_KEYS if metadata.get(k)), None)
    if model is None:
        return None, None
    version = next((metadata[k] for k in METADATA_VERSION_KEYS if metadata.get(k)), None)
    return str(model), str(version) if version is not None else None


def stored_reports(con: Any, *, tool: str | None = None) -> list[StoredReport]:
    """Every stored monitoring report (of ``tool``), oldest first by :attr:`StoredReport.time`.

    ``con`` is the store's DuckDB connection. A report not linked at ingest is linked through
    its own metadata (Evidently snapshots keep ``Report(metadata={"model": ...,
    "model_version": ...})``) when that names a model.
    """
    sql = (
        "SELECT r.report_id, r.tool, r.tool_version, r.kind, r.generated_at, r.generated_at_tz, "
        "s.ingested_at, s.path, r.source_sha, r.model, r.version, r.dataset_summary "
        "FROM monitoring_reports r JOIN sources s ON s.sha256 = r.source_sha"
    )
    params: list[Any] = []
    if tool is not None:
        sql += " WHERE r.tool = ?"
        params.append(tool)
    out = []
    for row in con.execute(sql, params).fetchall():
        summary = json.loads(row[11]) if row[11] else {}
        model, version, link = row[9], row[10], "ingest" if row[9] else None
        if model is None:
            model, version = _metadata_link(summary)
            link = "report metadata" if model else None
        out.append(
            StoredReport(
                report_id=row[0],
                tool=row[1],
                tool_version=row[2],
                kind=row[3],
                generated_at=row[4],
                generated_at_tz=row[5],
                ingested_at=row[6],
                path=row[7],
                source_sha=row[8],
                model=model,
                version=version,
                link=link,
                summary=summary,
            )
        )
    out.sort(key=lambda r: (r.time, r.ingested_at, r.report_id))
    return out


def stored_results(con: Any, report_id: str) -> list[StoredResult]:
    """The results of one report, in the order the adapter produced them."""
    rows = con.execute(
        "SELECT report_id, seq, subject, metric, value, threshold, direction, drifted, passed, "
        "detail FROM monitoring_results WHERE report_id = ? ORDER BY seq",
        [report_id],
    ).fetchall()
    return [
        StoredResult(
            report_id=r[0],
            seq=r[1],
            subject=r[2],
            metric=r[3],
            value=r[4],
            threshold=r[5],
            direction=r[6],
            drifted=r[7],
            passed=r[8],
            detail=json.loads(r[9]) if r[9] else {},
        )
        for r in rows
    ]
