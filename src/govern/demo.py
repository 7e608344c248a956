"""Bundled demo data: real exports shipped inside the package (see data/demo/README.md)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

DEMO_DIR = Path(str(resources.files("govern") / "data" / "demo"))


def demo_inputs() -> list[Path]:
    """The bundled exports the demo ingests, in a stable order."""
    return sorted(
        p for p in DEMO_DIR.iterdir() if not p.name.startswith(".") and p.name != "README.md"
    )


def reset_store(path: Path) -> None:
    """Delete a demo store (and its WAL) so every demo run starts from nothing."""
    for candidate in (path, path.with_name(path.name + ".wal")):
        candidate.unlink(missing_ok=True)
