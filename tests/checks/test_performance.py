"""The performance rule end to end: values against scikit-learn, label delay, trend, baselines.

Logs are generated here (three months, two versions in one log, the last month's labels
mostly pending) and ingested into a real store; the demo store's last month is the label-delay
case the issue names. Every value is compared with scikit-learn on the same rows.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm

from govern.checks.base import Rule, Subject
from govern.checks.performance import (
    Performance,
    PerformanceBaseline,
    PerformanceEvidence,
    PerformanceWindow,
)
from govern.demo import demo_logs
from govern.ingest.pipeline import ingest
from govern.inventory import VersionLineage, inventory
from govern.models import Finding, Severity, Status
from govern.policy.engine import StoreData, baseline_lookup
from govern.store import Store
from tests.checks.test_rule_cases import lineage
from tests.golden import assert_golden
from tests.stores import demo_store

TOL = 1e-9
HERE = Path(__file__).parent
MONTHS = ["2026-08", "2026-09", "2026-10"]


def _log(seed: int = 5, rows_per_month: int = 1500) -> pd.DataFrame:
    """Three months of two versions' predictions; version 3 is worse; October mostly pending."""
    rng = np.random.default_rng(seed)
    parts = []
    for i, month in enumerate(MONTHS):
        n = rows_per_month
        ts = pd.date_range(f"{month}-01", periods=n, freq="17min", tz="UTC")
        version = rng.choice(["2", "3"], n)
        y = (rng.random(n) < 0.35).astype(int)
        signal = np.where(version == "2", 0.3, 0.12) - 0.04 * i  # decays month by month
        score = np.clip(np.round(rng.normal(0.35 + signal * y, 0.18), 3), 0, 1)
        frame = pd.DataFrame({"ts": ts, "model_version": version, "score": score, "y": y})
        frame["approved"] = (frame["score"] >= 0.5).astype(int)
        frame["y"] = frame["y"].astype(float)
        if month == MONTHS[-1]:  # label delay: only the first 30% of October is known
            frame.loc[int(n * 0.3) :, "y"] = np.nan
        parts.append(frame)
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[pd.DataFrame, StoreData]]:
    folder = tmp_path_factory.mktemp("performance")
    frame = _log()
    path = folder / "current.parquet"
    frame.to_parquet(path)
    reference = _log(seed=6).iloc[:1500].assign(model_version="2")
    reference.to_parquet(folder / "reference.parquet")
    mapping = {"model": "credit-risk", "timestamp": "ts", "prediction": "approved",
               "score": "score", "label": "y", "model_version": "model_version"}  # fmt: skip
    with Store.open(folder / "store.duckdb") as store:
        now = datetime(2026, 11, 5, tzinfo=UTC)
        ingest(store, [path], now=now, options={**mapping, "role": "current"})
        ingest(store, [folder / "reference.parquet"], now=now,
               options={**mapping, "role": "reference"})  # fmt: skip
        yield frame, StoreData(store)


def _versions() -> list[VersionLineage]:
    champion = lineage({"version": 2, "aliases": ["champion"], "metrics": {"roc_auc": 0.95}})
    challenger = lineage({"version": 3, "aliases": ["challenger"], "stage": None,
                          "metrics": {"roc_auc": 0.80}})  # fmt: skip
    return [champion, challenger]


def _evaluate(params: Mapping[str, Any], data: StoreData, version: str = "2") -> Finding:
    versions = _versions()
    subject = next(v for v in versions if v.version == version)
    rule = Rule(id="perf", check="performance", severity=Severity.block, params=dict(params))
    return Performance().evaluate(rule, Subject(subject, baseline_lookup(versions), data))


def _rows(frame: pd.DataFrame, version: str, start: str, end: str) -> pd.DataFrame:
    ts = frame["ts"].dt.tz_convert(None)
    cut = frame[(frame["model_version"] == version) & (ts >= start) & (ts < end)]
    return cut[cut["y"].notna()]


def _quiet(fn: Any, *args: Any, **kwargs: Any) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(fn(*args, **kwargs))


