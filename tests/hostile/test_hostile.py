"""Hostile input, one line per case: every case is refused plainly (or works) and loses nothing.

The cases live in ``cases/*.yaml`` next to this file (issue 9's probe, and every hole found
since), one file per area (ingest, store, policy, output, fairness). Each case is a mapping:

``name``
    what the case is (the test id).
``item``
    the item of the hardening issue it belongs to (for the record).
``base``
    the store the case starts from: ``registry`` (the demo's registry exports), ``demo``
    (exports and the demo's prediction logs of credit-risk) or ``none`` (no store at all).
``files``
    files to make under the case's folder first, by relative path. A value is the text of the
    file, or a mapping with one of: ``text``, ``repeat: [TEXT, N]`` (TEXT N times),
    ``symlink: TARGET``, ``fifo: true``, ``copy: PATH``, ``json: VALUE``, ``dir: true``.
``setup``
    command lines run first (each must exit 0), e.g. an ingest before ``models``.
``args``
    the command line after ``govern --db DB``. ``{tmp}`` is the case's folder, ``{db}`` the
    store, ``{demo}`` the bundled demo data (``src/govern/data/demo``), ``{policies}`` the
    example policies, ``{fixtures}`` ``tests/fixtures``.
``exit``
    the expected exit code (default 2).
``stderr`` / ``stdout``
    substrings the output must hold. No case may print "unexpectedly", a traceback, or a raw
    ESC/BEL character.
``store``
    ``unchanged`` (the default when ``exit`` is 2), ``absent`` (no store file may appear) or
    ``any``.

A case runs in-process with a time limit, so a hang (a FIFO read) fails instead of blocking.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from govern.cli.main import app
from govern.demo import DEMO_DIR, demo_policies
from tests.conftest import FIXTURES, dump_store
from tests.stores import demo_store, registry_store

CASES_DIR = Path(__file__).parent / "cases"


def _cases() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for file in sorted(CASES_DIR.glob("*.yaml")):
        for case in yaml.safe_load(file.read_text(encoding="utf-8")) or []:
            out.append({**case, "name": f"{file.stem}:{case['name']}"})
    return out


CASES = _cases()
TIME_LIMIT = 60
#: when the base stores were loaded
BUILT = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture(scope="session")
def bases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Template stores, built once: ``registry`` and ``demo``."""
    folder = tmp_path_factory.mktemp("hostile-bases")
    registry = registry_store(folder / "registry.duckdb", now=BUILT)
    demo = demo_store(folder / "demo.duckdb", now=BUILT, registry=registry)
    return {"registry": registry, "demo": demo}


def _make(root: Path, rel: str, spec: Any, subs: dict[str, str]) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(spec, str):
        path.write_text(_fill(spec, subs), encoding="utf-8")
        return
    if "text" in spec:
        path.write_text(_fill(spec["text"], subs), encoding="utf-8")
    elif "repeat" in spec:
        text, times = spec["repeat"]
        path.write_text(text * int(times), encoding="utf-8")
    elif "symlink" in spec:
        path.symlink_to(_fill(spec["symlink"], subs))
    elif "fifo" in spec:
        os.mkfifo(path)
    elif "copy" in spec:
        source = Path(_fill(spec["copy"], subs))
        if source.is_dir():
            shutil.copytree(source, path)
        else:
            shutil.copyfile(source, path)
    elif "json" in spec:
        path.write_text(json.dumps(spec["json"]), encoding="utf-8")
    elif "dir" in spec:
        path.mkdir(exist_ok=True)
    else:
        raise AssertionError(f"unknown file spec {spec!r}")


def _fill(text: str, subs: dict[str, str]) -> str:
    for key, value in subs.items():
        text = text.replace("{" + key + "}", value)
    return text


class _TimeLimit(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _TimeLimit(f"the case ran longer than {TIME_LIMIT} s (a hang?)")


@pytest.fixture
def time_limit() -> Iterator[None]:
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIME_LIMIT)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_hostile_case(
    case: dict[str, Any], bases: dict[str, Path], tmp_path: Path, time_limit: None
) -> None:
    root = tmp_path / "case"
    root.mkdir()
    db = tmp_path / "store" / "govern.duckdb"
    base = case.get("base", "registry")
    if base != "none":
        db.parent.mkdir()
        shutil.copyfile(bases[base], db)
    subs = {
        "tmp": str(root),
        "db": str(db),
        "demo": str(DEMO_DIR),
        "policies": str(demo_policies()),
        "fixtures": str(FIXTURES),
    }
    for rel, spec in (case.get("files") or {}).items():
        _make(root, rel, spec, subs)
    for step in case.get("setup", []):
        done = CliRunner().invoke(app, ["--db", str(db), *(_fill(str(a), subs) for a in step)])
        assert done.exit_code == 0, done.output
    before = dump_store(db)
    args = [_fill(str(a), subs) for a in case["args"]]
    result = CliRunner().invoke(app, ["--db", str(db), *args])
    expected = int(case.get("exit", 2))
    output = result.output
    assert result.exit_code == expected, output
    assert "unexpectedly" not in output, output
    assert "Traceback" not in output, output
    assert "\x1b" not in output and "\x07" not in output, repr(output)  # no raw escapes
    for needle in case.get("stderr", []):
        assert _fill(needle, subs) in result.stderr, result.stderr
    for needle in case.get("stdout", []):
        assert _fill(needle, subs) in result.stdout, result.stdout
    store = case.get("store", "unchanged" if expected == 2 else "any")
    if store == "unchanged":
        assert dump_store(db) == before
    elif store == "absent":
        assert not db.exists()
