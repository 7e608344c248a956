"""Periodic fairness review of a model's production decisions over calendar windows.

``govern review`` cuts a model's current prediction logs into calendar windows (``month`` or
``quarter``; from the logs' time span, or ``start``/``end``) and, in every window, for each
sensitive feature and their intersection:

* the **group metrics** (fairlearn names): ``count``, ``selection_rate``, ``mean_score`` when a
  score is mapped and every reviewed row has one, and -- when the window has ground-truth
  labels -- ``true_positive_rate``, ``false_positive_rate``, ``accuracy``, ``precision``;
* the **disparities**: demographic parity difference/ratio, equalized odds difference/ratio,
  equal opportunity difference and the smallest impact ratio (selection rate over the most
  favoured group's, the four-fifths rule; or over a policy's ``reference_group``), with a
  seeded bootstrap interval when ``confidence`` is set;
* an **LL144 table** (selection rates and impact ratios by sex, race/ethnicity and both) when
  sex- or race-like columns are named or found among the sensitive columns.

Counts come from DuckDB: one ``GROUPING SETS`` scan over all windows at once (the window is a
control column of :func:`govern.metrics.fairness.group_counts`), a second one over the labelled
rows when only some rows have labels, and one LL144 scan per window. No row reaches Python.

Rows and groups are never silently dropped. Rows without a prediction are counted per window
(``missing_prediction``) and left out. Rows without a value of a sensitive feature (NULL, NaN,
the empty string: see :mod:`govern.metrics.fairness`) are counted per window
(``missing_sensitive``) and per feature (``missing``), and handled as ``missing`` says (the
option, else the policy's fairness rules, else ``exclude``): ``exclude`` leaves them out of
that feature's groups only (a row without sex still counts by race), as the LL144 table leaves
out unknown categories; ``group`` makes them a group ``(missing)``; ``fail`` makes the feature
``not_evaluated`` in the windows that have any. Groups with fewer than ``min_group_size`` rows
(labelled rows, for label metrics) are listed as ``excluded`` and left out of the disparities.
A window without rows, a feature with fewer than two large-enough groups and a label metric
without labels are ``not_evaluated`` with the reason.

**Trend and regressions.** Every disparity is compared with the same feature's value in the
latest earlier evaluated window (of this review, else of the stored review) and with the same
window of the last stored review of the model and period. A **regression** is flagged when a
disparity moved the wrong way (a difference up, a ratio down) by more than ``tolerance``
(absolute), or when it no longer meets a bound of a ``check: fairness`` policy rule that the
earlier value met. Without ``confidence`` regression decisions use point estimates; with it, a
move counts only when the earlier value lies outside the interval, and a bound is crossed only
when the whole interval lies past it.

The result is a frozen, typed :class:`Review` (:mod:`govern.review.model`); its one
:meth:`Review.to_json` gives the ``govern.review/v1`` JSON (see :data:`SCHEMA`), rendered by
:mod:`govern.formats.review` and stored by :mod:`govern.store.reviews`.

The package, by job: :mod:`~govern.review.options` (options, disparities, policy terms),
:mod:`~govern.review.inputs` (logs, columns, time span and windows),
:mod:`~govern.review.counting` (the DuckDB scans), :mod:`~govern.review.build` (measuring each
window and building the review), :mod:`~govern.review.compare` (trend and regressions),
:mod:`~govern.review.storage` (storing a review, reading the last one) and
:mod:`~govern.review.model` (the typed result).
"""

from govern.metrics.fairness.disparities import Disparity
from govern.review.build import review
from govern.review.model import (
    SCHEMA,
    BoundCheck,
    DisparityValue,
    ExcludedGroup,
    FeatureReview,
    GroupMetrics,
    ImpactDetail,
    LabelMetrics,
    PreviousValue,
    Regression,
    Review,
    ReviewParams,
    ReviewPolicy,
    ReviewSpan,
    ReviewSummary,
    ReviewWindow,
    StoredValue,
    TrendSeries,
)
from govern.review.options import DISPARITIES, MISSING, ReviewOptions
from govern.review.storage import store_review
from govern.windows import PERIODS, calendar_windows, parse_bound

__all__ = [
    "DISPARITIES",
    "MISSING",
    "PERIODS",
    "SCHEMA",
    "BoundCheck",
    "Disparity",
    "DisparityValue",
    "ExcludedGroup",
    "FeatureReview",
    "GroupMetrics",
    "ImpactDetail",
    "LabelMetrics",
    "PreviousValue",
    "Regression",
    "Review",
    "ReviewOptions",
    "ReviewParams",
    "ReviewPolicy",
    "ReviewSpan",
    "ReviewSummary",
    "ReviewWindow",
    "StoredValue",
    "TrendSeries",
    "calendar_windows",
    "parse_bound",
    "review",
    "store_review",
]
