"""Periodic fairness review of a model's production decisions over calendar windows.

``govern review`` (this module is its core) cuts a model's current prediction logs into
calendar windows (``month`` or ``quarter``; from the logs' time span, or ``start``/``end``)
and, in every window, for each sensitive feature and their intersection:

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
earlier value met. Regression decisions use point estimates; intervals are reported.

The result is JSON-ready data (schema ``govern.review/v1``, see :data:`SCHEMA`), rendered by
:mod:`govern.formats.review` and stored by :mod:`govern.store.reviews`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from govern.checks.fairness import disparity_statistic, ll144_json, present_sql, user_names
from govern.errors import UsageError
from govern.metrics.fairness.disparities import ALIASES, Disparity, bound_met
from govern.metrics.fairness.disparities import DISPARITIES as _REGISTRY
from govern.store import predictions
from govern.store import reviews as stored_reviews
from govern.store.predictions import Window
from govern.windows import periods

if TYPE_CHECKING:
    from govern.metrics.fairness import CountedGroups, GroupCounts
    from govern.policy.loader import PolicySet
    from govern.store.store import Store

__all__ = [
    "DISPARITIES",
    "MISSING",
    "PERIODS",
    "SCHEMA",
    "Disparity",
    "ReviewOptions",
    "ReviewResult",
    "calendar_windows",
    "parse_bound",
    "review",
]

SCHEMA = "govern.review/v1"
PERIODS: tuple[str, ...] = ("month", "quarter")
Period = Literal["month", "quarter"]
Missing = Literal["exclude", "group", "fail"]
MISSING: tuple[Missing, ...] = ("exclude", "group", "fail")

#: Group metrics reported per group; the label metrics only for labelled rows.
SELECTION_METRICS: tuple[str, ...] = ("selection_rate",)
LABEL_METRICS: tuple[str, ...] = (
    "true_positive_rate",
    "false_positive_rate",
    "accuracy",
    "precision",
)

#: Column names recognised as sex and race/ethnicity for the LL144 table (case-insensitive).
SEX_NAMES = frozenset({"sex", "gender"})
RACE_NAMES = frozenset({"race", "ethnicity", "race_ethnicity", "race/ethnicity"})

_EPS = 1e-12


#: The disparities every review computes, in order (the registry's ``reviewed`` ones).
DISPARITIES: tuple[Disparity, ...] = tuple(d for d in _REGISTRY.values() if d.reviewed)
#: Further disparities computed when a policy rule bounds them.
_EXTRA: dict[str, Disparity] = {d.name: d for d in _REGISTRY.values() if not d.reviewed}
#: Policy metric names that are another name of a review disparity.
_ALIASES = ALIASES


@dataclass(frozen=True)
class ReviewOptions:
    """What to review: the model, the period and the knobs (see the module docstring).

    ``start`` is inclusive and ``end`` exclusive (naive UTC); ``None`` takes the logs' span.
    ``sensitive`` ``None`` takes the columns mapped at ingest; ``intersect`` ``None`` means
    yes with two or more. ``pos_label`` ``None`` takes the policy rules' ``pos_label``, else 1.
    ``ll144_sex``/``ll144_race`` ``None`` look for a sex-/race-like sensitive column.
    ``missing`` ``None`` takes the policy rules' ``missing``, else ``exclude``.
    """

    model: str
    version: str | None = None
    period: Period = "month"
    start: datetime | None = None
    end: datetime | None = None
    sensitive: tuple[str, ...] | None = None
    intersect: bool | None = None
    policies: PolicySet | None = None
    min_group_size: int = 30
    confidence: float | None = None
    tolerance: float = 0.05
    n_boot: int = 1000
    seed: int = 0
    pos_label: Any = None
    ll144_sex: str | None = None
    ll144_race: str | None = None
    compare: bool = True
    missing: Missing | None = None


@dataclass(frozen=True)
class ReviewResult:
    """A review: its JSON-ready ``data`` (``govern.review/v1``) and the options to store."""

    data: dict[str, Any]
    params: dict[str, Any]
    compared_to: stored_reviews.StoredReview | None = None
    warnings: tuple[str, ...] = field(default=())

    @property
    def regressions(self) -> list[dict[str, Any]]:
        """Every regression flagged (may be empty)."""
        return list(self.data["regressions"])


# --------------------------------------------------------------------------------------------
# Windows


def parse_bound(text: str, *, end: bool) -> datetime:
    """A ``--from``/``--to`` date: ``YYYY-MM-DD`` or ``YYYY-MM`` (naive UTC).

    A start is the first instant of the day (month); an end is inclusive, so the instant
    returned is the first one *after* that day (month).
    """
    value = text.strip()
    try:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}", value):
            day = date.fromisoformat(value + "-01")
            if not end:
                return datetime(day.year, day.month, 1)
            nxt = (datetime(day.year, day.month, 1) + timedelta(days=32)).replace(day=1)
            return nxt
        day = date.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"{'--to' if end else '--from'} {text!r} is not a date.",
            hint="Write YYYY-MM-DD (e.g. 2026-03-31) or YYYY-MM (a whole month).",
        ) from None
    moment = datetime(day.year, day.month, day.day)
    return moment + timedelta(days=1) if end else moment


def _label(start: datetime, period: Period) -> str:
    if period == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year:04d}-{start.month:02d}"


def calendar_windows(first: datetime, last: datetime, period: Period) -> list[Window]:
    """Calendar months or quarters covering ``[first, last]`` (months from :func:`periods`)."""
    if period == "month":
        return periods(first, last, "month")
    q_first = first.replace(
        month=(first.month - 1) // 3 * 3 + 1, day=1, hour=0, minute=0, second=0, microsecond=0
    )
    q_last = datetime(last.year, (last.month - 1) // 3 * 3 + 3, 1)
    months = periods(q_first, q_last, "month")
    return [Window(months[i].start, months[i + 2].end) for i in range(0, len(months), 3)]


@dataclass(frozen=True)
class _Slot:
    """One reviewed window: its index (the control value), label and bounds."""

    index: int
    label: str
    start: datetime
    end: datetime
    partial: bool


def _slots(first: datetime, last: datetime, period: Period, clip: Window) -> list[_Slot]:
    out = []
    for i, w in enumerate(calendar_windows(first, last, period)):
        assert w.start is not None and w.end is not None
        start = max(w.start, clip.start) if clip.start else w.start
        end = min(w.end, clip.end) if clip.end else w.end
        out.append(_Slot(i, _label(w.start, period), start, end, (start, end) != (w.start, w.end)))
    return out


# --------------------------------------------------------------------------------------------
# Small helpers


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _ts(moment: datetime) -> str:
    return f"TIMESTAMP '{moment.isoformat(sep=' ')}'"


def _num(value: float | None) -> float | None:
    """A finite float for JSON, else None."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _plain(value: Any) -> Any:
    """A group value as JSON (str/int/float/bool kept; anything else as text)."""
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    return str(value)


