"""The typed result of a fairness review: :class:`Review` and its parts, all frozen.

A review is built once, from the counts and the comparison (see :mod:`govern.review.build`),
and never changed. Formatters, the CLI, the demo and the store read these fields;
:meth:`Review.to_json` is the one place the ``govern.review/v1`` JSON is made.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from govern.checks.fairness_evidence import ll144_json

if TYPE_CHECKING:
    from govern.metrics.fairness import LL144Table
    from govern.metrics.fairness.disparities import Disparity
    from govern.store.reviews import StoredReview
    from govern.windows import Period

__all__ = [
    "SCHEMA",
    "BoundCheck",
    "DisparityValue",
    "ExcludedGroup",
    "FeatureReview",
    "GroupMetrics",
    "ImpactDetail",
    "LabelMetrics",
    "Missing",
    "PerformanceRegression",
    "PerformanceValue",
    "PreviousValue",
    "Regression",
    "Review",
    "ReviewParams",
    "ReviewPolicy",
    "ReviewSpan",
    "ReviewSummary",
    "ReviewWindow",
    "Status",
    "StoredValue",
    "TrendSeries",
]

SCHEMA = "govern.review/v1"

#: How records without a value of a sensitive feature are handled.
Missing = Literal["exclude", "group", "fail"]
#: Whether a window, feature or disparity could be evaluated.
Status = Literal["evaluated", "not_evaluated"]
#: A group value or option as JSON (str/int/float/bool, else its text).
Scalar = str | int | float | bool | None


def iso(moment: datetime) -> str:
    """A window bound as JSON: the date alone at midnight, else the full ISO timestamp."""
    if moment.time() == datetime.min.time():
        return moment.date().isoformat()
    return moment.isoformat()


def number(value: float | None) -> float | None:
    """A finite float for JSON, else None."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def plain(value: Any) -> Scalar:
    """A group value as JSON (str/int/float/bool kept; anything else as text)."""
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    return str(value)


def _limits(low: float | None, high: float | None) -> dict[str, float]:
    out: dict[str, float] = {}
    if low is not None:
        out["min"] = low
    if high is not None:
        out["max"] = high
    return out


def disparity_json(d: Disparity) -> dict[str, Any]:
    """A disparity's entry of the review's ``disparities`` list."""
    return {
        "metric": d.name,
        "kind": d.kind,
        "needs_labels": d.needs_labels,
        "description": d.description,
    }


@dataclass(frozen=True)
class BoundCheck:
    """A policy rule's bound on a disparity and whether the value meets it (None: no value)."""

    rule: str
    low: float | None
    high: float | None
    met: bool | None

    def to_json(self) -> dict[str, Any]:
        """``{"rule", "min"?, "max"?, "met"}``."""
        return {"rule": self.rule, **_limits(self.low, self.high), "met": self.met}


@dataclass(frozen=True)
class PreviousValue:
    """The same disparity in the latest earlier evaluated window (this review's or stored)."""

    window: str
    value: float
    delta: float
    source: Literal["review", "stored"]

    def to_json(self) -> dict[str, Any]:
        """The ``previous`` object of a disparity."""
        return {
            "window": self.window,
            "value": self.value,
            "delta": self.delta,
            "source": self.source,
        }


@dataclass(frozen=True)
class StoredValue:
    """The same disparity in the same window of the last stored review."""

    review: int
    value: float
    delta: float

    def to_json(self) -> dict[str, Any]:
        """The ``stored`` object of a disparity."""
        return {"review": self.review, "value": self.value, "delta": self.delta}


@dataclass(frozen=True)
class ImpactDetail:
    """The impact ratio's reference group, lowest group and every group's ratio."""

    reference: str
    lowest: str | None
    ratios: tuple[tuple[str, float | None], ...]

    def to_json(self) -> dict[str, Any]:
        """The ``detail`` object of an impact ratio."""
        return {
            "reference": self.reference,
            "lowest": self.lowest,
            "ratios": dict(self.ratios),
        }


