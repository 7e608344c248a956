"""The one place check kinds register, by name. The policy schema and the engine read it.

A kind's module is imported when the kind is first used, not when govern starts: a
reproducibility-only ``govern gate`` imports neither the drift, fairness nor performance
checks, nor their statistics (issue 10, item 6).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from govern.checks.base import CheckKind

#: Every check kind by the value of ``check:`` in a rule: the module and class that make it.
_WHERE: dict[str, tuple[str, str]] = {
    "reproducibility": ("govern.checks.reproducibility", "Reproducibility"),
    "metric": ("govern.checks.metric", "LoggedMetric"),
    "drift": ("govern.checks.drift", "Drift"),
    "fairness": ("govern.checks.fairness", "Fairness"),
    "monitoring": ("govern.checks.monitoring", "Monitoring"),
    "performance": ("govern.checks.performance", "Performance"),
    "freshness": ("govern.checks.freshness", "Freshness"),
    "explainability": ("govern.checks.explainability", "Explainability"),
}


class _Kinds(Mapping[str, CheckKind]):
    """Check kinds by name; a kind's module is imported when the kind is first looked up."""

    def __init__(self, where: Mapping[str, tuple[str, str]]) -> None:
        self._where = dict(where)
        self._made: dict[str, CheckKind] = {}

    def __getitem__(self, name: str) -> CheckKind:
        kind = self._made.get(name)
        if kind is None:
            module, cls = self._where[name]
            kind = getattr(importlib.import_module(module), cls)()
            self._made[name] = kind
        return kind

    def __contains__(self, name: object) -> bool:
        return name in self._where

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


#: Every check kind by the value of ``check:`` in a rule.
CHECK_KINDS: Mapping[str, CheckKind] = _Kinds(_WHERE)