def _name(group: Sequence[Any]) -> str:
    return "×".join(str(v) for v in group)


def _iso(moment: datetime) -> str:
    if moment.time() == datetime.min.time():
        return moment.date().isoformat()
    return moment.isoformat()


# --------------------------------------------------------------------------------------------
# Policy bounds


@dataclass(frozen=True)
class _Bound:
    rule: str
    metric: str
    low: float | None
    high: float | None
    sensitive: tuple[str, ...] | None
    intersect: bool

    def applies(self, grouping: tuple[str, ...], all_sensitive: Sequence[str]) -> bool:
        wanted = self.sensitive or tuple(all_sensitive)
        if len(grouping) == 1:
            return grouping[0] in wanted
        return self.intersect and set(grouping) <= set(wanted)

    def met(self, value: float) -> bool:
        return bound_met(value, low=self.low, high=self.high)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rule": self.rule}
        if self.low is not None:
            out["min"] = self.low
        if self.high is not None:
            out["max"] = self.high
        return out


@dataclass(frozen=True)
class _Terms:
    """What the policies' ``check: fairness`` rules for the model say."""

    bounds: list[_Bound]
    pos_label: Any
    reference_group: Any
    missing: Missing | None
    used: list[dict[str, Any]]


def _policy_terms(policies: PolicySet | None, model: str) -> _Terms:
    """Bounds, pos_label, reference group and missing of the fairness rules; policies used."""
    if policies is None:
        return _Terms([], None, None, None, [])
    bounds: list[_Bound] = []
    pos: dict[str, Any] = {}
    refs: dict[str, Any] = {}
    missing: dict[str, Any] = {}
    used = []
    for policy in policies.policies:
        if not policy.scope.matches_model(model):
            continue
        used.append(
            {
                "id": policy.id,
                "version": policy.version,
                "path": str(policy.path),
                "sha256": policy.sha256,
            }
        )
        for rule in policy.rules:
            if rule.check != "fairness":
                continue
            p = rule.params
            metric = _ALIASES.get(str(p.get("metric")), str(p.get("metric")))
            if "pos_label" in p:
                pos[rule.id] = p["pos_label"]
            if "reference_group" in p:
                refs[rule.id] = p["reference_group"]
            if "missing" in p:
                missing[rule.id] = p["missing"]
            if "min" not in p and "max" not in p:
                continue
            sens = p.get("sensitive")
            bounds.append(
                _Bound(
                    rule=rule.id,
                    metric=metric,
                    low=float(p["min"]) if "min" in p else None,
                    high=float(p["max"]) if "max" in p else None,
                    sensitive=tuple(sens) if sens else None,
                    intersect=bool(p.get("intersect", False)),
                )
            )
    for name, values in (("pos_label", pos), ("reference_group", refs), ("missing", missing)):
        if len({repr(v) for v in values.values()}) > 1:
            listed = ", ".join(f"{rid}: {v!r}" for rid, v in sorted(values.items()))
            raise UsageError(
                f"the fairness rules of the policies disagree on {name} ({listed}).",
                hint=f"Give every fairness rule of model {model!r} the same {name}.",
            )
    pos_label = next(iter(pos.values())) if pos else None
    reference = next(iter(refs.values())) if refs else None
    handling = next((m for m in MISSING if m in missing.values()), None)
    return _Terms(bounds, pos_label, reference, handling, used)


