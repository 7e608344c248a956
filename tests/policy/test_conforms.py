"""The quick "does this policy conform?" (govern.policy.conforms) equals jsonschema's answer.

Loading a valid policy no longer imports jsonschema (issue 10, item 6): the loader asks
:func:`~govern.policy.conforms.conforms`, and asks jsonschema for the problems only when the
answer is no. So the answer must never be yes where jsonschema finds an error, and should be
yes wherever jsonschema finds none (or every valid policy would pay for jsonschema again). Both
are checked on every policy written in the repository and its tests, and on random mutations of
them.
"""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govern.checks.registry import CHECK_KINDS
from govern.errors import PolicyError
from govern.policy import loader
from govern.policy.conforms import conforms
from govern.policy.schema import policy_schema
from govern.policy.yamlsource import parse

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"


def _texts() -> list[tuple[str, str]]:
    """(where, text) of every policy, rule-set or waiver file written in the repository."""
    found: list[tuple[str, str]] = []
    for folder in (ROOT / "policies", ROOT / "src" / "govern" / "data" / "demo" / "policies"):
        for path in sorted(folder.rglob("*.y*ml")):
            found.append((str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for i, block in enumerate(re.findall(r"```yaml\n(.*?)```", readme, flags=re.DOTALL)):
        if "apiVersion:" in block:
            found.append((f"README.md yaml block {i}", block))
    for path in sorted((TESTS / "hostile" / "cases").glob("*.yaml")):
        for i, text in enumerate(_strings(yaml.safe_load(path.read_text(encoding="utf-8")))):
            if "apiVersion: govern/v1" in text:
                found.append((f"{path.relative_to(ROOT)} string {i}", text))
    for path in sorted(TESTS.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and "apiVersion: govern/v1" in node.value
            ):
                found.append((f"{path.relative_to(ROOT)}:{node.lineno}", node.value))
    return found


def _strings(data: Any) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [s for v in data.values() for s in _strings(v)]
    if isinstance(data, list):
        return [s for v in data for s in _strings(v)]
    return []


def _documents() -> list[tuple[str, Any]]:
    out = []
    for where, text in _texts():
        try:
            data = parse(text, Path("p.yaml")).data
        except PolicyError:
            continue  # not YAML: the loader refuses it before any schema
        if isinstance(data, dict):
            out.append((where, data))
    return out


DOCUMENTS = _documents()


def _valid(data: Any) -> bool:
    """jsonschema's answer: the file has no schema error."""
    return not any(True for _ in loader._schema_errors(data))


def test_the_corpus_is_large_and_mostly_valid() -> None:
    valid = [where for where, data in DOCUMENTS if _valid(data)]
    assert len(DOCUMENTS) >= 40, len(DOCUMENTS)
    assert len(valid) >= 30, valid


@pytest.mark.parametrize(("where", "data"), DOCUMENTS, ids=[w for w, _ in DOCUMENTS])
def test_conforms_equals_jsonschema_on_every_policy_written(where: str, data: Any) -> None:
    assert loader._conforms(data) == _valid(data), where


# -- random mutations of them ---------------------------------------------------------------


def _keys(schema: Any, into: set[str]) -> set[str]:
    if isinstance(schema, dict):
        into.update(schema.get("properties", {}))
        for value in schema.values():
            _keys(value, into)
    elif isinstance(schema, list):
        for value in schema:
            _keys(value, into)
    return into


def _words(schema: Any, into: set[Any]) -> set[Any]:
    """Every enum and const value of the schema: values a mutation should try."""
    if isinstance(schema, dict):
        into.update(v for v in schema.get("enum", []) if isinstance(v, str | int | float))
        if isinstance(schema.get("const"), str | int | float):
            into.add(schema["const"])
        for value in schema.values():
            _words(value, into)
    elif isinstance(schema, list):
        for value in schema:
            _words(value, into)
    return into


SCHEMA = policy_schema()
KEYS = sorted(_keys(SCHEMA, set()) | {"check", "sevrity", "x"})
WORDS = [
    *sorted(_words(SCHEMA, set()), key=repr),
    "2026-01-31",
    "2026-02-30",
    "２０２６-01-01",
    "",
    "a b",
    "eu-ai-act:Art.10(2)(f)",
    "x:y",
    ">=3,<5",
    "all",
]
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.sampled_from([0.0, 0.5, 1.0, -1.5, 2.0, 1e300, float("nan"), float("inf")])
    | st.sampled_from(WORDS)
    | st.text(max_size=4)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=3)
    ),
    max_leaves=6,
)


