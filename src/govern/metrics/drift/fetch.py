"""Run the drift queries of :mod:`govern.metrics.drift.sql` and return typed aggregates.

Each function runs one statement on the connection it is given and turns its few rows into
the values of :mod:`~.aggregates` (or plain numbers); none computes a statistic. A function
may run on a parallel cursor (:mod:`~.runner`), so it touches no shared state.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import numpy as np

from govern.metrics.drift import sql as q
from govern.metrics.drift.aggregates import (
    BinExact,
    Categories,
    FloatArray,
    Grid,
    GridCounts,
    Profile,
    WindowStats,
)
from govern.metrics.drift.ks import candidate_bases
from govern.metrics.drift.plan import Column, Unreadable
from govern.sql import quote

__all__ = [
    "GridJob",
    "RefineJob",
    "category_counts",
    "category_counts_many",
    "column_types",
    "ecdf_summary",
    "finite_stats",
    "grid_counts",
    "histogram",
    "one",
    "profile",
    "quantiles",
    "reference_moments",
    "refine",
    "window_stats",
]

Con = duckdb.DuckDBPyConnection
#: A gridded column of a grid statement: its sides, grid and first-round stats per window.
GridJob = tuple[tuple[q.Side, q.Side], Grid, tuple[WindowStats, WindowStats]]
#: A column of a refine statement: its sides, grid, counts and candidate bins.
RefineJob = tuple[tuple[q.Side, q.Side], Grid, GridCounts, Sequence[int]]


def one(con: Con, query: q.Query) -> tuple[Any, ...]:
    """The single row of ``query``, its result consumed.

    DuckDB refuses other work on a connection whose last result is not fully fetched.
    """
    rows = con.execute(query.sql, query.params or None).fetchall()
    assert len(rows) == 1, query.sql
    return tuple(rows[0])


def plain(value: Any) -> Any:
    """A category as a JSON-friendly value (dates and other types become text)."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    return str(value)


def column_types(con: Con, relation: str) -> dict[str, str] | Unreadable:
    """Column names and types of ``relation``, or why it cannot be read."""
    query = q.describe_sql(relation)
    try:
        rows = con.execute(query.sql).fetchall()
    except duckdb.Error as e:  # no such relation, or its files are gone: the caller's input
        return Unreadable(relation, str(e))
    return {str(r[0]): str(r[1]) for r in rows}


def window_stats(
    con: Con, relation: str, columns: Sequence[tuple[Column, str]]
) -> tuple[int, list[tuple[int, Any, Any]]]:
    """Rows of ``relation`` and, per ``(column, name)``: non-NULL count, min and max."""
    row = one(con, q.window_stats_sql(relation, [(quote(n), c.numeric) for c, n in columns]))
    out: list[tuple[int, Any, Any]] = []
    pos = 1
    for col, _ in columns:
        if col.numeric:
            out.append((int(row[pos]), row[pos + 1], row[pos + 2]))
            pos += 3
        else:
            out.append((int(row[pos]), None, None))
            pos += 1
    return int(row[0]), out


def finite_stats(con: Con, sides: Sequence[q.Side]) -> list[tuple[int, float | None, float | None]]:
    """Per side (all of one relation): present values, their finite min and max."""
    row = one(con, q.finite_stats_sql(sides[0].relation, [(s.value_sql, s.ok_sql) for s in sides]))
    out: list[tuple[int, float | None, float | None]] = []
    for k in range(len(sides)):
        valid = int(row[3 * k])
        lo, hi = row[3 * k + 1], row[3 * k + 2]
        out.append((valid, float(lo) if valid else None, float(hi) if valid else None))
    return out


