"""Pass/fail cases of every check kind, written as YAML, collected by one test.

Each file ``cases/<check>.yaml`` is a list of cases: ``name``, ``rule`` (the rule's keys
besides id/check), ``version`` (facts overriding a complete, clean version), optional
``baselines`` (other versions of the model), and the expected ``status`` (and optionally
``message`` substrings, ``value``). ``monitoring`` lists fixture files (under
``tests/fixtures``) ingested into the case's store: a path, or ``{path, model, version,
ingested}`` (``content``: a JSON document written to a file named after ``path``);
``as_of`` is the evaluation time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from govern.checks.base import Rule, Subject
from govern.checks.registry import CHECK_KINDS
from govern.inventory import DatasetRef, VersionLineage
from govern.models import Evidence, Severity
from govern.policy.engine import baseline_lookup

CASES = Path(__file__).parent / "cases"
FIXTURES = Path(__file__).parents[1] / "fixtures"
#: when a case's monitoring files are ingested (reports without a time are dated by it)
INGESTED = "2026-11-23"

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


def generated_log(spec: Mapping[str, Any], path: Path) -> Path:
    """A small prediction log from a case's spec: rows, seed, shift, nulls, constant, start.

    ``unrecorded`` maps a sensitive column to a number of its last rows left NULL.
    """
    rng = np.random.default_rng(spec.get("seed", 0))
    n = int(spec.get("rows", 400))
    df = pd.DataFrame(
        {
            "ts": pd.date_range(spec.get("start", "2026-01-01"), periods=n, freq="h", tz="UTC"),
            "x1": rng.normal(0, 1, n),
            "x2": rng.normal(0, 1, n),
            "region": rng.choice(["north", "south", "east"], n),
            "score": rng.uniform(0, 1, n),
        }
    )
    for column, amount in (spec.get("shift") or {}).items():
        if column == "region":
            df.loc[: int(n * amount), "region"] = "north"
        else:
            df[column] = df[column] + amount
    for column, share in (spec.get("nulls") or {}).items():
        df.loc[: int(n * share) - 1, column] = np.nan
    for column in spec.get("constant") or []:
        df[column] = 1.0
    df["sex"] = rng.choice(["female", "male"], n, p=spec.get("sex_shares", [0.5, 0.5]))
    df["race"] = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    for column, count in (spec.get("unrecorded") or {}).items():  # e.g. sex not recorded: NULL
        df.loc[df.index[-int(count) :], column] = None
    df["default"] = (rng.uniform(0, 1, n) < 0.4).astype(int)
    cut = 0.5 + np.where(df["sex"] == "female", float(spec.get("bias", 0.0)), 0.0)
    df["approved"] = (df["score"] > cut).astype(int)
    if spec.get("no_labels"):
        df["default"] = None
    if spec.get("pending_labels"):  # the most recent outcomes are not known yet: NaN
        df["default"] = df["default"].astype(float)
        df.loc[int(n * (1 - spec["pending_labels"])) :, "default"] = np.nan
    if spec.get("label_values"):  # e.g. a three-valued outcome
        df["default"] = rng.choice(spec["label_values"], n)
    df.to_parquet(path)
    return path


def prediction_data(data: Mapping[str, Any], tmp: Path, monitoring: list[Any] | None = None) -> Any:
    """A store holding the case's generated logs and monitoring files, as checks see it."""
    from govern.ingest.pipeline import ingest
    from govern.policy.engine import StoreData
    from govern.store import Store

    store = Store.open(tmp / "store.duckdb")
    for item in monitoring or []:
        spec = {"path": item} if isinstance(item, str) else item
        path = FIXTURES / spec["path"]
        if "content" in spec:
            path = tmp / spec["path"]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(spec["content"]))
        when = datetime.fromisoformat(str(spec.get("ingested", INGESTED))).replace(tzinfo=UTC)
        link = {k: str(spec[k]) for k in ("model", "version") if k in spec}
        ingest(store, [path], now=when, options=link)
    mapping = {"model": CLEAN["model"], "timestamp": "ts", "prediction": "approved",
               "score": "score", "label": "default", "sensitive": ["sex", "race"]}  # fmt: skip
    for role in ("reference", "current"):
        if role in data:
            path = generated_log(data[role], tmp / f"{role}.parquet")
            ingest(store, [path], now=datetime.now(UTC), options={**mapping, "role": role})
    return StoreData(store)


@pytest.mark.parametrize(("check", "case"), collect())
def test_rule_case(check: str, case: dict[str, Any], tmp_path: Path) -> None:
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
    data = (
        prediction_data(case.get("data") or {}, tmp_path, case.get("monitoring"))
        if "data" in case or "monitoring" in case
        else None
    )
    as_of = (
        datetime.fromisoformat(str(case["as_of"])).replace(tzinfo=UTC) if "as_of" in case else None
    )
    subject = Subject(subject_version, baseline_lookup([subject_version, *others]), data, as_of)
    produced = kind.evaluate(rule, subject)
    results = produced if isinstance(produced, list) else [produced]
    for r in results:  # results are typed (DESIGN): never a plain mapping
        assert r.evidence is None or isinstance(r.evidence, Evidence), type(r.evidence)
    if "statuses" in case:
        got = {r.subject: r.status.value for r in results}
        assert got == case["statuses"], [r.message for r in results]
        for r in results:
            assert r.help and r.rule == rule.id
        for needle in case.get("message") or []:
            assert any(needle in r.message for r in results), [r.message for r in results]
        return
    (result,) = results
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