def _containers(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of every mapping and list in ``data``."""
    if isinstance(data, dict):
        return [path, *(p for k, v in data.items() for p in _containers(v, (*path, k)))]
    if isinstance(data, list):
        return [path, *(p for i, v in enumerate(data) for p in _containers(v, (*path, i)))]
    return []


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def _leaves(data: Any) -> list[Any]:
    if isinstance(data, dict):
        return [leaf for v in data.values() for leaf in _leaves(v)]
    if isinstance(data, list):
        return [leaf for v in data for leaf in _leaves(v)]
    return [data]


#: Every scalar of the corpus: a value from another policy is often valid here too.
LEAVES = sorted({(type(v).__name__, repr(v)): v for _, d in DOCUMENTS for v in _leaves(d)}.items())
CORPUS_VALUES = st.sampled_from([v for _, v in LEAVES])


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    """A policy of the corpus with one to three changes: some keep it valid, most do not."""
    _, base = draw(st.sampled_from(DOCUMENTS))
    data = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        container = _at(data, draw(st.sampled_from(_containers(data))))
        value = draw(st.one_of(CORPUS_VALUES, VALUES))
        if isinstance(container, dict) and container and draw(st.booleans()):
            # the same key, with a value of the same type from anywhere in the corpus
            key = draw(st.sampled_from(sorted(container)))
            same = [v for _, v in LEAVES if type(v) is type(container[key])]
            if same:
                container[key] = draw(st.sampled_from(same))
                continue
        if isinstance(container, dict):
            key = draw(st.sampled_from(sorted(container) + KEYS))
            if key in container and draw(st.booleans()):
                del container[key]
            else:
                container[key] = value
        elif container and draw(st.booleans()):
            container[draw(st.integers(0, len(container) - 1))] = value
        else:
            container.append(value)
    return data


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated())
def test_conforms_equals_jsonschema_on_mutated_policies(data: Any) -> None:
    assert loader._conforms(data) == _valid(data)


# -- what it withholds ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "instance", "expected"),
    [
        ({"enum": [1]}, True, False),  # True is not 1, as in JSON
        ({"enum": [1]}, 1.0, True),  # 1 is 1.0
        ({"type": "integer"}, 2.0, True),
        ({"type": "integer"}, False, False),
        ({"type": "number"}, True, False),
        ({"format": "date"}, "2026-02-28", True),
        ({"format": "date"}, "2026-02-30", False),
        ({"format": "date"}, "２０２６-01-01", False),  # jsonschema's pattern is ASCII
        ({"format": "date"}, 20260101, True),  # a format says nothing of other types
        ({"const": "all"}, ["all"], False),
        ({"not": {"required": ["a", "b"]}}, {"a": 1}, True),
        ({"if": {"const": 1}, "then": False, "else": True}, 1, False),
        ({"oneOf": [{"type": "string"}, {"const": "all"}]}, "all", False),
        ({"$defs": {"a": {"type": "string"}}, "$ref": "#/$defs/a"}, "x", True),
    ],
)
def test_answers_as_jsonschema_does(schema: Any, instance: Any, expected: bool) -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    assert validator.is_valid(instance) is expected
    assert conforms(schema, instance) is expected


@pytest.mark.parametrize(
    "schema",
    [
        {"multipleOf": 2},  # a keyword it does not know
        {"format": "email"},  # a format it does not know
        {"$ref": "https://example.com/s.json"},  # a reference it does not resolve
        {"uniqueItems": True},  # items it cannot compare exactly
    ],
)
def test_withholds_a_yes_it_cannot_give_exactly(schema: Any) -> None:
    assert conforms(schema, [1, 2.5]) is False  # the loader then asks jsonschema


def test_a_policy_builds_only_the_check_kinds_it_uses() -> None:
    loader._kind_schema.cache_clear()
    data = {
        "apiVersion": "govern/v1",
        "kind": "Policy",
        "metadata": {"id": "p"},
        "rules": [{"id": "r", "check": "reproducibility", "require": ["run"]}],
    }
    assert loader._conforms(data)
    assert loader._kind_schema.cache_info().currsize == 1
    assert "reproducibility" in CHECK_KINDS
