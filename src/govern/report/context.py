"""The report context: everything a model-version report shows, typed, frozen and sorted.

:func:`build_context` asks the library, never recomputes a statistic: the findings come from
:func:`govern.policy.engine.evaluate` (``gate=True``: every policy whose scope names the model),
the lineage from :mod:`govern.inventory`, the gate history from the ledger, the input digests
from the store's ``sources`` table, and each evidence section from the typed ``Finding.evidence``
(:mod:`govern.report.sections`). Formatters (:mod:`govern.report.html`,
:mod:`govern.report.json`, the PDF) read the context only; :meth:`ReportContext.to_json` is its
one JSON form (``govern.report/v1``).

Determinism: the clock is passed in (``now``), every list is sorted or in a documented order,
and nothing reads the wall clock, the host name or the environment except the library
versions (:func:`tool_versions`).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from importlib import metadata
from typing import Any

from govern.controls import COVERAGE_GROUPS, coverage, load_catalogs, lookup
from govern.errors import UsageError
from govern.inventory import VersionLineage, inventory
from govern.models import CheckResult, Finding, PolicyRef, Severity, Status
from govern.policy.engine import evaluate
from govern.policy.gate import GATE, subject
from govern.policy.loader import PolicySet
from govern.report.changes import Changes, changes_since
from govern.report.sections import EvidenceSection, bound_text, build_sections, finite
from govern.store import ledger, predictions
from govern.store.store import Store

__all__ = [
    "LIBRARIES",
    "REPORT_SCHEMA",
    "SIGNOFF_ROLES",
    "PolicyRow",
    "ReportContext",
    "build_context",
    "policy_rows",
    "report_stem",
    "tool_versions",
]

REPORT_SCHEMA = "govern.report/v1"

#: The libraries whose versions the appendix lists (the ones that shape the numbers or output).
LIBRARIES = ("duckdb", "jinja2", "jsonschema", "numpy", "PyYAML", "rfc8785", "scipy", "typer")

#: One sign-off field per role, in signing order.
SIGNOFF_ROLES = (
    "Model owner",
    "Independent validation (model risk)",
    "Compliance officer",
    "Approver",
)

#: Check kinds DESIGN.md names that a policy may not have evaluated, with what they would show.
EXPECTED_CHECKS = {
    "reproducibility": "lineage (run, commit, data, environment)",
    "fairness": "group rates and disparities",
    "drift": "distribution drift of features and score",
    "performance": "performance on labelled production data",
    "explainability": "feature importance (SHAP), attribution drift and proxies",
}

_SEVERITY_ORDER = (Severity.block, Severity.warn, Severity.info)
_STATUS_ORDER = (Status.failed, Status.waived, Status.not_evaluated, Status.passed)


@dataclass(frozen=True)
class PolicyRow:
    """A policy, rule set or waiver file that took part, with its SHA-256."""

    id: str
    version: str
    kind: str
    path: str
    sha256: str
    #: True when at least one finding of the report comes from it (or it holds waivers)
    applied: bool


def policy_rows(refs: Iterable[PolicyRef], used: Container[str]) -> tuple[PolicyRow, ...]:
    """A row per file that took part, in the order given.

    A policy counts as applied when a finding comes from it (its id is in ``used``); a rule
    set or a waiver file always does.
    """
    return tuple(
        PolicyRow(p.id, p.version, p.kind, p.path, p.sha256, p.id in used or p.kind != "Policy")
        for p in refs
    )


@dataclass(frozen=True)
class SourceRow:
    """An ingested input the report rests on (a ``sources`` row) and what it provided."""

    sha256: str
    path: str
    format: str
    family: str
    files: int
    ingested_at: str
    used_for: tuple[str, ...]


@dataclass(frozen=True)
class ArtifactRow:
    """An artefact of the version's run, with the SHA-256 recorded at ingest."""

    path: str
    kind: str
    sha256: str


