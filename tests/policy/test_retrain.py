"""The retrain block of a check result: failed rules marked ``triggers: retrain``, and where.

On the demo store: the income column (``appinc``) drifts in November, so a drift rule marked
``triggers: retrain`` recommends retraining and names it; without a marked rule the result's
JSON has no ``retrain`` key (``govern.check/v1`` stays byte-identical for existing policies).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govern.cli.main import app
from govern.models import RetrainRecommendation
from govern.policy.engine import evaluate
from govern.policy.loader import load
from govern.store import Store
from tests.stores import demo_store

NOW = datetime(2026, 12, 1, tzinfo=UTC)
HEADER = (
    "apiVersion: govern/v1\nkind: Policy\nmetadata: {id: retrain-demo}\n"
    "scope: {models: [credit-risk]}\nrules:\n"
)
DRIFT = "  - {id: drift.psi, check: drift, method: psi, max: 0.2, window: month%s}\n"
AUC = (
    "  - {id: perf.auc, check: performance, metric: roc_auc, min: %s, "
    "window: {start: '2026-10-01', end: '2026-11-01'}, triggers: retrain}\n"
)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_store(tmp_path_factory.mktemp("retrain") / "demo.duckdb", now=NOW)


@pytest.fixture
def store(demo_db: Path, tmp_path: Path) -> Iterator[Store]:
    path = tmp_path / "demo.duckdb"
    shutil.copyfile(demo_db, path)
    with Store.open(path) as s:
        yield s


def _policy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(HEADER + text, encoding="utf-8")
    return path


def _retrain(store: Store, policy: Path) -> RetrainRecommendation | None:
    result = evaluate(store, load([policy]), now=NOW, model="credit-risk", version="2")
    return result.retrain


def test_drifted_income_recommends_retraining(store: Store, tmp_path: Path) -> None:
    policy = _policy(tmp_path, DRIFT % ", triggers: retrain" + AUC % "0.5")
    retrain = _retrain(store, policy)
    assert retrain is not None and retrain.recommended
    assert retrain.rules == ("retrain-demo/drift.psi", "retrain-demo/perf.auc")
    drifted = {t.subject: t for t in retrain.triggers}
    assert "appinc" in drifted  # the income column the demo shifts from September on
    assert drifted["appinc"].window == "[2026-11-01, 2026-12-01)"
    assert drifted["appinc"].check == "drift" and drifted["appinc"].metric == "psi"
    assert all(t.rule == "drift.psi" for t in retrain.triggers)  # the AUC rule passed
    as_json = retrain.to_json()
    assert as_json["recommended"] is True
    assert {"rule", "policy", "subject", "window", "value"} <= set(as_json["triggers"][0])


def test_a_failed_performance_rule_recommends_retraining(store: Store, tmp_path: Path) -> None:
    retrain = _retrain(store, _policy(tmp_path, DRIFT % "" + AUC % "0.99"))
    assert retrain is not None and retrain.rules == ("retrain-demo/perf.auc",)
    (trigger,) = retrain.triggers
    assert trigger.check == "performance" and trigger.metric == "roc_auc"
    assert trigger.window == "[2026-10-01, 2026-11-01)"
    assert trigger.value is not None and trigger.value < 0.99


def test_passing_marked_rules_do_not_recommend(store: Store, tmp_path: Path) -> None:
    retrain = _retrain(store, _policy(tmp_path, AUC % "0.5"))
    assert retrain is not None and not retrain.recommended
    assert retrain.to_json() == {
        "recommended": False,
        "rules": ["retrain-demo/perf.auc"],
        "triggers": [],
    }


def test_no_marked_rule_no_block(store: Store, tmp_path: Path) -> None:
    policy = _policy(tmp_path, DRIFT % "")
    result = evaluate(store, load([policy]), now=NOW, model="credit-risk", version="2")
    assert result.retrain is None
    assert "retrain" not in result.to_json()


def test_a_waived_failure_does_not_recommend(store: Store, tmp_path: Path) -> None:
    policy = _policy(tmp_path, AUC % "0.99")
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "apiVersion: govern/v1\nkind: Waivers\nwaivers:\n"
        "  - {rule: perf.auc, model: credit-risk, justification: retraining is scheduled, "
        "approver: risk@example.com, expires: '2027-01-31'}\n",
        encoding="utf-8",
    )
    result = evaluate(store, load([policy], [waivers]), now=NOW, model="credit-risk", version="2")
    assert result.retrain is not None and not result.retrain.recommended


def test_check_json_has_the_retrain_block(demo_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "cli.duckdb"
    shutil.copyfile(demo_db, db)
    policy = _policy(tmp_path, DRIFT % ", triggers: retrain")
    done = CliRunner().invoke(
        app,
        ["--db", str(db), "check", "--policy", str(policy), "--model", "credit-risk",
         "--version", "2", "--format", "json", "--as-of", "2026-12-01"],
    )  # fmt: skip
    assert done.exit_code == 1, done.output  # drift.psi is block and fails
    block = json.loads(done.stdout)["retrain"]
    assert block["recommended"] is True
    assert "appinc" in {t["subject"] for t in block["triggers"]}
