"""The portfolio report: every model version in scope of the policies, with its decision.

:func:`build_portfolio` asks the library and recomputes nothing: one
:func:`govern.policy.engine.evaluate` over the store (``gate=True``: a version is judged by
every policy whose ``scope.models`` names its model, as ``govern gate`` and the model report
judge it), the lineage from :mod:`govern.inventory`, the production logs' time spans from
:mod:`govern.store.predictions`. The store is opened once by the caller, the policies loaded
once, and the evaluation, the inventory and the log look-ups are shared by every version.
:func:`model_reports` writes each version's own model report (:mod:`govern.report.context`), so
the portfolio's links lead somewhere; :func:`render_portfolio` gives the HTML, the
``govern.portfolio/v1`` JSON and the tagged PDF (:mod:`govern.report.portfolio_render`, over the
rows of :mod:`govern.report.portfolio_types`; both re-exported here).

**Decisions.** Each version gets exactly one, the first that holds:

1. ``fail``: the gate fails (a finding at or above ``fail_on`` failed) for a reason other than
   stale evidence;
2. ``stale``: the evidence is out of date (see below), and nothing else fails the gate;
3. ``not_evaluated``: a finding at or above ``fail_on`` could not be evaluated (evidence
   missing), so the pass rests on missing evidence;
4. ``waived``: a finding at or above ``fail_on`` failed and is covered by an active waiver;
5. ``pass``: every finding at or above ``fail_on`` passed.

**Stale evidence** is what the checks report about the age of the evidence:

- a ``check: monitoring`` rule with ``max_age`` found the latest monitoring report older than
  that (the check fails it as stale; the finding's evidence holds the report's age);
- the newest production evidence of the version (the newest row of its current prediction
  logs, or the newest monitoring report a check judged) is older than ``stale_after`` (default
  90 days, ``--stale-after``) at the evaluation time. A version without production evidence
  is not stale: its checks say what is missing (``not_evaluated``).

Versions of models no policy names are listed apart (``out_of_scope``): no rule judged them.

Determinism: the clock is passed in, every list is sorted, and nothing reads the wall clock,
the host or the environment except the library versions.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from govern.checks.monitoring_evidence import MonitoringEvidence
from govern.controls import coverage, load_catalogs, lookup
from govern.errors import UsageError
from govern.inventory import VersionLineage, inventory
from govern.models import CheckResult, Finding, Severity, Status
from govern.policy.engine import evaluate
from govern.policy.loader import PolicySet
from govern.report.context import (
    SIGNOFF_ROLES,
    ReportContext,
    build_context,
    policy_rows,
    report_stem,
    tool_versions,
)
from govern.report.portfolio_render import (
    render_portfolio,
    render_portfolio_html,
    render_portfolio_json,
)
from govern.report.portfolio_types import (
    DECISION_LABELS,
    DECISIONS,
    DEFAULT_STALE_AFTER,
    PORTFOLIO_SCHEMA,
    ControlRow,
    FrameworkRow,
    ModelRow,
    OutOfScopeRow,
    PortfolioContext,
    VersionRow,
    portfolio_stem,
)
from govern.sql import quote
from govern.store import predictions
from govern.store.store import Store
from govern.windows import parse_duration

__all__ = [
    "DECISIONS",
    "DEFAULT_STALE_AFTER",
    "PORTFOLIO_SCHEMA",
    "PortfolioContext",
    "VersionRow",
    "build_portfolio",
    "decide",
    "model_reports",
    "portfolio_files",
    "portfolio_stem",
    "render_portfolio",
    "render_portfolio_html",
    "render_portfolio_json",
]

#: How many names a sentence of the executive summary lists before "and N more".
_LISTED = 8

#: Called after each model version: (what was done, steps done, steps in all).
Progress = Callable[[str, int, int], None]


# -- deciding ----------------------------------------------------------------------------------


def _stale_findings(findings: Sequence[Finding]) -> tuple[dict[int, str], set[int]]:
    """Findings whose monitoring report is older than the rule's ``max_age``.

    Returns the reason per finding (by ``id``) and the ids of those whose only problem is the
    age (every report judged was otherwise fine): a stale report that also shows failures is a
    failure.
    """
    reasons: dict[int, str] = {}
    only_age: set[int] = set()
    for f in findings:
        evidence = f.evidence
        limit = (f.threshold or {}).get("max_age")
        if not isinstance(evidence, MonitoringEvidence) or limit is None:
            continue
        if evidence.age_seconds > parse_duration(str(limit)).total_seconds():
            days = evidence.age_seconds / 86400
            reasons[id(f)] = (
                f"{f.label}: the latest monitoring report is {days:.0f} days old (max_age {limit})"
            )
            if all(v.ok is not False for v in evidence.verdicts):
                only_age.add(id(f))
    return reasons, only_age


def _newest_report(findings: Sequence[Finding]) -> datetime | None:
    """The newest monitoring report a check judged for the version (naive UTC)."""
    times = [f.evidence.report.time for f in findings if isinstance(f.evidence, MonitoringEvidence)]
    return max(times) if times else None


def decide(
    findings: Sequence[Finding],
    *,
    fail_on: Severity,
    newest_evidence: datetime | None,
    now: datetime,
    stale_after: timedelta,
) -> tuple[str, str, tuple[str, ...]]:
    """The version's decision (see the module), a sentence saying why, and the stale reasons.

    ``newest_evidence`` is the newest production evidence (naive UTC or aware), None when the
    version has none.
    """
    result = CheckResult(findings=tuple(findings), fail_on=fail_on)
    stale_by_id, only_age = _stale_findings(findings)
    stale = list(stale_by_id.values())
    if newest_evidence is not None:
        moment = (
            newest_evidence
            if newest_evidence.tzinfo
            else newest_evidence.replace(tzinfo=now.tzinfo)
        )
        age = now - moment
        if age > stale_after:
            stale.append(
                f"the newest production evidence ({moment:%Y-%m-%d}) is {age.days} days old "
                f"(stale after {stale_after.days} days)"
            )
    failing = result.failing()
    other = sorted({f.label for f in failing if id(f) not in only_age})
    at_bar = [f for f in findings if f.severity.at_least(fail_on)]
    missing = sorted({f.label for f in at_bar if f.status is Status.not_evaluated})
    waived = sorted({f.label for f in at_bar if f.status is Status.waived})
    reasons = tuple(sorted(stale))
    if other:
        return "fail", f"{_plural(len(other), 'finding')} failed: {_listed(other)}.", reasons
    if reasons:
        return "stale", "Evidence is stale: " + "; ".join(reasons) + ".", reasons
    if missing:
        return (
            "not_evaluated",
            f"{_plural(len(missing), 'finding')} at severity {fail_on.value} or above could "
            f"not be evaluated: {_listed(missing)}.",
            reasons,
        )
    if waived:
        return "waived", f"Passes only under a waiver: {_listed(waived)}.", reasons
    return "pass", f"No finding at severity {fail_on.value} or above failed.", reasons


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _listed(names: Sequence[str], limit: int = _LISTED) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


# -- store look-ups ----------------------------------------------------------------------------


def _newest_rows(store: Store, model: str | None) -> dict[tuple[str, str | None], datetime]:
    """The newest current prediction-log row per (model, version); version None: any version.

    A log that names its version (ingested with ``--version``) counts for that version; one with
    a version column, per value of the column (one query per log); one with neither, for every
    version of its model (key ``(model, None)``), as the model report takes it.
    """
    out: dict[tuple[str, str | None], datetime] = {}

    def keep(key: tuple[str, str | None], moment: datetime | None) -> None:
        if moment is not None and (key not in out or moment > out[key]):
            out[key] = moment

    for log in predictions.logs(store, model=model, role="current"):
        column = log.mapping.get("model_version")
        if log.version is not None or column is None:
            keep((log.model, log.version), log.ts_max)
            continue
        rows = store.query(
            f"SELECT CAST({quote(column)} AS VARCHAR) AS v, max(__govern_ts) AS last "
            f"FROM {quote(log.table)} GROUP BY 1"
        )
        for r in rows:
            keep((log.model, r["v"]), r["last"])
    return out


# -- building ----------------------------------------------------------------------------------


class _RememberedReads:
    """A store opened read-only whose query results are remembered for the rest of the run.

    Every version of a portfolio asks the store the same questions (the inventory, the logs of
    a model, the ledger, the sources): asked once, answered from memory afterwards, so the
    time grows with the number of versions, not with its square. Each answer is a fresh list
    of fresh row dicts. Everything else (the DuckDB connection the checks query) is the
    store's own. Only for a store nobody writes during the run.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._answers: dict[tuple[str, tuple[Any, ...]], list[dict[str, Any]]] = {}

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """The rows of ``sql`` with ``params``, from memory when asked before."""
        key = (sql, tuple(params))
        if key not in self._answers:
            self._answers[key] = self._store.query(sql, params)
        return [dict(row) for row in self._answers[key]]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def _remembering(store: Store) -> Store:
    """``store`` with its query results remembered (see :class:`_RememberedReads`)."""
    if isinstance(store, _RememberedReads):
        return store
    return cast(Store, _RememberedReads(store))


