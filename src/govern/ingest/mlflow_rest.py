"""MLflow REST API responses (``/api/2.0/mlflow/...``) saved as JSON files.

Recognised responses, by their top-level key:

* ``registered_model`` (``registered-models/get``), ``registered_models``
  (``registered-models/search``; each with ``latest_versions``, the latest version per stage);
* ``model_version`` (``model-versions/get``, ``registered-models/alias``), ``model_versions``
  (``model-versions/search``, which never lists aliases: they come from the registered model);
* ``run`` (``runs/get``), ``runs`` (``runs/search``; ``data.metrics`` holds the latest value
  per key);
* ``experiment`` (``experiments/get``), ``experiments`` (``experiments/search``);
* ``model`` / ``models`` with ``info.model_id`` (MLflow 3 ``logged-models/get|search``);
* ``metrics`` of ``{key, value, timestamp, step}`` (``metrics/get-history``): recognised but it
  names no run, so nothing can be loaded from it; the run's values come from ``runs/get``.

Protobuf JSON omits empty fields: a registered model without ``aliases`` has none. A
``next_page_token`` means more pages exist: each page is a file to ingest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from govern.errors import MalformedInputError
from govern.ingest import mlflow_objects as obj
from govern.ingest import normalise as n
from govern.ingest.base import Candidate, Kind
from govern.records.registry import Batch, Document


def _is_metric_history(doc: Mapping[str, Any]) -> bool:
    items = doc.get("metrics")
    return (
        isinstance(items, list)
        and bool(items)
        and all(isinstance(i, Mapping) and {"key", "value", "step"} <= set(i) for i in items)
        and set(doc) <= {"metrics", "next_page_token"}
    )


def _is_logged_model(item: Any) -> bool:
    return (
        isinstance(item, Mapping)
        and isinstance(item.get("info"), Mapping)
        and ("model_id" in item["info"])
    )


def _kind(doc: Mapping[str, Any]) -> str | None:
    """Return the response kind, or None when this is not an MLflow REST response."""
    if "system" in doc:  # mlflow-export-import wraps the same objects
        return None
    if isinstance(doc.get("registered_model"), Mapping):
        return "registered-model"
    if isinstance(doc.get("registered_models"), list):
        return "registered-models"
    if isinstance(doc.get("model_version"), Mapping):
        return "model-version"
    if isinstance(doc.get("model_versions"), list):
        return "model-versions"
    if isinstance(doc.get("run"), Mapping) and "info" in doc["run"]:
        return "run"
    if isinstance(doc.get("runs"), list) and all(
        isinstance(r, Mapping) and "info" in r for r in doc["runs"]
    ):
        return "runs"
    if isinstance(doc.get("experiment"), Mapping) and "experiment_id" in doc["experiment"]:
        return "experiment"
    if isinstance(doc.get("experiments"), list) and all(
        isinstance(e, Mapping) and "experiment_id" in e for e in doc["experiments"]
    ):
        return "experiments"
    if _is_logged_model(doc.get("model")):
        return "logged-model"
    models = doc.get("models")
    if isinstance(models, list) and models and all(_is_logged_model(m) for m in models):
        return "logged-models"
    if _is_metric_history(doc):
        return "metric-history"
    return None


class MlflowRestAdapter:
    """Adapter for saved MLflow REST API responses."""

    name = "mlflow-rest"
    family = "registry"
    description = "MLflow REST API responses (registered models, versions, runs, experiments)"

    def detect(self, candidate: Candidate) -> bool:
        """Recognise a response by its top-level key (see the module docstring)."""
        return (
            candidate.kind is Kind.JSON
            and isinstance(candidate.document, Mapping)
            and _kind(candidate.document) is not None
        )

    def read(self, candidate: Candidate) -> Batch:
        """Parse one saved response."""
        path = candidate.path
        doc: Mapping[str, Any] = candidate.document
        kind = _kind(doc) or "unknown"
        batch = Batch(files=[path])
        readers: dict[str, Callable[[Mapping[str, Any], Batch], None]] = {
            "registered-model": lambda d, b: _models([d["registered_model"]], b),
            "registered-models": lambda d, b: _models(d["registered_models"], b),
            "model-version": lambda d, b: b.versions.append(obj.model_version(d["model_version"])),
            "model-versions": lambda d, b: b.versions.extend(
                obj.model_version(v) for v in d["model_versions"]
            ),
            "run": lambda d, b: b.runs.append(obj.run(d["run"])),
            "runs": lambda d, b: b.runs.extend(obj.run(r) for r in d["runs"]),
            "experiment": lambda d, b: b.experiments.append(obj.experiment(d["experiment"])),
            "experiments": lambda d, b: b.experiments.extend(
                obj.experiment(e) for e in d["experiments"]
            ),
            "logged-model": lambda d, b: b.logged_models.append(obj.logged_model(d["model"])),
            "logged-models": lambda d, b: b.logged_models.extend(
                obj.logged_model(m) for m in d["models"]
            ),
            "metric-history": lambda d, b: b.notes.append(
                f"{path}: a metrics/get-history response names no run, so nothing was loaded "
                "from it; ingest the run (runs/get or runs/search) for its metrics."
            ),
        }
        try:
            readers[kind](doc, batch)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            what = f"missing key {exc.args[0]!r}" if isinstance(exc, KeyError) else str(exc)
            raise MalformedInputError(
                f"looks like an MLflow REST {kind} response but a field is missing or has the "
                f"wrong type ({what}).",
                hint="Save the API response unmodified and ingest it again.",
                path=path,
            ) from exc
        if doc.get("next_page_token"):
            batch.notes.append(
                f"{path}: this {kind} response is one page of several (next_page_token is set); "
                "ingest every page to see everything."
            )
        batch.documents.append(
            Document(
                path=str(path),
                sha256=n.sha256_bytes(candidate.data),
                kind=f"mlflow-rest:{kind}",
                text=candidate.data.decode("utf-8-sig"),
            )
        )
        return batch


def _models(models: list[Mapping[str, Any]], batch: Batch) -> None:
    for model in models:
        batch.models.append(obj.registered_model(model, registry="mlflow"))
        batch.versions.extend(obj.model_version(v) for v in model.get("latest_versions") or [])
