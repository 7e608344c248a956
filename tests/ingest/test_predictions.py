"""Prediction logs: Parquet, CSV, JSON Lines and SageMaker Data Capture, read by DuckDB."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from govern.cli.main import app
from govern.store import Store
from govern.store import predictions as p
from tests.conftest import PUBLIC, dump_store

MONITOR = PUBLIC / "sagemaker-python-sdk/tests/data/monitor"
MAPPING = ["--timestamp", "ts", "--prediction", "approved", "--score", "score",
           "--label", "default", "--sensitive", "sex"]  # fmt: skip


def frame(
    n: int = 500, shift: float = 0.0, start: str = "2026-01-01", seed: int = 0
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "ts": pd.date_range(start, periods=n, freq="h", tz="UTC"),
            "x1": rng.normal(shift, 1, n),
            "region": rng.choice(["north", "south"], n),
            "sex": rng.choice(["female", "male"], n),
            "score": rng.uniform(0, 1, n),
            "default": rng.integers(0, 2, n),
        }
    )
    df["approved"] = (df["score"] > 0.5).astype(int)
    return df


def ingest(runner: CliRunner, db: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--db", str(db), "ingest", *args])


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_each_format_loads_with_the_mapping(
    runner: CliRunner, db_path: Path, tmp_path: Path, fmt: str
) -> None:
    df = frame()
    df.loc[3, "x1"] = None
    path = tmp_path / f"log.{fmt}"
    if fmt == "parquet":
        df.to_parquet(path)
    elif fmt == "csv":
        df.to_csv(path, index=False)
    else:
        df.to_json(path, orient="records", lines=True, date_format="iso")
    result = ingest(runner, db_path, str(path), "--model", "credit-risk", "--role", "current",
                    "--version", "2", *MAPPING, "-f", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    (log,) = json.loads(result.stdout)["prediction_logs"]
    assert log["rows"] == 500 and log["role"] == "current" and log["version"] == "2"
    assert log["ts_min"].startswith("2026-01-01T00:00:00") and log["ts_max"].startswith(
        "2026-01-21T19:00"
    )
    assert log["null_counts"]["x1"] == 1
    assert sum(log["null_counts"].values()) == 1
    assert log["features"] == ["x1", "region"]
    assert log["mapping"]["label"] == "default"
    with Store.open(db_path, read_only=True) as store:
        p.relation(store, "cur", model="credit-risk", role="current")
        row = store.con.execute(
            "SELECT count(*), sum(__prediction), sum(__label), min(__ts), any_value(__version) "
            "FROM cur"
        ).fetchone()
    assert row[:3] == (500, int(df["approved"].sum()), int(df["default"].sum()))
    assert row[3] == datetime(2026, 1, 1)
    assert row[4] == "2"


def test_windows_select_by_time(store: Store, tmp_path: Path) -> None:
    from govern.ingest.pipeline import ingest as load

    frame(n=24 * 61, start="2026-09-01").to_parquet(tmp_path / "cur.parquet")
    opts = {"model": "m", "role": "current", "timestamp": "ts", "prediction": "approved"}
    load(store, [tmp_path / "cur.parquet"], now=datetime.now(UTC), options=opts)
    window = p.Window(datetime(2026, 10, 1), datetime(2026, 11, 1))
    p.relation(store, "oct", model="m", role="current", window=window)
    (count,) = store.con.execute("SELECT count(*) FROM oct").fetchone()  # type: ignore[misc]
    assert count == 31 * 24


@pytest.mark.parametrize("unit", ["s", "ms"])
def test_epoch_timestamps(store: Store, tmp_path: Path, unit: str) -> None:
    from govern.ingest.pipeline import ingest as load

    df = frame(n=10)
    epoch = pd.Timestamp("1970-01-01", tz="UTC")
    df["ts"] = (df["ts"] - epoch) // pd.Timedelta(1, unit=unit)
    df.to_csv(tmp_path / "log.csv", index=False)
    opts = {"model": "m", "role": "reference", "timestamp": "ts", "prediction": "approved"}
    load(store, [tmp_path / "log.csv"], now=datetime.now(UTC), options=opts)
    (info,) = p.logs(store)
    assert info.ts_min == datetime(2026, 1, 1) and info.ts_max == datetime(2026, 1, 1, 9)


def test_missing_column_suggests_and_changes_nothing(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    frame().to_parquet(tmp_path / "log.parquet")
    Store.open(db_path).close()
    before = dump_store(db_path)
    args = [str(tmp_path / "log.parquet"), "--model", "m", "--role", "current", *MAPPING]
    result = ingest(runner, db_path, *[a if a != "default" else "defualt" for a in args])
    assert result.exit_code == 2
    assert "no column 'defualt' (mapped as label)" in result.stderr
    assert "Did you mean 'default'?" in result.stderr
    assert dump_store(db_path) == before


def test_score_of_the_wrong_type(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    frame().to_parquet(tmp_path / "log.parquet")
    result = ingest(runner, db_path, str(tmp_path / "log.parquet"), "--model", "m", "--role",
                    "current", "--prediction", "approved", "--score", "region")  # fmt: skip
    assert result.exit_code == 2
    assert "'region' (the score) is VARCHAR, not a number" in result.stderr


def test_mixed_timestamp_formats(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    df = frame(n=6)
    df["ts"] = ["2026-01-01T00:00:00Z", "2026-01-01 01:00:00", "yesterday", "1767229200",
                "2026-01-01T04:00:00+02:00", None]  # fmt: skip
    df.to_csv(tmp_path / "log.csv", index=False)
    result = ingest(runner, db_path, str(tmp_path / "log.csv"), "--model", "m", "--role",
                    "current", "--timestamp", "ts", "--prediction", "approved")  # fmt: skip
    assert result.exit_code == 2
    assert "mixes timestamps and other values" in result.stderr and "yesterday" in result.stderr


def test_needs_model_and_role(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    frame().to_parquet(tmp_path / "log.parquet")
    no_role = ingest(runner, db_path, str(tmp_path / "log.parquet"))
    assert no_role.exit_code == 2 and "looks like a prediction log" in no_role.stderr
    bad_role = ingest(runner, db_path, str(tmp_path / "log.parquet"), "--role", "training")
    assert bad_role.exit_code == 2 and "--role must be" in bad_role.stderr
    no_model = ingest(runner, db_path, str(tmp_path / "log.parquet"), "--role", "current",
                      "--prediction", "approved")  # fmt: skip
    assert no_model.exit_code == 2 and "needs --model" in no_model.stderr


def test_same_log_twice_is_a_noop(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    frame().to_parquet(tmp_path / "log.parquet")
    args = [str(tmp_path / "log.parquet"), "--model", "m", "--role", "current", *MAPPING]
    assert ingest(runner, db_path, *args).exit_code == 0
    before = dump_store(db_path)
    again = ingest(runner, db_path, *args)
    assert again.exit_code == 0 and "1 unchanged" in again.stdout
    assert dump_store(db_path) == before


def test_data_capture_csv_with_ground_truth(store: Store) -> None:
    from govern.ingest.pipeline import ingest as load

    report = load(store, [MONITOR / "capture.jsonl", MONITOR / "actuals.jsonl"],
                  now=datetime.now(UTC), options={"model": "churn", "role": "current"})  # fmt: skip
    assert {u.format for u in report.loaded} == {"sagemaker-data-capture", "sagemaker-ground-truth"}
    assert any("'{%s}'" in note for note in report.notes)  # the fixture's placeholder times
    (info,) = p.logs(store)
    assert info.features == tuple(f"_c{i}" for i in range(7))
    p.relation(store, "cur", model="churn", role="current")
    n, labelled, first = store.con.execute(
        "SELECT count(*), count(__label), "
        "any_value(__prediction) FILTER (WHERE __id = '74b0dd56-e7c8-368e-94b1-14a138a96000') "
        "FROM cur"
    ).fetchone()  # type: ignore[misc]
    lines = [json.loads(x) for x in (MONITOR / "capture.jsonl").read_text().splitlines() if x]
    assert n == len(lines) and labelled == n
    assert first == pytest.approx(0.302709460258)


def test_data_capture_json_instances(store: Store) -> None:
    from govern.ingest.pipeline import ingest as load

    load(store, [MONITOR / "captured-data.jsonl"], now=datetime.now(UTC),
         options={"model": "m", "role": "current"})  # fmt: skip
    p.relation(store, "cur", model="m", role="current")
    rows = store.con.execute(
        "SELECT _c0, __prediction, __ts FROM cur ORDER BY __ts, _c0"
    ).fetchall()
    assert [(r[0], r[1]) for r in rows[:3]] == [(1.0, 3.5), (2.0, 4.0), (5.0, 5.5)]
    assert rows[0][2] == datetime(2019, 11, 24, 7, 30, 50)


def test_large_files_are_sniffed_from_their_head(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above the size limit only the first megabyte is read in Python; DuckDB reads the rest."""
    from govern.ingest import base
    from govern.ingest.pipeline import ingest as load

    monkeypatch.setattr(base, "LARGE_FILE", 1000)
    monkeypatch.setattr(base, "HEAD_BYTES", 2000)
    df = frame(n=400)
    df.to_json(tmp_path / "big.jsonl", orient="records", lines=True, date_format="iso")
    df.to_csv(tmp_path / "big.csv", index=False)
    jsonl = base.sniff(tmp_path / "big.jsonl")
    assert jsonl.kind is base.Kind.JSONL and not jsonl.complete and len(jsonl.data) == 2000
    assert base.sniff(tmp_path / "big.csv").kind is base.Kind.TEXT
    opts = {"model": "m", "role": "current", "timestamp": "ts", "prediction": "approved"}
    load(store, [tmp_path / "big.jsonl", tmp_path / "big.csv"], now=datetime.now(UTC), options=opts)
    assert [log.rows for log in p.logs(store)] == [400, 400]


