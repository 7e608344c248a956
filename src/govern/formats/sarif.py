"""Render check results as SARIF 2.1.0 for code-scanning UIs (GitHub, Azure DevOps, GitLab).

One run whose ``tool.driver`` is govern, with one ``reportingDescriptor`` per distinct rule id
(help text from ``Finding.help``, ``defaultConfiguration.level`` from the severity:
block → ``error``, warn → ``warning``, info → ``note``; ``properties.tags`` the control ids).

Status mapping (SARIF 2.1.0 §3.27.9 ``kind``, §3.27.10 ``level``, §3.35 ``suppression``):

* ``pass``: no result. SARIF could say ``kind: "pass"``, but code-scanning services turn
  results into alerts and do not all honour ``kind``; passes are counted in
  ``run.properties.summary`` instead.
* ``fail``: ``kind: "fail"`` with ``level`` from the severity, the SARIF meaning of "the rule
  was evaluated and a problem was found".
* ``waived``: still ``kind: "fail"`` with its level (the problem exists), plus
  ``suppressions: [{"kind": "external", "status": "accepted", "justification": ...}]``: the
  exception is recorded outside the analysed artefact (a waiver file), was approved, and
  names its ticket, approver, expiry and file in the suppression's ``properties``. The spec
  notes that development environments typically do not expose suppressed results as open
  problems, which is what a waiver is for; the result itself stays in the log as evidence.
* ``not_evaluated``: ``kind: "open"``, ``level: "none"``: "the rule was evaluated and there
  was insufficient information to decide whether a problem exists", which is what missing
  evidence means here (the rule does apply; ``notApplicable`` would claim it does not).
  The spec requires ``level`` ``none`` for any kind other than ``fail``. Under ``--strict``
  such a finding can fail the gate; ``properties.failing`` says which results decided.

Locations: when the caller knows the policy file that defines a rule (``policy_paths``, rule
id → path, and optionally ``rule_lines``, rule id → line), the result points there with
``physicalLocation`` (a relative path stays a relative URI; an absolute one becomes a
``file://`` URI). Every result also has ``logicalLocations``
``[{"name": "<model>/<version>", "kind": "module"}]`` naming the model version it is about.
``partialFingerprints["governFinding/v1"]`` is a SHA-256 of (rule, model, version), stable
across runs. The output is deterministic: sorted keys, findings in (model, version, rule)
order, and no clock other than ``result.scope["evaluated_at"]``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, assert_never
from urllib.parse import quote

from govern.formats.findings import (
    STATUS_LABEL,
    failing_keys,
    format_number,
    format_threshold,
    ordered,
)
from govern.formats.render import to_json
from govern.models import CheckResult, Finding, Severity, Status

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
FINGERPRINT_KEY = "governFinding/v1"


def level(severity: Severity) -> str:
    """The SARIF level of a severity: block → error, warn → warning, info → note."""
    if severity is Severity.block:
        return "error"
    if severity is Severity.warn:
        return "warning"
    if severity is Severity.info:
        return "note"
    assert_never(severity)


def fingerprint(finding: Finding) -> str:
    """A stable identity of a finding across runs: SHA-256 of rule, model and version."""
    parts = [finding.rule, finding.model, finding.version]
    if finding.subject:
        parts.append(finding.subject)
    key = "\x00".join(parts)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def artifact_uri(path: str) -> str:
    """A file path as a URI reference: relative paths stay relative, absolute ones file://."""
    if "\\" in path or PureWindowsPath(path).drive:
        windows = PureWindowsPath(path)
        if windows.is_absolute():
            return windows.as_uri()
        return quote(windows.as_posix(), safe="/")
    posix = PurePosixPath(path)
    if posix.is_absolute():
        return posix.as_uri()
    return quote(posix.as_posix(), safe="/")


def _first_sentence(text: str) -> str:
    line = text.strip().split("\n", 1)[0]
    end = line.find(". ")
    return line if end < 0 else line[: end + 1]


def _help_markdown(f: Finding, text: str) -> str:
    parts = [text]
    if f.controls:
        parts.append("Evidence mapped to: " + ", ".join(f"`{c}`" for c in f.controls))
    parts.append(f"Check: `{f.check}`. Severity: `{f.severity.value}`.")
    return "\n\n".join(parts)


