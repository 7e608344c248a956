r"""Shared rendering helpers: canonical JSON and rich renderables to plain text.

Human output never carries a control character from the data: model names, tags and paths
come from files govern did not write, and an ANSI/OSC escape sequence in a model name must not
reach the user's terminal (to retitle it, hide text or fake a result). Every rich renderable
printed by govern passes through :class:`EscapeControls`, which shows such characters as
visible escapes (``\x1b``) after layout; rich's own styling is added afterwards and is kept.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from typing import Any

from rich.console import Console, ConsoleOptions, ConsoleRenderable, RenderableType, RenderHook
from rich.segment import Segment

#: C0 controls but newline and tab, DEL, C1 controls, and the Unicode bidirectional overrides
#: and isolates ("Trojan Source"), which reorder what a reader sees.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def escape_control(text: str) -> str:
    r"""Show control characters of ``text`` as visible escapes (``\x1b``, ``\u202e``)."""
    return _CONTROL.sub(_escape_one, text)


def _escape_one(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class _Escaped:
    """A renderable whose text segments have their control characters escaped."""

    def __init__(self, inner: ConsoleRenderable) -> None:
        self.inner = inner

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Segment]:
        for segment in console.render(self.inner, options):
            if segment.control or not _CONTROL.search(segment.text):
                yield segment
            else:
                yield Segment(escape_control(segment.text), segment.style)


class EscapeControls(RenderHook):
    """A console render hook that escapes control characters in everything printed."""

    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        """Wrap every renderable so its text is escaped after layout."""
        return [_Escaped(r) for r in renderables]


def safe_console(**kwargs: Any) -> Console:
    """A rich console whose output never carries a control character from the data."""
    console = Console(**kwargs)
    console.push_render_hook(EscapeControls())
    return console


#: What ``json.dumps(ensure_ascii=False)`` leaves raw but a terminal may act on: DEL, C1
#: controls and the bidirectional overrides (C0 controls are always escaped by ``json``).
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def to_json(data: Any) -> str:
    """Serialise result data as stable, sorted, indented JSON (terminal-safe, still UTF-8)."""
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


def to_text(*renderables: RenderableType, width: int = 160, color: bool = False) -> str:
    """Render rich objects (tables, text) to a string, control characters escaped."""
    buffer = io.StringIO()
    console = safe_console(
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
