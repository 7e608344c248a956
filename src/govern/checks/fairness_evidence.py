"""The evidence of ``check: fairness`` findings, typed: groups, disparity, interval, LL144 table.

A finding on one sensitive feature (or intersection) carries a :class:`FairnessEvidence`: the
rates and counts of every group judged (:class:`GroupRates`), the groups too small to judge
(:class:`ExcludedGroup`), the records without a value of the feature (:class:`MissingValues`)
and, when at least two groups could be judged, the disparity with its interval
(:class:`DisparityResult`). A rule with ``ll144:`` also gives a finding carrying the audit
table (:class:`LL144Evidence`). Formatters, the demo and reports read these fields; each
class's ``to_json`` is the one place its JSON (the ``govern.check/v1`` evidence) is made.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from govern.metrics.fairness import GroupCounts, LL144Row, LL144Section, LL144Table

__all__ = [
    "GROUP_RATES",
    "DisparityResult",
    "ExcludedGroup",
    "FairnessEvidence",
    "GroupRates",
    "Interval",
    "LL144Evidence",
    "MissingValues",
    "group_name",
    "ll144_json",
]

#: The per-group rates a fairness finding reports, in order (fairlearn names).
GROUP_RATES = ("selection_rate", "true_positive_rate", "false_positive_rate", "accuracy")

Handling = Literal["exclude", "group", "fail"]


def group_name(values: Sequence[Any]) -> str:
    """A group's display name: its values joined by ``×`` (``female×Black``)."""
    return "×".join(str(v) for v in values)


@dataclass(frozen=True)
class GroupRates:
    """One group of a sensitive feature: its confusion counts and the rates defined on them.

    ``impact_ratio`` is the group's selection rate over the reference group's (the rule's
    ``reference_group``, else the most selected group), as computed by the check; it is not
    part of the ``govern.check/v1`` JSON.
    """

    group: str
    counts: GroupCounts = field(repr=False)
    impact_ratio: float | None = None

    @property
    def n(self) -> int:
        """Records in the group."""
        return self.counts.n

    @property
    def selected(self) -> int:
        """Records with a positive (selected) prediction."""
        return self.counts.predicted_positive

    def rate(self, name: str) -> float | None:
        """A per-group metric by fairlearn name; ``None`` when undefined (e.g. no labels)."""
        from govern.errors import GovernError
        from govern.metrics.fairness import GROUP_METRICS

        try:
            value = GROUP_METRICS[name](self.counts)
        except (GovernError, ValueError, ZeroDivisionError):
            return None
        return None if math.isnan(value) else value

    @property
    def selection_rate(self) -> float | None:
        """Share of selected records."""
        return self.rate("selection_rate")

    @property
    def true_positive_rate(self) -> float | None:
        """TPR among labelled records (``None`` without labels)."""
        return self.rate("true_positive_rate")

    @property
    def false_positive_rate(self) -> float | None:
        """FPR among labelled records (``None`` without labels)."""
        return self.rate("false_positive_rate")

    @property
    def accuracy(self) -> float | None:
        """Accuracy among labelled records (``None`` without labels)."""
        return self.rate("accuracy")

    def rates(self) -> dict[str, float]:
        """The defined rates of :data:`GROUP_RATES`, in that order."""
        return {k: v for k in GROUP_RATES if (v := self.rate(k)) is not None}

    def selection_interval(self, confidence: float = 0.95) -> tuple[float, float] | None:
        """Wilson score interval of the selection rate (``None`` for an empty group)."""
        from govern.metrics.fairness import wilson_interval

        return wilson_interval(self.selected, self.n, confidence)

    def to_json(self) -> dict[str, Any]:
        """``{"group", "n", <rate>: value, ...}``."""
        return {"group": self.group, "n": self.n, **self.rates()}


@dataclass(frozen=True)
class ExcludedGroup:
    """A group left out of the disparity, too small to judge.

    It has fewer records than ``min_group_size``, or fewer actual outcomes (``outcomes``:
    positives for a TPR, negatives for an FPR) than ``min_outcomes`` behind a rate.
    """

    group: str
    n: int
    outcomes: int | None = None

    def to_json(self) -> dict[str, Any]:
        """``{"group", "n"}``, with ``"outcomes"`` when excluded for those."""
        out: dict[str, Any] = {"group": self.group, "n": self.n}
        if self.outcomes is not None:
            out["outcomes"] = self.outcomes
        return out


