"""The drift statistics over aggregates: counts, shares, moments. No DuckDB and no SQL.

Each function takes what :mod:`govern.metrics.drift.fetch` returned (counts per bin or
category, a profile, grid sums) and returns an :class:`Outcome`: the statistic, its p-value if
any, or the reason the column is not evaluated, with the evidence. The definitions are in
:mod:`govern.metrics.drift`'s documentation; the p-values use SciPy's public distributions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from govern.metrics.drift.aggregates import FloatArray, Grid, GridCounts, Profile
from govern.metrics.drift.methods import MAX_CATEGORIES, PSI_EPSILON, WASSERSTEIN_STD_FLOOR

__all__ = [
    "Outcome",
    "chisquare",
    "evidently_binned",
    "fill_zeros",
    "grid_moments",
    "jensenshannon",
    "missing_share",
    "not_evaluated",
    "psi",
    "rel_entr",
    "sturges_edges",
    "too_many_categories",
    "wasserstein",
    "z_test",
]


@dataclass(frozen=True)
class Outcome:
    """The statistic and p-value of one column, or why it was not evaluated (``reason``)."""

    statistic: float | None
    p_value: float | None
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def not_evaluated(reason: str, **details: Any) -> Outcome:
    """An outcome that is not evaluated; ``statistic``/``p_value`` may still be reported."""
    return Outcome(details.pop("statistic", None), details.pop("p_value", None), reason, details)


def sturges_edges(
    lo: float, hi: float, n: int, *, integer: bool = False, bins: int | None = None
) -> FloatArray:
    """Bin edges of ``np.histogram_bin_edges(data, bins="sturges")`` from min, max and size.

    ``integer`` reproduces NumPy's rule for integer arrays (bin width at least 1). With
    ``bins`` the count is given instead (``np.histogram_bin_edges(data, bins=bins)``).
    """
    first, last = np.float64(lo), np.float64(hi)
    ptp = last - first
    if first == last:
        first, last = first - 0.5, last + 0.5
    if bins is not None:
        count = bins
    else:
        width = ptp / (np.log2(np.float64(n)) + 1.0)
        if width:
            if integer and width < 1:
                width = np.float64(1.0)
            count = int(np.ceil((last - first) / width))
        else:
            count = 1
    return np.linspace(first, last, count + 1)


def too_many_categories(n: int) -> Outcome | None:
    """Not evaluated when ``n`` distinct values exceed :data:`MAX_CATEGORIES`."""
    if n > MAX_CATEGORIES:
        return not_evaluated(
            f"{n} distinct values over both windows, more than {MAX_CATEGORIES}: "
            "too many categories to compare as a small aggregate"
        )
    return None


def psi(c_ref: FloatArray, c_cur: FloatArray, prof: Profile, details: dict[str, Any]) -> Outcome:
    """Govern's PSI over counts per bin: zero shares become :data:`PSI_EPSILON`."""
    s_ref, s_cur = c_ref / prof.ref_valid, c_cur / prof.cur_valid
    e_ref = np.where(s_ref == 0, PSI_EPSILON, s_ref)
    e_cur = np.where(s_cur == 0, PSI_EPSILON, s_cur)
    value = float(np.sum((e_cur - e_ref) * np.log(e_cur / e_ref)))
    details = {**details, "reference_shares": s_ref.tolist(), "current_shares": s_cur.tolist()}
    return Outcome(value, None, details=details)


def rel_entr(x: FloatArray, y: FloatArray) -> FloatArray:
    """``scipy.special.rel_entr``: x log(x / y) if both > 0, 0 if x = 0 <= y, else inf."""
    with np.errstate(divide="ignore", invalid="ignore"):
        both = x * np.log(x / y)
    out = np.where((x > 0) & (y > 0), both, np.inf)
    return np.where((x == 0) & (y >= 0), 0.0, out)


