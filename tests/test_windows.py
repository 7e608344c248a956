"""Time windows: durations, rule windows, calendar periods and ``--from``/``--to`` dates."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from govern.errors import UsageError
from govern.store.predictions import Window
from govern.windows import (
    calendar_windows,
    parse_bound,
    parse_duration,
    parse_window,
    period_label,
    periods,
)

LATEST = datetime(2026, 3, 18, 15, 30)  # a Wednesday


def test_parse_duration() -> None:
    assert parse_duration("12h") == timedelta(hours=12)
    assert parse_duration(" 30d ") == timedelta(days=30)
    assert parse_duration("2w") == timedelta(weeks=2)
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("3m")


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (None, None),
        ("all", None),
        ("month", Window(datetime(2026, 3, 1), datetime(2026, 4, 1))),
        ("week", Window(datetime(2026, 3, 16), datetime(2026, 3, 23))),
        (
            "1d",
            Window(
                LATEST + timedelta(microseconds=1) - timedelta(days=1),
                LATEST + timedelta(microseconds=1),
            ),
        ),
        ({"start": "2026-01-01"}, Window(datetime(2026, 1, 1), None)),
        (
            {"start": "2026-01-01", "end": "2026-02-01"},
            Window(datetime(2026, 1, 1), datetime(2026, 2, 1)),
        ),
    ],
)
def test_parse_window(spec: object, expected: Window | None) -> None:
    assert parse_window(spec, LATEST) == expected


def test_a_relative_window_without_timestamps_is_the_whole_log() -> None:
    assert parse_window("30d", None) is None


def test_periods_and_calendar_windows() -> None:
    first, last = datetime(2026, 1, 30, 8), datetime(2026, 3, 2)
    assert [w.start for w in periods(first, last, "month")] == [
        datetime(2026, 1, 1),
        datetime(2026, 2, 1),
        datetime(2026, 3, 1),
    ]
    assert len(periods(first, last, "day")) == 32
    assert periods(first, last, "week")[0].start == datetime(2026, 1, 26)
    assert calendar_windows(first, last, "month") == periods(first, last, "month")
    (q1,) = calendar_windows(first, last, "quarter")
    assert q1 == Window(datetime(2026, 1, 1), datetime(2026, 4, 1))
    assert len(calendar_windows(datetime(2025, 11, 5), datetime(2026, 4, 1), "quarter")) == 3
    assert period_label(datetime(2026, 5, 1), "quarter") == "2026-Q2"
    assert period_label(datetime(2026, 5, 1), "month") == "2026-05"


def test_parse_bound() -> None:
    assert parse_bound("2026-02", end=False) == datetime(2026, 2, 1)
    assert parse_bound("2026-02", end=True) == datetime(2026, 3, 1)
    assert parse_bound("2026-12", end=True) == datetime(2027, 1, 1)
    assert parse_bound("2026-02-10", end=True) == datetime(2026, 2, 11)
    with pytest.raises(UsageError, match="is not a date"):
        parse_bound("Feb", end=False)
