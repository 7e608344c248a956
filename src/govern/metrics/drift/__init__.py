"""Drift of one column between a reference and a current window, computed in DuckDB.

The windows are two relations (tables or views) in a DuckDB connection. Every statistic is an
aggregate in SQL (:mod:`govern.metrics.drift.sql`); Python receives counts, extrema, binned
ECDFs, histograms or category counts -- never rows -- and finishes the arithmetic on those.

How the relations are read
    :func:`dataset_drift` computes all its columns together, in a few rounds of statements:
    (1) per relation, rows and per column non-NULL count, min and max (plain aggregates, which
    DuckDB answers from Parquet metadata without reading values); (2) per numeric column one
    pass over both windows that counts the values on a grid of :data:`ECDF_BINS` equal-width
    bins between the overall min and max -- counts, sum of offsets within the bin and, for
    ``wasserstein``, of squared offsets -- from which come the present counts, the distinct
    counts that matter (exact up to 20, see below), the reference mean and standard
    deviation and the binned ECDFs; per categorical column the category counts, all columns
    of one type in one statement; (3) whatever the chosen methods still need: the exact ECDF
    inside a few bins (``ks``/``wasserstein``), category counts of numeric columns, the
    quantiles and histograms of ``psi``/``psi_evidently``. Each statement reads one column
    per branch, so every value is read about once per round; statements of a round run side
    by side on ``con.cursor()`` connections (as many as DuckDB's ``threads``) when both
    relations are catalog tables or views that a cursor sees alike (not TEMP objects or
    registered data frames, no open transaction), else one after the other on ``con``.
    :func:`column_drift` is the same for one column.

Distinct counts
    Evidently's rules only ask whether a column has at most 2, 5 or 20 distinct values, so the
    grid answers for most columns: the number of occupied bins is a lower bound (exact for an
    integer column whose grid step is below 1/2, and for a constant column); when it is 20 or
    less and not known to be exact, an exact ``count(DISTINCT ...)`` is run for that column.
    No approximate count ever decides a method. Categorical columns are counted exactly.

Missing values
    NULL, NaN and ±infinity are *missing* (Evidently drops all three before testing). Every
    method except ``missing_share`` compares the present values only; ``reference_n`` and
    ``current_n`` count those. Because Evidently drops them, a jump of missing values is never
    drift there: govern reports it as its own signal, method ``missing_share``.

Kinds
    ``numeric`` values are compared as DOUBLE (exact for integers below 2**53; FLOAT columns
    are widened). When ``kind`` is not given it is inferred as Evidently does for features:
    an integer column with at most 5 distinct values in the reference (the current window if
    the reference has none) is categorical, other integer, decimal and floating-point columns
    are numeric, everything else (text, BOOLEAN, ENUM, dates...) is categorical. Evidently
    decides on the pandas dtype: an integer column with missing values is float64 in pandas
    (so numeric there whatever its cardinality) but stays integer here.

Methods (ids as written in policies; *direction* says how the score is read):

``ks`` (p-value, drift if p < 0.05; numeric)
    Two-sample Kolmogorov-Smirnov. ``D = max |F_ref - F_cur|`` over the merged ECDF, ties
    included (exact or binned, see *Exactness* below). The p-value is
    ``scipy.stats.ks_2samp(method="auto")``'s: exact (SciPy's lattice-path algorithms) when
    both windows have at most 10,000 values, with D rounded to the lattice ``h / lcm(n, m)``
    as SciPy does; otherwise, or if the exact sum is numerically unusable, Smirnov's
    asymptotic ``kstwo.sf(D, round(n·m / (n + m)))``. A
    column with one single value in both windows is not evaluated: D = 0 and p = 1 by
    construction (both reported), the test carries no information. Evidently flags at
    ``p <= threshold``, govern at ``p < threshold``.

Exactness of ``ks`` and ``wasserstein`` (``exact``)
    Both come from the grid of round (2): bin ``k`` holds the values whose position
    ``y = (v - lo) * scale`` rounds to ``k``. The ECDF difference ``G_k = F_ref - F_cur``
    after each bin is exact (cumulative counts). Inside bin ``k``, with ``m_ref``/``m_cur`` the
    bin's share of each window, the difference stays in ``[L_k, H_k] = [max(G_(k-1) - m_cur,
    G_k - m_ref), min(G_(k-1) + m_ref, G_k + m_cur)]``. Hence ``D_binned = max_k |G_k|``
    satisfies ``D_binned <= D <= D_binned + e`` with ``e = max_k max(|L_k|, |H_k|) -
    D_binned``, at most the largest share of one window in one bin. For Wasserstein the
    integral of ``F_ref - F_cur`` over a bin is exact from the bin's sum of offsets, so where
    the difference keeps its sign in a bin (``L_k >= 0`` or ``H_k <= 0``) the bin's share of
    ``W1`` is exact; where it may change sign, that share lies between the absolute integral
    and ``min(2 H_k - I_k, I_k - 2 L_k)`` bin widths. ``W1_binned`` (the sum of the lower
    ends) satisfies ``W1_binned <= W1 <= W1_binned + e``, ``e`` the sum of those ranges:
    about bin width x bin share x number of sign-change bins. On 1M normal values per
    window, 16384 bins: ``e`` about 2e-4 on D and at most 4e-4 on the normalised W1, while
    the binned values were within 3e-5 (D) and 4e-7 (normalised W1) of SciPy's.
    Evaluating the ECDF exactly inside the bins where the bounds are not tight (``ks``:
    where ``|L_k|`` or ``|H_k|`` exceeds ``D_binned``; ``wasserstein``: where the sign may
    change -- typically a few hundred bins and a few percent of the values) gives the exact
    statistic: one more pass over the column that keeps those bins' values only.

    ``exact=True``: always exact (SciPy's values, to floating-point rounding). ``exact=False``:
    always binned. ``exact=None`` (default): exact while both windows have at most
    :data:`EXACT_MAX_N` (200,000) present values; above, binned unless the bound exceeds
    :data:`BINNED_MAX_ERROR` (1e-3 on D, or on the normalised Wasserstein score) or the bound
    straddles the threshold (the p-values at both ends of D, or the scores at both ends of
    W1, on different sides): then exact. So ``drifted`` is always the exact computation's
    decision. ``details["computation"]`` says ``"exact"`` or ``"binned"``, and
    ``details["error_bound"]`` (0 when exact) bounds ``exact - reported`` (>= 0: the binned
    statistic is a lower bound) for D, and for the normalised Wasserstein score (with
    ``distance_error_bound`` for the distance); binned ``ks`` adds ``statistic_range`` and
    ``p_value_range``. The reference standard deviation comes from per-bin moments combined
    exactly (Chan et al.), not from the grid approximation.

``wasserstein`` (distance, drift if >= 0.1; numeric)
    Evidently's normalised Wasserstein: ``scipy.stats.wasserstein_distance(ref, cur) /
    max(std_ref, 0.001)`` with ``std_ref`` the population standard deviation (``np.std``,
    ddof=0) of the reference; the 0.001 floor is Evidently's. The distance is the integral
    of ``|F_ref - F_cur|`` over the merged ECDF (see *Exactness*). A constant reference (std 0)
    is not evaluated: the ratio measures nothing (Evidently would divide by its 0.001 floor;
    that score is in ``details["evidently_score"]``). Exact or binned, see *Exactness*.

``psi`` (distance, drift if >= 0.2; numeric and categorical)
    govern's population stability index, the credit-scoring convention:
    ``PSI = Σ (cur_i - ref_i) · ln(cur_i / ref_i)`` over bins, shares of present values per
    window. Numeric bins: reference deciles (``bins`` sets the count), cut points from
    DuckDB ``quantile_cont`` (linear interpolation, NumPy's default) at ``i / bins``;
    duplicate cut points (ties, mass points) are merged, so fewer bins may remain; bins are
    right-closed ``(q_(i-1), q_i]`` and the outer bins are open, so current values outside
    the reference range land in the end bins. Categorical bins: every category of either
    window, new categories included. A zero share is replaced by epsilon 1e-4 (shares are not
    renormalised). Evidently's default threshold for PSI is 0.1; 0.2 is the common
    "significant shift" line in credit scoring.

``psi_evidently`` (distance, drift if >= 0.1; numeric and categorical)
    Evidently's PSI, same formula over Evidently's bins (``get_binned_data``): a numeric
    column with more than 20 distinct reference values gets equal-width bins over BOTH
    windows, ``np.histogram_bin_edges(concat, bins="sturges")``: ``ceil(ptp / (ptp /
    (log2(n_ref + n_cur) + 1)))`` bins (width at least 1 for integer data, as NumPy does on
    an int64 array) between the overall min and max, left-closed, the last bin closed.
    Otherwise (categorical, or <= 20 distinct numeric values) every distinct value of either
    window is a bin. Zero shares are replaced, per window, by 1e-4, or by the smallest
    non-zero share / 1e6 when that share is at most 1e-4. ``bins`` replaces Sturges' count
    with that many equal-width bins (always histogram bins then): not an Evidently option.

``jensenshannon`` (distance, drift if >= 0.1; numeric and categorical)
    Evidently's Jensen-Shannon distance ``scipy.spatial.distance.jensenshannon(ref, cur)``
    (natural log, so in ``[0, sqrt(ln 2)]``) over the same bins as ``psi_evidently``, without
    the zero replacement; SciPy's operations written in NumPy (no SciPy import).

``chisquare`` (p-value, drift if p < 0.05; categorical, or numeric values as categories)
    govern's chi-square test of homogeneity on the 2 x k table (windows x categories of
    either window), ``scipy.stats.chi2_contingency(table, correction=False)``: statistic
    ``Σ (O - E)² / E`` with ``E`` from the margins, ``k - 1`` degrees of freedom. Both
    windows are samples, so new categories are handled. One single category in both windows
    is not evaluated (SciPy returns statistic 0, p 1; both reported).

``chisquare_evidently`` (p-value, drift if p < 0.05; categorical or numeric)
    Evidently's one-sample goodness of fit ``scipy.stats.chisquare(cur_counts, ref_counts ·
    n_cur / n_ref)``: it treats the reference shares as exact, so sampling noise of the
    reference alone raises false alarms on undrifted columns, and a category new in the
    current window has expected count 0 (SciPy: statistic inf; Evidently divides by zero).
    Such a column is not evaluated here, with the new categories in the reason, as is a
    single category (SciPy: p NaN).

``z`` (p-value, drift if p < 0.05; binary columns, either kind)
    Evidently's pooled two-proportion z-test: with ``a`` the smallest value of either window,
    ``p_ref`` and ``p_cur`` the shares of other values, ``z = (p_ref - p_cur) / sqrt(P(1-P)
    (1/n_ref + 1/n_cur))`` with the pooled share ``P``, ``p = 2 (1 - Φ(|z|))``. One single
    value in both windows gives p = 1 (Evidently). More than two values: not evaluated.

``missing_share`` (p-value, drift if p < 0.05; any column)
    The change of the missing share as a signal of its own. Statistic ``share_cur -
    share_ref`` (missing over all rows), p-value of the pooled two-proportion z-test on the
    missing counts, ``2 · sf(|z|)``; no missing or nothing but missing values in both
    windows gives p = 1.

Default method (:func:`choose_method`): ``compatibility="govern"`` (the default) picks
``z`` for at most two distinct values, else ``ks`` (numeric) or ``chisquare``
(categorical): two-sample tests whatever the size. ``compatibility="evidently"`` reproduces
Evidently's choice (``evidently.legacy.calculations.stattests.registry``).

Not evaluated (``drifted`` None, ``reason`` set, never an exception): an empty window, a
column whose values are all missing in a window, and the method-specific cases above. A
column absent from a relation, an unknown method, or a method that does not fit the kind,
raises ``ValueError`` naming it: that is a configuration error for the caller to report.
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal, TypeVar, cast

import duckdb
import numpy as np
import numpy.typing as npt

from govern.metrics.drift import sql as q

__all__ = [
    "MAX_CATEGORIES",
    "METHODS",
    "DriftResult",
    "MethodInfo",
    "choose_method",
    "column_drift",
    "dataset_drift",
    "ks_2samp_p_value",
    "sturges_edges",
]

_T = TypeVar("_T")
_R = TypeVar("_R")

Kind = Literal["numeric", "categorical"]
Direction = Literal["p_value", "distance"]
FloatArray = npt.NDArray[np.float64]

#: Category-based methods refuse (not evaluated) columns with more distinct values than this
#: over both windows: the counts would no longer be a small aggregate.
MAX_CATEGORIES = 5000

#: Zero shares in ``psi`` (govern) are replaced by this.
PSI_EPSILON = 1e-4

#: Default number of reference-quantile bins of ``psi`` (deciles).
PSI_DEFAULT_BINS = 10

#: Evidently's floor of the reference standard deviation in ``wasserstein``.
WASSERSTEIN_STD_FLOOR = 0.001

#: ``ks_2samp(method="auto")`` is exact when both samples have at most this many values.
KS_MAX_EXACT_N = 10_000

#: Evidently bins numeric columns with more distinct reference values than this (Sturges);
#: at most this many, every value is a bin.
EVIDENTLY_HISTOGRAM_MIN_UNIQUE = 20

#: ``exact=None``: ks and wasserstein are exact while both windows have at most this many
#: present values, binned (within a reported bound) above.
EXACT_MAX_N = 200_000

#: Equal-width bins of the grid on which numeric columns are counted (ECDF, distinct values,
#: reference moments) in one pass over both windows.
ECDF_BINS = 16384

#: ``exact=None``: a binned ks or wasserstein whose error bound exceeds this (on D, or on the
#: normalised Wasserstein score), or whose bound straddles the threshold, is made exact.
BINNED_MAX_ERROR = 1e-3

#: At most this many statements run side by side (DuckDB's ``threads`` permitting).
_MAX_WORKERS = 8

_PERFECT_HT = "perfect_ht_threshold"

#: The grid pass is split into about this many statements per worker (load balance).
_GRID_TASKS_PER_WORKER = 2


@dataclass(frozen=True)
class MethodInfo:
    """What a drift method accepts and how its score is read.

    ``direction`` is ``"p_value"`` (drift when the p-value is below the threshold) or
    ``"distance"`` (drift when the statistic is at or above the threshold).
    """

    kinds: frozenset[str]
    direction: Direction
    default_threshold: float
    description: str


_BOTH = frozenset({"numeric", "categorical"})

METHODS: Mapping[str, MethodInfo] = MappingProxyType(
    {
        "ks": MethodInfo(
            frozenset({"numeric"}),
            "p_value",
            0.05,
            "two-sample Kolmogorov-Smirnov test, p-value as scipy.stats.ks_2samp",
        ),
        "wasserstein": MethodInfo(
            frozenset({"numeric"}),
            "distance",
            0.1,
            "Wasserstein distance divided by the reference std (Evidently's normed variant)",
        ),
        "psi": MethodInfo(
            _BOTH,
            "distance",
            0.2,
            "population stability index over reference deciles (or categories), eps 1e-4",
        ),
        "psi_evidently": MethodInfo(
            _BOTH,
            "distance",
            0.1,
            "Evidently's PSI: Sturges equal-width bins over both windows (or values)",
        ),
        "jensenshannon": MethodInfo(
            _BOTH,
            "distance",
            0.1,
            "Evidently's Jensen-Shannon distance (natural log) over its PSI bins",
        ),
        "chisquare": MethodInfo(
            _BOTH,
            "p_value",
            0.05,
            "chi-square test of homogeneity on the 2 x k table (two samples)",
        ),
        "chisquare_evidently": MethodInfo(
            _BOTH,
            "p_value",
            0.05,
            "Evidently's one-sample chi-square: reference shares taken as exact",
        ),
        "z": MethodInfo(
            _BOTH,
            "p_value",
            0.05,
            "Evidently's pooled two-proportion z-test for binary columns",
        ),
        "missing_share": MethodInfo(
            _BOTH,
            "p_value",
            0.05,
            "two-proportion z-test on the share of missing values (NULL, NaN, inf)",
        ),
    }
)

_COMPATIBILITY = ("govern", "evidently")


@dataclass(frozen=True)
class DriftResult:
    """Drift of one column: the statistic, its p-value if any, and the decision.

    ``drifted`` is None when the column was not evaluated; ``reason`` then says why.
    ``reference_n``/``current_n`` count present (non-missing) values; the missing shares are
    over all rows (0 for an empty window). ``details`` holds the evidence: ``direction``,
    bins or categories and their shares, intermediate numbers.
    """

    column: str
    kind: Kind
    method: str
    statistic: float | None
    p_value: float | None
    threshold: float
    drifted: bool | None
    reference_n: int
    current_n: int
    reference_missing_share: float
    current_missing_share: float
    reason: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def direction(self) -> Direction:
        """``"p_value"`` or ``"distance"``: how ``score`` compares with ``threshold``."""
        return METHODS[self.method].direction

    @property
    def score(self) -> float | None:
        """The number compared with the threshold: the p-value or the distance."""
        return self.p_value if self.direction == "p_value" else self.statistic


# --------------------------------------------------------------------------- public API


def choose_method(
    kind: str, reference_n: int, n_unique: int, *, compatibility: str = "govern"
) -> str:
    """The default method for a column.

    ``reference_n`` is the number of present reference values, ``n_unique`` the number of
    distinct present values over BOTH windows (as Evidently counts).

    ``compatibility="evidently"`` is Evidently's ``_get_default_stattest``: with at most 1000
    reference values, numeric columns with more than 5 distinct values get ``ks``, every other
    column ``chisquare_evidently`` (more than 2 values) or ``z``; above 1000, numeric columns
    with more than 5 values get ``wasserstein``, every other column ``jensenshannon``.
    ``compatibility="govern"``: ``z`` for binary (or constant) columns, else ``ks`` for numeric
    and ``chisquare`` for categorical columns.
    """
    _check_kind(kind)
    if compatibility == "govern":
        if n_unique <= 2:
            return "z"
        return "ks" if kind == "numeric" else "chisquare"
    if compatibility == "evidently":
        if reference_n <= 1000:
            if kind == "numeric" and n_unique > 5:
                return "ks"
            return "chisquare_evidently" if n_unique > 2 else "z"
        if kind == "numeric" and n_unique > 5:
            return "wasserstein"
        return "jensenshannon"
    raise ValueError(
        f"unknown compatibility {compatibility!r}; expected one of {', '.join(_COMPATIBILITY)}"
    )


def column_drift(
    con: duckdb.DuckDBPyConnection,
    reference: str,
    current: str,
    column: str,
    *,
    method: str | None = None,
    kind: str | None = None,
    threshold: float | None = None,
    bins: int | None = None,
    compatibility: str = "govern",
    exact: bool | None = None,
) -> DriftResult:
    """Drift of ``column`` between the relations ``reference`` and ``current``.

    ``reference``/``current`` are relation names (one identifier each, quoted here; make a
    view for anything else). ``method`` defaults to :func:`choose_method` with
    ``compatibility``; ``kind`` to the inference described in the module docstring;
    ``threshold`` to the method's default (:data:`METHODS`); ``bins`` applies to ``psi``,
    ``psi_evidently`` and ``jensenshannon`` and is ignored by the others. ``exact`` chooses
    how ``ks`` and ``wasserstein`` are computed (module docstring, *Exactness*): None (auto)
    is exact up to :data:`EXACT_MAX_N` present values per window and binned, within a
    reported bound, above; True is always exact, False always binned.

    Raises ``ValueError`` for a column missing from a relation, an unreadable relation, an
    unknown method/kind/compatibility, a method that does not fit the kind, or a numeric
    kind on a non-numeric column. Everything else gives a result, evaluated or not.
    """
    return _drift(
        con,
        reference,
        current,
        [column],
        method=method,
        kind=kind,
        threshold=threshold,
        bins=bins,
        compatibility=compatibility,
        exact=exact,
    )[0]


def dataset_drift(
    con: duckdb.DuckDBPyConnection,
    reference: str,
    current: str,
    columns: Sequence[str],
    *,
    method: str | None = None,
    kind: str | None = None,
    threshold: float | None = None,
    bins: int | None = None,
    compatibility: str = "govern",
    exact: bool | None = None,
) -> tuple[list[DriftResult], float]:
    """:func:`column_drift` for each of ``columns`` (same keyword arguments for all).

    All columns are computed together: each relation is read a few times in all (not per
    column), and independent statements run on parallel connections when the relations are
    visible to them. Returns the results in the order of ``columns`` and the share of drifted
    columns among the *evaluated* ones (0.0 when none was evaluated; the results say which
    were not). Evidently divides by all columns instead, its not-evaluated columns being
    errors.
    """
    results = _drift(
        con,
        reference,
        current,
        columns,
        method=method,
        kind=kind,
        threshold=threshold,
        bins=bins,
        compatibility=compatibility,
        exact=exact,
    )
    evaluated = [r for r in results if r.drifted is not None]
    share = sum(1 for r in evaluated if r.drifted) / len(evaluated) if evaluated else 0.0
    return results, share


def ks_2samp_p_value(d: float, n1: int, n2: int) -> tuple[float, float, str]:
    """Two-sided p-value of the two-sample KS statistic ``d`` as ``ks_2samp(method="auto")``.

    Returns ``(statistic, p_value, how)``. With both sizes at most 10,000 the exact
    distribution is tried: ``d`` is first rounded to the lattice ``h / lcm(n1, n2)`` (the
    returned statistic, as SciPy returns it); equal sizes use the closed form for paths
    leaving the square, unequal sizes Hodges' inside method. If that sum is not a
    probability, or the samples are larger, Smirnov's asymptotic distribution
    ``kstwo.sf(d, round(n1·n2 / (n1 + n2)))`` is used (``how`` says which).
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
        prob = _prob_outside_square(n1, h) if n1 == n2 else _outer_prob_inside(n1, n2, g, h)
        if 0.0 <= prob <= 1.0:
            return d, prob, "exact"
    m, n = sorted([float(n1), float(n2)], reverse=True)
    en = m * n / (m + n)
    p = float(kstwo.sf(d, np.round(en)))
    return d, min(max(p, 0.0), 1.0), "asymp"


