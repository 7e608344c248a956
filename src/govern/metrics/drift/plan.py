"""The query plan: what to compute for which column, as typed values (no SQL runs here).

A request names columns of two relations. :func:`resolve` turns each into a :class:`Column`
(its name and type in both relations) or an :class:`~.methods.Untestable`; the first round's
aggregates give each numeric column its :class:`~.aggregates.Grid`; the profile, the kind and
the method make a :class:`ColumnPlan`, or an ``Untestable`` when the method does not fit the
kind; :func:`needs_categories`, :func:`needs_histogram` and :func:`refinement` say what the last
round must still fetch. Every value is frozen: each round produces new values, none is filled
in later.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np

from govern.metrics.drift import sql as q
from govern.metrics.drift.aggregates import Categories, Grid, GridCounts, Profile, WindowStats
from govern.metrics.drift.ks import (
    EcdfSummary,
    ecdf_summary,
    ks_binned_settles,
    wasserstein_binned_settles,
)
from govern.metrics.drift.methods import (
    ECDF_BINS,
    EVIDENTLY_HISTOGRAM_MIN_UNIQUE,
    EXACT_MAX_N,
    METHODS,
    WASSERSTEIN_STD_FLOOR,
    DriftOptions,
    Kind,
    Untestable,
    UntestableCause,
    choose_method,
)
from govern.metrics.drift.stats import Outcome, grid_moments, missing_share, not_evaluated
from govern.sql import quote

__all__ = [
    "Column",
    "ColumnPlan",
    "Refinement",
    "Unreadable",
    "categorical_profile",
    "decide",
    "empty_profile",
    "grid_of",
    "needs_categories",
    "needs_histogram",
    "precheck",
    "refinement",
    "resolve",
    "unique_from_grid",
]

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
class Column:
    """One requested column: its name and DuckDB type in the reference and the current."""

    name_ref: str
    name_cur: str
    type_ref: str
    type_cur: str

    @property
    def numeric(self) -> bool:
        """Numeric in both relations (integer, decimal or floating point): compared as DOUBLE."""
        return _type_class(self.type_ref) != "other" and _type_class(self.type_cur) != "other"

    @property
    def integer(self) -> bool:
        """Integer in both relations."""
        return _type_class(self.type_ref) == "integer" == _type_class(self.type_cur)

    def floating(self, side: int) -> bool:
        """Floating point in the reference (``side`` 0) or the current (1): NaN is possible."""
        return _type_class(self.type_ref if side == 0 else self.type_cur) == "float"

    @property
    def value_type(self) -> str:
        """The SQL type of the compared values (a UNION of category counts needs one type)."""
        if self.numeric:
            return "DOUBLE"
        if self.type_ref == self.type_cur and self.type_ref in _NATIVE_CATEGORY_TYPES:
            return self.type_ref
        return "VARCHAR"

    def sides(self, reference: str, current: str) -> tuple[q.Side, q.Side]:
        """The value expression and "present" predicate of the column in each relation."""
        return (
            self._side(reference, self.name_ref, self.type_ref),
            self._side(current, self.name_cur, self.type_cur),
        )

    def _side(self, relation: str, name: str, type_: str) -> q.Side:
        ident = quote(name)
        if self.numeric:
            value = f"CAST({ident} AS DOUBLE)"
        elif self.type_ref == self.type_cur and type_ in _NATIVE_CATEGORY_TYPES:
            value = ident
        else:
            value = f"CAST({ident} AS VARCHAR)"
        ok = q.missing_predicate(ident, floating=_type_class(type_) == "float")
        return q.Side(relation, value, ok)


@dataclass(frozen=True)
class Unreadable:
    """A relation that cannot be read, and DuckDB's message."""

    relation: str
    error: str


def _find(columns: Mapping[str, str], column: str) -> str | None:
    if column in columns:
        return column
    folded = [c for c in columns if c.lower() == column.lower()]
    if len(folded) == 1:  # DuckDB resolves identifiers case-insensitively
        return folded[0]
    return None


def resolve(
    ref_types: Mapping[str, str] | Unreadable,
    cur_types: Mapping[str, str] | Unreadable,
    columns: Sequence[str],
    names: tuple[str, str],
    kind: str | None,
) -> list[Column | Untestable]:
    """Each requested column in both relations (``names``), or why it cannot be tested."""
    out: list[Column | Untestable] = []
    for column in columns:
        out.append(_resolve_one(ref_types, cur_types, column, names, kind))
    return out


