"""The review itself: count, measure every window, compare, and build the :class:`Review` once.

:func:`review` reads the options and policy terms (:mod:`~govern.review.options`), the inputs
and windows (:mod:`~govern.review.inputs`) and the counts (:mod:`~govern.review.counting`);
measures each window's groups and disparities here; compares them with earlier windows and the
stored review (:mod:`~govern.review.compare`); and returns the frozen
:class:`~govern.review.model.Review`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from govern.checks.fairness import disparity_statistic
from govern.metrics.fairness.disparities import Disparity
from govern.review import compare as comparing
from govern.review import inputs as reading
from govern.review import performance as perf
from govern.review.counting import Counts
from govern.review.model import (
    BoundCheck,
    DisparityValue,
    ExcludedGroup,
    FeatureReview,
    GroupMetrics,
    ImpactDetail,
    LabelMetrics,
    Missing,
    Review,
    ReviewParams,
    ReviewSpan,
    ReviewWindow,
    number,
    plain,
)
from govern.review.options import (
    LABEL_METRICS,
    PolicyBound,
    ReviewOptions,
    check_options,
    disparities,
    policy_terms,
)
from govern.review.storage import past, stored_warnings
from govern.store import reviews as stored_reviews

if TYPE_CHECKING:
    from govern.metrics.fairness import GroupCounts
    from govern.store.store import Store

__all__ = ["review"]


def review(store: Store, options: ReviewOptions, *, now: datetime) -> Review:
    """Compute a fairness review (see :mod:`govern.review`); nothing is written.

    Raises :class:`~govern.errors.UsageError` for bad input: an unknown model, no current
    log, an unknown column, no timestamps, an unknown version or bad options.
    """
    o = options
    check_options(o)
    terms = policy_terms(o.policies, o.model)
    pos_label = o.pos_label if o.pos_label is not None else terms.pos_label
    if pos_label is None:
        pos_label = 1
    handling: Missing = o.missing or terms.missing or "exclude"
    inputs = reading.inputs(store, o)
    span, slots = reading.span(store.con, o)
    counts = Counts(store.con, inputs, slots, pos_label, handling)
    metrics = disparities(terms.bounds)
    measure = _Measure(counts, inputs, metrics, terms.bounds, o, terms.reference_group)
    measured = [measure.window(slot) for slot in slots]
    versioned = any(log.version or "model_version" in log.mapping for log in inputs.logs)
    by_slot = perf.measure(store, o.policies, o.model, o.version, slots, versioned=versioned)
    stored = (
        stored_reviews.latest(store, model=o.model, version=o.version, period=o.period)
        if o.compare
        else None
    )
    earlier = past(stored)
    performance, performance_regressions = perf.compare(
        slots, [by_slot.get(slot.index, ()) for slot in slots], o.tolerance, earlier
    )

    params = ReviewParams(
        model=o.model,
        version=o.version,
        period=o.period,
        start=o.start,
        end=o.end,
        sensitive=inputs.sensitive,
        intersect=inputs.intersect,
        min_group_size=o.min_group_size,
        missing=handling,
        tolerance=o.tolerance,
        confidence=o.confidence,
        n_boot=o.n_boot if o.confidence else None,
        seed=o.seed if o.confidence else None,
        pos_label=plain(pos_label),
        reference_group=plain(terms.reference_group),
        ll144_sex=inputs.sex,
        ll144_race=inputs.race,
        policies=terms.used,
        metrics=tuple(m.name for m in metrics),
    )
    comparison = comparing.compare(measured, metrics, earlier, o.tolerance)
    windows = tuple(
        replace(w, performance=values)
        for w, values in zip(comparison.apply(measured), performance, strict=True)
    )
    return Review(
        params=params,
        generated_at=now,
        span=ReviewSpan(
            start=slots[0].start if slots else None,
            end=slots[-1].end if slots else None,
            first_record=span.first,
            last_record=span.last,
            records=span.records,
            untimed_records=span.untimed,
        ),
        compared_to=stored,
        disparities=metrics,
        windows=windows,
        trend=comparing.trend(windows, metrics, inputs.groupings),
        regressions=comparison.regressions,
        warnings=tuple(_warnings(counts, span, stored, params)),
        performance_regressions=performance_regressions,
    )


def _warnings(
    counts: Counts,
    span: reading.Span,
    stored: stored_reviews.StoredReview | None,
    params: ReviewParams,
) -> list[str]:
    out = []
    if counts.unscored:
        out.append(f"{counts.unscored} reviewed row(s) have no score: mean_score is not reported.")
    if span.untimed:
        out.append(
            f"{span.untimed} record(s) have no timestamp and belong to no window: they are not "
            "reviewed."
        )
    if stored is not None:
        out += stored_warnings(stored, params)
    return out


def _name(group: Sequence[Any]) -> str:
    return "×".join(str(v) for v in group)


class _Measure:
    """Measures each window: its row counts, features (groups, disparities) and LL144 table."""

    def __init__(
        self,
        counts: Counts,
        inputs: reading.Inputs,
        metrics: Sequence[Disparity],
        bounds: Sequence[PolicyBound],
        o: ReviewOptions,
        reference_group: Any,
    ) -> None:
        self.counts = counts
        self.inputs = inputs
        self.metrics = metrics
        self.bounds = bounds
        self.o = o
        self.reference_group = reference_group

    def window(self, slot: reading.Slot) -> ReviewWindow:
        """A window's bounds and row counts; its features and LL144 table when evaluable."""
        p = self.counts.profile(slot.index)
        reason = None
        if p.rows == 0:
            reason = "no records in this window"
        elif p.reviewed == 0:
            reason = "every record of this window lacks a prediction"
        evaluated = reason is None
        return ReviewWindow(
            label=slot.label,
            start=slot.start,
            end=slot.end,
            partial=slot.partial,
            rows=p.rows,
            missing_prediction=p.missing_prediction,
            missing_sensitive=p.missing_sensitive,
            reviewed=p.reviewed,
            labelled=p.labelled,
            scored=p.scored,
            status="evaluated" if evaluated else "not_evaluated",
            reason=reason,
            features=(
                tuple(self.feature(g, slot.index) for g in self.inputs.groupings)
                if evaluated
                else ()
            ),
            ll144=self.counts.ll144(slot.index) if evaluated else None,
        )

    def feature(self, grouping: tuple[str, ...], window: int) -> FeatureReview:
        """Group metrics and disparities of one grouping in one window."""
        counts, min_size = self.counts, self.o.min_group_size
        control = (window,)
        sel = counts.selection.get((control, grouping), [])
        lab = counts.labelled.get((control, grouping), [])
        lab_by_group = {c.group: c for c in lab}
        members = [c for c in sel if c.n > 0]
        kept = [c for c in members if c.n >= min_size]
        kept_lab = [c for c in lab if c.n >= min_size]
        excluded = []
        for c in members:
            n_lab = lab_by_group[c.group].n if c.group in lab_by_group else 0
            if c.n < min_size:
                excluded.append(ExcludedGroup(_name(c.group), c.n, n_lab, "all"))
            elif 0 < n_lab < min_size:
                excluded.append(ExcludedGroup(_name(c.group), c.n, n_lab, "label_metrics"))
        key = "×".join(grouping)
        unvalued = counts.missing_rows.get((control, grouping), 0)
        reason: str | None = None
        if counts.missing == "fail" and unvalued:
            reason = (
                f"{unvalued} record(s) without a value of {key} (missing: fail; exclude leaves "
                "them out, group makes them a group)"
            )
        elif len(kept) < 2:
            reason = (
                f"fewer than two groups with at least {min_size} records ({len(members)} "
                f"group(s), {sum(1 for c in members if c.n < min_size)} too small)"
            )
        reference = (
            self.reference_group
            if len(grouping) == 1 and any(c.group == (self.reference_group,) for c in kept)
            else None
        )
        return FeatureReview(
            feature=key,
            columns=grouping,
            groups=_group_rows(sel, lab_by_group, counts.use_score),
            excluded=tuple(excluded),
            absent=tuple(_name(c.group) for c in sel if c.n == 0),
            missing=unvalued,
            missing_labelled=counts.missing_labelled.get((control, grouping), 0),
            status="evaluated" if reason is None else "not_evaluated",
            reason=reason,
            disparities=tuple(
                self.disparity(m, grouping, control, reason, kept, kept_lab, bool(lab), reference)
                for m in self.metrics
            ),
        )

    def disparity(
        self,
        m: Disparity,
        grouping: tuple[str, ...],
        control: tuple[Any, ...],
        not_evaluated: str | None,
        kept: Sequence[GroupCounts],
        kept_lab: Sequence[GroupCounts],
        labelled: bool,
        reference: Any,
    ) -> DisparityValue:
        """One disparity of a grouping in one window, with its interval and policy bounds."""
        from govern.metrics.fairness import bootstrap_ci

        o = self.o
        applicable = [
            b
            for b in self.bounds
            if b.metric == m.name and b.applies(grouping, self.inputs.sensitive)
        ]
        unmet = tuple(BoundCheck(b.rule, b.low, b.high, None) for b in applicable)
        groups = kept_lab if m.needs_labels else kept
        reason = not_evaluated
        if reason is None and m.needs_labels and not labelled:
            reason = "no ground-truth labels in this window"
        elif reason is None and m.needs_labels and len(groups) < 2:
            reason = f"fewer than two groups with at least {o.min_group_size} labelled records"
        if reason is not None:
            return DisparityValue(m.name, m.kind, "not_evaluated", reason, bounds=unmet)
        fn = _statistic(m, grouping, control, reference)
        value = fn(groups)
        if math.isnan(value) or math.isinf(value):
            return DisparityValue(
                m.name,
                m.kind,
                "not_evaluated",
                "undefined in this window (e.g. every rate is 0)",
                bounds=unmet,
            )
        ci = None
        if o.confidence is not None:
            lo, hi = bootstrap_ci(
                groups,
                grouping,
                fn,
                n_boot=o.n_boot,
                confidence=o.confidence,
                seed=o.seed,
                control=control,
            )
            ci = (number(lo), number(hi))
        return DisparityValue(
            m.name,
            m.kind,
            "evaluated",
            None,
            value=value,
            ci=ci,
            bounds=tuple(BoundCheck(b.rule, b.low, b.high, b.met(value)) for b in applicable),
            detail=(
                _impact_detail(groups, grouping, control, reference)
                if m.name == "impact_ratio"
                else None
            ),
        )


