"""The portfolio report's data: its decisions and the typed rows of ``govern.portfolio/v1``.

:class:`PortfolioContext` is everything a portfolio report shows; :mod:`govern.report.portfolio`
builds it and :mod:`govern.report.portfolio_render` renders it. Split out of
:mod:`govern.report.portfolio`, which re-exports the public names.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from govern.report.context import PolicyRow, Tool

__all__ = [
    "DECISIONS",
    "DECISION_LABELS",
    "DEFAULT_STALE_AFTER",
    "PORTFOLIO_SCHEMA",
    "ControlRow",
    "FrameworkRow",
    "ModelRow",
    "OutOfScopeRow",
    "PortfolioContext",
    "VersionRow",
    "portfolio_stem",
]

PORTFOLIO_SCHEMA = "govern.portfolio/v1"

#: The decisions of a version, in precedence order (the first that holds is the decision).
DECISIONS = ("fail", "stale", "not_evaluated", "waived", "pass")
#: How each decision reads in the report.
DECISION_LABELS = {
    "fail": "failed",
    "stale": "stale evidence",
    "not_evaluated": "not evaluated",
    "waived": "waived",
    "pass": "passed",
}
#: Production evidence older than this at the evaluation time is stale (``--stale-after``).
DEFAULT_STALE_AFTER = "90d"


@dataclass(frozen=True)
class VersionRow:
    """One model version of the portfolio and its decision."""

    model: str
    version: str
    registry: str
    stage: str | None
    aliases: tuple[str, ...]
    #: the portfolio decision (one of :data:`DECISIONS`)
    decision: str
    #: the gate's decision (``pass`` / ``fail``), as ``govern gate`` would print it
    gate: str
    #: findings per status: ``pass``, ``fail``, ``waived``, ``not_evaluated``
    counts: tuple[tuple[str, int], ...]
    #: one plain sentence: why this decision
    reason: str
    #: findings at or above ``fail_on`` that failed (labels)
    blocking: tuple[str, ...]
    #: findings below ``fail_on`` that failed (labels): for review, never blocking
    below: tuple[str, ...]
    waived: tuple[str, ...]
    not_evaluated: tuple[str, ...]
    #: why the evidence is stale (empty when it is not)
    stale: tuple[str, ...]
    #: the newest production evidence (``YYYY-MM-DD HH:MM`` UTC), if any
    newest_evidence: str | None
    gaps: tuple[str, ...]
    policies: tuple[str, ...]
    #: the file name of the version's own model report (HTML), in the same folder
    report: str

    def count(self, status: str) -> int:
        """How many findings of the version have this status."""
        return dict(self.counts).get(status, 0)


@dataclass(frozen=True)
class ModelRow:
    """One model: how many of its versions have each decision."""

    model: str
    versions: int
    decisions: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class OutOfScopeRow:
    """A version of a model that no policy's ``scope.models`` names."""

    model: str
    version: str
    registry: str
    stage: str | None


@dataclass(frozen=True)
class ControlRow:
    """A control with mapped evidence: how many versions pass, fail, ... on it."""

    id: str
    title: str
    #: versions per coverage group: evaluated-pass, evaluated-fail, waived, not-evaluated
    counts: tuple[tuple[str, int], ...]
    #: the versions that fail the control (``model vVERSION``)
    failing: tuple[str, ...]
    rules: tuple[str, ...]


@dataclass(frozen=True)
class FrameworkRow:
    """One framework across the portfolio."""

    id: str
    title: str
    version: str
    controls: int
    #: controls some rule maps evidence to, and how many of them fail in at least one version
    mapped: int
    failing: int
    not_covered: int
    rows: tuple[ControlRow, ...]


@dataclass(frozen=True)
class PortfolioContext:
    """Everything a portfolio report shows (``govern.portfolio/v1``)."""

    schema: str
    kind: str
    generated_at: str
    as_of: str
    fail_on: str
    stale_after: str
    #: the ``--model`` filter, if any
    model: str | None
    decisions: tuple[tuple[str, int], ...]
    executive_summary: tuple[str, ...]
    versions: tuple[VersionRow, ...]
    models: tuple[ModelRow, ...]
    out_of_scope: tuple[OutOfScopeRow, ...]
    coverage: tuple[FrameworkRow, ...]
    policies: tuple[PolicyRow, ...]
    warnings: tuple[str, ...]
    limitations: tuple[str, ...]
    signoff_roles: tuple[str, ...]
    tools: tuple[Tool, ...]
    commands: tuple[str, ...]
    store: str

    def count(self, decision: str) -> int:
        """How many versions have this decision."""
        return dict(self.decisions).get(decision, 0)

    @property
    def decision(self) -> str:
        """The most severe decision of a version in scope (``none`` without a version)."""
        return next((d for d, n in self.decisions if n), "none")

    @property
    def version(self) -> None:
        """A portfolio covers many versions: no single one."""
        return None

    @property
    def sources(self) -> tuple[()]:
        """The portfolio lists no ingested inputs itself (its model reports do)."""
        return ()

    def attestation_details(self) -> dict[str, Any]:
        """What the attestation of a portfolio adds: the staleness bar, counts per decision."""
        return {
            "staleAfter": self.stale_after,
            "versions": len(self.versions),
            "decisions": dict(self.decisions),
            "outOfScope": len(self.out_of_scope),
        }

    def to_json(self) -> dict[str, Any]:
        """The context as JSON-ready data (``govern.portfolio/v1``; keys sorted when dumped)."""
        out = dataclasses.asdict(self)
        out["decisions"] = dict(self.decisions)
        for row in out["versions"]:
            row["counts"] = dict(row["counts"])
        for row in out["models"]:
            row["decisions"] = dict(row["decisions"])
        for fw in out["coverage"]:
            for row in fw["rows"]:
                row["counts"] = dict(row["counts"])
        return out


def portfolio_stem(as_of: str) -> str:
    """The output file name without extension: ``portfolio-2026-12-03``."""
    return f"portfolio-{as_of}"
