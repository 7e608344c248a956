"""The evidence ledger: an append-only, hash-chained table of decisions.

Gate decisions, waiver uses, reports, stored reviews and ingests each append entries (the
kinds in :data:`KINDS`). Entry ``n`` stores the SHA-256 of its own canonical content (RFC 8785
JSON of seq, time, actor, kind, subject, decision, payload and the previous entry's hash), so
editing, deleting or reordering any entry breaks the chain from there on, and truncation or a
wholesale rewrite shows when the head is compared with a head recorded elsewhere (a signed
attestation holds :func:`head_ref`). :func:`verify` recomputes the chain.

:func:`append` checks the tail it links to before writing (:func:`check_tail`): the whole
chain's structure in one SQL query (no gap in ``seq``, every ``prev_hash`` equal to the hash
before it) and the last entry's hash recomputed. Recomputing every hash is linear in the
ledger's length (about 0.5 s per 10,000 entries, against 6 ms for the SQL check: see
``benchmarks/ledger.py``), so a full recomputation is left to ``govern ledger verify``: an
entry edited in the middle without a new hash is found there, and appending on top of it hides
nothing, since the next entry links the stored hash.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypedDict

import rfc8785

from govern.errors import UsageError, VerificationError
from govern.store.store import Store

#: The ``prev_hash`` of the first entry.
GENESIS = "0" * 64

#: Environment variables naming who acts, in CI systems first, then the OS user.
ACTOR_VARIABLES = ("GOVERN_ACTOR", "GITHUB_ACTOR", "GITLAB_USER_LOGIN", "BUILD_REQUESTEDFOR")

#: A gate decision about one model version (``govern gate``).
GATE = "gate"
#: One waived finding of a gate decision: the waiver, the rule and the gate entry it served.
WAIVER = "waiver"
#: A report set (``govern report``): the SHA-256 of each file, the policies, the as-of date.
REPORT = "report"
#: A stored fairness review (``govern review``): its id and SHA-256.
REVIEW = "review"
#: One ingest batch (``govern ingest``): the SHA-256 of every source it loaded.
INGEST = "ingest"
#: Every kind of entry govern writes.
KINDS = (GATE, WAIVER, REPORT, REVIEW, INGEST)

_HEX = frozenset("0123456789abcdef")


class HeadRef(TypedDict):
    """The ledger's head as an attestation records it: ``seq`` 0 and :data:`GENESIS` if empty."""

    seq: int
    hash: str


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


def head_ref(store: Store) -> HeadRef:
    """The head to record in an attestation: its seq and hash (0 and :data:`GENESIS` if empty).

    ``govern ledger verify --head HASH`` (or :func:`verify` with ``expected_head``) later
    proves that the ledger still holds it: cutting off the newest entries, or rewriting the
    chain with recomputed hashes, removes it.
    """
    last = head(store)
    return {"seq": last.seq, "hash": last.hash} if last else {"seq": 0, "hash": GENESIS}


def check_head(value: str) -> str:
    """A head hash given on the command line, lower-cased; :class:`UsageError` if malformed."""
    text = value.strip().lower()
    if len(text) != 64 or not set(text) <= _HEX:
        raise UsageError(
            f"--head {value!r} is not a ledger hash (64 hexadecimal characters).",
            hint="Take the head from an attestation (predicate ledger.hash) or from "
            "`govern ledger show`.",
        )
    return text


def check_tail(store: Store) -> Entry | None:
    """Check the chain an append will link to; return its last entry (None if empty).

    Raises :class:`VerificationError` naming the first broken entry when ``seq`` has a gap,
    a ``prev_hash`` is not the hash before it, or the last entry's content does not match its
    hash. (The module docstring says why the other hashes are not recomputed here.)
    """
    rows = store.con.execute(
        "SELECT seq, expected FROM ("
        "  SELECT seq, prev_hash, lag(hash, 1, ?) OVER (ORDER BY seq) AS before,"
        "         row_number() OVER (ORDER BY seq) AS expected FROM ledger"
        ") WHERE seq <> expected OR prev_hash <> before ORDER BY seq LIMIT 1",
        [GENESIS],
    ).fetchall()
    if rows:
        seq, expected = int(rows[0][0]), int(rows[0][1])
        if seq != expected:
            raise _broken(expected, f"entry {expected} is missing")
        raise _broken(seq, f"it does not link to entry {seq - 1}")
    last = head(store)
    if last is not None and _recompute(last) != last.hash:
        raise _broken(last.seq, "its content does not match its hash")
    return last


