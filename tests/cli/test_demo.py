"""`govern demo` runs the whole loop offline on the bundled exports."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from govern.cli.main import app
from govern.demo import DEMO_GATES, demo_inputs, demo_policies
from govern.store import Store, ledger


def test_demo_runs_end_to_end(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    result = runner.invoke(app, ["demo", "--demo-db", str(db)])
    assert result.exit_code == 0, result.output
    assert "Model inventory" in result.stdout
    assert "credit-risk v2: PASS" in result.stderr
    assert "credit-risk v3: FAIL" in result.stderr
    assert "why: repro.lineage" in result.stderr
    assert "waived" in result.stdout  # credit-risk v1's lineage gap is waived
    with Store.open(db, read_only=True) as store:
        formats = {r["format"] for r in store.query("SELECT DISTINCT format FROM sources")}
        assert formats == {"mlflow-filestore", "mlflow-export-import", "sagemaker-model-package"}
        entries = ledger.entries(store)
        assert [e.subject for e in entries] == [f"{m}@{v}" for m, v in DEMO_GATES]
        assert ledger.verify(store) == entries[-1]
    # a second run starts from a fresh store
    again = runner.invoke(app, ["demo", "--demo-db", str(db)])
    assert again.exit_code == 0
    with Store.open(db, read_only=True) as store:
        assert len(ledger.entries(store)) == len(DEMO_GATES)


def test_demo_data_is_bundled() -> None:
    names = {p.name for p in demo_inputs()}
    assert "mlflow3-filestore" in names
    assert (demo_policies() / "credit-risk.yaml").is_file()
    assert not any(p.suffix == ".skops" for p in demo_inputs()[0].parent.rglob("*"))
