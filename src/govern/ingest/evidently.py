r"""Evidently drift reports, snapshots and test suites (0.4.x, 0.6-0.7.15, >= 0.7.16).

Three JSON generations, detected by content (FORMATS §3.1, §6):

* **0.4 / legacy** ``Report.json()``: ``{version, metrics: [{metric, result}], timestamp}``;
  also what ``evidently.legacy`` writes in 0.7 (``"version": "0.7.x"``). ``DatasetDriftMetric``
  gives the dataset verdict, ``DataDriftTable``/``ColumnDriftMetric`` one entry per column with
  Evidently's own ``drift_detected``.
* **0.4 snapshot** ``Report.save()``: ``{id, timestamp, metadata, tags, suite: {metrics,
  metric_results, tests, test_results}, ...}``; may hold bare ``NaN`` (parsed by Python's json).
* **0.4 TestSuite** ``.json()``: ``{version, timestamp, tests: [{name, description, status,
  parameters}], summary}``; scores there are rounded to 3 decimals.
* **0.6 - 0.7.15** ``.json()``: ``{metrics: [{id, metric_id: "ValueDrift(column=x1)", value}],
  tests}``: default methods are absent (``method: null``) and are read from the test
  description ``The drift detection method is (.+)\. The drift threshold is ([0-9.]+)``.
* **>= 0.7.16** ``.json()``: ``metric_name`` + ``config: {type, column, method, threshold}``.
* **0.7 snapshot** (``Snapshot.dumps()``, local workspace): ``{metric_results: {<id>:
  {metric_value_location: {metric: {params}}, tests, value}}, top_level_metrics, timestamp}``.

A column's verdict is the tool's own (``drift_detected``, or the status of its drift test);
without one, the method's direction is applied to score and threshold (Evidently's default
threshold when the file names the method but not the threshold). Timestamps are naive local
time as Evidently writes them: stored as given.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from govern.errors import MalformedInputError
from govern.ingest.base import Candidate, Kind, require_mapping
from govern.ingest.monitoring import monitoring_batch, report_id, to_float
from govern.records.monitoring import (
    BOUND,
    DATASET,
    DISTANCE,
    P_VALUE,
    SHARE,
    MonitoringReport,
    MonitoringResult,
)
from govern.records.registry import Batch

TOOL = "evidently"

# -- drift methods ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DriftMethod:
    """One drift statistic: id, display name, direction, comparison and default threshold."""

    id: str
    display_name: str
    direction: str
    #: how Evidently compares the score with the threshold to say "drift": <, <=, >= or >
    op: str
    default_threshold: float


_METHODS: tuple[DriftMethod, ...] = (
    DriftMethod("ks", "K-S p_value", P_VALUE, "<=", 0.05),
    DriftMethod("chisquare", "chi-square p_value", P_VALUE, "<", 0.05),
    DriftMethod("z", "Z-test p_value", P_VALUE, "<", 0.05),
    DriftMethod("anderson", "Anderson-Darling", P_VALUE, "<", 0.1),
    DriftMethod("cramer_von_mises", "Cramer-von Mises", P_VALUE, "<=", 0.1),
    DriftMethod("es", "Epps-Singleton", P_VALUE, "<", 0.05),
    DriftMethod("fisher_exact", "Fisher's Exact test", P_VALUE, "<", 0.1),
    DriftMethod("g_test", "g_test", P_VALUE, "<", 0.1),
    DriftMethod("mannw", "Mann-Whitney U-rank test", P_VALUE, "<", 0.05),
    DriftMethod("t_test", "t_test", P_VALUE, "<", 0.05),
    DriftMethod("empirical_mmd", "empirical_mmd", P_VALUE, "<", 0.1),
    DriftMethod("tvd", "Total-Variation-Distance", P_VALUE, "<", 0.1),
    DriftMethod("wasserstein", "Wasserstein distance (normed)", DISTANCE, ">=", 0.1),
    DriftMethod("jensenshannon", "Jensen-Shannon distance", DISTANCE, ">=", 0.1),
    DriftMethod("psi", "PSI", DISTANCE, ">=", 0.1),
    DriftMethod("kl_div", "Kullback-Leibler divergence", DISTANCE, ">=", 0.1),
    DriftMethod("hellinger", "Hellinger distance", DISTANCE, ">=", 0.1),
    DriftMethod("ed", "Energy-distance", DISTANCE, ">", 0.1),
)

#: every method by id
METHODS: dict[str, DriftMethod] = {m.id: m for m in _METHODS}

_ALIASES: dict[str, str] = {}
for _m in _METHODS:
    _ALIASES[_m.id] = _m.id
    _ALIASES[_m.display_name.lower()] = _m.id
# older or alternative spellings seen in Evidently texts
_ALIASES.update(
    {
        "k-s p-value": "ks",
        "ks p_value": "ks",
        "chi-square p-value": "chisquare",
        "z-test p-value": "z",
        "wasserstein distance": "wasserstein",
        "wasserstein": "wasserstein",
        "jensen-shannon": "jensenshannon",
        "population stability index": "psi",
        "kl divergence": "kl_div",
        "energy distance": "ed",
        "total variation distance": "tvd",
    }
)


def method_id(name: str | None) -> str | None:
    """The id of a method given as id or display name; unknown names become a slug."""
    if name is None:
        return None
    key = " ".join(str(name).strip().lower().split())
    if not key:
        return None
    if key in _ALIASES:
        return _ALIASES[key]
    return re.sub(r"[^a-z0-9]+", "_", key).strip("_") or None


def direction_of(method: str | None) -> str | None:
    """``p_value`` or ``distance`` for a known method id, else ``None``."""
    known = METHODS.get(method or "")
    return known.direction if known else None


def default_threshold(method: str | None) -> float | None:
    """Evidently's default threshold of a known method id."""
    known = METHODS.get(method or "")
    return known.default_threshold if known else None


