"""Shared test fixtures: paths to real exports, a fresh store, a CLI runner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govern.store import Store
from govern.store.store import connect

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
    # a plain read-only connection: Store.open would migrate an older store, or refuse a file
    # that is not govern's, and the probe must neither change nor judge what it looks at
    con = connect(str(path), read_only=True)
    try:
        tables = [
            str(r[0])
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables ORDER BY table_name"
            ).fetchall()
        ]
        # as text: TIMESTAMP WITH TIME ZONE values would need pytz to become Python objects
        return {
            t: sorted(
                con.execute(f'SELECT CAST(COLUMNS(*) AS VARCHAR) FROM "{t}"').fetchall(), key=repr
            )
            for t in tables
        }
    finally:
        con.close()
