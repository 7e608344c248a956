"""Control catalogs: the regulatory control IDs a policy rule can map its evidence to.

Each framework ships as one YAML file in ``govern/data/controls/<framework>.yaml`` (see the README
there). A full control ID is ``<framework>:<local id>``, e.g. ``eu-ai-act:Art.10(2)(f)`` or
``nist-ai-rmf:MEASURE-2.11``. A rule that names a control provides *evidence mapped to* that
control; nothing here, and nothing a report derives from it, is a claim of compliance.

A catalog that is malformed (missing field, duplicate ID, wrong type) is refused with a
:class:`ValueError` naming the file: catalogs are data that ship with govern, so a bad one is a
packaging bug, not a user error.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "COVERAGE_GROUPS",
    "Control",
    "Framework",
    "coverage",
    "load_catalogs",
    "lookup",
    "validate_control_id",
]

#: The coverage groups of :func:`coverage`, in the order a report shows them.
COVERAGE_GROUPS: tuple[str, ...] = (
    "evaluated-pass",
    "evaluated-fail",
    "waived",
    "not-evaluated",
    "not-covered",
)

_STATUSES = frozenset({"pass", "fail", "waived", "not_evaluated"})
_FRAMEWORK_KEYS = ("framework", "title", "version", "publisher", "source", "note", "controls")
_CONTROL_KEYS = ("id", "title", "summary")
_PREFIX = re.compile(r"^[a-z0-9-]+$")


@dataclass(frozen=True)
class Control:
    """One control of a framework, identified by its full ID ``<framework>:<local id>``."""

    id: str
    framework: str
    title: str
    summary: str | None = None

    @property
    def local_id(self) -> str:
        """The ID inside its framework, e.g. ``Art.10(2)(f)``."""
        return self.id.split(":", 1)[1]


@dataclass(frozen=True)
class Framework:
    """One catalog: a framework's metadata and its controls in document order."""

    id: str
    title: str
    version: str
    publisher: str
    source: str
    note: str
    controls: tuple[Control, ...]


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where} must be a non-empty string, not {value!r}.")
    return value.strip()


def _unknown_keys(data: Mapping[str, Any], allowed: Sequence[str], where: str) -> None:
    for key in data:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"{where}: unknown key {key!r}{hint}.")