SEPTEMBER = {"start": "2026-09-01", "end": "2026-10-01"}
SKLEARN: dict[str, Any] = {
    "roc_auc": lambda r: skm.roc_auc_score(r["y"], r["score"]),
    "average_precision": lambda r: skm.average_precision_score(r["y"], r["score"]),
    "accuracy": lambda r: skm.accuracy_score(r["y"], r["approved"]),
    "balanced_accuracy": lambda r: skm.balanced_accuracy_score(r["y"], r["approved"]),
    "precision": lambda r: skm.precision_score(r["y"], r["approved"]),
    "recall": lambda r: skm.recall_score(r["y"], r["approved"]),
    "f1": lambda r: skm.f1_score(r["y"], r["approved"]),
    "log_loss": lambda r: skm.log_loss(r["y"], r["score"]),
    "brier_score": lambda r: skm.brier_score_loss(r["y"], r["score"]),
}


@pytest.mark.parametrize("metric", sorted(SKLEARN))
def test_values_equal_sklearn(metric: str, logged: tuple[pd.DataFrame, StoreData]) -> None:
    frame, data = logged
    found = _evaluate({"metric": metric, "min": 0, "window": SEPTEMBER}, data)
    assert found.status is Status.passed, found.message
    rows = _rows(frame, "2", "2026-09-01", "2026-10-01")
    assert found.value == pytest.approx(_quiet(SKLEARN[metric], rows), abs=TOL)
    assert isinstance(found.evidence, PerformanceEvidence)
    assert found.evidence.n == len(rows)


def test_expected_calibration_error_bins(logged: tuple[pd.DataFrame, StoreData]) -> None:
    frame, data = logged
    rows = _rows(frame, "2", "2026-09-01", "2026-10-01")
    p, y = rows["score"].to_numpy(), rows["y"].to_numpy()
    for bins in (10, 4):
        index = np.minimum(np.floor(p * bins), bins - 1)
        expected = sum(abs(y[index == b].sum() - p[index == b].sum()) for b in range(bins)) / len(p)
        params = {"metric": "expected_calibration_error", "max": 1, "bins": bins,
                  "window": SEPTEMBER}  # fmt: skip
        found = _evaluate(params, data)
        assert found.value == pytest.approx(expected, abs=TOL)
        assert isinstance(found.evidence, PerformanceEvidence)
        assert found.evidence.bins == bins and found.evidence.to_json()["bins"] == bins


def test_label_delay_window_is_not_evaluated_with_its_share(
    logged: tuple[pd.DataFrame, StoreData],
) -> None:
    frame, data = logged
    found = _evaluate({"metric": "roc_auc", "min": 0.6, "window": "month", "trend": "month"}, data)
    october = frame[(frame["model_version"] == "2") & (frame["ts"] >= "2026-10-01")]
    labelled = int(october["y"].notna().sum())
    assert found.status is Status.not_evaluated
    assert f"{labelled} of {len(october)} records ({labelled / len(october):.1%})" in found.message
    assert "below min_labelled 0.8" in found.message
    assert "the latest judged window, [2026-09-01, 2026-10-01)" in found.message
    assert isinstance(found.evidence, PerformanceEvidence)
    assert found.evidence.value is None
    assert found.evidence.labelled_share == pytest.approx(labelled / len(october))
    # the same window is judged once the policy accepts the share
    judged = _evaluate({"metric": "roc_auc", "min": 0.5, "window": "month",
                        "min_labelled": 0.25}, data)  # fmt: skip
    assert judged.status is Status.passed, judged.message
    rows = _rows(frame, "2", "2026-10-01", "2026-11-01")
    assert judged.value == pytest.approx(skm.roc_auc_score(rows["y"], rows["score"]), abs=TOL)


def test_trend_per_month(logged: tuple[pd.DataFrame, StoreData]) -> None:
    frame, data = logged
    found = _evaluate({"metric": "roc_auc", "min": 0.7, "window": SEPTEMBER, "trend": "month"},
                      data)  # fmt: skip
    assert isinstance(found.evidence, PerformanceEvidence)
    trend = found.evidence.trend
    assert trend is not None and [p.window[:11] for p in trend] == [
        "[2026-08-01",
        "[2026-09-01",
        "[2026-10-01",
    ]
    for point, month, end in zip(trend, MONTHS, ["2026-09", "2026-10", "2026-11"], strict=True):
        rows = _rows(frame, "2", f"{month}-01", f"{end}-01")
        assert point.labelled == len(rows)
        assert point.value == pytest.approx(skm.roc_auc_score(rows["y"], rows["score"]), abs=TOL)
    assert trend[-1].met is None  # October: labels incomplete, not judged
    assert trend[-1].labelled_share < 0.8 and trend[-1].value is not None
    assert all(p.met is not None for p in trend[:2])
    points = found.evidence.to_json()["trend"]
    assert points[-1]["met"] is None and points[0]["start"] == "2026-08-01"
    # the AUC decays month by month: the run below a bound is dated
    failing = _evaluate({"metric": "roc_auc", "min": 0.99, "trend": "month",
                         "window": SEPTEMBER}, data)  # fmt: skip
    assert failing.status is Status.failed
    assert "outside the bound since 2026-08-01" in failing.message


