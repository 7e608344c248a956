"""What a review is asked for: :class:`ReviewOptions`, the disparities and the policy terms.

The policies' ``check: fairness`` rules of the model give the bounds a regression can cross,
and the ``pos_label``, ``reference_group`` and ``missing`` the options leave open.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from govern.errors import UsageError
from govern.metrics.fairness.disparities import ALIASES, Disparity, bound_met
from govern.metrics.fairness.disparities import DISPARITIES as _REGISTRY
from govern.review.model import Missing, ReviewPolicy
from govern.windows import PERIODS, Period

if TYPE_CHECKING:
    from govern.policy.loader import PolicySet

__all__ = [
    "DISPARITIES",
    "LABEL_METRICS",
    "MISSING",
    "RACE_NAMES",
    "SEX_NAMES",
    "PolicyBound",
    "ReviewOptions",
    "Terms",
    "check_options",
    "disparities",
    "policy_terms",
]

MISSING: tuple[Missing, ...] = ("exclude", "group", "fail")

#: Group metrics reported for the labelled rows of a group.
LABEL_METRICS: tuple[str, ...] = (
    "true_positive_rate",
    "false_positive_rate",
    "accuracy",
    "precision",
)

#: Column names recognised as sex and race/ethnicity for the LL144 table (case-insensitive).
SEX_NAMES = frozenset({"sex", "gender"})
RACE_NAMES = frozenset({"race", "ethnicity", "race_ethnicity", "race/ethnicity"})

#: The disparities every review computes, in order (the registry's ``reviewed`` ones).
DISPARITIES: tuple[Disparity, ...] = tuple(d for d in _REGISTRY.values() if d.reviewed)
#: Further disparities computed when a policy rule bounds them.
_EXTRA: dict[str, Disparity] = {d.name: d for d in _REGISTRY.values() if not d.reviewed}


@dataclass(frozen=True)
class ReviewOptions:
    """What to review: the model, the period and the knobs (see :mod:`govern.review`).

    ``start`` is inclusive and ``end`` exclusive (naive UTC); ``None`` takes the logs' span.
    ``sensitive`` ``None`` takes the columns mapped at ingest; ``intersect`` ``None`` means
    yes with two or more. ``pos_label`` ``None`` takes the policy rules' ``pos_label``, else 1.
    ``ll144_sex``/``ll144_race`` ``None`` look for a sex-/race-like sensitive column.
    ``missing`` ``None`` takes the policy rules' ``missing``, else ``exclude``.
    """

    model: str
    version: str | None = None
    period: Period = "month"
    start: datetime | None = None
    end: datetime | None = None
    sensitive: tuple[str, ...] | None = None
    intersect: bool | None = None
    policies: PolicySet | None = None
    min_group_size: int = 30
    confidence: float | None = None
    tolerance: float = 0.05
    n_boot: int = 1000
    seed: int = 0
    pos_label: Any = None
    ll144_sex: str | None = None
    ll144_race: str | None = None
    compare: bool = True
    missing: Missing | None = None


def check_options(o: ReviewOptions) -> None:
    """Raise :class:`~govern.errors.UsageError` for an option out of range."""
    if o.period not in PERIODS:
        raise UsageError(f"--period must be month or quarter, not {o.period!r}.")
    if o.min_group_size < 1:
        raise UsageError(f"--min-group-size must be at least 1, not {o.min_group_size}.")
    if not (o.tolerance >= 0 and math.isfinite(o.tolerance)):
        raise UsageError(f"--tolerance must be a number of at least 0, not {o.tolerance}.")
    if o.confidence is not None and not 0 < o.confidence < 1:
        raise UsageError(
            f"--confidence must lie strictly between 0 and 1, not {o.confidence}.",
            hint="For a 95% interval write --confidence 0.95.",
        )
    if o.n_boot < 100:
        raise UsageError(f"n_boot must be at least 100, not {o.n_boot}.")
    if o.start is not None and o.end is not None and o.start >= o.end:
        raise UsageError(
            f"--from {o.start.date()} is not before --to {(o.end - timedelta(days=1)).date()}.",
            hint="Give the first day of the review with --from and its last day with --to.",
        )


# --------------------------------------------------------------------------------------------
# Policy bounds


@dataclass(frozen=True)
class PolicyBound:
    """A bound of a ``check: fairness`` rule on one disparity."""

    rule: str
    metric: str
    low: float | None
    high: float | None
    sensitive: tuple[str, ...] | None
    intersect: bool

    def applies(self, grouping: tuple[str, ...], all_sensitive: Sequence[str]) -> bool:
        """True when the rule bounds this feature (or intersection)."""
        wanted = self.sensitive or tuple(all_sensitive)
        if len(grouping) == 1:
            return grouping[0] in wanted
        return self.intersect and set(grouping) <= set(wanted)

    def met(self, value: float) -> bool:
        """True when ``value`` meets the bound."""
        return bound_met(value, low=self.low, high=self.high)


@dataclass(frozen=True)
class Terms:
    """What the policies' ``check: fairness`` rules for the model say."""

    bounds: tuple[PolicyBound, ...]
    pos_label: Any
    reference_group: Any
    missing: Missing | None
    used: tuple[ReviewPolicy, ...]


def policy_terms(policies: PolicySet | None, model: str) -> Terms:
    """Bounds, pos_label, reference group and missing of the fairness rules; policies used."""
    if policies is None:
        return Terms((), None, None, None, ())
    bounds: list[PolicyBound] = []
    pos: dict[str, Any] = {}
    refs: dict[str, Any] = {}
    missing: dict[str, Any] = {}
    used = []
    for policy in policies.policies:
        if not policy.scope.matches_model(model):
            continue
        used.append(ReviewPolicy(policy.id, policy.version, str(policy.path), policy.sha256))
        for rule in policy.rules:
            if rule.check != "fairness":
                continue
            p = rule.params
            metric = ALIASES.get(str(p.get("metric")), str(p.get("metric")))
            if "pos_label" in p:
                pos[rule.id] = p["pos_label"]
            if "reference_group" in p:
                refs[rule.id] = p["reference_group"]
            if "missing" in p:
                missing[rule.id] = p["missing"]
            if "min" not in p and "max" not in p:
                continue
            sens = p.get("sensitive")
            bounds.append(
                PolicyBound(
                    rule=rule.id,
                    metric=metric,
                    low=float(p["min"]) if "min" in p else None,
                    high=float(p["max"]) if "max" in p else None,
                    sensitive=tuple(sens) if sens else None,
                    intersect=bool(p.get("intersect", False)),
                )
            )
    for name, values in (("pos_label", pos), ("reference_group", refs), ("missing", missing)):
        if len({repr(v) for v in values.values()}) > 1:
            listed = ", ".join(f"{rid}: {v!r}" for rid, v in sorted(values.items()))
            raise UsageError(
                f"the fairness rules of the policies disagree on {name} ({listed}).",
                hint=f"Give every fairness rule of model {model!r} the same {name}.",
            )
    pos_label = next(iter(pos.values())) if pos else None
    reference = next(iter(refs.values())) if refs else None
    handling = next((m for m in MISSING if m in missing.values()), None)
    return Terms(tuple(bounds), pos_label, reference, handling, tuple(used))


def disparities(bounds: Sequence[PolicyBound]) -> tuple[Disparity, ...]:
    """The disparities to compute: the standard ones and any further one a rule bounds."""
    out = list(DISPARITIES)
    for b in bounds:
        extra = _EXTRA.get(b.metric)
        if extra is not None and extra not in out:
            out.append(extra)
    return tuple(out)
