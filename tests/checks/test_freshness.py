"""check: freshness on the demo store: model age since training, evidence age since the logs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from govern.checks.base import Rule, Subject
from govern.checks.freshness import Freshness, FreshnessEvidence
from govern.inventory import inventory
from govern.models import Finding, Severity, Status
from govern.policy.engine import StoreData, baseline_lookup
from govern.store import Store
from tests.stores import demo_store

AS_OF = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path = demo_store(tmp_path_factory.mktemp("fresh") / "demo.duckdb", now=AS_OF)
    with Store.open(path) as s:
        yield s


def _findings(
    store: Store, params: dict[str, Any], version: str = "2", as_of: datetime = AS_OF
) -> dict[str, Finding]:
    versions = inventory(store)
    v = next(x for x in versions if x.model == "credit-risk" and x.version == version)
    rule = Rule(id="fresh", check="freshness", severity=Severity.block, params=params)
    subject = Subject(v, baseline_lookup(versions), StoreData(store), as_of=as_of)
    return {f.subject or "": f for f in Freshness().evaluate(rule, subject)}


def test_model_age_since_the_run_ended(store: Store) -> None:
    found = _findings(store, {"max_model_age": "30d"})["model_age"]
    assert found.status is Status.passed, found.message
    assert isinstance(found.evidence, FreshnessEvidence)
    assert found.evidence.source == "run end"
    assert found.evidence.since is not None
    elapsed = AS_OF.replace(tzinfo=None) - found.evidence.since
    assert found.value == pytest.approx(elapsed.total_seconds() / 86400)
    later = _findings(store, {"max_model_age": "30d"}, as_of=AS_OF + timedelta(days=60))
    assert later["model_age"].status is Status.failed
    assert "too old" in later["model_age"].message


def test_model_age_without_a_run_uses_the_registration(store: Store) -> None:
    found = _findings(store, {"max_model_age": "2w"}, version="3")["model_age"]
    assert isinstance(found.evidence, FreshnessEvidence)
    assert found.evidence.source == "version registered"
    assert found.status is Status.passed


def test_evidence_age_since_the_latest_log_record(store: Store) -> None:
    found = _findings(store, {"max_evidence_age": "7d"})["evidence_age"]
    assert found.status is Status.passed
    assert isinstance(found.evidence, FreshnessEvidence)
    assert found.evidence.since == datetime(2026, 11, 30, 23, 48, 53)
    assert found.evidence.source == "prediction log"
    stale = _findings(store, {"max_evidence_age": "12h"}, as_of=AS_OF + timedelta(days=1))
    assert stale["evidence_age"].status is Status.failed
    assert stale["evidence_age"].to_json()["evidence"]["max_age_days"] == 0.5


def test_no_evidence_is_not_evaluated(store: Store) -> None:
    found = _findings(store, {"max_evidence_age": "7d"}, version="3")["evidence_age"]
    assert found.status is Status.not_evaluated
    assert "no prediction log record or monitoring report" in found.message
    reports_only = _findings(store, {"max_evidence_age": "7d", "evidence": "reports"})
    assert reports_only["evidence_age"].status is Status.not_evaluated


def test_both_bounds_give_two_findings(store: Store) -> None:
    found = _findings(store, {"max_model_age": "180d", "max_evidence_age": "7d"})
    assert set(found) == {"model_age", "evidence_age"}


def test_lint_needs_a_bound() -> None:
    assert Freshness().lint({}) == [
        ("check", "a freshness rule needs max_model_age or max_evidence_age")
    ]
    assert Freshness().lint({"max_model_age": "30d"}) == []
