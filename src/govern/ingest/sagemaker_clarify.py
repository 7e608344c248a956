"""SageMaker Clarify ``analysis.json`` (bias metrics, global SHAP) and analysis configs.

Detected by content (FORMATS §3.3, §6):

* ``pre_training_bias_metrics`` / ``post_training_bias_metrics`` / ``explanations`` ->
  an analysis. Each bias metric of each facet value is one result: subject = the facet,
  metric = Clarify's code as written (``CI``, ``DPL``, ``KS``, ``DPPL``, ``DI``, ...), the facet
  value (a string, or a bucket such as ``"(0.5, 0.99]"``), the stage (``pre_training`` /
  ``post_training``), label and description in ``detail``. ``value: null`` comes with an
  ``error``, kept in ``detail``. Global SHAP values give one ``mean_abs_shap`` result per
  feature and label; ``expected_value`` per label is in the report's ``dataset_summary``.
* ``methods`` + ``label``/``dataset_type`` -> an analysis **config**: a report without
  results that records what was asked (label, facets, methods, predictor).

Clarify has no verdicts or thresholds: ``drifted``/``passed``/``direction`` stay empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from govern.errors import MalformedInputError
from govern.ingest import normalise as n
from govern.ingest.base import Candidate, Kind, require_mapping
from govern.ingest.monitoring import monitoring_batch, report_id, to_float
from govern.records.monitoring import MonitoringReport, MonitoringResult
from govern.records.registry import Batch

TOOL = "sagemaker-clarify"
STAGES = (
    ("pre_training_bias_metrics", "pre_training"),
    ("post_training_bias_metrics", "post_training"),
)
CONFIG_METHODS = ("pre_training_bias", "post_training_bias", "shap", "pdp", "report")


def _shape(doc: Mapping[str, Any]) -> str | None:
    if any(isinstance(doc.get(key), Mapping) for key, _ in STAGES) or isinstance(
        doc.get("explanations"), Mapping
    ):
        return "analysis"
    methods = doc.get("methods")
    if (
        isinstance(methods, Mapping)
        and any(key in methods for key in CONFIG_METHODS)
        and ("label" in doc or "dataset_type" in doc or "facet" in doc)
    ):
        return "config"
    return None


def _bias(rid: str, doc: Mapping[str, Any], path: Path) -> list[MonitoringResult]:
    out: list[MonitoringResult] = []
    for key, stage in STAGES:
        block = doc.get(key)
        if block is None:
            continue
        block = require_mapping(block, f"`{key}`", path)
        facets = require_mapping(block.get("facets", {}), f"`{key}.facets`", path)
        for facet, entries in facets.items():
            if isinstance(entries, Mapping):  # one value given as an object
                entries = [entries]
            if not isinstance(entries, list):
                raise MalformedInputError(
                    f"`{key}.facets.{facet}` should be a list but is {type(entries).__name__}.",
                    path=path,
                )
            for entry in entries:
                entry = require_mapping(entry, f"an item of `{key}.facets.{facet}`", path)
                metrics = entry.get("metrics") or []
                if not isinstance(metrics, list):
                    raise MalformedInputError(
                        f"the metrics of facet {facet!r} should be a list.", path=path
                    )
                for metric in metrics:
                    metric = require_mapping(metric, f"a metric of facet {facet!r}", path)
                    detail: dict[str, Any] = {
                        "stage": stage,
                        "facet_value": n.text(entry.get("value_or_threshold")),
                        "label": block.get("label"),
                        "label_value_or_threshold": n.text(block.get("label_value_or_threshold")),
                        "description": metric.get("description"),
                    }
                    if metric.get("error") is not None:
                        detail["error"] = metric["error"]
                    out.append(
                        MonitoringResult(
                            report_id=rid,
                            subject=str(facet),
                            metric=str(metric.get("name")),
                            value=to_float(metric.get("value")),
                            detail=detail,
                        )
                    )
    return out


def _explanations(
    rid: str, doc: Mapping[str, Any], path: Path, summary: dict[str, Any]
) -> list[MonitoringResult]:
    out: list[MonitoringResult] = []
    explanations = doc.get("explanations")
    if explanations is None:
        return out
    explanations = require_mapping(explanations, "`explanations`", path)
    expected: dict[str, Any] = {}
    for method, by_label in sorted(explanations.items()):
        if method == "pdp":
            if isinstance(by_label, list):
                summary["pdp_features"] = [
                    p.get("feature_name") for p in by_label if isinstance(p, Mapping)
                ]
            continue
        if not isinstance(by_label, Mapping):
            continue
        for label, values in by_label.items():
            if not isinstance(values, Mapping):
                continue
            shap = values.get("global_shap_values")
            if isinstance(shap, Mapping):
                for feature, value in shap.items():
                    out.append(
                        MonitoringResult(
                            report_id=rid,
                            subject=str(feature),
                            metric="mean_abs_shap",
                            value=to_float(value),
                            detail={"label": str(label), "method": method},
                        )
                    )
            if "expected_value" in values:
                expected[f"{method}:{label}"] = to_float(values.get("expected_value"))
    if expected:
        summary["expected_values"] = expected
    return out


class ClarifyAdapter:
    """SageMaker Clarify bias / explainability ``analysis.json`` and analysis configs."""

    name = "sagemaker-clarify"
    family = "monitoring"
    description = "SageMaker Clarify analysis.json (bias metrics, global SHAP) and analysis config"

    def detect(self, candidate: Candidate) -> bool:
        """Recognise a Clarify analysis or analysis config by its keys."""
        if candidate.kind is not Kind.JSON or not isinstance(candidate.document, Mapping):
            return False
        return _shape(candidate.document) is not None

    def read(self, candidate: Candidate) -> Batch:
        """Parse the file into one monitoring report and its results."""
        path = candidate.path
        doc = require_mapping(candidate.document, "the Clarify document", path)
        shape = _shape(doc)
        rid = report_id(TOOL, candidate.data)
        summary: dict[str, Any] = {}
        if "version" in doc:
            summary["format_version"] = n.text(doc.get("version"))
        results: list[MonitoringResult] = []
        if shape == "analysis":
            results = _bias(rid, doc, path) + _explanations(rid, doc, path, summary)
            parts = [stage for key, stage in STAGES if key in doc]
            if "explanations" in doc:
                parts.append("explainability")
            summary["parts"] = parts
            for key, stage in STAGES:
                block = doc.get(key)
                if isinstance(block, Mapping):
                    summary[f"{stage}_label"] = block.get("label")
                    summary[f"{stage}_label_value"] = n.text(block.get("label_value_or_threshold"))
            has_bias = any(key in doc for key, _ in STAGES)
            kind = "bias" if has_bias else "explainability"
            if has_bias and "explanations" in doc:
                kind = "bias_and_explainability"
        else:
            kind = "analysis_config"
            predictor = doc.get("predictor")
            summary.update(
                dataset_type=doc.get("dataset_type"),
                label=doc.get("label"),
                label_values_or_threshold=doc.get("label_values_or_threshold"),
                facet=doc.get("facet"),
                group_variable=doc.get("group_variable"),
                methods=sorted(doc["methods"]),
                predictor_model_name=(
                    predictor.get("model_name") if isinstance(predictor, Mapping) else None
                ),
            )
        report = MonitoringReport(
            report_id=rid,
            tool=TOOL,
            tool_version=None,
            kind=kind,
            generated_at=None,
            dataset_summary=summary,
        )
        return monitoring_batch(candidate, TOOL, kind, [report], results)