@dataclass(frozen=True)
class LogRow:
    """A prediction log of the model: role, rows and time span."""

    role: str
    path: str
    version: str | None
    #: the column that names each row's version, when the log holds several versions
    version_column: str | None
    rows: int
    first: str | None
    last: str | None


@dataclass(frozen=True)
class FindingRow:
    """One finding as the report lists it."""

    label: str
    rule: str
    check: str
    policy: str
    severity: str
    status: str
    value: float | None
    bound: str
    message: str
    #: the rule's description: what triggers it and how to fix it
    help: str
    controls: tuple[str, ...]


@dataclass(frozen=True)
class ControlRow:
    """A control of a framework that findings map evidence to."""

    id: str
    title: str
    group: str
    rules: tuple[str, ...]


@dataclass(frozen=True)
class FrameworkCoverage:
    """One framework: counts per coverage group, the mapped controls, the uncovered ones."""

    id: str
    title: str
    version: str
    counts: tuple[tuple[str, int], ...]
    mapped: tuple[ControlRow, ...]
    not_covered: tuple[str, ...]


@dataclass(frozen=True)
class GateRow:
    """A gate decision of this version recorded in the ledger."""

    seq: int
    at: str
    actor: str
    decision: str
    summary: str
    failing: tuple[str, ...]
    waived: tuple[str, ...]
    hash: str


@dataclass(frozen=True)
class WaiverRow:
    """A waiver that matches this version, and what it did."""

    rule: str
    versions: str
    justification: str
    approver: str
    ticket: str | None
    expires: str
    state: str
    waived: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Tool:
    """A tool or library and its installed version."""

    name: str
    version: str


@dataclass(frozen=True)
class ReportContext:
    """Everything a model-version report shows (``govern.report/v1``)."""

    schema: str
    kind: str
    model: str
    version: str
    #: the evaluation time (ISO-8601 UTC) and its date: the report's date
    generated_at: str
    as_of: str
    decision: str
    fail_on: str
    counts: tuple[tuple[str, int], ...]
    executive_summary: tuple[str, ...]
    lineage: VersionLineage
    artifacts: tuple[ArtifactRow, ...]
    logs: tuple[LogRow, ...]
    window: str
    policies: tuple[PolicyRow, ...]
    sources: tuple[SourceRow, ...]
    findings: tuple[FindingRow, ...]
    not_evaluated: tuple[FindingRow, ...]
    not_covered_checks: tuple[tuple[str, str], ...]
    coverage: tuple[FrameworkCoverage, ...]
    sections: tuple[EvidenceSection, ...]
    gates: tuple[GateRow, ...]
    ledger_head: str | None
    #: what changed since the previous report of the model (from the ledger)
    changes: Changes
    waivers: tuple[WaiverRow, ...]
    warnings: tuple[str, ...]
    limitations: tuple[str, ...]
    signoff_roles: tuple[str, ...]
    tools: tuple[Tool, ...]
    commands: tuple[str, ...]
    store: str

    def findings_by_severity(self) -> list[tuple[str, list[FindingRow]]]:
        """Findings grouped by severity (block, warn, info), failures first in each."""
        return [
            (s.value, [f for f in self.findings if f.severity == s.value])
            for s in _SEVERITY_ORDER
            if any(f.severity == s.value for f in self.findings)
        ]

    def count(self, status: str) -> int:
        """How many findings have this status."""
        return dict(self.counts).get(status, 0)

    def to_json(self) -> dict[str, Any]:
        """The context as JSON-ready data (``govern.report/v1``; keys sorted when dumped)."""
        out: dict[str, Any] = {
            field.name: _plain(getattr(self, field.name))
            for field in dataclasses.fields(self)
            if field.name not in ("lineage", "counts", "sections")
        }
        out["lineage"] = self.lineage.to_json()
        out["summary"] = dict(self.counts)
        out["sections"] = [
            {
                "key": s.key,
                "title": s.title,
                "check": s.check,
                "missing": list(s.missing),
                "data": _plain(s.data),
            }
            for s in self.sections
        ]
        return out