def jensenshannon(p: FloatArray, q: FloatArray) -> float:
    """``scipy.spatial.distance.jensenshannon(p, q)`` (natural log), same operations.

    Written out so that the common path needs no SciPy import (over a second of start-up).
    """
    p = p / np.sum(p)
    q = q / np.sum(q)
    m = (p + q) / 2.0
    return float(np.sqrt((np.sum(rel_entr(p, m)) + np.sum(rel_entr(q, m))) / 2.0))


def fill_zeros(shares: FloatArray) -> FloatArray:
    """Evidently's ``feel_zeroes``: zeros become 1e-4, or min non-zero / 1e6 if <= 1e-4."""
    smallest = float(shares[shares != 0].min())
    fill = smallest / 10**6 if smallest <= 0.0001 else 0.0001
    return np.where(shares == 0, fill, shares)


def evidently_binned(
    method: str, c_ref: FloatArray, c_cur: FloatArray, prof: Profile, details: dict[str, Any]
) -> Outcome:
    """``psi_evidently`` or ``jensenshannon`` over counts per bin (or value)."""
    p_ref, p_cur = c_ref / prof.ref_valid, c_cur / prof.cur_valid
    details = {**details, "reference_shares": p_ref.tolist(), "current_shares": p_cur.tolist()}
    if method == "jensenshannon":
        return Outcome(jensenshannon(p_ref, p_cur), None, details=details)
    f_ref, f_cur = fill_zeros(p_ref), fill_zeros(p_cur)
    value = float(np.sum((f_ref - f_cur) * np.log(f_ref / f_cur)))
    return Outcome(value, None, details=details)


def chisquare(
    method: str, keys: Sequence[Any], c_ref: FloatArray, c_cur: FloatArray, prof: Profile
) -> Outcome:
    """``chisquare`` (two-sample, 2 x k table) or ``chisquare_evidently`` (one-sample)."""
    from scipy.stats import chi2  # type: ignore[import-untyped, unused-ignore]

    details: dict[str, Any] = {
        "categories": list(keys),
        "reference_counts": c_ref.astype(int).tolist(),
        "current_counts": c_cur.astype(int).tolist(),
        "dof": len(keys) - 1,
    }
    if method == "chisquare":
        if len(keys) == 1:
            return not_evaluated(
                "one single category in both windows: the chi-square test has no degree of "
                "freedom (statistic 0, p = 1)",
                statistic=0.0,
                p_value=1.0,
                **details,
            )
        observed = np.vstack([c_ref, c_cur])
        expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / observed.sum()
        stat = float(((observed - expected) ** 2 / expected).sum())
        return Outcome(stat, float(chi2.sf(stat, len(keys) - 1)), details=details)
    new = [k for k, c in zip(keys, c_ref, strict=True) if c == 0]
    if new:
        shown = ", ".join(repr(k) for k in new[:10]) + (" ..." if len(new) > 10 else "")
        return not_evaluated(
            f"{len(new)} categor{'y' if len(new) == 1 else 'ies'} new in the current window "
            f"({shown}): Evidently's one-sample chi-square expects 0 of them and divides by "
            "zero; use chisquare",
            new_categories=new,
            **details,
        )
    if len(keys) == 1:
        return not_evaluated(
            "one single category in both windows: no degree of freedom (SciPy: p = NaN)",
            **details,
        )
    f_exp = c_ref * (prof.cur_valid / prof.ref_valid)
    stat = float(((c_cur - f_exp) ** 2 / f_exp).sum())
    return Outcome(stat, float(chi2.sf(stat, len(keys) - 1)), details=details)


