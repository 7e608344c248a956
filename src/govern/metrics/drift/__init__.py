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
    as SciPy does, computed from the lattice-path definition (:mod:`govern.metrics.drift.ks`);
    otherwise, or if the exact sum is numerically unusable, Smirnov's asymptotic
    ``kstwo.sf(D, round(n·m / (n + m)))``. A
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
column whose values are all missing in a window, and the method-specific cases above.
Cannot be tested (:class:`Untestable`, a value from :func:`drift_columns`): a column absent
from a relation, an unreadable relation, ``kind="numeric"`` on a non-numeric column, a method
that does not take the column's kind. :func:`column_drift` and :func:`dataset_drift` raise
``ValueError`` naming it instead, as they do for unknown options: a configuration error for
the caller to report.

The package, one job per module
    :mod:`~.methods` the registry, constants and answer types; :mod:`~.sql` every statement's
    text; :mod:`~.plan` what to compute for which column; :mod:`~.runner` parallel cursors
    and scoped settings; :mod:`~.fetch` runs statements into :mod:`~.aggregates`;
    :mod:`~.stats` and :mod:`~.ks` compute; :mod:`~.engine` runs the rounds.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from govern.metrics.drift.methods import (
    BINNED_MAX_ERROR,
    ECDF_BINS,
    EXACT_MAX_N,
    MAX_CATEGORIES,
    METHODS,
    DriftOptions,
    DriftResult,
    MethodInfo,
    Untestable,
    UntestableCause,
    choose_method,
)

if TYPE_CHECKING:
    import duckdb

    from govern.metrics.drift.engine import drift_columns
    from govern.metrics.drift.ks import ks_2samp_p_value
    from govern.metrics.drift.stats import sturges_edges

#: Names whose modules need NumPy/SciPy, imported on first use: the method names and options
#: (for the policy schema, a lineage-only gate) must not pull them in.
_LAZY = {"drift_columns": "engine", "ks_2samp_p_value": "ks", "sturges_edges": "stats"}


def __getattr__(name: str) -> Any:
    """Import the statistics modules on first use (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = [
    "BINNED_MAX_ERROR",
    "ECDF_BINS",
    "EXACT_MAX_N",
    "MAX_CATEGORIES",
    "METHODS",
    "DriftOptions",
    "DriftResult",
    "MethodInfo",
    "Untestable",
    "UntestableCause",
    "choose_method",
    "column_drift",
    "dataset_drift",
    "drift_columns",
    "ks_2samp_p_value",
    "sturges_edges",
]


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
    from govern.metrics.drift.engine import drift_columns

    options = _options(method, kind, threshold, bins, compatibility, exact)
    return _raise_untestable(drift_columns(con, reference, current, [column], options))[0]


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
    errors. Raises ``ValueError`` as :func:`column_drift` does, for the first column that
    cannot be tested; :func:`drift_columns` returns those as values instead.
    """
    from govern.metrics.drift.engine import drift_columns

    options = _options(method, kind, threshold, bins, compatibility, exact)
    results = _raise_untestable(drift_columns(con, reference, current, columns, options))
    evaluated = [r for r in results if r.drifted is not None]
    share = sum(1 for r in evaluated if r.drifted) / len(evaluated) if evaluated else 0.0
    return results, share


def _options(
    method: str | None,
    kind: str | None,
    threshold: float | None,
    bins: int | None,
    compatibility: str,
    exact: bool | None,
) -> DriftOptions:
    options = DriftOptions(method, kind, threshold, bins, compatibility, exact)
    problem = options.problem()
    if problem is not None:
        raise ValueError(problem)
    return options


def _raise_untestable(answers: Sequence[DriftResult | Untestable]) -> list[DriftResult]:
    """The results, or ``ValueError`` for the first untestable column.

    Columns that do not resolve (relation, name, kind) come first, as they are found before
    any statement runs; then methods that do not fit.
    """
    untestable = [a for a in answers if isinstance(a, Untestable)]
    if untestable:
        late = UntestableCause.METHOD_DOES_NOT_APPLY
        first = min(enumerate(untestable), key=lambda iu: (iu[1].cause is late, iu[0]))[1]
        raise ValueError(first.message)
    return [a for a in answers if isinstance(a, DriftResult)]
