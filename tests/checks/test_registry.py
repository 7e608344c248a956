"""The check-kind registry: every kind by its name, its module imported on first use."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from govern.checks.registry import CHECK_KINDS


@pytest.mark.parametrize("name", sorted(CHECK_KINDS))
def test_every_kind_is_registered_under_its_own_name(name: str) -> None:
    assert CHECK_KINDS[name].name == name
    assert CHECK_KINDS[name] is CHECK_KINDS[name]  # made once


def test_an_unknown_kind_is_not_there() -> None:
    assert "metrics" not in CHECK_KINDS
    with pytest.raises(KeyError):
        CHECK_KINDS["metrics"]


def test_a_kind_imports_only_its_own_module() -> None:
    code = (
        "import json, sys\n"
        "from govern.checks.registry import CHECK_KINDS\n"
        "names = sorted(CHECK_KINDS)\n"
        "CHECK_KINDS['reproducibility']\n"
        "print(json.dumps([names, sorted(m for m in sys.modules if m.startswith('govern.checks.')"
        " or m.startswith('govern.metrics'))]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    names, modules = json.loads(done.stdout)
    assert names == sorted(CHECK_KINDS)
    assert modules == [
        "govern.checks.base",
        "govern.checks.registry",
        "govern.checks.reproducibility",
    ]
