"""``check: drift``: reference vs current prediction logs, per feature, score and prediction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from govern.checks.base import TRIGGERS_SCHEMA, Rule, Subject, absent_columns, finding
from govern.errors import UsageError
from govern.models import Finding, Status
from govern.sql import quote
from govern.store.predictions import LogInfo
from govern.windows import WINDOW_SCHEMA, parse_window, periods

if TYPE_CHECKING:
    from govern.metrics.drift.methods import Direction, Kind

STANDARD = {"score": "__score", "prediction": "__prediction", "label": "__label"}


def _features(rule: Rule, ref: Sequence[LogInfo], cur: Sequence[LogInfo]) -> list[tuple[str, str]]:
    """(display name, column) pairs to test."""
    wanted = rule.params.get("features", "all")
    if wanted == "all":
        in_ref = {f for log in ref for f in log.features}
        in_cur = {f for log in cur for f in log.features}
        ordered = [f for log in ref for f in log.features]
        names = list(dict.fromkeys(f for f in ordered if f in in_cur and f in in_ref))
    else:
        names = list(wanted)
    pairs = [(name, name) for name in names]
    for extra in rule.params.get("include") or []:
        pairs.append((extra, STANDARD[extra]))
    return pairs


@dataclass(frozen=True)
class TrendPoint:
    """A column's drift in one calendar window of the current log (``trend:`` in a rule)."""

    #: the window's label, e.g. ``[2026-09-01, 2026-10-01)``
    window: str
    #: the window's first day (None for a window open at the start)
    start: date | None
    statistic: float | None
    p_value: float | None
    #: None: the window's rows could not be judged (the reason is not kept)
    drifted: bool | None
    current_n: int

    def to_json(self) -> dict[str, Any]:
        """The point as JSON (``start`` as an ISO date)."""
        return {
            "window": self.window,
            "start": self.start.isoformat() if self.start else None,
            "statistic": self.statistic,
            "p_value": self.p_value,
            "drifted": self.drifted,
            "current_n": self.current_n,
        }


@dataclass(frozen=True)
class ColumnDrift:
    """Evidence of ``check: drift`` for one column: reference vs current window.

    ``method``, ``direction`` and ``threshold`` are the finding's ``metric`` and ``threshold``
    (``{"max": ...}`` for a distance, ``{"min_p_value": ...}`` for a p-value) and are not
    repeated in :meth:`to_json`.
    """

    column: str
    kind: Kind
    method: str
    direction: Direction
    threshold: float
    statistic: float | None
    p_value: float | None
    reference_n: int
    current_n: int
    reference_missing_share: float
    current_missing_share: float
    #: the current window's label, or ``all``
    window: str
    #: the method's own numbers (bins, categories and their shares, intermediate values)
    details: Mapping[str, Any]
    #: one point per calendar window (oldest first) when the rule asks for a trend
    trend: tuple[TrendPoint, ...] | None = None

    @property
    def score(self) -> float | None:
        """The number compared with the threshold: the p-value or the statistic."""
        return self.p_value if self.direction == "p_value" else self.statistic

    @property
    def drifted_since(self) -> date | None:
        """The start of the run of drifted trend windows that reaches the latest window."""
        began: date | None = None
        for point in self.trend or ():
            began = (began or point.start) if point.drifted else None
        return began

    def to_json(self) -> dict[str, Any]:
        """The evidence object of a drift finding (``trend`` only when computed)."""
        out: dict[str, Any] = {
            "column": self.column,
            "kind": self.kind,
            "statistic": self.statistic,
            "p_value": self.p_value,
            "reference_n": self.reference_n,
            "current_n": self.current_n,
            "reference_missing_share": self.reference_missing_share,
            "current_missing_share": self.current_missing_share,
            "window": self.window,
            "details": dict(self.details),
        }
        if self.trend is not None:
            out["trend"] = [point.to_json() for point in self.trend]
        return out


@dataclass(frozen=True)
class DriftShare:
    """Evidence of the ``max_share_drifted`` finding: which of the judged columns drifted."""

    #: display names of the drifted columns, in rule order
    drifted: tuple[str, ...]
    #: how many columns were judged (drifted or not); the share is ``len(drifted) / evaluated``
    evaluated: int

    def to_json(self) -> dict[str, Any]:
        """``{"drifted": [...]}``."""
        return {"drifted": list(self.drifted)}


