"""``check: performance``: predictive performance on the labelled production records.

The metric (scikit-learn's definitions, :mod:`govern.metrics.performance`) is computed over the
labelled records of the rule's window of the current prediction logs, and bounded absolutely
(``min``/``max``) or against a baseline (``max_drop``). Labels arrive late: a window is judged
only when at least ``min_labelled`` of its records have one. The evidence
(:class:`PerformanceEvidence`) holds the value, its interval, the baseline, the labelled share,
with ``trend`` the value per calendar window, and for the ECE its bins (a reliability chart);
it and its parts are typed in :mod:`govern.checks.performance_evidence` (re-exported here).
The rule's parameters (their schema, and what lint says of them) are in
:mod:`govern.checks.performance_params`.
"""

from __future__ import annotations

import math
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from govern.checks.base import (
    PredictionData,
    Rule,
    Subject,
    absent_columns,
    finding,
)
from govern.checks.fairness_evidence import Interval
from govern.checks.performance_evidence import (
    BaselineSource,
    CalibrationBin,
    GroupPerformance,
    PerformanceBaseline,
    PerformanceEvidence,
    PerformanceWindow,
    bound_text,
    judged_trend,
    last_judged_text,
)
from govern.checks.performance_params import lint_params, rule_properties
from govern.errors import GovernError, UsageError
from govern.models import Finding, Status
from govern.sql import present_sql, quote
from govern.store.predictions import LogInfo, Window
from govern.store.store import writes
from govern.windows import parse_window, periods

if TYPE_CHECKING:
    from govern.metrics.performance import Cells, PerformanceMetric

__all__ = [
    "DEFAULT_MIN_LABELLED",
    "BaselineSource",
    "CalibrationBin",
    "GroupPerformance",
    "Performance",
    "PerformanceBaseline",
    "PerformanceEvidence",
    "PerformanceWindow",
]

#: The share of a window's records that must carry a label before it is judged.
DEFAULT_MIN_LABELLED = 0.8
_SELECTORS: tuple[BaselineSource, ...] = ("alias", "version", "stage")
_VIEW = "__govern_perf"
#: Cells shared between the rules (and windows) of one evaluation: by the prediction data
#: object (one per evaluation, so a new evaluation never sees old cells), then by what the
#: view held (:func:`_held`: an ingest in between changes it) and how the cells were asked
#: for. The oldest entries are dropped beyond a few entries or a few million cells in all
#: (the newest is always kept), so memory stays bounded.
_SHARED: weakref.WeakKeyDictionary[Any, OrderedDict[tuple[Any, ...], Cells]] = (
    weakref.WeakKeyDictionary()
)
_SHARED_ENTRIES = 8
_SHARED_CELLS = 2_000_000
#: (records, labelled records) of each view content, shared the same way (a count per rule
#: and window otherwise scans the log again for every rule).
_COUNTED: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], tuple[int, int]]] = (
    weakref.WeakKeyDictionary()
)


def _held(*selection: Any) -> tuple[Any, ...]:
    """What a view holds, as the shared caches key it: its selection, as the store stood.

    The store stands as this process's committed transactions left it: an ingest between
    two evaluations (ground truth too) makes the same selection other records.
    """
    return (*selection, writes()[0])


