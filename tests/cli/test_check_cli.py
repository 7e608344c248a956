"""`govern check`, `govern gate` and `govern policy` from the command line."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govern.cli.main import app
from govern.store import Store, ledger
from tests.conftest import dump_store
from tests.policy.test_engine import GOOD, POLICY


def gov(runner: CliRunner, db: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--db", str(db), *args])


def test_gate_passes_a_complete_version_and_records_it(runner: CliRunner, env) -> None:  # type: ignore[no-untyped-def]
    db, policies = env
    result = gov(runner, db, "gate", GOOD, "15", "--policy", str(policies), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["schema"] == "govern.check/v1"
    assert data["decision"] == "pass"
    assert data["summary"] == {"pass": 1, "fail": 1, "waived": 0, "not_evaluated": 0}
    assert "PASS" in result.stderr and "ledger entry 2" in result.stderr  # 1: the ingest
    with Store.open(db, read_only=True) as store:
        (entry,) = ledger.entries(store, kind="gate")
        assert entry.kind == "gate" and entry.subject == f"{GOOD}@15" and entry.decision == "pass"
        assert entry.payload["policies"][0]["sha256"] == data["policies"][0]["sha256"]
        ledger.verify(store)


def test_gate_blocks_incomplete_lineage_with_the_reason(runner: CliRunner, env) -> None:  # type: ignore[no-untyped-def]
    db, policies = env
    result = gov(runner, db, "gate", "Sklearn_Wine", "3", "--policy", str(policies))
    assert result.exit_code == 1, result.output
    assert "FAIL" in result.stderr
    assert "repro.lineage" in result.stderr and "is not in the store" in result.stderr


@pytest.mark.parametrize("fmt", ["table", "json", "junit", "sarif", "markdown"])
def test_gate_reason_readable_in_every_format(
    runner: CliRunner, env, fmt: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    db, policies = env
    out = tmp_path / f"gate.{fmt}"
    result = gov(
        runner, db, "gate", "Sklearn_Wine", "3", "-p", str(policies), "-f", fmt, "-o", str(out)
    )
    assert result.exit_code == 1, result.output
    text = out.read_text()
    assert "repro.lineage" in text
    assert "git_commit" in text


def test_fail_on_warn(runner: CliRunner, env) -> None:  # type: ignore[no-untyped-def]
    db, policies = env
    result = gov(runner, db, "gate", GOOD, "15", "-p", str(policies), "--fail-on", "warn")
    assert result.exit_code == 1
    assert "perf.r2" in result.stderr


def test_check_covers_every_version_and_exits_1(runner: CliRunner, env) -> None:  # type: ignore[no-untyped-def]
    db, policies = env
    result = gov(runner, db, "check", "-p", str(policies), "-f", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert len({(f["model"], f["version"]) for f in data["findings"]}) == 4
    with Store.open(db, read_only=True) as store:
        # the ingest is the only entry: check does not write the ledger
        assert [e.kind for e in ledger.entries(store)] == ["ingest"]


def test_check_one_model_passes(runner: CliRunner, env) -> None:  # type: ignore[no-untyped-def]
    db, policies = env
    result = gov(runner, db, "check", "-p", str(policies), "--model", GOOD)
    assert result.exit_code == 0, result.output


def test_bad_policy_is_exit_2_and_writes_nothing(runner: CliRunner, env) -> None:  # type: ignore[no-untyped-def]
    db, policies = env
    (policies / "wine.yaml").write_text(POLICY.replace("severity: warn", "sevrity: warn"))
    before = dump_store(db)
    result = gov(runner, db, "gate", GOOD, "15", "-p", str(policies))
    assert result.exit_code == 2
    assert "wine.yaml:14" in result.stderr and "did you mean 'severity'" in result.stderr
    assert dump_store(db) == before


def test_no_policy_folder(
    runner: CliRunner, env, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    db, _ = env
    monkeypatch.chdir(tmp_path / "store")
    result = gov(runner, db, "check")
    assert result.exit_code == 2 and "no ./policies folder" in result.stderr


def test_unknown_version_is_exit_2(runner: CliRunner, env) -> None:  # type: ignore[no-untyped-def]
    db, policies = env
    result = gov(runner, db, "gate", GOOD, "99", "-p", str(policies))
    assert result.exit_code == 2 and "not in the store" in result.stderr


def test_waivers_option_and_as_of(runner: CliRunner, env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db, policies = env
    waivers = tmp_path / "w.yaml"
    waivers.write_text(
        textwrap.dedent(
            """\
            apiVersion: govern/v1
            kind: Waivers
            waivers:
              - rule: repro.lineage
                model: Sklearn_Wine
                version: 3
                justification: Runs deleted in the 2023 workspace migration.
                approver: cro@example.com
                ticket: RISK-7
                expires: 2026-06-30
            """
        )
    )
    args = ["gate", "Sklearn_Wine", "3", "-p", str(policies), "-w", str(waivers), "-f", "json"]
    before = gov(runner, db, *args, "--as-of", "2026-06-30")
    assert before.exit_code == 0, before.output
    assert json.loads(before.stdout)["summary"]["waived"] == 1
    after = gov(runner, db, *args, "--as-of", "2026-07-01")
    assert after.exit_code == 1
    assert "govern.waiver-expired" in after.stdout
    bad = gov(runner, db, *args, "--as-of", "July")
    assert bad.exit_code == 2 and "not a date" in bad.stderr


def test_policy_lint(runner: CliRunner, env) -> None:  # type: ignore[no-untyped-def]
    _, policies = env
    ok = runner.invoke(app, ["policy", "lint", str(policies)])
    assert ok.exit_code == 0 and "all valid" in ok.stdout
    (policies / "bad.yaml").write_text(POLICY.replace("check: metric", "check: metrik"))
    bad = runner.invoke(app, ["policy", "lint", str(policies), "--format", "json"])
    assert bad.exit_code == 2
    data = json.loads(bad.stdout)
    assert data["valid"] is False
    (problem,) = next(f for f in data["files"] if f["path"].endswith("bad.yaml"))["problems"]
    assert "bad.yaml:11" in problem and "did you mean 'metric'" in problem


def test_policy_schema(runner: CliRunner) -> None:
    result = runner.invoke(app, ["policy", "schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["$defs"]["rule-metric"]["required"] == [
        "id",
        "check",
        "metric",
    ]
