"""Labelled rows kept as sorted 64-bit keys: the statistics of their cells without the cells.

With about as many distinct scores as rows (a model's raw probabilities), a cell per row would
cost more than the metrics. :class:`SortedRows` keeps the sorted keys and computes every
statistic the metrics read straight from them, in passes of short steps (:func:`spans`).
"""

from __future__ import annotations

import math
import sys
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from govern.metrics.performance.cells import EPS, Cells

if TYPE_CHECKING:
    from collections.abc import Iterator

    from numpy.typing import NDArray

__all__ = ["SortedRows", "spans"]


def _low_byte(keys: NDArray[np.uint64]) -> NDArray[np.uint8]:
    """The least significant byte of each key, as a strided view (no copy)."""
    return keys.view(np.uint8)[::8] if sys.byteorder == "little" else keys.view(np.uint8)[7::8]


#: Keys handled per step of a pass over the sorted rows: every temporary of a pass is this
#: long, so a pass over a million rows touches a few hundred kilobytes of new memory, not tens
#: of megabytes (first-touch page faults cost more than the arithmetic).
_CHUNK = 1 << 15


def spans(n: int) -> Iterator[tuple[int, int]]:
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
        for a, b in spans(low.size):  # counts of 0/1 bytes read as booleans: no bincount
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
        for a, b in spans(n):
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
        for a, b in spans(keys.size):
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
