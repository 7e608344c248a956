"""The gate: evaluate one model version and record the decision in the ledger, in one place.

``govern gate`` and ``govern demo`` both call :func:`gate`. The decision, the outputs that
publish it and its ledger entries succeed or fail together: ``publish`` (writing the result
where CI reads it) runs inside the ledger entry's transaction, so if it fails the entry is
rolled back, and if the commit fails the caller knows (the exception propagates) and can take
its output back.

Besides the gate entry, every waived finding appends a ``waiver`` entry in the same
transaction (:func:`waiver_use`): an auditor lists every use of a waiver with
``govern ledger show --kind waiver`` instead of reading it out of gate payloads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from govern.models import CheckResult, Finding, Severity, Status
from govern.policy.engine import evaluate
from govern.policy.loader import PolicySet
from govern.store import ledger
from govern.store.store import Store

#: The ledger entry's ``kind`` for gate decisions.
GATE = ledger.GATE


@dataclass(frozen=True)
class GateDecision:
    """A recorded gate decision: the check result and its ledger entry."""

    result: CheckResult
    entry: ledger.Entry

    @property
    def passed(self) -> bool:
        """True when no finding fails at or above ``fail_on``."""
        return not self.result.failing()


def subject(model: str, version: str) -> str:
    """The ledger subject of a model version (``model@version``)."""
    return f"{model}@{version}"


def payload(result: CheckResult) -> dict[str, Any]:
    """What a gate entry records besides its decision: policies, counts, failing and waived."""
    return {
        "policies": [p.to_json() for p in result.policies],
        "summary": result.summary(),
        "fail_on": result.fail_on.value,
        "strict": result.strict,
        "failing": sorted({f.rule for f in result.failing()}),
        "waived": sorted(
            {
                f"{f.rule} ({(f.waiver or {}).get('ticket', 'no ticket')})"
                for f in result.findings
                if f.status is Status.waived
            }
        ),
    }


def waiver_use(finding: Finding, gate_entry: ledger.Entry) -> dict[str, Any]:
    """The payload of a ``waiver`` entry: the waived rule, the waiver, and the gate it served."""
    use: dict[str, Any] = {
        "rule": finding.rule,
        "policy": finding.policy,
        "severity": finding.severity.value,
        "message": finding.message,
        "waiver": finding.waiver or {},
        "gate": {"seq": gate_entry.seq, "hash": gate_entry.hash},
    }
    if finding.subject is not None:
        use["subject"] = finding.subject
    return use


def gate(
    store: Store,
    policies: PolicySet,
    *,
    model: str,
    version: str,
    now: datetime,
    fail_on: Severity = Severity.block,
    strict: bool = False,
    publish: Callable[[CheckResult], None] | None = None,
) -> GateDecision:
    """Evaluate every policy whose scope names ``model`` for ``version``; record the decision.

    ``now`` is the evaluation time (waiver expiry, evidence age); the entry is stamped with
    the wall clock, and so are the ``waiver`` entries of its waived findings, which follow it.
    ``publish`` receives the result inside the entries' transaction.
    """
    # one transaction: what the evaluation keeps (SHAP explanations) is written only with the
    # decision's ledger entry, so a refused append leaves the store exactly as it was
    with store.transaction():
        result = evaluate(
            store,
            policies,
            now=now,
            model=model,
            version=version,
            gate=True,
            fail_on=fail_on,
            strict=strict,
        )

        stamp = datetime.now(UTC)
        waived = [f for f in result.findings if f.status is Status.waived]

        def before_commit(entry: ledger.Entry) -> None:
            for finding in waived:
                ledger.append(
                    store,
                    kind=ledger.WAIVER,
                    subject=entry.subject,
                    decision=Status.waived.value,
                    payload=waiver_use(finding, entry),
                    now=stamp,
                )
            if publish is not None:
                publish(result)

        entry = ledger.append(
            store,
            kind=GATE,
            subject=subject(model, version),
            decision=result.decision.value,
            payload=payload(result),
            now=stamp,
            before_commit=before_commit,
        )
    return GateDecision(result, entry)