def _check_model(everything: Sequence[VersionLineage], model: str) -> None:
    models = sorted({v.model for v in everything})
    if model in models:
        return
    close = difflib.get_close_matches(model, models, n=3)
    raise UsageError(
        f"model {model!r} is not in the store.",
        hint=(f"Did you mean {', '.join(close)}? " if close else "")
        + ("Known models: " + ", ".join(models) if models else "The store is empty."),
    )


def _version_number(version: str) -> tuple[int, str]:
    return (int(version), version) if version.isdigit() else (-1, version)


def _coverage(by_version: Mapping[tuple[str, str], Sequence[Finding]]) -> tuple[FrameworkRow, ...]:
    """Per control with mapped evidence, how many versions are in each coverage group."""
    groups: dict[str, dict[str, int]] = {}
    failing: dict[str, list[str]] = {}
    rules: dict[str, set[str]] = {}
    for (model, version), findings in sorted(
        by_version.items(), key=lambda kv: (kv[0][0], _version_number(kv[0][1]))
    ):
        statuses: dict[str, list[str]] = {}
        for f in findings:
            for control in f.controls:
                if lookup(control) is not None:
                    statuses.setdefault(control, []).append(f.status.value)
                    rules.setdefault(control, set()).add(f.rule)
        for prefix, by_group in coverage(statuses).items():
            del prefix
            for group, ids in by_group.items():
                if group == "not-covered":
                    continue
                for cid in ids:
                    groups.setdefault(cid, {}).setdefault(group, 0)
                    groups[cid][group] += 1
                    if group == "evaluated-fail":
                        failing.setdefault(cid, []).append(f"{model} v{version}")
    shown = ("evaluated-pass", "evaluated-fail", "waived", "not-evaluated")
    out = []
    for prefix, framework in load_catalogs().items():
        rows = tuple(
            ControlRow(
                id=c.id,
                title=c.title,
                counts=tuple((g, groups[c.id].get(g, 0)) for g in shown),
                failing=tuple(failing.get(c.id, ())),
                rules=tuple(sorted(rules[c.id])),
            )
            for c in framework.controls
            if c.id in groups
        )
        out.append(
            FrameworkRow(
                id=prefix,
                title=framework.title,
                version=framework.version,
                controls=len(framework.controls),
                mapped=len(rows),
                failing=sum(1 for r in rows if dict(r.counts)["evaluated-fail"]),
                not_covered=len(framework.controls) - len(rows),
                rows=rows,
            )
        )
    return tuple(out)


