"""The normalised registry schema that every adapter produces, whatever the source.

Adapters are pure: they read a file or folder and return a :class:`Batch` of these frozen
records. The store writes a batch in one transaction. Conventions:

* model versions are text (``"4"``), whatever type the source used;
* timestamps are timezone-aware UTC :class:`~datetime.datetime` (or ``None``);
* ``stage`` is ``None`` when the registry says ``"None"``/``null`` (no stage);
* tags, params and dataset fields are plain strings, as MLflow stores them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

#: Artifact kinds that count as a captured environment (see
#: :data:`govern.ingest.normalise.ARTIFACT_KINDS`, which names the files of each kind).
ENVIRONMENT_KINDS = frozenset({"conda", "python_env", "requirements"})


@dataclass(frozen=True)
class Experiment:
    """An MLflow experiment (or the SageMaker equivalent: none)."""

    experiment_id: str
    name: str | None = None
    artifact_location: str | None = None
    lifecycle_stage: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RegisteredModel:
    """A registered model (MLflow) or model package group (SageMaker)."""

    name: str
    registry: str
    description: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    user_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    #: alias -> version; ``None`` means "this source does not say" (keep what the store has).
    aliases: dict[str, str] | None = None


@dataclass(frozen=True)
class ModelVersion:
    """One version of a registered model, with its lineage links."""

    model_name: str
    version: str
    stage: str | None = None
    status: str | None = None
    status_message: str | None = None
    description: str | None = None
    source: str | None = None
    run_id: str | None = None
    run_link: str | None = None
    user_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    model_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    #: aliases this source attaches to the version (added; the model's list is authoritative)
    aliases: tuple[str, ...] = ()
    #: lineage facts that registries without runs (SageMaker) keep on the version itself
    git_commit: str | None = None
    code_repository: str | None = None
    approval_status: str | None = None
    #: why the exporter could not export this version (``info.failed_versions``), if so
    export_error: str | None = None


@dataclass(frozen=True)
class MetricPoint:
    """One logged value of a run metric; the full history is kept."""

    key: str
    value: float | None
    timestamp: datetime | None
    step: int


@dataclass(frozen=True)
class DatasetInput:
    """A dataset logged as input of a run (``mlflow.log_input``)."""

    name: str
    digest: str | None
    context: str | None = None
    source_type: str | None = None
    source: str | None = None
    source_uri: str | None = None
    schema: str | None = None
    profile: str | None = None


@dataclass(frozen=True)
class Artifact:
    """A lineage-relevant artifact file found with a run (MLmodel, environment files)."""

    path: str
    kind: str
    sha256: str
    flavors: tuple[str, ...] = ()
    detail: str | None = None


@dataclass(frozen=True)
class Run:
    """A training run with its params, metrics (history), tags and inputs."""

    run_id: str
    experiment_id: str | None = None
    run_name: str | None = None
    status: str | None = None
    user_id: str | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    artifact_uri: str | None = None
    lifecycle_stage: str | None = None
    source_name: str | None = None
    source_type: str | None = None
    git_commit: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: tuple[MetricPoint, ...] = ()
    datasets: tuple[DatasetInput, ...] = ()
    artifacts: tuple[Artifact, ...] = ()


@dataclass(frozen=True)
class LoggedModel:
    """An MLflow 3 logged model (``m-<id>``): the link from a version's source to its run."""

    model_id: str
    name: str | None = None
    experiment_id: str | None = None
    source_run_id: str | None = None
    artifact_uri: str | None = None
    status: str | None = None
    created_at: datetime | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Document:
    """A raw input document kept as evidence (JSON text as read)."""

    path: str
    sha256: str
    kind: str
    text: str


@dataclass
class Batch:
    """Everything one adapter read from one input; written by the store in one transaction."""

    experiments: list[Experiment] = field(default_factory=list)
    models: list[RegisteredModel] = field(default_factory=list)
    versions: list[ModelVersion] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    logged_models: list[LoggedModel] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    #: files this batch was read from (for hashing, and so a folder walk does not report them)
    files: list[Path] = field(default_factory=list)
    #: notes for the user (e.g. "index file, nothing to load")
    notes: list[str] = field(default_factory=list)
    #: records of other families (prediction logs, monitoring), by writer name; each key is
    #: written by the function registered under it in ``govern.store.writers.EXTRA_WRITERS``
    extra: dict[str, Any] = field(default_factory=dict)

    def extend(self, other: Batch) -> None:
        """Append every record of ``other`` to this batch."""
        self.experiments.extend(other.experiments)
        self.models.extend(other.models)
        self.versions.extend(other.versions)
        self.runs.extend(other.runs)
        self.logged_models.extend(other.logged_models)
        self.documents.extend(other.documents)
        self.files.extend(other.files)
        self.notes.extend(other.notes)
        for key, value in other.extra.items():
            self.extra.setdefault(key, []).extend(value)

    def counts(self) -> dict[str, int]:
        """Return the number of records by kind, as stored in the ``sources`` table."""
        return {
            "experiments": len(self.experiments),
            "models": len(self.models),
            "versions": len(self.versions),
            "runs": len(self.runs),
            "logged_models": len(self.logged_models),
            "metrics": sum(len(r.metrics) for r in self.runs),
            "datasets": sum(len(r.datasets) for r in self.runs),
            "artifacts": sum(len(r.artifacts) for r in self.runs),
            **self._extra_counts(),
        }

    def _extra_counts(self) -> dict[str, int]:
        """Count the records of other families kept in :attr:`extra`.

        An entry that holds lists of records (monitoring: ``MonitoringRecords`` with
        ``reports`` and ``results``) counts each list as ``<key>_<field>``, e.g.
        ``monitoring_reports`` and ``monitoring_results``. Entries without lists (a planned
        prediction-log load) add nothing: their rows are counted by their own writer.
        """
        out: dict[str, int] = {}
        for key, records in sorted(self.extra.items()):
            for record in records:
                if not is_dataclass(record) or isinstance(record, type):
                    continue
                for f in fields(record):
                    value = getattr(record, f.name)
                    if isinstance(value, list):
                        name = f"{key}_{f.name}"
                        out[name] = out.get(name, 0) + len(value)
        return out
