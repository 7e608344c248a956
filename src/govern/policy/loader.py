"""Load and validate policy, rule-set and waiver files into typed objects.

Validation reports *every* problem of a file at once, each as ``file:line: message``: JSON
Schema errors (an unknown key gets a "did you mean" hint), then what a schema cannot say:
NaN or Infinity anywhere, unknown control IDs, duplicate rule ids, malformed globs, missing or
circular includes. Every check is linear in the size of the file.

Includes stay inside the policy tree: the folder named with ``--policy`` (for a named file, its
folder). An include that resolves elsewhere, also through a symlink, is refused unless its
folder is listed in the environment variable :data:`ENV_INCLUDE_PATH`. Files found by walking a
folder never lead out of it through a symlink either.
"""

from __future__ import annotations

import difflib
import fnmatch
import functools
import hashlib
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from govern.checks.base import Rule
from govern.checks.registry import CHECK_KINDS
from govern.errors import PolicyError
from govern.inventory import VersionLineage
from govern.models import PolicyRef, Severity
from govern.policy import yamlsource
from govern.policy.conforms import conforms
from govern.policy.schema import RULE_BASE, file_schema, policy_schema, rule_def
from govern.policy.yamlsource import Location, Sourced

YAML_SUFFIXES = (".yaml", ".yml")
#: What an ``include`` may name: RuleSet files in YAML or JSON.
INCLUDE_SUFFIXES = (*YAML_SUFFIXES, ".json")
#: Extra folders (separated by ``os.pathsep``) whose files policies may include, besides the
#: policy tree itself.
ENV_INCLUDE_PATH = "GOVERN_POLICY_INCLUDE_PATH"


@dataclass(frozen=True)
class Scope:
    """Which model versions a policy applies to."""

    models: tuple[str, ...] = ("*",)
    aliases: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)

    def matches_model(self, name: str) -> bool:
        """True when the model name matches one of the globs."""
        return any(fnmatch.fnmatchcase(name, glob) for glob in self.models)

    def matches(self, version: VersionLineage) -> bool:
        """True when the version is in scope: model glob, then alias or stage, then tags."""
        if not self.matches_model(version.model):
            return False
        if self.aliases or self.stages:
            placed = bool(set(self.aliases) & set(version.aliases)) or (
                version.stage is not None and version.stage in self.stages
            )
            if not placed:
                return False
        for key, value in self.tags.items():
            actual = version.tags.get(key, version.model_tags.get(key))
            if actual != value:
                return False
        return True


@dataclass(frozen=True)
class Policy:
    """A loaded policy: metadata, scope, data mapping and rules (includes merged)."""

    id: str
    version: str
    owner: str | None
    path: Path
    sha256: str
    scope: Scope
    data: Mapping[str, Any]
    rules: tuple[Rule, ...]
    includes: tuple[PolicyRef, ...] = ()

    def ref(self) -> PolicyRef:
        """The policy as a reference with the hash of its file."""
        return PolicyRef(self.id, self.version, str(self.path), self.sha256, "Policy")


@dataclass(frozen=True)
class Waiver:
    """An exception to a rule for a model's versions, until a date."""

    rule: str
    model: str
    versions: str
    justification: str
    approver: str
    expires: date
    ticket: str | None
    source: str

    def matches(self, rule: str, model: str, version: str) -> bool:
        """True when the waiver covers this rule, model and version."""
        return (
            fnmatch.fnmatchcase(rule, self.rule)
            and fnmatch.fnmatchcase(model, self.model)
            and version_in(version, self.versions)
        )

    def active(self, today: date) -> bool:
        """A waiver applies through the end of its ``expires`` day (UTC)."""
        return today <= self.expires

    def to_json(self) -> dict[str, Any]:
        """The waiver as shown in results."""
        out: dict[str, Any] = {
            "rule": self.rule,
            "model": self.model,
            "versions": self.versions,
            "justification": self.justification,
            "approver": self.approver,
            "expires": self.expires.isoformat(),
            "source": self.source,
        }
        if self.ticket:
            out["ticket"] = self.ticket
        return out


@dataclass(frozen=True)
class PolicySet:
    """Every policy and waiver loaded for one evaluation."""

    policies: tuple[Policy, ...]
    waivers: tuple[Waiver, ...] = ()
    waiver_files: tuple[PolicyRef, ...] = ()

    def refs(self) -> tuple[PolicyRef, ...]:
        """Every file that took part, with its hash (policies, includes, waivers)."""
        refs = [p.ref() for p in self.policies]
        refs.extend(r for p in self.policies for r in p.includes)
        refs.extend(self.waiver_files)
        return tuple(sorted(set(refs), key=lambda r: (r.kind, r.id, r.path)))


