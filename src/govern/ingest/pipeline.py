"""Find inputs, detect their format by content, read them, and write them in one transaction.

``govern ingest PATH...`` calls :func:`ingest`. Every path is read and parsed *before* anything
is written, and everything is then written in a single transaction, so bad input (or a crash)
leaves the store exactly as it was. Folders are walked: a folder an adapter recognises as a
whole (an MLflow FileStore ``mlruns/``) is one unit; otherwise each file is detected on its
own. In a walked folder, files of no known format are reported as skipped; a file named
explicitly on the command line must be of a known format.

The same holds for what is not a regular file (see :mod:`govern.ingest.files`): a FIFO, a
device or a symlink leading out of the folder is reported as skipped, never opened, when it is
found in a walked folder, and refused (exit 2) when it is named on the command line.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from govern.errors import GovernError, MalformedInputError, UnknownFormatError
from govern.ingest import files
from govern.ingest import normalise as n
from govern.ingest.base import Adapter, Candidate, Kind, describe, sniff
from govern.ingest.registry import ADAPTERS, detect
from govern.records.monitoring import MONITORING_KEY, MonitoringRecords
from govern.records.registry import Batch
from govern.store import ledger
from govern.store.store import SourceRecord, Store


@dataclass
class Unit:
    """One input recognised by an adapter: a file, or a folder read as a whole."""

    candidate: Candidate
    adapter: Adapter
    explicit: bool


@dataclass(frozen=True)
class Loaded:
    """A unit written to the store."""

    path: str
    format: str
    sha256: str
    counts: dict[str, int]


@dataclass
class IngestReport:
    """What one ingest did: loaded units, unchanged ones (same bytes as before), skipped files."""

    loaded: list[Loaded] = field(default_factory=list)
    unchanged: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        """Sum the record counts of every loaded unit."""
        out: dict[str, int] = {}
        for unit in self.loaded:
            for key, value in unit.counts.items():
                out[key] = out.get(key, 0) + value
        return out


Progress = Callable[[str], None]


def _is_hidden(path: Path) -> bool:
    return path.name.startswith(".") or path.name == "__pycache__"


def discover(
    paths: Sequence[Path],
    *,
    skip_invalid: bool = False,
    options: Mapping[str, Any] | None = None,
) -> tuple[list[Unit], list[tuple[str, str]]]:
    """Return the recognised units under ``paths`` and the files skipped with a reason.

    ``options`` (model, version, role, column mapping) reach every candidate: prediction-log
    adapters need them.
    """
    opts = dict(options or {})
    units: list[Unit] = []
    skipped: list[tuple[str, str]] = []
    for path in paths:
        files.require_input(path)
        if path.is_dir():
            walk = _Walk(files.Tree(path), path, skip_invalid, skipped, opts)
            before = len(skipped)
            found = list(walk.walk(path))
            if not found:
                contents = "is empty" if not any(path.iterdir()) else "holds no file govern reads"
                passed = skipped[before:]
                hint = _formats_hint()
                if passed:
                    hint = f"Skipped {passed[0][0]}: {passed[0][1]}" + (
                        f" (and {len(passed) - 1} more)." if len(passed) > 1 else "."
                    )
                raise UnknownFormatError(f"the folder {contents}.", hint=hint, path=path)
            units.extend(found)
            continue
        candidate = sniff(path)
        candidate.options = opts
        adapter = detect(candidate)
        if adapter is None:
            raise UnknownFormatError(
                f"is {describe(candidate)}, not a format govern reads.",
                hint=_tabular_hint(candidate) or _formats_hint(),
                path=path,
            )
        units.append(Unit(candidate, adapter, explicit=True))
    return units, skipped


@dataclass
class _Walk:
    """One walk of a folder the user named: symlinks stay inside it, each folder once."""

    tree: files.Tree
    root: Path
    skip_invalid: bool
    skipped: list[tuple[str, str]]
    opts: dict[str, Any]
    seen: set[Path] = field(default_factory=set)

    def walk(self, folder: Path) -> Iterator[Unit]:
        real = folder.resolve()
        if real in self.seen:
            return
        self.seen.add(real)
        whole = Candidate(path=folder, kind=Kind.DIRECTORY, root=self.root)
        as_whole = detect(whole)
        if as_whole is not None:
            yield Unit(whole, as_whole, explicit=False)
            return
        try:
            children = sorted(folder.iterdir())
        except OSError as exc:
            self.skipped.append((str(folder), f"cannot be listed ({exc.strerror or exc})"))
            return
        for child in children:
            if _is_hidden(child):
                continue
            why = self.tree.why_not(child)
            if why is not None:
                self.skipped.append((str(child), why))
                continue
            if child.is_dir():
                yield from self.walk(child)
                continue
            try:
                candidate = sniff(child)
            except MalformedInputError as exc:
                if not self.skip_invalid:
                    raise
                self.skipped.append((str(child), exc.message))
                continue
            candidate.options = self.opts
            candidate.root = self.root
            adapter = detect(candidate)
            if adapter is None:
                why = _tabular_hint(candidate) or "not a format govern reads"
                self.skipped.append((str(child), f"{describe(candidate)}, {why}"))
            else:
                yield Unit(candidate, adapter, explicit=False)


def _tabular_hint(candidate: Candidate) -> str | None:
    """For a table-like file without prediction-log options, say how to load it."""
    tabular = candidate.kind in (Kind.PARQUET, Kind.JSONL) or (
        candidate.kind is Kind.TEXT and b"," in candidate.data[:4096]
    )
    if tabular and not candidate.options.get("role"):
        return (
            "looks like a prediction log: load it with --model NAME --role reference|current "
            "and the column mapping (see `govern ingest --help`)"
        )
    return None


def _formats_hint() -> str:
    names = ", ".join(sorted(ADAPTERS))
    return f"govern reads these formats: {names}. See `govern ingest --help`."


def unit_sha256(batch: Batch, candidate: Candidate) -> str:
    """Hash a unit: the file's own SHA-256, or a hash over every file it was read from."""
    files = sorted({p.resolve() for p in batch.files})
    if candidate.kind is not Kind.DIRECTORY and len(files) <= 1:
        return n.sha256_file(candidate.path)
    base = candidate.path.resolve() if candidate.kind is Kind.DIRECTORY else files[0].parent
    lines = []
    for file in files:
        try:
            rel = file.relative_to(base).as_posix()
        except ValueError:
            rel = file.as_posix()
        lines.append(f"{n.sha256_file(file)}  {rel}\n")
    return n.sha256_bytes("".join(lines).encode())


