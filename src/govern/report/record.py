"""The ledger entry of a report set: which files were written, from what, with which decision.

``govern report`` renders from a read-only store, writes the files, then appends one
``report`` entry and takes the files back if that fails: :func:`record_report` for a model
version's report (with its LL144 summary), :func:`record_review_report` for a periodic review
report, :func:`record_portfolio` for a portfolio (with the model reports beside it). The entry
is written after rendering, so no report shows its own entry (:mod:`govern.report.context`
shows the gate entries, and a ledger head before any report entry).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from govern.report.changes import findings_digest
from govern.store import ledger
from govern.store.store import Store

if TYPE_CHECKING:
    from govern.report.context import ReportContext
    from govern.report.portfolio import PortfolioContext
    from govern.report.review_report import ReviewReport

__all__ = ["record_portfolio", "record_report", "record_review_report", "report_payload"]


class PolicyDigest(Protocol):
    """A policy file a report names, with the SHA-256 of its bytes."""

    @property
    def id(self) -> str:
        """The policy's id."""
        ...

    @property
    def version(self) -> str:
        """The policy's version."""
        ...

    @property
    def path(self) -> str:
        """Where it was read."""
        ...

    @property
    def sha256(self) -> str:
        """The SHA-256 of its bytes."""
        ...


def report_payload(
    *,
    decision: str,
    as_of: str,
    outputs: Mapping[str, str | bytes],
    policies: Sequence[PolicyDigest],
    model: str | None = None,
    version: str | None = None,
    scope: dict[str, Any] | None = None,
    findings: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """What a report entry records.

    ``outputs`` maps each written file's name to its content (text is hashed as the UTF-8
    the file holds); a model-version report names ``model`` and ``version``, a report over
    several models (or a period) its ``scope``.
    """
    payload: dict[str, Any] = {
        "decision": decision,
        "as_of": as_of,
        "outputs": [
            {"name": name, "sha256": _sha256(content)} for name, content in sorted(outputs.items())
        ],
        "policies": [
            {"id": p.id, "version": p.version, "path": p.path, "sha256": p.sha256} for p in policies
        ],
    }
    if model is not None:
        payload["model"] = model
    if version is not None:
        payload["version"] = version
    if scope is not None:
        payload["scope"] = scope
    if findings is not None:
        # what the next report of the model compares itself with (govern.report.changes)
        payload["findings"] = findings
    return payload


def record_report(
    store: Store,
    context: ReportContext,
    outputs: Mapping[str, str | bytes],
    *,
    now: datetime,
) -> ledger.Entry:
    """Append the ``report`` entry of a model-version report set (its own transaction)."""
    return ledger.append(
        store,
        kind=ledger.REPORT,
        subject=f"{context.model}@{context.version}",
        decision=context.decision,
        payload=report_payload(
            decision=context.decision,
            as_of=context.as_of,
            outputs=outputs,
            policies=context.policies,
            model=context.model,
            version=context.version,
            findings=findings_digest(context.findings),
        ),
        now=now,
    )


def record_review_report(
    store: Store,
    report: ReviewReport,
    outputs: Mapping[str, str | bytes],
    *,
    now: datetime,
) -> ledger.Entry:
    """Append the ``report`` entry of a periodic review report set (its own transaction)."""
    return ledger.append(
        store,
        kind=ledger.REPORT,
        subject=report.model if report.version is None else f"{report.model}@{report.version}",
        decision=report.decision,
        payload=report_payload(
            decision=report.decision,
            as_of=report.as_of,
            outputs=outputs,
            policies=report.policies,
            model=report.model,
            version=report.version,
            scope={"review": {"period": report.period, "from": report.first, "to": report.last}},
        ),
        now=now,
    )


def record_portfolio(
    store: Store,
    context: PortfolioContext,
    outputs: Mapping[str, str | bytes],
    *,
    now: datetime,
) -> ledger.Entry:
    """Append the ``report`` entry of a portfolio report set (its own transaction).

    Its decision is the portfolio's most severe one (:attr:`PortfolioContext.decision`); the
    payload counts every decision.
    """
    counts = dict(context.decisions)
    decision = context.decision
    return ledger.append(
        store,
        kind=ledger.REPORT,
        subject="portfolio" if context.model is None else f"portfolio:{context.model}",
        decision=decision,
        payload=report_payload(
            decision=decision,
            as_of=context.as_of,
            outputs=outputs,
            policies=context.policies,
            model=context.model,
            scope={"portfolio": {"versions": len(context.versions), "decisions": counts}},
        ),
        now=now,
    )


def _sha256(content: str | bytes) -> str:
    data = content.encode("utf-8") if isinstance(content, str) else content
    return hashlib.sha256(data).hexdigest()
