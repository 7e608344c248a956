"""Loading and linting policy files: every bad file is refused naming file and line."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from govern.errors import PolicyError
from govern.policy.loader import lint, load, version_in
from govern.policy.schema import policy_schema

ROOT = Path(__file__).resolve().parents[2]

GOOD = """\
apiVersion: govern/v1
kind: Policy
metadata: {id: credit-production, version: 3, owner: model-risk@example.com}
scope: {models: ["credit-*"], aliases: [champion], stages: [Production]}
rules:
  - id: repro.lineage
    check: reproducibility
    severity: block
    require: [git_commit, training_data_digest, params, environment, seed]
  - id: perf.auc
    check: metric
    metric: roc_auc
    min: 0.75
    severity: warn
"""


def write(tmp_path: Path, text: str, name: str = "policy.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def problems_of(path: Path) -> list[str]:
    return lint([path])[path]


def test_good_policy_loads(tmp_path: Path) -> None:
    policies = load([write(tmp_path, GOOD)])
    (policy,) = policies.policies
    assert policy.id == "credit-production" and policy.version == "3"
    assert [r.id for r in policy.rules] == ["repro.lineage", "perf.auc"]
    assert policy.rules[1].params == {"metric": "roc_auc", "min": 0.75}
    assert policy.rules[1].severity.value == "warn"
    assert policy.rules[0].source.endswith("policy.yaml:6")
    assert policy.scope.models == ("credit-*",)
    assert len(policy.sha256) == 64
    assert problems_of(tmp_path / "policy.yaml") == []


def test_unknown_key_suggests_the_closest(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    severity: warn", "    sevrity: warn"))
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:14:")
    assert "unknown key 'sevrity' (did you mean 'severity'?)" in problem


def test_unknown_requirement_suggests(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("params, environment", "params, enviroment"))
    (problem,) = problems_of(path)
    assert ":9:" in problem and "did you mean 'environment'" in problem


def test_unknown_check_kind(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("check: metric", "check: metrics"))
    (problem,) = problems_of(path)
    assert ":11:" in problem and "did you mean 'metric'" in problem


def test_wrong_type(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("min: 0.75", "min: high"))
    (problem,) = problems_of(path)
    assert ":13:" in problem and "'high' is not of type 'number'" in problem


def test_every_problem_is_reported(tmp_path: Path) -> None:
    text = GOOD.replace("min: 0.75", "min: high").replace("    severity: warn", "    sevrity: warn")
    assert len(problems_of(write(tmp_path, text))) == 2


def test_bad_glob(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('["credit-*"]', '["credit-[ab"]'))
    (problem,) = problems_of(path)
    assert ":4:" in problem and "unbalanced" in problem


def test_anchors_are_refused(tmp_path: Path) -> None:
    bomb = GOOD + 'x: &a ["lol", "lol"]\ny: &b [*a, *a, *a, *a]\nz: [*b, *b, *b, *b]\n'
    path = write(tmp_path, bomb)
    with pytest.raises(PolicyError) as info:
        load([path])
    assert f"{path}:15:" in info.value.diagnostics()
    assert "anchors and aliases" in info.value.diagnostics()


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    min: 0.75", "    min: 0.75\n    min: 0.9"))
    (problem,) = problems_of(path)
    assert ":14:" in problem and "duplicate key 'min' (first on line 13)" in problem


def test_empty_rules_are_refused(tmp_path: Path) -> None:
    text = GOOD.split("rules:")[0] + "rules: []\n"
    (problem,) = problems_of(write(tmp_path, text))
    assert ":5:" in problem and "must not be empty" in problem


def test_duplicate_rule_ids(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("id: perf.auc", "id: repro.lineage"))
    (problem,) = problems_of(path)
    assert ":10:" in problem and "duplicate rule id 'repro.lineage' (first on line 6)" in problem


def test_missing_required_parameter(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    metric: roc_auc\n", ""))
    (problem,) = problems_of(path)
    assert ":10:" in problem and "'metric' is a required property" in problem


def test_wrong_api_version_and_kind(tmp_path: Path) -> None:
    path = write(
        tmp_path, GOOD.replace("govern/v1", "govern/v2").replace("kind: Policy", "kind: Polcy")
    )
    problems = problems_of(path)
    assert any(":1:" in p and "govern/v1" in p for p in problems)
    assert any(":2:" in p and "did you mean 'Policy'" in p for p in problems)


def test_invalid_yaml(tmp_path: Path) -> None:
    path = write(tmp_path, "apiVersion: govern/v1\nkind: [Policy\n")
    (problem,) = problems_of(path)
    assert str(path) in problem and "not valid YAML" in problem


def test_load_refuses_invalid_with_all_problems(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("min: 0.75", "min: high"))
    with pytest.raises(PolicyError) as info:
        load([path])
    text = info.value.diagnostics()
    assert "1 problem" in text and ":13:" in text and "govern policy lint" in text


def test_include_rule_sets(tmp_path: Path) -> None:
    write(
        tmp_path,
        """\
        apiVersion: govern/v1
        kind: RuleSet
        metadata: {id: lineage-basics}
        rules:
          - {id: repro.commit, check: reproducibility, require: [git_commit]}
        """,
        "lineage.yaml",
    )
    sub = tmp_path / "policies"
    sub.mkdir()
    path = write(
        sub,
        """\
        apiVersion: govern/v1
        kind: Policy
        metadata: {id: p}
        include: [../lineage.yaml]
        rules:
          - {id: perf.auc, check: metric, metric: roc_auc, min: 0.7}
        """,
    )
    # the tree is the folder named: tmp_path holds both files
    (policy,) = load([tmp_path]).policies
    assert policy.path == path
    assert [r.id for r in policy.rules] == ["perf.auc", "repro.commit"]
    assert policy.rules[1].policy_id == "p"
    assert [i.id for i in policy.includes] == ["lineage-basics"]


def test_include_missing_and_cycle(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        apiVersion: govern/v1
        kind: Policy
        metadata: {id: p}
        include: [nope.yaml]
        """,
    )
    with pytest.raises(PolicyError, match="does not exist"):
        load([path])


