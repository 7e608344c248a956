"""Every SQL aggregate of the drift metrics, as text over named relations, values as parameters.

Each builder returns a :class:`Query`: one SQL statement and its parameters. A statement reads a
*reference* and a *current* relation (a table or view name) and returns a handful of rows:
counts, extrema, an ECDF summary, a histogram, category counts, quantiles. No statement returns
data rows, so the same text can run where a team's logs live and only the small aggregates
travel back. Nothing here runs a statement: :mod:`govern.metrics.drift.fetch` does.

Most statements start from the same tagged union of the two windows::

    obs(side, v, ok)   side = 0 reference, 1 current; v = the value; ok = v is not missing

Missing means NULL and, for floating-point columns, NaN and ±infinity (Evidently drops all
three before its tests). Identifiers are quoted by :func:`govern.sql.quote`
(ANSI double quotes), the one quoting helper of govern. Values -- bin edges, grid origins and
scales, probabilities, caps -- are never written into the text: they are bound as parameters
(``?``, in order of appearance), so an edge in SQL is bit for bit the float computed in Python.
Only structure is written: column and window tags and bin numbers, integers of our own.

Dialect notes, for running the text elsewhere than DuckDB: Spark SQL needs
``spark.sql.ansi.doubleQuotedIdentifiers=true``, ``sum`` instead of DuckDB's compensated
``fsum`` and ``percentile`` instead of ``quantile_cont`` (both interpolate linearly); window
functions, ``GROUPING SETS`` and ``CASE`` are standard.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from govern.sql import quote

__all__ = [
    "CategoryBranch",
    "GridBranch",
    "Query",
    "Side",
    "category_counts_many_sql",
    "category_counts_sql",
    "describe_sql",
    "ecdf_summary_sql",
    "finite_stats_sql",
    "grid_counts_sql",
    "grid_refine_sql",
    "histogram_sql",
    "missing_predicate",
    "profile_sql",
    "quantiles_sql",
    "reference_moments_sql",
    "relation_kinds_sql",
    "window_stats_sql",
]


class Query(NamedTuple):
    """One statement and its parameters: ``con.execute(*query)``."""

    sql: str
    params: list[Any]


def missing_predicate(column_sql: str, *, floating: bool) -> str:
    """SQL that is true when the value is present: not NULL, and finite for float columns.

    ``isfinite`` is false for NaN and ±infinity (and NULL for NULL). Written this way, not as
    ``NOT isnan(x) AND abs(x) < 'Infinity'``: DuckDB folds those comparisons to true from
    Parquet statistics, which leave NaN out of min/max, and so keeps NaN values (DuckDB 1.x
    and 2.0). Engines without ``isfinite`` can use that standard spelling.
    """
    if not floating:
        return f"({column_sql} IS NOT NULL)"
    return f"({column_sql} IS NOT NULL AND isfinite({column_sql}))"


@dataclass(frozen=True)
class Side:
    """One window: the relation, the value expression and the "value present" predicate.

    ``value_sql`` and ``ok_sql`` are expressions over the relation's columns (built with
    :func:`~govern.sql.quote` and :func:`missing_predicate`); ``relation`` is
    the relation's name, unquoted.
    """

    relation: str
    value_sql: str
    ok_sql: str


def _obs(reference: Side, current: Side) -> str:
    return (
        "WITH obs AS (\n"
        f"  SELECT 0 AS side, {reference.value_sql} AS v, {reference.ok_sql} AS ok\n"
        f"  FROM {quote(reference.relation)}\n"
        "  UNION ALL\n"
        f"  SELECT 1 AS side, {current.value_sql} AS v, {current.ok_sql} AS ok\n"
        f"  FROM {quote(current.relation)}\n"
        ")"
    )


def describe_sql(relation: str) -> Query:
    """Column names and types of a relation (catalog metadata, not an aggregate)."""
    return Query(f"DESCRIBE SELECT * FROM {quote(relation)}", [])


def relation_kinds_sql(relation: str) -> Query:
    """How many catalog tables and views are named ``relation``, and how many are not TEMP.

    One row ``(count, non_temporary)``; names compare case-insensitively, as DuckDB resolves
    them. The runner shares a relation with other connections only when this is ``(1, 1)``.
    """
    return Query(
        "SELECT count(*), count(*) FILTER (WHERE NOT temporary) FROM ("
        " SELECT view_name AS name, temporary FROM duckdb_views() WHERE NOT internal"
        " UNION ALL SELECT table_name, temporary FROM duckdb_tables()"
        ") WHERE lower(name) = lower(?)",
        [relation],
    )


def profile_sql(reference: Side, current: Side) -> Query:
    """Rows, present values, distinct present values, min and max: per window and overall.

    Returns up to three rows ``(side, n_rows, n_valid, n_unique, v_min, v_max)``; ``side`` is
    NULL on the row over both windows (``GROUPING SETS``). A window with no rows has no row.
    """
    return Query(
        _obs(reference, current) + "\nSELECT side,\n"
        "  count(*) AS n_rows,\n"
        "  sum(CASE WHEN ok THEN 1 ELSE 0 END) AS n_valid,\n"
        "  count(DISTINCT CASE WHEN ok THEN v END) AS n_unique,\n"
        "  min(CASE WHEN ok THEN v END) AS v_min,\n"
        "  max(CASE WHEN ok THEN v END) AS v_max\n"
        "FROM obs\n"
        "GROUP BY GROUPING SETS ((side), ())\n"
        "ORDER BY side NULLS LAST",
        [],
    )


def ecdf_summary_sql(reference: Side, current: Side) -> Query:
    """Kolmogorov-Smirnov D and the 1-Wasserstein distance, from the merged ECDF.

    Both windows are counted per distinct value; running sums ordered by value give the two
    empirical CDFs ``F_ref`` and ``F_cur`` at every observed value (the "right" side, ties
    included, as ``numpy.searchsorted(side="right")`` in SciPy). Then

    * ``ks_d = max |F_ref(v) - F_cur(v)|`` over all observed values;
    * ``w1 = Σ |F_ref(v_i) - F_cur(v_i)| · (v_(i+1) - v_i)`` over consecutive distinct values,
      which is ``scipy.stats.wasserstein_distance`` (the integral of ``|F_ref - F_cur|``).

    Returns one row ``(ks_d, w1, n_ref, n_cur, n_distinct)``; ``v`` must be DOUBLE.
    """
    return Query(
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
        "FROM ecdf",
        [],
    )


def reference_moments_sql(reference: Side, current: Side) -> Query:
    """Mean and population standard deviation (ddof=0, as ``numpy.std``) of the reference.

    Two passes, like NumPy: the mean first, then the mean squared deviation from it; sums are
    compensated (``fsum``) so the result does not depend on row order. One row ``(mean, std)``.
    """
    return Query(
        _obs(reference, current) + ",\nref AS (SELECT v FROM obs WHERE ok AND side = 0),\n"
        "m AS (SELECT fsum(v) / count(*) AS mean FROM ref)\n"
        "SELECT m.mean, sqrt(fsum((ref.v - m.mean) * (ref.v - m.mean)) / count(*)) AS std\n"
        "FROM ref CROSS JOIN m\n"
        "GROUP BY m.mean",
        [],
    )


def _bin_case(edges: Sequence[float], *, right_closed: bool) -> Query:
    """``CASE`` giving the 0-based bin of ``v`` for sorted interior ``edges`` (bound).

    Left-closed (NumPy ``histogram``): bin ``i`` holds ``edges[i-1] <= v < edges[i]``.
    Right-closed (pandas ``qcut``): bin ``i`` holds ``edges[i-1] < v <= edges[i]``.
    The first and last bins are open-ended.
    """
    if not edges:
        return Query("0", [])
    op = "<=" if right_closed else "<"
    whens = " ".join(f"WHEN v {op} CAST(? AS DOUBLE) THEN {i}" for i in range(len(edges)))
    return Query(f"CASE {whens} ELSE {len(edges)} END", [float(e) for e in edges])


def histogram_sql(
    reference: Side, current: Side, interior_edges: Sequence[float], *, right_closed: bool
) -> Query:
    """Counts per bin and window for the bins cut at ``interior_edges`` (see ``_bin_case``).

    Returns rows ``(bin, c_ref, c_cur)`` for non-empty bins, ordered by bin; ``v`` DOUBLE.
    """
    case = _bin_case(interior_edges, right_closed=right_closed)
    return Query(
        _obs(reference, current) + f"\nSELECT {case.sql} AS bin,\n"
        "  sum(CASE WHEN side = 0 THEN 1 ELSE 0 END) AS c_ref,\n"
        "  sum(CASE WHEN side = 1 THEN 1 ELSE 0 END) AS c_cur\n"
        "FROM obs WHERE ok\n"
        "GROUP BY 1\n"
        "ORDER BY 1",
        case.params,
    )


def category_counts_sql(reference: Side, current: Side) -> Query:
    """Counts per distinct present value and window: rows ``(v, c_ref, c_cur)`` ordered by v.

    Values seen in only one window get a zero count in the other.
    """
    return Query(
        _obs(reference, current) + "\nSELECT v,\n"
        "  sum(CASE WHEN side = 0 THEN 1 ELSE 0 END) AS c_ref,\n"
        "  sum(CASE WHEN side = 1 THEN 1 ELSE 0 END) AS c_cur\n"
        "FROM obs WHERE ok\n"
        "GROUP BY v\n"
        "ORDER BY v",
        [],
    )


def quantiles_sql(reference: Side, current: Side, probabilities: Sequence[float]) -> Query:
    """Reference quantiles by linear interpolation (``quantile_cont``, NumPy's default).

    The quantile at probability ``p`` of ``n`` sorted values lies at position ``(n - 1)·p``,
    interpolated between its neighbours. One row, one list column ``q``.
    """
    return Query(
        _obs(reference, current) + "\nSELECT quantile_cont(v, CAST(? AS DOUBLE[])) AS q\n"
        "FROM obs WHERE ok AND side = 0",
        [[float(p) for p in probabilities]],
    )


# --------------------------------------------------------------------------- batched builders
#
# The builders below serve many columns at once (``govern.metrics.drift.dataset_drift``). Each
# statement is a UNION ALL of one branch per (column, window): a branch reads one column of one
# relation, so every value is read once per statement whatever the number of columns, and
# independent statements can run side by side on parallel connections.


def window_stats_sql(relation: str, columns: Sequence[tuple[str, bool]]) -> Query:
    """Rows, and per column the non-NULL count and, for numeric columns, min and max as DOUBLE.

    ``columns`` holds ``(column_sql, numeric)`` pairs. Plain ``count``/``min``/``max`` so that
    an engine may answer from file metadata (DuckDB does from Parquet statistics); the casts
    apply to the aggregate, with the same conversion as the per-row ``CAST(x AS DOUBLE)``.
    For floating-point columns min or max may be NaN or infinite: :func:`finite_stats_sql`
    then gives the finite ones. One row ``(n_rows, count_1, [min_1, max_1,] count_2, ...)``.
    """
    parts = ["count(*)"]
    for column_sql, numeric in columns:
        parts.append(f"count({column_sql})")
        if numeric:
            parts.append(f"CAST(min({column_sql}) AS DOUBLE)")
            parts.append(f"CAST(max({column_sql}) AS DOUBLE)")
    return Query(f"SELECT {', '.join(parts)}\nFROM {quote(relation)}", [])


def finite_stats_sql(relation: str, columns: Sequence[tuple[str, str]]) -> Query:
    """Per column: number, min and max of the *present* values (``(value_sql, ok_sql)`` pairs).

    One row ``(n_valid_1, min_1, max_1, n_valid_2, ...)``.
    """
    parts = []
    for value_sql, ok_sql in columns:
        parts += [
            f"count(*) FILTER (WHERE {ok_sql})",
            f"min({value_sql}) FILTER (WHERE {ok_sql})",
            f"max({value_sql}) FILTER (WHERE {ok_sql})",
        ]
    return Query(f"SELECT {', '.join(parts)}\nFROM {quote(relation)}", [])


@dataclass(frozen=True)
class GridBranch:
    """One (column, window) of a binned ECDF: value ``v`` goes to bin ``round((v - lo) * scale)``.

    ``lo``/``hi`` bound the present values of the column in BOTH windows (``ok_sql`` says
    which are present); the bins are the integers ``0 .. round((hi - lo) * scale)``.
    ``key`` names the column in the output and ``side`` the window (0 reference, 1 current).
    ``sums`` adds the sum of offsets (``y - b``), ``moments`` the sum of squared offsets.
    """

    key: int
    side: int
    relation: str
    value_sql: str
    ok_sql: str
    lo: float
    hi: float
    scale: float
    sums: bool = True
    moments: bool = False

    def positions(self) -> Query:
        """``y``, the value's position on the grid, for present values only."""
        v = self.value_sql
        return Query(
            f"SELECT ({v} - CAST(? AS DOUBLE)) * CAST(? AS DOUBLE) AS y\n"
            f"  FROM {quote(self.relation)}\n"
            f"  WHERE {self.ok_sql} AND {v} BETWEEN CAST(? AS DOUBLE) AND CAST(? AS DOUBLE)",
            [float(self.lo), float(self.scale), float(self.lo), float(self.hi)],
        )


def _bin_of(position_sql: str, bins: int) -> str:
    # Rounds to the nearest integer; the narrowest type keeps the aggregate's hash table small.
    return f"CAST({position_sql} AS {'USMALLINT' if bins <= 65536 else 'INTEGER'})"


def grid_counts_sql(branches: Sequence[GridBranch], bins: int) -> Query:
    """Per (column, window, bin): count, sum of offsets and of squared offsets.

    The offset of a value is ``y - b``, its grid position less its bin, in ``[-0.5, 0.5]``;
    offsets are summed for branches with ``sums`` only, squared offsets for branches with
    ``moments`` only (else 0: a count is much cheaper than a sum). Returns rows
    ``(col, side, b, n, s1, s2)`` for non-empty bins. ``bins`` is the largest bin number plus
    one. Branches keep present values only (their ``ok_sql``), all within ``[lo, hi]``.
    """
    parts = []
    params: list[Any] = []
    for br in branches:
        s1 = "sum(y - b)" if br.sums else "CAST(0 AS DOUBLE)"
        s2 = "sum((y - b) * (y - b))" if br.moments else "CAST(0 AS DOUBLE)"
        positions = br.positions()
        parts.append(
            f"SELECT {int(br.key)} AS col, {int(br.side)} AS side, b, count(*) AS n,"
            f" {s1} AS s1,\n  {s2} AS s2\n"
            f"FROM (SELECT y, {_bin_of('y', bins)} AS b FROM (\n  {positions.sql}\n) AS p) AS q\n"
            "GROUP BY b"
        )
        params += positions.params
    return Query("\nUNION ALL\n".join(parts), params)


def grid_refine_sql(
    branches: Sequence[GridBranch],
    candidates: Sequence[tuple[int, int, int, int]],
    totals: Mapping[int, tuple[int, int]],
    bins: int,
) -> Query:
    """The exact ECDF difference inside chosen bins of a grid (see :func:`grid_counts_sql`).

    ``candidates`` holds ``(col, b, base_ref, base_cur)``: the bin and, per window, the number
    of values in the bins before it *minus* those in earlier candidate bins of the column (so
    that base + the running count over the candidate bins' values, in order, is the count of
    values up to the current one); ``totals`` maps col to ``(n_ref, n_cur)``. The distinct
    positions ``y`` of the candidate bins are sorted per column and the ECDF difference
    ``g = F_ref - F_cur`` is evaluated after each one (ties included). The candidates are
    bound as lists (a long ``VALUES`` list costs more to parse than the query to run). The
    rows are ``(col, b, g_max, area, y_first)``: ``max |g|`` over the bin's values, the
    integral of ``|g|`` from the bin's first value to its upper edge ``b + 0.5`` (grid units),
    and that first position (below it ``g`` is the difference before the bin).
    """
    params: list[Any] = [
        [c for c, _, _, _ in candidates],
        [b for _, b, _, _ in candidates],
        [r for _, _, r, _ in candidates],
        [k for _, _, _, k in candidates],
        [totals[c][0] for c, _, _, _ in candidates],
        [totals[c][1] for c, _, _, _ in candidates],
    ]
    branch_sql = []
    for i, br in enumerate(branches):
        positions = br.positions()
        branch_sql.append(
            f"SELECT {int(br.key)} AS col, {int(br.side)} AS side, y, {_bin_of('y', bins)} AS b"
            f" FROM (\n  {positions.sql}\n  ) AS p{i}"
        )
        params += positions.params
    obs = "\n  UNION ALL\n  ".join(branch_sql)
    sql = (
        "WITH cand AS (\n"
        "  SELECT unnest(?::INTEGER[]) AS col, unnest(?::INTEGER[]) AS b,\n"
        "    unnest(?::BIGINT[]) AS base_ref, unnest(?::BIGINT[]) AS base_cur,\n"
        "    unnest(?::BIGINT[]) AS n_ref, unnest(?::BIGINT[]) AS n_cur\n"
        "),\n"
        f"obs AS (\n  {obs}\n),\n"
        "vals AS (\n"
        "  SELECT o.col, o.b, o.y,\n"
        "    count(*) FILTER (WHERE o.side = 0) AS c_ref,\n"
        "    count(*) FILTER (WHERE o.side = 1) AS c_cur\n"
        "  FROM obs AS o SEMI JOIN cand AS k ON o.col = k.col AND o.b = k.b\n"
        "  GROUP BY o.col, o.b, o.y\n"
        "),\n"
        "ecdf AS (\n"
        "  SELECT v.col, v.b, v.y,\n"
        "    CAST(k.base_ref + sum(v.c_ref) OVER w AS DOUBLE) / CAST(k.n_ref AS DOUBLE)\n"
        "      - CAST(k.base_cur + sum(v.c_cur) OVER w AS DOUBLE) / CAST(k.n_cur AS DOUBLE)\n"
        "      AS g,\n"
        # the next value, or the bin's upper edge b + 1/2 if it is in a later bin
        "    least(coalesce(lead(v.y) OVER w, CAST(v.b AS DOUBLE) + 0.5),\n"
        "      CAST(v.b AS DOUBLE) + 0.5) AS y_next\n"
        "  FROM vals AS v JOIN cand AS k ON v.col = k.col AND v.b = k.b\n"
        "  WINDOW w AS (PARTITION BY v.col ORDER BY v.y\n"
        "    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)\n"
        ")\n"
        "SELECT col, b, max(abs(g)) AS g_max, fsum(abs(g) * (y_next - y)) AS area,\n"
        "  min(y) AS y_first\n"
        "FROM ecdf\n"
        "GROUP BY col, b"
    )
    return Query(sql, params)


@dataclass(frozen=True)
class CategoryBranch:
    """One (column, window) of a category count: ``key`` names the column, ``side`` the window."""

    key: int
    side: int
    relation: str
    value_sql: str
    ok_sql: str


def category_counts_many_sql(branches: Sequence[CategoryBranch], cap: int) -> Query:
    """Counts per category and window for many columns (their values of one common type).

    Returns rows ``(col, v, c_ref, c_cur, n_categories)`` ordered by column and value; a column
    with more than ``cap`` categories returns one row only, its ``n_categories`` telling why.
    """
    parts = "\n  UNION ALL\n  ".join(
        f"SELECT {int(br.key)} AS col, {int(br.side)} AS side, {br.value_sql} AS v,"
        f" count(*) AS n\n  FROM {quote(br.relation)} WHERE {br.ok_sql} GROUP BY 3"
        for br in branches
    )
    return Query(
        f"WITH counts AS (\n  {parts}\n),\n"
        "cats AS (\n"
        "  SELECT col, v,\n"
        "    coalesce(sum(n) FILTER (WHERE side = 0), 0) AS c_ref,\n"
        "    coalesce(sum(n) FILTER (WHERE side = 1), 0) AS c_cur\n"
        "  FROM counts GROUP BY col, v\n"
        "),\n"
        "numbered AS (\n"
        "  SELECT *, count(*) OVER (PARTITION BY col) AS n_categories,\n"
        "    row_number() OVER (PARTITION BY col ORDER BY v) AS rn\n"
        "  FROM cats\n"
        ")\n"
        "SELECT col, v, c_ref, c_cur, n_categories FROM numbered\n"
        "WHERE n_categories <= CAST(? AS BIGINT) OR rn = 1\n"
        "ORDER BY col, v",
        [int(cap)],
    )