@dataclass(frozen=True)
class MissingValues:
    """Records without a value of the sensitive feature, and how they were handled."""

    n: int
    handling: Handling

    def to_json(self) -> dict[str, Any]:
        """``{"n", "handling"}``."""
        return {"n": self.n, "handling": self.handling}


@dataclass(frozen=True)
class Interval:
    """A seeded percentile-bootstrap interval of a disparity (NaN ends when undefined)."""

    low: float
    high: float
    confidence: float

    def to_json(self) -> list[float]:
        """``[low, high]``."""
        return [self.low, self.high]


@dataclass(frozen=True)
class DisparityResult:
    """The disparity of a finding: its value, interval and what the decision rested on."""

    metric: str
    value: float
    interval: Interval | None
    #: ``ci``: failed only when the whole interval lies past the bound; ``point``: the value
    decided_on: Literal["ci", "point"]


@dataclass(frozen=True)
class FairnessEvidence:
    """The evidence of a fairness finding on one sensitive feature or intersection.

    ``disparity`` is ``None`` when fewer than two groups could be judged (the finding is then
    ``not_evaluated``); its JSON then holds only the groups, the excluded groups and the
    missing count, as ``govern.check/v1`` always had.
    """

    sensitive_feature: str
    groups: tuple[GroupRates, ...]
    excluded: tuple[ExcludedGroup, ...]
    missing: MissingValues
    #: the rule's window (``all`` for the whole log)
    window: str
    disparity: DisparityResult | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``evidence`` of the finding (``ci``, ``sensitive_feature``, ``groups`` lifted)."""
        groups = [g.to_json() for g in self.groups]
        excluded = [e.to_json() for e in self.excluded]
        if self.disparity is None:
            return {"groups": groups, "excluded": excluded, "missing": self.missing.to_json()}
        interval = self.disparity.interval
        return {
            "sensitive_feature": self.sensitive_feature,
            "groups": groups,
            "excluded": excluded,
            "missing": self.missing.to_json(),
            "ci": interval.to_json() if interval is not None else None,
            "fail_when": self.disparity.decided_on,
            "window": self.window,
        }


@dataclass(frozen=True)
class LL144Evidence:
    """An NYC LL144 bias-audit table (:class:`~govern.metrics.fairness.LL144Table`)."""

    table: LL144Table

    @property
    def lowest_impact_ratio(self) -> float | None:
        """The lowest impact ratio of any category not excluded (``None`` when there is none)."""
        ratios = [
            r.impact_ratio
            for section in self.table.sections
            for r in section.rows
            if r.impact_ratio is not None and not math.isnan(r.impact_ratio)
        ]
        return min(ratios) if ratios else None

    def to_json(self) -> dict[str, Any]:
        """``{"ll144": <table>}`` (:func:`ll144_json`)."""
        return {"ll144": ll144_json(self.table)}


def _number(x: float | None) -> float | None:
    return None if x is None or math.isnan(x) else x


def _ll144_row(r: LL144Row) -> dict[str, Any]:
    return {
        "category": group_name(r.category),
        "n": r.n,
        "selected": r.selected,
        "rate": _number(r.rate),
        "impact_ratio": _number(r.impact_ratio),
        "excluded": r.excluded,
    }


def _ll144_section(section: LL144Section) -> dict[str, Any]:
    return {
        "dimension": list(section.dimension),
        "unknown": section.unknown,
        "reference": None if section.reference is None else group_name(section.reference),
        "excluded": [group_name(c) for c in section.excluded],
        "rows": [_ll144_row(r) for r in section.rows],
    }


def ll144_json(table: LL144Table) -> dict[str, Any]:
    """An LL144 table as JSON: sections by dimension with their reference category.

    One row per category; NaN rates and ratios (a reference rate of 0) are null.
    """
    return {
        "rate_kind": table.rate_kind,
        "total": table.total,
        "median_score": table.median_score,
        "min_share": table.min_share,
        "sections": [_ll144_section(s) for s in table.sections],
    }
