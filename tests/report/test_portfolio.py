"""The portfolio report: golden HTML and JSON, decisions, PDF text and tags, determinism, CLI.

The goldens (``tests/report/golden/portfolio-demo.*``) are the portfolio of the demo store
(three versions of credit-risk in scope, six versions of other models in scope of no policy),
scrubbed of the repository's path, the library versions and (HTML) the inlined stylesheet;
``GOVERN_UPDATE_GOLDEN=1`` rewrites them.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govern.checks.monitoring_evidence import MonitoringEvidence, ReportVerdict
from govern.cli.main import app
from govern.demo import demo_policies
from govern.models import Finding, Severity, Status
from govern.policy.loader import load
from govern.report.context import Tool, build_context, report_stem
from govern.report.html import STYLESHEET, render_html, templates_dir
from govern.report.portfolio import (
    PortfolioContext,
    build_portfolio,
    decide,
    portfolio_files,
    render_portfolio,
    render_portfolio_html,
    render_portfolio_json,
)
from govern.store.monitoring import StoredReport
from govern.store.store import Store
from tests.golden import assert_golden
from tests.stores import demo_store

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
INGESTED = datetime(2026, 12, 1, tzinfo=UTC)
AS_OF = "2026-12-03"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store: the bundled registry exports and credit-risk v2's prediction logs."""
    return demo_store(tmp_path_factory.mktemp("portfolio") / "demo.duckdb", now=INGESTED)


def portfolio(db: Path, **options: object) -> PortfolioContext:
    """The demo store's portfolio with the machine-specific parts fixed."""
    with Store.open(db, read_only=True) as opened:
        ctx = build_portfolio(
            opened,
            load([demo_policies()]),
            now=NOW,
            store_path="demo.duckdb",
            **options,  # type: ignore[arg-type]
        )
    return replace(ctx, tools=tuple(Tool(t.name, "0.0.0-test") for t in ctx.tools))


def scrub(text: str) -> str:
    """Replace the repository's location (in policy paths) with ``<root>``."""
    return text.replace(str(ROOT.resolve()), "<root>")


# --- golden files and content ----------------------------------------------------------------


def test_golden_html(store: Path) -> None:
    # the stylesheet is inlined; the golden holds a placeholder, so a change to report.css (a
    # file of its own, shared by every report) does not change this golden
    css = (templates_dir() / STYLESHEET).read_text(encoding="utf-8")
    html = render_portfolio_html(portfolio(store))
    assert css in html
    assert_golden(HERE, "portfolio-demo.html", scrub(html.replace(css, "/* report.css */\n")))


def test_golden_json(store: Path) -> None:
    assert_golden(HERE, "portfolio-demo.json", scrub(render_portfolio_json(portfolio(store))))


def test_decisions_of_the_demo(store: Path) -> None:
    data = json.loads(render_portfolio_json(portfolio(store)))
    assert data["schema"] == "govern.portfolio/v1"
    rows = {(r["model"], r["version"]): r for r in data["versions"]}
    assert {key: r["decision"] for key, r in rows.items()} == {
        ("credit-risk", "1"): "fail",
        ("credit-risk", "2"): "pass",
        ("credit-risk", "3"): "fail",
    }
    assert data["decisions"] == {"fail": 2, "stale": 0, "not_evaluated": 0, "waived": 0, "pass": 1}
    # failures first, then by model and version
    assert [(r["model"], r["version"]) for r in data["versions"]] == [
        ("credit-risk", "1"),
        ("credit-risk", "3"),
        ("credit-risk", "2"),
    ]
    # v1's lineage failure is waived, but governance.validated still blocks it
    assert "repro.lineage" in rows[("credit-risk", "1")]["waived"]
    assert "governance.validated" in rows[("credit-risk", "1")]["blocking"]
    # v2 passes with warn failures, which the row names for review
    assert rows[("credit-risk", "2")]["gate"] == "pass"
    assert "fairness.four-fifths[race]" in rows[("credit-risk", "2")]["below"]
    assert rows[("credit-risk", "2")]["newest_evidence"] == "2026-11-30 23:48"
    # the other models of the store are listed apart, not judged
    assert sorted({r["model"] for r in data["out_of_scope"]}) == [
        "Sklearn_Wine",
        "andre_catalog.ml_models2.sklearn_wine_best",
        "churn-model",
        "churn-xgboost",
    ]
    assert len(data["out_of_scope"]) == 6


