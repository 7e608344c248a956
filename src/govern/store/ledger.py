"""The evidence ledger: an append-only, hash-chained table of decisions.

Every gate decision, waiver use and report appends one entry. Entry ``n`` stores the SHA-256
of its own canonical content (RFC 8785 JSON of seq, time, actor, kind, subject, decision,
payload and the previous entry's hash), so editing, deleting or reordering any entry breaks
the chain from there on, and truncation shows when the head is compared with a head recorded
elsewhere (a signed attestation holds it). :func:`verify` recomputes the chain.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import rfc8785

from govern.errors import VerificationError
from govern.store.store import Store

#: The ``prev_hash`` of the first entry.
GENESIS = "0" * 64

#: Environment variables naming who acts, in CI systems first, then the OS user.
ACTOR_VARIABLES = ("GOVERN_ACTOR", "GITHUB_ACTOR", "GITLAB_USER_LOGIN", "BUILD_REQUESTEDFOR")


@dataclass(frozen=True)
class Entry:
    """One ledger entry."""

    seq: int
    at: str
    actor: str
    kind: str
    subject: str
    decision: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str

    def to_json(self) -> dict[str, Any]:
        """The entry as JSON."""
        return {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "kind": self.kind,
            "subject": self.subject,
            "decision": self.decision,
            "payload": self.payload,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


def actor() -> str:
    """Who is acting: a CI user variable, else the OS user."""
    for name in ACTOR_VARIABLES:
        if os.environ.get(name):
            return os.environ[name]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def entry_hash(
    seq: int,
    at: str,
    who: str,
    kind: str,
    subject: str,
    decision: str,
    payload: dict[str, Any],
    prev_hash: str,
) -> str:
    """SHA-256 of the canonical (RFC 8785) JSON of an entry's content."""
    content: dict[str, Any] = {
        "seq": seq,
        "at": at,
        "actor": who,
        "kind": kind,
        "subject": subject,
        "decision": decision,
        "payload": payload,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(rfc8785.dumps(content)).hexdigest()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def head(store: Store) -> Entry | None:
    """The last entry, or None for an empty ledger."""
    entries = _entries(store, "ORDER BY seq DESC LIMIT 1")
    return entries[0] if entries else None


def append(
    store: Store,
    *,
    kind: str,
    subject: str,
    decision: str,
    payload: dict[str, Any],
    now: datetime,
    who: str | None = None,
    before_commit: Callable[[Entry], None] | None = None,
) -> Entry:
    """Append one entry in its own transaction and return it.

    ``before_commit`` runs inside the transaction once the entry is written: when it raises
    (an output that could not be written), the entry is rolled back with it.
    """
    with store.transaction():
        last = head(store)
        seq = last.seq + 1 if last else 1
        prev = last.hash if last else GENESIS
        at = _iso(now)
        who = who or actor()
        canonical = json.loads(rfc8785.dumps(payload))
        digest = entry_hash(seq, at, who, kind, subject, decision, canonical, prev)
        store.con.execute(
            "INSERT INTO ledger VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                seq,
                now.astimezone(UTC).replace(tzinfo=None),
                who,
                kind,
                subject,
                decision,
                rfc8785.dumps(canonical).decode(),
                prev,
                digest,
            ],
        )
        entry = Entry(seq, at, who, kind, subject, decision, canonical, prev, digest)
        if before_commit is not None:
            before_commit(entry)
    return entry


def _entries(store: Store, tail: str = "ORDER BY seq") -> list[Entry]:
    rows = store.query(
        "SELECT seq, recorded_at AS at, actor, kind, subject, decision, payload, prev_hash, "
        "hash FROM ledger " + tail
    )
    return [
        Entry(
            seq=int(r["seq"]),
            at=_iso(r["at"].replace(tzinfo=UTC)),
            actor=r["actor"],
            kind=r["kind"],
            subject=r["subject"],
            decision=r["decision"],
            payload=json.loads(r["payload"]),
            prev_hash=r["prev_hash"],
            hash=r["hash"],
        )
        for r in rows
    ]


def entries(store: Store) -> list[Entry]:
    """Every entry in order."""
    return _entries(store)


def verify(store: Store, expected_head: str | None = None) -> Entry | None:
    """Recompute the chain; raise :class:`VerificationError` at the first break.

    ``expected_head`` (a hash recorded in a signed attestation) must be in the chain: if it is
    missing, the ledger was truncated or rewritten after the attestation.
    """
    prev = GENESIS
    last: Entry | None = None
    seen: set[str] = set()
    for expected_seq, entry in enumerate(entries(store), start=1):
        if entry.seq != expected_seq:
            raise VerificationError(
                f"ledger entry {expected_seq} is missing (found {entry.seq} next): entries "
                "were deleted."
            )
        if entry.prev_hash != prev:
            raise VerificationError(
                f"ledger entry {entry.seq} does not follow entry {entry.seq - 1}: the chain "
                "was edited."
            )
        digest = entry_hash(
            entry.seq,
            entry.at,
            entry.actor,
            entry.kind,
            entry.subject,
            entry.decision,
            entry.payload,
            entry.prev_hash,
        )
        if digest != entry.hash:
            raise VerificationError(
                f"ledger entry {entry.seq} ({entry.kind} {entry.subject}) was altered: its "
                "content does not match its hash."
            )
        prev = entry.hash
        seen.add(entry.hash)
        last = entry
    if expected_head is not None and expected_head not in seen:
        raise VerificationError(
            f"the ledger does not contain the recorded head {expected_head[:12]}...: it was "
            "truncated or replaced."
        )
    return last
