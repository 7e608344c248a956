"""The parameters of a ``check: performance`` rule: their JSON schema and what lint says of them.

:func:`rule_properties` is the rule's ``properties`` in the policy schema (the metric, its
bounds and baseline, the decision, the labels needed, the interval, the window, the trend and
the ``by`` column), :data:`BASELINE_SCHEMA` the part for ``baseline``, and :func:`lint_params`
what the rule alone shows to be wrong (``govern policy lint``). The check,
:class:`govern.checks.performance.Performance`, answers with both.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from govern.checks.base import TRIGGERS_SCHEMA
from govern.windows import WINDOW_SCHEMA

__all__ = ["BASELINE_SCHEMA", "lint_params", "rule_properties"]

#: What ``max_drop`` is measured from: the rule's ``baseline`` key.
BASELINE_SCHEMA: dict[str, Any] = {
    "oneOf": [
        {"const": "reference"},
        {
            "type": "object",
            "properties": {
                "registry_metric": {"type": "string", "minLength": 1},
                "alias": {"type": "string", "minLength": 1},
                "version": {"type": ["string", "integer"]},
                "stage": {"type": "string", "minLength": 1},
            },
            "additionalProperties": False,
            "minProperties": 1,
            "maxProperties": 1,
        },
    ],
    "description": "What max_drop is measured from: reference (the reference log), "
    "{registry_metric: KEY} (a metric this version's run logged), or a version of the model "
    "({alias: champion}, {version: 3}, {stage: Production}) on the same production window.",
}


def rule_properties() -> Mapping[str, Any]:
    """Rule parameters (metric names come from the performance metrics module)."""
    from govern.metrics.performance import METRIC_NAMES

    return {
        "metric": {"enum": list(METRIC_NAMES), "description": "Metric to bound."},
        "min": {"type": "number", "description": "Lowest acceptable value."},
        "max": {"type": "number", "description": "Highest acceptable value."},
        "baseline": BASELINE_SCHEMA,
        "max_drop": {
            "type": "number",
            "minimum": 0,
            "description": "Largest acceptable worsening against the baseline (default 0).",
        },
        "threshold": {
            "type": "number",
            "description": "Decision of accuracy, precision, ...: score >= threshold "
            "(default: the log's prediction column, else 0.5).",
        },
        "pos_label": {
            "type": ["string", "number", "boolean"],
            "description": "Label value of the positive class (default 1).",
        },
        "bins": {
            "type": "integer",
            "minimum": 1,
            "maximum": 1000,
            "description": "Equal-width bins of expected_calibration_error (default 10).",
        },
        "min_labelled": {
            "type": "number",
            "minimum": 0,
            "maximum": 1,
            "description": "Share of a window's records that must be labelled (default 0.8).",
        },
        "confidence": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "fail_when": {"enum": ["ci", "point"]},
        "n_boot": {"type": "integer", "minimum": 100, "maximum": 10000},
        "seed": {"type": "integer"},
        "window": WINDOW_SCHEMA,
        "trend": {
            "enum": ["day", "week", "month"],
            "description": "Also compute the metric per calendar window.",
        },
        "by": {
            "type": "string",
            "minLength": 1,
            "description": "Also report the metric per group of this column (e.g. a "
            "sensitive feature); informational, the rule judges the whole window.",
        },
        "triggers": TRIGGERS_SCHEMA,
    }


def lint_params(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What the rule alone shows to be wrong, as (key, message) pairs for policy lint."""
    out: list[tuple[str, str]] = []
    low, high = params.get("min"), params.get("max")
    numbers = all(isinstance(b, int | float) and math.isfinite(b) for b in (low, high))
    if low is not None and high is not None and numbers and low > high:
        out.append(("min", f"min {low} is above max {high}, so no value can pass"))
    if "max_drop" in params and "baseline" not in params:
        out.append(
            (
                "max_drop",
                "max_drop needs a baseline to drop from (reference, a run metric or a version)",
            )
        )
    if not {"min", "max", "baseline"} & set(params):
        out.append(("metric", "a performance rule needs min, max or a baseline"))
    metric = params.get("metric")
    if "bins" in params and metric != "expected_calibration_error":
        out.append(("bins", "bins applies only to expected_calibration_error"))
    return out