def test_rows_link_to_the_model_reports(store: Path) -> None:
    ctx = portfolio(store)
    html = render_portfolio_html(ctx)
    for row in ctx.versions:
        name = report_stem(row.model, row.version, AS_OF) + ".html"
        assert row.report == name
        assert f'<a href="{name}">' in html
    # the PDF's HTML names the files without links (a relative link would not resolve)
    assert '<a href="credit-risk' not in render_portfolio_html(ctx, links=False)
    assert "<script" not in html and "http://" not in html


def test_coverage_counts_versions_per_control(store: Path) -> None:
    ctx = portfolio(store)
    eu = next(fw for fw in ctx.coverage if fw.id == "eu-ai-act")
    art17 = next(row for row in eu.rows if row.id == "eu-ai-act:Art.17(1)")
    # governance.validated: v2 passes, v1 and v3 fail
    assert dict(art17.counts)["evaluated-pass"] == 1
    assert dict(art17.counts)["evaluated-fail"] == 2
    assert art17.failing == ("credit-risk v1", "credit-risk v3")
    assert eu.failing >= 1 and eu.mapped + eu.not_covered == eu.controls


def test_model_filter_and_stale_after(store: Path) -> None:
    ctx = portfolio(store, model="credit-risk", stale_after="1d")
    assert ctx.model == "credit-risk" and not ctx.out_of_scope
    v2 = next(r for r in ctx.versions if r.version == "2")
    # the newest production row (2026-11-30) is older than a day on 2026-12-03
    assert v2.decision == "stale"
    assert "the newest production evidence (2026-11-30) is 2 days old" in v2.stale[0]
    assert ctx.count("stale") == 1 and ctx.count("fail") == 2


def test_linked_model_reports_are_the_model_reports(store: Path) -> None:
    """The portfolio's model reports (built through its remembered reads) are byte for byte
    what build_context and render_html make on their own."""
    policies = load([demo_policies()])
    with Store.open(store, read_only=True) as opened:
        _, files = portfolio_files(
            opened, policies, now=NOW, store_path="demo.duckdb", formats=("html",)
        )
        for version in ("1", "2", "3"):
            alone = build_context(
                opened, policies, model="credit-risk", version=version, now=NOW,
                store_path="demo.duckdb",
            )  # fmt: skip
            name = report_stem("credit-risk", version, AS_OF) + ".html"
            assert files[name] == render_html(alone), name
            # the row's gate decision is the linked report's decision
            row = next(r for r in portfolio(store).versions if r.version == version)
            assert row.gate == alone.decision
    assert sorted(files) == [
        "credit-risk-v1-2026-12-03.html",
        "credit-risk-v2-2026-12-03.html",
        "credit-risk-v3-2026-12-03.html",
        "portfolio-2026-12-03.html",
    ]


def test_progress_one_step_per_version(store: Path) -> None:
    steps: list[tuple[str, int, int]] = []
    with Store.open(store, read_only=True) as opened:
        portfolio_files(
            opened, load([demo_policies()]), now=NOW, store_path="demo.duckdb",
            formats=("json", "html"), progress=lambda *step: steps.append(step),
        )  # fmt: skip
    evaluated = [s for s in steps if s[0].startswith("evaluated ")]
    reports = [s for s in steps if s[0].startswith("model report ")]
    assert [(done, total) for _, done, total in evaluated] == [(1, 3), (2, 3), (3, 3)]
    assert [(done, total) for _, done, total in reports] == [(1, 3), (2, 3), (3, 3)]
    assert reports[0][0] == "model report credit-risk v1"


def test_a_model_no_policy_covers(store: Path) -> None:
    """--model of a model no policy names: nothing judged, the version listed apart."""
    ctx = portfolio(store, model="churn-model")
    assert not ctx.versions and [r.model for r in ctx.out_of_scope] == ["churn-model"]
    assert ctx.executive_summary == (
        "As of 2026-12-03, no model version in the store is in scope of a policy.",
        "1 version of 1 model in the store is in scope of no policy and was not judged at all "
        "(listed at the end of the portfolio).",
    )
    assert "No model version in the store is in scope of a policy." in render_portfolio_html(ctx)


