"""Opening the store (issue 9, items 4, 6, 9): only govern's own file, created only by ingest.

What the one-line cases of ``tests/hostile/cases/store.yaml`` cannot say: a foreign file keeps
every byte, no folder appears, a truncated or damaged store and a full disk get plain messages,
a CSV whose type changes past DuckDB's sample names the column and line, and the prediction
view binds its values instead of splicing them into SQL.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from govern.cli.main import app
from govern.demo import demo_policies
from govern.errors import IngestError, StoreError
from govern.ingest.pipeline import ingest
from govern.records.predictions import PredictionLog
from govern.store import Store
from govern.store import predictions as logs
from govern.store.schema import SCHEMA_VERSION
from govern.store.store import CONNECTION_CONFIG, connect, delete_store
from tests.conftest import EXPORT_IMPORT, FIXTURES, MLFLOW, dump_store
from tests.policy.test_engine import GOOD, POLICY

OTHER_APP = FIXTURES / "store" / "other-app.duckdb"
SQLITE = MLFLOW / "v2" / "mlflow.db"
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _govern(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args))
    assert "unexpectedly" not in result.output, result.output
    assert "Traceback" not in result.output, result.output
    return result


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    """A govern store with the MLflow 2 fixture's registry."""
    db = tmp_path / "registry.duckdb"
    with Store.open(db) as store:
        ingest(store, [SQLITE], now=NOW)
    return db


# -- connections ------------------------------------------------------------------------------


def test_every_connection_has_extension_autoload_and_autoinstall_off() -> None:
    con = connect()
    settings = dict(
        con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN "
            "('autoload_known_extensions', 'autoinstall_known_extensions')"
        ).fetchall()
    )
    assert settings == {
        "autoload_known_extensions": "false",
        "autoinstall_known_extensions": "false",
    }
    assert CONNECTION_CONFIG["allow_community_extensions"] is False
    with pytest.raises(duckdb.CatalogException):  # not fetched from the network
        con.execute("SELECT * FROM read_xlsx('book.xlsx')")


