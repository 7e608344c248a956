"""`govern check` and `govern gate` with an explainability rule on the demo store (credit-risk v2).

The demo ships v2's model (``scripts/fixtures/make_demo_model.py``) in its FileStore, which
govern finds next to the ingested store. The tests also train another model on the demo's
reference log, save it with skops where MLflow recorded credit-risk v2's logged model (a path
on Alice's machine), and point govern there with --artifact-root, which comes first.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from govern.cli.main import app
from govern.demo import DEMO_DIR, demo_logs
from govern.explain.loading import OPTIONS
from tests.stores import demo_store

OLD = "file:///home/alice/projects/credit/file/mlruns"
MODEL = "500330610904423518/models/m-0c8d87e0563e48ab8d8e7c2fe5ef0469/artifacts"
FEATURES = ["appinc", "loanamt", "hrat", "obrat", "chist", "pubrec"]
POLICY = """\
apiVersion: govern/v1
kind: Policy
metadata: {id: explain, version: 1, owner: risk@example.com}
scope: {models: [credit-risk]}
rules:
  - id: explain.top
    check: explainability
    severity: block
    not_in_top_k: {features: [race, sex], k: 3}
    max_share: 0.95
    proxy_screen: {max_association: 0.9, top_k: 3}
    sample: 200
    seed: 1
"""


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """The demo store, a folder standing in for Alice's mlruns, and the policy."""
    import skops.io as sio
    from sklearn.ensemble import GradientBoostingClassifier

    tmp = tmp_path_factory.mktemp("explain-cli")
    db = demo_store(tmp / "store.duckdb", now=datetime(2026, 11, 23, tzinfo=UTC))
    frame = pd.read_parquet(demo_logs()["reference"])
    model = GradientBoostingClassifier(n_estimators=30, random_state=0)
    model.fit(frame[FEATURES], frame["lender_approved"])
    folder = tmp / "mlruns" / MODEL
    folder.mkdir(parents=True)
    sio.dump(model, folder / "model.skops")
    # the MLmodel ingested for v2 (the demo export has it, without the model file)
    shutil.copyfile(
        DEMO_DIR / "exports" / "mlflow3-filestore" / MODEL / "MLmodel", folder / "MLmodel"
    )
    policy = tmp / "explain.yaml"
    policy.write_text(POLICY)
    return db, tmp / "mlruns", policy


def check(db: Path, policy: Path, *extra: str) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(
        app,
        ["--db", str(db), "check", "-p", str(policy), "--model", "credit-risk",
         "-f", "json", *(extra if "--version" in extra else ("--version", "2", *extra))],
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def test_check_with_artifact_root(setup: tuple[Path, Path, Path]) -> None:
    db, root, policy = setup
    _, report = check(db, policy, "--artifact-root", f"{OLD}={root}")
    findings = {f["subject"]: f for f in report["findings"]}  # type: ignore[index, union-attr]
    assert {findings[k]["status"] for k in ("not_in_top_k", "max_share", "proxy_screen")} <= {
        "pass",
        "fail",
    }
    evidence = findings["max_share"]["evidence"]
    assert set(evidence["importance"]) == set(FEATURES)
    assert set(evidence["by_group"]) == {"race", "sex"}
    assert evidence["seed"] == 1 and evidence["sample_size"] == 200
    # the mapping was this command's: the next command in the process does not inherit it
    assert OPTIONS.get() is None


def test_check_without_the_mapping_finds_the_model_beside_the_ingested_store(
    setup: tuple[Path, Path, Path],
) -> None:
    db, _, policy = setup
    _, report = check(db, policy)
    findings = {f["subject"]: f for f in report["findings"]}  # type: ignore[index, union-attr]
    evidence = findings["max_share"]["evidence"]
    # the demo's own model: twelve inputs, a scaled logistic regression explained exactly
    assert len(evidence["importance"]) == 12 and "gdlin" in evidence["importance"]
    assert evidence["explainer"] == "linear (log-odds)"
    assert {findings[k]["status"] for k in ("not_in_top_k", "max_share")} <= {"pass", "fail"}


def test_check_of_a_version_whose_model_file_was_not_exported_is_not_evaluated(
    setup: tuple[Path, Path, Path],
) -> None:
    db, _, policy = setup
    _, report = check(db, policy, "--version", "1")  # v1's export has MLmodel, no model.skops
    found = report["findings"]  # type: ignore[index]
    assert found and all(f["status"] == "not_evaluated" for f in found)  # type: ignore[union-attr]
    assert "--artifact-root" in found[0]["message"]  # type: ignore[index]


def test_bad_artifact_root_is_a_usage_error(setup: tuple[Path, Path, Path]) -> None:
    db, _, policy = setup
    result = CliRunner().invoke(
        app, ["--db", str(db), "check", "-p", str(policy), "--artifact-root", "nowhere"]
    )
    assert result.exit_code == 2
    assert "OLD=NEW" in result.output


def test_gate_keeps_the_explanation_in_the_store(setup: tuple[Path, Path, Path]) -> None:
    from govern.store.store import Store

    db, root, policy = setup
    result = CliRunner().invoke(
        app,
        ["--db", str(db), "gate", "credit-risk", "2", "-p", str(policy),
         "--artifact-root", f"{OLD}={root}"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with Store.open(db, read_only=True) as store:
        rows = store.query("SELECT model, version, seed, sample_size, result FROM explanations")
    assert [(r["model"], r["version"], r["seed"], r["sample_size"]) for r in rows] == [
        ("credit-risk", "2", 1, 200)
    ]
    assert set(json.loads(rows[0]["result"])["importance"]["current"]) == set(FEATURES)


def test_another_models_artefacts_are_refused(
    setup: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    db, root, policy = setup
    other = tmp_path / "mlruns" / MODEL
    shutil.copytree(root / MODEL, other)
    (other / "MLmodel").write_text((root / MODEL / "MLmodel").read_text() + "\n# retrained\n")
    _, report = check(db, policy, "--artifact-root", f"{OLD}={tmp_path / 'mlruns'}")
    found = report["findings"]  # type: ignore[index]
    assert all(f["status"] == "not_evaluated" for f in found)  # type: ignore[union-attr]
    assert "is not the MLmodel ingested for credit-risk v2" in found[0]["message"]  # type: ignore[index]


@pytest.mark.parametrize("fmt", ["table", "markdown", "sarif", "junit"])
def test_every_check_format_renders_explainability(
    setup: tuple[Path, Path, Path], fmt: str
) -> None:
    db, root, policy = setup
    result = CliRunner().invoke(
        app,
        ["--db", str(db), "check", "-p", str(policy), "--model", "credit-risk", "--version", "2",
         "-f", fmt, "--artifact-root", f"{OLD}={root}"],
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    assert "explain.top" in result.stdout
