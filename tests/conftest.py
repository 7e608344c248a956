"""Shared test fixtures: paths to real exports, a fresh store, a CLI runner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govern.store import Store

FIXTURES = Path(__file__).parent / "fixtures"
PUBLIC = FIXTURES / "public"
EXPORT_IMPORT = PUBLIC / "mlflow-export-import" / "samples"
MLFLOW = FIXTURES / "mlflow"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "govern.duckdb"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    with Store.open(db_path) as s:
        yield s


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def dump_store(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, sorted: to prove a failed command changed nothing."""
    if not path.exists():
        return {}
    with Store.open(path, read_only=True) as s:
        tables = [
            r["table_name"]
            for r in s.query("SELECT table_name FROM information_schema.tables ORDER BY table_name")
        ]
        # as text: TIMESTAMP WITH TIME ZONE values would need pytz to become Python objects
        return {
            t: sorted(
                s.con.execute(f"SELECT CAST(COLUMNS(*) AS VARCHAR) FROM {t}").fetchall(), key=repr
            )
            for t in tables
        }
