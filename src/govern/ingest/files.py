"""Reading inputs safely: regular files only, bounded reads, nothing outside the named folder.

This module is the ingest side of the trust boundary (DESIGN, "Trust boundary"):

* **Regular files only.** A path the user names must be a regular file or a folder; a
  device (``/dev/zero``), a FIFO or a socket is refused (exit 2) before a byte is read. Files
  are opened without blocking and checked again on the open descriptor, so a FIFO never hangs
  and a path swapped after the check is still refused.
* **Bounded reads.** A JSON document may be at most :data:`MAX_DOCUMENT_BYTES` and nest at
  most :data:`MAX_DEPTH` levels; an object may name each key once.
* **No symlink out of the tree.** Inside a folder the user named (the *tree*), a symlink is
  followed only when its target is inside the same tree; otherwise it is not opened and is
  reported as skipped. Symlinked folders that lead back to a folder already walked are not
  walked twice (no loops). For a file named explicitly, the tree of files it names (a run's
  ``artifacts/``, an ``mlflow.db``'s ``mlartifacts/``) is the folder that holds it.

In a walked folder, anything that is not a regular file or folder (a FIFO, a device, a
dangling symlink, a symlink leaving the tree) is reported as skipped and never opened; named
explicitly on the command line, the same path is refused with exit 2.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from govern.errors import IngestError, MalformedInputError
from govern.fileio import Unreadable, describe_mode, read_regular

#: The largest JSON document (or FileStore/YAML file) govern parses in memory. Larger inputs
#: must be prediction logs (Parquet, CSV, JSON Lines), which DuckDB streams.
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
#: The deepest nesting of arrays and objects accepted in a JSON document or record.
MAX_DEPTH = 200


def _not_regular(path: Path, mode: int) -> IngestError:
    return IngestError(
        f"is {describe_mode(mode)}, not a regular file; govern reads only regular files "
        "and folders.",
        hint="Copy the data into a regular file and ingest that.",
        path=path,
    )


def _os_error(path: Path, exc: OSError) -> IngestError:
    if isinstance(exc, PermissionError):
        return IngestError(
            "cannot read the file (permission denied).",
            hint="Check its permissions, or run govern as a user who can read it.",
            path=path,
        )
    return IngestError(f"cannot read the file: {exc.strerror or exc}.", path=path)


def require_input(path: Path) -> None:
    """Refuse a path named on the command line unless it is a regular file or a folder.

    A symlink the user named is followed (they chose it); its target must be regular.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError as exc:
        if path.is_symlink():
            raise IngestError(
                "is a symlink to a file that does not exist.", hint="Check the link.", path=path
            ) from exc
        raise IngestError(
            "does not exist.", hint="Check the path and try again.", path=path
        ) from exc
    except OSError as exc:
        raise _os_error(path, exc) from exc
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise _not_regular(path, mode)


def _unreadable(problem: Unreadable) -> IngestError:
    if problem.error is not None:
        return _os_error(problem.path, problem.error)
    return _not_regular(problem.path, problem.mode or 0)


def read_bytes(
    path: Path, *, limit: int | None = None, head_over: int | None = None, head: int = 0
) -> tuple[bytes, int]:
    """Read a regular file (at most ``limit`` bytes); return the bytes and the file's size.

    A file larger than ``head_over`` bytes is read for its first ``head`` bytes only. A FIFO or
    device is refused, never read, even if it replaced a regular file after an earlier check
    (:func:`govern.fileio.read_regular`, with ingest's messages).
    """
    return read_regular(path, error=_unreadable, limit=limit, head_over=head_over, head=head)


def read_document(path: Path, what: str = "file") -> bytes:
    """Read a whole small file (a meta.yaml, an MLmodel), refusing one above the size cap."""
    data, size = read_bytes(path, limit=MAX_DOCUMENT_BYTES + 1, head_over=MAX_DOCUMENT_BYTES)
    if len(data) > MAX_DOCUMENT_BYTES or size > MAX_DOCUMENT_BYTES:
        raise MalformedInputError(
            f"is a {what} of {max(size, len(data)):,} bytes; govern reads documents of at most "
            f"{MAX_DOCUMENT_BYTES:,} bytes.",
            hint="Large inputs must be prediction logs (Parquet, CSV or JSON Lines).",
            path=path,
        )
    return data


# ------------------------------------------------------------------------------------ JSON


