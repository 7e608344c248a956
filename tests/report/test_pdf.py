"""The PDF side of reports: govern.report.pdf and the print section of templates/report.css.

Checked with poppler (pdftotext, pdfinfo, pdfdetach, pdftoppm), never skipped: `make test`
installs poppler-utils first (`make system-deps`). The pages are also saved as PNGs under
tests/report/actual/pdf/ (ignored by git) for a person to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from govern.cli.main import app
from govern.demo import demo_policies
from govern.errors import UsageError
from govern.report.pdf import DEFAULT_PDF_VARIANT, PdfAttachment, render_pdf
from tests.stores import registry_store as build_registry_store

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
ACTUAL = Path(__file__).parent / "actual" / "pdf"
EPOCH = "1767225600"  # 2026-01-01T00:00:00Z
ROWS = 200
EVIDENCE = b'{"schema": "govern.check/v1", "decision": "fail", "findings": []}\n'


def tool(name: str) -> str:
    """The path of a poppler tool; a missing one fails the test (make system-deps installs it)."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found: run `make system-deps` (installs poppler-utils)")
    return path


def run(*args: str | Path) -> str:
    result = subprocess.run(
        [tool(str(args[0])), *map(str, args[1:])],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout


def sample_html(extra_head: str = "", extra_body: str = "") -> str:
    """A report-shaped document: cover, TOC, headings, a 200-row table, the real stylesheet."""
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    rows = "\n".join(
        f"<tr><td>fairness.rule-{i:03d}</td><td>{'fail' if i % 7 == 0 else 'pass'}</td>"
        f"<td>{i / 1000:.3f}</td><td>group {escape(chr(65 + i % 26))}</td></tr>"
        for i in range(ROWS)
    )
    sections = [
        ("summary", "Executive summary", "<p>The decision is <strong>FAIL</strong>.</p>"),
        (
            "findings",
            "Findings by severity",
            "<table><caption>Every finding</caption><thead><tr><th>Rule</th><th>Status</th>"
            f"<th>Value</th><th>Group</th></tr></thead><tbody>{rows}</tbody></table>",
        ),
        ("limitations", "Limitations", "<p>Evidence mapped to controls, not compliance.</p>"),
        ("appendix", "Appendix", "<p><code>sha256:" + "ab" * 32 + "</code></p>"),
    ]
    toc = "".join(f'<li><a href="#{sid}">{title}</a></li>' for sid, title, _ in sections)
    body = "".join(
        f'<section id="{sid}"><h2>{title}</h2>{content}</section>'
        for sid, title, content in sections
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Audit report: credit-risk version 2</title>"
        f"<style>{css}</style>{extra_head}</head><body>"
        '<section class="cover"><h1>Audit report</h1>'
        '<p>Model <span class="running-model">credit-risk</span>, '
        'version <span class="running-version">2</span></p>'
        f'<nav class="toc" aria-label="Contents"><h2>Contents</h2><ol>{toc}</ol></nav>'
        f"</section>{body}{extra_body}</body></html>"
    )


@pytest.fixture(autouse=True)
def _epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """The sample rendered once per variant (each render takes about a second)."""
    folder = tmp_path_factory.mktemp("pdf")
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        html = sample_html()
        out["ua"] = folder / "report.pdf"
        out["ua"].write_bytes(render_pdf(html))
        out["a3b"] = folder / "report-a3b.pdf"
        out["a3b"].write_bytes(
            render_pdf(
                html,
                variant="pdf/a-3b",
                attachments=[PdfAttachment("evidence.json", EVIDENCE, "the evidence JSON")],
            )
        )
    yield out


def pages(pdf: Path) -> int:
    match = re.search(r"^Pages:\s+(\d+)$", run("pdfinfo", pdf), re.M)
    assert match
    return int(match[1])


def page_text(pdf: Path, page: int) -> str:
    return run("pdftotext", "-layout", "-f", str(page), "-l", str(page), pdf, "-")


def test_text_holds_title_and_table_values(rendered: dict[str, Path]) -> None:
    text = run("pdftotext", rendered["ua"], "-")
    assert "Audit report" in text
    assert "credit-risk" in text
    assert "fairness.rule-000" in text
    assert f"fairness.rule-{ROWS - 1:03d}" in text
    assert "0.199" in text


def test_default_variant_is_tagged_pdf_ua(rendered: dict[str, Path]) -> None:
    assert DEFAULT_PDF_VARIANT == "pdf/ua-1"
    info = run("pdfinfo", rendered["ua"])
    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    assert re.search(r"^Title:\s+Audit report: credit-risk version 2$", info, re.M)
    meta = run("pdfinfo", "-meta", rendered["ua"])
    assert "pdfuaid:part" in meta


def test_pdfa_3b_carries_the_evidence_json(rendered: dict[str, Path], tmp_path: Path) -> None:
    pdf = rendered["a3b"]
    listing = run("pdfdetach", "-list", pdf)
    assert "1 embedded files" in listing
    assert "evidence.json" in listing
    run("pdfdetach", "-save", "1", "-o", tmp_path / "out.json", pdf)
    assert (tmp_path / "out.json").read_bytes() == EVIDENCE
    meta = run("pdfinfo", "-meta", pdf)
    assert re.search(r'pdfaid:part[>="]+3', meta)
    assert re.search(r'pdfaid:conformance[>="]+B', meta)
    assert re.search(r"^Tagged:\s+yes$", run("pdfinfo", pdf), re.M)
    # the default variant embeds nothing
    assert "0 embedded files" in run("pdfdetach", "-list", rendered["ua"])


def test_dates_come_from_source_date_epoch(rendered: dict[str, Path]) -> None:
    info = run("pdfinfo", "-isodates", rendered["ua"])
    assert re.search(r"^CreationDate:\s+2026-01-01T00:00:00", info, re.M)
    assert re.search(r"^ModDate:\s+2026-01-01T00:00:00", info, re.M)


def test_page_numbers_running_header_and_repeated_table_header(
    rendered: dict[str, Path],
) -> None:
    pdf = rendered["ua"]
    total = pages(pdf)
    assert total >= 4, "200 rows should cross several pages"
    cover = page_text(pdf, 1)
    assert f"page 1 of {total}" in cover
    assert "version 2" not in cover.splitlines()[0], "no running header on the cover"
    table_pages = 0
    for n in range(2, total + 1):
        text = page_text(pdf, n)
        assert f"page {n} of {total}" in text
        assert re.search(r"credit-risk\s+·\s+version 2", text), f"running header on page {n}"
        if re.search(r"fairness\.rule-\d{3}", text):
            table_pages += 1
            # the header row is repeated on every page the table crosses
            assert re.search(r"Rule\s+Status\s+Value\s+Group", text), f"thead on page {n}"
    assert table_pages >= 3


def test_table_of_contents_has_the_page_numbers(rendered: dict[str, Path]) -> None:
    pdf = rendered["ua"]
    toc = page_text(pdf, 1)
    starts = {}
    for n in range(2, pages(pdf) + 1):
        for title in ("Executive summary", "Limitations", "Appendix"):
            if title not in starts and re.search(rf"^\s*{title}\s*$", page_text(pdf, n), re.M):
                starts[title] = n
    assert len(starts) == 3
    for title, page in starts.items():
        assert re.search(rf"{title}[ .]*\.\s*{page}\s*$", toc, re.M), (title, page, toc)


def _render_in_subprocess(html_file: Path, out: Path, hash_seed: str) -> bytes:
    code = (
        "import sys; from pathlib import Path; from govern.report.pdf import render_pdf;"
        "Path(sys.argv[2]).write_bytes(render_pdf(Path(sys.argv[1]).read_text(),"
        " variant=sys.argv[3]))"
    )
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "PYTHONHASHSEED": hash_seed}
    subprocess.run(
        [sys.executable, "-c", code, str(html_file), str(out), "pdf/ua-1"],
        env=env,
        check=True,
        timeout=120,
    )
    return out.read_bytes()


