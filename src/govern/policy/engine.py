"""Evaluate policies against the model versions in the store: rules -> findings.

For each policy, each model version in its scope, and each rule, the rule's check kind
(from :data:`govern.checks.registry.CHECK_KINDS`) returns one finding. Waivers then turn
failures into ``waived`` (active) or add a failing ``govern.waiver-expired`` finding (expired).
The engine knows nothing about particular check kinds.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from govern.checks.base import BaselineLookup, Subject
from govern.checks.registry import CHECK_KINDS
from govern.errors import UsageError
from govern.inventory import VersionLineage, inventory
from govern.models import (
    CheckResult,
    Finding,
    RetrainRecommendation,
    RetrainTrigger,
    Severity,
    Status,
    sort_findings,
)
from govern.policy.loader import PolicySet, Waiver, version_in
from govern.store import predictions
from govern.store.predictions import LogInfo, Window
from govern.store.store import Store

WAIVER_EXPIRED = "govern.waiver-expired"


def baseline_lookup(versions: Sequence[VersionLineage]) -> BaselineLookup:
    """Resolve ``{alias|version|stage: ...}`` of a model to one of ``versions``."""

    def lookup(model: str, selector: Mapping[str, Any]) -> VersionLineage | None:
        candidates = [v for v in versions if v.model == model]
        if "alias" in selector:
            return next((v for v in candidates if selector["alias"] in v.aliases), None)
        if "version" in selector:
            wanted = str(selector["version"])
            return next((v for v in candidates if v.version == wanted), None)
        if "stage" in selector:
            staged = [v for v in candidates if v.stage == selector["stage"]]
            return staged[-1] if staged else None  # the latest version in that stage
        return None

    return lookup


class StoreData:
    """Prediction logs of the store for checks (views in the store's connection)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @property
    def connection(self) -> Any:
        """The store's DuckDB connection."""
        return self.store.con

    def logs(self, *, model: str, role: str) -> list[LogInfo]:
        """The logs of a model and role."""
        return predictions.logs(self.store, model=model, role=role)

    def view(
        self,
        name: str,
        *,
        model: str,
        role: str,
        version: str | None = None,
        window: Window | None = None,
    ) -> list[LogInfo]:
        """Create a temporary view over the logs (see :func:`govern.store.predictions.relation`)."""
        return predictions.relation(
            self.store, name, model=model, role=role, version=version, window=window
        )


def evaluate(
    store: Store,
    policies: PolicySet,
    *,
    now: datetime,
    model: str | None = None,
    version: str | None = None,
    gate: bool = False,
    fail_on: Severity = Severity.block,
    strict: bool = False,
) -> CheckResult:
    """Evaluate every rule in scope; ``gate`` ignores alias/stage/tag scope for one version."""
    everything = inventory(store)
    versions = [
        v
        for v in everything
        if (model is None or v.model == model) and (version is None or v.version == version)
    ]
    if model is not None and not versions:
        inventory(store, model, version)  # raises a UsageError naming the known models
    lookup = baseline_lookup(everything)
    data = StoreData(store)
    findings: list[Finding] = []
    in_scope = 0
    for policy in policies.policies:
        for v in versions:
            applies = policy.scope.matches_model(v.model) if gate else policy.scope.matches(v)
            if not applies:
                continue
            in_scope += 1
            subject = Subject(version=v, baseline=lookup, data=data, as_of=now)
            for rule in policy.rules:
                produced = CHECK_KINDS[rule.check].evaluate(rule, subject)
                findings.extend(produced if isinstance(produced, list) else [produced])
    if gate and in_scope == 0:
        raise UsageError(
            f"no policy applies to model {model!r}: no scope.models glob matches it.",
            hint="Add the model to a policy's scope, or pass the right --policy.",
        )
    gated = (model, version) if gate and model is not None and version is not None else None
    findings, warnings = apply_waivers(findings, policies.waivers, now, gated)
    scope: dict[str, Any] = {
        "evaluated_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "versions": len({(f.model, f.version) for f in findings}),
    }
    if model is not None:
        scope["model"] = model
    if version is not None:
        scope["version"] = version
    ordered = sort_findings(findings)
    return CheckResult(
        findings=tuple(ordered),
        fail_on=fail_on,
        strict=strict,
        policies=policies.refs(),
        warnings=tuple(warnings),
        scope=scope,
        retrain=retrain_recommendation(policies, ordered),
    )


#: The value of a rule's ``triggers`` that makes its failures recommend retraining.
RETRAIN = "retrain"


def retrain_recommendation(
    policies: PolicySet, findings: Sequence[Finding]
) -> RetrainRecommendation | None:
    """The failed findings of rules marked ``triggers: retrain`` (None when no rule is marked).

    A marked rule counts when it was evaluated (it has a finding); a waived failure does not
    recommend retraining.
    """
    marked = {
        (policy.id, rule.id)
        for policy in policies.policies
        for rule in policy.rules
        if rule.params.get("triggers") == RETRAIN
    }
    if not marked:
        return None
    evaluated = sorted({f"{f.policy}/{f.rule}" for f in findings if (f.policy, f.rule) in marked})
    failed = [
        RetrainTrigger.of(f)
        for f in findings
        if (f.policy, f.rule) in marked and f.status is Status.failed
    ]
    return RetrainRecommendation(rules=tuple(evaluated), triggers=tuple(failed))


def apply_waivers(
    findings: list[Finding],
    waivers: Sequence[Waiver],
    now: datetime,
    gated: tuple[str, str] | None = None,
) -> tuple[list[Finding], list[str]]:
    """Waive failures covered by an active waiver; expired waivers become failures.

    A waiver that matches no finding is reported as a warning; when gating one version, only
    waivers written for that version are reported.
    """
    today = now.date()
    used: set[int] = set()
    out: list[Finding] = []
    for f in findings:
        matching = [(i, w) for i, w in enumerate(waivers) if w.matches(f.rule, f.model, f.version)]
        used.update(i for i, _ in matching)
        if f.status is not Status.failed or not matching:
            out.append(f)
            continue
        active = [w for _, w in matching if w.active(today)]
        if active:
            w = max(active, key=lambda x: x.expires)
            out.append(
                replace(
                    f,
                    status=Status.waived,
                    waiver=w.to_json(),
                    message=f"{f.message} [waived until {w.expires.isoformat()}"
                    + (f", {w.ticket}" if w.ticket else "")
                    + f", approved by {w.approver}]",
                )
            )
            continue
        out.append(f)
        for _, w in matching:
            out.append(
                Finding(
                    rule=WAIVER_EXPIRED,
                    check="waiver",
                    severity=f.severity,
                    status=Status.failed,
                    model=f.model,
                    version=f.version,
                    message=f"the waiver of {f.rule}"
                    + (f" ({w.ticket})" if w.ticket else "")
                    + f" expired on {w.expires.isoformat()}; renew it through review or fix "
                    "the finding",
                    policy=f.policy,
                    controls=f.controls,
                    waiver=w.to_json(),
                    help="An expired waiver no longer covers its rule. Renew it (new expiry, "
                    "approver and justification) or fix what the rule found.",
                )
            )
    warnings = [
        f"{w.source}: waiver of {w.rule} for {w.model} {w.versions} matches no finding"
        for i, w in enumerate(waivers)
        if i not in used
        and (
            gated is None
            or (fnmatch.fnmatchcase(gated[0], w.model) and version_in(gated[1], w.versions))
        )
    ]
    return out, warnings