# SciPy's kstwo.sf takes up to a second for some (D, n) (e.g. D 0.0024, n 5e5); a binned ks
# asks for the same p-values when deciding and when reporting.
_ks_p = functools.lru_cache(maxsize=256)(ks_2samp_p_value)


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


# --------------------------------------------------------------------------- columns

_INTEGER_TYPES = frozenset(
    {
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "HUGEINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
        "UHUGEINT",
    }
)
_FLOAT_TYPES = frozenset({"FLOAT", "DOUBLE"})
_NATIVE_CATEGORY_TYPES = frozenset({"VARCHAR", "BOOLEAN"})


def _type_class(t: str) -> str:
    if t in _INTEGER_TYPES:
        return "integer"
    if t in _FLOAT_TYPES:
        return "float"
    if t.startswith("DECIMAL"):
        return "decimal"
    return "other"


@dataclass(frozen=True)
class _Column:
    name_ref: str
    name_cur: str
    type_ref: str
    type_cur: str

    @property
    def numeric(self) -> bool:
        return _type_class(self.type_ref) != "other" and _type_class(self.type_cur) != "other"

    @property
    def integer(self) -> bool:
        return _type_class(self.type_ref) == "integer" == _type_class(self.type_cur)

    def sides(self, reference: str, current: str) -> tuple[q.Side, q.Side]:
        return (
            self._side(reference, self.name_ref, self.type_ref),
            self._side(current, self.name_cur, self.type_cur),
        )

    def _side(self, relation: str, name: str, type_: str) -> q.Side:
        ident = q.quote_ident(name)
        if self.numeric:
            value = f"CAST({ident} AS DOUBLE)"
        elif self.type_ref == self.type_cur and type_ in _NATIVE_CATEGORY_TYPES:
            value = ident
        else:
            value = f"CAST({ident} AS VARCHAR)"
        ok = q.missing_predicate(ident, floating=_type_class(type_) == "float")
        return q.Side(relation, value, ok)


