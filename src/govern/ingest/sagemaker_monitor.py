"""SageMaker Model Monitor outputs: statistics, constraints and constraint violations.

Detected by content (FORMATS §3.2, §6), whatever the file is called:

* ``dataset.item_count`` + ``features`` -> data-quality **statistics** (baseline or execution):
  per feature ``num_present``, ``num_missing``, ``completeness`` and, for numbers, ``mean``,
  ``sum``, ``std_dev``, ``min``, ``max``; for strings ``distinct_count``;
* ``features`` + ``monitoring_config`` -> data-quality **constraints**: per feature
  ``completeness`` (a lower bound), ``is_non_negative``, ``domain``; the dataset drift
  comparison (``linf``: L-infinity distance between baseline and current CDFs, with
  ``comparison_threshold``);
* ``binary_classification_metrics`` / ``multiclass_classification_metrics`` /
  ``regression_metrics`` -> **model-quality statistics** (``standard_deviation`` may be the
  string ``"NaN"``);
* ``*_constraints`` whose entries have ``comparison_operator`` -> **model-quality constraints**;
* ``violations`` -> **constraint violations** (data or model quality, bias drift, feature
  attribution drift): the subject is ``feature_name``, ``facet``, ``label`` or ``metric_name``;
  there is no structured score, so value and threshold are parsed leniently from the
  ``description`` text.

Model Monitor says nothing about the model or its version: those stay empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from govern.errors import MalformedInputError
from govern.ingest import normalise as n
from govern.ingest.base import Candidate, Kind, require_mapping
from govern.ingest.monitoring import monitoring_batch, numbers_in, report_id, to_float
from govern.records.monitoring import BOUND, DATASET, DISTANCE, MonitoringReport, MonitoringResult
from govern.records.registry import Batch

TOOL = "sagemaker-model-monitor"
QUALITY_KEYS = (
    "binary_classification_metrics",
    "multiclass_classification_metrics",
    "regression_metrics",
)
#: violation check types that report drift (the others are data or model quality checks)
DRIFT_CHECKS = ("baseline_drift_check", "bias_drift_check", "feature_attribution_drift_check")


def _list(value: Any, what: str, path: Path) -> list[Any]:
    if not isinstance(value, list):
        raise MalformedInputError(
            f"{what} should be a JSON list but is {type(value).__name__}.",
            hint="The file does not look like an unmodified Model Monitor output.",
            path=path,
        )
    return value


def _quality_constraint_keys(doc: Mapping[str, Any]) -> list[str]:
    """Keys like ``regression_constraints`` whose entries carry ``comparison_operator``."""
    keys = []
    for key, value in doc.items():
        if key.endswith("_constraints") and isinstance(value, Mapping):
            entries = [v for v in value.values() if isinstance(v, Mapping)]
            if entries and any("comparison_operator" in v for v in entries):
                keys.append(key)
    return sorted(keys)


def _shape(doc: Mapping[str, Any]) -> str | None:
    dataset = doc.get("dataset")
    if isinstance(doc.get("violations"), list):
        return "constraint_violations"
    if any(key in doc for key in QUALITY_KEYS):
        return "model_quality_statistics"
    if _quality_constraint_keys(doc):
        return "model_quality_constraints"
    if "features" in doc and isinstance(dataset, Mapping) and "item_count" in dataset:
        return "data_quality_statistics"
    if "features" in doc and isinstance(doc.get("monitoring_config"), Mapping):
        return "data_quality_constraints"
    return None


def _stat(
    rid: str, feature: str, metric: str, value: Any, detail: dict[str, Any]
) -> MonitoringResult:
    return MonitoringResult(
        report_id=rid, subject=feature, metric=metric, value=to_float(value), detail=detail
    )


def _statistics(rid: str, doc: Mapping[str, Any], path: Path) -> list[MonitoringResult]:
    out: list[MonitoringResult] = []
    for item in _list(doc.get("features"), "`features`", path):
        feature = require_mapping(item, "an item of `features`", path)
        name = str(feature.get("name"))
        detail = {"inferred_type": feature.get("inferred_type")}
        numeric = feature.get("numerical_statistics")
        text = feature.get("string_statistics")
        stats = numeric if isinstance(numeric, Mapping) else text
        if not isinstance(stats, Mapping):
            continue
        common = stats.get("common") if isinstance(stats.get("common"), Mapping) else {}
        assert isinstance(common, Mapping)
        present = to_float(common.get("num_present"))
        missing = to_float(common.get("num_missing"))
        out.append(_stat(rid, name, "num_present", present, detail))
        out.append(_stat(rid, name, "num_missing", missing, detail))
        if present is not None and missing is not None and present + missing > 0:
            out.append(_stat(rid, name, "completeness", present / (present + missing), detail))
        keys = ("mean", "sum", "std_dev", "min", "max") if stats is numeric else ("distinct_count",)
        for key in keys:
            if key in stats:
                out.append(_stat(rid, name, key, stats[key], detail))
    return out


def _constraints(rid: str, doc: Mapping[str, Any], path: Path) -> list[MonitoringResult]:
    out: list[MonitoringResult] = []
    for item in _list(doc.get("features"), "`features`", path):
        feature = require_mapping(item, "an item of `features`", path)
        name = str(feature.get("name"))
        detail: dict[str, Any] = {"inferred_type": feature.get("inferred_type")}
        overrides = feature.get("monitoringConfigOverrides")
        strings = feature.get("string_constraints")
        if isinstance(strings, Mapping) and "monitoring_config_overrides" in strings:
            overrides = strings["monitoring_config_overrides"]  # older files
        if overrides:
            detail["overrides"] = overrides
        if "completeness" in feature:
            out.append(
                MonitoringResult(
                    report_id=rid,
                    subject=name,
                    metric="completeness",
                    threshold=to_float(feature.get("completeness")),
                    direction=BOUND,
                    detail={**detail, "rule": "completeness >= threshold"},
                )
            )
        numbers = feature.get("num_constraints")
        if isinstance(numbers, Mapping) and numbers.get("is_non_negative") is True:
            out.append(
                MonitoringResult(
                    report_id=rid,
                    subject=name,
                    metric="is_non_negative",
                    threshold=0.0,
                    direction=BOUND,
                    detail={**detail, "rule": "min >= threshold"},
                )
            )
        if isinstance(strings, Mapping) and isinstance(strings.get("domains"), list):
            out.append(
                MonitoringResult(
                    report_id=rid,
                    subject=name,
                    metric="domain",
                    direction=BOUND,
                    detail={**detail, "domains": list(strings["domains"])},
                )
            )
    config = doc.get("monitoring_config")
    distribution = config.get("distribution_constraints") if isinstance(config, Mapping) else None
    if isinstance(distribution, Mapping) and "comparison_threshold" in distribution:
        out.append(
            MonitoringResult(
                report_id=rid,
                subject=DATASET,
                metric="linf",
                threshold=to_float(distribution.get("comparison_threshold")),
                direction=DISTANCE,
                detail={k: v for k, v in distribution.items() if k != "comparison_threshold"},
            )
        )
    return out


def _model_quality(rid: str, doc: Mapping[str, Any]) -> list[MonitoringResult]:
    out: list[MonitoringResult] = []
    for problem in QUALITY_KEYS:
        metrics = doc.get(problem)
        if not isinstance(metrics, Mapping):
            continue
        kind = problem.removesuffix("_metrics")
        for name, entry in metrics.items():
            if isinstance(entry, Mapping) and "value" in entry:
                std = to_float(entry.get("standard_deviation"))
                out.append(
                    MonitoringResult(
                        report_id=rid,
                        subject=str(name),
                        metric=str(name),
                        value=to_float(entry.get("value")),
                        detail={
                            "problem_type": kind,
                            "standard_deviation": None if std is None or std != std else std,
                        },
                    )
                )
            else:  # confusion matrix, curves: kept whole
                out.append(
                    MonitoringResult(
                        report_id=rid,
                        subject=str(name),
                        metric=str(name),
                        detail={"problem_type": kind, "data": entry},
                    )
                )
    return out


def _quality_constraints(rid: str, doc: Mapping[str, Any]) -> list[MonitoringResult]:
    out: list[MonitoringResult] = []
    for key in _quality_constraint_keys(doc):
        kind = key.removesuffix("_constraints")
        for name, entry in doc[key].items():
            if not isinstance(entry, Mapping):
                continue
            operator = entry.get("comparison_operator")
            out.append(
                MonitoringResult(
                    report_id=rid,
                    subject=str(name),
                    metric=str(name),
                    threshold=to_float(entry.get("threshold")),
                    direction=BOUND,
                    detail={
                        "problem_type": kind,
                        "comparison_operator": operator,
                        "rule": f"violation when {name} {_operator_text(operator)} threshold",
                    },
                )
            )
    return out


def _operator_text(operator: Any) -> str:
    return {
        "GreaterThanThreshold": ">",
        "LessThanThreshold": "<",
        "GreaterThanOrEqualToThreshold": ">=",
        "LessThanOrEqualToThreshold": "<=",
    }.get(str(operator), str(operator))


def parse_violation_numbers(description: str) -> tuple[float | None, float | None]:
    """Value and threshold written in a violation description, leniently.

    ``Value: 0.49 does not meet the constraint requirement!`` -> (0.49, None);
    ``distance: 0.21 exceeds threshold: 0.1`` -> (0.21, 0.1);
    ``Feature attribution drift 0.73 exceeds threshold 0.9`` -> (0.73, 0.9).
    """
    text = description or ""
    lower = text.lower()
    threshold = None
    at = lower.rfind("threshold")
    if at >= 0:
        after = numbers_in(text[at + len("threshold") :])
        threshold = after[0] if after else None
        before = numbers_in(text[:at])
    else:
        before = numbers_in(text)
    value = before[-1] if before else None
    for marker in ("value:", "distance:", "value "):
        pos = lower.find(marker)
        if pos >= 0:
            found = numbers_in(text[pos + len(marker) : at if at > pos else None])
            if found:
                value = found[0]
                break
    return value, threshold


def _violations(rid: str, doc: Mapping[str, Any], path: Path) -> list[MonitoringResult]:
    out: list[MonitoringResult] = []
    for item in _list(doc.get("violations"), "`violations`", path):
        violation = require_mapping(item, "an item of `violations`", path)
        check = str(violation.get("constraint_check_type") or "violation")
        subject = next(
            (
                str(violation[key])
                for key in ("feature_name", "facet", "label", "metric_name")
                if violation.get(key) is not None
            ),
            DATASET,
        )
        description = str(violation.get("description") or "")
        value, threshold = parse_violation_numbers(description)
        detail = {
            k: v
            for k, v in violation.items()
            if k not in ("constraint_check_type",) and v is not None
        }
        out.append(
            MonitoringResult(
                report_id=rid,
                subject=subject,
                metric=check,
                value=value,
                threshold=threshold,
                direction=DISTANCE if check == "baseline_drift_check" else BOUND,
                drifted=True if check in DRIFT_CHECKS else None,
                passed=False,
                detail=detail,
            )
        )
    return out


class ModelMonitorAdapter:
    """SageMaker Model Monitor statistics, constraints and constraint violations."""

    name = "sagemaker-model-monitor"
    family = "monitoring"
    description = "SageMaker Model Monitor statistics / constraints / constraint_violations JSON"

    def detect(self, candidate: Candidate) -> bool:
        """Recognise one of the Model Monitor shapes by its keys."""
        if candidate.kind is not Kind.JSON or not isinstance(candidate.document, Mapping):
            return False
        return _shape(candidate.document) is not None

    def read(self, candidate: Candidate) -> Batch:
        """Parse the file into one monitoring report and its results."""
        path = candidate.path
        doc = require_mapping(candidate.document, "the Model Monitor document", path)
        shape = _shape(doc)
        rid = report_id(TOOL, candidate.data)
        summary: dict[str, Any] = {}
        if "version" in doc:
            summary["format_version"] = n.text(doc.get("version")) or "0"
        dataset = doc.get("dataset")
        generated = None
        if isinstance(dataset, Mapping):
            summary.update(dataset)
            generated = n.timestamp(dataset.get("evaluation_time"))
        if shape == "data_quality_statistics":
            results = _statistics(rid, doc, path)
            summary["features"] = len(doc["features"])
        elif shape == "data_quality_constraints":
            results = _constraints(rid, doc, path)
            summary["monitoring_config"] = doc.get("monitoring_config")
        elif shape == "model_quality_statistics":
            results = _model_quality(rid, doc)
            summary["problem_types"] = [k for k in QUALITY_KEYS if k in doc]
        elif shape == "model_quality_constraints":
            results = _quality_constraints(rid, doc)
        else:
            results = _violations(rid, doc, path)
        report = MonitoringReport(
            report_id=rid,
            tool=TOOL,
            tool_version=None,
            kind=str(shape),
            generated_at=generated,
            dataset_summary=summary,
        )
        return monitoring_batch(candidate, TOOL, str(shape), [report], results)
