"""`govern ingest` counts the monitoring reports and results it loads (``Batch.counts``)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from govern.cli.main import app
from govern.ingest.base import sniff
from govern.ingest.registry import detect
from govern.records.registry import Batch
from govern.store import Store
from tests.conftest import FIXTURES, PUBLIC

EVIDENTLY = FIXTURES / "evidently"
VIOLATIONS = PUBLIC / "sagemaker-python-sdk/tests/data/monitor/constraint_violations.json"


def read(path: Path) -> Batch:
    candidate = sniff(path)
    adapter = detect(candidate)
    assert adapter is not None
    return adapter.read(candidate)


def test_batch_counts_monitoring_records() -> None:
    counts = read(EVIDENTLY / "0.7.23/report.json").counts()
    # DriftedColumnsCount + one ValueDrift per feature (5)
    assert counts["monitoring_reports"] == 1
    assert counts["monitoring_results"] == 6
    assert counts["versions"] == counts["runs"] == 0


def test_extended_batches_add_up() -> None:
    report, violations = read(EVIDENTLY / "0.4.40/report.json"), read(VIOLATIONS)
    # the dataset share + 7 columns (features, target, prediction); one row per violation
    expected = 8 + len(json.loads(VIOLATIONS.read_text())["violations"])
    report.extend(violations)
    counts = report.counts()
    assert counts["monitoring_reports"] == 2
    assert counts["monitoring_results"] == expected


def test_registry_batches_have_no_monitoring_keys() -> None:
    assert "monitoring_reports" not in Batch().counts()


def test_cli_shows_the_monitoring_counts(runner: CliRunner, db_path: Path) -> None:
    args = ["--db", str(db_path), "ingest", str(EVIDENTLY / "0.7.23"), str(VIOLATIONS)]
    table = runner.invoke(app, args)
    assert table.exit_code == 0, table.output
    with Store.open(db_path, read_only=True) as store:
        (row,) = store.query(
            "SELECT (SELECT count(*) FROM monitoring_reports) AS reports, "
            "(SELECT count(*) FROM monitoring_results) AS results"
        )
    assert f"{row['reports']} monitoring reports with {row['results']} results" in table.stdout
    stored = [json.loads(r["counts"]) for r in _sources(db_path)]
    assert sum(c["monitoring_reports"] for c in stored) == row["reports"]
    assert sum(c["monitoring_results"] for c in stored) == row["results"]

    again = runner.invoke(app, [*args, "--format", "json"])
    report = json.loads(again.stdout)
    assert report["loaded"] == [] and "monitoring_reports" not in report["totals"]


def test_cli_json_totals(runner: CliRunner, db_path: Path) -> None:
    result = runner.invoke(
        app, ["--db", str(db_path), "ingest", str(EVIDENTLY / "0.4.40"), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["totals"]["monitoring_reports"] == 5
    assert all(u["counts"]["monitoring_reports"] == 1 for u in report["loaded"])
    assert report["totals"]["monitoring_results"] == sum(
        u["counts"]["monitoring_results"] for u in report["loaded"]
    )


def _sources(db_path: Path) -> list[dict[str, object]]:
    with Store.open(db_path, read_only=True) as store:
        return store.query("SELECT counts FROM sources")
