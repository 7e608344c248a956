"""Labelled rows as cells: one per distinct (score, label, decision), with its count.

Every metric is arithmetic over the cells in numpy, each cell weighted by its count, so no row
reaches a Python loop. :class:`Cells` holds them and computes, once each, the statistics the
metrics read (ranking sums, confusion counts, losses). :mod:`.sorted_rows` gives the same
statistics for rows whose scores are nearly all distinct, without building a cell per row;
:mod:`.reading` makes either from a DuckDB relation.
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from govern.errors import GovernError

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["EPS", "MISSING_GROUP", "Cells", "PerformanceInputError"]

#: The group of records without a value of the group column.
MISSING_GROUP = "(missing)"


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
