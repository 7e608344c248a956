"""Render check results as JUnit XML for CI test reports (Jenkins, GitLab, GitHub Actions).

The dialect is the common one those CI systems read (the Jenkins xunit-plugin
``junit-10.xsd``, against which the tests validate the output):

* ``<testsuites>`` holds one ``<testsuite>`` per (model, version), named
  ``govern: <model> v<version>``, in the stable (model, version) order;
* one ``<testcase>`` per finding, ``classname`` the check kind and ``name`` the rule id;
* a finding with status ``fail`` gets ``<failure type="<severity>" message="...">`` whose body
  gives the message, value, threshold, controls, policy and the rule's help. Under ``--strict``
  a ``not_evaluated`` finding at or above ``--fail-on`` fails the gate, so it is a
  ``<failure>`` too (its message says so). Failures below ``--fail-on`` are still failures
  here: ``type`` carries the severity so a CI can tell ``warn`` from ``block``;
* ``waived`` and (otherwise) ``not_evaluated`` findings are ``<skipped>``: the message names
  the waiver (ticket, expiry, approver) or the reason nothing was evaluated;
* ``<properties>`` of each suite carry the overall decision, ``fail_on``, ``strict``, the
  evaluation time, model, version, the policies involved (id, version, SHA-256) and warnings.

Counts (``tests``, ``failures``, ``skipped``, ``errors="0"``) are computed from the same
findings. Output is deterministic: no wall-clock time and no host name; ``timestamp`` is
``result.scope["evaluated_at"]`` when the result has one, and ``time`` is always ``0``.
Characters that XML 1.0 cannot carry are replaced by U+FFFD.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from itertools import groupby

from govern.formats.findings import (
    failing_keys,
    format_number,
    format_threshold,
    is_problem,
    ordered,
)
from govern.models import CheckResult, Finding, PolicyRef, Status

_INVALID_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    """Text that XML 1.0 can carry (control characters become U+FFFD)."""
    return _INVALID_XML.sub("\ufffd", text)


def _el(parent: ET.Element, tag: str, attrs: dict[str, str], text: str | None = None) -> None:
    child = ET.SubElement(parent, tag, {k: _clean(v) for k, v in attrs.items()})
    if text:
        child.text = _clean(text)


def _details(f: Finding) -> str:
    """The body of a failure or skip: everything a reader needs to act on the finding."""
    lines = [f.message, ""]
    lines.append(f"model: {f.model}")
    lines.append(f"version: {f.version}")
    lines.append(f"severity: {f.severity.value}")
    if f.metric:
        lines.append(f"metric: {f.metric}")
    if f.value is not None:
        lines.append(f"value: {format_number(f.value)}")
    if f.threshold:
        lines.append(f"threshold: {format_threshold(f.threshold)}")
    if f.controls:
        lines.append(f"controls: {', '.join(f.controls)}")
    if f.policy:
        lines.append(f"policy: {f.policy}")
    if f.waiver:
        w = f.waiver
        lines.append(f"waiver: {_waiver_summary(f)}")
        if w.get("justification"):
            lines.append(f"justification: {w['justification']}")
        if w.get("source"):
            lines.append(f"waiver source: {w['source']}")
    if f.help:
        lines.extend(["", f"rule: {f.help}"])
    return "\n".join(lines) + "\n"


def _waiver_summary(f: Finding) -> str:
    w = f.waiver or {}
    parts = [str(w["ticket"])] if w.get("ticket") else ["no ticket"]
    if w.get("expires"):
        parts.append(f"expires {w['expires']}")
    if w.get("approver"):
        parts.append(f"approved by {w['approver']}")
    return ", ".join(parts)


def _policy_value(policy_id: str, refs: dict[str, PolicyRef]) -> str:
    ref = refs.get(policy_id)
    if ref is None:
        return policy_id
    return f"{ref.id} v{ref.version} sha256:{ref.sha256}"


def render_junit(result: CheckResult) -> str:
    """The check result as JUnit XML: one suite per model version, one case per rule."""
    failing = failing_keys(result)
    refs = {p.id: p for p in result.policies if p.kind == "Policy"}
    evaluated_at = result.scope.get("evaluated_at")
    findings = ordered(result.findings)
    totals = {"tests": 0, "failures": 0}
    root = ET.Element("testsuites", {"name": "govern"})
    for (model, version), group in groupby(findings, key=lambda f: (f.model, f.version)):
        members = list(group)
        failures = sum(1 for f in members if is_problem(f, failing))
        suite_attrs = {
            "name": f"govern: {model} v{version}",
            "tests": str(len(members)),
            "failures": str(failures),
            "errors": "0",
            "skipped": str(
                len(members) - failures - sum(f.status is Status.passed for f in members)
            ),
            "time": "0",
        }
        if evaluated_at:
            suite_attrs["timestamp"] = str(evaluated_at)
        suite = ET.SubElement(root, "testsuite", {k: _clean(v) for k, v in suite_attrs.items()})
        totals["tests"] += len(members)
        totals["failures"] += failures

        properties = ET.SubElement(suite, "properties")
        props: list[tuple[str, str]] = [
            ("decision", result.decision.value),
            ("fail_on", result.fail_on.value),
            ("strict", "true" if result.strict else "false"),
        ]
        if evaluated_at:
            props.append(("evaluated_at", str(evaluated_at)))
        props += [("model", model), ("version", version)]
        for policy_id in sorted({f.policy for f in members if f.policy}):
            props.append(("policy", _policy_value(policy_id, refs)))
        props += [("warning", w) for w in result.warnings]
        for name, value in props:
            _el(properties, "property", {"name": name, "value": value})

        for f in members:
            case = ET.SubElement(
                suite,
                "testcase",
                {"classname": _clean(f.check), "name": _clean(f.label), "time": "0"},
            )
            if is_problem(f, failing):
                message = f.message
                if f.status is Status.not_evaluated:
                    message = f"not evaluated (fails under --strict): {f.message}"
                _el(case, "failure", {"message": message, "type": f.severity.value}, _details(f))
            elif f.status is Status.waived:
                message = f"waived ({_waiver_summary(f)}): {f.message}"
                _el(case, "skipped", {"message": message, "type": "waived"}, _details(f))
            elif f.status is Status.not_evaluated:
                message = f"not evaluated: {f.message}"
                _el(case, "skipped", {"message": message, "type": "not_evaluated"}, _details(f))
    root.set("tests", str(totals["tests"]))
    root.set("failures", str(totals["failures"]))
    root.set("errors", "0")
    root.set("time", "0")
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
