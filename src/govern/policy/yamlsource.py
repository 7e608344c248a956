"""Safe YAML loading that remembers where every value came from.

Policy errors must name the file and the line. This module reads PyYAML's event stream once
(with libyaml when it is installed) and builds plain data plus a map from each value's path (a
tuple of keys and list indexes) to its line. It refuses what a policy file never needs and an
attacker could abuse: anchors and aliases (the "billion laughs" bomb), merge keys, tags other
than YAML's own, duplicate keys (the second silently wins in most loaders), non-string keys,
several documents in one file, and anything that is not a regular file.

A policy document is bounded: at most :data:`MAX_BYTES` bytes, :data:`MAX_DEPTH` levels of
nesting and :data:`MAX_VALUES` values. All are far beyond any real policy and keep a hostile
file from exhausting memory or the stack. Non-finite numbers (``.nan``, ``.inf``,
``1.0e+999``) are loaded but recorded in :attr:`Sourced.nonfinite`, so that validation can
refuse them with their line.
"""

from __future__ import annotations

import math
import stat
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from govern.errors import PolicyError
from govern.fileio import Unreadable, read_regular

Location = tuple[str | int, ...]

#: The largest policy, rule-set or waiver file govern reads (16 MiB).
MAX_BYTES = 16 * 1024 * 1024
#: The deepest nesting of mappings and lists a policy file may have.
MAX_DEPTH = 64
#: The most values (scalars, lists and mappings) a policy file may hold; a 100,000-rule policy
#: has about 500,000.
MAX_VALUES = 1_000_000

_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass
class Sourced:
    """Plain data loaded from a YAML file, with the line (1-based) of every path in it."""

    path: Path
    data: Any
    lines: dict[Location, int] = field(default_factory=dict)
    text: bytes = b""
    #: numbers that are NaN, infinite or too large for a float: location and text as written
    nonfinite: list[tuple[Location, str]] = field(default_factory=list)

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


def read_bounded(path: Path) -> bytes:
    """The bytes of a regular file of at most :data:`MAX_BYTES`; :class:`PolicyError` otherwise.

    Read by :func:`govern.fileio.read_regular`: a device, FIFO or socket is refused before it
    is opened, the open descriptor is checked again, and a file over the limit is refused by
    its size without being read (or, if it grows meanwhile, after one byte past the limit).
    """
    raw, size = read_regular(
        path, error=_unreadable, limit=MAX_BYTES + 1, head_over=MAX_BYTES, head=0
    )
    if size > MAX_BYTES or len(raw) > MAX_BYTES:
        raise PolicyError(_too_large(path))
    return raw


def _unreadable(problem: Unreadable) -> PolicyError:
    path = problem.path
    if isinstance(problem.error, FileNotFoundError):
        return PolicyError("does not exist.", path=path)
    if problem.error is not None:
        return PolicyError(f"cannot be read: {problem.error.strerror}.", path=path)
    kind = "a folder" if stat.S_ISDIR(problem.mode or 0) else "not a regular file"
    return PolicyError(
        f"{path} is {kind}; a policy must be a regular YAML or JSON file "
        "(devices, FIFOs and sockets are never read)."
    )


def _line(event: yaml.Event) -> int:
    mark = event.start_mark
    return mark.line + 1 if mark is not None else 1


def _too_large(path: Path) -> str:
    return (
        f"{path} is larger than {MAX_BYTES // (1024 * 1024)} MiB, the limit for a policy file; "
        "split its rules into RuleSet files and include them."
    )


