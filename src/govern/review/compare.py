"""Trend and regressions: each disparity against earlier windows and the stored review.

Every evaluated disparity is compared with the same feature's value in the latest earlier
evaluated window (of this review, else of the stored review) and with the same window of the
last stored review. :func:`compare` returns the result as a new value, a :class:`Comparison`:
each disparity's change and the regressions; :meth:`Comparison.apply` gives the windows with
their changes, so nothing is changed in place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from govern.metrics.fairness.disparities import Disparity, bound_met
from govern.review.model import (
    BoundCheck,
    DisparityValue,
    FeatureReview,
    PreviousValue,
    Regression,
    ReviewWindow,
    StoredValue,
    TrendSeries,
    iso,
)
from govern.review.storage import Past, ValueKey

__all__ = ["Change", "Comparison", "compare", "judge", "trend", "values"]

_EPS = 1e-12


@dataclass(frozen=True)
class Change:
    """A disparity against the previous window and the stored review."""

    previous: PreviousValue | None
    stored: StoredValue | None
    regression: bool


@dataclass(frozen=True)
class Comparison:
    """Each compared disparity's change, keyed by (window, feature, metric), and the regressions."""

    changes: Mapping[ValueKey, Change]
    regressions: tuple[Regression, ...]

    def apply(self, windows: Sequence[ReviewWindow]) -> tuple[ReviewWindow, ...]:
        """New windows whose disparities carry their change (the given ones are unchanged)."""
        return tuple(
            replace(w, features=tuple(self._feature(w.label, f) for f in w.features))
            if w.features
            else w
            for w in windows
        )

    def _feature(self, label: str, f: FeatureReview) -> FeatureReview:
        return replace(
            f, disparities=tuple(self._disparity(label, f.feature, d) for d in f.disparities)
        )

    def _disparity(self, label: str, feature: str, d: DisparityValue) -> DisparityValue:
        change = self.changes.get((label, feature, d.metric))
        if change is None:
            return d
        return replace(
            d, previous=change.previous, stored=change.stored, regression=change.regression
        )


def values(windows: Sequence[ReviewWindow]) -> dict[ValueKey, float | None]:
    """(window label, feature, metric) -> evaluated value (None when not evaluated)."""
    out: dict[ValueKey, float | None] = {}
    for w in windows:
        for f in w.features:
            for d in f.disparities:
                out[(w.label, f.feature, d.metric)] = d.value if d.status == "evaluated" else None
    return out


def compare(
    windows: Sequence[ReviewWindow],
    metrics: Sequence[Disparity],
    past: Past | None,
    tolerance: float,
) -> Comparison:
    """Compare every evaluated disparity with the previous window and the stored review."""
    kinds = {m.name: m for m in metrics}
    old_windows = past.windows if past else ()
    old_values: Mapping[ValueKey, float | None] = past.values if past else {}
    old_keys = {(w.label, w.start, w.end) for w in old_windows}
    # label -> start of every window known, this review's overriding the stored one's
    starts: dict[str, str] = {w.label: w.start for w in old_windows}
    here = values(windows)
    combined = dict(old_values)
    for w in windows:
        starts[w.label] = iso(w.start)
        for key in [k for k in combined if k[0] == w.label]:
            combined[key] = None
    combined.update(here)
    changes: dict[ValueKey, Change] = {}
    regressions: list[Regression] = []
    for w in windows:
        start = iso(w.start)
        same = (w.label, start, iso(w.end)) in old_keys
        for f in w.features:
            for d in f.disparities:
                if d.status != "evaluated" or d.value is None:
                    continue
                m = kinds[d.metric]
                value = float(d.value)
                earlier = [
                    (starts[label], label, v)
                    for (label, feat, met), v in combined.items()
                    if feat == f.feature
                    and met == m.name
                    and v is not None
                    and starts.get(label, "") < start
                ]
                found: list[Regression] = []
                previous = stored = None
                if earlier:
                    _, label, prev = max(earlier)
                    ours = (label, f.feature, m.name) in here
                    previous = PreviousValue(
                        label, prev, value - prev, "review" if ours else "stored"
                    )
                    found += judge(
                        m, value, prev, tolerance, d, "previous_window", label, w.label, f.feature
                    )
                if same and past is not None:
                    old = old_values.get((w.label, f.feature, m.name))
                    if old is not None:
                        stored = StoredValue(past.id, old, value - old)
                        found += judge(
                            m,
                            value,
                            old,
                            tolerance,
                            d,
                            "stored_review",
                            f"review #{past.id}",
                            w.label,
                            f.feature,
                        )
                changes[(w.label, f.feature, m.name)] = Change(previous, stored, bool(found))
                regressions += found
    return Comparison(changes, tuple(regressions))


