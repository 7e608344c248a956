"""One run of `govern demo` shared by the demo tests (it takes a few seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from govern.cli.main import app
from govern.store import Store
from tests.conftest import EXPORT_IMPORT
from tests.policy.test_engine import POLICY

DATABRICKS = EXPORT_IMPORT / "databricks/single"


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    """The demo store and the CLI result of one `govern demo` run.

    The run starts where an earlier demo left a store and a stale write-ahead log: the demo
    replaces both (``test_demo_starts_from_a_fresh_store``).
    """
    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    Store.open(db).close()
    db.with_name("demo.duckdb.wal").write_bytes(b"stale")
    out = db.parent / "reports"
    result = CliRunner().invoke(app, ["demo", "--demo-db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return db, result


@pytest.fixture
def env(runner: CliRunner, db_path: Path, tmp_path: Path) -> tuple[Path, Path]:
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
    policy_dir = tmp_path / "policies"
    policy_dir.mkdir()
    (policy_dir / "wine.yaml").write_text(POLICY)
    return db_path, policy_dir
