"""The labelled rows of a relation as cells: one per distinct (score, label, decision).

One ``GROUP BY`` in DuckDB turns any number of labelled rows into the few thousand cells the
metrics need (:class:`Cells`); every metric is then arithmetic over those cells in numpy, with
each cell weighted by its count. Rows whose scores are nearly all distinct would make as many
cells as rows: those are fetched once (the score and the label coded 0/1) and kept as sorted
64-bit keys (:class:`SortedRows`), which give the same statistics without the cells. No row
reaches a Python loop. Values (the positive label, the threshold) are bound as parameters;
only the standard column names are written into the SQL.

Which way a log takes: an ungrouped log with a score and a numeric or boolean label
(:func:`_fetched_rows`) reads the label's count and range, then fetches the rows (up to
:data:`_FETCH` labelled records, or more when a sample of scores shows them mostly distinct)
or groups them in DuckDB; any other log (a group column, a prediction column, text labels,
labels that are not two values) takes the general path, which also says what is wrong.
"""

from __future__ import annotations

import math
import sys
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from govern.errors import GovernError
from govern.sql import FLOAT_TYPES, INTEGER_TYPES, present_sql, quote

if TYPE_CHECKING:
    from collections.abc import Iterator

    from duckdb import DuckDBPyConnection
    from numpy.typing import NDArray

__all__ = [
    "EPS",
    "MISSING_GROUP",
    "Cells",
    "PerformanceInputError",
    "SortedRows",
    "classification_cells",
    "present_sql",
    "regression_cells",
]


#: Probabilities are clipped to ``[EPS, 1 - EPS]`` before their log is taken: the float64
#: machine epsilon, as scikit-learn 1.9's ``log_loss`` clips.
EPS = float(np.finfo(np.float64).eps)


class PerformanceInputError(GovernError, ValueError):
    """The labelled rows cannot give the metric asked for (the message says why).

    Labels that are not binary for a classification metric, class labels for a regression
    metric, scores outside [0, 1] for a probability metric, records without a score or no
    labelled record. A ``ValueError`` and a :class:`~govern.errors.GovernError`.
    """


