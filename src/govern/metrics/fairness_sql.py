"""Every SQL aggregate behind :mod:`govern.metrics.fairness`, as text over one named relation.

Each builder returns one SQL statement that reads a relation (a table or view name) and
returns a handful of rows: column types, missing-value counts, the few distinct values of a
label column, confusion counts per group, or the counts of an LL144 table. No statement
returns data rows, so the same text can run where a team's logs live (DuckDB here, Spark on a
cluster) and only the small aggregates travel back.

Identifiers are double-quoted (ANSI) by :func:`govern.sql.quote`; values from the data (the
positive label, unknown categories) are never written into the text: the builders of
statements that need them return the SQL with named parameters (``$prediction_positive``,
``$unknown_0``) and the values to bind. Every count is ``sum(CASE WHEN ... THEN 1 ELSE 0 END)``
rather than DuckDB's ``count(*) FILTER (...)``.

Dialect notes, for running the text elsewhere than DuckDB: Spark SQL needs
``spark.sql.ansi.doubleQuotedIdentifiers=true``, ``DESCRIBE QUERY`` instead of ``DESCRIBE``,
``percentile`` instead of ``quantile_cont`` (both interpolate linearly) and ``isnan`` is the
same; ``GROUPING SETS``, ``GROUPING()`` and ``CASE`` are standard.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from govern.sql import quote

__all__ = [
    "GroupCountsQuery",
    "describe_sql",
    "distinct_values_sql",
    "group_counts_sql",
    "ll144_counts_sql",
    "missing_counts_sql",
    "missing_predicate",
    "sensitive_key_sql",
]

Params: TypeAlias = dict[str, Any]
"""Values to bind to a statement's named parameters (``$name``)."""

_FLOAT_TYPES = frozenset({"FLOAT", "DOUBLE", "REAL", "FLOAT4", "FLOAT8"})
_TEXT_TYPES = frozenset({"VARCHAR", "TEXT", "STRING", "CHAR", "BPCHAR"})


def is_floating(sql_type: str) -> bool:
    """True for floating-point SQL types, the only ones that can hold NaN."""
    return sql_type.upper() in _FLOAT_TYPES


def is_text(sql_type: str) -> bool:
    """True for character types, whose empty string counts as a missing sensitive value."""
    return sql_type.upper().split("(")[0] in _TEXT_TYPES


def missing_predicate(column_sql: str, *, floating: bool, text: bool = False) -> str:
    """SQL that is true when the value is missing: NULL, or NaN, or the empty string.

    NaN for float columns (``floating``); the empty string with ``text`` (sensitive values of
    a character column).
    """
    parts = [f"{column_sql} IS NULL"]
    if floating:
        parts.append(f"isnan({column_sql})")
    if text:
        parts.append(f"{column_sql} = ''")
    return "(" + " OR ".join(parts) + ")"


def sensitive_key_sql(column: str, sql_type: str | None) -> str:
    """SQL for a sensitive value, NULL when it is missing (see :func:`missing_predicate`).

    ``sql_type`` ``None`` keeps the column as it is (only NULL is missing).
    """
    col = quote(column)
    if sql_type is None or not (is_floating(sql_type) or is_text(sql_type)):
        return col
    pred = missing_predicate(col, floating=is_floating(sql_type), text=is_text(sql_type))
    return f"CASE WHEN {pred} THEN NULL ELSE {col} END"


def describe_sql(relation: str, columns: Sequence[str]) -> str:
    """The name and SQL type of each column: rows ``(column_name, column_type, ...)``."""
    cols = ", ".join(quote(c) for c in columns)
    return f"DESCRIBE SELECT {cols} FROM {quote(relation)}"


def missing_counts_sql(relation: str, columns: Mapping[str, bool], text: Sequence[str] = ()) -> str:
    """One row: the number of rows, then the number of missing values of each column.

    ``columns`` maps a column name to whether it is floating-point (so NaN counts as missing);
    in the columns named in ``text`` the empty string is missing too (sensitive values).
    Returns ``(n_rows, m0, m1, ...)`` in the mapping's order.
    """
    parts = ["count(*) AS n_rows"]
    for i, (name, floating) in enumerate(columns.items()):
        pred = missing_predicate(quote(name), floating=floating, text=name in text)
        parts.append(f"sum(CASE WHEN {pred} THEN 1 ELSE 0 END) AS m{i}")
    return "SELECT " + ",\n  ".join(parts) + f"\nFROM {quote(relation)}"


