"""Findings are data: what a check concluded about one rule for one model version.

A :class:`Finding` is frozen and JSON-ready. Missing evidence is a finding with status
``not_evaluated`` and the reason in ``message``, never an exception and never a silent pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, assert_never, runtime_checkable


class Severity(StrEnum):
    """How much a failing rule matters. ``block`` stops a gate by default."""

    block = "block"
    warn = "warn"
    info = "info"

    @property
    def rank(self) -> int:
        """Order for sorting and thresholds: block > warn > info."""
        if self is Severity.block:
            return 3
        if self is Severity.warn:
            return 2
        if self is Severity.info:
            return 1
        assert_never(self)

    def at_least(self, other: Severity) -> bool:
        """Return True when this severity is ``other`` or more severe."""
        return self.rank >= other.rank


class Status(StrEnum):
    """The outcome of one rule for one model version."""

    passed = "pass"
    failed = "fail"
    waived = "waived"
    not_evaluated = "not_evaluated"


class Decision(StrEnum):
    """The overall decision of a check or gate."""

    passed = "pass"
    failed = "fail"


@runtime_checkable
class Evidence(Protocol):
    """Check-specific facts of a finding: one frozen dataclass per check kind.

    Formatters, reports and attestations read the typed fields; :meth:`to_json` is the one
    place its JSON is made (the ``evidence`` object of a finding, with the keys of
    :data:`TOP_LEVEL_EVIDENCE` lifted to the finding itself).
    """

    def to_json(self) -> dict[str, Any]:
        """The evidence as a JSON object."""
        ...


@dataclass(frozen=True)
class Finding:
    """One rule evaluated for one model version (the DESIGN.md JSON finding)."""

    rule: str
    check: str
    severity: Severity
    status: Status
    model: str
    version: str
    message: str
    policy: str = ""
    metric: str | None = None
    value: float | None = None
    threshold: dict[str, Any] | None = None
    controls: tuple[str, ...] = ()
    #: check-specific facts (requirements met/missing, baseline, groups, ...), typed
    evidence: Evidence | None = None
    #: the waiver that turned a failure into ``waived``
    waiver: dict[str, Any] | None = None
    #: rule description (what triggers it, how to fix it), for SARIF/JUnit help text
    help: str = ""
    #: what the finding is about within the version when a rule gives several findings
    #: (a feature for drift, a group or sensitive feature for fairness)
    subject: str | None = None

    @property
    def label(self) -> str:
        """The rule id, with the subject in brackets when there is one: ``drift.psi[x1]``."""
        return f"{self.rule}[{self.subject}]" if self.subject else self.rule

    def sort_key(self) -> tuple[str, int, str, str, str, str]:
        """Findings sort by (model, version, rule, subject) with versions in numeric order."""
        version = self.version
        number = int(version) if version.isdigit() else -1
        return (self.model, number, version, self.rule, self.subject or "", self.policy)

    def to_json(self) -> dict[str, Any]:
        """The finding as a JSON object (DESIGN.md schema; empty optional fields omitted)."""
        out: dict[str, Any] = {
            "rule": self.rule,
            "check": self.check,
            "severity": self.severity.value,
            "status": self.status.value,
            "model": self.model,
            "version": self.version,
            "message": self.message,
            "controls": list(self.controls),
        }
        if self.policy:
            out["policy"] = self.policy
        if self.subject is not None:
            out["subject"] = self.subject
        if self.metric is not None:
            out["metric"] = self.metric
        if self.value is not None:
            out["value"] = self.value
        if self.threshold is not None:
            out["threshold"] = self.threshold
        evidence = self.evidence_json()
        for key in TOP_LEVEL_EVIDENCE:
            if evidence.get(key) is not None:
                out[key] = evidence.pop(key)
        if evidence:
            out["evidence"] = evidence
        if self.waiver is not None:
            out["waiver"] = self.waiver
        return out

    def evidence_json(self) -> dict[str, Any]:
        """The evidence as JSON (empty without evidence)."""
        return {} if self.evidence is None else self.evidence.to_json()


#: Evidence keys the DESIGN schema lifts to the finding itself (fairness: interval and groups).
TOP_LEVEL_EVIDENCE = ("ci", "sensitive_feature", "groups")


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Sort findings by (model, version, rule): stable output for diffs and signatures."""
    return sorted(findings, key=Finding.sort_key)


