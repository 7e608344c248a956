"""mlflow-export-import output, OSS and Databricks, old (1.1.x) and current layouts.

Covers ``export-model``, ``export-models``, ``export-experiment(s)`` and
``export-model-version``.

Every file is ``{system, mlflow, info?}``; the kind is read from the ``mlflow`` object:
``registered_model`` (model.json, with ``versions`` or, from tool 1.1.2, ``latest_versions``),
``model_version`` (version.json), ``info`` + ``params`` (run.json; its ``artifacts/`` folder
beside it is scanned for MLmodel and environment files), ``experiment`` (experiment.json),
and index files (``experiments``, ``models``, an empty ``{}`` manifest) that carry nothing to
load. ``info.failed_versions`` (versions the exporter could not export, e.g. because their run
was deleted) become model versions with an ``export_error``: a lineage gap, not an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from govern.errors import MalformedInputError
from govern.ingest import mlflow_objects as obj
from govern.ingest import normalise as n
from govern.ingest.base import Candidate, Kind, require_mapping
from govern.records.registry import Batch, Document, ModelVersion


def registry_of(system: Mapping[str, Any]) -> str:
    """Return ``databricks`` for exports from a Databricks workspace, else ``mlflow``."""
    uri = str(system.get("mlflow_tracking_uri") or "")
    return "databricks" if uri.startswith("databricks") else "mlflow"


class ExportImportAdapter:
    """Adapter for the JSON files written by mlflow-export-import."""

    name = "mlflow-export-import"
    family = "registry"
    description = "mlflow-export-import output (model.json, version.json, run.json, ...)"

    def detect(self, candidate: Candidate) -> bool:
        """An export-import file is a JSON object with ``system`` and ``mlflow`` objects."""
        doc = candidate.document
        return (
            candidate.kind is Kind.JSON
            and isinstance(doc, Mapping)
            and isinstance(doc.get("system"), Mapping)
            and isinstance(doc.get("mlflow"), Mapping)
        )

    def read(self, candidate: Candidate) -> Batch:
        """Parse one export-import file (and a run's artifacts folder)."""
        path = candidate.path
        doc = require_mapping(candidate.document, "the export", path)
        system = doc["system"]
        body: Mapping[str, Any] = doc["mlflow"]
        raw_info = doc.get("info")
        info: Mapping[str, Any] = raw_info if isinstance(raw_info, Mapping) else {}
        registry = registry_of(system)
        batch = Batch(files=[path])
        kind = "index"
        try:
            if "registered_model" in body:
                kind = "model"
                self._model(body["registered_model"], info, registry, batch)
            elif "model_version" in body:
                kind = "model-version"
                batch.versions.append(obj.model_version(body["model_version"]))
            elif "info" in body and ("params" in body or "tags" in body):
                kind = "run"
                run = obj.run(body)
                artifacts_dir = path.parent / "artifacts"
                artifacts = n.scan_artifacts(
                    artifacts_dir, tree=candidate.tree(), notes=batch.notes
                )
                batch.files.extend(artifacts_dir / a.path for a in artifacts)
                batch.runs.append(replace(run, artifacts=tuple(artifacts)) if artifacts else run)
            elif "experiment" in body:
                kind = "experiment"
                batch.experiments.append(obj.experiment(body["experiment"]))
            elif set(body) <= {"experiments", "models"}:
                batch.notes.append(f"{path}: export index file, nothing to load")
            else:
                raise MalformedInputError(
                    "is an mlflow-export-import file of an unknown kind "
                    f"(mlflow keys: {', '.join(sorted(body)) or 'none'}).",
                    hint="Expected a model, model version, run or experiment export.",
                    path=path,
                )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise MalformedInputError(
                f"is an mlflow-export-import {kind} file but a field is missing or has the "
                f"wrong type ({_describe(exc)}).",
                hint="Export it again with mlflow-export-import, or fix the file.",
                path=path,
            ) from exc
        batch.documents.append(
            Document(
                path=str(path),
                sha256=n.sha256_bytes(candidate.data),
                kind=f"export-import:{kind}",
                text=candidate.data.decode("utf-8-sig"),
            )
        )
        return batch

    @staticmethod
    def _model(
        model: Mapping[str, Any], info: Mapping[str, Any], registry: str, batch: Batch
    ) -> None:
        # Tool 1.1.2 wrote ``latest_versions`` (latest per stage) instead of ``versions``.
        versions = model.get("versions")
        if versions is None:
            versions = model.get("latest_versions") or []
        batch.models.append(obj.registered_model(model, registry=registry))
        batch.versions.extend(obj.model_version(v) for v in versions)
        for failed in info.get("failed_versions") or []:
            rest = failed.get("RestException") or {}
            reason = n.text(failed.get("message")) or "version could not be exported"
            detail = n.text(rest.get("message"))
            code = n.text(rest.get("error_code"))
            error = reason + (f" ({code}: {detail})" if detail else "")
            batch.versions.append(
                ModelVersion(
                    model_name=str(failed.get("model") or model["name"]),
                    version=n.version_text(failed["version"]),
                    run_id=n.text(failed.get("run_id")),
                    export_error=error,
                )
            )


def _describe(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing key {exc.args[0]!r}"
    return str(exc) or type(exc).__name__