def judge(
    m: Disparity,
    value: float,
    earlier: float,
    tolerance: float,
    d: DisparityValue,
    basis: Literal["previous_window", "stored_review"],
    against: str,
    window: str,
    feature: str,
) -> list[Regression]:
    """The regressions of one value against one earlier value.

    With an interval of the value (``d.ci``), a move counts only when the earlier value lies
    outside it on the better side, and a bound is crossed only when the whole interval lies
    past it (as ``fail_when: ci`` of the fairness check).
    """
    out = []
    delta = value - earlier
    worse = m.worse_sign * delta
    lo, hi = value, value
    outside = True
    ci = d.ci
    if ci is not None and ci[0] is not None and ci[1] is not None:
        lo, hi = float(ci[0]), float(ci[1])
        outside = earlier < lo - _EPS if m.worse_sign > 0 else earlier > hi + _EPS
    if worse > tolerance + _EPS and outside:
        direction = "rose" if delta > 0 else "fell"
        out.append(
            Regression(
                window=window,
                feature=feature,
                metric=m.name,
                kind=m.kind,
                value=value,
                basis=basis,
                reason="moved",
                compared_with=against,
                earlier=earlier,
                delta=delta,
                tolerance=tolerance,
                message=f"{m.name} {direction} from {earlier:.4f} ({against}) to {value:.4f} "
                f"({delta:+.4f}; tolerance {tolerance:g})",
            )
        )
    for b in d.bounds:
        if b.met is False and _crossed(b, earlier, lo, hi):
            low, high = b.low, b.high
            limit = f"min {low:g}" if low is not None and value < low else f"max {high:g}"
            out.append(
                Regression(
                    window=window,
                    feature=feature,
                    metric=m.name,
                    kind=m.kind,
                    value=value,
                    basis=basis,
                    reason="bound_crossed",
                    compared_with=against,
                    earlier=earlier,
                    delta=delta,
                    rule=b.rule,
                    low=low,
                    high=high,
                    message=f"{m.name} {value:.4f} crossed {limit} of rule {b.rule} "
                    f"(met at {earlier:.4f}, {against})",
                )
            )
    return out


def _crossed(b: BoundCheck, earlier: float, lo: float, hi: float) -> bool:
    """The bound was met by the earlier value, and the whole interval ``[lo, hi]`` is past it."""
    met_before = bound_met(earlier, low=b.low, high=b.high)
    return met_before and not bound_met((lo, hi), low=b.low, high=b.high)


def trend(
    windows: Sequence[ReviewWindow],
    metrics: Sequence[Disparity],
    groupings: Sequence[tuple[str, ...]],
) -> tuple[TrendSeries, ...]:
    """Each feature's disparity series across the windows (None where not evaluated)."""
    found = values(windows)
    labels = tuple(w.label for w in windows)
    return tuple(
        TrendSeries(
            feature="×".join(grouping),
            metric=m.name,
            kind=m.kind,
            windows=labels,
            values=tuple(found.get((label, "×".join(grouping), m.name)) for label in labels),
        )
        for grouping in groupings
        for m in metrics
    )
