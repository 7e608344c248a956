"""A policy's ``data:`` mapping as ingest options (``govern ingest --policy``, ``govern demo``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from govern.errors import UsageError
from govern.policy.data import log_options, policy_mapping
from govern.policy.loader import Policy, Scope


def policy(pid: str, models: tuple[str, ...], data: dict[str, object]) -> Policy:
    return Policy(pid, "1", None, Path(f"{pid}.yaml"), "0" * 64, Scope(models=models), data, ())


def test_options_from_the_mapping_then_the_flags() -> None:
    mapping = {"timestamp": "ts", "label": "y", "sensitive": ["sex"], "features": "all"}
    assert log_options(mapping, model="m", role="current") == {
        "model": "m",
        "version": None,
        "role": "current",
        "timestamp": "ts",
        "prediction": None,
        "score": None,
        "label": "y",
        "id": None,
        "model_version": None,
        "sensitive": ["sex"],
        "features": [],
    }
    flags = {"label": "z", "timestamp": None, "sensitive": ["race"], "features": [],
             "sample_size": None}  # fmt: skip
    options = log_options(mapping, model="m", role="current", version="2", overrides=flags)
    assert options["label"] == "z" and options["timestamp"] == "ts"
    assert options["sensitive"] == ["race"] and options["features"] == []
    assert options["version"] == "2" and options["sample_size"] is None


def test_the_policy_whose_scope_matches_the_model() -> None:
    policies = [
        policy("credit", ("credit-*",), {"label": "default", "sensitive": ["sex"]}),
        policy("hiring", ("hiring-*",), {"label": "hired"}),
        policy("lineage", ("*",), {}),
    ]
    assert policy_mapping(policies, "credit-risk", where="p/") == {
        "label": "default",
        "sensitive": ["sex"],
    }
    with pytest.raises(UsageError, match="no policy in p/ has a data: mapping for model 'x'"):
        policy_mapping(policies, "x", where="p/")


def test_matching_policies_merge_and_conflicts_need_a_flag() -> None:
    policies = [
        policy("a", ("credit-*",), {"label": "default", "timestamp": "ts"}),
        policy("b", ("*-risk",), {"label": "defaulted", "score": "p"}),
    ]
    with pytest.raises(UsageError, match="policies a and b") as caught:
        policy_mapping(policies, "credit-risk", where="p/")
    assert "--label COLUMN" in str(caught.value.hint)
    merged = policy_mapping(policies, "credit-risk", where="p/", given=["label"])
    assert merged == {"label": "default", "timestamp": "ts", "score": "p"}
