"""Issue 9 (policy side): no fail-open bound, includes stay in the tree, bounded reads, scale."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import pytest

from govern.checks.base import Rule, Subject
from govern.checks.metric import LoggedMetric
from govern.errors import PolicyError
from govern.models import Severity, Status
from govern.policy import loader, yamlsource
from govern.policy.engine import baseline_lookup
from govern.policy.loader import ENV_INCLUDE_PATH, lint, load
from govern.policy.schema import policy_schema
from govern.policy.yamlsource import MAX_BYTES, MAX_DEPTH, parse
from tests.checks.test_rule_cases import lineage

POLICY = """\
apiVersion: govern/v1
kind: Policy
metadata: {id: p}
rules:
  - id: perf.auc
    check: metric
    metric: roc_auc
    min: 0.7
"""

RULESET = """\
apiVersion: govern/v1
kind: RuleSet
metadata: {id: shared}
rules:
  - {id: repro.commit, check: reproducibility, require: [git_commit]}
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def with_include(*targets: str) -> str:
    return POLICY.replace("rules:", f"include: [{', '.join(targets)}]\nrules:")


# -- 1. NaN and Infinity never pass ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [".nan", ".NaN", ".NAN", ".inf", ".Inf", "-.inf", "+.INF", "1.0e+999", "-1.5e+400", "9" * 400],
)
def test_nonfinite_bound_is_a_lint_error(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "p.yaml", POLICY.replace("min: 0.7", f"min: {text}"))
    problems = lint([path])[path]
    shown = text if len(text) <= 24 else text[:20] + "..."
    expected = f"{path}:8: rules[0].min: {shown} is not a finite number; "
    assert any(p.startswith(expected) for p in problems), problems
    with pytest.raises(PolicyError) as info:
        load([path])
    assert "not a finite number" in info.value.diagnostics()


@pytest.mark.parametrize(
    ("old", "new", "line", "where"),
    [
        ("min: 0.7", "min_relative_change: .nan", 8, "rules[0].min_relative_change"),
        (
            "metadata: {id: p}",
            "metadata: {id: p}\nscope: {tags: {tier: .inf}}",
            4,
            "scope.tags.tier",
        ),
        ("min: 0.7", "min: 0.7\n    max: -.inf", 9, "rules[0].max"),
    ],
)
def test_nonfinite_anywhere_is_a_lint_error(
    tmp_path: Path, old: str, new: str, line: int, where: str
) -> None:
    path = write(tmp_path, "p.yaml", POLICY.replace(old, new))
    problems = lint([path])[path]
    assert any(p.startswith(f"{path}:{line}: {where}: ") for p in problems), problems


def test_nonfinite_in_an_included_rule_set(tmp_path: Path) -> None:
    write(
        tmp_path,
        "shared.yaml",
        RULESET.replace(
            "{id: repro.commit, check: reproducibility, require: [git_commit]}",
            "{id: perf.loss, check: metric, metric: loss, max: .nan}",
        ),
    )
    path = write(tmp_path, "p.yaml", with_include("shared.yaml"))
    (problem,) = lint([path])[path]
    assert "shared.yaml:5: rules[0].max: .nan is not a finite number" in problem


