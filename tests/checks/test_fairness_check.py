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
from govern.checks.fairness_evidence import (
    FairnessEvidence,
    LL144Evidence,
    MissingValues,
    group_name,
    ll144_json,
)
from govern.formats.findings import render_json, render_table
from govern.formats.markdown import render_markdown
from govern.models import CheckResult, Finding, Severity
from tests.checks.test_rule_cases import lineage, prediction_data

SPEC = {"rows": 3000, "seed": 11, "bias": 0.1}


def evaluate(
    params: dict[str, object], tmp_path: Path, spec: dict[str, object] = SPEC
) -> list[Finding]:
    rule = Rule(id="fair", check="fairness", severity=Severity.block, params=params)
    data = prediction_data({"current": spec}, tmp_path)
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
    assert isinstance(dp.evidence, FairnessEvidence)
    groups = {g.group: g for g in dp.evidence.groups}
    for name, rate in mf.by_group.items():
        assert groups[name].selection_rate == pytest.approx(rate, abs=1e-9)
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
    assert isinstance(table_finding.evidence, LL144Evidence)
    table = table_finding.evidence.table
    assert table.total == len(frame) and table.rate_kind == "selection_rate"
    assert [s.dimension for s in table.sections] == [("sex",), ("race",), ("sex", "race")]
    for section in table.sections:
        cols = list(section.dimension)
        key = frame[cols].astype(str).agg("×".join, axis=1)
        rates = frame.groupby(key)["approved"].mean()
        for row in section.rows:
            category = group_name(row.category)
            assert row.rate == pytest.approx(rates[category], abs=1e-12)
            assert row.impact_ratio == pytest.approx(rates[category] / rates.max())
    lowest = min(
        r.impact_ratio for s in table.sections for r in s.rows if r.impact_ratio is not None
    )
    assert table_finding.value == pytest.approx(lowest)
    assert table_finding.evidence.lowest_impact_ratio == table_finding.value
    json.dumps(table_finding.to_json())  # JSON-ready

    result = CheckResult(findings=(table_finding,))
    text = render_table(result, width=200)
    assert "LL144 by sex × race" in text and "impact ratio" in text
    assert "female×a" in text
    markdown = render_markdown(result)
    assert "<summary>Fairness by group</summary>" in markdown and "| female×a |" in markdown
    as_json = json.loads(render_json(result))["findings"][0]["evidence"]["ll144"]
    assert as_json == ll144_json(table)
    assert as_json["sections"][2]["dimension"] == ["sex", "race"]


def test_small_categories_are_excluded_from_impact_ratios(tmp_path: Path) -> None:
    params = {"metric": "impact_ratio", "ll144": {"race": "race", "min_share": 0.25}}
    evidence = evaluate(params, tmp_path)[0].evidence
    assert isinstance(evidence, LL144Evidence)
    (race,) = evidence.table.sections
    excluded = {r.category for r in race.rows if r.excluded}
    assert excluded == {("c",)}  # 20% of the data, under the 25% asked
    assert all(r.impact_ratio is None for r in race.rows if r.excluded)
    assert race.excluded == (("c",),)
    (section,) = evidence.to_json()["ll144"]["sections"]
    assert section["excluded"] == ["c"]


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


# ------------------------------------------------------------------------------------------
# Records without a sensitive value (missing: exclude | group | fail)

#: the last 40 records have no sex, the last 25 no race either
UNRECORDED = {**SPEC, "unrecorded": {"sex": 40, "race": 25}}


@pytest.fixture
def unrecorded(tmp_path: Path) -> pd.DataFrame:
    from tests.checks.test_rule_cases import generated_log

    frame = pd.read_parquet(generated_log(UNRECORDED, tmp_path / "unrecorded.parquet"))
    assert frame["sex"].isna().sum() == 40 and frame["race"].isna().sum() == 25
    return frame


def by_subject(findings: list[Finding]) -> dict[str | None, Finding]:
    return {f.subject: f for f in findings}


def test_missing_excluded_values_equal_fairlearn_on_the_rows_kept(
    tmp_path: Path, unrecorded: pd.DataFrame
) -> None:
    params = {"metric": "demographic_parity_difference", "sensitive": ["sex", "race"],
              "intersect": True, "min_group_size": 1}  # fmt: skip
    found = by_subject(evaluate(params, tmp_path, UNRECORDED))
    for about, columns in (("sex", ["sex"]), ("race", ["race"]), ("sex×race", ["sex", "race"])):
        kept = unrecorded.dropna(subset=columns)
        f = found[about]
        assert isinstance(f.evidence, FairnessEvidence)
        assert f.evidence.missing == MissingValues(len(unrecorded) - len(kept), "exclude")
        sf = kept[columns[0]] if len(columns) == 1 else kept[columns]
        expected = demographic_parity_difference(
            kept["default"], kept["approved"], sensitive_features=sf
        )
        assert f.value == pytest.approx(expected, abs=1e-9), about
        mf = MetricFrame(
            metrics=selection_rate, y_true=kept["default"], y_pred=kept["approved"],
            sensitive_features=sf,
        )  # fmt: skip
        rates = {"×".join(map(str, k if isinstance(k, tuple) else (k,))): v
                 for k, v in mf.by_group.items()}  # fmt: skip
        assert {g.group: g.selection_rate for g in f.evidence.groups} == pytest.approx(
            rates, abs=1e-9
        )
        assert sum(g.n for g in f.evidence.groups) == len(kept)
    assert "40 records without a value of sex left out" in found["sex"].message
    assert "40 records without a value of sex×race left out" in found["sex×race"].message
    (eo,) = evaluate(
        {"metric": "equalized_odds_difference", "sensitive": ["race"]}, tmp_path / "eo", UNRECORDED
    )
    kept = unrecorded.dropna(subset=["race"])
    expected = equalized_odds_difference(
        kept["default"], kept["approved"], sensitive_features=kept["race"]
    )
    assert eo.value == pytest.approx(expected, abs=1e-9)


