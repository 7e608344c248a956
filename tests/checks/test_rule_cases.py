"""Pass/fail cases of every check kind, written as YAML, collected by one test.

Each file ``cases/<check>.yaml`` is a list of cases: ``name``, ``rule`` (the rule's keys
besides id/check), ``version`` (facts overriding a complete, clean version), optional
``baselines`` (other versions of the model), and the expected ``status`` (and optionally
``message`` substrings, ``value``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from govern.checks.base import Rule, Subject
from govern.checks.registry import CHECK_KINDS
from govern.inventory import DatasetRef, VersionLineage
from govern.models import Severity
from govern.policy.engine import baseline_lookup

CASES = Path(__file__).parent / "cases"

CLEAN: dict[str, Any] = {
    "model": "credit-risk",
    "version": "2",
    "registry": "mlflow",
    "stage": "Production",
    "aliases": ("champion",),
    "status": "READY",
    "source": "models:/m-0123456789abcdef",
    "created_at": None,
    "run_id": "589ad0761e6b4a5c9a3d1f2e7c8b9a01",
    "run_name": "seeded",
    "run_status": "FINISHED",
    "run_lifecycle_stage": "active",
    "experiment": "credit",
    "user": "alice",
    "git_commit": "edfb888261b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6",
    "code_repository": None,
    "source_name": "train.py",
    "params": {"C": "1.0", "random_state": "42"},
    "metrics": {"roc_auc": 0.81, "loss": 0.42},
    "datasets": (
        {
            "name": "train",
            "digest": "f8bf91cc",
            "context": "training",
            "source_type": "s3",
            "source_uri": "s3://bucket/train.parquet",
        },
    ),
    "environment": ("model/conda.yaml", "model/python_env.yaml"),
    "flavors": ("python_function", "sklearn"),
    "tags": {"validation_status": "approved"},
    "export_error": None,
    "run_artifact_uri": "s3://bucket/artifacts/1/589ad0761e6b4a5c9a3d1f2e7c8b9a01/artifacts",
    "model_id": "m-0123456789abcdef",
}


def lineage(overrides: Mapping[str, Any]) -> VersionLineage:
    facts = {**CLEAN, **overrides}
    facts["datasets"] = tuple(DatasetRef(**d) for d in facts["datasets"])
    for key in ("aliases", "environment", "flavors"):
        facts[key] = tuple(facts[key])
    facts["version"] = str(facts["version"])
    return VersionLineage(**facts)


def collect() -> list[Any]:
    params = []
    for path in sorted(CASES.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text()):
            params.append(pytest.param(path.stem, case, id=f"{path.stem}: {case['name']}"))
    return params


@pytest.mark.parametrize(("check", "case"), collect())
def test_rule_case(check: str, case: dict[str, Any]) -> None:
    kind = CHECK_KINDS[check]
    rule = Rule(
        id=f"{check}.case",
        check=check,
        severity=Severity(case.get("severity", "block")),
        params=case.get("rule") or {},
        controls=("nist-ai-rmf:MEASURE-2.1",),
        policy_id="cases",
    )
    subject_version = lineage(case.get("version") or {})
    others = [lineage({"model": subject_version.model, **b}) for b in case.get("baselines") or []]
    subject = Subject(subject_version, baseline_lookup([subject_version, *others]))
    result = kind.evaluate(rule, subject)
    assert result.status.value == case["status"], result.message
    for needle in case.get("message") or []:
        assert needle in result.message
    if "value" in case:
        assert result.value == pytest.approx(case["value"])
    assert result.rule == rule.id and result.controls == rule.controls
    assert result.model == subject_version.model and result.version == subject_version.version
    assert result.help, "every finding carries help text"


def test_every_check_kind_has_cases() -> None:
    assert {p.stem for p in CASES.glob("*.yaml")} == set(CHECK_KINDS)


@pytest.mark.parametrize("name", sorted(CHECK_KINDS))
def test_check_kinds_describe_themselves(name: str) -> None:
    """Meta-test over the registry: name, summary, schema, and a docstring with Triggers/Fix."""
    kind = CHECK_KINDS[name]
    assert kind.name == name
    assert kind.summary
    doc = type(kind).__doc__ or ""
    assert "Triggers:" in doc and "Fix:" in doc, f"{name} must say what triggers it and the fix"
    for key in kind.required:
        assert key in kind.properties
    for key, spec in kind.properties.items():
        assert isinstance(spec, dict) and spec, key
