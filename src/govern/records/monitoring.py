"""The normalised monitoring schema: one report per input file, one result per measured thing.

Every monitoring adapter (Evidently, SageMaker Model Monitor, SageMaker Clarify) turns its
export into :class:`MonitoringReport` and :class:`MonitoringResult` records and puts them in
``Batch.extra[MONITORING_KEY]`` as a :class:`MonitoringRecords` (helpers in
:mod:`govern.ingest.monitoring`); the writer registered by
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

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: The ``Batch.extra`` key (and store writer name) of monitoring records.
MONITORING_KEY = "monitoring"

#: Directions of a result (how ``value`` compares with ``threshold``).
P_VALUE = "p_value"
DISTANCE = "distance"
BOUND = "bound"

#: The subject of a result about the whole dataset rather than one column.
DATASET = "dataset"
#: The metric of a report's share (or count) of drifted columns (Evidently's name).
SHARE = "share_of_drifted_columns"


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
