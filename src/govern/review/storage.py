"""Stored reviews as the review uses them: store one, read the last one to compare with.

A review is stored as its ``govern.review/v1`` JSON (:meth:`Review.to_json`) by
:mod:`govern.store.reviews`. :func:`past` reads the parts of the last stored review a new
review compares with -- its windows and their evaluated disparity and performance values --
into a :class:`Past`; nothing else of the stored JSON is read back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from govern.review.model import Review, ReviewParams
from govern.store import ledger
from govern.store import reviews as stored_reviews

if TYPE_CHECKING:
    from govern.store.store import Store

__all__ = [
    "Past",
    "PastWindow",
    "ValueKey",
    "past",
    "review_payload",
    "store_review",
    "stored_warnings",
]

#: (window label, feature, metric)
ValueKey = tuple[str, str, str]


@dataclass(frozen=True)
class PastWindow:
    """A window of a stored review: its label and bounds (as stored, ISO text)."""

    label: str
    start: str
    end: str


@dataclass(frozen=True)
class Past:
    """The last stored review of the model and period, as far as a comparison needs it."""

    id: int
    windows: tuple[PastWindow, ...]
    #: each disparity's value, None when it was not evaluated
    values: Mapping[ValueKey, float | None]
    #: each performance rule's value by (window label, rule id), None when not evaluated
    #: (empty for a review stored before performance rules were reviewed)
    performance: Mapping[tuple[str, str], float | None] = field(default_factory=dict)


def past(stored: stored_reviews.StoredReview | None) -> Past | None:
    """The windows, disparity and performance values of a stored review (None without one)."""
    if stored is None:
        return None
    windows = list(stored.result.get("windows", []))
    values: dict[ValueKey, float | None] = {}
    performance: dict[tuple[str, str], float | None] = {}
    for w in windows:
        for f in w.get("features") or []:
            for d in f["disparities"]:
                values[(w["label"], f["feature"], d["metric"])] = (
                    d["value"] if d["status"] == "evaluated" else None
                )
        for p in w.get("performance") or []:
            value = p.get("value") if p.get("status") == "evaluated" else None
            performance[(w["label"], p["rule"])] = None if value is None else float(value)
    return Past(
        id=stored.id,
        windows=tuple(PastWindow(w["label"], w["start"], w["end"]) for w in windows),
        values=values,
        performance=performance,
    )


def stored_warnings(stored: stored_reviews.StoredReview, params: ReviewParams) -> list[str]:
    """Why a stored review may not compare: edited since, or other options."""
    out = []
    if not stored.verified():
        out.append(
            f"stored review #{stored.id} no longer matches its digest (it was edited); "
            "compared with it anyway."
        )
    now: Mapping[str, Any] = params.to_json()
    # reviews stored before `missing` existed left out records without a value too
    earlier = {"missing": "exclude", **stored.params}
    for key in ("sensitive", "pos_label", "min_group_size", "missing"):
        if earlier.get(key) != now[key]:
            out.append(
                f"stored review #{stored.id} used {key} {earlier.get(key)!r}, this "
                f"review {now[key]!r}: values may not be comparable."
            )
    return out


def store_review(store: Store, result: Review, *, now: datetime) -> stored_reviews.StoredReview:
    """Append a review to the store and its ``review`` ledger entry, in one transaction.

    The entry records the stored review's id and SHA-256 (:func:`review_payload`) and is
    stamped with the wall clock, as every ledger entry is (``now`` may be a report's fixed
    clock); a refused entry (a broken ledger) stores nothing.
    """
    with store.transaction():
        stored = stored_reviews.append(
            store,
            model=result.model,
            version=result.version,
            period=result.period,
            params=result.params.to_json(),
            result=result.to_json(),
            now=now,
        )
        ledger.append(
            store,
            kind=ledger.REVIEW,
            subject=result.model if result.version is None else f"{result.model}@{result.version}",
            decision=result.decision,
            payload=review_payload(stored, regressions=len(result.regressions)),
            now=datetime.now(UTC),
        )
    return stored


def review_payload(stored: stored_reviews.StoredReview, *, regressions: int) -> dict[str, Any]:
    """What a review entry records: the stored review's id, SHA-256, scope and regressions."""
    return {
        "review_id": stored.id,
        "sha256": stored.result_sha256,
        "model": stored.model,
        "version": stored.version,
        "period": stored.period,
        "regressions": regressions,
    }
