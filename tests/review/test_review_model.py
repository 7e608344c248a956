"""The typed review: frozen, built once, read through its fields; one ``to_json``."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from govern.formats.review import render_json
from govern.review import (
    DisparityValue,
    PreviousValue,
    Regression,
    Review,
    ReviewOptions,
    ReviewWindow,
    review,
    store_review,
)
from govern.review.compare import Change, Comparison, compare
from govern.review.storage import past
from govern.store import Store
from tests.review.logs import MODEL, ingest_frame, monthly_frame

NOW = datetime(2026, 7, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def loaded(store: Store, tmp_path: Path) -> Store:
    frame = monthly_frame(("2026-01", "2026-02", "2026-03"), rows=600, biased=("2026-03",))
    ingest_frame(store, frame, tmp_path / "log.parquet")
    return store


def reviewed(store: Store, **options: object) -> Review:
    return review(store, ReviewOptions(model=MODEL, **options), now=NOW)  # type: ignore[arg-type]


def test_review_and_its_parts_are_frozen(loaded: Store) -> None:
    r = reviewed(loaded)
    w = r.windows[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.regressions = ()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        w.features[0].disparities[0].regression = True  # type: ignore[misc]
    assert isinstance(r.windows, tuple) and isinstance(w.features, tuple)


def test_typed_fields_are_the_json(loaded: Store) -> None:
    r = reviewed(loaded)
    data = json.loads(render_json(r))
    assert data == json.loads(json.dumps(r.to_json()))
    assert data["decision"] == r.decision == "regression"
    assert data["summary"] == dataclasses.asdict(r.summary)
    assert data["params"]["tolerance"] == r.params.tolerance
    for w, wj in zip(r.windows, data["windows"], strict=True):
        assert (w.label, w.rows, w.missing_sensitive, w.status) == (
            wj["label"],
            wj["rows"],
            wj["missing_sensitive"],
            wj["status"],
        )
        for f, fj in zip(w.features, wj["features"], strict=True):
            assert [g.n for g in f.groups] == [g["n"] for g in fj["groups"]]
            for d, dj in zip(f.disparities, fj["disparities"], strict=True):
                assert (d.metric, d.value, d.regression) == (
                    dj["metric"],
                    dj["value"],
                    dj["regression"],
                )
                assert (d.previous.to_json() if d.previous else None) == dj["previous"]
    assert [x.to_json() for x in r.regressions] == data["regressions"]
    assert all(isinstance(x, Regression) for x in r.regressions)
    march = next(w for w in r.windows if w.label == "2026-03")
    dp = march.features[0].disparity("demographic_parity_difference")
    assert dp is not None and dp.regression and dp.previous is not None
    assert dp.previous.window == "2026-02" and dp.previous.source == "review"


def test_stored_result_is_the_json(loaded: Store) -> None:
    r = reviewed(loaded)
    saved = store_review(loaded, r, now=NOW)
    assert saved.result == r.to_json() and saved.params == r.params.to_json()
    assert saved.verified()
    again = reviewed(loaded)
    assert again.compared_to == saved
    earlier = past(saved)
    assert earlier is not None and earlier.id == saved.id
    assert [w.label for w in earlier.windows] == ["2026-01", "2026-02", "2026-03"]
    dp = again.windows[2].features[0].disparity("demographic_parity_difference")
    assert dp is not None and dp.stored is not None and dp.stored.review == saved.id


def test_compare_returns_a_new_value_and_changes_nothing(loaded: Store) -> None:
    r = reviewed(loaded)
    # the windows as measured: no change against anything yet
    measured = tuple(
        dataclasses.replace(
            w,
            features=tuple(
                dataclasses.replace(
                    f,
                    disparities=tuple(
                        dataclasses.replace(d, previous=None, stored=None, regression=False)
                        for d in f.disparities
                    ),
                )
                for f in w.features
            ),
        )
        for w in r.windows
    )
    before = [w.to_json() for w in measured]
    comparison = compare(measured, r.disparities, None, r.params.tolerance)
    assert [w.to_json() for w in measured] == before  # nothing changed in place
    assert comparison.regressions == r.regressions
    assert comparison.apply(measured) == r.windows


def test_apply_keeps_disparities_without_a_change(loaded: Store) -> None:
    w: ReviewWindow = reviewed(loaded).windows[1]
    d: DisparityValue = w.features[0].disparities[0]
    key = (w.label, w.features[0].feature, d.metric)
    change = Change(PreviousValue("2026-01", 0.5, 0.1, "review"), None, True)
    (new,) = Comparison({key: change}, ()).apply([w])
    assert new is not w and new.features[0].disparities[0].previous == change.previous
    assert new.features[0].disparities[1] is w.features[0].disparities[1]
    assert w.features[0].disparities[0] is d  # the original is unchanged