def distinct_values_sql(relation: str, column: str, *, limit: int = 3) -> str:
    """Up to ``limit`` distinct non-NULL values of a column, sorted: enough to judge binarity."""
    col = quote(column)
    return (
        f"SELECT DISTINCT {col} AS v FROM {quote(relation)}\n"
        f"WHERE {col} IS NOT NULL\nORDER BY 1\nLIMIT {int(limit)}"
    )


@dataclass(frozen=True)
class GroupCountsQuery:
    """What :func:`group_counts_sql` needs: columns, positive values, grouping sets.

    ``keys`` are the grouping columns (controls first, then sensitive features) and
    ``grouping_sets`` lists subsets of them. ``label_positive`` and ``prediction_positive`` are
    the values meaning positive (bound as parameters), or ``None`` when no row can be positive
    (the predicate becomes ``FALSE``). ``label`` and ``score`` may be
    ``None``: the label cells then count nothing and the score sum is NULL.

    ``key_types`` lists (key column, SQL type) pairs whose missing values become NULL keys
    (:func:`sensitive_key_sql`): a grouping set then returns them as a group whose value is
    NULL, told apart from a rolled-up key by ``GROUPING()``.
    """

    relation: str
    keys: tuple[str, ...]
    grouping_sets: tuple[tuple[str, ...], ...]
    prediction: str
    prediction_positive: Any
    label: str | None = None
    label_positive: Any = None
    score: str | None = None
    key_types: tuple[tuple[str, str], ...] = ()


def _is_positive(column: str, value: Any, name: str, params: Params) -> str:
    """SQL: the column holds ``value`` (bound as ``$name``); ``FALSE`` when it is ``None``."""
    if value is None:
        return "FALSE"
    params[name] = value
    return f"({quote(column)} = ${name})"


def group_counts_sql(q: GroupCountsQuery) -> tuple[str, Params]:
    """Confusion counts per group for every grouping set, in one scan: SQL and its parameters.

    Returns one row per (grouping set, group) with columns ``g0..gk`` (``GROUPING()`` of each
    key: 1 when the key is rolled up in that row's set), ``k0..kk`` (the key values), then
    ``n, tp, fp, tn, fn, label_positive, predicted_positive, score_sum, score_n``. Only
    non-empty groups come back; empty intersections are the caller's business.
    """
    if not q.keys:
        raise ValueError("group_counts_sql needs at least one key column or an empty set")
    types = dict(q.key_types)
    params: Params = {}
    inner = [
        f"{sensitive_key_sql(k, types[k]) if k in types else quote(k)} AS k{i}"
        for i, k in enumerate(q.keys)
    ]
    inner.append(
        f"{_is_positive(q.prediction, q.prediction_positive, 'prediction_positive', params)} AS p"
    )
    if q.label is None:
        inner.append("CAST(NULL AS BOOLEAN) AS y")
    else:
        inner.append(f"{_is_positive(q.label, q.label_positive, 'label_positive', params)} AS y")
    if q.score is None:
        inner.append("CAST(NULL AS DOUBLE) AS s")
    else:
        inner.append(f"CAST({quote(q.score)} AS DOUBLE) AS s")
    index = {k: i for i, k in enumerate(q.keys)}
    sets = ", ".join("(" + ", ".join(f"k{index[k]}" for k in s) + ")" for s in q.grouping_sets)
    outer = [f"GROUPING(k{i}) AS g{i}" for i in range(len(q.keys))]
    outer += [f"k{i}" for i in range(len(q.keys))]
    outer += [
        "count(*) AS n",
        "sum(CASE WHEN y AND p THEN 1 ELSE 0 END) AS tp",
        "sum(CASE WHEN (NOT y) AND p THEN 1 ELSE 0 END) AS fp",
        "sum(CASE WHEN (NOT y) AND (NOT p) THEN 1 ELSE 0 END) AS tn",
        "sum(CASE WHEN y AND (NOT p) THEN 1 ELSE 0 END) AS fn",
        "sum(CASE WHEN y THEN 1 ELSE 0 END) AS label_positive",
        "sum(CASE WHEN p THEN 1 ELSE 0 END) AS predicted_positive",
        "sum(s) AS score_sum",
        "count(s) AS score_n",
    ]
    sql = (
        "SELECT "
        + ",\n  ".join(outer)
        + "\nFROM (\n  SELECT "
        + ",\n    ".join(inner)
        + f"\n  FROM {quote(q.relation)}\n) AS base\n"
        f"GROUP BY GROUPING SETS ({sets})"
    )
    return sql, params


