"""Writing a command's result: to stdout, through a device or pipe, or atomically to a file.

``--output PATH`` means, by what ``PATH`` is when the command runs:

- ``-``: standard output;
- an existing character device, FIFO or socket (``/dev/null``, ``/dev/stdout``, a named pipe),
  or anything under ``/dev`` or ``/proc``: written *through*, never replaced (as root, replacing
  ``/dev/null`` with a regular file breaks the machine);
- a symlink: followed, so the link stays and its target gets the content;
- a regular file or a new path: written to a temporary file in the same folder, flushed to
  disk, then renamed over the target, so a reader never sees half a result and a full disk
  leaves the old file as it was. A new file gets the permissions the umask allows (``0666 &
  ~umask``); a replaced file keeps its mode.

Writing is split in two steps, :func:`stage` then :meth:`Staged.publish`, so that a command
that also records something (the gate's ledger entry) can write everything that may fail first.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from govern.errors import OutputError

#: Folders whose files are devices or process views: always written through.
_SPECIAL_ROOTS = (Path("/dev"), Path("/proc"))


class _Mode(Enum):
    STDOUT = "stdout"
    THROUGH = "through"
    REPLACE = "replace"


@dataclass
class Staged:
    """An output ready to be published: a temporary file, or text waiting for its target."""

    text: str | bytes
    mode: _Mode
    target: Path | None = None
    temp: Path | None = None
    file_mode: int = 0o644
    #: keep the replaced file until :meth:`settle`, so :meth:`retract` can restore it
    keep_backup: bool = False
    published: bool = field(default=False, init=False)
    #: a hard link to the file a published output replaced, until :meth:`settle`
    backup: Path | None = field(default=None, init=False)

    def publish(self) -> None:
        """Make the output visible (rename, write through, or print)."""
        data = self.text.encode("utf-8") if isinstance(self.text, str) else self.text
        if self.mode is _Mode.STDOUT:
            if isinstance(self.text, str):
                sys.stdout.write(self.text)
            else:
                sys.stdout.flush()
                sys.stdout.buffer.write(self.text)
            sys.stdout.flush()
        elif self.mode is _Mode.THROUGH:
            assert self.target is not None
            try:
                with open(self.target, "wb") as handle:
                    handle.write(data)
            except OSError as exc:
                raise _error(self.target, exc) from exc
        else:
            assert self.target is not None and self.temp is not None
            try:
                os.chmod(self.temp, self.file_mode)
                if self.keep_backup and self.target.exists():
                    self.backup = self.temp.with_suffix(".old")
                    os.link(self.target, self.backup)
                os.replace(self.temp, self.target)
            except OSError as exc:
                self.discard()
                raise _error(self.target, exc) from exc
        self.published = True

    def discard(self) -> None:
        """Drop a staged output that will not be published."""
        if self.temp is not None:
            self.temp.unlink(missing_ok=True)
        self.settle()

    def retract(self) -> bool:
        """Undo :meth:`publish` of a file: put back the file it replaced, or remove it.

        Returns False when the output cannot be taken back (stdout, a device or pipe).
        """
        if not self.published or self.mode is not _Mode.REPLACE or self.target is None:
            return not self.published
        if self.backup is not None:
            os.replace(self.backup, self.target)
            self.backup = None
        else:
            self.target.unlink(missing_ok=True)
        self.published = False
        return True

    def settle(self) -> None:
        """Forget the replaced file: the output stays."""
        if self.backup is not None:
            self.backup.unlink(missing_ok=True)
            self.backup = None

    def where(self) -> str:
        """Where the output goes, for messages ("wrote ...")."""
        return "stdout" if self.target is None else str(self.target)


def stage(text: str | bytes, output: Path | None, *, retractable: bool = False) -> Staged:
    """Prepare ``text`` for ``output`` (``None`` or ``-``: stdout); a regular file is written now.

    Raises :class:`OutputError` when the target cannot be written (a folder, no permission, a
    full disk); nothing is changed then. With ``retractable``, a published file can be taken
    back (:meth:`Staged.retract`) until :meth:`Staged.settle`.
    """
    if isinstance(text, str) and not text.endswith("\n"):
        text += "\n"
    if output is None or str(output) == "-":
        return Staged(text, _Mode.STDOUT)
    try:
        info: os.stat_result | None = os.stat(output)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise _error(output, exc) from exc
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise OutputError(
            f"cannot write {output}: it is a folder.",
            hint="Name a file instead (or - for stdout), or move the folder away.",
        )
    real = Path(os.path.realpath(output))
    if (info is not None and not stat.S_ISREG(info.st_mode)) or _special(real):
        return Staged(text, _Mode.THROUGH, target=output)
    file_mode = stat.S_IMODE(info.st_mode) if info is not None else 0o666 & ~_umask()
    return Staged(
        text,
        _Mode.REPLACE,
        target=real,
        temp=_write_temp(text, real),
        file_mode=file_mode,
        keep_backup=retractable,
    )


def _write_temp(text: str | bytes, target: Path) -> Path:
    """Write ``text`` to a new temporary file beside ``target``, flushed to disk."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise _error(target, exc) from exc
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8") if isinstance(text, str) else text)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise _error(target, exc) from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def _special(path: Path) -> bool:
    return any(path == root or root in path.parents for root in _SPECIAL_ROOTS)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _error(path: Path, exc: OSError) -> OutputError:
    reason = exc.strerror or type(exc).__name__
    return OutputError(
        f"cannot write {path}: {reason}.",
        hint="Free some space or choose another --output; nothing was recorded.",
    )


def write_all(
    files: dict[Path, str | bytes], *, then: Callable[[list[Staged]], None] | None = None
) -> list[Staged]:
    """Write every file or none: stage each (a flushed temporary file), then publish them all.

    If any file cannot be staged or published, the ones already published are taken back
    (the files they replaced are put back) and nothing else is left behind. ``then`` runs
    once every file is published (``govern report`` records the set in the ledger): if it
    raises, the files are taken back the same way.
    """
    staged: list[Staged] = []
    try:
        for path, content in files.items():
            staged.append(stage(content, path, retractable=True))
        for item in staged:
            item.publish()
        if then is not None:
            then(staged)
    except BaseException:
        for item in staged:
            item.retract()
            item.discard()
        raise
    for item in staged:
        item.settle()
    return staged


def by_name(staged: list[Staged]) -> dict[str, str | bytes]:
    """Published files by name with their content as written (what a ledger entry hashes)."""
    return {(s.target or Path(s.where())).name: s.text for s in staged}


def write_output(text: str, output: Path | None) -> Staged:
    """Write ``text`` to ``output`` (``None`` or ``-``: stdout) now; see :func:`stage`."""
    staged = stage(text, output)
    staged.publish()
    return staged