def test_baseline_champion_on_the_same_window(logged: tuple[pd.DataFrame, StoreData]) -> None:
    frame, data = logged
    params = {"metric": "roc_auc", "baseline": {"alias": "champion"}, "max_drop": 0.02,
              "window": SEPTEMBER}  # fmt: skip
    found = _evaluate(params, data, version="3")
    champion = _rows(frame, "2", "2026-09-01", "2026-10-01")
    challenger = _rows(frame, "3", "2026-09-01", "2026-10-01")
    base = skm.roc_auc_score(champion["y"], champion["score"])
    value = skm.roc_auc_score(challenger["y"], challenger["score"])
    assert value < base - 0.02  # the generated challenger is worse
    assert found.status is Status.failed, found.message
    assert found.value == pytest.approx(value, abs=TOL)
    assert isinstance(found.evidence, PerformanceEvidence)
    baseline = found.evidence.baseline
    assert isinstance(baseline, PerformanceBaseline)
    assert baseline.version == "2" and baseline.source == "alias" and baseline.name == "champion"
    assert baseline.value == pytest.approx(base, abs=TOL)
    assert baseline.required == pytest.approx(base - 0.02, abs=TOL)
    assert baseline.n == len(champion)
    assert found.threshold == {"max_drop": 0.02, "required": baseline.required}
    assert "version 2 (alias champion)" in found.message
    wide = _evaluate({**params, "max_drop": 0.5}, data, version="3")
    assert wide.status is Status.passed, wide.message


def test_baseline_champion_with_label_delay_is_not_evaluated(
    logged: tuple[pd.DataFrame, StoreData],
) -> None:
    _, data = logged
    params = {"metric": "roc_auc", "baseline": {"alias": "champion"}, "window": "month",
              "min_labelled": 0.25}  # fmt: skip
    lenient = _evaluate(params, data, version="3")
    assert lenient.status in (Status.passed, Status.failed), lenient.message
    strict = _evaluate({**params, "min_labelled": 0.8}, data, version="3")
    assert strict.status is Status.not_evaluated
    assert "labels are incomplete" in strict.message


def test_baseline_reference_and_registry(logged: tuple[pd.DataFrame, StoreData]) -> None:
    _, data = logged
    ref = _log(seed=6).iloc[:1500]
    expected = skm.roc_auc_score(ref["y"], ref["score"])
    found = _evaluate({"metric": "roc_auc", "baseline": "reference", "max_drop": 1,
                       "window": SEPTEMBER}, data)  # fmt: skip
    assert isinstance(found.evidence, PerformanceEvidence)
    assert found.evidence.baseline is not None
    assert found.evidence.baseline.value == pytest.approx(expected, abs=TOL)
    assert found.evidence.baseline.n == 1500
    registry = _evaluate({"metric": "roc_auc", "baseline": {"registry_metric": "roc_auc"},
                          "max_drop": 0.01, "window": SEPTEMBER}, data)  # fmt: skip
    assert registry.status is Status.failed  # 0.95 logged at validation, lower in production
    assert "run metric roc_auc 0.9500" in registry.message


def test_loss_max_drop_is_a_rise(logged: tuple[pd.DataFrame, StoreData]) -> None:
    """For a loss (lower is better) max_drop bounds the rise above the baseline."""
    frame, data = logged
    params = {"metric": "log_loss", "baseline": {"alias": "champion"}, "max_drop": 0.001,
              "window": SEPTEMBER}  # fmt: skip
    found = _evaluate(params, data, version="3")
    champion = _rows(frame, "2", "2026-09-01", "2026-10-01")
    base = skm.log_loss(champion["y"], champion["score"])
    assert isinstance(found.evidence, PerformanceEvidence) and found.evidence.baseline
    assert found.evidence.baseline.required == pytest.approx(base + 0.001, abs=TOL)
    assert found.status is Status.failed
    assert "max " in found.message


