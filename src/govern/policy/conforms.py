"""A quick, exact "yes" to: does this data conform to a JSON Schema? Without jsonschema.

Loading a valid policy is the common case, and importing jsonschema costs more than a whole
lineage-only ``govern gate`` may spend on it (issue 10, item 6). :func:`conforms` answers only
the yes-or-no question, for the keywords govern's policy schema uses (draft 2020-12, the
``date`` format); the loader asks jsonschema for the problems, with their messages, only when
the answer is no. So every message a user sees still comes from jsonschema, unchanged.

The answer is exact or withheld: a keyword, type, format or reference this module does not
know, and any value it cannot compare exactly as jsonschema does, make it answer False, and
the loader then asks jsonschema, which decides. It never says yes where jsonschema finds an
error (``tests/policy/test_conforms.py`` compares the two).
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

#: Keywords that only annotate: they never make an instance invalid.
_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "$defs", "title", "description", "default", "examples"}
)
#: The ``date`` format exactly as jsonschema's FormatChecker checks it.
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
#: Types whose equality this module decides as jsonschema's ``equal`` does.
_PLAIN = (str, int, float, bool, type(None), list, dict)


class _Unsure(Exception):
    """No exact answer here: let jsonschema decide."""


def conforms(schema: Any, instance: Any) -> bool:
    """True only when ``instance`` is valid under ``schema`` (jsonschema would find no error).

    False when it is not, and when this module cannot tell (see the module's docstring).
    """
    try:
        return _valid(schema, instance, schema)
    except (_Unsure, RecursionError, TypeError):  # TypeError: a value jsonschema cannot order
        return False


def _valid(schema: Any, instance: Any, root: Any) -> bool:
    """Exactly jsonschema's answer, or :class:`_Unsure`."""
    if schema is True:
        return True
    if schema is False:
        return False
    if not isinstance(schema, Mapping):
        raise _Unsure
    for keyword, value in schema.items():
        if keyword in _ANNOTATIONS or keyword in ("then", "else"):
            continue  # ``then`` and ``else`` are applied by ``if``
        check = _KEYWORDS.get(keyword)
        if check is None:
            raise _Unsure
        if not check(value, instance, schema, root):
            return False
    return True


def _type(types: Any, instance: Any, schema: Any, root: Any) -> bool:
    names = [types] if isinstance(types, str) else types
    return any(_is_type(instance, name) for name in names)


def _is_type(instance: Any, name: str) -> bool:
    if name == "string":
        return isinstance(instance, str)
    if name == "object":
        return isinstance(instance, dict)
    if name == "array":
        return isinstance(instance, list)
    if name == "boolean":
        return isinstance(instance, bool)
    if name == "null":
        return instance is None
    if isinstance(instance, bool):
        if name in ("integer", "number"):
            return False
        raise _Unsure
    if name == "integer":
        return isinstance(instance, int) or (isinstance(instance, float) and instance.is_integer())
    if name == "number":
        return isinstance(instance, numbers.Number)
    raise _Unsure


def _equal(one: Any, two: Any) -> bool:
    """Equality as jsonschema's ``equal`` decides it (True is not 1, 1 is 1.0)."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(_equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, dict) and isinstance(two, dict):
        return len(one) == len(two) and all(k in two and _equal(v, two[k]) for k, v in one.items())
    if not isinstance(one, _PLAIN) or not isinstance(two, _PLAIN):
        raise _Unsure
    if isinstance(one, bool) or isinstance(two, bool):
        return False  # two distinct objects, and True and False are singletons
    return bool(one == two)


def _enum(options: Any, instance: Any, schema: Any, root: Any) -> bool:
    return any(_equal(option, instance) for option in options)


def _const(value: Any, instance: Any, schema: Any, root: Any) -> bool:
    return _equal(value, instance)


def _properties(properties: Any, instance: Any, schema: Any, root: Any) -> bool:
    if not isinstance(instance, dict):
        return True
    return all(
        _valid(sub, instance[key], root) for key, sub in properties.items() if key in instance
    )


def _additional(additional: Any, instance: Any, schema: Any, root: Any) -> bool:
    if not isinstance(instance, dict):
        return True
    if "patternProperties" in schema:
        raise _Unsure
    known = schema.get("properties", {})
    return all(_valid(additional, v, root) for k, v in instance.items() if k not in known)


def _required(names: Any, instance: Any, schema: Any, root: Any) -> bool:
    return not isinstance(instance, dict) or all(name in instance for name in names)


def _min_properties(least: Any, instance: Any, schema: Any, root: Any) -> bool:
    return not isinstance(instance, dict) or len(instance) >= least


def _max_properties(most: Any, instance: Any, schema: Any, root: Any) -> bool:
    return not isinstance(instance, dict) or len(instance) <= most


def _items(items: Any, instance: Any, schema: Any, root: Any) -> bool:
    if not isinstance(instance, list):
        return True
    if "prefixItems" in schema:
        raise _Unsure
    return all(_valid(items, item, root) for item in instance)


def _min_items(least: Any, instance: Any, schema: Any, root: Any) -> bool:
    return not isinstance(instance, list) or len(instance) >= least


def _max_items(most: Any, instance: Any, schema: Any, root: Any) -> bool:
    return not isinstance(instance, list) or len(instance) <= most


def _unique(unique: Any, instance: Any, schema: Any, root: Any) -> bool:
    if not unique or not isinstance(instance, list):
        return True
    if all(isinstance(item, str) for item in instance):
        return len(set(instance)) == len(instance)
    raise _Unsure


def _min_length(least: Any, instance: Any, schema: Any, root: Any) -> bool:
    return not isinstance(instance, str) or len(instance) >= least


def _max_length(most: Any, instance: Any, schema: Any, root: Any) -> bool:
    return not isinstance(instance, str) or len(instance) <= most


def _pattern(pattern: Any, instance: Any, schema: Any, root: Any) -> bool:
    return not isinstance(instance, str) or re.search(pattern, instance) is not None


def _format(name: Any, instance: Any, schema: Any, root: Any) -> bool:
    if name != "date":
        raise _Unsure
    if not isinstance(instance, str):
        return True
    if _DATE.fullmatch(instance) is None:
        return False
    try:
        date.fromisoformat(instance)
    except ValueError:
        return False
    return True


def _number(instance: Any) -> bool:
    return isinstance(instance, numbers.Number) and not isinstance(instance, bool)


def _minimum(bound: Any, instance: Any, schema: Any, root: Any) -> bool:
    return not _number(instance) or not instance < bound


def _maximum(bound: Any, instance: Any, schema: Any, root: Any) -> bool:
    return not _number(instance) or not instance > bound


def _exclusive_minimum(bound: Any, instance: Any, schema: Any, root: Any) -> bool:
    return not _number(instance) or not instance <= bound


def _exclusive_maximum(bound: Any, instance: Any, schema: Any, root: Any) -> bool:
    return not _number(instance) or not instance >= bound


def _all_of(subs: Any, instance: Any, schema: Any, root: Any) -> bool:
    return all(_valid(sub, instance, root) for sub in subs)


def _any_of(subs: Any, instance: Any, schema: Any, root: Any) -> bool:
    unsure = False
    for sub in subs:
        try:
            if _valid(sub, instance, root):
                return True
        except _Unsure:
            unsure = True
    if unsure:
        raise _Unsure
    return False


def _one_of(subs: Any, instance: Any, schema: Any, root: Any) -> bool:
    return sum(1 for sub in subs if _valid(sub, instance, root)) == 1


def _not(sub: Any, instance: Any, schema: Any, root: Any) -> bool:
    return not _valid(sub, instance, root)


def _if(condition: Any, instance: Any, schema: Any, root: Any) -> bool:
    branch = "then" if _valid(condition, instance, root) else "else"
    return branch not in schema or _valid(schema[branch], instance, root)


def _ref(ref: Any, instance: Any, schema: Any, root: Any) -> bool:
    """Only ``#/$defs/NAME`` of the schema being applied (all govern's schema uses)."""
    prefix = "#/$defs/"
    if not isinstance(ref, str) or not ref.startswith(prefix) or not isinstance(root, Mapping):
        raise _Unsure
    name = ref[len(prefix) :]
    defs = root.get("$defs")
    if "/" in name or "~" in name or "%" in name or not isinstance(defs, Mapping):
        raise _Unsure
    if name not in defs:
        raise _Unsure
    return _valid(defs[name], instance, root)


_KEYWORDS = {
    "type": _type,
    "enum": _enum,
    "const": _const,
    "properties": _properties,
    "additionalProperties": _additional,
    "required": _required,
    "minProperties": _min_properties,
    "maxProperties": _max_properties,
    "items": _items,
    "minItems": _min_items,
    "maxItems": _max_items,
    "uniqueItems": _unique,
    "minLength": _min_length,
    "maxLength": _max_length,
    "pattern": _pattern,
    "format": _format,
    "minimum": _minimum,
    "maximum": _maximum,
    "exclusiveMinimum": _exclusive_minimum,
    "exclusiveMaximum": _exclusive_maximum,
    "allOf": _all_of,
    "anyOf": _any_of,
    "oneOf": _one_of,
    "not": _not,
    "if": _if,
    "$ref": _ref,
}
