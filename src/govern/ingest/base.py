"""The adapter interface: one adapter per input format, detected by content.

An adapter looks at a :class:`Candidate` (a file already sniffed and, for JSON, parsed once)
and says whether it is its format (:meth:`Adapter.detect`); if so, :meth:`Adapter.read`
turns it into a :class:`~govern.records.registry.Batch`. Adapters never write to the store
and never print.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

from govern.errors import MalformedInputError
from govern.ingest import files
from govern.records.registry import Batch

SQLITE_MAGIC = b"SQLite format 3\x00"
PARQUET_MAGIC = b"PAR1"
#: Files larger than this are sniffed from their first megabyte only (prediction logs).
LARGE_FILE = files.MAX_DOCUMENT_BYTES
HEAD_BYTES = 1024 * 1024


class Kind(Enum):
    """What a path looks like before any format is recognised."""

    JSON = "json"
    JSONL = "jsonl"
    SQLITE = "sqlite"
    PARQUET = "parquet"
    DIRECTORY = "directory"
    TEXT = "text"
    BINARY = "binary"
    EMPTY = "empty"


@dataclass
class Candidate:
    """A path to be recognised: its kind and, for JSON, the parsed document."""

    path: Path
    kind: Kind
    document: Any = None
    data: bytes = b""
    #: JSON Lines records, parsed (only for :attr:`Kind.JSONL`)
    lines: list[Any] = field(default_factory=list)
    #: False when ``data``/``lines`` hold only the head of a large file
    complete: bool = True
    #: ingest options from the command line (model, version, role, column mapping)
    options: Mapping[str, Any] = field(default_factory=dict)
    #: the folder the user named that this path was found in (``None``: named itself)
    root: Path | None = None

    def tree(self) -> files.Tree:
        """The folder files named by (or next to) this input may be read from.

        The folder the user named when the input was found by walking it; for an input named
        itself, the input's own folder (a folder input) or the folder holding it (a file).
        """
        if self.root is not None:
            return files.Tree(self.root)
        return files.Tree(self.path if self.kind is Kind.DIRECTORY else self.path.parent)

    def top_keys(self) -> list[str]:
        """Return the top-level keys of a JSON object (empty for anything else)."""
        return sorted(self.document) if isinstance(self.document, Mapping) else []


class Adapter(Protocol):
    """One input format."""

    #: stable format id, recorded in the ``sources`` table (e.g. ``mlflow-rest``)
    name: str
    #: ``registry``, ``predictions`` or ``monitoring``
    family: str
    #: one line for ``govern ingest --help`` and error messages
    description: str

    def detect(self, candidate: Candidate) -> bool:
        """Return True when the candidate's content is this adapter's format."""
        ...

    def read(self, candidate: Candidate) -> Batch:
        """Parse the candidate into normalised records; raise :class:`IngestError` if malformed."""
        ...


def sniff(path: Path) -> Candidate:
    """Read a path just enough to know its kind; parse JSON and JSON Lines once.

    Raises :class:`MalformedInputError` when a file starts like JSON but does not parse, and
    :class:`IngestError` when it cannot be read.
    """
    if path.is_dir():
        return Candidate(path=path, kind=Kind.DIRECTORY)
    data, size = files.read_bytes(path, limit=LARGE_FILE + 1, head_over=LARGE_FILE, head=HEAD_BYTES)
    large = size > LARGE_FILE or len(data) > LARGE_FILE
    if large:
        data = data[:HEAD_BYTES]
    if data.startswith(SQLITE_MAGIC):
        return Candidate(path=path, kind=Kind.SQLITE, data=data[:100])
    if data.startswith(PARQUET_MAGIC):
        return Candidate(path=path, kind=Kind.PARQUET, data=data[:4], complete=not large)
    if not data.strip():
        return Candidate(path=path, kind=Kind.EMPTY)
    if b"\x00" in data[:8192]:
        return Candidate(path=path, kind=Kind.BINARY)
    if large:
        return _sniff_head(path, data, size)
    try:
        body = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Candidate(path=path, kind=Kind.BINARY)
    stripped = body.lstrip()
    if stripped[:1] not in ("{", "["):
        return Candidate(path=path, kind=Kind.TEXT, data=data)
    try:
        document = files.loads(body, path)
    except MalformedInputError:
        # a repeated key or deep nesting: in JSON Lines, name the record's line
        if "\n" in body.strip():
            lines = _json_lines(body, path)
            if lines is not None:
                return Candidate(path=path, kind=Kind.JSONL, lines=lines, data=data)
        raise
    except json.JSONDecodeError as first_error:
        lines = _json_lines(body, path)
        if lines is not None:
            return Candidate(path=path, kind=Kind.JSONL, lines=lines, data=data)
        raise MalformedInputError(
            f"is not valid JSON: {first_error.msg} at line {first_error.lineno}, "
            f"column {first_error.colno}.",
            hint="The file may be truncated or hand-edited; export it again.",
            path=path,
        ) from first_error
    return Candidate(path=path, kind=Kind.JSON, document=document, data=data)


def _sniff_head(path: Path, head: bytes, size: int) -> Candidate:
    """Sniff a large file from its head: JSON Lines (first records parsed) or text (CSV).

    A JSON document (not JSON Lines) this large is refused: govern parses JSON documents in
    memory, up to :data:`LARGE_FILE` bytes.
    """
    text = head.decode("utf-8-sig", errors="replace")
    first = text.lstrip()[:1]
    if first in ("{", "["):
        complete_lines = text.splitlines()[:-1]  # the last line may be cut off
        records = _json_lines("\n".join(complete_lines[:50]), path) if first == "{" else None
        if records is not None:
            return Candidate(path=path, kind=Kind.JSONL, lines=records, data=head, complete=False)
        raise MalformedInputError(
            f"is a JSON document of {size:,} bytes (not JSON Lines); govern reads JSON "
            f"documents of at most {LARGE_FILE:,} bytes.",
            hint="Large inputs must be Parquet, CSV or JSON Lines (one record per line).",
            path=path,
        )
    return Candidate(path=path, kind=Kind.TEXT, data=head, complete=False)


def _json_lines(body: str, path: Path) -> list[Any] | None:
    """Parse ``body`` as JSON Lines; ``None`` if any non-empty line is not JSON.

    A record that repeats a key or nests too deep is refused, naming its line.
    """
    records: list[Any] = []
    for number, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(files.loads(line, path, line=number))
        except json.JSONDecodeError:
            return None
    return records if len(records) > 1 else None


def describe(candidate: Candidate) -> str:
    """Say in a few words what a candidate looks like, for "unknown format" messages."""
    if candidate.kind is Kind.JSON:
        if isinstance(candidate.document, Mapping):
            keys = candidate.top_keys()
            shown = ", ".join(keys[:8]) + (", ..." if len(keys) > 8 else "")
            return f"a JSON object with top-level keys [{shown}]"
        if isinstance(candidate.document, list):
            return f"a JSON array of {len(candidate.document)} items"
        return f"a JSON {type(candidate.document).__name__}"
    if candidate.kind is Kind.JSONL:
        return f"JSON Lines with {len(candidate.lines)} records"
    if candidate.kind is Kind.PARQUET:
        return "a Parquet file"
    if candidate.kind is Kind.SQLITE:
        return f"a SQLite database with tables [{', '.join(_sqlite_tables(candidate.path))}]"
    if candidate.kind is Kind.DIRECTORY:
        return "a folder"
    if candidate.kind is Kind.EMPTY:
        return "an empty file"
    if candidate.kind is Kind.BINARY:
        return "a binary file"
    return "a text file"


def _sqlite_tables(path: Path) -> list[str]:
    """Names of the tables of a SQLite file (for messages), empty if it cannot be read."""
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        finally:
            con.close()
    except sqlite3.DatabaseError:
        return []
    names = sorted(str(r[0]) for r in rows)
    return names[:8] + (["..."] if len(names) > 8 else [])


def require_mapping(value: Any, what: str, path: Path) -> Mapping[str, Any]:
    """Return ``value`` if it is a JSON object, else raise a clear :class:`MalformedInputError`."""
    if not isinstance(value, Mapping):
        raise MalformedInputError(
            f"{what} should be a JSON object but is {type(value).__name__}.", path=path
        )
    return value
