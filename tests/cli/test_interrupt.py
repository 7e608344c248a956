"""Ctrl-C: "interrupted; nothing was written", exit 130, the store as before (issue 9, item 9)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govern.cli.main import app
from govern.store import Store, writers
from govern.store.predictions import logs
from tests.conftest import EXPORT_IMPORT, dump_store

GOVERN = Path(sys.executable).with_name("govern")
EXPORT = EXPORT_IMPORT / "databricks/single/versions/sklearn_wine"
LOG_OPTIONS = ["--model", "m", "--role", "current", "--timestamp", "ts", "--score", "score"]


@pytest.fixture
def loaded(runner: CliRunner, db_path: Path) -> dict[str, list[tuple[object, ...]]]:
    result = runner.invoke(app, ["--db", str(db_path), "ingest", str(EXPORT)])
    assert result.exit_code == 0, result.output
    return dump_store(db_path)


@pytest.mark.parametrize(
    "interrupt",
    [KeyboardInterrupt(), RuntimeError("Query interrupted")],
    ids=["python", "duckdb"],
)
def test_interrupt_during_the_write(
    runner: CliRunner,
    db_path: Path,
    loaded: dict[str, list[tuple[object, ...]]],
    monkeypatch: pytest.MonkeyPatch,
    interrupt: BaseException,
) -> None:
    """Ctrl-C in Python code, or inside a DuckDB query (which DuckDB reports as RuntimeError)."""
    original = writers.write_unit

    def interrupted(*args: object, **kwargs: object) -> None:
        original(*args, **kwargs)  # type: ignore[arg-type]
        raise interrupt

    monkeypatch.setattr(writers, "write_unit", interrupted)
    path = EXPORT_IMPORT / "oss_mlflow/single/models/basic/model.json"
    result = runner.invoke(app, ["--db", str(db_path), "ingest", str(path)])
    assert result.exit_code == 130, result.output
    assert "interrupted; nothing was written" in result.stderr
    assert "unexpectedly" not in result.output
    assert dump_store(db_path) == loaded


def test_interrupt_after_the_commit_says_the_store_was_updated(
    runner: CliRunner,
    db_path: Path,
    loaded: dict[str, list[tuple[object, ...]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ctrl-C while the summary is printed: the ingest is complete and the message says so."""
    from govern.formats import ingest as ingest_format

    def interrupted(*args: object, **kwargs: object) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(ingest_format, "render_table", interrupted)
    path = EXPORT_IMPORT / "oss_mlflow/single/models/basic/model.json"
    result = runner.invoke(app, ["--db", str(db_path), "ingest", str(path)])
    assert result.exit_code == 130, result.output
    assert "the store was updated" in result.stderr
    assert "nothing was written" not in result.stderr
    assert dump_store(db_path) != loaded
    monkeypatch.undo()
    again = runner.invoke(app, ["--db", str(db_path), "ingest", str(path)])
    assert again.exit_code == 0 and "0 loaded" in again.stdout


def _sleep_in_govern(process: subprocess.Popen[str], delay: float, files: tuple[Path, ...]) -> None:
    """Wait ``delay`` seconds from the start, and at least until govern's own code runs.

    A SIGINT while the interpreter itself starts, before any of govern's code (the console
    script's first import) can catch it, ends the process with Python's traceback: on a
    loaded machine that start can outlast the first delay. Govern runs once the process holds
    the store or the log open.
    """
    start = time.monotonic()
    wanted = {str(f) for f in files}
    while process.poll() is None and time.monotonic() - start < 30:
        if _holds_open(process.pid, wanted):
            break
        time.sleep(0.01)
    time.sleep(max(0.0, delay - (time.monotonic() - start)))


def _holds_open(pid: int, wanted: set[str]) -> bool:
    """Whether the process holds one of these files open (a descriptor may close meanwhile)."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:  # the process has ended
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") in wanted:
                return True
        except OSError:  # this descriptor closed while being read: look at the others
            continue
    return False


def _interrupted_ingest(
    db_path: Path, log: Path, delay: float, saved: Path
) -> tuple[subprocess.Popen[str], str]:
    """``govern ingest`` of the log, sent SIGINT ``delay`` seconds in: (the process, stderr).

    A run that ends before the signal could be sent says nothing of Ctrl-C: the store is put
    back as it was and the run tried again; the third such run is returned as it ended.
    """
    shutil.copyfile(db_path, saved)
    for attempt in range(3):
        process = subprocess.Popen(
            [str(GOVERN), "--db", str(db_path), "ingest", str(log), *LOG_OPTIONS],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        _sleep_in_govern(process, delay, (db_path, log))
        if process.poll() is None or attempt == 2:
            process.send_signal(signal.SIGINT)  # nothing is sent to an ended process
            _, stderr = process.communicate(timeout=120)
            return process, stderr
        process.communicate(timeout=120)
        shutil.copyfile(saved, db_path)
    raise AssertionError("unreachable")


@pytest.mark.slow
def test_real_sigint_at_any_moment_of_a_large_ingest(
    tmp_path: Path, db_path: Path, runner: CliRunner, loaded: dict[str, list[tuple[object, ...]]]
) -> None:
    """SIGINT to a real process at several moments: 130 and nothing written, 130 after the
    commit with the whole log in the store (and a message saying so), or it finished."""
    import duckdb

    log = tmp_path / "big.csv"
    duckdb.sql(
        "COPY (SELECT TIMESTAMP '2026-01-01' + to_seconds(i) AS ts, random() AS score, "
        "['a', 'b'][1 + i % 2] AS sex FROM range(3000000) t(i)) "
        f"TO '{log}' (HEADER)"
    )
    codes = []
    for delay in (0.4, 0.8, 1.6, 2.4, 3.2):  # the whole ingest takes about 1.2 s at rest
        before = dump_store(db_path)
        process, stderr = _interrupted_ingest(db_path, log, delay, tmp_path / "saved.duckdb")
        codes.append(process.returncode)
        assert "unexpectedly" not in stderr and "Traceback" not in stderr, stderr
        if process.returncode == 130 and "nothing was written" in stderr:
            assert dump_store(db_path) == before
        elif process.returncode == 130:  # after the commit: the log is in, whole
            assert "the store was updated" in stderr, stderr
            with Store.open(db_path, read_only=True) as store:
                assert logs(store, model="m")[0].rows == 3_000_000
            break
        else:
            # finished; -2: the signal came while Python was already shutting down (its handler
            # is gone then), after the command had closed the store: the log is in, whole
            assert process.returncode in (0, -signal.SIGINT), stderr
            with Store.open(db_path, read_only=True) as store:
                assert logs(store, model="m")[0].rows == 3_000_000
            break
    assert 130 in codes, codes
