"""The model-version report: golden HTML and JSON, determinism, bad input, packaging.

Golden files live in ``tests/report/golden/``; a mismatch saves the actual output to
``tests/report/actual/`` (ignored by git) and fails with a diff; ``GOVERN_UPDATE_GOLDEN=1``
rewrites them (then review the git diff). The goldens are scrubbed of what differs between
machines: the repository's path, the store's path and the installed library versions.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govern.cli.main import app
from govern.demo import demo_policies
from govern.policy.engine import evaluate
from govern.policy.gate import GATE, payload
from govern.policy.loader import load
from govern.report.context import ReportContext, Tool, build_context
from govern.report.html import render_html, templates_dir
from govern.report.json import json_sha256, render_json
from govern.store import ledger
from govern.store.store import Store
from tests.golden import assert_golden
from tests.stores import demo_store, registry_store

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
INGESTED = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture(scope="session")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``registry`` (the demo's exports) and ``demo`` (plus its logs and two gate entries)."""
    folder = tmp_path_factory.mktemp("report-stores")
    registry = registry_store(folder / "registry.duckdb", now=INGESTED)
    demo = demo_store(folder / "demo.duckdb", now=INGESTED, registry=registry)
    policies = load([demo_policies()])
    with Store.open(demo) as store:
        for day, version in ((2, "2"), (3, "2")):
            result = evaluate(
                store, policies, now=NOW, model="credit-risk", version=version, gate=True
            )
            ledger.append(
                store,
                kind=GATE,
                subject=f"credit-risk@{version}",
                decision=result.decision.value,
                # policy paths scrubbed: the entry's hash (the report's ledger head) must not
                # depend on where the repository is checked out
                payload=json.loads(scrub(json.dumps(payload(result)))),
                now=datetime(2026, 12, day, 9, 30, tzinfo=UTC),
                who="ci-bot",
            )
    return {"registry": registry, "demo": demo}


def context(db: Path, model: str = "credit-risk", version: str = "2") -> ReportContext:
    """The report context with the machine-specific parts fixed."""
    with Store.open(db, read_only=True) as store:
        ctx = build_context(
            store,
            load([demo_policies()]),
            model=model,
            version=version,
            now=NOW,
            store_path="demo.duckdb",
        )
    return replace(ctx, tools=tuple(Tool(t.name, "0.0.0-test") for t in ctx.tools))


def scrub(text: str) -> str:
    """Replace the repository's location (in source and policy paths) with ``<root>``."""
    return text.replace(str(ROOT.resolve()), "<root>")


# --- golden files ----------------------------------------------------------------------------


def test_golden_html(stores: dict[str, Path]) -> None:
    ctx = context(stores["demo"])
    # the evidence JSON holds absolute paths, so its digest depends on the checkout: the
    # golden holds a placeholder (the JSON itself is compared scrubbed, below)
    digest = json_sha256(ctx)
    html = render_html(ctx).replace(digest, "<json-sha256>").replace(digest[:16], "<json>")
    # the stylesheet is inlined and shared by every report kind: the golden holds its name, so
    # a style another kind adds does not touch this golden (its markup is what it pins)
    css = (templates_dir() / "report.css").read_text(encoding="utf-8")
    assert css in html
    assert_golden(HERE, "credit-risk-v2.html", scrub(html.replace(css, "/* report.css */\n")))


def test_golden_json(stores: dict[str, Path]) -> None:
    assert_golden(HERE, "credit-risk-v2.json", scrub(render_json(context(stores["demo"]))))


def test_report_content(stores: dict[str, Path]) -> None:
    ctx = context(stores["demo"])
    html = render_html(ctx)
    data = json.loads(render_json(ctx))
    assert data["schema"] == "govern.report/v1"
    assert data["decision"] == "pass"
    assert data["summary"] == {"pass": 23, "fail": 5, "waived": 0, "not_evaluated": 2}
    keys = [s["key"] for s in data["sections"]]
    assert keys == ["lineage", "metrics", "fairness", "drift", "performance", "explainability"]
    performance = next(s for s in data["sections"] if s["key"] == "performance")["data"]
    auc = next(r for r in performance["rows"] if r["rule"] == "perf.production-auc")
    assert auc["status"] == "not_evaluated" and auc["labelled"] == 2206
    assert "0.7639 (within the bound)" in auc["label_note"]
    drift = next(s for s in data["sections"] if s["key"] == "drift")["data"]
    since = {r["column"]: r["drifted_since"] for r in drift["rows"] if r["drifted_since"]}
    assert since == {"appinc": "2026-09-01", "loanamt": "2026-10-01"}
    assert [g["seq"] for g in data["gates"]] == [1, 2]
    # self-contained, accessible charts, no script, the numbers of the demo
    assert "<script" not in html and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
    assert "https://" not in html
    assert html.count("<svg") == html.count("<title id=") == html.count("<desc id=") >= 4
    for text in ("0.748", "[0.735, 0.760]", "Decision: <strong>PASS</strong>", "ci-bot"):
        assert text in html


def test_autoescape(stores: dict[str, Path]) -> None:
    ctx = replace(context(stores["demo"]), model="<script>alert(1)</script>")
    html = render_html(ctx)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_missing_evidence_still_renders(stores: dict[str, Path]) -> None:
    ctx = context(stores["registry"])
    html = render_html(ctx)
    assert "Missing evidence." in html
    assert "No gate decision about this version is recorded" in html
    fairness = next(s for s in ctx.sections if s.key == "fairness")
    assert fairness.missing and "no current prediction log" in fairness.missing[0]
    assert json.loads(render_json(ctx))["decision"] == "pass"


