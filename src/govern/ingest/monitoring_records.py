"""The normalised monitoring schema: one report per input file, one result per measured thing.

Every monitoring adapter (Evidently, SageMaker Model Monitor, SageMaker Clarify) turns its
export into :class:`MonitoringReport` and :class:`MonitoringResult` records and puts them in
``Batch.extra[MONITORING_KEY]`` as a :class:`MonitoringRecords`; the writer registered by
:mod:`govern.store.monitoring` stores them in the ingest transaction.

Conventions:

* ``report_id`` is ``<tool>:<first 16 hex of the file's SHA-256>``: the same bytes give the same
  id, so re-ingesting is a no-op (the tool's own id, if any, is in ``dataset_summary``).
* ``generated_at`` is aware UTC when the tool writes a zone or epoch, and **naive** when the
  tool writes a naive local time (Evidently 0.4 ``timestamp``, 0.7 snapshot ``timestamp``):
  stored as given, the zone is unknown.
* ``metric`` is a normalised method id: drift statistics use the Evidently ids (``ks``,
  ``wasserstein``, ``psi``, ``jensenshannon``, ``chisquare``, ``z``, ...), whatever display
  name the file used; Model Monitor drift is ``linf``; model-quality metrics keep the
  SageMaker names (``auc``, ``mae``); Clarify bias metrics keep Clarify's upper-case codes
  (``CI``, ``DPL``, ``KS``) so that the Clarify KS *distance* never mixes with the ``ks``
  *p-value* test; global SHAP is ``mean_abs_shap``.
* ``direction`` says how ``value`` compares with ``threshold``: ``p_value`` (drift when the
  value is below the threshold), ``distance`` (drift when at or above it) or ``bound`` (a
  limit that must hold); ``None`` when there is no threshold.
* ``drifted`` and ``passed`` are the tool's own verdict where it gives one (Evidently
  ``drift_detected``, test ``status``, a Model Monitor violation), else derived from the
  direction, else ``None``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from govern.ingest.base import Candidate
from govern.ingest.normalise import BadValueError
from govern.ingest.records import Batch, Document

#: The ``Batch.extra`` key (and store writer name) of monitoring records.
MONITORING_KEY = "monitoring"

P_VALUE = "p_value"
DISTANCE = "distance"
BOUND = "bound"


@dataclass(frozen=True)
class MonitoringReport:
    """One monitoring export: a drift report, test suite, statistics, constraints, analysis."""

    report_id: str
    tool: str
    tool_version: str | None
    kind: str
    generated_at: datetime | None
    model: str | None = None
    version: str | None = None
    dataset_summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MonitoringResult:
    """One measured value of a report: a column's drift score, a test, a bias metric."""

    report_id: str
    #: the column, facet, model-quality metric or ``dataset`` the value is about
    subject: str
    #: normalised method or metric id (see the module docstring)
    metric: str
    value: float | None = None
    threshold: float | None = None
    #: ``p_value``, ``distance``, ``bound`` or ``None``
    direction: str | None = None
    drifted: bool | None = None
    passed: bool | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class MonitoringRecords:
    """The reports and results one input produced (what ``Batch.extra['monitoring']`` holds)."""

    reports: list[MonitoringReport] = field(default_factory=list)
    results: list[MonitoringResult] = field(default_factory=list)


# -- helpers shared by the monitoring adapters -----------------------------------------------

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
