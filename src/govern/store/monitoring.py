"""Monitoring reports and results in the store (tables ``monitoring_reports``/``_results``).

:func:`write_monitoring` is registered as the ``Batch.extra['monitoring']`` writer, so the
records of an Evidently, Model Monitor or Clarify export are written in the same transaction
as the rest of the ingest. ``govern.ingest.registry`` imports this module so the writer is
registered whenever adapters are.

Timestamps: an aware ``generated_at`` is stored as naive UTC with ``generated_at_tz = 'UTC'``;
a naive one (Evidently writes local time without a zone) is stored as given with
``generated_at_tz = NULL`` (zone unknown).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import UTC
from typing import Any

from govern.ingest.monitoring_records import (
    MONITORING_KEY,
    MonitoringRecords,
    MonitoringReport,
    MonitoringResult,
)
from govern.store.store import EXTRA_WRITERS, Store


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
