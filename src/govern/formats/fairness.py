"""Fairness detail shared by the table and Markdown formats: groups and LL144 tables.

A fairness finding carries its per-group rates (``evidence["groups"]``, plus the groups too
small to judge in ``evidence["excluded"]`` and the count of records without a sensitive value
in ``evidence["missing"]``, shown in the title) and, for a rule with ``ll144:``, the audit table
(``evidence["ll144"]``). :func:`detail_tables` turns them into plain tables -- a title, a header
and rows of strings -- that each format lays out its own way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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


def _rate(value: Any) -> str:
    return "—" if value is None else f"{float(value):.4f}"


def _title(f: Finding, what: str) -> str:
    return f"{f.model} v{f.version} · {f.label}: {what}"


def _groups(f: Finding, groups: Sequence[Mapping[str, Any]]) -> DetailTable:
    columns = [(k, h) for k, h in GROUP_COLUMNS if any(k in g for g in groups)]
    feature = f.evidence_json().get("sensitive_feature") or f.subject or "the sensitive feature"
    rows = [(str(g["group"]), str(g["n"]), *(_rate(g.get(k)) for k, _ in columns)) for g in groups]
    for e in f.evidence_json().get("excluded") or []:
        rows.append((str(e["group"]), str(e["n"]), *("too small" for _ in columns)))
    return DetailTable(
        title=_title(f, f"groups of {feature}{_missing(f.evidence_json().get('missing'))}"),
        header=("group", "n", *(h for _, h in columns)),
        rows=tuple(rows),
    )


def _missing(missing: Mapping[str, Any] | None) -> str:
    """' (9 records without a value left out)' or nothing: the ``missing`` evidence."""
    n = int((missing or {}).get("n") or 0)
    if not n:
        return ""
    if (missing or {}).get("handling") == "group":
        return f" ({n} records without a value, in the group (missing))"
    return f" ({n} records without a value left out)"


def _ll144(f: Finding, table: Mapping[str, Any]) -> list[DetailTable]:
    rate = "scoring rate" if table.get("rate_kind") == "scoring_rate" else "selection rate"
    out = []
    for section in table.get("sections") or []:
        dimension = " × ".join(section["dimension"])
        rows = [
            (
                str(r["category"]),
                str(r["n"]),
                str(r["selected"]),
                _rate(r["rate"]),
                f"excluded (< {table['min_share']:.0%} of data)"
                if r["excluded"]
                else _rate(r["impact_ratio"]),
            )
            for r in section["rows"]
        ]
        out.append(
            DetailTable(
                title=_title(
                    f, f"LL144 by {dimension} ({section['unknown']} records of unknown category)"
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
        groups = f.evidence_json().get("groups")
        if groups:
            out.append(_groups(f, groups))
        table = f.evidence_json().get("ll144")
        if table:
            out.extend(_ll144(f, table))
    return out
