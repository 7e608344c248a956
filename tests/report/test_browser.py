"""Every kind of report HTML opened in a real headless Chromium: no errors, no network.

Debian's ``chromium`` (``/usr/bin/chromium``, installed by ``make system-deps``) is driven by
Playwright's Python package with ``executable_path`` (Playwright's own browser download is never
used). Each page must load with no console error, no page error and no request other than
the file itself (every other request is recorded and refused). A full-page screenshot of each
is saved to ``tests/report/actual/`` (ignored by git) to look at.

A missing Chromium fails the test: the browser check is part of the test suite, not optional.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Request, Route, sync_playwright
from typer.testing import CliRunner

from govern.cli.main import app
from govern.demo import demo_policies
from tests.stores import demo_store

HERE = Path(__file__).parent
SHOTS = HERE / "actual" / "browser"
INGESTED = datetime(2026, 12, 1, tzinfo=UTC)
CHROMIUM = os.environ.get("GOVERN_CHROMIUM", "/usr/bin/chromium")

LL144_POLICY = """\
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

pytestmark = pytest.mark.slow


def _govern(db: Path, *args: str) -> None:
    result = CliRunner().invoke(app, ["--db", str(db), *args])
    assert result.exit_code in (0, 1), result.output


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The HTML of every report kind govern writes, rendered from the demo store."""
    folder = tmp_path_factory.mktemp("browser")
    db = demo_store(folder / "demo.duckdb", now=INGESTED)
    policy = folder / "aedt.yaml"
    policy.write_text(LL144_POLICY, encoding="utf-8")
    out = folder / "reports"
    common = ["--as-of", "2026-12-03", "--format", "html", "--out", str(out)]
    _govern(db, "report", "-m", "credit-risk", "--version", "2", "--policy",
            str(demo_policies()), "--policy", str(policy), *common)  # fmt: skip
    _govern(db, "report", "-m", "credit-risk", "--from", "2026-06", "--to", "2026-11",
            "--policy", str(demo_policies()), *common)  # fmt: skip
    if "--portfolio" in CliRunner().invoke(app, ["report", "--help"]).output:
        _govern(db, "report", "--portfolio", "--policy", str(demo_policies()), *common)
    return sorted(out.glob("*.html"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: the browser test needs it. "
            "Install it with `make system-deps` (Debian package chromium) or set GOVERN_CHROMIUM."
        )
    with sync_playwright() as p:
        # root in a container has no user namespace for Chromium's sandbox
        args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        try:
            yield launched
        finally:
            launched.close()


def test_every_report_kind_is_rendered(pages: list[Path]) -> None:
    names = [p.name for p in pages]
    assert "credit-risk-v2-2026-12-03.html" in names
    assert "credit-risk-v2-ll144-2026-12-03.html" in names
    assert "credit-risk-review-2026-06-2026-11.html" in names


@dataclass
class Visit:
    """What a page did in the browser: errors, requests, and what it shows."""

    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    title: str = ""
    svgs: int = 0
    tables: int = 0


def visit(browser: Browser, page_file: Path, shot: Path) -> Visit:
    """Open a file in a fresh context, refuse every other request, save a full-page screenshot."""
    url = page_file.as_uri()
    seen = Visit()
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    try:
        page = context.new_page()
        page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: seen.errors.append(str(exc)))

        def only_the_file(route: Route, request: Request) -> None:
            seen.requests.append(request.url)
            if request.url == url:
                route.continue_()
            else:
                route.abort()

        context.route("**/*", only_the_file)
        response = page.goto(url, wait_until="load")
        assert response is not None and response.ok, page_file.name
        page.screenshot(path=str(shot), full_page=True)
        seen.title = page.title()
        seen.svgs = page.locator("svg").count()
        seen.tables = page.locator("table").count()
    finally:
        context.close()
    return seen


def test_reports_render_offline_without_errors(browser: Browser, pages: list[Path]) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for page_file in pages:
        shot = SHOTS / f"{page_file.stem}.png"
        seen = visit(browser, page_file, shot)
        assert seen.errors == [], f"{page_file.name}: {seen.errors}"
        assert seen.requests == [page_file.as_uri()], f"{page_file.name}: {seen.requests}"
        assert seen.title and seen.tables > 0, page_file.name
        if "review" in page_file.name:
            assert seen.svgs >= 2, "the review report draws its trend charts"
        assert shot.stat().st_size > 10_000, f"{shot} looks empty"