def _columns_of(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    try:
        rows = con.execute(q.describe_sql(relation)).fetchall()
    except duckdb.Error as e:
        raise ValueError(f"relation {relation!r} cannot be read: {e}") from e
    return {str(r[0]): str(r[1]) for r in rows}


def _find(columns: Mapping[str, str], column: str, relation: str) -> str:
    if column in columns:
        return column
    folded = [c for c in columns if c.lower() == column.lower()]
    if len(folded) == 1:  # DuckDB resolves identifiers case-insensitively
        return folded[0]
    raise ValueError(
        f"column {column!r} is not in relation {relation!r} "
        f"(columns: {', '.join(repr(c) for c in columns)})"
    )


@dataclass(frozen=True)
class _Profile:
    """Rows, present values and distinct present values per window and over both.

    Distinct counts are exact up to 20 (all that the rules compare them with, see *Distinct
    counts* in the module docstring); above, from the grid, they may be lower bounds.
    """

    ref_rows: int
    ref_valid: int
    ref_unique: int
    cur_rows: int
    cur_valid: int
    cur_unique: int
    n_unique: int
    v_min: Any
    v_max: Any

    @property
    def ref_missing_share(self) -> float:
        return (self.ref_rows - self.ref_valid) / self.ref_rows if self.ref_rows else 0.0

    @property
    def cur_missing_share(self) -> float:
        return (self.cur_rows - self.cur_valid) / self.cur_rows if self.cur_rows else 0.0


def _profile(con: duckdb.DuckDBPyConnection, ref: q.Side, cur: q.Side) -> _Profile:
    rows = con.execute(q.profile_sql(ref, cur)).fetchall()
    by_side: dict[int | None, tuple[Any, ...]] = {r[0]: r for r in rows}
    empty = (None, 0, 0, 0, None, None)
    r0, r1, both = by_side.get(0, empty), by_side.get(1, empty), by_side.get(None, empty)
    return _Profile(
        ref_rows=int(r0[1]),
        ref_valid=int(r0[2] or 0),
        ref_unique=int(r0[3]),
        cur_rows=int(r1[1]),
        cur_valid=int(r1[2] or 0),
        cur_unique=int(r1[3]),
        n_unique=int(both[3]),
        v_min=both[4],
        v_max=both[5],
    )


def _infer_kind(col: _Column, prof: _Profile) -> Kind:
    if not col.numeric:
        return "categorical"
    if col.integer and (prof.ref_unique or prof.cur_unique) <= 5:
        return "categorical"
    return "numeric"


def _check_kind(kind: str) -> None:
    if kind not in ("numeric", "categorical"):
        raise ValueError(f"unknown kind {kind!r}; expected 'numeric' or 'categorical'")


# --------------------------------------------------------------------------- engine
#
# _drift computes every column in a few rounds of statements, each round run on parallel
# connections when that is safe (_Runner):
#   1. per relation, row count and per column non-NULL count, min and max (window_stats_sql;
#      DuckDB answers it from Parquet metadata), plus the finite min/max of float columns
#      whose extrema are NaN or infinite (finite_stats_sql);
#   2. per numeric column, one pass over both windows that counts the values on a grid of
#      ECDF_BINS equal-width bins (grid_counts_sql): present counts, distinct-value bounds, the
#      reference moments and the binned ECDF all come from it; per categorical column, the
#      category counts (category_counts_many_sql);
#   3. what the chosen methods still need: the exact ECDF inside a few bins (grid_refine_sql),
#      category counts of numeric columns, quantiles and histograms of psi/psi_evidently.


class _Runner:
    """Runs independent statements, on parallel cursors when they see the same relations.

    A cursor is a second connection to the same database: it sees tables and views of the
    catalog but neither TEMP objects nor registered data frames of ``con``, nor an open
    transaction's changes. So parallel runs need both relations to be non-temporary catalog
    objects, unique by name, no open transaction, and DuckDB allowed more than one thread.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, relations: Sequence[str]) -> None:
        self.con = con
        self.workers = 1
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._restore: Any = None
        try:
            threads = int(_one(con, "SELECT current_setting('threads')")[0])
            if threads > 1 and self._shareable(relations):
                self.workers = min(threads, _MAX_WORKERS)
            # Grid bins are USMALLINT: a perfect hash table (an array indexed by the bin)
            # aggregates them a third faster than DuckDB's default hash table.
            self._restore = _one(con, f"SELECT current_setting('{_PERFECT_HT}')")[0]
            con.execute(f"SET {_PERFECT_HT} = 16")
        except duckdb.Error:  # pragma: no cover - defensive: stay sequential, default settings
            self.workers = 1

    def _shareable(self, relations: Sequence[str]) -> bool:
        con = self.con
        # Each auto-committed statement has its own transaction; in an open one, the same.
        first = _one(con, "SELECT txid_current()")[0]
        if _one(con, "SELECT txid_current()")[0] == first:
            return False
        for relation in relations:
            row = _one(
                con,
                "SELECT count(*), count(*) FILTER (WHERE NOT temporary) FROM ("
                " SELECT view_name AS name, temporary FROM duckdb_views() WHERE NOT internal"
                " UNION ALL SELECT table_name, temporary FROM duckdb_tables()"
                ") WHERE lower(name) = lower(?)",
                [relation],
            )
            if tuple(row) != (1, 1):
                return False
        cursor = con.cursor()
        try:
            for relation in relations:
                cursor.execute(q.describe_sql(relation)).fetchall()
        except duckdb.Error:
            cursor.close()
            return False
        self._cursors.append(cursor)
        return True

    def map(
        self, fn: Callable[[duckdb.DuckDBPyConnection, _T], _R], items: Sequence[_T]
    ) -> list[_R]:
        """``[fn(connection, item) for item in items]``, items spread over the connections."""
        n = min(self.workers, len(items))
        if n <= 1:
            return [fn(self.con, item) for item in items]
        while len(self._cursors) < n - 1:
            self._cursors.append(self.con.cursor())
        for cursor in self._cursors:
            cursor.execute(f"SET {_PERFECT_HT} = 16")
        results: list[Any] = [None] * len(items)
        errors: list[BaseException] = []
        queue = iter(range(len(items)))
        lock = threading.Lock()

        def work(connection: duckdb.DuckDBPyConnection) -> None:
            while not errors:
                with lock:
                    i = next(queue, None)
                if i is None:
                    return
                try:
                    results[i] = fn(connection, items[i])
                except BaseException as e:  # re-raised in the calling thread
                    errors.append(e)
                    return

        threads = [threading.Thread(target=work, args=(c,)) for c in self._cursors[: n - 1]]
        for t in threads:
            t.start()
        work(self.con)
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        return results

    def close(self) -> None:
        for cursor in self._cursors:
            cursor.close()
        self._cursors.clear()
        if self._restore is not None:
            self.con.execute(f"SET {_PERFECT_HT} = {int(self._restore)}")
            self._restore = None


@dataclass
class _Window:
    """One column in one window, from the first round."""

    rows: int = 0
    non_null: int = 0
    lo: float | None = None  # finite min and max of the present values (numeric columns)
    hi: float | None = None
    valid: int | None = None  # present values, when known before the grid pass


@dataclass(frozen=True)
class _Grid:
    """Bins of a numeric column: value v goes to ``round((v - lo) * scale)``, 0..bins-1."""

    lo: float
    hi: float
    scale: float
    bins: int


@dataclass
class _GridCounts:
    n_ref: npt.NDArray[np.int64]
    n_cur: npt.NDArray[np.int64]
    s1_ref: FloatArray
    s1_cur: FloatArray
    s2_ref: FloatArray
    sums: bool  # s1_* and s2_ref computed (Wasserstein); else zeros


@dataclass(frozen=True)
class _Categories:
    """Counts per category (ordered by value); ``n`` categories in all, keys only if <= cap."""

    keys: list[Any]
    c_ref: FloatArray
    c_cur: FloatArray
    n: int


@dataclass
class _Item:
    """One distinct column of the request and everything computed for it."""

    col: _Column
    ref_side: q.Side
    cur_side: q.Side
    ref: _Window = field(default_factory=_Window)
    cur: _Window = field(default_factory=_Window)
    grid: _Grid | None = None
    counts: _GridCounts | None = None
    cats: _Categories | None = None
    prof: _Profile | None = None
    kind: Kind = "numeric"
    method: str = ""
    limit: float = 0.0
    outcome: _Outcome | None = None
    refine: _Refinement | None = None

    @property
    def float_ref(self) -> bool:
        return _type_class(self.col.type_ref) == "float"

    @property
    def float_cur(self) -> bool:
        return _type_class(self.col.type_cur) == "float"


def _check_arguments(
    method: str | None,
    kind: str | None,
    compatibility: str,
    bins: int | None,
    threshold: float | None,
    exact: bool | None,
) -> None:
    if method is not None and method not in METHODS:
        raise ValueError(f"unknown drift method {method!r}; expected one of {', '.join(METHODS)}")
    if kind is not None:
        _check_kind(kind)
    if compatibility not in _COMPATIBILITY:
        raise ValueError(
            f"unknown compatibility {compatibility!r}; expected one of {', '.join(_COMPATIBILITY)}"
        )
    if bins is not None and (isinstance(bins, bool) or not isinstance(bins, int) or bins < 1):
        raise ValueError(f"bins must be a positive integer, got {bins!r}")
    if threshold is not None and not math.isfinite(threshold):
        raise ValueError(f"threshold must be a finite number, got {threshold!r}")
    if exact not in (None, True, False):
        raise ValueError(f"exact must be None, True or False, got {exact!r}")


def _drift(
    con: duckdb.DuckDBPyConnection,
    reference: str,
    current: str,
    columns: Sequence[str],
    *,
    method: str | None,
    kind: str | None,
    threshold: float | None,
    bins: int | None,
    compatibility: str,
    exact: bool | None,
) -> list[DriftResult]:
    _check_arguments(method, kind, compatibility, bins, threshold, exact)
    ref_types = _columns_of(con, reference)
    cur_types = _columns_of(con, current)
    index: dict[_Column, int] = {}
    order: list[int] = []
    for column in columns:
        name_ref = _find(ref_types, column, reference)
        name_cur = _find(cur_types, column, current)
        col = _Column(name_ref, name_cur, ref_types[name_ref], cur_types[name_cur])
        if kind == "numeric" and not col.numeric:
            raise ValueError(
                f"column {column!r} is {col.type_ref} in {reference!r} and {col.type_cur} in "
                f"{current!r}: not numeric, so it cannot be tested as kind 'numeric'"
            )
        order.append(index.setdefault(col, len(index)))
    items = [_Item(col, *col.sides(reference, current)) for col in index]
    if not items:
        return []
    runner = _Runner(con, (reference, current))
    try:
        _first_round(runner, reference, current, items)
        # Sums of offsets only where wasserstein may be chosen: ks needs counts only.
        sums = method == "wasserstein" or (method is None and compatibility == "evidently")
        _grid_round(runner, items, method, sums)
        for item in items:
            _decide(con, item, method, kind, threshold, compatibility)
        _last_round(runner, items, bins, exact)
    finally:
        runner.close()
    results = [_result(item, method, compatibility) for item in items]
    # The caller's spelling of the column names the result.
    return [replace(results[i], column=column) for i, column in zip(order, columns, strict=True)]


def _first_round(runner: _Runner, reference: str, current: str, items: list[_Item]) -> None:
    """Rows, non-NULL counts and finite extrema of every column in both windows."""

    def stats(con: duckdb.DuckDBPyConnection, side: int) -> tuple[Any, ...]:
        relation = reference if side == 0 else current
        names = [(it.col.name_ref if side == 0 else it.col.name_cur) for it in items]
        sql = q.window_stats_sql(
            relation,
            [(q.quote_ident(n), it.col.numeric) for n, it in zip(names, items, strict=True)],
        )
        return _one(con, sql)

    rows = runner.map(stats, [0, 1])
    refetch: list[list[_Item]] = [[], []]
    for side, row in enumerate(rows):
        pos = 1
        for it in items:
            w = it.ref if side == 0 else it.cur
            w.rows, w.non_null = int(row[0]), int(row[pos])
            pos += 1
            if not it.col.numeric:
                w.valid = w.non_null
                continue
            lo, hi = row[pos], row[pos + 1]
            pos += 2
            if lo is None or hi is None:  # no non-NULL value
                w.valid = 0
            elif math.isfinite(lo) and math.isfinite(hi):
                w.lo, w.hi = float(lo), float(hi)
                floating = it.float_ref if side == 0 else it.float_cur
                if not floating:
                    w.valid = w.non_null
            else:  # NaN or infinity among the values (floating point only)
                refetch[side].append(it)

    def finite(con: duckdb.DuckDBPyConnection, side: int) -> tuple[Any, ...]:
        sides = [(it.ref_side if side == 0 else it.cur_side) for it in refetch[side]]
        relation = sides[0].relation
        return _one(con, q.finite_stats_sql(relation, [(s.value_sql, s.ok_sql) for s in sides]))

    todo = [side for side in (0, 1) if refetch[side]]
    for side, row in zip(todo, runner.map(finite, todo), strict=True):
        for k, it in enumerate(refetch[side]):
            w = it.ref if side == 0 else it.cur
            w.valid = int(row[3 * k])
            if w.valid:
                w.lo, w.hi = float(row[3 * k + 1]), float(row[3 * k + 2])


def _grid_of(item: _Item) -> _Grid | None:
    bounds = [w for w in (item.ref, item.cur) if w.lo is not None and w.hi is not None]
    if not bounds:
        return None
    lo = min(float(w.lo) for w in bounds if w.lo is not None)
    hi = max(float(w.hi) for w in bounds if w.hi is not None)
    if hi == lo:
        return _Grid(lo, hi, 0.0, 1)
    bins = ECDF_BINS
    scale = (bins - 1) / (hi - lo)
    if not (math.isfinite(hi - lo) and math.isfinite(scale) and scale > 0):
        return None  # a range beyond floating point: the exact per-column queries instead
    return _Grid(lo, hi, scale, bins)


def _grid_round(runner: _Runner, items: list[_Item], method: str | None, sums: bool) -> None:
    """The grid pass of numeric columns and the category counts of the others."""
    jobs: list[Callable[[duckdb.DuckDBPyConnection], None]] = []
    gridded: list[_Item] = []
    for it in items:
        if not it.col.numeric:
            continue
        it.grid = _grid_of(it)
        if it.grid is None:
            if it.ref.lo is not None or it.cur.lo is not None:
                # present values but no usable grid (overflowing range): profile exactly
                it.prof = _profile(runner.con, it.ref_side, it.cur_side)
            continue
        gridded.append(it)
    chunk = max(1, math.ceil(len(gridded) / (_GRID_TASKS_PER_WORKER * runner.workers)))
    for start in range(0, len(gridded), chunk):
        part = gridded[start : start + chunk]
        jobs.append(lambda con, part=part: _grid_counts(con, part, sums))  # type: ignore[misc]
    if method != "missing_share":
        categorical = [it for it in items if not it.col.numeric]
        jobs += _category_jobs(categorical)
    # Grid jobs first, the cheaper category counts fill in at the end.
    runner.map(lambda con, job: job(con), jobs)


def _grid_counts(con: duckdb.DuckDBPyConnection, part: list[_Item], sums: bool) -> None:
    branches = []
    for key, it in enumerate(part):
        g = it.grid
        assert g is not None
        for side, w, s in ((0, it.ref, it.ref_side), (1, it.cur, it.cur_side)):
            if w.lo is None or w.valid == 0:
                continue
            branches.append(
                q.GridBranch(
                    key,
                    side,
                    s.relation,
                    s.value_sql,
                    s.ok_sql,
                    g.lo,
                    g.hi,
                    g.scale,
                    sums=sums,
                    moments=sums and side == 0,
                )
            )
    size = max(it.grid.bins for it in part if it.grid is not None)
    out: dict[str, Any] = {}
    if branches:
        # The relation API converts to NumPy without the DB-API result copy.
        out = con.sql(q.grid_counts_sql(branches, size)).fetchnumpy()
    cols = np.asarray(out.get("col", np.zeros(0)), dtype=np.int64)
    sides = np.asarray(out.get("side", np.zeros(0)), dtype=np.int64)
    b = np.asarray(out.get("b", np.zeros(0)), dtype=np.int64)
    n = np.asarray(out.get("n", np.zeros(0)), dtype=np.int64)
    s1 = np.asarray(out.get("s1", np.zeros(0)), dtype=np.float64)
    s2 = np.asarray(out.get("s2", np.zeros(0)), dtype=np.float64)
    for key, it in enumerate(part):
        g = it.grid
        assert g is not None
        arrays: list[Any] = []
        for side in (0, 1):
            sel = (cols == key) & (sides == side)
            cnt = np.zeros(g.bins, dtype=np.int64)
            cnt[b[sel]] = n[sel]
            a1 = np.zeros(g.bins, dtype=np.float64)
            a1[b[sel]] = s1[sel]
            arrays += [cnt, a1]
            if side == 0:
                a2 = np.zeros(g.bins, dtype=np.float64)
                a2[b[sel]] = s2[sel]
                arrays.append(a2)
        n_ref, s1_ref, s2_ref, n_cur, s1_cur = arrays
        it.counts = _GridCounts(n_ref, n_cur, s1_ref, s1_cur, s2_ref, sums)
        it.ref.valid = int(n_ref.sum())
        it.cur.valid = int(n_cur.sum())


def _category_jobs(
    items: list[_Item], per_job: int = 2
) -> list[Callable[[duckdb.DuckDBPyConnection], None]]:
    """Category counts of ``items``, in statements of ``per_job`` columns of one value type.

    A UNION needs one type; small statements balance the connections.
    """
    by_type: dict[str, list[_Item]] = {}
    for it in items:
        by_type.setdefault(_value_type(it), []).append(it)
    return [
        lambda con, group=group[i : i + per_job]: _category_counts_many(con, group)  # type: ignore[misc]
        for group in by_type.values()
        for i in range(0, len(group), per_job)
    ]


def _value_type(item: _Item) -> str:
    col = item.col
    if col.numeric:
        return "DOUBLE"
    if col.type_ref == col.type_cur and col.type_ref in _NATIVE_CATEGORY_TYPES:
        return col.type_ref
    return "VARCHAR"


def _category_counts_many(con: duckdb.DuckDBPyConnection, group: list[_Item]) -> None:
    branches = [
        q.CategoryBranch(key, side, s.relation, s.value_sql, s.ok_sql)
        for key, it in enumerate(group)
        for side, s in ((0, it.ref_side), (1, it.cur_side))
    ]
    rows = con.execute(q.category_counts_many_sql(branches, MAX_CATEGORIES)).fetchall()
    found: dict[int, list[tuple[Any, ...]]] = {}
    for r in rows:
        found.setdefault(int(r[0]), []).append(tuple(r))
    for key, it in enumerate(group):
        mine = found.get(key, [])
        total = int(mine[0][4]) if mine else 0
        if total > MAX_CATEGORIES:
            it.cats = _Categories([], np.zeros(0), np.zeros(0), total)
            continue
        it.cats = _Categories(
            [_plain(r[1]) for r in mine],
            np.array([float(r[2]) for r in mine], dtype=np.float64),
            np.array([float(r[3]) for r in mine], dtype=np.float64),
            total,
        )


def _unique_from_grid(item: _Item) -> _Profile | None:
    """Distinct-value counts from the occupied bins, when they settle every use.

    Distinct values are at least the occupied bins, and exactly that when no bin can hold two
    values: integer columns on a grid finer than 1/2 (two integers >= 2 bins apart). Counts
    are used up to 20 (Evidently's > 20 for histograms, <= 5 and > 5 for kinds and methods);
    a lower bound above 20 settles those. Otherwise (None) the exact counts are queried.
    """
    g, c = item.grid, item.counts
    assert g is not None and c is not None
    occ_ref = int(np.count_nonzero(c.n_ref))
    occ_cur = int(np.count_nonzero(c.n_cur))
    occ_both = int(np.count_nonzero(c.n_ref + c.n_cur))
    exact_bins = g.scale == 0 or (item.col.integer and g.scale >= 2)
    if not exact_bins:
        needed = [occ_both]
        needed.append(occ_ref if item.ref.valid else 21)
        if not item.ref.valid:
            needed.append(occ_cur)
        if min(needed) <= EVIDENTLY_HISTOGRAM_MIN_UNIQUE:
            return None
    return _Profile(
        ref_rows=item.ref.rows,
        ref_valid=int(item.ref.valid or 0),
        ref_unique=occ_ref,
        cur_rows=item.cur.rows,
        cur_valid=int(item.cur.valid or 0),
        cur_unique=occ_cur,
        n_unique=occ_both,
        v_min=g.lo,
        v_max=g.hi,
    )


def _categorical_profile(item: _Item) -> _Profile:
    cats = item.cats
    n_unique = ref_unique = cur_unique = 0
    if cats is not None:
        n_unique = cats.n
        if cats.keys:
            ref_unique = int(np.count_nonzero(cats.c_ref))
            cur_unique = int(np.count_nonzero(cats.c_cur))
        else:  # more than MAX_CATEGORIES: per-window counts are not needed
            ref_unique = cur_unique = n_unique
    return _Profile(
        ref_rows=item.ref.rows,
        ref_valid=int(item.ref.valid or 0),
        ref_unique=ref_unique,
        cur_rows=item.cur.rows,
        cur_valid=int(item.cur.valid or 0),
        cur_unique=cur_unique,
        n_unique=n_unique,
        v_min=None,
        v_max=None,
    )


def _decide(
    con: duckdb.DuckDBPyConnection,
    item: _Item,
    method: str | None,
    kind: str | None,
    threshold: float | None,
    compatibility: str,
) -> None:
    """The profile, kind, method and threshold of one column; ValueError if they clash."""
    if item.prof is None:
        if not item.col.numeric:
            item.prof = _categorical_profile(item)
        elif item.grid is None:  # no present value in either window
            item.prof = _Profile(
                item.ref.rows, 0, 0, item.cur.rows, 0, 0, 0, None, None
            )  # fmt: skip
        else:
            item.prof = _unique_from_grid(item) or _profile(con, item.ref_side, item.cur_side)
    prof = item.prof
    col = item.col
    item.kind = _infer_kind(col, prof) if kind is None else cast(Kind, kind)
    if item.kind == "numeric" and not col.numeric:  # pragma: no cover - checked up front
        raise ValueError(f"column {col.name_ref!r} is not numeric")
    item.method = method or choose_method(
        item.kind, prof.ref_valid, prof.n_unique, compatibility=compatibility
    )
    info = METHODS[item.method]
    if item.kind not in info.kinds:
        raise ValueError(
            f"drift method {item.method!r} does not apply to {item.kind} column "
            f"{col.name_ref!r}; it takes {' or '.join(sorted(info.kinds))} columns"
        )
    item.limit = info.default_threshold if threshold is None else float(threshold)


def _needs_categories(item: _Item, bins: int | None) -> bool:
    m = item.method
    if m in ("chisquare", "chisquare_evidently", "z"):
        return True
    if item.kind == "categorical":
        return m in ("psi", "psi_evidently", "jensenshannon")
    if m in ("psi_evidently", "jensenshannon"):
        assert item.prof is not None
        return bins is None and item.prof.ref_unique <= EVIDENTLY_HISTOGRAM_MIN_UNIQUE
    return False


def _last_round(runner: _Runner, items: list[_Item], bins: int | None, exact: bool | None) -> None:
    """Everything the chosen methods still need, then the outcomes."""
    for it in items:
        it.outcome = _precheck(it)
    todo = [it for it in items if it.outcome is None]
    jobs: list[Callable[[duckdb.DuckDBPyConnection], None]] = []
    need_cats = [it for it in todo if it.cats is None and _needs_categories(it, bins)]
    jobs += _category_jobs(need_cats)
    refine: list[_Item] = []
    for it in todo:
        if it.method in ("ks", "wasserstein"):
            c = it.counts
            if it.grid is None or it.grid.scale == 0 or c is None:
                continue  # computed by _evaluate (degenerate grid or constant column)
            if it.method == "wasserstein" and not c.sums:  # pragma: no cover - by construction
                continue
            it.refine = _plan_ecdf(runner.con, it, exact)
            if it.refine.candidates:
                refine.append(it)
    chunk = max(1, math.ceil(len(refine) / (2 * runner.workers)))
    for start in range(0, len(refine), chunk):
        part = refine[start : start + chunk]
        jobs.append(lambda con, part=part: _refine(con, part))  # type: ignore[misc]
    others = [
        it
        for it in todo
        if it.method in ("psi", "psi_evidently", "jensenshannon")
        and it.kind == "numeric"
        and not _needs_categories(it, bins)
    ]
    for it in others:
        jobs.append(lambda con, it=it: _set_outcome(con, it, bins))  # type: ignore[misc]
    runner.map(lambda con, job: job(con), jobs)
    for it in todo:
        if it.outcome is None:
            it.outcome = _evaluate(runner.con, it, bins)


def _set_outcome(con: duckdb.DuckDBPyConnection, item: _Item, bins: int | None) -> None:
    item.outcome = _evaluate(con, item, bins)


def _precheck(item: _Item) -> _Outcome | None:
    """The outcome when it needs no further data: missing_share, empty or all-missing windows."""
    prof = item.prof
    assert prof is not None
    if item.method == "missing_share":
        return _missing_share(prof)
    for window, rows, valid in (
        ("reference", prof.ref_rows, prof.ref_valid),
        ("current", prof.cur_rows, prof.cur_valid),
    ):
        if rows == 0:
            return _not_evaluated(f"the {window} window is empty")
        if valid == 0:
            return _not_evaluated(f"every value is missing in the {window} window ({rows} rows)")
    return None


def _result(item: _Item, method: str | None, compatibility: str) -> DriftResult:
    outcome, prof = item.outcome, item.prof
    assert outcome is not None and prof is not None
    info = METHODS[item.method]
    drifted: bool | None = None
    if outcome.reason is None:
        score = outcome.p_value if info.direction == "p_value" else outcome.statistic
        assert score is not None
        limit = item.limit
        drifted = bool(score < limit) if info.direction == "p_value" else bool(score >= limit)
    details = {
        "direction": info.direction,
        "method_chosen_by": "caller" if method else f"default ({compatibility})",
        **outcome.details,
    }
    return DriftResult(
        column=item.col.name_ref,
        kind=item.kind,
        method=item.method,
        statistic=outcome.statistic,
        p_value=outcome.p_value,
        threshold=item.limit,
        drifted=drifted,
        reference_n=prof.ref_valid,
        current_n=prof.cur_valid,
        reference_missing_share=prof.ref_missing_share,
        current_missing_share=prof.cur_missing_share,
        reason=outcome.reason,
        details=details,
    )


# --------------------------------------------------------------------------- binned ECDF
#
# On a grid (bin k holds the values whose position y = (v - lo) * scale rounds to k, so bin k
# spans positions [k - 1/2, k + 1/2]), let G_k = F_ref - F_cur after bin k: exact, from the
# cumulative counts. Inside bin k, with m_ref and m_cur its shares of each window, the ECDF
# difference g stays within [L_k, H_k] = [max(G_(k-1) - m_cur, G_k - m_ref),
# min(G_(k-1) + m_ref, G_k + m_cur)]. Hence:
#   KS:   max_k |G_k| <= D <= max(max_k |G_k|, max over occupied bins of max(|L_k|, |H_k|)),
#         so the binned D is off by at most the largest share of one window in one bin;
#   W1:   the integral I_k of g over bin k is exact from the bin's sum of offsets
#         (integral of F over a bin = sum of (upper edge - y) / n), so |I_k| is the integral
#         of |g| whenever g keeps its sign in the bin; where it may change sign (L_k < 0 < H_k)
#         the integral of |g| lies in [|I_k|, min(2 H_k - I_k, I_k - 2 L_k)].
# Evaluating the ECDF exactly inside the few bins where the bounds are not tight (the
# candidates) turns both into exact results.


@dataclass(frozen=True)
class _EcdfSummary:
    g_after: FloatArray  # G_k
    d_lo: float
    d_hi: float
    ks_candidates: npt.NDArray[np.int64]
    integral: FloatArray  # |I_k|, grid units
    w_upper: FloatArray  # upper bound of the integral of |g| over each bin
    w_candidates: npt.NDArray[np.int64]

    @property
    def w_lo(self) -> float:
        return float(np.sum(self.integral))

    @property
    def w_hi(self) -> float:
        return float(np.sum(self.w_upper))


@dataclass
class _Refinement:
    summary: _EcdfSummary
    exact: bool
    candidates: list[int]
    found: dict[int, tuple[float, float, float]] = field(default_factory=dict)


def _ecdf_summary(c: _GridCounts) -> _EcdfSummary:
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
    return _EcdfSummary(
        g_after=g_after,
        d_lo=d_lo,
        d_hi=d_hi,
        ks_candidates=np.flatnonzero(reach > d_lo),
        integral=integral,
        w_upper=np.maximum(upper, integral),
        w_candidates=np.flatnonzero(ambiguous),
    )


def _reference_moments(con: duckdb.DuckDBPyConnection, item: _Item) -> tuple[float, float]:
    """Mean and population std of the reference: from the grid pass, else a query."""
    g, c = item.grid, item.counts
    if g is None or c is None or not c.sums or g.scale == 0:
        row = _one(con, q.reference_moments_sql(item.ref_side, item.cur_side))
        return float(row[0]), float(row[1])
    n = c.n_ref
    occ = n > 0
    k = np.flatnonzero(occ).astype(np.float64)
    nk, s1, s2 = n[occ].astype(np.float64), c.s1_ref[occ], c.s2_ref[occ]
    total = float(nk.sum())
    mean_k = k + s1 / nk  # per-bin means, grid units
    mean = float(np.sum(nk * k) + np.sum(s1)) / total
    m2 = float(np.sum(np.maximum(s2 - s1 * s1 / nk, 0.0)) + np.sum(nk * (mean_k - mean) ** 2))
    return g.lo + mean / g.scale, math.sqrt(m2 / total) / g.scale


def _plan_ecdf(con: duckdb.DuckDBPyConnection, item: _Item, exact: bool | None) -> _Refinement:
    """Binned or exact, and the bins to evaluate exactly (module docstring, *Exactness*)."""
    assert item.counts is not None and item.prof is not None
    summary = _ecdf_summary(item.counts)
    n = max(item.prof.ref_valid, item.prof.cur_valid)
    if exact is False or (
        exact is None and n > EXACT_MAX_N and _binned_settles(con, item, summary)
    ):
        return _Refinement(summary, False, [])
    cands = summary.ks_candidates if item.method == "ks" else summary.w_candidates
    return _Refinement(summary, True, [int(b) for b in cands])


def _binned_settles(con: duckdb.DuckDBPyConnection, item: _Item, s: _EcdfSummary) -> bool:
    """Whether the binned value is within BINNED_MAX_ERROR and cannot flip the decision."""
    prof = item.prof
    assert prof is not None and item.grid is not None
    if item.method == "ks":
        if s.d_hi - s.d_lo > BINNED_MAX_ERROR:
            return False
        p_small = _ks_p(s.d_hi, prof.ref_valid, prof.cur_valid)[1]
        p_large = _ks_p(s.d_lo, prof.ref_valid, prof.cur_valid)[1]
        return (p_small < item.limit) == (p_large < item.limit)
    if prof.ref_unique == 1:
        return True  # not evaluated: the distance is evidence only
    norm = max(_reference_moments(con, item)[1], WASSERSTEIN_STD_FLOOR)
    scale = item.grid.scale * norm
    lo, hi = s.w_lo / scale, s.w_hi / scale
    if hi - lo > BINNED_MAX_ERROR:
        return False
    return (lo >= item.limit) == (hi >= item.limit)


def _refine(con: duckdb.DuckDBPyConnection, part: list[_Item]) -> None:
    """Evaluate the candidate bins of several columns exactly, in one statement."""
    branches: list[q.GridBranch] = []
    candidates: list[tuple[int, int, int, int]] = []
    totals: dict[int, tuple[int, int]] = {}
    for key, it in enumerate(part):
        g, c, r = it.grid, it.counts, it.refine
        assert g is not None and c is not None and r is not None
        for side, s in ((0, it.ref_side), (1, it.cur_side)):
            branches.append(
                q.GridBranch(key, side, s.relation, s.value_sql, s.ok_sql, g.lo, g.hi, g.scale)
            )
        chosen = np.array(sorted(r.candidates), dtype=np.int64)
        # values before each candidate bin, less those of earlier candidate bins (the SQL
        # running count covers the candidate bins only)
        base_r = (np.cumsum(c.n_ref) - c.n_ref)[chosen] - (
            np.cumsum(c.n_ref[chosen]) - c.n_ref[chosen]
        )
        base_c = (np.cumsum(c.n_cur) - c.n_cur)[chosen] - (
            np.cumsum(c.n_cur[chosen]) - c.n_cur[chosen]
        )
        candidates += [
            (key, int(b), int(x), int(y)) for b, x, y in zip(chosen, base_r, base_c, strict=True)
        ]
        totals[key] = (int(c.n_ref.sum()), int(c.n_cur.sum()))
    size = max(it.grid.bins for it in part if it.grid is not None)
    sql, params = q.grid_refine_sql(branches, candidates, totals, size)
    rows = con.execute(sql, params).fetchall()
    for key, b, g_max, area, y_first in rows:
        r = part[int(key)].refine
        assert r is not None
        r.found[int(b)] = (float(g_max), float(area), float(y_first))


def _ecdf_outcome(con: duckdb.DuckDBPyConnection, item: _Item) -> _Outcome:
    r, g, prof = item.refine, item.grid, item.prof
    assert r is not None and g is not None and prof is not None
    s = r.summary
    n1, n2 = prof.ref_valid, prof.cur_valid
    common: dict[str, Any] = {"computation": "exact" if r.exact else "binned", "ecdf_bins": g.bins}
    if item.method == "ks":
        if r.exact:
            d = max([s.d_lo] + [r.found[b][0] for b in r.candidates if b in r.found])
            half = 0.0
        else:
            d, half = s.d_lo, s.d_hi - s.d_lo
        stat, p, how = _ks_p(d, n1, n2)
        details: dict[str, Any] = {"d_max_abs": d, "p_value_method": how, **common}
        details["error_bound"] = half
        if not r.exact:
            details["statistic_range"] = [s.d_lo, s.d_hi]
            details["p_value_range"] = [
                _ks_p(s.d_hi, n1, n2)[1],
                _ks_p(s.d_lo, n1, n2)[1],
            ]
        return _Outcome(stat, p, details=details)
    if r.exact:
        area = s.integral.copy()
        for b in r.candidates:
            if b in r.found:
                _, inside, y_first = r.found[b]
                before = abs(float(s.g_after[b - 1])) if b > 0 else 0.0
                area[b] = before * (y_first - (b - 0.5)) + inside
        w_grid, half_grid = float(np.sum(area)), 0.0
    else:
        w_grid, half_grid = s.w_lo, s.w_hi - s.w_lo
    w1, w1_err = w_grid / g.scale, half_grid / g.scale
    if prof.ref_unique == 1:
        return _not_evaluated(
            "the reference is constant (standard deviation 0): the normalised Wasserstein "
            "distance is undefined; use ks or psi",
            wasserstein_distance=w1,
            reference_std=0.0,
            evidently_score=w1 / WASSERSTEIN_STD_FLOOR,
            **common,
            distance_error_bound=w1_err,
        )
    mean, std = _reference_moments(con, item)
    norm = max(std, WASSERSTEIN_STD_FLOOR)
    return _Outcome(
        w1 / norm,
        None,
        details={
            "wasserstein_distance": w1,
            "reference_mean": mean,
            "reference_std": std,
            "normaliser": norm,
            **common,
            "error_bound": w1_err / norm,
            "distance_error_bound": w1_err,
        },
    )


# --------------------------------------------------------------------------- methods


@dataclass(frozen=True)
class _Outcome:
    statistic: float | None
    p_value: float | None
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _not_evaluated(reason: str, **details: Any) -> _Outcome:
    return _Outcome(details.pop("statistic", None), details.pop("p_value", None), reason, details)


def _evaluate(con: duckdb.DuckDBPyConnection, item: _Item, bins: int | None) -> _Outcome:
    """The outcome of the chosen method, once the windows passed :func:`_precheck`."""
    method, kind, prof, cats = item.method, item.kind, item.prof, item.cats
    ref, cur = item.ref_side, item.cur_side
    assert prof is not None
    if method in ("ks", "wasserstein"):
        if item.refine is not None:
            return _ecdf_outcome(con, item)
        return _ecdf_method(con, method, ref, cur, prof)
    if method == "psi":
        return _psi(con, kind, ref, cur, prof, bins, cats)
    if method in ("psi_evidently", "jensenshannon"):
        return _evidently_binned(con, method, kind, item.col, ref, cur, prof, bins, cats)
    if method in ("chisquare", "chisquare_evidently"):
        return _chisquare(con, method, ref, cur, prof, cats)
    if method == "z":
        return _z(con, ref, cur, prof, cats)
    raise AssertionError(f"unhandled method {method}")  # pragma: no cover


def _ecdf_method(
    con: duckdb.DuckDBPyConnection, method: str, ref: q.Side, cur: q.Side, prof: _Profile
) -> _Outcome:
    row = _one(con, q.ecdf_summary_sql(ref, cur))
    d, w1 = float(row[0]), float(row[1] or 0.0)
    n1, n2 = prof.ref_valid, prof.cur_valid
    if method == "ks":
        stat, p, how = ks_2samp_p_value(d, n1, n2)
        details = {
            "d_max_abs": d,
            "p_value_method": how,
            "distinct_values": int(row[4]),
            "computation": "exact",
            "error_bound": 0.0,
        }
        if prof.n_unique == 1:
            return _not_evaluated(
                "one single value in both windows: the KS statistic is 0 and p = 1 by "
                "construction, the test carries no information",
                statistic=stat,
                p_value=p,
                **details,
            )
        return _Outcome(stat, p, details=details)
    if prof.ref_unique == 1:
        return _not_evaluated(
            "the reference is constant (standard deviation 0): the normalised Wasserstein "
            "distance is undefined; use ks or psi",
            wasserstein_distance=w1,
            reference_std=0.0,
            evidently_score=w1 / WASSERSTEIN_STD_FLOOR,
            computation="exact",
        )
    mom = _one(con, q.reference_moments_sql(ref, cur))
    std = float(mom[1])
    norm = max(std, WASSERSTEIN_STD_FLOOR)
    return _Outcome(
        w1 / norm,
        None,
        details={
            "wasserstein_distance": w1,
            "reference_mean": float(mom[0]),
            "reference_std": std,
            "normaliser": norm,
            "computation": "exact",
            "error_bound": 0.0,
        },
    )


def _category_counts(
    con: duckdb.DuckDBPyConnection, ref: q.Side, cur: q.Side, cats: _Categories | None = None
) -> tuple[list[Any], FloatArray, FloatArray]:
    if cats is not None:
        return cats.keys, cats.c_ref, cats.c_cur
    rows = con.execute(q.category_counts_sql(ref, cur)).fetchall()
    keys = [_plain(r[0]) for r in rows]
    c_ref = np.array([float(r[1]) for r in rows], dtype=np.float64)
    c_cur = np.array([float(r[2]) for r in rows], dtype=np.float64)
    return keys, c_ref, c_cur


def _histogram(
    con: duckdb.DuckDBPyConnection,
    ref: q.Side,
    cur: q.Side,
    interior: Sequence[float],
    *,
    right_closed: bool,
) -> tuple[FloatArray, FloatArray]:
    rows = con.execute(q.histogram_sql(ref, cur, interior, right_closed=right_closed)).fetchall()
    c_ref = np.zeros(len(interior) + 1, dtype=np.float64)
    c_cur = np.zeros(len(interior) + 1, dtype=np.float64)
    for b, r, c in rows:
        c_ref[int(b)] = float(r)
        c_cur[int(b)] = float(c)
    return c_ref, c_cur


def _too_many_categories(prof: _Profile, cats: _Categories | None) -> _Outcome | None:
    n = cats.n if cats is not None else prof.n_unique
    if n > MAX_CATEGORIES:
        return _not_evaluated(
            f"{n} distinct values over both windows, more than {MAX_CATEGORIES}: "
            "too many categories to compare as a small aggregate"
        )
    return None


def _psi(
    con: duckdb.DuckDBPyConnection,
    kind: Kind,
    ref: q.Side,
    cur: q.Side,
    prof: _Profile,
    bins: int | None,
    cats: _Categories | None = None,
) -> _Outcome:
    details: dict[str, Any] = {"epsilon": PSI_EPSILON}
    if kind == "numeric":
        k = bins or PSI_DEFAULT_BINS
        probs = [i / k for i in range(1, k)]
        edges: list[float] = []
        if probs:
            row = _one(con, q.quantiles_sql(ref, cur, probs))
            edges = sorted({float(x) for x in row[0]})
        c_ref, c_cur = _histogram(con, ref, cur, edges, right_closed=True)
        details.update(
            binning=f"reference quantiles (quantile_cont), {k} requested",
            edges=edges,
            bins=len(edges) + 1,
        )
    else:
        if (refused := _too_many_categories(prof, cats)) is not None:
            return refused
        keys, c_ref, c_cur = _category_counts(con, ref, cur, cats)
        details.update(binning="categories", categories=keys, bins=len(keys))
    s_ref, s_cur = c_ref / prof.ref_valid, c_cur / prof.cur_valid
    e_ref = np.where(s_ref == 0, PSI_EPSILON, s_ref)
    e_cur = np.where(s_cur == 0, PSI_EPSILON, s_cur)
    value = float(np.sum((e_cur - e_ref) * np.log(e_cur / e_ref)))
    details.update(reference_shares=s_ref.tolist(), current_shares=s_cur.tolist())
    return _Outcome(value, None, details=details)


def _jensenshannon(p: FloatArray, q_: FloatArray) -> float:
    """``scipy.spatial.distance.jensenshannon(p, q)`` (natural log), same operations.

    Written out so that the common path needs no SciPy import (over a second of start-up).
    """
    p = p / np.sum(p)
    q_ = q_ / np.sum(q_)
    m = (p + q_) / 2.0
    return float(np.sqrt((np.sum(_rel_entr(p, m)) + np.sum(_rel_entr(q_, m))) / 2.0))


def _rel_entr(x: FloatArray, y: FloatArray) -> FloatArray:
    """``scipy.special.rel_entr``: x log(x / y) if both > 0, 0 if x = 0 <= y, else inf."""
    with np.errstate(divide="ignore", invalid="ignore"):
        both = x * np.log(x / y)
    out = np.where((x > 0) & (y > 0), both, np.inf)
    return np.where((x == 0) & (y >= 0), 0.0, out)


def _fill_zeros(shares: FloatArray) -> FloatArray:
    """Evidently's ``feel_zeroes``: zeros become 1e-4, or min non-zero / 1e6 if <= 1e-4."""
    smallest = float(shares[shares != 0].min())
    fill = smallest / 10**6 if smallest <= 0.0001 else 0.0001
    return np.where(shares == 0, fill, shares)


def _evidently_binned(
    con: duckdb.DuckDBPyConnection,
    method: str,
    kind: Kind,
    col: _Column,
    ref: q.Side,
    cur: q.Side,
    prof: _Profile,
    bins: int | None,
    cats: _Categories | None = None,
) -> _Outcome:
    details: dict[str, Any] = {}
    if kind == "numeric" and (bins is not None or prof.ref_unique > EVIDENTLY_HISTOGRAM_MIN_UNIQUE):
        # NumPy keeps an int64 array only when pandas had no missing value to turn into NaN.
        integer = (
            col.integer and prof.ref_valid == prof.ref_rows and (prof.cur_valid == prof.cur_rows)
        )
        edges = sturges_edges(
            float(prof.v_min),
            float(prof.v_max),
            prof.ref_valid + prof.cur_valid,
            integer=integer,
            bins=bins,
        )
        c_ref, c_cur = _histogram(con, ref, cur, edges[1:-1].tolist(), right_closed=False)
        details.update(
            binning="equal width over both windows"
            + (f", {bins} bins" if bins is not None else " (Sturges)"),
            edges=edges.tolist(),
            bins=len(edges) - 1,
        )
    else:
        if (refused := _too_many_categories(prof, cats)) is not None:
            return refused
        keys, c_ref, c_cur = _category_counts(con, ref, cur, cats)
        details.update(binning="values", categories=keys, bins=len(keys))
    p_ref, p_cur = c_ref / prof.ref_valid, c_cur / prof.cur_valid
    details.update(reference_shares=p_ref.tolist(), current_shares=p_cur.tolist())
    if method == "jensenshannon":
        return _Outcome(_jensenshannon(p_ref, p_cur), None, details=details)
    f_ref, f_cur = _fill_zeros(p_ref), _fill_zeros(p_cur)
    value = float(np.sum((f_ref - f_cur) * np.log(f_ref / f_cur)))
    return _Outcome(value, None, details=details)


def _chisquare(
    con: duckdb.DuckDBPyConnection,
    method: str,
    ref: q.Side,
    cur: q.Side,
    prof: _Profile,
    cats: _Categories | None = None,
) -> _Outcome:
    from scipy.stats import chi2  # type: ignore[import-untyped, unused-ignore]

    if (refused := _too_many_categories(prof, cats)) is not None:
        return refused
    keys, c_ref, c_cur = _category_counts(con, ref, cur, cats)
    details: dict[str, Any] = {
        "categories": keys,
        "reference_counts": c_ref.astype(int).tolist(),
        "current_counts": c_cur.astype(int).tolist(),
        "dof": len(keys) - 1,
    }
    if method == "chisquare":
        if len(keys) == 1:
            return _not_evaluated(
                "one single category in both windows: the chi-square test has no degree of "
                "freedom (statistic 0, p = 1)",
                statistic=0.0,
                p_value=1.0,
                **details,
            )
        observed = np.vstack([c_ref, c_cur])
        expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / observed.sum()
        stat = float(((observed - expected) ** 2 / expected).sum())
        return _Outcome(stat, float(chi2.sf(stat, len(keys) - 1)), details=details)
    new = [k for k, c in zip(keys, c_ref, strict=True) if c == 0]
    if new:
        shown = ", ".join(repr(k) for k in new[:10]) + (" ..." if len(new) > 10 else "")
        return _not_evaluated(
            f"{len(new)} categor{'y' if len(new) == 1 else 'ies'} new in the current window "
            f"({shown}): Evidently's one-sample chi-square expects 0 of them and divides by "
            "zero; use chisquare",
            new_categories=new,
            **details,
        )
    if len(keys) == 1:
        return _not_evaluated(
            "one single category in both windows: no degree of freedom (SciPy: p = NaN)",
            **details,
        )
    f_exp = c_ref * (prof.cur_valid / prof.ref_valid)
    stat = float(((c_cur - f_exp) ** 2 / f_exp).sum())
    return _Outcome(stat, float(chi2.sf(stat, len(keys) - 1)), details=details)


def _z(
    con: duckdb.DuckDBPyConnection,
    ref: q.Side,
    cur: q.Side,
    prof: _Profile,
    cats: _Categories | None = None,
) -> _Outcome:
    from scipy.stats import norm  # type: ignore[import-untyped, unused-ignore]

    n_unique = cats.n if cats is not None else prof.n_unique
    if n_unique > 2:
        return _not_evaluated(f"the z-test needs a binary column; {n_unique} distinct values found")
    keys, c_ref, c_cur = _category_counts(con, ref, cur, cats)
    details: dict[str, Any] = {
        "categories": keys,
        "reference_counts": c_ref.astype(int).tolist(),
        "current_counts": c_cur.astype(int).tolist(),
    }
    if len(keys) == 1:
        return _Outcome(0.0, 1.0, details=details)
    n1, n2 = prof.ref_valid, prof.cur_valid
    p1 = float(n1 - int(c_ref[0])) / n1  # share of values other than the smallest
    p2 = float(n2 - int(c_cur[0])) / n2
    pooled = float(p1 * n1 + p2 * n2) / (n1 + n2)
    z = (p1 - p2) / math.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2))
    p = 2 * (1 - float(norm.cdf(abs(z))))
    details.update(reference_share=p1, current_share=p2, pooled_share=pooled)
    return _Outcome(z, p, details=details)


