"""Uncertainty: significance tests of impact ratios and bootstrap intervals over counts."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, Literal

from govern.metrics.fairness.counts import _NAN, Group, GroupCounts, _fail, _find, _select
from govern.metrics.fairness.disparities import _div, _reference

_RATE_PARTS: dict[str, Callable[[GroupCounts], tuple[int, int]]] = {
    "selection_rate": lambda c: (c.predicted_positive, c.n),
    "base_rate": lambda c: (c.label_positive, c.n),
    "true_positive_rate": lambda c: (c.tp, c.tp + c.fn),
    "false_positive_rate": lambda c: (c.fp, c.fp + c.tn),
    "true_negative_rate": lambda c: (c.tn, c.tn + c.fp),
    "false_negative_rate": lambda c: (c.fn, c.fn + c.tp),
    "precision": lambda c: (c.tp, c.tp + c.fp),
    "accuracy": lambda c: (c.tp + c.tn, c.n),
    "error_rate": lambda c: (c.fp + c.fn, c.n),
}


@dataclass(frozen=True)
class GroupTest:
    """A group's rate against the reference group's, with the test's raw and adjusted p-value.

    ``successes / trials`` is the group's rate (e.g. selected / n); ``p_adjusted`` is the
    p-value after the correction across all tested groups (NaN when the test is undefined,
    e.g. a group without trials).
    """

    group: Group
    reference: Group
    successes: int
    trials: int
    rate: float
    reference_rate: float
    impact_ratio: float
    p_value: float
    p_adjusted: float


def _holm(pvalues: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment; NaN p-values are not part of the family."""
    idx = sorted((i for i, p in enumerate(pvalues) if not math.isnan(p)), key=lambda i: pvalues[i])
    m = len(idx)
    out = [_NAN] * len(pvalues)
    running = 0.0
    for rank, i in enumerate(idx):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        out[i] = running
    return out


def _bonferroni(pvalues: Sequence[float]) -> list[float]:
    m = sum(1 for p in pvalues if not math.isnan(p))
    return [p if math.isnan(p) else min(1.0, m * p) for p in pvalues]


def significance(
    counts: Sequence[GroupCounts],
    grouping: str | Sequence[str],
    *,
    rate: str = "selection_rate",
    reference_group: Any = None,
    test: Literal["fisher", "z"] = "fisher",
    alternative: Literal["two-sided", "less", "greater"] = "two-sided",
    correction: Literal["holm", "bonferroni", "none"] = "holm",
    control: Group = (),
) -> dict[Group, GroupTest]:
    """p-values of each group's impact ratio against the reference group, corrected.

    Each non-empty group other than the reference is tested on the 2x2 table
    ``[[successes, failures] of the group, [successes, failures] of the reference]``:
    ``test="fisher"`` uses Fisher's exact test (``scipy.stats.fisher_exact``), ``"z"`` the
    pooled two-proportion z-test (normal approximation; equal proportions of 0 or 1 give
    z = 0). ``alternative="less"`` asks whether the group's rate is lower than the
    reference's. The p-values are then adjusted across the tested groups with Holm's
    step-down method (default; controls the family-wise error rate, uniformly more powerful
    than Bonferroni), Bonferroni, or not at all. The reference is the highest-rate group
    unless given. ``rate`` must be a proportion metric (e.g. ``selection_rate``,
    ``true_positive_rate``).
    """
    from scipy import stats  # type: ignore[import-untyped]  # lazy: heavy import

    if rate not in _RATE_PARTS:
        raise _fail(
            f"significance needs a proportion metric, got {rate!r}",
            f"choose one of {sorted(_RATE_PARTS)}",
        )
    parts = _RATE_PARTS[rate]
    groups = [c for c in _select(counts, grouping, control) if c.n > 0]
    if not groups:
        return {}

    def prop(c: GroupCounts) -> float:
        s, t = parts(c)
        return s / t if t else _NAN

    ref = (
        _find(groups, reference_group) if reference_group is not None else _reference(groups, prop)
    )
    rs, rt = parts(ref)
    others = [c for c in groups if c is not ref]
    raw: list[float] = []
    for c in others:
        s, t = parts(c)
        if t == 0 or rt == 0:
            raw.append(_NAN)
        elif test == "fisher":
            res = stats.fisher_exact([[s, t - s], [rs, rt - rs]], alternative=alternative)
            raw.append(float(res.pvalue))
        elif test == "z":
            pooled = (s + rs) / (t + rt)
            se = math.sqrt(pooled * (1 - pooled) * (1 / t + 1 / rt))
            z = 0.0 if se == 0 else (s / t - rs / rt) / se
            if alternative == "two-sided":
                raw.append(float(2 * stats.norm.sf(abs(z))))
            elif alternative == "less":
                raw.append(float(stats.norm.cdf(z)))
            else:
                raw.append(float(stats.norm.sf(z)))
        else:
            raise _fail(f"unknown test {test!r}", "choose 'fisher' or 'z'")
    if correction == "holm":
        adjusted = _holm(raw)
    elif correction == "bonferroni":
        adjusted = _bonferroni(raw)
    elif correction == "none":
        adjusted = list(raw)
    else:
        raise _fail(f"unknown correction {correction!r}", "choose 'holm', 'bonferroni' or 'none'")
    ref_rate = prop(ref)
    out: dict[Group, GroupTest] = {}
    for c, p, q in zip(others, raw, adjusted, strict=True):
        s, t = parts(c)
        out[c.group] = GroupTest(
            group=c.group,
            reference=ref.group,
            successes=s,
            trials=t,
            rate=prop(c),
            reference_rate=ref_rate,
            impact_ratio=_div(prop(c), ref_rate),
            p_value=p,
            p_adjusted=q,
        )
    return out


