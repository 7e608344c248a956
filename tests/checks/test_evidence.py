"""Typed evidence of the reproducibility, metric, drift and monitoring checks (issue 10, item 1).

Each check kind returns a frozen dataclass; the finding's JSON is made by its ``to_json`` and
is the ``govern.check/v1`` evidence (the golden files and the check JSON tests pin the bytes).
These tests read the typed fields of real findings and check the JSON shape each type makes.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from govern.checks.base import Rule, Subject
from govern.checks.drift import ColumnDrift, Drift, DriftShare, TrendPoint
from govern.checks.metric import BaselineComparison, LoggedMetric, MetricEvidence
from govern.checks.monitoring import Monitoring
from govern.checks.monitoring_evidence import (
    DriftedColumn,
    FailedTest,
    MonitoringEvidence,
    OutOfBounds,
    ReportVerdict,
    Violation,
)
from govern.checks.reproducibility import LineageEvidence, Reproducibility, Requirement
from govern.models import Finding, Severity, Status
from govern.policy.engine import baseline_lookup
from tests.checks.test_rule_cases import lineage, prediction_data


def _rule(check: str, **params: Any) -> Rule:
    return Rule(id=f"{check}.t", check=check, severity=Severity.block, params=params)


def _json_evidence(f: Finding) -> dict[str, Any]:
    """The evidence object of the finding in ``govern.check/v1`` (these kinds lift no key)."""
    evidence: dict[str, Any] = f.to_json().get("evidence", {})
    return evidence


def test_lineage_evidence_lists_every_requirement_in_rule_order() -> None:
    version = lineage({"git_commit": None, "tags": {}})
    rule = _rule(
        "reproducibility", require=["run", "git_commit"], required_tags={"validation_status": "*"}
    )
    f = Reproducibility().evaluate(rule, Subject(version))
    ev = f.evidence
    assert isinstance(ev, LineageEvidence)
    assert [r.name for r in ev.requirements] == ["run", "git_commit", "tag:validation_status"]
    assert [r.name for r in ev.unmet] == ["git_commit", "tag:validation_status"]
    assert ev.requirement("git_commit") == Requirement(
        "git_commit", False, "no git commit recorded"
    )
    assert ev.requirement("seed") is None
    assert f.status is Status.failed and f.value == pytest.approx(1 / 3)
    assert _json_evidence(f) == {
        "requirements": {
            "run": {"met": True, "detail": "run 589ad0761e6b4a5c9a3d1f2e7c8b9a01"},
            "git_commit": {"met": False, "detail": "no git commit recorded"},
            "tag:validation_status": {
                "met": False,
                "detail": "tag validation_status missing (want any value)",
            },
        }
    }


def test_metric_evidence_holds_the_baseline_comparison() -> None:
    candidate = lineage({"version": "2", "aliases": (), "metrics": {"roc_auc": 0.85}})
    champion = lineage({"version": "1", "aliases": ("champion",), "metrics": {"roc_auc": 0.8}})
    rule = _rule(
        "metric", metric="roc_auc", baseline={"alias": "champion"}, min_relative_change=0.05
    )
    subject = Subject(candidate, baseline_lookup([candidate, champion]))
    f = LoggedMetric().evaluate(rule, subject)
    assert f.status is Status.passed
    assert isinstance(f.evidence, MetricEvidence)
    assert f.evidence.comparison == BaselineComparison(
        selector_key="alias",
        selector_value="champion",
        version="1",
        baseline_value=0.8,
        required_value=0.8 * 1.05,
        greater_is_better=True,
    )
    assert list(_json_evidence(f)) == [
        "baseline",
        "baseline_value",
        "required_value",
        "greater_is_better",
    ]
    assert _json_evidence(f)["baseline"] == {"selector": {"alias": "champion"}, "version": "1"}


def test_metric_without_a_comparison_has_empty_evidence() -> None:
    f = LoggedMetric().evaluate(_rule("metric", metric="missing"), Subject(lineage({})))
    assert f.status is Status.not_evaluated
    assert f.evidence == MetricEvidence(None)
    assert "evidence" not in f.to_json()


def _drift(trend: tuple[TrendPoint, ...] | None) -> ColumnDrift:
    return ColumnDrift(
        column="x1",
        kind="numeric",
        method="ks",
        direction="p_value",
        threshold=0.05,
        statistic=0.4,
        p_value=0.001,
        reference_n=100,
        current_n=90,
        reference_missing_share=0.0,
        current_missing_share=0.1,
        window="all",
        details={"direction": "p_value"},
        trend=trend,
    )


def test_column_drift_json_and_the_start_of_the_drifted_run() -> None:
    def point(day: int, drifted: bool | None) -> TrendPoint:
        return TrendPoint(f"[2026-05-{day:02d}]", date(2026, 5, day), 0.3, 0.01, drifted, 24)

    trend = (point(1, True), point(2, False), point(3, True), point(4, True))
    ev = _drift(trend)
    assert ev.score == 0.001
    assert ev.drifted_since == date(2026, 5, 3)
    assert _drift(trend[:2]).drifted_since is None
    assert _drift(None).drifted_since is None
    out = ev.to_json()
    assert list(out) == [
        "column",
        "kind",
        "statistic",
        "p_value",
        "reference_n",
        "current_n",
        "reference_missing_share",
        "current_missing_share",
        "window",
        "details",
        "trend",
    ]
    assert out["trend"][0] == {
        "window": "[2026-05-01]",
        "start": "2026-05-01",
        "statistic": 0.3,
        "p_value": 0.01,
        "drifted": True,
        "current_n": 24,
    }
    assert "trend" not in _drift(None).to_json()
    assert _drift(()).to_json()["trend"] == []  # asked for, no window could be tested
    assert DriftShare(("x1",), 3).to_json() == {"drifted": ["x1"]}


def test_drift_findings_carry_column_drift_with_the_trend(tmp_path: Path) -> None:
    data = prediction_data(
        {
            "reference": {"rows": 480, "seed": 1},
            "current": {"rows": 96, "seed": 2, "start": "2026-05-01", "shift": {"x1": 2.0}},
        },
        tmp_path,
    )
    rule = _rule("drift", features=["x1", "x2"], method="ks", trend="day", max_share_drifted=0.4)
    found = Drift().evaluate(rule, Subject(lineage({}), data=data))
    assert isinstance(found, list)
    by = {f.subject: f for f in found}
    x1 = by["x1"].evidence
    assert isinstance(x1, ColumnDrift)
    assert (x1.column, x1.kind, x1.method, x1.direction) == ("x1", "numeric", "ks", "p_value")
    assert by["x1"].value == x1.p_value == x1.score
    assert by["x1"].threshold == {"min_p_value": x1.threshold}
    assert x1.trend is not None and [p.start for p in x1.trend] == [
        date(2026, 5, d) for d in range(1, 5)
    ]
    assert x1.drifted_since == date(2026, 5, 1)
    assert "drifted since 2026-05-01" in by["x1"].message
    share = by["share_drifted"].evidence
    assert isinstance(share, DriftShare) and share.drifted == ("x1",) and share.evaluated == 2
    for f in found:
        assert _json_evidence(f) == (f.evidence.to_json() if f.evidence else {})


MONITOR = "public/sagemaker-python-sdk/tests/data/monitor/constraint_violations.json"


def _monitoring(tmp_path: Path, files: list[Any], **params: Any) -> list[Finding]:
    data = prediction_data({}, tmp_path, files)
    as_of = datetime(2026, 11, 30, tzinfo=UTC)
    return Monitoring().evaluate(
        _rule("monitoring", **params), Subject(lineage({}), data=data, as_of=as_of)
    )


def test_monitoring_evidence_of_one_report_has_its_verdict_beside_it(tmp_path: Path) -> None:
    files = [{"path": "evidently/0.7.23/report.json", "model": "credit-risk", "version": 2}]
    tests, share = _monitoring(
        tmp_path, files, require="no_failed_tests", metric="share_of_drifted_columns", max=0.3
    )
    ev = tests.evidence
    assert isinstance(ev, MonitoringEvidence)
    assert ev.report.path.endswith("evidently/0.7.23/report.json")
    assert ev.dated_by == "ingested_at" and ev.as_of == datetime(2026, 11, 30)
    (verdict,) = ev.verdicts
    assert verdict.ok is False and verdict.value == 4.0
    assert all(isinstance(i, FailedTest) for i in verdict.items)
    assert "Value Drift for column x1" in {i.name for i in verdict.items}
    out = _json_evidence(tests)
    assert list(out) == ["report", "as_of", "age_seconds", "dated_by", "ok", "summary", "items"]
    assert out["items"] == [i.to_json() for i in verdict.items]
    bounds = share.evidence
    assert isinstance(bounds, MonitoringEvidence)
    assert bounds.verdicts[0].items == (OutOfBounds("dataset", 0.6, "max", 0.3),)
    assert _json_evidence(share)["items"] == [
        {"subject": "dataset", "value": 0.6, "bound": "above the maximum 0.3"}
    ]


def test_monitoring_evidence_of_several_reports_lists_them(tmp_path: Path) -> None:
    files = [
        {"path": MONITOR, "model": "credit-risk", "ingested": "2026-11-01"},
        {
            "path": "monitor/2026/11/20/constraint_violations.json",
            "content": {"violations": []},
            "model": "credit-risk",
            "ingested": "2026-11-20",
        },
    ]
    (f,) = _monitoring(tmp_path, files, require="no_violations", report="all", max_age="30d")
    ev = f.evidence
    assert isinstance(ev, MonitoringEvidence)
    assert [v.ok for v in ev.verdicts] == [False, True]
    assert ev.report == ev.verdicts[-1].report  # the latest one
    assert all(isinstance(i, Violation) for i in ev.verdicts[0].items)
    out = _json_evidence(f)
    assert list(out) == ["report", "as_of", "age_seconds", "dated_by", "reports"]
    assert [list(r) for r in out["reports"]] == [
        ["report", "ok", "summary", "items"],
        ["report", "ok", "summary"],
    ]


def test_failed_test_names_and_non_text_fields() -> None:
    test = FailedTest("x1", "ks", "Drift per Column", "FAIL", None, 0.01, 0.05)
    assert test.name == "Drift per Column [x1]"
    assert dataclasses.replace(test, test="Drift of x1").name == "Drift of x1"
    assert dataclasses.replace(test, test=None).name == "x1 (ks)"
    assert list(test.to_json()) == ["subject", "metric", "test", "status", "value", "threshold"]


@pytest.mark.parametrize(
    "cls",
    [
        Requirement,
        LineageEvidence,
        BaselineComparison,
        MetricEvidence,
        TrendPoint,
        ColumnDrift,
        DriftShare,
        FailedTest,
        DriftedColumn,
        Violation,
        OutOfBounds,
        ReportVerdict,
        MonitoringEvidence,
    ],
)
def test_evidence_types_are_frozen_with_tuples(cls: type[Any]) -> None:
    assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen
    for f in dataclasses.fields(cls):
        assert "list[" not in str(f.type) and "dict[" not in str(f.type), (cls, f.name)
