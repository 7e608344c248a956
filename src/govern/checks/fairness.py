"""``check: fairness``: group fairness of production decisions, by sensitive feature."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from govern.checks.base import Rule, Subject, absent_columns, finding
from govern.checks.fairness_evidence import (
    DisparityResult,
    ExcludedGroup,
    FairnessEvidence,
    GroupRates,
    Interval,
    LL144Evidence,
    MissingValues,
    group_name,
)
from govern.errors import GovernError, UsageError
from govern.models import Finding, Status
from govern.sql import present_sql
from govern.windows import WINDOW_SCHEMA, parse_window

if TYPE_CHECKING:
    from govern.metrics.fairness import GroupCounts


def disparity_statistic(
    name: str, reference_group: Any = None, control: tuple[Any, ...] = ()
) -> Callable[[tuple[str, ...], Sequence[Any]], float]:
    """A function (grouping, group counts) -> the value of disparity ``name`` (the registry's).

    ``reference_group`` anchors the impact ratio (default: the most favoured group);
    ``control`` picks a control level (the review's time window).
    """
    from govern.metrics.fairness import disparity_named

    entry = disparity_named(name)

    def run(grouping: tuple[str, ...], counts: Sequence[Any]) -> float:
        return entry.value(counts, grouping, reference_group=reference_group, control=control)

    return run


class Fairness:
    """A disparity between groups of a sensitive feature (and their intersection) is bounded.

    Triggers: the disparity (``metric``: demographic parity difference/ratio, the impact ratio
    of the four-fifths rule, equalized odds difference/ratio, equal opportunity difference, or
    the difference of accuracy / TPR / FPR; before deployment the difference of the labels'
    base rate and the class imbalance ``(n_max - n_min) / (n_max + n_min)`` of the group
    sizes, as SageMaker Clarify's CI) is past ``min``/``max`` -- with ``confidence`` set,
    only when the whole seeded bootstrap interval lies past the bound (``fail_when: ci``, the
    default then) or whenever the point estimate does (``fail_when: point``). Groups smaller
    than ``min_group_size`` (default 30) -- and, for label metrics with ``min_outcomes``,
    groups whose TPR or FPR rests on fewer actual positives or negatives -- are excluded and
    listed, never silently passed; fewer than two evaluable groups, no rows for the version
    or window, or no labels for a label-based metric, gives ``not_evaluated``. Records without
    a value of a sensitive feature (NULL, NaN, the empty string) are left out of that
    feature's groups and counted (``missing: exclude``, the default, as the LL144 table
    leaves out unknown categories), form a group ``(missing)`` (``missing: group``) or make
    the rule ``not_evaluated`` (``missing: fail``). Definitions and values are fairlearn's,
    on the records kept.

    Fix: investigate the groups that differ (evidence lists rates and counts per group);
    rebalance or reweight training data, recalibrate thresholds per policy, or document a
    business necessity through review (a waiver with an expiry).
    """

    name = "fairness"
    summary = "disparities between groups (fairlearn definitions) stay within bounds"
    required: tuple[str, ...] = ("metric",)

    @property
    def properties(self) -> Mapping[str, Any]:
        """Rule parameters."""
        from govern.metrics.fairness import DISPARITY_NAMES

        return {
            "metric": {"enum": list(DISPARITY_NAMES), "description": "Disparity to bound."},
            "sensitive": {
                "type": "array",
                "items": {"type": "string"},
                "minItems": 1,
                "description": "Sensitive columns (default: those mapped at ingest).",
            },
            "intersect": {"type": "boolean", "description": "Also their intersection."},
            "min": {"type": "number"},
            "max": {"type": "number"},
            "min_group_size": {"type": "integer", "minimum": 1},
            "min_outcomes": {
                "type": "integer",
                "minimum": 0,
                "description": (
                    "Label metrics: exclude groups with fewer actual positives (TPR) or "
                    "negatives (FPR) than this behind a rate (default 0: fairlearn's handling)."
                ),
            },
            "confidence": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "fail_when": {"enum": ["ci", "point"]},
            "n_boot": {"type": "integer", "minimum": 100},
            "seed": {"type": "integer"},
            "reference_group": {
                "type": ["string", "number", "boolean"],
                "description": "Group the impact ratio is taken against (default: most favoured).",
            },
            "pos_label": {
                "type": ["string", "number", "boolean"],
                "description": "Value of prediction and label meaning selected (default 1).",
            },
            "ll144": {
                "type": "object",
                "description": (
                    "Also publish an NYC LL144 bias-audit table (rates and impact ratios by "
                    "sex, race/ethnicity and their intersection) as a finding of its own."
                ),
                "properties": {
                    "sex": {"type": "string"},
                    "race": {"type": "string"},
                    "rate": {"enum": ["selection", "scoring"]},
                    "min_share": {"type": "number", "minimum": 0, "maximum": 1},
                    "unknown": {"type": "array", "items": {"type": ["string", "number"]}},
                },
                "anyOf": [{"required": ["sex"]}, {"required": ["race"]}],
                "additionalProperties": False,
            },
            "missing": {
                "enum": ["exclude", "group", "fail"],
                "description": (
                    "Records without a value of a sensitive feature (NULL, NaN, empty string): "
                    "exclude (default) leaves them out of that feature's groups and counts "
                    "them; group makes them a group named (missing); fail gives not_evaluated."
                ),
            },
            "window": WINDOW_SCHEMA,
        }

    def evaluate(self, rule: Rule, subject: Subject) -> Finding | list[Finding]:
        """One finding per sensitive feature (and one for their intersection)."""
        from govern.metrics import fairness as f

        v = subject.version
        p = rule.params
        help_text = self.__doc__ or ""
        data = subject.data

        def missing(reason: str, about: str | None = None) -> Finding:
            return finding(rule, subject, Status.not_evaluated, reason, help_text=help_text,
                           metric=str(p["metric"]), about=about)  # fmt: skip

        if data is None:
            return missing("no prediction logs are available to this evaluation")
        spans = data.logs(model=v.model, role="current")
        if not spans:
            return missing(f"no current prediction log of model {v.model} is in the store")
        latest = max((log.ts_max for log in spans if log.ts_max), default=None)
        window = parse_window(p.get("window"), latest)
        versioned = any(log.version or "model_version" in log.mapping for log in spans)
        try:
            data.view("__govern_fair", model=v.model, role="current",
                      version=v.version if versioned else None, window=window)  # fmt: skip
        except UsageError as exc:
            return missing(exc.message)
        con = data.connection
        (rows,) = con.execute('SELECT count(*) FROM "__govern_fair"').fetchone()
        if not rows:
            which = f"version {v.version} of {v.model}" if versioned else v.model
            return missing(
                f"no current prediction log rows of {which}{where_text(window)}: ingest its logs "
                "(--version, or a --version-column) or choose another window"
            )
        ll144: list[Finding] = []
        if p.get("ll144"):
            ll144.append(self._ll144(rule, subject, con, window))
        sensitive = list(
            p.get("sensitive") or dict.fromkeys(s for log in spans for s in log.sensitive)
        )
        if not sensitive:
            return [
                *ll144,
                missing("no sensitive column: map one at ingest (--sensitive) or in the rule"),
            ]
        absent = absent_columns(con, "__govern_fair", sensitive, f"the current log of {v.model}")
        if absent:
            return [*ll144, missing("; ".join(absent.values()))]
        metric = str(p["metric"])
        needs_labels = f.disparity_named(metric).needs_labels
        relation = "__govern_fair"
        if needs_labels:
            con.execute(
                'CREATE OR REPLACE TEMP VIEW "__govern_fair_labelled" AS '
                f'SELECT * FROM "__govern_fair" WHERE {present_sql("__label")}'
            )
            relation = "__govern_fair_labelled"
            (labelled,) = con.execute('SELECT count(*) FROM "__govern_fair_labelled"').fetchone()
            if not labelled:
                reason = (
                    f"{metric} needs ground-truth labels and no record{where_text(window)} has "
                    "one: map a label column at ingest (--label) or ingest ground truth"
                )
                return [*ll144, missing(reason)]
        handling = str(p.get("missing", "exclude"))
        try:
            counted = f.count_groups(
                con, relation, label="__label" if needs_labels else None,
                prediction="__prediction", sensitive=sensitive,
                intersect=bool(p.get("intersect", False)) and len(sensitive) > 1,
                pos_label=p.get("pos_label", 1), missing=_handling(handling),
            )  # fmt: skip
        except (GovernError, ValueError) as exc:
            message = exc.message if isinstance(exc, GovernError) else str(exc)
            message = user_names(message, spans).replace(f" of relation {relation!r}", "")
            if "(sensitive feature)" in message:
                message += (
                    " (missing: fail; missing: exclude leaves those records out, "
                    "missing: group makes them a group)"
                )
            return [*ll144, missing(message)]
        counts = counted.counts
        groupings = [(s,) for s in sensitive]
        if p.get("intersect") and len(sensitive) > 1:
            groupings.append(tuple(sensitive))
        statistic = disparity_statistic(metric, p.get("reference_group"))
        min_size = int(p.get("min_group_size", 30))
        min_outcomes = int(p.get("min_outcomes", 0)) if needs_labels else 0
        out: list[Finding] = []
        where = where_text(window)
        reference = p.get("reference_group")
        for grouping in groupings:
            about = "×".join(grouping)
            left_out = MissingValues(counted.missing_rows(grouping), _handling(handling))
            members = [c for c in counts if c.grouping == grouping and c.n > 0]
            kept = [c for c in members if c.n >= min_size]
            excluded = [ExcludedGroup(group_name(c.group), c.n) for c in members if c.n < min_size]
            if min_outcomes:
                thin = [c for c in kept if _outcomes(c, metric) < min_outcomes]
                kept = [c for c in kept if c not in thin]
                excluded += [
                    ExcludedGroup(group_name(c.group), c.n, _outcomes(c, metric)) for c in thin
                ]
            evidence = FairnessEvidence(
                sensitive_feature=about,
                groups=_groups(kept, grouping, reference),
                excluded=tuple(excluded),
                missing=left_out,
                window=window.label() if window else "all",
            )
            if len(kept) < 2:
                out.append(
                    finding(
                        rule,
                        subject,
                        Status.not_evaluated,
                        f"{about}: fewer than two groups with at least {min_size} records"
                        + (f" and {min_outcomes} outcomes behind each rate" if min_outcomes else "")
                        + f"{where} ({len(members)} groups, {len(excluded)} too small)"
                        + _missing_text(left_out, about),
                        help_text=help_text,
                        metric=metric,
                        about=about,
                        evidence=evidence,
                    )
                )
                continue
            value = statistic(grouping, kept)
            bound = {k: p[k] for k in ("min", "max") if k in p}
            ci: Interval | None = None
            if "confidence" in p:

                def of_counts(cs: Sequence[Any], g: tuple[str, ...] = grouping) -> float:
                    return statistic(g, cs)

                low, high = f.bootstrap_ci(
                    kept, grouping, of_counts,
                    n_boot=int(p.get("n_boot", 2000)), confidence=float(p["confidence"]),
                    seed=int(p.get("seed", 0)),
                )  # fmt: skip
                ci = Interval(low, high, float(p["confidence"]))
            fail_when: Literal["ci", "point"] = (
                "point" if p.get("fail_when", "ci" if ci else "point") == "point" else "ci"
            )
            status = _decide(value, ci, bound, fail_when)
            ci_text = f", {p['confidence']:.0%} CI [{ci.low:.3f}, {ci.high:.3f}]" if ci else ""
            small = (
                f"; excluded small groups: {', '.join(e.group for e in excluded)}"
                if excluded
                else ""
            )
            message = (
                f"{about}: {metric} {value:.4f}{ci_text} "
                f"({_bound_text(bound)}; decided on the {fail_when}) over "
                f"{sum(c.n for c in kept)} records{where}{small}{_missing_text(left_out, about)}"
            )
            judged = DisparityResult(metric, value, ci, fail_when)
            out.append(
                finding(
                    rule,
                    subject,
                    status,
                    message,
                    help_text=help_text,
                    metric=metric,
                    value=value,
                    threshold=bound or None,
                    about=about,
                    evidence=dataclasses.replace(evidence, disparity=judged),
                )
            )
        return [*ll144, *out]

    def _ll144(self, rule: Rule, subject: Subject, con: Any, window: Any) -> Finding:
        """The LL144 audit table over the rule's window, as one finding.

        Bounded by the rule's ``min`` when its metric is an impact ratio (the lowest impact
        ratio of any category not excluded for being under ``min_share`` of the data);
        otherwise published as a passing, informational finding.
        """
        from govern.metrics import fairness as f

        p = rule.params
        spec = p["ll144"]
        scoring = spec.get("rate") == "scoring"
        help_text = self.__doc__ or ""
        wanted = [spec[k] for k in ("sex", "race") if spec.get(k)]
        what = f"the current log of {subject.version.model}"
        absent = absent_columns(con, "__govern_fair", wanted, what)
        if absent:
            return finding(rule, subject, Status.not_evaluated,
                           "LL144 table: " + "; ".join(absent.values()),
                           help_text=help_text, metric="impact_ratio", about="LL144")  # fmt: skip
        try:
            table = f.ll144_table(
                con, "__govern_fair", sex=spec.get("sex"), race=spec.get("race"),
                prediction=None if scoring else "__prediction",
                score="__score" if scoring else None,
                unknown_values=(*spec.get("unknown", ["Unknown"]), None),
                min_share=float(spec.get("min_share", 0.02)), pos_label=p.get("pos_label", 1),
            )  # fmt: skip
        except (GovernError, ValueError) as exc:
            message = exc.message if isinstance(exc, GovernError) else str(exc)
            return finding(rule, subject, Status.not_evaluated, f"LL144 table: {message}",
                           help_text=help_text, metric="impact_ratio", about="LL144")  # fmt: skip
        evidence = LL144Evidence(table)
        lowest = evidence.lowest_impact_ratio
        bounded = str(p["metric"]) in ("impact_ratio", "selection_rate_ratio") and "min" in p
        threshold = {"min": p["min"]} if bounded else None
        if lowest is None:
            status = Status.not_evaluated
        elif bounded and not f.bound_met(lowest, low=float(p["min"])):
            status = Status.failed
        else:
            status = Status.passed
        rate = table.rate_kind.replace("_", " ")
        message = (
            f"LL144 audit table: {rate} and impact ratio of {table.total} records"
            f"{where_text(window)}; lowest impact ratio {_or_nan(lowest):.3f}"
            + (f" (min {p['min']})" if bounded else "")
        )
        return finding(
            rule, subject, status, message, help_text=help_text, metric="impact_ratio",
            value=lowest, threshold=threshold, about="LL144", evidence=evidence,
        )  # fmt: skip


def user_names(message: str, spans: Sequence[Any]) -> str:
    """A metrics message with the standard columns (``'__label'``) named as the user mapped them."""
    for role in ("label", "prediction", "score"):
        mapped = next((log.mapping[role] for log in spans if log.mapping.get(role)), None)
        name = f"{role} column {mapped}" if mapped else f"{role} column"
        message = message.replace(f"columns '__{role}'", f"the {name}")
        message = message.replace(f"column '__{role}'", f"{name}").replace(f"'__{role}'", name)
    return message


def where_text(window: Any) -> str:
    """' in <window>' for messages, or nothing for the whole log."""
    return f" in {window.label()}" if window else ""


def _outcomes(c: GroupCounts, metric: str) -> int:
    """The fewest actual outcomes behind any rate ``metric`` takes of group counts ``c``."""
    from govern.metrics.fairness import disparity_named

    return disparity_named(metric).fewest_outcomes(c)


def _handling(name: str) -> Literal["exclude", "group", "fail"]:
    if name == "group":
        return "group"
    if name == "fail":
        return "fail"
    return "exclude"


def _missing_text(absent: MissingValues, about: str) -> str:
    """'; N records without a value of sex left out' (or grouped), or nothing."""
    if not absent.n:
        return ""
    if absent.handling == "group":
        return f"; {absent.n} records without a value of {about} form the group (missing)"
    return f"; {absent.n} records without a value of {about} left out"


def _groups(
    counts: Sequence[GroupCounts], grouping: tuple[str, ...], reference: Any
) -> tuple[GroupRates, ...]:
    """The groups judged, with their impact ratios (against ``reference`` when it is one)."""
    from govern.metrics import fairness as f

    if not counts:
        return ()
    known = reference is not None and any(c.group == (reference,) for c in counts)
    ratios = f.impact_ratios(counts, grouping, reference_group=reference if known else None)
    return tuple(
        GroupRates(
            group_name(c.group),
            c,
            None if math.isnan(r := ratios.get(c.group, math.nan)) else r,
        )
        for c in counts
    )


def _decide(value: float, ci: Interval | None, bound: Mapping[str, Any], fail_when: str) -> Status:
    from govern.metrics.fairness import bound_met

    if math.isnan(value):
        return Status.not_evaluated
    estimate = (ci.low, ci.high) if (ci and fail_when == "ci") else value
    low, high = bound.get("min"), bound.get("max")
    met = bound_met(
        estimate,
        low=None if low is None else float(low),
        high=None if high is None else float(high),
    )
    return Status.passed if met else Status.failed


def _or_nan(value: float | None) -> float:
    return math.nan if value is None else value


def _bound_text(bound: Mapping[str, Any]) -> str:
    parts = [f"{k} {v}" for k, v in bound.items()]
    return ", ".join(parts) if parts else "no bound"
