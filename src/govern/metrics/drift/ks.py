"""Kolmogorov-Smirnov and the ECDF: p-values, the binned ECDF and its bounds (no SQL).

p-values
    :func:`ks_2samp_p_value` is ``scipy.stats.ks_2samp(method="auto")``'s two-sided p-value
    from ``D`` and the two sizes: exact while both sizes are at most
    :data:`~govern.metrics.drift.methods.KS_MAX_EXACT_N`, else Smirnov's asymptotic
    distribution (public ``scipy.stats.kstwo``). The exact probabilities are computed here
    from their definition (below), not with SciPy's private compiled routines.

    Both samples' values, merged and sorted, trace a path on the lattice ``(i, j)``, ``0 <= i
    <= n1``, ``0 <= j <= n2``, one step right for a value of the first sample and one step
    up for one of the second. Under the null hypothesis every one of the ``C(n1 + n2, n1)``
    paths is equally likely. With ``g = gcd(n1, n2)`` and ``L = n1 n2 / g``, the ECDF
    difference at ``(i, j)`` is ``i/n1 - j/n2 = (i n2/g - j n1/g) / L``: ``D`` is a multiple
    of ``1/L``, ``h / L``, and ``P(D >= h/L)`` is the share of paths that reach a point with
    ``|i n2/g - j n1/g| >= h``.

    * Equal sizes ``n``: by the reflection principle, ``P(D >= h/n) = 2 Σ_(k>=1) (-1)^(k-1)
      C(2n, n - k h) / C(2n, n)``, summed from the innermost term out so that the alternating
      sum loses no precision (:func:`_prob_outside_square`).
    * Unequal sizes: let ``r(i, j)`` be the share of the paths from ``(0, 0)`` to ``(i, j)``
      that have left the band ``|i n2/g - j n1/g| < h``. A path into ``(i, j)`` comes from
      ``(i - 1, j)`` for a share ``i / (i + j)`` of them and from ``(i, j - 1)`` for the rest,
      so ``r(i, j) = 1`` outside the band and ``r(i, j) = (i r(i-1, j) + j r(i, j-1)) / (i +
      j)`` inside, ``r(0, 0) = 0``. ``P = r(n1, n2)`` (:func:`_prob_outside_band`). Computing
      the share that has left, not the share that stayed, keeps small p-values accurate (no
      ``1 - q``). A cell depends on the previous anti-diagonal only, so each anti-diagonal
      ``i + j = s`` is one vectorised step over the cells inside the band.

The binned ECDF
    On a grid (bin k holds the values whose position ``y = (v - lo) * scale`` rounds to k, so
    bin k spans positions ``[k - 1/2, k + 1/2]``), let ``G_k = F_ref - F_cur`` after bin k:
    exact, from the cumulative counts. Inside bin k, with ``m_ref`` and ``m_cur`` its shares of
    each window, the ECDF difference g stays within ``[L_k, H_k] = [max(G_(k-1) - m_cur, G_k -
    m_ref), min(G_(k-1) + m_ref, G_k + m_cur)]``. Hence:

    * KS: ``max_k |G_k| <= D <= max(max_k |G_k|, max over occupied bins of max(|L_k|,
      |H_k|))``, so the binned D is off by at most the largest share of one window in a bin;
    * W1: the integral ``I_k`` of g over bin k is exact from the bin's sum of offsets
      (integral of F over a bin = sum of (upper edge - y) / n), so ``|I_k|`` is the integral
      of ``|g|`` whenever g keeps its sign in the bin; where it may change sign (``L_k < 0 <
      H_k``) the integral of ``|g|`` lies in ``[|I_k|, min(2 H_k - I_k, I_k - 2 L_k)]``.

    Evaluating the ECDF exactly inside the few bins where the bounds are not tight (the
    candidates, ``grid_refine_sql``) turns both into exact results (:func:`exact_d`,
    :func:`exact_w1_grid`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from govern.metrics.drift.aggregates import BinExact, FloatArray, GridCounts, IntArray
from govern.metrics.drift.methods import BINNED_MAX_ERROR, KS_MAX_EXACT_N

__all__ = [
    "EcdfSummary",
    "candidate_bases",
    "ecdf_summary",
    "exact_d",
    "exact_w1_grid",
    "ks_2samp_p_value",
    "ks_binned_settles",
    "ks_p",
    "wasserstein_binned_settles",
]


def ks_2samp_p_value(d: float, n1: int, n2: int) -> tuple[float, float, str]:
    """Two-sided p-value of the two-sample KS statistic ``d`` as ``ks_2samp(method="auto")``.

    Returns ``(statistic, p_value, how)``. With both sizes at most 10,000 the exact
    distribution is tried: ``d`` is first rounded to the lattice ``h / lcm(n1, n2)`` (the
    returned statistic, as SciPy returns it); equal sizes use the reflection principle, unequal
    sizes the paths leaving the band (module docstring). If that is not a probability, or the
    samples are larger, Smirnov's asymptotic distribution ``kstwo.sf(d, round(n1·n2 / (n1 +
    n2)))`` is used (``how`` says which).
    """
    from scipy.stats import kstwo  # type: ignore[import-untyped, unused-ignore]

    if n1 < 1 or n2 < 1:
        raise ValueError("both samples must be non-empty")
    if max(n1, n2) <= KS_MAX_EXACT_N:
        g = math.gcd(n1, n2)
        lcm = (n1 // g) * n2
        h = int(np.round(d * lcm))
        d = h * 1.0 / lcm
        if h == 0:
            return d, 1.0, "exact"
        prob = _prob_outside_square(n1, h) if n1 == n2 else _prob_outside_band(n1, n2, h)
        if 0.0 <= prob <= 1.0:
            return d, prob, "exact"
    m, n = sorted([float(n1), float(n2)], reverse=True)
    en = m * n / (m + n)
    p = float(kstwo.sf(d, np.round(en)))
    return d, min(max(p, 0.0), 1.0), "asymp"


# SciPy's kstwo.sf takes up to a second for some (D, n) (e.g. D 0.0024, n 5e5); a binned ks
# asks for the same p-values when deciding and when reporting.
ks_p = functools.lru_cache(maxsize=256)(ks_2samp_p_value)


def _prob_outside_square(n: int, h: int) -> float:
    """P(D_(n,n) >= h/n) for two samples of size n: the reflection principle.

    ``t_k = C(2n, n - k h) / C(2n, n)``; the sum ``2 (t_1 - t_2 + t_3 - ...)`` is evaluated
    from the innermost term out, ``t_k (1 - t_(k+1)/t_k (1 - ...))``, each ratio a product of
    ``h`` factors.
    """
    p = 0.0
    k = n // h
    while k >= 0:
        ratio = 1.0
        for j in range(h):
            ratio = (n - k * h - j) * ratio / (n + k * h + j + 1)
        p = ratio * (1.0 - p)
        k -= 1
    return 2 * p


def _prob_outside_band(n1: int, n2: int, h: int) -> float:
    """Share of lattice paths to ``(n1, n2)`` that reach ``|i n2/g - j n1/g| >= h`` (h > 0).

    The recursion of the module docstring, one anti-diagonal ``i + j = s`` at a time over the
    cells inside the band. ``r[i + 1]`` holds the previous anti-diagonal's value at ``i``, 1
    outside the band (the band moves by less than one cell per anti-diagonal); cells outside
    the grid never count, they get weight ``i = 0`` or ``j = 0``.
    """
    g = math.gcd(n1, n2)
    a, b = n2 // g, n1 // g  # the difference at (i, j) is (i a - j b) / lcm
    r = np.ones(n1 + 3, dtype=np.float64)
    r[1] = 0.0  # r(0, 0): no path has left yet
    index = np.arange(n1 + 1, dtype=np.float64)
    was_lo, was_hi = 0, 0
    for s in range(1, n1 + n2 + 1):
        # inside: |i (a + b) - s b| < h, and 0 <= i <= n1, 0 <= s - i <= n2
        lo = max(s - n2, (s * b - h) // (a + b) + 1, 0)
        hi = min(n1, s, -(-(s * b + h) // (a + b)) - 1)
        if hi < lo:
            return 1.0  # the band is closed: every path has left it
        i = index[lo : hi + 1]
        inside = (r[lo : hi + 1] * i + r[lo + 1 : hi + 2] * (s - i)) / s
        r[was_lo + 1 : was_hi + 2] = 1.0
        r[lo + 1 : hi + 2] = inside
        was_lo, was_hi = lo, hi
    return float(r[n1 + 1])


@dataclass(frozen=True)
class EcdfSummary:
    """The binned ECDF difference of one column and its bounds (module docstring).

    ``integral`` and ``w_upper`` are in grid units (divide by the grid's scale for values).
    """

    g_after: FloatArray  # G_k
    d_lo: float
    d_hi: float
    ks_candidates: IntArray
    integral: FloatArray  # |I_k|
    w_upper: FloatArray  # upper bound of the integral of |g| over each bin
    w_candidates: IntArray

    @property
    def w_lo(self) -> float:
        """Lower bound of W1 in grid units: the sum of the exact ``|I_k|``."""
        return float(np.sum(self.integral))

    @property
    def w_hi(self) -> float:
        """Upper bound of W1 in grid units."""
        return float(np.sum(self.w_upper))

    def candidates(self, method: str) -> list[int]:
        """The bins to evaluate exactly for ``ks`` or ``wasserstein``."""
        return [int(b) for b in (self.ks_candidates if method == "ks" else self.w_candidates)]


def ecdf_summary(c: GridCounts) -> EcdfSummary:
    """The binned ECDF difference, the bounds of D and W1, and their candidate bins."""
    n_r, n_c = int(c.n_ref.sum()), int(c.n_cur.sum())
    g_after = np.cumsum(c.n_ref) / n_r - np.cumsum(c.n_cur) / n_c
    g_before = np.concatenate(([0.0], g_after[:-1]))
    m_r, m_c = c.n_ref / n_r, c.n_cur / n_c
    low = np.maximum(g_before - m_c, g_after - m_r)
    high = np.minimum(g_before + m_r, g_after + m_c)
    occupied = (c.n_ref + c.n_cur) > 0
    d_lo = float(np.max(np.abs(g_after)))
    reach = np.where(occupied, np.maximum(np.abs(low), np.abs(high)), 0.0)
    d_hi = max(d_lo, float(np.max(reach)))
    signed = g_before + (0.5 * c.n_ref - c.s1_ref) / n_r - (0.5 * c.n_cur - c.s1_cur) / n_c
    integral = np.abs(signed)
    ambiguous = occupied & (low < 0) & (high > 0)
    upper = np.where(ambiguous, np.minimum(2 * high - signed, signed - 2 * low), integral)
    return EcdfSummary(
        g_after=g_after,
        d_lo=d_lo,
        d_hi=d_hi,
        ks_candidates=np.flatnonzero(reach > d_lo),
        integral=integral,
        w_upper=np.maximum(upper, integral),
        w_candidates=np.flatnonzero(ambiguous),
    )


def candidate_bases(c: GridCounts, candidates: Sequence[int]) -> list[tuple[int, int, int]]:
    """``(bin, base_ref, base_cur)`` of each candidate bin, in bin order (``grid_refine_sql``).

    The base is the number of values in the bins before it, less those of earlier candidate
    bins: the SQL running count covers the candidate bins' values only.
    """
    chosen = np.array(sorted(candidates), dtype=np.int64)
    base_r = (np.cumsum(c.n_ref) - c.n_ref)[chosen] - (np.cumsum(c.n_ref[chosen]) - c.n_ref[chosen])
    base_c = (np.cumsum(c.n_cur) - c.n_cur)[chosen] - (np.cumsum(c.n_cur[chosen]) - c.n_cur[chosen])
    return [(int(b), int(x), int(y)) for b, x, y in zip(chosen, base_r, base_c, strict=True)]


def exact_d(s: EcdfSummary, candidates: Sequence[int], found: Mapping[int, BinExact]) -> float:
    """D from the binned summary and the candidate bins evaluated exactly."""
    return max([s.d_lo] + [found[b].g_max for b in candidates if b in found])


def exact_w1_grid(
    s: EcdfSummary, candidates: Sequence[int], found: Mapping[int, BinExact]
) -> float:
    """W1 in grid units from the summary and the candidate bins evaluated exactly."""
    area = s.integral.copy()
    for b in candidates:
        if b in found:
            inside = found[b]
            before = abs(float(s.g_after[b - 1])) if b > 0 else 0.0
            area[b] = before * (inside.y_first - (b - 0.5)) + inside.area
    return float(np.sum(area))


def ks_binned_settles(s: EcdfSummary, n1: int, n2: int, limit: float) -> bool:
    """Whether the binned D is within BINNED_MAX_ERROR and cannot flip the decision."""
    if s.d_hi - s.d_lo > BINNED_MAX_ERROR:
        return False
    p_small = ks_p(s.d_hi, n1, n2)[1]
    p_large = ks_p(s.d_lo, n1, n2)[1]
    return (p_small < limit) == (p_large < limit)


def wasserstein_binned_settles(s: EcdfSummary, scale: float, limit: float) -> bool:
    """Whether the binned score is within BINNED_MAX_ERROR and cannot flip the decision.

    ``scale`` turns grid units into the score: the grid's scale times the normaliser.
    """
    lo, hi = s.w_lo / scale, s.w_hi / scale
    if hi - lo > BINNED_MAX_ERROR:
        return False
    return (lo >= limit) == (hi >= limit)
