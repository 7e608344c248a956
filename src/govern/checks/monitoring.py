"""``check: monitoring``: ingested monitoring reports as evidence about a model version.

The reports are those of ``govern ingest`` (Evidently JSON of every generation, SageMaker Model
Monitor statistics / constraints / constraint violations, SageMaker Clarify analyses), read
back through :mod:`govern.store.monitoring`. Which reports speak for a model version:

* reports **linked** to it: ingested with ``--model NAME [--version V]``, or naming the model
  in their own metadata (Evidently ``Report(metadata={"model": ..., "model_version": ...})``,
  kept in snapshots). A report linked to the model without a version counts for every version
  of it; a report linked to another version does not count;
* with ``path`` in the rule, also the **unlinked** reports whose ingested path matches one of
  its globs (``fnmatch``: ``*`` also matches ``/``).

Every requirement of a rule is one finding (``about`` = ``tests``, ``drift``, ``violations``,
the metric, or ``freshness``), judged on the latest report that can answer it (``report:
latest``), or on every such report (``report: all``; with ``max_age``, every report of that
age). Reports generated after the evaluation time (``--as-of``) did not exist yet for it.

Time: a report is dated by its generation time when the file has one (Evidently 0.4 reports,
snapshots and test suites; Model Monitor ``dataset.evaluation_time``), else by its ingest time
(Evidently 0.7 ``.json()`` and most SageMaker files carry none), which the finding says; such
a report is never placed after the evaluation time (its ingest only bounds when it was made).
Evidently writes naive local time: it is compared as if UTC, so ages may be off by the
generating machine's UTC offset (a report up to 14 hours "in the future" still counts).
"""

from __future__ import annotations

import fnmatch
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from govern.checks.base import Rule, Subject, finding
from govern.checks.monitoring_evidence import (
    DriftedColumn,
    FailedTest,
    MonitoringEvidence,
    MonitoringItem,
    OutOfBounds,
    ReportVerdict,
    Violation,
    number_text,
)
from govern.models import Finding, Status
from govern.records.monitoring import DATASET, DISTANCE, P_VALUE, SHARE
from govern.store.monitoring import StoredReport, StoredResult, stored_reports, stored_results
from govern.windows import parse_duration

SOURCES = ("evidently", "sagemaker-model-monitor", "sagemaker-clarify")
REQUIREMENTS = ("no_failed_tests", "no_drift", "no_violations")
#: metrics computed from a report's results rather than stored under that name
DERIVED_METRICS = ("share_of_drifted_columns", "drifted_columns_count", "drift_score")
AGE_PATTERN = r"^[0-9]+[hdw]$"
VIOLATIONS_KIND = "constraint_violations"
#: how far a zone-less (local) report time may lie after the evaluation time and still count
ZONE_SLACK = timedelta(hours=14)
#: at most this many items are named in a message (all of them are in the evidence)
SHOWN = 5


@dataclass(frozen=True)
class _Verdict:
    """What one report says about one requirement (before it is tied to its report)."""

    ok: bool | None
    summary: str
    items: tuple[MonitoringItem, ...] = ()
    value: float | None = None


@dataclass(frozen=True)
class _Ask:
    """One requirement of a rule: which reports can answer it, and how one report answers."""

    about: str
    #: what a report must hold to answer (for the not-evaluated message)
    needs: str
    relevant: Callable[[StoredReport, Sequence[StoredResult]], bool]
    judge: Callable[[StoredReport, Sequence[StoredResult]], _Verdict]
    metric: str
    threshold: dict[str, Any] | None


# -- requirements ------------------------------------------------------------------------------


def _test_failed(r: StoredResult) -> bool:
    return r.passed is False or str(r.detail.get("status", "")).upper() == "ERROR"


def _is_test(r: StoredResult) -> bool:
    return r.passed is not None or str(r.detail.get("status", "")).upper() == "ERROR"


