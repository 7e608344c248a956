"""Hostile inputs to ingest that need more than a command line (issue 9, items 3, 5 and 9).

The one-line cases live in ``tests/hostile/cases/ingest.yaml``; these need real Parquet files,
exact row counts, or a look inside the store.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from govern.cli.main import app
from govern.errors import IngestError, MalformedInputError
from govern.ingest import files
from govern.ingest.base import sniff
from govern.ingest.predictions import duck_path
from govern.store import Store
from govern.store import predictions as p
from tests.conftest import dump_store

LOG = ["--model", "credit-risk", "--role", "current", "--timestamp", "ts", "--prediction", "y"]


def ingest(runner: CliRunner, db: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--db", str(db), "ingest", *args])


def frame(n: int, start: str = "2026-01-01") -> pd.DataFrame:
    return pd.DataFrame({"ts": pd.date_range(start, periods=n, freq="h", tz="UTC"), "y": range(n)})


def write(df: pd.DataFrame, path: Path) -> None:
    if path.suffix == ".parquet":
        df.to_parquet(path)
    elif path.suffix == ".csv":
        df.to_csv(path, index=False)
    else:
        df.to_json(path, orient="records", lines=True, date_format="iso")


# -- item 5: file names taken as globs -------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "neighbour"),
    [("a*.parquet", "a1.parquet"), ("[x].csv", "x.csv"), ("?.jsonl", "b.jsonl")],
)
def test_a_glob_character_in_a_name_reads_exactly_that_file(
    runner: CliRunner, db_path: Path, tmp_path: Path, name: str, neighbour: str
) -> None:
    write(frame(7), tmp_path / name)
    write(frame(11, start="2025-01-01"), tmp_path / neighbour)
    result = ingest(runner, db_path, str(tmp_path / name), *LOG)
    assert result.exit_code == 0, result.output
    with Store.open(db_path, read_only=True) as store:
        (log,) = p.logs(store)
        assert log.rows == 7
        (row,) = store.query("SELECT path, sha256 FROM sources")
    assert row["path"] == str(tmp_path / name)
    assert row["sha256"] == files_sha(tmp_path / name)


def files_sha(path: Path) -> str:
    from govern.ingest.normalise import sha256_file

    return sha256_file(path)


def test_glob_escape_is_a_character_class() -> None:
    assert duck_path(Path("/d[1]/a*?.csv")) == "/d[[]1]/a[*][?].csv"
    assert duck_path(Path("/plain/a.csv")) == "/plain/a.csv"
    with pytest.raises(IngestError, match="backslash"):
        duck_path(Path("/d/a\\[x].csv"))


def test_a_folder_with_a_glob_name_is_read_exactly(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "logs[1]"
    folder.mkdir()
    (tmp_path / "logs1").mkdir()
    write(frame(5), folder / "log.csv")
    write(frame(9), tmp_path / "logs1" / "log.csv")
    result = ingest(runner, db_path, str(folder / "log.csv"), *LOG)
    assert result.exit_code == 0, result.output
    with Store.open(db_path, read_only=True) as store:
        assert [log.rows for log in p.logs(store)] == [5]


# -- item 3: unbounded reads, nesting -------------------------------------------------------


def test_closed_deep_json_is_refused_plainly(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 3000 + "]" * 3000, encoding="utf-8")
    with pytest.raises(MalformedInputError, match="levels deep"):
        sniff(path)
    path.write_text("[" * 500 + "]" * 500, encoding="utf-8")  # parses, but past the cap
    with pytest.raises(MalformedInputError, match="levels deep"):
        sniff(path)


def test_deep_jsonl_record_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text('{"a": 1}\n{"a": ' + "[" * 3000 + "]" * 3000 + "}\n", encoding="utf-8")
    with pytest.raises(MalformedInputError, match=r"levels deep \(line 2\)"):
        sniff(path)


def test_nesting_within_the_cap_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "ok.json"
    doc: object = {"leaf": 1}
    for _ in range(files.MAX_DEPTH - 1):
        doc = {"k": doc}
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert sniff(path).document is not None


def test_deep_json_inside_a_string_stays_text() -> None:
    from govern.ingest.normalise import json_in_json

    deep = "[" * 3000 + "]" * 3000
    assert json_in_json(deep) == deep


def test_duplicate_key_in_a_json_export_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text('{"system": {}, "mlflow": {"a": 1, "a": 2}}', encoding="utf-8")
    with pytest.raises(MalformedInputError, match="'a' twice"):
        sniff(path)


def test_a_symlink_inside_the_tree_is_followed(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    write(frame(4), folder / "real.csv")
    (folder / "link.csv").symlink_to(folder / "real.csv")
    tree = files.Tree(folder)
    assert tree.why_not(folder / "link.csv") is None
    outside = tmp_path / "outside.csv"
    write(frame(4), outside)
    (folder / "out.csv").symlink_to(outside)
    assert "outside" in (tree.why_not(folder / "out.csv") or "")
    assert sorted(x.name for x in tree.files(folder)) == ["link.csv", "real.csv"]


def test_unchanged_store_after_refusal(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    write(frame(3), tmp_path / "ok.csv")
    assert ingest(runner, db_path, str(tmp_path / "ok.csv"), *LOG).exit_code == 0
    before = dump_store(db_path)
    bad = tmp_path / "bad.csv"
    bad.write_text("ts,y,__ts\n2026-01-01,1,2\n", encoding="utf-8")
    result = ingest(runner, db_path, str(bad), *LOG)
    assert result.exit_code == 2, result.output
    assert dump_store(db_path) == before


def test_a_json_document_above_the_size_cap_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from govern.ingest import base

    monkeypatch.setattr(base, "LARGE_FILE", 4096)
    monkeypatch.setattr(base, "HEAD_BYTES", 1024)
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"items": ["x" * 100] * 100}), encoding="utf-8")
    with pytest.raises(MalformedInputError, match="at most 4,096 bytes"):
        sniff(path)
    path.write_text(json.dumps([{"a": "x" * 100}] * 100), encoding="utf-8")
    with pytest.raises(MalformedInputError, match="JSON document of"):
        sniff(path)
    lines = tmp_path / "big.jsonl"
    lines.write_text("".join(json.dumps({"a": i}) + "\n" for i in range(2000)), encoding="utf-8")
    assert sniff(lines).complete is False  # JSON Lines stream: only its head is parsed


def test_reads_stop_at_the_limit_and_refuse_devices(tmp_path: Path) -> None:
    small = tmp_path / "small.txt"
    small.write_bytes(b"0123456789" * 10)
    assert files.read_bytes(small, limit=10) == (b"0123456789", 100)
    with pytest.raises(IngestError, match="character device"):
        files.read_bytes(Path("/dev/zero"), limit=10)
    with pytest.raises(IngestError, match="character device"):
        files.require_input(Path("/dev/zero"))
    fifo = tmp_path / "pipe"
    import os

    os.mkfifo(fifo)
    with pytest.raises(IngestError, match="FIFO"):
        files.read_bytes(fifo)  # opened without blocking: refused, never hangs
