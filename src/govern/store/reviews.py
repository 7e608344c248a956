"""Stored fairness reviews (``govern review``): append one, read the latest of a model/period.

Each review is one row of ``reviews`` (migration 5): the model, the version it was restricted
to (``NULL`` for every version), the period (``month``/``quarter``), the time it was made, its
options, its result and the SHA-256 of the result's canonical JSON (RFC 8785), so that a later
review, or an auditor, can tell whether a stored result was edited. Rows are only appended,
each in its own transaction.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import rfc8785

from govern.errors import StoreError
from govern.store.store import Store


@dataclass(frozen=True)
class StoredReview:
    """One stored review."""

    id: int
    model: str
    version: str | None
    period: str
    created_at: datetime
    params: dict[str, Any]
    result: dict[str, Any]
    result_sha256: str

    def verified(self) -> bool:
        """True when the stored result still hashes to the stored digest."""
        return result_digest(self.result) == self.result_sha256

    def ref(self) -> dict[str, Any]:
        """A short JSON reference (id, time, digest) for the review that compares against it."""
        return {
            "id": self.id,
            "created_at": self.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "sha256": self.result_sha256,
        }


def result_digest(result: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON (RFC 8785) of a review result."""
    return hashlib.sha256(rfc8785.dumps(result)).hexdigest()


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def append(
    store: Store,
    *,
    model: str,
    version: str | None,
    period: str,
    params: dict[str, Any],
    result: dict[str, Any],
    now: datetime,
) -> StoredReview:
    """Append one review in its own transaction and return it (with its id and digest)."""
    try:
        digest = result_digest(result)
        params_text = rfc8785.dumps(params).decode()
        result_text = rfc8785.dumps(result).decode()
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise StoreError(f"the review result cannot be stored as canonical JSON: {exc}") from exc
    created = _naive_utc(now)
    with store.transaction():
        row = store.con.execute("SELECT coalesce(max(id), 0) + 1 FROM reviews").fetchall()
        new_id = int(row[0][0])
        store.con.execute(
            "INSERT INTO reviews VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [new_id, model, version, period, created, params_text, result_text, digest],
        )
    return StoredReview(
        new_id, model, version, period, created, json.loads(params_text), result, digest
    )


def latest(store: Store, *, model: str, version: str | None, period: str) -> StoredReview | None:
    """The most recent stored review of a model, version (or all versions) and period."""
    rows = store.query(
        "SELECT * FROM reviews WHERE model = ? AND version IS NOT DISTINCT FROM ? AND period = ? "
        "ORDER BY id DESC LIMIT 1",
        [model, version, period],
    )
    return _review(rows[0]) if rows else None


def all_reviews(store: Store, *, model: str | None = None) -> list[StoredReview]:
    """Every stored review (optionally of one model), oldest first."""
    rows = store.query(
        "SELECT * FROM reviews WHERE (? IS NULL OR model = ?) ORDER BY id", [model, model]
    )
    return [_review(r) for r in rows]


def _review(row: dict[str, Any]) -> StoredReview:
    return StoredReview(
        id=int(row["id"]),
        model=row["model"],
        version=row["version"],
        period=row["period"],
        created_at=row["created_at"],
        params=json.loads(row["params"]),
        result=json.loads(row["result"]),
        result_sha256=row["result_sha256"],
    )
