"""Production performance in a review: the policies' ``check: performance`` rules per window.

Every performance rule of the policies in scope of the model is evaluated by the performance
check itself (:class:`govern.checks.performance.Performance`, the same numbers as ``govern
check``) over each review window: its ``min``/``max`` bounds, ``min_labelled`` and metric
options are kept; ``window`` becomes the review window, and ``baseline``, ``trend``, ``by`` and
the bootstrap are left to ``govern check``. A window is ``not_evaluated`` with the check's
reason (labels still missing, none, one class only).

Trend and regressions follow the fairness review: each value is compared with the rule's
value in the latest earlier evaluated window (this review's, or the last stored review's for a
window this review does not cover) and with the same window of the last stored review; a
regression is flagged when the metric got worse (an AUC down, a loss up) by more than the
tolerance, or no longer meets a bound the earlier value met.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal

from govern.review.model import (
    BoundCheck,
    PerformanceRegression,
    PerformanceValue,
    PreviousValue,
    StoredValue,
    iso,
)

if TYPE_CHECKING:
    from govern.policy.loader import PolicySet
    from govern.review.inputs import Slot
    from govern.review.storage import Past
    from govern.store.store import Store

__all__ = ["compare", "measure", "rules"]

#: Rule parameters the review passes on to the performance check.
_KEPT = ("metric", "min", "max", "pos_label", "threshold", "bins", "min_labelled")


def rules(policies: PolicySet | None, model: str) -> list[tuple[str, dict[str, Any]]]:
    """``(rule id, parameters)`` of the performance rules of the policies in scope of ``model``."""
    if policies is None:
        return []
    out: list[tuple[str, dict[str, Any]]] = []
    for policy in policies.policies:
        if not policy.scope.matches_model(model):
            continue
        for rule in policy.rules:
            if rule.check == "performance":
                out.append((rule.id, {k: rule.params[k] for k in _KEPT if k in rule.params}))
    return out


def measure(
    store: Store,
    policies: PolicySet | None,
    model: str,
    version: str | None,
    slots: Sequence[Slot],
    *,
    versioned: bool,
) -> dict[int, tuple[PerformanceValue, ...]]:
    """The performance rules' values per window index (empty without performance rules)."""
    from govern.checks.base import Rule, Subject
    from govern.checks.performance import DEFAULT_MIN_LABELLED, Performance, PerformanceEvidence
    from govern.inventory import inventory
    from govern.metrics.performance import METRICS
    from govern.models import Severity, Status
    from govern.policy.engine import StoreData, baseline_lookup

    found = rules(policies, model)
    if not found:
        return {}
    versions = [v for v in inventory(store) if v.model == model]
    lineage = next((v for v in versions if v.version == version), None)
    if lineage is None and version is None and not versioned and versions:
        lineage = versions[0]  # unversioned logs: every record is the model's
    out: dict[int, tuple[PerformanceValue, ...]] = {}
    check = Performance()
    for slot in slots:
        values = []
        for rule_id, params in found:
            name = str(params["metric"])
            greater = METRICS[name].greater_is_better if name in METRICS else True
            min_labelled = float(params.get("min_labelled", DEFAULT_MIN_LABELLED))
            low = float(params["min"]) if "min" in params else None
            high = float(params["max"]) if "max" in params else None
            if lineage is None:
                reason = (
                    "the logs carry model versions: review one version (--version) to see "
                    "its performance"
                    if versioned and version is None
                    else f"model {model} version {version} is not in the registry inventory"
                )
                values.append(
                    PerformanceValue(rule_id, name, greater, "not_evaluated", reason, None, 0, 0,
                                     min_labelled, (BoundCheck(rule_id, low, high, None),))
                )  # fmt: skip
                continue
            window = {"start": slot.start.date().isoformat(), "end": slot.end.date().isoformat()}
            rule = Rule(rule_id, "performance", Severity.info, {**params, "window": window})
            subject = Subject(lineage, baseline_lookup(versions), StoreData(store))
            f = check.evaluate(rule, subject)
            ev = f.evidence if isinstance(f.evidence, PerformanceEvidence) else None
            judged = f.status in (Status.passed, Status.failed) and f.value is not None
            met = (f.status is Status.passed) if judged else None
            values.append(
                PerformanceValue(
                    rule=rule_id,
                    metric=name,
                    greater_is_better=greater,
                    status="evaluated" if judged else "not_evaluated",
                    reason=None if judged else f.message,
                    value=f.value if judged else None,
                    rows=ev.rows if ev else 0,
                    labelled=ev.n if ev else 0,
                    min_labelled=min_labelled,
                    bounds=(BoundCheck(rule_id, low, high, met),) if (low, high) != (None, None)
                    else (),
                )
            )  # fmt: skip
        out[slot.index] = tuple(values)
    return out


