"""The review's inputs: the model's logs as one view, the columns chosen and the windows.

:func:`inputs` checks the model, version and columns and creates the base view
:data:`BASE` of the model's current logs; :func:`span` finds the records' time span and cuts it
into the calendar windows (:class:`Slot`) to review.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from govern.errors import UsageError
from govern.review.options import RACE_NAMES, SEX_NAMES, ReviewOptions
from govern.sql import literal, quote
from govern.store import predictions
from govern.store.predictions import Window
from govern.windows import Period, calendar_windows, period_label

if TYPE_CHECKING:
    from govern.store.store import Store

__all__ = ["BASE", "Inputs", "Slot", "Span", "inputs", "slots", "span", "timestamp"]

#: The temporary views of a review (on the store's connection).
BASE = "__govern_review_all"
KEYED = "__govern_review_keyed"
ROWS = "__govern_review_rows"
LABELLED = "__govern_review_labelled"
LL144 = "__govern_review_ll144"
_VERSIONS = "__govern_review_versions"


def timestamp(moment: datetime) -> str:
    """A SQL timestamp literal (the window bounds of the ``CASE`` that keys rows by window)."""
    return f"TIMESTAMP {literal(moment.isoformat(sep=' '))}"


@dataclass(frozen=True)
class Inputs:
    """The model's logs as the review reads them: the base view and the chosen columns."""

    logs: tuple[predictions.LogInfo, ...]
    sensitive: tuple[str, ...]
    intersect: bool
    sex: str | None
    race: str | None

    @property
    def groupings(self) -> tuple[tuple[str, ...], ...]:
        """Each sensitive feature, then their intersection when intersected."""
        out: list[tuple[str, ...]] = [(s,) for s in self.sensitive]
        if self.intersect:
            out.append(tuple(self.sensitive))
        return tuple(out)


def inputs(store: Store, o: ReviewOptions) -> Inputs:
    """Check the model, version and columns; create the base view :data:`BASE`."""
    logs = predictions.logs(store, model=o.model, role="current")
    if not logs:
        known = sorted({log.model for log in predictions.logs(store, role="current")})
        raise UsageError(
            f"no current prediction log of model {o.model!r} is in the store"
            + (f" (models with logs: {', '.join(known)})." if known else "."),
            hint=f"Load one with `govern ingest LOG --model {o.model} --role current "
            "--timestamp TS --prediction COL --sensitive COL ...`.",
        )
    if not any("prediction" in log.mapping for log in logs):
        raise UsageError(
            f"the prediction logs of model {o.model!r} have no prediction column mapped.",
            hint="Ingest them again into a fresh store with --prediction COL.",
        )
    versioned = any(log.version or "model_version" in log.mapping for log in logs)
    if o.version is not None and not versioned:
        raise UsageError(
            f"the prediction logs of model {o.model!r} carry no model version, so --version "
            f"{o.version} cannot select rows.",
            hint="Drop --version, or ingest the logs with --version V or --version-column COL.",
        )
    con = store.con
    predictions.relation(store, BASE, model=o.model, role="current", version=o.version)
    if o.version is not None and not con.execute(f"SELECT 1 FROM {quote(BASE)} LIMIT 1").fetchall():
        predictions.relation(store, _VERSIONS, model=o.model, role="current")
        rows = con.execute(
            f"SELECT DISTINCT __version FROM {quote(_VERSIONS)} ORDER BY 1 NULLS LAST"
        ).fetchall()
        names = ", ".join(str(r[0]) for r in rows if r[0] is not None) or "none"
        raise UsageError(
            f"model {o.model!r} has no prediction rows of version {o.version!r} "
            f"(versions in its logs: {names}).",
            hint="Pick one of those versions, or drop --version to review every version.",
        )
    columns = [str(r[0]) for r in con.execute(f"DESCRIBE {quote(BASE)}").fetchall()]
    visible = [c for c in columns if not c.startswith("__")]
    sensitive = (
        list(o.sensitive)
        if o.sensitive
        else list(dict.fromkeys(s for log in logs for s in log.sensitive))
    )
    if not sensitive:
        raise UsageError(
            f"no sensitive column is mapped for model {o.model!r}.",
            hint="Pass --sensitive COL (repeatable), or map them at ingest with --sensitive.",
        )
    if len(set(sensitive)) != len(sensitive):
        raise UsageError(f"--sensitive names a column twice: {', '.join(sensitive)}.")
    _known_columns(sensitive, visible, "--sensitive")
    sex, race = _ll144_columns(o, sensitive)
    _known_columns([c for c in (sex, race) if c], visible, "--ll144-sex/--ll144-race")
    intersect = len(sensitive) > 1 and o.intersect is not False
    return Inputs(tuple(logs), tuple(sensitive), intersect, sex, race)


def _known_columns(wanted: Iterable[str], visible: Sequence[str], option: str) -> None:
    import difflib

    for column in wanted:
        if column not in visible:
            close = difflib.get_close_matches(column, visible, n=1)
            hint = f"Did you mean {close[0]!r}? " if close else ""
            raise UsageError(
                f"{option} names column {column!r}, which the prediction logs do not have.",
                hint=f"{hint}Columns: {', '.join(visible)}.",
            )


def _ll144_columns(o: ReviewOptions, sensitive: Sequence[str]) -> tuple[str | None, str | None]:
    sex, race = o.ll144_sex, o.ll144_race
    if sex is None and race is None:
        sex = next((s for s in sensitive if s.lower() in SEX_NAMES), None)
        race = next((s for s in sensitive if s.lower() in RACE_NAMES), None)
    return sex, race


@dataclass(frozen=True)
class Slot:
    """One reviewed window: its index (the control value), label and bounds."""

    index: int
    label: str
    start: datetime
    end: datetime
    partial: bool


def slots(first: datetime, last: datetime, period: Period, clip: Window) -> list[Slot]:
    """The calendar windows covering ``[first, last]``, clipped to ``clip``."""
    out = []
    for i, w in enumerate(calendar_windows(first, last, period)):
        assert w.start is not None and w.end is not None
        start = max(w.start, clip.start) if clip.start else w.start
        end = min(w.end, clip.end) if clip.end else w.end
        label = period_label(w.start, period)
        out.append(Slot(i, label, start, end, (start, end) != (w.start, w.end)))
    return out


@dataclass(frozen=True)
class Span:
    """The records' time span: first and last timestamp, records, records without one."""

    first: datetime | None
    last: datetime | None
    records: int
    untimed: int


def span(con: Any, o: ReviewOptions) -> tuple[Span, list[Slot]]:
    """The records' time span and the calendar windows to review."""
    row = con.execute(
        f"SELECT min(__ts), max(__ts), count(*), count(*) - count(__ts) FROM {quote(BASE)}"
    ).fetchall()[0]
    found = Span(row[0], row[1], int(row[2]), int(row[3]))
    if found.records and found.first is None:
        raise UsageError(
            f"the prediction logs of model {o.model!r} have no timestamps, so they cannot be "
            "cut into calendar windows.",
            hint="Ingest them again into a fresh store with --timestamp COL.",
        )
    first = o.start if o.start is not None else found.first
    last = (o.end - timedelta(microseconds=1)) if o.end is not None else found.last
    if first is None or last is None:
        raise UsageError(
            f"model {o.model!r} has no timestamped prediction rows to review.",
            hint="Ingest a current log with --timestamp COL, or pass --from and --to.",
        )
    return found, slots(first, last, o.period, Window(o.start, o.end))
