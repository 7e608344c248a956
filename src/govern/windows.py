"""Time windows: the one place durations, rule windows and calendar periods are parsed.

* :func:`parse_duration`: ``12h``, ``30d``, ``2w`` (rule windows, report ages);
* :func:`parse_window`: a rule's ``window`` (``all``, a duration, ``month``, ``week`` or
  ``{start, end}``) as the :class:`~govern.store.predictions.Window` it selects, and
  :data:`WINDOW_SCHEMA`, its JSON Schema (drift and fairness rules);
* :func:`periods`: consecutive calendar days, ISO weeks or months (drift trends);
* :func:`calendar_windows`, :func:`period_label` and :func:`parse_bound`: the calendar months
  or quarters of ``govern review`` and its ``--from``/``--to`` dates.

Every window is half-open, ``[start, end)``, in naive UTC.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any, Literal

from govern.errors import UsageError
from govern.store.predictions import Window

__all__ = [
    "PERIODS",
    "WINDOW_PATTERN",
    "WINDOW_SCHEMA",
    "Period",
    "Window",
    "calendar_windows",
    "parse_bound",
    "parse_duration",
    "parse_window",
    "period_label",
    "periods",
]

WINDOW_PATTERN = r"^(all|month|week|[0-9]+[dhw])$"
#: JSON Schema of a rule's ``window`` (drift, fairness)
WINDOW_SCHEMA: dict[str, Any] = {
    "oneOf": [
        {"type": "string", "pattern": WINDOW_PATTERN},
        {
            "type": "object",
            "properties": {
                "start": {"type": "string", "format": "date"},
                "end": {"type": "string", "format": "date"},
            },
            "additionalProperties": False,
        },
    ],
    "description": "Current window: all, 30d, 12h, 2w, week, month or {start, end}.",
}

#: Calendar periods of a review.
Period = Literal["month", "quarter"]
PERIODS: tuple[Period, ...] = ("month", "quarter")


def parse_duration(text: str) -> timedelta:
    """``12h``, ``30d``, ``2w`` as a duration (windows of drift rules, report ages)."""
    match = re.fullmatch(r"([0-9]+)([hdw])", text.strip())
    if match is None:
        raise ValueError(f"not a duration: {text!r} (expected e.g. 12h, 30d, 2w)")
    amount, unit = int(match.group(1)), match.group(2)
    return {
        "h": timedelta(hours=amount),
        "d": timedelta(days=amount),
        "w": timedelta(weeks=amount),
    }[unit]


def parse_window(spec: Any, latest: datetime | None) -> Window | None:
    """Return the current window of a rule.

    ``all``, ``30d``/``12h``/``2w`` ending at the latest timestamp, ``month``/``week`` (the
    calendar month or ISO week holding the latest timestamp), or ``{start, end}`` dates.
    """
    if spec in (None, "all"):
        return None
    if isinstance(spec, Mapping):
        start = spec.get("start")
        end = spec.get("end")
        return Window(
            datetime.fromisoformat(str(start)) if start else None,
            datetime.fromisoformat(str(end)) if end else None,
        )
    if latest is None:
        return None
    text = str(spec)
    if text == "month":
        start = latest.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        end = (start + timedelta(days=32)).replace(day=1)
        return Window(start, end)
    if text == "week":
        day = latest.replace(hour=0, minute=0, second=0, microsecond=0)
        start = day - timedelta(days=day.weekday())
        return Window(start, start + timedelta(days=7))
    delta = parse_duration(text)
    end = latest + timedelta(microseconds=1)
    return Window(end - delta, end)


def periods(first: datetime, last: datetime, unit: str) -> list[Window]:
    """Consecutive calendar windows (day, week or month) covering [first, last]."""
    if unit == "month":
        start = first.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    else:
        start = first.replace(hour=0, minute=0, second=0, microsecond=0)
        if unit == "week":
            start -= timedelta(days=start.weekday())
    out: list[Window] = []
    while start <= last:
        if unit == "month":
            end = (start + timedelta(days=32)).replace(day=1)
        elif unit == "week":
            end = start + timedelta(days=7)
        else:
            end = start + timedelta(days=1)
        out.append(Window(start, end))
        start = end
    return out


def calendar_windows(first: datetime, last: datetime, period: Period) -> list[Window]:
    """Calendar months or quarters covering ``[first, last]`` (months from :func:`periods`)."""
    if period == "month":
        return periods(first, last, "month")
    q_first = first.replace(
        month=(first.month - 1) // 3 * 3 + 1, day=1, hour=0, minute=0, second=0, microsecond=0
    )
    q_last = datetime(last.year, (last.month - 1) // 3 * 3 + 3, 1)
    months = periods(q_first, q_last, "month")
    return [Window(months[i].start, months[i + 2].end) for i in range(0, len(months), 3)]


def period_label(start: datetime, period: Period) -> str:
    """The label of the calendar period starting at ``start``: ``2026-03`` or ``2026-Q1``."""
    if period == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year:04d}-{start.month:02d}"


def parse_bound(text: str, *, end: bool) -> datetime:
    """A ``--from``/``--to`` date: ``YYYY-MM-DD`` or ``YYYY-MM`` (naive UTC).

    A start is the first instant of the day (month); an end is inclusive, so the instant
    returned is the first one *after* that day (month).
    """
    value = text.strip()
    try:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}", value):
            day = date.fromisoformat(value + "-01")
            if not end:
                return datetime(day.year, day.month, 1)
            return (datetime(day.year, day.month, 1) + timedelta(days=32)).replace(day=1)
        day = date.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"{'--to' if end else '--from'} {text!r} is not a date.",
            hint="Write YYYY-MM-DD (e.g. 2026-03-31) or YYYY-MM (a whole month).",
        ) from None
    moment = datetime(day.year, day.month, day.day)
    return moment + timedelta(days=1) if end else moment
