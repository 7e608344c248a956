"""The fairness rule end to end: values against fairlearn, the LL144 table, and its rendering."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    equalized_odds_difference,
    selection_rate,
)

from govern.checks.base import Rule, Subject
from govern.checks.fairness import Fairness
from govern.formats.findings import render_json, render_table
from govern.formats.markdown import render_markdown
from govern.models import CheckResult, Finding, Severity
from tests.checks.test_rule_cases import lineage, prediction_data

SPEC = {"rows": 3000, "seed": 11, "bias": 0.1}


def evaluate(params: dict[str, object], tmp_path: Path) -> list[Finding]:
    rule = Rule(id="fair", check="fairness", severity=Severity.block, params=params)
    data = prediction_data({"current": SPEC}, tmp_path)
    produced = Fairness().evaluate(rule, Subject(lineage({}), data=data))
    return produced if isinstance(produced, list) else [produced]


@pytest.fixture
def frame(tmp_path: Path) -> pd.DataFrame:
    from tests.checks.test_rule_cases import generated_log

    return pd.read_parquet(generated_log(SPEC, tmp_path / "same.parquet"))


def test_values_equal_fairlearn(tmp_path: Path, frame: pd.DataFrame) -> None:
    (dp,) = evaluate({"metric": "demographic_parity_difference", "sensitive": ["sex"]}, tmp_path)
    expected = demographic_parity_difference(
        frame["default"], frame["approved"], sensitive_features=frame["sex"]
    )
    assert dp.value == pytest.approx(expected, abs=1e-9)
    mf = MetricFrame(
        metrics=selection_rate,
        y_true=frame["default"],
        y_pred=frame["approved"],
        sensitive_features=frame["sex"],
    )
    groups = {g["group"]: g for g in dp.evidence["groups"]}
    for name, rate in mf.by_group.items():
        assert groups[name]["selection_rate"] == pytest.approx(rate, abs=1e-9)
    (eo,) = evaluate({"metric": "equalized_odds_difference", "sensitive": ["sex"]}, tmp_path / "eo")
    expected = equalized_odds_difference(
        frame["default"], frame["approved"], sensitive_features=frame["sex"]
    )
    assert eo.value == pytest.approx(expected, abs=1e-9)


def test_ll144_table_by_sex_race_and_intersection(tmp_path: Path, frame: pd.DataFrame) -> None:
    params = {"metric": "impact_ratio", "min": 0.8, "sensitive": ["sex"],
              "ll144": {"sex": "sex", "race": "race"}}  # fmt: skip
    table_finding = evaluate(params, tmp_path)[0]
    assert table_finding.subject == "LL144"
    table = table_finding.evidence["ll144"]
    assert table["total"] == len(frame) and table["rate_kind"] == "selection_rate"
    assert [s["dimension"] for s in table["sections"]] == [["sex"], ["race"], ["sex", "race"]]
    for section in table["sections"]:
        cols = section["dimension"]
        key = frame[cols].astype(str).agg("×".join, axis=1)
        rates = frame.groupby(key)["approved"].mean()
        for row in section["rows"]:
            assert row["rate"] == pytest.approx(rates[row["category"]], abs=1e-12)
            assert row["impact_ratio"] == pytest.approx(rates[row["category"]] / rates.max())
    lowest = min(r["impact_ratio"] for s in table["sections"] for r in s["rows"])
    assert table_finding.value == pytest.approx(lowest)
    json.dumps(table_finding.to_json())  # JSON-ready

    result = CheckResult(findings=(table_finding,))
    text = render_table(result, width=200)
    assert "LL144 by sex × race" in text and "impact ratio" in text
    assert "female×a" in text
    markdown = render_markdown(result)
    assert "<summary>Fairness by group</summary>" in markdown and "| female×a |" in markdown
    assert json.loads(render_json(result))["findings"][0]["evidence"]["ll144"] == table


def test_small_categories_are_excluded_from_impact_ratios(tmp_path: Path) -> None:
    params = {"metric": "impact_ratio", "ll144": {"race": "race", "min_share": 0.25}}
    table = evaluate(params, tmp_path)[0].evidence["ll144"]
    (race,) = table["sections"]
    excluded = {r["category"] for r in race["rows"] if r["excluded"]}
    assert excluded == {"c"}  # 20% of the data, under the 25% asked
    assert all(r["impact_ratio"] is None for r in race["rows"] if r["excluded"])
    assert race["excluded"] == ["c"]


def test_data_bias_before_deployment(tmp_path: Path, frame: pd.DataFrame) -> None:
    (base,) = evaluate({"metric": "base_rate_difference", "sensitive": ["race"]}, tmp_path)
    # the labels' base rate by group is fairlearn's selection rate of the labels
    expected = demographic_parity_difference(
        frame["default"], frame["default"], sensitive_features=frame["race"]
    )
    assert base.value == pytest.approx(expected, abs=1e-9)
    (ci,) = evaluate({"metric": "class_imbalance", "sensitive": ["race"]}, tmp_path / "ci")
    sizes = frame["race"].value_counts()
    assert ci.value == pytest.approx((sizes.max() - sizes.min()) / (sizes.max() + sizes.min()))
