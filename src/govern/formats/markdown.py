r"""Render check results as GitHub-flavoured Markdown for a pull-request comment.

Layout: the decision in bold (``**govern: FAIL**``, no emoji) and what decided it; the counts by
status; a table of the failing findings (severity, model, version, rule, message); every
finding in a collapsed ``<details>`` block; the waivers used; the warnings; a footer naming
the policies by id, version and SHA-256 prefix.

Table cells are escaped: ``|`` becomes ``\|``, a backslash is doubled, ``&``, ``<`` and ``>``
become HTML entities (a message cannot open a tag or close the ``<details>`` block), and
line breaks become ``<br>``, so a message never breaks a row.
"""

from __future__ import annotations

from govern.formats.fairness import detail_tables
from govern.formats.findings import (
    STATUS_LABEL,
    STATUS_ORDER,
    failing_keys,
    is_problem,
    ordered,
    value_and_threshold,
)
from govern.models import CheckResult, Finding, Status


def escape_cell(text: str) -> str:
    """Text that stays inside one Markdown table cell and renders literally."""
    text = text.replace("\\", "\\\\")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("|", "\\|")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")
    return text


def code(text: str) -> str:
    """``text`` as inline code in a table cell, or escaped text if a code span cannot hold it."""
    if not text or any(c in text for c in "`\r\n"):
        return escape_cell(text)
    return "`" + text.replace("|", "\\|") + "`"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: list[str], rows: list[list[str]], align: str = "---") -> list[str]:
    lines = [_row(header), "|" + "|".join(align for _ in header) + "|"]
    lines += [_row(r) for r in rows]
    return lines


def _headline(result: CheckResult) -> str:
    failing = len(result.failing())
    decision = result.decision.value.upper()
    if failing:
        noun = "finding fails" if failing == 1 else "findings fail"
        reason = f"{failing} {noun} at or above `{result.fail_on.value}`"
    else:
        reason = f"no finding fails at or above `{result.fail_on.value}`"
    if result.strict:
        reason += " (strict: not evaluated counts as failing)"
    return f"**govern: {decision}** — {reason}."


def _scope(result: CheckResult) -> str:
    parts = []
    versions = len({(f.model, f.version) for f in result.findings})
    parts.append(f"{versions} model version{'s' if versions != 1 else ''}")
    evaluated_at = result.scope.get("evaluated_at")
    if evaluated_at:
        parts.append(f"evaluated at {evaluated_at}")
    parts.append(f"fail-on `{result.fail_on.value}`")
    return "Scope: " + ", ".join(parts) + "."


def _waiver_line(f: Finding) -> str:
    w = f.waiver or {}
    facts = [str(w["ticket"]) if w.get("ticket") else "no ticket"]
    if w.get("expires"):
        facts.append(f"expires {w['expires']}")
    if w.get("approver"):
        facts.append(f"approved by {w['approver']}")
    line = f"- {code(f.label)} for {escape_cell(f.model)} v{escape_cell(f.version)}: "
    line += escape_cell(", ".join(facts))
    if w.get("justification"):
        line += f" — {escape_cell(str(w['justification']))}"
    if w.get("source"):
        line += f" ({code(str(w['source']))})"
    return line


def render_markdown(result: CheckResult) -> str:
    """The check result as Markdown for a pull-request comment."""
    failing = failing_keys(result)
    findings = ordered(result.findings)
    counts = result.summary()
    out: list[str] = [_headline(result), ""]
    out += [_scope(result), ""]
    out += _table(
        ["pass", "fail", "waived", "not evaluated"],
        [
            [str(counts[s.value]) for s in (Status.passed, Status.failed, Status.waived)]
            + [str(counts[Status.not_evaluated.value])]
        ],
        align="---:",
    )
    out.append("")

    problems = [f for f in findings if is_problem(f, failing)]
    problems.sort(key=lambda f: -f.severity.rank)  # stable: keeps (model, version, rule)
    out += ["### Failing findings", ""]
    if problems:
        rows = [
            [
                f.severity.value,
                escape_cell(f.model),
                escape_cell(f.version),
                code(f.label),
                escape_cell(f.message),
            ]
            for f in problems
        ]
        out += _table(["severity", "model", "version", "rule", "message"], rows)
    else:
        out.append("No failing findings.")
    out.append("")

    out += [
        "<details>",
        f"<summary>All findings ({len(findings)})</summary>",
        "",
    ]
    if findings:
        everything = sorted(findings, key=lambda f: (-f.severity.rank, STATUS_ORDER[f.status]))
        rows = [
            [
                f.severity.value,
                STATUS_LABEL[f.status],
                escape_cell(f.model),
                escape_cell(f.version),
                code(f.label),
                escape_cell(value_and_threshold(f)),
                escape_cell(f.message),
            ]
            for f in everything
        ]
        out += _table(
            ["severity", "status", "model", "version", "rule", "value / threshold", "message"],
            rows,
        )
    else:
        out.append("No findings: no policy rule applied to a model version in scope.")
    out += ["", "</details>", ""]

    details = detail_tables(findings)
    if details:
        out += ["<details>", "<summary>Fairness by group</summary>", ""]
        for detail in details:
            out += [f"**{escape_cell(detail.title)}**", ""]
            out += _table(
                list(detail.header), [[escape_cell(c) for c in row] for row in detail.rows]
            )
            out.append("")
        out += ["</details>", ""]

    waived = [f for f in findings if f.status is Status.waived]
    if waived:
        out += ["### Waivers used", ""]
        out += [_waiver_line(f) for f in waived]
        out.append("")

    if result.warnings:
        out += ["### Warnings", ""]
        out += [f"- {escape_cell(w)}" for w in result.warnings]
        out.append("")

    if result.policies:
        refs = ", ".join(
            f"{code(p.id)} v{escape_cell(p.version)} ({escape_cell(p.kind)}, "
            f"sha256 {code(p.sha256[:12])})"
            for p in result.policies
        )
        out += [f"<sub>Policies: {refs}.</sub>", ""]
    return "\n".join(out)
