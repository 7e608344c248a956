"""SageMaker Clarify ``analysis.json`` as the SHAP evidence of ``check: explainability``.

The real Clarify outputs shipped in tests/fixtures/public are ingested into a store and linked
to credit-risk v2 (``govern ingest --model credit-risk --version 2``), as a user would.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from govern.checks.base import Rule, Subject
from govern.checks.explainability import Explainability
from govern.explain.shap_values import shares
from govern.ingest.pipeline import ingest
from govern.models import Finding, Severity, Status
from govern.policy.engine import StoreData
from govern.store.store import Store
from tests.checks.test_rule_cases import lineage
from tests.explain.conftest import FEATURES, World
from tests.explain.test_explain import by_rule, evaluate, evidence

PUBLIC = Path(__file__).parents[1] / "fixtures" / "public"
EXAMPLES = PUBLIC / "amazon-sagemaker-examples" / "archived"
FRAUD = EXAMPLES / "fraud_detection" / "clarify_output" / "explainability" / "analysis.json"
CONFIG = (
    EXAMPLES / "fairness_and_explainability_json_format" / "analysis_config"
    / "explainability_analysis_config.json"
)  # fmt: skip
CARD = (
    PUBLIC / "sagemaker-python-sdk" / "tests" / "data" / "model_card" / "evaluation_metrics"
    / "clarify_explanability.json"
)  # fmt: skip
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def global_shap(path: Path, label: str = "label0") -> dict[str, float]:
    values = json.loads(path.read_text())["explanations"]["kernel_shap"][label]
    return {str(k): float(v) for k, v in values["global_shap_values"].items()}


def add(store: Store, path: Path, days: int = 0, **link: str) -> None:
    """Ingest ``path`` (linked to credit-risk v2 unless ``link`` says otherwise)."""
    options = {"model": "credit-risk", "version": "2", **link} if link != {"model": ""} else {}
    ingest(store, [path], now=T0 + timedelta(days=days), options=options)


def judge(store: Store, **params: Any) -> dict[str, Finding]:
    """The findings of one rule on credit-risk v2, which has no model artefacts."""
    rule = Rule(id="explain", check="explainability", severity=Severity.block, params=params)
    found = Explainability().evaluate(rule, Subject(lineage({}), data=StoreData(store)))
    return by_rule(found if isinstance(found, list) else [found])


@pytest.fixture
def store(tmp_path: Path) -> Any:
    made = Store.open(tmp_path / "store.duckdb")
    yield made
    made.close()


def test_clarify_importances_judge_top_k_and_share(store: Store) -> None:
    add(store, FRAUD)
    found = judge(
        store,
        not_in_top_k={"features": ["customer_gender_male", "customer_gender_female"], "k": 3},
        max_share=0.5,
    )
    top = found["not_in_top_k"]
    # in this real analysis the gender facet is the most important feature
    assert top.status is Status.failed and "customer_gender_male among the top 3" in top.message
    assert "SageMaker Clarify kernel_shap, label label0" in top.message
    share = found["max_share"]
    expected = shares(global_shap(FRAUD))
    assert share.status is Status.passed
    assert share.value == pytest.approx(expected["customer_gender_male"], rel=1e-12)
    ev = evidence(share)
    assert ev.source == "clarify" and ev.explainer == "clarify kernel_shap"
    assert ev.importance == pytest.approx(global_shap(FRAUD), rel=1e-12)
    digest = hashlib.sha256(FRAUD.read_bytes()).hexdigest()
    assert ev.model_digest == digest
    assert ev.reports == (f"sagemaker-clarify:{digest[:16]}",)
    assert (ev.seed, ev.sample_size, ev.attribution_drift, dict(ev.rows)) == (0, 0, None, {})
    assert ev.to_json()["source"] == "clarify" and ev.to_json()["reports"] == list(ev.reports)


def test_attribution_drift_between_the_oldest_and_newest_clarify_report(
    store: Store, tmp_path: Path
) -> None:
    add(store, FRAUD)
    (only,) = judge(store, max_attribution_drift=0.1).values()
    assert only.status is Status.not_evaluated and "needs two explanations" in only.message
    # a later analysis in which months_as_customer carries four times the weight
    later = json.loads(FRAUD.read_text())
    values = later["explanations"]["kernel_shap"]["label0"]["global_shap_values"]
    values["months_as_customer"] *= 4
    path = tmp_path / "later" / "analysis.json"
    path.parent.mkdir()
    path.write_text(json.dumps(later))
    add(store, path, days=7)
    before, now = shares(global_shap(FRAUD)), shares(global_shap(path))
    worst = max(abs(now[f] - before[f]) for f in now)
    (big,) = judge(store, max_attribution_drift=0.1).values()
    assert big.status is Status.failed and "(months_as_customer;" in big.message
    assert big.value == pytest.approx(worst, rel=1e-12) and worst > 0.1
    ev = evidence(big)
    assert ev.reference_share == pytest.approx(before, rel=1e-12)
    assert ev.model_digest == hashlib.sha256(path.read_bytes()).hexdigest()
    assert len(ev.reports) == 2 and ev.reports[1].endswith(
        hashlib.sha256(FRAUD.read_bytes()).hexdigest()[:16]
    )
    (small,) = judge(store, max_attribution_drift=0.5).values()
    assert small.status is Status.passed


def test_label_and_shap_config_of_the_version(store: Store) -> None:
    add(store, CARD)
    add(store, CONFIG, days=1)
    (first,) = judge(store, max_share=0.9).values()
    assert set(evidence(first).importance) == set(global_shap(CARD, "label0"))
    (second,) = judge(store, max_share=0.9, clarify_label="label1").values()
    ev = evidence(second)
    assert set(ev.importance) == set(global_shap(CARD, "label1")) == {
        "Age", "Workclass", "fnlwgt", "Education", "Education-Num"}  # fmt: skip
    # the analysis config's shap method asked for 15 samples and set no seed
    assert (ev.sample_size, ev.seed) == (15, 0)
    (absent,) = judge(store, max_share=0.9, clarify_label="label7").values()
    assert absent.status is Status.not_evaluated and "for label label7" in absent.message


def test_only_reports_linked_to_the_version_count(store: Store) -> None:
    add(store, FRAUD, model="")  # not linked to any model
    add(store, CARD, version="1")  # another version
    (found,) = judge(store, max_share=0.9, source="clarify").values()
    assert found.status is Status.not_evaluated
    assert "no SageMaker Clarify explanation is linked to credit-risk v2" in found.message
    assert "--model credit-risk --version 2" in found.message


def test_source_model_does_not_fall_back_to_clarify(store: Store) -> None:
    add(store, FRAUD)
    (found,) = judge(store, max_share=0.9, source="model").values()
    assert found.status is Status.not_evaluated
    assert "no current prediction log" in found.message and "Clarify" not in found.message
    (auto,) = judge(store, max_share=0.9).values()
    assert auto.status is Status.passed and evidence(auto).source == "clarify"


def test_auto_takes_the_model_when_it_loads(world: World, tmp_path: Path) -> None:
    path = clarify_of_the_world(tmp_path, {f: 1.0 for f in FEATURES})
    ingest(world.store, [path], now=T0, options={"model": "credit-risk", "version": "2"})
    (auto,) = evaluate(world, max_share=0.9)
    assert evidence(auto).source == "model" and evidence(auto).explainer == "tree"
    (clarify,) = evaluate(world, max_share=0.9, source="clarify")
    assert evidence(clarify).source == "clarify"
    assert evidence(clarify).share == pytest.approx(dict.fromkeys(FEATURES, 0.2))


def clarify_of_the_world(tmp_path: Path, values: dict[str, float]) -> Path:
    """A Clarify analysis.json (the format of FORMATS §3.3) over the arrests features."""
    path = tmp_path / "clarify" / "analysis.json"
    path.parent.mkdir(parents=True)
    label0 = {"global_shap_values": values, "expected_value": 0.8}
    path.write_text(
        json.dumps({"version": "1.0", "explanations": {"kernel_shap": {"label0": label0}}})
    )
    return path


def test_proxy_screen_on_clarify_importances_reads_the_logs(world: World, tmp_path: Path) -> None:
    values = {"year": 0.01, "age": 0.05, "checks": 0.2, "employed": 0.1, "citizen": 0.02}
    path = clarify_of_the_world(tmp_path, values)
    ingest(world.store, [path], now=T0, options={"model": "credit-risk", "version": "2"})
    (found,) = evaluate(world, source="clarify", proxy_screen={"max_association": 0.0, "top_k": 2})
    assert found.status is Status.failed, found.message
    assert "checks (colour:" in found.message and "age (" not in found.message
    assert set(evidence(found).association["colour"]) == set(FEATURES)


def test_proxy_screen_on_clarify_without_logs_is_not_evaluated(store: Store) -> None:
    add(store, FRAUD)
    found = judge(store, proxy_screen={"sensitive": ["customer_age"]}, max_share=0.9)
    assert found["max_share"].status is Status.passed
    assert found["proxy_screen"].status is Status.not_evaluated
    assert "needs a current prediction log" in found["proxy_screen"].message