def read_units(units: Sequence[Unit], progress: Progress | None = None) -> list[tuple[Unit, Batch]]:
    """Read every unit into a batch (nothing is written). Adapter errors name the file."""
    out: list[tuple[Unit, Batch]] = []
    for unit in units:
        if progress:
            progress(str(unit.candidate.path))
        try:
            batch = unit.adapter.read(unit.candidate)
        except GovernError:
            raise
        except n.BadValueError as exc:
            raise MalformedInputError(
                f"was recognised as {unit.adapter.name} but {exc}.",
                hint="The file may be damaged or hand-edited; export it again.",
                path=unit.candidate.path,
            ) from exc
        except RecursionError as exc:
            raise MalformedInputError(
                f"was recognised as {unit.adapter.name} but nests too deep to read.",
                hint="The file may be damaged or crafted; export it again.",
                path=unit.candidate.path,
            ) from exc
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            raise MalformedInputError(
                f"was recognised as {unit.adapter.name} but could not be read ({exc!r}).",
                hint="The file may be damaged or from an unsupported version; please report it.",
                path=unit.candidate.path,
            ) from exc
        report_non_finite(batch, unit.candidate.path)
        out.append((unit, batch))
    return out


def report_non_finite(batch: Batch, path: Path) -> None:
    """Store NaN and infinite metric values as missing, and say so in the ingest report.

    MLflow logs NaN (and infinite) metric values, so they are real data, not damage. A NaN
    compared with a threshold passes or fails by accident, so govern stores no number: the
    value is NULL, a rule over it is not evaluated, and a note names the run, the metric and
    how many values were not finite. Monitoring results (a SageMaker ``standard_deviation``
    of ``"NaN"``, an Evidently score) are noted the same way; the store writes them as NULL.
    Nothing is dropped silently. (Timestamps are different: a NaN or out-of-range timestamp
    is damage, and the file is refused; see :func:`govern.ingest.normalise.timestamp`.)
    """
    for index, run in enumerate(batch.runs):
        odd: dict[str, list[str]] = {}
        points = []
        for point in run.metrics:
            if point.value is not None and not math.isfinite(point.value):
                odd.setdefault(point.key, []).append(repr(point.value))
                point = replace(point, value=None)
            points.append(point)
        if not odd:
            continue
        batch.runs[index] = replace(run, metrics=tuple(points))
        for key, values in sorted(odd.items()):
            kinds = ", ".join(sorted(set(values)))
            batch.notes.append(
                f"{path}: run {run.run_id} metric {key!r} has {len(values)} value(s) that are "
                f"not finite ({kinds}); stored as missing, so a rule over it is not evaluated."
            )
    odd_results = [
        result
        for records in batch.extra.get(MONITORING_KEY, [])
        if isinstance(records, MonitoringRecords)
        for result in records.results
        if any(v is not None and not math.isfinite(v) for v in (result.value, result.threshold))
    ]
    if odd_results:
        first = odd_results[0]
        batch.notes.append(
            f"{path}: {len(odd_results)} monitoring value(s) or threshold(s) are NaN or "
            f"infinite (e.g. {first.metric} of {first.subject!r}); stored as missing, so a "
            "rule over them is not evaluated."
        )


