"""Confusion counts of every group, from one scan of a relation.

The SQL is in :mod:`govern.metrics.fairness_sql`; the refusals and the handling of missing
sensitive values are described in the package docstring (:mod:`govern.metrics.fairness`).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
    missing_counts_sql,
)

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

Group: TypeAlias = tuple[Any, ...]
"""The values of one group (one per column of its grouping)."""
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


def _positive_values(domains: Mapping[str, list[Any]], pos_label: Any) -> dict[str, Any]:
    """Check binarity and ``pos_label``; the positive value of each column (as it holds it).

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
    out: dict[str, Any] = {}
    for column, dom in domains.items():
        match = [v for v in dom if v == pos_label]
        out[column] = match[0] if match else None
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
    positives = _positive_values(domains, pos_label)

    subsets: list[tuple[str, ...]] = [()] + [(s,) for s in sens]
    if intersect and len(sens) > 1:
        subsets.append(sens)
    query = GroupCountsQuery(
        relation=relation,
        keys=keys,
        grouping_sets=tuple(ctrl + s for s in subsets),
        prediction=prediction,
        prediction_positive=positives[prediction],
        label=label,
        label_positive=positives[label] if label is not None else None,
        score=score,
        key_types=() if missing == "fail" else tuple((s, types[s]) for s in sens),
    )
    rows = con.execute(*group_counts_sql(query)).fetchall()
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
