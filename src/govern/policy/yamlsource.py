"""Safe YAML loading that remembers where every value came from.

Policy errors must name the file and the line. PyYAML's composer gives nodes with marks; this
module turns them into plain data plus a map from each value's path (a tuple of keys and list
indexes) to its line. It refuses what a policy file never needs and an attacker could abuse:
anchors and aliases (the "billion laughs" bomb), duplicate keys (the second silently wins in
most loaders), non-string keys, and several documents in one file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from govern.errors import PolicyError

Location = tuple[str | int, ...]


@dataclass
class Sourced:
    """Plain data loaded from a YAML file, with the line (1-based) of every path in it."""

    path: Path
    data: Any
    lines: dict[Location, int] = field(default_factory=dict)
    text: bytes = b""

    def line(self, location: Location) -> int:
        """The line of ``location``, or of its closest parent that has one."""
        loc = tuple(location)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), 1)

    def where(self, location: Location) -> str:
        """``file:line`` of a location, for messages."""
        return f"{self.path}:{self.line(location)}"


def load(path: Path) -> Sourced:
    """Read and parse a YAML file; raise :class:`PolicyError` naming file and line."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise PolicyError("does not exist.", path=path) from exc
    except OSError as exc:
        raise PolicyError(f"cannot be read: {exc.strerror}.", path=path) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PolicyError("is not UTF-8 text.", path=path) from exc
    return parse(text, path, raw)


def parse(text: str, path: Path, raw: bytes | None = None) -> Sourced:
    """Parse YAML text (see :func:`load`)."""
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, yaml.AnchorToken | yaml.AliasToken):
                raise PolicyError(
                    f"{path}:{token.start_mark.line + 1}: YAML anchors and aliases "
                    "(&name, *name) are not allowed in policy files.",
                    hint="Write the value out, or move shared rules into a file and `include` it.",
                )
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or exc.context or "invalid YAML"
        raise PolicyError(f"{path}:{line}: not valid YAML: {problem}.") from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML: {exc}.") from exc
    sourced = Sourced(path=path, data=None, text=raw if raw is not None else text.encode())
    if node is None:
        raise PolicyError(f"{path}:1: the file is empty.")
    sourced.data = _convert(node, (), sourced)
    return sourced


def _convert(node: yaml.Node, location: Location, out: Sourced) -> Any:
    out.lines.setdefault(location, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise PolicyError(
                    f"{out.path}:{key_node.start_mark.line + 1}: merge keys (<<) are not allowed."
                )
            key = _scalar(key_node)
            if not isinstance(key, str):
                raise PolicyError(
                    f"{out.path}:{key_node.start_mark.line + 1}: key {key!r} is not a string."
                )
            if key in result:
                raise PolicyError(
                    f"{out.path}:{key_node.start_mark.line + 1}: duplicate key {key!r} "
                    f"(first on line {out.lines[(*location, key)]}).",
                    hint="Each key may appear once; remove or rename one of them.",
                )
            out.lines[(*location, key)] = key_node.start_mark.line + 1
            result[key] = _convert(value_node, (*location, key), out)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, (*location, i), out) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    """Construct a scalar; dates become ISO-8601 strings (policy data is JSON-shaped)."""
    constructor = yaml.SafeLoader("")
    try:
        value = constructor.construct_object(node, deep=True)
    except (ValueError, yaml.YAMLError):
        # e.g. 2026-13-45 looks like a date but is none: keep the text, the schema says why
        value = str(node.value)
    finally:
        constructor.dispose()
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
