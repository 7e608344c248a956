"""The labelled rows of a relation as cells: one per distinct (score, label, decision).

One ``GROUP BY`` in DuckDB turns any number of labelled rows into the few thousand cells the
metrics need (:class:`Cells`); every metric is then arithmetic over those cells in numpy, with
each cell weighted by its count. No row reaches Python. Values (the positive label, the
threshold) are bound as parameters; only the standard column names are written into the SQL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from govern.errors import GovernError
from govern.sql import quote

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection
    from numpy.typing import NDArray

__all__ = [
    "MISSING_GROUP",
    "Cells",
    "PerformanceInputError",
    "classification_cells",
    "present_sql",
    "regression_cells",
]


class PerformanceInputError(GovernError, ValueError):
    """The labelled rows cannot give the metric asked for (the message says why).

    Labels that are not binary for a classification metric, class labels for a regression
    metric, scores outside [0, 1] for a probability metric, records without a score or no
    labelled record. A ``ValueError`` and a :class:`~govern.errors.GovernError`.
    """


@dataclass(frozen=True, eq=False)
class Cells:
    """Labelled rows aggregated by distinct (score, label, decision), with their counts.

    Classification: ``label`` is 1 for the positive class and 0 otherwise, ``decision`` the
    predicted class (1/0; NaN when no decision was asked for) and ``score`` the score (NaN
    without a score column). Regression: ``label`` is the target, ``decision`` the predicted
    value and ``score`` unused (NaN). Sorted by score, then label, then decision. With a
    ``group`` column, each cell also has the group's value (text; :data:`MISSING_GROUP` for a
    record without one) and the cells are split by it too.
    """

    score: NDArray[np.float64]
    label: NDArray[np.float64]
    decision: NDArray[np.float64]
    count: NDArray[np.int64]
    group: NDArray[np.object_] | None = None

    @cached_property
    def n(self) -> int:
        """Rows behind the cells."""
        return int(self.count.sum())

    @cached_property
    def by_score(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Positives and negatives per distinct score, lowest score first.

        Ungrouped cells are sorted by score, so a distinct score is a run of equal scores: one
        linear pass (``numpy.add.reduceat`` over the run starts), no sort. Grouped cells
        (sorted by group first) are sorted by score here. Computed once per cells and shared
        by every ranking metric.
        """
        w = self.count.astype(np.float64)
        score, label = self.score, self.label
        if score.size == 0:
            empty = np.zeros(0, dtype=np.float64)
            return empty, empty
        if np.any(score[1:] < score[:-1]):
            order = np.argsort(score, kind="stable")
            score, label, w = score[order], label[order], w[order]
        positives = w * label
        change = score[1:] != score[:-1]
        if change.all():  # every score distinct: a cell per score
            return positives, w - positives
        starts = np.flatnonzero(np.concatenate(([True], change)))
        pos = np.add.reduceat(positives, starts)
        total = np.add.reduceat(w, starts)
        return pos, total - pos

    @cached_property
    def ranked(
        self,
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """Per distinct score, highest first: positives, negatives and running sums of both.

        The running sums are the positives and negatives at or above each score. Computed once
        and shared by roc_auc and average precision.
        """
        pos, neg = self.by_score
        pos, neg = pos[::-1], neg[::-1]
        return pos, neg, np.cumsum(pos), np.cumsum(neg)

    @cached_property
    def score_range(self) -> tuple[float, float] | None:
        """(lowest, highest) score; None when a cell has no score (NaN). Computed once."""
        if self.score.size == 0:
            return (0.0, 0.0)
        low, high = float(self.score.min()), float(self.score.max())
        return None if math.isnan(low) or math.isnan(high) else (low, high)

    @cached_property
    def confusion(self) -> tuple[float, float, float, float]:
        """(tp, fp, tn, fn) of the decisions, computed once per cells (NaN without them)."""
        w = self.count.astype(np.float64)
        y, d = self.label, self.decision
        yd = float(np.sum(w * y * d))
        ys, ds, n = float(np.sum(w * y)), float(np.sum(w * d)), float(w.sum())
        return yd, ds - yd, n - ys - ds + yd, ys - yd

    def with_counts(self, count: NDArray[np.int64]) -> Cells:
        """The same cells with other counts (a bootstrap resample)."""
        return Cells(self.score, self.label, self.decision, count, self.group)

    def by_group(self) -> list[tuple[str, Cells]]:
        """The cells of each group, groups sorted by name (empty without a group column)."""
        if self.group is None:
            return []
        out = []
        for name in sorted({str(g) for g in self.group}):
            inside = self.group == name
            out.append(
                (
                    name,
                    Cells(
                        self.score[inside],
                        self.label[inside],
                        self.decision[inside],
                        self.count[inside],
                    ),
                )
            )
        return out


#: The group of records without a value of the group column.
MISSING_GROUP = "(missing)"


def present_sql(column: str) -> str:
    """SQL: ``column`` has a value (NULL and NaN mean "not known yet", e.g. a pending label)."""
    c = quote(column)
    return f"({c} IS NOT NULL AND NOT coalesce(isnan(TRY_CAST({c} AS DOUBLE)), false))"


_NUMERIC = (
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
    "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "REAL", "DECIMAL",
)  # fmt: skip


def _types(con: DuckDBPyConnection, relation: str) -> dict[str, str]:
    rows = con.execute(f"DESCRIBE {quote(relation)}").fetchall()
    return {str(r[0]): str(r[1]).upper() for r in rows}


def _numeric(sql_type: str) -> bool:
    return sql_type.startswith(_NUMERIC)


def _distinct(con: DuckDBPyConnection, relation: str, column: str, where: str) -> list[Any]:
    """Up to three distinct values of ``column`` among the rows ``where`` holds."""
    c = quote(column)
    sql = f"SELECT DISTINCT {c} FROM {quote(relation)} WHERE {where} ORDER BY 1 LIMIT 3"
    return [r[0] for r in con.execute(sql).fetchall()]


def _positive(values: list[Any], pos_label: Any, what: str) -> Any:
    """The value of a binary column meaning positive (``None``: the column has none)."""
    if len(values) > 2:
        raise PerformanceInputError(
            f"the {what} are not binary: they hold more than two distinct values "
            f"(e.g. {values!r}); a classification metric needs two classes",
            hint="use a regression metric, or map the outcome to two values (e.g. 0/1)",
        )
    match = [v for v in values if v == pos_label]
    if len(values) == 2 and not match:
        raise PerformanceInputError(
            f"pos_label {pos_label!r} is not one of the values {values!r} of the {what}",
            hint="set the rule's pos_label to the value that means the positive class",
        )
    return match[0] if match else None


def _unscored(con: DuckDBPyConnection, relation: str, score: str, where: str) -> int:
    sql = f"SELECT count(*) FROM {quote(relation)} WHERE {where} AND NOT {present_sql(score)}"
    (missing,) = con.execute(sql).fetchall()[0]
    return int(missing)


def _grouping(group: str | None, params: list[Any]) -> tuple[str, str]:
    """(select item, order-by prefix) of the optional group column."""
    if group is None:
        return "", ""
    params.append(MISSING_GROUP)
    return f", coalesce(CAST({quote(group)} AS VARCHAR), ?) AS g", "g, "


def _fetch(con: DuckDBPyConnection, sql: str, params: list[Any], grouped: bool) -> Cells:
    got = con.execute(sql, params).fetchnumpy()
    return Cells(
        score=np.asarray(got["s"], dtype=np.float64),
        label=np.asarray(got["y"], dtype=np.float64),
        decision=np.asarray(got["d"], dtype=np.float64),
        count=np.asarray(got["n"], dtype=np.int64),
        group=np.asarray(got["g"], dtype=object) if grouped else None,
    )


#: Rows sampled to tell a log of few distinct scores (DuckDB groups them) from one of many
#: (the rows are sorted in numpy instead; see :func:`_sorted_cells`).
_SAMPLE = 10_000
#: Above this many distinct scores in the sample, the scores count as many.
_MANY = 2_000


def _many_scores(con: DuckDBPyConnection, relation: str, s: str, where: str) -> bool:
    """Whether the scores are mostly distinct (the first rows tell; either way is exact)."""
    sql = (
        f"SELECT count(DISTINCT s) FROM (SELECT {s} AS s FROM {quote(relation)} "
        f"WHERE {where} LIMIT {_SAMPLE})"
    )
    (distinct,) = con.execute(sql).fetchall()[0]
    return int(distinct) > _MANY


def _sorted_cells(
    con: DuckDBPyConnection, sql: str, params: list[Any], threshold: float | None
) -> Cells:
    """Cells of rows whose scores are mostly distinct, built in numpy from the fetched rows.

    A ``GROUP BY`` over about as many groups as rows, and DuckDB's sort of them, cost more
    than scikit-learn's own sort. Here the rows of each (label, decision) class are sorted
    apart (numpy's vectorised sort), the sorted runs are concatenated in class order and
    merged by a stable argsort (a merge of presorted runs), and a cell starts wherever the
    score or the class changes: the same cells, in the same order, as the ``GROUP BY``.
    A decision by ``threshold`` is computed here (``score >= threshold``), not fetched.
    """
    got = con.execute(sql, params).fetchnumpy()
    s = np.asarray(got["s"], dtype=np.float64)
    y = np.asarray(got["y"], dtype=np.int8)
    if threshold is not None:
        d = (s >= threshold).view(np.int8)
        decided = True
    else:
        given = np.asarray(got["d"], dtype=np.float64)
        decided = not np.isnan(given).any()
        d = given.astype(np.int8) if decided else y
    code = (y * np.int8(2) + d) if decided else y
    packed = _packed_cells(s, code, decided)
    if packed is not None:
        return packed
    runs = [np.sort(s[code == k]) for k in range(4)]
    merged = np.concatenate(runs)
    classes = np.repeat(np.arange(4, dtype=np.int8), [r.size for r in runs])
    del runs, s, y, d, code
    order = np.argsort(merged, kind="stable")
    merged, classes = merged[order], classes[order]
    del order
    change = np.empty(merged.size, dtype=bool)
    change[:1] = True
    np.not_equal(merged[1:], merged[:-1], out=change[1:])
    change[1:] |= classes[1:] != classes[:-1]
    starts = np.flatnonzero(change)
    counts = np.diff(np.append(starts, merged.size)).astype(np.int64)
    kind = classes[starts]
    return Cells(
        score=merged[starts],
        label=(kind // 2 if decided else kind).astype(np.float64),
        decision=(kind % 2).astype(np.float64) if decided else np.full(starts.size, np.nan),
        count=counts,
    )


def _packed_cells(s: NDArray[np.float64], code: NDArray[np.int8], decided: bool) -> Cells | None:
    """Cells of scores in [0, 2) by one sort of 64-bit keys: the score's bits, then the class.

    A double in [0, 2) has its sign bit and top exponent bit clear, so its bit pattern, read
    as an unsigned integer, orders as the score does and leaves two low bits free after a
    shift: ``bits << 2 | class`` sorts by score, then label, then decision, exactly as the
    ``GROUP BY`` orders its cells. One unstable sort of integers (vectorised in numpy) replaces
    the stable merge of :func:`_sorted_cells`; runs of equal keys are the cells. Other scores
    (negative, or 2 and above) return None and take the general path.
    """
    s = s + 0.0  # -0.0 becomes 0.0 (equal scores, one cell)
    if s.size == 0 or not (s.min() >= 0.0 and s.max() < 2.0):
        return None
    keys = (s.view(np.uint64) << np.uint64(2)) | code.astype(np.uint64)
    keys.sort()
    change = np.empty(keys.size, dtype=bool)
    change[:1] = True
    np.not_equal(keys[1:], keys[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    counts = np.diff(np.append(starts, keys.size)).astype(np.int64)
    first = keys[starts]
    kind = (first & np.uint64(3)).astype(np.int8)
    return Cells(
        score=(first >> np.uint64(2)).view(np.float64),
        label=(kind // 2 if decided else kind).astype(np.float64),
        decision=(kind % 2).astype(np.float64) if decided else np.full(starts.size, np.nan),
        count=counts,
    )


def classification_cells(
    con: DuckDBPyConnection,
    relation: str,
    *,
    label: str = "__label",
    score: str | None = "__score",
    prediction: str | None = None,
    threshold: float | None = None,
    pos_label: Any = 1,
    group: str | None = None,
) -> Cells:
    """The labelled rows of ``relation`` as classification cells.

    The label must hold at most two distinct values; ``pos_label`` (default 1, which also
    matches ``True``) is the positive one. The decision is the ``prediction`` column (its
    value equal to ``pos_label`` is positive) when given, else ``score >= threshold`` when a
    threshold is given, else absent. A labelled row without a score (NULL or NaN) is refused
    when a score column is given. ``group`` splits the cells by that column's values too
    (:meth:`Cells.by_group`). Raises :class:`PerformanceInputError`.
    """
    types = _types(con, relation)
    where = present_sql(label)
    rel = quote(relation)
    # one scan counts the labelled records, those without a score (a numeric score) and the
    # first three distinct labels
    unscored = "0"
    if score is not None and _numeric(types.get(score, "")):
        unscored = f"count(*) FILTER (WHERE NOT {present_sql(score)})"
    sql = (
        f"SELECT count(*), {unscored}, list_sort(list(DISTINCT {quote(label)}))[1:3] "
        f"FROM {rel} WHERE {where}"
    )
    labelled, missing, labels = con.execute(sql).fetchall()[0]
    if not labelled:
        raise PerformanceInputError("no record has a label", hint="ingest ground truth first")
    positive = _positive(list(labels), pos_label, "labels")
    params: list[Any] = []
    y = "0" if positive is None else f"CAST({quote(label)} = ? AS INTEGER)"
    if positive is not None:
        params.append(positive)
    if score is not None:
        if not _numeric(types.get(score, "")):
            raise PerformanceInputError(f"the score has type {types.get(score)}, not a number")
        if missing:
            raise PerformanceInputError(
                f"{missing} of {labelled} labelled records have no score (NULL or NaN)",
                hint="score every record, or leave the unscored ones out of the log",
            )
        s = f"CAST({quote(score)} AS DOUBLE)"
    else:
        s = "CAST('NaN' AS DOUBLE)"
    if prediction is not None:
        decided = _distinct(con, relation, prediction, where)
        if any(v is None for v in decided):
            raise PerformanceInputError("some labelled records have no prediction (NULL)")
        hit = _positive(decided, pos_label, "predictions")
        d = "0.0" if hit is None else f"CAST({quote(prediction)} = ? AS DOUBLE)"
        if hit is not None:
            params.append(hit)
    elif threshold is not None and score is not None:
        d = f"CAST({s} >= ? AS DOUBLE)"
        params.append(float(threshold))
    else:
        d = "CAST('NaN' AS DOUBLE)"
    if group is None and score is not None and _many_scores(con, relation, s, where):
        # a decision by threshold is computed in numpy: its parameter (the last) is not bound
        cut = float(threshold) if prediction is None and threshold is not None else None
        item, bound = ("", params[:-1]) if cut is not None else (f", {d} AS d", params)
        raw = f"SELECT {s} AS s, CAST({y} AS TINYINT) AS y{item} FROM {rel} WHERE {where}"
        return _sorted_cells(con, raw, bound, cut)
    g, order = _grouping(group, params)
    sql = (
        f"SELECT {s} AS s, CAST({y} AS DOUBLE) AS y, {d} AS d, count(*) AS n{g} "
        f"FROM {rel} WHERE {where} GROUP BY ALL ORDER BY {order}s, y, d"
    )
    return _fetch(con, sql, params, group is not None)


def regression_cells(
    con: DuckDBPyConnection,
    relation: str,
    *,
    label: str = "__label",
    prediction: str = "__prediction",
    group: str | None = None,
) -> Cells:
    """The labelled rows of ``relation`` as regression cells (target, predicted value).

    Both columns must be numbers; a label holding only the classes 0 and 1 (or booleans) is
    refused as class labels, and a labelled row without a prediction too. Raises
    :class:`PerformanceInputError`.
    """
    types = _types(con, relation)
    where = present_sql(label)
    rel = quote(relation)
    (labelled,) = con.execute(f"SELECT count(*) FROM {rel} WHERE {where}").fetchall()[0]
    if not labelled:
        raise PerformanceInputError("no record has a label", hint="ingest ground truth first")
    label_type = types.get(label, "")
    values = _distinct(con, relation, label, where)
    if not _numeric(label_type) or all(v in (0, 1) for v in values):
        shown = values if len(values) < 3 else [*values[:2], "..."]
        raise PerformanceInputError(
            f"the labels are class labels ({label_type}, values {shown!r}), not numeric "
            "targets; a regression metric needs numbers",
            hint="use a classification metric such as accuracy or roc_auc for a classifier",
        )
    if not _numeric(types.get(prediction, "")):
        raise PerformanceInputError(
            f"the predicted value has type {types.get(prediction)}, not a number"
        )
    missing = _unscored(con, relation, prediction, where)
    if missing:
        raise PerformanceInputError(
            f"{missing} of {labelled} labelled records have no predicted value (NULL or NaN)"
        )
    params: list[Any] = []
    g, order = _grouping(group, params)
    sql = (
        f"SELECT CAST('NaN' AS DOUBLE) AS s, CAST({quote(label)} AS DOUBLE) AS y, "
        f"CAST({quote(prediction)} AS DOUBLE) AS d, count(*) AS n{g} "
        f"FROM {rel} WHERE {where} GROUP BY ALL ORDER BY {order}y, d"
    )
    return _fetch(con, sql, params, group is not None)