@dataclass(frozen=True)
class PolicyRef:
    """A policy (or waiver) file that took part in a decision, with the hash of its bytes."""

    id: str
    version: str
    path: str
    sha256: str
    kind: str = "Policy"

    def to_json(self) -> dict[str, str]:
        """The reference as a JSON object."""
        return {
            "id": self.id,
            "version": self.version,
            "path": self.path,
            "sha256": self.sha256,
            "kind": self.kind,
        }


@dataclass(frozen=True)
class RetrainTrigger:
    """A failed rule marked ``triggers: retrain``: what failed, where, and in which window."""

    rule: str
    policy: str
    check: str
    model: str
    version: str
    #: the feature or group of the finding (a drifted column), if any
    subject: str | None = None
    metric: str | None = None
    value: float | None = None
    #: the window the finding judged (``[2026-11-01, 2026-12-01)``, or ``all``)
    window: str | None = None

    @classmethod
    def of(cls, finding: Finding) -> RetrainTrigger:
        """The trigger a failed finding makes (its window read from its evidence)."""
        window = finding.evidence_json().get("window")
        return cls(
            rule=finding.rule,
            policy=finding.policy,
            check=finding.check,
            model=finding.model,
            version=finding.version,
            subject=finding.subject,
            metric=finding.metric,
            value=finding.value,
            window=window if isinstance(window, str) else None,
        )

    def to_json(self) -> dict[str, Any]:
        """The trigger as JSON (every key present, null when unknown)."""
        return {
            "rule": self.rule,
            "policy": self.policy,
            "check": self.check,
            "model": self.model,
            "version": self.version,
            "subject": self.subject,
            "metric": self.metric,
            "value": self.value,
            "window": self.window,
        }


@dataclass(frozen=True)
class RetrainRecommendation:
    """Whether to retrain: the failed findings of the rules marked ``triggers: retrain``.

    ``rules`` are the ``policy/rule`` ids so marked that were evaluated; retraining is
    recommended when any of their findings failed (a waived failure does not count).
    """

    rules: tuple[str, ...]
    triggers: tuple[RetrainTrigger, ...] = ()

    @property
    def recommended(self) -> bool:
        """True when a marked rule failed."""
        return bool(self.triggers)

    def to_json(self) -> dict[str, Any]:
        """``{"recommended", "rules", "triggers"}``."""
        return {
            "recommended": self.recommended,
            "rules": list(self.rules),
            "triggers": [t.to_json() for t in self.triggers],
        }


@dataclass(frozen=True)
class CheckResult:
    """Everything `govern check` / `govern gate` concluded (schema ``govern.check/v1``)."""

    findings: tuple[Finding, ...]
    fail_on: Severity = Severity.block
    strict: bool = False
    policies: tuple[PolicyRef, ...] = ()
    #: problems that do not decide anything (e.g. a waiver that matches nothing)
    warnings: tuple[str, ...] = ()
    #: what was evaluated: model/version filters, evaluation time (ISO-8601 UTC)
    scope: dict[str, Any] = field(default_factory=dict)
    #: the retraining recommendation, when a policy marks rules ``triggers: retrain``
    retrain: RetrainRecommendation | None = None

    def failing(self) -> list[Finding]:
        """Findings that make the decision ``fail`` (at or above ``fail_on``)."""
        statuses = {Status.failed, Status.not_evaluated} if self.strict else {Status.failed}
        return [
            f for f in self.findings if f.status in statuses and f.severity.at_least(self.fail_on)
        ]

    @property
    def decision(self) -> Decision:
        """``fail`` when any finding fails at or above ``fail_on``, else ``pass``."""
        return Decision.failed if self.failing() else Decision.passed

    def summary(self) -> dict[str, int]:
        """Counts by status (``pass``, ``fail``, ``waived``, ``not_evaluated``)."""
        counts = {s.value: 0 for s in Status}
        for f in self.findings:
            counts[f.status.value] += 1
        return counts

    def to_json(self) -> dict[str, Any]:
        """The stable JSON result (DESIGN.md); ``retrain`` only when a policy marks rules."""
        out: dict[str, Any] = {
            "schema": "govern.check/v1",
            "decision": self.decision.value,
            "fail_on": self.fail_on.value,
            "strict": self.strict,
            "summary": self.summary(),
            "scope": self.scope,
            "policies": [p.to_json() for p in self.policies],
            "warnings": list(self.warnings),
            "findings": [f.to_json() for f in self.findings],
        }
        if self.retrain is not None:
            out["retrain"] = self.retrain.to_json()
        return out