# --- the command -----------------------------------------------------------------------------


def _run(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["--db", str(db), "report", "--policy", str(demo_policies()), *args]
    )
    return result.exit_code, result.output


def test_cli_is_deterministic(stores: dict[str, Path], tmp_path: Path) -> None:
    args = ["-m", "credit-risk", "--version", "2", "--as-of", "2026-12-03"]
    for name in ("a", "b"):
        code, output = _run(stores["demo"], *args, "--out", str(tmp_path / name))
        assert code == 0, output
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == ["credit-risk-v2-2026-12-03.html", "credit-risk-v2-2026-12-03.json"]
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_cli_source_date_epoch(
    stores: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(NOW.timestamp())))
    code, output = _run(
        stores["demo"], "-m", "credit-risk", "--version", "2", "-f", "json", "--out", str(tmp_path)
    )
    assert code == 0, output
    data = json.loads((tmp_path / "credit-risk-v2-2026-12-03.json").read_text("utf-8"))
    assert data["generated_at"] == "2026-12-03T12:00:00Z"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-m", "credit-rsk", "--version", "2"], "Did you mean credit-risk?"),
        (["-m", "credit-risk", "--version", "9"], "Known versions of credit-risk: 1, 2, 3."),
        (["-m", "credit-risk", "--version", "2", "-f", "docx"], "unknown report format docx"),
        (["-m", "credit-risk", "--version", "2", "--as-of", "soon"], "is not a date"),
    ],
)
def test_cli_bad_input(
    stores: dict[str, Path], tmp_path: Path, args: list[str], expected: str
) -> None:
    code, output = _run(stores["demo"], *args, "--out", str(tmp_path / "out"))
    assert code == 2, output
    assert expected in output
    assert not (tmp_path / "out").exists()


def test_cli_unwritable_out(stores: dict[str, Path], tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder\n", encoding="utf-8")
    code, output = _run(
        stores["demo"], "-m", "credit-risk", "--version", "2", "--out", str(blocker / "reports")
    )
    assert code == 2, output
    assert "cannot write" in output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_cli_second_file_fails_nothing_left(stores: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "credit-risk-v2-2026-12-03.json").mkdir()  # a folder where the JSON must go
    code, output = _run(
        stores["demo"], "-m", "credit-risk", "--version", "2", "--as-of", "2026-12-03",
        "--out", str(out),
    )  # fmt: skip
    assert code == 2, output
    assert sorted(p.name for p in out.iterdir()) == ["credit-risk-v2-2026-12-03.json"]


# --- packaging -------------------------------------------------------------------------------


def test_templates_found() -> None:
    folder = templates_dir()
    assert (folder / "report.html").is_file() and (folder / "report.css").is_file()


@pytest.mark.slow
def test_wheel_ships_templates(tmp_path: Path) -> None:
    """A wheel built from the tree holds every template, and an installed copy finds them."""
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    wheel = next(dist.glob("govern-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    prefix = "govern/templates/"
    shipped = {n.removeprefix(prefix) for n in names if n.startswith(prefix)}
    expected = {p.name for p in (ROOT / "templates").iterdir() if not p.name.startswith(".")}
    assert expected <= shipped, expected - shipped
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site),
         str(wheel)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    probe = subprocess.run(
        [sys.executable, "-c", "from govern.report.html import templates_dir as t; "
         "print(t()); assert (t() / 'report.html').is_file()"],
        check=True, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(site)},
    )  # fmt: skip
    assert probe.stdout.strip().startswith(str(site))


# --- sections of other check kinds -------------------------------------------------------------

EXTRA_POLICY = """\
apiVersion: govern/v1
kind: Policy
metadata: {id: extra, version: 1}
scope: {models: ["credit-*"]}
rules:
  - id: monitoring.tests
    check: monitoring
    severity: warn
    require: no_failed_tests
  - id: ll144.table
    check: fairness
    severity: info
    metric: impact_ratio
    sensitive: [sex, race]
    min: 0.8
    ll144: {sex: sex, race: race}
"""


def test_monitoring_and_ll144_sections(stores: dict[str, Path], tmp_path: Path) -> None:
    from govern.ingest.pipeline import ingest
    from tests.conftest import FIXTURES

    db = tmp_path / "store.duckdb"
    shutil.copyfile(stores["demo"], db)
    with Store.open(db) as store:
        ingest(
            store,
            [FIXTURES / "evidently" / "0.7.23" / "report.json"],
            now=INGESTED,
            options={"model": "credit-risk", "version": "2"},
        )
    policy = tmp_path / "extra.yaml"
    policy.write_text(EXTRA_POLICY, encoding="utf-8")
    with Store.open(db, read_only=True) as store:
        ctx = build_context(
            store, load([policy]), model="credit-risk", version="2", now=NOW, store_path="x"
        )
    keys = [s.key for s in ctx.sections]
    assert keys == ["lineage", "fairness", "monitoring"]
    html = render_html(ctx)
    assert "Value Drift for column x1" in html
    assert "LL144 bias-audit table" in html
    fairness = next(s for s in ctx.sections if s.key == "fairness")
    dimensions = [b.dimension for b in fairness.data.ll144]  # type: ignore[union-attr]
    assert dimensions == ["sex", "race", "sex × race"]
    assert "monitoring report" in {u for s in ctx.sources for u in s.used_for}