def _known(column: str, unknown: Sequence[str], params: Params, sql_type: str | None = None) -> str:
    """SQL: the column's value, or NULL when it is one of the unknown values or missing.

    ``unknown`` names the parameters (in ``params``) holding the unknown values. Missing is
    what :func:`sensitive_key_sql` says (NULL; NaN; the empty string of a character column)
    when ``sql_type`` is given, else NULL only.
    """
    col = quote(column)
    present = sensitive_key_sql(column, sql_type)
    if not unknown:
        return present
    listed = ", ".join(f"${name}" for name in unknown)
    if all(isinstance(params[name], str) for name in unknown):
        test = f"CAST({col} AS VARCHAR) IN ({listed})"
    else:
        test = f"{col} IN ({listed})"
    return f"CASE WHEN {test} THEN NULL ELSE {present} END"


def ll144_counts_sql(
    relation: str,
    *,
    dimensions: Sequence[str],
    unknown_values: Sequence[Any],
    prediction: str | None = None,
    prediction_positive: Any = None,
    score: str | None = None,
    types: Mapping[str, str] | None = None,
) -> tuple[str, Params]:
    """Counts for an LL144 bias-audit table: per category of each dimension and their crossing.

    Exactly one of ``prediction`` (selection: ``prediction = $prediction_positive``) and
    ``score`` (scoring: ``score >`` the median score of the whole sample, interpolated as
    ``quantile_cont(score, 0.5)``) is given. Unknown categories (listed values, or missing
    ones: NULL, and by ``types`` NaN or the empty string) become NULL keys, so each grouping
    set returns them as a NULL group.

    Returns the SQL and its parameters (the positive value, the unknown values); the rows are
    ``(g0..gk, k0..kk, n, selected, median_score)``: one per category of each dimension alone,
    of all dimensions crossed (if more than one), and one overall row.
    """
    if (prediction is None) == (score is None):
        raise ValueError("give exactly one of prediction and score")
    kinds = types or {}
    params: Params = {}
    unknown = []
    for i, value in enumerate(v for v in unknown_values if v is not None):
        params[f"unknown_{i}"] = value
        unknown.append(f"unknown_{i}")
    keys = [f"{_known(d, unknown, params, kinds.get(d))} AS k{i}" for i, d in enumerate(dimensions)]
    if prediction is not None:
        outcome = _is_positive(prediction, prediction_positive, "prediction_positive", params)
        med = "CAST(NULL AS DOUBLE) AS m"
        median_cte = f"SELECT {med}"
    else:
        assert score is not None
        outcome = f"(CAST({quote(score)} AS DOUBLE) > med.m)"
        median_cte = (
            f"SELECT quantile_cont(CAST({quote(score)} AS DOUBLE), 0.5) AS m FROM {quote(relation)}"
        )
    idx = range(len(dimensions))
    sets = [f"(k{i})" for i in idx]
    if len(dimensions) > 1:
        sets.append("(" + ", ".join(f"k{i}" for i in idx) + ")")
    sets.append("()")
    outer = [f"GROUPING(k{i}) AS g{i}" for i in idx] + [f"k{i}" for i in idx]
    outer += [
        "count(*) AS n",
        "sum(CASE WHEN sel THEN 1 ELSE 0 END) AS selected",
        "max(m) AS median_score",
    ]
    sql = (
        f"WITH med AS ({median_cte}),\n"
        "base AS (\n  SELECT "
        + ",\n    ".join([*keys, f"{outcome} AS sel", "med.m AS m"])
        + f"\n  FROM {quote(relation)} CROSS JOIN med\n)\n"
        "SELECT " + ",\n  ".join(outer) + "\nFROM base\n"
        f"GROUP BY GROUPING SETS ({', '.join(sets)})"
    )
    return sql, params