def _broken(seq: int, reason: str) -> VerificationError:
    return VerificationError(
        f"the ledger is broken at entry {seq} ({reason}), so nothing was recorded on top of it.",
        hint="Run `govern ledger verify` to see what was checked, and restore the store from "
        "a backup.",
    )


def _recompute(entry: Entry) -> str:
    return entry_hash(
        entry.seq,
        entry.at,
        entry.actor,
        entry.kind,
        entry.subject,
        entry.decision,
        entry.payload,
        entry.prev_hash,
    )


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

    The tail it links to is checked first (:func:`check_tail`): on a broken chain nothing is
    written and :class:`VerificationError` is raised. Inside an open transaction the entry
    joins it (an ingest batch and its entry commit together). ``before_commit`` runs inside
    the transaction once the entry is written: when it raises (an output that could not be
    written), the entry is rolled back with it.
    """
    with store.transaction():
        last = check_tail(store)
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


def _entries(
    store: Store, tail: str = "ORDER BY seq", params: list[Any] | None = None
) -> list[Entry]:
    rows = store.query(
        "SELECT seq, recorded_at AS at, actor, kind, subject, decision, payload, prev_hash, "
        "hash FROM ledger " + tail,
        params or [],
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


def entries(store: Store, *, kind: str | None = None, subject: str | None = None) -> list[Entry]:
    """Every entry in order, or those of one ``kind`` and/or ``subject``."""
    if kind is None and subject is None:
        return _entries(store)
    return _entries(
        store,
        "WHERE (? IS NULL OR kind = ?) AND (? IS NULL OR subject = ?) ORDER BY seq",
        [kind, kind, subject, subject],
    )


def verify(store: Store, expected_head: str | None = None) -> Entry | None:
    """Recompute the chain; raise :class:`VerificationError` at the first break.

    Returns the last entry (None for an empty ledger). ``expected_head`` (a hash recorded in
    a signed attestation) must be in the chain: if it is missing, the ledger was truncated or
    rewritten after the attestation. :data:`GENESIS` (the head of an empty ledger) is in every
    chain.
    """
    prev = GENESIS
    last: Entry | None = None
    seen: set[str] = {GENESIS}
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
        if _recompute(entry) != entry.hash:
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


@dataclass(frozen=True)
class ChainCheck:
    """What a verification of the chain checked and found (``govern ledger verify``)."""

    #: rows in the ledger table
    entries: int
    #: the last row (seq 0 and :data:`GENESIS` for an empty ledger)
    head: HeadRef
    #: the head recorded elsewhere that the chain must hold, if one was given
    expected_head: str | None
    #: the seq of ``expected_head`` in the chain (None when not given or not found)
    expected_seq: int | None
    #: why the chain does not verify; None when it does
    problem: str | None

    @property
    def intact(self) -> bool:
        """True when every hash recomputes, every link holds and the expected head is there."""
        return self.problem is None

    def to_json(self) -> dict[str, Any]:
        """The check as JSON (schema ``govern.ledger-verify/v1``)."""
        return {
            "schema": "govern.ledger-verify/v1",
            "intact": self.intact,
            "entries": self.entries,
            "head": dict(self.head),
            "expected_head": self.expected_head,
            "expected_seq": self.expected_seq,
            "problem": self.problem,
        }


def check_chain(store: Store, expected_head: str | None = None) -> ChainCheck:
    """Run :func:`verify` and say what was checked: the whole chain, and the head if given."""
    problem: str | None = None
    try:
        verify(store, expected_head)
    except VerificationError as exc:
        problem = exc.message
    row = store.con.execute("SELECT count(*) FROM ledger").fetchone()
    count = int(row[0]) if row else 0
    expected_seq: int | None = None
    if expected_head == GENESIS:
        expected_seq = 0
    elif expected_head is not None:
        found = store.con.execute(
            "SELECT min(seq) FROM ledger WHERE hash = ?", [expected_head]
        ).fetchone()
        expected_seq = int(found[0]) if found and found[0] is not None else None
    return ChainCheck(count, head_ref(store), expected_head, expected_seq, problem)
