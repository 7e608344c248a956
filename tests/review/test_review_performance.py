"""Production performance in ``govern review``: the policies' performance rules per window.

On the demo store the review's monthly AUC equals the performance check's monthly trend (one
code path), November waits for labels, and the JSON gains fields without changing others;
the regression rules (worse beyond the tolerance, a bound crossed) on hand-made values.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govern.checks.base import Rule, Subject
from govern.checks.performance import Performance, PerformanceEvidence
from govern.cli.main import app
from govern.demo import demo_policies
from govern.formats.review import render_table
from govern.inventory import inventory
from govern.models import Severity
from govern.policy.engine import StoreData, baseline_lookup
from govern.policy.loader import load
from govern.review import ReviewOptions, review
from govern.review.inputs import Slot
from govern.review.model import BoundCheck, PerformanceValue
from govern.review.performance import compare
from govern.review.storage import Past, PastWindow, past, store_review
from govern.store import Store
from tests.stores import demo_store

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path = demo_store(tmp_path_factory.mktemp("perf-review") / "demo.duckdb",
                      now=datetime(2026, 12, 1, tzinfo=UTC))  # fmt: skip
    with Store.open(path) as opened:
        yield opened


def test_review_windows_carry_the_performance_rules(store: Store) -> None:
    options = ReviewOptions(model="credit-risk", version="2", policies=load([demo_policies()]))
    result = review(store, options, now=NOW)
    auc = {w.label: next(p for p in w.performance if p.rule == "perf.production-auc")
           for w in result.windows}  # fmt: skip
    assert list(auc) == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    # the same numbers as the check's own monthly trend
    versions = inventory(store)
    v2 = next(v for v in versions if v.model == "credit-risk" and v.version == "2")
    rule = Rule("t", "performance", Severity.warn, {"metric": "roc_auc", "min": 0.75,
                                                    "trend": "month"})  # fmt: skip
    checked = Performance().evaluate(rule, Subject(v2, baseline_lookup(versions), StoreData(store)))
    assert isinstance(checked.evidence, PerformanceEvidence) and checked.evidence.trend
    trend = {p.start.isoformat()[:7]: p.value or 0.0 for p in checked.evidence.trend if p.start}
    for label in ("2026-06", "2026-07", "2026-08", "2026-09", "2026-10"):
        assert auc[label].status == "evaluated"
        assert auc[label].value == pytest.approx(trend[label], abs=1e-12)
        assert auc[label].bounds == (BoundCheck("perf.production-auc", 0.75, None, True),)
    november = auc["2026-11"]
    assert november.status == "not_evaluated" and november.value is None
    assert (november.labelled, november.rows) == (2206, 9548)
    assert "2206 of 9548 records (23.1%) are labelled" in (november.reason or "")
    october = auc["2026-10"]
    assert october.previous is not None and october.previous.window == "2026-09"
    assert october.previous.delta == pytest.approx(trend["2026-10"] - trend["2026-09"])
    assert not result.performance_regressions  # AUC falls by less than the tolerance 0.05
    text = render_table(result, width=400)
    assert "performance perf.production-auc (roc_auc): 0.7639 ▼0.005 over 8,338 labelled" in text
    assert "performance perf.production-auc (roc_auc): not evaluated, labels are incomplete" in text
    from govern.report.review_report import build_review_report, render_review_html

    html = render_review_html(build_review_report(store, result, now=NOW, store_path="x"))
    assert "Production performance: the policies' performance rules" in html
    assert "8,338 / 9,236" in html and "2,206 / 9,548" in html
    data = result.to_json()
    assert data["performance_regressions"] == []
    entry = data["windows"][-1]["performance"][0]
    assert entry["labelled_share"] == pytest.approx(2206 / 9548)
    assert {"rule", "metric", "value", "previous", "regression", "bounds", "status"} <= set(entry)


def _value(rule: str, value: float, *, greater: bool, met: bool | None) -> PerformanceValue:
    low, high = (0.75, None) if greater else (None, 0.05)
    return PerformanceValue(rule, "m", greater, "evaluated", None, value, 100, 100, 0.8,
                            (BoundCheck(rule, low, high, met),))  # fmt: skip


def _slots(*labels: str) -> list[Slot]:
    out = []
    for i, label in enumerate(labels):
        start = datetime.fromisoformat(f"{label}-01T00:00:00+00:00")
        end = (start + timedelta(days=32)).replace(day=1)
        out.append(Slot(i, label, start, end, False))
    return out


def test_regressions_move_the_wrong_way_or_cross_a_bound() -> None:
    labels = _slots("2026-01", "2026-02", "2026-03")
    values = [
        (_value("auc", 0.85, greater=True, met=True), _value("ece", 0.01, greater=False, met=True)),
        (_value("auc", 0.78, greater=True, met=True), _value("ece", 0.04, greater=False, met=True)),
        (_value("auc", 0.74, greater=True, met=False), _value("ece", 0.06, greater=False,
                                                               met=False)),
    ]  # fmt: skip
    windows, regressions = compare(labels, values, 0.05)
    found = [(r.window, r.rule, r.reason) for r in regressions]
    assert found == [
        ("2026-02", "auc", "moved"),  # 0.85 -> 0.78: worse by 0.07
        ("2026-03", "auc", "bound_crossed"),  # -0.04 is within the tolerance, the bound is not
        ("2026-03", "ece", "bound_crossed"),  # a loss up by 0.02, past max 0.05
    ]
    assert [v.regression for v in windows[1]] == [True, False]  # ece up 0.03: within 0.05
    assert windows[0][0].previous is None
    assert windows[2][1].previous is not None and windows[2][1].previous.value == 0.04
    moved = regressions[0]
    assert moved.delta == pytest.approx(-0.07) and "fell from 0.8500" in moved.message


def test_no_performance_rules_leaves_windows_empty(store: Store) -> None:
    result = review(store, ReviewOptions(model="credit-risk", version="2"), now=NOW)
    assert all(w.performance == () for w in result.windows)
    assert result.to_json()["windows"][0]["performance"] == []


def test_stored_review_gives_the_same_window_and_the_earlier_ones() -> None:
    """Against the last stored review: the same window's value, and windows not reviewed now."""
    slots = _slots("2026-02", "2026-03")
    stored = Past(
        id=7,
        windows=tuple(
            PastWindow(s.label, s.start.date().isoformat(), s.end.date().isoformat())
            for s in _slots("2026-01", "2026-02")
        ),
        values={},
        performance={("2026-01", "auc"): 0.90, ("2026-02", "auc"): 0.86, ("2026-02", "ece"): None},
    )
    values = [
        (_value("auc", 0.80, greater=True, met=True),),
        (_value("auc", 0.79, greater=True, met=True),),
    ]
    windows, regressions = compare(slots, values, 0.05, stored)
    feb, mar = windows[0][0], windows[1][0]
    # February: the previous window is January, only in the stored review
    assert feb.previous is not None and (feb.previous.window, feb.previous.source) == (
        "2026-01",
        "stored",
    )
    assert feb.stored is not None and (feb.stored.review, feb.stored.value) == (7, 0.86)
    assert feb.stored.delta == pytest.approx(-0.06)
    assert mar.previous is not None and mar.previous.source == "review" and mar.stored is None
    found = [(r.window, r.basis, r.compared_with) for r in regressions]
    assert found == [
        ("2026-02", "previous_window", "2026-01"),  # 0.90 -> 0.80
        ("2026-02", "stored_review", "review #7"),  # 0.86 -> 0.80: a restated window
    ]
    assert regressions[1].to_json()["basis"] == "stored_review"
    assert feb.to_json()["stored"] == {"review": 7, "value": 0.86, "delta": feb.stored.delta}


