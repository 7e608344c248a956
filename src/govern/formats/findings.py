"""Render check results (``govern check`` / ``govern gate``) as a console table or as JSON.

The JSON is the stable ``govern.check/v1`` result of DESIGN.md, serialised canonically
(sorted keys, two-space indent, one trailing newline). The table groups findings by severity
(block, warn, info), shows failing findings first within each group, and ends with a one-line
decision summary and the warnings.

The small helpers here (:func:`format_number`, :func:`format_threshold`,
:func:`failing_keys`, :func:`ordered`) are shared by the JUnit, SARIF and Markdown formatters
so that every format shows a value, a threshold and "failing" the same way.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

from rich.table import Table
from rich.text import Text

from govern.formats.fairness import detail_tables
from govern.formats.render import to_json, to_text
from govern.models import CheckResult, Decision, Finding, Severity, Status, sort_findings

#: display order of statuses inside a severity group: what needs attention first
STATUS_ORDER: dict[Status, int] = {
    Status.failed: 0,
    Status.not_evaluated: 1,
    Status.waived: 2,
    Status.passed: 3,
}

#: human labels of statuses (JSON keeps the machine values)
STATUS_LABEL: dict[Status, str] = {
    Status.passed: "pass",
    Status.failed: "fail",
    Status.waived: "waived",
    Status.not_evaluated: "not evaluated",
}

_STATUS_STYLE: dict[Status, str] = {
    Status.passed: "green",
    Status.failed: "bold red",
    Status.waived: "yellow",
    Status.not_evaluated: "magenta",
}

#: severities from most to least severe
SEVERITIES: tuple[Severity, ...] = tuple(sorted(Severity, key=lambda s: -s.rank))


def render_json(result: CheckResult) -> str:
    """The check result as canonical JSON (schema ``govern.check/v1``)."""
    return to_json(result.to_json())


def format_number(value: Any) -> str:
    """A number for people: integers as such, floats to six significant digits."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return format(value, ".6g")


def format_threshold(threshold: dict[str, Any] | None) -> str:
    """A threshold such as ``{"max": 0.1}`` as ``max 0.1`` (keys sorted, comma-separated)."""
    if not threshold:
        return ""
    return ", ".join(f"{key} {format_number(threshold[key])}" for key in sorted(threshold))


def value_and_threshold(finding: Finding) -> str:
    """``value / threshold`` of a finding, or the part that exists, or an empty string."""
    value = "" if finding.value is None else format_number(finding.value)
    threshold = format_threshold(finding.threshold)
    if value and threshold:
        return f"{value} / {threshold}"
    return value or threshold


def failing_keys(result: CheckResult) -> set[int]:
    """Identities of the findings that make the decision ``fail`` (see ``result.failing()``)."""
    return {id(f) for f in result.failing()}


def is_problem(finding: Finding, failing: set[int]) -> bool:
    """True for a finding shown as a failure: status ``fail``, or failing under ``--strict``."""
    return finding.status is Status.failed or id(finding) in failing


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Findings in the stable (model, version, rule) order, whatever order they came in."""
    return sort_findings(list(findings))


def by_severity(result: CheckResult) -> list[tuple[Severity, list[Finding]]]:
    """Non-empty severity groups (block, warn, info), failing findings first in each."""
    groups: list[tuple[Severity, list[Finding]]] = []
    for severity in SEVERITIES:
        members = [f for f in ordered(result.findings) if f.severity is severity]
        if members:
            members.sort(key=lambda f: STATUS_ORDER[f.status])  # stable: keeps (model, ...)
            groups.append((severity, members))
    return groups


def decision_line(result: CheckResult) -> str:
    """One line: the decision, what decided it, and the counts by status."""
    counts = result.summary()
    failing = len(result.failing())
    decision = result.decision.value.upper()
    reason = f"{failing} failing at or above {result.fail_on.value}"
    if result.strict:
        reason += " (strict: not evaluated counts as failing)"
    return (
        f"decision: {decision} — {reason}; "
        f"{counts['pass']} pass, {counts['fail']} fail, {counts['waived']} waived, "
        f"{counts['not_evaluated']} not evaluated"
    )


def render_table(result: CheckResult, *, width: int = 160, color: bool = False) -> str:
    """The check result as tables by severity, then the decision summary and warnings."""
    parts: list[Any] = []
    if not result.findings:
        parts.append("No findings: no policy rule applied to a model version in scope.")
    for severity, members in by_severity(result):
        table = Table(
            title=f"{severity.value} ({len(members)})", title_justify="left", expand=False
        )
        for name in ("model", "version", "rule", "status", "value / threshold"):
            # rule ids are never cut: they are what a user searches the policy for
            table.add_column(name, overflow="fold", no_wrap=name == "rule")
        table.add_column("message", overflow="fold")
        for f in members:
            table.add_row(  # Text, not str: "[x1]" in a label is not rich markup
                Text(f.model),
                Text(f.version),
                Text(f.label),
                Text(STATUS_LABEL[f.status], style=_STATUS_STYLE[f.status]),
                Text(value_and_threshold(f) or "—"),
                Text(f.message),
            )
        parts.append(table)
    for detail in detail_tables(ordered(result.findings)):
        parts.append(Text(detail.title, style="bold"))
        table = Table(expand=False)
        for name in detail.header:
            table.add_column(
                name, overflow="fold", justify="left" if name in ("group", "category") else "right"
            )
        for row in detail.rows:
            table.add_row(*(Text(cell) for cell in row))
        parts.append(table)
    failed = result.decision is Decision.failed
    parts.append(Text(decision_line(result), style="bold red" if failed else "bold green"))
    for warning in result.warnings:
        parts.append(Text(f"warning: {warning}", style="yellow"))
    text = to_text(*parts, width=width, color=color)
    # rich pads table titles to the table width: drop trailing blanks so diffs stay clean
    return "".join(line.rstrip() + "\n" for line in text.splitlines())