@dataclass(frozen=True)
class DisparityValue:
    """One disparity of one feature in one window, with its change and bounds."""

    metric: str
    kind: Literal["difference", "ratio"]
    status: Status
    reason: str | None
    value: float | None = None
    ci: tuple[float | None, float | None] | None = None
    bounds: tuple[BoundCheck, ...] = ()
    #: impact ratios only: the reference and lowest group
    detail: ImpactDetail | None = None
    previous: PreviousValue | None = None
    stored: StoredValue | None = None
    regression: bool = False

    @property
    def out_of_bounds(self) -> bool:
        """True when a policy bound is not met."""
        return any(b.met is False for b in self.bounds)

    def to_json(self) -> dict[str, Any]:
        """The disparity as JSON (``detail`` only for an evaluated impact ratio)."""
        out: dict[str, Any] = {
            "metric": self.metric,
            "kind": self.kind,
            "value": self.value,
            "ci": list(self.ci) if self.ci is not None else None,
            "previous": self.previous.to_json() if self.previous else None,
            "stored": self.stored.to_json() if self.stored else None,
            "regression": self.regression,
            "bounds": [b.to_json() for b in self.bounds],
            "status": self.status,
            "reason": self.reason,
        }
        if self.detail is not None:
            out["detail"] = self.detail.to_json()
        return out


@dataclass(frozen=True)
class LabelMetrics:
    """A group's metrics over its labelled rows."""

    true_positive_rate: float | None
    false_positive_rate: float | None
    accuracy: float | None
    precision: float | None


@dataclass(frozen=True)
class GroupMetrics:
    """One group of a feature in one window: its size and metrics (fairlearn names)."""

    group: str
    values: tuple[Scalar, ...]
    n: int
    selection_rate: float | None
    labelled: int
    #: whether the mean score is reported (a score is mapped and every reviewed row has one)
    scored: bool = False
    mean_score: float | None = None
    #: None without labelled rows
    label_metrics: LabelMetrics | None = None

    def metric(self, name: str) -> float | None:
        """A metric by name (``selection_rate``, ``mean_score``, ``accuracy``, ...), or None."""
        if name == "selection_rate":
            return self.selection_rate
        if name == "mean_score":
            return self.mean_score
        if self.label_metrics is not None and name in LabelMetrics.__dataclass_fields__:
            value: float | None = getattr(self.label_metrics, name)
            return value
        return None

    def to_json(self) -> dict[str, Any]:
        """The group as JSON (``mean_score`` and label metrics only when reported)."""
        out: dict[str, Any] = {
            "group": self.group,
            "values": list(self.values),
            "n": self.n,
            "selection_rate": self.selection_rate,
        }
        if self.scored:
            out["mean_score"] = self.mean_score
        out["labelled"] = self.labelled
        if self.label_metrics is not None:
            m = self.label_metrics
            out["true_positive_rate"] = m.true_positive_rate
            out["false_positive_rate"] = m.false_positive_rate
            out["accuracy"] = m.accuracy
            out["precision"] = m.precision
        return out


@dataclass(frozen=True)
class ExcludedGroup:
    """A group too small for every disparity (``all``) or for the label metrics only."""

    group: str
    n: int
    labelled: int
    scope: Literal["all", "label_metrics"]

    def to_json(self) -> dict[str, Any]:
        """``{"group", "n", "labelled", "from"}``."""
        return {"group": self.group, "n": self.n, "labelled": self.labelled, "from": self.scope}