def _rule(f: Finding) -> dict[str, Any]:
    text = f.help.strip() or f"govern {f.check} rule {f.rule}."
    return {
        "id": f.rule,
        "name": f.rule,
        "shortDescription": {"text": _first_sentence(text)},
        "fullDescription": {"text": text},
        "help": {"text": text, "markdown": _help_markdown(f, text)},
        "defaultConfiguration": {"level": level(f.severity)},
        "properties": {
            "tags": list(f.controls),
            "check": f.check,
            "severity": f.severity.value,
        },
    }


def _message(f: Finding) -> str:
    text = f"{f.model} v{f.version}" + (f" [{f.subject}]" if f.subject else "") + f": {f.message}"
    extras = []
    if f.value is not None:
        extras.append(f"value {format_number(f.value)}")
    if f.threshold:
        extras.append(f"threshold {format_threshold(f.threshold)}")
    if extras:
        text += f" ({'; '.join(extras)})"
    return text


def _suppression(f: Finding) -> dict[str, Any]:
    w = f.waiver or {}
    justification = str(w.get("justification") or "waived by a govern waiver")
    properties = {k: w[k] for k in sorted(w) if k != "justification"}
    return {
        "kind": "external",
        "status": "accepted",
        "justification": justification,
        "properties": properties,
    }


def _location(
    f: Finding, policy_paths: Mapping[str, str], rule_lines: Mapping[str, int]
) -> dict[str, Any]:
    location: dict[str, Any] = {
        "logicalLocations": [
            {
                "name": f"{f.model}/{f.version}",
                "fullyQualifiedName": f"{f.model}/{f.version}",
                "kind": "module",
            }
        ]
    }
    path = policy_paths.get(f.rule)
    if path:
        physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(path)}}
        line = rule_lines.get(f.rule)
        if line is not None and line >= 1:
            physical["region"] = {"startLine": int(line)}
        location["physicalLocation"] = physical
    return location


def _result(
    f: Finding,
    index: int,
    failing: bool,
    policy_paths: Mapping[str, str],
    rule_lines: Mapping[str, int],
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": index,
        "message": {"text": _message(f)},
        "locations": [_location(f, policy_paths, rule_lines)],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(f)},
    }
    if f.status is Status.failed:
        out["kind"] = "fail"
        out["level"] = level(f.severity)
    elif f.status is Status.waived:
        out["kind"] = "fail"
        out["level"] = level(f.severity)
        out["suppressions"] = [_suppression(f)]
    elif f.status is Status.not_evaluated:
        out["kind"] = "open"
        out["level"] = "none"
    elif f.status is Status.passed:
        raise AssertionError("passing findings have no SARIF result")
    else:
        assert_never(f.status)
    properties: dict[str, Any] = {
        "status": f.status.value,
        "statusLabel": STATUS_LABEL[f.status],
        "severity": f.severity.value,
        "failing": failing,
        "model": f.model,
        "version": f.version,
        "check": f.check,
    }
    if f.policy:
        properties["policy"] = f.policy
    if f.metric is not None:
        properties["metric"] = f.metric
    if f.value is not None:
        properties["value"] = f.value
    if f.threshold is not None:
        properties["threshold"] = f.threshold
    if f.controls:
        properties["tags"] = list(f.controls)
    out["properties"] = properties
    return out


def render_sarif(
    result: CheckResult,
    *,
    tool_version: str,
    policy_paths: Mapping[str, str] | None = None,
    rule_lines: Mapping[str, int] | None = None,
    information_uri: str | None = None,
) -> str:
    """The check result as a SARIF 2.1.0 log with one run (see the module docstring)."""
    paths = policy_paths or {}
    lines = rule_lines or {}
    failing = failing_keys(result)
    findings = ordered(result.findings)

    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for f in sorted(findings, key=lambda f: f.rule):
        if f.rule not in index:
            index[f.rule] = len(rules)
            rules.append(_rule(f))

    driver: dict[str, Any] = {
        "name": "govern",
        "version": tool_version,
        "rules": rules,
    }
    if information_uri:
        driver["informationUri"] = information_uri

    results = [
        _result(f, index[f.rule], id(f) in failing, paths, lines)
        for f in findings
        if f.status is not Status.passed
    ]
    invocation: dict[str, Any] = {"executionSuccessful": True}
    evaluated_at = result.scope.get("evaluated_at")
    if evaluated_at:
        invocation["endTimeUtc"] = str(evaluated_at)
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "invocations": [invocation],
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {
            "decision": result.decision.value,
            "fail_on": result.fail_on.value,
            "strict": result.strict,
            "summary": result.summary(),
            "scope": result.scope,
            "policies": [p.to_json() for p in result.policies],
            "warnings": list(result.warnings),
        },
    }
    return to_json({"$schema": SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]})
