"""Errors that explain themselves.

Every error govern raises on bad input is a :class:`GovernError`. The command line catches it
once, prints :meth:`GovernError.diagnostics` (what failed, naming the file, and what to do) and
exits with code 2. Tracebacks are shown only with ``--verbose``.
"""

from __future__ import annotations

from pathlib import Path


class GovernError(Exception):
    """Base class of every expected error: bad input, bad usage, failed verification."""

    def __init__(self, message: str, *, hint: str | None = None, path: Path | str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.path = str(path) if path is not None else None

    def diagnostics(self) -> str:
        """Return the one or two plain sentences shown to the user."""
        text = self.message
        if self.path and self.path not in text:
            text = f"{self.path}: {text}"
        if self.hint:
            text = f"{text}\n{self.hint}"
        return text


class IngestError(GovernError):
    """An input could not be read, recognised or loaded; nothing was written."""


class UnknownFormatError(IngestError):
    """An input's content matches none of the formats govern reads."""


class MalformedInputError(IngestError):
    """An input was recognised (or claimed to be JSON/SQLite) but does not parse."""


class PolicyError(GovernError):
    """A policy or waiver file is invalid; ``problems`` lists every error with its line."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        path: Path | str | None = None,
        problems: tuple[str, ...] = (),
    ):
        super().__init__(message, hint=hint, path=path)
        self.problems = problems

    def diagnostics(self) -> str:
        """Return the message followed by every problem, one per line."""
        text = super().diagnostics()
        if self.problems:
            text = text + "\n" + "\n".join(f"  {p}" for p in self.problems)
        return text


class VerificationError(GovernError):
    """A signature, attestation or the ledger chain does not verify."""


class StoreError(GovernError):
    """The DuckDB store cannot be opened, or was written by an unknown schema version."""


class UsageError(GovernError):
    """The command line was used wrongly (unknown model, bad option value)."""


class OutputError(GovernError):
    """An output file (``--output``, ``--out``) cannot be written; nothing was recorded."""
