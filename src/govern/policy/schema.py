"""The JSON Schema of policy, rule-set and waiver files, built from the check registry.

``govern policy schema`` prints it; ``docs/policy.schema.json`` is the published copy (a test
keeps it equal to this). Rules are validated per check kind: each kind contributes its own
parameters, and any other key is an error.
"""

from __future__ import annotations

from typing import Any

from govern.checks.registry import CHECK_KINDS

API_VERSION = "govern/v1"
SCHEMA_ID = "https://govern.dev/schemas/policy-v1.json"

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"

RULE_BASE: dict[str, Any] = {
    "id": {"type": "string", "pattern": ID_PATTERN, "description": "Stable rule id."},
    "check": {"enum": sorted(CHECK_KINDS), "description": "Check kind."},
    "severity": {
        "enum": ["block", "warn", "info"],
        "description": "block stops a gate (default), warn and info do not unless --fail-on.",
    },
    "description": {"type": "string", "description": "What the rule is for (shown in reports)."},
    "controls": {
        "type": "array",
        "items": {"type": "string", "pattern": r"^[a-z0-9-]+:\S+$"},
        "uniqueItems": True,
        "description": "Control IDs this rule provides evidence for, e.g. eu-ai-act:Art.10(2)(f).",
    },
}

STRINGS = {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1}

SCOPE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "models": {**STRINGS, "description": "Model name globs (default: every model)."},
        "aliases": {**STRINGS, "description": "Only versions holding one of these aliases."},
        "stages": {**STRINGS, "description": "Only versions in one of these stages."},
        "tags": {
            "type": "object",
            "additionalProperties": {"type": ["string", "number", "boolean"]},
            "description": "Only versions (or models) with these tags.",
        },
    },
}

DATA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "description": "Column names of prediction logs (used by drift, fairness, performance).",
    "properties": {
        **{
            name: {"type": "string", "minLength": 1}
            for name in ("label", "prediction", "score", "timestamp", "model_version", "id")
        },
        "sensitive": STRINGS,
        "features": {"oneOf": [STRINGS, {"const": "all"}]},
    },
}


def rule_def(name: str) -> dict[str, Any]:
    """The schema of a rule of one check kind: the base rule keys plus the kind's parameters.

    Only this kind's parameters are built (a kind's may import its metrics module): loading a
    policy builds the kinds its rules use, not every kind.
    """
    kind = CHECK_KINDS[name]
    return {
        "type": "object",
        "description": kind.summary,
        "properties": {**RULE_BASE, **kind.properties},
        "required": ["id", "check", *kind.required],
        "additionalProperties": False,
    }


def rule_defs() -> dict[str, Any]:
    """One schema per check kind (:func:`rule_def`)."""
    return {f"rule-{name}": rule_def(name) for name in sorted(CHECK_KINDS)}


def rule_schema() -> dict[str, Any]:
    """A rule: base keys, then the parameters of its check kind."""
    return {
        "type": "object",
        "required": ["id", "check"],
        "properties": {"id": RULE_BASE["id"], "check": RULE_BASE["check"]},
        "allOf": [
            {
                "if": {"properties": {"check": {"const": name}}, "required": ["check"]},
                "then": {"$ref": f"#/$defs/rule-{name}"},
            }
            for name in sorted(CHECK_KINDS)
        ],
    }


_CMP = r"(==|!=|>=|<=|>|<)?\s*[0-9]+"
VERSION_RANGE = rf"^\s*(\*|{_CMP}(\s*,\s*{_CMP})*)\s*$"

WAIVER: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["rule", "model", "justification", "approver", "expires"],
    "properties": {
        "rule": {"type": "string", "minLength": 1, "description": "Rule id (glob)."},
        "model": {"type": "string", "minLength": 1, "description": "Model name (glob)."},
        "version": {
            "type": ["string", "integer"],
            "description": "One version; omit for every version (or use versions).",
        },
        "versions": {
            "type": "string",
            "pattern": VERSION_RANGE,
            "description": "Version range, e.g. '>=3,<5' or '*'.",
        },
        "justification": {"type": "string", "minLength": 10},
        "approver": {"type": "string", "minLength": 1},
        "ticket": {"type": "string", "minLength": 1},
        "expires": {
            "type": "string",
            "format": "date",
            "description": "Last day (UTC) it applies.",
        },
        "created": {"type": "string", "format": "date"},
    },
    "not": {"required": ["version", "versions"]},
}


def policy_schema() -> dict[str, Any]:
    """The JSON Schema of every govern policy file kind (Policy, RuleSet, Waivers)."""
    return {**file_schema(), "$defs": {"rule": rule_schema(), **rule_defs()}}


def file_schema() -> dict[str, Any]:
    """The policy schema with any value allowed as a rule.

    For a file whose rules are validated on their own, each against its kind's :func:`rule_def`.
    """
    metadata = {
        "type": "object",
        "additionalProperties": False,
        "required": ["id"],
        "properties": {
            "id": {"type": "string", "pattern": ID_PATTERN},
            "version": {"type": ["string", "integer"]},
            "owner": {"type": "string"},
            "description": {"type": "string"},
        },
    }
    common = {
        "apiVersion": {"const": API_VERSION},
        "kind": {"enum": ["Policy", "RuleSet", "Waivers"]},
        "metadata": metadata,
    }
    rules = {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/rule"}}
    include = {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "govern policy, rule set or waiver file",
        "type": "object",
        "required": ["apiVersion", "kind"],
        "properties": {"apiVersion": common["apiVersion"], "kind": common["kind"]},
        "allOf": [
            {
                "if": {"properties": {"kind": {"const": "Policy"}}},
                "then": {
                    "additionalProperties": False,
                    "required": ["metadata"],
                    "anyOf": [{"required": ["rules"]}, {"required": ["include"]}],
                    "properties": {
                        **common,
                        "scope": SCOPE,
                        "data": DATA,
                        "include": include,
                        "rules": rules,
                    },
                },
            },
            {
                "if": {"properties": {"kind": {"const": "RuleSet"}}},
                "then": {
                    "additionalProperties": False,
                    "required": ["rules"],
                    "properties": {**common, "rules": rules},
                },
            },
            {
                "if": {"properties": {"kind": {"const": "Waivers"}}},
                "then": {
                    "additionalProperties": False,
                    "required": ["waivers"],
                    "properties": {
                        **common,
                        "waivers": {"type": "array", "items": WAIVER},
                    },
                },
            },
        ],
        "$defs": {"rule": True},
    }