def test_version_column_is_shown_and_selects_rows(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    df = frame(n=200)
    df["model_version"] = ["1"] * 80 + ["2"] * 120
    df.to_parquet(tmp_path / "log.parquet")
    result = ingest(runner, db_path, str(tmp_path / "log.parquet"), "--model", "m", "--role",
                    "current", "--version-column", "model_version", *MAPPING)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "from column model_version" in result.stdout
    with Store.open(db_path) as store:
        p.relation(store, "v2", model="m", role="current", version="2")
        (rows,) = store.con.execute("SELECT count(*) FROM v2").fetchone()
    assert rows == 120


def test_pandas_index_columns_are_left_out_with_a_note(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    """pandas writes ``__index_level_0__`` into Parquet for a filtered DataFrame."""
    df = frame()
    kept = df[df["region"] == "north"]  # a filtered frame: its index is not 0..n-1
    path = tmp_path / "log.parquet"
    kept.to_parquet(path)
    import pyarrow.parquet as pq

    assert "__index_level_0__" in pq.read_schema(path).names  # what real users' files hold
    result = ingest(runner, db_path, str(path), "--model", "m", "--role", "current",
                    *MAPPING, "-f", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    (log,) = out["prediction_logs"]
    assert log["rows"] == len(kept)
    assert "__index_level_0__" not in log["null_counts"]
    assert "__index_level_0__" not in log["columns"]
    assert log["features"] == ["x1", "region"]
    assert any("pandas index column '__index_level_0__'" in note for note in out["notes"])
    with Store.open(db_path, read_only=True) as store:
        names = [r[0] for r in store.con.execute(f"DESCRIBE {log['table']}").fetchall()]
    assert not [n for n in names if n.startswith("__index")]


def test_pandas_index_column_cannot_be_mapped(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    frame()[lambda d: d["sex"] == "male"].to_parquet(tmp_path / "log.parquet")
    result = ingest(runner, db_path, str(tmp_path / "log.parquet"), "--model", "m", "--role",
                    "current", "--prediction", "approved", "--id", "__index_level_0__")  # fmt: skip
    assert result.exit_code == 2
    assert "pandas index" in result.stderr and "reset_index" in result.stderr


def test_other_reserved_names_are_still_refused_beside_a_pandas_index(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    df = frame()[lambda d: d["sex"] == "male"].rename(columns={"x1": "__x1"})
    df.to_parquet(tmp_path / "log.parquet")
    Store.open(db_path).close()
    before = dump_store(db_path)
    result = ingest(runner, db_path, str(tmp_path / "log.parquet"), "--model", "m", "--role",
                    "current", *MAPPING)  # fmt: skip
    assert result.exit_code == 2
    assert "'__x1'" in result.stderr and "reserved" in result.stderr
    assert "__index_level_0__" not in result.stderr
    assert dump_store(db_path) == before