def _text(value: Any) -> str | None:
    """A text field of a tool's file: a string as is, another JSON value as JSON text."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _test_item(r: StoredResult) -> FailedTest:
    return FailedTest(
        subject=r.subject,
        metric=r.metric,
        test=_text(r.detail.get("test")),
        status=_text(r.detail.get("status")),
        description=_text(r.detail.get("description")),
        value=r.value,
        threshold=r.threshold,
    )


def _tests_ask() -> _Ask:
    def relevant(report: StoredReport, results: Sequence[StoredResult]) -> bool:
        return report.kind == VIOLATIONS_KIND or any(_is_test(r) for r in results)

    def judge(report: StoredReport, results: Sequence[StoredResult]) -> _Verdict:
        tests = [r for r in results if _is_test(r)]
        failed = tuple(_test_item(r) for r in tests if _test_failed(r))
        if not failed:
            if report.kind == VIOLATIONS_KIND:
                return _Verdict(
                    True, "no failed check (Model Monitor lists no violation)", value=0.0
                )
            return _Verdict(True, f"no failed test ({len(tests)} passed)", value=0.0)
        names = ", ".join(i.name for i in failed[:SHOWN])
        more = f" and {len(failed) - SHOWN} more" if len(failed) > SHOWN else ""
        return _Verdict(
            False,
            f"{len(failed)} of {len(tests)} tests failed: {names}{more}",
            failed,
            float(len(failed)),
        )

    return _Ask("tests", "tests", relevant, judge, "failed_tests", {"max": 0})


def _drift_ask() -> _Ask:
    def relevant(report: StoredReport, results: Sequence[StoredResult]) -> bool:
        return report.kind == VIOLATIONS_KIND or any(r.drifted is not None for r in results)

    def judge(report: StoredReport, results: Sequence[StoredResult]) -> _Verdict:
        judged = [r for r in results if r.drifted is not None]
        columns = [r for r in judged if r.subject != DATASET]
        drifted = [r for r in judged if r.drifted]
        # a drift score without a verdict: 0.7.15 without tests leaves default methods unnamed
        unjudged = [r.subject for r in results if r.drifted is None and "method_name" in r.detail]
        aside = (
            f"; no verdict for {', '.join(unjudged)} (the file names no method or threshold)"
            if unjudged
            else ""
        )
        items = tuple(
            DriftedColumn(r.subject, r.metric, r.value, r.threshold, r.direction) for r in drifted
        )
        if not drifted:
            tested = (
                f"{len(columns)} columns tested"
                if report.kind != VIOLATIONS_KIND
                else f"no drift violation among {len(results)} violations"
            )
            return _Verdict(
                None if unjudged else True, f"no drift detected ({tested}){aside}", value=0.0
            )
        names = ", ".join(
            f"{r.subject} ({r.metric} {number_text(r.value)})" if r.value is not None else r.subject
            for r in drifted[:SHOWN]
        )
        more = f" and {len(drifted) - SHOWN} more" if len(drifted) > SHOWN else ""
        count = sum(1 for r in drifted if r.subject != DATASET)
        return _Verdict(False, f"drift detected: {names}{more}{aside}", items, float(count))

    return _Ask("drift", "drift verdicts", relevant, judge, "drifted_columns", {"max": 0})


def _violations_ask(check_types: Sequence[str] | None) -> _Ask:
    def relevant(report: StoredReport, results: Sequence[StoredResult]) -> bool:
        return report.kind == VIOLATIONS_KIND

    def judge(report: StoredReport, results: Sequence[StoredResult]) -> _Verdict:
        found = [r for r in results if check_types is None or r.metric in check_types]
        ignored = len(results) - len(found)
        items = tuple(
            Violation(r.subject, r.metric, _text(r.detail.get("description")), r.value, r.threshold)
            for r in found
        )
        aside = f"; {ignored} of other check types ignored" if ignored else ""
        if not found:
            return _Verdict(True, f"no constraint violation{aside}", value=0.0)
        names = ", ".join(f"{i.feature} ({i.constraint_check_type})" for i in items[:SHOWN])
        more = f" and {len(items) - SHOWN} more" if len(items) > SHOWN else ""
        return _Verdict(
            False,
            f"{len(found)} constraint violations: {names}{more}{aside}",
            items,
            float(len(found)),
        )

    return _Ask("violations", "constraint violations", relevant, judge, "violations", {"max": 0})


def _metric_values(
    name: str, column: str | None, results: Sequence[StoredResult]
) -> list[tuple[str, float]]:
    """(subject, value) pairs of a metric in one report's results."""
    if name == "share_of_drifted_columns":
        pairs = [(r.subject, r.value) for r in results if r.metric == SHARE]
    elif name == "drifted_columns_count":
        share = next((r for r in results if r.metric == SHARE), None)
        number = share.detail.get("number_of_drifted_columns") if share else None
        if isinstance(number, int | float) and not isinstance(number, bool):
            pairs = [(DATASET, float(number))]
        else:
            verdicts = [r for r in results if r.drifted is not None and r.subject != DATASET]
            pairs = [(DATASET, float(sum(1 for r in verdicts if r.drifted)))] if verdicts else []
    elif name == "drift_score":
        pairs = [
            (r.subject, r.value)
            for r in results
            if (r.direction in (P_VALUE, DISTANCE) or "method_name" in r.detail)
            and r.subject != DATASET
            and r.metric != SHARE
        ]
    else:
        pairs = [(r.subject, r.value) for r in results if r.metric == name]
    return [
        (s, float(v))
        for s, v in pairs
        if v is not None and not math.isnan(v) and (column is None or s == column)
    ]


