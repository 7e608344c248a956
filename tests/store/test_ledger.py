"""The hash-chained ledger detects edits, deletions and truncation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from govern.errors import UsageError, VerificationError
from govern.store import Store, ledger

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def fill(store: Store, n: int = 3) -> list[ledger.Entry]:
    return [
        ledger.append(
            store,
            kind="gate",
            subject=f"credit-risk@{i}",
            decision="pass" if i % 2 else "fail",
            payload={"summary": {"pass": i, "fail": 0}, "ratio": 0.1 * i},
            now=NOW,
            who="ci-bot",
        )
        for i in range(1, n + 1)
    ]


def test_chain_links_and_verifies(store: Store) -> None:
    entries = fill(store)
    assert entries[0].prev_hash == ledger.GENESIS
    assert entries[1].prev_hash == entries[0].hash
    assert ledger.verify(store) == entries[-1]
    assert ledger.verify(store, expected_head=entries[1].hash) == entries[-1]


def test_empty_ledger_verifies(store: Store) -> None:
    assert ledger.verify(store) is None


def test_edit_is_detected(store: Store) -> None:
    fill(store)
    store.con.execute("UPDATE ledger SET decision = 'pass' WHERE seq = 2")
    with pytest.raises(VerificationError, match=r"entry 2 .* was altered"):
        ledger.verify(store)


def test_payload_edit_is_detected(store: Store) -> None:
    fill(store)
    store.con.execute(
        'UPDATE ledger SET payload = \'{"ratio":0.1,"summary":{"pass":9}}\' WHERE seq = 1'
    )
    with pytest.raises(VerificationError, match="entry 1"):
        ledger.verify(store)


def test_deletion_is_detected(store: Store) -> None:
    fill(store)
    store.con.execute("DELETE FROM ledger WHERE seq = 2")
    with pytest.raises(VerificationError, match="entry 2 is missing"):
        ledger.verify(store)


def test_rewritten_chain_is_detected(store: Store) -> None:
    """Recomputing one entry's hash still breaks the link to the next one."""
    fill(store)
    (row,) = store.query("SELECT * FROM ledger WHERE seq = 2")
    forged = ledger.entry_hash(
        2,
        ledger.entries(store)[1].at,
        row["actor"],
        row["kind"],
        row["subject"],
        "pass",
        ledger.entries(store)[1].payload,
        row["prev_hash"],
    )
    store.con.execute("UPDATE ledger SET decision = 'pass', hash = ? WHERE seq = 2", [forged])
    with pytest.raises(VerificationError, match="entry 3 does not follow entry 2"):
        ledger.verify(store)


def test_truncation_is_detected_against_a_recorded_head(store: Store) -> None:
    entries = fill(store)
    store.con.execute("DELETE FROM ledger WHERE seq = 3")
    assert ledger.verify(store) == entries[1]  # the chain itself is intact...
    with pytest.raises(VerificationError, match="truncated"):
        ledger.verify(store, expected_head=entries[2].hash)  # ...but the head is gone


def test_actor_from_ci_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVERN_ACTOR", "")
    monkeypatch.setenv("GITHUB_ACTOR", "octocat")
    assert ledger.actor() == "octocat"


# --- the tail an append links to ----------------------------------------------------------------


def rows(store: Store) -> list[tuple[object, ...]]:
    return store.con.execute("SELECT * FROM ledger ORDER BY seq").fetchall()


def append_one(store: Store) -> ledger.Entry:
    return ledger.append(
        store, kind="gate", subject="credit-risk@9", decision="pass", payload={}, now=NOW, who="ci"
    )


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("UPDATE ledger SET prev_hash = hash WHERE seq = 2", "broken at entry 2 .*does not link"),
        ("DELETE FROM ledger WHERE seq = 2", r"broken at entry 2 \(entry 2 is missing\)"),
        ("DELETE FROM ledger WHERE seq = 1", r"broken at entry 1 \(entry 1 is missing\)"),
        ("UPDATE ledger SET decision = 'fail' WHERE seq = 3", "broken at entry 3 .*does not match"),
        ("UPDATE ledger SET actor = 'someone' WHERE seq = 3", "broken at entry 3"),
        ("UPDATE ledger SET seq = 7 WHERE seq = 3", r"broken at entry 3 \(entry 3 is missing\)"),
    ],
)
def test_append_refuses_a_broken_tail(store: Store, damage: str, message: str) -> None:
    fill(store)
    store.con.execute(damage)
    before = rows(store)
    with pytest.raises(VerificationError, match=message) as caught:
        append_one(store)
    assert "govern ledger verify" in caught.value.diagnostics()
    assert rows(store) == before  # nothing was written on top


def test_append_inside_a_transaction_joins_it(store: Store) -> None:
    fill(store)
    with pytest.raises(RuntimeError), store.transaction():
        append_one(store)
        raise RuntimeError("the batch failed")
    assert len(ledger.entries(store)) == 3
    with store.transaction():
        entry = append_one(store)
    assert ledger.verify(store) == entry and entry.seq == 4