def profile(con: Con, ref: q.Side, cur: q.Side) -> Profile:
    """The exact profile of one column (``profile_sql``)."""
    rows = con.execute(*q.profile_sql(ref, cur)).fetchall()
    by_side: dict[int | None, tuple[Any, ...]] = {r[0]: r for r in rows}
    empty = (None, 0, 0, 0, None, None)
    r0, r1, both = by_side.get(0, empty), by_side.get(1, empty), by_side.get(None, empty)
    return Profile(
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


def grid_counts(con: Con, part: Sequence[GridJob], sums: bool) -> list[GridCounts]:
    """The grid pass of several numeric columns in one statement (``grid_counts_sql``)."""
    branches = []
    for key, ((ref, cur), g, windows) in enumerate(part):
        for side, w, s in ((0, windows[0], ref), (1, windows[1], cur)):
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
    size = max(g.bins for _, g, _ in part)
    out: dict[str, Any] = {}
    if branches:
        # The relation API converts to NumPy without the DB-API result copy.
        query = q.grid_counts_sql(branches, size)
        out = con.sql(query.sql, params=query.params).fetchnumpy()
    cols = np.asarray(out.get("col", np.zeros(0)), dtype=np.int64)
    sides = np.asarray(out.get("side", np.zeros(0)), dtype=np.int64)
    b = np.asarray(out.get("b", np.zeros(0)), dtype=np.int64)
    n = np.asarray(out.get("n", np.zeros(0)), dtype=np.int64)
    s1 = np.asarray(out.get("s1", np.zeros(0)), dtype=np.float64)
    s2 = np.asarray(out.get("s2", np.zeros(0)), dtype=np.float64)
    result: list[GridCounts] = []
    for key, (_, g, _) in enumerate(part):
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
        result.append(GridCounts(n_ref, n_cur, s1_ref, s1_cur, s2_ref, sums))
    return result


def category_counts_many(
    con: Con, group: Sequence[tuple[q.Side, q.Side]], cap: int
) -> list[Categories]:
    """Category counts of several columns (values of one type) in one statement."""
    branches = [
        q.CategoryBranch(key, side, s.relation, s.value_sql, s.ok_sql)
        for key, sides in enumerate(group)
        for side, s in enumerate(sides)
    ]
    rows = con.execute(*q.category_counts_many_sql(branches, cap)).fetchall()
    found: dict[int, list[tuple[Any, ...]]] = {}
    for r in rows:
        found.setdefault(int(r[0]), []).append(tuple(r))
    out: list[Categories] = []
    for key in range(len(group)):
        mine = found.get(key, [])
        total = int(mine[0][4]) if mine else 0
        if total > cap:
            out.append(Categories([], np.zeros(0), np.zeros(0), total))
            continue
        out.append(
            Categories(
                [plain(r[1]) for r in mine],
                np.array([float(r[2]) for r in mine], dtype=np.float64),
                np.array([float(r[3]) for r in mine], dtype=np.float64),
                total,
            )
        )
    return out


def category_counts(con: Con, ref: q.Side, cur: q.Side) -> tuple[list[Any], FloatArray, FloatArray]:
    """Keys and counts per category of one column (``category_counts_sql``)."""
    rows = con.execute(*q.category_counts_sql(ref, cur)).fetchall()
    keys = [plain(r[0]) for r in rows]
    c_ref = np.array([float(r[1]) for r in rows], dtype=np.float64)
    c_cur = np.array([float(r[2]) for r in rows], dtype=np.float64)
    return keys, c_ref, c_cur


def histogram(
    con: Con, ref: q.Side, cur: q.Side, interior: Sequence[float], *, right_closed: bool
) -> tuple[FloatArray, FloatArray]:
    """Counts per bin and window for the bins cut at ``interior`` (``histogram_sql``)."""
    rows = con.execute(*q.histogram_sql(ref, cur, interior, right_closed=right_closed)).fetchall()
    c_ref = np.zeros(len(interior) + 1, dtype=np.float64)
    c_cur = np.zeros(len(interior) + 1, dtype=np.float64)
    for b, r, c in rows:
        c_ref[int(b)] = float(r)
        c_cur[int(b)] = float(c)
    return c_ref, c_cur


def quantiles(con: Con, ref: q.Side, cur: q.Side, probabilities: Sequence[float]) -> list[float]:
    """Reference quantiles at ``probabilities`` (``quantiles_sql``)."""
    row = one(con, q.quantiles_sql(ref, cur, probabilities))
    return [float(x) for x in row[0]]


def ecdf_summary(con: Con, ref: q.Side, cur: q.Side) -> tuple[float, float, int]:
    """Exact KS D, W1 and the number of distinct values (``ecdf_summary_sql``)."""
    row = one(con, q.ecdf_summary_sql(ref, cur))
    return float(row[0]), float(row[1] or 0.0), int(row[4])


def reference_moments(con: Con, ref: q.Side, cur: q.Side) -> tuple[float, float]:
    """Mean and population std of the reference (``reference_moments_sql``)."""
    row = one(con, q.reference_moments_sql(ref, cur))
    return float(row[0]), float(row[1])


def refine(con: Con, part: Sequence[RefineJob]) -> list[dict[int, BinExact]]:
    """The candidate bins of several columns evaluated exactly, in one statement."""
    branches: list[q.GridBranch] = []
    candidates: list[tuple[int, int, int, int]] = []
    totals: dict[int, tuple[int, int]] = {}
    for key, ((ref, cur), g, c, chosen) in enumerate(part):
        for side, s in ((0, ref), (1, cur)):
            branches.append(
                q.GridBranch(key, side, s.relation, s.value_sql, s.ok_sql, g.lo, g.hi, g.scale)
            )
        candidates += [(key, b, x, y) for b, x, y in candidate_bases(c, chosen)]
        totals[key] = (c.ref_valid, c.cur_valid)
    size = max(g.bins for _, g, _, _ in part)
    rows = con.execute(*q.grid_refine_sql(branches, candidates, totals, size)).fetchall()
    found: list[dict[int, BinExact]] = [{} for _ in part]
    for key, b, g_max, area, y_first in rows:
        found[int(key)][int(b)] = BinExact(float(g_max), float(area), float(y_first))
    return found
