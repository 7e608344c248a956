"""govern.fileio: one bounded read of a regular file, each caller with its own error."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from govern.fileio import Unreadable, read_regular


class Refused(Exception):
    def __init__(self, problem: Unreadable) -> None:
        super().__init__(problem.reason)
        self.problem = problem


def test_reads_whole_bounded_or_head(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"0123456789")
    assert read_regular(path, error=Refused) == (b"0123456789", 10)
    assert read_regular(path, error=Refused, limit=4) == (b"0123", 10)
    assert read_regular(path, error=Refused, limit=100, head_over=5, head=2) == (b"01", 10)
    assert read_regular(path, error=Refused, limit=100, head_over=5) == (b"", 10)


def test_a_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(Refused) as caught:
        read_regular(fifo, error=Refused)
    assert caught.value.problem.reason == "a FIFO (named pipe)"
    assert caught.value.problem.error is None


def test_devices_folders_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(Refused, match="a character device"):
        read_regular(Path("/dev/zero"), error=Refused, limit=10)
    with pytest.raises(Refused, match="a folder"):
        read_regular(tmp_path, error=Refused)
    with pytest.raises(Refused) as caught:
        read_regular(tmp_path / "nope", error=Refused)
    assert isinstance(caught.value.problem.error, FileNotFoundError)