# --------------------------------------------------------------------------------------------
# The review


def review(store: Store, options: ReviewOptions, *, now: datetime) -> ReviewResult:
    """Compute a fairness review (see the module docstring); nothing is written.

    Raises :class:`~govern.errors.UsageError` for bad input: an unknown model, no current
    log, an unknown column, no timestamps, an unknown version or bad options.
    """
    o = options
    _check_options(o)
    terms = _policy_terms(o.policies, o.model)
    bounds, reference_group = terms.bounds, terms.reference_group
    pos_label = o.pos_label if o.pos_label is not None else terms.pos_label
    if pos_label is None:
        pos_label = 1
    handling: Missing = o.missing or terms.missing or "exclude"
    inputs = _inputs(store, o)
    span, slots = _span(store.con, o)
    data = _Data(store.con, inputs, slots, pos_label, handling)

    groupings: list[tuple[str, ...]] = [(s,) for s in inputs.sensitive]
    if inputs.intersect:
        groupings.append(tuple(inputs.sensitive))
    metrics = _disparities(bounds)
    windows: list[dict[str, Any]] = []
    for slot in slots:
        win = data.window(slot)
        if win["status"] == "evaluated":
            win["features"] = [
                _feature(grouping, slot.index, data, metrics, o, reference_group, bounds, inputs)
                for grouping in groupings
            ]
            win["ll144"] = data.ll144(slot.index)
        windows.append(win)

    params: dict[str, Any] = {
        "model": o.model,
        "version": o.version,
        "period": o.period,
        "start": _iso(o.start) if o.start else None,
        "end": _iso(o.end) if o.end else None,
        "sensitive": list(inputs.sensitive),
        "intersect": inputs.intersect,
        "min_group_size": o.min_group_size,
        "missing": handling,
        "tolerance": o.tolerance,
        "confidence": o.confidence,
        "n_boot": o.n_boot if o.confidence else None,
        "seed": o.seed if o.confidence else None,
        "pos_label": _plain(pos_label),
        "reference_group": _plain(reference_group),
        "ll144": {"sex": inputs.sex, "race": inputs.race} if (inputs.sex or inputs.race) else None,
        "policies": terms.used,
        "metrics": [m.name for m in metrics],
    }
    stored = (
        stored_reviews.latest(store, model=o.model, version=o.version, period=o.period)
        if o.compare
        else None
    )
    warnings = _warnings(data, span, stored, params)
    regressions = _compare(windows, metrics, stored, o.tolerance)
    evaluated = sum(1 for w in windows if w["status"] == "evaluated")
    violations = sum(
        1
        for w in windows
        for f in w["features"]
        for d in f["disparities"]
        if any(b["met"] is False for b in d["bounds"])
    )
    result: dict[str, Any] = {
        "schema": SCHEMA,
        "model": o.model,
        "version": o.version,
        "period": o.period,
        "generated_at": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "params": params,
        "span": {
            "start": _iso(slots[0].start) if slots else None,
            "end": _iso(slots[-1].end) if slots else None,
            "first_record": span.first.isoformat() if span.first else None,
            "last_record": span.last.isoformat() if span.last else None,
            "records": span.records,
            "untimed_records": span.untimed,
        },
        "compared_to": stored.ref() if stored else None,
        "decision": "regression" if regressions else "ok",
        "summary": {
            "windows": len(windows),
            "evaluated": evaluated,
            "not_evaluated": len(windows) - evaluated,
            "regressions": len(regressions),
            "bound_violations": violations,
        },
        "disparities": [
            {
                "metric": m.name,
                "kind": m.kind,
                "needs_labels": m.needs_labels,
                "description": m.description,
            }
            for m in metrics
        ],
        "windows": windows,
        "trend": _trend(windows, metrics, groupings),
        "regressions": regressions,
        "warnings": warnings,
    }
    return ReviewResult(data=result, params=params, compared_to=stored, warnings=tuple(warnings))


@dataclass(frozen=True)
class _Inputs:
    """The model's logs as the review reads them: the base view and the chosen columns."""

    logs: tuple[predictions.LogInfo, ...]
    sensitive: tuple[str, ...]
    intersect: bool
    sex: str | None
    race: str | None


_BASE = "__govern_review_all"
_KEYED = "__govern_review_keyed"
_ROWS = "__govern_review_rows"
_LABELLED = "__govern_review_labelled"


