"""Reading a file the user named, safely: regular files only, never more than a bound.

One function, :func:`read_regular`, serves every reader of whole files (ingest's documents
and sniffing, policy and waiver YAML). Each caller keeps its own wording: it passes an error
factory that turns an :class:`Unreadable` into the caller's exception (``IngestError``,
``PolicyError``). Nothing here imports another part of govern.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


def describe_mode(mode: int) -> str:
    """Name what a file mode is, for messages ("a FIFO (named pipe)", "a character device")."""
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


@dataclass(frozen=True)
class Unreadable:
    """Why a file was not read: an OS error, or a mode that is not a regular file's."""

    path: Path
    #: the error of ``stat``, ``open`` or ``read`` (``FileNotFoundError``, ``PermissionError``...)
    error: OSError | None = None
    #: the mode of a path that is not a regular file (a folder, FIFO, device, socket)
    mode: int | None = None

    @property
    def reason(self) -> str:
        """The OS's words for the error, or what the path is ("a FIFO (named pipe)")."""
        if self.error is not None:
            return str(self.error.strerror or self.error)
        return describe_mode(self.mode or 0)


#: Turns an :class:`Unreadable` into the caller's own exception.
ErrorFactory = Callable[[Unreadable], Exception]


def read_regular(
    path: Path,
    *,
    error: ErrorFactory,
    limit: int | None = None,
    head_over: int | None = None,
    head: int = 0,
) -> tuple[bytes, int]:
    """Read a regular file (at most ``limit`` bytes); return the bytes and the file's size.

    A file larger than ``head_over`` bytes is read for its first ``head`` bytes only (``head=0``
    reads nothing: the caller refuses it by its size). A device, FIFO or socket is refused
    before it is opened; the file is then opened without blocking (a FIFO would hang a plain
    open) and checked again with ``fstat`` on the open descriptor, so a file swapped in between
    is refused too, never read. Every failure raises ``error(Unreadable(...))``.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise error(Unreadable(path, error=exc)) from exc
    if not stat.S_ISREG(mode):
        raise error(Unreadable(path, mode=mode))
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise error(Unreadable(path, error=exc)) from exc
    with os.fdopen(fd, "rb") as handle:
        try:
            info = os.fstat(fd)
        except OSError as exc:
            raise error(Unreadable(path, error=exc)) from exc
        if not stat.S_ISREG(info.st_mode):
            raise error(Unreadable(path, mode=info.st_mode))
        if head_over is not None and info.st_size > head_over:
            limit = head
        try:
            os.set_blocking(fd, True)
            data = handle.read() if limit is None else handle.read(limit)
        except OSError as exc:
            raise error(Unreadable(path, error=exc)) from exc
    return data, info.st_size