_COMPARATOR = re.compile(r"^(==|!=|>=|<=|>|<)?\s*([0-9]+)$")


def version_in(version: str, spec: str) -> bool:
    """True when ``version`` satisfies ``spec``: ``*``, ``3``, or ``>=3,<5`` (numeric)."""
    spec = spec.strip()
    if spec in ("", "*"):
        return True
    if not version.isdigit():
        return version == spec
    number = int(version)
    for part in spec.split(","):
        match = _COMPARATOR.match(part.strip())
        if match is None:
            return False
        op, bound = match.group(1) or "==", int(match.group(2))
        ok = {
            "==": number == bound,
            "!=": number != bound,
            ">=": number >= bound,
            "<=": number <= bound,
            ">": number > bound,
            "<": number < bound,
        }[op]
        if not ok:
            return False
    return True


# -- validation -----------------------------------------------------------------------------


#: File kinds whose ``rules`` are validated as rules (a file without ``kind`` is checked as
#: both, as JSON Schema's ``if`` does).
_RULE_KINDS = ("Policy", "RuleSet")


@functools.cache
def _file_schema() -> dict[str, Any]:
    """The schema of a file with its rules left to :func:`_kind_schema`."""
    return file_schema()


@functools.cache
def _kind_schema(name: str) -> dict[str, Any]:
    """The schema of a rule of one check kind, built when a file first uses the kind."""
    return rule_def(name)


@functools.cache
def _validators() -> tuple[Any, Any, dict[str, Any]]:
    """Validators built once: the file without its rules, any rule, and one per check kind.

    Validating the whole file with :func:`policy_schema` tries every check kind's ``if`` on
    every rule; dispatching each rule to its kind's schema gives the same problems in a
    fraction of the time (a test keeps the two equal). Built only for a file that does not
    conform (:func:`_conforms`), to report its problems.
    """
    import jsonschema  # imported only to explain a file that does not conform

    schema = policy_schema()
    checker = jsonschema.FormatChecker()
    rule_defs = schema["$defs"]
    any_rule = {"$defs": rule_defs, "$ref": "#/$defs/rule"}
    make = jsonschema.Draft202012Validator
    per_kind = {
        name: make(rule_defs[f"rule-{name}"], format_checker=checker) for name in CHECK_KINDS
    }
    return (
        make(_file_schema(), format_checker=checker),
        make(any_rule, format_checker=checker),
        per_kind,
    )


def _rules_to_check(data: Mapping[str, Any]) -> list[Any]:
    """The rules of a file that are validated as rules, each on its own."""
    rules = data.get("rules")
    if not isinstance(rules, list) or data.get("kind", _RULE_KINDS[0]) not in _RULE_KINDS:
        return []
    return rules


def _check_of(rule: Any) -> Any:
    return rule.get("check") if isinstance(rule, Mapping) else None


def _conforms(data: Mapping[str, Any]) -> bool:
    """True when the file has no schema error, decided without jsonschema (see conforms).

    A rule of an unknown check kind is an error; the kinds used are the only ones built.
    """
    if not conforms(_file_schema(), data):
        return False
    for rule in _rules_to_check(data):
        check = _check_of(rule)
        if not isinstance(check, str) or check not in CHECK_KINDS:
            return False
        if not conforms(_kind_schema(check), rule):
            return False
    return True


def _schema_errors(data: Mapping[str, Any]) -> Iterable[tuple[Location, Any]]:
    """Every JSON Schema error of a file with the location of its instance."""
    whole, any_rule, per_kind = _validators()
    for error in whole.iter_errors(data):
        yield (), error
    for i, rule in enumerate(_rules_to_check(data)):
        check = _check_of(rule)
        validator = per_kind.get(check) if isinstance(check, str) else None
        for error in (validator or any_rule).iter_errors(rule):
            yield ("rules", i), error


def _schema_problems(src: Sourced) -> list[str]:
    if _conforms(src.data):
        return []  # the common case, without importing jsonschema
    problems: list[tuple[int, str]] = []
    for prefix, error in _schema_errors(src.data):
        for leaf in _leaves(error):
            location = (*prefix, *leaf.absolute_path)
            if leaf.validator == "additionalProperties":
                # one problem per unknown key, on the key's own line
                allowed = sorted(leaf.schema.get("properties", {}))
                for key in sorted(set(leaf.instance) - set(allowed)):
                    line = src.line((*location, key))
                    problems.append((line, _unknown_key(key, allowed, location)))
                continue
            problems.append((src.line(location), _explain(leaf, location)))
    return [f"{src.path}:{line}: {text}" for line, text in sorted(set(problems))]