def _inputs(store: Store, o: ReviewOptions) -> _Inputs:
    """Check the model, version and columns; create the base view ``_BASE``."""
    logs = predictions.logs(store, model=o.model, role="current")
    if not logs:
        known = sorted({log.model for log in predictions.logs(store, role="current")})
        raise UsageError(
            f"no current prediction log of model {o.model!r} is in the store"
            + (f" (models with logs: {', '.join(known)})." if known else "."),
            hint=f"Load one with `govern ingest LOG --model {o.model} --role current "
            "--timestamp TS --prediction COL --sensitive COL ...`.",
        )
    if not any("prediction" in log.mapping for log in logs):
        raise UsageError(
            f"the prediction logs of model {o.model!r} have no prediction column mapped.",
            hint="Ingest them again into a fresh store with --prediction COL.",
        )
    versioned = any(log.version or "model_version" in log.mapping for log in logs)
    if o.version is not None and not versioned:
        raise UsageError(
            f"the prediction logs of model {o.model!r} carry no model version, so --version "
            f"{o.version} cannot select rows.",
            hint="Drop --version, or ingest the logs with --version V or --version-column COL.",
        )
    con = store.con
    predictions.relation(store, _BASE, model=o.model, role="current", version=o.version)
    if o.version is not None and not con.execute(f"SELECT 1 FROM {_q(_BASE)} LIMIT 1").fetchall():
        every = "__govern_review_versions"
        predictions.relation(store, every, model=o.model, role="current")
        rows = con.execute(
            f"SELECT DISTINCT __version FROM {_q(every)} ORDER BY 1 NULLS LAST"
        ).fetchall()
        names = ", ".join(str(r[0]) for r in rows if r[0] is not None) or "none"
        raise UsageError(
            f"model {o.model!r} has no prediction rows of version {o.version!r} "
            f"(versions in its logs: {names}).",
            hint="Pick one of those versions, or drop --version to review every version.",
        )
    columns = [str(r[0]) for r in con.execute(f"DESCRIBE {_q(_BASE)}").fetchall()]
    visible = [c for c in columns if not c.startswith("__")]
    sensitive = (
        list(o.sensitive)
        if o.sensitive
        else list(dict.fromkeys(s for log in logs for s in log.sensitive))
    )
    if not sensitive:
        raise UsageError(
            f"no sensitive column is mapped for model {o.model!r}.",
            hint="Pass --sensitive COL (repeatable), or map them at ingest with --sensitive.",
        )
    if len(set(sensitive)) != len(sensitive):
        raise UsageError(f"--sensitive names a column twice: {', '.join(sensitive)}.")
    _known_columns(sensitive, visible, "--sensitive")
    sex, race = _ll144_columns(o, sensitive)
    _known_columns([c for c in (sex, race) if c], visible, "--ll144-sex/--ll144-race")
    intersect = len(sensitive) > 1 and o.intersect is not False
    return _Inputs(tuple(logs), tuple(sensitive), intersect, sex, race)


@dataclass(frozen=True)
class _Span:
    first: datetime | None
    last: datetime | None
    records: int
    untimed: int


def _span(con: Any, o: ReviewOptions) -> tuple[_Span, list[_Slot]]:
    """The records' time span and the calendar windows to review."""
    row = con.execute(
        f"SELECT min(__ts), max(__ts), count(*), count(*) - count(__ts) FROM {_q(_BASE)}"
    ).fetchall()[0]
    span = _Span(row[0], row[1], int(row[2]), int(row[3]))
    if span.records and span.first is None:
        raise UsageError(
            f"the prediction logs of model {o.model!r} have no timestamps, so they cannot be "
            "cut into calendar windows.",
            hint="Ingest them again into a fresh store with --timestamp COL.",
        )
    first = o.start if o.start is not None else span.first
    last = (o.end - timedelta(microseconds=1)) if o.end is not None else span.last
    if first is None or last is None:
        raise UsageError(
            f"model {o.model!r} has no timestamped prediction rows to review.",
            hint="Ingest a current log with --timestamp COL, or pass --from and --to.",
        )
    return span, _slots(first, last, o.period, Window(o.start, o.end))