def _executive(
    rows: Sequence[VersionRow],
    out_of_scope: Sequence[OutOfScopeRow],
    decisions: Mapping[str, int],
    as_of: str,
    fail_on: str,
    policies: int,
) -> tuple[str, ...]:
    models = len({r.model for r in rows})
    if rows:
        lines = [
            f"As of {as_of}, {_plural(len(rows), 'model version')} of "
            f"{_plural(models, 'model')} {'is' if len(rows) == 1 else 'are'} judged by "
            f"{'1 policy' if policies == 1 else f'{policies} policies'}. A version fails when "
            f"a finding at severity {fail_on} or above fails."
        ]
    else:
        lines = [f"As of {as_of}, no model version in the store is in scope of a policy."]
    counted = ", ".join(
        f"{decisions[d]} {DECISION_LABELS[d]}" for d in DECISIONS if decisions.get(d)
    )
    if rows:
        lines.append(f"Decisions: {counted}.")

    def names(decision: str) -> list[str]:
        return [f"{r.model} v{r.version}" for r in rows if r.decision == decision]

    failed = names("fail")
    if failed:
        lines.append(
            f"Failed: {_listed(failed)}. They must not be promoted or stay in use until the "
            "failing findings are fixed or waived through review."
        )
    stale = names("stale")
    if stale:
        lines.append(
            f"Stale evidence: {_listed(stale)}. Re-run the monitoring and ingest the new logs "
            "or reports before relying on these versions."
        )
    missing = names("not_evaluated")
    if missing:
        lines.append(
            f"Not evaluated: {_listed(missing)}. Blocking rules could not be evaluated "
            "(evidence missing); such findings are never counted as passed."
        )
    waived = names("waived")
    if waived:
        lines.append(
            f"Waived: {_listed(waived)} pass under active waivers (see their model reports)."
        )
    below = [r for r in rows if r.decision in ("pass", "waived") and r.below]
    if below:
        lines.append(
            f"{_plural(len(below), 'passing version')} "
            f"{'has' if len(below) == 1 else 'have'} findings that fail below the blocking "
            "severity and call for review: "
            + _listed([f"{r.model} v{r.version}" for r in below])
            + "."
        )
    gaps = [r for r in rows if r.gaps]
    if gaps:
        lines.append(
            f"{_plural(len(gaps), 'version')} {'has' if len(gaps) == 1 else 'have'} lineage "
            "gaps (no run, commit, data digest or environment recorded)."
        )
    if out_of_scope:
        lines.append(
            f"{_plural(len(out_of_scope), 'version')} of "
            f"{_plural(len({r.model for r in out_of_scope}), 'model')} in the store "
            + (
                "is in scope of no policy and was"
                if len(out_of_scope) == 1
                else "are in scope of no policy and were"
            )
            + " not judged at all (listed at the end of the portfolio)."
        )
    return tuple(lines)


