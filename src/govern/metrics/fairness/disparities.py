"""Disparities between groups from confusion counts, and the registry of those a rule bounds.

Values are fairlearn's ``MetricFrame.difference()``/``.ratio()`` and its named disparities.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal, TypeAlias

from govern.metrics.fairness.counts import (
    _NAN,
    Group,
    GroupCounts,
    _as_grouping,
    _fail,
    _find,
    _select,
    overall,
)
from govern.metrics.fairness.rates import _metric

RelativeTo: TypeAlias = Literal["between_groups", "to_overall"]


def _div(a: float, b: float) -> float:
    """IEEE division as pandas does it: x/0 is ±inf, 0/0 and NaN operands give NaN."""
    if math.isnan(a) or math.isnan(b):
        return _NAN
    if b == 0:
        return _NAN if a == 0 else math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _skipna(values: Sequence[float]) -> list[float]:
    return [v for v in values if not math.isnan(v)]


def _sub_one(x: float) -> float:
    """Invert a ratio above 1 (fairlearn's ``ratio_sub_one``)."""
    return 1 / x if x > 1 else x


def disparity(
    counts: Sequence[GroupCounts],
    grouping: str | Sequence[str],
    metric_name: str,
    *,
    method: Literal["difference", "ratio"],
    reference_group: Any = None,
    relative_to: RelativeTo = "between_groups",
    control: Group = (),
) -> float:
    """The ``MetricFrame.difference()`` / ``.ratio()`` of one metric over one grouping.

    ``relative_to="between_groups"`` (fairlearn's default): difference = max - min, ratio =
    min / max over the groups, skipping NaN (empty cells); ``"to_overall"``: the largest
    ``|m_g - m_overall|``, or the smallest ``m_g / m_overall`` inverted when above 1, with the
    grouping's rows (:func:`overall`, the population unless rows were left out) as
    "overall". A ``reference_group`` (a value, or a tuple for an intersection) replaces
    "overall" by that group's value and leaves the group itself out.
    All values NaN gives NaN. ``control`` picks a control level.
    """
    groups = _select(counts, grouping, control)
    fn = _metric(metric_name)
    if reference_group is None and relative_to == "between_groups":
        vals = _skipna([fn(c) for c in groups])
        if not vals:
            return _NAN
        if method == "difference":
            return max(vals) - min(vals)
        return _div(min(vals), max(vals))
    if reference_group is not None:
        ref = _find(groups, reference_group)
        base = fn(ref)
        others = [c for c in groups if c is not ref]
    else:
        base = fn(overall(counts, grouping, control))
        others = groups
    if method == "difference":
        vals = _skipna([abs(fn(c) - base) for c in others])
    else:
        vals = _skipna([_sub_one(_div(fn(c), base)) for c in others])
    if not vals:
        return _NAN
    return max(vals) if method == "difference" else min(vals)


def demographic_parity_difference(
    counts: Sequence[GroupCounts],
    grouping: str | Sequence[str],
    *,
    relative_to: RelativeTo = "between_groups",
    control: Group = (),
) -> float:
    """Largest minus smallest selection rate (fairlearn ``demographic_parity_difference``)."""
    return disparity(
        counts,
        grouping,
        "selection_rate",
        method="difference",
        relative_to=relative_to,
        control=control,
    )


def demographic_parity_ratio(
    counts: Sequence[GroupCounts],
    grouping: str | Sequence[str],
    *,
    relative_to: RelativeTo = "between_groups",
    control: Group = (),
) -> float:
    """Smallest over largest selection rate (fairlearn ``demographic_parity_ratio``)."""
    return disparity(
        counts, grouping, "selection_rate", method="ratio", relative_to=relative_to, control=control
    )


def _eo(
    counts: Sequence[GroupCounts],
    grouping: str | Sequence[str],
    method: Literal["difference", "ratio"],
    relative_to: RelativeTo,
    agg: Literal["worst_case", "mean"],
    control: Group,
) -> float:
    pair = [
        disparity(counts, grouping, m, method=method, relative_to=relative_to, control=control)
        for m in ("true_positive_rate", "false_positive_rate")
    ]
    if agg == "mean":
        vals = _skipna(pair)
        return sum(vals) / len(vals) if vals else _NAN
    if agg != "worst_case":
        raise _fail(f"agg must be one of 'worst_case' or 'mean', got {agg!r}")
    # Builtin max/min over [tpr, fpr], exactly as fairlearn: NaN handling depends on position.
    return max(pair) if method == "difference" else min(pair)


def equalized_odds_difference(
    counts: Sequence[GroupCounts],
    grouping: str | Sequence[str],
    *,
    relative_to: RelativeTo = "between_groups",
    agg: Literal["worst_case", "mean"] = "worst_case",
    control: Group = (),
) -> float:
    """The larger of the TPR and FPR differences (fairlearn ``equalized_odds_difference``)."""
    return _eo(counts, grouping, "difference", relative_to, agg, control)


def equalized_odds_ratio(
    counts: Sequence[GroupCounts],
    grouping: str | Sequence[str],
    *,
    relative_to: RelativeTo = "between_groups",
    agg: Literal["worst_case", "mean"] = "worst_case",
    control: Group = (),
) -> float:
    """The smaller of the TPR and FPR ratios (fairlearn ``equalized_odds_ratio``)."""
    return _eo(counts, grouping, "ratio", relative_to, agg, control)


def equal_opportunity_difference(
    counts: Sequence[GroupCounts],
    grouping: str | Sequence[str],
    *,
    relative_to: RelativeTo = "between_groups",
    control: Group = (),
) -> float:
    """Largest minus smallest TPR (fairlearn ``equal_opportunity_difference``)."""
    return disparity(
        counts,
        grouping,
        "true_positive_rate",
        method="difference",
        relative_to=relative_to,
        control=control,
    )


def equal_opportunity_ratio(
    counts: Sequence[GroupCounts],
    grouping: str | Sequence[str],
    *,
    relative_to: RelativeTo = "between_groups",
    control: Group = (),
) -> float:
    """Smallest over largest TPR (fairlearn ``equal_opportunity_ratio``)."""
    return disparity(
        counts,
        grouping,
        "true_positive_rate",
        method="ratio",
        relative_to=relative_to,
        control=control,
    )


def _reference(groups: Sequence[GroupCounts], fn: Callable[[GroupCounts], float]) -> GroupCounts:
    """The group with the highest non-NaN value (the first one on ties); else the first."""
    best: GroupCounts | None = None
    best_v = -math.inf
    for c in groups:
        v = fn(c)
        if not math.isnan(v) and (best is None or v > best_v):
            best, best_v = c, v
    return best if best is not None else groups[0]


def impact_ratios(
    counts: Sequence[GroupCounts],
    grouping: str | Sequence[str],
    *,
    rate: str = "selection_rate",
    reference_group: Any = None,
    control: Group = (),
) -> dict[Group, float]:
    """Each non-empty group's rate divided by the reference group's (the four-fifths rule).

    The reference is the group with the highest rate (the "most selected category" of the
    EEOC guidelines and NYC LL144) unless ``reference_group`` is given; with the default
    reference every ratio lies in [0, 1]. A reference rate of 0 gives NaN (0/0). Groups with
    ``n == 0`` are left out; every entry keeps its ``n`` in the counts for size filters.
    """
    groups = [c for c in _select(counts, grouping, control) if c.n > 0]
    if not groups:
        return {}
    fn = _metric(rate)
    ref = _find(groups, reference_group) if reference_group is not None else _reference(groups, fn)
    base = fn(ref)
    return {c.group: _div(fn(c), base) for c in groups}


# --------------------------------------------------------------------------------------------
# The registry: every disparity a rule can bound, and whether a bound is met

#: How far past a bound a value may lie and still meet it: float noise, not a tolerance.
BOUND_TOLERANCE = 1e-12

#: ``(counts, grouping, reference_group, control) -> value`` of one disparity.
Statistic: TypeAlias = Callable[[Sequence[GroupCounts], tuple[str, ...], Any, Group], float]


def bound_met(
    estimate: float | tuple[float, float],
    *,
    low: float | None = None,
    high: float | None = None,
    tolerance: float = BOUND_TOLERANCE,
) -> bool:
    """Whether a value, or an interval, meets a bound ``[low, high]`` (either end optional).

    A value meets it unless it lies below ``low`` or above ``high`` (by more than
    ``tolerance``); an interval ``(lo, hi)`` meets it unless it lies *wholly* past one end
    (``fail_when: ci``: only an interval entirely past the bound is a failure).
    """
    lo, hi = estimate if isinstance(estimate, tuple) else (estimate, estimate)
    if low is not None and hi < low - tolerance:
        return False
    return not (high is not None and lo > high + tolerance)


@dataclass(frozen=True)
class Disparity:
    """A disparity a fairness rule can bound: its name, direction, statistic and label.

    ``kind`` is ``difference`` (0 is parity, lower is better) or ``ratio`` (1 is parity, higher
    is better). ``reviewed`` disparities are computed by every periodic review; the others only
    when a rule bounds them.
    """

    name: str
    kind: Literal["difference", "ratio"]
    needs_labels: bool
    #: short name for table headers
    label: str
    description: str
    statistic: Statistic
    reviewed: bool = True
    #: the actual outcomes its rates divide by: positives (TPR), negatives (FPR); () for n
    outcomes: tuple[Literal["positives", "negatives"], ...] = ()

    def fewest_outcomes(self, counts: GroupCounts) -> int:
        """The fewest actual outcomes behind any rate of a group (its size without rates)."""
        sizes = {"positives": counts.tp + counts.fn, "negatives": counts.fp + counts.tn}
        return min(sizes[k] for k in self.outcomes) if self.outcomes else counts.n

    @property
    def better(self) -> Literal["lower", "higher"]:
        """Which way is better: lower for differences, higher for ratios."""
        return "lower" if self.kind == "difference" else "higher"

    @property
    def worse_sign(self) -> int:
        """+1 when a rise is worse (differences), -1 when a fall is (ratios)."""
        return 1 if self.kind == "difference" else -1

    def value(
        self,
        counts: Sequence[GroupCounts],
        grouping: str | Sequence[str],
        *,
        reference_group: Any = None,
        control: Group = (),
    ) -> float:
        """The disparity over one grouping (fairlearn's definition); NaN when undefined."""
        return self.statistic(counts, _as_grouping(grouping), reference_group, tuple(control))

    def met(
        self, estimate: float | tuple[float, float], *, low: float | None, high: float | None
    ) -> bool:
        """Whether a value or an interval of this disparity meets a bound (:func:`bound_met`)."""
        return bound_met(estimate, low=low, high=high)


def _lowest_impact_ratio(
    counts: Sequence[GroupCounts], grouping: tuple[str, ...], reference: Any, control: Group
) -> float:
    ratios = impact_ratios(counts, grouping, reference_group=reference, control=control)
    values = [v for v in ratios.values() if not math.isnan(v)]
    return min(values) if values else _NAN


def _class_imbalance(
    counts: Sequence[GroupCounts], grouping: tuple[str, ...], _reference: Any, control: Group
) -> float:
    """SageMaker Clarify's CI of the group sizes: (largest - smallest) / (largest + smallest)."""
    sizes = [c.n for c in counts if c.grouping == grouping and c.control == control and c.n > 0]
    return (max(sizes) - min(sizes)) / (max(sizes) + min(sizes)) if sizes else _NAN


def _difference_of(metric: str) -> Statistic:
    def run(
        counts: Sequence[GroupCounts], grouping: tuple[str, ...], _ref: Any, control: Group
    ) -> float:
        return disparity(counts, grouping, metric, method="difference", control=control)

    return run


_ENTRIES: tuple[Disparity, ...] = (
    Disparity(
        "demographic_parity_difference", "difference", False, "DP diff",
        "largest minus smallest selection rate",
        lambda c, g, _r, ctl: demographic_parity_difference(c, g, control=ctl),
    ),
    Disparity(
        "demographic_parity_ratio", "ratio", False, "DP ratio",
        "smallest over largest selection rate",
        lambda c, g, _r, ctl: demographic_parity_ratio(c, g, control=ctl),
    ),
    Disparity(
        "impact_ratio", "ratio", False, "impact ratio",
        "smallest selection rate over the reference group's (four-fifths rule)",
        _lowest_impact_ratio,
    ),
    Disparity(
        "equalized_odds_difference", "difference", True, "EO diff",
        "larger of the TPR and FPR differences",
        lambda c, g, _r, ctl: equalized_odds_difference(c, g, control=ctl),
        outcomes=("positives", "negatives"),
    ),
    Disparity(
        "equalized_odds_ratio", "ratio", True, "EO ratio", "smaller of the TPR and FPR ratios",
        lambda c, g, _r, ctl: equalized_odds_ratio(c, g, control=ctl),
        outcomes=("positives", "negatives"),
    ),
    Disparity(
        "equal_opportunity_difference", "difference", True, "EOpp diff",
        "largest minus smallest true positive rate",
        lambda c, g, _r, ctl: equal_opportunity_difference(c, g, control=ctl),
        outcomes=("positives",),
    ),
    Disparity(
        "accuracy_difference", "difference", True, "acc diff",
        "largest minus smallest accuracy", _difference_of("accuracy"), reviewed=False,
    ),
    Disparity(
        "true_positive_rate_difference", "difference", True, "TPR diff",
        "largest minus smallest true positive rate", _difference_of("true_positive_rate"),
        reviewed=False, outcomes=("positives",),
    ),
    Disparity(
        "false_positive_rate_difference", "difference", True, "FPR diff",
        "largest minus smallest false positive rate", _difference_of("false_positive_rate"),
        reviewed=False, outcomes=("negatives",),
    ),
    # before deployment: the labels' base rate by group, and how unequal the group sizes are
    Disparity(
        "base_rate_difference", "difference", True, "base rate diff",
        "largest minus smallest label base rate", _difference_of("base_rate"), reviewed=False,
    ),
    Disparity(
        "class_imbalance", "difference", False, "class imbalance",
        "(largest - smallest group size) / (largest + smallest), Clarify's CI",
        _class_imbalance, reviewed=False,
    ),
)  # fmt: skip

DISPARITIES: Mapping[str, Disparity] = MappingProxyType({d.name: d for d in _ENTRIES})
"""Every disparity a rule can bound, by name: reviewed ones first, in the review's order."""

ALIASES: Mapping[str, str] = MappingProxyType({"selection_rate_ratio": "impact_ratio"})
"""Other names a policy may use for a disparity."""

DISPARITY_NAMES: tuple[str, ...] = tuple(sorted([*DISPARITIES, *ALIASES]))
"""Every name a rule's ``metric`` may take."""


def disparity_named(name: str) -> Disparity:
    """The registry entry of ``name`` (or of the disparity it is another name for)."""
    try:
        return DISPARITIES[ALIASES.get(name, name)]
    except KeyError:
        raise _fail(
            f"unknown disparity {name!r}", f"choose one of {', '.join(DISPARITY_NAMES)}"
        ) from None
