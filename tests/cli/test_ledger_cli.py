"""The ledger through the commands: what each command records, and ``govern ledger``.

Every command that decides or stores something appends to the ledger (gate, its waiver uses,
report, review, ingest); an append never links to a broken chain; ``govern ledger verify``
detects edits and deletions on its own, and cut-off or rewritten newest entries against a
recorded head.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from govern.cli.main import app
from govern.demo import demo_inputs, demo_policies
from govern.errors import StoreError
from govern.store import Store, ledger
from tests.conftest import EXPORT_IMPORT, dump_store
from tests.stores import demo_store

BUILT = datetime(2026, 12, 1, tzinfo=UTC)
AS_OF = "2026-12-03"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's exports and prediction logs, without ledger entries (built once)."""
    return demo_store(tmp_path_factory.mktemp("ledger-cli") / "demo.duckdb", now=BUILT)


@pytest.fixture
def db(template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "store" / "govern.duckdb"
    path.parent.mkdir()
    shutil.copyfile(template, path)
    return path


def govern(db: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["--db", str(db), *args])


def gate(db: Path, version: str, *args: str) -> Result:
    return govern(db, "gate", "credit-risk", version, "-p", str(demo_policies()), *args)


def report(db: Path, out: Path) -> Result:
    return govern(
        db, "report", "-m", "credit-risk", "--version", "2", "-p", str(demo_policies()),
        "--as-of", AS_OF, "--out", str(out),
    )  # fmt: skip


def entries(db: Path, **where: str) -> list[ledger.Entry]:
    with Store.open(db, read_only=True) as store:
        return ledger.entries(store, **where)


def execute(db: Path, sql: str, params: list[object] | None = None) -> None:
    with Store.open(db) as store:
        store.con.execute(sql, params or [])


def rewrite_from(db: Path, seq: int, decision: str) -> None:
    """Forge the chain from ``seq`` on: change a decision and recompute every later hash."""
    with Store.open(db) as store:
        chain = ledger.entries(store)
        prev = chain[seq - 2].hash if seq > 1 else ledger.GENESIS
        for e in chain[seq - 1 :]:
            new_decision = decision if e.seq == seq else e.decision
            digest = ledger.entry_hash(
                e.seq, e.at, e.actor, e.kind, e.subject, new_decision, e.payload, prev
            )
            store.con.execute(
                "UPDATE ledger SET decision = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                [new_decision, prev, digest, e.seq],
            )
            prev = digest


# --- what each command records -----------------------------------------------------------------


def test_ingest_records_one_entry_per_batch_with_the_source_digests(tmp_path: Path) -> None:
    db = tmp_path / "new.duckdb"
    inputs = [str(p) for p in demo_inputs()]
    result = govern(db, "ingest", *inputs)
    assert result.exit_code == 0, result.output
    (entry,) = entries(db)
    assert (entry.kind, entry.decision) == ("ingest", "loaded")
    with Store.open(db, read_only=True) as store:
        sources = {r["sha256"]: r for r in store.query("SELECT sha256, path, format FROM sources")}
    recorded = entry.payload["sources"]
    assert {s["sha256"] for s in recorded} == set(sources)
    assert all(s["format"] == sources[s["sha256"]]["format"] for s in recorded)
    assert all(s["counts"]["versions"] >= 0 for s in recorded)
    # the same bytes again load nothing, so nothing is recorded
    assert govern(db, "ingest", *inputs).exit_code == 0
    assert len(entries(db)) == 1


def test_an_ingest_on_a_broken_ledger_writes_nothing(db: Path) -> None:
    """The batch and its entry are one transaction: a refused entry loses the batch too."""
    assert gate(db, "2").exit_code == 0
    execute(db, "UPDATE ledger SET actor = 'someone else' WHERE seq = 1")
    before = dump_store(db)
    export = EXPORT_IMPORT / "databricks/single"
    result = govern(db, "ingest", str(export / "versions"), str(export / "models/basic"))
    assert result.exit_code == 2, result.output
    assert "the ledger is broken at entry 1" in result.stderr
    assert dump_store(db) == before


def test_gate_records_each_waiver_use(db: Path) -> None:
    result = gate(db, "1")
    assert result.exit_code == 1, result.output  # v1 is not validated; its lineage is waived
    gate_entry, use = entries(db)
    assert (gate_entry.kind, use.kind) == ("gate", "waiver")
    assert use.subject == gate_entry.subject == "credit-risk@1"
    assert use.decision == "waived"
    assert use.payload["rule"] == "repro.lineage"
    assert use.payload["waiver"]["ticket"] == "RISK-2041"
    assert use.payload["waiver"]["approver"] == "head-of-model-risk@example.com"
    assert use.payload["gate"] == {"seq": gate_entry.seq, "hash": gate_entry.hash}
    assert gate_entry.payload["waived"] == ["repro.lineage (RISK-2041)"]
    # a version without a waived finding records its gate entry alone
    assert gate(db, "2").exit_code == 0
    assert [e.kind for e in entries(db)] == ["gate", "waiver", "gate"]


def test_gate_refuses_to_append_on_a_broken_tail(db: Path, tmp_path: Path) -> None:
    assert gate(db, "2").exit_code == 0
    assert gate(db, "3").exit_code == 1
    execute(db, "UPDATE ledger SET decision = 'pass' WHERE seq = 2")
    before = dump_store(db)
    out = tmp_path / "gate.json"
    result = gate(db, "2", "-f", "json", "-o", str(out))
    assert result.exit_code == 2, result.output
    assert "the ledger is broken at entry 2" in result.stderr
    assert "govern ledger verify" in result.stderr
    assert "Traceback" not in result.output
    assert dump_store(db) == before
    assert not out.exists()  # the decision was not published either


def test_report_records_its_files_and_never_shows_its_own_entry(db: Path, tmp_path: Path) -> None:
    assert gate(db, "2").exit_code == 0
    first, second = tmp_path / "a", tmp_path / "b"
    result = report(db, first)
    assert result.exit_code == 0, result.output
    assert report(db, second).exit_code == 0
    gate_entry, entry, again = entries(db)
    assert f"ledger entry {entry.seq} {entry.hash[:12]}" in result.stderr
    assert again.kind == "report" and again.payload["outputs"] == entry.payload["outputs"]
    assert entry.kind == "report" and entry.subject == "credit-risk@2"
    files = sorted(first.iterdir())
    assert entry.payload["outputs"] == [
        {"name": f.name, "sha256": hashlib.sha256(f.read_bytes()).hexdigest()} for f in files
    ]
    data = json.loads((first / "credit-risk-v2-2026-12-03.json").read_text())
    assert entry.decision == entry.payload["decision"] == data["decision"]
    assert entry.payload["as_of"] == AS_OF
    assert (entry.payload["model"], entry.payload["version"]) == ("credit-risk", "2")
    assert [p["sha256"] for p in entry.payload["policies"]] == [
        p["sha256"] for p in data["policies"]
    ]
    # the second report was written after the first one's entry, and is byte-identical
    for f in files:
        assert (second / f.name).read_bytes() == f.read_bytes()
    assert data["ledger_head"] == gate_entry.hash


def test_report_files_are_taken_back_when_the_entry_fails(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from govern.report import record

    def refuse(*args: object, **kwargs: object) -> ledger.Entry:
        raise StoreError("could not write to the store (simulated). Nothing was written.")

    out = tmp_path / "out"
    out.mkdir()
    previous = out / "credit-risk-v2-2026-12-03.html"
    previous.write_text("the report of last week\n")
    monkeypatch.setattr(record, "record_report", refuse)
    result = report(db, out)
    assert result.exit_code == 2, result.output
    assert "simulated" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == [previous.name]
    assert previous.read_text() == "the report of last week\n"
    assert entries(db) == []


def test_report_on_a_broken_ledger_writes_nothing(db: Path, tmp_path: Path) -> None:
    assert gate(db, "2").exit_code == 0
    execute(db, "UPDATE ledger SET subject = 'credit-risk@9' WHERE seq = 1")
    out = tmp_path / "out"
    result = report(db, out)
    assert result.exit_code == 2, result.output
    assert "the ledger is broken at entry 1" in result.stderr
    assert not out.exists()


def test_portfolio_and_review_reports_are_recorded(db: Path, tmp_path: Path) -> None:
    policies = str(demo_policies())
    out = tmp_path / "out"
    portfolio = govern(
        db, "report", "--portfolio", "-p", policies, "--as-of", AS_OF, "-f", "json",
        "--out", str(out),
    )  # fmt: skip
    assert portfolio.exit_code == 0, portfolio.output
    periodic = govern(
        db, "report", "-m", "credit-risk", "--from", "2026-06", "--to", "2026-11", "-p", policies,
        "--as-of", AS_OF, "-f", "json", "--out", str(out),
    )  # fmt: skip
    assert periodic.exit_code == 0, periodic.output
    first, second = entries(db, kind="report")
    data = json.loads((out / "portfolio-2026-12-03.json").read_text())
    assert first.subject == "portfolio" and first.decision == "fail"  # the most severe one
    assert first.payload["scope"]["portfolio"]["decisions"] == data["decisions"]
    assert first.payload["outputs"] == [
        {
            "name": "portfolio-2026-12-03.json",
            "sha256": hashlib.sha256((out / "portfolio-2026-12-03.json").read_bytes()).hexdigest(),
        }
    ]
    (review_file,) = out.glob("credit-risk-review-*.json")
    assert second.subject == "credit-risk"
    assert second.decision == json.loads(review_file.read_text())["decision"]
    assert second.payload["scope"]["review"] == {
        "period": "month",
        "from": "2026-06",
        "to": "2026-11",
    }
    assert (
        second.payload["outputs"][0]["sha256"]
        == hashlib.sha256(review_file.read_bytes()).hexdigest()
    )


def test_review_records_the_stored_review(db: Path) -> None:
    result = govern(db, "review", "credit-risk", "--version", "2", "-f", "json")
    assert result.exit_code in (0, 1), result.output
    (entry,) = entries(db)
    with Store.open(db, read_only=True) as store:
        (row,) = store.query("SELECT id, result_sha256 FROM reviews")
    assert entry.kind == "review" and entry.subject == "credit-risk@2"
    assert entry.payload["review_id"] == row["id"]
    assert entry.payload["sha256"] == row["result_sha256"]
    shown = json.loads(result.stdout)
    assert entry.decision == shown["decision"]
    assert entry.payload["regressions"] == len(shown["regressions"])
    assert entry.payload["period"] == "month"
    assert govern(db, "review", "credit-risk", "--no-store").exit_code in (0, 1)
    assert len(entries(db)) == 1  # nothing stored, nothing recorded


def test_a_review_on_a_broken_ledger_is_not_stored(db: Path) -> None:
    assert gate(db, "2").exit_code == 0
    assert gate(db, "3").exit_code == 1
    execute(db, "DELETE FROM ledger WHERE seq = 1")
    before = dump_store(db)
    result = govern(db, "review", "credit-risk", "--version", "2")
    assert result.exit_code == 2, result.output
    assert "the ledger is broken at entry 1 (entry 1 is missing)" in result.stderr
    assert dump_store(db) == before


# --- govern ledger show ------------------------------------------------------------------------


def test_show_lists_and_filters(db: Path) -> None:
    assert gate(db, "1").exit_code == 1
    assert gate(db, "2").exit_code == 0
    table = govern(db, "ledger", "show")
    assert table.exit_code == 0, table.output
    assert "credit-risk@1" in table.stdout and "RISK-2041" in table.stdout
    only = govern(db, "ledger", "show", "--kind", "gate", "--format", "json")
    data = json.loads(only.stdout)
    assert data["schema"] == "govern.ledger/v1"
    assert data["filters"] == {"kind": "gate", "subject": None}
    assert [e["subject"] for e in data["entries"]] == ["credit-risk@1", "credit-risk@2"]
    chosen = json.loads(govern(db, "ledger", "show", "-s", "credit-risk@1", "-f", "json").stdout)
    assert [e["kind"] for e in chosen["entries"]] == ["gate", "waiver"]
    # the JSON holds what an auditor needs to recompute a hash without govern
    e = chosen["entries"][1]
    fields = {k: e[k] for k in ("seq", "at", "actor", "kind", "subject", "decision", "payload")}
    assert ledger.entry_hash(**{"who" if k == "actor" else k: v for k, v in fields.items()},
                             prev_hash=e["prev_hash"]) == e["hash"]  # fmt: skip


def test_show_of_an_empty_ledger_and_bad_input(db: Path, tmp_path: Path) -> None:
    empty = govern(db, "ledger", "show")
    assert empty.exit_code == 0 and "No ledger entries" in empty.stdout
    unknown = govern(db, "ledger", "show", "--kind", "gates")
    assert unknown.exit_code == 2
    missing = govern(tmp_path / "nowhere.duckdb", "ledger", "show")
    assert missing.exit_code == 2 and "there is no govern store" in missing.stderr
    assert not (tmp_path / "nowhere.duckdb").exists()


# --- govern ledger verify ----------------------------------------------------------------------


@pytest.fixture
def chain(db: Path) -> list[ledger.Entry]:
    """Five entries: gates of versions 1 (and its waiver use), 2, 3 and 2 again."""
    for version in ("1", "2", "3", "2"):
        gate(db, version)
    made = entries(db)
    assert len(made) == 5
    return made


def verify(db: Path, *args: str) -> Result:
    return govern(db, "ledger", "verify", *args)


def test_verify_states_what_was_checked(db: Path, chain: list[ledger.Entry]) -> None:
    result = verify(db)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ledger intact\n")
    assert "5 entries checked" in result.stdout
    assert f"head seq 5 hash {chain[-1].hash}" in result.stdout
    assert "No --head given" in result.stdout
    held = verify(db, "--head", chain[2].hash.upper())
    assert held.exit_code == 0 and "is entry 3" in held.stdout
    data = json.loads(verify(db, "--format", "json", "--head", chain[-1].hash).stdout)
    assert data["intact"] is True and data["expected_seq"] == 5
    assert data["head"] == {"seq": 5, "hash": chain[-1].hash}


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (
            "UPDATE ledger SET decision = 'fail' WHERE seq = 3",
            "ledger entry 3 (gate credit-risk@2)",
        ),
        ("UPDATE ledger SET payload = '{}' WHERE seq = 2", "ledger entry 2 (waiver credit-risk@1)"),
        ("DELETE FROM ledger WHERE seq = 3", "ledger entry 3 is missing"),
    ],
)
def test_verify_finds_edits_and_deletions(
    db: Path, chain: list[ledger.Entry], damage: str, message: str
) -> None:
    execute(db, damage)
    result = verify(db)
    assert result.exit_code == 1, result.output
    assert result.stdout.startswith("ledger BROKEN: ")
    assert message in result.stdout and message in result.stderr


