"""Golden files, one helper for every golden test (formats, review, report).

:func:`assert_golden` compares an output with ``<folder>/golden/<name>``. On a mismatch the
output is saved to ``<folder>/actual/<name>`` (ignored by git) and the test fails with a diff;
``GOVERN_UPDATE_GOLDEN=1`` rewrites the golden instead (then review the git diff). Outputs are
compared as bytes of their UTF-8 text, so line endings and trailing newlines count.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

#: Lines of diff shown in a failure (the whole output is in ``actual/``).
DIFF_LINES = 80


def assert_golden(folder: Path, name: str, actual: str) -> None:
    """Compare ``actual`` with ``folder/golden/name``; save mismatches; rewrite on request."""
    golden = folder / "golden" / name
    saved = folder / "actual" / name
    if os.environ.get("GOVERN_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(actual.encode("utf-8"))
        return
    expected = golden.read_bytes().decode("utf-8") if golden.exists() else None
    if expected == actual:
        return
    saved.parent.mkdir(parents=True, exist_ok=True)
    saved.write_bytes(actual.encode("utf-8"))
    if expected is None:
        pytest.fail(
            f"no golden file {golden}; the output is in {saved}. "
            "Run with GOVERN_UPDATE_GOLDEN=1 to create it."
        )
    diff = difflib.unified_diff(
        expected.splitlines(keepends=True),
        actual.splitlines(keepends=True),
        fromfile=f"golden/{name}",
        tofile=f"actual/{name}",
    )
    shown = "".join(list(diff)[:DIFF_LINES])
    pytest.fail(
        f"{name} differs from its golden file (the output is in {saved}; "
        f"GOVERN_UPDATE_GOLDEN=1 rewrites the golden):\n{shown}"
    )
