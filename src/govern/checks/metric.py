"""``check: metric``: a metric logged with the version's run, against bounds or a baseline."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from govern.checks.base import Rule, Subject, finding
from govern.models import Finding, Status

_SELECTOR = {
    "type": "object",
    "properties": {
        "alias": {"type": "string", "minLength": 1},
        "version": {"type": ["string", "integer"]},
        "stage": {"type": "string", "minLength": 1},
    },
    "additionalProperties": False,
    "minProperties": 1,
    "maxProperties": 1,
}


#: how a rule names its baseline version (the one key of ``baseline:``), in lookup order
SelectorKey = Literal["alias", "version", "stage"]
SELECTOR_KEYS: tuple[SelectorKey, ...] = ("alias", "version", "stage")


@dataclass(frozen=True)
class BaselineComparison:
    """The baseline version the candidate was compared with, and what it had to reach."""

    #: the key of the rule's ``baseline:`` selector and its value as written (``champion``, 3)
    selector_key: SelectorKey
    selector_value: str | int
    #: the version the selector found
    version: str
    baseline_value: float
    #: the value the candidate had to reach (MLflow ``MetricThreshold`` semantics)
    required_value: float
    greater_is_better: bool

    def to_json(self) -> dict[str, Any]:
        """The comparison's keys of the metric evidence."""
        return {
            "baseline": {
                "selector": {self.selector_key: self.selector_value},
                "version": self.version,
            },
            "baseline_value": self.baseline_value,
            "required_value": self.required_value,
            "greater_is_better": self.greater_is_better,
        }


@dataclass(frozen=True)
class MetricEvidence:
    """Evidence of ``check: metric``: the baseline comparison, when the rule has one and it ran.

    The candidate's value and the bounds are the finding's ``value`` and ``threshold``.
    """

    comparison: BaselineComparison | None = None

    def to_json(self) -> dict[str, Any]:
        """The comparison as JSON, or an empty object without one."""
        return self.comparison.to_json() if self.comparison else {}