def _limitations(stale_after: str) -> tuple[str, ...]:
    return (
        "Each version is judged as govern gate judges it: by every policy whose scope names "
        "its model, whatever its stage or aliases. Each version's model report holds the "
        "findings, evidence and waivers behind its row.",
        f"Stale evidence is judged on dates only: monitoring reports older than a rule's "
        f"max_age, and production evidence older than {stale_after}. Fresh evidence is not "
        "necessarily complete evidence.",
        "Control mappings say which evidence is mapped to a control of a framework; they are "
        "not a statement of compliance with that framework.",
        "Every number is taken from the store as ingested: govern does not verify that the "
        "exports and logs reflect what ran in production.",
        "Versions of models that no policy names are listed but not judged.",
    )


def _shell(text: str) -> str:
    safe = all(c.isalnum() or c in "._-/:=@+," for c in text)
    return text if safe and text else "'" + text.replace("'", "'\"'\"'") + "'"


def build_portfolio(
    store: Store,
    policies: PolicySet,
    *,
    now: datetime,
    store_path: str,
    model: str | None = None,
    fail_on: Severity = Severity.block,
    stale_after: str = DEFAULT_STALE_AFTER,
    waiver_paths: Sequence[str] = (),
    progress: Progress | None = None,
) -> PortfolioContext:
    """Evaluate every version in scope once and gather what the portfolio shows.

    ``progress`` is called after each version in scope.

    Raises:
        UsageError: ``model`` is not in the store (naming the closest), or ``stale_after`` is
            not a duration.
    """
    try:
        stale_delta = parse_duration(stale_after)
    except ValueError as exc:
        raise UsageError(f"--stale-after {stale_after!r}: {exc}.") from None
    store = _remembering(store)
    everything = inventory(store)
    if model is not None:
        _check_model(everything, model)
    versions = [v for v in everything if model is None or v.model == model]
    in_scope = [
        v for v in versions if any(p.scope.matches_model(v.model) for p in policies.policies)
    ]
    scoped = {(v.model, v.version) for v in in_scope}
    by_version: dict[tuple[str, str], list[Finding]] = {key: [] for key in scoped}
    refs = policies.refs()
    warnings: tuple[str, ...] = ()
    if in_scope:  # evaluate raises when no policy applies to any version
        result = evaluate(store, policies, now=now, model=model, gate=True, fail_on=fail_on)
        refs, warnings = result.policies, result.warnings
        for f in result.findings:
            by_version.setdefault((f.model, f.version), []).append(f)
    newest_rows = _newest_rows(store, model)
    as_of = now.strftime("%Y-%m-%d")
    rows: list[VersionRow] = []
    for v in sorted(in_scope, key=lambda v: (v.model, _version_number(v.version))):
        findings = by_version[(v.model, v.version)]
        candidates = [
            t
            for t in (
                newest_rows.get((v.model, v.version)),
                newest_rows.get((v.model, None)),
                _newest_report(findings),
            )
            if t is not None
        ]
        newest = max(candidates) if candidates else None
        decision, reason, stale = decide(
            findings, fail_on=fail_on, newest_evidence=newest, now=now, stale_after=stale_delta
        )
        checked = CheckResult(findings=tuple(findings), fail_on=fail_on)
        failing = checked.failing()
        rows.append(
            VersionRow(
                model=v.model,
                version=v.version,
                registry=v.registry,
                stage=v.stage,
                aliases=v.aliases,
                decision=decision,
                gate=checked.decision.value,
                counts=tuple(checked.summary().items()),
                reason=reason,
                blocking=tuple(sorted({f.label for f in failing})),
                below=tuple(
                    sorted(
                        {f.label for f in findings if f.status is Status.failed}
                        - {f.label for f in failing}
                    )
                ),
                waived=tuple(sorted({f.label for f in findings if f.status is Status.waived})),
                not_evaluated=tuple(
                    sorted({f.label for f in findings if f.status is Status.not_evaluated})
                ),
                stale=stale,
                newest_evidence=newest.strftime("%Y-%m-%d %H:%M") if newest else None,
                gaps=tuple(g.code for g in v.gaps),
                policies=tuple(sorted({f.policy for f in findings if f.policy})),
                report=report_stem(v.model, v.version, as_of) + ".html",
            )
        )
        if progress is not None:
            progress(f"evaluated {v.model} v{v.version}", len(rows), len(in_scope))
    rows.sort(key=lambda r: (DECISIONS.index(r.decision), r.model, _version_number(r.version)))
    decisions = {d: sum(1 for r in rows if r.decision == d) for d in DECISIONS}
    models: dict[str, list[VersionRow]] = {}
    for r in rows:
        models.setdefault(r.model, []).append(r)
    out_of_scope = tuple(
        OutOfScopeRow(v.model, v.version, v.registry, v.stage)
        for v in sorted(versions, key=lambda v: (v.model, _version_number(v.version)))
        if (v.model, v.version) not in scoped
    )
    used = {p for r in rows for p in r.policies}
    policy_args = " ".join(f"--policy {_shell(str(p.path))}" for p in policies.policies)
    # every waiver file that took part (also those found in a --policy folder)
    waiver_files = sorted({ref.path for ref in policies.waiver_files} | set(waiver_paths))
    waivers = "".join(f" --waivers {_shell(w)}" for w in waiver_files)
    narrowed = f" --model {_shell(model)}" if model else ""
    return PortfolioContext(
        schema=PORTFOLIO_SCHEMA,
        kind="portfolio",
        generated_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        as_of=as_of,
        fail_on=fail_on.value,
        stale_after=stale_after,
        model=model,
        decisions=tuple(decisions.items()),
        executive_summary=_executive(
            rows, out_of_scope, decisions, as_of, fail_on.value, len(used)
        ),
        versions=tuple(rows),
        models=tuple(
            ModelRow(
                name,
                len(group),
                tuple((d, sum(1 for r in group if r.decision == d)) for d in DECISIONS),
            )
            for name, group in sorted(models.items())
        ),
        out_of_scope=out_of_scope,
        coverage=_coverage({key: by_version[key] for key in scoped}),
        policies=policy_rows(refs, used),
        warnings=warnings,
        limitations=_limitations(stale_after),
        signoff_roles=SIGNOFF_ROLES,
        tools=tool_versions(),
        commands=(
            f"govern --db {_shell(store_path)} report --portfolio{narrowed} {policy_args}"
            f"{waivers} --as-of {as_of} --stale-after {stale_after} --format html,json",
            "sha256sum <the policy files listed above>   # compare with the digests of this "
            "appendix",
        ),
        store=store_path,
    )


