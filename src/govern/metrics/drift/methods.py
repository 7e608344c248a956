"""The drift methods, their defaults, and the per-column answers: a result or "cannot test".

No DuckDB and no SQL here: the registry (:data:`METHODS`), the constants every other module of
:mod:`govern.metrics.drift` reads, the answer types (:class:`DriftResult`,
:class:`Untestable`), :func:`choose_method`, and the checks of the caller's options.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

__all__ = [
    "BINNED_MAX_ERROR",
    "COMPATIBILITY",
    "ECDF_BINS",
    "EVIDENTLY_HISTOGRAM_MIN_UNIQUE",
    "EXACT_MAX_N",
    "KS_MAX_EXACT_N",
    "MAX_CATEGORIES",
    "METHODS",
    "PSI_DEFAULT_BINS",
    "PSI_EPSILON",
    "WASSERSTEIN_STD_FLOOR",
    "Direction",
    "DriftOptions",
    "DriftResult",
    "Kind",
    "MethodInfo",
    "Untestable",
    "UntestableCause",
    "choose_method",
]

Kind = Literal["numeric", "categorical"]
Direction = Literal["p_value", "distance"]

#: Category-based methods refuse (not evaluated) columns with more distinct values than this
#: over both windows: the counts would no longer be a small aggregate.
MAX_CATEGORIES = 5000

#: Zero shares in ``psi`` (govern) are replaced by this.
PSI_EPSILON = 1e-4

#: Default number of reference-quantile bins of ``psi`` (deciles).
PSI_DEFAULT_BINS = 10

#: Evidently's floor of the reference standard deviation in ``wasserstein``.
WASSERSTEIN_STD_FLOOR = 0.001

#: ``ks_2samp(method="auto")`` is exact when both samples have at most this many values.
KS_MAX_EXACT_N = 10_000

#: Evidently bins numeric columns with more distinct reference values than this (Sturges);
#: at most this many, every value is a bin.
EVIDENTLY_HISTOGRAM_MIN_UNIQUE = 20

#: ``exact=None``: ks and wasserstein are exact while both windows have at most this many
#: present values, binned (within a reported bound) above.
EXACT_MAX_N = 200_000

#: Equal-width bins of the grid on which numeric columns are counted (ECDF, distinct values,
#: reference moments) in one pass over both windows.
ECDF_BINS = 16384

#: ``exact=None``: a binned ks or wasserstein whose error bound exceeds this (on D, or on the
#: normalised Wasserstein score), or whose bound straddles the threshold, is made exact.
BINNED_MAX_ERROR = 1e-3

#: The values of ``compatibility``: whose defaults ``method=None`` follows.
COMPATIBILITY = ("govern", "evidently")


@dataclass(frozen=True)
class MethodInfo:
    """What a drift method accepts and how its score is read.

    ``direction`` is ``"p_value"`` (drift when the p-value is below the threshold) or
    ``"distance"`` (drift when the statistic is at or above the threshold).
    """

    kinds: frozenset[str]
    direction: Direction
    default_threshold: float
    description: str


_BOTH = frozenset({"numeric", "categorical"})

METHODS: Mapping[str, MethodInfo] = MappingProxyType(
    {
        "ks": MethodInfo(
            frozenset({"numeric"}),
            "p_value",
            0.05,
            "two-sample Kolmogorov-Smirnov test, p-value as scipy.stats.ks_2samp",
        ),
        "wasserstein": MethodInfo(
            frozenset({"numeric"}),
            "distance",
            0.1,
            "Wasserstein distance divided by the reference std (Evidently's normed variant)",
        ),
        "psi": MethodInfo(
            _BOTH,
            "distance",
            0.2,
            "population stability index over reference deciles (or categories), eps 1e-4",
        ),
        "psi_evidently": MethodInfo(
            _BOTH,
            "distance",
            0.1,
            "Evidently's PSI: Sturges equal-width bins over both windows (or values)",
        ),
        "jensenshannon": MethodInfo(
            _BOTH,
            "distance",
            0.1,
            "Evidently's Jensen-Shannon distance (natural log) over its PSI bins",
        ),
        "chisquare": MethodInfo(
            _BOTH,
            "p_value",
            0.05,
            "chi-square test of homogeneity on the 2 x k table (two samples)",
        ),
        "chisquare_evidently": MethodInfo(
            _BOTH,
            "p_value",
            0.05,
            "Evidently's one-sample chi-square: reference shares taken as exact",
        ),
        "z": MethodInfo(
            _BOTH,
            "p_value",
            0.05,
            "Evidently's pooled two-proportion z-test for binary columns",
        ),
        "missing_share": MethodInfo(
            _BOTH,
            "p_value",
            0.05,
            "two-proportion z-test on the share of missing values (NULL, NaN, inf)",
        ),
    }
)


@dataclass(frozen=True)
class DriftResult:
    """Drift of one column: the statistic, its p-value if any, and the decision.

    ``drifted`` is None when the column was not evaluated; ``reason`` then says why.
    ``reference_n``/``current_n`` count present (non-missing) values; the missing shares are
    over all rows (0 for an empty window). ``details`` holds the evidence: ``direction``,
    bins or categories and their shares, intermediate numbers.
    """

    column: str
    kind: Kind
    method: str
    statistic: float | None
    p_value: float | None
    threshold: float
    drifted: bool | None
    reference_n: int
    current_n: int
    reference_missing_share: float
    current_missing_share: float
    reason: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def direction(self) -> Direction:
        """``"p_value"`` or ``"distance"``: how ``score`` compares with ``threshold``."""
        return METHODS[self.method].direction

    @property
    def score(self) -> float | None:
        """The number compared with the threshold: the p-value or the distance."""
        return self.p_value if self.direction == "p_value" else self.statistic


class UntestableCause(enum.Enum):
    """Why a requested column cannot be tested as asked (see :class:`Untestable`)."""

    #: The options are invalid (an unknown method, a non-finite threshold...): every column.
    INVALID_OPTIONS = "invalid_options"
    #: A relation cannot be read (no such table or view, or reading it fails).
    UNREADABLE_RELATION = "unreadable_relation"
    #: The column is not in one of the relations.
    MISSING_COLUMN = "missing_column"
    #: ``kind="numeric"`` was asked of a column that is not numeric in both relations.
    NOT_NUMERIC = "not_numeric"
    #: The method does not take columns of this kind (e.g. ``ks`` on a text column).
    METHOD_DOES_NOT_APPLY = "method_does_not_apply"


@dataclass(frozen=True)
class Untestable:
    """A column that cannot be tested as asked: the cause and a message naming the column.

    Unlike a :class:`DriftResult` that was not evaluated (an empty window, an all-missing
    column, a single value...), the request itself does not fit the data: the caller chose
    the method, kind or column. :func:`~govern.metrics.drift.drift_columns` returns it as a
    value; :func:`~govern.metrics.drift.column_drift` raises ``ValueError(message)``.
    """

    column: str
    cause: UntestableCause
    message: str


@dataclass(frozen=True)
class DriftOptions:
    """The caller's options, the same for every column (see ``column_drift``)."""

    method: str | None = None
    kind: str | None = None
    threshold: float | None = None
    bins: int | None = None
    compatibility: str = "govern"
    exact: bool | None = None

    def problem(self) -> str | None:
        """What is wrong with the options, or None: an unknown name or an invalid number."""
        if self.method is not None and self.method not in METHODS:
            return f"unknown drift method {self.method!r}; expected one of {', '.join(METHODS)}"
        if self.kind is not None and self.kind not in ("numeric", "categorical"):
            return _kind_problem(self.kind)
        if self.compatibility not in COMPATIBILITY:
            return _compatibility_problem(self.compatibility)
        bins = self.bins
        if bins is not None and (isinstance(bins, bool) or not isinstance(bins, int) or bins < 1):
            return f"bins must be a positive integer, got {bins!r}"
        threshold = self.threshold
        if threshold is not None and not math.isfinite(threshold):
            return f"threshold must be a finite number, got {threshold!r}"
        if self.exact not in (None, True, False):
            return f"exact must be None, True or False, got {self.exact!r}"
        return None

    @property
    def wants_sums(self) -> bool:
        """Whether ``wasserstein`` may be chosen: only it needs the grid's sums of offsets."""
        return self.method == "wasserstein" or (
            self.method is None and self.compatibility == "evidently"
        )