def z_test(keys: Sequence[Any], c_ref: FloatArray, c_cur: FloatArray, prof: Profile) -> Outcome:
    """Evidently's pooled two-proportion z-test on a binary column's counts."""
    from scipy.stats import norm  # type: ignore[import-untyped, unused-ignore]

    details: dict[str, Any] = {
        "categories": list(keys),
        "reference_counts": c_ref.astype(int).tolist(),
        "current_counts": c_cur.astype(int).tolist(),
    }
    if len(keys) == 1:
        return Outcome(0.0, 1.0, details=details)
    n1, n2 = prof.ref_valid, prof.cur_valid
    p1 = float(n1 - int(c_ref[0])) / n1  # share of values other than the smallest
    p2 = float(n2 - int(c_cur[0])) / n2
    pooled = float(p1 * n1 + p2 * n2) / (n1 + n2)
    z = (p1 - p2) / math.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2))
    p = 2 * (1 - float(norm.cdf(abs(z))))
    details.update(reference_share=p1, current_share=p2, pooled_share=pooled)
    return Outcome(z, p, details=details)


def missing_share(prof: Profile) -> Outcome:
    """The change of the missing share, with the pooled two-proportion z-test's p-value."""
    from scipy.stats import norm  # type: ignore[import-untyped, unused-ignore]

    for window, rows in (("reference", prof.ref_rows), ("current", prof.cur_rows)):
        if rows == 0:
            return not_evaluated(f"the {window} window is empty")
    n1, n2 = prof.ref_rows, prof.cur_rows
    m1, m2 = n1 - prof.ref_valid, n2 - prof.cur_valid
    s1, s2 = m1 / n1, m2 / n2
    pooled = (m1 + m2) / (n1 + n2)
    details: dict[str, Any] = {
        "reference_missing": m1,
        "current_missing": m2,
        "reference_rows": n1,
        "current_rows": n2,
    }
    if pooled in (0.0, 1.0):
        return Outcome(s2 - s1, 1.0, details={**details, "z": 0.0})
    z = (s2 - s1) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return Outcome(s2 - s1, float(2 * norm.sf(abs(z))), details={**details, "z": z})


def grid_moments(g: Grid, c: GridCounts) -> tuple[float, float]:
    """Mean and population std of the reference from the grid's per-bin moments.

    The per-bin counts, sums and sums of squares of offsets are combined exactly (Chan et
    al.); the result does not depend on the grid approximation. Needs ``c.sums``.
    """
    n = c.n_ref
    occ = n > 0
    k = np.flatnonzero(occ).astype(np.float64)
    nk, s1, s2 = n[occ].astype(np.float64), c.s1_ref[occ], c.s2_ref[occ]
    total = float(nk.sum())
    mean_k = k + s1 / nk  # per-bin means, grid units
    mean = float(np.sum(nk * k) + np.sum(s1)) / total
    m2 = float(np.sum(np.maximum(s2 - s1 * s1 / nk, 0.0)) + np.sum(nk * (mean_k - mean) ** 2))
    return g.lo + mean / g.scale, math.sqrt(m2 / total) / g.scale


def wasserstein(
    w1: float,
    prof: Profile,
    moments: tuple[float, float] | None,
    common: dict[str, Any],
    *,
    error: float | None = None,
) -> Outcome:
    """Evidently's normalised Wasserstein score from the distance and reference moments.

    ``moments`` (mean, std) is only read when the reference is not constant. ``error``
    bounds the distance when it is binned (None: exact, no bound reported for constant
    references, as before).
    """
    if prof.ref_unique == 1:
        extra = {} if error is None else {"distance_error_bound": error}
        return not_evaluated(
            "the reference is constant (standard deviation 0): the normalised Wasserstein "
            "distance is undefined; use ks or psi",
            wasserstein_distance=w1,
            reference_std=0.0,
            evidently_score=w1 / WASSERSTEIN_STD_FLOOR,
            **common,
            **extra,
        )
    assert moments is not None
    mean, std = moments
    norm = max(std, WASSERSTEIN_STD_FLOOR)
    details: dict[str, Any] = {
        "wasserstein_distance": w1,
        "reference_mean": mean,
        "reference_std": std,
        "normaliser": norm,
        **common,
        "error_bound": (error or 0.0) / norm,
    }
    if error is not None:
        details["distance_error_bound"] = error
    return Outcome(w1 / norm, None, details=details)