def drift_verdict(method: str | None, value: float | None, threshold: float | None) -> bool | None:
    """Whether ``value`` means drift for ``method`` at ``threshold``; ``None`` if unknowable."""
    known = METHODS.get(method or "")
    if known is None or value is None or threshold is None:
        return None
    if math.isnan(value) or math.isnan(threshold):
        return None
    if known.op == "<":
        return value < threshold
    if known.op == "<=":
        return value <= threshold
    if known.op == ">=":
        return value >= threshold
    return value > threshold


# -- small helpers ----------------------------------------------------------------------------

_DESCRIPTION = re.compile(
    r"drift detection method is (?P<method>.+?)\.\s+The drift (?:detection )?threshold is "
    r"(?P<threshold>[-+0-9.eE]+?)\.?(?:\s|$)"
)
_OUT_OF = re.compile(r"\((\d+) out of (\d+)\)")
_CALL = re.compile(r"^\s*(?P<name>\w+)\s*\((?P<args>.*)\)\s*$", re.S)
_ARG = re.compile(r"(\w+)=((?:[^,()]|\([^()]*\))*)")


def _list(value: Any, what: str, path: Path) -> list[Any]:
    if not isinstance(value, list):
        raise MalformedInputError(
            f"{what} should be a JSON list but is {type(value).__name__}.",
            hint="The file does not look like an unmodified Evidently export; export it again.",
            path=path,
        )
    return value


def _status_passed(status: Any) -> bool | None:
    """SUCCESS -> True, FAIL/WARNING -> False, ERROR/SKIPPED/unknown -> None."""
    text = str(status or "").upper()
    if text == "SUCCESS":
        return True
    if text in ("FAIL", "WARNING"):
        return False
    return None


def _from_description(description: Any) -> tuple[str | None, float | None]:
    """Method and threshold from a drift test description (0.4 and 0.7 wording)."""
    match = _DESCRIPTION.search(str(description or ""))
    if not match:
        return None, None
    return match.group("method").strip(), to_float(match.group("threshold").rstrip("."))