def _statistic(
    metric: Disparity, grouping: tuple[str, ...], control: tuple[Any, ...], reference: Any
) -> Callable[[Sequence[GroupCounts]], float]:
    """The function of a grouping's counts giving one disparity (the fairness rule's own)."""
    run = disparity_statistic(metric.name, reference, control)
    return lambda counts: run(grouping, counts)


def _group_rows(
    sel: Sequence[GroupCounts], lab: Mapping[tuple[Any, ...], GroupCounts], use_score: bool
) -> tuple[GroupMetrics, ...]:
    from govern.metrics.fairness import GROUP_METRICS

    rows = []
    for c in sel:
        if c.n == 0:
            continue
        lc = lab.get(c.group)
        label_metrics = None
        if lc is not None and lc.n > 0:
            label_metrics = LabelMetrics(
                *(number(GROUP_METRICS[name](lc)) for name in LABEL_METRICS)
            )
        rows.append(
            GroupMetrics(
                group=_name(c.group),
                values=tuple(plain(v) for v in c.group),
                n=c.n,
                selection_rate=number(GROUP_METRICS["selection_rate"](c)),
                labelled=lc.n if lc is not None else 0,
                scored=use_score,
                mean_score=number(GROUP_METRICS["mean_score"](c)) if use_score else None,
                label_metrics=label_metrics,
            )
        )
    return tuple(rows)


def _impact_detail(
    groups: Sequence[GroupCounts], grouping: tuple[str, ...], control: tuple[Any, ...], ref: Any
) -> ImpactDetail:
    from govern.metrics.fairness import GROUP_METRICS, impact_ratios

    ratios = impact_ratios(groups, grouping, reference_group=ref, control=control)
    finite = {g: v for g, v in ratios.items() if not math.isnan(v)}
    if ref is not None:
        reference = (ref,)
    else:
        best = max(groups, key=lambda c: GROUP_METRICS["selection_rate"](c))
        reference = best.group
    lowest = min(finite, key=lambda g: finite[g]) if finite else None
    return ImpactDetail(
        reference=_name(reference),
        lowest=_name(lowest) if lowest is not None else None,
        ratios=tuple((_name(g), number(v)) for g, v in ratios.items()),
    )
