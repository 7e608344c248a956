"""Side by side: fairness values of `govern check --format json` on the demo log = fairlearn's.

The demo store holds the bundled production log of credit-risk v2 (real HMDA applications,
resampled). fairlearn's ``MetricFrame`` and its disparity functions are computed on the same
Parquet files with pandas; every number govern reports must agree to 1e-9.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    equalized_odds_difference,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from typer.testing import CliRunner

from govern.cli.main import app
from govern.demo import MONITORED, demo_logs, demo_policies

pytestmark = pytest.mark.slow

TOL = 1e-9


@pytest.fixture(scope="module")
def findings(demo_run: tuple[Path, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    db, _ = demo_run
    runner = CliRunner()
    model, version = MONITORED
    args = ["--db", str(db), "check", "--policy", str(demo_policies()), "--model", model]
    args += ["--version", version, "--format", "json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    return {
        (f["rule"], f["sensitive_feature"]): f for f in data["findings"] if f["check"] == "fairness"
    }


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    files = sorted(demo_logs()["current"].glob("*.parquet"))
    frame = pd.concat([pd.read_parquet(p) for p in files], ignore_index=True)
    assert set(frame["model_version"]) == {MONITORED[1]}
    return frame


def _by_group(finding: dict[str, Any], name: str) -> dict[str, float]:
    return {g["group"]: g[name] for g in finding["groups"]}


def _fairlearn_groups(series: pd.Series) -> dict[str, float]:
    """MetricFrame.by_group as {group: value}; intersections joined like govern ('a×b')."""
    return {
        ("×".join(map(str, k)) if isinstance(k, tuple) else str(k)): float(v)
        for k, v in series.items()
    }


@pytest.mark.parametrize("feature", ["race", "sex"])
def test_selection_rate_by_group_matches_metricframe(
    findings: dict[tuple[str, str], dict[str, Any]], log: pd.DataFrame, feature: str
) -> None:
    rule = "fairness.four-fifths" if feature == "race" else "fairness.dp-sex"
    frame = MetricFrame(
        metrics=selection_rate,
        y_true=log["approved"],
        y_pred=log["approved"],
        sensitive_features=log[feature],
    )
    theirs = _fairlearn_groups(frame.by_group)
    ours = _by_group(findings[(rule, feature)], "selection_rate")
    assert ours.keys() == theirs.keys()
    for group, value in theirs.items():
        assert ours[group] == pytest.approx(value, abs=TOL, rel=0)
    sizes = log[feature].value_counts()
    assert {g["group"]: g["n"] for g in findings[(rule, feature)]["groups"]} == sizes.to_dict()


def test_impact_ratio_matches_metricframe_ratio(
    findings: dict[tuple[str, str], dict[str, Any]], log: pd.DataFrame
) -> None:
    frame = MetricFrame(
        metrics=selection_rate,
        y_true=log["approved"],
        y_pred=log["approved"],
        sensitive_features=log["race"],
    )
    # the four-fifths impact ratio: lowest group rate over the highest (fairlearn's ratio())
    expected = float(frame.ratio(method="between_groups"))
    assert findings[("fairness.four-fifths", "race")]["value"] == pytest.approx(
        expected, abs=TOL, rel=0
    )


def test_demographic_parity_difference_by_sex(
    findings: dict[tuple[str, str], dict[str, Any]], log: pd.DataFrame
) -> None:
    expected = demographic_parity_difference(
        log["lender_approved"].fillna(0), log["approved"], sensitive_features=log["sex"]
    )
    assert findings[("fairness.dp-sex", "sex")]["value"] == pytest.approx(expected, abs=TOL, rel=0)


@pytest.mark.parametrize("feature", ["race", "sex", "race×sex"])
def test_equalized_odds_difference_on_labelled_rows(
    findings: dict[tuple[str, str], dict[str, Any]], log: pd.DataFrame, feature: str
) -> None:
    labelled = log[log["lender_approved"].notna()]
    columns = feature.split("×")
    sensitive = labelled[columns] if len(columns) > 1 else labelled[feature]
    y_true = labelled["lender_approved"].astype("int64")
    finding = findings[("fairness.equalized-odds", feature)]
    expected = equalized_odds_difference(y_true, labelled["approved"], sensitive_features=sensitive)
    assert finding["value"] == pytest.approx(expected, abs=TOL, rel=0)
    frame = MetricFrame(
        metrics={
            "true_positive_rate": true_positive_rate,
            "false_positive_rate": false_positive_rate,
        },
        y_true=y_true,
        y_pred=labelled["approved"],
        sensitive_features=sensitive,
    )
    for metric in ("true_positive_rate", "false_positive_rate"):
        theirs = _fairlearn_groups(frame.by_group[metric])
        ours = _by_group(finding, metric)
        assert ours.keys() == theirs.keys()
        for group, value in theirs.items():
            assert ours[group] == pytest.approx(value, abs=TOL, rel=0)
