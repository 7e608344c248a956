"""Parsers for MLflow's registry objects as JSON, shared by the REST and export-import adapters.

The REST API and mlflow-export-import write the same objects with small differences, all
accepted here: tags/params as lists of ``{key, value}`` (REST) or dicts (export-import);
metrics as a list of latest values (REST ``data.metrics``) or a dict of full histories
(export-import); run inputs as ``{dataset_inputs: [...]}`` or a bare list (Databricks 2024);
``current_stage`` as ``"None"`` or ``null``; aliases as ``[{alias, version}]`` on a model and
``["name"]`` on a version.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from govern.ingest import normalise as n
from govern.records.registry import (
    Experiment,
    LoggedModel,
    MetricPoint,
    ModelVersion,
    RegisteredModel,
    Run,
)


def registered_model(
    doc: Mapping[str, Any], *, registry: str, aliases_known: bool = True
) -> RegisteredModel:
    """Parse a registered model (``RM``).

    ``aliases_known`` is False for shapes that never carry aliases (so a missing list does not
    erase aliases another source gave).
    """
    has_aliases = "aliases" in doc or aliases_known
    return RegisteredModel(
        name=str(doc["name"]),
        registry=registry,
        description=n.text(doc.get("description")),
        created_at=n.timestamp(doc.get("creation_timestamp")),
        updated_at=n.timestamp(doc.get("last_updated_timestamp")),
        user_id=n.text(doc.get("user_id")),
        tags=n.tags(doc.get("tags")),
        aliases=n.aliases(doc.get("aliases")) if has_aliases else None,
    )


def model_version(doc: Mapping[str, Any], *, export_error: str | None = None) -> ModelVersion:
    """Parse a model version (``MV``); its ``aliases`` list of names is kept as additions."""
    version = n.version_text(doc["version"])
    raw_aliases = doc.get("aliases") or []
    names = tuple(
        str(a["alias"]) if isinstance(a, Mapping) else str(a) for a in raw_aliases if a is not None
    )
    return ModelVersion(
        model_name=str(doc["name"]),
        version=version,
        stage=n.stage(doc.get("current_stage")),
        status=n.text(doc.get("status")),
        status_message=n.text(doc.get("status_message")),
        description=n.text(doc.get("description")),
        source=n.text(doc.get("source")),
        run_id=n.text(doc.get("run_id")),
        run_link=n.text(doc.get("run_link")),
        user_id=n.text(doc.get("user_id")),
        created_at=n.timestamp(doc.get("creation_timestamp")),
        updated_at=n.timestamp(doc.get("last_updated_timestamp")),
        model_id=n.text(doc.get("model_id")),
        tags=n.tags(doc.get("tags")),
        aliases=names,
        export_error=export_error,
    )


def experiment(doc: Mapping[str, Any]) -> Experiment:
    """Parse an experiment (REST or export-import)."""
    return Experiment(
        experiment_id=str(doc.get("experiment_id") or doc.get("id")),
        name=n.text(doc.get("name")),
        artifact_location=n.text(doc.get("artifact_location")),
        lifecycle_stage=n.text(doc.get("lifecycle_stage")),
        created_at=n.timestamp(doc.get("creation_time")),
        updated_at=n.timestamp(doc.get("last_update_time")),
        tags=n.tags(doc.get("tags")),
    )


def _metrics(value: Any) -> list[MetricPoint]:
    """Metrics as REST ``[{key, value, timestamp, step}]`` or export-import ``{key: [...]}``."""
    if value is None:
        return []
    if isinstance(value, Mapping):
        points: list[MetricPoint] = []
        for key, history in value.items():
            if isinstance(history, list):
                points.extend(n.metric_history(str(key), history))
            else:  # a bare latest value
                points.append(MetricPoint(str(key), n.metric_value(history), None, 0))
        return points
    out: list[MetricPoint] = []
    for item in value:
        out.extend(n.metric_history(str(item["key"]), [item]))
    return out


def _dataset_inputs(value: Any) -> list[tuple[Mapping[str, Any], dict[str, str]]]:
    """Run inputs as ``{dataset_inputs: [...]}`` (REST, new exporter) or a bare list."""
    if value is None:
        return []
    items = value.get("dataset_inputs") or [] if isinstance(value, Mapping) else value
    return [(item.get("dataset") or {}, n.tags(item.get("tags"))) for item in items]


def run(doc: Mapping[str, Any]) -> Run:
    """Parse a run: REST ``{info, data, inputs}`` or export-import ``{info, params, ...}``."""
    info = doc.get("info") or {}
    data = doc.get("data") or doc
    run_tags = n.tags(data.get("tags"))
    run_id = n.text(info.get("run_id")) or n.text(info.get("run_uuid"))
    if run_id is None:
        raise KeyError("run_id")
    return Run(
        run_id=run_id,
        experiment_id=n.text(info.get("experiment_id")),
        run_name=n.text(info.get("run_name")) or run_tags.get("mlflow.runName"),
        status=n.text(info.get("status")),
        user_id=n.text(info.get("user_id")) or run_tags.get("mlflow.user"),
        start_time=n.timestamp(info.get("start_time")),
        end_time=n.timestamp(info.get("end_time")),
        artifact_uri=n.text(info.get("artifact_uri")),
        lifecycle_stage=n.text(info.get("lifecycle_stage")),
        source_name=run_tags.get("mlflow.source.name")
        or run_tags.get("mlflow.databricks.notebookPath"),
        source_type=run_tags.get("mlflow.source.type"),
        git_commit=n.git_commit(run_tags),
        params=n.tags(data.get("params")),
        tags=run_tags,
        metrics=tuple(_metrics(data.get("metrics"))),
        datasets=tuple(n.dataset_input(ds, tg) for ds, tg in _dataset_inputs(doc.get("inputs"))),
    )


def logged_model(doc: Mapping[str, Any]) -> LoggedModel:
    """Parse an MLflow 3 logged model (``{info: {model_id, ...}, data}``)."""
    info = doc.get("info") or doc
    return LoggedModel(
        model_id=str(info["model_id"]),
        name=n.text(info.get("name")),
        experiment_id=n.text(info.get("experiment_id")),
        source_run_id=n.text(info.get("source_run_id")),
        artifact_uri=n.text(info.get("artifact_uri")),
        status=n.text(info.get("status")),
        created_at=n.timestamp(info.get("creation_timestamp_ms")),
        tags=n.tags(info.get("tags")),
    )
