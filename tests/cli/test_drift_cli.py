"""Drift rules end to end: ingest a reference and a month of logs, `govern check`, findings."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from govern.cli.main import app
from tests.checks.test_rule_cases import generated_log
from tests.conftest import MLFLOW

POLICY = """\
apiVersion: govern/v1
kind: Policy
metadata: {id: monitoring}
scope: {models: [credit-risk], aliases: [champion]}
rules:
  - id: drift.features
    check: drift
    severity: warn
    features: [x1, x2, region]
    include: [score]
    window: month
    max_share_drifted: 0.5
    controls: [eu-ai-act:Art.72(1), nist-ai-rmf:MEASURE-2.4]
"""


def test_check_reports_drift_per_feature(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    def run(*args: str):  # type: ignore[no-untyped-def]
        result = runner.invoke(app, ["--db", str(db_path), *args])
        assert result.exit_code in (0, 1), result.output
        return result

    run("ingest", str(MLFLOW / "v3" / "mlflow.db"))
    mapping = ["--model", "credit-risk", "--timestamp", "ts", "--prediction", "approved",
               "--score", "score"]  # fmt: skip
    ref = generated_log({"rows": 2000, "seed": 1}, tmp_path / "train.parquet")
    cur = generated_log(
        {"rows": 24 * 61, "seed": 2, "start": "2026-09-01", "shift": {"x1": 0.7}},
        tmp_path / "prod.parquet",
    )
    run("ingest", str(ref), *mapping, "--role", "reference")
    run("ingest", str(cur), *mapping, "--role", "current", "--version", "2")
    (tmp_path / "policy.yaml").write_text(POLICY)
    result = run("check", "-p", str(tmp_path / "policy.yaml"), "-f", "json", "--fail-on", "warn")
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    by_subject = {f["subject"]: f for f in findings}
    assert set(by_subject) == {"x1", "x2", "region", "score", "share_drifted"}
    assert {f["version"] for f in findings} == {"2"}  # the champion, the only version in scope
    assert by_subject["x1"]["status"] == "fail" and by_subject["x2"]["status"] == "pass"
    assert by_subject["x1"]["evidence"]["window"] == "[2026-10-01, 2026-11-01)"
    assert by_subject["x1"]["evidence"]["current_n"] == 31 * 24
    assert by_subject["x1"]["metric"] == "ks" and by_subject["region"]["metric"] == "chisquare"
    assert by_subject["share_drifted"]["status"] == "pass"  # 1 of 4 <= 0.5
    table = run("check", "-p", str(tmp_path / "policy.yaml"))
    assert "drift.features[x1]" in table.stdout
