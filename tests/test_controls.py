from __future__ import annotations

import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest

from govern.controls import (
    COVERAGE_GROUPS,
    Control,
    coverage,
    load_catalogs,
    lookup,
    validate_control_id,
)
from govern.policy.schema import RULE_BASE

# Lower bounds per framework: the catalogs may grow, but never silently shrink.
MIN_CONTROLS = {
    "eu-ai-act": 90,
    "nist-ai-rmf": 72,  # every AI RMF 1.0 subcategory
    "iso-42001": 38,  # every Annex A control
    "nyc-ll144": 20,
    "eeoc": 20,
    "sr-11-7": 12,
}

GOOD_CATALOG = """\
framework: demo
title: Demo framework
version: "1.0"
publisher: Nobody
source: https://example.org/demo
note: A catalog for tests.
controls:
  - id: "A.1"
    title: First
  - id: "A.2"
    title: Second
    summary: With a summary.
"""


def test_every_shipped_catalog_loads() -> None:
    catalogs = load_catalogs()
    assert set(catalogs) == set(MIN_CONTROLS)
    for prefix, framework in catalogs.items():
        assert framework.id == prefix
        assert framework.title and framework.version and framework.publisher and framework.note
        assert framework.source.startswith("https://")
        assert len(framework.controls) >= MIN_CONTROLS[prefix], prefix
        for control in framework.controls:
            assert control.framework == prefix
            assert control.id.startswith(f"{prefix}:")
            assert control.title


def test_catalogs_ship_as_package_data() -> None:
    folder = resources.files("govern") / "data" / "controls"
    names = {entry.name for entry in folder.iterdir()}
    assert {f"{prefix}.yaml" for prefix in MIN_CONTROLS} <= names


def test_control_ids_are_unique_and_fit_the_policy_schema() -> None:
    pattern = re.compile(RULE_BASE["controls"]["items"]["pattern"])
    ids = [c.id for fw in load_catalogs().values() for c in fw.controls]
    assert len(ids) == len(set(ids))
    assert all(pattern.match(i) for i in ids), [i for i in ids if not pattern.match(i)]


def test_no_catalog_claims_compliance() -> None:
    for fw in load_catalogs().values():
        texts = [fw.title, fw.note] + [f"{c.title} {c.summary or ''}" for c in fw.controls]
        assert not any("compliant with" in t.lower() for t in texts), fw.id


@pytest.mark.parametrize(
    "control_id",
    [
        "eu-ai-act:Art.10(2)(f)",
        "eu-ai-act:AnnexIV(2)(d)",
        "nist-ai-rmf:MEASURE-2.11",
        "nist-ai-rmf:GOVERN-1.1",
        "nist-ai-rmf:MANAGE-4.3",
        "iso-42001:A.6.2.4",
        "nyc-ll144:§5-301(b)(2)",
        "eeoc:1607.4(D)",
        "sr-11-7:V.outcomes-analysis",
    ],
)
def test_known_ids_validate(control_id: str) -> None:
    assert validate_control_id(control_id) is None
    control = lookup(control_id)
    assert isinstance(control, Control) and control.id == control_id


def test_lookup_gives_the_title() -> None:
    control = lookup("eu-ai-act:Art.10(2)(f)")
    assert control is not None
    assert control.framework == "eu-ai-act"
    assert control.local_id == "Art.10(2)(f)"
    assert control.title == "Examination in view of possible biases"
    assert lookup("eu-ai-act:Art.999") is None


def test_typo_suggests_the_closest_id() -> None:
    error = validate_control_id("eu-ai-act:Art.10(2)(ff)")
    assert error is not None
    assert "did you mean 'eu-ai-act:Art.10(2)(f)'" in error


def test_missing_prefix_suggests_the_full_id() -> None:
    error = validate_control_id("MEASURE-2.11")
    assert error is not None
    assert "no framework prefix" in error and "'nist-ai-rmf:MEASURE-2.11'" in error