def bootstrap_ci(
    counts: Sequence[GroupCounts],
    grouping: str | Sequence[str],
    statistic: Callable[[Sequence[GroupCounts]], float],
    *,
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
    control: Group = (),
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic`` over one grouping, resampling counts.

    For each group of ``grouping`` (at ``control``), ``n_boot`` sets of confusion cells
    ``(tp, fp, tn, fn)`` are drawn at once from a multinomial with the group's size and its
    observed cell shares (``(selected, not selected)`` without labels), using
    ``numpy.random.default_rng(seed)``; groups are stratified (their sizes are fixed) and
    empty cells stay empty. ``statistic`` is called on each resampled list of that grouping's
    counts, e.g. ``lambda c: demographic_parity_difference(c, "sex")``. Scores are not
    resampled: ``score_sum`` keeps its observed mean. Resamples where the statistic is NaN
    are dropped; the interval is the ``(1 - confidence) / 2`` and ``(1 + confidence) / 2``
    quantiles (linear interpolation), or ``(nan, nan)`` when none is finite.
    """
    import numpy as np  # lazy: keep ``import govern`` light

    if not 0 < confidence < 1:
        raise _fail(f"confidence must lie strictly between 0 and 1, got {confidence}")
    if n_boot < 1:
        raise _fail(f"n_boot must be positive, got {n_boot}")
    groups = _select(counts, grouping, control)
    rng = np.random.default_rng(seed)
    draws: list[list[list[int]] | None] = []
    for c in groups:
        if c.n == 0:
            draws.append(None)
            continue
        cells = (
            [c.tp, c.fp, c.tn, c.fn]
            if c.has_labels
            else [c.predicted_positive, c.n - c.predicted_positive]
        )
        pvals = np.asarray(cells, dtype=float) / c.n
        draws.append(rng.multinomial(c.n, pvals, size=n_boot).tolist())
    values = np.empty(n_boot, dtype=float)
    for b in range(n_boot):
        sample: list[GroupCounts] = []
        for c, d in zip(groups, draws, strict=True):
            if d is None:
                sample.append(c)
                continue
            cell = d[b]
            if len(cell) == 4:
                tp, fp, tn, fn = cell
                lp, pp = tp + fn, tp + fp
            else:
                pp = cell[0]
                tp = fp = tn = fn = lp = 0
            sample.append(
                GroupCounts(
                    c.grouping,
                    c.group,
                    c.n,
                    tp,
                    fp,
                    tn,
                    fn,
                    lp,
                    pp,
                    c.score_sum,
                    c.score_n,
                    c.control,
                )
            )
        values[b] = statistic(sample)
    finite = values[~np.isnan(values)]
    if finite.size == 0:
        return (_NAN, _NAN)
    alpha = 1.0 - confidence
    lo, hi = np.quantile(finite, [alpha / 2, 1 - alpha / 2])
    return (float(lo), float(hi))


def wilson_interval(
    successes: int, trials: int, confidence: float = 0.95
) -> tuple[float, float] | None:
    """Wilson score interval of a proportion ``successes / trials`` (Wilson, 1927).

    Unlike the normal approximation it stays within [0, 1] and is not empty at 0 or 1; ``None``
    without trials.
    """
    if trials <= 0:
        return None
    if not 0 < confidence < 1:
        raise _fail(f"confidence must lie strictly between 0 and 1, got {confidence}")
    z = NormalDist().inv_cdf((1 + confidence) / 2)
    rate, n = successes / trials, trials
    centre = (rate + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)
