"""The engine on real exports: scope, findings, waivers, the gate's view of scope."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from govern.checks.reproducibility import LineageEvidence, Requirement
from govern.errors import UsageError
from govern.ingest.pipeline import ingest
from govern.models import Severity, Status
from govern.policy.engine import WAIVER_EXPIRED, evaluate
from govern.policy.loader import PolicySet, load
from govern.store import Store
from tests.conftest import EXPORT_IMPORT

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
DATABRICKS = EXPORT_IMPORT / "databricks/single"
GOOD = "andre_catalog.ml_models2.sklearn_wine_best"

POLICY = """\
apiVersion: govern/v1
kind: Policy
metadata: {id: wine, version: 2, owner: risk@example.com}
scope: {models: ["*wine*", "Sklearn_Wine"]}
rules:
  - id: repro.lineage
    check: reproducibility
    require: [run, git_commit, training_data_digest, environment, params]
    controls: ["eu-ai-act:AnnexIV(2)(d)"]
  - id: perf.r2
    check: metric
    metric: r2
    min: 0.5
    severity: warn
"""


@pytest.fixture
def store(store: Store) -> Store:
    ingest(store, [DATABRICKS / "versions/sklearn_wine", DATABRICKS / "models/basic"], now=NOW)
    return store


def policies(tmp_path: Path, text: str = POLICY, waivers: str | None = None) -> PolicySet:
    (tmp_path / "policy.yaml").write_text(textwrap.dedent(text))
    if waivers is not None:
        (tmp_path / "waivers.yaml").write_text(textwrap.dedent(waivers))
    return load([tmp_path])


def test_check_covers_every_version_in_scope(store: Store, tmp_path: Path) -> None:
    result = evaluate(store, policies(tmp_path), now=NOW)
    pairs = {(f.model, f.version) for f in result.findings}
    assert pairs == {
        (GOOD, "15"),
        ("Sklearn_Wine", "1"),
        ("Sklearn_Wine", "2"),
        ("Sklearn_Wine", "3"),
    }
    assert len(result.findings) == 8
    keys = [f.sort_key() for f in result.findings]
    assert keys == sorted(keys)
    assert result.scope["evaluated_at"] == "2026-11-22T12:00:00Z"
    assert [p.id for p in result.policies] == ["wine"]


def test_complete_lineage_passes_incomplete_fails(store: Store, tmp_path: Path) -> None:
    result = evaluate(store, policies(tmp_path), now=NOW)
    by = {(f.model, f.version, f.rule): f for f in result.findings}
    good = by[(GOOD, "15", "repro.lineage")]
    assert good.status is Status.passed
    assert good.controls == ("eu-ai-act:AnnexIV(2)(d)",)
    bad = by[("Sklearn_Wine", "3", "repro.lineage")]
    assert bad.status is Status.failed
    assert "is not in the store" in bad.message
    assert isinstance(bad.evidence, LineageEvidence)
    assert bad.evidence.requirement("git_commit") == Requirement(
        "git_commit", False, "no git commit recorded"
    )
    r2 = by[(GOOD, "15", "perf.r2")]
    assert r2.status is Status.failed and r2.severity is Severity.warn
    assert by[("Sklearn_Wine", "3", "perf.r2")].status is Status.not_evaluated
    assert result.decision.value == "fail"


def test_fail_on_and_strict(store: Store, tmp_path: Path) -> None:
    ps = policies(tmp_path)
    result = evaluate(store, ps, now=NOW, model=GOOD, version="15")
    assert result.decision.value == "pass"  # only the warn rule fails
    result = evaluate(store, ps, now=NOW, model=GOOD, version="15", fail_on=Severity.warn)
    assert result.decision.value == "fail"
    result = evaluate(
        store, ps, now=NOW, model="Sklearn_Wine", version="3", fail_on=Severity.info, strict=True
    )
    assert {f.rule for f in result.failing()} == {"repro.lineage", "perf.r2"}


def test_scope_by_alias_and_stage(store: Store, tmp_path: Path) -> None:
    text = POLICY.replace(
        'scope: {models: ["*wine*", "Sklearn_Wine"]}',
        'scope: {models: ["*"], stages: [Production], aliases: [white_2]}',
    )
    result = evaluate(store, policies(tmp_path, text), now=NOW)
    assert {(f.model, f.version) for f in result.findings} == {(GOOD, "15"), ("Sklearn_Wine", "3")}


def test_gate_ignores_placement_but_not_model_globs(store: Store, tmp_path: Path) -> None:
    text = POLICY.replace(
        'scope: {models: ["*wine*", "Sklearn_Wine"]}',
        'scope: {models: ["Sklearn_*"], stages: [Production]}',
    )
    ps = policies(tmp_path, text)
    gated = evaluate(store, ps, now=NOW, model="Sklearn_Wine", version="2", gate=True)
    assert {f.version for f in gated.findings} == {"2"}  # v2 is in Staging: gated anyway
    with pytest.raises(UsageError, match="no policy applies"):
        evaluate(store, ps, now=NOW, model=GOOD, version="15", gate=True)


def test_unknown_model_names_known_ones(store: Store, tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        evaluate(store, policies(tmp_path), now=NOW, model="nope")
    assert "Sklearn_Wine" in info.value.diagnostics()


WAIVERS = """\
apiVersion: govern/v1
kind: Waivers
metadata: {id: wine-waivers}
waivers:
  - rule: repro.lineage
    model: Sklearn_Wine
    versions: ">=2"
    justification: Runs were deleted in the 2023 workspace migration.
    approver: cro@example.com
    ticket: RISK-7
    expires: {expires}
  - rule: perf.*
    model: nothing-like-this
    justification: Stale waiver for a retired model.
    approver: cro@example.com
    expires: 2027-01-01
"""


def test_active_waiver_waives(store: Store, tmp_path: Path) -> None:
    ps = policies(tmp_path, waivers=WAIVERS.replace("{expires}", "2026-11-22"))
    result = evaluate(store, ps, now=NOW, model="Sklearn_Wine")
    by = {(f.version, f.rule): f for f in result.findings}
    assert by[("3", "repro.lineage")].status is Status.waived
    assert by[("3", "repro.lineage")].waiver["ticket"] == "RISK-7"
    assert "waived until 2026-11-22" in by[("3", "repro.lineage")].message
    assert by[("1", "repro.lineage")].status is Status.failed  # v1 not covered by >=2
    assert result.summary()["waived"] == 2
    assert any("nothing-like-this" in w and "matches no finding" in w for w in result.warnings)


def test_expired_waiver_is_itself_a_failure(store: Store, tmp_path: Path) -> None:
    ps = policies(tmp_path, waivers=WAIVERS.replace("{expires}", "2026-11-21"))
    result = evaluate(store, ps, now=NOW, model="Sklearn_Wine", version="3")
    rules = {f.rule: f for f in result.findings}
    assert rules["repro.lineage"].status is Status.failed
    expired = rules[WAIVER_EXPIRED]
    assert expired.status is Status.failed and expired.severity is Severity.block
    assert "expired on 2026-11-21" in expired.message
    assert WAIVER_EXPIRED in {f.rule for f in result.failing()}
