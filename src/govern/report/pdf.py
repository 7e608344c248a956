"""PDF audit reports: WeasyPrint over the report's HTML.

:func:`render_pdf` takes the HTML that :func:`govern.report.html.render_html` returns and gives
the PDF as bytes; it neither reads the store nor writes a file (the command line writes).

- **Variants.** ``pdf/ua-1`` (the default) is a tagged, accessible PDF (PDF/UA-1: structure
  tree, language, title). ``pdf/a-3b`` is an archival PDF/A-3b that may carry files, e.g. the
  evidence JSON, embedded with an ``AFRelationship``; it is tagged too.
- **Deterministic.** Given the clock (``created``, else ``SOURCE_DATE_EPOCH``), two renders of
  the same HTML give the same bytes, whatever the hash seed: the document dates (when the HTML
  has no ``<meta name="dcterms.created">`` / ``dcterms.modified``) and the attachments' dates
  come from it, never from the system clock; the file identifier is a digest of the content
  (WeasyPrint writes no random identifier for these variants). Without either, attachments
  are dated now.
- **Offline.** WeasyPrint fetches nothing from the network: its URL fetcher accepts only
  ``data:`` URIs and regular files under ``base_url`` (the templates folder), after resolving
  symbolic links. Anything else (``http:``, ``https:``, ``ftp:``, other files) is refused and
  logged by WeasyPrint; the PDF still renders without it. Fonts come from the system through
  fontconfig (Debian: ``fonts-dejavu-core``) and are embedded in the PDF.
- **Lazy.** WeasyPrint (and Pango under it) is imported on the first render only, so
  ``govern --help`` and a gate never load it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit
from urllib.request import url2pathname

from govern.errors import OutputError, UsageError
from govern.report.clock import source_date

#: The variants :func:`render_pdf` makes, the default first.
PDF_VARIANTS: Final = ("pdf/ua-1", "pdf/a-3b")
DEFAULT_PDF_VARIANT: Final = PDF_VARIANTS[0]

_DEBIAN_PACKAGES: Final = "libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core"


@dataclass(frozen=True)
class PdfAttachment:
    """A file embedded in the PDF (e.g. the evidence JSON of a PDF/A-3b report).

    ``relationship`` is the PDF ``AFRelationship`` of the file to the document: ``Data`` for
    data the document's tables and charts are drawn from, ``Source`` for its source.
    """

    name: str
    content: bytes
    description: str | None = None
    relationship: str = "Data"


def render_pdf(
    html: str,
    *,
    variant: str | None = None,
    attachments: Sequence[PdfAttachment] = (),
    base_url: Path | None = None,
    created: datetime | None = None,
) -> bytes:
    """Render the report's HTML to PDF bytes.

    Args:
        html: the whole HTML document (``render_html``'s result), CSS inlined or linked from
            ``base_url``.
        variant: one of :data:`PDF_VARIANTS`; None means :data:`DEFAULT_PDF_VARIANT`.
        attachments: files to embed in the PDF, in this order.
        base_url: the folder relative URLs resolve against (the templates folder). Files under
            it are the only files the renderer may read; None allows ``data:`` URIs only.
        created: the report's clock: the document's dates (where the HTML's
            ``dcterms.created`` / ``dcterms.modified`` meta are missing) and the attachments'.
            None: ``SOURCE_DATE_EPOCH`` when set (then the dates come from it), else now for
            the attachments and no document date.

    Raises:
        UsageError: an unknown variant, or a bad ``SOURCE_DATE_EPOCH``.
        OutputError: WeasyPrint or the system libraries it needs are missing.
    """
    chosen = DEFAULT_PDF_VARIANT if variant is None else variant
    if chosen not in PDF_VARIANTS:
        raise UsageError(
            f"Unknown PDF variant {chosen!r}.",
            hint=f"Choose one of: {', '.join(PDF_VARIANTS)}.",
        )
    when = created.astimezone(UTC) if created is not None else source_date()
    weasyprint = _import_weasyprint()
    root = base_url.resolve() if base_url is not None else None
    fetcher = _local_fetcher(weasyprint, root)
    stamp = when if when is not None else datetime.now(tz=UTC)
    embedded = [
        weasyprint.Attachment(
            string=item.content,
            name=item.name,
            description=item.description,
            relationship=item.relationship,
            created=stamp,
            modified=stamp,
            url_fetcher=fetcher,
        )
        for item in attachments
    ]
    document = weasyprint.HTML(
        string=html,
        base_url=root.as_uri() + "/" if root is not None else None,
        url_fetcher=fetcher,
    ).render(pdf_tags=True)
    if when is not None:
        w3c = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        document.metadata.created = document.metadata.created or w3c
        document.metadata.modified = document.metadata.modified or w3c
    with warnings.catch_warnings():
        # WeasyPrint 70 leaves its sRGB profile file open for PDF/A (a ResourceWarning).
        warnings.simplefilter("ignore", ResourceWarning)
        pdf = document.write_pdf(
            pdf_variant=chosen,
            pdf_tags=True,
            pdf_identifier=True,
            attachments=embedded,
        )
    return bytes(pdf)


def _import_weasyprint() -> Any:
    """Import WeasyPrint, explaining what to install when it or Pango is missing."""
    try:
        import weasyprint  # type: ignore[import-untyped]
    except ImportError as exc:
        raise OutputError(
            f"PDF output needs WeasyPrint, which cannot be imported ({exc}).",
            hint="Install govern with its dependencies: pip install govern (or make install).",
        ) from exc
    except OSError as exc:  # cffi cannot load libpango / libgobject
        raise OutputError(
            f"PDF output needs the Pango library, which cannot be loaded ({exc}).",
            hint=f"Debian/Ubuntu: apt-get install {_DEBIAN_PACKAGES} (or run make system-deps).",
        ) from exc
    return weasyprint


def _local_fetcher(weasyprint: Any, root: Path | None) -> Any:
    """Return a WeasyPrint URL fetcher that reads ``data:`` URIs and files under ``root`` only."""

    class LocalOnlyFetcher(weasyprint.URLFetcher):  # type: ignore[misc]
        """Refuses the network and every file outside the templates folder."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file" and root is not None and parts.netloc in ("", "localhost"):
                path = Path(url2pathname(parts.path)).resolve()
                if path.is_relative_to(root) and path.is_file():
                    return super().fetch(url, headers)
            where = f"files under {root}" if root is not None else "no files"
            raise ValueError(
                f"govern renders PDFs offline and refused {url} (allowed: data: URIs and {where})"
            )

    return LocalOnlyFetcher(timeout=1, allowed_protocols=("data", "file"), allow_redirects=False)
