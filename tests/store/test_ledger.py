"""The hash-chained ledger detects edits, deletions and truncation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from govern.errors import VerificationError
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