def test_unknown_prefix_lists_known_prefixes() -> None:
    error = validate_control_id("eu-aiact:Art.10")
    assert error is not None
    assert "unknown framework 'eu-aiact'" in error
    assert "did you mean 'eu-ai-act'" in error
    for prefix in MIN_CONTROLS:
        assert prefix in error
    assert error.count(".") >= 1 and "\n" not in error


def test_coverage_groups_a_small_example() -> None:
    result = coverage(
        {
            "eu-ai-act:Art.10(2)(f)": ["pass", "pass"],
            "eu-ai-act:Art.15(1)": ["pass", "fail"],
            "eu-ai-act:AnnexIV(2)(d)": ["pass", "waived"],
            "eu-ai-act:Art.12(1)": ["not_evaluated"],
            "eu-ai-act:Art.9(8)": ["pass", "not_evaluated"],
            "eu-ai-act:Art.10(3)": [],
            "nist-ai-rmf:MEASURE-2.11": ["fail", "waived"],
        }
    )
    assert set(result) == set(MIN_CONTROLS)
    eu = result["eu-ai-act"]
    assert tuple(eu) == COVERAGE_GROUPS
    assert eu["evaluated-pass"] == ["eu-ai-act:Art.10(2)(f)"]
    assert eu["evaluated-fail"] == ["eu-ai-act:Art.15(1)"]
    assert eu["waived"] == ["eu-ai-act:AnnexIV(2)(d)"]
    # Catalog order, and a pass mixed with not_evaluated is not a pass.
    assert eu["not-evaluated"] == ["eu-ai-act:Art.9(8)", "eu-ai-act:Art.12(1)"]
    assert "eu-ai-act:Art.10(3)" in eu["not-covered"]
    total = sum(len(ids) for ids in eu.values())
    assert total == len(load_catalogs()["eu-ai-act"].controls)
    assert result["nist-ai-rmf"]["evaluated-fail"] == ["nist-ai-rmf:MEASURE-2.11"]
    assert result["sr-11-7"]["not-covered"] == [c.id for c in load_catalogs()["sr-11-7"].controls]


def test_coverage_refuses_unknown_ids_and_statuses() -> None:
    with pytest.raises(ValueError, match=re.escape("did you mean 'eu-ai-act:Art.10(2)(f)'")):
        coverage({"eu-ai-act:Art.10(2)(ff)": ["pass"]})
    with pytest.raises(ValueError, match="unknown finding status 'passed'"):
        coverage({"eu-ai-act:Art.10(2)(f)": ["passed"]})


def test_a_good_catalog_from_a_folder_loads(tmp_path: Path) -> None:
    (tmp_path / "demo.yaml").write_text(GOOD_CATALOG, encoding="utf-8")
    (tmp_path / "README.md").write_text("not a catalog", encoding="utf-8")
    catalogs = load_catalogs(tmp_path)
    assert list(catalogs) == ["demo"]
    assert [c.id for c in catalogs["demo"].controls] == ["demo:A.1", "demo:A.2"]
    assert catalogs["demo"].controls[1].summary == "With a summary."


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace('"A.2"', '"A.1"'), "duplicate control id 'A.1'"),
        (lambda t: t.replace("note: A catalog for tests.\n", ""), "missing required field 'note'"),
        (lambda t: t.replace("    title: Second\n", ""), "missing required field 'title'"),
        (lambda t: t.replace("title: First", "titel: First"), "unknown key 'titel'"),
        (lambda t: t.replace('"A.1"', "1607.5"), "must be a non-empty string"),
        (lambda t: t.replace("framework: demo", "framework: other"), "must match the file name"),
        (lambda t: t.replace('"A.2"', '"A 2"'), "must not contain whitespace"),
    ],
)
def test_a_bad_catalog_is_refused(tmp_path: Path, edit: Callable[[str], str], message: str) -> None:
    (tmp_path / "demo.yaml").write_text(edit(GOOD_CATALOG), encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        load_catalogs(tmp_path)
    assert "demo.yaml" in str(info.value)
