"""Bundled demo data: real exports and example policies shipped inside the package.

See ``data/demo/README.md`` for where each export comes from.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

DEMO_DIR = Path(str(resources.files("govern") / "data" / "demo"))

#: The versions the demo gates: complete lineage (passes), a legacy version whose lineage gap
#: is waived but which is not validated (fails), one registered without a run (fails).
DEMO_GATES: tuple[tuple[str, str], ...] = (
    ("credit-risk", "2"),
    ("credit-risk", "1"),
    ("credit-risk", "3"),
)


def demo_inputs() -> list[Path]:
    """The bundled exports the demo ingests, in a stable order."""
    return sorted(p for p in (DEMO_DIR / "exports").iterdir() if not p.name.startswith("."))


def demo_policies() -> Path:
    """The example policies (a copy of the repository's ``policies/``)."""
    return DEMO_DIR / "policies"


def reset_store(path: Path) -> None:
    """Delete a demo store (and its WAL) so every demo run starts from nothing."""
    for candidate in (path, path.with_name(path.name + ".wal")):
        candidate.unlink(missing_ok=True)
