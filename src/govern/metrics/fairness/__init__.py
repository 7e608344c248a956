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
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import duckdb

from govern.errors import GovernError
from govern.metrics.fairness_sql import (
    GroupCountsQuery,
    describe_sql,
    distinct_values_sql,
    group_counts_sql,
    is_floating,
    is_text,
    ll144_counts_sql,
    missing_counts_sql,
    sql_literal,
)

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

__all__ = [
    "GROUP_METRICS",
    "LABEL_METRICS",
    "MISSING_GROUP",
    "MISSING_HANDLING",
    "CountedGroups",
    "FairnessInputError",
    "GroupCounts",
    "GroupMetric",
    "GroupTest",
    "LL144Row",
    "LL144Section",
    "LL144Table",
    "bootstrap_ci",
    "count_groups",
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "disparity",
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
]

Group: TypeAlias = tuple[Any, ...]
RelativeTo: TypeAlias = Literal["between_groups", "to_overall"]
Missing: TypeAlias = Literal["fail", "exclude", "group"]
MISSING_HANDLING: tuple[Missing, ...] = ("exclude", "group", "fail")
"""The ways to handle missing sensitive values (see the module docstring)."""
MISSING_GROUP = "(missing)"
"""The value of the group formed by missing sensitive values with ``missing="group"``."""
_NAN = float("nan")


class FairnessInputError(GovernError, ValueError):
    """The relation or the arguments cannot give trustworthy fairness metrics.

    Raised for missing values, non-binary labels, an unknown ``pos_label``, unknown columns
    or groupings. It is a ``ValueError`` and a :class:`~govern.errors.GovernError`.
    """


# --------------------------------------------------------------------------------------------
# Counts


@dataclass(frozen=True)
class GroupCounts:
    """Confusion counts of one group of one grouping.

    ``grouping`` names the sensitive columns (``()`` is the whole population, ``("sex",)`` one
    feature, ``("sex", "race")`` their intersection) and ``group`` holds their values. With
    control columns, ``control`` holds the control values (in the order given to
    :func:`group_counts`) and the group is the group within that control level.

    ``n`` is the number of rows (0 for an empty intersection cell); ``tp + fp + tn + fn == n``
    when a label column was given, all four are 0 otherwise. ``score_sum`` is ``None`` without
    a score column; ``score_n`` is the number of scored rows.
    """

    grouping: tuple[str, ...]
    group: Group
    n: int
    tp: int
    fp: int
    tn: int
    fn: int
    label_positive: int
    predicted_positive: int
    score_sum: float | None
    score_n: int
    control: Group = ()

    @property
    def has_labels(self) -> bool:
        """True when the confusion cells cover every row (a label column was given)."""
        return self.tp + self.fp + self.tn + self.fn == self.n


def _fail(message: str, hint: str | None = None) -> FairnessInputError:
    return FairnessInputError(message, hint=hint)


def _column_types(con: DuckDBPyConnection, relation: str, columns: Sequence[str]) -> dict[str, str]:
    """SQL type of each column; a missing relation or column is a clear error."""
    try:
        rows = con.execute(describe_sql(relation, columns)).fetchall()
    except duckdb.Error as exc:
        raise _fail(
            f"cannot read columns {list(columns)} of relation {relation!r}: {exc}",
            "check the relation name and the column mapping",
        ) from exc
    return {str(r[0]): str(r[1]) for r in rows}


def _refuse_missing(
    con: DuckDBPyConnection,
    relation: str,
    roles: Mapping[str, str],
    types: Mapping[str, str],
    text: Sequence[str] = (),
) -> int:
    """Raise if any column in ``roles`` (column -> role) holds NULL or NaN; return row count.

    In the columns named in ``text`` (sensitive ones), the empty string is missing too.
    """
    cols = {c: is_floating(types[c]) for c in roles}
    text = [c for c in text if c in types and is_text(types[c])]
    # fetchall, never fetchone: DuckDB 2 blocks a connection left with an unfinished result
    (row,) = con.execute(missing_counts_sql(relation, cols, text)).fetchall()
    for (column, role), missing in zip(roles.items(), row[1:], strict=True):
        if missing:
            what = "NULL, NaN or empty" if column in text else "NULL or NaN"
            hint = (
                "leave those rows out (missing: exclude) or group them (missing: group)"
                if role == "sensitive feature"
                else "remove or replace them before computing fairness metrics "
                "(fairlearn refuses them too)"
            )
            raise _fail(
                f"column {column!r} ({role}) of relation {relation!r} has {missing} missing "
                f"value(s) ({what}) out of {row[0]} rows",
                hint,
            )
    return int(row[0])


def _distinct(con: DuckDBPyConnection, relation: str, column: str) -> list[Any]:
    return [r[0] for r in con.execute(distinct_values_sql(relation, column)).fetchall()]


