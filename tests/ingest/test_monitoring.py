"""Monitoring exports: Evidently (generated with the real 0.4.40, 0.7.15, 0.7.23), SageMaker
Model Monitor and Clarify (public samples), normalised into monitoring_reports/_results."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govern.cli.main import app
from govern.errors import MalformedInputError
from govern.ingest.base import sniff
from govern.ingest.evidently import EvidentlyAdapter, drift_verdict, method_id
from govern.ingest.monitoring import numbers_in
from govern.ingest.pipeline import ingest
from govern.ingest.registry import detect
from govern.ingest.sagemaker_monitor import parse_violation_numbers
from govern.records.monitoring import MONITORING_KEY, MonitoringRecords, MonitoringResult
from govern.store import Store
from tests.conftest import FIXTURES, MLFLOW, PUBLIC, dump_store

EVIDENTLY = FIXTURES / "evidently"
SDK = PUBLIC / "sagemaker-python-sdk/tests/data"
EXAMPLES = PUBLIC / "amazon-sagemaker-examples/archived"
EVIDENTLY_FILES = sorted(EVIDENTLY.rglob("*.json"))

#: the scenario of scripts/fixtures/evidently_scenario.py
DRIFTING = {"x1", "income", "region"}
STABLE = {"x2", "segment"}
#: legacy (0.4 API) reports also test target and prediction (neither drifts)
LEGACY_STABLE = STABLE | {"target", "prediction"}
METHODS = {"x1": "wasserstein", "x2": "wasserstein", "income": "psi",
           "region": "jensenshannon", "segment": "jensenshannon",
           "target": "jensenshannon", "prediction": "jensenshannon"}  # fmt: skip
SCORES = {"x1": 1.5126151495190578, "x2": 0.03748594816140145, "income": 1.9732683016171382,
          "region": 0.3124253346080893, "segment": 0.018310200262482153}  # fmt: skip


def records(path: Path) -> MonitoringRecords:
    candidate = sniff(path)
    adapter = detect(candidate)
    assert adapter is not None, path
    batch = adapter.read(candidate)
    assert [d.path for d in batch.documents] == [str(path)]
    (out,) = batch.extra[MONITORING_KEY]
    assert isinstance(out, MonitoringRecords) and len(out.reports) == 1
    return out


def by_subject(
    results: list[MonitoringResult], metric: str | None = None
) -> dict[str, MonitoringResult]:
    out: dict[str, MonitoringResult] = {}
    for r in results:
        if metric is None or r.metric == metric:
            assert r.subject not in out, r.subject
            out[r.subject] = r
    return out


def column_results(rec: MonitoringRecords) -> dict[str, MonitoringResult]:
    """Per-column drift results (not the dataset row, not ColumnSummaryMetric stats)."""
    return {r.subject: r for r in rec.results if "method_name" in r.detail}


# -- Evidently ------------------------------------------------------------------------------


def test_every_generation_and_file_is_there() -> None:
    names = {p.relative_to(EVIDENTLY).as_posix() for p in EVIDENTLY_FILES}
    assert names == {
        "0.4.40/report.json", "0.4.40/report_save_json.json", "0.4.40/snapshot.json",
        "0.4.40/column_drift.json", "0.4.40/test_suite.json",
        *(f"{v}/{f}.json" for v in ("0.7.15", "0.7.23")
          for f in ("report", "report_save_json", "report_no_tests", "snapshot", "legacy_report")),
    }  # fmt: skip


@pytest.mark.parametrize("path", EVIDENTLY_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_evidently_file_is_detected_and_drift_follows_the_scenario(path: Path) -> None:
    candidate = sniff(path)
    adapter = detect(candidate)
    assert adapter is not None and adapter.name == "evidently"
    assert adapter.family == "monitoring"
    rec = records(path)
    report = rec.reports[0]
    assert report.tool == "evidently" and report.model is None and report.version is None
    columns = column_results(rec)
    if path.name == "column_drift.json":  # ColumnDriftMetric x1 (default), x2 (ks), income (psi)
        assert {c: (r.metric, r.drifted) for c, r in columns.items()} == {
            "x1": ("wasserstein", True), "x2": ("ks", False), "income": ("psi", True)
        }  # fmt: skip
        assert columns["x2"].direction == "p_value" and columns["x2"].threshold == 0.05
        assert columns["x2"].value == pytest.approx(0.3627269975527131)
        return
    legacy = "version" in json.loads(path.read_text()) or path.parent.name == "0.4.40"
    stable = LEGACY_STABLE if legacy else STABLE
    assert set(columns) == DRIFTING | stable
    assert columns["income"].metric == "psi" and columns["income"].direction == "distance"
    if path.name == "report_no_tests.json" and path.parent.name == "0.7.15":
        # 0.7.15 without tests: default methods are in neither the metric nor a test
        unknown = {c for c, r in columns.items() if r.metric == "unknown" and r.drifted is None}
        assert unknown == set(columns) - {"income"}
        return
    assert {c: r.metric for c, r in columns.items()} == {c: METHODS[c] for c in columns}
    assert {c for c, r in columns.items() if r.drifted} == DRIFTING
    assert {c for c, r in columns.items() if r.drifted is False} == stable
    for column, score in SCORES.items():
        expected = round(score, 3) if path.name == "test_suite.json" else score
        assert columns[column].value == pytest.approx(expected, abs=1e-12), column
        assert columns[column].threshold == 0.1


@pytest.mark.parametrize(
    ("rel", "share", "threshold", "drifted", "passed"),
    [
        ("0.4.40/report.json", 3 / 7, 0.5, False, None),
        ("0.4.40/snapshot.json", 3 / 7, 0.5, False, None),
        ("0.4.40/test_suite.json", 3 / 7, 0.3, True, False),  # DataDriftTestPreset: lt 0.3
        ("0.7.15/legacy_report.json", 3 / 7, 0.5, False, None),
        ("0.7.15/report.json", 0.6, 0.5, True, False),  # 3 of 5 columns
        ("0.7.15/snapshot.json", 0.6, 0.5, True, False),
        ("0.7.23/report.json", 0.6, 0.5, True, False),
        ("0.7.23/report_no_tests.json", 0.6, 0.5, True, None),
        ("0.7.23/snapshot.json", 0.6, 0.5, True, False),
    ],
)
def test_dataset_verdict(
    rel: str, share: float, threshold: float, drifted: bool, passed: bool | None
) -> None:
    row = by_subject(records(EVIDENTLY / rel).results, "share_of_drifted_columns")["dataset"]
    assert row.metric == "share_of_drifted_columns"
    assert row.value == pytest.approx(share)
    assert (row.threshold, row.drifted, row.passed) == (threshold, drifted, passed)


def test_0_4_report_metadata_and_naive_timestamp() -> None:
    path = EVIDENTLY / "0.4.40/report.json"
    report = records(path).reports[0]
    raw = json.loads(path.read_text())["timestamp"]
    assert (report.kind, report.tool_version) == ("report", "0.4.40")
    assert report.generated_at == datetime.fromisoformat(raw)
    assert report.generated_at is not None and report.generated_at.tzinfo is None
    assert report.dataset_summary["number_of_drifted_columns"] == 3
    assert report.dataset_summary["dataset_drift"] is False


def test_0_4_test_suite_statuses() -> None:
    rec = records(EVIDENTLY / "0.4.40/test_suite.json")
    assert rec.reports[0].kind == "test_suite"
    assert rec.reports[0].dataset_summary["summary"]["failed_tests"] == 4
    columns = column_results(rec)
    assert {c for c, r in columns.items() if r.passed is False} == DRIFTING
    assert {c for c, r in columns.items() if r.passed is True} == LEGACY_STABLE


def test_0_4_snapshot_with_bare_nan() -> None:
    path = EVIDENTLY / "0.4.40/snapshot.json"
    assert "NaN" in path.read_text()  # bare NaN, as Report.save() writes it
    rec = records(path)
    report = rec.reports[0]
    assert report.kind == "snapshot" and report.tool_version is None
    assert report.dataset_summary["metadata"]["model"] == "credit-risk"
    assert report.dataset_summary["tags"] == ["govern", "fixture"]
    stale = [r for r in rec.results if r.subject == "legacy_score"]
    current = {r.metric: r.value for r in stale if r.detail["dataset"] == "current"}
    assert current["missing_percentage"] == 100.0
    assert current["mean"] is not None and math.isnan(current["mean"])


def test_0_7_15_method_and_threshold_come_from_the_test_description() -> None:
    doc = json.loads((EVIDENTLY / "0.7.15/report.json").read_text())
    x1 = next(m for m in doc["metrics"] if m["metric_id"] == "ValueDrift(column=x1)")
    assert "method" not in x1["metric_id"]
    columns = column_results(records(EVIDENTLY / "0.7.15/report.json"))
    assert columns["x1"].detail["method_source"] == "test description"
    assert columns["x1"].detail["method_name"] == "Wasserstein distance (normed)"
    assert (columns["x1"].metric, columns["x1"].threshold) == ("wasserstein", 0.1)
    assert columns["income"].detail["method_name"] == "psi"  # given by the user: in metric_id


def test_0_7_without_tests_applies_the_direction() -> None:
    columns = column_results(records(EVIDENTLY / "0.7.23/report_no_tests.json"))
    assert all(r.passed is None for r in columns.values())
    assert columns["x1"].detail["verdict_source"] == "direction"
    old = column_results(records(EVIDENTLY / "0.7.15/report_no_tests.json"))
    assert old["x1"].metric == "unknown" and old["x1"].drifted is None
    assert old["income"].threshold == 0.1  # psi's default
    assert old["income"].detail["threshold_source"] == "evidently default"


def test_0_7_generations_are_told_apart() -> None:
    assert (
        records(EVIDENTLY / "0.7.15/report.json").reports[0].dataset_summary["generation"]
        == "0.6-0.7.15"
    )
    assert (
        records(EVIDENTLY / "0.7.23/report.json").reports[0].dataset_summary["generation"]
        == ">=0.7.16"
    )
    legacy = records(EVIDENTLY / "0.7.23/legacy_report.json").reports[0]
    assert legacy.tool_version == "0.7.23" and legacy.dataset_summary["shape"] == "report-0.4"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("K-S p_value", "ks"), ("ks", "ks"), ("PSI", "psi"), ("psi", "psi"),
        ("Wasserstein distance (normed)", "wasserstein"),
        ("Jensen-Shannon distance", "jensenshannon"),
        ("chi-square p_value", "chisquare"), ("Z-test p_value", "z"),
        ("Kullback-Leibler divergence", "kl_div"), ("Hellinger distance", "hellinger"),
        ("Energy-distance", "ed"), ("Total-Variation-Distance", "tvd"), ("TVD", "tvd"),
        ("Mann-Whitney U-rank test", "mannw"), (None, None),
    ],
)  # fmt: skip
def test_method_ids_from_display_names(name: str | None, expected: str | None) -> None:
    assert method_id(name) == expected


def test_drift_direction_per_method() -> None:
    assert drift_verdict("ks", 0.05, 0.05) is True  # <=
    assert drift_verdict("chisquare", 0.05, 0.05) is False  # <
    assert drift_verdict("psi", 0.1, 0.1) is True  # >=
    assert drift_verdict("ed", 0.1, 0.1) is False  # >
    assert drift_verdict("wasserstein", float("nan"), 0.1) is None
    assert drift_verdict("custom", 1.0, 0.1) is None


def test_malformed_evidently_file_names_the_file(tmp_path: Path, db_path: Path) -> None:
    bad = tmp_path / "evidently_report.json"
    doc = json.loads((EVIDENTLY / "0.4.40/report.json").read_text())
    doc["metrics"] = {"DataDriftTable": doc["metrics"][1]}
    bad.write_text(json.dumps(doc))
    candidate = sniff(bad)
    assert EvidentlyAdapter().detect(candidate)
    with pytest.raises(MalformedInputError) as err:
        EvidentlyAdapter().read(candidate)
    assert str(bad) in err.value.diagnostics() and "`metrics`" in err.value.message
    before = dump_store(db_path)
    with Store.open(db_path) as store, pytest.raises(MalformedInputError):
        ingest(store, [EVIDENTLY / "0.7.23/report.json", bad], now=datetime.now(UTC))
    after = dump_store(db_path)
    assert after["monitoring_reports"] == [] and after["sources"] == []
    assert before == {} or before == after


def test_malformed_0_7_report(tmp_path: Path) -> None:
    bad = tmp_path / "report.json"
    bad.write_text(json.dumps({"metrics": [{"id": "a", "metric_id": "ValueDrift(column=x)"}],
                               "tests": "not a list"}))  # fmt: skip
    with pytest.raises(MalformedInputError, match="`tests`"):
        EvidentlyAdapter().read(sniff(bad))


# -- SageMaker Model Monitor ----------------------------------------------------------------


DQ = "pipeline/quality_check_step/data_quality"
MQ = "pipeline/quality_check_step/model_quality"
CARD = "model_card/evaluation_metrics"
MM_FILES = {
    "monitor/statistics.json": "data_quality_statistics",
    "monitor/constraints.json": "data_quality_constraints",
    "monitor/constraint_violations.json": "constraint_violations",
    f"{DQ}/statistics.json": "data_quality_statistics",
    f"{DQ}/good_cases/constraints.json": "data_quality_constraints",
    f"{DQ}/bad_cases/constraints.json": "data_quality_constraints",
    f"{MQ}/statistics.json": "model_quality_statistics",
    f"{MQ}/good_cases/constraints.json": "model_quality_constraints",
    f"{MQ}/bad_cases/constraints.json": "model_quality_constraints",
    f"{CARD}/model_monitor_model_quality_binary_classification.json": "model_quality_statistics",
    f"{CARD}/model_monitor_model_quality_regression.json": "model_quality_statistics",
}
FAIRNESS_CONFIG = EXAMPLES / "fairness_and_explainability_json_format/analysis_config"
CLARIFY_FILES = {
    SDK / "pipeline/clarify_check_step/data_bias/good_cases/analysis.json": "bias",
    SDK / "pipeline/clarify_check_step/data_bias/bad_cases/analysis.json": "bias",
    SDK / CARD / "clarify_bias.json": "bias",
    SDK / CARD / "clarify_explanability.json": "explainability",
    EXAMPLES / "fraud_detection/clarify_output/bias_1/analysis.json": "bias",
    EXAMPLES / "fraud_detection/clarify_output/bias_2/analysis.json": "bias",
    EXAMPLES / "fraud_detection/clarify_output/explainability/analysis.json": "explainability",
    EXAMPLES / "fraud_detection/config/analysis_config.json": "analysis_config",
    FAIRNESS_CONFIG / "bias_analysis_config.json": "analysis_config",
    FAIRNESS_CONFIG / "explainability_analysis_config.json": "analysis_config",
}


@pytest.mark.parametrize(("rel", "kind"), sorted(MM_FILES.items()))
def test_model_monitor_samples_are_detected(rel: str, kind: str) -> None:
    adapter = detect(sniff(SDK / rel))
    assert adapter is not None and adapter.name == "sagemaker-model-monitor"
    report = records(SDK / rel).reports[0]
    assert (report.tool, report.kind) == ("sagemaker-model-monitor", kind)


@pytest.mark.parametrize(("path", "kind"), sorted(CLARIFY_FILES.items()))
def test_clarify_samples_are_detected(path: Path, kind: str) -> None:
    adapter = detect(sniff(path))
    assert adapter is not None and adapter.name == "sagemaker-clarify"
    assert records(path).reports[0].kind == kind


def test_constraint_violations_with_parsed_numbers() -> None:
    rec = records(SDK / "monitor/constraint_violations.json")
    got = [(r.subject, r.metric, r.value, r.passed) for r in rec.results]
    assert got == [
        ("store_and_fwd_flag", "categorical_values_check", 0.009009009009009009, False),
        ("fare_amount", "data_type_check", 0.4994994994994995, False),
        ("total_amount", "data_type_check", 0.986986986986987, False),
        ("congestion_surcharge", "completeness_check", 0.0, False),
        ("tolls_amount", "data_type_check", 0.973973973973974, False),
        ("extra", "data_type_check", 0.985985985985986, False),
        ("tip_amount", "data_type_check", 0.4974974974974975, False),
    ]
    assert all(r.drifted is None and r.threshold is None for r in rec.results)
    assert "does not meet" in rec.results[0].detail["description"]


@pytest.mark.parametrize(
    ("text", "value", "threshold"),
    [
        ("Value: 0.49949949949 does not meet the constraint requirement! ", 0.49949949949, None),
        ("Baseline drift distance: 0.2165 exceeds threshold: 0.1", 0.2165, 0.1),
        ("distance: 1e-3 exceeds threshold: 0.1.", 0.001, 0.1),
        ("Feature attribution drift 0.73 exceeds threshold 0.9", 0.73, 0.9),
        ("Value NaN for _c0 does not meet the constraint requirement!", math.nan, None),
        ("no numbers here", None, None),
    ],
)  # fmt: skip
def test_violation_numbers_are_parsed_leniently(
    text: str, value: float | None, threshold: float | None
) -> None:
    got_value, got_threshold = parse_violation_numbers(text)
    if value is not None and math.isnan(value):
        assert got_value is not None and math.isnan(got_value)
    else:
        assert got_value == value
    assert got_threshold == threshold


def test_bias_and_attribution_drift_violations(tmp_path: Path) -> None:
    # shapes from the Model Monitor docs (no public sample): subject is facet or label
    path = tmp_path / "constraint_violations.json"
    path.write_text(json.dumps({"version": "1.0", "violations": [
        {"facet": "Sex", "facet_value": "0", "metric_name": "CI",
         "constraint_check_type": "bias_drift_check",
         "description": "Value 0.0751 does not meet the constraint requirement"},
        {"label": "label0", "metric_name": "shap",
         "constraint_check_type": "feature_attribution_drift_check",
         "description": "Feature attribution drift 0.73 exceeds threshold 0.9"},
        {"metric_name": "mae", "constraint_check_type": "GreaterThanThreshold",
         "description": "Metric mae with 1.2 was GreaterThanThreshold 0.5"}]}))  # fmt: skip
    rec = records(path)
    assert [(r.subject, r.metric, r.value, r.threshold, r.drifted) for r in rec.results] == [
        ("Sex", "bias_drift_check", 0.0751, None, True),
        ("label0", "feature_attribution_drift_check", 0.73, 0.9, True),
        ("mae", "GreaterThanThreshold", 1.2, 0.5, None),
    ]
    assert rec.results[0].detail["facet_value"] == "0"


def test_data_quality_statistics_and_constraints() -> None:
    stats = records(SDK / "pipeline/quality_check_step/data_quality/statistics.json")
    assert stats.reports[0].dataset_summary["item_count"] == 100
    c0 = {r.metric: r.value for r in stats.results if r.subject == "_c0"}
    assert c0 == {"num_present": 100.0, "num_missing": 0.0, "completeness": 1.0, "mean": 2.31,
                  "sum": 231.0, "std_dev": 0.8330066026148891, "min": 1.0, "max": 3.0}  # fmt: skip
    text = records(SDK / "monitor/statistics.json")
    assert {r.metric: r.value for r in text.results} == {
        "num_present": 418.0, "num_missing": 0.0, "completeness": 1.0, "distinct_count": 1.0
    }  # fmt: skip
    good = records(SDK / "pipeline/quality_check_step/data_quality/good_cases/constraints.json")
    bad = records(SDK / "pipeline/quality_check_step/data_quality/bad_cases/constraints.json")
    linf = by_subject(good.results, "linf")["dataset"]
    assert (linf.metric, linf.threshold, linf.direction) == ("linf", 0.1, "distance")
    assert linf.detail["comparison_method"] == "Robust"
    completeness = by_subject(good.results, "completeness")
    assert completeness["_c3"].threshold == 1.0 and completeness["_c3"].direction == "bound"
    assert by_subject(good.results, "completeness")["_c5"].detail["inferred_type"] == "Fractional"
    assert by_subject(bad.results, "completeness")["_c5"].detail["inferred_type"] == "String"
    old = records(SDK / "monitor/constraints.json")
    domains = by_subject(old.results, "domain")
    assert domains["message"].detail["domains"] == ["preproc-not-YET-supported-for-csv-json"]
    assert domains["message"].detail["overrides"]["evaluate_constraints"] == "Enabled"


def test_model_quality_statistics_with_nan_strings() -> None:
    rec = records(SDK / "pipeline/quality_check_step/model_quality/statistics.json")
    got = {r.metric: (r.value, r.detail["standard_deviation"]) for r in rec.results}
    assert got == {
        "mae": (0.5040653554420981, None), "mse": (0.33364933609800973, None),
        "rmse": (0.5776238707827177, None), "r2": (-3.208758170289026, None),
    }  # fmt: skip
    reg = records(SDK / "model_card/evaluation_metrics/model_monitor_model_quality_regression.json")
    assert reg.reports[0].generated_at == datetime(2023, 3, 30, 21, 8, 34, 729000, tzinfo=UTC)
    assert by_subject(reg.results)["r2"].detail["standard_deviation"] == 0.02946664105374692
    binary = records(
        SDK / "model_card/evaluation_metrics/model_monitor_model_quality_binary_classification.json"
    )
    rows = by_subject(binary.results)
    assert (rows["auc"].value, rows["auc"].detail["standard_deviation"]) == (1.0, 0.1)
    assert rows["accuracy"].detail["standard_deviation"] is None  # "NaN"
    assert rows["confusion_matrix"].value is None
    assert rows["confusion_matrix"].detail["data"] == {"0": {"0": 1, "1": 2}, "1": {"0": 0, "1": 1}}


def test_model_quality_constraints() -> None:
    good = records(SDK / "pipeline/quality_check_step/model_quality/good_cases/constraints.json")
    bad = records(SDK / "pipeline/quality_check_step/model_quality/bad_cases/constraints.json")
    assert by_subject(good.results)["mse"].threshold == 0.33364933609800973
    assert by_subject(bad.results)["mse"].threshold == 0.03364933609800973
    r2 = by_subject(good.results)["r2"]
    assert (r2.threshold, r2.direction) == (-3.208758170289026, "bound")
    assert r2.detail["comparison_operator"] == "LessThanThreshold"


# -- SageMaker Clarify ----------------------------------------------------------------------


def test_clarify_bias_metrics_per_facet_value() -> None:
    rec = records(EXAMPLES / "fraud_detection/clarify_output/bias_1/analysis.json")
    assert rec.reports[0].dataset_summary["parts"] == ["pre_training", "post_training"]
    assert len(rec.results) == 8 + 11
    ci = next(r for r in rec.results if r.metric == "CI")
    assert (ci.subject, ci.value, ci.detail["stage"], ci.detail["facet_value"]) == (
        "customer_gender_female", 0.398, "pre_training", "1"
    )  # fmt: skip
    assert ci.detail["label"] == "fraud" and ci.detail["label_value_or_threshold"] == "0"
    cddl = next(r for r in rec.results if r.metric == "CDDL")
    assert cddl.value is None and cddl.detail["error"] == "Group variable is empty or not provided"
    assert all(r.drifted is None and r.passed is None for r in rec.results)
    two_values = records(SDK / "model_card/evaluation_metrics/clarify_bias.json")
    ad = [(r.detail["facet_value"], r.value) for r in two_values.results if r.metric == "AD"]
    assert ad == [("0", -0.11415724421435), ("1", -0.1141572442143538)]
    bucket = records(SDK / "pipeline/clarify_check_step/data_bias/bad_cases/analysis.json")
    ks = next(r for r in bucket.results if r.metric == "KS")
    assert (
        ks.detail["facet_value"] == "(0.5, 0.9936148802477393]" and ks.value == 7.906602254496e-06
    )


def test_clarify_global_shap() -> None:
    rec = records(EXAMPLES / "fraud_detection/clarify_output/explainability/analysis.json")
    assert len(rec.results) == 45 and {r.metric for r in rec.results} == {"mean_abs_shap"}
    top = max(rec.results, key=lambda r: r.value or 0.0)
    assert (top.subject, top.value) == ("customer_gender_male", 0.01089049476601324)
    summary = rec.reports[0].dataset_summary
    assert summary["expected_values"] == {"kernel_shap:label0": 0.021365880966186523}
    two_labels = records(SDK / "model_card/evaluation_metrics/clarify_explanability.json")
    assert {r.detail["label"] for r in two_labels.results} == {"label0", "label1"}
    assert two_labels.reports[0].dataset_summary["pdp_features"] == ["Age", "Animal"]


# -- detection stays exclusive --------------------------------------------------------------


def test_registry_exports_are_not_taken_for_monitoring() -> None:
    others = [
        p
        for root in (MLFLOW, PUBLIC / "mlflow-export-import", FIXTURES / "sagemaker")
        for p in sorted(root.rglob("*.json"))
    ]
    assert others
    for path in others:
        try:
            candidate = sniff(path)
        except MalformedInputError:
            continue
        adapter = detect(candidate)
        assert adapter is None or adapter.family != "monitoring", path


def test_numbers_in_text() -> None:
    assert numbers_in("feature _c0 is NaN; 1e-3, -2. financial inf") == [
        pytest.approx(math.nan, nan_ok=True), 0.001, -2.0, math.inf
    ]  # fmt: skip


# -- the store --------------------------------------------------------------------------------


def test_ingest_writes_monitoring_rows_and_is_idempotent(db_path: Path) -> None:
    paths = [EVIDENTLY, SDK / "monitor/constraint_violations.json",
             SDK / "pipeline/quality_check_step/model_quality/statistics.json",
             EXAMPLES / "fraud_detection/clarify_output/bias_1/analysis.json"]  # fmt: skip
    now = datetime(2026, 1, 2, tzinfo=UTC)
    with Store.open(db_path) as store:
        report = ingest(store, paths, now=now)
        assert len(report.loaded) == len(EVIDENTLY_FILES) + 3
        assert {u.format for u in report.loaded} == {
            "evidently", "sagemaker-model-monitor", "sagemaker-clarify"
        }  # fmt: skip
        rows = store.query(
            "SELECT tool, count(*) AS n FROM monitoring_reports GROUP BY tool ORDER BY tool"
        )
        assert rows == [
            {"tool": "evidently", "n": len(EVIDENTLY_FILES)},
            {"tool": "sagemaker-clarify", "n": 1},
            {"tool": "sagemaker-model-monitor", "n": 2},
        ]
        families = store.query("SELECT DISTINCT family FROM sources")
        assert families == [{"family": "monitoring"}]
        docs = store.query("SELECT count(*) AS n FROM documents")
        assert docs == [{"n": len(EVIDENTLY_FILES) + 3}]
        drifted = store.query(
            """
            SELECT r.subject FROM monitoring_results r JOIN monitoring_reports p USING (report_id)
            JOIN sources s ON s.sha256 = p.source_sha
            WHERE s.path LIKE '%0.7.23/report.json' AND r.drifted AND r.subject <> 'dataset'
            ORDER BY 1
            """
        )
        assert [r["subject"] for r in drifted] == sorted(DRIFTING)
        psi = store.query(
            "SELECT DISTINCT metric FROM monitoring_results WHERE subject = 'income' "
            "AND direction IS NOT NULL"
        )
        assert psi == [{"metric": "psi"}]
        # NaN (bare in the 0.4 snapshot) is stored as NULL; the detail is valid JSON
        nan = store.query(
            """
            SELECT r.value FROM monitoring_results r JOIN monitoring_reports p USING (report_id)
            WHERE p.kind = 'snapshot' AND r.subject = 'legacy_score' AND r.metric = 'mean'
              AND r.detail->>'dataset' = 'current'
            """
        )
        assert nan == [{"value": None}]
        naive = store.query(
            "SELECT generated_at, generated_at_tz FROM monitoring_reports p "
            "JOIN sources s ON s.sha256 = p.source_sha WHERE s.path LIKE '%0.4.40/report.json'"
        )
        raw = json.loads((EVIDENTLY / "0.4.40/report.json").read_text())["timestamp"]
        assert {r["generated_at"] for r in naive} == {datetime.fromisoformat(raw)}
        assert {r["generated_at_tz"] for r in naive} == {None}
        violations = store.query(
            "SELECT subject, value, passed FROM monitoring_results r JOIN monitoring_reports p "
            "USING (report_id) WHERE p.kind = 'constraint_violations' ORDER BY seq"
        )
        assert violations[1] == {"subject": "fare_amount", "value": 0.4994994994994995,
                                 "passed": False}  # fmt: skip
        counts = store.query(
            "SELECT (SELECT count(*) FROM monitoring_reports) AS reports, "
            "(SELECT count(*) FROM monitoring_results) AS results"
        )
    before = dump_store(db_path)
    with Store.open(db_path) as store:
        again = ingest(store, paths, now=datetime(2026, 1, 3, tzinfo=UTC))
        assert again.loaded == [] and len(again.unchanged) == len(EVIDENTLY_FILES) + 3
        assert (
            store.query(
                "SELECT (SELECT count(*) FROM monitoring_reports) AS reports, "
                "(SELECT count(*) FROM monitoring_results) AS results"
            )
            == counts
        )
    assert dump_store(db_path) == before


def test_cli_ingest_of_a_monitoring_folder(runner: CliRunner, db_path: Path) -> None:
    result = runner.invoke(app, ["--db", str(db_path), "ingest", str(EVIDENTLY / "0.7.23")])
    assert result.exit_code == 0, result.output
    with Store.open(db_path, read_only=True) as store:
        rows = store.query("SELECT count(*) AS n FROM monitoring_reports")
    assert rows == [{"n": 5}]