@dataclass(frozen=True)
class FeatureReview:
    """One sensitive feature (or their intersection) in one window."""

    feature: str
    columns: tuple[str, ...]
    groups: tuple[GroupMetrics, ...]
    excluded: tuple[ExcludedGroup, ...]
    #: groups known but without rows in this window
    absent: tuple[str, ...]
    #: rows (labelled rows) without a value of the feature
    missing: int
    missing_labelled: int
    status: Status
    reason: str | None
    disparities: tuple[DisparityValue, ...]

    def disparity(self, metric: str) -> DisparityValue | None:
        """The disparity of this name, or None."""
        return next((d for d in self.disparities if d.metric == metric), None)

    def to_json(self) -> dict[str, Any]:
        """The feature as JSON."""
        return {
            "feature": self.feature,
            "columns": list(self.columns),
            "groups": [g.to_json() for g in self.groups],
            "excluded": [e.to_json() for e in self.excluded],
            "absent": list(self.absent),
            "missing": self.missing,
            "missing_labelled": self.missing_labelled,
            "status": self.status,
            "reason": self.reason,
            "disparities": [d.to_json() for d in self.disparities],
        }


@dataclass(frozen=True)
class PerformanceValue:
    """A ``check: performance`` rule's metric in one window, with its change and bounds.

    ``status`` is ``not_evaluated`` (with the check's reason) when too few of the window's
    records are labelled, there are none, or the metric is undefined there.
    """

    rule: str
    metric: str
    greater_is_better: bool
    status: Status
    reason: str | None
    value: float | None
    rows: int
    labelled: int
    min_labelled: float
    bounds: tuple[BoundCheck, ...] = ()
    previous: PreviousValue | None = None
    #: the same rule in the same window of the last stored review
    stored: StoredValue | None = None
    regression: bool = False

    @property
    def out_of_bounds(self) -> bool:
        """True when a policy bound is not met."""
        return any(b.met is False for b in self.bounds)

    def to_json(self) -> dict[str, Any]:
        """The value as JSON."""
        return {
            "rule": self.rule,
            "metric": self.metric,
            "greater_is_better": self.greater_is_better,
            "value": number(self.value),
            "rows": self.rows,
            "labelled": self.labelled,
            "labelled_share": self.labelled / self.rows if self.rows else None,
            "min_labelled": self.min_labelled,
            "previous": self.previous.to_json() if self.previous else None,
            "stored": self.stored.to_json() if self.stored else None,
            "regression": self.regression,
            "bounds": [b.to_json() for b in self.bounds],
            "status": self.status,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class PerformanceRegression:
    """A performance metric that got worse beyond the tolerance, or crossed a rule's bound.

    Against the previous evaluated window (this review's or the stored review's), or against
    the same window of the last stored review (``basis``).
    """

    window: str
    rule: str
    metric: str
    value: float
    reason: Literal["moved", "bound_crossed"]
    #: the earlier window's label, or ``review #ID``
    compared_with: str
    earlier: float
    delta: float
    message: str
    tolerance: float | None = None
    low: float | None = None
    high: float | None = None
    basis: Literal["previous_window", "stored_review"] = "previous_window"

    def to_json(self) -> dict[str, Any]:
        """The regression as JSON."""
        out: dict[str, Any] = {
            "window": self.window,
            "rule": self.rule,
            "metric": self.metric,
            "value": self.value,
            "basis": self.basis,
            "reason": self.reason,
            "compared_with": self.compared_with,
            "earlier": self.earlier,
            "delta": self.delta,
        }
        if self.reason == "moved":
            out["tolerance"] = self.tolerance
        else:
            out["bound"] = _limits(self.low, self.high)
        out["message"] = self.message
        return out


@dataclass(frozen=True)
class ReviewWindow:
    """One calendar window: its bounds, row counts, features and LL144 table."""

    label: str
    start: datetime
    end: datetime
    #: clipped by ``start``/``end`` of the review
    partial: bool
    rows: int
    missing_prediction: int
    missing_sensitive: int
    reviewed: int
    labelled: int
    scored: int
    status: Status
    reason: str | None
    features: tuple[FeatureReview, ...] = ()
    ll144: LL144Table | None = None
    #: the policies' performance rules in this window (labelled records only)
    performance: tuple[PerformanceValue, ...] = ()

    @property
    def evaluated(self) -> bool:
        """True when the window has rows with a prediction."""
        return self.status == "evaluated"

    def to_json(self) -> dict[str, Any]:
        """The window as JSON."""
        return {
            "label": self.label,
            "start": iso(self.start),
            "end": iso(self.end),
            "partial": self.partial,
            "rows": self.rows,
            "missing_prediction": self.missing_prediction,
            "missing_sensitive": self.missing_sensitive,
            "reviewed": self.reviewed,
            "labelled": self.labelled,
            "scored": self.scored,
            "status": self.status,
            "reason": self.reason,
            "features": [f.to_json() for f in self.features],
            "ll144": ll144_json(self.ll144) if self.ll144 is not None else None,
            "performance": [p.to_json() for p in self.performance],
        }


@dataclass(frozen=True)
class Regression:
    """A disparity that moved the wrong way beyond the tolerance, or crossed a bound."""

    window: str
    feature: str
    metric: str
    kind: Literal["difference", "ratio"]
    value: float
    basis: Literal["previous_window", "stored_review"]
    reason: Literal["moved", "bound_crossed"]
    #: the earlier window's label, or ``review #ID``
    compared_with: str
    earlier: float
    delta: float
    message: str
    #: ``moved`` only
    tolerance: float | None = None
    #: ``bound_crossed`` only: the rule and its bound
    rule: str | None = None
    low: float | None = None
    high: float | None = None

    def to_json(self) -> dict[str, Any]:
        """The regression as JSON."""
        out: dict[str, Any] = {
            "window": self.window,
            "feature": self.feature,
            "metric": self.metric,
            "kind": self.kind,
            "value": self.value,
            "basis": self.basis,
            "reason": self.reason,
            "compared_with": self.compared_with,
            "earlier": self.earlier,
            "delta": self.delta,
        }
        if self.reason == "moved":
            out["tolerance"] = self.tolerance
        else:
            out["rule"] = self.rule
            out["bound"] = _limits(self.low, self.high)
        out["message"] = self.message
        return out


@dataclass(frozen=True)
class TrendSeries:
    """A feature's disparity across the windows (None where not evaluated)."""

    feature: str
    metric: str
    kind: Literal["difference", "ratio"]
    windows: tuple[str, ...]
    values: tuple[float | None, ...]

    def to_json(self) -> dict[str, Any]:
        """The series as JSON."""
        return {
            "feature": self.feature,
            "metric": self.metric,
            "kind": self.kind,
            "windows": list(self.windows),
            "values": list(self.values),
        }


@dataclass(frozen=True)
class ReviewPolicy:
    """A policy whose fairness rules the review used."""

    id: str
    version: str
    path: str
    sha256: str

    def to_json(self) -> dict[str, Any]:
        """``{"id", "version", "path", "sha256"}``."""
        return {"id": self.id, "version": self.version, "path": self.path, "sha256": self.sha256}


@dataclass(frozen=True)
class ReviewParams:
    """The options the review ran with, after defaults (also stored with the review)."""

    model: str
    version: str | None
    period: Period
    start: datetime | None
    end: datetime | None
    sensitive: tuple[str, ...]
    intersect: bool
    min_group_size: int
    missing: Missing
    tolerance: float
    confidence: float | None
    n_boot: int | None
    seed: int | None
    pos_label: Scalar
    reference_group: Scalar
    ll144_sex: str | None
    ll144_race: str | None
    policies: tuple[ReviewPolicy, ...]
    metrics: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The ``params`` object."""
        sex, race = self.ll144_sex, self.ll144_race
        return {
            "model": self.model,
            "version": self.version,
            "period": self.period,
            "start": iso(self.start) if self.start else None,
            "end": iso(self.end) if self.end else None,
            "sensitive": list(self.sensitive),
            "intersect": self.intersect,
            "min_group_size": self.min_group_size,
            "missing": self.missing,
            "tolerance": self.tolerance,
            "confidence": self.confidence,
            "n_boot": self.n_boot,
            "seed": self.seed,
            "pos_label": self.pos_label,
            "reference_group": self.reference_group,
            "ll144": {"sex": sex, "race": race} if (sex or race) else None,
            "policies": [p.to_json() for p in self.policies],
            "metrics": list(self.metrics),
        }


@dataclass(frozen=True)
class ReviewSpan:
    """The reviewed span (first window's start to last window's end) and the records' span."""

    start: datetime | None
    end: datetime | None
    first_record: datetime | None
    last_record: datetime | None
    records: int
    #: records without a timestamp: in no window
    untimed_records: int

    def to_json(self) -> dict[str, Any]:
        """The ``span`` object."""
        return {
            "start": iso(self.start) if self.start else None,
            "end": iso(self.end) if self.end else None,
            "first_record": self.first_record.isoformat() if self.first_record else None,
            "last_record": self.last_record.isoformat() if self.last_record else None,
            "records": self.records,
            "untimed_records": self.untimed_records,
        }


@dataclass(frozen=True)
class ReviewSummary:
    """Counts of windows, regressions and policy bounds not met."""

    windows: int
    evaluated: int
    not_evaluated: int
    #: fairness regressions (disparities)
    regressions: int
    bound_violations: int
    #: performance regressions (the policies' performance rules)
    performance_regressions: int = 0

    def to_json(self) -> dict[str, int]:
        """The ``summary`` object."""
        return {
            "windows": self.windows,
            "evaluated": self.evaluated,
            "not_evaluated": self.not_evaluated,
            "regressions": self.regressions,
            "performance_regressions": self.performance_regressions,
            "bound_violations": self.bound_violations,
        }


@dataclass(frozen=True)
class Review:
    """A fairness review (schema ``govern.review/v1``): windows, trend and regressions."""

    params: ReviewParams
    generated_at: datetime
    span: ReviewSpan
    #: the stored review compared against
    compared_to: StoredReview | None
    disparities: tuple[Disparity, ...]
    windows: tuple[ReviewWindow, ...]
    trend: tuple[TrendSeries, ...]
    regressions: tuple[Regression, ...]
    warnings: tuple[str, ...] = ()
    performance_regressions: tuple[PerformanceRegression, ...] = ()

    @property
    def model(self) -> str:
        """The reviewed model."""
        return self.params.model

    @property
    def version(self) -> str | None:
        """The version the review was restricted to (None: every version)."""
        return self.params.version

    @property
    def period(self) -> Period:
        """``month`` or ``quarter``."""
        return self.params.period

    @property
    def decision(self) -> Literal["regression", "ok"]:
        """``regression`` when any regression (fairness or performance) is flagged."""
        return "regression" if self.regressions or self.performance_regressions else "ok"

    @property
    def summary(self) -> ReviewSummary:
        """Counts of windows, regressions and bounds not met."""
        evaluated = sum(1 for w in self.windows if w.evaluated)
        violations = sum(
            1 for w in self.windows for f in w.features for d in f.disparities if d.out_of_bounds
        )
        return ReviewSummary(
            windows=len(self.windows),
            evaluated=evaluated,
            not_evaluated=len(self.windows) - evaluated,
            regressions=len(self.regressions),
            bound_violations=violations,
            performance_regressions=len(self.performance_regressions),
        )

    def to_json(self) -> dict[str, Any]:
        """The review as ``govern.review/v1`` JSON (the one place it is made)."""
        return {
            "schema": SCHEMA,
            "model": self.model,
            "version": self.version,
            "period": self.period,
            "generated_at": self.generated_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "params": self.params.to_json(),
            "span": self.span.to_json(),
            "compared_to": self.compared_to.ref() if self.compared_to else None,
            "decision": self.decision,
            "summary": self.summary.to_json(),
            "disparities": [disparity_json(m) for m in self.disparities],
            "windows": [w.to_json() for w in self.windows],
            "trend": [t.to_json() for t in self.trend],
            "regressions": [r.to_json() for r in self.regressions],
            "warnings": list(self.warnings),
            "performance_regressions": [r.to_json() for r in self.performance_regressions],
        }