def test_ingest_adapters_connect_through_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The in-memory connections of the prediction-log adapters have autoload off too."""
    from datetime import UTC, datetime

    made: list[dict[str, Any]] = []
    real = duckdb.connect

    def recording(database: str = ":memory:", **kwargs: Any) -> Any:
        made.append(dict(kwargs.get("config") or {}))
        return real(database, **kwargs)

    monkeypatch.setattr(duckdb, "connect", recording)
    log = tmp_path / "log.csv"
    log.write_text("ts,p\n2026-01-01T00:00:00Z,1\n2026-01-02T00:00:00Z,0\n", encoding="utf-8")
    with Store.open(tmp_path / "s.duckdb") as store:
        opts = {"model": "m", "role": "current", "timestamp": "ts", "prediction": "p"}
        ingest(store, [log], now=datetime.now(UTC), options=opts)
    assert len(made) >= 2  # the store's and the adapter's
    assert all(c.get("autoload_known_extensions") is False for c in made), made


def test_store_connection_has_extension_autoload_off(registry: Path) -> None:
    with Store.open(registry, read_only=True) as store:
        (value,) = store.con.execute(
            "SELECT current_setting('autoinstall_known_extensions')"
        ).fetchone() or (None,)
    assert value is False


# -- a file that is not govern's --------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["gate", "credit-risk", "2", "-p", str(demo_policies())],
        ["ingest", str(SQLITE)],
        ["check", "-p", str(demo_policies())],
        ["models"],
    ],
    ids=["gate", "ingest", "check", "models"],
)
@pytest.mark.parametrize("foreign", [OTHER_APP, SQLITE], ids=["duckdb", "sqlite"])
def test_foreign_file_keeps_every_byte(foreign: Path, args: list[str], tmp_path: Path) -> None:
    db = tmp_path / foreign.name
    shutil.copyfile(foreign, db)
    before = _digest(db)
    result = _govern("--db", str(db), *args)
    assert result.exit_code == 2, result.output
    assert "not a govern store" in result.stderr
    assert _digest(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [db.name]  # no .wal either


@pytest.mark.parametrize("foreign", [OTHER_APP, SQLITE], ids=["duckdb", "sqlite"])
def test_demo_never_deletes_a_foreign_file(foreign: Path, tmp_path: Path) -> None:
    db = tmp_path / foreign.name
    shutil.copyfile(foreign, db)
    before = _digest(db)
    result = _govern("--db", str(tmp_path / "govern.duckdb"), "demo", "--demo-db", str(db))
    assert result.exit_code == 2, result.output
    assert "not a govern store" in result.stderr
    assert _digest(db) == before


def test_delete_store_removes_a_govern_store_and_its_wal(registry: Path) -> None:
    wal = registry.with_name(registry.name + ".wal")
    wal.write_bytes(b"")
    delete_store(registry)
    assert not registry.exists()
    assert not wal.exists()
    delete_store(registry)  # nothing there: nothing to do


def test_schema_version_table_alone_is_not_govern(tmp_path: Path) -> None:
    """The fixture has a ``schema_version`` table (a common name) but no govern tables."""
    db = tmp_path / "other.duckdb"
    shutil.copyfile(OTHER_APP, db)
    with pytest.raises(StoreError, match="not a govern store"):
        Store.open(db)


def test_empty_duckdb_database_is_not_govern(tmp_path: Path) -> None:
    db = tmp_path / "empty.duckdb"
    connect(str(db)).close()
    before = _digest(db)
    with pytest.raises(StoreError, match="not a govern store"):
        Store.open(db)
    assert _digest(db) == before


def test_empty_file_becomes_a_store(tmp_path: Path) -> None:
    """An empty file (``mktemp``) is where the user asked a new store to go."""
    db = tmp_path / "new.duckdb"
    db.touch()
    result = _govern("--db", str(db), "ingest", str(SQLITE))
    assert result.exit_code == 0, result.output
    with Store.open(db, read_only=True) as store:
        assert store.schema_version() == SCHEMA_VERSION


# -- creating ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["gate", "credit-risk", "2", "-p", str(demo_policies())],
        ["check", "-p", str(demo_policies())],
        ["models"],
        ["review", "credit-risk"],
    ],
    ids=["gate", "check", "models", "review"],
)
def test_mistyped_db_creates_nothing(args: list[str], tmp_path: Path) -> None:
    db = tmp_path / "typo" / "deeper" / "govern.duckdb"
    result = _govern("--db", str(db), *args)
    assert result.exit_code == 2, result.output
    assert f"there is no govern store at {db}" in result.stderr
    assert "govern ingest" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_store_open_without_create_raises(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no govern store"):
        Store.open(tmp_path / "x" / "g.duckdb", create=False)
    assert list(tmp_path.iterdir()) == []


def test_failed_block_removes_the_store_it_created(tmp_path: Path) -> None:
    db = tmp_path / "new" / "sub" / "g.duckdb"
    with pytest.raises(RuntimeError), Store.open(db):
        raise RuntimeError("the ingest failed")
    assert list(tmp_path.iterdir()) == []


def test_failed_block_keeps_an_existing_store(registry: Path) -> None:
    before = dump_store(registry)
    with pytest.raises(RuntimeError), Store.open(registry):
        raise RuntimeError("the ingest failed")
    assert dump_store(registry) == before


# -- stores of earlier versions ----------------------------------------------------------------


def _as_version_5(db: Path) -> None:
    """Make ``db`` look like a store of govern before the govern_meta mark (schema 5)."""
    con = connect(str(db))
    con.execute("DROP TABLE govern_meta")
    con.execute("DROP TABLE IF EXISTS explanations")  # schema 7
    con.execute("DELETE FROM schema_version WHERE version > 5")
    con.close()


@pytest.mark.parametrize("read_only", [False, True], ids=["write", "read"])
def test_store_of_an_earlier_version_opens_and_is_marked(registry: Path, read_only: bool) -> None:
    _as_version_5(registry)
    with Store.open(registry, read_only=read_only) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert store.query("SELECT * FROM govern_meta") == [
            {"key": "application", "value": "govern"}
        ]
        assert store.query("SELECT count(*) AS n FROM model_versions")[0]["n"] > 0


def test_store_of_an_earlier_version_through_the_cli(registry: Path) -> None:
    _as_version_5(registry)
    result = _govern("--db", str(registry), "models", "-f", "json")
    assert result.exit_code == 0, result.output


# -- damaged stores ------------------------------------------------------------------------


@pytest.mark.parametrize("keep", [100, 20_000, 0.5, -1000], ids=str)
@pytest.mark.parametrize(
    "args",
    [["models"], ["ingest", str(SQLITE)], ["gate", "credit-risk", "2", "-p", str(demo_policies())]],
    ids=["models", "ingest", "gate"],
)
def test_truncated_store_is_refused_plainly(
    registry: Path, tmp_path: Path, keep: float, args: list[str]
) -> None:
    data = registry.read_bytes()
    size = int(len(data) * keep) if isinstance(keep, float) else keep % len(data)
    cut = tmp_path / "cut.duckdb"
    cut.write_bytes(data[:size])
    result = _govern("--db", str(cut), *args)
    assert result.exit_code == 2, result.output
    assert "cut.duckdb" in result.stderr
    assert "backup" in result.stderr
    assert cut.read_bytes() == data[:size]


@pytest.mark.parametrize(
    "damage",
    ["DROP TABLE runs", "DROP TABLE ledger", "ALTER TABLE sources DROP COLUMN counts"],
)
def test_damaged_store_is_refused_plainly(registry: Path, damage: str) -> None:
    con = connect(str(registry))
    con.execute(damage)
    con.close()
    before = _digest(registry)
    for args in (["models"], ["ingest", str(MLFLOW / "v3" / "mlflow.db")]):
        result = _govern("--db", str(registry), *args)
        assert result.exit_code == 2, result.output
        assert "is damaged" in result.stderr
        assert "missing" in result.stderr
    assert _digest(registry) == before


# -- a full disk -------------------------------------------------------------------------------


class _FullDisk:
    """A connection whose COMMIT fails the way DuckDB does when the disk is full."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con

    def execute(self, sql: str, *args: Any) -> Any:
        if sql.strip().upper() == "COMMIT":
            self._con.execute("ROLLBACK")
            raise duckdb.IOException(
                'IO Error: Could not write file "govern.duckdb.wal": No space left on device'
            )
        return self._con.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def test_full_disk_at_commit_is_a_plain_error(registry: Path) -> None:
    before = dump_store(registry)
    with Store.open(registry) as store:
        real = store.con
        store.con = _FullDisk(real)  # type: ignore[assignment]
        with pytest.raises(StoreError) as info:
            ingest(store, [MLFLOW / "v3" / "mlflow.db"], now=NOW)
        store.con = real
    text = info.value.diagnostics()
    assert "No space left on device" in text
    assert "Nothing was written" in text
    assert dump_store(registry) == before


