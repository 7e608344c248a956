"""Drift of one column between a reference and a current window, computed in DuckDB.

The windows are two relations (tables or views) in a DuckDB connection. Every statistic is an
aggregate in SQL (:mod:`govern.metrics.drift_sql`); Python receives counts, extrema, an ECDF
summary, histograms or category counts -- never rows -- and finishes the arithmetic on those.

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
    Two-sample Kolmogorov-Smirnov. ``D = max |F_ref - F_cur|`` over the merged ECDF, exact
    in SQL, ties included. The p-value is ``scipy.stats.ks_2samp(method="auto")``'s: exact
    (SciPy's lattice-path algorithms) when both windows have at most 10,000 values, with D
    rounded to the lattice ``h / lcm(n, m)`` as SciPy does; otherwise, or if the exact sum
    is numerically unusable, Smirnov's asymptotic ``kstwo.sf(D, round(n·m / (n + m)))``. A
    column with one single value in both windows is not evaluated: D = 0 and p = 1 by
    construction (both reported), the test carries no information. Evidently flags at
    ``p <= threshold``, govern at ``p < threshold``.

``wasserstein`` (distance, drift if >= 0.1; numeric)
    Evidently's normalised Wasserstein: ``scipy.stats.wasserstein_distance(ref, cur) /
    max(std_ref, 0.001)`` with ``std_ref`` the population standard deviation (``np.std``,
    ddof=0) of the reference; the 0.001 floor is Evidently's. The distance is the integral
    of ``|F_ref - F_cur|``, summed over the merged ECDF in SQL. A constant reference (std 0)
    is not evaluated: the ratio measures nothing (Evidently would divide by its 0.001 floor;
    that score is in ``details["evidently_score"]``).

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
    the zero replacement.

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

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, cast

import duckdb
import numpy as np
import numpy.typing as npt

from govern.metrics import drift_sql as q

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
) -> DriftResult:
    """Drift of ``column`` between the relations ``reference`` and ``current``.

    ``reference``/``current`` are relation names (one identifier each, quoted here; make a
    view for anything else). ``method`` defaults to :func:`choose_method` with
    ``compatibility``; ``kind`` to the inference described in the module docstring;
    ``threshold`` to the method's default (:data:`METHODS`); ``bins`` applies to ``psi``,
    ``psi_evidently`` and ``jensenshannon`` and is ignored by the others.

    Raises ``ValueError`` for a column missing from a relation, an unreadable relation, an
    unknown method/kind/compatibility, a method that does not fit the kind, or a numeric
    kind on a non-numeric column. Everything else gives a result, evaluated or not.
    """
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

    col = _resolve_column(con, reference, current, column)
    ref_side, cur_side = col.sides(reference, current)
    prof = _profile(con, ref_side, cur_side)

    resolved_kind: Kind = _infer_kind(col, prof) if kind is None else cast(Kind, kind)
    if resolved_kind == "numeric" and not col.numeric:
        raise ValueError(
            f"column {column!r} is {col.type_ref} in {reference!r} and {col.type_cur} in "
            f"{current!r}: not numeric, so it cannot be tested as kind 'numeric'"
        )
    chosen = method or choose_method(
        resolved_kind, prof.ref_valid, prof.n_unique, compatibility=compatibility
    )
    info = METHODS[chosen]
    if resolved_kind not in info.kinds:
        raise ValueError(
            f"drift method {chosen!r} does not apply to {resolved_kind} column {column!r}; "
            f"it takes {' or '.join(sorted(info.kinds))} columns"
        )
    limit = info.default_threshold if threshold is None else float(threshold)

    outcome = _evaluate(con, chosen, resolved_kind, col, ref_side, cur_side, prof, bins)
    drifted: bool | None = None
    if outcome.reason is None:
        score = outcome.p_value if info.direction == "p_value" else outcome.statistic
        assert score is not None
        drifted = bool(score < limit) if info.direction == "p_value" else bool(score >= limit)
    details = {
        "direction": info.direction,
        "method_chosen_by": "caller" if method else f"default ({compatibility})",
        **outcome.details,
    }
    return DriftResult(
        column=column,
        kind=resolved_kind,
        method=chosen,
        statistic=outcome.statistic,
        p_value=outcome.p_value,
        threshold=limit,
        drifted=drifted,
        reference_n=prof.ref_valid,
        current_n=prof.cur_valid,
        reference_missing_share=prof.ref_missing_share,
        current_missing_share=prof.cur_missing_share,
        reason=outcome.reason,
        details=details,
    )


def dataset_drift(
    con: duckdb.DuckDBPyConnection,
    reference: str,
    current: str,
    columns: Sequence[str],
    **kw: Any,
) -> tuple[list[DriftResult], float]:
    """:func:`column_drift` for each of ``columns`` (same keyword arguments for all).

    Returns the results in the order of ``columns`` and the share of drifted columns among
    the *evaluated* ones (0.0 when none was evaluated; the results say which were not).
    Evidently divides by all columns instead, its not-evaluated columns being errors.
    """
    results = [column_drift(con, reference, current, c, **kw) for c in columns]
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


def _resolve_column(
    con: duckdb.DuckDBPyConnection, reference: str, current: str, column: str
) -> _Column:
    ref_cols = _columns_of(con, reference)
    cur_cols = _columns_of(con, current)
    name_ref = _find(ref_cols, column, reference)
    name_cur = _find(cur_cols, column, current)
    return _Column(name_ref, name_cur, ref_cols[name_ref], cur_cols[name_cur])


@dataclass(frozen=True)
class _Profile:
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


# --------------------------------------------------------------------------- methods


@dataclass(frozen=True)
class _Outcome:
    statistic: float | None
    p_value: float | None
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _not_evaluated(reason: str, **details: Any) -> _Outcome:
    return _Outcome(details.pop("statistic", None), details.pop("p_value", None), reason, details)


def _evaluate(
    con: duckdb.DuckDBPyConnection,
    method: str,
    kind: Kind,
    col: _Column,
    ref: q.Side,
    cur: q.Side,
    prof: _Profile,
    bins: int | None,
) -> _Outcome:
    if method == "missing_share":
        return _missing_share(prof)
    for window, rows, valid in (
        ("reference", prof.ref_rows, prof.ref_valid),
        ("current", prof.cur_rows, prof.cur_valid),
    ):
        if rows == 0:
            return _not_evaluated(f"the {window} window is empty")
        if valid == 0:
            return _not_evaluated(f"every value is missing in the {window} window ({rows} rows)")
    if method in ("ks", "wasserstein"):
        return _ecdf_method(con, method, ref, cur, prof)
    if method == "psi":
        return _psi(con, kind, ref, cur, prof, bins)
    if method in ("psi_evidently", "jensenshannon"):
        return _evidently_binned(con, method, kind, col, ref, cur, prof, bins)
    if method in ("chisquare", "chisquare_evidently"):
        return _chisquare(con, method, ref, cur, prof)
    if method == "z":
        return _z(con, ref, cur, prof)
    raise AssertionError(f"unhandled method {method}")  # pragma: no cover


def _ecdf_method(
    con: duckdb.DuckDBPyConnection, method: str, ref: q.Side, cur: q.Side, prof: _Profile
) -> _Outcome:
    row = con.execute(q.ecdf_summary_sql(ref, cur)).fetchone()
    assert row is not None
    d, w1 = float(row[0]), float(row[1] or 0.0)
    n1, n2 = prof.ref_valid, prof.cur_valid
    if method == "ks":
        stat, p, how = ks_2samp_p_value(d, n1, n2)
        details = {"d_max_abs": d, "p_value_method": how, "distinct_values": int(row[4])}
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
        )
    mom = con.execute(q.reference_moments_sql(ref, cur)).fetchone()
    assert mom is not None
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
        },
    )


def _category_counts(
    con: duckdb.DuckDBPyConnection, ref: q.Side, cur: q.Side
) -> tuple[list[Any], FloatArray, FloatArray]:
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


def _too_many_categories(prof: _Profile) -> _Outcome | None:
    if prof.n_unique > MAX_CATEGORIES:
        return _not_evaluated(
            f"{prof.n_unique} distinct values over both windows, more than {MAX_CATEGORIES}: "
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
) -> _Outcome:
    details: dict[str, Any] = {"epsilon": PSI_EPSILON}
    if kind == "numeric":
        k = bins or PSI_DEFAULT_BINS
        probs = [i / k for i in range(1, k)]
        edges: list[float] = []
        if probs:
            row = con.execute(q.quantiles_sql(ref, cur, probs)).fetchone()
            assert row is not None
            edges = sorted({float(x) for x in row[0]})
        c_ref, c_cur = _histogram(con, ref, cur, edges, right_closed=True)
        details.update(
            binning=f"reference quantiles (quantile_cont), {k} requested",
            edges=edges,
            bins=len(edges) + 1,
        )
    else:
        if (refused := _too_many_categories(prof)) is not None:
            return refused
        keys, c_ref, c_cur = _category_counts(con, ref, cur)
        details.update(binning="categories", categories=keys, bins=len(keys))
    s_ref, s_cur = c_ref / prof.ref_valid, c_cur / prof.cur_valid
    e_ref = np.where(s_ref == 0, PSI_EPSILON, s_ref)
    e_cur = np.where(s_cur == 0, PSI_EPSILON, s_cur)
    value = float(np.sum((e_cur - e_ref) * np.log(e_cur / e_ref)))
    details.update(reference_shares=s_ref.tolist(), current_shares=s_cur.tolist())
    return _Outcome(value, None, details=details)


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
        if (refused := _too_many_categories(prof)) is not None:
            return refused
        keys, c_ref, c_cur = _category_counts(con, ref, cur)
        details.update(binning="values", categories=keys, bins=len(keys))
    p_ref, p_cur = c_ref / prof.ref_valid, c_cur / prof.cur_valid
    details.update(reference_shares=p_ref.tolist(), current_shares=p_cur.tolist())
    if method == "jensenshannon":
        from scipy.spatial.distance import jensenshannon  # type: ignore[import-untyped, unused-ignore]

        return _Outcome(float(jensenshannon(p_ref, p_cur)), None, details=details)
    f_ref, f_cur = _fill_zeros(p_ref), _fill_zeros(p_cur)
    value = float(np.sum((f_ref - f_cur) * np.log(f_ref / f_cur)))
    return _Outcome(value, None, details=details)


def _chisquare(
    con: duckdb.DuckDBPyConnection, method: str, ref: q.Side, cur: q.Side, prof: _Profile
) -> _Outcome:
    from scipy.stats import chi2  # type: ignore[import-untyped, unused-ignore]

    if (refused := _too_many_categories(prof)) is not None:
        return refused
    keys, c_ref, c_cur = _category_counts(con, ref, cur)
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


def _z(con: duckdb.DuckDBPyConnection, ref: q.Side, cur: q.Side, prof: _Profile) -> _Outcome:
    from scipy.stats import norm  # type: ignore[import-untyped, unused-ignore]

    if prof.n_unique > 2:
        return _not_evaluated(
            f"the z-test needs a binary column; {prof.n_unique} distinct values found"
        )
    keys, c_ref, c_cur = _category_counts(con, ref, cur)
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