def _missing_share(prof: _Profile) -> _Outcome:
    from scipy.stats import norm  # type: ignore[import-untyped, unused-ignore]

    for window, rows in (("reference", prof.ref_rows), ("current", prof.cur_rows)):
        if rows == 0:
            return _not_evaluated(f"the {window} window is empty")
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
        return _Outcome(s2 - s1, 1.0, details={**details, "z": 0.0})
    z = (s2 - s1) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return _Outcome(s2 - s1, float(2 * norm.sf(abs(z))), details={**details, "z": z})


# --------------------------------------------------------------------------- helpers


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...]:
    """The single row of ``sql``, its result consumed.

    DuckDB refuses other work on a connection whose last result is not fully fetched.
    """
    rows = con.execute(sql, list(params) or None).fetchall()
    assert len(rows) == 1, sql
    return tuple(rows[0])


def _plain(value: Any) -> Any:
    """A category as a JSON-friendly value (dates and other types become text)."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    return str(value)


def _prob_outside_square(n: int, h: int) -> float:
    """P(D_(n,n) >= h/n) for two samples of size n (SciPy's Horner-like closed form)."""
    p = 0.0
    k = n // h
    while k >= 0:
        p1 = 1.0
        for j in range(h):
            p1 = (n - k * h - j) * p1 / (n + k * h + j + 1)
        p = p1 * (1.0 - p)
        k -= 1
    return 2 * p


def _outer_prob_inside(m: int, n: int, g: int, h: int) -> float:
    """Share of lattice paths leaving ``|x/m - y/n| < h/lcm``: SciPy's compiled routine."""
    try:
        from scipy.stats._stats_pythran import (  # type: ignore[import-untyped, unused-ignore]
            _compute_outer_prob_inside_method,
        )
    except ImportError:  # pragma: no cover - older or future SciPy layouts
        return _outer_prob_inside_py(m, n, g, h)
    return float(_compute_outer_prob_inside_method(m, n, g, h))


def _outer_prob_inside_py(m: int, n: int, g: int, h: int) -> float:
    """Pure-Python copy of SciPy's ``_compute_outer_prob_inside_method``.

    Viehmann's recursion for 1 - p on Hodges' inside method, same operations in the same order.
    """
    if m < n:
        m, n = n, m
    mg, ng = m // g, n // g
    minj, maxj = 0, min(math.ceil(h / mg), n + 1)
    curlen = maxj - minj
    a = [1.0] * min(2 * maxj + 2, n + 1)
    for j in range(minj, maxj):
        a[j] = 0.0
    for i in range(1, m + 1):
        lastminj, lastlen = minj, curlen
        minj = min(max(math.floor((ng * i - h) / mg) + 1, 0), n)
        maxj = min(math.ceil((ng * i + h) / mg), n + 1)
        if maxj <= minj:
            return 1.0
        val = 0.0 if minj == 0 else 1.0
        for jj in range(maxj - minj):
            j = jj + minj
            val = (a[jj + minj - lastminj] * i + val * j) / (i + j)
            a[jj] = val
        curlen = maxj - minj
        if lastlen > curlen:
            for t in range(maxj - minj, maxj - minj + (lastlen - curlen)):
                if t < len(a):
                    a[t] = 1.0
    return a[maxj - minj - 1]
