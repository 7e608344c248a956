"""Every SQL aggregate behind :mod:`govern.metrics.drift`, as text over two named relations.

Each builder returns one SQL statement that reads a *reference* and a *current* relation (a
table or view name) and returns a handful of rows: counts, extrema, an ECDF summary, a
histogram, category counts, quantiles. No statement returns data rows, so the same text can
run where a team's logs live and only the small aggregates travel back.

Every statement starts from the same tagged union of the two windows::

    obs(side, v, ok)   side = 0 reference, 1 current; v = the value; ok = v is not missing

Missing means NULL and, for floating-point columns, NaN and ±infinity (Evidently drops all
three before its tests). Identifiers are double-quoted (ANSI); numbers that must be exact
(bin edges, probabilities) are written as ``CAST('<repr>' AS DOUBLE)``, which every engine
parses with correct rounding, so an edge in SQL is bit-for-bit the float computed in Python.

Dialect notes, for running the text elsewhere than DuckDB: Spark SQL needs
``spark.sql.ansi.doubleQuotedIdentifiers=true``, ``sum`` instead of DuckDB's compensated
``fsum`` and ``percentile`` instead of ``quantile_cont`` (both interpolate linearly); window
functions, ``GROUPING SETS`` and ``CASE`` are standard.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "Side",
    "category_counts_sql",
    "describe_sql",
    "ecdf_summary_sql",
    "float_literal",
    "histogram_sql",
    "missing_predicate",
    "profile_sql",
    "quantiles_sql",
    "quote_ident",
    "reference_moments_sql",
]


def quote_ident(name: str) -> str:
    """Quote one identifier (relation or column name) for SQL, whatever characters it holds.

    >>> quote_ident('amount "net" (EUR)')
    '"amount ""net"" (EUR)"'
    """
    if "\x00" in name:
        raise ValueError(f"identifier {name!r} contains a NUL character")
    return '"' + name.replace('"', '""') + '"'


def float_literal(x: float) -> str:
    """An exact DOUBLE literal: the shortest decimal that round-trips to ``x``, then cast."""
    if x != x or x in (float("inf"), float("-inf")):
        raise ValueError(f"{x!r} is not a finite number")
    return f"CAST('{float(x)!r}' AS DOUBLE)"


def missing_predicate(column_sql: str, *, floating: bool) -> str:
    """SQL that is true when the value is present: not NULL, and finite for float columns.

    ``abs(x) < 'Infinity'`` is false for ±infinity and, since SQL engines order NaN above
    every number, for NaN too; ``isnan`` is spelled out anyway for readers.
    """
    if not floating:
        return f"({column_sql} IS NOT NULL)"
    return (
        f"({column_sql} IS NOT NULL AND NOT isnan({column_sql}) "
        f"AND abs({column_sql}) < CAST('Infinity' AS DOUBLE))"
    )


@dataclass(frozen=True)
class Side:
    """One window: the relation, the value expression and the "value present" predicate.

    ``value_sql`` and ``ok_sql`` are expressions over the relation's columns (built with
    :func:`quote_ident` and :func:`missing_predicate`); ``relation`` is the relation's name,
    unquoted.
    """

    relation: str
    value_sql: str
    ok_sql: str


def _obs(reference: Side, current: Side) -> str:
    return (
        "WITH obs AS (\n"
        f"  SELECT 0 AS side, {reference.value_sql} AS v, {reference.ok_sql} AS ok\n"
        f"  FROM {quote_ident(reference.relation)}\n"
        "  UNION ALL\n"
        f"  SELECT 1 AS side, {current.value_sql} AS v, {current.ok_sql} AS ok\n"
        f"  FROM {quote_ident(current.relation)}\n"
        ")"
    )


def describe_sql(relation: str) -> str:
    """Column names and types of a relation (catalog metadata, not an aggregate)."""
    return f"DESCRIBE SELECT * FROM {quote_ident(relation)}"


def profile_sql(reference: Side, current: Side) -> str:
    """Rows, present values, distinct present values, min and max: per window and overall.

    Returns up to three rows ``(side, n_rows, n_valid, n_unique, v_min, v_max)``; ``side`` is
    NULL on the row over both windows (``GROUPING SETS``). A window with no rows has no row.
    """
    return (
        _obs(reference, current) + "\nSELECT side,\n"
        "  count(*) AS n_rows,\n"
        "  sum(CASE WHEN ok THEN 1 ELSE 0 END) AS n_valid,\n"
        "  count(DISTINCT CASE WHEN ok THEN v END) AS n_unique,\n"
        "  min(CASE WHEN ok THEN v END) AS v_min,\n"
        "  max(CASE WHEN ok THEN v END) AS v_max\n"
        "FROM obs\n"
        "GROUP BY GROUPING SETS ((side), ())\n"
        "ORDER BY side NULLS LAST"
    )


def ecdf_summary_sql(reference: Side, current: Side) -> str:
    """Kolmogorov-Smirnov D and the 1-Wasserstein distance, from the merged ECDF.

    Both windows are counted per distinct value; running sums ordered by value give the two
    empirical CDFs ``F_ref`` and ``F_cur`` at every observed value (the "right" side, ties
    included, as ``numpy.searchsorted(side="right")`` in SciPy). Then

    * ``ks_d = max |F_ref(v) - F_cur(v)|`` over all observed values;
    * ``w1 = Σ |F_ref(v_i) - F_cur(v_i)| · (v_(i+1) - v_i)`` over consecutive distinct values,
      which is ``scipy.stats.wasserstein_distance`` (the integral of ``|F_ref - F_cur|``).

    Returns one row ``(ks_d, w1, n_ref, n_cur, n_distinct)``; ``v`` must be DOUBLE.
    """
    return (
        _obs(reference, current) + ",\ncounts AS (\n"
        "  SELECT v,\n"
        "    sum(CASE WHEN side = 0 THEN 1 ELSE 0 END) AS c_ref,\n"
        "    sum(CASE WHEN side = 1 THEN 1 ELSE 0 END) AS c_cur\n"
        "  FROM obs WHERE ok GROUP BY v\n"
        "),\n"
        "totals AS (\n"
        "  SELECT CAST(sum(c_ref) AS DOUBLE) AS n_ref, CAST(sum(c_cur) AS DOUBLE) AS n_cur,\n"
        "    count(*) AS n_distinct\n"
        "  FROM counts\n"
        "),\n"
        "ecdf AS (\n"
        "  SELECT\n"
        "    CAST(sum(c_ref) OVER w AS DOUBLE) / t.n_ref\n"
        "      - CAST(sum(c_cur) OVER w AS DOUBLE) / t.n_cur AS diff,\n"
        "    lead(v) OVER (ORDER BY v) - v AS gap\n"
        "  FROM counts CROSS JOIN totals AS t\n"
        "  WINDOW w AS (ORDER BY v ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)\n"
        ")\n"
        "SELECT max(abs(diff)) AS ks_d, fsum(abs(diff) * gap) AS w1,\n"
        "  (SELECT n_ref FROM totals) AS n_ref, (SELECT n_cur FROM totals) AS n_cur,\n"
        "  (SELECT n_distinct FROM totals) AS n_distinct\n"
        "FROM ecdf"
    )


def reference_moments_sql(reference: Side, current: Side) -> str:
    """Mean and population standard deviation (ddof=0, as ``numpy.std``) of the reference.

    Two passes, like NumPy: the mean first, then the mean squared deviation from it; sums are
    compensated (``fsum``) so the result does not depend on row order. One row ``(mean, std)``.
    """
    return (
        _obs(reference, current) + ",\nref AS (SELECT v FROM obs WHERE ok AND side = 0),\n"
        "m AS (SELECT fsum(v) / count(*) AS mean FROM ref)\n"
        "SELECT m.mean, sqrt(fsum((ref.v - m.mean) * (ref.v - m.mean)) / count(*)) AS std\n"
        "FROM ref CROSS JOIN m\n"
        "GROUP BY m.mean"
    )


def _bin_case(edges: Sequence[float], *, right_closed: bool) -> str:
    """``CASE`` giving the 0-based bin of ``v`` for sorted interior ``edges``.

    Left-closed (NumPy ``histogram``): bin ``i`` holds ``edges[i-1] <= v < edges[i]``.
    Right-closed (pandas ``qcut``): bin ``i`` holds ``edges[i-1] < v <= edges[i]``.
    The first and last bins are open-ended.
    """
    if not edges:
        return "0"
    op = "<=" if right_closed else "<"
    whens = " ".join(f"WHEN v {op} {float_literal(e)} THEN {i}" for i, e in enumerate(edges))
    return f"CASE {whens} ELSE {len(edges)} END"


def histogram_sql(
    reference: Side, current: Side, interior_edges: Sequence[float], *, right_closed: bool
) -> str:
    """Counts per bin and window for the bins cut at ``interior_edges`` (see ``_bin_case``).

    Returns rows ``(bin, c_ref, c_cur)`` for non-empty bins, ordered by bin; ``v`` DOUBLE.
    """
    case = _bin_case(interior_edges, right_closed=right_closed)
    return (
        _obs(reference, current) + f"\nSELECT {case} AS bin,\n"
        "  sum(CASE WHEN side = 0 THEN 1 ELSE 0 END) AS c_ref,\n"
        "  sum(CASE WHEN side = 1 THEN 1 ELSE 0 END) AS c_cur\n"
        "FROM obs WHERE ok\n"
        "GROUP BY 1\n"
        "ORDER BY 1"
    )


def category_counts_sql(reference: Side, current: Side) -> str:
    """Counts per distinct present value and window: rows ``(v, c_ref, c_cur)`` ordered by v.

    Values seen in only one window get a zero count in the other.
    """
    return (
        _obs(reference, current) + "\nSELECT v,\n"
        "  sum(CASE WHEN side = 0 THEN 1 ELSE 0 END) AS c_ref,\n"
        "  sum(CASE WHEN side = 1 THEN 1 ELSE 0 END) AS c_cur\n"
        "FROM obs WHERE ok\n"
        "GROUP BY v\n"
        "ORDER BY v"
    )


def quantiles_sql(reference: Side, current: Side, probabilities: Sequence[float]) -> str:
    """Reference quantiles by linear interpolation (``quantile_cont``, NumPy's default).

    The quantile at probability ``p`` of ``n`` sorted values lies at position ``(n - 1)·p``,
    interpolated between its neighbours. One row, one list column ``q``.
    """
    probs = ", ".join(float_literal(p) for p in probabilities)
    return (
        _obs(reference, current) + f"\nSELECT quantile_cont(v, [{probs}]) AS q\n"
        "FROM obs WHERE ok AND side = 0"
    )
