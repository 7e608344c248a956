"""The periodic review report: golden HTML and JSON, PDF text, determinism, bad input.

The review is of the demo's credit-risk logs (June to November 2026) with the demo policies;
December is asked for too, so the last window has no data and the report must say so. Goldens
are scrubbed of the checkout's location and the installed library versions (see
``tests/golden.py``; ``GOVERN_UPDATE_GOLDEN=1`` rewrites them).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govern.cli.main import app
from govern.demo import demo_policies
from govern.policy.loader import load
from govern.report.charts import TrendInput, trend_lines
from govern.report.context import Tool
from govern.report.review_report import (
    ReviewReport,
    build_review_report,
    render_review_html,
    render_review_json,
    review_json_sha256,
    review_report_stem,
    stylesheet,
)
from govern.review import ReviewOptions, review
from govern.store.store import Store
from govern.windows import parse_bound
from tests.golden import assert_golden
from tests.stores import demo_store

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
INGESTED = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store: registry exports and the credit-risk prediction logs."""
    return demo_store(tmp_path_factory.mktemp("review-report") / "demo.duckdb", now=INGESTED)


def scrub(text: str) -> str:
    """Replace the repository's location with ``<root>``."""
    return text.replace(str(ROOT.resolve()), "<root>")


def build(db: Path, *, start: str = "2026-06", end: str = "2026-12") -> ReviewReport:
    """The review report of the demo logs with the machine-specific parts fixed."""
    options = ReviewOptions(
        model="credit-risk",
        start=parse_bound(start, end=False),
        end=parse_bound(end, end=True),
        policies=load([demo_policies()]),
    )
    with Store.open(db, read_only=True) as store:
        result = review(store, options, now=NOW)
        report = build_review_report(store, result, now=NOW, store_path="demo.duckdb")
    return replace(report, tools=tuple(Tool(t.name, "0.0.0-test") for t in report.tools))


@pytest.fixture(scope="module")
def report(db: Path) -> ReviewReport:
    return build(db)


# --- golden files ----------------------------------------------------------------------------


def test_golden_html(report: ReviewReport) -> None:
    digest = review_json_sha256(report)
    html = render_review_html(report).replace(digest, "<json-sha256>")
    html = html.replace(digest[:16], "<json>")
    # the stylesheet is inlined; other report kinds add to it, so the golden holds its name
    html = html.replace(stylesheet(), "/* report.css */\n")
    assert_golden(HERE, "credit-risk-review-2026-06-2026-12.html", scrub(html))


def test_golden_json(report: ReviewReport) -> None:
    assert_golden(
        HERE, "credit-risk-review-2026-06-2026-12.json", scrub(render_review_json(report))
    )


def test_content(report: ReviewReport) -> None:
    data = json.loads(render_review_json(report))
    assert data["schema"] == "govern.review-report/v1"
    assert data["review"]["schema"] == "govern.review/v1"
    assert (data["from"], data["to"], data["decision"]) == ("2026-06", "2026-12", "regression")
    assert review_report_stem(report) == "credit-risk-review-2026-06-2026-12"
    # every metric the review computes has a column, every regression a row
    metrics = data["review"]["params"]["metrics"]
    assert [m.name for m in report.metrics] == metrics and len(metrics) == 6
    assert len(report.regressions) == len(data["review"]["regressions"]) > 0
    assert [f.feature for f in report.features] == ["race", "sex", "race×sex"]
    html = render_review_html(report)
    for m in report.metrics:
        assert f'<th scope="col" class="num">{m.label}</th>' in html
    # the digests of the logs and the policy are in the appendix
    assert {i.role for i in report.inputs} == {"current", "reference"}
    for i in report.inputs:
        assert i.sha256 in html
    assert report.policies[0].sha256 in html and "credit-production v5" in html
    # the trend charts: accessible, black-and-white (dash patterns), each with a data table
    assert html.count("<svg") == html.count('<desc id="chart-trend-') == 6
    assert html.count('class="chart-data small"') == 6
    assert 'stroke-dasharray="7 3"' in html
    # self-contained: no script, no link outside the document
    assert "<script" not in html and "https://" not in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_window_without_data(report: ReviewReport) -> None:
    december = report.windows[-1]
    assert (december.label, december.evaluated, december.rows) == ("2026-12", False, 0)
    html = render_review_html(report)
    assert '<span class="tag tag-not_evaluated">no data</span>' in html
    assert "No evaluation for 2026-12" in " ".join(report.summary)
    for f in report.features:
        assert f.rows[-1].status == "not_evaluated"


def test_autoescape(report: ReviewReport) -> None:
    html = render_review_html(replace(report, model="<script>x</script>"))
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html


