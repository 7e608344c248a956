"""Changes since the previous report of the same model, read from the report ledger entries."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from govern.demo import demo_policies
from govern.policy.loader import load
from govern.report.context import ReportContext, build_context
from govern.report.html import render_html
from govern.report.record import record_report
from govern.store import ledger
from govern.store.store import Store
from tests.stores import registry_store

DAY1 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
DAY2 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return registry_store(tmp_path / "store.duckdb", now=DAY1)


def report(db: Path, version: str, now: datetime, policies: Path | None = None) -> ReportContext:
    with Store.open(db, read_only=True) as store:
        return build_context(
            store,
            load([policies or demo_policies()]),
            model="credit-risk",
            version=version,
            now=now,
            store_path="store.duckdb",
        )


def record(db: Path, ctx: ReportContext) -> ledger.Entry:
    with Store.open(db) as store:
        return record_report(store, ctx, {"r.html": "<html>"}, now=DAY2)


def test_the_first_report_is_the_baseline(db: Path) -> None:
    ctx = report(db, "1", DAY1)
    assert ctx.changes.previous is None and ctx.changes.findings == ()
    assert "this is the baseline" in render_html(ctx)


def test_a_later_report_lists_what_changed(db: Path) -> None:
    first = report(db, "1", DAY1)
    entry = record(db, first)
    assert entry.payload["findings"] == [
        {"label": f.label, "status": f.status, "value": f.value}
        for f in sorted(first.findings, key=lambda f: f.label)
    ]
    second = report(db, "2", DAY2)
    changes = second.changes
    assert changes.previous is not None
    assert (changes.previous.seq, changes.previous.version) == (entry.seq, "1")
    assert (changes.decision_before, changes.decision_now) == (first.decision, second.decision)
    before = {f.label: f for f in first.findings}
    now = {f.label: f for f in second.findings}
    expected_status = sorted(
        label for label in before.keys() & now.keys() if before[label].status != now[label].status
    )
    got: dict[str, list[str]] = {}
    for change in changes.findings:
        got.setdefault(change.change, []).append(change.label)
    assert got.get("status", []) == expected_status
    assert got.get("new", []) == sorted(now.keys() - before.keys())
    assert got.get("gone", []) == sorted(before.keys() - now.keys())
    assert expected_status, "versions 1 and 2 differ in at least one finding"
    assert changes.unchanged + len(changes.findings) == len(now.keys() | before.keys())
    html = render_html(second)
    assert "Compared with the report of credit-risk version 1 as of 2026-11-02" in html
    for label in expected_status:
        assert label in html.split('id="changes"')[1].split("</section>")[0]


def test_the_same_day_compares_with_the_day_before(db: Path) -> None:
    """Reporting twice on one day gives the same comparison (and bytes): same-day entries skip."""
    record(db, report(db, "1", DAY1))
    first = report(db, "2", DAY2)
    record(db, first)
    again = report(db, "2", DAY2)
    assert again.changes == first.changes and again.changes.previous is not None
    assert again.changes.previous.as_of == "2026-11-02"
    assert render_html(again) == render_html(first)


def test_a_changed_policy_file_is_listed(db: Path, tmp_path: Path) -> None:
    record(db, report(db, "2", DAY1))
    folder = tmp_path / "policies"
    shutil.copytree(demo_policies(), folder)
    target = next(p for p in sorted(folder.glob("*.yaml")) if "credit-risk" in p.name)
    text = target.read_text()
    assert "\nversion: " in text or "version:" in text
    target.write_text(text + "\n# reviewed 2026-12\n")
    changes = report(db, "2", DAY2, policies=folder).changes
    assert [(p.change, p.version_before == p.version_now) for p in changes.policies] == [
        ("changed", True)
    ]
    assert changes.findings == ()  # the same rules, the same store: nothing else moved


def test_an_old_entry_without_findings_compares_the_decision_only(db: Path) -> None:
    with Store.open(db) as store:
        ledger.append(
            store,
            kind=ledger.REPORT,
            subject="credit-risk@1",
            decision="fail",
            payload={
                "model": "credit-risk",
                "version": "1",
                "as_of": "2026-10-01",
                "decision": "fail",
                "outputs": [],
                "policies": [],
            },
            now=DAY1,
        )
    changes = report(db, "2", DAY2).changes
    assert changes.decision_before == "fail" and changes.findings == ()
    assert changes.note is not None and "does not list its findings" in changes.note
    assert [p.change for p in changes.policies] and {p.change for p in changes.policies} == {
        "added"
    }