class Performance:
    """Predictive performance on the labelled production records is within bounds.

    Triggers: the metric (``roc_auc``, ``average_precision``, ``accuracy``,
    ``balanced_accuracy``, ``precision``, ``recall``, ``f1``, ``log_loss``, ``brier_score``,
    ``expected_calibration_error``; for regression ``mae``, ``rmse``, ``r2``, ``mape``; values
    as scikit-learn's) over the labelled records of the rule's ``window`` is past ``min`` or
    ``max``, or worse than the ``baseline`` by more than ``max_drop`` (the reference log, a
    metric logged by this version's run, or another version such as the champion on the same
    window) -- with ``confidence`` set, only when the whole seeded bootstrap interval lies past
    the bound (``fail_when: ci``, the default then) or whenever the point does (``point``).
    Labels arrive late: a window where fewer than ``min_labelled`` (default 0.8) of the records
    carry a label gives ``not_evaluated`` with the share; so do a window without labels,
    labels that are not binary for a classification metric, class labels for a regression
    metric and scores outside [0, 1] for a probability metric (log_loss, brier_score, ECE).

    Fix: find out what changed (the drift findings, the trend's first failing window); retrain
    on recent labelled data or recalibrate; if the bound is wrong, change the policy through
    review; a justified exception is a waiver with an expiry date.
    """

    name = "performance"
    summary = "predictive performance on labelled production records (scikit-learn's metrics)"
    required: tuple[str, ...] = ("metric",)

    @property
    def properties(self) -> Mapping[str, Any]:
        """Rule parameters (metric names come from the performance metrics module)."""
        return rule_properties()

    def lint(self, params: Mapping[str, Any]) -> list[tuple[str, str]]:
        """What the rule alone shows to be wrong, as (key, message) pairs for policy lint."""
        return lint_params(params)

    def evaluate(self, rule: Rule, subject: Subject) -> Finding:
        """One finding: the metric over the rule's window, judged against its bounds."""
        from govern.metrics.performance import METRICS

        help_text = self.__doc__ or ""
        name = str(rule.params.get("metric"))
        if name not in METRICS:  # the policy schema refuses it; a rule made in code may not
            return finding(rule, subject, Status.not_evaluated,
                           f"unknown performance metric {name!r}; choose one of "
                           f"{', '.join(METRICS)}", help_text=help_text)  # fmt: skip
        # A NaN bound compares false both ways: it must fail, never pass (lint refuses it too).
        broken = [k for k in ("min", "max", "max_drop") if k in rule.params
                  and not _finite(rule.params[k])]  # fmt: skip
        if broken:
            return finding(rule, subject, Status.failed,
                           f"the rule's {', '.join(broken)} is not a finite number, so no value "
                           "can meet it; fix the policy (`govern policy lint` names the line)",
                           help_text=help_text, metric=name)  # fmt: skip
        return _Evaluation(rule, subject, help_text).run()