class LoggedMetric:
    """A run metric (latest value) within bounds, and no worse than a baseline version.

    Triggers: the metric is below ``min`` or above ``max``; or, with ``baseline`` (a version,
    alias or stage of the same model, e.g. the champion), it does not beat the baseline's value
    by ``min_absolute_change`` and by ``min_relative_change`` (a share of the baseline), in the
    direction set by ``greater_is_better`` -- the semantics of MLflow's ``MetricThreshold``.
    The metric not being logged, or no baseline version existing, gives ``not_evaluated``.

    Fix: retrain or choose another candidate; if the bound is wrong, change the policy through
    review; a justified exception is a waiver with an expiry date.
    """

    name = "metric"
    summary = "a logged run metric is within bounds and no worse than a baseline version"
    properties: Mapping[str, Any] = {
        "metric": {"type": "string", "minLength": 1, "description": "Run metric key."},
        "min": {"type": "number", "description": "Lowest acceptable value."},
        "max": {"type": "number", "description": "Highest acceptable value."},
        "baseline": {
            **_SELECTOR,
            "description": "Version to compare with: {alias: champion}, {version: 3} or "
            "{stage: Production}.",
        },
        "greater_is_better": {"type": "boolean", "description": "Direction (default true)."},
        "min_absolute_change": {"type": "number", "minimum": 0},
        "min_relative_change": {"type": "number", "minimum": 0, "maximum": 1},
    }
    required: tuple[str, ...] = ("metric",)

    def evaluate(self, rule: Rule, subject: Subject) -> Finding:
        """Compare the candidate's metric with the bounds and the baseline."""
        p = rule.params
        key = str(p["metric"])
        v = subject.version
        threshold = {k: p[k] for k in ("min", "max") if k in p}
        help_text = self.__doc__ or ""

        def result(
            status: Status,
            message: str,
            value: float | None = None,
            comparison: BaselineComparison | None = None,
        ) -> Finding:
            return finding(
                rule,
                subject,
                status,
                message,
                help_text=help_text,
                metric=key,
                value=value,
                threshold=threshold or None,
                evidence=MetricEvidence(comparison),
            )

        if key not in v.metrics:
            where = f"run {v.run_id}" if v.run_id else "the version (it has no run)"
            return result(Status.not_evaluated, f"metric {key} is not logged for {where}")
        value = v.metrics[key]
        if value is None or math.isnan(value):
            return result(Status.not_evaluated, f"metric {key} is NaN for run {v.run_id}")
        # A NaN bound compares false both ways: it must fail, never pass (lint refuses it too).
        broken = [k for k in _NUMERIC if k in p and not _finite(p[k])]
        if broken:
            return result(
                Status.failed,
                f"the rule's {', '.join(broken)} is not a finite number, so no value can meet "
                "it; fix the policy (`govern policy lint` names the line)",
                value=value,
            )
        problems: list[str] = []
        if "min" in p and not value >= float(p["min"]):
            problems.append(f"{key}={value:.6g} is below the minimum {p['min']}")
        if "max" in p and not value <= float(p["max"]):
            problems.append(f"{key}={value:.6g} is above the maximum {p['max']}")
        comparison: BaselineComparison | None = None
        if "baseline" in p:
            selector: Mapping[str, Any] = p["baseline"]
            label = ", ".join(f"{k} {val}" for k, val in selector.items())
            base = subject.baseline(v.model, selector)
            if base is None:
                return result(
                    Status.not_evaluated,
                    f"no baseline version of {v.model} with {label}",
                    value=value,
                )
            if base.version == v.version:
                return result(
                    Status.not_evaluated,
                    f"the candidate is the baseline ({label}); nothing to compare",
                    value=value,
                )
            base_value = base.metrics.get(key)
            if base_value is None or math.isnan(base_value):
                return result(
                    Status.not_evaluated,
                    f"metric {key} is not logged for baseline version {base.version}",
                    value=value,
                )
            greater = bool(p.get("greater_is_better", True))
            required = _required(base_value, p, greater)
            # Tolerate float rounding (0.8 * 1.05 is 0.8400000000000001).
            slack = 1e-12 * max(1.0, abs(required))
            better = value >= required - slack if greater else value <= required + slack
            by = next((k for k in SELECTOR_KEYS if k in selector), None)
            if by is None:  # the policy schema allows none: a lookup of another kind found it
                return result(
                    Status.not_evaluated,
                    f"the baseline ({label}) names no alias, version or stage",
                    value=value,
                )
            comparison = BaselineComparison(
                selector_key=by,
                selector_value=cast("str | int", selector[by]),
                version=base.version,
                baseline_value=base_value,
                required_value=required,
                greater_is_better=greater,
            )
            threshold.update(
                {k: p[k] for k in ("min_absolute_change", "min_relative_change") if k in p}
            )
            threshold["baseline_version"] = base.version
            if not better:
                word = "at least" if greater else "at most"
                problems.append(
                    f"{key}={value:.6g} must be {word} {required:.6g} "
                    f"(baseline version {base.version} has {base_value:.6g})"
                )
        if problems:
            return result(Status.failed, "; ".join(problems), value, comparison)
        return result(Status.passed, f"{key}={value:.6g} within bounds", value, comparison)


_NUMERIC = ("min", "max", "min_absolute_change", "min_relative_change")


def _finite(bound: Any) -> bool:
    """True for a number that is neither NaN nor infinite (nor too large for a float)."""
    try:
        return math.isfinite(float(bound))
    except (TypeError, ValueError, OverflowError):
        return False


def _required(base: float, params: Mapping[str, Any], greater: bool) -> float:
    """The value the candidate must reach: MLflow ``MetricThreshold`` change semantics."""
    absolute = float(params.get("min_absolute_change", 0.0))
    relative = float(params.get("min_relative_change", 0.0))
    if greater:
        return max(base + absolute, base * (1 + relative))
    return min(base - absolute, base * (1 - relative))