def test_waivers_load(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    write(
        tmp_path,
        """\
        apiVersion: govern/v1
        kind: Waivers
        metadata: {id: credit-waivers}
        waivers:
          - rule: repro.lineage
            model: credit-risk
            versions: ">=1,<3"
            justification: Legacy model trained before lineage capture.
            approver: cro@example.com
            ticket: RISK-101
            expires: 2026-12-31
        """,
        "waivers.yaml",
    )
    policies = load([tmp_path])
    (waiver,) = policies.waivers
    assert waiver.matches("repro.lineage", "credit-risk", "2")
    assert not waiver.matches("repro.lineage", "credit-risk", "3")
    assert waiver.expires.isoformat() == "2026-12-31"
    assert {r.kind for r in policies.refs()} == {"Policy", "Waivers"}


def test_waiver_without_expiry_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        apiVersion: govern/v1
        kind: Waivers
        waivers:
          - rule: repro.lineage
            model: credit-risk
            justification: Legacy model trained before lineage capture.
            approver: cro@example.com
        """,
    )
    (problem,) = problems_of(path)
    assert ":4:" in problem and "'expires' is a required property" in problem


def test_waiver_bad_date(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        apiVersion: govern/v1
        kind: Waivers
        waivers:
          - {rule: r, model: m, justification: long enough text, approver: a, expires: 2026-13-45}
        """,
    )
    (problem,) = problems_of(path)
    assert ":4:" in problem and "not a valid date" in problem


@pytest.mark.parametrize(
    ("version", "spec", "ok"),
    [
        ("3", "*", True),
        ("3", "3", True),
        ("3", ">=3,<5", True),
        ("5", ">=3,<5", False),
        ("2", "!=2", False),
        ("10", ">9", True),
        ("abc", "abc", True),
    ],
)
def test_version_ranges(version: str, spec: str, ok: bool) -> None:
    assert version_in(version, spec) is ok


def test_published_schema_is_current() -> None:
    published = json.loads((ROOT / "docs" / "policy.schema.json").read_text())
    assert published == policy_schema(), "run: govern policy schema -o docs/policy.schema.json"


def test_unknown_control_id(tmp_path: Path) -> None:
    text = GOOD.replace(
        "    severity: block\n",
        "    severity: block\n"
        '    controls: ["eu-ai-act:Art.10(2)(ff)", "nist-ai-rmf:MEASURE-2.1"]\n',
        1,
    )
    (problem,) = problems_of(write(tmp_path, text))
    assert ":9:" in problem and "Art.10(2)(ff)" in problem and "Art.10(2)(f)" in problem


def test_unknown_control_framework(tmp_path: Path) -> None:
    text = GOOD.replace(
        "    severity: block\n", '    severity: block\n    controls: ["gdpr:Art.22"]\n', 1
    )
    (problem,) = problems_of(write(tmp_path, text))
    assert ":9:" in problem and "eu-ai-act" in problem