def _metric_ask(name: str, column: str | None, low: float | None, high: float | None) -> _Ask:
    label = f"{name} of {column}" if column else name

    def relevant(report: StoredReport, results: Sequence[StoredResult]) -> bool:
        return bool(_metric_values(name, column, results))

    def judge(report: StoredReport, results: Sequence[StoredResult]) -> _Verdict:
        values = _metric_values(name, column, results)
        bad: list[OutOfBounds] = []
        for s, v in values:
            if low is not None and v < low:
                bad.append(OutOfBounds(s, v, "min", low))
            elif high is not None and v > high:
                bad.append(OutOfBounds(s, v, "max", high))
        worst = max(v for _, v in values) if high is not None else min(v for _, v in values)
        if low is None and high is None:
            return _Verdict(
                None, f"{label}={number_text(worst)}: the rule sets no min or max", value=worst
            )
        if not bad:
            shown = (
                f"{label}={number_text(worst)} within bounds"
                if len(values) == 1
                else f"{label}: {len(values)} values within bounds (worst {number_text(worst)})"
            )
            return _Verdict(True, shown, value=worst)
        if len(values) == 1:
            summary = f"{label}={number_text(values[0][1])} is {bad[0].bound}"
        else:
            names = ", ".join(f"{i.subject}={number_text(i.value)} {i.bound}" for i in bad[:SHOWN])
            more = f" and {len(bad) - SHOWN} more" if len(bad) > SHOWN else ""
            summary = f"{label} out of bounds for {len(bad)} of {len(values)}: {names}{more}"
        return _Verdict(False, summary, tuple(bad), worst)

    threshold = {k: v for k, v in (("min", low), ("max", high)) if v is not None}
    return _Ask(label, f"metric {label}", relevant, judge, name, threshold)


def _freshness_ask() -> _Ask:
    def judge(report: StoredReport, results: Sequence[StoredResult]) -> _Verdict:
        return _Verdict(True, "present")

    return _Ask("freshness", "a report", lambda report, results: True, judge, "age_days", None)


# -- the check kind ---------------------------------------------------------------------------