def _plain(value: Any) -> Any:
    """Dataclasses, tuples, enums and dates as JSON data; a non-finite float as null."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def tool_versions() -> tuple[Tool, ...]:
    """Govern's version, then each of :data:`LIBRARIES` (``not installed`` when absent)."""
    out = [Tool("govern", _version("govern"))]
    out.extend(Tool(name, _version(name)) for name in sorted(LIBRARIES, key=str.lower))
    return tuple(out)


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def report_stem(model: str, version: str, as_of: str) -> str:
    """The output file name without extension: ``credit-risk-v2-2026-12-03``.

    Characters other than letters, digits, ``.``, ``_`` and ``-`` become ``-``, so a model name
    from an input can never name a path elsewhere.
    """

    def safe(text: str) -> str:
        cleaned = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "-" for c in text)
        return cleaned.strip(".-") or "model"

    return f"{safe(model)}-v{safe(version)}-{as_of}"


# -- store look-ups ----------------------------------------------------------------------------


def _sources(store: Store, v: VersionLineage) -> tuple[SourceRow, ...]:
    uses: dict[str, list[str]] = {}

    def add(sql: str, params: list[Any], what: str) -> None:
        for row in store.query(sql, params):
            uses.setdefault(row["source_sha"], []).append(what)

    add(
        "SELECT DISTINCT source_sha FROM model_versions WHERE model_name = ? AND version = ?",
        [v.model, v.version],
        "registry record of the version",
    )
    add(
        "SELECT DISTINCT source_sha FROM registered_models WHERE name = ?",
        [v.model],
        "registered model",
    )
    if v.run_id:
        add("SELECT DISTINCT source_sha FROM runs WHERE run_id = ?", [v.run_id], "training run")
    add(
        "SELECT DISTINCT source_sha, role FROM prediction_logs WHERE model = ?",
        [v.model],
        "prediction log",
    )
    add("SELECT DISTINCT source_sha FROM ground_truth WHERE model = ?", [v.model], "ground truth")
    add(
        "SELECT DISTINCT source_sha FROM monitoring_reports WHERE model = ?",
        [v.model],
        "monitoring report",
    )
    if not uses:
        return ()
    marks = ", ".join("?" for _ in uses)
    rows = store.query(
        "SELECT sha256, path, format, family, files, ingested_at FROM sources "
        f"WHERE sha256 IN ({marks}) ORDER BY path, sha256",
        list(uses),
    )
    return tuple(
        SourceRow(
            sha256=r["sha256"],
            path=r["path"],
            format=r["format"],
            family=r["family"],
            files=int(r["files"]),
            ingested_at=r["ingested_at"].strftime("%Y-%m-%dT%H:%M:%SZ"),
            used_for=tuple(sorted(set(uses[r["sha256"]]))),
        )
        for r in rows
    )


def _artifacts(store: Store, v: VersionLineage) -> tuple[ArtifactRow, ...]:
    if not v.run_id:
        return ()
    rows = store.query(
        "SELECT path, kind, sha256 FROM artifacts WHERE run_id = ? ORDER BY path", [v.run_id]
    )
    return tuple(ArtifactRow(r["path"], r["kind"], r["sha256"]) for r in rows)


