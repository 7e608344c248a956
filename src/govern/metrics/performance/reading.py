"""Cells of the labelled rows of a DuckDB relation, for classification or regression.

One ``GROUP BY`` in DuckDB turns any number of labelled rows into the few thousand cells the
metrics need. Rows whose scores are nearly all distinct would make as many cells as rows:
those are fetched once (the score and the label coded 0/1) and kept as sorted 64-bit keys
(:class:`~govern.metrics.performance.sorted_rows.SortedRows`). Values (the positive label,
the threshold) are bound as parameters; only the standard column names are written into the
SQL.

Which way a log takes: an ungrouped log with a score and a numeric or boolean label
(:func:`_fetched_rows`) reads the label's count and range, then fetches the rows (up to
:data:`_FETCH` labelled records, or more when a sample of scores shows them mostly distinct)
or groups them in DuckDB; any other log (a group column, a prediction column, text labels,
labels that are not two values) takes the general path, which also says what is wrong.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from govern.metrics.performance.cells import MISSING_GROUP, Cells, PerformanceInputError
from govern.metrics.performance.sorted_rows import SortedRows, spans
from govern.sql import FLOAT_TYPES, INTEGER_TYPES, present_sql, quote

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection
    from numpy.typing import NDArray

__all__ = ["classification_cells", "regression_cells"]

_NUMERIC = (*INTEGER_TYPES, *FLOAT_TYPES, "DECIMAL")


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


def _refuse_unscored(missing: int, labelled: int) -> None:
    if missing:
        raise PerformanceInputError(
            f"{missing} of {labelled} labelled records have no score (NULL or NaN)",
            hint="score every record, or leave the unscored ones out of the log",
        )


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
#: (the rows are sorted in numpy instead; see :func:`_row_cells`).
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


def _row_cells(s: NDArray[np.float64], code: NDArray[np.int8], decided: bool) -> Cells:
    """Cells of fetched rows whose scores are mostly distinct, sorted in numpy.

    ``code`` is each row's class, ``2 * label + decision`` (the decision 0 when there is
    none). ``s`` is consumed: its memory may become the keys. A ``GROUP BY`` over about as
    many groups as rows, and DuckDB's sort of them, cost more than scikit-learn's own sort.
    Scores in [0, 2) (every probability) sort as 64-bit keys (:class:`SortedRows`). Other
    scores: the rows of each class are sorted apart (numpy's vectorised sort), the sorted
    runs are concatenated in class order and merged by a stable argsort (a merge of
    presorted runs), and a cell starts wherever the score or the class changes: the same
    cells, in the same order, as the ``GROUP BY``.
    """
    packed = _packed_rows(s, code, decided)
    if packed is not None:
        return packed
    runs = [np.sort(s[code == k]) for k in range(4)]
    merged = np.concatenate(runs)
    classes = np.repeat(np.arange(4, dtype=np.int8), [r.size for r in runs])
    del runs
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
        label=(kind // 2).astype(np.float64),
        decision=(kind % 2).astype(np.float64) if decided else np.full(starts.size, np.nan),
        count=counts,
    )


def _coded(label: NDArray[np.int8], decision: NDArray[np.int8] | None) -> NDArray[np.int8]:
    """Each row's class ``2 * label + decision`` (label and decision 0/1; no decision: 0)."""
    code = label * np.int8(2)
    if decision is not None:
        code += decision
    return code


def _distinct_in(values: NDArray[np.float64]) -> int:
    """Distinct values in a small sample (a sort and a comparison: no hashing)."""
    ordered = np.sort(values)
    return int(np.count_nonzero(ordered[1:] != ordered[:-1])) + int(ordered.size > 0)


def _packed_rows(s: NDArray[np.float64], code: NDArray[np.int8], decided: bool) -> Cells | None:
    """Rows of scores in [0, 2) as sorted keys: the score's bits, then the class.

    A double in [0, 2) has its sign bit and top exponent bit clear, so its bit pattern, read
    as an unsigned integer, orders as the score does and leaves two low bits free after a
    shift: ``bits << 2 | class`` sorts by score, then label, then decision, exactly as the
    ``GROUP BY`` orders its cells. The keys are made in the scores' own memory (``s`` is
    consumed) and sorted in place: one unstable sort of integers (vectorised in numpy), and
    no new array as large as the rows. Other scores (negative, or 2 and above) return None,
    ``s`` untouched, and take the general path.
    """
    if s.size == 0 or not (s.min() >= 0.0 and s.max() < 2.0):
        return None
    many = _distinct_in(s[:_SAMPLE]) > _MANY
    keys, classes = s.view(np.uint64), code.view(np.uint8)
    for a, b in spans(s.size):  # a step at a time, while the step is in cache
        np.add(s[a:b], 0.0, out=s[a:b])  # + 0.0: -0.0 is 0.0 (one cell)
        np.left_shift(keys[a:b], np.uint64(2), out=keys[a:b])
        np.bitwise_or(keys[a:b], classes[a:b], out=keys[a:b])
    keys.sort()
    rows = SortedRows(keys, decided)
    return rows if many else Cells(*rows.cells())  # few distinct scores: the cells are few


#: Up to this many labelled records, a log without a group is fetched and sorted in numpy
#: whatever its scores (a few distinct scores sort fast too); above it, a log of few
#: distinct scores is grouped by DuckDB instead, which needs no memory per record.
_FETCH = 2_000_000


def _fetched_rows(
    con: DuckDBPyConnection,
    relation: str,
    types: dict[str, str],
    label: str,
    score: str,
    threshold: float | None,
    pos_label: Any,
) -> Cells | None:
    """Cells of an ungrouped log with a numeric or boolean label, in as few scans as can be.

    One statement reads the label's count, lowest and highest value (from DuckDB's
    statistics where it can); a second either fetches each labelled record's score and
    label (:func:`_labelled_rows`), to be sorted in numpy with the decision by threshold
    (:func:`_row_cells`), or, for a large log of few distinct scores, groups them in DuckDB.
    None when the labels are not two values of which ``pos_label`` is one: the general path
    then says why.
    """
    kind = types.get(label, "")
    if not kind.startswith((*INTEGER_TYPES, *FLOAT_TYPES, "BOOLEAN")):
        return None
    where = present_sql(label, kind)
    rel, c = quote(relation), quote(label)
    row = con.execute(f"SELECT count({c}), min({c}), max({c}) FROM {rel} WHERE {where}")
    labelled, low, high = row.fetchall()[0]
    if not labelled:
        raise PerformanceInputError("no record has a label", hint="ingest ground truth first")
    values = [low] if low == high else [low, high]
    positive = next((v for v in values if v == pos_label), None)
    if len(values) == 2 and positive is None:
        return None
    other = next((v for v in values if v != positive), None)
    s = f"coalesce(CAST({quote(score)} AS DOUBLE), 'NaN'::DOUBLE)"
    y = f"CASE WHEN {c} = ? THEN 1 WHEN {c} = ? THEN 0 ELSE 2 END"
    if labelled > _FETCH and not _many_scores(con, relation, s, where):
        params: list[Any] = [positive, other]
        d = "CAST('NaN' AS DOUBLE)"
        if threshold is not None:
            d = f"CAST({s} >= ? AS DOUBLE)"
            params.append(threshold)
        sql = (
            f"SELECT {s} AS s, CAST({y} AS DOUBLE) AS y, {d} AS d, count(*) AS n "
            f"FROM {rel} WHERE {where} GROUP BY ALL ORDER BY s, y, d"
        )
        cells = _fetch(con, sql, params, False)
        if cells.size and cells.label.max() > 1:  # a third value between the two: not binary
            return None
        _refuse_unscored(int(cells.count[np.isnan(cells.score)].sum()), int(labelled))
        return cells
    scores, labels = _labelled_rows(
        con, rel, where, (quote(score), types.get(score, "")), (c, kind), (positive, other)
    )
    if labels.max(initial=0) > 1:  # a third value between the two: not binary
        return None
    if scores.size and np.isnan(scores.min()):  # the lowest is NaN only if some score is
        _refuse_unscored(int(np.count_nonzero(np.isnan(scores))), int(labelled))
    return _row_cells(scores, _coded_over(labels, scores, threshold), threshold is not None)


def _coded_over(
    label: NDArray[np.int8], score: NDArray[np.float64], threshold: float | None
) -> NDArray[np.int8]:
    """:func:`_coded` with the decision ``score >= threshold``, written over ``label``."""
    np.left_shift(label, 1, out=label)
    if threshold is not None:
        for a, b in spans(label.size):  # no decision array as long as the rows
            label[a:b] += score[a:b] >= threshold
    return label


def _no_value_between(kind: str, positive: Any, other: Any | None) -> bool:
    """Whether labels of this type can hold no third value between these two (or one)."""
    if other is None or kind == "BOOLEAN":
        return True
    return kind.startswith(INTEGER_TYPES) and abs(other - positive) <= 1


def _labelled_rows(
    con: DuckDBPyConnection,
    rel: str,
    where: str,
    score: tuple[str, str],
    label: tuple[str, str],
    values: tuple[Any, Any | None],
) -> tuple[NDArray[np.float64], NDArray[np.int8]]:
    """(score, label) of the labelled records: NaN for a missing score; 1 positive, 0 negative.

    ``score`` and ``label`` are (quoted column, DuckDB type); ``values`` the positive label
    value (None when no record is positive) and the other one. The statement is kept as
    cheap per row as it can be, since it runs over every record: the score as stored when it
    is a DOUBLE, and, when no third value can lie between the two (booleans, or integers one
    apart), the label as one comparison; otherwise a ``CASE`` codes a third value as 2.
    """
    (s, s_type), (c, kind) = score, label
    positive, other = values
    item = s if s_type == "DOUBLE" else f"CAST({s} AS DOUBLE)"
    if positive is None:
        y, params = "CAST(0 AS TINYINT)", []
    elif _no_value_between(kind, positive, other):
        y, params = f"CAST({c} = ? AS TINYINT)", [positive]
    else:
        y = f"CAST(CASE WHEN {c} = ? THEN 1 WHEN {c} = ? THEN 0 ELSE 2 END AS TINYINT)"
        params = [positive, other]
    got = con.execute(f"SELECT {item} AS s, {y} AS y FROM {rel} WHERE {where}", params).fetchnumpy()
    scores: Any = got["s"]
    # NULL scores come as a masked array: missing, as NaN ones. It is told apart by its type,
    # not ``np.ma``: numpy imports ``numpy.ma`` on first use (10 ms), a cost that a log
    # without NULL scores need not pay.
    if type(scores) is not np.ndarray:
        scores = scores.filled(np.nan)
    return np.asarray(scores, dtype=np.float64), np.asarray(got["y"], dtype=np.int8)


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
    score_type = types.get(score, "") if score is not None else ""
    if score is not None and not _numeric(score_type):
        raise PerformanceInputError(f"the score has type {types.get(score)}, not a number")
    if group is None and score is not None and prediction is None:
        cut = None if threshold is None else float(threshold)
        fetched = _fetched_rows(con, relation, types, label, score, cut, pos_label)
        if fetched is not None:
            return fetched
    where = present_sql(label, types.get(label))
    rel = quote(relation)
    # one scan counts the labelled records, those without a score and the first three
    # distinct labels
    unscored = "0"
    if score is not None:
        unscored = f"count(*) FILTER (WHERE NOT {present_sql(score, score_type)})"
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
        _refuse_unscored(int(missing), int(labelled))
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
        got = con.execute(raw, bound).fetchnumpy()
        scores = np.asarray(got["s"], dtype=np.float64)
        classes = np.asarray(got["y"], dtype=np.int8)
        if cut is not None:
            return _row_cells(scores, _coded(classes, (scores >= cut).view(np.int8)), True)
        given = np.asarray(got["d"], dtype=np.float64)
        decided_rows = not np.isnan(given).any()
        decision = given.astype(np.int8) if decided_rows else None
        return _row_cells(scores, _coded(classes, decision), decided_rows)
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
    where = present_sql(label, types.get(label))
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
