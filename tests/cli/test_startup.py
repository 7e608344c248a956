"""Start-up: `govern --help` and a lineage-only gate import no heavy library (DESIGN, issue 10).

Each runs in a fresh interpreter, as a user runs it; the test looks at what was imported, never
at how long it took.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govern.cli.main import app
from tests.policy.test_engine import DATABRICKS, GOOD

HEAVY = ("numpy", "scipy", "pandas", "fairlearn", "shap", "weasyprint", "sklearn")
#: What a lineage-only gate has no use for, each kept out of start-up on purpose: jsonschema
#: (a policy that conforms is checked without it, govern.policy.conforms), the ingest adapters
#: (the ingest command's help lists them only when shown), and every other check kind with its
#: metrics (the registry imports a kind on first use).
LAZY = (
    "jsonschema",
    "govern.ingest.registry",
    "govern.checks.drift",
    "govern.checks.fairness",
    "govern.checks.metric",
    "govern.checks.monitoring",
    "govern.checks.performance",
    "govern.metrics",
)

PROBE = """
import json, sys
sys.argv = ["govern", *json.loads(sys.argv[1])]
from govern.cli.main import run
try:
    run()
except SystemExit as exc:
    code = exc.code
print(json.dumps({
    "code": code,
    "heavy": sorted(m for m in HEAVY if m in sys.modules),
    "lazy": sorted(m for m in LAZY if m in sys.modules),
}))
"""

LINEAGE_POLICY = """\
apiVersion: govern/v1
kind: Policy
metadata: {id: lineage, version: 1, owner: risk@example.com}
scope: {models: ["*wine*"]}
rules:
  - id: repro.lineage
    check: reproducibility
    require: [run, git_commit, environment, params]
"""


def _probe(*args: str, cwd: Path) -> dict[str, object]:
    code = f"HEAVY = {HEAVY!r}\nLAZY = {LAZY!r}\n" + PROBE
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(list(args))],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )
    last = done.stdout.strip().splitlines()[-1]
    result: dict[str, object] = json.loads(last)
    return result


def test_help_imports_nothing_heavy(tmp_path: Path) -> None:
    result = _probe("--help", cwd=tmp_path)
    assert result["code"] == 0
    assert result["heavy"] == []
    lazy = result["lazy"]
    assert isinstance(lazy, list)
    assert set(lazy) <= {"govern.ingest.registry"}  # the ingest command's help lists formats


@pytest.mark.slow
def test_lineage_only_gate_imports_nothing_heavy(tmp_path: Path, runner: CliRunner) -> None:
    db = tmp_path / "s.duckdb"
    exports = [str(DATABRICKS / "versions"), str(DATABRICKS / "models/basic")]
    assert runner.invoke(app, ["--db", str(db), "ingest", *exports]).exit_code == 0
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "lineage.yaml").write_text(LINEAGE_POLICY)
    result = _probe("--db", str(db), "gate", GOOD, "15", "-p", "p", cwd=tmp_path)
    assert result["heavy"] == []
    assert result["lazy"] == []
    assert result["code"] in (0, 1)