@pytest.mark.slow
def test_two_renders_are_byte_identical(rendered: dict[str, Path], tmp_path: Path) -> None:
    html_file = tmp_path / "report.html"
    html_file.write_text(sample_html(), encoding="utf-8")
    # fresh interpreters with different hash seeds: no set or dict order leaks into the bytes
    first = _render_in_subprocess(html_file, tmp_path / "a.pdf", "1")
    second = _render_in_subprocess(html_file, tmp_path / "b.pdf", "2")
    assert first == second
    assert first == rendered["ua"].read_bytes()


def test_pdfa_with_attachment_is_byte_identical() -> None:
    html = sample_html()
    attachment = [PdfAttachment("evidence.json", EVIDENCE)]
    first = render_pdf(html, variant="pdf/a-3b", attachments=attachment)
    second = render_pdf(html, variant="pdf/a-3b", attachments=attachment)
    assert first == second


class _NetworkUsed(AssertionError):
    pass


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record (and refuse) every attempt to resolve a name or open a socket."""
    attempts: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(repr(args[:2]))
        raise _NetworkUsed(f"network access: {args[:2]!r}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


def test_remote_resources_are_never_fetched(no_network: list[str], tmp_path: Path) -> None:
    html = sample_html(
        extra_head=(
            '<link rel="stylesheet" href="http://example.com/x.css">'
            "<style>@import url(https://example.com/y.css);"
            '@font-face { font-family: Remote; src: url("https://example.com/f.woff2"); }'
            "</style>"
        ),
        extra_body=(
            '<p>Logo <img src="http://example.com/x.png" alt="logo"> after the image.</p>'
            '<p><a rel="attachment" href="ftp://example.com/z.bin">z</a></p>'
        ),
    )
    pdf = tmp_path / "remote.pdf"
    pdf.write_bytes(render_pdf(html))
    assert no_network == []
    text = run("pdftotext", pdf, "-")
    assert "after the image." in text
    assert "fairness.rule-199" in text
    assert "0 embedded files" in run("pdfdetach", "-list", pdf)


def test_files_outside_the_templates_folder_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "templates"
    root.mkdir()
    (root / "inside.txt").write_text("inside", encoding="utf-8")
    secret = tmp_path / "secret.txt"
    secret.write_text("secret", encoding="utf-8")
    (root / "link.txt").symlink_to(secret)
    html = sample_html(
        extra_body=(
            '<p><a rel="attachment" href="inside.txt">inside</a></p>'
            '<p><a rel="attachment" href="link.txt">through a link</a></p>'
            f'<p><a rel="attachment" href="{secret.as_uri()}">absolute</a></p>'
            '<p><a rel="attachment" href="../secret.txt">relative</a></p>'
        )
    )
    pdf = tmp_path / "files.pdf"
    pdf.write_bytes(render_pdf(html, base_url=root))
    listing = run("pdfdetach", "-list", pdf)
    assert "1 embedded files" in listing
    assert "inside.txt" in listing
    # without a base folder no file at all is read
    pdf.write_bytes(render_pdf(html))
    assert "0 embedded files" in run("pdfdetach", "-list", pdf)


def test_unknown_variant_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="pdf/x-4") as caught:
        render_pdf("<p>x</p>", variant="pdf/x-4")
    assert "pdf/ua-1, pdf/a-3b" in caught.value.diagnostics()


def test_bad_source_date_epoch_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(UsageError, match="SOURCE_DATE_EPOCH"):
        render_pdf("<p>x</p>")


def test_weasyprint_is_imported_on_first_render_only() -> None:
    code = (
        "import sys, govern.report.pdf as p; assert 'weasyprint' not in sys.modules;"
        "p.render_pdf('<p>x</p>'); assert 'weasyprint' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_pages_render_to_png(rendered: dict[str, Path]) -> None:
    """Every page rasterises (saved under tests/report/actual/pdf/ for a person to look at)."""
    ACTUAL.mkdir(parents=True, exist_ok=True)
    for old in ACTUAL.glob("page-*.png"):
        old.unlink()
    shutil.copyfile(rendered["ua"], ACTUAL / "report.pdf")
    run("pdftoppm", "-png", "-r", "60", rendered["ua"], ACTUAL / "page")
    pngs = sorted(ACTUAL.glob("page-*.png"))
    assert len(pngs) == pages(rendered["ua"])
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)


def test_created_sets_the_dates_without_source_date_epoch(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    when = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    attachment = [PdfAttachment("evidence.json", EVIDENCE)]
    html = "<html lang=en><title>t</title><p>x</p></html>"
    first = render_pdf(html, variant="pdf/a-3b", attachments=attachment, created=when)
    assert first == render_pdf(html, variant="pdf/a-3b", attachments=attachment, created=when)
    pdf = tmp_path / "c.pdf"
    pdf.write_bytes(first)
    assert re.search(
        r"^CreationDate:\s+2026-12-03T12:00:00", run("pdfinfo", "-isodates", pdf), re.M
    )


# --- govern report --format pdf ---------------------------------------------------------------


@pytest.fixture(scope="module")
def registry_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the demo's registry exports (no prediction logs: about a second)."""
    db = tmp_path_factory.mktemp("pdf-store") / "govern.duckdb"
    return build_registry_store(db, now=datetime(2026, 12, 1, tzinfo=UTC))