def test_missing_as_a_group_equals_fairlearn_with_the_value_replaced(
    tmp_path: Path, unrecorded: pd.DataFrame
) -> None:
    params = {"metric": "equalized_odds_difference", "sensitive": ["sex", "race"],
              "intersect": True, "min_group_size": 1, "missing": "group"}  # fmt: skip
    found = by_subject(evaluate(params, tmp_path, UNRECORDED))
    replaced = unrecorded.fillna({"sex": "(missing)", "race": "(missing)"})
    for about, columns in (("sex", ["sex"]), ("race", ["race"]), ("sex×race", ["sex", "race"])):
        f = found[about]
        sf = replaced[columns[0]] if len(columns) == 1 else replaced[columns]
        expected = equalized_odds_difference(
            replaced["default"], replaced["approved"], sensitive_features=sf
        )
        assert f.value == pytest.approx(expected, abs=1e-9), about
        assert isinstance(f.evidence, FairnessEvidence)
        assert f.evidence.missing.handling == "group"
    sex, both = found["sex"].evidence, found["sex×race"].evidence
    assert isinstance(sex, FairnessEvidence) and isinstance(both, FairnessEvidence)
    sex_groups = {g.group: g.n for g in sex.groups}
    assert sex_groups["(missing)"] == 40 and sum(sex_groups.values()) == len(unrecorded)
    assert "(missing)×(missing)" in {g.group for g in both.groups}


def test_missing_exclusion_gives_the_same_finding_and_interval_as_dropping_the_rows(
    tmp_path: Path, unrecorded: pd.DataFrame
) -> None:
    """The bootstrap interval stays seeded: the same as over a log without those records."""
    from datetime import UTC, datetime

    from govern.checks.base import Subject
    from govern.ingest.pipeline import ingest
    from govern.policy.engine import StoreData
    from govern.store import Store

    params = {"metric": "impact_ratio", "min": 0.8, "sensitive": ["sex"], "confidence": 0.9,
              "n_boot": 300, "seed": 5}  # fmt: skip
    (first,) = evaluate(params, tmp_path / "a", UNRECORDED)
    (again,) = evaluate(params, tmp_path / "b", UNRECORDED)
    assert isinstance(first.evidence, FairnessEvidence) and first.evidence.disparity is not None
    assert isinstance(again.evidence, FairnessEvidence) and again.evidence.disparity is not None
    interval = first.evidence.disparity.interval
    assert interval is not None and interval == again.evidence.disparity.interval
    path = tmp_path / "kept.parquet"
    unrecorded.dropna(subset=["sex"]).to_parquet(path, index=False)
    store = Store.open(tmp_path / "kept.duckdb")
    ingest(store, [path], now=datetime.now(UTC), options={
        "model": "credit-risk", "timestamp": "ts", "prediction": "approved", "score": "score",
        "label": "default", "sensitive": ["sex", "race"], "role": "current"})  # fmt: skip
    rule = Rule(id="fair", check="fairness", severity=Severity.block,
                params={**params, "missing": "fail"})  # fmt: skip
    (dropped,) = Fairness().evaluate(rule, Subject(lineage({}), data=StoreData(store)))
    assert isinstance(dropped.evidence, FairnessEvidence) and dropped.evidence.disparity
    assert dropped.value == first.value and dropped.evidence.disparity.interval == interval
    assert [g.to_json() for g in dropped.evidence.groups] == [
        g.to_json() for g in first.evidence.groups
    ]


def test_missing_fail_is_not_evaluated_and_the_count_is_rendered(
    tmp_path: Path, unrecorded: pd.DataFrame
) -> None:
    params = {"metric": "impact_ratio", "min": 0.8, "sensitive": ["sex"], "missing": "fail"}
    (failed,) = evaluate(params, tmp_path / "fail", UNRECORDED)
    assert failed.status.value == "not_evaluated"
    assert "column 'sex' (sensitive feature) has 40 missing value(s)" in failed.message
    (kept,) = evaluate({**params, "missing": "exclude"}, tmp_path / "exclude", UNRECORDED)
    (grouped,) = evaluate({**params, "missing": "group"}, tmp_path / "group", UNRECORDED)
    result = CheckResult(findings=(kept, grouped))
    text = render_table(result, width=200)
    assert "groups of sex (40 records without a value left out)" in text
    assert "groups of sex (40 records without a value, in the group (missing))" in text
    markdown = render_markdown(result)
    assert "(40 records without a value left out)" in markdown and "| (missing) |" in markdown
    findings = json.loads(render_json(result))["findings"]
    assert [f["evidence"]["missing"] for f in findings] == [
        {"n": 40, "handling": "exclude"},
        {"n": 40, "handling": "group"},
    ]