class _Data:
    """Counts of every window from DuckDB: a profile per window and the group counts.

    One scan gives each window's row counts; one ``GROUPING SETS`` scan over all windows
    (the window as a control column) gives the groups' counts and the rows without a sensitive
    value per feature, and a second one over the labelled rows when only some rows have
    labels.
    """

    def __init__(
        self,
        con: Any,
        inputs: _Inputs,
        slots: Sequence[_Slot],
        pos_label: Any,
        missing: Missing = "exclude",
    ) -> None:
        from govern.metrics.fairness_sql import is_floating, is_text, missing_predicate

        self.con = con
        self.inputs = inputs
        self.pos_label = pos_label
        self.missing = missing
        case = " ".join(
            f"WHEN __ts >= {_ts(s.start)} AND __ts < {_ts(s.end)} THEN {s.index}" for s in slots
        )
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {_q(_KEYED)} AS SELECT * FROM "
            f"(SELECT *, CASE {case} END AS __window FROM {_q(_BASE)}) "
            "WHERE __window IS NOT NULL"
        )
        columns = ", ".join(_q(s) for s in inputs.sensitive)
        described = con.execute(f"DESCRIBE SELECT {columns} FROM {_q(_KEYED)}").fetchall()
        types = {str(r[0]): str(r[1]) for r in described}
        sens_null = " OR ".join(
            missing_predicate(_q(s), floating=is_floating(types[s]), text=is_text(types[s]))
            for s in inputs.sensitive
        )
        # rows without a sensitive value stay: each feature leaves out (or groups) its own
        valid = "__prediction IS NOT NULL"
        rows = con.execute(
            f"SELECT __window, count(*), "
            f"sum(CASE WHEN __prediction IS NULL THEN 1 ELSE 0 END), "
            f"sum(CASE WHEN {valid} AND ({sens_null}) THEN 1 ELSE 0 END), "
            f"sum(CASE WHEN {valid} THEN 1 ELSE 0 END), "
            f"sum(CASE WHEN {valid} AND {present_sql('__label')} THEN 1 ELSE 0 END), "
            f"sum(CASE WHEN {valid} AND {present_sql('__score')} THEN 1 ELSE 0 END) "
            f"FROM {_q(_KEYED)} GROUP BY __window"
        ).fetchall()
        self.profile = {int(r[0]): [int(v or 0) for v in r[1:]] for r in rows}
        usable = sum(p[3] for p in self.profile.values())
        labelled = sum(p[4] for p in self.profile.values())
        scored = sum(p[5] for p in self.profile.values())
        has_score = any("score" in log.mapping for log in inputs.logs)
        self.use_score = has_score and usable > 0 and scored == usable
        self.unscored = usable - scored if has_score else 0
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {_q(_ROWS)} AS SELECT * FROM {_q(_KEYED)} WHERE {valid}"
        )
        sel: list[GroupCounts] = []
        lab: list[GroupCounts] = []
        self.missing_rows: dict[tuple[tuple[Any, ...], tuple[str, ...]], int] = {}
        self.missing_labelled: dict[tuple[tuple[Any, ...], tuple[str, ...]], int] = {}
        common = {
            "prediction": "__prediction",
            "sensitive": inputs.sensitive,
            "pos_label": pos_label,
            "intersect": inputs.intersect,
            "controls": ("__window",),
            # fail: count them as for exclude, then the features that have any are not evaluated
            "missing": "group" if missing == "group" else "exclude",
        }
        if usable:
            every = labelled == usable
            counted = self._counts(
                _ROWS,
                label="__label" if every else None,
                score="__score" if self.use_score else None,
                **common,
            )
            sel = counted.counts
            self.missing_rows = {(c, g): n for (g, c), n in counted.missing.items()}
            if every:
                lab = sel
                self.missing_labelled = self.missing_rows
            elif labelled:
                con.execute(
                    f"CREATE OR REPLACE TEMP VIEW {_q(_LABELLED)} AS "
                    f"SELECT * FROM {_q(_ROWS)} WHERE {present_sql('__label')}"
                )
                counted = self._counts(_LABELLED, label="__label", **common)
                lab = counted.counts
                self.missing_labelled = {(c, g): n for (g, c), n in counted.missing.items()}
        self.selection = _index(sel)
        self.labelled = _index(lab)

    def _counts(self, relation: str, **kwargs: Any) -> CountedGroups:
        """:func:`~govern.metrics.fairness.count_groups`; bad data becomes a UsageError."""
        from govern.metrics.fairness import FairnessInputError, count_groups

        try:
            return count_groups(self.con, relation, **kwargs)
        except FairnessInputError as exc:
            message = user_names(exc.message, self.inputs.logs).rstrip(".")
            raise UsageError(message + ".", hint=exc.hint) from exc

    def window(self, slot: _Slot) -> dict[str, Any]:
        """A window's bounds and row counts, and whether it can be evaluated."""
        prof = self.profile.get(slot.index, [0, 0, 0, 0, 0, 0])
        win: dict[str, Any] = {
            "label": slot.label,
            "start": _iso(slot.start),
            "end": _iso(slot.end),
            "partial": slot.partial,
            "rows": prof[0],
            "missing_prediction": prof[1],
            "missing_sensitive": prof[2],
            "reviewed": prof[3],
            "labelled": prof[4],
            "scored": prof[5],
            "status": "evaluated",
            "reason": None,
            "features": [],
            "ll144": None,
        }
        if prof[0] == 0:
            win.update(status="not_evaluated", reason="no records in this window")
        elif prof[3] == 0:
            win.update(
                status="not_evaluated", reason="every record of this window lacks a prediction"
            )
        return win

    def ll144(self, window: int) -> dict[str, Any] | None:
        """The LL144 table of one window (one scan), or None without sex/race columns."""
        sex, race = self.inputs.sex, self.inputs.race
        if sex is None and race is None:
            return None

        from govern.metrics.fairness import FairnessInputError, ll144_table

        view = "__govern_review_ll144"
        self.con.execute(
            f"CREATE OR REPLACE TEMP VIEW {_q(view)} AS SELECT * FROM {_q(_KEYED)} "
            f"WHERE __window = {int(window)} AND __prediction IS NOT NULL"
        )
        try:
            table = ll144_table(
                self.con,
                view,
                sex=sex,
                race=race,
                prediction="__prediction",
                pos_label=self.pos_label,
            )
        except FairnessInputError as exc:
            message = user_names(exc.message, self.inputs.logs).rstrip(".")
            raise UsageError(message + ".", hint=exc.hint) from exc
        return ll144_json(table)