def test_trend_lines_break_at_gaps() -> None:
    chart = trend_lines(
        "c",
        title="t",
        subject="s",
        axis="a",
        windows=("2026-01", "2026-02", "2026-03"),
        series=(TrendInput("DP diff", (0.1, None, 0.3), (False, False, True)),),
        bounds=((0.2, "DP diff max 0.2", "rule.x"),),
    )
    assert chart is not None
    (series,) = chart.series
    assert series.path.count("M") == 2 and "L" not in series.path  # two lone points, no line
    assert [p.flagged for p in series.points] == [False, True]
    assert chart.rows[1].cells == ("2026-02", "—")
    assert chart.rows[2].cells == ("2026-03", "0.300 (flagged)")
    assert len(chart.lines) == 1 and "max 0.2" in chart.desc
    nothing = TrendInput("x", (None, None, None), (False, False, False))
    assert trend_lines("c", title="t", subject="s", axis="a", windows=("a", "b", "c"),
                       series=(nothing,)) is None  # fmt: skip


# --- the commands ----------------------------------------------------------------------------


def _run(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--db", str(db), *args])
    return result.exit_code, result.output


@pytest.mark.slow
def test_cli_writes_deterministic_files_and_pdf(db: Path, tmp_path: Path) -> None:
    args = ["report", "-m", "credit-risk", "--from", "2026-06", "--to", "2026-11",
            "--policy", str(demo_policies()), "--as-of", "2026-12-03",
            "-f", "html,json,pdf"]  # fmt: skip
    for name in ("a", "b"):
        code, output = _run(db, *args, "--out", str(tmp_path / name))
        assert code == 0, output
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    stem = "credit-risk-review-2026-06-2026-11"
    assert names == [f"{stem}.html", f"{stem}.json", f"{stem}.pdf"]
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    pdf = tmp_path / "a" / f"{stem}.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert "Tagged:          yes" in info.stdout
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for needle in ("credit-risk", "Decision: REGRESSION", "Disparities of race per window",
                   "Regressions", "Sign-off", "0.760", "2026-11", "page 2 of"):  # fmt: skip
        assert needle in text, needle


def test_review_command_report(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(NOW.timestamp())))
    copy = tmp_path / "store.duckdb"
    shutil.copyfile(db, copy)
    code, output = _run(
        copy, "review", "credit-risk", "--from", "2026-06", "--to", "2026-11", "--policy",
        str(demo_policies()), "--report", "--report-out", str(tmp_path / "out"),
        "-o", str(tmp_path / "review.txt"),
    )  # fmt: skip
    assert code == 1, output  # regressions are flagged
    stem = "credit-risk-review-2026-06-2026-11"
    data = json.loads((tmp_path / "out" / f"{stem}.json").read_text("utf-8"))
    assert data["generated_at"] == "2026-12-03T12:00:00Z"
    assert data["review"]["compared_to"] is None  # the review is stored after it is made
    assert (tmp_path / "out" / f"{stem}.pdf").read_bytes().startswith(b"%PDF-")
    # the second review compares with the first, stored one
    code, output = _run(copy, "report", "-m", "credit-risk", "--from", "2026-06", "--to",
                        "2026-11", "-f", "json", "--out", str(tmp_path / "again"))  # fmt: skip
    assert code == 0, output
    again = json.loads((tmp_path / "again" / f"{stem}.json").read_text("utf-8"))
    assert again["review"]["compared_to"]["id"] == 1


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-m", "credit-rsk", "--from", "2026-06", "--to", "2026-11"], "Did you mean credit-risk?"),
        (["-m", "credit-risk", "--from", "2026-09", "--to", "2026-06"], "is not before --to"),
        (["-m", "credit-risk", "--from", "2026-06", "--period", "week"], "not a review period"),
        (["-m", "credit-risk", "--from", "June"], "is not a date"),
        (["-m", "credit-risk"], "needs --version"),
    ],
)
def test_cli_bad_input(db: Path, tmp_path: Path, args: list[str], expected: str) -> None:
    code, output = _run(db, "report", *args, "--out", str(tmp_path / "out"))
    assert code == 2, output
    assert expected in output
    assert "Traceback" not in output
    assert not (tmp_path / "out").exists()


def test_no_window_has_data(db: Path) -> None:
    """A review after the logs end: every section says there is nothing, the report renders."""
    empty = build(db, start="2030-01", end="2030-02")
    assert [w.evaluated for w in empty.windows] == [False, False]
    assert empty.features == () and empty.decision == "ok"
    html = render_review_html(empty)
    assert "No sensitive feature could be reviewed" in html
    assert html.count('<span class="tag tag-not_evaluated">no data</span>') == 2
    assert "<svg" not in html
    assert json.loads(render_review_json(empty))["review"]["summary"]["evaluated"] == 0
