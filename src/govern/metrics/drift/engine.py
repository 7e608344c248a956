"""The rounds of a drift computation: plan, fetch aggregates, compute, answer per column.

:func:`drift_columns` computes every column together, in a few rounds of statements, each
round on parallel connections when that is safe (:class:`~.runner.Runner`):

1. per relation, row count and per column non-NULL count, min and max (``window_stats_sql``;
   DuckDB answers it from Parquet metadata), plus the finite min/max of float columns whose
   extrema are NaN or infinite (``finite_stats_sql``);
2. per numeric column, one pass over both windows that counts the values on a grid of
   ``ECDF_BINS`` equal-width bins (``grid_counts_sql``): present counts, distinct-value
   bounds, the reference moments and the binned ECDF all come from it; per categorical
   column, the category counts (``category_counts_many_sql``);
3. what the chosen methods still need: the exact ECDF inside a few bins
   (``grid_refine_sql``), category counts of numeric columns, quantiles and histograms of
   psi/psi_evidently.

Each round returns new frozen values keyed by column (:mod:`~.plan`, :mod:`~.aggregates`);
:mod:`~.fetch` runs the statements, :mod:`~.stats` and :mod:`~.ks` compute.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import duckdb

from govern.metrics.drift import fetch
from govern.metrics.drift import sql as q
from govern.metrics.drift.aggregates import (
    BinExact,
    Categories,
    Grid,
    GridCounts,
    Profile,
    WindowStats,
)
from govern.metrics.drift.ks import exact_d, exact_w1_grid, ks_2samp_p_value, ks_p
from govern.metrics.drift.methods import (
    EVIDENTLY_HISTOGRAM_MIN_UNIQUE,
    MAX_CATEGORIES,
    METHODS,
    PSI_DEFAULT_BINS,
    PSI_EPSILON,
    DriftOptions,
    DriftResult,
    Untestable,
    UntestableCause,
)
from govern.metrics.drift.plan import (
    Column,
    ColumnPlan,
    Refinement,
    categorical_profile,
    decide,
    empty_profile,
    grid_of,
    needs_categories,
    needs_histogram,
    precheck,
    refinement,
    resolve,
    unique_from_grid,
)
from govern.metrics.drift.runner import Runner
from govern.metrics.drift.stats import (
    Outcome,
    chisquare,
    evidently_binned,
    grid_moments,
    not_evaluated,
    psi,
    sturges_edges,
    too_many_categories,
    wasserstein,
    z_test,
)

__all__ = ["drift_columns"]

Con = duckdb.DuckDBPyConnection
Job = Callable[[Con], Any]

#: The grid pass is split into about this many statements per worker (load balance).
_GRID_TASKS_PER_WORKER = 2


def drift_columns(
    con: Con, reference: str, current: str, columns: Sequence[str], options: DriftOptions
) -> list[DriftResult | Untestable]:
    """Per requested column, its :class:`DriftResult` or why it cannot be tested.

    Invalid options (``options.problem()``), a column absent from a relation, an unreadable
    relation, ``kind="numeric"`` on a non-numeric column or a method that does not take the
    column's kind give an :class:`Untestable`; every other column a result, evaluated or
    not. Nothing is raised for the caller's input: an exception is a bug, or the database
    failing, and propagates.
    """
    problem = options.problem()
    if problem is not None:
        return [Untestable(c, UntestableCause.INVALID_OPTIONS, problem) for c in columns]
    names = (reference, current)
    resolved = resolve(
        fetch.column_types(con, reference),
        fetch.column_types(con, current),
        columns,
        names,
        options.kind,
    )
    distinct = list(dict.fromkeys(c for c in resolved if isinstance(c, Column)))
    answers: dict[Column, DriftResult | Untestable] = {}
    if distinct:
        with Runner(con, names) as runner:
            answers = _compute(runner, names, distinct, options)
    out: list[DriftResult | Untestable] = []
    for column, item in zip(columns, resolved, strict=True):
        if isinstance(item, Untestable):
            out.append(item)
            continue
        answer = answers[item]
        # The caller's spelling of the column names the answer.
        out.append(replace(answer, column=column))
    return out


@dataclass(frozen=True)
class _Aggregates:
    """What rounds 1 and 2 fetched for one column."""

    windows: tuple[WindowStats, WindowStats]
    grid: Grid | None = None
    counts: GridCounts | None = None
    cats: Categories | None = None


def _compute(
    runner: Runner, names: tuple[str, str], columns: list[Column], options: DriftOptions
) -> dict[Column, DriftResult | Untestable]:
    sides = {c: c.sides(*names) for c in columns}
    windows = _first_round(runner, names, columns, sides)
    aggregates = _grid_round(runner, columns, sides, windows, options)
    plans: dict[Column, ColumnPlan | Untestable] = {}
    for col in columns:
        agg = aggregates[col]
        prof = _profile(runner.con, col, sides[col], agg)
        plans[col] = decide(col, sides[col], prof, options)
    decided = {c: p for c, p in plans.items() if isinstance(p, ColumnPlan)}
    outcomes = _last_round(runner, decided, aggregates, options)
    return {
        c: p if isinstance(p, Untestable) else _result(p, outcomes[c], options)
        for c, p in plans.items()
    }


# --------------------------------------------------------------------------- round 1


def _first_round(
    runner: Runner,
    names: tuple[str, str],
    columns: list[Column],
    sides: Mapping[Column, tuple[q.Side, q.Side]],
) -> dict[Column, tuple[WindowStats, WindowStats]]:
    """Rows, non-NULL counts and finite extrema of every column in both windows."""

    def stats(con: Con, side: int) -> tuple[int, list[tuple[int, Any, Any]]]:
        named = [(c, c.name_ref if side == 0 else c.name_cur) for c in columns]
        return fetch.window_stats(con, names[side], named)

    found: dict[Column, list[WindowStats]] = {c: [] for c in columns}
    refetch: list[list[Column]] = [[], []]
    for side, (rows, per_column) in enumerate(runner.map(stats, [0, 1])):
        for col, (non_null, lo, hi) in zip(columns, per_column, strict=True):
            if not col.numeric:
                w = WindowStats(rows, non_null, valid=non_null)
            elif lo is None or hi is None:  # no non-NULL value
                w = WindowStats(rows, non_null, valid=0)
            elif math.isfinite(lo) and math.isfinite(hi):
                valid = None if col.floating(side) else non_null
                w = WindowStats(rows, non_null, float(lo), float(hi), valid)
            else:  # NaN or infinity among the values (floating point only)
                w = WindowStats(rows, non_null)
                refetch[side].append(col)
            found[col].append(w)

    def finite(con: Con, side: int) -> list[tuple[int, float | None, float | None]]:
        return fetch.finite_stats(con, [sides[c][side] for c in refetch[side]])

    todo = [side for side in (0, 1) if refetch[side]]
    for side, per_column in zip(todo, runner.map(finite, todo), strict=True):
        for col, (valid, lo, hi) in zip(refetch[side], per_column, strict=True):
            found[col][side] = replace(found[col][side], valid=valid, lo=lo, hi=hi)
    return {c: (w[0], w[1]) for c, w in found.items()}


# --------------------------------------------------------------------------- round 2


def _grid_round(
    runner: Runner,
    columns: list[Column],
    sides: Mapping[Column, tuple[q.Side, q.Side]],
    windows: Mapping[Column, tuple[WindowStats, WindowStats]],
    options: DriftOptions,
) -> dict[Column, _Aggregates]:
    """The grid pass of numeric columns and the category counts of the others."""
    grids = {c: grid_of(*windows[c]) for c in columns if c.numeric}
    gridded = [c for c, g in grids.items() if g is not None]
    chunk = max(1, math.ceil(len(gridded) / (_GRID_TASKS_PER_WORKER * runner.workers)))
    jobs: list[tuple[list[Column], Job]] = []
    for start in range(0, len(gridded), chunk):
        part = gridded[start : start + chunk]
        items: list[fetch.GridJob] = []
        for c in part:
            g = grids[c]
            assert g is not None
            items.append((sides[c], g, windows[c]))
        jobs.append((part, _grid_job(items, options.wants_sums)))
    if options.method != "missing_share":
        jobs += _category_jobs([c for c in columns if not c.numeric], sides)
    # Grid jobs first, the cheaper category counts fill in at the end.
    results = runner.map(lambda con, job: job[1](con), jobs)
    out = {c: _Aggregates(windows[c], grid=grids.get(c)) for c in columns}
    for (part, _), values in zip(jobs, results, strict=True):
        for col, value in zip(part, values, strict=True):
            if isinstance(value, GridCounts):
                out[col] = replace(out[col], counts=value)
            else:
                out[col] = replace(out[col], cats=value)
    return out


def _grid_job(items: list[fetch.GridJob], sums: bool) -> Job:
    return lambda con: fetch.grid_counts(con, items, sums)


def _category_jobs(
    columns: list[Column], sides: Mapping[Column, tuple[q.Side, q.Side]], per_job: int = 2
) -> list[tuple[list[Column], Job]]:
    """Category counts of ``columns``, in statements of ``per_job`` columns of one value type.

    A UNION needs one type; small statements balance the connections.
    """
    by_type: dict[str, list[Column]] = {}
    for c in columns:
        by_type.setdefault(c.value_type, []).append(c)
    jobs: list[tuple[list[Column], Job]] = []
    for group in by_type.values():
        for i in range(0, len(group), per_job):
            part = group[i : i + per_job]
            jobs.append((part, _category_job([sides[c] for c in part])))
    return jobs


def _category_job(group: list[tuple[q.Side, q.Side]]) -> Job:
    return lambda con: fetch.category_counts_many(con, group, MAX_CATEGORIES)


def _profile(con: Con, col: Column, sides: tuple[q.Side, q.Side], agg: _Aggregates) -> Profile:
    """The column's profile from its aggregates, or from the exact profile query.

    The query runs when the grid does not settle the distinct counts, or the range overflows
    the grid.
    """
    ref, cur = agg.windows
    if not col.numeric:
        return categorical_profile(agg.cats, ref, cur)
    if agg.grid is None:
        if ref.lo is not None or cur.lo is not None:
            # present values but no usable grid (overflowing range): profile exactly
            return fetch.profile(con, *sides)
        return empty_profile(ref, cur)
    assert agg.counts is not None
    return unique_from_grid(col, agg.grid, agg.counts, ref, cur) or fetch.profile(con, *sides)


# --------------------------------------------------------------------------- round 3


def _last_round(
    runner: Runner,
    plans: Mapping[Column, ColumnPlan],
    aggregates: Mapping[Column, _Aggregates],
    options: DriftOptions,
) -> dict[Column, Outcome]:
    """Everything the chosen methods still need, then the outcomes."""
    bins = options.bins
    outcomes: dict[Column, Outcome] = {}
    for col, plan in plans.items():
        if (early := precheck(plan)) is not None:
            outcomes[col] = early
    todo = [c for c in plans if c not in outcomes]
    cats = {c: aggregates[c].cats for c in todo}
    need_cats = [c for c in todo if cats[c] is None and needs_categories(plans[c], bins)]
    jobs: list[tuple[list[Column], Job]] = []
    jobs += _category_jobs(need_cats, {c: (plans[c].ref, plans[c].cur) for c in need_cats})
    refinements: dict[Column, Refinement] = {}
    for c in todo:
        agg = aggregates[c]
        r = refinement(plans[c], agg.grid, agg.counts, options.exact)
        if r is not None:
            refinements[c] = r
    refine = [c for c, r in refinements.items() if r.candidates]
    chunk = max(1, math.ceil(len(refine) / (2 * runner.workers)))
    for start in range(0, len(refine), chunk):
        part = refine[start : start + chunk]
        jobs.append((part, _refine_job([_refine_item(plans[c], refinements[c]) for c in part])))
    for c in todo:
        if needs_histogram(plans[c], bins):
            jobs.append(([c], _histogram_job(plans[c], bins)))
    found: dict[Column, Mapping[int, BinExact]] = {}
    for (part, _), values in zip(jobs, runner.map(lambda con, j: j[1](con), jobs), strict=True):
        for col, value in zip(part, values, strict=True):
            if isinstance(value, Categories):
                cats[col] = value
            elif isinstance(value, Outcome):
                outcomes[col] = value
            else:
                found[col] = value
    for c in todo:
        if c in outcomes:
            continue
        if c in refinements:
            outcomes[c] = _ecdf_outcome(plans[c], refinements[c], found.get(c, {}))
        else:
            outcomes[c] = _evaluate(runner.con, plans[c], cats[c], bins)
    return outcomes


def _refine_item(plan: ColumnPlan, r: Refinement) -> fetch.RefineJob:
    return ((plan.ref, plan.cur), r.grid, r.counts, r.candidates)


def _refine_job(items: list[fetch.RefineJob]) -> Job:
    return lambda con: fetch.refine(con, items)


def _histogram_job(plan: ColumnPlan, bins: int | None) -> Job:
    return lambda con: [_binned(con, plan, bins)]


def _result(plan: ColumnPlan, outcome: Outcome, options: DriftOptions) -> DriftResult:
    info = METHODS[plan.method]
    drifted: bool | None = None
    if outcome.reason is None:
        score = outcome.p_value if info.direction == "p_value" else outcome.statistic
        assert score is not None
        limit = plan.limit
        drifted = bool(score < limit) if info.direction == "p_value" else bool(score >= limit)
    chosen_by = "caller" if options.method else f"default ({options.compatibility})"
    details = {"direction": info.direction, "method_chosen_by": chosen_by, **outcome.details}
    prof = plan.prof
    return DriftResult(
        column=plan.col.name_ref,
        kind=plan.kind,
        method=plan.method,
        statistic=outcome.statistic,
        p_value=outcome.p_value,
        threshold=plan.limit,
        drifted=drifted,
        reference_n=prof.ref_valid,
        current_n=prof.cur_valid,
        reference_missing_share=prof.ref_missing_share,
        current_missing_share=prof.cur_missing_share,
        reason=outcome.reason,
        details=details,
    )


# --------------------------------------------------------------------------- methods


def _ecdf_outcome(plan: ColumnPlan, r: Refinement, found: Mapping[int, BinExact]) -> Outcome:
    """Ks or wasserstein from the grid: binned, or exact with the candidate bins."""
    s, g, prof = r.summary, r.grid, plan.prof
    n1, n2 = prof.ref_valid, prof.cur_valid
    common: dict[str, Any] = {"computation": "exact" if r.exact else "binned", "ecdf_bins": g.bins}
    if plan.method == "ks":
        if r.exact:
            d, half = exact_d(s, r.candidates, found), 0.0
        else:
            d, half = s.d_lo, s.d_hi - s.d_lo
        stat, p, how = ks_p(d, n1, n2)
        details: dict[str, Any] = {"d_max_abs": d, "p_value_method": how, **common}
        details["error_bound"] = half
        if not r.exact:
            details["statistic_range"] = [s.d_lo, s.d_hi]
            details["p_value_range"] = [ks_p(s.d_hi, n1, n2)[1], ks_p(s.d_lo, n1, n2)[1]]
        return Outcome(stat, p, details=details)
    if r.exact:
        w_grid, half_grid = exact_w1_grid(s, r.candidates, found), 0.0
    else:
        w_grid, half_grid = s.w_lo, s.w_hi - s.w_lo
    w1, w1_err = w_grid / g.scale, half_grid / g.scale
    moments = grid_moments(g, r.counts) if prof.ref_unique != 1 else None
    return wasserstein(w1, prof, moments, common, error=w1_err)


def _evaluate(con: Con, plan: ColumnPlan, cats: Categories | None, bins: int | None) -> Outcome:
    """The outcome of a method that needs one more query (or none), after :func:`precheck`."""
    method = plan.method
    if method in ("ks", "wasserstein"):
        return _ecdf_exact(con, plan)
    if method in ("psi", "psi_evidently", "jensenshannon"):
        return _binned(con, plan, bins, cats)
    n = cats.n if cats is not None else plan.prof.n_unique
    if method in ("chisquare", "chisquare_evidently"):
        if (refused := too_many_categories(n)) is not None:
            return refused
        keys, c_ref, c_cur = _categories(con, plan, cats)
        return chisquare(method, keys, c_ref, c_cur, plan.prof)
    if method == "z":
        if n > 2:
            return not_evaluated(f"the z-test needs a binary column; {n} distinct values found")
        keys, c_ref, c_cur = _categories(con, plan, cats)
        return z_test(keys, c_ref, c_cur, plan.prof)
    raise AssertionError(f"unhandled method {method}")  # pragma: no cover


def _categories(con: Con, plan: ColumnPlan, cats: Categories | None) -> tuple[Any, Any, Any]:
    if cats is not None:
        return cats.keys, cats.c_ref, cats.c_cur
    return fetch.category_counts(con, plan.ref, plan.cur)


def _ecdf_exact(con: Con, plan: ColumnPlan) -> Outcome:
    """Ks or wasserstein over the merged ECDF in one query (no usable grid)."""
    d, w1, distinct = fetch.ecdf_summary(con, plan.ref, plan.cur)
    prof = plan.prof
    if plan.method == "ks":
        stat, p, how = ks_2samp_p_value(d, prof.ref_valid, prof.cur_valid)
        details = {
            "d_max_abs": d,
            "p_value_method": how,
            "distinct_values": distinct,
            "computation": "exact",
            "error_bound": 0.0,
        }
        if prof.n_unique == 1:
            return not_evaluated(
                "one single value in both windows: the KS statistic is 0 and p = 1 by "
                "construction, the test carries no information",
                statistic=stat,
                p_value=p,
                **details,
            )
        return Outcome(stat, p, details=details)
    moments = None if prof.ref_unique == 1 else fetch.reference_moments(con, plan.ref, plan.cur)
    return wasserstein(w1, prof, moments, {"computation": "exact"})


def _binned(
    con: Con, plan: ColumnPlan, bins: int | None, cats: Categories | None = None
) -> Outcome:
    """psi, psi_evidently or jensenshannon: the bins' counts, then the statistic."""
    prof, method, kind = plan.prof, plan.method, plan.kind
    if method == "psi":
        details: dict[str, Any] = {"epsilon": PSI_EPSILON}
        if kind == "numeric":
            k = bins or PSI_DEFAULT_BINS
            probs = [i / k for i in range(1, k)]
            edges: list[float] = []
            if probs:
                edges = sorted(set(fetch.quantiles(con, plan.ref, plan.cur, probs)))
            c_ref, c_cur = fetch.histogram(con, plan.ref, plan.cur, edges, right_closed=True)
            details.update(
                binning=f"reference quantiles (quantile_cont), {k} requested",
                edges=edges,
                bins=len(edges) + 1,
            )
        else:
            if (
                refused := too_many_categories(cats.n if cats is not None else prof.n_unique)
            ) is not None:
                return refused
            keys, c_ref, c_cur = _categories(con, plan, cats)
            details.update(binning="categories", categories=keys, bins=len(keys))
        return psi(c_ref, c_cur, prof, details)
    details = {}
    if kind == "numeric" and (bins is not None or prof.ref_unique > EVIDENTLY_HISTOGRAM_MIN_UNIQUE):
        col = plan.col
        # NumPy keeps an int64 array only when pandas had no missing value to turn into NaN.
        integer = (
            col.integer and prof.ref_valid == prof.ref_rows and prof.cur_valid == prof.cur_rows
        )
        edges_ = sturges_edges(
            float(prof.v_min),
            float(prof.v_max),
            prof.ref_valid + prof.cur_valid,
            integer=integer,
            bins=bins,
        )
        c_ref, c_cur = fetch.histogram(
            con, plan.ref, plan.cur, edges_[1:-1].tolist(), right_closed=False
        )
        details.update(
            binning="equal width over both windows"
            + (f", {bins} bins" if bins is not None else " (Sturges)"),
            edges=edges_.tolist(),
            bins=len(edges_) - 1,
        )
    else:
        if (
            refused := too_many_categories(cats.n if cats is not None else prof.n_unique)
        ) is not None:
            return refused
        keys, c_ref, c_cur = _categories(con, plan, cats)
        details.update(binning="values", categories=keys, bins=len(keys))
    return evidently_binned(method, c_ref, c_cur, prof, details)