def _warnings(
    data: _Data,
    span: _Span,
    stored: stored_reviews.StoredReview | None,
    params: Mapping[str, Any],
) -> list[str]:
    out = []
    if data.unscored:
        out.append(f"{data.unscored} reviewed row(s) have no score: mean_score is not reported.")
    if span.untimed:
        out.append(
            f"{span.untimed} record(s) have no timestamp and belong to no window: they are not "
            "reviewed."
        )
    if stored is not None:
        if not stored.verified():
            out.append(
                f"stored review #{stored.id} no longer matches its digest (it was edited); "
                "compared with it anyway."
            )
        # reviews stored before `missing` existed left out records without a value too
        earlier = {"missing": "exclude", **stored.params}
        for key in ("sensitive", "pos_label", "min_group_size", "missing"):
            if earlier.get(key) != params[key]:
                out.append(
                    f"stored review #{stored.id} used {key} {earlier.get(key)!r}, this "
                    f"review {params[key]!r}: values may not be comparable."
                )
    return out


def store_review(
    store: Store, result: ReviewResult, *, now: datetime
) -> stored_reviews.StoredReview:
    """Append a review's result to the store (one transaction)."""
    d = result.data
    return stored_reviews.append(
        store,
        model=d["model"],
        version=d["version"],
        period=d["period"],
        params=result.params,
        result=d,
        now=now,
    )


def _check_options(o: ReviewOptions) -> None:
    if o.period not in PERIODS:
        raise UsageError(f"--period must be month or quarter, not {o.period!r}.")
    if o.min_group_size < 1:
        raise UsageError(f"--min-group-size must be at least 1, not {o.min_group_size}.")
    if not (o.tolerance >= 0 and math.isfinite(o.tolerance)):
        raise UsageError(f"--tolerance must be a number of at least 0, not {o.tolerance}.")
    if o.confidence is not None and not 0 < o.confidence < 1:
        raise UsageError(
            f"--confidence must lie strictly between 0 and 1, not {o.confidence}.",
            hint="For a 95% interval write --confidence 0.95.",
        )
    if o.n_boot < 100:
        raise UsageError(f"n_boot must be at least 100, not {o.n_boot}.")
    if o.start is not None and o.end is not None and o.start >= o.end:
        raise UsageError(
            f"--from {o.start.date()} is not before --to {(o.end - timedelta(days=1)).date()}.",
            hint="Give the first day of the review with --from and its last day with --to.",
        )


def _known_columns(wanted: Iterable[str], visible: Sequence[str], option: str) -> None:
    import difflib

    for column in wanted:
        if column not in visible:
            close = difflib.get_close_matches(column, visible, n=1)
            hint = f"Did you mean {close[0]!r}? " if close else ""
            raise UsageError(
                f"{option} names column {column!r}, which the prediction logs do not have.",
                hint=f"{hint}Columns: {', '.join(visible)}.",
            )


def _ll144_columns(o: ReviewOptions, sensitive: Sequence[str]) -> tuple[str | None, str | None]:
    sex, race = o.ll144_sex, o.ll144_race
    if sex is None and race is None:
        sex = next((s for s in sensitive if s.lower() in SEX_NAMES), None)
        race = next((s for s in sensitive if s.lower() in RACE_NAMES), None)
    return sex, race


def _disparities(bounds: Sequence[_Bound]) -> list[Disparity]:
    out = list(DISPARITIES)
    for b in bounds:
        extra = _EXTRA.get(b.metric)
        if extra is not None and extra not in out:
            out.append(extra)
    return out


def _index(
    counts: Sequence[GroupCounts],
) -> dict[tuple[tuple[Any, ...], tuple[str, ...]], list[GroupCounts]]:
    out: dict[tuple[tuple[Any, ...], tuple[str, ...]], list[GroupCounts]] = {}
    for c in counts:
        out.setdefault((c.control, c.grouping), []).append(c)
    return out


def _statistic(
    metric: Disparity, grouping: tuple[str, ...], control: tuple[Any, ...], reference: Any
) -> Callable[[Sequence[GroupCounts]], float]:
    """The function of a grouping's counts giving one disparity (the fairness rule's own)."""
    run = disparity_statistic(metric.name, reference, control)
    return lambda counts: run(grouping, counts)


def _group_rows(
    sel: Sequence[GroupCounts], lab: Mapping[tuple[Any, ...], GroupCounts], use_score: bool
) -> list[dict[str, Any]]:
    from govern.metrics.fairness import GROUP_METRICS

    rows = []
    for c in sel:
        if c.n == 0:
            continue
        row: dict[str, Any] = {
            "group": _name(c.group),
            "values": [_plain(v) for v in c.group],
            "n": c.n,
            "selection_rate": _num(GROUP_METRICS["selection_rate"](c)),
        }
        if use_score:
            row["mean_score"] = _num(GROUP_METRICS["mean_score"](c))
        lc = lab.get(c.group)
        row["labelled"] = lc.n if lc is not None else 0
        if lc is not None and lc.n > 0:
            for name in LABEL_METRICS:
                row[name] = _num(GROUP_METRICS[name](lc))
        rows.append(row)
    return rows