def _kind_problem(kind: str) -> str:
    return f"unknown kind {kind!r}; expected 'numeric' or 'categorical'"


def _compatibility_problem(compatibility: str) -> str:
    return f"unknown compatibility {compatibility!r}; expected one of {', '.join(COMPATIBILITY)}"


def choose_method(
    kind: str, reference_n: int, n_unique: int, *, compatibility: str = "govern"
) -> str:
    """The default method for a column.

    ``reference_n`` is the number of present reference values, ``n_unique`` the number of
    distinct present values over BOTH windows (as Evidently counts).

    ``compatibility="evidently"`` is Evidently's ``_get_default_stattest``: with at most 1000
    reference values, numeric columns with more than 5 distinct values get ``ks``, every other
    column ``chisquare_evidently`` (more than 2 values) or ``z``; above 1000, numeric columns
    with more than 5 values get ``wasserstein``, every other column ``jensenshannon``.
    ``compatibility="govern"``: ``z`` for binary (or constant) columns, else ``ks`` for numeric
    and ``chisquare`` for categorical columns.
    """
    if kind not in ("numeric", "categorical"):
        raise ValueError(_kind_problem(kind))
    if compatibility == "govern":
        if n_unique <= 2:
            return "z"
        return "ks" if kind == "numeric" else "chisquare"
    if compatibility == "evidently":
        if reference_n <= 1000:
            if kind == "numeric" and n_unique > 5:
                return "ks"
            return "chisquare_evidently" if n_unique > 2 else "z"
        if kind == "numeric" and n_unique > 5:
            return "wasserstein"
        return "jensenshannon"
    raise ValueError(_compatibility_problem(compatibility))
