"""The five formats of check results: golden files, official schemas, counts, escaping.

Golden files live in ``tests/formats/golden/``. On a mismatch the actual output is written to
``tests/formats/actual/`` (ignored by git) and the test fails with a diff; after a deliberate
change, ``GOVERN_UPDATE_GOLDEN=1 pytest tests/formats`` rewrites the goldens (then review the
git diff). The schemas in ``tests/fixtures/schemas/`` are the official ones (see its README).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import xmlschema

from govern.checks.fairness_evidence import (
    DisparityResult,
    ExcludedGroup,
    FairnessEvidence,
    GroupRates,
    Interval,
    MissingValues,
)
from govern.checks.reproducibility import LineageEvidence, Requirement
from govern.formats import findings, junit, markdown, sarif
from govern.formats.render import to_json
from govern.metrics.fairness import GroupCounts
from govern.models import CheckResult, Finding, PolicyRef, Severity, Status
from tests.golden import assert_golden

HERE = Path(__file__).parent
SCHEMAS = HERE.parent / "fixtures" / "schemas"
TOOL_VERSION = "0.0.0-test"

CREDIT_CONTROLS = ("eu-ai-act:AnnexIV(2)(d)", "nist-ai-rmf:MEASURE-2.1")
FAIR_CONTROLS = ("eu-ai-act:Art.10(2)(f)", "nist-ai-rmf:MEASURE-2.11")
REPRO_HELP = (
    "Fails when a model version lacks lineage facts the policy requires (git commit, training "
    "data digest, params, environment, seed). Fix: log them with the training run."
)
FAIR_HELP = (
    "Fails when the demographic parity difference between groups exceeds the maximum. Fix: "
    "investigate the selection rates by group and retrain or recalibrate."
)
AUC_HELP = "Fails when ROC AUC on the current window is below the minimum. Fix: retrain."
PSI_HELP = "Fails when the population stability index of a feature exceeds the maximum."
PROXY_HELP = "Fails when a protected attribute is among the top features by SHAP importance."
CARD_HELP = "Fails when the model version has no model card attached."
WAIVER = {
    "rule": "drift.psi",
    "model": "credit-risk",
    "versions": "12",
    "justification": "Seasonal shift in income; reviewed with the data owner.",
    "approver": "model-risk@example.com",
    "expires": "2026-12-31",
    "ticket": "RISK-1234",
    "source": "policies/waivers.yaml:4",
}


def _group(name: str, n: int, selected: int) -> GroupRates:
    """A group without labels: only its size and selections."""
    counts = GroupCounts(("sex",), (name,), n, 0, 0, 0, 0, 0, selected, None, 0)
    return GroupRates(name, counts)


def _f(rule: str, check: str, severity: Severity, status: Status, model: str, version: str,
       message: str, **kw: Any) -> Finding:  # fmt: skip
    return Finding(rule, check, severity, status, model, version, message, **kw)


def make_result(**changes: Any) -> CheckResult:
    """A hand-made result: every status and severity, a waiver, controls, two models."""
    b, w, i = Severity.block, Severity.warn, Severity.info
    ok, fail = Status.passed, Status.failed
    credit = "credit-production"
    result = CheckResult(
        findings=(
            _f(
                "churn.auc",
                "performance",
                w,
                ok,
                "churn",
                "1",
                "roc_auc 0.81 >= 0.75",
                policy="churn-baseline",
                metric="roc_auc",
                value=0.81,
                threshold={"min": 0.75},
                help=AUC_HELP,
            ),
            _f(
                "repro.lineage",
                "reproducibility",
                b,
                Status.not_evaluated,
                "churn",
                "1",
                "the run of this version is not in the store; ingest the run export",
                policy="churn-baseline",
                controls=CREDIT_CONTROLS,
                help=REPRO_HELP,
            ),
            _f(
                "docs.model-card",
                "documentation",
                i,
                fail,
                "credit-risk",
                "3",
                "no model card artifact",
                policy=credit,
                help=CARD_HELP,
            ),
            _f(
                "fairness.dp-sex",
                "fairness",
                b,
                fail,
                "credit-risk",
                "3",
                "demographic_parity_difference for sex is 0.14, above the maximum 0.1",
                policy=credit,
                metric="demographic_parity_difference",
                value=0.1400000001,
                threshold={"max": 0.1},
                controls=FAIR_CONTROLS,
                help=FAIR_HELP,
                subject="sex",
                evidence=FairnessEvidence(
                    sensitive_feature="sex",
                    groups=(_group("female", 100, 61), _group("male", 400, 300)),
                    excluded=(ExcludedGroup("other", 4),),
                    missing=MissingValues(0, "exclude"),
                    window="all",
                    disparity=DisparityResult(
                        "demographic_parity_difference", 0.14, Interval(0.11, 0.17, 0.95), "ci"
                    ),
                ),
            ),
            _f(
                "repro.lineage",
                "reproducibility",
                b,
                ok,
                "credit-risk",
                "3",
                "all required lineage facts are present",
                policy=credit,
                controls=CREDIT_CONTROLS,
                help=REPRO_HELP,
            ),
            _f(
                "drift.psi",
                "drift",
                w,
                Status.waived,
                "credit-risk",
                "12",
                "psi of income is 0.31, above the maximum 0.2",
                policy=credit,
                metric="psi",
                value=0.31,
                threshold={"max": 0.2},
                waiver=WAIVER,
                help=PSI_HELP,
            ),
            _f(
                "explain.no-proxy",
                "explainability",
                i,
                Status.not_evaluated,
                "credit-risk",
                "12",
                "no SHAP values: the model artifact is a pickle and was not named as trusted",
                policy=credit,
                controls=("eu-ai-act:Art.13",),
                help=PROXY_HELP,
            ),
            _f(
                "fairness.dp-sex",
                "fairness",
                b,
                ok,
                "credit-risk",
                "12",
                "demographic_parity_difference for sex is 0.041",
                policy=credit,
                metric="demographic_parity_difference",
                value=0.041,
                threshold={"max": 0.1},
                controls=FAIR_CONTROLS,
                help=FAIR_HELP,
            ),
            _f(
                "perf.auc",
                "performance",
                w,
                fail,
                "credit-risk",
                "12",
                "roc_auc | current window 0.731 < 0.75\nby group: female 0.70, male 0.75",
                policy=credit,
                metric="roc_auc",
                value=0.7312345678,
                threshold={"min": 0.75},
                help=AUC_HELP,
            ),
            _f(
                "repro.lineage",
                "reproducibility",
                b,
                fail,
                "credit-risk",
                "12",
                "missing: git_commit, seed",
                policy=credit,
                controls=CREDIT_CONTROLS,
                help=REPRO_HELP,
                evidence=LineageEvidence(
                    (
                        Requirement("git_commit", False, "no git commit tag on run 589ad"),
                        Requirement("seed", False, "no seed among the run's params"),
                    )
                ),
            ),
        ),
        fail_on=Severity.block,
        policies=(
            PolicyRef("churn-baseline", "1", "policies/churn.yaml", "a" * 64),
            PolicyRef(credit, "3", "policies/credit.yaml", "0123456789abcdef" * 4),
            PolicyRef("waivers", "1", "policies/waivers.yaml", "b" * 64, "Waivers"),
        ),
        warnings=("policies/waivers.yaml:12: waiver of drift.* for churn 1-2 matches no finding",),
        scope={"evaluated_at": "2026-11-22T12:00:00Z", "versions": 3},
    )
    return replace(result, **changes)


POLICY_PATHS = {
    "repro.lineage": "policies/credit.yaml",
    "fairness.dp-sex": "policies/credit.yaml",
    "drift.psi": "policies/credit.yaml",
    "perf.auc": "policies/credit.yaml",
    "churn.auc": "policies/churn rules.yaml",
}
RULE_LINES = {"repro.lineage": 9, "fairness.dp-sex": 14, "drift.psi": 21, "churn.auc": 7}


def render_all(result: CheckResult) -> dict[str, str]:
    """Every format, keyed by its golden file name."""
    return {
        "check.json": findings.render_json(result),
        "check.txt": findings.render_table(result, width=160),
        "check.junit.xml": junit.render_junit(result),
        "check.sarif.json": sarif.render_sarif(
            result, tool_version=TOOL_VERSION, policy_paths=POLICY_PATHS, rule_lines=RULE_LINES
        ),
        "check.md": markdown.render_markdown(result),
    }


def sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def junit_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMAS / "junit-10.xsd"))


# --- golden files and determinism -----------------------------------------------------------


@pytest.mark.parametrize("name", list(render_all(make_result())))
def test_golden(name: str) -> None:
    assert_golden(HERE, name, render_all(make_result())[name])


def test_outputs_are_byte_identical_across_renders_and_input_order() -> None:
    result = make_result()
    first = render_all(result)
    assert render_all(make_result()) == first
    shuffled = replace(result, findings=tuple(reversed(result.findings)))
    again = render_all(shuffled)
    for name in first:
        if name != "check.json":  # JSON mirrors the result as given; the engine sorts it
            assert again[name] == first[name], name


def test_json_is_the_canonical_result() -> None:
    result = make_result()
    text = findings.render_json(result)
    assert text == to_json(result.to_json())
    assert text == json.dumps(result.to_json(), indent=2, sort_keys=True) + "\n"
    data = json.loads(text)
    assert data["schema"] == "govern.check/v1" and data["decision"] == "fail"
    assert data["summary"] == {"pass": 3, "fail": 4, "waived": 1, "not_evaluated": 2}


# --- table ----------------------------------------------------------------------------------


def test_table_groups_by_severity_failing_first_then_summary() -> None:
    text = findings.render_table(make_result(), width=200)
    assert "\x1b[" not in text
    block, warn, info = (text.index(f"{s} (") for s in ("block", "warn", "info"))
    assert block < warn < info
    block_part = text[block:warn]
    assert block_part.index("fail") < block_part.index("not evaluated")
    assert block_part.index("not evaluated") < block_part.index("pass")
    assert (
        "decision: FAIL — 2 failing at or above block; 3 pass, 4 fail, 1 waived, "
        "2 not evaluated" in text
    )
    assert text.rstrip().endswith("matches no finding")
    assert "0.140000 / max 0.1" not in text and "0.14 / max 0.1" in text


def test_table_in_color_and_empty() -> None:
    assert "\x1b[" in findings.render_table(make_result(), color=True)
    empty = findings.render_table(make_result(findings=(), warnings=()))
    assert "No findings" in empty
    assert "decision: PASS — 0 failing at or above block" in empty


# --- JUnit ----------------------------------------------------------------------------------


def test_junit_validates_against_the_xsd(junit_schema: xmlschema.XMLSchema) -> None:
    junit_schema.validate(junit.render_junit(make_result()))
    junit_schema.validate(junit.render_junit(make_result(findings=(), scope={})))


def test_junit_counts_equal_the_statuses() -> None:
    result = make_result()
    root = ET.fromstring(junit.render_junit(result))
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [
        "govern: churn v1",
        "govern: credit-risk v3",
        "govern: credit-risk v12",
    ]
    counts = result.summary()
    assert root.get("tests") == str(len(result.findings))
    assert root.get("failures") == str(counts["fail"])
    assert root.get("errors") == "0"
    for suite in suites:
        model, version = (
            suite.findall("properties/property[@name='model']")[0].get("value"),
            suite.findall("properties/property[@name='version']")[0].get("value"),
        )
        mine = [f for f in result.findings if (f.model, f.version) == (model, version)]
        cases = suite.findall("testcase")
        assert suite.get("tests") == str(len(mine)) == str(len(cases))
        fails = sum(f.status is Status.failed for f in mine)
        skips = sum(f.status in (Status.waived, Status.not_evaluated) for f in mine)
        assert suite.get("failures") == str(fails) == str(len(suite.findall("testcase/failure")))
        assert suite.get("skipped") == str(skips) == str(len(suite.findall("testcase/skipped")))
        assert suite.get("errors") == "0"
        assert suite.get("timestamp") == "2026-11-22T12:00:00Z"


def test_junit_cases_carry_rule_severity_waiver_and_help() -> None:
    root = ET.fromstring(junit.render_junit(make_result()))
    v12 = root.find("testsuite[@name='govern: credit-risk v12']")
    assert v12 is not None
    lineage = v12.find("testcase[@name='repro.lineage']")
    assert lineage is not None and lineage.get("classname") == "reproducibility"
    failure = lineage.find("failure")
    assert failure is not None and failure.get("type") == "block"
    assert failure.get("message") == "missing: git_commit, seed"
    body = failure.text or ""
    assert "controls: eu-ai-act:AnnexIV(2)(d), nist-ai-rmf:MEASURE-2.1" in body
    assert REPRO_HELP in body
    auc = v12.find("testcase[@name='perf.auc']/failure")
    assert auc is not None and auc.get("type") == "warn"
    assert "value: 0.731235" in (auc.text or "") and "threshold: min 0.75" in (auc.text or "")
    waived = v12.find("testcase[@name='drift.psi']/skipped")
    assert waived is not None
    assert "RISK-1234" in (waived.get("message") or "")
    assert "expires 2026-12-31" in (waived.get("message") or "")
    skipped = v12.find("testcase[@name='explain.no-proxy']/skipped")
    assert skipped is not None and "pickle" in (skipped.get("message") or "")
    props = {(p.get("name"), p.get("value")) for p in v12.iter("property")}
    assert ("decision", "fail") in props
    assert ("policy", "credit-production v3 sha256:" + "0123456789abcdef" * 4) in props


def test_junit_strict_turns_failing_not_evaluated_into_failures(
    junit_schema: xmlschema.XMLSchema,
) -> None:
    result = make_result(strict=True)
    text = junit.render_junit(result)
    junit_schema.validate(text)
    churn = ET.fromstring(text).find("testsuite[@name='govern: churn v1']")
    assert churn is not None
    assert churn.get("failures") == "1" and churn.get("skipped") == "0"
    failure = churn.find("testcase[@name='repro.lineage']/failure")
    assert failure is not None and "--strict" in (failure.get("message") or "")


def test_junit_has_no_clock_without_evaluated_at_and_survives_control_characters(
    junit_schema: xmlschema.XMLSchema,
) -> None:
    result = make_result(scope={})
    bad = replace(result.findings[2], message='bell\x07 and nul\x00 <&> "quoted"')
    result = replace(result, findings=(bad, *result.findings[3:]))
    text = junit.render_junit(result)
    junit_schema.validate(text)
    assert "timestamp" not in text
    root = ET.fromstring(text)
    case = root.find(".//testcase[@name='docs.model-card']/failure")
    assert case is not None and case.get("message") == 'bell\ufffd and nul\ufffd <&> "quoted"'


# --- SARIF ----------------------------------------------------------------------------------


def test_sarif_validates_against_the_official_schema() -> None:
    validator = sarif_validator()
    for result in (make_result(), make_result(findings=(), scope={}), make_result(strict=True)):
        log = json.loads(sarif.render_sarif(result, tool_version=TOOL_VERSION))
        validator.validate(log)
    log = json.loads(render_all(make_result())["check.sarif.json"])
    validator.validate(log)
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"


def test_sarif_status_mapping() -> None:
    log = json.loads(sarif.render_sarif(make_result(), tool_version=TOOL_VERSION))
    (run,) = log["runs"]
    results = {(r["ruleId"], r["properties"]["model"], r["properties"]["version"]): r
               for r in run["results"]}  # fmt: skip
    assert len(results) == len(run["results"]) == 7  # every finding but the 3 passes
    lineage = results[("repro.lineage", "credit-risk", "12")]
    assert (lineage["kind"], lineage["level"]) == ("fail", "error")
    assert lineage["properties"]["failing"] is True
    auc = results[("perf.auc", "credit-risk", "12")]
    assert (auc["kind"], auc["level"]) == ("fail", "warning")
    assert auc["properties"]["failing"] is False
    card = results[("docs.model-card", "credit-risk", "3")]
    assert (card["kind"], card["level"]) == ("fail", "note")
    psi = results[("drift.psi", "credit-risk", "12")]
    assert (psi["kind"], psi["level"]) == ("fail", "warning")
    (suppression,) = psi["suppressions"]
    assert suppression["kind"] == "external" and suppression["status"] == "accepted"
    assert suppression["justification"] == WAIVER["justification"]
    assert suppression["properties"]["ticket"] == "RISK-1234"
    assert suppression["properties"]["expires"] == "2026-12-31"
    for key in (("repro.lineage", "churn", "1"), ("explain.no-proxy", "credit-risk", "12")):
        assert (results[key]["kind"], results[key]["level"]) == ("open", "none")
        assert "suppressions" not in results[key]
    assert run["properties"]["summary"] == make_result().summary()
    assert run["properties"]["decision"] == "fail"


def test_sarif_rules_one_descriptor_per_rule_with_help_and_tags() -> None:
    log = json.loads(sarif.render_sarif(make_result(), tool_version=TOOL_VERSION))
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "govern" and driver["version"] == TOOL_VERSION
    rules = driver["rules"]
    ids = [r["id"] for r in rules]
    assert ids == sorted({f.rule for f in make_result().findings})
    by_id = {r["id"]: r for r in rules}
    lineage = by_id["repro.lineage"]
    assert lineage["defaultConfiguration"]["level"] == "error"
    assert lineage["properties"]["tags"] == list(CREDIT_CONTROLS)
    assert lineage["fullDescription"]["text"] == REPRO_HELP
    assert lineage["help"]["text"] == REPRO_HELP
    assert "`eu-ai-act:AnnexIV(2)(d)`" in lineage["help"]["markdown"]
    assert lineage["shortDescription"]["text"].endswith("seed).")
    assert by_id["perf.auc"]["defaultConfiguration"]["level"] == "warning"
    assert by_id["docs.model-card"]["defaultConfiguration"]["level"] == "note"
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_sarif_locations_physical_when_known_logical_always() -> None:
    log = json.loads(render_all(make_result())["check.sarif.json"])
    (run,) = log["runs"]
    for result in run["results"]:
        (location,) = result["locations"]
        model, version = result["properties"]["model"], result["properties"]["version"]
        assert location["logicalLocations"] == [
            {"name": f"{model}/{version}", "fullyQualifiedName": f"{model}/{version}",
             "kind": "module"}
        ]  # fmt: skip
        rule = result["ruleId"]
        if rule in POLICY_PATHS:
            physical = location["physicalLocation"]
            expected = POLICY_PATHS[rule].replace(" ", "%20")
            assert physical["artifactLocation"]["uri"] == expected
            if rule in RULE_LINES:
                assert physical["region"] == {"startLine": RULE_LINES[rule]}
            else:
                assert "region" not in physical
        else:
            assert "physicalLocation" not in location


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("policies/credit.yaml", "policies/credit.yaml"),
        ("policies/a b#1.yaml", "policies/a%20b%231.yaml"),
        ("/srv/repo/policies/credit.yaml", "file:///srv/repo/policies/credit.yaml"),
        ("policies\\credit.yaml", "policies/credit.yaml"),
        ("C:\\repo\\policies\\credit.yaml", "file:///C:/repo/policies/credit.yaml"),
    ],
)
def test_sarif_artifact_uri(path: str, uri: str) -> None:
    assert sarif.artifact_uri(path) == uri


def test_sarif_fingerprints_are_stable_per_rule_model_version() -> None:
    result = make_result()
    one = json.loads(sarif.render_sarif(result, tool_version="1"))["runs"][0]["results"]
    changed = replace(
        result,
        findings=tuple(replace(f, message=f.message + " (again)") for f in result.findings),
    )
    two = json.loads(sarif.render_sarif(changed, tool_version="2"))["runs"][0]["results"]
    prints = [r["partialFingerprints"]["governFinding/v1"] for r in one]
    assert prints == [r["partialFingerprints"]["governFinding/v1"] for r in two]
    assert len(set(prints)) == len(prints)


# --- Markdown -------------------------------------------------------------------------------


def test_markdown_escapes_pipes_and_newlines_in_cells() -> None:
    text = markdown.render_markdown(make_result())
    assert text.startswith("**govern: FAIL** — 2 findings fail at or above `block`.")
    row = next(line for line in text.splitlines() if "`perf.auc`" in line)
    assert "roc_auc \\| current window 0.731 &lt; 0.75<br>by group" in row
    header = "| severity | model | version | rule | message |"
    table = text[text.index(header) :].split("\n\n", 1)[0].splitlines()
    assert len(table) == 2 + 4
    assert all(len(re.findall(r"(?<!\\)\|", line)) == 6 for line in table)
    assert markdown.escape_cell("a|b\r\nc\\d<e>") == "a\\|b<br>c\\\\d&lt;e&gt;"
    assert markdown.code("a|b") == "`a\\|b`"


def test_markdown_sections() -> None:
    text = markdown.render_markdown(make_result())
    failing = text[text.index("### Failing findings") : text.index("<details>")]
    rows = [line for line in failing.splitlines() if line.startswith("| ") and "`" in line]
    assert [r.split(" | ")[0] for r in rows] == ["| block", "| block", "| warn", "| info"]
    assert "<summary>All findings (10)</summary>" in text
    assert "### Waivers used" in text and "RISK-1234, expires 2026-12-31" in text
    assert "### Warnings" in text and "matches no finding" in text
    assert "| 3 | 4 | 1 | 2 |" in text


def test_markdown_pass_without_findings_or_waivers() -> None:
    passing = [f for f in make_result().findings if f.status is Status.passed]
    text = markdown.render_markdown(make_result(findings=tuple(passing), warnings=()))
    assert text.startswith("**govern: PASS** — no finding fails at or above `block`.")
    assert "No failing findings." in text
    assert "### Waivers used" not in text and "### Warnings" not in text
