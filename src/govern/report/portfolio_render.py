"""Rendering the portfolio report: its HTML, its ``govern.portfolio/v1`` JSON and its PDF.

The same :class:`~govern.report.portfolio_types.PortfolioContext` gives the same bytes. Split
out of :mod:`govern.report.portfolio`, which re-exports the public names.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from govern.report.portfolio_types import (
    DECISION_LABELS,
    DECISIONS,
    PortfolioContext,
    portfolio_stem,
)

__all__ = [
    "PORTFOLIO_TEMPLATE",
    "render_portfolio",
    "render_portfolio_html",
    "render_portfolio_json",
]


def render_portfolio_json(context: PortfolioContext) -> str:
    """The ``govern.portfolio/v1`` JSON: sorted keys, indented, one trailing newline."""
    return json.dumps(context.to_json(), indent=2, sort_keys=True, ensure_ascii=False,
                      allow_nan=False) + "\n"  # fmt: skip


def render_portfolio_html(context: PortfolioContext, *, links: bool = True) -> str:
    """The portfolio as one self-contained HTML document (same context, same bytes).

    ``links``: each row links (relative ``href``) to the version's model report; the PDF's
    HTML names the files instead (a PDF's relative link would not resolve beside it).
    """
    from markupsafe import Markup

    from govern.report.html import STYLESHEET, RenderError, templates_dir

    env = _environment()
    css = (templates_dir() / STYLESHEET).read_text(encoding="utf-8")
    if "</" in css:
        raise RenderError(f"{STYLESHEET} must not contain '</' (it is inlined in <style>).")
    return str(
        env.get_template(PORTFOLIO_TEMPLATE).render(
            c=context,
            css=Markup(css),
            links=links,
            labels=DECISION_LABELS,
            order=DECISIONS,
        )
    )


PORTFOLIO_TEMPLATE = "portfolio.html"


def _environment() -> Any:
    """The Jinja2 environment of the templates folder (autoescape on, strict undefined)."""
    from govern.report.html import template_environment

    env = template_environment(PORTFOLIO_TEMPLATE, "portfolio")
    env.filters["decision_label"] = lambda d: DECISION_LABELS.get(d, d)
    env.filters["group_label"] = lambda g: _GROUPS.get(g, g)
    return env


_GROUPS = {
    "evaluated-pass": "pass",
    "evaluated-fail": "fail",
    "waived": "waived",
    "not-evaluated": "not evaluated",
}


def render_portfolio(
    context: PortfolioContext,
    formats: Sequence[str],
    *,
    now: datetime,
    pdf_variant: str = "pdf/ua-1",
) -> dict[str, str | bytes]:
    """The portfolio in each of ``formats`` (``html``, ``json``: text; ``pdf``: bytes).

    A PDF/A-3b carries the portfolio JSON, byte for byte the ``.json`` file.
    """
    from govern.report.html import templates_dir

    out: dict[str, str | bytes] = {}
    for fmt in ("html", "json", "pdf"):
        if fmt not in formats:
            continue
        if fmt == "html":
            out[fmt] = render_portfolio_html(context)
        elif fmt == "json":
            out[fmt] = render_portfolio_json(context)
        else:
            from govern.report.pdf import PdfAttachment, render_pdf

            attachments = []
            if pdf_variant == "pdf/a-3b":
                evidence = render_portfolio_json(context).encode("utf-8")
                attachments.append(
                    PdfAttachment(
                        f"{portfolio_stem(context.as_of)}.json", evidence, "the portfolio JSON"
                    )
                )
            out[fmt] = render_pdf(
                render_portfolio_html(context, links=False),
                variant=pdf_variant,
                attachments=attachments,
                base_url=templates_dir(),
                created=now,
            )
    unknown = sorted(set(formats) - set(out))
    if unknown:
        raise ValueError(f"unknown report format {unknown[0]!r}")
    return out