class Drift:
    """The distribution of features, score or prediction moved between reference and current.

    Triggers: for a feature, the drift statistic passes its threshold in the method's direction
    (p-value below it for tests such as ``ks``/``chisquare``/``z``, distance at or above it for
    ``psi``/``wasserstein``/``jensenshannon``); with ``max_share_drifted``, the share of drifted
    features exceeds it. ``method: auto`` picks per column (``compatibility: govern``: two-sample
    tests; ``evidently``: Evidently's defaults). Not enough rows, no reference log or an
    all-null column gives ``not_evaluated``.

    Fix: find out why the data moved (a pipeline change, a new population, seasonality);
    retrain on recent data or recalibrate, or accept the change through review (a waiver with
    an expiry) and refresh the reference window.
    """

    name = "drift"
    summary = "feature, score and prediction distributions did not drift from the reference"
    required: tuple[str, ...] = ()

    @property
    def properties(self) -> Mapping[str, Any]:
        """Rule parameters (method names come from the drift metrics module)."""
        from govern.metrics.drift import METHODS

        return {
            "method": {
                "enum": ["auto", *sorted(METHODS)],
                "description": "Drift statistic (default auto).",
            },
            "compatibility": {
                "enum": ["govern", "evidently"],
                "description": "Defaults of method auto: govern (two-sample tests) or "
                "evidently (Evidently's choice by type and size).",
            },
            "features": {
                "oneOf": [
                    {"const": "all"},
                    {"type": "array", "items": {"type": "string"}, "minItems": 1},
                ],
                "description": "Features to test (default: every feature in both windows).",
            },
            "include": {
                "type": "array",
                "items": {"enum": sorted(STANDARD)},
                "uniqueItems": True,
                "description": "Also test the score, the prediction or the label.",
            },
            "threshold": {"type": "number", "description": "Override the method's threshold."},
            "max": {"type": "number", "description": "Alias of threshold for distances."},
            "max_share_drifted": {"type": "number", "minimum": 0, "maximum": 1},
            "window": WINDOW_SCHEMA,
            "trend": {
                "enum": ["day", "week", "month"],
                "description": "Also compute the statistic per calendar window (when drift began).",
            },
            "min_rows": {"type": "integer", "minimum": 1, "description": "Default 30."},
            "triggers": TRIGGERS_SCHEMA,
        }

    def evaluate(self, rule: Rule, subject: Subject) -> Finding | list[Finding]:
        """One finding per feature (and one for the share of drifted features)."""
        from govern.metrics.drift import (
            METHODS,
            DriftOptions,
            DriftResult,
            Untestable,
            UntestableCause,
            drift_columns,
        )

        v = subject.version
        help_text = self.__doc__ or ""
        data = subject.data

        def missing(reason: str) -> Finding:
            return finding(rule, subject, Status.not_evaluated, reason, help_text=help_text)

        if data is None:
            return missing("no prediction logs are available to this evaluation")
        try:
            ref = data.view("__govern_ref", model=v.model, role="reference")
            spans = data.logs(model=v.model, role="current")
        except UsageError as exc:
            return missing(exc.message)
        if not spans:
            return missing(f"no current prediction log of model {v.model} is in the store")
        latest = max((log.ts_max for log in spans if log.ts_max), default=None)
        window = parse_window(rule.params.get("window"), latest)
        versioned = any(log.version or "model_version" in log.mapping for log in spans)
        cur = data.view(
            "__govern_cur",
            model=v.model,
            role="current",
            version=v.version if versioned else None,
            window=window,
        )
        con = data.connection
        n_ref = _count(con, "__govern_ref")
        n_cur = _count(con, "__govern_cur")
        min_rows = int(rule.params.get("min_rows", 30))
        where = f" in {window.label()}" if window else ""
        if n_cur < min_rows or n_ref < min_rows:
            return missing(
                f"too few rows to compare: {n_ref} reference, {n_cur} current{where} "
                f"(min_rows {min_rows})"
            )
        method = rule.params.get("method", "auto")
        threshold = rule.params.get("threshold", rule.params.get("max"))
        compatibility = rule.params.get("compatibility", "govern")
        out: list[Finding] = []
        drifted: list[str] = []
        evaluated = 0
        features = _features(rule, ref, cur)
        columns = [c for _, c in features]
        absent = {  # a column missing from both is named for the current log
            **absent_columns(con, "__govern_ref", columns, f"the reference log of {v.model}"),
            **absent_columns(con, "__govern_cur", columns, f"the current log of {v.model}"),
        }
        options = DriftOptions(
            method=None if method == "auto" else method,
            threshold=threshold,
            compatibility=compatibility,
        )
        present = [c for c in columns if c not in absent]
        # every column together: each window is read a few times in all; a column the method
        # cannot test comes back as an Untestable value, the others are still computed
        done = dict(
            zip(
                present,
                drift_columns(con, "__govern_ref", "__govern_cur", present, options),
                strict=True,
            )
        )
        computed = [
            done[c] if c in done else Untestable(c, UntestableCause.MISSING_COLUMN, absent[c])
            for c in columns
        ]
        trends: dict[str, tuple[TrendPoint, ...]] = {}
        if rule.params.get("trend") and latest is not None:
            trends = _trends(
                data,
                rule,
                v.version if versioned else None,
                {c: r.method for (_, c), r in zip(features, computed, strict=True)
                 if isinstance(r, DriftResult)},
                spans,
            )  # fmt: skip
        for (display, column), result in zip(features, computed, strict=True):
            if isinstance(result, Untestable):
                out.append(
                    finding(
                        rule,
                        subject,
                        Status.not_evaluated,
                        result.message,
                        help_text=help_text,
                        about=display,
                    )
                )
                continue
            info = METHODS.get(result.method)
            direction: Direction = (
                info.direction
                if info
                else ("p_value" if result.details.get("direction") == "p_value" else "distance")
            )
            evidence = ColumnDrift(
                column=column,
                kind=result.kind,
                method=result.method,
                direction=direction,
                threshold=result.threshold,
                statistic=result.statistic,
                p_value=result.p_value,
                reference_n=result.reference_n,
                current_n=result.current_n,
                reference_missing_share=result.reference_missing_share,
                current_missing_share=result.current_missing_share,
                window=window.label() if window else "all",
                details=MappingProxyType(dict(result.details)),
                trend=trends.get(column),
            )
            value = evidence.score
            bound = (
                {"min_p_value": result.threshold}
                if direction == "p_value"
                else {"max": result.threshold}
            )
            if result.drifted is None:
                status = Status.not_evaluated
                message = result.reason or "not evaluated"
            else:
                evaluated += 1
                status = Status.failed if result.drifted else Status.passed
                shown = f"{value:.4g}" if value is not None else "n/a"
                verdict = "drifted" if result.drifted else "no drift"
                message = (
                    f"{display}: {verdict} ({result.method} "
                    f"{'p-value' if direction == 'p_value' else 'statistic'} {shown}, "
                    f"threshold {result.threshold:g}; {result.reference_n} reference vs "
                    f"{result.current_n} current rows{where})"
                )
                if result.drifted:
                    drifted.append(display)
                began = evidence.drifted_since
                if began:
                    message += f"; drifted since {began.isoformat()}"
            out.append(
                finding(
                    rule,
                    subject,
                    status,
                    message,
                    help_text=help_text,
                    metric=result.method,
                    value=value,
                    threshold=bound,
                    evidence=evidence,
                    about=display,
                )
            )
        if "max_share_drifted" in rule.params and evaluated:
            share = len(drifted) / evaluated
            limit = float(rule.params["max_share_drifted"])
            status = Status.failed if share > limit else Status.passed
            out.append(
                finding(
                    rule,
                    subject,
                    status,
                    f"{len(drifted)} of {evaluated} columns drifted (share {share:.2f}, "
                    f"max {limit:g})" + (f": {', '.join(drifted)}" if drifted else ""),
                    help_text=help_text,
                    metric="share_of_drifted_columns",
                    value=share,
                    threshold={"max": limit},
                    evidence=DriftShare(tuple(drifted), evaluated),
                    about="share_drifted",
                )
            )
        return out


