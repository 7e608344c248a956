"""One run of `govern demo` shared by the demo tests (it takes a few seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from govern.cli.main import app


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    """The demo store and the CLI result of one `govern demo` run."""
    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    result = CliRunner().invoke(app, ["demo", "--demo-db", str(db)])
    assert result.exit_code == 0, result.output
    return db, result