def _resolve_one(
    ref_types: Mapping[str, str] | Unreadable,
    cur_types: Mapping[str, str] | Unreadable,
    column: str,
    names: tuple[str, str],
    kind: str | None,
) -> Column | Untestable:
    for types in (ref_types, cur_types):
        if isinstance(types, Unreadable):
            return Untestable(
                column,
                UntestableCause.UNREADABLE_RELATION,
                f"relation {types.relation!r} cannot be read: {types.error}",
            )
    found: list[tuple[str, str]] = []
    for types, relation in ((ref_types, names[0]), (cur_types, names[1])):
        assert not isinstance(types, Unreadable)
        name = _find(types, column)
        if name is None:
            return Untestable(
                column,
                UntestableCause.MISSING_COLUMN,
                f"column {column!r} is not in relation {relation!r} "
                f"(columns: {', '.join(repr(c) for c in types)})",
            )
        found.append((name, types[name]))
    col = Column(found[0][0], found[1][0], found[0][1], found[1][1])
    if kind == "numeric" and not col.numeric:
        return Untestable(
            column,
            UntestableCause.NOT_NUMERIC,
            f"column {column!r} is {col.type_ref} in {names[0]!r} and {col.type_cur} in "
            f"{names[1]!r}: not numeric, so it cannot be tested as kind 'numeric'",
        )
    return col


def grid_of(ref: WindowStats, cur: WindowStats) -> Grid | None:
    """The grid over both windows' finite range, or None.

    None when there is no present value, or for a range beyond floating point (the exact
    per-column queries instead).
    """
    bounds = [w for w in (ref, cur) if w.lo is not None and w.hi is not None]
    if not bounds:
        return None
    lo = min(float(w.lo) for w in bounds if w.lo is not None)
    hi = max(float(w.hi) for w in bounds if w.hi is not None)
    if hi == lo:
        return Grid(lo, hi, 0.0, 1)
    bins = ECDF_BINS
    scale = (bins - 1) / (hi - lo)
    if not (math.isfinite(hi - lo) and math.isfinite(scale) and scale > 0):
        return None
    return Grid(lo, hi, scale, bins)


def empty_profile(ref: WindowStats, cur: WindowStats) -> Profile:
    """A numeric column without a present value in either window."""
    return Profile(ref.rows, 0, 0, cur.rows, 0, 0, 0, None, None)


def unique_from_grid(
    col: Column, g: Grid, c: GridCounts, ref: WindowStats, cur: WindowStats
) -> Profile | None:
    """Distinct-value counts from the occupied bins, when they settle every use.

    Distinct values are at least the occupied bins, and exactly that when no bin can hold two
    values: integer columns on a grid finer than 1/2 (two integers >= 2 bins apart). Counts
    are used up to 20 (Evidently's > 20 for histograms, <= 5 and > 5 for kinds and methods);
    a lower bound above 20 settles those. Otherwise (None) the exact counts are queried.
    """
    occ_ref = int(np.count_nonzero(c.n_ref))
    occ_cur = int(np.count_nonzero(c.n_cur))
    occ_both = int(np.count_nonzero(c.n_ref + c.n_cur))
    ref_valid, cur_valid = c.ref_valid, c.cur_valid
    exact_bins = g.scale == 0 or (col.integer and g.scale >= 2)
    if not exact_bins:
        needed = [occ_both]
        needed.append(occ_ref if ref_valid else 21)
        if not ref_valid:
            needed.append(occ_cur)
        if min(needed) <= EVIDENTLY_HISTOGRAM_MIN_UNIQUE:
            return None
    return Profile(
        ref_rows=ref.rows,
        ref_valid=ref_valid,
        ref_unique=occ_ref,
        cur_rows=cur.rows,
        cur_valid=cur_valid,
        cur_unique=occ_cur,
        n_unique=occ_both,
        v_min=g.lo,
        v_max=g.hi,
    )


def categorical_profile(cats: Categories | None, ref: WindowStats, cur: WindowStats) -> Profile:
    """The profile of a categorical column from its category counts (None: not counted)."""
    n_unique = ref_unique = cur_unique = 0
    if cats is not None:
        n_unique = cats.n
        if cats.keys:
            ref_unique = int(np.count_nonzero(cats.c_ref))
            cur_unique = int(np.count_nonzero(cats.c_cur))
        else:  # more than MAX_CATEGORIES: per-window counts are not needed
            ref_unique = cur_unique = n_unique
    return Profile(
        ref_rows=ref.rows,
        ref_valid=int(ref.valid or 0),
        ref_unique=ref_unique,
        cur_rows=cur.rows,
        cur_valid=int(cur.valid or 0),
        cur_unique=cur_unique,
        n_unique=n_unique,
        v_min=None,
        v_max=None,
    )


