"""The aggregates Python receives from the drift queries: small, typed and frozen.

:mod:`govern.metrics.drift.fetch` builds them from query rows; :mod:`~.stats` and :mod:`~.ks`
compute the statistics from them; :mod:`~.plan` decides with them what is still needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "BinExact",
    "Categories",
    "FloatArray",
    "Grid",
    "GridCounts",
    "IntArray",
    "Profile",
    "WindowStats",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class WindowStats:
    """One column in one window, from the first round (plain and finite aggregates).

    ``lo``/``hi`` are the finite min and max of the present values (numeric columns, None if
    there is none); ``valid`` counts the present values when known before the grid pass (not
    for a floating-point column without NaN or infinity, whose grid pass counts them).
    """

    rows: int = 0
    non_null: int = 0
    lo: float | None = None
    hi: float | None = None
    valid: int | None = None


@dataclass(frozen=True)
class Grid:
    """Bins of a numeric column: value v goes to ``round((v - lo) * scale)``, 0..bins-1."""

    lo: float
    hi: float
    scale: float
    bins: int


@dataclass(frozen=True)
class GridCounts:
    """Per grid bin and window: the count and the sums of offsets (``sums``, else zeros).

    ``s2_ref`` holds the reference's sums of squared offsets (with ``sums``).
    """

    n_ref: IntArray
    n_cur: IntArray
    s1_ref: FloatArray
    s1_cur: FloatArray
    s2_ref: FloatArray
    sums: bool

    @property
    def ref_valid(self) -> int:
        """Present reference values."""
        return int(self.n_ref.sum())

    @property
    def cur_valid(self) -> int:
        """Present current values."""
        return int(self.n_cur.sum())


@dataclass(frozen=True)
class Categories:
    """Counts per category (ordered by value); ``n`` categories in all, keys only if <= cap."""

    keys: list[Any]
    c_ref: FloatArray
    c_cur: FloatArray
    n: int


@dataclass(frozen=True)
class Profile:
    """Rows, present values and distinct present values per window and over both.

    Distinct counts are exact up to 20 (all that the rules compare them with, see *Distinct
    counts* in :mod:`govern.metrics.drift`); above, from the grid, they may be lower bounds.
    """

    ref_rows: int
    ref_valid: int
    ref_unique: int
    cur_rows: int
    cur_valid: int
    cur_unique: int
    n_unique: int
    v_min: Any
    v_max: Any

    @property
    def ref_missing_share(self) -> float:
        """Missing reference values over all reference rows (0 for an empty window)."""
        return (self.ref_rows - self.ref_valid) / self.ref_rows if self.ref_rows else 0.0

    @property
    def cur_missing_share(self) -> float:
        """Missing current values over all current rows (0 for an empty window)."""
        return (self.cur_rows - self.cur_valid) / self.cur_rows if self.cur_rows else 0.0


@dataclass(frozen=True)
class BinExact:
    """The exact ECDF difference inside one grid bin (``grid_refine_sql``'s row)."""

    g_max: float
    area: float
    y_first: float
