"""Render what an ingest did (``govern ingest``) as a table or JSON."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

from rich.table import Table

from govern.formats.render import to_json, to_text
from govern.ingest.pipeline import IngestReport
from govern.store.predictions import LogInfo

SCHEMA = "govern.ingest/v1"


def render_json(report: IngestReport, logs: Sequence[LogInfo] = ()) -> str:
    """The ingest report as JSON (schema ``govern.ingest/v1``)."""
    return to_json(
        {
            "schema": SCHEMA,
            "prediction_logs": [log.to_json() for log in logs],
            "loaded": [asdict(u) for u in report.loaded],
            "unchanged": [{"path": p, "format": f} for p, f in report.unchanged],
            "skipped": [{"path": p, "reason": r} for p, r in report.skipped],
            "notes": report.notes,
            "totals": report.totals(),
        }
    )


def render_table(
    report: IngestReport,
    logs: Sequence[LogInfo] = (),
    *,
    width: int = 160,
    color: bool = False,
) -> str:
    """The ingest report as a table of loaded units, then unchanged and skipped files."""
    parts: list[object] = []
    if report.loaded:
        table = Table(title="Loaded", title_justify="left")
        for name in ("path", "format", "models", "versions", "runs", "experiments"):
            table.add_column(name, overflow="fold")
        for unit in report.loaded:
            c = unit.counts
            table.add_row(
                unit.path,
                unit.format,
                str(c.get("models", 0)),
                str(c.get("versions", 0)),
                str(c.get("runs", 0)),
                str(c.get("experiments", 0)),
            )
        parts.append(table)
    if logs:
        table = Table(title="Prediction logs", title_justify="left")
        for name in ("path", "model", "version", "role", "rows", "time span", "nulls", "schema"):
            table.add_column(name, overflow="fold")
        for log in logs:
            span = (
                f"{log.ts_min:%Y-%m-%d %H:%M} – {log.ts_max:%Y-%m-%d %H:%M}"
                if log.ts_min and log.ts_max
                else "no timestamps"
            )
            nulls = ", ".join(f"{c}={k}" for c, k in log.null_counts.items() if k) or "none"
            schema = ", ".join(f"{c}:{t}" for c, t in log.columns.items())
            table.add_row(
                log.path, log.model, _version(log), log.role, f"{log.rows:,}", span,
                nulls, schema,
            )  # fmt: skip
        parts.append(table)
    totals = report.totals()
    parts.append(
        f"{len(report.loaded)} loaded ({totals.get('models', 0)} model records, "
        f"{totals.get('versions', 0)} versions, {totals.get('runs', 0)} runs"
        + (
            f", {totals['monitoring_reports']} monitoring reports with "
            f"{totals.get('monitoring_results', 0)} results"
            if totals.get("monitoring_reports")
            else ""
        )
        + "), "
        f"{len(report.unchanged)} unchanged (same bytes as before), "
        f"{len(report.skipped)} skipped."
    )
    for path, reason in report.skipped:
        parts.append(f"skipped {path}: {reason}")
    for note in report.notes:
        parts.append(f"note: {note}")
    return to_text(*parts, width=width, color=color)  # type: ignore[arg-type]


def _version(log: LogInfo) -> str:
    """The version a log is about: given at ingest, read from a column, or none."""
    if log.version:
        return str(log.version)
    column = log.mapping.get("model_version")
    return f"from column {column}" if column else "—"