@dataclass(frozen=True)
class ColumnPlan:
    """One column's decided computation: profile, kind, method and threshold."""

    col: Column
    ref: q.Side
    cur: q.Side
    prof: Profile
    kind: Kind
    method: str
    limit: float


def _infer_kind(col: Column, prof: Profile) -> Kind:
    if not col.numeric:
        return "categorical"
    if col.integer and (prof.ref_unique or prof.cur_unique) <= 5:
        return "categorical"
    return "numeric"


def decide(
    col: Column, sides: tuple[q.Side, q.Side], prof: Profile, options: DriftOptions
) -> ColumnPlan | Untestable:
    """The kind, method and threshold of one column, or why the method does not fit."""
    kind: Kind = _infer_kind(col, prof) if options.kind is None else cast(Kind, options.kind)
    method = options.method or choose_method(
        kind, prof.ref_valid, prof.n_unique, compatibility=options.compatibility
    )
    info = METHODS[method]
    if kind not in info.kinds:
        return Untestable(
            col.name_ref,
            UntestableCause.METHOD_DOES_NOT_APPLY,
            f"drift method {method!r} does not apply to {kind} column {col.name_ref!r}; it "
            f"takes {' or '.join(sorted(info.kinds))} columns",
        )
    limit = info.default_threshold if options.threshold is None else float(options.threshold)
    return ColumnPlan(col, sides[0], sides[1], prof, kind, method, limit)


def precheck(plan: ColumnPlan) -> Outcome | None:
    """The outcome when it needs no further data: missing_share, empty or all-missing windows."""
    prof = plan.prof
    if plan.method == "missing_share":
        return missing_share(prof)
    for window, rows, valid in (
        ("reference", prof.ref_rows, prof.ref_valid),
        ("current", prof.cur_rows, prof.cur_valid),
    ):
        if rows == 0:
            return not_evaluated(f"the {window} window is empty")
        if valid == 0:
            return not_evaluated(f"every value is missing in the {window} window ({rows} rows)")
    return None


def needs_categories(plan: ColumnPlan, bins: int | None) -> bool:
    """Whether the method reads category counts (of a categorical or a numeric column)."""
    m = plan.method
    if m in ("chisquare", "chisquare_evidently", "z"):
        return True
    if plan.kind == "categorical":
        return m in ("psi", "psi_evidently", "jensenshannon")
    if m in ("psi_evidently", "jensenshannon"):
        return bins is None and plan.prof.ref_unique <= EVIDENTLY_HISTOGRAM_MIN_UNIQUE
    return False


def needs_histogram(plan: ColumnPlan, bins: int | None) -> bool:
    """Whether the method bins a numeric column (quantile or equal-width histogram)."""
    return (
        plan.method in ("psi", "psi_evidently", "jensenshannon")
        and plan.kind == "numeric"
        and not needs_categories(plan, bins)
    )


@dataclass(frozen=True)
class Refinement:
    """A gridded ks/wasserstein column: binned or exact, and the bins to evaluate exactly."""

    grid: Grid
    counts: GridCounts
    summary: EcdfSummary
    exact: bool
    candidates: tuple[int, ...]


def refinement(
    plan: ColumnPlan, g: Grid | None, c: GridCounts | None, exact: bool | None
) -> Refinement | None:
    """How a ks or wasserstein column is computed from its grid, or None.

    Binned or exact (*Exactness* in :mod:`govern.metrics.drift`). None for other methods and
    without a usable grid (a degenerate grid or a constant column: the exact per-column
    query instead).
    """
    if plan.method not in ("ks", "wasserstein") or g is None or g.scale == 0 or c is None:
        return None
    if plan.method == "wasserstein" and not c.sums:  # pragma: no cover - by construction
        return None
    summary = ecdf_summary(c)
    n = max(plan.prof.ref_valid, plan.prof.cur_valid)
    if exact is False or (
        exact is None and n > EXACT_MAX_N and _binned_settles(plan, g, c, summary)
    ):
        return Refinement(g, c, summary, False, ())
    return Refinement(g, c, summary, True, tuple(summary.candidates(plan.method)))


def _binned_settles(plan: ColumnPlan, g: Grid, c: GridCounts, s: EcdfSummary) -> bool:
    prof = plan.prof
    if plan.method == "ks":
        return ks_binned_settles(s, prof.ref_valid, prof.cur_valid, plan.limit)
    if prof.ref_unique == 1:
        return True  # not evaluated: the distance is evidence only
    norm = max(grid_moments(g, c)[1], WASSERSTEIN_STD_FLOOR)
    return wasserstein_binned_settles(s, g.scale * norm, plan.limit)
