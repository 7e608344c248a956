"""Fairness detail shared by the table and Markdown formats: groups and LL144 tables.

A fairness finding carries its groups as typed evidence
(:class:`~govern.checks.fairness_evidence.FairnessEvidence`: per-group rates and counts, the
groups too small to judge and the count of records without a sensitive value, shown in the
title) and, for a rule with ``ll144:``, the audit table
(:class:`~govern.checks.fairness_evidence.LL144Evidence`). :func:`detail_tables` turns them
into plain tables -- a title, a header and rows of strings -- that each format lays out its
own way.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from govern.checks.fairness_evidence import (
    FairnessEvidence,
    LL144Evidence,
    MissingValues,
    group_name,
)
from govern.models import Finding

#: per-group columns in display order, with their headers
GROUP_COLUMNS: tuple[tuple[str, str], ...] = (
    ("selection_rate", "selection rate"),
    ("true_positive_rate", "TPR"),
    ("false_positive_rate", "FPR"),
    ("accuracy", "accuracy"),
)


@dataclass(frozen=True)
class DetailTable:
    """One table of detail under the findings."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def _rate(value: float | None) -> str:
    return "—" if value is None or math.isnan(value) else f"{float(value):.4f}"


def _title(f: Finding, what: str) -> str:
    return f"{f.model} v{f.version} · {f.label}: {what}"


@dataclass(frozen=True)
class _GroupView:
    """What the group table shows of a finding: feature, rows, excluded groups, missing."""

    feature: str | None
    rows: tuple[tuple[str, int, Mapping[str, float]], ...]
    excluded: tuple[tuple[str, int], ...]
    missing: MissingValues


def _group_view(f: Finding) -> _GroupView | None:
    """The groups of a fairness finding, from its typed evidence."""
    e = f.evidence
    if not isinstance(e, FairnessEvidence):
        return None
    return _GroupView(
        feature=e.sensitive_feature if e.disparity is not None else None,
        rows=tuple((g.group, g.n, g.rates()) for g in e.groups),
        excluded=tuple((x.group, x.n) for x in e.excluded),
        missing=e.missing,
    )


def _groups(f: Finding, view: _GroupView) -> DetailTable:
    columns = [(k, h) for k, h in GROUP_COLUMNS if any(k in r for _, _, r in view.rows)]
    feature = view.feature or f.subject or "the sensitive feature"
    rows = [(g, str(n), *(_rate(r.get(k)) for k, _ in columns)) for g, n, r in view.rows]
    for g, n in view.excluded:
        rows.append((g, str(n), *("too small" for _ in columns)))
    return DetailTable(
        title=_title(f, f"groups of {feature}{_missing(view.missing)}"),
        header=("group", "n", *(h for _, h in columns)),
        rows=tuple(rows),
    )


def _missing(missing: MissingValues) -> str:
    """' (9 records without a value left out)' or nothing: the ``missing`` evidence."""
    if not missing.n:
        return ""
    if missing.handling == "group":
        return f" ({missing.n} records without a value, in the group (missing))"
    return f" ({missing.n} records without a value left out)"


def _ll144(f: Finding, evidence: LL144Evidence) -> list[DetailTable]:
    table = evidence.table
    rate = "scoring rate" if table.rate_kind == "scoring_rate" else "selection rate"
    out = []
    for section in table.sections:
        dimension = " × ".join(section.dimension)
        rows = [
            (
                group_name(r.category),
                str(r.n),
                str(r.selected),
                _rate(r.rate),
                f"excluded (< {table.min_share:.0%} of data)"
                if r.excluded
                else _rate(r.impact_ratio),
            )
            for r in section.rows
        ]
        out.append(
            DetailTable(
                title=_title(
                    f, f"LL144 by {dimension} ({section.unknown} records of unknown category)"
                ),
                header=("category", "n", "selected", rate, "impact ratio"),
                rows=tuple(rows),
            )
        )
    return out


def detail_tables(findings: Iterable[Finding]) -> list[DetailTable]:
    """The detail tables of the fairness findings among ``findings``, in their order."""
    out: list[DetailTable] = []
    for f in findings:
        if f.check != "fairness":
            continue
        view = _group_view(f)
        if view is not None and view.rows:
            out.append(_groups(f, view))
        if isinstance(f.evidence, LL144Evidence) and f.evidence.table.sections:
            out.extend(_ll144(f, f.evidence))
    return out