FILE_LIMIT = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
from govern.cli.main import run
sys.argv = ["govern", *sys.argv[2:]]
run()
"""


def test_file_size_limit_while_writing_is_a_plain_error(registry: Path, tmp_path: Path) -> None:
    """A real write failure (RLIMIT_FSIZE stands in for a full disk): exit 2, nothing written."""
    log = tmp_path / "log.csv"
    rows = "".join(
        f"2026-11-{1 + i % 28:02d}T00:00:00,{i % 2},{i / 7:.4f}\n" for i in range(40_000)
    )
    log.write_text("ts,pred,x\n" + rows, encoding="utf-8")
    before = dump_store(registry)
    args = ["--db", str(registry), "ingest", str(log), "--model", "m", "--role", "current"]
    args += ["--timestamp", "ts", "--prediction", "pred"]
    proc = subprocess.run(
        [sys.executable, "-c", FILE_LIMIT, "100000", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "could not write to the store" in proc.stderr
    assert "Nothing was written" in proc.stderr
    assert "unexpectedly" not in proc.stderr
    assert dump_store(registry) == before


# -- a CSV whose type changes after DuckDB's sample ----------------------------------------


def _late_change(path: Path, rows: int = 21_000) -> None:
    body = "".join(f"2026-11-{1 + i % 28:02d}T00:00:00,{i % 2},{i % 90}\n" for i in range(rows))
    path.write_text("ts,pred,age\n" + body + "2026-11-02T00:00:00,1,unknown\n", encoding="utf-8")


def test_csv_type_change_after_the_sample_names_column_and_line(
    registry: Path, tmp_path: Path
) -> None:
    log = tmp_path / "late.csv"
    _late_change(log)
    before = dump_store(registry)
    base = ["--db", str(registry), "ingest", str(log), "--model", "m", "--role", "current"]
    base += ["--timestamp", "ts", "--prediction", "pred"]
    result = _govern(*base)
    assert result.exit_code == 2, result.output
    assert "column 'age' changes type at line 21002" in result.stderr
    assert "'unknown' is not BIGINT" in result.stderr
    assert "--sample-size -1" in result.stderr
    assert dump_store(registry) == before
    again = _govern(*base, "--sample-size", "-1")
    assert again.exit_code == 0, again.output
    with Store.open(registry, read_only=True) as store:
        (info,) = logs.logs(store, model="m")
    assert info.rows == 21_001
    assert info.columns["age"] == "VARCHAR"


def test_jsonl_type_change_after_the_sample_names_the_line(registry: Path, tmp_path: Path) -> None:
    log = tmp_path / "late.jsonl"
    rows = [{"ts": "2026-11-01T00:00:00", "pred": i % 2, "age": i % 90} for i in range(21_000)]
    rows.append({"ts": "2026-11-01T00:00:00", "pred": 1, "age": "unknown"})
    log.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    before = dump_store(registry)
    base = ["--db", str(registry), "ingest", str(log), "--model", "m", "--role", "current"]
    base += ["--timestamp", "ts", "--prediction", "pred"]
    result = _govern(*base)
    assert result.exit_code == 2, result.output
    assert "line 21001 has a value of another type" in result.stderr
    assert "--sample-size -1" in result.stderr
    assert dump_store(registry) == before
    assert _govern(*base, "--sample-size", "-1").exit_code == 0


def test_load_error_without_a_line_still_explains(tmp_path: Path) -> None:
    error = logs._load_error(
        _plain_log(tmp_path), duckdb.ConversionException("Conversion Error: bad value")
    )
    assert isinstance(error, IngestError)
    assert "could not be loaded: Conversion Error: bad value" in error.diagnostics()


def _plain_log(tmp_path: Path) -> PredictionLog:
    from govern.ingest.base import sniff
    from govern.ingest.predictions import PredictionLogAdapter

    path = tmp_path / "p.csv"
    path.write_text("ts,pred\n2026-11-01T00:00:00,1\n", encoding="utf-8")
    candidate = sniff(path)
    candidate.options = {"model": "m", "role": "current", "timestamp": "ts", "prediction": "pred"}
    batch = PredictionLogAdapter().read(candidate)
    (planned,) = batch.extra["predictions"]
    assert isinstance(planned, PredictionLog)
    return planned


# -- the prediction view binds its values --------------------------------------------------


def test_relation_binds_values_and_keeps_them_out_of_the_sql(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text(
        "ts,pred,id\n2026-10-31T23:00:00,1,a\n2026-11-01T00:00:00,0,b\n2026-11-02T00:00:00,1,c\n",
        encoding="utf-8",
    )
    model, version = "m'?; --", "2?$1"
    with Store.open(tmp_path / "g.duckdb") as store:
        options = {
            "model": model,
            "version": version,
            "role": "current",
            "timestamp": "ts",
            "prediction": "pred",
            "id": "id",
        }
        ingest(store, [log], now=NOW, options=options)
        window = logs.Window(
            start=datetime(2026, 11, 1, tzinfo=UTC),
            end=datetime(2026, 11, 3, tzinfo=UTC),
        )
        logs.relation(store, "__v", model=model, role="current", version=version, window=window)
        rows = store.query('SELECT __id, __version FROM "__v" ORDER BY __id')
        (sql,) = store.con.execute(
            "SELECT sql FROM duckdb_views() WHERE view_name = '__v'"
        ).fetchone() or (None,)
    assert [(r["__id"], r["__version"]) for r in rows] == [("b", version), ("c", version)]
    assert sql is not None
    for value in (model, version, "2026-11-01", "2026-11-03"):
        assert value not in sql


def test_relation_window_in_another_time_zone_is_converted_to_utc(tmp_path: Path) -> None:
    from datetime import timedelta, timezone

    log = tmp_path / "log.csv"
    log.write_text("ts,pred\n2026-11-01T00:30:00,1\n2026-11-01T01:30:00,0\n", encoding="utf-8")
    with Store.open(tmp_path / "g.duckdb") as store:
        ingest(
            store,
            [log],
            now=NOW,
            options={"model": "m", "role": "current", "timestamp": "ts", "prediction": "pred"},
        )
        plus_one = timezone(timedelta(hours=1))
        window = logs.Window(start=datetime(2026, 11, 1, 2, tzinfo=plus_one))  # 01:00 UTC
        logs.relation(store, "__w", model="m", role="current", window=window)
        rows = store.query('SELECT __prediction FROM "__w"')
    assert [r["__prediction"] for r in rows] == [0]


@pytest.mark.parametrize("version", range(SCHEMA_VERSION + 1))
def test_expected_tables_match_what_duckdb_makes_of_the_migrations(version: int) -> None:
    from govern.store.schema import MIGRATIONS, expected_tables

    con = connect()
    con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP)")
    for migration in MIGRATIONS[:version]:
        con.execute(migration)
    found: dict[str, set[str]] = {}
    for table, column in con.execute(
        "SELECT table_name, column_name FROM information_schema.columns"
    ).fetchall():
        found.setdefault(table, set()).add(column)
    assert {t: frozenset(c) for t, c in found.items()} == expected_tables(version)


def test_many_gates_in_a_row_keep_the_store_readable(tmp_path: Path) -> None:
    """DuckDB shortens the file when its last blocks become free (here after the third gate
    on a small store), while still counting them: that is no truncation."""
    db = tmp_path / "gates.duckdb"
    export = EXPORT_IMPORT / "databricks/single"
    result = _govern(
        "--db", str(db), "ingest", str(export / "versions"), str(export / "models/basic")
    )
    assert result.exit_code == 0, result.output
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "wine.yaml").write_text(POLICY)
    for number in range(2, 8):  # entry 1 records the ingest
        result = _govern("--db", str(db), "gate", GOOD, "15", "-p", str(tmp_path / "p"))
        assert result.exit_code == 0, result.output
        assert f"ledger entry {number} " in result.stderr
