"""The one-page NYC Local Law 144 bias-audit summary, written beside a model report.

Whenever a ``check: fairness`` rule of the report's policies has ``ll144:``, the model report's
fairness section holds the LL144 tables (:class:`~govern.report.sections.LL144Block`, from the
rule's :class:`~govern.checks.fairness_evidence.LL144Evidence`). :func:`build_ll144_summary`
arranges them into the summary of results the DCWP rules ask an employer to publish
(6 RCNY §5-303, with §5-301's tables): the tool and version, the data and its date range, the
number of records and of unknown category, the selection (or scoring) rate and impact ratio of
every sex, race/ethnicity and intersectional category, the categories under 2 % of the data
left out of the impact ratios, and fields for the independent auditor, the audit date and the
tool's distribution date. Nothing is computed here: every number is the table's.

The page is HTML (``templates/ll144.html``, the report stylesheet), a tagged PDF of one A4
page, and ``govern.ll144-summary/v1`` JSON; files are named ``MODEL-vVERSION-ll144-DATE``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from govern.report.context import ReportContext, report_stem
from govern.report.review_report import page_environment, stylesheet
from govern.report.sections import FairnessData, LL144Block

__all__ = [
    "LL144_SCHEMA",
    "LL144Rule",
    "LL144Summary",
    "build_ll144_summary",
    "ll144_stem",
    "render_ll144_formats",
    "render_ll144_html",
    "render_ll144_json",
]

LL144_SCHEMA = "govern.ll144-summary/v1"
LL144_TEMPLATE = "ll144.html"

#: The fields the employer or auditor fills in before publishing, in order.
FIELDS = (
    "Employer or employment agency",
    "Independent auditor",
    "Date of the bias audit",
    "Distribution date of the AEDT",
)


@dataclass(frozen=True)
class LL144Rule:
    """The LL144 tables of one rule: its id and one table per dimension."""

    rule: str
    rate_kind: str
    total: int
    min_share: float
    tables: tuple[LL144Block, ...]

    @property
    def rate_name(self) -> str:
        """``selection rate`` or ``scoring rate``."""
        return self.rate_kind.replace("_", " ")

    @property
    def excluded(self) -> tuple[tuple[str, str, int, float | None], ...]:
        """(dimension, category, n, rate) of every category left out of the impact ratios."""
        return tuple(
            (t.dimension, r.category, r.n, r.rate)
            for t in self.tables
            for r in t.rows
            if r.excluded
        )


@dataclass(frozen=True)
class LL144Summary:
    """Everything the one-page LL144 summary shows (``govern.ll144-summary/v1``)."""

    model: str
    version: str
    as_of: str
    generated_at: str
    #: the historical data: the current prediction logs and their date range
    sources: tuple[str, ...]
    first: str | None
    last: str | None
    rules: tuple[LL144Rule, ...]
    fields: tuple[str, ...]
    report: str
    tool: str

    @property
    def date_range(self) -> str:
        """``2026-06-01 to 2026-11-30``, or a sentence when the logs carry no time."""
        if self.first and self.last:
            return f"{self.first} to {self.last}"
        return "not recorded (the logs carry no timestamps)"

    def to_json(self) -> dict[str, Any]:
        """The summary as JSON data."""
        return {
            "schema": LL144_SCHEMA,
            "model": self.model,
            "version": self.version,
            "as_of": self.as_of,
            "generated_at": self.generated_at,
            "data": {"sources": list(self.sources), "from": self.first, "to": self.last},
            "fields": {name: None for name in self.fields},
            "report": self.report,
            "tool": self.tool,
            "rules": [
                {
                    "rule": r.rule,
                    "rate_kind": r.rate_kind,
                    "total": r.total,
                    "min_share": r.min_share,
                    "tables": [
                        {
                            "dimension": t.dimension,
                            "reference": t.reference,
                            "unknown": t.unknown,
                            "rows": [
                                {
                                    "category": row.category,
                                    "n": row.n,
                                    "selected": row.selected,
                                    "rate": row.rate,
                                    "impact_ratio": row.impact_ratio,
                                    "excluded": row.excluded,
                                }
                                for row in t.rows
                            ],
                        }
                        for t in r.tables
                    ],
                }
                for r in self.rules
            ],
        }


def build_ll144_summary(context: ReportContext) -> LL144Summary | None:
    """The LL144 summary of a model report, or None when no rule asks for one (``ll144:``)."""
    blocks: list[LL144Block] = []
    for section in context.sections:
        if isinstance(section.data, FairnessData):
            blocks.extend(section.data.ll144)
    if not blocks:
        return None
    rules: dict[str, list[LL144Block]] = {}
    for b in blocks:
        rules.setdefault(b.rule, []).append(b)
    current = [log for log in context.logs if log.role == "current"]
    firsts = sorted(log.first[:10] for log in current if log.first)
    lasts = sorted(log.last[:10] for log in current if log.last)
    stem = report_stem(context.model, context.version, context.as_of)
    return LL144Summary(
        model=context.model,
        version=context.version,
        as_of=context.as_of,
        generated_at=context.generated_at,
        sources=tuple(sorted({log.path for log in current})),
        first=firsts[0] if firsts else None,
        last=lasts[-1] if lasts else None,
        rules=tuple(
            LL144Rule(
                rule=rule,
                rate_kind=tables[0].rate_kind,
                total=tables[0].total,
                min_share=tables[0].min_share,
                tables=tuple(tables),
            )
            for rule, tables in rules.items()
        ),
        fields=FIELDS,
        report=f"{stem}.html",
        tool=f"govern {context.tools[0].version}",
    )


def ll144_stem(summary: LL144Summary) -> str:
    """``credit-risk-v2-ll144-2026-12-03``: the model report's name with ``ll144`` in it."""
    stem = report_stem(summary.model, summary.version, summary.as_of)
    return stem.removesuffix(f"-{summary.as_of}") + f"-ll144-{summary.as_of}"


def render_ll144_json(summary: LL144Summary) -> str:
    """The summary's JSON: sorted keys, indented, one trailing newline."""
    text = json.dumps(summary.to_json(), indent=2, sort_keys=True, ensure_ascii=False,
                      allow_nan=False)  # fmt: skip
    return text + "\n"


def render_ll144_html(summary: LL144Summary) -> str:
    """The one-page summary as a self-contained HTML document (same summary, same bytes)."""
    template = page_environment().get_template(LL144_TEMPLATE)
    digest = hashlib.sha256(render_ll144_json(summary).encode("utf-8")).hexdigest()
    return str(template.render(s=summary, css=stylesheet(), json_sha256=digest))


def render_ll144_formats(
    summary: LL144Summary, formats: Sequence[str], *, now: datetime
) -> dict[str, str | bytes]:
    """The summary in each of ``formats`` (``html``, ``json``; ``pdf``: a tagged PDF/UA)."""
    from govern.report.html import templates_dir

    out: dict[str, str | bytes] = {}
    html: str | None = None
    for fmt in formats:
        if fmt == "html":
            html = render_ll144_html(summary)
            out[fmt] = html
        elif fmt == "json":
            out[fmt] = render_ll144_json(summary)
        elif fmt == "pdf":
            from govern.report.pdf import render_pdf

            out[fmt] = render_pdf(
                html if html is not None else render_ll144_html(summary),
                base_url=templates_dir(),
                created=now,
            )
        else:
            raise ValueError(f"unknown report format {fmt!r}")
    return out
