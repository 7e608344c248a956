"""What a check kind is, what it receives, and what it returns.

A check kind has a name, a JSON Schema for its rule parameters, a docstring saying what
triggers a failure and how to fix it, and an ``evaluate`` function that turns one rule and one
model version's facts into one :class:`~govern.models.Finding`. Missing evidence returns a
``not_evaluated`` finding with the reason; checks never raise on bad data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from govern.inventory import VersionLineage
from govern.models import Evidence, Finding, Severity, Status
from govern.store.predictions import LogInfo, Window


@dataclass(frozen=True)
class Rule:
    """One rule of a loaded policy."""

    id: str
    check: str
    severity: Severity
    params: Mapping[str, Any]
    controls: tuple[str, ...] = ()
    description: str | None = None
    policy_id: str = ""
    policy_version: str = ""
    #: ``file:line`` where the rule is defined
    source: str = ""


#: JSON Schema of ``triggers`` in the rules of kinds whose failures can start a retraining
#: (drift, performance): ``retrain`` puts the rule's failed findings in the ``retrain`` block
#: of ``govern check --format json``.
TRIGGERS_SCHEMA: dict[str, Any] = {
    "enum": ["retrain"],
    "description": "retrain: a failure of this rule recommends retraining (the retrain block "
    "of govern check --format json).",
}


#: Resolves a baseline selector (``{"alias": "champion"}``, ``{"version": "3"}``,
#: ``{"stage": "Production"}``) of a model to that version's facts, or None.
BaselineLookup = Callable[[str, Mapping[str, Any]], VersionLineage | None]


class PredictionData(Protocol):
    """Access to the prediction logs of the store, as named DuckDB views."""

    @property
    def connection(self) -> Any:
        """The DuckDB connection the views live in."""
        ...

    def logs(self, *, model: str, role: str) -> list[LogInfo]:
        """The logs of a model and role (empty if none)."""
        ...

    def view(
        self,
        name: str,
        *,
        model: str,
        role: str,
        version: str | None = None,
        window: Window | None = None,
    ) -> list[LogInfo]:
        """Create the view ``name``; raise :class:`~govern.errors.UsageError` if no log."""
        ...


@dataclass(frozen=True)
class Subject:
    """The model version a rule is evaluated against, its baselines and prediction logs."""

    version: VersionLineage
    baseline: BaselineLookup = field(default=lambda model, selector: None)
    data: PredictionData | None = None
    #: the evaluation time (``--as-of``, aware UTC); ``None``: the checks use the current time
    as_of: datetime | None = None


class CheckKind(Protocol):
    """A kind of check (``check:`` in a rule)."""

    #: the value of ``check:`` in a policy rule
    name: str
    #: one line for listings and help text
    summary: str

    @property
    def properties(self) -> Mapping[str, Any]:
        """JSON Schema ``properties`` of the rule parameters this kind accepts."""
        ...

    #: parameters a rule of this kind must set
    required: tuple[str, ...]

    def evaluate(self, rule: Rule, subject: Subject) -> Finding | list[Finding]:
        """Evaluate one rule for one model version (one finding, or one per feature/group)."""
        ...


def finding(
    rule: Rule,
    subject: Subject,
    status: Status,
    message: str,
    *,
    help_text: str,
    metric: str | None = None,
    value: float | None = None,
    threshold: dict[str, Any] | None = None,
    evidence: Evidence | None = None,
    about: str | None = None,
) -> Finding:
    """Build a finding for ``rule`` on ``subject`` (shared by every check kind).

    ``evidence`` is the check kind's typed :class:`~govern.models.Evidence` (``None``: the
    check concluded nothing beyond the status and message).
    """
    return Finding(
        rule=rule.id,
        check=rule.check,
        severity=rule.severity,
        status=status,
        model=subject.version.model,
        version=subject.version.version,
        message=message,
        policy=rule.policy_id,
        metric=metric,
        value=value,
        threshold=threshold,
        controls=rule.controls,
        evidence=evidence,
        help=(rule.description + "\n\n" if rule.description else "") + help_text,
        subject=about,
    )


def absent_columns(con: Any, view: str, columns: Sequence[str], what: str) -> dict[str, str]:
    """Of ``columns``, those not in ``view``, each with a message naming the log's columns.

    ``what`` names the log in the message (e.g. "the current log of credit-risk"); the
    standard columns (``__score``...) are not shown to users.
    """
    have = [r[0] for r in con.execute(f'DESCRIBE "{view}"').fetchall()]
    shown = ", ".join(c for c in have if not c.startswith("__"))
    return {c: f"no column {c!r} in {what} (columns: {shown})" for c in columns if c not in have}
