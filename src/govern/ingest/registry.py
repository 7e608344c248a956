"""The explicit registry of input adapters, in detection order.

Detection asks each adapter in turn; the first that recognises the content wins. Adding a
format means writing one adapter module and adding it here.
"""

from __future__ import annotations

from govern.ingest.base import Adapter, Candidate
from govern.ingest.evidently import EvidentlyAdapter
from govern.ingest.export_import import ExportImportAdapter
from govern.ingest.mlflow_filestore import MlflowFileStoreAdapter
from govern.ingest.mlflow_rest import MlflowRestAdapter
from govern.ingest.mlflow_sql import MlflowSqlAdapter
from govern.ingest.predictions import (
    DataCaptureAdapter,
    GroundTruthAdapter,
    PredictionLogAdapter,
)
from govern.ingest.sagemaker_clarify import ClarifyAdapter
from govern.ingest.sagemaker_monitor import ModelMonitorAdapter
from govern.ingest.sagemaker_registry import SageMakerRegistryAdapter
from govern.store import monitoring as _monitoring_writers  # noqa: F401 (registers writers)
from govern.store import predictions as _prediction_writers  # noqa: F401 (registers writers)

_ORDER: tuple[Adapter, ...] = (
    ExportImportAdapter(),
    MlflowRestAdapter(),
    MlflowSqlAdapter(),
    MlflowFileStoreAdapter(),
    SageMakerRegistryAdapter(),
    EvidentlyAdapter(),
    ModelMonitorAdapter(),
    ClarifyAdapter(),
    DataCaptureAdapter(),
    GroundTruthAdapter(),
    PredictionLogAdapter(),
)

#: Every adapter by its format id.
ADAPTERS: dict[str, Adapter] = {adapter.name: adapter for adapter in _ORDER}


def detect(candidate: Candidate) -> Adapter | None:
    """Return the adapter whose format the candidate is, or None."""
    for adapter in _ORDER:
        if adapter.detect(candidate):
            return adapter
    return None
