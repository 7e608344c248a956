"""Planned loads of prediction logs and SageMaker ground truth.

The prediction-log adapters (:mod:`govern.ingest.predictions`) check a file against its column
mapping and return these plans in ``Batch.extra``; the store (:mod:`govern.store.predictions`)
runs ``select_sql`` inside the ingest transaction to copy the rows into its own table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: The ``Batch.extra`` keys (and store writer names) of prediction logs and ground truth.
PREDICTIONS_KEY = "predictions"
GROUND_TRUTH_KEY = "ground_truth"

#: Standard roles of a mapped column, as options and in ``PredictionLog.mapping``.
MAPPED = ("timestamp", "prediction", "score", "label", "id", "model_version")
#: Roles of a prediction log: the reference window (e.g. training data) or current traffic.
ROLES = ("reference", "current")
#: Column names starting with this are govern's own (``__govern_ts``, ``__ts``, ...).
RESERVED_PREFIX = "__"


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