def test_interval_is_seeded(logged: tuple[pd.DataFrame, StoreData]) -> None:
    _, data = logged
    params = {"metric": "f1", "min": 0.1, "confidence": 0.9, "n_boot": 300, "seed": 7,
              "window": SEPTEMBER}  # fmt: skip
    one, two = _evaluate(params, data), _evaluate(params, data)
    assert isinstance(one.evidence, PerformanceEvidence) and one.evidence.interval
    assert one.to_json()["ci"] == two.to_json()["ci"]
    low, high = one.to_json()["ci"]
    assert low < (one.value or 0) < high
    other = _evaluate({**params, "seed": 8}, data)
    assert other.to_json()["ci"] != one.to_json()["ci"]


def test_regression_values_equal_sklearn(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    n = 2000
    y = np.round(rng.gamma(2, 50, n), 1)
    frame = pd.DataFrame({
        "ts": pd.date_range("2026-09-01", periods=n, freq="10min", tz="UTC"),
        "y": y, "predicted": np.round(y + rng.normal(0, 20, n), 0),
    })  # fmt: skip
    frame.to_parquet(tmp_path / "log.parquet")
    mapping = {"model": "credit-risk", "timestamp": "ts", "prediction": "predicted", "label": "y",
               "role": "current"}  # fmt: skip
    with Store.open(tmp_path / "store.duckdb") as store:
        ingest(store, [tmp_path / "log.parquet"], now=datetime(2026, 11, 1, tzinfo=UTC),
               options=mapping)  # fmt: skip
        data = StoreData(store)
        expected = {
            "mae": skm.mean_absolute_error(y, frame["predicted"]),
            "rmse": skm.root_mean_squared_error(y, frame["predicted"]),
            "r2": skm.r2_score(y, frame["predicted"]),
            "mape": skm.mean_absolute_percentage_error(y, frame["predicted"]),
        }
        for metric, value in expected.items():
            found = _evaluate({"metric": metric, "min": -1e9}, data)
            assert found.status is Status.passed, found.message
            assert found.value == pytest.approx(value, abs=TOL, rel=1e-12), metric
            assert isinstance(found.evidence, PerformanceEvidence)
            assert found.evidence.task == "regression"
        auc = _evaluate({"metric": "roc_auc", "min": 0.5}, data)
        assert auc.status is Status.not_evaluated
        assert auc.message.startswith("roc_auc: needs a score column")
        f1 = _evaluate({"metric": "f1", "min": 0.5, "threshold": 0.5}, data)
        assert f1.status is Status.not_evaluated and "not binary" in f1.message


def test_evidence_json_golden() -> None:
    """The typed evidence's JSON, field by field (reports read the dataclass)."""
    evidence = PerformanceEvidence(
        metric="roc_auc", task="classification", greater_is_better=True,
        window="[2026-10-01, 2026-11-01)", rows=9236, n=8338, min_labelled=0.8, value=0.7639,
        baseline=PerformanceBaseline("alias", "champion", 0.78, 0.76, 0.02, "1", 8000),
        trend=(
            PerformanceWindow("[2026-09-01, 2026-10-01)", datetime(2026, 9, 1).date(), 100, 100,
                              0.77, True),
            PerformanceWindow("[2026-10-01, 2026-11-01)", datetime(2026, 10, 1).date(), 100, 90,
                              0.74, False),
            PerformanceWindow("[2026-11-01, 2026-12-01)", datetime(2026, 11, 1).date(), 100, 20,
                              0.70, None),
        ),
    )  # fmt: skip
    assert evidence.below_since == datetime(2026, 10, 1).date()
    assert evidence.labelled_share == pytest.approx(8338 / 9236)
    text = json.dumps(evidence.to_json(), indent=2, sort_keys=True) + "\n"
    assert_golden(HERE, "performance-evidence.json", text)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path = demo_store(tmp_path_factory.mktemp("demo") / "demo.duckdb",
                      now=datetime(2026, 12, 1, tzinfo=UTC))  # fmt: skip
    with Store.open(path) as store:
        yield store


def _demo_finding(store: Store, params: Mapping[str, Any]) -> Finding:
    versions = inventory(store)
    v2 = next(v for v in versions if v.model == "credit-risk" and v.version == "2")
    rule = Rule(id="perf", check="performance", severity=Severity.block, params=dict(params))
    return Performance().evaluate(rule, Subject(v2, baseline_lookup(versions), StoreData(store)))


def test_demo_last_month_waits_for_labels(demo: Store) -> None:
    """The demo's November has 2,206 labels for 9,548 decisions: not judged, share named."""
    found = _demo_finding(demo, {"metric": "roc_auc", "min": 0.75, "window": "month",
                                 "trend": "month"})  # fmt: skip
    assert found.status is Status.not_evaluated
    assert "2206 of 9548 records (23.1%) are labelled" in found.message
    assert isinstance(found.evidence, PerformanceEvidence) and found.evidence.trend
    assert [p.met is None for p in found.evidence.trend] == [False] * 5 + [True]


def test_demo_october_equals_sklearn(demo: Store) -> None:
    october = pd.read_parquet(demo_logs()["current"] / "2026-10.parquet")
    rows = october[october["lender_approved"].notna()]
    window = {"start": "2026-10-01", "end": "2026-11-01"}
    found = _demo_finding(demo, {"metric": "roc_auc", "min": 0.7, "window": window})
    assert found.status is Status.passed, found.message
    expected = skm.roc_auc_score(rows["lender_approved"], rows["score"])
    assert found.value == pytest.approx(expected, abs=TOL)
    assert not math.isnan(expected)


def test_label_delay_trend_is_judged_against_a_fixed_baseline(
    logged: tuple[pd.DataFrame, StoreData],
) -> None:
    """A run metric is known before the labels are counted: the trend is judged against it."""
    _, data = logged
    params = {"metric": "roc_auc", "baseline": {"registry_metric": "roc_auc"}, "max_drop": 0.01,
              "window": "month", "trend": "month"}  # fmt: skip
    found = _evaluate(params, data)
    assert found.status is Status.not_evaluated and "labels are incomplete" in found.message
    assert isinstance(found.evidence, PerformanceEvidence) and found.evidence.trend
    assert found.evidence.baseline is not None and found.evidence.baseline.value == 0.95
    assert [p.met for p in found.evidence.trend] == [False, False, None]
    assert "(outside the bound)" in found.message


@pytest.mark.parametrize(
    ("params", "key", "needle"),
    [
        ({"metric": "roc_auc", "min": 0.9, "max": 0.8}, "min", "min 0.9 is above max 0.8"),
        ({"metric": "roc_auc", "min": 0.5, "max_drop": 0.1}, "max_drop", "needs a baseline"),
        ({"metric": "roc_auc"}, "metric", "needs min, max or a baseline"),
        ({"metric": "f1", "min": 0.5, "bins": 5}, "bins", "only to expected_calibration_error"),
    ],
)
def test_lint_finds_what_the_rule_alone_shows(
    params: dict[str, Any], key: str, needle: str
) -> None:
    problems = Performance().lint(params)
    assert [k for k, _ in problems] == [key]
    assert needle in problems[0][1]


def test_lint_accepts_a_sound_rule() -> None:
    rule = {"metric": "expected_calibration_error", "max": 0.05, "min": 0, "bins": 5,
            "baseline": "reference", "max_drop": 0.01}  # fmt: skip
    assert Performance().lint(rule) == []


def test_calibration_bins_in_the_evidence(logged: tuple[pd.DataFrame, StoreData]) -> None:
    """The ECE's bins are the reliability chart: counts, mean score and mean label per bin."""
    frame, data = logged
    rows = _rows(frame, "2", "2026-09-01", "2026-10-01")
    found = _evaluate({"metric": "expected_calibration_error", "max": 1, "bins": 5,
                       "window": SEPTEMBER}, data)  # fmt: skip
    assert isinstance(found.evidence, PerformanceEvidence)
    bins = found.evidence.calibration
    assert bins is not None and len(bins) == 5
    assert sum(b.n for b in bins) == len(rows)
    p, y = rows["score"].to_numpy(), rows["y"].to_numpy()
    index = np.minimum(np.floor(p * 5), 4)
    for b, got in enumerate(bins):
        assert (got.low, got.high) == pytest.approx((b / 5, (b + 1) / 5))
        inside = index == b
        assert got.n == int(inside.sum())
        if got.n:
            assert got.mean_score == pytest.approx(p[inside].mean(), abs=TOL)
            assert got.mean_label == pytest.approx(y[inside].mean(), abs=TOL)
        else:
            assert got.mean_score is None and got.mean_label is None
    assert len(found.evidence.to_json()["calibration"]) == 5
    auc = _evaluate({"metric": "roc_auc", "min": 0, "window": SEPTEMBER}, data)
    assert isinstance(auc.evidence, PerformanceEvidence) and auc.evidence.calibration is None
    assert "calibration" not in auc.evidence.to_json()


@pytest.mark.parametrize("bound", [{"min": math.nan}, {"max": math.inf}])
def test_a_non_finite_bound_never_passes(
    bound: dict[str, float], logged: tuple[pd.DataFrame, StoreData]
) -> None:
    """Lint refuses NaN and Infinity; a rule made in code with one fails, never passes."""
    _, data = logged
    found = _evaluate({"metric": "roc_auc", **bound}, data)
    assert found.status is Status.failed
    assert "not a finite number" in found.message


def test_an_unknown_metric_in_code_is_not_evaluated(
    logged: tuple[pd.DataFrame, StoreData],
) -> None:
    _, data = logged
    found = _evaluate({"metric": "auc", "min": 0.5}, data)
    assert found.status is Status.not_evaluated
    assert "unknown performance metric 'auc'" in found.message


def test_demo_auc_by_sex_equals_sklearn(demo: Store) -> None:
    """by: a sensitive column reports the metric per group; the rule still judges the whole."""
    october = pd.read_parquet(demo_logs()["current"] / "2026-10.parquet")
    rows = october[october["lender_approved"].notna()]
    window = {"start": "2026-10-01", "end": "2026-11-01"}
    found = _demo_finding(demo, {"metric": "roc_auc", "min": 0.7, "window": window, "by": "sex"})
    plain = _demo_finding(demo, {"metric": "roc_auc", "min": 0.7, "window": window})
    assert found.status is Status.passed
    assert found.value == pytest.approx(plain.value, abs=1e-12)
    assert isinstance(found.evidence, PerformanceEvidence) and found.evidence.by_group
    assert found.evidence.by == "sex"
    for group in found.evidence.by_group:
        part = rows[rows["sex"] == group.group]
        assert group.n == len(part)
        expected = skm.roc_auc_score(part["lender_approved"], part["score"])
        assert group.value == pytest.approx(expected, abs=TOL)
    as_json = found.to_json()["evidence"]["by_group"]
    assert as_json["column"] == "sex" and {g["group"] for g in as_json["groups"]} == set(
        rows["sex"].unique()
    )
    absent = _demo_finding(demo, {"metric": "roc_auc", "min": 0.7, "window": window,
                                  "by": "gender"})  # fmt: skip
    assert absent.status is Status.not_evaluated and "no column 'gender'" in absent.message


def test_an_ingest_between_two_evaluations_is_seen(tmp_path: Path) -> None:
    """The cells and counts shared between rules are kept per prediction data object; a log
    ingested between two evaluations with the same object is part of the second one."""
    first, second = _log(seed=7), _log(seed=8)
    first.to_parquet(tmp_path / "first.parquet")
    second.to_parquet(tmp_path / "second.parquet")
    mapping = {"model": "credit-risk", "timestamp": "ts", "prediction": "approved",
               "score": "score", "label": "y", "model_version": "model_version",
               "role": "current"}  # fmt: skip
    now = datetime(2026, 11, 5, tzinfo=UTC)
    params = {"metric": "roc_auc", "min": 0, "window": SEPTEMBER}
    with Store.open(tmp_path / "store.duckdb") as store:
        ingest(store, [tmp_path / "first.parquet"], now=now, options=mapping)
        data = StoreData(store)
        before = _evaluate(params, data)
        ingest(store, [tmp_path / "second.parquet"], now=now, options=mapping)
        after = _evaluate(params, data)
    for found, frames in ((before, [first]), (after, [first, second])):
        rows = pd.concat([_rows(f, "2", "2026-09-01", "2026-10-01") for f in frames])
        assert found.value == pytest.approx(skm.roc_auc_score(rows["y"], rows["score"]), abs=TOL)
    assert after.value != before.value
