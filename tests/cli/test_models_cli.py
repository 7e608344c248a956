"""`govern models` and `govern models show` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govern.cli.main import app
from tests.conftest import EXPORT_IMPORT

DATABRICKS = EXPORT_IMPORT / "databricks/single"


@pytest.fixture
def db(runner: CliRunner, db_path: Path) -> Path:
    result = runner.invoke(
        app,
        [
            "--db",
            str(db_path),
            "ingest",
            str(DATABRICKS / "versions"),
            str(DATABRICKS / "models/basic"),
        ],
    )
    assert result.exit_code == 0, result.output
    return db_path


def test_models_json_lists_every_version_with_lineage(runner: CliRunner, db: Path) -> None:
    result = runner.invoke(app, ["--db", str(db), "models", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["schema"] == "govern.inventory/v1"
    versions = {(v["model"], v["version"]): v for v in data["versions"]}
    assert set(versions) == {
        ("Sklearn_Wine", "1"),
        ("Sklearn_Wine", "2"),
        ("Sklearn_Wine", "3"),
        ("andre_catalog.ml_models2.sklearn_wine_best", "15"),
    }
    good = versions[("andre_catalog.ml_models2.sklearn_wine_best", "15")]
    assert good["aliases"] == ["white_2"]
    assert good["datasets"][0]["digest"] == "062ac4fa"
    assert good["gaps"] == []
    assert good["created_at"] == "2024-06-05T01:53:59.516Z"
    assert versions[("Sklearn_Wine", "3")]["stage"] == "Production"
    assert data["summary"]["versions_with_gaps"] == 3
    assert data["summary"]["gaps"]["export-failed"] == 1


def test_models_table_and_output_file(runner: CliRunner, db: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["--db", str(db), "models"])
    assert result.exit_code == 0
    assert "Model inventory" in result.stdout
    assert "export-failed" in result.stdout
    out = tmp_path / "inv" / "inventory.json"
    result = runner.invoke(app, ["--db", str(db), "models", "-f", "json", "-o", str(out)])
    assert result.exit_code == 0
    assert json.loads(out.read_text())["summary"]["versions"] == 4


def test_models_gaps_filter(runner: CliRunner, db: Path) -> None:
    result = runner.invoke(app, ["--db", str(db), "models", "--gaps", "-f", "json"])
    assert {v["model"] for v in json.loads(result.stdout)["versions"]} == {"Sklearn_Wine"}


def test_models_show_one_version(runner: CliRunner, db: Path) -> None:
    result = runner.invoke(
        app, ["--db", str(db), "models", "show", "andre_catalog.ml_models2.sklearn_wine_best", "15"]
    )
    assert result.exit_code == 0, result.output
    assert "4afec69ef703ad51d52c41b52696910017475764" in result.stdout
    assert "winequality_white_2" in result.stdout
    assert "lineage gaps" in result.stdout


def test_models_show_unknown_model(runner: CliRunner, db: Path) -> None:
    result = runner.invoke(app, ["--db", str(db), "models", "show", "nope"])
    assert result.exit_code == 2
    assert "not in the store" in result.stderr and "Sklearn_Wine" in result.stderr


def test_models_without_a_store(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["--db", str(tmp_path / "none.duckdb"), "models"])
    assert result.exit_code == 2
    assert "govern ingest" in result.stderr
    assert not (tmp_path / "none.duckdb").exists()


def test_help_has_examples(runner: CliRunner) -> None:
    for args in (["--help"], ["ingest", "--help"], ["models", "--help"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0
        assert "Examples" in result.stdout
