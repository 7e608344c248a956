"""A write opens the store once (issue 10, item 6), and still never changes a file not govern's.

``Store.open`` for a write connects for writing straight away, unless a write-ahead log lies
beside the file (DuckDB would fold it into the file on close) or the file cannot be opened for
writing: then a read-only probe looks first, as before. ``test_opening.py`` holds the rest of
the guarantees (a foreign file keeps every byte, damaged and truncated stores are refused).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from govern.cli.main import app
from govern.demo import demo_policies
from govern.errors import StoreError
from govern.store import Store
from govern.store import store as store_module
from tests.conftest import FIXTURES, MLFLOW

OTHER_APP = FIXTURES / "store" / "other-app.duckdb"
SQLITE = MLFLOW / "v2" / "mlflow.db"
#: commands that open the store for writing
WRITES = [["ingest", str(SQLITE)], ["gate", "credit-risk", "2", "-p", str(demo_policies())]]


def _digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """The ``read_only`` of every connection ``Store`` makes."""
    made: list[bool] = []
    real = store_module.connect

    def recording(database: str = ":memory:", *, read_only: bool = False) -> Any:
        made.append(read_only)
        return real(database, read_only=read_only)

    monkeypatch.setattr(store_module, "connect", recording)
    return made


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "s.duckdb"
    Store.open(path).close()
    return path


def test_a_write_connects_once(db: Path, connections: list[bool]) -> None:
    with Store.open(db) as store:
        assert store.con.execute("SELECT count(*) FROM sources").fetchone() == (0,)
    assert connections == [False]


def test_a_read_connects_once_read_only(db: Path, connections: list[bool]) -> None:
    Store.open(db, read_only=True).close()
    assert connections == [True]


def test_a_pending_write_ahead_log_is_probed_first(db: Path, connections: list[bool]) -> None:
    con = duckdb.connect(str(db))
    con.execute("PRAGMA disable_checkpoint_on_shutdown")
    con.execute("CREATE TABLE pending (a INTEGER)")
    con.close()
    assert db.with_name(db.name + ".wal").exists()
    Store.open(db).close()
    assert connections == [True, False]


def test_a_file_that_cannot_be_opened_for_writing_is_probed(
    db: Path, connections: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = store_module.Store._connect

    def no_writing(path: Path, *, read_only: bool) -> Store:
        if not read_only:
            raise StoreError("cannot open the govern store for writing: permission denied")
        return real(path, read_only=read_only)

    monkeypatch.setattr(store_module.Store, "_connect", no_writing)
    with pytest.raises(StoreError, match="permission denied"):
        Store.open(db)


@pytest.mark.parametrize("args", WRITES, ids=["ingest", "gate"])
def test_a_foreign_file_with_a_pending_log_keeps_every_byte(
    tmp_path: Path, args: list[str]
) -> None:
    foreign = tmp_path / "other.duckdb"
    shutil.copyfile(OTHER_APP, foreign)
    con = duckdb.connect(str(foreign))
    con.execute("PRAGMA disable_checkpoint_on_shutdown")
    con.execute("CREATE TABLE late (a INTEGER)")
    con.execute("INSERT INTO late VALUES (1)")
    con.close()
    wal = foreign.with_name(foreign.name + ".wal")
    before = (_digest(foreign), _digest(wal))
    assert before[1] is not None
    result = CliRunner().invoke(app, ["--db", str(foreign), *args])
    assert result.exit_code == 2, result.output
    assert "not a govern store" in result.stderr
    assert (_digest(foreign), _digest(wal)) == before


@pytest.mark.parametrize("args", WRITES, ids=["ingest", "gate"])
def test_a_foreign_file_opened_for_writing_keeps_every_byte(
    tmp_path: Path, args: list[str], connections: list[bool]
) -> None:
    foreign = tmp_path / "other.duckdb"
    shutil.copyfile(OTHER_APP, foreign)
    before = _digest(foreign)
    result = CliRunner().invoke(app, ["--db", str(foreign), *args])
    assert result.exit_code == 2, result.output
    assert "not a govern store" in result.stderr
    assert connections == [False]  # refused on the one connection, for writing
    assert _digest(foreign) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.duckdb"]  # no .wal either