def test_quoted_nan_is_not_a_number(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", POLICY.replace("min: 0.7", "min: 'nan'"))
    (problem,) = lint([path])[path]
    assert ":8:" in problem and "is not of type 'number'" in problem


def _metric(params: dict[str, Any], value: float = 0.6997, base: float = 0.7) -> Status:
    rule = Rule(id="perf.auc", check="metric", severity=Severity.block, params=params)
    version = lineage({"version": "1", "metrics": {"roc_auc": value}})
    champion = lineage({"version": "2", "aliases": ("champion",), "metrics": {"roc_auc": base}})
    finding = LoggedMetric().evaluate(rule, Subject(version, baseline_lookup([version, champion])))
    return finding.status


@pytest.mark.parametrize(
    "params",
    [
        {"min": float("nan")},
        {"max": float("nan")},
        {"min": float("-inf"), "max": float("inf")},
        {"min": 10**400},
        {"baseline": {"alias": "champion"}, "min_relative_change": float("nan")},
        {"baseline": {"alias": "champion"}, "min_absolute_change": float("nan")},
    ],
)
def test_a_nonfinite_bound_never_passes(params: dict[str, Any]) -> None:
    # credit-risk v1 has AUC 0.6997: with a NaN bound it used to pass "within bounds"
    assert _metric({"metric": "roc_auc", **params}, base=0.5) is Status.failed


def test_finite_bounds_still_work() -> None:
    assert _metric({"metric": "roc_auc", "min": 0.6}) is Status.passed
    assert _metric({"metric": "roc_auc", "min": 0.75}) is Status.failed
    assert _metric({"metric": "roc_auc", "min": 0.6}, value=float("nan")) is Status.not_evaluated


# -- 7. includes stay inside the policy tree ------------------------------------------------


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A secret file outside the policy tree, shaped to make lint echo it."""
    return write(
        tmp_path,
        "outside/secret.json",
        '{"apiVersion": "AKIA-SECRET-VALUE", "kind": "RuleSet", "rules": [{"id": "AKIA-2"}]}',
    )


@pytest.mark.parametrize("named", ["folder", "file"])
def test_include_outside_the_tree_is_refused_without_reading_it(
    tmp_path: Path, outside: Path, named: str
) -> None:
    path = write(tmp_path, "policies/sub/p.yaml", with_include("../../outside/secret.json"))
    target = tmp_path / "policies" if named == "folder" else path
    (problem,) = lint([target])[path]
    assert problem.startswith(f"{path}:4: include '../../outside/secret.json' is outside")
    assert "GOVERN_POLICY_INCLUDE_PATH" in problem
    assert "AKIA" not in problem
    with pytest.raises(PolicyError) as info:
        load([target])
    assert "AKIA" not in info.value.diagnostics()


def test_absolute_include_is_refused(tmp_path: Path, outside: Path) -> None:
    path = write(tmp_path, "policies/p.yaml", with_include(str(outside), "/dev/zero"))
    (problem,) = lint([path])[path]
    assert ":4: include " in problem and "outside the policy tree" in problem


def test_symlink_leading_out_counts_as_outside(tmp_path: Path, outside: Path) -> None:
    write(tmp_path, "policies/p.yaml", with_include("rules/link.json"))
    (tmp_path / "policies/rules").mkdir()
    (tmp_path / "policies/rules/link.json").symlink_to(outside)
    (problem,) = lint([tmp_path / "policies"])[tmp_path / "policies/p.yaml"]
    assert "outside the policy tree" in problem and "AKIA" not in problem


def test_symlinked_policy_leading_out_of_the_folder_is_refused(
    tmp_path: Path, outside: Path
) -> None:
    write(tmp_path, "policies/p.yaml", POLICY)
    (tmp_path / "policies/evil.yaml").symlink_to(outside)
    with pytest.raises(PolicyError, match="leads out of the policy folder") as info:
        lint([tmp_path / "policies"])
    assert "AKIA" not in info.value.diagnostics()


def test_include_inside_the_tree_and_through_the_allow_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "policies/rulesets/shared.yaml", RULESET)
    inside = write(tmp_path, "policies/p.yaml", with_include("rulesets/shared.yaml"))
    (policy,) = load([inside]).policies  # a named file's tree is its folder
    assert [r.id for r in policy.rules] == ["perf.auc", "repro.commit"]

    write(tmp_path, "company/shared.yaml", RULESET)
    path = write(tmp_path, "team/p.yaml", with_include("../company/shared.yaml"))
    assert "outside the policy tree" in lint([path])[path][0]
    monkeypatch.setenv(ENV_INCLUDE_PATH, os.pathsep.join(["", str(tmp_path / "company")]))
    assert lint([path])[path] == []
    (policy,) = load([path]).policies
    assert [r.id for r in policy.rules] == ["perf.auc", "repro.commit"]


def test_only_rule_set_files_can_be_included(tmp_path: Path) -> None:
    write(tmp_path, "policies/.env", "apiVersion: AKIA-SECRET\n")
    path = write(tmp_path, "policies/p.yaml", with_include(".env"))
    (problem,) = lint([path])[path]
    assert "is not a RuleSet file" in problem and "AKIA" not in problem


# -- 3. bounded reads -------------------------------------------------------------------------


def test_devices_are_refused_without_reading(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="/dev/zero is not a regular file"):
        load([Path("/dev/zero")])
    assert "not a regular file" in lint([Path("/dev/zero")])[Path("/dev/zero")][0]


def test_a_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    write(tmp_path, "policies/p.yaml", with_include("pipe.yaml"))
    os.mkfifo(tmp_path / "policies/pipe.yaml")
    results = lint([tmp_path / "policies"])
    assert "not a regular file" in results[tmp_path / "policies/pipe.yaml"][0]
    assert "pipe.yaml is not a regular file" in results[tmp_path / "policies/p.yaml"][0]


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as f:
        f.truncate(MAX_BYTES + 1)  # sparse: nothing is really written
    (problem,) = lint([path])[path]
    assert "larger than 16 MiB" in problem and "include them" in problem


def test_a_file_at_the_size_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    text = POLICY.encode()
    path.write_bytes(text + b"#" * (MAX_BYTES - len(text)))
    assert lint([path])[path] == []


@pytest.mark.parametrize(("depth", "refused"), [(MAX_DEPTH, False), (MAX_DEPTH + 1, True)])
def test_nesting_limit(tmp_path: Path, depth: int, refused: bool) -> None:
    nested = "[" * (depth - 1) + "]" * (depth - 1)
    path = write(tmp_path, "p.yaml", POLICY + f"x: {nested}\n")
    problems = lint([path])[path]
    assert any("levels deep" in p for p in problems) is refused, problems


def test_value_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlsource, "MAX_VALUES", 9)
    assert parse("a: [1, 2, 3, 4, 5, 6, 7]\n", Path("p.yaml")).data == {"a": [1, 2, 3, 4, 5, 6, 7]}
    with pytest.raises(PolicyError, match=r"p\.yaml:2: the file holds more than 9 values"):
        parse("a: [1, 2, 3, 4, 5, 6, 7]\nb: [1]\n", Path("p.yaml"))


def test_very_deep_nesting_is_a_plain_error() -> None:
    # libyaml refuses flow nesting past 1000 levels while scanning ahead: also a plain error
    with pytest.raises(PolicyError, match=r"levels deep|nesting depth"):
        parse("a: " + "[" * 100_000, Path("deep.yaml"))
    with pytest.raises(PolicyError, match=f"more than {MAX_DEPTH} levels deep"):
        parse("a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 200)), Path("deep.yaml"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: !!python/object/apply:os.system [ls]\n", "tag tag:yaml.org,2002:python"),
        ("a: !!python/name:os.system x\n", "is not allowed"),
        ("a: !custom {b: 1}\n", "tag !custom is not allowed"),
        ("a: 1\n---\nb: 2\n", "one YAML document"),
        ("? [a, b]\n: 1\n", "key must be a plain string"),
        ("a: 1\n<<: {b: 2}\n", "merge keys"),
        ("# only a comment\n", "the file is empty"),
    ],
)
def test_what_a_policy_never_needs_is_refused(text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse(text, Path("p.yaml"))


def test_parse_keeps_lines_and_values() -> None:
    src = parse(
        "a: 1\nb:\n  - x\n  - {c: 2026-01-02, d: yes}\ne: []\nf: {}\n2026-01-01: z\n", Path("p")
    )
    assert src.data == {
        "a": 1,
        "b": ["x", {"c": "2026-01-02", "d": True}],
        "e": [],
        "f": {},
        "2026-01-01": "z",
    }
    assert src.lines[("b", 1, "d")] == 4 and src.lines[("e",)] == 5
    assert src.line(("b", 1, "d", "missing")) == 4
    assert src.nonfinite == []


# -- 11. scale ------------------------------------------------------------------------------


def big_policy(n: int) -> str:
    lines = ["apiVersion: govern/v1", "kind: Policy", "metadata: {id: big}", "rules:"]
    lines.extend(
        f"  - {{id: r{i}, check: metric, metric: auc, min: 0.{i % 10}1}}" for i in range(n)
    )
    return "\n".join(lines) + "\n"


def test_a_20k_rule_policy(tmp_path: Path) -> None:
    n = 20_000
    path = write(tmp_path, "big.yaml", big_policy(n))
    assert lint([path])[path] == []
    (policy,) = load([path]).policies
    assert len(policy.rules) == n
    assert [r.id for r in policy.rules[:3]] == ["r0", "r1", "r2"]
    assert policy.rules[-1].id == f"r{n - 1}"
    assert policy.rules[-1].params == {"metric": "auc", "min": 0.91}
    assert policy.rules[-1].source == f"{path}:{n + 4}"

    # a duplicate id at the end, a NaN and a typo in the middle: each named with its line
    text = (
        big_policy(n)
        .replace("id: r19999,", "id: r3,")
        .replace(
            "{id: r10000, check: metric, metric: auc, min: 0.01}",
            "{id: r10000, check: metric, metric: auc, min: .nan, sevrity: warn}",
        )
    )
    path = write(tmp_path, "big.yaml", text)
    problems = lint([path])[path]
    assert problems == [
        f"{path}:10005: rules[10000]: unknown key 'sevrity' (did you mean 'severity'?). "
        "Allowed: baseline, check, controls, description, greater_is_better, id, max, metric, "
        "min, min_absolute_change, min_relative_change, severity.",
        f"{path}:10005: rules[10000].min: .nan is not a finite number; NaN and Infinity are "
        "never allowed in a policy (a bound must be a finite value).",
        f"{path}:{n + 4}: duplicate rule id 'r3' (first on line 8).",
    ]


# -- the fast schema validation equals the published schema's ------------------------------


def _reference(data: Any) -> set[tuple[tuple[Any, ...], str, str]]:
    import jsonschema

    validator = jsonschema.Draft202012Validator(
        policy_schema(), format_checker=jsonschema.FormatChecker()
    )
    return {
        (tuple(leaf.absolute_path), leaf.validator, leaf.message)
        for error in validator.iter_errors(data)
        for leaf in loader._leaves(error)
    }


def _fast(data: Any) -> set[tuple[tuple[Any, ...], str, str]]:
    return {
        ((*prefix, *leaf.absolute_path), leaf.validator, leaf.message)
        for prefix, error in loader._schema_errors(data)
        for leaf in loader._leaves(error)
    }


RULES: list[Any] = [
    {"id": "a", "check": "metric", "metric": "auc", "min": 0.7},
    {"id": "b", "check": "metric", "min": "high", "sevrity": "warn"},
    {"id": "c", "check": "metrics", "metric": "auc"},
    {"check": "fairness"},
    {"id": "d"},
    "not a rule",
    {"id": "e", "check": 5},
    {"id": "bad id!", "check": "reproducibility", "require": ["enviroment"]},
    {"id": "f", "check": "drift", "features": 3, "controls": ["x", "x"]},
]


@pytest.mark.parametrize(
    "data",
    [
        {"apiVersion": "govern/v1", "kind": "Policy", "metadata": {"id": "p"}, "rules": RULES},
        {"apiVersion": "govern/v1", "kind": "RuleSet", "rules": RULES},
        {"apiVersion": "govern/v2", "rules": RULES},
        {"apiVersion": "govern/v1", "kind": "Polcy", "rules": RULES},
        {"apiVersion": "govern/v1", "kind": "Waivers", "rules": RULES, "waivers": []},
        {"apiVersion": "govern/v1", "kind": "Policy", "metadata": {}, "rules": "x"},
        {"apiVersion": "govern/v1", "kind": "Policy", "metadata": {"id": "p"}, "rules": []},
        {"kind": ["Policy"], "rules": RULES},
    ],
)
def test_fast_schema_validation_equals_the_schema(data: Any) -> None:
    assert _fast(data) == _reference(data)