def _report(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app,
        ["--db", str(db), "report", "--policy", str(demo_policies()), "-m", "credit-risk",
         "--version", "2", "--as-of", "2026-12-03", *args],
    )  # fmt: skip
    return result.exit_code, result.output


def test_cli_writes_a_tagged_pdf(registry_store: Path, tmp_path: Path) -> None:
    code, output = _report(registry_store, "--format", "html,pdf", "--out", str(tmp_path))
    assert code == 0, output
    pdf = tmp_path / "credit-risk-v2-2026-12-03.pdf"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "credit-risk-v2-2026-12-03.html",
        pdf.name,
    ]
    assert f"wrote {pdf}" in output.replace("\n", "")
    assert re.search(r"^Tagged:\s+yes$", run("pdfinfo", pdf), re.M)
    text = run("pdftotext", pdf, "-")
    assert "credit-risk" in text
    assert "Decision" in text


def test_cli_pdfa_embeds_the_json_it_writes(registry_store: Path, tmp_path: Path) -> None:
    args = ("--format", "json,pdf", "--pdf-variant", "pdf/a-3b")
    for name in ("a", "b"):
        code, output = _report(registry_store, *args, "--out", str(tmp_path / name))
        assert code == 0, output
    pdf = tmp_path / "a" / "credit-risk-v2-2026-12-03.pdf"
    assert pdf.read_bytes() == (tmp_path / "b" / pdf.name).read_bytes()
    assert "credit-risk-v2-2026-12-03.json" in run("pdfdetach", "-list", pdf)
    run("pdfdetach", "-save", "1", "-o", tmp_path / "embedded.json", pdf)
    written = tmp_path / "a" / "credit-risk-v2-2026-12-03.json"
    assert (tmp_path / "embedded.json").read_bytes() == written.read_bytes()


def test_cli_unknown_pdf_variant(registry_store: Path, tmp_path: Path) -> None:
    code, output = _report(
        registry_store, "-f", "pdf", "--pdf-variant", "pdf/x-4", "--out", str(tmp_path / "o")
    )
    assert code == 2, output
    assert "pdf/ua-1, pdf/a-3b" in output
    assert not (tmp_path / "o").exists()


def test_cli_pdf_that_cannot_be_written_leaves_nothing(
    registry_store: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "credit-risk-v2-2026-12-03.pdf").mkdir()  # a folder where the PDF must go
    code, output = _report(registry_store, "-f", "html,json,pdf", "--out", str(out))
    assert code == 2, output
    assert "cannot write" in output
    assert sorted(p.name for p in out.iterdir()) == ["credit-risk-v2-2026-12-03.pdf"]
    assert list((out / "credit-risk-v2-2026-12-03.pdf").iterdir()) == []
