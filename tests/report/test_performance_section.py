"""The report's production-performance section: typed rows, trend and reliability charts.

Built from hand-made :class:`PerformanceEvidence` (a month waiting for labels, a calibration
rule with its bins) so every number on the page is known; the demo's section is pinned by the
model-report golden (``tests/report/golden/credit-risk-v2.html``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from govern.checks.fairness_evidence import Interval
from govern.checks.performance import (
    CalibrationBin,
    PerformanceBaseline,
    PerformanceEvidence,
    PerformanceWindow,
)
from govern.models import Finding, Severity, Status
from govern.report import charts
from govern.report.sections import CalibrationRow, PerformanceData, build_sections
from tests.checks.test_rule_cases import lineage

JUNE, JULY, AUGUST = (
    "[2026-06-01, 2026-07-01)",
    "[2026-07-01, 2026-08-01)",
    "[2026-08-01, 2026-09-01)",
)


def _auc_finding() -> Finding:
    """roc_auc with a run-metric baseline; August has 30 % of its labels, so not judged."""
    trend = (
        PerformanceWindow(JUNE, date(2026, 6, 1), 1000, 1000, 0.80, True),
        PerformanceWindow(JULY, date(2026, 7, 1), 1000, 950, 0.70, False),
        PerformanceWindow(AUGUST, date(2026, 8, 1), 1000, 300, 0.68, None),
    )
    evidence = PerformanceEvidence(
        metric="roc_auc", task="classification", greater_is_better=True, window=AUGUST,
        rows=1000, n=300, min_labelled=0.8, trend=trend,
        baseline=PerformanceBaseline("registry_metric", "roc_auc", 0.78, 0.73, 0.05),
    )  # fmt: skip
    return Finding(
        rule="perf.auc-prod", check="performance", severity=Severity.warn,
        status=Status.not_evaluated, model="credit-risk", version="2",
        message="labels are incomplete", metric="roc_auc",
        threshold={"min": 0.75, "max_drop": 0.05, "required": 0.73}, evidence=evidence,
    )  # fmt: skip


def _ece_finding() -> Finding:
    bins = (
        CalibrationBin(0.0, 0.5, 40, 0.25, 0.40),
        CalibrationBin(0.5, 1.0, 60, 0.75, 0.70),
    )
    evidence = PerformanceEvidence(
        metric="expected_calibration_error", task="classification", greater_is_better=False,
        window="all", rows=100, n=100, min_labelled=0.8, value=0.09, bins=2,
        calibration=bins, interval=Interval(0.05, 0.12, 0.95), decided_on="ci",
    )  # fmt: skip
    return Finding(
        rule="perf.ece", check="performance", severity=Severity.warn, status=Status.failed,
        model="credit-risk", version="2", message="expected_calibration_error 0.0900",
        metric="expected_calibration_error", value=0.09, threshold={"max": 0.05},
        evidence=evidence,
    )  # fmt: skip


def _section() -> PerformanceData:
    sections = build_sections([_auc_finding(), _ece_finding()], lineage({}))
    perf = next(s for s in sections if s.check == "performance")
    assert perf.key == "performance" and perf.template == "section_performance.html"
    # the label-delayed rule is named as missing evidence, the evaluated one is not
    assert len(perf.missing) == 1 and "perf.auc-prod (not evaluated)" in perf.missing[0]
    assert isinstance(perf.data, PerformanceData)
    return perf.data


def test_rows_hold_bounds_baseline_and_label_delay() -> None:
    auc, ece = _section().rows
    assert auc.value is None and auc.status == "not_evaluated"
    assert auc.bound == "≥ 0.75"
    assert auc.bounds == ((0.75, "min 0.75"), (0.73, "baseline − max_drop: 0.730"))
    assert auc.baseline == "run metric roc_auc 0.7800, max_drop 0.05"
    assert (auc.labelled, auc.rows, auc.labelled_share) == (300, 1000, 0.3)
    assert auc.label_note.startswith("300 of 1,000 records (30.0%)")
    # the latest judged window is July, not the delayed August
    assert f"The latest judged window, {JULY}, had 0.7000 (outside the bound)." in auc.label_note
    assert [p.short for p in auc.trend] == ["2026-06", "2026-07", "2026-08"]
    assert (ece.ci_low, ece.ci_high, ece.confidence, ece.decided_on) == (0.05, 0.12, 0.95, "ci")
    assert ece.label_note == "" and ece.bounds == ((0.05, "max 0.05"),)
    assert [(b.label, b.gap) for b in ece.calibration] == [
        ("0.0–0.5", 0.15000000000000002),
        ("0.5–1.0", 0.050000000000000044),
    ]


def test_trend_chart_flags_failures_and_names_label_delay() -> None:
    auc = _section().rows[0]
    chart = charts.performance_trend(auc, "chart-performance-0-trend")
    assert chart is not None
    (series,) = chart.series
    assert [p.flagged for p in series.points] == [False, True, False]
    assert [line.label for line in chart.lines] == ["min 0.75", "baseline − max_drop: 0.730"]
    assert chart.columns == ("window", "roc_auc", "labelled", "judged")
    assert [row.cells[2:] for row in chart.rows] == [
        ("1,000 of 1,000 (100.0%)", "within bound"),
        ("950 of 1,000 (95.0%)", "outside bound"),
        ("300 of 1,000 (30.0%)", "no: label delay"),
    ]
    assert "fewer than 80% of their records were labelled" in chart.desc
    assert charts.reliability(auc, "x") is None  # no bins: no reliability chart


def test_reliability_chart_from_bins() -> None:
    ece = _section().rows[1]
    chart = charts.reliability(ece, "chart-performance-1-reliability")
    assert chart is not None
    assert chart.columns == ("score bin", "observed rate", "mean score", "records", "|gap|")
    assert [row.cells for row in chart.rows] == [
        ("0.0–0.5", "0.400", "0.250", "40", "0.150"),
        ("0.5–1.0", "0.700", "0.750", "60", "0.050"),
    ]
    assert "per score bin from 0.0–0.5 to 0.5–1.0" in chart.desc
    assert "A gap in a line is a score bin without a value." in chart.desc
    empty = CalibrationRow(0.0, 1.0, 0, None, None)
    assert charts.reliability(replace(ece, calibration=(empty,)), "x") is None
    # the review's trend chart keeps its wording when no unit is given
    plain = charts.trend_lines(
        "t", title="t", subject="s", axis="a", windows=("w1",),
        series=(charts.TrendInput("m", (0.5,), (False,)),),
    )  # fmt: skip
    assert plain is not None and plain.columns == ("window", "m")
    assert "A gap in a line is a window without a value." in plain.desc