def _feature(
    grouping: tuple[str, ...],
    window: int,
    data: _Data,
    metrics: Sequence[Disparity],
    o: ReviewOptions,
    reference_group: Any,
    bounds: Sequence[_Bound],
    inputs: _Inputs,
) -> dict[str, Any]:
    """Group metrics and disparities of one grouping in one window."""
    from govern.metrics.fairness import bootstrap_ci

    control = (window,)
    sel = data.selection.get((control, grouping), [])
    lab = data.labelled.get((control, grouping), [])
    lab_by_group = {c.group: c for c in lab}
    members = [c for c in sel if c.n > 0]
    kept = [c for c in members if c.n >= o.min_group_size]
    kept_lab = [c for c in lab if c.n >= o.min_group_size]
    min_size = o.min_group_size
    excluded = []
    for c in members:
        n_lab = lab_by_group[c.group].n if c.group in lab_by_group else 0
        if c.n < min_size:
            excluded.append({"group": _name(c.group), "n": c.n, "labelled": n_lab, "from": "all"})
        elif 0 < n_lab < min_size:
            excluded.append(
                {"group": _name(c.group), "n": c.n, "labelled": n_lab, "from": "label_metrics"}
            )
    absent = [_name(c.group) for c in sel if c.n == 0]
    key = "×".join(grouping)
    unvalued = data.missing_rows.get((control, grouping), 0)
    out: dict[str, Any] = {
        "feature": key,
        "columns": list(grouping),
        "groups": _group_rows(sel, lab_by_group, data.use_score),
        "excluded": excluded,
        "absent": absent,
        "missing": unvalued,
        "missing_labelled": data.missing_labelled.get((control, grouping), 0),
    }
    if data.missing == "fail" and unvalued:
        out["status"] = "not_evaluated"
        out["reason"] = (
            f"{unvalued} record(s) without a value of {key} (missing: fail; exclude leaves "
            "them out, group makes them a group)"
        )
    elif len(kept) < 2:
        out["status"] = "not_evaluated"
        out["reason"] = (
            f"fewer than two groups with at least {min_size} records ({len(members)} group(s), "
            f"{sum(1 for c in members if c.n < min_size)} too small)"
        )
    else:
        out["status"] = "evaluated"
        out["reason"] = None
    reference = (
        reference_group
        if len(grouping) == 1 and any(c.group == (reference_group,) for c in kept)
        else None
    )
    disparities = []
    for m in metrics:
        d: dict[str, Any] = {
            "metric": m.name,
            "kind": m.kind,
            "value": None,
            "ci": None,
            "previous": None,
            "stored": None,
            "regression": False,
        }
        applicable = [
            b for b in bounds if b.metric == m.name and b.applies(grouping, inputs.sensitive)
        ]
        d["bounds"] = []
        groups = kept_lab if m.needs_labels else kept
        if out["status"] != "evaluated":
            d.update(status="not_evaluated", reason=out["reason"])
        elif m.needs_labels and not lab:
            d.update(status="not_evaluated", reason="no ground-truth labels in this window")
        elif m.needs_labels and len(groups) < 2:
            d.update(
                status="not_evaluated",
                reason=f"fewer than two groups with at least {min_size} labelled records",
            )
        else:
            fn = _statistic(m, grouping, control, reference)
            value = fn(groups)
            if math.isnan(value) or math.isinf(value):
                d.update(
                    status="not_evaluated", reason="undefined in this window (e.g. every rate is 0)"
                )
            else:
                d.update(status="evaluated", reason=None, value=value)
                if m.name == "impact_ratio":
                    d["detail"] = _impact_detail(groups, grouping, control, reference)
                if o.confidence is not None:
                    lo, hi = bootstrap_ci(
                        groups,
                        grouping,
                        fn,
                        n_boot=o.n_boot,
                        confidence=o.confidence,
                        seed=o.seed,
                        control=control,
                    )
                    d["ci"] = [_num(lo), _num(hi)]
                d["bounds"] = [{**b.to_json(), "met": b.met(value)} for b in applicable]
        if d["status"] != "evaluated":
            d["bounds"] = [{**b.to_json(), "met": None} for b in applicable]
        disparities.append(d)
    out["disparities"] = disparities
    return out


def _impact_detail(
    groups: Sequence[GroupCounts], grouping: tuple[str, ...], control: tuple[Any, ...], ref: Any
) -> dict[str, Any]:
    from govern.metrics.fairness import GROUP_METRICS, impact_ratios

    ratios = impact_ratios(groups, grouping, reference_group=ref, control=control)
    finite = {g: v for g, v in ratios.items() if not math.isnan(v)}
    if ref is not None:
        reference = (ref,)
    else:
        best = max(groups, key=lambda c: GROUP_METRICS["selection_rate"](c))
        reference = best.group
    lowest = min(finite, key=lambda g: finite[g]) if finite else None
    return {
        "reference": _name(reference),
        "lowest": _name(lowest) if lowest is not None else None,
        "ratios": {_name(g): _num(v) for g, v in ratios.items()},
    }


def _values(windows: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str, str], float | None]:
    """(window label, feature, metric) -> evaluated value (None when not evaluated)."""
    out: dict[tuple[str, str, str], float | None] = {}
    for w in windows:
        for f in w.get("features") or []:
            for d in f["disparities"]:
                out[(w["label"], f["feature"], d["metric"])] = (
                    d["value"] if d["status"] == "evaluated" else None
                )
    return out