# --- decide: each decision and their precedence ----------------------------------------------


def _finding(rule: str, status: Status, severity: Severity = Severity.block) -> Finding:
    return Finding(rule, "metric", severity, status, "m", "1", f"{rule} {status.value}")


@pytest.mark.parametrize(
    ("statuses", "newest_days", "expected"),
    [
        ([Status.passed], None, "pass"),
        ([Status.passed, Status.waived], None, "waived"),
        ([Status.waived, Status.not_evaluated], None, "not_evaluated"),
        ([Status.passed], 91, "stale"),
        ([Status.passed], 89, "pass"),
        ([Status.not_evaluated], 91, "stale"),
        ([Status.failed, Status.passed], 91, "fail"),
        ([Status.failed], None, "fail"),
    ],
)
def test_decide(statuses: list[Status], newest_days: int | None, expected: str) -> None:
    findings = [_finding(f"r{i}", s) for i, s in enumerate(statuses)]
    newest = NOW - timedelta(days=newest_days) if newest_days is not None else None
    decision, reason, stale = decide(
        findings, fail_on=Severity.block, newest_evidence=newest, now=NOW,
        stale_after=timedelta(days=90),
    )  # fmt: skip
    assert decision == expected, reason
    assert bool(stale) == (newest_days is not None and newest_days > 90)


def test_decide_ignores_failures_below_the_bar() -> None:
    findings = [_finding("a", Status.failed, Severity.warn), _finding("b", Status.passed)]
    decision, reason, _ = decide(
        findings, fail_on=Severity.block, newest_evidence=None, now=NOW,
        stale_after=timedelta(days=90),
    )  # fmt: skip
    assert decision == "pass", reason
    decision, _, _ = decide(
        findings, fail_on=Severity.warn, newest_evidence=None, now=NOW,
        stale_after=timedelta(days=90),
    )  # fmt: skip
    assert decision == "fail"


def _monitoring(ok: bool, age_days: float) -> Finding:
    """A failed freshness-bound monitoring finding whose report is ``age_days`` old."""
    report = StoredReport(
        report_id="r1", tool="evidently", tool_version="0.7", kind="report",
        generated_at=None, generated_at_tz=None, ingested_at=datetime(2026, 8, 1),
        path="drift.json", source_sha="0" * 64, model="m", version="1", link="ingest",
        summary={},
    )  # fmt: skip
    evidence = MonitoringEvidence(
        report=report,
        as_of=datetime(2026, 12, 3, 12),
        age_seconds=age_days * 86400,
        dated_by="ingested_at",
        verdicts=(ReportVerdict(report, ok, "no drift" if ok else "2 columns drifted"),),
    )
    return Finding(
        "monitor.drift", "monitoring", Severity.block, Status.failed, "m", "1", "stale",
        threshold={"max_age": "30d"}, evidence=evidence,
    )  # fmt: skip


@pytest.mark.parametrize(("ok", "expected"), [(True, "stale"), (False, "fail")])
def test_decide_monitoring_max_age(ok: bool, expected: str) -> None:
    """A report older than max_age is stale evidence; one that also shows failures fails."""
    findings = [_monitoring(ok, 124), _finding("other", Status.passed)]
    decision, reason, stale = decide(
        findings, fail_on=Severity.block, newest_evidence=None, now=NOW,
        stale_after=timedelta(days=365),
    )  # fmt: skip
    assert decision == expected, reason
    assert stale == ("monitor.drift: the latest monitoring report is 124 days old (max_age 30d)",)


# --- PDF and determinism ---------------------------------------------------------------------


def _run_tool(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=120).stdout


@pytest.mark.slow
def test_pdf_text_and_tags(store: Path, tmp_path: Path) -> None:
    ctx = portfolio(store)
    pdf = tmp_path / "portfolio.pdf"
    pdf.write_bytes(render_portfolio(ctx, ("pdf",), now=NOW)["pdf"])  # type: ignore[arg-type]
    assert re.search(r"^Tagged:\s+yes$", _run_tool("pdfinfo", str(pdf)), re.M)
    text = " ".join(_run_tool("pdftotext", str(pdf), "-").split())
    for expected in (
        "Model portfolio",
        "Decisions by model version",
        "credit-risk v1",
        "credit-risk v2",
        "credit-risk v3",
        "FAILED (2)",
        "PASSED (1)",
        "MODEL-vVERSION-2026-12-03.html",
        "Coverage by control across the portfolio",
        "churn-xgboost",
        "page 2 of",
    ):
        assert expected in text, expected