def _leaves(error: Any) -> Iterable[Any]:
    """The most specific errors (inside if/then and anyOf branches)."""
    if error.context:
        for sub in error.context:
            yield from _leaves(sub)
    else:
        yield error


def _unknown_key(key: str, allowed: list[str], location: Location) -> str:
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{_dotted(location)}: unknown key {key!r}{hint}. Allowed: {', '.join(allowed)}."


def _explain(error: Any, location: Location) -> str:
    where = _dotted(location)
    if error.validator == "enum":
        options = [str(o) for o in error.validator_value]
        close = difflib.get_close_matches(str(error.instance), options, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"{where}: {error.instance!r} is not one of {', '.join(options)}{hint}."
    if error.validator == "required":
        return f"{where}: {error.message}."
    if error.validator == "const":
        return f"{where}: must be {error.validator_value!r}, not {error.instance!r}."
    if error.validator == "minItems" and error.validator_value == 1:
        return f"{where}: must not be empty."
    if error.validator == "not" and "version" in (error.instance or {}):
        return f"{where}: give either 'version' or 'versions', not both."
    if error.validator == "pattern":
        return f"{where}: {error.instance!r} is not a valid value here."
    if error.validator == "format":
        return f"{where}: {error.instance!r} is not a valid {error.validator_value}."
    return f"{where}: {error.message}."


def _dotted(location: Location) -> str:
    if not location:
        return "top level"
    out = ""
    for part in location:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _glob_problem(glob: str) -> str | None:
    if glob.count("[") != glob.count("]"):
        return f"glob {glob!r} has an unbalanced '['"
    try:
        re.compile(fnmatch.translate(glob))
    except re.error as exc:
        return f"glob {glob!r} is malformed ({exc})"
    return None


def _nonfinite_problem(src: Sourced, location: Location, text: str) -> str:
    return (
        f"{src.where(location)}: {_dotted(location)}: {text} is not a finite number; NaN and "
        "Infinity are never allowed in a policy (a bound must be a finite value)."
    )


def _kind_problems(src: Sourced, index: int, rule: Mapping[str, Any]) -> list[str]:
    """What a check kind's ``lint`` finds in one rule (e.g. ``min`` above ``max``)."""
    check = rule.get("check")
    if not isinstance(check, str) or check not in CHECK_KINDS:
        return []
    lint = getattr(CHECK_KINDS[check], "lint", None)
    if lint is None:
        return []
    out = []
    for key, text in lint(rule):
        location: Location = ("rules", index, key) if key in rule else ("rules", index)
        out.append(f"{src.where(location)}: {_dotted(location)}: {text}.")
    return out


def _semantic_problems(src: Sourced) -> list[str]:
    data = src.data
    problems = [_nonfinite_problem(src, where, text) for where, text in src.nonfinite]
    seen: dict[str, int] = {}
    for i, rule in enumerate(data.get("rules") or []):
        if not isinstance(rule, Mapping):
            continue
        rule_id = rule.get("id")
        if isinstance(rule_id, str):
            line = src.line(("rules", i, "id"))
            if rule_id in seen:
                problems.append(
                    f"{src.path}:{line}: duplicate rule id {rule_id!r} (first on line "
                    f"{seen[rule_id]})."
                )
            seen.setdefault(rule_id, line)
        problems.extend(_kind_problems(src, i, rule))
        for j, control in enumerate(rule.get("controls") or []):
            if isinstance(control, str):
                # imported for a rule that names controls: it reads every control catalog
                from govern.controls import validate_control_id

                error = validate_control_id(control)
                if error:
                    problems.append(f"{src.where(('rules', i, 'controls', j))}: {error}")
    scope = data.get("scope")
    if isinstance(scope, Mapping):
        for j, glob in enumerate(scope.get("models") or []):
            if isinstance(glob, str) and (problem := _glob_problem(glob)):
                problems.append(f"{src.where(('scope', 'models', j))}: {problem}.")
    for j, waiver in enumerate(data.get("waivers") or []):
        if not isinstance(waiver, Mapping):
            continue
        for key in ("rule", "model"):
            value = waiver.get(key)
            if isinstance(value, str) and (problem := _glob_problem(value)):
                problems.append(f"{src.where(('waivers', j, key))}: {problem}.")
    return problems


def validate(src: Sourced) -> list[str]:
    """Every problem of one parsed file, as ``file:line: message`` (empty when valid)."""
    if not isinstance(src.data, Mapping):
        return [f"{src.path}:1: a policy file must be a mapping (apiVersion, kind, ...)."]
    problems = _schema_problems(src)
    return problems + _semantic_problems(src)


# -- loading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    """A policy file to load and the root of its policy tree (a resolved folder)."""

    path: Path
    root: Path


def _tree_files(paths: Sequence[Path]) -> list[_Found]:
    """YAML files named, or found (not hidden) under named folders, sorted, with their root.

    A file found in a folder that resolves outside the folder (a symlink leading out) is
    refused; a file named on the command line is read where it points.
    """
    found: list[_Found] = []
    for path in paths:
        if path.is_dir():
            root = _resolve(path)
            for p in sorted(path.rglob("*")):
                rel = p.relative_to(path)
                if p.suffix not in YAML_SUFFIXES or any(x.startswith(".") for x in rel.parts):
                    continue
                if p.is_dir() and not p.is_symlink():
                    continue
                if not _inside(_resolve(p), (root,)):
                    raise PolicyError(
                        f"{p} is a symlink that leads out of the policy folder {path}; govern "
                        "does not follow it.",
                        hint="Copy the file into the folder, or name it with its own --policy.",
                    )
                found.append(_Found(p, root))
        elif path.exists() or path.is_symlink():
            found.append(_Found(path, _resolve(path.absolute().parent)))
        else:
            raise PolicyError("does not exist.", path=path, hint="Check the --policy path.")
    return found


def policy_files(paths: Sequence[Path]) -> list[Path]:
    """YAML files named or found (not recursively hidden) under folders, sorted."""
    return [f.path for f in _tree_files(paths)]


def _resolve(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python 3.11)
        raise PolicyError(
            "cannot be resolved (a symlink loop?).", path=path, hint="Fix or remove the symlink."
        ) from exc


def _inside(path: Path, roots: Sequence[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def include_roots(root: Path) -> tuple[Path, ...]:
    """Where a policy under ``root`` may include files from: the tree and the allow-list.

    The allow-list is :data:`ENV_INCLUDE_PATH`, folders separated by ``os.pathsep``.
    """
    extra = os.environ.get(ENV_INCLUDE_PATH, "")
    return (root, *(_resolve(Path(p)) for p in extra.split(os.pathsep) if p.strip()))


def _load_valid(path: Path) -> Sourced:
    src = yamlsource.load(path)
    problems = validate(src)
    if problems:
        raise PolicyError(
            f"{path} is not a valid govern policy file ({len(problems)} problem"
            f"{'s' if len(problems) > 1 else ''}):",
            problems=tuple(problems),
            hint="Run `govern policy lint` on it; the schema is `govern policy schema`.",
        )
    return src


def _sha(src: Sourced) -> str:
    return hashlib.sha256(src.text).hexdigest()


def _rules(src: Sourced, policy_id: str, policy_version: str) -> list[Rule]:
    rules = []
    for i, raw in enumerate(src.data.get("rules") or []):
        params = {k: v for k, v in raw.items() if k not in RULE_BASE}
        rules.append(
            Rule(
                id=raw["id"],
                check=raw["check"],
                severity=Severity(raw.get("severity", "block")),
                params=params,
                controls=tuple(raw.get("controls") or ()),
                description=raw.get("description"),
                policy_id=policy_id,
                policy_version=policy_version,
                source=src.where(("rules", i)),
            )
        )
    return rules


def _include_target(src: Sourced, index: int, rel: str, root: Path) -> Path:
    """The resolved file an ``include`` names, refused when outside the policy tree."""
    where = src.where(("include", index))
    target = _resolve(src.path.parent / rel)
    roots = include_roots(root)
    if not _inside(target, roots):
        raise PolicyError(
            f"{where}: include {rel!r} is outside the policy tree {root}, so govern does not "
            "read it.",
            hint=f"Move the file into {root}, or add its folder to {ENV_INCLUDE_PATH}.",
        )
    if target.suffix not in INCLUDE_SUFFIXES:
        raise PolicyError(
            f"{where}: include {rel!r} is not a RuleSet file; only "
            f"{', '.join(INCLUDE_SUFFIXES)} files can be included."
        )
    if not target.exists():
        raise PolicyError(f"{where}: included file {rel} does not exist.")
    return target


def _policy(src: Sourced, stack: tuple[Path, ...], root: Path) -> Policy:
    data = src.data
    meta = data["metadata"]
    policy_id = str(meta["id"])
    version = str(meta.get("version", "1"))
    rules = _rules(src, policy_id, version)
    includes: list[PolicyRef] = []
    for i, rel in enumerate(data.get("include") or []):
        where = src.where(("include", i))
        target = _include_target(src, i, rel, root)
        if target in stack:
            raise PolicyError(f"{where}: include cycle through {target}.")
        inc = _load_valid(target)
        if inc.data.get("kind") != "RuleSet":
            raise PolicyError(
                f"{where}: {rel} is a {inc.data.get('kind')} file; only RuleSet files can be "
                "included."
            )
        rules.extend(_rules(inc, policy_id, version))
        inc_meta = inc.data.get("metadata") or {}
        includes.append(
            PolicyRef(
                str(inc_meta.get("id", target.stem)),
                str(inc_meta.get("version", "1")),
                str(target),
                _sha(inc),
                "RuleSet",
            )
        )
    dupes = sorted(i for i, n in Counter(r.id for r in rules).items() if n > 1)
    if dupes:
        raise PolicyError(
            f"{src.path}: rule ids {', '.join(dupes)} are defined more than once "
            "(in the policy and its includes)."
        )
    scope = data.get("scope") or {}
    return Policy(
        id=policy_id,
        version=version,
        owner=meta.get("owner"),
        path=src.path,
        sha256=_sha(src),
        scope=Scope(
            models=tuple(scope.get("models") or ("*",)),
            aliases=tuple(scope.get("aliases") or ()),
            stages=tuple(scope.get("stages") or ()),
            tags={k: str(v) for k, v in (scope.get("tags") or {}).items()},
        ),
        data=dict(data.get("data") or {}),
        rules=tuple(rules),
        includes=tuple(includes),
    )


def _waivers(src: Sourced) -> list[Waiver]:
    out = []
    for i, raw in enumerate(src.data.get("waivers") or []):
        versions = raw.get("versions")
        if versions is None:
            versions = str(raw["version"]) if "version" in raw else "*"
        out.append(
            Waiver(
                rule=raw["rule"],
                model=raw["model"],
                versions=str(versions),
                justification=raw["justification"],
                approver=raw["approver"],
                expires=date.fromisoformat(raw["expires"]),
                ticket=raw.get("ticket"),
                source=src.where(("waivers", i)),
            )
        )
    return out


def load(paths: Sequence[Path], waiver_paths: Sequence[Path] = ()) -> PolicySet:
    """Load every policy and waiver file under ``paths`` (RuleSets only through include)."""
    policies: list[Policy] = []
    waivers: list[Waiver] = []
    waiver_refs: list[PolicyRef] = []
    for found in _tree_files([*paths, *waiver_paths]):
        path = found.path
        src = _load_valid(path)
        kind = src.data["kind"]
        if kind == "Policy":
            policies.append(_policy(src, (_resolve(path),), found.root))
        elif kind == "Waivers":
            waivers.extend(_waivers(src))
            meta = src.data.get("metadata") or {}
            waiver_refs.append(
                PolicyRef(
                    str(meta.get("id", path.stem)),
                    str(meta.get("version", "1")),
                    str(path),
                    _sha(src),
                    "Waivers",
                )
            )
    if not policies:
        raise PolicyError(
            "no policy found in " + ", ".join(str(p) for p in paths) + ".",
            hint="Pass --policy with a policy file or folder (kind: Policy).",
        )
    dupes = sorted(i for i, n in Counter(p.id for p in policies).items() if n > 1)
    if dupes:
        raise PolicyError(f"policy ids {', '.join(dupes)} are used by more than one file.")
    return PolicySet(tuple(policies), tuple(waivers), tuple(waiver_refs))


def lint(paths: Sequence[Path]) -> dict[Path, list[str]]:
    """Validate every file under ``paths``; return the problems of each file (empty = valid)."""
    out: dict[Path, list[str]] = {}
    for found in _tree_files(paths):
        path = found.path
        try:
            src = yamlsource.load(path)
        except PolicyError as exc:
            out[path] = [exc.message]
            continue
        problems = validate(src)
        if not problems and src.data.get("kind") == "Policy":
            try:
                _policy(src, (_resolve(path),), found.root)
            except PolicyError as exc:
                problems = [exc.diagnostics()]
        out[path] = problems
    return out


__all__ = [
    "CHECK_KINDS",
    "ENV_INCLUDE_PATH",
    "Policy",
    "PolicySet",
    "Scope",
    "Waiver",
    "lint",
    "load",
    "validate",
    "version_in",
]