def test_cut_off_newest_entries_show_only_against_a_head(
    db: Path, chain: list[ledger.Entry]
) -> None:
    execute(db, "DELETE FROM ledger WHERE seq >= 4")
    assert verify(db).exit_code == 0  # what is left is a valid chain
    result = verify(db, "--head", chain[-1].hash)
    assert result.exit_code == 1, result.output
    assert "truncated or replaced" in result.stdout
    assert f"The recorded head {chain[-1].hash} is not in the ledger." in result.stdout


def test_a_rewrite_with_recomputed_hashes_shows_only_against_a_head(
    db: Path, chain: list[ledger.Entry]
) -> None:
    rewrite_from(db, 1, "pass")  # credit-risk v1 "passed" after all
    assert verify(db).exit_code == 0
    assert verify(db, "--head", chain[-1].hash).exit_code == 1
    assert verify(db, "--head", ledger.GENESIS).exit_code == 0  # genesis is in every chain


@pytest.mark.parametrize("head", ["abc", "z" * 64, "a" * 65, ""])
def test_verify_refuses_a_malformed_head(db: Path, head: str) -> None:
    result = verify(db, "--head", head)
    assert result.exit_code == 2, result.output
    assert "is not a ledger hash" in result.stderr


def test_verify_of_a_missing_store_is_bad_input(tmp_path: Path) -> None:
    result = verify(tmp_path / "nowhere.duckdb")
    assert result.exit_code == 2 and "there is no govern store" in result.stderr