@pytest.mark.slow
def test_deterministic(store: Path) -> None:
    first = render_portfolio(portfolio(store), ("html", "json", "pdf"), now=NOW)
    second = render_portfolio(portfolio(store), ("html", "json", "pdf"), now=NOW)
    assert first == second


# --- the command -----------------------------------------------------------------------------


def _cli(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app,
        ["--db", str(db), "report", "--portfolio", "--policy", str(demo_policies()), *args],
    )
    return result.exit_code, result.output


@pytest.mark.slow
def test_cli_writes_portfolio_and_linked_reports(store: Path, tmp_path: Path) -> None:
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        code, output = _cli(store, "--as-of", AS_OF, "--out", str(out))
        assert code == 0, output
    names = sorted(p.name for p in outs[0].iterdir())
    assert names == [
        "credit-risk-v1-2026-12-03.html",
        "credit-risk-v2-2026-12-03.html",
        "credit-risk-v3-2026-12-03.html",
        "portfolio-2026-12-03.html",
        "portfolio-2026-12-03.json",
    ]
    html = (outs[0] / "portfolio-2026-12-03.html").read_text("utf-8")
    for href in re.findall(r'<a href="([^"#]+)"', html):
        assert (outs[0] / href).is_file(), href
    for name in names:  # same store, policies and date: the same bytes
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
    assert "3 version(s) in scope (2 fail, 1 pass)" in " ".join(output.split())


@pytest.mark.slow
def test_cli_pdfa_embeds_the_portfolio_json(store: Path, tmp_path: Path) -> None:
    code, output = _cli(
        store, "--as-of", AS_OF, "-f", "json,pdf", "--pdf-variant", "pdf/a-3b", "--out",
        str(tmp_path),
    )  # fmt: skip
    assert code == 0, output
    pdf = tmp_path / "portfolio-2026-12-03.pdf"
    assert "portfolio-2026-12-03.json" in _run_tool("pdfdetach", "-list", str(pdf))
    _run_tool("pdfdetach", "-save", "1", "-o", str(tmp_path / "embedded.json"), str(pdf))
    embedded = (tmp_path / "embedded.json").read_bytes()
    assert embedded == (tmp_path / "portfolio-2026-12-03.json").read_bytes()


def test_cli_without_model_reports(store: Path, tmp_path: Path) -> None:
    code, output = _cli(
        store, "--as-of", AS_OF, "--format", "json", "--model", "credit-risk", "--out",
        str(tmp_path),
    )  # fmt: skip
    assert code == 0, output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["portfolio-2026-12-03.json"]
    data = json.loads((tmp_path / "portfolio-2026-12-03.json").read_text("utf-8"))
    assert data["model"] == "credit-risk" and len(data["versions"]) == 3


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--model", "credit-rsk"], "Did you mean credit-risk?"),
        (["--model", "nothing-like-it"], "Known models: "),
        (["--version", "2"], "--portfolio reports every version in scope"),
        (["--stale-after", "soon"], "--stale-after 'soon'"),
        (["--format", "docx"], "unknown report format docx"),
    ],
)
def test_cli_bad_input(store: Path, tmp_path: Path, args: list[str], expected: str) -> None:
    code, output = _cli(store, *args, "--out", str(tmp_path / "out"))
    assert code == 2, output
    assert expected in " ".join(output.split())
    assert not (tmp_path / "out").exists()


def test_cli_unwritable_out(store: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder\n", encoding="utf-8")
    code, output = _cli(store, "--as-of", AS_OF, "--out", str(blocker / "reports"))
    assert code == 2, output
    assert "cannot write" in output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_cli_one_file_fails_nothing_left(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "credit-risk-v3-2026-12-03.html").mkdir()  # a folder where a model report must go
    code, output = _cli(store, "--as-of", AS_OF, "--out", str(out))
    assert code == 2, output
    assert sorted(p.name for p in out.iterdir()) == ["credit-risk-v3-2026-12-03.html"]
