"""A policy's ``data:`` mapping as the column options of ``govern ingest``.

A policy names the columns of its model's prediction logs once (``data: {timestamp: ts,
prediction: approved, score: score, label: default, sensitive: [sex], ...}``). ``govern ingest
LOG --model M --role R --policy FILE_OR_DIR`` and ``govern demo`` both turn that mapping into
the ingest options with :func:`log_options`; options given on the command line override the
mapping, one role at a time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from govern.errors import UsageError
from govern.policy.loader import Policy
from govern.records.predictions import MAPPED

#: The roles of a ``data:`` mapping that name lists of columns.
LISTS = ("sensitive", "features")
#: Command-line options whose name is not ``--<role>``.
_FLAGS = {"model_version": "--version-column", "features": "--feature"}


def log_options(
    mapping: Mapping[str, Any],
    *,
    model: str | None,
    role: str | None,
    version: str | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Ingest options for a prediction log from a policy's ``data:`` mapping.

    The same options as ``govern ingest --model M --role R --timestamp ... --sensitive ...``;
    ``features`` absent or ``all`` means every column not mapped otherwise. ``overrides`` are
    options given on the command line: each one that is set (not ``None``, not an empty list)
    replaces the mapping's value for its role; a list replaces the whole list.
    """
    features = mapping.get("features")
    options: dict[str, Any] = {
        "model": model,
        "version": version,
        "role": role,
        **{key: mapping.get(key) for key in MAPPED},
        "sensitive": list(mapping.get("sensitive") or []),
        "features": [] if features in (None, "all") else list(features),
    }
    for key, value in (overrides or {}).items():
        if value is None or (key in LISTS and not value):
            options.setdefault(key, [] if key in LISTS else None)
            continue
        options[key] = list(value) if key in LISTS else value
    return options


def policy_mapping(
    policies: Sequence[Policy], model: str, *, where: Path | str, given: Sequence[str] = ()
) -> dict[str, Any]:
    """The ``data:`` mapping of the policies whose ``scope.models`` match ``model``.

    Policies without a ``data:`` mapping are passed over. When several match, their mappings
    are merged; two that name different columns for one role are refused (naming both
    policies), unless that role is in ``given`` (set on the command line, which overrides
    both). Raises :class:`UsageError` when no policy in ``where`` maps the model's columns.
    """
    matching = [p for p in policies if p.data and p.scope.matches_model(model)]
    if not matching:
        scopes = "; ".join(f"{p.id}: {', '.join(p.scope.models)}" for p in policies) or "none"
        raise UsageError(
            f"no policy in {where} has a data: mapping for model {model!r} (policies and their "
            f"scope.models: {scopes}).",
            hint="Add the model to a policy's scope.models (with a data: mapping), or give the "
            "columns as options (--timestamp, --prediction, ...).",
        )
    merged: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for policy in sorted(matching, key=lambda p: p.id):
        for key, value in policy.data.items():
            if key in merged and merged[key] != value and key not in given:
                flag = _FLAGS.get(key, f"--{key}")
                raise UsageError(
                    f"policies {origin[key]} and {policy.id} both apply to model {model!r} but "
                    f"map {key} to different columns ({merged[key]!r}, {value!r}).",
                    hint=f"Give the column on the command line ({flag} COLUMN), or narrow the "
                    "policies' scope.models.",
                )
            merged.setdefault(key, value)
            origin.setdefault(key, policy.id)
    return merged
