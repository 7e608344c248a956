"""The ``govern.report/v1`` JSON of a report context: sorted keys, indented, one trailing newline.

Produced once, from :meth:`~govern.report.context.ReportContext.to_json`; never parsed back by
another part of govern. NaN and infinities are refused (they are null in the context).
"""

from __future__ import annotations

import hashlib
import json

from govern.report.context import ReportContext


def render_json(context: ReportContext) -> str:
    """The report as canonical text: same context, same bytes."""
    return json.dumps(context.to_json(), indent=2, sort_keys=True, ensure_ascii=False,
                      allow_nan=False) + "\n"  # fmt: skip


def json_sha256(context: ReportContext) -> str:
    """SHA-256 of :func:`render_json`'s UTF-8 bytes (the HTML names it in its appendix)."""
    return hashlib.sha256(render_json(context).encode("utf-8")).hexdigest()
