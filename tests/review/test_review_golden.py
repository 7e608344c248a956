"""Golden files of a small, seeded review: the table and the JSON (``govern.review/v1``).

On a mismatch the actual output is written to ``tests/review/actual/`` (ignored by git) and
the test fails with a diff; after a deliberate change, ``GOVERN_UPDATE_GOLDEN=1 pytest
tests/review`` rewrites the goldens (then review the git diff). Floats in the JSON are
rounded to 10 significant digits (DuckDB may sum scores in any order).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from govern.formats.review import render_json, render_table
from govern.review import Review, ReviewOptions, review
from govern.store import Store
from tests.golden import assert_golden
from tests.review.logs import MODEL, ingest_frame, monthly_frame

HERE = Path(__file__).parent


def scrub(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.10g}")
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


@pytest.fixture
def loaded(store: Store, tmp_path: Path) -> Store:
    frame = monthly_frame(("2026-01", "2026-02", "2026-04"), rows=300, biased=("2026-04",))
    frame = frame[frame["race"] != "c"]  # two races: a smaller intersection
    ingest_frame(store, frame, tmp_path / "golden.parquet")
    return store


def run(store: Store, **options: Any) -> Review:
    options = {"model": MODEL, "end": datetime(2026, 5, 1), "min_group_size": 40, **options}
    return review(store, ReviewOptions(**options), now=datetime(2026, 5, 2, 8, tzinfo=UTC))


def test_table_golden(loaded: Store) -> None:
    assert_golden(HERE, "review.txt", render_table(run(loaded), width=150))


def test_json_golden(loaded: Store) -> None:
    parsed = json.loads(render_json(run(loaded, sensitive=("sex",), start=datetime(2026, 2, 1))))
    assert_golden(HERE, "review.json", json.dumps(scrub(parsed), indent=2, sort_keys=True) + "\n")
