"""Changes since the previous report of the same model, read from the ledger.

Every model-version report appends a ``report`` entry (:mod:`govern.report.record`) that lists
its findings (label, status, value) and the policies with their digests. The next report of
the same model, for any of its versions, compares itself with the newest such entry *dated
before its own day* (``as_of``): reporting again on the same day shows the same comparison,
so the same store, policies and date still give the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from govern.store import ledger
from govern.store.store import Store

__all__ = [
    "Changes",
    "FindingChange",
    "PolicyChange",
    "PreviousReport",
    "changes_since",
    "findings_digest",
]


class _Finding(Protocol):
    @property
    def label(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def value(self) -> float | None: ...


class _Policy(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def sha256(self) -> str: ...


@dataclass(frozen=True)
class PreviousReport:
    """The report this one is compared with: its ledger entry and what it decided."""

    seq: int
    hash: str
    at: str
    as_of: str
    version: str
    decision: str


@dataclass(frozen=True)
class FindingChange:
    """A finding whose status or value differs from the previous report's, or is new or gone."""

    label: str
    #: ``status`` (pass -> fail ...), ``value`` (same status, another value), ``new``, ``gone``
    change: str
    status_before: str | None
    status_now: str | None
    value_before: float | None
    value_now: float | None


@dataclass(frozen=True)
class PolicyChange:
    """A policy file added, removed or changed (another version or other bytes)."""

    id: str
    change: str
    version_before: str | None
    version_now: str | None


@dataclass(frozen=True)
class Changes:
    """What changed since the previous report (``previous`` None: there is none)."""

    previous: PreviousReport | None
    decision_before: str | None
    decision_now: str
    findings: tuple[FindingChange, ...]
    policies: tuple[PolicyChange, ...]
    #: findings with the same status and value in both reports
    unchanged: int
    #: set when the previous entry cannot be compared finding by finding
    note: str | None


def findings_digest(findings: Sequence[_Finding]) -> list[dict[str, Any]]:
    """The findings as a report entry records them: label, status, value (sorted by label)."""
    return [
        {"label": f.label, "status": f.status, "value": f.value}
        for f in sorted(findings, key=lambda f: f.label)
    ]


def _previous(store: Store, model: str, as_of: str) -> ledger.Entry | None:
    """The newest model-version report entry of ``model`` dated before ``as_of``."""
    found = None
    for entry in ledger.entries(store, kind=ledger.REPORT):
        payload = entry.payload
        if (
            payload.get("model") == model
            and "scope" not in payload  # a review report or portfolio: not comparable
            and isinstance(payload.get("as_of"), str)
            and payload["as_of"] < as_of
            and (found is None or payload["as_of"] >= found.payload["as_of"])
        ):
            found = entry
    return found


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _finding_changes(
    before: Mapping[str, Mapping[str, Any]], now: Sequence[_Finding]
) -> tuple[list[FindingChange], int]:
    out: list[FindingChange] = []
    unchanged = 0
    seen = set()
    for f in sorted(now, key=lambda f: f.label):
        seen.add(f.label)
        old = before.get(f.label)
        if old is None:
            out.append(FindingChange(f.label, "new", None, f.status, None, f.value))
            continue
        old_status, old_value = str(old.get("status")), _number(old.get("value"))
        if old_status != f.status:
            change = "status"
        elif not _same(old_value, f.value):
            change = "value"
        else:
            unchanged += 1
            continue
        out.append(FindingChange(f.label, change, old_status, f.status, old_value, f.value))
    for label in sorted(set(before) - seen):
        old = before[label]
        out.append(
            FindingChange(
                label, "gone", str(old.get("status")), None, _number(old.get("value")), None
            )
        )
    order = {"status": 0, "new": 1, "gone": 2, "value": 3}
    out.sort(key=lambda c: (order[c.change], c.label))
    return out, unchanged


def _policy_changes(
    before: Sequence[Mapping[str, Any]], now: Sequence[_Policy]
) -> list[PolicyChange]:
    old = {str(p.get("id")): p for p in before if isinstance(p, Mapping)}
    new = {p.id: p for p in now}
    out = []
    for pid in sorted(set(old) | set(new)):
        if pid not in old:
            out.append(PolicyChange(pid, "added", None, new[pid].version))
        elif pid not in new:
            out.append(PolicyChange(pid, "removed", str(old[pid].get("version")), None))
        elif old[pid].get("sha256") != new[pid].sha256:
            out.append(PolicyChange(pid, "changed", str(old[pid].get("version")), new[pid].version))
    return out


def changes_since(
    store: Store,
    *,
    model: str,
    as_of: str,
    decision: str,
    findings: Sequence[_Finding],
    policies: Sequence[_Policy],
) -> Changes:
    """Compare a report's findings and policies with the previous report of the same model."""
    entry = _previous(store, model, as_of)
    if entry is None:
        return Changes(None, None, decision, (), (), 0, None)
    payload = entry.payload
    previous = PreviousReport(
        seq=entry.seq,
        hash=entry.hash,
        at=entry.at,
        as_of=str(payload["as_of"]),
        version=str(payload.get("version", "")),
        decision=entry.decision,
    )
    policy_changes = _policy_changes(payload.get("policies") or [], policies)
    recorded = payload.get("findings")
    if not isinstance(recorded, list):
        return Changes(
            previous,
            entry.decision,
            decision,
            (),
            tuple(policy_changes),
            0,
            "the previous report's ledger entry does not list its findings (it was written "
            "by an earlier govern), so only the decision and policies are compared",
        )
    before = {
        str(item["label"]): item
        for item in recorded
        if isinstance(item, Mapping) and "label" in item
    }
    changed, unchanged = _finding_changes(before, findings)
    return Changes(
        previous, entry.decision, decision, tuple(changed), tuple(policy_changes), unchanged, None
    )