def _parse_framework(name: str, text: str) -> Framework:
    """Parse and check one catalog file; ``name`` is its file name, used in every error."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{name}: not valid YAML ({exc}).") from exc
    if not isinstance(data, Mapping):
        raise ValueError(
            f"{name}: a catalog must be a mapping with keys {', '.join(_FRAMEWORK_KEYS)}."
        )
    _unknown_keys(data, _FRAMEWORK_KEYS, name)
    for key in _FRAMEWORK_KEYS:
        if key not in data:
            raise ValueError(f"{name}: missing required field {key!r}.")
    prefix = _text(data["framework"], f"{name}: 'framework'")
    if not _PREFIX.match(prefix):
        raise ValueError(
            f"{name}: framework {prefix!r} must be lower-case letters, digits and '-'."
        )
    stem = name.rsplit(".", 1)[0]
    if stem != prefix:
        raise ValueError(f"{name}: framework {prefix!r} must match the file name ({prefix}.yaml).")
    raw_controls = data["controls"]
    if not isinstance(raw_controls, list) or not raw_controls:
        raise ValueError(f"{name}: 'controls' must be a non-empty list.")
    controls: list[Control] = []
    first: dict[str, int] = {}
    for i, raw in enumerate(raw_controls):
        where = f"{name}: controls[{i}]"
        if not isinstance(raw, Mapping):
            raise ValueError(f"{where} must be a mapping with 'id' and 'title'.")
        _unknown_keys(raw, _CONTROL_KEYS, where)
        for key in ("id", "title"):
            if key not in raw:
                raise ValueError(f"{where}: missing required field {key!r}.")
        local = _text(raw["id"], f"{where}: 'id'")
        if any(ch.isspace() for ch in local) or ":" in local:
            raise ValueError(f"{where}: id {local!r} must not contain whitespace or ':'.")
        if local in first:
            raise ValueError(
                f"{name}: duplicate control id {local!r} (controls[{first[local]}] and "
                f"controls[{i}])."
            )
        first[local] = i
        summary = raw.get("summary")
        controls.append(
            Control(
                id=f"{prefix}:{local}",
                framework=prefix,
                title=_text(raw["title"], f"{where}: 'title'"),
                summary=None if summary is None else _text(summary, f"{where}: 'summary'"),
            )
        )
    return Framework(
        id=prefix,
        title=_text(data["title"], f"{name}: 'title'"),
        version=_text(data["version"], f"{name}: 'version'"),
        publisher=_text(data["publisher"], f"{name}: 'publisher'"),
        source=_text(data["source"], f"{name}: 'source'"),
        note=_text(data["note"], f"{name}: 'note'"),
        controls=tuple(controls),
    )


def _load_dir(root: Traversable) -> dict[str, Framework]:
    files = sorted(
        (entry for entry in root.iterdir() if entry.is_file() and entry.name.endswith(".yaml")),
        key=lambda entry: entry.name,
    )
    if not files:
        raise ValueError(f"{root}: no control catalogs (*.yaml) found.")
    catalogs: dict[str, Framework] = {}
    for entry in files:
        framework = _parse_framework(entry.name, entry.read_text(encoding="utf-8"))
        catalogs[framework.id] = framework
    return catalogs


@functools.cache
def load_catalogs(directory: Path | None = None) -> dict[str, Framework]:
    """Load every catalog, keyed by framework prefix, in file-name order.

    ``directory`` defaults to the catalogs shipped in the package (``govern/data/controls``);
    pass another folder to load catalogs from there (tests do). The result is cached per
    directory; treat it as read-only.

    Raises:
        ValueError: a catalog is not valid YAML, misses a field, has an unknown key, a duplicate
            control ID, or a framework prefix that does not match its file name.
    """
    root: Traversable = (
        resources.files("govern") / "data" / "controls" if directory is None else directory
    )
    return _load_dir(root)


@functools.cache
def _index() -> dict[str, Control]:
    return {c.id: c for fw in load_catalogs().values() for c in fw.controls}


def lookup(control_id: str) -> Control | None:
    """Return the shipped control with this full ID, or None when it is unknown."""
    return _index().get(control_id)


def _quoted_choices(choices: Sequence[str]) -> str:
    quoted = [repr(c) for c in choices]
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]


def validate_control_id(control_id: str) -> str | None:
    """Return None when ``control_id`` is a known control, else a one-sentence error.

    The error suggests the closest known IDs ("did you mean ...?"); an unknown framework prefix
    gets its own message listing the known prefixes.
    """
    index = _index()
    if control_id in index:
        return None
    catalogs = load_catalogs()
    prefixes = ", ".join(catalogs)
    if ":" not in control_id:
        locals_ = {c.local_id: c.id for c in index.values()}
        close = difflib.get_close_matches(control_id, list(locals_), n=3)
        hint = f"; did you mean {_quoted_choices([locals_[c] for c in close])}?" if close else "."
        return (
            f"control ID {control_id!r} has no framework prefix: write <framework>:<id> with one "
            f"of {prefixes}{hint}"
        )
    prefix = control_id.split(":", 1)[0]
    if prefix not in catalogs:
        close = difflib.get_close_matches(prefix, list(catalogs), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return (
            f"unknown framework {prefix!r} in control ID {control_id!r}{hint}; known frameworks: "
            f"{prefixes}."
        )
    close = difflib.get_close_matches(control_id, list(index), n=3, cutoff=0.6)
    if close:
        return f"unknown control ID {control_id!r}; did you mean {_quoted_choices(close)}?"
    return (
        f"unknown control ID {control_id!r}: it is not in the {prefix} catalog "
        f"({catalogs[prefix].title})."
    )


def _group(statuses: Sequence[str]) -> str:
    if not statuses:
        return "not-covered"
    if "fail" in statuses:
        return "evaluated-fail"
    if "waived" in statuses:
        return "waived"
    if all(s == "pass" for s in statuses):
        return "evaluated-pass"
    return "not-evaluated"


def coverage(findings_by_control: Mapping[str, Sequence[str]]) -> dict[str, dict[str, list[str]]]:
    """Group every catalog control by what the findings mapped to it say.

    ``findings_by_control`` maps a full control ID to the statuses (``pass``, ``fail``,
    ``waived``, ``not_evaluated``) of the findings mapped to it. For each framework the result
    holds every :data:`COVERAGE_GROUPS` key, each a list of full control IDs in catalog order:

    - ``evaluated-fail``: at least one mapped finding failed;
    - ``waived``: at least one was waived and none failed;
    - ``evaluated-pass``: every mapped finding passed;
    - ``not-evaluated``: the rest (only ``not_evaluated``, or passes mixed with
      ``not_evaluated``: a control is never counted as passed on partial evidence);
    - ``not-covered``: no finding is mapped to the control.

    These groups describe the evidence mapped to a control, never compliance with it.

    Raises:
        ValueError: a control ID is unknown or a status is not one of the four above.
    """
    catalogs = load_catalogs()
    for control_id, statuses in findings_by_control.items():
        error = validate_control_id(control_id)
        if error:
            raise ValueError(error)
        if isinstance(statuses, str):
            raise ValueError(
                f"statuses for {control_id!r} must be a list, not the string {statuses!r}."
            )
        bad = sorted({str(s) for s in statuses} - _STATUSES)
        if bad:
            raise ValueError(
                f"unknown finding status {bad[0]!r} for {control_id!r}; expected one of "
                f"{', '.join(sorted(_STATUSES))}."
            )
    result: dict[str, dict[str, list[str]]] = {}
    for prefix, framework in catalogs.items():
        groups: dict[str, list[str]] = {name: [] for name in COVERAGE_GROUPS}
        for control in framework.controls:
            statuses = [str(s) for s in findings_by_control.get(control.id, ())]
            groups[_group(statuses)].append(control.id)
        result[prefix] = groups
    return result