class _DuplicateKeyError(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKeyError(key)
        out[key] = value
    return out


def depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """The nesting depth of a parsed JSON value (a scalar is 0), counted up to ``limit + 1``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            level += 1
            deepest = max(deepest, level)
            if deepest > limit:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level) for child in children)
    return deepest


def _too_deep(path: Path, where: str) -> MalformedInputError:
    return MalformedInputError(
        f"nests JSON more than {MAX_DEPTH} levels deep{where}; govern refuses such documents.",
        hint="Real exports nest a few levels; the file may be damaged or crafted.",
        path=path,
    )


def loads(text: str, path: Path, *, line: int | None = None) -> Any:
    """Parse JSON text: no key twice in an object, at most :data:`MAX_DEPTH` levels deep.

    Raises :class:`json.JSONDecodeError` for text that is not JSON (callers word that), and
    :class:`MalformedInputError` for a duplicate key or too deep a nesting.
    """
    where = f" (line {line})" if line is not None else ""
    try:
        value = json.loads(text, object_pairs_hook=_unique_object)
    except RecursionError as exc:
        raise _too_deep(path, where) from exc
    except _DuplicateKeyError as exc:
        raise MalformedInputError(
            f"has the key {exc.key!r} twice in one object{where}; which value is meant is "
            "ambiguous.",
            hint="Name each field once per object (re-export the file, or fix it).",
            path=path,
        ) from exc
    # cheap bound: nesting needs at least as many brackets as levels
    if text.count("[") + text.count("{") > MAX_DEPTH and depth(value) > MAX_DEPTH:
        raise _too_deep(path, where)
    return value


def loads_embedded(text: str) -> Any:
    """Parse JSON embedded in a string field (MLflow's dataset ``source``/``schema``).

    Returns ``None`` when it is not JSON, too deep, or repeats a key: the caller keeps the text.
    """
    try:
        value = json.loads(text, object_pairs_hook=_unique_object)
    except (json.JSONDecodeError, RecursionError, _DuplicateKeyError):
        return None
    if text.count("[") + text.count("{") > MAX_DEPTH and depth(value) > MAX_DEPTH:
        return None
    return value


# ------------------------------------------------------------------------------------ trees


class Tree:
    """The folder files may be read from: nothing outside it, no symlink leaving it."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def contains(self, path: Path) -> bool:
        """True when ``path`` (symlinks resolved) is the tree's root or inside it."""
        try:
            path.resolve().relative_to(self.root)
        except (ValueError, OSError, RuntimeError):
            return False
        return True

    def why_not(self, path: Path) -> str | None:
        """``None`` when ``path`` may be read (a regular file or folder inside the tree).

        Otherwise the reason, for a "skipped" line: a symlink leaving the tree, a dangling
        symlink, a FIFO, a device.
        """
        if path.is_symlink():
            try:
                target = path.resolve(strict=True)
            except (OSError, RuntimeError):
                return "a symlink to nothing (dangling or a loop); not followed"
            if not self.contains(target):
                return f"a symlink to {target}, outside {self.root}; not followed"
        elif not self.contains(path):
            return f"outside {self.root}; not read"
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            return f"cannot be read ({exc.strerror or exc})"
        if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
            return None
        return f"{describe_mode(mode)}, not a regular file; not read"

    def is_dir(self, path: Path) -> bool:
        """A folder that may be walked."""
        return self.why_not(path) is None and path.is_dir()

    def is_file(self, path: Path) -> bool:
        """A regular file that may be read."""
        return self.why_not(path) is None and path.is_file()

    def subdirs(self, folder: Path) -> list[Path]:
        """Visible sub-folders of ``folder`` that may be walked, sorted."""
        if not self.is_dir(folder):
            return []
        return sorted(p for p in folder.iterdir() if not p.name.startswith(".") and self.is_dir(p))

    def files(self, folder: Path, skipped: list[tuple[Path, str]] | None = None) -> Iterator[Path]:
        """Every visible regular file under ``folder``, sorted, each folder walked once.

        Paths that may not be read are appended to ``skipped`` with the reason.
        """
        if not self.is_dir(folder):
            return
        seen: set[Path] = set()
        yield from self._files(folder, seen, skipped)

    def _files(
        self, folder: Path, seen: set[Path], skipped: list[tuple[Path, str]] | None
    ) -> Iterator[Path]:
        real = folder.resolve()
        if real in seen:
            return
        seen.add(real)
        try:
            children = sorted(folder.iterdir())
        except OSError:
            return
        for child in children:
            if child.name.startswith("."):
                continue
            why = self.why_not(child)
            if why is not None:
                if skipped is not None:
                    skipped.append((child, why))
                continue
            if child.is_dir():
                yield from self._files(child, seen, skipped)
            else:
                yield child
