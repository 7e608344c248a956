"""The DuckDB store: schema versions, idempotent ingest, all-or-nothing writes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from govern.errors import StoreError
from govern.ingest.pipeline import ingest
from govern.store import Store, writers
from govern.store.schema import SCHEMA_VERSION
from tests.conftest import EXPORT_IMPORT, dump_store

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
VERSION_EXPORT = EXPORT_IMPORT / "databricks/single/versions/sklearn_wine"


def test_new_store_is_created_and_versioned(db_path: Path) -> None:
    with Store.open(db_path) as store:
        assert store.schema_version() == SCHEMA_VERSION
    assert db_path.exists()


def test_read_only_open_of_missing_store_explains(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as info:
        Store.open(tmp_path / "none.duckdb", read_only=True)
    assert "govern ingest" in info.value.diagnostics()


def test_store_from_newer_govern_is_refused(db_path: Path) -> None:
    with Store.open(db_path) as store:
        store.con.execute(
            "INSERT INTO schema_version VALUES (?, ?)",
            [SCHEMA_VERSION + 1, NOW.replace(tzinfo=None)],
        )
    with pytest.raises(StoreError, match="newer than this govern"):
        Store.open(db_path)


def test_migration_from_version_zero_is_applied_once(db_path: Path) -> None:
    Store.open(db_path).close()
    with Store.open(db_path) as store:
        rows = store.query("SELECT version FROM schema_version ORDER BY version")
    assert [r["version"] for r in rows] == list(range(1, SCHEMA_VERSION + 1))


def test_same_bytes_twice_is_a_noop(store: Store, db_path: Path) -> None:
    first = ingest(store, [VERSION_EXPORT], now=NOW)
    assert len(first.loaded) == 4
    store.close()
    before = dump_store(db_path)
    with Store.open(db_path) as again:
        second = ingest(again, [VERSION_EXPORT], now=NOW)
    assert second.loaded == []
    assert len(second.unchanged) == 4
    assert dump_store(db_path) == before


def test_source_records_hash_and_counts(store: Store) -> None:
    ingest(store, [VERSION_EXPORT / "version.json"], now=NOW)
    (row,) = store.query("SELECT * FROM sources")
    import hashlib

    assert (
        row["sha256"] == hashlib.sha256((VERSION_EXPORT / "version.json").read_bytes()).hexdigest()
    )
    assert row["format"] == "mlflow-export-import"
    assert row["family"] == "registry"
    assert '"versions": 1' in row["counts"]
    assert row["ingested_at"] == NOW.replace(tzinfo=None)


def test_failure_in_the_middle_rolls_everything_back(
    store: Store, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(store, [EXPORT_IMPORT / "oss_mlflow/single/models/basic"], now=NOW)
    store.close()
    before = dump_store(db_path)

    def boom(con: object, run: object, sha: str) -> None:
        raise RuntimeError("disk full")

    with Store.open(db_path) as again:
        monkeypatch.setattr(writers, "write_run", boom)
        with pytest.raises(RuntimeError, match="disk full"):
            ingest(again, [VERSION_EXPORT], now=NOW)
    assert dump_store(db_path) == before


def test_killed_process_leaves_store_as_it_was(db_path: Path) -> None:
    """A process that dies mid-transaction (os._exit) commits nothing."""
    Store.open(db_path).close()
    before = dump_store(db_path)
    script = textwrap.dedent(
        f"""
        import os
        from datetime import datetime, UTC
        from pathlib import Path
        from govern.store import Store, writers
        from govern.ingest.pipeline import ingest
        original = writers.write_run
        def dying(con, run, sha):
            original(con, run, sha)
            os._exit(9)
        writers.write_run = dying
        store = Store.open(Path({str(db_path)!r}))
        ingest(store, [Path({str(VERSION_EXPORT)!r})], now=datetime.now(UTC))
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 9, proc.stderr
    assert dump_store(db_path) == before


def test_newer_export_updates_without_erasing(store: Store) -> None:
    """model-versions/search has no aliases; a later source leaving a field empty keeps it."""
    ingest(store, [EXPORT_IMPORT / "oss_mlflow/single/models/basic/model.json"], now=NOW)
    aliases = store.query("SELECT alias, version FROM model_aliases ORDER BY alias")
    assert [(a["alias"], a["version"]) for a in aliases] == [
        ("about-ready", "2"),
        ("good-to-go", "1"),
        ("just-in-case", "3"),
    ]
    ingest(store, [EXPORT_IMPORT / "oss_mlflow/single/models/src_tags/model.json"], now=NOW)
    (row,) = store.query(
        "SELECT description, stage FROM model_versions "
        "WHERE model_name = 'sklearn_wine' AND version = '1'"
    )
    assert row["stage"] == "Production"
