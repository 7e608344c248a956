"""Render a report context in the chosen formats.

The one place ``govern report`` and the demo turn a
:class:`~govern.report.context.ReportContext` into file contents.
"""

from __future__ import annotations

from datetime import datetime

from govern.report.context import ReportContext

#: The formats a report is written in, in the order they are rendered (the PDF reuses the HTML).
FORMATS = ("html", "json", "pdf")


def render_formats(
    context: ReportContext,
    formats: tuple[str, ...],
    *,
    stem: str,
    now: datetime,
    pdf_variant: str = "pdf/ua-1",
) -> dict[str, str | bytes]:
    """The report in each of ``formats`` (``html``, ``json``: text; ``pdf``: bytes).

    A PDF/A-3b carries the evidence JSON, byte for byte the ``.json`` file (named ``stem``).
    """
    from govern.report.html import render_html, templates_dir
    from govern.report.json import render_json

    out: dict[str, str | bytes] = {}
    html: str | None = None
    for fmt in sorted(formats, key=FORMATS.index):
        if fmt == "html":
            html = render_html(context)
            out[fmt] = html
        elif fmt == "json":
            out[fmt] = render_json(context)
        elif fmt == "pdf":
            from govern.report.pdf import PdfAttachment, render_pdf

            attachments = []
            if pdf_variant == "pdf/a-3b":
                text = render_json(context)
                evidence = (text if text.endswith("\n") else text + "\n").encode("utf-8")
                attachments.append(
                    PdfAttachment(f"{stem}.json", evidence, "the report's evidence JSON")
                )
            out[fmt] = render_pdf(
                html if html is not None else render_html(context),
                variant=pdf_variant,
                attachments=attachments,
                base_url=templates_dir(),
                created=now,
            )
        else:
            raise ValueError(f"unknown report format {fmt!r}")
    return out