class Monitoring:
    """What monitoring tools reported about the model version: tests, drift, violations, metrics.

    Triggers: in the latest linked report that can answer it (or in every one, ``report:
    all``), ``no_failed_tests``: an Evidently test failed or errored (test suites, reports run
    with tests) or Model Monitor listed a violation; ``no_drift``: a column or the dataset was
    found drifting (the tool's own verdict, e.g. Evidently ``drift_detected``, or Model
    Monitor drift violations); ``no_violations``: Model Monitor ``constraint_violations`` is
    not empty (of ``check_types``, if set); ``metric`` with ``min``/``max``: a reported value
    is out of bounds (``share_of_drifted_columns``, ``drifted_columns_count``, ``drift_score``
    of each or one ``column``, or any stored metric id such as ``psi``, ``auc``, ``DPPL``);
    ``max_age``: the report is older than that at the evaluation time (stale). No linked
    report, or none that holds what is required, gives ``not_evaluated`` with the reason.

    Fix: investigate the failed tests, drifted columns or violations the finding lists (a
    pipeline change, a new population), retrain or recalibrate, and run the monitoring job
    again; a stale report means monitoring stopped: re-run it and ingest the output with
    ``govern ingest FILE --model NAME --version V``. A justified exception is a waiver with an
    expiry.
    """

    name = "monitoring"
    summary = "monitoring reports (Evidently, SageMaker) show no failures and are recent"
    required: tuple[str, ...] = ()
    properties: Mapping[str, Any] = {
        "source": {
            "enum": ["any", *SOURCES],
            "description": "Tool whose reports count (default any).",
        },
        "require": {
            "oneOf": [
                {"enum": list(REQUIREMENTS)},
                {
                    "type": "array",
                    "items": {"enum": list(REQUIREMENTS)},
                    "minItems": 1,
                    "uniqueItems": True,
                },
            ],
            "description": "no_failed_tests (Evidently tests, Model Monitor violations), "
            "no_drift (no column or dataset drift verdict), no_violations (Model Monitor "
            "constraint_violations empty).",
        },
        "check_types": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "minItems": 1,
            "uniqueItems": True,
            "description": "no_violations: only these constraint_check_type values (e.g. "
            "baseline_drift_check, data_type_check).",
        },
        "metric": {
            "type": "string",
            "minLength": 1,
            "description": "A reported value to bound with min/max: share_of_drifted_columns, "
            "drifted_columns_count, drift_score, or a stored metric id (psi, wasserstein, auc, "
            "completeness, DPPL, ...).",
        },
        "column": {
            "type": "string",
            "minLength": 1,
            "description": "metric: only the value about this column (facet, metric name).",
        },
        "min": {"type": "number", "description": "metric: lowest acceptable value."},
        "max": {"type": "number", "description": "metric: highest acceptable value."},
        "max_age": {
            "type": "string",
            "pattern": AGE_PATTERN,
            "description": "The report must be at most this old at the evaluation time "
            "(--as-of): 12h, 30d, 2w.",
        },
        "report": {
            "enum": ["latest", "all"],
            "description": "Judge the latest report (default) or every report (with max_age: "
            "every report of that age).",
        },
        "path": {
            "oneOf": [
                {"type": "string", "minLength": 1},
                {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
            ],
            "description": "Only reports whose ingested path matches a glob; also admits "
            "reports not linked to any model.",
        },
    }

    def evaluate(self, rule: Rule, subject: Subject) -> list[Finding]:
        """One finding per requirement (tests, drift, violations, metric, freshness)."""
        p = rule.params
        help_text = self.__doc__ or ""
        asks = _asks(p)
        if not asks:
            return [
                finding(
                    rule,
                    subject,
                    Status.not_evaluated,
                    "the rule requires nothing: set require, metric (with min/max) or max_age",
                    help_text=help_text,
                )
            ]
        if subject.data is None:
            reason = "no store is available to this evaluation"
            return [_missing(rule, subject, ask, reason, help_text) for ask in asks]
        as_of = (subject.as_of or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
        max_age = parse_duration(str(p["max_age"])) if "max_age" in p else None
        found = _candidates(subject.data.connection, p, subject, as_of)
        reports = found.reports
        later = (
            f" ({found.later} generated after the evaluation time {as_of:%Y-%m-%d %H:%M} UTC "
            "not counted)"
            if found.later
            else ""
        )
        if not reports:
            reason = _no_report(p, subject, found.unlinked) + later
            return [_missing(rule, subject, ask, reason, help_text) for ask in asks]
        con = subject.data.connection
        cache: dict[str, list[StoredResult]] = {}

        def results_of(report: StoredReport) -> list[StoredResult]:
            if report.report_id not in cache:
                cache[report.report_id] = stored_results(con, report.report_id)
            return cache[report.report_id]

        out = []
        for ask in asks:
            relevant = [r for r in reports if ask.relevant(r, results_of(r))]
            if not relevant:
                reason = (
                    f"none of the {len(reports)} monitoring reports of {_who(subject)} holds "
                    f"{ask.needs}{later}"
                )
                out.append(_missing(rule, subject, ask, reason, help_text))
                continue
            out.append(
                _judge(rule, subject, ask, relevant, results_of, as_of, max_age, p, help_text)
            )
        return out


def _asks(p: Mapping[str, Any]) -> list[_Ask]:
    wanted = p.get("require") or []
    if isinstance(wanted, str):
        wanted = [wanted]
    asks: list[_Ask] = []
    for item in wanted:
        if item == "no_failed_tests":
            asks.append(_tests_ask())
        elif item == "no_drift":
            asks.append(_drift_ask())
        elif item == "no_violations":
            types = p.get("check_types")
            asks.append(_violations_ask(list(types) if types else None))
    if "metric" in p:
        low = float(p["min"]) if "min" in p else None
        high = float(p["max"]) if "max" in p else None
        column = str(p["column"]) if "column" in p else None
        asks.append(_metric_ask(str(p["metric"]), column, low, high))
    if not asks and "max_age" in p:
        asks.append(_freshness_ask())
    return asks


def _who(subject: Subject) -> str:
    return f"{subject.version.model} version {subject.version.version}"


@dataclass
class _Candidates:
    """The reports that speak for a subject (oldest first), and what was left out."""

    reports: list[StoredReport] = field(default_factory=list)
    unlinked: int = 0
    #: linked reports generated after the evaluation time
    later: int = 0


def _candidates(con: Any, p: Mapping[str, Any], subject: Subject, as_of: datetime) -> _Candidates:
    """Reports linked to the subject (or named by ``path``) that existed at ``as_of``.

    Only a generation time written in the file can place a report after ``as_of``; a report
    dated by its ingest time (an upper bound of when it was made) always counts.
    """
    source = p.get("source", "any")
    globs = [p["path"]] if isinstance(p.get("path"), str) else list(p.get("path") or [])
    v = subject.version
    out = _Candidates()
    for report in stored_reports(con, tool=None if source == "any" else str(source)):
        if globs and not any(fnmatch.fnmatchcase(report.path, g) for g in globs):
            continue
        if report.model is None and not globs:
            out.unlinked += 1
            continue
        if report.model is not None and (
            report.model != v.model or report.version not in (None, v.version)
        ):
            continue
        slack = timedelta(0) if report.generated_at_tz else ZONE_SLACK
        if report.generated_at is not None and report.generated_at > as_of + slack:
            out.later += 1
            continue
        out.reports.append(report)
    return out


def _no_report(p: Mapping[str, Any], subject: Subject, unlinked: int) -> str:
    source = p.get("source", "any")
    what = "monitoring report" if source == "any" else f"{source} report"
    where = f" matching {p['path']}" if p.get("path") else ""
    reason = f"no {what}{where} is linked to {_who(subject)}"
    if unlinked and not p.get("path"):
        reason += (
            f" ({unlinked} not linked to any model: ingest them with --model "
            f"{subject.version.model} --version {subject.version.version}, or name them in "
            "the rule with path)"
        )
    return reason


def _missing(rule: Rule, subject: Subject, ask: _Ask, reason: str, help_text: str) -> Finding:
    return finding(
        rule,
        subject,
        Status.not_evaluated,
        f"{ask.about}: {reason}",
        help_text=help_text,
        metric=ask.metric,
        threshold=ask.threshold,
        about=ask.about,
    )


def _label(report: StoredReport) -> str:
    if report.generated_at is not None:
        zone = " UTC" if report.generated_at_tz else ""
        when = f"generated {report.generated_at:%Y-%m-%d %H:%M}{zone}"
    else:
        when = f"ingested {report.ingested_at:%Y-%m-%d %H:%M} UTC, no time in the file"
    return f"{report.tool} {report.kind} {report.path} ({when})"


def _age_text(age: timedelta) -> str:
    hours = age.total_seconds() / 3600
    return f"{hours:.0f} hours" if hours < 48 else f"{hours / 24:.0f} days"


def _judge(
    rule: Rule,
    subject: Subject,
    ask: _Ask,
    relevant: list[StoredReport],
    results_of: Callable[[StoredReport], list[StoredResult]],
    as_of: datetime,
    max_age: timedelta | None,
    p: Mapping[str, Any],
    help_text: str,
) -> Finding:
    latest = relevant[-1]
    if p.get("report") == "all":
        judged = [r for r in relevant if max_age is None or as_of - r.time <= max_age] or [latest]
    else:
        judged = [latest]
    problems: list[str] = []
    passes: list[str] = []
    unknown: list[str] = []
    verdicts: list[ReportVerdict] = []
    values: list[float] = []
    for report in judged:
        verdict = ask.judge(report, results_of(report))
        if verdict.value is not None:
            values.append(verdict.value)
        verdicts.append(
            ReportVerdict(report, verdict.ok, verdict.summary, verdict.items, verdict.value)
        )
        text = verdict.summary if len(judged) == 1 else f"{report.path}: {verdict.summary}"
        if verdict.ok is None:
            unknown.append(text)
        else:
            (passes if verdict.ok else problems).append(text)
    age = as_of - latest.time
    evidence = MonitoringEvidence(
        report=latest,
        as_of=as_of,
        age_seconds=max(age.total_seconds(), 0.0),
        dated_by="generated_at" if latest.generated_at is not None else "ingested_at",
        verdicts=tuple(verdicts),
    )
    threshold = dict(ask.threshold or {})
    if max_age is not None:
        threshold["max_age"] = str(p["max_age"])
        if age > max_age:
            zone = (
                "" if latest.generated_at_tz or latest.generated_at is None else " (zone unknown)"
            )
            problems.append(
                f"stale: the latest report is {_age_text(age)} old{zone} as of "
                f"{as_of:%Y-%m-%d %H:%M} UTC (max_age {p['max_age']})"
            )
    if ask.about == "freshness":
        values = [max(age.total_seconds(), 0.0) / 86400]
    lower_only = ask.threshold is not None and "min" in ask.threshold and "max" not in ask.threshold
    value = (min(values) if lower_only else max(values)) if values else None
    where = f" in {_label(latest)}" if len(judged) == 1 else f" in {len(judged)} reports"
    if problems:
        status = Status.failed
        message = f"{ask.about}: " + "; ".join(problems) + where
    elif unknown:
        status = Status.not_evaluated
        message = f"{ask.about}: " + "; ".join(unknown) + where
    else:
        status = Status.passed
        body = (
            f"latest report is {_age_text(max(age, timedelta(0)))} old"
            if ask.about == "freshness"
            else "; ".join(passes)
        )
        message = f"{ask.about}: {body}{where}"
    return finding(
        rule,
        subject,
        status,
        message,
        help_text=help_text,
        metric=ask.metric,
        value=value,
        threshold=threshold or None,
        evidence=evidence,
        about=ask.about,
    )