class Cells:
    """Labelled rows aggregated by distinct (score, label, decision), with their counts.

    Classification: ``label`` is 1 for the positive class and 0 otherwise, ``decision`` the
    predicted class (1/0; NaN when no decision was asked for) and ``score`` the score (NaN
    without a score column). Regression: ``label`` is the target, ``decision`` the predicted
    value and ``score`` unused (NaN). Sorted by score, then label, then decision. With a
    ``group`` column, each cell also has the group's value (text; :data:`MISSING_GROUP` for a
    record without one) and the cells are split by it too.

    The metrics read the cells through the statistics below (:attr:`rank_sums`,
    :attr:`confusion`, :attr:`samples`, ...), each computed once and shared by every metric;
    :class:`SortedRows` computes the same statistics straight from sorted rows.
    """

    def __init__(
        self,
        score: NDArray[np.float64],
        label: NDArray[np.float64],
        decision: NDArray[np.float64],
        count: NDArray[np.int64],
        group: NDArray[np.object_] | None = None,
    ) -> None:
        self._stored = (score, label, decision, count)
        self.group = group

    @property
    def _arrays(
        self,
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
        return self._stored

    @property
    def score(self) -> NDArray[np.float64]:
        """The score of each cell."""
        return self._arrays[0]

    @property
    def label(self) -> NDArray[np.float64]:
        """The label of each cell (1 positive, 0 negative; the target in regression)."""
        return self._arrays[1]

    @property
    def decision(self) -> NDArray[np.float64]:
        """The decision of each cell (1/0, NaN without one; the prediction in regression)."""
        return self._arrays[2]

    @property
    def count(self) -> NDArray[np.int64]:
        """The records in each cell."""
        return self._arrays[3]

    @property
    def size(self) -> int:
        """Cells held (what keeping these cells costs)."""
        return int(self.count.size)

    @cached_property
    def n(self) -> int:
        """Rows behind the cells."""
        return int(self.count.sum())

    @cached_property
    def decided(self) -> bool:
        """Whether every cell has a decision."""
        return not bool(np.isnan(self.decision).any())

    @cached_property
    def score_runs(self) -> tuple[NDArray[np.intp] | None, NDArray[np.intp] | None]:
        """(order, last): how the cells group by distinct score, whatever their counts.

        ``order`` sorts the cells by score (stable; None when they already are: ungrouped
        cells); ``last`` is where each run of equal scores ends in that order (None when
        every score is distinct). Kept by :meth:`with_counts`, so a bootstrap works it out once.
        """
        score = self.score
        order = None
        if np.any(score[1:] < score[:-1]):
            order = np.argsort(score, kind="stable")
            score = score[order]
        change = score[1:] != score[:-1]
        if change.all():  # every score distinct: a cell per score
            return order, None
        return order, np.flatnonzero(np.concatenate((change, [True])))

    @cached_property
    def by_score(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Positives and negatives per distinct score, lowest score first.

        Ungrouped cells are sorted by score, so a distinct score is a run of equal scores: one
        linear pass (running sums read at each run's end), no sort. Grouped cells (sorted by
        group first) are sorted by score here.
        """
        w = self.count.astype(np.float64)
        label = self.label
        if label.size == 0:
            empty = np.zeros(0, dtype=np.float64)
            return empty, empty
        order, last = self.score_runs
        if order is not None:
            label, w = label[order], w[order]
        positives = w * label
        if last is None:
            return positives, w - positives
        # run sums as differences of running sums: exact, the counts being whole numbers, and
        # one pass where reduceat over a million short runs takes several
        pos = np.diff(np.cumsum(positives)[last], prepend=0.0)
        total = np.diff(np.cumsum(w)[last], prepend=0.0)
        return pos, total - pos

    @cached_property
    def rank_sums(self) -> tuple[float, float, float, float]:
        """(positives, negatives, twice the ROC area's pair count, average precision's sum).

        Per distinct score ``k``, highest first, with ``pos_k``/``neg_k`` the positives and
        negatives at that score and ``TP_k``/``FP_k`` those at or above it: the pair count
        is ``sum_k neg_k (2 TP_k - pos_k)`` (each positive above a negative counts 2, a tie
        1), and average precision's sum is ``sum_k pos_k TP_k / (TP_k + FP_k)``. Shared by
        roc_auc and average precision.
        """
        p, n, pairs = self.roc_sums
        pos, _, tps, fps = self.ranked
        # precision only where positives sit (pos_k > 0 weighs it); an empty cell of a bootstrap
        # resample (no record at or above a score) divides by 1, not 0
        at = np.flatnonzero(pos)
        tp = tps[at]
        precision = float(np.dot(pos[at], tp / np.maximum(tp + fps[at], 1.0)))
        return p, n, pairs, precision

    @cached_property
    def roc_sums(self) -> tuple[float, float, float]:
        """The first three of :attr:`rank_sums` alone (all roc_auc needs, e.g. in a bootstrap).

        Ungrouped cells in score order take a few passes of whole numbers. A negative record
        lies below the positives of higher scores, ``P`` less those up to the end of its score's
        run, and ties with its run's positives: the pair count is ``2 (P N - sum_neg w up) +
        sum_r neg_r pos_r``, with ``up`` the positives up to each cell (a cumulative sum) and,
        for a run of cells sharing a score, up to the run's last cell (:attr:`tied_runs`:
        worked out once, whatever the order of the cells inside a run). Other cells sum by
        distinct score (:attr:`ranked`).
        """
        order, _ = self.score_runs
        if order is not None or self.group is not None:
            pos, neg, tps, _ = self.ranked
            return float(pos.sum()), float(neg.sum()), float(np.dot(neg, 2 * tps - pos))
        count = np.asarray(self.count, dtype=np.int64)
        positive = count * self.positive
        negative = count - positive
        up = np.cumsum(positive)
        p, n = (int(up[-1]) if up.size else 0), int(count.sum())
        below, tied = int(np.dot(negative, up)), 0
        runs = self.tied_runs
        if runs is not None:
            cells, starts = runs
            neg_run = np.add.reduceat(negative[cells], starts)
            pos_run = np.add.reduceat(positive[cells], starts)
            run_up = up[cells[np.append(starts[1:], cells.size) - 1]]  # at each run's last cell
            below += int(np.dot(neg_run, run_up)) - int(np.dot(negative[cells], up[cells]))
            tied = int(np.dot(neg_run, pos_run))
        return float(p), float(n - p), float(2 * (p * (n - p) - below) + tied)

    @cached_property
    def positive(self) -> NDArray[np.bool_]:
        """Whether each cell is of the positive class (shared by :meth:`with_counts`)."""
        return np.asarray(self.label > 0.5)

    @cached_property
    def tied_runs(self) -> tuple[NDArray[np.intp], NDArray[np.intp]] | None:
        """Runs of two or more cells sharing a score: (their cells, where each run starts).

        The cells are listed run by run (for ``numpy.add.reduceat`` at the starts). None when
        no two cells share a score. Cells in score order only; kept by :meth:`with_counts`.
        """
        order, last = self.score_runs
        if order is not None or last is None:
            return None
        first = np.concatenate(([0], last[:-1] + 1))
        size = last - first + 1
        several = size > 1
        if not several.any():
            return None
        first, size = first[several], size[several]
        ends = np.cumsum(size)
        cells = np.repeat(first - (ends - size), size) + np.arange(int(ends[-1]))
        return cells, ends - size

    @cached_property
    def ranked(
        self,
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """Per distinct score, highest first: positives, negatives, and both at or above it."""
        pos, neg = self.by_score
        pos, neg = pos[::-1], neg[::-1]
        return pos, neg, np.cumsum(pos), np.cumsum(neg)

    @cached_property
    def score_range(self) -> tuple[float, float] | None:
        """(lowest, highest) score; None when a cell has no score (NaN)."""
        if self.score.size == 0:
            return (0.0, 0.0)
        low, high = float(self.score.min()), float(self.score.max())
        return None if math.isnan(low) or math.isnan(high) else (low, high)

    @cached_property
    def confusion(self) -> tuple[float, float, float, float]:
        """(tp, fp, tn, fn) of the decisions (NaN without them)."""
        w = self.count.astype(np.float64)
        y, d = self.label, self.decision
        yd = float(np.sum(w * y * d))
        ys, ds, n = float(np.sum(w * y)), float(np.sum(w * d)), float(w.sum())
        return yd, ds - yd, n - ys - ds + yd, ys - yd

    @property
    def samples(self) -> tuple[NDArray[np.float64], NDArray[Any], NDArray[np.int64] | None]:
        """(score, label, weight) to sum a per-record quantity over; weight None means 1 each."""
        return self.score, self.label, self.count

    @cached_property
    def log_likelihood(self) -> float:
        """Sum over the records of the log of the probability given to the observed class.

        ``|(1 - y) - p|`` is ``p`` for a positive and ``1 - p`` for a negative, exactly; it is
        clipped to ``[eps, 1 - eps]`` (:data:`EPS`) as scikit-learn clips. Scores must be
        probabilities (the metric checks).
        """
        score, label, weight = self.samples
        observed = np.abs(np.subtract(1 - label, score))
        log = np.log(np.clip(observed, EPS, 1 - EPS, out=observed), out=observed)
        return float(log.sum() if weight is None else np.dot(weight, log))

    @cached_property
    def squared_error(self) -> float:
        """Sum over the records of ``(y - p)^2`` (the Brier score's numerator)."""
        score, label, weight = self.samples
        diff = label - score
        return float(np.dot(diff if weight is None else weight * diff, diff))

    def with_counts(self, count: NDArray[np.int64]) -> Cells:
        """The same cells with other counts (a bootstrap resample), sharing their score runs."""
        out = Cells(self.score, self.label, self.decision, count, self.group)
        for shared in ("score_runs", "positive", "tied_runs"):  # the same cells: the same runs
            out.__dict__[shared] = getattr(self, shared)
        return out

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


def _low_byte(keys: NDArray[np.uint64]) -> NDArray[np.uint8]:
    """The least significant byte of each key, as a strided view (no copy)."""
    return keys.view(np.uint8)[::8] if sys.byteorder == "little" else keys.view(np.uint8)[7::8]


#: Keys handled per step of a pass over the sorted rows: every temporary of a pass is this
#: long, so a pass over a million rows touches a few hundred kilobytes of new memory, not tens
#: of megabytes (first-touch page faults cost more than the arithmetic).
_CHUNK = 1 << 15


def _spans(n: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of each step of a pass over ``n`` rows."""
    return ((a, min(a + _CHUNK, n)) for a in range(0, n, _CHUNK))


class SortedRows(Cells):
    """Labelled rows as sorted 64-bit keys: the same cells, built only when a metric needs them.

    A key is a score's bits shifted left by two, then the label (bit 1) and the decision
    (bit 0): scores in [0, 2) have the sign bit and the top exponent bit clear, so the keys
    order as (score, label, decision) do, and runs of equal keys are the cells of the
    ``GROUP BY``. With about as many distinct scores as rows, building those cells costs
    more than the metrics: the statistics here (class counts, ranking sums, losses) come from
    the keys directly, each in one pass of short steps (:data:`_CHUNK`), and the cell arrays
    only when asked for (a bootstrap, the calibration bins).
    """

    def __init__(self, keys: NDArray[np.uint64], decided: bool) -> None:
        self.keys = keys
        self._decided = decided
        self.group = None

    @cached_property
    def _arrays(
        self,
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
        keys = self.keys
        change = np.empty(keys.size, dtype=bool)
        change[:1] = True
        np.not_equal(keys[1:], keys[:-1], out=change[1:])
        starts = np.flatnonzero(change)
        counts = np.diff(np.append(starts, keys.size)).astype(np.int64)
        first = keys[starts]
        kind = (first & np.uint64(3)).astype(np.int8)
        label = (kind >> 1).astype(np.float64)
        decision = (kind & 1).astype(np.float64)
        if not self._decided:
            decision[:] = np.nan
        return (first >> np.uint64(2)).view(np.float64), label, decision, counts

    @property
    def size(self) -> int:
        """Rows held (the keys)."""
        return int(self.keys.size)

    @cached_property
    def n(self) -> int:
        """Rows behind the cells."""
        return int(self.keys.size)

    @cached_property
    def decided(self) -> bool:
        """Whether the rows have a decision."""
        return self._decided

    @cached_property
    def score_range(self) -> tuple[float, float] | None:
        """(lowest, highest) score: the first and last key's."""
        if self.keys.size == 0:
            return (0.0, 0.0)
        ends = (self.keys[[0, -1]] >> np.uint64(2)).view(np.float64)
        return float(ends[0]), float(ends[1])

    @cached_property
    def classes(self) -> NDArray[np.int64]:
        """Rows per class ``2 * label + decision``: negatives (decided 0, 1), positives (0, 1)."""
        low = _low_byte(self.keys)
        m = min(low.size, _CHUNK)
        step, flag = np.empty(m, dtype=np.uint8), np.empty(m, dtype=np.uint8)
        labels = decisions = both = 0
        for a, b in _spans(low.size):  # counts of 0/1 bytes read as booleans: no bincount
            part, f = np.bitwise_and(low[a:b], 3, out=step[: b - a]), flag[: b - a]
            decisions += int(np.count_nonzero(np.bitwise_and(part, 1, out=f).view(np.bool_)))
            labels += int(np.count_nonzero(np.right_shift(part, 1, out=f).view(np.bool_)))
            both += int(np.count_nonzero(np.bitwise_and(f, part, out=f).view(np.bool_)))
        n = int(low.size)
        return np.array(
            [n - labels - decisions + both, decisions - both, labels - both, both], dtype=np.int64
        )

    @cached_property
    def confusion(self) -> tuple[float, float, float, float]:
        """(tp, fp, tn, fn) of the decisions: the class counts."""
        if not self._decided:
            return (math.nan,) * 4
        tn, fp, fn, tp = (float(c) for c in self.classes)
        return tp, fp, tn, fn

    def _label_bits(self, a: int, b: int, out: NDArray[np.uint8]) -> NDArray[np.uint8]:
        """The labels (1 positive, 0 negative) of rows ``a`` to ``b``, written to ``out``."""
        bits = np.right_shift(_low_byte(self.keys)[a:b], 1, out=out[: b - a])
        return np.bitwise_and(bits, 1, out=bits)

    @cached_property
    def rank_sums(self) -> tuple[float, float, float, float]:
        """The ranking sums of :attr:`Cells.rank_sums`, over the sorted rows.

        Rows ascend by score, and within a score negatives come before positives. For a
        positive at row ``i``, the ``j``-th positive (from 0) of ``P`` among ``n`` rows, with
        no other row at its score: ``i - j`` negatives lie below it and ``(P - j) / (n - i)``
        is the precision at its score. A run of rows sharing a score (from row ``a`` to
        ``b``, ``pos`` positives and ``neg`` negatives) corrects both: its tied pairs count
        once, not twice (``-neg * pos``), and each of its positives has the run's precision
        ``(P - positives below a) / (n - a)``. One pass finds the positives and the rows whose
        score equals the next row's (keys that differ in the class bits only); only the runs,
        not the rows, are then handled one by one (in numpy).
        """
        keys, n = self.keys, int(self.keys.size)
        p = int(self.classes[2:].sum())
        bits = np.empty(min(n, _CHUNK), dtype=np.uint8)
        xor = np.empty(min(n, _CHUNK), dtype=np.uint64)
        seen = below = 0  # positives in the steps before; sum over positives of i - j
        precision = 0.0
        tied: list[NDArray[np.intp]] = []  # rows i whose score is row i + 1's
        before: list[NDArray[np.intp]] = []  # positives below each of them
        for a, b in _spans(n):
            at = np.flatnonzero(self._label_bits(a, b, bits).view(np.bool_))  # positives
            k = int(at.size)
            below += int(at.sum()) + a * k - seen * k - k * (k - 1) // 2
            still = np.arange(p - seen, p - seen - k, -1, dtype=np.float64)  # P - j
            precision += float(np.sum(still / (n - a - at)))
            stop = min(b, n - 1)
            if stop > a:
                x = np.bitwise_xor(keys[a + 1 : stop + 1], keys[a:stop], out=xor[: stop - a])
                t = np.flatnonzero(x < 4)
                if t.size:
                    tied.append(t + a)
                    before.append(seen + np.searchsorted(at, t))
            seen += k
        if not tied:
            return float(p), float(n - p), float(2 * below), precision
        rows, below_row = np.concatenate(tied), np.concatenate(before)
        positive = (_low_byte(keys)[rows] >> 1) & 1
        breaks = np.flatnonzero(np.diff(rows) != 1)
        starts = np.concatenate(([0], breaks + 1))
        ends = np.concatenate((breaks, [rows.size - 1]))
        start, last = rows[starts], rows[ends]  # a run is rows start .. last + 1
        first = below_row[starts]
        tail = (_low_byte(keys)[last + 1] >> 1) & 1  # the run's last row, not itself tied
        below_tail = below_row[ends] + positive[ends]
        pos_run = below_tail + tail - first
        neg_run = (last + 2 - start) - pos_run
        # the positives inside runs had the untied precision; they get their run's instead
        inside = positive.astype(bool)
        drop = np.sum((p - below_row[inside]) / (n - rows[inside]))
        ending = tail.astype(bool)
        drop += np.sum((p - below_tail[ending]) / (n - last[ending] - 1))
        precision += float(np.dot(pos_run, (p - first) / (n - start)) - drop)
        return float(p), float(n - p), float(2 * below - int(np.dot(neg_run, pos_run))), precision

    @cached_property
    def roc_sums(self) -> tuple[float, float, float]:
        """The first three of :attr:`rank_sums`."""
        p, n, pairs, _ = self.rank_sums
        return p, n, pairs

    @cached_property
    def _row_sums(self) -> tuple[float, float]:
        """(:attr:`log_likelihood`, :attr:`squared_error`) in one pass, a step at a time."""
        keys = self.keys
        m = min(keys.size, _CHUNK)
        bits, scores = np.empty(m, np.uint8), np.empty(m, np.uint64)
        observed, diff = np.empty(m), np.empty(m)
        log = squares = 0.0
        for a, b in _spans(keys.size):
            y = self._label_bits(a, b, bits)
            s = np.right_shift(keys[a:b], 2, out=scores[: b - a]).view(np.float64)
            d = np.subtract(y, s, out=diff[: b - a])
            squares += float(np.dot(d, d))
            v = np.subtract(1, y, out=observed[: b - a])
            np.abs(np.subtract(v, s, out=v), out=v)
            log += float(np.log(np.clip(v, EPS, 1 - EPS, out=v), out=v).sum())
        return log, squares

    @cached_property
    def log_likelihood(self) -> float:
        """:attr:`Cells.log_likelihood`, over the rows."""
        return self._row_sums[0]

    @cached_property
    def squared_error(self) -> float:
        """:attr:`Cells.squared_error`, over the rows."""
        return self._row_sums[1]

    @cached_property
    def samples(self) -> tuple[NDArray[np.float64], NDArray[Any], NDArray[np.int64] | None]:
        """(score, label, None): one sample per row, from the keys."""
        score = (self.keys >> np.uint64(2)).view(np.float64)
        return score, (_low_byte(self.keys) >> 1) & 1, None

    def cells(
        self,
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
        """(score, label, decision, count) of the cells: runs of equal keys."""
        return self._arrays

    @cached_property
    def built(self) -> Cells:
        """The cells themselves (runs of equal keys), built once."""
        return Cells(*self._arrays)

    def with_counts(self, count: NDArray[np.int64]) -> Cells:
        """The cells with other counts (a bootstrap resample): the cells are built first."""
        return self.built.with_counts(count)


#: The group of records without a value of the group column.
MISSING_GROUP = "(missing)"

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
    for a, b in _spans(s.size):  # a step at a time, while the step is in cache
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
        for a, b in _spans(label.size):  # no decision array as long as the rows
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
    scores = got["s"]
    if isinstance(scores, np.ma.MaskedArray):  # NULL scores: missing, as NaN ones
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
