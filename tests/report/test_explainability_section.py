"""The report's explainability section: typed blocks and rows, charts, golden HTML, end to end.

Built from hand-made :class:`ExplainabilityEvidence` (fifteen features, two sensitive columns,
a failed proxy screen) so every number on the page is known. The end-to-end test trains a model
on the demo's reference log (as ``tests/explain/test_cli.py`` does), runs ``govern report`` on
the demo store with an explainability policy and reads the section back from the JSON and the
PDF's text.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from govern.checks.explainability import ExplainabilityEvidence
from govern.cli.main import app
from govern.models import Finding, Severity, Status
from govern.report import charts_explain as charts
from govern.report.html import _charts, _environment
from govern.report.sections import EvidenceSection, ExplainabilityData, build_sections
from tests.checks.test_rule_cases import lineage
from tests.golden import assert_golden

HERE = Path(__file__).parent
RULE = "explain.top"
#: fifteen features: f01 holds the most importance, f15 the least
FEATURES = [f"f{i:02d}" for i in range(1, 16)]
IMPORTANCE = {f: round(0.5 / (i + 1), 6) for i, f in enumerate(FEATURES)}
TOTAL = sum(IMPORTANCE.values())
SHARE = {f: v / TOTAL for f, v in IMPORTANCE.items()}
DRIFT = {f: 0.01 * (i % 4) for i, f in enumerate(FEATURES)}
BY_GROUP = {
    "sex": {
        "male": {f: IMPORTANCE[f] for f in FEATURES},
        "female": {f: IMPORTANCE[f] * (2.0 if f == "f03" else 1.0) for f in FEATURES},
    },
    "race": {g: {f: IMPORTANCE[f] for f in FEATURES} for g in ("a", "b", "c", "d", "e")},
}


def _evidence(**changes: Any) -> ExplainabilityEvidence:
    evidence = ExplainabilityEvidence(
        importance=IMPORTANCE, share=SHARE, by_group=BY_GROUP, attribution_drift=DRIFT,
        rows={"current": 480, "reference": 500}, sample_size=500, seed=7, explainer="tree",
        model_digest="ab" * 32, stored_as="credit-risk/2/7",
    )  # fmt: skip
    return replace(evidence, **changes)


def _finding(sub: str, status: Status, message: str, **changes: Any) -> Finding:
    values: dict[str, Any] = {
        "rule": RULE, "check": "explainability", "severity": Severity.block, "status": status,
        "model": "credit-risk", "version": "2", "message": message, "metric": sub,
        "subject": sub, "evidence": _evidence(),
    }  # fmt: skip
    values.update(changes)
    return Finding(**values)


def findings() -> list[Finding]:
    """One rule with every sub-rule: top k passes, drift and share fail, one proxy flagged."""
    association = {"race": {"f01": 0.42, "f09": 0.55, "f02": 0.05}, "sex": {"f04": 0.31}}
    return [
        _finding("proxy_screen", Status.failed,
                 "proxies of race, sex among the top 5 features: f01 (race: 0.420), "
                 "f04 (sex: 0.310)", value=0.55, threshold={"max": 0.3},
                 evidence=_evidence(association=association,
                                    proxies=(("race", "f01"), ("sex", "f04")))),
        _finding("max_share", Status.failed, "f01 holds 30.1% of the importance (max 20.0%)",
                 value=SHARE["f01"], threshold={"max": 0.2}),
        _finding("not_in_top_k", Status.passed,
                 "none of race, sex among the top 3 features (f01, f02, f03)"),
        _finding("max_attribution_drift", Status.failed,
                 "largest attribution drift 0.0300 (f04; max 0.025)", value=0.03,
                 threshold={"max": 0.025}),
    ]  # fmt: skip


def section(found: list[Finding]) -> EvidenceSection:
    sections = build_sections(found, lineage({}))
    (explain,) = [s for s in sections if s.check == "explainability"]
    assert explain.key == "explainability" and explain.template == "section_explainability.html"
    assert explain.title == "Explainability"
    assert "seed" in explain.intro and "SHA-256" in explain.intro
    return explain


def data(found: list[Finding]) -> ExplainabilityData:
    d = section(found).data
    assert isinstance(d, ExplainabilityData)
    return d


def test_rows_in_sub_rule_order_with_the_flagged_proxies() -> None:
    d = data(findings())
    assert [r.sub_rule for r in d.rows] == [
        "not_in_top_k", "max_attribution_drift", "max_share", "proxy_screen",
    ]  # fmt: skip
    assert [r.status for r in d.rows] == ["pass", "fail", "fail", "fail"]
    assert [r.bound for r in d.rows] == ["—", "≤ 0.025", "≤ 0.2", "≤ 0.3"]
    proxy = d.rows[3]
    # above the bound only, flagged first; f09 is associated but ranks too low to be named
    assert [(a.feature, a.sensitive, a.eta, a.rank, a.flagged) for a in proxy.associations] == [
        ("f01", "race", 0.42, 1, True),
        ("f04", "sex", 0.31, 4, True),
        ("f09", "race", 0.55, 9, False),
    ]
    assert all(a.above for a in proxy.associations)
    assert d.rows[0].associations == ()


def test_block_holds_ranking_bounds_and_group_shares() -> None:
    (block,) = data(findings()).blocks
    assert (block.rule, block.explainer, block.seed, block.sample_size) == (RULE, "tree", 7, 500)
    assert block.model_digest == "ab" * 32 and block.stored_as == "credit-risk/2/7"
    assert block.rows == (("current", 480), ("reference", 500))
    assert [f.feature for f in block.features] == FEATURES
    assert [f.rank for f in block.features] == list(range(1, 16))
    first = block.features[0]
    assert first.share == pytest.approx(SHARE["f01"]) and first.importance == 0.5
    assert first.reference_share is None  # the evidence carries no reference shares
    assert [f.drift for f in block.features[:4]] == [0.0, 0.01, 0.02, 0.03]
    assert (block.has_reference, block.max_share, block.drift_bound) == (True, 0.2, 0.025)
    race, sex = block.groups
    assert (race.sensitive, race.groups) == ("race", ("a", "b", "c", "d", "e"))
    assert (sex.sensitive, sex.groups) == ("sex", ("female", "male"))
    f03 = next(r for r in sex.rows if r.feature == "f03")
    # f03 counts twice in the female group: a larger share there than among men
    female_total = TOTAL + IMPORTANCE["f03"]
    assert f03.importance == (IMPORTANCE["f03"] * 2, IMPORTANCE["f03"])
    assert f03.shares == pytest.approx((2 * IMPORTANCE["f03"] / female_total, SHARE["f03"]))
    assert sum(s for r in sex.rows for s in r.shares[:1] if s is not None) == pytest.approx(1.0)


def test_not_evaluated_without_evidence_lists_the_reasons() -> None:
    reason = "the model artefacts of credit-risk v2 were not found: s3://bucket/model"
    found = [
        _finding(sub, Status.not_evaluated, reason, evidence=None)
        for sub in ("not_in_top_k", "max_share")
    ]
    s = section(found)
    assert isinstance(s.data, ExplainabilityData)
    assert s.data.blocks == ()
    assert [r.status for r in s.data.rows] == ["not_evaluated", "not_evaluated"]
    assert s.missing == (
        f"{RULE}[not_in_top_k] (not_evaluated): {reason}",
        f"{RULE}[max_share] (not_evaluated): {reason}",
    )
    html = render_section(s)
    assert "No explanation was computed for this version" in html
    assert html.count(reason) == 2 and "<svg" not in html


def test_drift_without_a_reference_is_missing_and_has_no_chart() -> None:
    evidence = _evidence(attribution_drift=None, rows={"current": 480})
    found = [
        _finding("max_share", Status.passed, "f01 holds 20.0%", value=0.2,
                 threshold={"max": 0.5}, evidence=evidence),
        _finding("max_attribution_drift", Status.not_evaluated,
                 "attribution drift needs a reference prediction log of credit-risk",
                 evidence=evidence),
    ]  # fmt: skip
    s = section(found)
    assert s.missing == (
        f"{RULE}[max_attribution_drift] (not evaluated): attribution drift needs a reference "
        "prediction log of credit-risk",
    )
    assert isinstance(s.data, ExplainabilityData)
    (block,) = s.data.blocks
    assert not block.has_reference and block.drift_bound is None
    assert all(f.drift is None for f in block.features)
    assert charts.attribution_drift(block, "x") is None
    html = render_section(s)
    assert "No reference prediction log was explained" in html
    # only max_share is set: the importance chart draws its bound, the drift chart is absent
    assert 'id="chart-explainability-0-importance-title"' in html
    assert "chart-explainability-0-drift" not in html


def test_importance_chart_keeps_the_top_twelve_and_sums_the_rest() -> None:
    (block,) = data(findings()).blocks
    chart = charts.importance_shares(block, "c")
    assert isinstance(chart, charts.BarChart)
    labels = [b.label for b in chart.bars]
    assert labels == [*FEATURES[:12], "other (3 features)"]
    other = sum(SHARE[f] for f in FEATURES[12:])
    assert chart.bars[-1].value == f"{other * 100:.1f} %"
    # above max_share 0.2: only f01 (30.1 %)
    assert [b.label for b in chart.bars if b.fail] == ["f01"]
    assert [line.label for line in chart.lines] == ["max_share 0.2"]
    assert chart.columns == ("rank", "feature", "mean |SHAP|", "share")
    assert chart.rows[0].cells == ("1", "f01", "0.5000", f"{SHARE['f01'] * 100:.1f} %")
    assert chart.rows[-1].cells[:2] == ("—", "other (3 features)")
    assert "the 3 smallest are summed as other" in chart.desc


def test_importance_chart_against_reference_shares() -> None:
    reference = {f: 1 / len(FEATURES) for f in FEATURES}
    evidence = _evidence(reference_share=reference)
    found = [_finding("max_share", Status.failed, "m", threshold={"max": 0.2}, evidence=evidence)]
    (block,) = data(found).blocks
    assert block.features[0].reference_share == pytest.approx(1 / 15)
    chart = charts.importance_shares(block, "c")
    assert isinstance(chart, charts.GroupedBarChart)
    assert [e.label for e in chart.legend] == ["current", "reference"]
    assert chart.columns == ("feature", "current", "reference")
    assert chart.rows[-1].cells == ("other (3 features)", chart.rows[-1].cells[1], "20.0 %")
    assert len(chart.categories) == 13 and all(len(c.bars) == 2 for c in chart.categories)
    assert "current: solid dark, reference: white" in chart.desc
    assert [line.label for line in chart.lines] == ["max_share 0.2"]


def test_clarify_source_and_mutual_information() -> None:
    evidence = _evidence(
        source="clarify", explainer="clarify kernel_shap", reports=("r-new", "r-old"),
        association={"race": {"f02": 0.4}}, association_measure="mutual_information",
        proxies=(("race", "f02"),),
    )  # fmt: skip
    found = [
        _finding("proxy_screen", Status.failed, "proxies of race among the top 5 features: "
                 "f02 (race: 0.400)", value=0.4, threshold={"max": 0.3}, evidence=evidence),
    ]  # fmt: skip
    s = section(found)
    assert isinstance(s.data, ExplainabilityData)
    (block,) = s.data.blocks
    assert (block.source, block.reports) == ("clarify", ("r-new", "r-old"))
    (row,) = s.data.rows
    assert row.measure == "mutual_information"
    assert [(a.feature, a.flagged) for a in row.associations] == [("f02", True)]
    html = render_section(s)
    assert "SageMaker Clarify analysis.json" in html and "r-new, r-old" in html
    assert "normalised mutual information" in html and "seed" not in html


def test_drift_chart_draws_the_bound_and_marks_features_above_it() -> None:
    (block,) = data(findings()).blocks
    chart = charts.attribution_drift(block, "c")
    assert chart is not None
    assert [line.label for line in chart.lines] == ["0.025"]
    assert [b.label for b in chart.bars[:4]] == ["f04", "f08", "f12", "f03"]
    assert [b.label for b in chart.bars if b.fail] == ["f04", "f08", "f12"]
    assert len(chart.bars) == 12 and len(chart.rows) == 15  # the table keeps every feature
    assert "The 3 other features drift less" in chart.desc
    assert chart.rows[0].cells == ("f04", f"{SHARE['f04'] * 100:.1f} %", "0.0300", "yes")


def test_group_chart_up_to_four_groups_else_the_table() -> None:
    (block,) = data(findings()).blocks
    race, sex = block.groups
    chart = charts.group_importance(block, sex, "c")
    assert chart is not None
    assert [e.label for e in chart.legend] == ["female", "male"]
    assert [c.label for c in chart.categories] == [*FEATURES[:8], "other (7 features)"]
    assert chart.columns == ("feature", "female", "male")
    assert charts.group_importance(block, race, "c") is None  # five groups: the table
    html = render_section(section(findings()))
    assert "chart-explainability-0-groups-1-title" in html
    assert "chart-explainability-0-groups-0" not in html
    assert "<caption>Share of the importance by race (explain.top)" in html


def render_section(s: EvidenceSection) -> str:
    """The section's partial as the report renders it, with its charts."""
    made = _charts(SimpleNamespace(sections=(s,)))  # type: ignore[arg-type]
    return str(_environment().get_template(s.template).render(s=s, charts=made))


