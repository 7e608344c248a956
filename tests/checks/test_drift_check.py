"""``check: drift`` beyond the YAML cases: untestable columns are values, bugs propagate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from govern.checks.base import Rule, Subject
from govern.checks.drift import Drift
from govern.models import Severity, Status
from govern.policy.engine import baseline_lookup
from tests.checks.test_rule_cases import lineage, prediction_data

DATA = {"reference": {"rows": 300, "seed": 1}, "current": {"rows": 300, "seed": 2}}


def evaluate(params: dict[str, Any], tmp_path: Path) -> list[Any]:
    rule = Rule(
        id="drift.case",
        check="drift",
        severity=Severity.block,
        params=params,
        controls=(),
        policy_id="cases",
    )
    version = lineage({})
    subject = Subject(version, baseline_lookup([version]), prediction_data(DATA, tmp_path), None)
    produced = Drift().evaluate(rule, subject)
    return produced if isinstance(produced, list) else [produced]


def test_a_column_the_method_cannot_test_is_named_and_the_others_judged(tmp_path: Path) -> None:
    results = evaluate({"features": ["x1", "region", "income"], "method": "ks"}, tmp_path)
    by = {r.subject: r for r in results}
    assert by["x1"].status is Status.passed
    assert by["region"].status is Status.not_evaluated
    assert "drift method 'ks' does not apply to categorical column 'region'" in by["region"].message
    assert by["income"].status is Status.not_evaluated
    assert "no column 'income'" in by["income"].message


def test_a_bug_in_the_computation_is_raised_not_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ValueError from inside the drift computation is a bug: it propagates (exit 3)."""
    from govern.metrics.drift import engine

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("a bug in a statistic")

    monkeypatch.setattr(engine, "chisquare", broken)
    with pytest.raises(ValueError, match="a bug in a statistic"):
        evaluate({"features": ["x1", "region"]}, tmp_path)
