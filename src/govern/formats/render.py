"""Shared rendering helpers: canonical JSON and rich renderables to plain text."""

from __future__ import annotations

import io
import json
from typing import Any

from rich.console import Console, RenderableType


def to_json(data: Any) -> str:
    """Serialise result data as stable, sorted, indented JSON."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def to_text(*renderables: RenderableType, width: int = 160, color: bool = False) -> str:
    """Render rich objects (tables, text) to a string."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        color_system="standard" if color else None,
        force_terminal=color,
        highlight=False,
        emoji=False,
        markup=False,  # user data ("[x1]", model names) is never rich markup
    )
    for item in renderables:
        console.print(item)
    return buffer.getvalue()
