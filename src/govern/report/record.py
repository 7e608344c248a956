"""The ledger entry of a report set: which files were written, from what, with which decision.

``govern report`` renders from a read-only store, writes the files, then appends one
``report`` entry (:func:`record_report`) and takes the files back if that fails. The entry is
written after rendering, so no report shows its own entry (:mod:`govern.report.context` shows
the gate entries, and a ledger head before any report entry).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from govern.report.context import PolicyRow, ReportContext
from govern.store import ledger
from govern.store.store import Store

__all__ = ["record_report", "report_payload"]


def report_payload(
    *,
    decision: str,
    as_of: str,
    outputs: Mapping[str, str | bytes],
    policies: Sequence[PolicyRow],
    model: str | None = None,
    version: str | None = None,
    scope: str | None = None,
) -> dict[str, Any]:
    """What a report entry records.

    ``outputs`` maps each written file's name to its content (text is hashed as the UTF-8
    the file holds); a model-version report names ``model`` and ``version``, a report over
    several models its ``scope``.
    """
    payload: dict[str, Any] = {
        "decision": decision,
        "as_of": as_of,
        "outputs": [
            {"name": name, "sha256": _sha256(content)} for name, content in sorted(outputs.items())
        ],
        "policies": [
            {"id": p.id, "version": p.version, "kind": p.kind, "path": p.path, "sha256": p.sha256}
            for p in policies
        ],
    }
    if model is not None:
        payload["model"] = model
    if version is not None:
        payload["version"] = version
    if scope is not None:
        payload["scope"] = scope
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
        ),
        now=now,
    )


def _sha256(content: str | bytes) -> str:
    data = content.encode("utf-8") if isinstance(content, str) else content
    return hashlib.sha256(data).hexdigest()