def _compare(
    windows: list[dict[str, Any]],
    metrics: Sequence[Disparity],
    stored: stored_reviews.StoredReview | None,
    tolerance: float,
) -> list[dict[str, Any]]:
    """Fill each disparity's ``previous``/``stored``/``regression``; return the regressions."""
    kinds = {m.name: m for m in metrics}
    old_windows: list[dict[str, Any]] = list(stored.result.get("windows", [])) if stored else []
    old_values = _values(old_windows)
    old_by_key = {(w["label"], w["start"], w["end"]): w for w in old_windows}
    # label -> start of every window known, this review's overriding the stored one's
    starts: dict[str, str] = {w["label"]: w["start"] for w in old_windows}
    here = _values(windows)
    combined = dict(old_values)
    for w in windows:
        starts[w["label"]] = w["start"]
        for key in [k for k in combined if k[0] == w["label"]]:
            combined[key] = None
    combined.update(here)
    out: list[dict[str, Any]] = []
    for w in windows:
        same = old_by_key.get((w["label"], w["start"], w["end"]))
        for f in w.get("features") or []:
            for d in f["disparities"]:
                if d["status"] != "evaluated":
                    continue
                m = kinds[d["metric"]]
                value = float(d["value"])
                earlier = [
                    (starts[label], label, v)
                    for (label, feat, met), v in combined.items()
                    if feat == f["feature"]
                    and met == m.name
                    and v is not None
                    and starts.get(label, "") < w["start"]
                ]
                reasons: list[dict[str, Any]] = []
                if earlier:
                    _, label, prev = max(earlier)
                    source = "review" if (label, f["feature"], m.name) in here else "stored"
                    d["previous"] = {
                        "window": label,
                        "value": prev,
                        "delta": value - prev,
                        "source": source,
                    }
                    reasons += _judge(
                        m, value, prev, tolerance, d["bounds"], "previous_window", label, d["ci"]
                    )
                if same is not None and stored is not None:
                    old = old_values.get((w["label"], f["feature"], m.name))
                    if old is not None:
                        d["stored"] = {"review": stored.id, "value": old, "delta": value - old}
                        reasons += _judge(
                            m,
                            value,
                            old,
                            tolerance,
                            d["bounds"],
                            "stored_review",
                            f"review #{stored.id}",
                            d["ci"],
                        )
                if reasons:
                    d["regression"] = True
                    for r in reasons:
                        out.append(
                            {
                                "window": w["label"],
                                "feature": f["feature"],
                                "metric": m.name,
                                "kind": m.kind,
                                "value": value,
                                **r,
                            }
                        )
    return out


def _judge(
    m: Disparity,
    value: float,
    earlier: float,
    tolerance: float,
    bounds: Sequence[Mapping[str, Any]],
    basis: str,
    against: str,
    ci: Sequence[float | None] | None = None,
) -> list[dict[str, Any]]:
    """The regressions of one value against one earlier value.

    With an interval ``ci`` of the value, a move counts only when the earlier value lies
    outside it on the better side, and a bound is crossed only when the whole interval lies
    past it (as ``fail_when: ci`` of the fairness check).
    """
    out = []
    delta = value - earlier
    worse = m.worse_sign * delta
    lo, hi = value, value
    outside = True
    if ci is not None and ci[0] is not None and ci[1] is not None:
        lo, hi = float(ci[0]), float(ci[1])
        outside = earlier < lo - _EPS if m.worse_sign > 0 else earlier > hi + _EPS
    if worse > tolerance + _EPS and outside:
        direction = "rose" if delta > 0 else "fell"
        out.append(
            {
                "basis": basis,
                "reason": "moved",
                "compared_with": against,
                "earlier": earlier,
                "delta": delta,
                "tolerance": tolerance,
                "message": f"{m.name} {direction} from {earlier:.4f} ({against}) to {value:.4f} "
                f"({delta:+.4f}; tolerance {tolerance:g})",
            }
        )
    for b in bounds:
        if b.get("met") is False:
            low, high = b.get("min"), b.get("max")
            met_before = bound_met(earlier, low=low, high=high)
            past = not bound_met((lo, hi), low=low, high=high)
            if met_before and past:
                limit = f"min {low:g}" if low is not None and value < low else f"max {high:g}"
                out.append(
                    {
                        "basis": basis,
                        "reason": "bound_crossed",
                        "compared_with": against,
                        "earlier": earlier,
                        "delta": delta,
                        "rule": b["rule"],
                        "bound": {k: b[k] for k in ("min", "max") if k in b},
                        "message": f"{m.name} {value:.4f} crossed {limit} of rule {b['rule']} "
                        f"(met at {earlier:.4f}, {against})",
                    }
                )
    return out


def _trend(
    windows: Sequence[Mapping[str, Any]],
    metrics: Sequence[Disparity],
    groupings: Sequence[tuple[str, ...]],
) -> list[dict[str, Any]]:
    """Each feature's disparity series across the windows (None where not evaluated)."""
    values = _values(windows)
    out = []
    for grouping in groupings:
        feature = "×".join(grouping)
        for m in metrics:
            out.append(
                {
                    "feature": feature,
                    "metric": m.name,
                    "kind": m.kind,
                    "windows": [w["label"] for w in windows],
                    "values": [values.get((w["label"], feature, m.name)) for w in windows],
                }
            )
    return out
