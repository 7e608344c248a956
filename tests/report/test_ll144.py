"""The one-page LL144 bias-audit summary: golden HTML and JSON, one tagged PDF page, the CLI.

A policy with an ``ll144:`` fairness rule is applied to the demo's credit-risk logs (they hold
sex and race); the demo policies have none, so their report writes no summary.
"""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govern.cli.main import app
from govern.demo import demo_policies
from govern.policy.loader import load
from govern.report.context import Tool, build_context
from govern.report.ll144 import (
    LL144Summary,
    build_ll144_summary,
    ll144_stem,
    render_ll144_formats,
    render_ll144_html,
    render_ll144_json,
)
from govern.report.review_report import stylesheet
from govern.store.store import Store
from tests.golden import assert_golden
from tests.stores import demo_store

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
INGESTED = datetime(2026, 12, 1, tzinfo=UTC)

POLICY = """\
apiVersion: govern/v1
kind: Policy
metadata: {id: aedt-bias-audit, version: 1}
scope: {models: ["credit-*"]}
rules:
  - id: ll144.table
    check: fairness
    severity: info
    metric: impact_ratio
    sensitive: [sex, race]
    min: 0.8
    ll144: {sex: sex, race: race}
"""


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_store(tmp_path_factory.mktemp("ll144") / "demo.duckdb", now=INGESTED)


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ll144-policy") / "aedt.yaml"
    path.write_text(POLICY, encoding="utf-8")
    return path


def scrub(text: str) -> str:
    return text.replace(str(ROOT.resolve()), "<root>")


@pytest.fixture(scope="module")
def summary(db: Path, policy: Path) -> LL144Summary:
    with Store.open(db, read_only=True) as store:
        ctx = build_context(
            store, load([policy]), model="credit-risk", version="2", now=NOW, store_path="x"
        )
    made = build_ll144_summary(replace(ctx, tools=(Tool("govern", "0.0.0-test"),)))
    assert made is not None
    return made


def test_golden_html(summary: LL144Summary) -> None:
    # the JSON names the logs by absolute path, so its digest depends on the checkout
    digest = hashlib.sha256(render_ll144_json(summary).encode("utf-8")).hexdigest()
    html = render_ll144_html(summary).replace(digest, "<json-sha256>")
    # the stylesheet is inlined; other report kinds add to it, so the golden holds its name
    html = html.replace(stylesheet(), "/* report.css */\n")
    assert_golden(HERE, "credit-risk-v2-ll144-2026-12-03.html", scrub(html))


def test_golden_json(summary: LL144Summary) -> None:
    assert_golden(HERE, "credit-risk-v2-ll144-2026-12-03.json", scrub(render_ll144_json(summary)))


def test_content(summary: LL144Summary) -> None:
    assert ll144_stem(summary) == "credit-risk-v2-ll144-2026-12-03"
    (rule,) = summary.rules
    assert [t.dimension for t in rule.tables] == ["sex", "race", "sex × race"]
    assert (summary.first, summary.last) == ("2026-06-01", "2026-11-30")
    # the demo's one category under 2 % of the data is listed, with its count and rate
    (excluded,) = rule.excluded
    assert excluded[:3] == ("sex × race", "female×hispanic", 835)
    assert excluded[3] == pytest.approx(0.922, abs=1e-3)
    html = render_ll144_html(summary)
    for text in ("Independent auditor", "Distribution date of the AEDT", "excluded*",
                 "2026-06-01 to 2026-11-30", "60,327 records", "no record of unknown category",
                 "0.748"):  # fmt: skip
        assert text in html, text
    assert "<script" not in html and "https://" not in html


def test_pdf_is_one_tagged_page(summary: LL144Summary, tmp_path: Path) -> None:
    files = render_ll144_formats(summary, ("html", "pdf"), now=NOW)
    pdf = tmp_path / "ll144.pdf"
    pdf.write_bytes(files["pdf"])  # type: ignore[arg-type]
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert "Tagged:          yes" in info.stdout
    assert "Pages:           1\n" in info.stdout
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for needle in ("Bias audit summary", "credit-risk", "female", "hispanic", "0.748", "12,473"):
        assert needle in text, needle
    again = render_ll144_formats(summary, ("pdf",), now=NOW)["pdf"]
    assert again == files["pdf"]


def _report(db: Path, policy: Path, out: Path) -> tuple[int, str]:
    result = CliRunner().invoke(
        app,
        ["--db", str(db), "report", "-m", "credit-risk", "--version", "2", "--policy",
         str(policy), "--as-of", "2026-12-03", "-f", "html,json", "--out", str(out)],
    )  # fmt: skip
    return result.exit_code, result.output


def test_cli_writes_summary_beside_report(db: Path, policy: Path, tmp_path: Path) -> None:
    code, output = _report(db, policy, tmp_path / "with")
    assert code == 0, output
    assert sorted(p.name for p in (tmp_path / "with").iterdir()) == [
        "credit-risk-v2-2026-12-03.html",
        "credit-risk-v2-2026-12-03.json",
        "credit-risk-v2-ll144-2026-12-03.html",
        "credit-risk-v2-ll144-2026-12-03.json",
    ]
    code, output = _report(db, demo_policies(), tmp_path / "without")
    assert code == 0, output
    assert not any("ll144" in p.name for p in (tmp_path / "without").iterdir())