def test_performance_is_compared_with_the_stored_review(tmp_path: Path) -> None:
    path = demo_store(tmp_path / "demo.duckdb", now=datetime(2026, 12, 1, tzinfo=UTC))
    options = ReviewOptions(model="credit-risk", version="2", policies=load([demo_policies()]))
    with Store.open(path) as opened:
        first = review(opened, options, now=NOW)
        saved = store_review(opened, first, now=NOW)
        earlier = past(saved)
        assert earlier is not None
        october = next(w for w in first.windows if w.label == "2026-10")
        value = next(p.value for p in october.performance if p.rule == "perf.production-auc")
        assert earlier.performance[("2026-10", "perf.production-auc")] == pytest.approx(value)
        assert earlier.performance[("2026-11", "perf.production-auc")] is None  # not judged
        second = review(opened, options, now=NOW).to_json()
    again = next(w for w in second["windows"] if w["label"] == "2026-10")
    auc = next(p for p in again["performance"] if p["rule"] == "perf.production-auc")
    assert auc["stored"] == {"review": saved.id, "value": auc["value"], "delta": 0.0}
    assert second["performance_regressions"] == []


def test_report_lists_performance_regressions(store: Store) -> None:
    """A review whose only regression is a performance one says so, and lists it."""
    from govern.report.review_report import build_review_report, render_review_html

    options = ReviewOptions(
        model="credit-risk", version="2", policies=load([demo_policies()]), tolerance=0.001
    )
    result = replace(review(store, options, now=NOW), regressions=())  # performance alone
    assert result.performance_regressions
    assert result.decision == "regression"
    report = build_review_report(store, result, now=NOW, store_path="x")
    assert any("performance regression" in line for line in report.summary)
    assert any(row.feature.startswith("rule perf.") for row in report.regressions)
    html = render_review_html(report)
    assert "Decision: REGRESSION." in html
    first = result.performance_regressions[0]
    assert first.message in html
    text = render_table(result, width=400)
    assert "Performance regressions" in text


def test_performance_regressions_count_in_the_summary_and_the_exit_code(
    runner: CliRunner, tmp_path: Path
) -> None:
    """`govern review` counts performance regressions in its summary and its exit code."""
    path = demo_store(tmp_path / "demo.duckdb", now=datetime(2026, 12, 1, tzinfo=UTC))
    policy = tmp_path / "perf.yaml"
    policy.write_text(
        "apiVersion: govern/v1\nkind: Policy\nmetadata: {id: perf-only}\n"
        "scope: {models: [credit-risk]}\nrules:\n"
        "  - {id: p.auc, check: performance, metric: roc_auc, min: 0.5}\n",
        encoding="utf-8",
    )
    args = ["--db", str(path), "review", "credit-risk", "--version", "2", "--policy", str(policy),
            "--tolerance", "0.001", "--no-store", "--format", "json"]  # fmt: skip
    done = runner.invoke(app, args)
    data = json.loads(done.stdout)
    summary = data["summary"]
    assert summary["performance_regressions"] == len(data["performance_regressions"]) > 0
    fairness = summary["regressions"]
    total = fairness + summary["performance_regressions"]
    assert f"{total} regression(s) ({summary['performance_regressions']} of performance)" in (
        done.stderr
    )
    assert done.exit_code == 1