def test_golden_section_html() -> None:
    assert_golden(HERE, "explainability-section.html", render_section(section(findings())))


def test_section_json_carries_the_typed_data() -> None:
    from govern.report.context import _plain

    plain = _plain(section(findings()).data)
    assert set(plain) == {"blocks", "rows"}
    assert plain["rows"][3]["associations"][0] == {
        "sensitive": "race", "feature": "f01", "eta": 0.42, "rank": 1, "above": True,
        "flagged": True,
    }  # fmt: skip
    assert plain["blocks"][0]["groups"][1]["groups"] == ["female", "male"]
    json.dumps(plain, allow_nan=False)


# -- end to end: govern report on the demo store with a trained model ---------------------------

POLICY = """\
apiVersion: govern/v1
kind: Policy
metadata: {id: explain-report, version: 1, owner: risk@example.com}
scope: {models: [credit-risk]}
rules:
  - id: explain.report
    check: explainability
    severity: block
    not_in_top_k: {features: [race, sex], k: 3}
    max_share: 0.3
    max_attribution_drift: 0.5
    proxy_screen: {max_association: 0.1, top_k: 6}
    sample: 120
    seed: 3
"""


@pytest.fixture(scope="module")
def reported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo store, a model trained on its reference log, and ``govern report`` on it."""
    import pandas as pd
    import skops.io as sio
    from sklearn.ensemble import GradientBoostingClassifier

    from govern.demo import DEMO_DIR, demo_logs
    from tests.explain.test_cli import FEATURES as DEMO_FEATURES
    from tests.explain.test_cli import MODEL, OLD
    from tests.stores import demo_store

    tmp = tmp_path_factory.mktemp("explain-report")
    db = demo_store(tmp / "store.duckdb", now=datetime(2026, 11, 23, tzinfo=UTC))
    frame = pd.read_parquet(demo_logs()["reference"])
    model = GradientBoostingClassifier(n_estimators=20, random_state=0)
    model.fit(frame[DEMO_FEATURES], frame["lender_approved"])
    folder = tmp / "mlruns" / MODEL
    folder.mkdir(parents=True)
    sio.dump(model, folder / "model.skops")
    mlmodel = DEMO_DIR / "exports" / "mlflow3-filestore" / MODEL / "MLmodel"
    shutil.copyfile(mlmodel, folder / "MLmodel")
    policy = tmp / "explain.yaml"
    policy.write_text(POLICY)
    # the model trained here, not the demo's own: --artifact-root comes first
    result = CliRunner().invoke(
        app,
        ["--db", str(db), "report", "-m", "credit-risk", "--version", "2", "-p", str(policy),
         "-f", "json,pdf", "--out", str(tmp / "out"), "--as-of", "2026-12-03",
         "--artifact-root", f"{OLD}={tmp / 'mlruns'}"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    yield tmp / "out"


@pytest.mark.slow
def test_govern_report_shows_the_explainability_section(reported: Path) -> None:
    report = json.loads((reported / "credit-risk-v2-2026-12-03.json").read_text())
    (explain,) = [s for s in report["sections"] if s["check"] == "explainability"]
    assert explain["missing"] == []
    rows = {r["sub_rule"]: r for r in explain["data"]["rows"]}
    assert set(rows) == {"not_in_top_k", "max_share", "max_attribution_drift", "proxy_screen"}
    assert rows["not_in_top_k"]["status"] == "pass"
    (block,) = explain["data"]["blocks"]
    assert (block["seed"], block["sample_size"], block["explainer"]) == (3, 120, "tree")
    assert block["has_reference"] and block["max_share"] == 0.3 and block["drift_bound"] == 0.5
    assert {g["sensitive"] for g in block["groups"]} == {"race", "sex"}
    assert len(block["model_digest"]) == 64
    top = block["features"][0]["feature"]
    proxies = rows["proxy_screen"]["associations"]
    assert all(a["eta"] > 0.1 for a in proxies)
    assert "explainability" not in {kind for kind, _ in report["not_covered_checks"]}
    # the PDF's text holds the section, its charts' captions and the numbers of their tables
    text = subprocess.run(
        ["pdftotext", str(reported / "credit-risk-v2-2026-12-03.pdf"), "-"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    body = text[text.rindex("\nExplainability\n") :]
    for caption in (
        "Per rule, each explainability finding",
        "Share of the importance per feature (explain.report)",
        "Attribution drift per feature (explain.report)",
        "Share of the importance by race (explain.report)",
        "Share of the importance by sex (explain.report)",
        block["model_digest"],
    ):
        assert caption in re.sub(r"\s+", " ", body) or caption in body, caption
    share = block["features"][0]["share"]
    assert f"{share * 100:.1f} %" in body and top in body


def test_long_group_names_wrap_the_legend() -> None:
    names = (
        "American Indian or Alaska Native",
        "Native Hawaiian or Other Pacific Islander",
        "Black or African American",
        "Asian",
    )
    chart = charts.grouped_bars(
        "c", title="t", desc="d.", axis="a", series=names,
        categories=[("f01", (0.5, 0.4, 0.3, 0.2)), ("f02", (0.5, 0.6, 0.7, 0.8))],
    )  # fmt: skip
    assert chart is not None
    rows = sorted({e.y for e in chart.legend})
    assert len(rows) >= 2  # too wide for one row
    for e in chart.legend:
        assert e.x + charts.LEGEND_SWATCH + charts.LEGEND_CHAR * len(e.label) <= charts.WIDTH
    # the plot starts below the last legend row; its first bar below the plot's top
    assert chart.plot_y0 > rows[-1] + 10
    assert chart.categories[0].bars[0].y > chart.plot_y0
    one_row = charts.grouped_bars(
        "c", title="t", desc="d.", axis="a", series=("a", "b"), categories=[("f", (0.1, 0.2))]
    )
    assert one_row is not None and chart.plot_y0 - one_row.plot_y0 >= charts.LEGEND_ROW
    assert charts.grouped_bars("c", title="t", desc="d.", axis="a", series=tuple("abcde"),
                               categories=[("f", (0.1,) * 5)]) is None  # fmt: skip
