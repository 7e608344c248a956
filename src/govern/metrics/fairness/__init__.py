"""Group fairness metrics from confusion counts aggregated in DuckDB.

One scan of a named relation (:func:`group_counts`, SQL in :mod:`govern.metrics.fairness_sql`)
returns the confusion counts of every group of every grouping: each sensitive column alone,
their intersection and the whole population (the empty grouping ``()``), optionally within
each level of control columns. Every metric below is then arithmetic on those counts; no row
ever reaches Python.

Names and values follow fairlearn (``MetricFrame`` and ``fairlearn.metrics``) and agree with it
to 1e-9, including its edge cases:

* **Zero denominators.** ``true_positive_rate``, ``false_positive_rate``,
  ``true_negative_rate`` and ``false_negative_rate`` of a group without positives (or without
  negatives) are ``0.0``, silently: fairlearn computes them from scikit-learn's
  ``confusion_matrix(normalize="true")``, which turns 0/0 into 0 and does not warn.
  ``precision`` of a group without predicted positives is ``0.0`` too (scikit-learn's
  ``zero_division="warn"`` value); scikit-learn also emits an ``UndefinedMetricWarning`` there,
  govern does not warn.
* **Empty intersections.** With several sensitive features (or any control feature)
  ``MetricFrame.by_group`` is reindexed to the full product of each feature's values, so a
  combination without rows is present with ``NaN`` for every metric (``count`` too), and
  ``group_min``/``group_max``/``difference``/``ratio`` skip it (pandas ``skipna``).
  :func:`group_counts` does the same: it returns such cells with ``n == 0`` and every metric of
  them is ``NaN``; disparities skip ``NaN``.
* **Ratio when the largest value is 0.** ``min / max`` is ``0 / 0 = NaN`` (no warning), as in
  fairlearn; the difference is then ``0.0``.
* **Equalized odds.** ``agg="worst_case"`` applies Python's builtin ``max``/``min`` to the pair
  ``[tpr, fpr]``, exactly as fairlearn does, so a ``NaN`` in the first position wins and one in
  the second is ignored.
* **A group of size 1** is an ordinary group.

**Missing sensitive values.** A sensitive value is *missing* when it is SQL NULL, NaN (in a
floating-point column) or the empty string (in a character column). NULL is what every
format gives for an absent value: DuckDB reads an empty CSV field (``,,`` and ``,"",``) as
NULL, pandas writes ``NaN``/``None`` of an object column to Parquet as NULL, JSON ``null`` is
NULL. NaN is what a float column of pandas holds for "not recorded"; the empty string is
counted too so that the same log gives the same result as CSV (where DuckDB already reads it
as NULL) and as Parquet or JSON Lines. Codes such as ``"Unknown"``, ``"NA"`` or HMDA's
``"Sex Not Available"`` are values: name them in the LL144 option's ``unknown`` list, or
recode them. :func:`count_groups` handles missing sensitive values one of three ways
(``missing=``):

* ``"fail"`` (the default of the library, fairlearn's behaviour): refuse them;
* ``"exclude"``: leave the rows out of every grouping that uses the column (a row without
  sex is still counted by race) and count them per grouping (:attr:`CountedGroups.missing`);
  every value is then fairlearn's on the rows kept, for that grouping;
* ``"group"``: the rows form a group of their own, :data:`MISSING_GROUP` (``"(missing)"``);
  values are fairlearn's on the data with the missing values replaced by that string (a
  real value ``"(missing)"`` falls into the same group).

Other inputs are refused (:class:`FairnessInputError`, a ``ValueError``) where fairlearn would
fail or silently mislead: missing values (NULL, or NaN in float columns) in the label,
prediction, score or control columns, and in the sensitive columns with ``missing="fail"``
(fairlearn refuses missing sensitive values too; a NaN label makes its rates raise);
label/prediction columns with more than two distinct
values together; ``pos_label`` not among the two values present; ``pos_label=None`` unless the
values are within ``{0, 1}`` or ``{-1, 1}`` (then ``1`` is positive, fairlearn's rule).
fairlearn checks binarity per group; govern checks it on the whole relation, which is
stricter only for data that mixes more than two labels across groups.

The package, by job (every public name is importable from here):

* :mod:`~govern.metrics.fairness.counts` -- the one scan: confusion counts per group, the
  refusals and the handling of missing sensitive values (SQL in
  :mod:`govern.metrics.fairness_sql`, values bound as parameters);
* :mod:`~govern.metrics.fairness.rates` -- per-group metrics from counts (``by_group``);
* :mod:`~govern.metrics.fairness.disparities` -- differences and ratios between groups, and
  the registry of the disparities a rule bounds (:data:`DISPARITIES`) with the one bound test
  (:func:`bound_met`);
* :mod:`~govern.metrics.fairness.intervals` -- significance tests, bootstrap and Wilson
  intervals;
* :mod:`~govern.metrics.fairness.ll144` -- the NYC LL144 bias-audit table.
"""

from __future__ import annotations

from govern.metrics.fairness.counts import (
    MISSING_GROUP,
    MISSING_HANDLING,
    CountedGroups,
    FairnessInputError,
    GroupCounts,
    count_groups,
    group_counts,
    overall,
)
from govern.metrics.fairness.disparities import (
    ALIASES,
    BOUND_TOLERANCE,
    DISPARITIES,
    DISPARITY_NAMES,
    Disparity,
    bound_met,
    demographic_parity_difference,
    demographic_parity_ratio,
    disparity,
    disparity_named,
    equal_opportunity_difference,
    equal_opportunity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    impact_ratios,
)
from govern.metrics.fairness.intervals import GroupTest, bootstrap_ci, significance, wilson_interval
from govern.metrics.fairness.ll144 import LL144Row, LL144Section, LL144Table, ll144_table
from govern.metrics.fairness.rates import GROUP_METRICS, LABEL_METRICS, GroupMetric, group_metrics

__all__ = [
    "ALIASES",
    "BOUND_TOLERANCE",
    "DISPARITIES",
    "DISPARITY_NAMES",
    "GROUP_METRICS",
    "LABEL_METRICS",
    "MISSING_GROUP",
    "MISSING_HANDLING",
    "CountedGroups",
    "Disparity",
    "FairnessInputError",
    "GroupCounts",
    "GroupMetric",
    "GroupTest",
    "LL144Row",
    "LL144Section",
    "LL144Table",
    "bootstrap_ci",
    "bound_met",
    "count_groups",
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "disparity",
    "disparity_named",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "group_counts",
    "group_metrics",
    "impact_ratios",
    "ll144_table",
    "overall",
    "significance",
    "wilson_interval",
]