def test_an_edit_in_the_middle_is_left_to_verify(store: Store) -> None:
    """The documented trade-off: append recomputes only the last hash, verify finds the edit."""
    fill(store)
    store.con.execute("UPDATE ledger SET decision = 'fail' WHERE seq = 1")
    append_one(store)
    with pytest.raises(VerificationError, match=r"entry 1 .* was altered"):
        ledger.verify(store)


def test_a_recomputed_rewrite_shows_only_against_a_recorded_head(store: Store) -> None:
    """Rewriting the newest entry with a recomputed hash keeps the chain valid in itself."""
    entries = fill(store)
    recorded = ledger.head_ref(store)
    last = entries[-1]
    forged = ledger.entry_hash(
        last.seq, last.at, last.actor, last.kind, last.subject, "fail", last.payload, last.prev_hash
    )
    store.con.execute("UPDATE ledger SET decision = 'fail', hash = ? WHERE seq = 3", [forged])
    assert ledger.verify(store) is not None  # intact as a chain...
    append_one(store)  # ...and the tail check passes too
    with pytest.raises(VerificationError, match="truncated or replaced"):
        ledger.verify(store, expected_head=recorded["hash"])


def test_cut_off_rows_show_only_against_a_recorded_head(store: Store) -> None:
    fill(store, 5)
    recorded = ledger.head_ref(store)
    store.con.execute("DELETE FROM ledger WHERE seq >= 4")
    assert ledger.check_chain(store).intact
    check = ledger.check_chain(store, recorded["hash"])
    assert not check.intact and check.expected_seq is None
    assert check.head == {"seq": 3, "hash": ledger.entries(store)[-1].hash}
    assert "truncated" in (check.problem or "")


# --- heads, filters, checks ---------------------------------------------------------------------


def test_head_ref(store: Store) -> None:
    assert ledger.head_ref(store) == {"seq": 0, "hash": ledger.GENESIS}
    assert ledger.verify(store, expected_head=ledger.GENESIS) is None
    entries = fill(store)
    assert ledger.head_ref(store) == {"seq": 3, "hash": entries[-1].hash}
    assert ledger.verify(store, expected_head=ledger.GENESIS) == entries[-1]


def test_entries_by_kind_and_subject(store: Store) -> None:
    fill(store)
    ledger.append(
        store, kind="review", subject="credit-risk@2", decision="ok", payload={}, now=NOW, who="x"
    )
    assert [e.seq for e in ledger.entries(store, kind="gate")] == [1, 2, 3]
    assert [e.seq for e in ledger.entries(store, subject="credit-risk@2")] == [2, 4]
    assert [e.seq for e in ledger.entries(store, kind="review", subject="credit-risk@2")] == [4]
    assert ledger.entries(store, kind="report") == []


def test_check_chain_says_what_was_checked(store: Store) -> None:
    entries = fill(store)
    check = ledger.check_chain(store, entries[1].hash)
    assert check.intact and check.entries == 3 and check.expected_seq == 2
    assert check.to_json()["head"] == {"seq": 3, "hash": entries[2].hash}
    store.con.execute("UPDATE ledger SET subject = 'x' WHERE seq = 2")
    broken = ledger.check_chain(store)
    assert not broken.intact and "entry 2" in (broken.problem or "")
    assert broken.to_json()["intact"] is False


@pytest.mark.parametrize("value", ["", "abc", "g" * 64, "a" * 63, "a" * 65])
def test_malformed_head_is_bad_input(value: str) -> None:
    with pytest.raises(UsageError, match="not a ledger hash"):
        ledger.check_head(value)


def test_head_is_normalised() -> None:
    assert ledger.check_head(" " + "AB" * 32 + "\n") == "ab" * 32


def test_the_tail_check_finds_a_late_break_in_a_long_chain(store: Store) -> None:
    """The SQL structure check covers the whole chain, not only the last two entries."""
    payload = {"summary": {"pass": 1}}
    prev = ledger.GENESIS
    at = NOW.replace(tzinfo=None)
    values = []
    for seq in range(1, 1_001):
        digest = ledger.entry_hash(
            seq, "2026-11-22T10:00:00.000000Z", "ci", "gate", "m@1", "pass", payload, prev
        )
        values.append(
            (seq, at, "ci", "gate", "m@1", "pass", '{"summary":{"pass":1}}', prev, digest)
        )
        prev = digest
    store.con.executemany("INSERT INTO ledger VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
    assert ledger.check_tail(store) is not None
    assert ledger.verify(store) is not None
    store.con.execute("UPDATE ledger SET prev_hash = ? WHERE seq = 999", [ledger.GENESIS])
    with pytest.raises(VerificationError, match="broken at entry 999 "):
        ledger.check_tail(store)