def _stamp(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else None


def _logs(store: Store, v: VersionLineage) -> tuple[LogRow, ...]:
    return tuple(
        LogRow(
            log.role,
            log.path,
            log.version,
            None if log.version else log.mapping.get("model_version"),
            log.rows,
            _stamp(log.ts_min),
            _stamp(log.ts_max),
        )
        for log in predictions.logs(store, model=v.model)
        if log.role == "reference" or log.version in (None, v.version)
    )


def _window(logs: Sequence[LogRow], version: str) -> str:
    current = [log for log in logs if log.role == "current"]
    if not current:
        return "no current prediction logs: production evidence not available"
    firsts = sorted(log.first for log in current if log.first)
    lasts = sorted(log.last for log in current if log.last)
    rows = sum(log.rows for log in current)
    span = f"{firsts[0]} to {lasts[-1]} UTC" if firsts and lasts else "time span unknown"
    text = f"current prediction logs {span} ({rows:,} rows in {len(current)} log(s))"
    columns = sorted({log.version_column for log in current if log.version_column})
    if columns:
        text += (
            f"; the logs hold several versions, and the checks use the rows whose "
            f"{', '.join(columns)} is {version}"
        )
    elif any(log.version is None for log in current):
        text += "; the logs name no version and are taken as this version's"
    return text


def _gates(store: Store, v: VersionLineage) -> tuple[tuple[GateRow, ...], str | None]:
    entries = ledger.entries(store)
    wanted = subject(v.model, v.version)
    rows = []
    for e in entries:
        if e.kind != GATE or e.subject != wanted:
            continue
        summary = e.payload.get("summary") or {}
        rows.append(
            GateRow(
                seq=e.seq,
                at=e.at,
                actor=e.actor,
                decision=e.decision,
                summary=", ".join(f"{summary[k]} {k}" for k in sorted(summary)),
                failing=tuple(e.payload.get("failing") or ()),
                waived=tuple(e.payload.get("waived") or ()),
                hash=e.hash,
            )
        )
    # the head before any report entry: a report never shows its own entry (or an earlier
    # report's), so the same inputs give the same bytes however often they are reported
    recorded = [e for e in entries if e.kind != ledger.REPORT]
    return tuple(rows), recorded[-1].hash if recorded else None


# -- derived content ---------------------------------------------------------------------------


def _finding_row(f: Finding) -> FindingRow:
    return FindingRow(
        label=f.label,
        rule=f.rule,
        check=f.check,
        policy=f.policy,
        severity=f.severity.value,
        status=f.status.value,
        value=finite(f.value),
        bound=bound_text(f.threshold),
        message=f.message,
        help=" ".join(f.help.split()),
        controls=f.controls,
    )


def _coverage(findings: Sequence[Finding]) -> tuple[FrameworkCoverage, ...]:
    statuses: dict[str, list[str]] = {}
    rules: dict[str, set[str]] = {}
    for f in findings:
        for control in f.controls:
            if lookup(control) is None:
                continue
            statuses.setdefault(control, []).append(f.status.value)
            rules.setdefault(control, set()).add(f.rule)
    groups = coverage(statuses)
    out: list[FrameworkCoverage] = []
    for prefix, framework in load_catalogs().items():
        by_group = groups[prefix]
        group_of = {cid: g for g, ids in by_group.items() for cid in ids}
        mapped = tuple(
            ControlRow(c.id, c.title, group_of[c.id], tuple(sorted(rules[c.id])))
            for c in framework.controls
            if c.id in rules
        )
        out.append(
            FrameworkCoverage(
                id=prefix,
                title=framework.title,
                version=framework.version,
                counts=tuple((g, len(by_group[g])) for g in COVERAGE_GROUPS),
                mapped=mapped,
                not_covered=tuple(by_group["not-covered"]),
            )
        )
    return tuple(out)


def _waivers(
    policies: PolicySet, findings: Sequence[Finding], v: VersionLineage, today: date
) -> tuple[WaiverRow, ...]:
    out: list[WaiverRow] = []
    for w in policies.waivers:
        if not any(w.matches(f.rule, v.model, v.version) for f in findings):
            continue
        waived = tuple(
            sorted(
                f.label
                for f in findings
                if f.status is Status.waived and (f.waiver or {}).get("source") == w.source
            )
        )
        out.append(
            WaiverRow(
                rule=w.rule,
                versions=w.versions,
                justification=w.justification,
                approver=w.approver,
                ticket=w.ticket,
                expires=w.expires.isoformat(),
                state="active" if w.active(today) else "expired",
                waived=waived,
                source=w.source,
            )
        )
    return tuple(out)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _executive(result: CheckResult, v: VersionLineage, window: str) -> tuple[str, ...]:
    failing = result.failing()
    counts = result.summary()
    total = len(result.findings)
    lines: list[str] = []
    if failing:
        lines.append(
            f"Version {v.version} of {v.model} does not pass: "
            f"{_plural(len(failing), 'finding')} at severity {result.fail_on.value} or above "
            f"failed ({', '.join(sorted({f.label for f in failing}))}). It must not be promoted "
            "until these are fixed or waived through review."
        )
    else:
        lines.append(
            f"Version {v.version} of {v.model} passes: no finding at severity "
            f"{result.fail_on.value} or above failed."
        )
    lines.append(
        f"{total} findings from {_plural(len({f.rule for f in result.findings}), 'rule')}: "
        f"{counts['pass']} passed, {counts['fail']} failed, {counts['waived']} waived, "
        f"{counts['not_evaluated']} could not be evaluated."
    )
    below = [f for f in result.findings if f.status is Status.failed and f not in failing]
    if below:
        lines.append(
            f"{_plural(len(below), 'finding')} failed below the blocking severity and call for "
            f"review rather than a stop: {', '.join(sorted({f.label for f in below}))}."
        )
    waived = [f for f in result.findings if f.status is Status.waived]
    if waived:
        lines.append(
            f"{_plural(len(waived), 'failure')} {'is' if len(waived) == 1 else 'are'} covered "
            f"by a waiver: {', '.join(sorted({f.label for f in waived}))} (see Waivers)."
        )
    missing = [f for f in result.findings if f.status is Status.not_evaluated]
    if missing:
        lines.append(
            f"Evidence was missing for {', '.join(sorted({f.label for f in missing}))}: "
            "such findings are never counted as passed (see Scope)."
        )
    if v.gaps:
        lines.append(
            "Lineage gaps: " + ", ".join(g.code for g in v.gaps) + " (see Reproducibility)."
        )
    else:
        lines.append("The registry records a complete lineage for this version (no gaps).")
    lines.append(f"Production evidence: {window}.")
    return tuple(lines)


def _limitations(result: CheckResult, sections: Sequence[EvidenceSection]) -> tuple[str, ...]:
    out = [
        "Control mappings say which evidence is mapped to a control of a framework; they are "
        "not a statement of compliance with that framework.",
        "Every number is taken from the store as ingested: govern does not verify that the "
        "exports and logs reflect what ran in production. The SHA-256 digests in the appendix "
        "identify exactly which inputs were used.",
        "Fairness metrics are computed only for the sensitive attributes mapped in the "
        "prediction logs and for groups of at least the rule's minimum size; smaller groups "
        "are listed, never judged. Disparities say nothing about the causes of a difference.",
        "Drift compares distributions of the logged columns; it does not show whether the "
        "model's accuracy changed. Recent windows may lack ground truth.",
        "Production performance is measured only on records whose ground truth has been "
        "logged; a window with too few labels is not judged.",
        "Explainability shows which features a model's output depends on (mean |SHAP value| "
        "on a sample of the logs); it is not a causal explanation, and a feature the model does "
        "not see can still act through a proxy.",
    ]
    if any(f.status is Status.not_evaluated for f in result.findings):
        out.append(
            "Findings that could not be evaluated are listed in Scope with their reason; they "
            "are neither passes nor failures."
        )
    if any(s.missing for s in sections):
        out.append("Sections with missing evidence say what is missing.")
    return tuple(out)


def _commands(
    v: VersionLineage, policies: PolicySet, as_of: str, store_path: str, waiver_paths: Sequence[str]
) -> tuple[str, ...]:
    policy_args = " ".join(f"--policy {_shell(str(p.path))}" for p in policies.policies)
    waivers = "".join(f" --waivers {_shell(w)}" for w in waiver_paths)
    db = f"govern --db {_shell(store_path)}"
    return (
        f"{db} report --model {_shell(v.model)} --version {_shell(v.version)} "
        f"{policy_args}{waivers} --as-of {as_of} --format html,json",
        f"{db} gate {_shell(v.model)} {_shell(v.version)} {policy_args}{waivers} --as-of {as_of}",
        "sha256sum <the input files listed above>   # compare with the digests of this appendix",
    )


def _shell(text: str) -> str:
    safe = all(c.isalnum() or c in "._-/:=@+," for c in text)
    return text if safe and text else "'" + text.replace("'", "'\"'\"'") + "'"


def _version_lineage(store: Store, model: str, version: str) -> VersionLineage:
    """The version's lineage, or a usage error naming the closest known models or versions."""
    everything = inventory(store)
    models = sorted({v.model for v in everything})
    if model not in models:
        close = difflib.get_close_matches(model, models, n=3)
        raise UsageError(
            f"model {model!r} is not in the store.",
            hint=(f"Did you mean {', '.join(close)}? " if close else "")
            + ("Known models: " + ", ".join(models) if models else "The store is empty."),
        )
    versions = [v for v in everything if v.model == model]
    for v in versions:
        if v.version == version:
            return v
    names = [v.version for v in versions]
    close = difflib.get_close_matches(version, names, n=3)
    raise UsageError(
        f"model {model!r} has no version {version!r} in the store.",
        hint=(f"Did you mean {', '.join(close)}? " if close else "")
        + f"Known versions of {model}: {', '.join(names)}.",
    )


def build_context(
    store: Store,
    policies: PolicySet,
    *,
    model: str,
    version: str,
    now: datetime,
    store_path: str,
    waiver_paths: Sequence[str] = (),
) -> ReportContext:
    """Evaluate the version (as a gate would) and gather everything its report shows.

    Raises :class:`~govern.errors.UsageError` (naming the known models) when the model or
    version is not in the store, and when no policy applies to the model.
    """
    lineage = _version_lineage(store, model, version)
    result = evaluate(store, policies, now=now, model=model, version=version, gate=True)
    findings = list(result.findings)
    as_of = now.strftime("%Y-%m-%d")
    logs = _logs(store, lineage)
    window = _window(logs, version)
    sections = build_sections(findings, lineage)
    gates, head = _gates(store, lineage)
    policies_used = policy_rows(result.policies, {f.policy for f in findings})
    checked = {f.check for f in findings}
    rows = [_finding_row(f) for f in findings]
    ordered = sorted(
        findings,
        key=lambda f: (
            _SEVERITY_ORDER.index(f.severity),
            _STATUS_ORDER.index(f.status),
            f.sort_key(),
        ),
    )
    return ReportContext(
        schema=REPORT_SCHEMA,
        kind="model-version",
        model=model,
        version=version,
        generated_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        as_of=as_of,
        decision=result.decision.value,
        fail_on=result.fail_on.value,
        counts=tuple(result.summary().items()),
        executive_summary=_executive(result, lineage, window),
        lineage=lineage,
        artifacts=_artifacts(store, lineage),
        logs=logs,
        window=window,
        policies=policies_used,
        sources=_sources(store, lineage),
        findings=tuple(_finding_row(f) for f in ordered),
        not_evaluated=tuple(_finding_row(f) for f in ordered if f.status is Status.not_evaluated),
        not_covered_checks=tuple(
            (kind, what) for kind, what in EXPECTED_CHECKS.items() if kind not in checked
        ),
        coverage=_coverage(findings),
        sections=sections,
        gates=gates,
        ledger_head=head,
        changes=changes_since(
            store,
            model=model,
            as_of=as_of,
            decision=result.decision.value,
            findings=rows,
            policies=policies_used,
        ),
        waivers=_waivers(policies, findings, lineage, now.date()),
        warnings=result.warnings,
        limitations=_limitations(result, sections),
        signoff_roles=SIGNOFF_ROLES,
        tools=tool_versions(),
        commands=_commands(lineage, policies, as_of, store_path, waiver_paths),
        store=store_path,
    )
