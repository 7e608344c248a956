"""Which model version a monitoring report speaks for, and `check: monitoring` end to end.

A report is linked at ingest (``govern ingest FILE --model NAME [--version V]``) or by its own
metadata (Evidently snapshots keep ``Report(metadata={"model": ..., "model_version": ...})``);
``govern check --as-of`` then judges the linked reports as of that date.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from govern.cli.main import app
from govern.ingest.pipeline import ingest
from govern.store import Store
from govern.store.monitoring import stored_reports, stored_results
from tests.conftest import FIXTURES, MLFLOW

EVIDENTLY = FIXTURES / "evidently"
NOW = datetime(2026, 11, 23, tzinfo=UTC)


def test_ingest_links_reports_to_the_named_model_version(store: Store) -> None:
    ingest(
        store,
        [EVIDENTLY / "0.7.23/report.json"],
        now=NOW,
        options={"model": "credit-risk", "version": "2"},
    )
    ingest(store, [EVIDENTLY / "0.7.15/report.json"], now=NOW, options={"model": "churn"})
    ingest(store, [EVIDENTLY / "0.4.40/report.json"], now=NOW)
    rows = store.query("SELECT model, version FROM monitoring_reports ORDER BY model NULLS LAST")
    assert rows == [
        {"model": "churn", "version": None},
        {"model": "credit-risk", "version": "2"},
        {"model": None, "version": None},
    ]
    by_path = {Path(r.path).relative_to(EVIDENTLY).as_posix(): r for r in stored_reports(store.con)}
    assert by_path["0.7.23/report.json"].link == "ingest"
    assert by_path["0.4.40/report.json"].link is None
    assert by_path["0.4.40/report.json"].generated_at is not None  # 0.4 writes a time
    assert by_path["0.7.23/report.json"].time == by_path["0.7.23/report.json"].ingested_at


def test_snapshots_are_linked_through_their_metadata(store: Store) -> None:
    paths = [EVIDENTLY / "0.4.40/snapshot.json", EVIDENTLY / "0.7.23/snapshot.json"]
    ingest(store, paths, now=NOW)
    reports = stored_reports(store.con, tool="evidently")
    assert [(r.model, r.version, r.link) for r in reports] == [
        ("credit-risk", "2", "report metadata")
    ] * 2
    assert stored_reports(store.con, tool="sagemaker-model-monitor") == []
    results = stored_results(store.con, reports[0].report_id)
    assert [r.seq for r in results] == list(range(len(results)))


POLICY = """\
apiVersion: govern/v1
kind: Policy
metadata: {id: monitoring}
scope: {models: [credit-risk], aliases: [champion]}
rules:
  - id: monitoring.drift-share
    check: monitoring
    severity: warn
    source: evidently
    metric: share_of_drifted_columns
    max: 0.5
    max_age: 30d
    controls: [eu-ai-act:Art.72(1)]
  - id: monitoring.tests
    check: monitoring
    require: no_failed_tests
"""


def test_check_with_monitoring_rules_as_of(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    def run(*args: str):  # type: ignore[no-untyped-def]
        result = runner.invoke(app, ["--db", str(db_path), *args])
        assert result.exit_code in (0, 1), result.output
        return result

    run("ingest", str(MLFLOW / "v3" / "mlflow.db"))
    # a 0.4 report and test suite (both dated 2026-11-22 in the file), linked at ingest
    run(
        "ingest",
        str(EVIDENTLY / "0.4.40/report.json"),
        str(EVIDENTLY / "0.4.40/test_suite.json"),
        "--model",
        "credit-risk",
        "--version",
        "2",
    )
    (tmp_path / "policy.yaml").write_text(POLICY)
    check = ["check", "-p", str(tmp_path / "policy.yaml"), "-f", "json", "--fail-on", "warn"]

    fresh = json.loads(run(*check, "--as-of", "2026-11-30").stdout)["findings"]
    by_rule = {f["rule"]: f for f in fresh}
    share = by_rule["monitoring.drift-share"]
    assert share["status"] == "pass" and share["value"] == 3 / 7
    assert share["version"] == "2" and share["threshold"] == {"max": 0.5, "max_age": "30d"}
    # the test suite (written after the report) is the latest report holding the share
    assert share["evidence"]["report"]["path"].endswith("0.4.40/test_suite.json")
    tests = by_rule["monitoring.tests"]
    assert tests["status"] == "fail" and "Drift per Column [x1]" in tests["message"]
    assert tests["evidence"]["report"]["kind"] == "test_suite"
    assert {i["status"] for i in tests["evidence"]["items"]} == {"FAIL"}

    stale = json.loads(run(*check, "--as-of", "2027-03-01").stdout)["findings"]
    share = next(f for f in stale if f["rule"] == "monitoring.drift-share")
    assert share["status"] == "fail" and "stale" in share["message"]

    before = json.loads(run(*check, "--as-of", "2026-11-01").stdout)["findings"]
    assert {f["status"] for f in before} == {"not_evaluated"}
