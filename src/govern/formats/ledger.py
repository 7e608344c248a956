"""Render the evidence ledger (``govern ledger show``) and a chain check (``govern ledger verify``).

The JSON of ``show`` is every entry as stored (schema ``govern.ledger/v1``): an auditor can
recompute each hash from it (RFC 8785 JSON of the entry without ``hash``). The table shows one
line per entry with the payload summarised by kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.table import Table

from govern.formats.render import to_json, to_text
from govern.store import ledger

SCHEMA = "govern.ledger/v1"


def render_json(entries: Sequence[ledger.Entry], filters: dict[str, str | None]) -> str:
    """The entries as JSON, with the filters that selected them."""
    return to_json(
        {
            "schema": SCHEMA,
            "filters": filters,
            "entries": [e.to_json() for e in entries],
        }
    )


def detail(entry: ledger.Entry) -> str:
    """A one-line summary of an entry's payload, by kind."""
    p = entry.payload
    if entry.kind == ledger.GATE:
        summary = p.get("summary") or {}
        counts = ", ".join(f"{summary[k]} {k}" for k in sorted(summary))
        failing = p.get("failing") or []
        return counts + (f"; failing: {', '.join(failing)}" if failing else "")
    if entry.kind == ledger.WAIVER:
        waiver = p.get("waiver") or {}
        ticket = waiver.get("ticket") or "no ticket"
        gate = p.get("gate") or {}
        return (
            f"{p.get('rule')} ({ticket}, approved by {waiver.get('approver', '?')}, expires "
            f"{waiver.get('expires', '?')}); gate entry {gate.get('seq', '?')}"
        )
    if entry.kind == ledger.REPORT:
        names = ", ".join(
            f"{o.get('name')} {str(o.get('sha256', ''))[:12]}" for o in p.get("outputs") or []
        )
        return f"as of {p.get('as_of')}: {names}"
    if entry.kind == ledger.REVIEW:
        return (
            f"review #{p.get('review_id')} sha256 {str(p.get('sha256', ''))[:12]}, "
            f"{p.get('period')}, {p.get('regressions')} regression(s)"
        )
    if entry.kind == ledger.INGEST:
        sources = p.get("sources") or []
        shown = ", ".join(f"{s.get('format')} {str(s.get('sha256', ''))[:12]}" for s in sources)
        return f"{len(sources)} source(s): {shown}"
    return ", ".join(f"{k}={v}" for k, v in sorted(p.items()))


def render_table(entries: Sequence[ledger.Entry], *, width: int = 160) -> str:
    """The entries as a table: seq, time, actor, kind, subject, decision, detail, hash."""
    if not entries:
        return "No ledger entries. govern gate, report, review and ingest record theirs here.\n"
    table = Table(title="Evidence ledger", title_justify="left", expand=False)
    for name in ("seq", "recorded (UTC)", "actor", "kind", "subject", "decision", "detail"):
        table.add_column(name, overflow="fold")
    table.add_column("hash", overflow="fold", no_wrap=True)
    for e in entries:
        table.add_row(
            str(e.seq),
            e.at[:19].replace("T", " "),
            e.actor,
            e.kind,
            e.subject,
            e.decision,
            detail(e),
            e.hash[:12],
        )
    return to_text(table, width=width)


def verification_text(check: ledger.ChainCheck) -> str:
    """A plain statement of what was checked and what was found."""
    head = check.head
    checked = (
        f"{check.entries} entries checked: every hash recomputed from its canonical JSON, "
        f"every link to the previous entry followed; head seq {head['seq']} hash {head['hash']}."
    )
    if check.expected_head is None:
        against = (
            "No --head given: cutting off the newest entries, or rewriting the whole chain with "
            "recomputed hashes, shows only against a head recorded elsewhere (an attestation's "
            "ledger head)."
        )
    elif check.expected_seq is not None:
        against = f"The recorded head {check.expected_head} is entry {check.expected_seq}."
    else:
        against = f"The recorded head {check.expected_head} is not in the ledger."
    verdict = "ledger intact" if check.intact else f"ledger BROKEN: {check.problem}"
    return f"{verdict}\n{checked}\n{against}\n"


def verification_json(check: ledger.ChainCheck) -> str:
    """The check as JSON (schema ``govern.ledger-verify/v1``)."""
    data: dict[str, Any] = check.to_json()
    return to_json(data)
