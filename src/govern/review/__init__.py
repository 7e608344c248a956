"""Periodic fairness review of a model's production decisions (``govern review``)."""

from govern.review.build import (
    DISPARITIES,
    MISSING,
    PERIODS,
    SCHEMA,
    Disparity,
    ReviewOptions,
    ReviewResult,
    calendar_windows,
    parse_bound,
    review,
    store_review,
)

__all__ = [
    "DISPARITIES",
    "MISSING",
    "PERIODS",
    "SCHEMA",
    "Disparity",
    "ReviewOptions",
    "ReviewResult",
    "calendar_windows",
    "parse_bound",
    "review",
    "store_review",
]