def _dedupe(values: Sequence[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if not any(v == w for w in out):
            out.append(v)
    return out


def _positive_literals(domains: Mapping[str, list[Any]], pos_label: Any) -> dict[str, str | None]:
    """Check binarity and ``pos_label``; the SQL literal of the positive value per column.

    ``domains`` maps each outcome column (label, prediction) to up to three of its distinct
    values. A column where no value equals the positive label gets ``None`` (nothing is
    positive there).
    """
    union = _dedupe([v for dom in domains.values() for v in dom])
    names = " and ".join(repr(c) for c in domains)
    if len(union) > 2:
        raise _fail(
            f"columns {names} must be binary: together they hold more than two distinct values "
            f"(e.g. {union[:3]!r})",
            "map the outcome to two values (e.g. 0/1) before computing fairness metrics",
        )
    if pos_label is None:
        if all(v in (0, 1) for v in union) or all(v in (-1, 1) for v in union):
            pos_label = 1
        else:
            raise _fail(
                f"pos_label=None needs values from {{0, 1}} or {{-1, 1}}, but {names} hold "
                f"{union!r}",
                "pass pos_label= the value that means a positive (selected) outcome",
            )
    elif len(union) == 2 and not any(v == pos_label for v in union):
        raise _fail(
            f"pos_label={pos_label!r} is not one of the values {union!r} of {names}",
            "pass pos_label= the value that means a positive (selected) outcome",
        )
    out: dict[str, str | None] = {}
    for column, dom in domains.items():
        match = [v for v in dom if v == pos_label]
        out[column] = sql_literal(match[0]) if match else None
    return out


def _as_grouping(grouping: str | Sequence[str]) -> tuple[str, ...]:
    return (grouping,) if isinstance(grouping, str) else tuple(grouping)


def _sort_key(values: Group) -> tuple[Any, ...]:
    """Sort groups by value, the missing group last (its string may not compare with ints)."""
    return tuple((1, "") if v is _MISSING_KEY else (0, v) for v in values)


class _MissingKey:
    """Stand-in for a missing value while sorting; becomes :data:`MISSING_GROUP`."""

    def __repr__(self) -> str:
        return MISSING_GROUP


_MISSING_KEY = _MissingKey()


@dataclass(frozen=True)
class CountedGroups:
    """What :func:`count_groups` returns: the counts, and the rows left out per grouping.

    ``missing`` maps ``(grouping, control)`` to the number of rows whose value of a column of
    the grouping is missing: left out of that grouping with ``missing="exclude"``, counted in
    its :data:`MISSING_GROUP` groups with ``"group"``; absent when there is none (always with
    ``"fail"``). ``handling`` is the ``missing=`` the counts were made with.
    """

    counts: list[GroupCounts]
    missing: Mapping[tuple[tuple[str, ...], Group], int]
    handling: Missing

    def missing_rows(self, grouping: str | Sequence[str], control: Group = ()) -> int:
        """Rows without a value of a column of ``grouping`` (at ``control``)."""
        return int(self.missing.get((_as_grouping(grouping), tuple(control)), 0))


def group_counts(
    con: DuckDBPyConnection,
    relation: str,
    *,
    label: str | None,
    prediction: str,
    sensitive: Sequence[str],
    score: str | None = None,
    pos_label: Any = 1,
    intersect: bool = True,
    controls: Sequence[str] = (),
    missing: Missing = "fail",
) -> list[GroupCounts]:
    """The counts of :func:`count_groups` (missing sensitive values refused by default)."""
    return count_groups(
        con,
        relation,
        label=label,
        prediction=prediction,
        sensitive=sensitive,
        score=score,
        pos_label=pos_label,
        intersect=intersect,
        controls=controls,
        missing=missing,
    ).counts


def count_groups(
    con: DuckDBPyConnection,
    relation: str,
    *,
    label: str | None,
    prediction: str,
    sensitive: Sequence[str],
    score: str | None = None,
    pos_label: Any = 1,
    intersect: bool = True,
    controls: Sequence[str] = (),
    missing: Missing = "fail",
) -> CountedGroups:
    """Confusion counts of every group, from one ``GROUP BY GROUPING SETS`` over ``relation``.

    Groupings: the whole population ``()``, each sensitive column alone and, when
    ``intersect`` and there are several, all sensitive columns crossed; with ``controls``,
    each of these within every control level. Every grouping with more than one column
    (control columns included) is completed to the full product of the values its rows hold
    with ``n == 0`` cells, as fairlearn's ``MetricFrame.by_group`` is; beware that this
    product grows multiplicatively with the number of categories.

    ``pos_label`` is the value of ``label`` and ``prediction`` that means positive (selected);
    ``None`` infers ``1`` from values in ``{0, 1}`` or ``{-1, 1}``, as fairlearn does. Without
    ``label`` only selection and score metrics are available. Missing sensitive values are
    refused, left out or grouped by ``missing`` (see the module docstring): the population
    ``()`` always holds every row, and with ``"exclude"`` a grouping's rows are those with
    its values (:func:`overall` sums them, fairlearn's ``MetricFrame.overall`` on them).
    Other missing values and non-binary outcomes raise :class:`FairnessInputError`.

    The result is sorted by grouping (population, each feature, intersection), then by control
    and group values (the missing group last).
    """
    if missing not in MISSING_HANDLING:
        raise _fail(
            f"missing must be one of {', '.join(MISSING_HANDLING)}, not {missing!r}",
            "exclude leaves the rows out, group makes them a group, fail refuses them",
        )
    sens = tuple(sensitive)
    ctrl = tuple(controls)
    if not sens:
        raise _fail("group_counts needs at least one sensitive column")
    keys = ctrl + sens
    if len(set(keys)) != len(keys):
        raise _fail(f"sensitive and control columns must be distinct, got {list(keys)}")
    roles: dict[str, str] = {}
    if label is not None:
        roles[label] = "label"
    roles.setdefault(prediction, "prediction")
    if score is not None:
        roles.setdefault(score, "score")
    for c in ctrl:
        roles.setdefault(c, "control feature")
    for s in sens:
        roles.setdefault(s, "sensitive feature")
    types = _column_types(con, relation, list(roles))
    if score is not None and not _is_numeric(types[score]):
        raise _fail(f"score column {score!r} has type {types[score]}, not a number")
    if missing == "fail":
        _refuse_missing(con, relation, roles, types, text=sens)
    else:
        kept = {c: r for c, r in roles.items() if r != "sensitive feature" or c in ctrl}
        _refuse_missing(con, relation, kept, types)
    domains = {prediction: _distinct(con, relation, prediction)}
    if label is not None:
        domains = {label: _distinct(con, relation, label), **domains}
    literals = _positive_literals(domains, pos_label)

    subsets: list[tuple[str, ...]] = [()] + [(s,) for s in sens]
    if intersect and len(sens) > 1:
        subsets.append(sens)
    query = GroupCountsQuery(
        relation=relation,
        keys=keys,
        grouping_sets=tuple(ctrl + s for s in subsets),
        prediction=prediction,
        prediction_positive_sql=literals[prediction],
        label=label,
        label_positive_sql=literals[label] if label is not None else None,
        score=score,
        key_types=() if missing == "fail" else tuple((s, types[s]) for s in sens),
    )
    rows = con.execute(group_counts_sql(query)).fetchall()
    k = len(keys)
    found: dict[tuple[tuple[str, ...], Group, Group], GroupCounts] = {}
    # the values each grouping's rows hold, per column: the product completes that grouping
    values: dict[tuple[str, ...], dict[str, set[Any]]] = {
        s: {key: set() for key in ctrl + s} for s in subsets
    }
    left_out: dict[tuple[tuple[str, ...], Group], int] = {}
    for row in rows:
        flags, vals, rest = row[:k], row[k : 2 * k], row[2 * k :]
        present = [i for i in range(k) if flags[i] == 0]
        grouping = tuple(keys[i] for i in present if i >= len(ctrl))
        control = tuple(vals[i] for i in range(len(ctrl)))
        group = tuple(
            _MISSING_KEY if vals[i] is None else vals[i] for i in present if i >= len(ctrl)
        )
        n, tp, fp, tn, fn, lp, pp, ssum, sn = rest
        if _MISSING_KEY in group:
            left_out[(grouping, control)] = left_out.get((grouping, control), 0) + int(n)
            if missing == "exclude":
                continue
        for i in present:
            value = _MISSING_KEY if vals[i] is None and i >= len(ctrl) else vals[i]
            values[grouping][keys[i]].add(value)
        found[(grouping, control, group)] = GroupCounts(
            grouping=grouping,
            group=group,
            n=int(n or 0),
            tp=int(tp or 0),
            fp=int(fp or 0),
            tn=int(tn or 0),
            fn=int(fn or 0),
            label_positive=int(lp or 0),
            predicted_positive=int(pp or 0),
            score_sum=None if score is None else float(ssum or 0.0),
            score_n=int(sn or 0),
            control=control,
        )
    out: list[GroupCounts] = []
    for subset in subsets:
        ordered = {c: sorted(v, key=lambda x: _sort_key((x,))) for c, v in values[subset].items()}
        cells = list(itertools.product(*(ordered[c] for c in ctrl + subset)))
        for cell in sorted(cells, key=_sort_key):
            control, group = tuple(cell[: len(ctrl)]), tuple(cell[len(ctrl) :])
            got = found.get((subset, control, group))
            if got is None:
                got = GroupCounts(
                    grouping=subset,
                    group=group,
                    n=0,
                    tp=0,
                    fp=0,
                    tn=0,
                    fn=0,
                    label_positive=0,
                    predicted_positive=0,
                    score_sum=None if score is None else 0.0,
                    score_n=0,
                    control=control,
                )
            if _MISSING_KEY in got.group:
                named = tuple(MISSING_GROUP if v is _MISSING_KEY else v for v in got.group)
                got = dataclasses.replace(got, group=named)
            out.append(got)
    return CountedGroups(counts=out, missing=left_out, handling=missing)


def overall(
    counts: Sequence[GroupCounts], grouping: str | Sequence[str], control: Group = ()
) -> GroupCounts:
    """The counts of every row of a grouping (at ``control``): its groups summed.

    This is fairlearn's ``MetricFrame.overall`` on that grouping's rows. It equals the
    population ``()`` unless rows without a sensitive value were left out
    (``missing="exclude"``), which the population still holds.
    """
    groups = _select(counts, grouping, control)
    with_score = any(c.score_sum is not None for c in groups)
    return GroupCounts(
        grouping=(),
        group=(),
        n=sum(c.n for c in groups),
        tp=sum(c.tp for c in groups),
        fp=sum(c.fp for c in groups),
        tn=sum(c.tn for c in groups),
        fn=sum(c.fn for c in groups),
        label_positive=sum(c.label_positive for c in groups),
        predicted_positive=sum(c.predicted_positive for c in groups),
        score_sum=math.fsum(c.score_sum or 0.0 for c in groups) if with_score else None,
        score_n=sum(c.score_n for c in groups),
        control=tuple(control),
    )


def _is_numeric(sql_type: str) -> bool:
    t = sql_type.upper()
    return (
        is_floating(t)
        or t.startswith("DECIMAL")
        or t.endswith("INT")
        or t
        in {
            "TINYINT",
            "SMALLINT",
            "INTEGER",
            "BIGINT",
            "HUGEINT",
            "UTINYINT",
            "USMALLINT",
            "UINTEGER",
            "UBIGINT",
            "UHUGEINT",
        }
    )


# --------------------------------------------------------------------------------------------
# Per-group metrics


def _ratio0(num: int, den: int) -> float:
    """scikit-learn's normalised confusion matrix: 0/0 is 0."""
    return num / den if den else 0.0


def _labels(c: GroupCounts, name: str) -> None:
    if not c.has_labels:
        raise _fail(
            f"metric {name!r} needs labels, but the counts were made without a label column",
            "call group_counts with label=<column>",
        )


def _label_metric(name: str, f: Callable[[GroupCounts], float]) -> Callable[[GroupCounts], float]:
    def metric(c: GroupCounts) -> float:
        _labels(c, name)
        return _NAN if c.n == 0 else f(c)

    metric.__name__ = name
    metric.__doc__ = f.__doc__
    return metric


def _selection_rate(c: GroupCounts) -> float:
    """Share of predicted positives (fairlearn ``selection_rate``)."""
    return _NAN if c.n == 0 else c.predicted_positive / c.n


def _count(c: GroupCounts) -> float:
    """Number of rows (fairlearn ``count``); NaN for an empty cell, as in ``MetricFrame``."""
    return _NAN if c.n == 0 else float(c.n)


def _mean_score(c: GroupCounts) -> float:
    """Mean score (fairlearn ``mean_prediction`` on the score column)."""
    if c.score_sum is None:
        raise _fail(
            "metric 'mean_score' needs a score, but the counts were made without a score column",
            "call group_counts with score=<column>",
        )
    return _NAN if c.score_n == 0 else c.score_sum / c.score_n


def _tpr(c: GroupCounts) -> float:
    """TP / (TP + FN); 0 without positives (fairlearn ``true_positive_rate``)."""
    return _ratio0(c.tp, c.tp + c.fn)


def _fpr(c: GroupCounts) -> float:
    """FP / (FP + TN); 0 without negatives (fairlearn ``false_positive_rate``)."""
    return _ratio0(c.fp, c.fp + c.tn)


def _tnr(c: GroupCounts) -> float:
    """TN / (TN + FP); 0 without negatives (fairlearn ``true_negative_rate``)."""
    return _ratio0(c.tn, c.tn + c.fp)


def _fnr(c: GroupCounts) -> float:
    """FN / (FN + TP); 0 without positives (fairlearn ``false_negative_rate``)."""
    return _ratio0(c.fn, c.fn + c.tp)


def _precision(c: GroupCounts) -> float:
    """TP / (TP + FP); 0 without predicted positives (scikit-learn ``precision_score``)."""
    return _ratio0(c.tp, c.tp + c.fp)


def _accuracy(c: GroupCounts) -> float:
    """(TP + TN) / n (scikit-learn ``accuracy_score``)."""
    return (c.tp + c.tn) / c.n


def _error_rate(c: GroupCounts) -> float:
    """(FP + FN) / n, i.e. 1 - accuracy."""
    return (c.fp + c.fn) / c.n


def _base_rate(c: GroupCounts) -> float:
    """Share of positive labels (fairlearn ``selection_rate`` on the labels)."""
    return c.label_positive / c.n


_LABELLED: dict[str, Callable[[GroupCounts], float]] = {
    "true_positive_rate": _tpr,
    "false_positive_rate": _fpr,
    "true_negative_rate": _tnr,
    "false_negative_rate": _fnr,
    "precision": _precision,
    "accuracy": _accuracy,
    "error_rate": _error_rate,
    "base_rate": _base_rate,
}

LABEL_METRICS: frozenset[str] = frozenset(_LABELLED)
"""Names of the metrics that need a label column."""

GROUP_METRICS: Mapping[str, Callable[[GroupCounts], float]] = MappingProxyType(
    {
        "selection_rate": _selection_rate,
        **{name: _label_metric(name, f) for name, f in _LABELLED.items()},
        "mean_score": _mean_score,
        "count": _count,
    }
)
"""Per-group metric functions by fairlearn name; every one is NaN on an empty cell."""


def _metric(name: str) -> Callable[[GroupCounts], float]:
    try:
        return GROUP_METRICS[name]
    except KeyError:
        raise _fail(
            f"unknown group metric {name!r}", f"choose one of {sorted(GROUP_METRICS)}"
        ) from None


@dataclass(frozen=True)
class GroupMetric:
    """One metric of one group: ``value`` is NaN for an empty cell (``n == 0``)."""

    grouping: tuple[str, ...]
    group: Group
    metric: str
    value: float
    n: int
    control: Group = ()


def group_metrics(counts: Sequence[GroupCounts], metrics: Sequence[str]) -> list[GroupMetric]:
    """Each requested metric of each group, in the order of ``counts`` then ``metrics``.

    This is ``MetricFrame.by_group`` for every grouping at once (the population ``()``
    included, which is ``MetricFrame.overall``).
    """
    fns = [(m, _metric(m)) for m in metrics]
    return [
        GroupMetric(c.grouping, c.group, m, f(c), c.n, c.control) for c in counts for m, f in fns
    ]


# --------------------------------------------------------------------------------------------
# Disparities


def _select(
    counts: Sequence[GroupCounts], grouping: str | Sequence[str], control: Group = ()
) -> list[GroupCounts]:
    g = _as_grouping(grouping)
    ctl = tuple(control)
    chosen = [c for c in counts if c.grouping == g and c.control == ctl]
    if not chosen:
        known = sorted({(c.grouping, c.control) for c in counts}, key=repr)
        raise _fail(
            f"no counts for grouping {g!r} at control level {ctl!r}",
            f"available (grouping, control): {known}",
        )
    return chosen


def _find(groups: Sequence[GroupCounts], group: Any) -> GroupCounts:
    key = group if isinstance(group, tuple) else (group,)
    for c in groups:
        if c.group == key:
            return c
    raise _fail(
        f"reference group {key!r} is not a group of {groups[0].grouping!r}",
        f"groups: {[c.group for c in groups]}",
    )


def _div(a: float, b: float) -> float:
    """IEEE division as pandas does it: x/0 is ±inf, 0/0 and NaN operands give NaN."""
    if math.isnan(a) or math.isnan(b):
        return _NAN
    if b == 0:
        return _NAN if a == 0 else math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _skipna(values: Sequence[float]) -> list[float]:
    return [v for v in values if not math.isnan(v)]


def _sub_one(x: float) -> float:
    """Invert a ratio above 1 (fairlearn's ``ratio_sub_one``)."""
    return 1 / x if x > 1 else x


def disparity(
    counts: Sequence[GroupCounts],
    grouping: str | Sequence[str],
    metric_name: str,
    *,
    method: Literal["difference", "ratio"],
    reference_group: Any = None,
    relative_to: RelativeTo = "between_groups",
    control: Group = (),
) -> float:
    """The ``MetricFrame.difference()`` / ``.ratio()`` of one metric over one grouping.

    ``relative_to="between_groups"`` (fairlearn's default): difference = max - min, ratio =
    min / max over the groups, skipping NaN (empty cells); ``"to_overall"``: the largest
    ``|m_g - m_overall|``, or the smallest ``m_g / m_overall`` inverted when above 1, with the
    grouping's rows (:func:`overall`, the population unless rows were left out) as
    "overall". A ``reference_group`` (a value, or a tuple for an intersection) replaces
    "overall" by that group's value and leaves the group itself out.
    All values NaN gives NaN. ``control`` picks a control level.
    """
    groups = _select(counts, grouping, control)
    fn = _metric(metric_name)
    if reference_group is None and relative_to == "between_groups":
        vals = _skipna([fn(c) for c in groups])
        if not vals:
            return _NAN
        if method == "difference":
            return max(vals) - min(vals)
        return _div(min(vals), max(vals))
    if reference_group is not None:
        ref = _find(groups, reference_group)
        base = fn(ref)
        others = [c for c in groups if c is not ref]
    else:
        base = fn(overall(counts, grouping, control))
        others = groups
    if method == "difference":
        vals = _skipna([abs(fn(c) - base) for c in others])
    else:
        vals = _skipna([_sub_one(_div(fn(c), base)) for c in others])
    if not vals:
        return _NAN
    return max(vals) if method == "difference" else min(vals)


def demographic_parity_difference(
    counts: Sequence[GroupCounts],
    grouping: str | Sequence[str],
    *,
    relative_to: RelativeTo = "between_groups",
    control: Group = (),
) -> float:
    """Largest minus smallest selection rate (fairlearn ``demographic_parity_difference``)."""
    return disparity(
        counts,
        grouping,
        "selection_rate",
        method="difference",
        relative_to=relative_to,
        control=control,
    )


def demographic_parity_ratio(
    counts: Sequence[GroupCounts],
    grouping: str | Sequence[str],
    *,
    relative_to: RelativeTo = "between_groups",
    control: Group = (),
) -> float:
    """Smallest over largest selection rate (fairlearn ``demographic_parity_ratio``)."""
    return disparity(
        counts, grouping, "selection_rate", method="ratio", relative_to=relative_to, control=control
    )


def _eo(
    counts: Sequence[GroupCounts],
    grouping: str | Sequence[str],
    method: Literal["difference", "ratio"],
    relative_to: RelativeTo,
    agg: Literal["worst_case", "mean"],
    control: Group,
) -> float:
    pair = [
        disparity(counts, grouping, m, method=method, relative_to=relative_to, control=control)
        for m in ("true_positive_rate", "false_positive_rate")
    ]
    if agg == "mean":
        vals = _skipna(pair)
        return sum(vals) / len(vals) if vals else _NAN
    if agg != "worst_case":
        raise _fail(f"agg must be one of 'worst_case' or 'mean', got {agg!r}")
    # Builtin max/min over [tpr, fpr], exactly as fairlearn: NaN handling depends on position.
    return max(pair) if method == "difference" else min(pair)


def equalized_odds_difference(
    counts: Sequence[GroupCounts],
    grouping: str | Sequence[str],
    *,
    relative_to: RelativeTo = "between_groups",
    agg: Literal["worst_case", "mean"] = "worst_case",
    control: Group = (),
) -> float:
    """The larger of the TPR and FPR differences (fairlearn ``equalized_odds_difference``)."""
    return _eo(counts, grouping, "difference", relative_to, agg, control)


def equalized_odds_ratio(
    counts: Sequence[GroupCounts],
    grouping: str | Sequence[str],
    *,
    relative_to: RelativeTo = "between_groups",
    agg: Literal["worst_case", "mean"] = "worst_case",
    control: Group = (),
) -> float:
    """The smaller of the TPR and FPR ratios (fairlearn ``equalized_odds_ratio``)."""
    return _eo(counts, grouping, "ratio", relative_to, agg, control)


def equal_opportunity_difference(
    counts: Sequence[GroupCounts],
    grouping: str | Sequence[str],
    *,
    relative_to: RelativeTo = "between_groups",
    control: Group = (),
) -> float:
    """Largest minus smallest TPR (fairlearn ``equal_opportunity_difference``)."""
    return disparity(
        counts,
        grouping,
        "true_positive_rate",
        method="difference",
        relative_to=relative_to,
        control=control,
    )


def equal_opportunity_ratio(
    counts: Sequence[GroupCounts],
    grouping: str | Sequence[str],
    *,
    relative_to: RelativeTo = "between_groups",
    control: Group = (),
) -> float:
    """Smallest over largest TPR (fairlearn ``equal_opportunity_ratio``)."""
    return disparity(
        counts,
        grouping,
        "true_positive_rate",
        method="ratio",
        relative_to=relative_to,
        control=control,
    )


def _reference(groups: Sequence[GroupCounts], fn: Callable[[GroupCounts], float]) -> GroupCounts:
    """The group with the highest non-NaN value (the first one on ties); else the first."""
    best: GroupCounts | None = None
    best_v = -math.inf
    for c in groups:
        v = fn(c)
        if not math.isnan(v) and (best is None or v > best_v):
            best, best_v = c, v
    return best if best is not None else groups[0]


def impact_ratios(
    counts: Sequence[GroupCounts],
    grouping: str | Sequence[str],
    *,
    rate: str = "selection_rate",
    reference_group: Any = None,
    control: Group = (),
) -> dict[Group, float]:
    """Each non-empty group's rate divided by the reference group's (the four-fifths rule).

    The reference is the group with the highest rate (the "most selected category" of the
    EEOC guidelines and NYC LL144) unless ``reference_group`` is given; with the default
    reference every ratio lies in [0, 1]. A reference rate of 0 gives NaN (0/0). Groups with
    ``n == 0`` are left out; every entry keeps its ``n`` in the counts for size filters.
    """
    groups = [c for c in _select(counts, grouping, control) if c.n > 0]
    if not groups:
        return {}
    fn = _metric(rate)
    ref = _find(groups, reference_group) if reference_group is not None else _reference(groups, fn)
    base = fn(ref)
    return {c.group: _div(fn(c), base) for c in groups}


# --------------------------------------------------------------------------------------------
# Significance and bootstrap


_RATE_PARTS: dict[str, Callable[[GroupCounts], tuple[int, int]]] = {
    "selection_rate": lambda c: (c.predicted_positive, c.n),
    "base_rate": lambda c: (c.label_positive, c.n),
    "true_positive_rate": lambda c: (c.tp, c.tp + c.fn),
    "false_positive_rate": lambda c: (c.fp, c.fp + c.tn),
    "true_negative_rate": lambda c: (c.tn, c.tn + c.fp),
    "false_negative_rate": lambda c: (c.fn, c.fn + c.tp),
    "precision": lambda c: (c.tp, c.tp + c.fp),
    "accuracy": lambda c: (c.tp + c.tn, c.n),
    "error_rate": lambda c: (c.fp + c.fn, c.n),
}


@dataclass(frozen=True)
class GroupTest:
    """A group's rate against the reference group's, with the test's raw and adjusted p-value.

    ``successes / trials`` is the group's rate (e.g. selected / n); ``p_adjusted`` is the
    p-value after the correction across all tested groups (NaN when the test is undefined,
    e.g. a group without trials).
    """

    group: Group
    reference: Group
    successes: int
    trials: int
    rate: float
    reference_rate: float
    impact_ratio: float
    p_value: float
    p_adjusted: float


def _holm(pvalues: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment; NaN p-values are not part of the family."""
    idx = sorted((i for i, p in enumerate(pvalues) if not math.isnan(p)), key=lambda i: pvalues[i])
    m = len(idx)
    out = [_NAN] * len(pvalues)
    running = 0.0
    for rank, i in enumerate(idx):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        out[i] = running
    return out


def _bonferroni(pvalues: Sequence[float]) -> list[float]:
    m = sum(1 for p in pvalues if not math.isnan(p))
    return [p if math.isnan(p) else min(1.0, m * p) for p in pvalues]


def significance(
    counts: Sequence[GroupCounts],
    grouping: str | Sequence[str],
    *,
    rate: str = "selection_rate",
    reference_group: Any = None,
    test: Literal["fisher", "z"] = "fisher",
    alternative: Literal["two-sided", "less", "greater"] = "two-sided",
    correction: Literal["holm", "bonferroni", "none"] = "holm",
    control: Group = (),
) -> dict[Group, GroupTest]:
    """p-values of each group's impact ratio against the reference group, corrected.

    Each non-empty group other than the reference is tested on the 2x2 table
    ``[[successes, failures] of the group, [successes, failures] of the reference]``:
    ``test="fisher"`` uses Fisher's exact test (``scipy.stats.fisher_exact``), ``"z"`` the
    pooled two-proportion z-test (normal approximation; equal proportions of 0 or 1 give
    z = 0). ``alternative="less"`` asks whether the group's rate is lower than the
    reference's. The p-values are then adjusted across the tested groups with Holm's
    step-down method (default; controls the family-wise error rate, uniformly more powerful
    than Bonferroni), Bonferroni, or not at all. The reference is the highest-rate group
    unless given. ``rate`` must be a proportion metric (e.g. ``selection_rate``,
    ``true_positive_rate``).
    """
    from scipy import stats  # type: ignore[import-untyped]  # lazy: heavy import

    if rate not in _RATE_PARTS:
        raise _fail(
            f"significance needs a proportion metric, got {rate!r}",
            f"choose one of {sorted(_RATE_PARTS)}",
        )
    parts = _RATE_PARTS[rate]
    groups = [c for c in _select(counts, grouping, control) if c.n > 0]
    if not groups:
        return {}

    def prop(c: GroupCounts) -> float:
        s, t = parts(c)
        return s / t if t else _NAN

    ref = (
        _find(groups, reference_group) if reference_group is not None else _reference(groups, prop)
    )
    rs, rt = parts(ref)
    others = [c for c in groups if c is not ref]
    raw: list[float] = []
    for c in others:
        s, t = parts(c)
        if t == 0 or rt == 0:
            raw.append(_NAN)
        elif test == "fisher":
            res = stats.fisher_exact([[s, t - s], [rs, rt - rs]], alternative=alternative)
            raw.append(float(res.pvalue))
        elif test == "z":
            pooled = (s + rs) / (t + rt)
            se = math.sqrt(pooled * (1 - pooled) * (1 / t + 1 / rt))
            z = 0.0 if se == 0 else (s / t - rs / rt) / se
            if alternative == "two-sided":
                raw.append(float(2 * stats.norm.sf(abs(z))))
            elif alternative == "less":
                raw.append(float(stats.norm.cdf(z)))
            else:
                raw.append(float(stats.norm.sf(z)))
        else:
            raise _fail(f"unknown test {test!r}", "choose 'fisher' or 'z'")
    if correction == "holm":
        adjusted = _holm(raw)
    elif correction == "bonferroni":
        adjusted = _bonferroni(raw)
    elif correction == "none":
        adjusted = list(raw)
    else:
        raise _fail(f"unknown correction {correction!r}", "choose 'holm', 'bonferroni' or 'none'")
    ref_rate = prop(ref)
    out: dict[Group, GroupTest] = {}
    for c, p, q in zip(others, raw, adjusted, strict=True):
        s, t = parts(c)
        out[c.group] = GroupTest(
            group=c.group,
            reference=ref.group,
            successes=s,
            trials=t,
            rate=prop(c),
            reference_rate=ref_rate,
            impact_ratio=_div(prop(c), ref_rate),
            p_value=p,
            p_adjusted=q,
        )
    return out


def bootstrap_ci(
    counts: Sequence[GroupCounts],
    grouping: str | Sequence[str],
    statistic: Callable[[Sequence[GroupCounts]], float],
    *,
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
    control: Group = (),
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic`` over one grouping, resampling counts.

    For each group of ``grouping`` (at ``control``), ``n_boot`` sets of confusion cells
    ``(tp, fp, tn, fn)`` are drawn at once from a multinomial with the group's size and its
    observed cell shares (``(selected, not selected)`` without labels), using
    ``numpy.random.default_rng(seed)``; groups are stratified (their sizes are fixed) and
    empty cells stay empty. ``statistic`` is called on each resampled list of that grouping's
    counts, e.g. ``lambda c: demographic_parity_difference(c, "sex")``. Scores are not
    resampled: ``score_sum`` keeps its observed mean. Resamples where the statistic is NaN
    are dropped; the interval is the ``(1 - confidence) / 2`` and ``(1 + confidence) / 2``
    quantiles (linear interpolation), or ``(nan, nan)`` when none is finite.
    """
    import numpy as np  # lazy: keep ``import govern`` light

    if not 0 < confidence < 1:
        raise _fail(f"confidence must lie strictly between 0 and 1, got {confidence}")
    if n_boot < 1:
        raise _fail(f"n_boot must be positive, got {n_boot}")
    groups = _select(counts, grouping, control)
    rng = np.random.default_rng(seed)
    draws: list[list[list[int]] | None] = []
    for c in groups:
        if c.n == 0:
            draws.append(None)
            continue
        cells = (
            [c.tp, c.fp, c.tn, c.fn]
            if c.has_labels
            else [c.predicted_positive, c.n - c.predicted_positive]
        )
        pvals = np.asarray(cells, dtype=float) / c.n
        draws.append(rng.multinomial(c.n, pvals, size=n_boot).tolist())
    values = np.empty(n_boot, dtype=float)
    for b in range(n_boot):
        sample: list[GroupCounts] = []
        for c, d in zip(groups, draws, strict=True):
            if d is None:
                sample.append(c)
                continue
            cell = d[b]
            if len(cell) == 4:
                tp, fp, tn, fn = cell
                lp, pp = tp + fn, tp + fp
            else:
                pp = cell[0]
                tp = fp = tn = fn = lp = 0
            sample.append(
                GroupCounts(
                    c.grouping,
                    c.group,
                    c.n,
                    tp,
                    fp,
                    tn,
                    fn,
                    lp,
                    pp,
                    c.score_sum,
                    c.score_n,
                    c.control,
                )
            )
        values[b] = statistic(sample)
    finite = values[~np.isnan(values)]
    if finite.size == 0:
        return (_NAN, _NAN)
    alpha = 1.0 - confidence
    lo, hi = np.quantile(finite, [alpha / 2, 1 - alpha / 2])
    return (float(lo), float(hi))


# --------------------------------------------------------------------------------------------
# NYC Local Law 144 bias-audit table


@dataclass(frozen=True)
class LL144Row:
    """One category: its size, selected (or above-median) count, rate and impact ratio.

    ``impact_ratio`` is ``None`` for a category excluded for representing less than
    ``min_share`` of the audit data (its size and rate are still reported, as the rules ask).
    """

    category: Group
    n: int
    selected: int
    rate: float
    impact_ratio: float | None
    excluded: bool


@dataclass(frozen=True)
class LL144Section:
    """The table for one dimension (``("sex",)``, ``("race",)`` or both crossed)."""

    dimension: tuple[str, ...]
    rows: tuple[LL144Row, ...]
    unknown: int
    excluded: tuple[Group, ...]

    @property
    def reference(self) -> Group | None:
        """The category with impact ratio 1: the most selected (or highest-scoring) one."""
        best = [r for r in self.rows if r.impact_ratio is not None]
        return max(best, key=lambda r: r.rate).category if best else None


@dataclass(frozen=True)
class LL144Table:
    """Selection or scoring rates and impact ratios by sex, race/ethnicity and intersection.

    ``rate_kind`` is ``"selection_rate"`` (binary prediction) or ``"scoring_rate"`` (share of
    a category scoring above the sample's median score, ``median_score``). ``total`` counts
    every record of the audit, unknown categories included; ``min_share`` is the exclusion
    threshold applied to ``n / total``.
    """

    rate_kind: Literal["selection_rate", "scoring_rate"]
    total: int
    median_score: float | None
    min_share: float
    sections: tuple[LL144Section, ...]

    def section(self, *dimension: str) -> LL144Section:
        """The section for these dimension columns, e.g. ``table.section("sex", "race")``."""
        for s in self.sections:
            if s.dimension == dimension:
                return s
        raise KeyError(dimension)


def ll144_table(
    con: DuckDBPyConnection,
    relation: str,
    *,
    sex: str | None,
    race: str | None,
    prediction: str | None = None,
    score: str | None = None,
    unknown_values: Sequence[Any] = ("Unknown", None),
    min_share: float = 0.02,
    pos_label: Any = 1,
) -> LL144Table:
    """An LL144 bias-audit table (NYC DCWP rules, 6 RCNY §5-300 and §5-301) from one scan.

    With ``prediction`` (a binary selection, ``pos_label`` = selected) the rate is the
    selection rate; with ``score`` it is the scoring rate, the share of a category scoring
    strictly above the median score of the whole sample (unknown categories included;
    ``quantile_cont(score, 0.5)``). For each of sex, race/ethnicity and their intersection
    (when both are given): each category's count, selected count and rate, and its impact
    ratio = rate / the rate of the most selected (highest-scoring) category. Records whose
    category is in ``unknown_values`` or missing (NULL, NaN, the empty string: as for
    ``missing="exclude"`` of :func:`count_groups`) are left out of that section and counted
    in its ``unknown`` (for the intersection: unknown sex or race). A category with
    fewer than ``min_share`` of all records may be excluded from the impact ratios (§5-301(d)):
    it is listed in ``excluded``, keeps its count and rate, and is not a candidate reference.
    A reference rate of 0 gives NaN impact ratios.
    """
    if (prediction is None) == (score is None):
        raise _fail("ll144_table needs exactly one of prediction= and score=")
    dims = tuple(d for d in (sex, race) if d is not None)
    if not dims:
        raise _fail("ll144_table needs at least one of sex= and race=")
    outcome = prediction if prediction is not None else score
    assert outcome is not None
    roles = {outcome: "prediction" if prediction is not None else "score"}
    types = _column_types(con, relation, [*roles, *dims])
    if score is not None and not _is_numeric(types[score]):
        raise _fail(f"score column {score!r} has type {types[score]}, not a number")
    _refuse_missing(con, relation, roles, types)
    literal: str | None = None
    if prediction is not None:
        literal = _positive_literals({prediction: _distinct(con, relation, prediction)}, pos_label)[
            prediction
        ]
    sql = ll144_counts_sql(
        relation,
        dimensions=dims,
        unknown_values=tuple(unknown_values),
        prediction=prediction,
        prediction_positive_sql=literal,
        score=score,
        types={d: types[d] for d in dims},
    )
    rows = con.execute(sql).fetchall()
    k = len(dims)
    total = 0
    median: float | None = None
    by_set: dict[tuple[str, ...], list[tuple[Group, int, int]]] = {}
    for row in rows:
        flags, vals, (n, selected, med) = row[:k], row[k : 2 * k], row[2 * k :]
        present = tuple(i for i in range(k) if flags[i] == 0)
        if not present:
            total = int(n)
            median = None if med is None else float(med)
            continue
        key = tuple(dims[i] for i in present)
        by_set.setdefault(key, []).append((tuple(vals[i] for i in present), int(n), int(selected)))
    order = [(d,) for d in dims] + ([dims] if k > 1 else [])
    sections = []
    for dim in order:
        cells = by_set.get(dim, [])
        unknown = sum(n for cat, n, _ in cells if any(v is None for v in cat))
        known = sorted(
            ((cat, n, s) for cat, n, s in cells if all(v is not None for v in cat)),
            key=lambda t: _sort_key(t[0]),
        )
        included = [(cat, n, s) for cat, n, s in known if total and n / total >= min_share]
        ref_rate = max((s / n for _, n, s in included), default=_NAN)
        out_rows = []
        for cat, n, s in known:
            excluded = not (total and n / total >= min_share)
            out_rows.append(
                LL144Row(
                    category=cat,
                    n=n,
                    selected=s,
                    rate=s / n,
                    impact_ratio=None if excluded else _div(s / n, ref_rate),
                    excluded=excluded,
                )
            )
        sections.append(
            LL144Section(
                dimension=dim,
                rows=tuple(out_rows),
                unknown=unknown,
                excluded=tuple(r.category for r in out_rows if r.excluded),
            )
        )
    return LL144Table(
        rate_kind="selection_rate" if prediction is not None else "scoring_rate",
        total=total,
        median_score=median,
        min_share=min_share,
        sections=tuple(sections),
    )
