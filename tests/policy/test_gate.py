"""The gate in the library: one decision, one ledger entry, both or neither (issue 9 item 8)."""

from __future__ import annotations

from pathlib import Path

import pytest

from govern.models import CheckResult, Decision
from govern.policy.gate import gate, payload
from govern.store import Store, ledger
from tests.policy.test_engine import GOOD, NOW, policies
from tests.policy.test_engine import store as store


def test_gate_records_the_decision_with_its_payload(store: Store, tmp_path: Path) -> None:
    published: list[CheckResult] = []
    decision = gate(
        store, policies(tmp_path), model=GOOD, version="15", now=NOW, publish=published.append
    )
    assert decision.passed and decision.result.decision is Decision.passed
    assert published == [decision.result]
    (entry,) = ledger.entries(store)
    assert entry == decision.entry
    assert entry.kind == "gate" and entry.subject == f"{GOOD}@15"
    assert entry.payload == payload(decision.result)
    assert entry.payload["summary"]["pass"] >= 1 and entry.payload["failing"] == []


def test_a_failed_publish_records_nothing(store: Store, tmp_path: Path) -> None:
    def broken(result: CheckResult) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        gate(store, policies(tmp_path), model=GOOD, version="15", now=NOW, publish=broken)
    assert ledger.entries(store) == []
    ok = gate(store, policies(tmp_path), model=GOOD, version="15", now=NOW)
    assert ok.entry.seq == 1 and ledger.verify(store) == ok.entry