def compare(
    slots: Sequence[Slot],
    values: Sequence[tuple[PerformanceValue, ...]],
    tolerance: float,
    past: Past | None = None,
) -> tuple[list[tuple[PerformanceValue, ...]], tuple[PerformanceRegression, ...]]:
    """Each value against the rule's previous evaluated window and the stored review.

    The previous window is the latest earlier one with a value, this review's or, for a
    window this review does not cover, the last stored review's (as the fairness review
    compares). A window the stored review also covered (same label and bounds) is compared
    with its stored value too. Returns the values with their comparisons, and the
    regressions: a move the wrong way by more than ``tolerance``, or a bound no longer met.
    """
    labels = {slot.label for slot in slots}
    # rule -> [(window start, label, value, source)] of every earlier value known
    known: dict[str, list[tuple[str, str, float, Literal["review", "stored"]]]] = {}
    same: set[str] = set()
    if past is not None:
        starts = {w.label: w.start for w in past.windows}
        ours = {(slot.label, iso(slot.start), iso(slot.end)) for slot in slots}
        same = {w.label for w in past.windows if (w.label, w.start, w.end) in ours}
        for (label, rule), value in past.performance.items():
            if value is not None and label not in labels and label in starts:
                known.setdefault(rule, []).append((starts[label], label, value, "stored"))
    windows: list[tuple[PerformanceValue, ...]] = []
    regressions: list[PerformanceRegression] = []
    for slot, window in zip(slots, values, strict=True):
        start = iso(slot.start)
        compared = []
        for v in window:
            if v.status != "evaluated" or v.value is None:
                compared.append(v)
                continue
            earlier = [k for k in known.get(v.rule, []) if k[0] < start]
            known.setdefault(v.rule, []).append((start, slot.label, v.value, "review"))
            found: list[PerformanceRegression] = []
            previous = stored = None
            if earlier:
                _, label, prev, source = max(earlier)
                previous = PreviousValue(label, prev, v.value - prev, source)
                found += _judge(v, slot.label, prev, label, tolerance, "previous_window")
            old = (
                past.performance.get((slot.label, v.rule)) if past and slot.label in same else None
            )
            if past is not None and old is not None:
                stored = StoredValue(past.id, old, v.value - old)
                found += _judge(v, slot.label, old, f"review #{past.id}", tolerance,
                                "stored_review")  # fmt: skip
            regressions += found
            compared.append(replace(v, previous=previous, stored=stored, regression=bool(found)))
        windows.append(tuple(compared))
    return windows, tuple(regressions)


def _judge(
    v: PerformanceValue,
    window: str,
    earlier: float,
    against: str,
    tolerance: float,
    basis: Literal["previous_window", "stored_review"],
) -> list[PerformanceRegression]:
    """The regressions of a value against one earlier value of the same rule."""
    from govern.metrics.fairness.disparities import bound_met

    assert v.value is not None
    out = []
    delta = v.value - earlier
    worse = -delta if v.greater_is_better else delta
    if worse > tolerance:
        direction = "fell" if v.greater_is_better else "rose"
        out.append(
            PerformanceRegression(
                window, v.rule, v.metric, v.value, "moved", against, earlier, delta,
                f"{v.metric} {direction} from {earlier:.4f} ({against}) to {v.value:.4f} "
                f"({delta:+.4f}; tolerance {tolerance:g})",
                tolerance=tolerance, basis=basis,
            )
        )  # fmt: skip
    for b in v.bounds:
        if b.met is False and bound_met(earlier, low=b.low, high=b.high):
            out.append(
                PerformanceRegression(
                    window, v.rule, v.metric, v.value, "bound_crossed", against, earlier, delta,
                    f"{v.metric} {v.value:.4f} no longer meets the bound of {v.rule} "
                    f"({earlier:.4f} in {against} did)",
                    low=b.low, high=b.high, basis=basis,
                )
            )  # fmt: skip
    return out
