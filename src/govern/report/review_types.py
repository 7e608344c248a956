"""The typed rows of the periodic review report (``govern.review-report/v1``).

:class:`ReviewReport` and the frozen rows it is made of: the disparity heads, each feature's
table of cells per window, the groups, the windows, the regressions, the LL144 trends, the
inputs and policies with their SHA-256. :mod:`govern.report.review_report` builds them from a
:class:`~govern.review.model.Review` and renders them; this module only declares them (and the
report's JSON, :meth:`ReviewReport.to_json`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from govern.report.context import PolicyRow, Tool
from govern.review.model import Review

__all__ = [
    "REVIEW_REPORT_SCHEMA",
    "Cell",
    "DisparityRow",
    "FeatureReport",
    "GroupRow",
    "InputRow",
    "LL144Cell",
    "LL144Trend",
    "MetricHead",
    "RegressionRow",
    "ReviewReport",
    "WindowRow",
]

REVIEW_REPORT_SCHEMA = "govern.review-report/v1"


@dataclass(frozen=True)
class MetricHead:
    """A disparity the review computes: its name, short label, kind and description."""

    name: str
    label: str
    kind: str
    description: str


@dataclass(frozen=True)
class Cell:
    """One disparity of one feature in one window, as the table shows it."""

    metric: str
    evaluated: bool
    value: float | None
    ci_low: float | None
    ci_high: float | None
    #: change against the previous evaluated window (None: nothing to compare)
    delta: float | None
    regression: bool
    out_of_bounds: bool
    reason: str | None


@dataclass(frozen=True)
class DisparityRow:
    """A window of a feature's disparity table."""

    window: str
    partial: bool
    status: str
    reason: str | None
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class GroupRow:
    """A group of a feature in one window, with its metrics (None where not reported)."""

    window: str
    group: str
    n: int
    labelled: int
    metrics: tuple[float | None, ...]


@dataclass(frozen=True)
class FeatureReport:
    """One sensitive feature (or the intersection) across the windows."""

    feature: str
    columns: tuple[str, ...]
    rows: tuple[DisparityRow, ...]
    groups: tuple[GroupRow, ...]
    #: sentences about groups too small, absent or without a value, per window
    notes: tuple[str, ...]


@dataclass(frozen=True)
class WindowRow:
    """A window of the review: its bounds and row counts."""

    label: str
    start: str
    end: str
    partial: bool
    rows: int
    reviewed: int
    labelled: int
    missing_prediction: int
    missing_sensitive: int
    evaluated: bool
    reason: str | None


@dataclass(frozen=True)
class RegressionRow:
    """A regression the review flagged."""

    window: str
    feature: str
    metric: str
    basis: str
    compared_with: str
    earlier: float
    value: float
    delta: float
    message: str


@dataclass(frozen=True)
class LL144Cell:
    """A category's impact ratio in one window (None: no row; ``excluded``: under 2 %)."""

    ratio: float | None
    excluded: bool


@dataclass(frozen=True)
class LL144Trend:
    """One LL144 dimension: each category's impact ratio per window."""

    dimension: str
    windows: tuple[str, ...]
    rows: tuple[tuple[str, tuple[LL144Cell, ...]], ...]


@dataclass(frozen=True)
class InputRow:
    """An ingested input of the review (a prediction log) with its SHA-256."""

    path: str
    role: str
    format: str
    sha256: str
    ingested_at: str

    @property
    def family(self) -> str:
        """What kind of input it is: a review's inputs are prediction logs."""
        return "predictions"


@dataclass(frozen=True)
class ReviewReport:
    """Everything the periodic review report shows (``govern.review-report/v1``)."""

    review: Review
    model: str
    version: str | None
    period: str
    #: the first and last window labels (``2026-06``, ``2026-Q3``)
    first: str
    last: str
    generated_at: str
    as_of: str
    decision: str
    summary: tuple[str, ...]
    metrics: tuple[MetricHead, ...]
    windows: tuple[WindowRow, ...]
    features: tuple[FeatureReport, ...]
    regressions: tuple[RegressionRow, ...]
    stored: str
    ll144: tuple[LL144Trend, ...]
    policies: tuple[PolicyRow, ...]
    inputs: tuple[InputRow, ...]
    limitations: tuple[str, ...]
    signoff_roles: tuple[str, ...]
    tools: tuple[Tool, ...]
    commands: tuple[str, ...]
    store: str

    @property
    def scope(self) -> str:
        """``credit-risk (all versions)`` or ``credit-risk version 2``."""
        return (
            f"{self.model} version {self.version}"
            if self.version
            else f"{self.model} (all versions)"
        )

    @property
    def span(self) -> str:
        """``2026-06 to 2026-11`` (one label when the review has one window)."""
        return self.first if self.first == self.last else f"{self.first} to {self.last}"

    @property
    def kind(self) -> str:
        """The kind of report, as its attestation names it."""
        return "review"

    @property
    def fail_on(self) -> None:
        """A review has no failure bar: it flags regressions."""
        return None

    @property
    def sources(self) -> tuple[InputRow, ...]:
        """The inputs the review rests on (its prediction logs), as its attestation lists them."""
        return self.inputs

    def attestation_details(self) -> dict[str, Any]:
        """What the attestation of a review report adds: the period and its windows' bounds."""
        return {
            "window": {
                "period": self.period,
                "from": self.first,
                "to": self.last,
                "start": self.windows[0].start if self.windows else None,
                "end": self.windows[-1].end if self.windows else None,
            }
        }

    def to_json(self) -> dict[str, Any]:
        """The report as JSON: the review's own JSON and the report's additions."""
        return {
            "schema": REVIEW_REPORT_SCHEMA,
            "model": self.model,
            "version": self.version,
            "period": self.period,
            "from": self.first,
            "to": self.last,
            "generated_at": self.generated_at,
            "as_of": self.as_of,
            "decision": self.decision,
            "summary": list(self.summary),
            "limitations": list(self.limitations),
            "inputs": [
                {
                    "path": i.path,
                    "role": i.role,
                    "format": i.format,
                    "sha256": i.sha256,
                    "ingested_at": i.ingested_at,
                }
                for i in self.inputs
            ],
            "policies": [
                {"id": p.id, "version": p.version, "path": p.path, "sha256": p.sha256}
                for p in self.policies
            ],
            "signoff_roles": list(self.signoff_roles),
            "tools": [{"name": t.name, "version": t.version} for t in self.tools],
            "commands": list(self.commands),
            "store": self.store,
            "review": self.review.to_json(),
        }