def model_reports(
    store: Store,
    policies: PolicySet,
    portfolio: PortfolioContext,
    *,
    now: datetime,
    store_path: str,
    waiver_paths: Sequence[str] = (),
    progress: Progress | None = None,
) -> list[ReportContext]:
    """The model report context of every version of the portfolio, in the portfolio's order.

    Each is :func:`govern.report.context.build_context` of the version (the report its row
    links to, file name :attr:`VersionRow.report`).
    """
    store = _remembering(store)
    out: list[ReportContext] = []
    for row in portfolio.versions:
        out.append(
            build_context(
                store,
                policies,
                model=row.model,
                version=row.version,
                now=now,
                store_path=store_path,
                waiver_paths=waiver_paths,
            )
        )
        if progress is not None:
            progress(f"model report {row.model} v{row.version}", len(out), len(portfolio.versions))
    return out


def portfolio_files(
    store: Store,
    policies: PolicySet,
    *,
    now: datetime,
    store_path: str,
    formats: Sequence[str],
    model: str | None = None,
    stale_after: str = DEFAULT_STALE_AFTER,
    waiver_paths: Sequence[str] = (),
    with_model_reports: bool = True,
    pdf_variant: str = "pdf/ua-1",
    progress: Progress | None = None,
) -> tuple[PortfolioContext, dict[str, str | bytes]]:
    """The portfolio and the contents of every file it makes, by file name, in writing order.

    The portfolio's ``html`` and ``json`` first, then (with ``html`` among ``formats`` and
    ``with_model_reports``) each version's model report in HTML, the files the portfolio links
    to, and the PDF last. The caller writes them all or none.
    """
    from govern.report.render import render_formats

    store = _remembering(store)  # one memory for the portfolio and its model reports
    context = build_portfolio(
        store,
        policies,
        now=now,
        store_path=store_path,
        model=model,
        stale_after=stale_after,
        waiver_paths=waiver_paths,
        progress=progress,
    )
    stem = portfolio_stem(context.as_of)
    rendered = render_portfolio(context, formats, now=now, pdf_variant=pdf_variant)
    files: dict[str, str | bytes] = {
        f"{stem}.{fmt}": content for fmt, content in rendered.items() if fmt != "pdf"
    }
    if with_model_reports and "html" in formats:
        for report in model_reports(
            store,
            policies,
            context,
            now=now,
            store_path=store_path,
            waiver_paths=waiver_paths,
            progress=progress,
        ):
            name = report_stem(report.model, report.version, report.as_of)
            files[f"{name}.html"] = render_formats(report, ("html",), stem=name, now=now)["html"]
    if "pdf" in rendered:
        files[f"{stem}.pdf"] = rendered["pdf"]
    return context, files
