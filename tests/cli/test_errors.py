"""How failures end: bad input 2, a DuckDB IO error 2 (plain), a bug 3 (issues 9 and 10)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from govern.cli import models as models_cli
from govern.cli.main import app
from tests.conftest import EXPORT_IMPORT


@pytest.fixture
def db(runner: CliRunner, db_path: Path) -> Path:
    export = EXPORT_IMPORT / "databricks/single/versions/sklearn_wine"
    assert runner.invoke(app, ["--db", str(db_path), "ingest", str(export)]).exit_code == 0
    return db_path


@pytest.mark.parametrize(
    ("error", "code", "needles"),
    [
        (
            duckdb.IOException("IO Error: Could not read enough bytes from file"),
            2,
            ["could not be read or written", "Could not read enough bytes", "damaged"],
        ),
        (ZeroDivisionError("division by zero"), 3, ["unexpectedly", "please report it"]),
    ],
    ids=["duckdb-io", "bug"],
)
def test_failure_exit_codes(
    runner: CliRunner,
    db: Path,
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
    code: int,
    needles: list[str],
) -> None:
    def failing(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(models_cli, "inventory", failing)
    result = runner.invoke(app, ["--db", str(db), "models"])
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in result.stderr, result.stderr
    verbose = runner.invoke(app, ["--db", str(db), "--verbose", "models"])
    assert verbose.exit_code == code and "Traceback" in verbose.stderr
