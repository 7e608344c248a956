"""NYC Local Law 144 bias-audit table: rates and impact ratios by sex, race and both."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from govern.metrics.fairness.counts import (
    _NAN,
    Group,
    _column_types,
    _distinct,
    _fail,
    _is_numeric,
    _positive_values,
    _refuse_missing,
    _sort_key,
)
from govern.metrics.fairness.disparities import _div
from govern.metrics.fairness_sql import ll144_counts_sql

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection


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
    positive: Any = None
    if prediction is not None:
        domain = {prediction: _distinct(con, relation, prediction)}
        positive = _positive_values(domain, pos_label)[prediction]
    sql, params = ll144_counts_sql(
        relation,
        dimensions=dims,
        unknown_values=tuple(unknown_values),
        prediction=prediction,
        prediction_positive=positive,
        score=score,
        types={d: types[d] for d in dims},
    )
    rows = con.execute(sql, params).fetchall()
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