def load(path: Path) -> Sourced:
    """Read and parse a YAML file; raise :class:`PolicyError` naming file and line."""
    raw = read_bounded(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PolicyError("is not UTF-8 text.", path=path) from exc
    return parse(text, path, raw)


def parse(text: str, path: Path, raw: bytes | None = None) -> Sourced:
    """Parse YAML text (see :func:`load`)."""
    sourced = Sourced(path=path, data=None, text=raw if raw is not None else text.encode())
    loader = _LOADER(text)
    try:
        sourced.data = _Builder(loader, sourced).document()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or exc.context or "invalid YAML"
        raise PolicyError(f"{path}:{line}: not valid YAML: {problem}.") from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML: {exc}.") from exc
    finally:
        loader.dispose()
    return sourced


class _Builder:
    """Plain data from the event stream, in one pass, without recursion."""

    def __init__(self, loader: yaml.SafeLoader, out: Sourced) -> None:
        self.loader: Any = loader  # libyaml's CParser or PyYAML's, both untyped
        self.out = out

    def _fail(self, event: yaml.Event, text: str, hint: str | None = None) -> PolicyError:
        return PolicyError(f"{self.out.path}:{_line(event)}: {text}", hint=hint)

    def document(self) -> Any:
        """The single document of the stream (a PolicyError when empty or several)."""
        loader = self.loader
        loader.get_event()  # StreamStart
        if loader.check_event(yaml.StreamEndEvent):
            raise PolicyError(f"{self.out.path}:1: the file is empty.")
        loader.get_event()  # DocumentStart
        data = self._value()
        loader.get_event()  # DocumentEnd
        if not loader.check_event(yaml.StreamEndEvent):
            event = loader.get_event()
            raise self._fail(
                event,
                "a policy file holds one YAML document; found a second one.",
                hint="Remove the `---` line, or split the documents into files.",
            )
        return data

    def _check(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise self._fail(
                event,
                "YAML anchors and aliases (&name, *name) are not allowed in policy files.",
                hint="Write the value out, or move shared rules into a file and `include` it.",
            )

    def _value(self) -> Any:
        """The next node of the stream, built with an explicit stack."""
        loader, out = self.loader, self.out
        root: list[Any] = []
        # each frame: (container, location, pending key of a mapping or None)
        stack: list[tuple[Any, Location, list[str | None]]] = [(root, (), [None])]
        new: tuple[Any, Location, list[str | None]] | None
        count = 0
        while True:
            event = loader.get_event()
            self._check(event)
            container, location, pending = stack[-1]
            if isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                stack.pop()
                if len(stack) == 1:
                    return root[0]
                continue
            is_key = isinstance(container, dict) and pending[0] is None
            if is_key:
                if not isinstance(event, yaml.ScalarEvent):
                    raise self._fail(event, "a key must be a plain string, not a list or mapping.")
                key = self._key(event, container, location)
                pending[0] = key
                out.lines[(*location, key)] = _line(event)
                continue
            if isinstance(container, dict):
                here: Location = (*location, str(pending[0]))
                pending[0] = None
            elif container is root:
                here = ()
            else:
                here = (*location, len(container))
            out.lines.setdefault(here, _line(event))
            count += 1
            if count > MAX_VALUES:
                raise self._fail(
                    event,
                    f"the file holds more than {MAX_VALUES:,} values, the limit for a policy "
                    "file; split its rules into RuleSet files and include them.",
                )
            if isinstance(event, yaml.ScalarEvent):
                value = self._scalar(event, here)
                new = None
            elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                is_map = isinstance(event, yaml.MappingStartEvent)
                if event.tag not in (None, "!", _MAP_TAG if is_map else _SEQ_TAG):
                    raise self._fail(event, f"the tag {event.tag} is not allowed in policy files.")
                if len(stack) > MAX_DEPTH:
                    raise self._fail(
                        event,
                        f"the file nests mappings and lists more than {MAX_DEPTH} levels deep, "
                        "the limit for a policy file.",
                    )
                value = {} if is_map else []
                new = (value, here, [None])
            else:  # pragma: no cover - the parser gives no other event inside a document
                raise self._fail(event, f"unexpected YAML event {type(event).__name__}.")
            if isinstance(container, dict):
                container[here[-1]] = value
            else:
                container.append(value)
            if new is not None:
                stack.append(new)
            elif container is root:
                return value

    def _key(self, event: yaml.ScalarEvent, mapping: dict[str, Any], location: Location) -> str:
        tag = self._tag(event)
        if tag == _MERGE_TAG:
            raise self._fail(event, "merge keys (<<) are not allowed.")
        key = self._construct(event, tag)
        if not isinstance(key, str):
            raise self._fail(event, f"key {key!r} is not a string.")
        if key in mapping:
            raise self._fail(
                event,
                f"duplicate key {key!r} (first on line {self.out.lines[(*location, key)]}).",
                hint="Each key may appear once; remove or rename one of them.",
            )
        return key

    def _tag(self, event: yaml.ScalarEvent) -> str:
        if event.tag is not None and event.tag != "!":
            return str(event.tag)
        tag: str = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        return tag

    def _scalar(self, event: yaml.ScalarEvent, location: Location) -> Any:
        """Construct a scalar; dates become ISO-8601 strings (policy data is JSON-shaped)."""
        value = self._construct(event, self._tag(event))
        finite = True
        if isinstance(value, float):
            finite = math.isfinite(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            try:
                float(value)
            except OverflowError:
                finite = False
        if not finite:
            text = str(event.value)
            self.out.nonfinite.append((location, text if len(text) <= 24 else text[:20] + "..."))
        return value

    def _construct(self, event: yaml.ScalarEvent, tag: str) -> Any:
        constructor = self.loader.yaml_constructors.get(tag)
        if constructor is None:
            raise self._fail(event, f"the tag {tag} is not allowed in policy files.")
        node: Any = yaml.ScalarNode(tag, event.value, None, None, event.style)
        try:
            value = constructor(self.loader, node)
        except (ValueError, OverflowError, yaml.YAMLError):
            # e.g. 2026-13-45 looks like a date but is none: keep the text, the schema says why
            return str(event.value)
        if isinstance(value, datetime | date):
            return value.isoformat()
        return value
