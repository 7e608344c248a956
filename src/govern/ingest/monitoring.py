"""Helpers shared by the monitoring adapters (Evidently, SageMaker Model Monitor, Clarify).

The records they build are the data model in :mod:`govern.records.monitoring`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from typing import Any

from govern.ingest.base import Candidate
from govern.ingest.normalise import BadValueError
from govern.records.monitoring import (
    MONITORING_KEY,
    MonitoringRecords,
    MonitoringReport,
    MonitoringResult,
)
from govern.records.registry import Batch, Document

_NUMBER = re.compile(
    r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?!\w)|(?<!\w)[-+]?(?:nan|inf(?:inity)?)(?!\w)",
    re.I,
)


def report_id(tool: str, data: bytes) -> str:
    """The report id of a file: ``<tool>:<first 16 hex of its SHA-256>``."""
    return f"{tool}:{hashlib.sha256(data).hexdigest()[:16]}"


def to_float(value: Any) -> float | None:
    """A JSON number (or numeric string such as ``"NaN"``, ``"0.5"``) as float, else ``None``.

    Booleans are not numbers here; NaN stays NaN (the store writes it as NULL).
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return float(value)
        except OverflowError as exc:  # an integer past any float: damage, not a measurement
            raise BadValueError(f"number {value:.6g} is out of range") from exc
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def numbers_in(text: str) -> list[float]:
    """Every number written in a free-text description, in order (lenient: ``NaN``, ``1e-3``)."""
    return [float(m) for m in _NUMBER.findall(text)]


def monitoring_batch(
    candidate: Candidate,
    tool: str,
    document_kind: str,
    reports: list[MonitoringReport],
    results: list[MonitoringResult],
) -> Batch:
    """A batch holding the raw document and the monitoring records of one file.

    ``govern ingest --model NAME [--version V]`` links the reports to that model version
    (monitoring exports rarely say which model they watched); a link the adapter read from the
    file itself is kept.
    """
    path = candidate.path
    model = candidate.options.get("model")
    if model:
        version = candidate.options.get("version")
        reports = [
            r
            if r.model
            else replace(r, model=str(model), version=str(version) if version else r.version)
            for r in reports
        ]
    batch = Batch(files=[path])
    batch.documents.append(
        Document(
            path=str(path),
            sha256=hashlib.sha256(candidate.data).hexdigest(),
            kind=f"{tool}:{document_kind}",
            text=candidate.data.decode("utf-8-sig"),
        )
    )
    batch.extra[MONITORING_KEY] = [MonitoringRecords(reports=reports, results=results)]
    return batch
