"""``--output``: write through devices, pipes and symlinks; replace regular files atomically.

Issue 9, items 2 and 8: as root, ``-o /dev/null`` used to replace /dev/null with a regular file;
``-o -`` wrote a file named ``-``; a full disk at ``gate --output`` left a ledger entry for a
decision CI never saw. Also item 10: control characters in human output.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govern.cli import output as output_module
from govern.cli.main import app
from govern.formats.render import escape_control, to_text
from govern.store import Store, ledger
from tests.conftest import dump_store
from tests.policy.test_engine import GOOD

GOVERN = Path(sys.executable).with_name("govern")


def schema(runner: CliRunner, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["policy", "schema", *args])


def test_dash_means_stdout(runner: CliRunner, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    result = schema(runner, "-o", "-")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["title"]
    assert not (tmp_path / "-").exists()


def test_dev_null_is_written_through(runner: CliRunner) -> None:
    before = os.stat("/dev/null")
    result = schema(runner, "-o", "/dev/null")
    assert result.exit_code == 0, result.output
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino
    assert not list(Path("/dev").glob(".null.*"))


def test_dev_stdout_is_written_through(tmp_path: Path) -> None:
    """A real process: /dev/stdout -> /proc/self/fd/1 -> the pipe the parent reads."""
    result = subprocess.run(
        [str(GOVERN), "policy", "schema", "-o", "/dev/stdout"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["title"]
    assert stat.S_ISLNK(os.lstat("/dev/stdout").st_mode)


def test_symlink_is_followed_not_replaced(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "real.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    result = schema(runner, "-o", str(link))
    assert result.exit_code == 0, result.output
    assert link.is_symlink()
    assert json.loads(target.read_text())["title"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "real.json"]


def test_dangling_symlink_creates_its_target(runner: CliRunner, tmp_path: Path) -> None:
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "new.json")
    assert schema(runner, "-o", str(link)).exit_code == 0
    assert link.is_symlink() and json.loads((tmp_path / "new.json").read_text())["title"]


def test_fifo_is_written_through(runner: CliRunner, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    result = schema(runner, "-o", str(fifo))
    reader.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert json.loads(received[0])["title"]


def test_new_file_honours_the_umask(runner: CliRunner, tmp_path: Path) -> None:
    previous = os.umask(0o027)
    try:
        assert schema(runner, "-o", str(tmp_path / "sub" / "s.json")).exit_code == 0
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.stat(tmp_path / "sub" / "s.json").st_mode) == 0o640


def test_replaced_file_keeps_its_mode(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    out.write_text("old")
    out.chmod(0o604)
    assert schema(runner, "-o", str(out)).exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o604
    assert json.loads(out.read_text())["title"]


def test_folder_is_a_plain_error(runner: CliRunner, tmp_path: Path) -> None:
    result = schema(runner, "-o", str(tmp_path))
    assert result.exit_code == 2
    assert "is a folder" in result.stderr and "Traceback" not in result.output


def _full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(output_module.os, "fsync", no_space)


def test_full_disk_keeps_the_old_file(runner: CliRunner, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "s.json"
    out.write_text("old")
    _full_disk(monkeypatch)
    result = schema(runner, "-o", str(out))
    assert result.exit_code == 2, result.output
    assert "No space left on device" in result.stderr and "unexpectedly" not in result.output
    assert out.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]


def test_gate_with_a_full_disk_records_nothing(
    runner: CliRunner, env, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    db, policies = env
    before = dump_store(db)
    _full_disk(monkeypatch)
    out = tmp_path / "gate.json"
    args = ["--db", str(db), "gate", GOOD, "15", "-p", str(policies), "-f", "json", "-o", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "No space left on device" in result.stderr
    assert dump_store(db) == before
    assert not out.exists()


def test_gate_output_is_taken_back_when_the_entry_fails(
    runner: CliRunner, env, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The commit fails after the output was published: the old output is put back."""
    db, policies = env
    out = tmp_path / "gate.json"
    out.write_text("previous decision")
    original = ledger.append

    def failing_commit(*args, **kwargs):  # type: ignore[no-untyped-def]
        original(*args, **kwargs)
        raise OSError(errno.ENOSPC, "simulated commit failure")

    monkeypatch.setattr(ledger, "append", failing_commit)
    args = ["--db", str(db), "gate", GOOD, "15", "-p", str(policies), "-f", "json", "-o", str(out)]
    runner.invoke(app, args)
    assert out.read_text() == "previous decision"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".gate")) == []


def test_gate_writes_output_then_entry(runner: CliRunner, env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db, policies = env
    out = tmp_path / "gate.json"
    args = ["--db", str(db), "gate", GOOD, "15", "-p", str(policies), "-f", "json", "-o", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["decision"] == "pass"
    with Store.open(db, read_only=True) as store:
        assert [e.subject for e in ledger.entries(store, kind="gate")] == [f"{GOOD}@15"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".gate")] == []


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("evil\x1b]0;pwned\x07", "evil\\x1b]0;pwned\\x07"),
        ("\x1b[31mred", "\\x1b[31mred"),
        ("a\rb", "a\\x0db"),
        ("csi\x9b2J", "csi\\x9b2J"),
        ("bidi\u202etxt", "bidi\\u202etxt"),
        ("plain ünïcode", "plain ünïcode"),
    ],
)
def test_control_characters_are_escaped(raw: str, shown: str) -> None:
    assert escape_control(raw) == shown
    text = to_text(raw, color=True)
    assert "\x1b]" not in text and "\x9b" not in text and "\u202e" not in text


def test_models_escapes_a_hostile_model_name(runner: CliRunner, tmp_path: Path) -> None:
    """A model name with ANSI/OSC sequences is shown escaped by `govern models`."""
    name = "credit\x1b]0;owned\x07\x1b[2J"
    export = {
        "registered_models": [
            {
                "name": name,
                "creation_timestamp": 1700000000000,
                "last_updated_timestamp": 1700000000000,
                "latest_versions": [
                    {
                        "name": name,
                        "version": "1",
                        "creation_timestamp": 1700000000000,
                        "current_stage": "None",
                        "status": "READY",
                        "source": "models:/m-1",
                        "run_id": "r1",
                    }
                ],
            }
        ]
    }
    path = tmp_path / "models.json"
    path.write_text(json.dumps(export))
    db = tmp_path / "s.duckdb"
    result = runner.invoke(app, ["--db", str(db), "ingest", str(path)])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output
    result = runner.invoke(app, ["--db", str(db), "models"])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "credit\\x1b]0;owned" in result.stdout


def test_json_output_escapes_what_a_terminal_would_act_on() -> None:
    from govern.formats.render import to_json

    value = {"name": "x\x9b2J\u202ey\x1b[31m ü"}
    text = to_json(value)
    assert json.loads(text) == value
    assert "\x9b" not in text and "\u202e" not in text and "\x1b" not in text
    assert "ü" in text  # still UTF-8, not ASCII-escaped