def _parse_call(text: str) -> tuple[str, dict[str, str]]:
    """``ValueDrift(column=x1,method=psi)`` -> (``ValueDrift``, {column: x1, method: psi})."""
    match = _CALL.match(text or "")
    if not match:
        return (text or "").strip(), {}
    args = {k: v.strip() for k, v in _ARG.findall(match.group("args"))}
    return match.group("name"), args


def _type_name(value: Any) -> str:
    """``evidently:metric_v2:ValueDrift`` -> ``ValueDrift``."""
    return str(value or "").rsplit(":", 1)[-1]


def _naive_time(value: Any) -> datetime | None:
    """Evidently's naive local timestamp, kept as written (no zone is known)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        return None


def _drift_result(
    rid: str,
    subject: str,
    method_name: Any,
    value: float | None,
    threshold: float | None,
    *,
    drifted: bool | None,
    passed: bool | None,
    detail: dict[str, Any],
) -> MonitoringResult:
    """One column's drift; without a tool verdict, apply the method's direction."""
    method = method_id(None if method_name is None else str(method_name))
    if threshold is None and method in METHODS:
        threshold = default_threshold(method)
        detail = {**detail, "threshold_source": "evidently default"}
    if drifted is None:
        drifted = drift_verdict(method, value, threshold)
        if drifted is not None:
            detail = {**detail, "verdict_source": "direction"}
    return MonitoringResult(
        report_id=rid,
        subject=subject,
        metric=method or "unknown",
        value=value,
        threshold=threshold,
        direction=direction_of(method),
        drifted=drifted,
        passed=passed,
        detail={"method_name": method_name, **detail},
    )


def _share_result(
    rid: str,
    share: float | None,
    threshold: float | None,
    *,
    drifted: bool | None,
    passed: bool | None,
    detail: dict[str, Any],
) -> MonitoringResult:
    """The dataset verdict: drift when the share of drifted columns reaches the threshold."""
    if (
        drifted is None
        and share is not None
        and threshold is not None
        and not (math.isnan(share) or math.isnan(threshold))
    ):
        drifted = share >= threshold
    return MonitoringResult(
        report_id=rid,
        subject=DATASET,
        metric=SHARE,
        value=share,
        threshold=threshold,
        direction=DISTANCE,
        drifted=drifted,
        passed=passed,
        detail=detail,
    )


# -- 0.4 / legacy metrics ---------------------------------------------------------------------


def _legacy_column(rid: str, entry: Mapping[str, Any], source: str) -> MonitoringResult:
    detected = entry.get("drift_detected")
    return _drift_result(
        rid,
        str(entry.get("column_name")),
        entry.get("stattest_name"),
        to_float(entry.get("drift_score")),
        to_float(entry.get("stattest_threshold")),
        drifted=detected if isinstance(detected, bool) else None,
        passed=None,
        detail={"column_type": entry.get("column_type"), "evidently_metric": source},
    )


def _legacy_metrics(
    rid: str, items: Iterable[tuple[str, Mapping[str, Any]]], summary: dict[str, Any]
) -> list[MonitoringResult]:
    """Results of ``(metric name, result)`` pairs of a 0.4 report or snapshot."""
    pairs = list(items)
    names = {name for name, _ in pairs}
    results: list[MonitoringResult] = []
    skipped: list[str] = []
    for name, result in pairs:
        if name in ("DatasetDriftMetric", "DataDriftTable"):
            if name == "DatasetDriftMetric" or "DatasetDriftMetric" not in names:
                dataset_drift = result.get("dataset_drift")
                results.append(
                    _share_result(
                        rid,
                        to_float(result.get("share_of_drifted_columns")),
                        to_float(result.get("drift_share")),
                        drifted=dataset_drift if isinstance(dataset_drift, bool) else None,
                        passed=None,
                        detail={
                            "evidently_metric": name,
                            "number_of_columns": result.get("number_of_columns"),
                            "number_of_drifted_columns": result.get("number_of_drifted_columns"),
                        },
                    )
                )
                for key in (
                    "number_of_columns",
                    "number_of_drifted_columns",
                    "share_of_drifted_columns",
                    "dataset_drift",
                    "drift_share",
                ):
                    if key in result:
                        summary.setdefault(key, result[key])
            if name == "DataDriftTable":
                columns = result.get("drift_by_columns") or {}
                if not isinstance(columns, Mapping):
                    raise ValueError("DataDriftTable drift_by_columns is not an object")
                for entry in columns.values():
                    if isinstance(entry, Mapping):
                        results.append(_legacy_column(rid, entry, name))
        elif name == "ColumnDriftMetric":
            results.append(_legacy_column(rid, result, name))
        elif name == "ColumnSummaryMetric":
            results.extend(_column_summary(rid, result))
        else:
            skipped.append(name)
    if skipped:
        summary["other_metrics"] = skipped
    return results


_SUMMARY_STATS = ("missing_percentage", "mean", "std", "min", "max")


def _column_summary(rid: str, result: Mapping[str, Any]) -> list[MonitoringResult]:
    """``ColumnSummaryMetric``: missing share and moments per side (NaN where all missing)."""
    out: list[MonitoringResult] = []
    column = str(result.get("column_name"))
    for side in ("reference", "current"):
        stats = result.get(f"{side}_characteristics")
        if not isinstance(stats, Mapping):
            continue
        for stat in _SUMMARY_STATS:
            if stat in stats:
                out.append(
                    MonitoringResult(
                        report_id=rid,
                        subject=column,
                        metric=stat,
                        value=to_float(stats.get(stat)),
                        detail={"dataset": side, "evidently_metric": "ColumnSummaryMetric"},
                    )
                )
    return out


def _legacy_test(rid: str, test: Mapping[str, Any]) -> MonitoringResult:
    """One 0.4 test: a column drift test, the share test, or any other test by name."""
    params = test.get("parameters") if isinstance(test.get("parameters"), Mapping) else {}
    assert isinstance(params, Mapping)
    status = test.get("status")
    passed = _status_passed(status)
    detail = {
        "test": test.get("name"),
        "status": status,
        "description": test.get("description"),
        "group": test.get("group"),
    }
    if "stattest" in params and "column_name" in params:
        detected = params.get("detected")
        return _drift_result(
            rid,
            str(params["column_name"]),
            params.get("stattest"),
            to_float(params.get("score")),
            to_float(params.get("threshold")),
            drifted=detected if isinstance(detected, bool) else None,
            passed=passed,
            detail={**detail, "score_rounded": True},
        )
    if isinstance(params.get("features"), Mapping):
        condition = params.get("condition") if isinstance(params.get("condition"), Mapping) else {}
        assert isinstance(condition, Mapping)
        threshold = next((to_float(v) for v in condition.values() if to_float(v) is not None), None)
        counted = _OUT_OF.search(str(test.get("description") or ""))
        share = (
            int(counted.group(1)) / int(counted.group(2))
            if counted and int(counted.group(2))
            else None
        )
        return _share_result(
            rid,
            share,
            threshold,
            drifted=None if passed is None else not passed,
            passed=passed,
            detail={**detail, "condition": dict(condition)},
        )
    column = params.get("column_name")
    return MonitoringResult(
        report_id=rid,
        subject=str(column) if column else DATASET,
        metric=f"test:{test.get('name')}",
        passed=passed,
        direction=BOUND,
        detail={**detail, "parameters": dict(params)},
    )


# -- 0.6 / 0.7 metrics ------------------------------------------------------------------------


@dataclass
class _V2Metric:
    """One 0.6/0.7 metric in a common form, whichever file it came from."""

    fingerprint: str
    label: str
    type: str
    params: dict[str, Any]
    value: Any
    tests: list[Mapping[str, Any]] = field(default_factory=list)


def _v2_results(
    rid: str, metrics: list[_V2Metric], summary: dict[str, Any]
) -> list[MonitoringResult]:
    results: list[MonitoringResult] = []
    other: list[str] = []
    for metric in metrics:
        params = metric.params
        if metric.type == "ValueDrift":
            results.append(_value_drift(rid, metric))
        elif metric.type == "DriftedColumnsCount":
            value = metric.value if isinstance(metric.value, Mapping) else {}
            assert isinstance(value, Mapping)
            test = next((t for t in metric.tests if isinstance(t, Mapping)), None)
            passed = _status_passed(test.get("status")) if test else None
            config = test.get("test_config") if test else None
            threshold = to_float(params.get("drift_share"))
            detail: dict[str, Any] = {
                "evidently_metric": metric.label,
                "number_of_drifted_columns": to_float(value.get("count")),
            }
            if test is not None:
                detail.update(test=test.get("name"), status=test.get("status"))
                if isinstance(config, Mapping) and to_float(config.get("threshold")) is not None:
                    threshold = to_float(config.get("threshold"))
            results.append(
                _share_result(
                    rid,
                    to_float(value.get("share")),
                    threshold,
                    drifted=None if passed is None else not passed,
                    passed=passed,
                    detail=detail,
                )
            )
            summary.setdefault("number_of_drifted_columns", to_float(value.get("count")))
            summary.setdefault(SHARE, to_float(value.get("share")))
            summary.setdefault("drift_share", to_float(params.get("drift_share")))
        else:
            other.append(metric.label)
            number = to_float(metric.value)
            results.append(
                MonitoringResult(
                    report_id=rid,
                    subject=str(params.get("column") or DATASET),
                    metric=metric.type,
                    value=number,
                    passed=_all_passed(metric.tests),
                    detail={
                        "evidently_metric": metric.label,
                        "value": None if number is not None else metric.value,
                        "tests": [_test_brief(t) for t in metric.tests],
                    },
                )
            )
    if other:
        summary["other_metrics"] = other
    return results


def _all_passed(tests: list[Mapping[str, Any]]) -> bool | None:
    verdicts = [_status_passed(t.get("status")) for t in tests]
    if not verdicts or any(v is None for v in verdicts):
        return None
    return all(verdicts)


def _test_brief(test: Mapping[str, Any]) -> dict[str, Any]:
    return {k: test.get(k) for k in ("id", "name", "description", "status")}


def _value_drift(rid: str, metric: _V2Metric) -> MonitoringResult:
    params = metric.params
    method_name: Any = params.get("method")
    threshold = to_float(params.get("threshold"))
    test = next((t for t in metric.tests if isinstance(t, Mapping)), None)
    passed = drifted = None
    detail: dict[str, Any] = {"evidently_metric": metric.label}
    if test is not None:
        passed = _status_passed(test.get("status"))
        drifted = None if passed is None else not passed
        detail.update(test=test.get("name"), status=test.get("status"))
        text_method, text_threshold = _from_description(test.get("description"))
        if method_name is None and text_method is not None:
            method_name = text_method
            detail["method_source"] = "test description"
        if threshold is None and text_threshold is not None:
            threshold = text_threshold
            detail["threshold_source"] = "test description"
    if method_name is None:
        detail["method_source"] = "not in the file (an Evidently default)"
    return _drift_result(
        rid,
        str(params.get("column")),
        method_name,
        to_float(metric.value),
        threshold,
        drifted=drifted,
        passed=passed,
        detail=detail,
    )


def _v2_from_report(doc: Mapping[str, Any], path: Path) -> list[_V2Metric]:
    """Metrics of a 0.6/0.7 ``.json()``, with the tests that refer to them."""
    raw_tests = doc.get("tests")
    if isinstance(raw_tests, Mapping):  # 0.6.0: tests keyed by fingerprint
        raw_tests = list(raw_tests.values())
    tests = _list(raw_tests if raw_tests is not None else [], "`tests`", path)
    by_metric: dict[str, list[Mapping[str, Any]]] = {}
    params_by_metric: dict[str, Mapping[str, Any]] = {}
    for test in tests:
        test = require_mapping(test, "an item of `tests`", path)
        config = test.get("metric_config")
        if isinstance(config, Mapping):
            key = str(config.get("metric_id"))
            by_metric.setdefault(key, []).append(test)
            if isinstance(config.get("params"), Mapping):
                params_by_metric[key] = config["params"]
    out: list[_V2Metric] = []
    for item in _list(doc.get("metrics"), "`metrics`", path):
        item = require_mapping(item, "an item of `metrics`", path)
        fingerprint = str(item.get("id"))
        label = str(item.get("metric_name") or item.get("metric_id") or "")
        name, args = _parse_call(label)
        params: dict[str, Any] = dict(args)
        if isinstance(item.get("config"), Mapping):
            params.update({k: v for k, v in item["config"].items() if v is not None})
        if fingerprint in params_by_metric:
            params.update({k: v for k, v in params_by_metric[fingerprint].items() if v is not None})
        kind = _type_name(params.get("type")) or name
        out.append(
            _V2Metric(
                fingerprint, label, kind, params, item.get("value"), by_metric.get(fingerprint, [])
            )
        )
    return out


def _v2_from_dump(doc: Mapping[str, Any], path: Path) -> list[_V2Metric]:
    """Metrics of a 0.7 snapshot dump (``metric_results`` by id, in ``top_level_metrics`` order)."""
    results = require_mapping(doc.get("metric_results"), "`metric_results`", path)
    order = _list(doc.get("top_level_metrics") or list(results), "`top_level_metrics`", path)
    out: list[_V2Metric] = []
    for fingerprint in order:
        entry = require_mapping(results.get(str(fingerprint)), f"metric result {fingerprint}", path)
        location = entry.get("metric_value_location")
        metric = location.get("metric") if isinstance(location, Mapping) else None
        params = dict(metric.get("params") or {}) if isinstance(metric, Mapping) else {}
        kind = _type_name(params.get("type"))
        value: Any = entry.get("value")
        if "value" not in entry:  # CountValue and friends: sub-results, each with a value
            value = {
                k: v.get("value")
                for k, v in entry.items()
                if isinstance(v, Mapping) and "value" in v
            }
        tests = [
            t for t in _list(entry.get("tests") or [], "`tests`", path) if isinstance(t, Mapping)
        ]
        label = str(entry.get("display_name") or kind)
        out.append(
            _V2Metric(
                str(fingerprint),
                label,
                kind,
                {k: v for k, v in params.items() if v is not None},
                value,
                tests,
            )
        )
    return out


# -- the adapter ------------------------------------------------------------------------------


def _shape(doc: Mapping[str, Any]) -> str | None:
    """Which Evidently shape a JSON object is (see the module docstring), or None."""
    metrics = doc.get("metrics")
    first = metrics[0] if isinstance(metrics, list) and metrics else None
    if isinstance(doc.get("suite"), Mapping) and ("metrics_ids" in doc or "test_ids" in doc):
        return "snapshot-0.4"
    if "metric_results" in doc and "top_level_metrics" in doc:
        return "snapshot-0.7"
    if "tests" in doc and isinstance(doc.get("summary"), Mapping) and "metrics" not in doc:
        return "test-suite-0.4"
    if (
        "metrics" in doc
        and "version" in doc
        and (
            "timestamp" in doc
            or (isinstance(first, Mapping) and "metric" in first and "result" in first)
        )
    ):
        return "report-0.4"
    if "metrics" in doc and "tests" in doc and "version" not in doc:
        if first is None or not isinstance(first, Mapping):
            return "report-0.7"
        if "id" in first and ("metric_id" in first or "metric_name" in first):
            return "report-0.7"
    return None


class EvidentlyAdapter:
    """Evidently reports, snapshots and test suites (0.4.x, 0.6-0.7.15, >= 0.7.16)."""

    name = "evidently"
    family = "monitoring"
    description = "Evidently drift report / snapshot / test suite JSON (0.4, 0.6-0.7)"

    def detect(self, candidate: Candidate) -> bool:
        """Recognise one of the Evidently JSON shapes by its keys."""
        if candidate.kind is not Kind.JSON or not isinstance(candidate.document, Mapping):
            return False
        return _shape(candidate.document) is not None

    def read(self, candidate: Candidate) -> Batch:
        """Parse the report into one monitoring report and its results."""
        path = candidate.path
        doc = require_mapping(candidate.document, "the Evidently document", path)
        shape = _shape(doc)
        rid = report_id(TOOL, candidate.data)
        summary: dict[str, Any] = {"shape": shape}
        tool_version: str | None = None
        generated: datetime | None = None
        kind = "report"
        results: list[MonitoringResult]
        if shape == "report-0.4":
            tool_version = str(doc.get("version")) if doc.get("version") is not None else None
            generated = _naive_time(doc.get("timestamp"))
            pairs = []
            for item in _list(doc.get("metrics"), "`metrics`", path):
                item = require_mapping(item, "an item of `metrics`", path)
                result = require_mapping(
                    item.get("result"), f"the result of {item.get('metric')}", path
                )
                pairs.append((str(item.get("metric")), result))
            results = _legacy_metrics(rid, pairs, summary)
        elif shape == "snapshot-0.4":
            kind = "snapshot"
            generated = _naive_time(doc.get("timestamp"))
            suite = require_mapping(doc.get("suite"), "`suite`", path)
            configs = _list(suite.get("metrics") or [], "`suite.metrics`", path)
            values = _list(suite.get("metric_results") or [], "`suite.metric_results`", path)
            pairs = []
            for config, value in zip(configs, values, strict=False):
                config = require_mapping(config, "an item of `suite.metrics`", path)
                value = require_mapping(value, "an item of `suite.metric_results`", path)
                pairs.append((_type_name(config.get("type")), value))
            results = _legacy_metrics(rid, pairs, summary)
            for test in _list(suite.get("test_results") or [], "`suite.test_results`", path):
                results.append(_legacy_test(rid, require_mapping(test, "a test result", path)))
            summary.update(
                evidently_id=doc.get("id"),
                name=doc.get("name"),
                metadata=doc.get("metadata"),
                tags=doc.get("tags"),
            )
        elif shape == "test-suite-0.4":
            kind = "test_suite"
            tool_version = str(doc.get("version")) if doc.get("version") is not None else None
            generated = _naive_time(doc.get("timestamp"))
            results = [
                _legacy_test(rid, require_mapping(t, "an item of `tests`", path))
                for t in _list(doc.get("tests"), "`tests`", path)
            ]
            summary["summary"] = dict(doc["summary"])
        elif shape == "report-0.7":
            metrics = _v2_from_report(doc, path)
            summary["generation"] = (
                ">=0.7.16"
                if any("metric_name" in m for m in doc["metrics"] if isinstance(m, Mapping))
                else "0.6-0.7.15"
            )
            results = _v2_results(rid, metrics, summary)
        else:
            kind = "snapshot"
            generated = _naive_time(doc.get("timestamp"))
            results = _v2_results(rid, _v2_from_dump(doc, path), summary)
            summary.update(name=doc.get("name"), metadata=doc.get("metadata"), tags=doc.get("tags"))
        if generated is not None:
            summary["timestamp_zone"] = "naive local time as written by Evidently"
        report = MonitoringReport(
            report_id=rid,
            tool=TOOL,
            tool_version=tool_version,
            kind=kind,
            generated_at=generated,
            dataset_summary=summary,
        )
        return monitoring_batch(candidate, TOOL, str(shape), [report], results)