def _count(con: Any, view: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {quote(view)}").fetchone()
    return int(row[0]) if row else 0


def _trends(
    data: Any,
    rule: Rule,
    version: str | None,
    methods: Mapping[str, str],
    spans: Sequence[LogInfo],
) -> dict[str, tuple[TrendPoint, ...]]:
    """Each column's statistic (with its window's method) per calendar window of the log.

    One :func:`~govern.metrics.drift.drift_columns` per window and method: all columns of a
    window are computed together; a column a window cannot test is left out of its trend.
    """
    from govern.metrics.drift import DriftOptions, DriftResult, drift_columns

    first = min((log.ts_min for log in spans if log.ts_min), default=None)
    last = max((log.ts_max for log in spans if log.ts_max), default=None)
    out: dict[str, list[TrendPoint]] = {column: [] for column in methods}
    if first is None or last is None or not methods:
        return {}
    by_method: dict[str, list[str]] = {}
    for column, method in methods.items():
        by_method.setdefault(method, []).append(column)
    for period in periods(first, last, str(rule.params["trend"])):
        data.view(
            "__govern_trend", model=spans[0].model, role="current", version=version, window=period
        )
        if _count(data.connection, "__govern_trend") == 0:
            continue
        threshold = rule.params.get("threshold", rule.params.get("max"))
        for method, columns in by_method.items():
            options = DriftOptions(method=method, threshold=threshold)
            results = drift_columns(
                data.connection, "__govern_ref", "__govern_trend", columns, options
            )
            for column, result in zip(columns, results, strict=True):
                if not isinstance(result, DriftResult):
                    continue  # a column this window cannot test: the others still can
                out[column].append(
                    TrendPoint(
                        window=period.label(),
                        start=period.start.date() if period.start else None,
                        statistic=result.statistic,
                        p_value=result.p_value,
                        drifted=result.drifted,
                        current_n=result.current_n,
                    )
                )
    return {column: tuple(points) for column, points in out.items()}