class _NotJudged(Exception):
    """The rule cannot be judged; ``reason`` says why (becomes a not_evaluated finding)."""

    def __init__(self, reason: str, evidence: PerformanceEvidence | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.evidence = evidence


class _Evaluation:
    """One performance rule evaluated for one model version."""

    data: PredictionData
    spans: list[LogInfo]
    versioned: bool

    def __init__(self, rule: Rule, subject: Subject, help_text: str) -> None:
        from govern.metrics.performance import metric_named

        self.rule = rule
        self.subject = subject
        self.help = help_text
        #: what each view of this evaluation holds: (model, role, version, window)
        self.held: dict[str, tuple[Any, ...]] = {}
        self.p = rule.params
        self.metric: PerformanceMetric = metric_named(str(self.p["metric"]))
        self.min_labelled = float(self.p.get("min_labelled", DEFAULT_MIN_LABELLED))

    # -- the finding ----------------------------------------------------------------------

    def run(self) -> Finding:
        try:
            return self._judge()
        except _NotJudged as stop:
            # the bounds the window would have been judged against (the report draws them)
            base = stop.evidence.baseline if stop.evidence is not None else None
            return self._finding(Status.not_evaluated, stop.reason, evidence=stop.evidence,
                                 threshold=self._threshold(base))  # fmt: skip

    def _finding(
        self,
        status: Status,
        message: str,
        *,
        value: float | None = None,
        threshold: dict[str, Any] | None = None,
        evidence: PerformanceEvidence | None = None,
    ) -> Finding:
        return finding(
            self.rule, self.subject, status, message, help_text=self.help,
            metric=self.metric.name, value=value, threshold=threshold, evidence=evidence,
        )  # fmt: skip

    def _judge(self) -> Finding:
        from govern.metrics.fairness import bound_met
        from govern.metrics.performance import bootstrap_interval

        v = self.subject.version
        data = self.subject.data
        if data is None:
            raise _NotJudged("no prediction logs are available to this evaluation")
        spans = data.logs(model=v.model, role="current")
        if not spans:
            raise _NotJudged(f"no current prediction log of model {v.model} is in the store")
        self.data, self.spans = data, spans
        latest = max((log.ts_max for log in spans if log.ts_max), default=None)
        window = parse_window(self.p.get("window"), latest)
        self.versioned = any(log.version or "model_version" in log.mapping for log in spans)
        mine = v.version if self.versioned else None
        where = f" in {window.label()}" if window else ""
        rows, labelled = self._view(_VIEW, mine, window)
        which = f"version {v.version} of {v.model}" if self.versioned else v.model
        if not rows:
            raise _NotJudged(
                f"no current prediction log rows of {which}{where}: ingest its logs "
                "(--version, or a --version-column) or choose another window"
            )
        raw = self._trend(mine) if self.p.get("trend") else None
        evidence = PerformanceEvidence(
            metric=self.metric.name, task=self.metric.task,
            greater_is_better=self.metric.greater_is_better,
            window=window.label() if window else "all", rows=rows, n=labelled,
            min_labelled=self.min_labelled, decision=self._decision_text(),
            bins=self._bins(), trend=judged_trend(raw, *self._bounds(None), self.min_labelled),
        )  # fmt: skip
        # a baseline that does not depend on the window (the reference log, a run metric) is
        # known before the labels are counted, so the trend is judged against it even then
        spec = self.p.get("baseline")
        fixed = spec == "reference" or (isinstance(spec, Mapping) and "registry_metric" in spec)
        baseline = self._baseline(window, evidence) if fixed else None
        if baseline is not None:
            trend = judged_trend(raw, *self._bounds(baseline), self.min_labelled)
            evidence = _replace(evidence, baseline=baseline, trend=trend)
        if not labelled:
            raise _NotJudged(
                f"no record of {which}{where} has a label yet ({rows} records): ingest the "
                "ground truth (joined by event id) or map a label column (--label)",
                evidence,
            )
        share = labelled / rows
        if share < self.min_labelled:
            raise _NotJudged(
                f"labels are incomplete{where}: {labelled} of {rows} records "
                f"({share:.1%}) are labelled, below min_labelled {self.min_labelled:g}; the "
                "window is judged once enough ground truth has arrived"
                + last_judged_text(evidence.trend),
                evidence,
            )
        by = self.p.get("by")
        if by is not None:
            what = f"the current log of {v.model}"
            absent = absent_columns(self.data.connection, _VIEW, [str(by)], what)
            if absent:
                raise _NotJudged(f"by: {absent[str(by)]}", evidence)
        cells = self._cells(_VIEW, evidence, group=None if by is None else str(by))
        value = self._value(cells, evidence, where)
        evidence = _replace(
            evidence, value=value, calibration=self._calibration(cells),
            by=self.p.get("by"), by_group=self._by_group(cells),
        )  # fmt: skip
        if spec is not None and baseline is None:
            baseline = self._baseline(window, evidence)
        low, high = self._bounds(baseline)
        threshold = self._threshold(baseline)
        interval: Interval | None = None
        if "confidence" in self.p:
            confidence = float(self.p["confidence"])
            lo, hi = bootstrap_interval(
                cells, self._statistic, n_boot=int(self.p.get("n_boot", 1000)),
                confidence=confidence, seed=int(self.p.get("seed", 0)),
            )  # fmt: skip
            interval = Interval(lo, hi, confidence)
        fail_when: Literal["ci", "point"] = (
            "point" if self.p.get("fail_when", "ci" if interval else "point") == "point" else "ci"
        )
        use_ci = interval is not None and fail_when == "ci" and not math.isnan(interval.low)
        estimate = (interval.low, interval.high) if (interval and use_ci) else value
        met = bound_met(estimate, low=low, high=high)
        evidence = _replace(
            evidence, interval=interval, decided_on=fail_when, baseline=baseline,
            trend=judged_trend(raw, low, high, self.min_labelled),
        )  # fmt: skip
        name = self.metric.name
        ci_text = (
            f", {interval.confidence:.0%} CI [{interval.low:.4f}, {interval.high:.4f}]"
            if interval
            else ""
        )
        base_text = f"; baseline: {baseline.describe()}" if baseline is not None else ""
        message = (
            f"{name} {value:.4f}{ci_text} ({bound_text(low, high)}; decided on the {fail_when})"
            f" over {labelled} labelled of {rows} records ({share:.1%}){where}{base_text}"
        )
        since = evidence.below_since
        if since is not None:
            message += f"; outside the bound since {since.isoformat()}"
        status = Status.passed if met else Status.failed
        return self._finding(status, message, value=value, threshold=threshold, evidence=evidence)

    # -- data -----------------------------------------------------------------------------

    def _view(self, name: str, version: str | None, window: Window | None) -> tuple[int, int]:
        """Create the view of a version's current records; (records, labelled records)."""
        model = self.subject.version.model
        self.held.pop(name, None)
        try:
            self.data.view(name, model=model, role="current", version=version,
                           window=window)  # fmt: skip
        except UsageError as exc:
            raise _NotJudged(exc.message) from None
        held = self.held[name] = _held(model, "current", version, window)
        try:
            counted = _COUNTED.setdefault(self.data, {})
        except TypeError:  # prediction data that cannot be weakly referenced: counted anew
            counted = {}
        if held not in counted:
            row = self.data.connection.execute(
                f"SELECT count(*), count(*) FILTER (WHERE {present_sql('__label')}) "
                f"FROM {quote(name)}"
            ).fetchall()[0]
            counted[held] = (int(row[0]), int(row[1]))
        return counted[held]

    def _mapped(self, role: str, spans: Sequence[LogInfo] | None = None) -> bool:
        return any(role in log.mapping for log in (spans if spans is not None else self.spans))

    def _decision_text(self) -> str | None:
        if self.metric.needs != "decision":
            return None
        if "threshold" not in self.p and self._mapped("prediction"):
            return "prediction"
        return f"score >= {float(self.p.get('threshold', 0.5)):g}"

    def _bins(self) -> int | None:
        from govern.metrics.performance import DEFAULT_BINS

        if self.metric.name != "expected_calibration_error":
            return None
        return int(self.p.get("bins", DEFAULT_BINS))

    def _cells(
        self,
        view: str,
        evidence: PerformanceEvidence | None,
        spans: Sequence[LogInfo] | None = None,
        group: str | None = None,
    ) -> Cells:
        """The labelled records of ``view`` as cells (split by ``group``, a column, if given).

        Not judged, with the reason, if they cannot give the metric.
        """
        from govern.metrics.performance import (
            PerformanceInputError,
            classification_cells,
            regression_cells,
        )

        m = self.metric
        try:
            if m.task == "regression":
                value = "__prediction" if self._mapped("prediction", spans) else "__score"
                key: tuple[Any, ...] = ("regression", value, group)
                return self._shared(view, key, lambda: regression_cells(
                    self.data.connection, view, prediction=value, group=group))  # fmt: skip
            if m.needs in ("score", "probability") and not self._mapped("score", spans):
                raise PerformanceInputError(
                    "needs a score column: map the model's score at ingest (--score)"
                )
            decision = self._decision_text()
            score = "__score" if self._mapped("score", spans) else None
            prediction = "__prediction" if decision == "prediction" else None
            # a score metric ignores the decision; asking for the threshold's anyway gives the
            # same cells as a decision rule by that threshold, so the two rules share them
            by_score = decision is None and score is not None
            threshold = float(self.p.get("threshold", 0.5)) if decision or by_score else None
            pos_label = self.p.get("pos_label", 1)
            key = ("classification", score, prediction, threshold, repr(pos_label), group)
            return self._shared(view, key, lambda: classification_cells(
                self.data.connection, view, score=score, prediction=prediction,
                threshold=threshold, pos_label=pos_label, group=group))  # fmt: skip
        except (PerformanceInputError, GovernError) as exc:
            hint = f" ({exc.hint})" if exc.hint else ""
            raise _NotJudged(f"{m.name}: {exc.message}{hint}", evidence) from None

    def _shared(self, view: str, key: tuple[Any, ...], make: Callable[[], Cells]) -> Cells:
        """The cells ``make`` builds, shared with the other rules of this evaluation.

        Keyed by what ``view`` holds (model, role, version, window) and how the cells are
        asked for, so two rules over the same records read them once (e.g. roc_auc and
        log_loss over the same month). A view of unknown content is never shared.
        """
        held = self.held.get(view)
        try:
            entries = _SHARED.setdefault(self.data, OrderedDict())
        except TypeError:  # prediction data that cannot be weakly referenced: not shared
            held = None
        if held is None:
            return make()
        full = (*held, *key)
        if full in entries:
            entries.move_to_end(full)
            return entries[full]
        cells = make()
        entries[full] = cells
        while len(entries) > 1 and (
            len(entries) > _SHARED_ENTRIES or sum(c.size for c in entries.values()) > _SHARED_CELLS
        ):
            entries.popitem(last=False)
        return cells

    def _by_group(self, cells: Cells) -> tuple[GroupPerformance, ...] | None:
        """The metric per group of the ``by`` column (None without one)."""
        from govern.metrics.performance import PerformanceInputError

        if cells.group is None:
            return None
        out = []
        for name, part in cells.by_group():
            try:
                value: float | None = self._statistic(part)
            except PerformanceInputError:
                value = None
            if value is not None and math.isnan(value):
                value = None
            out.append(GroupPerformance(name, part.n, value))
        return tuple(out)

    def _calibration(self, cells: Cells) -> tuple[CalibrationBin, ...] | None:
        """The ECE's bins (count, mean score, mean label), for the reliability chart."""
        from govern.metrics.performance import calibration_bins

        bins = self._bins()
        if bins is None:
            return None
        n, labels, scores = calibration_bins(cells, bins)
        return tuple(
            CalibrationBin(
                low=b / bins,
                high=(b + 1) / bins,
                n=int(n[b]),
                mean_score=float(scores[b] / n[b]) if n[b] else None,
                mean_label=float(labels[b] / n[b]) if n[b] else None,
            )
            for b in range(bins)
        )

    def _statistic(self, cells: Cells) -> float:
        from govern.metrics.performance import classification as cls

        if self.metric.name == "expected_calibration_error":
            return cls.expected_calibration_error(cells, self._bins() or cls.DEFAULT_BINS)
        return self.metric.compute(cells)

    def _value(self, cells: Cells, evidence: PerformanceEvidence | None, where: str) -> float:
        from govern.metrics.performance import PerformanceInputError

        try:
            value = self._statistic(cells)
        except PerformanceInputError as exc:
            raise _NotJudged(f"{self.metric.name}: {exc.message}", evidence) from None
        if math.isnan(value):
            raise _NotJudged(
                f"{self.metric.name} is undefined over the {cells.n} labelled records{where}: "
                "the labels hold one class only" if self.metric.task == "classification"
                else f"{self.metric.name} is undefined over {cells.n} labelled record{where}",
                evidence,
            )  # fmt: skip
        return value

    # -- bounds and baselines -------------------------------------------------------------

    def _baseline(
        self, window: Window | None, evidence: PerformanceEvidence
    ) -> PerformanceBaseline:
        spec = self.p["baseline"]
        drop = float(self.p.get("max_drop", 0.0))
        greater = self.metric.greater_is_better

        def made(
            source: BaselineSource,
            name: str,
            value: float,
            version: str | None = None,
            n: int | None = None,
        ) -> PerformanceBaseline:
            required = value - drop if greater else value + drop
            return PerformanceBaseline(source, name, value, required, drop, version, n)

        v = self.subject.version
        if spec == "reference":
            view = "__govern_perf_ref"
            self.held.pop(view, None)
            try:
                spans = self.data.view(view, model=v.model, role="reference")
            except UsageError as exc:
                raise _NotJudged(f"baseline reference: {exc.message}", evidence) from None
            self.held[view] = _held(v.model, "reference", None, None)
            cells = self._cells(view, evidence, spans)
            value = self._baseline_value(cells, "the reference log", evidence)
            return made("reference", "reference", value, n=cells.n)
        if "registry_metric" in spec:
            key = str(spec["registry_metric"])
            logged = v.metrics.get(key)
            if logged is None or math.isnan(logged):
                where = f"run {v.run_id}" if v.run_id else "the version (it has no run)"
                raise _NotJudged(f"baseline metric {key} is not logged for {where}", evidence)
            return made("registry_metric", key, float(logged))
        by = next(k for k in _SELECTORS if k in spec)
        label = f"{by} {spec[by]}"
        base = self.subject.baseline(v.model, spec)
        if base is None:
            raise _NotJudged(f"no baseline version of {v.model} with {label}", evidence)
        if base.version == v.version:
            raise _NotJudged(
                f"the candidate is the baseline ({label}); nothing to compare", evidence
            )
        if not self.versioned:
            raise _NotJudged(
                f"the current logs of {v.model} do not say which version made each record "
                "(--version or a --version-column), so the baseline's records cannot be told "
                "apart",
                evidence,
            )
        where = f" in {window.label()}" if window else ""
        view = "__govern_perf_base"
        rows, labelled = self._view(view, base.version, window)
        if not rows:
            raise _NotJudged(
                f"baseline version {base.version} ({label}) has no records{where}: it and "
                f"version {v.version} have no production window in common to compare on",
                evidence,
            )
        if labelled / rows < self.min_labelled:
            raise _NotJudged(
                f"baseline version {base.version} ({label}) has {labelled} labelled of {rows} "
                f"records{where}, below min_labelled {self.min_labelled:g}",
                evidence,
            )
        cells = self._cells(view, evidence)
        value = self._baseline_value(cells, f"version {base.version}{where}", evidence)
        return made(by, str(spec[by]), value, version=base.version, n=cells.n)

    def _baseline_value(self, cells: Cells, what: str, evidence: PerformanceEvidence) -> float:
        from govern.metrics.performance import PerformanceInputError

        try:
            value = self._statistic(cells)
        except PerformanceInputError as exc:
            raise _NotJudged(f"baseline {what}: {exc.message}", evidence) from None
        if math.isnan(value):
            raise _NotJudged(f"baseline {what}: {self.metric.name} is undefined", evidence)
        return value

    def _bounds(self, baseline: PerformanceBaseline | None) -> tuple[float | None, float | None]:
        """The effective ``[low, high]``: the rule's min/max, tightened by the baseline."""
        low = float(self.p["min"]) if "min" in self.p else None
        high = float(self.p["max"]) if "max" in self.p else None
        if baseline is not None:
            if self.metric.greater_is_better:
                low = baseline.required if low is None else max(low, baseline.required)
            else:
                high = baseline.required if high is None else min(high, baseline.required)
        return low, high

    def _threshold(self, baseline: PerformanceBaseline | None) -> dict[str, Any] | None:
        out: dict[str, Any] = {k: self.p[k] for k in ("min", "max") if k in self.p}
        if baseline is not None:
            out["max_drop"] = baseline.max_drop
            out["required"] = baseline.required
        return out or None

    # -- trend ----------------------------------------------------------------------------

    def _trend(self, version: str | None) -> tuple[PerformanceWindow, ...]:
        """The metric per calendar window of the log (not yet judged: ``met`` is None)."""
        first = min((log.ts_min for log in self.spans if log.ts_min), default=None)
        last = max((log.ts_max for log in self.spans if log.ts_max), default=None)
        if first is None or last is None:
            return ()
        out: list[PerformanceWindow] = []
        for period in periods(first, last, str(self.p["trend"])):
            rows, labelled = self._view("__govern_perf_trend", version, period)
            if not rows:
                continue
            value: float | None = None
            if labelled:
                try:
                    value = self._value(self._cells("__govern_perf_trend", None), None, "")
                except _NotJudged:
                    value = None  # e.g. one class only this window: shown as unknown
            out.append(
                PerformanceWindow(
                    window=period.label(),
                    start=period.start.date() if period.start else None,
                    rows=rows,
                    labelled=labelled,
                    value=value,
                    met=None,
                )
            )
        return tuple(out)


def _finite(bound: Any) -> bool:
    """True for a number that is neither NaN nor infinite (nor too large for a float)."""
    if isinstance(bound, bool):
        return False
    try:
        return math.isfinite(float(bound))
    except (TypeError, ValueError, OverflowError):
        return False


def _replace(evidence: PerformanceEvidence, **changes: Any) -> PerformanceEvidence:
    import dataclasses

    return dataclasses.replace(evidence, **changes)