def ingest(
    store: Store,
    paths: Sequence[Path],
    *,
    now: datetime,
    skip_invalid: bool = False,
    progress: Progress | None = None,
    options: Mapping[str, Any] | None = None,
    record: bool = False,
) -> IngestReport:
    """Detect, read and load ``paths`` into ``store`` in one transaction.

    With ``record`` (``govern ingest``), a batch that loads anything appends one ``ingest``
    ledger entry (:func:`ingest_payload`) in the same transaction: a refused entry (a broken
    ledger) leaves the store as it was, and a failed batch leaves no entry.
    """
    units, skipped = discover(paths, skip_invalid=skip_invalid, options=options)
    batches = read_units(units, progress)
    report = IngestReport()
    consumed = {p.resolve() for _, batch in batches for p in batch.files}
    report.skipped = [(p, why) for p, why in skipped if Path(p).resolve() not in consumed]
    to_write: list[tuple[SourceRecord, Batch]] = []
    seen: set[str] = set()
    for unit, batch in batches:
        sha = unit_sha256(batch, unit.candidate)
        path = str(unit.candidate.path)
        report.notes.extend(batch.notes)
        if sha in seen or store.has_source(sha):
            report.unchanged.append((path, unit.adapter.name))
            continue
        seen.add(sha)
        source = SourceRecord(
            sha256=sha,
            path=path,
            format=unit.adapter.name,
            family=unit.adapter.family,
            files=len(set(batch.files)) or 1,
        )
        to_write.append((source, batch))
        report.loaded.append(Loaded(path, unit.adapter.name, sha, batch.counts()))
    if to_write:
        with store.transaction():
            store.write(to_write, now=now)
            if record:
                ledger.append(
                    store,
                    kind=ledger.INGEST,
                    subject=ingest_subject(to_write),
                    decision="loaded",
                    payload=ingest_payload(to_write),
                    now=now,
                )
    return report


def ingest_subject(units: Sequence[tuple[SourceRecord, Batch]]) -> str:
    """The subject of an ingest entry: the loaded files' names (the first three, then a count)."""
    names = [Path(source.path).name or source.path for source, _ in units]
    shown = ", ".join(names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def ingest_payload(units: Sequence[tuple[SourceRecord, Batch]]) -> dict[str, Any]:
    """What an ingest entry records: each source's SHA-256, path, format and record counts."""
    return {
        "sources": [
            {
                "sha256": source.sha256,
                "path": source.path,
                "format": source.format,
                "family": source.family,
                "files": source.files,
                "counts": batch.counts(),
            }
            for source, batch in units
        ]
    }
