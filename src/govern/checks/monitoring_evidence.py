"""Evidence of ``check: monitoring``: the reports judged for one requirement and their verdicts.

A :class:`MonitoringEvidence` names the latest report that can answer the requirement, the
evaluation time and the report's age, and one :class:`ReportVerdict` per report judged; a
verdict lists the offending items: :class:`FailedTest`, :class:`DriftedColumn`,
:class:`Violation` or :class:`OutOfBounds`. Each has one ``to_json``: the ``evidence`` object
of a monitoring finding in ``govern.check/v1``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from govern.records.monitoring import DATASET
from govern.store.monitoring import StoredReport


def number_text(value: float | None) -> str:
    """A reported number in a message: four significant digits, ``n/a`` for none."""
    return "n/a" if value is None else f"{value:.4g}"


@dataclass(frozen=True)
class FailedTest:
    """A test that failed or errored (an Evidently test, or a Model Monitor check)."""

    #: the column the test is about, or the dataset
    subject: str
    metric: str
    #: the tool's test name, status (``FAIL``, ``ERROR``) and description, when it gives them
    test: str | None
    status: str | None
    description: str | None
    value: float | None
    threshold: float | None

    @property
    def name(self) -> str:
        """The test as a message names it: its name, with the subject when not in the name."""
        if not self.test:
            return f"{self.subject} ({self.metric})"
        inside = self.subject in self.test or self.subject == DATASET
        return self.test if inside else f"{self.test} [{self.subject}]"

    def to_json(self) -> dict[str, Any]:
        """The test as JSON (test, status and description only when given)."""
        out: dict[str, Any] = {"subject": self.subject, "metric": self.metric}
        for key, text in (
            ("test", self.test),
            ("status", self.status),
            ("description", self.description),
        ):
            if text is not None:
                out[key] = text
        out.update(value=self.value, threshold=self.threshold)
        return out


@dataclass(frozen=True)
class DriftedColumn:
    """A column (or the dataset) the tool found drifting."""

    subject: str
    metric: str
    value: float | None
    threshold: float | None
    #: how ``value`` compares with ``threshold`` (``p_value``, ``distance``), if known
    direction: str | None

    def to_json(self) -> dict[str, Any]:
        """The drifted column as JSON."""
        return {
            "subject": self.subject,
            "metric": self.metric,
            "value": self.value,
            "threshold": self.threshold,
            "direction": self.direction,
        }


@dataclass(frozen=True)
class Violation:
    """A SageMaker Model Monitor constraint violation."""

    feature: str
    constraint_check_type: str
    description: str | None
    value: float | None
    threshold: float | None

    def to_json(self) -> dict[str, Any]:
        """The violation as JSON."""
        return {
            "feature": self.feature,
            "constraint_check_type": self.constraint_check_type,
            "description": self.description,
            "value": self.value,
            "threshold": self.threshold,
        }


@dataclass(frozen=True)
class OutOfBounds:
    """A reported metric value outside the rule's ``min``/``max``."""

    subject: str
    value: float
    #: which bound it passes, and that bound
    side: Literal["min", "max"]
    limit: float

    @property
    def bound(self) -> str:
        """``below the minimum 0.1`` or ``above the maximum 0.3``."""
        if self.side == "min":
            return f"below the minimum {number_text(self.limit)}"
        return f"above the maximum {number_text(self.limit)}"

    def to_json(self) -> dict[str, Any]:
        """The value as JSON, with the bound as text."""
        return {"subject": self.subject, "value": self.value, "bound": self.bound}


#: an offending item of a report: what a verdict lists
MonitoringItem = FailedTest | DriftedColumn | Violation | OutOfBounds


@dataclass(frozen=True)
class ReportVerdict:
    """What one report says about one requirement."""

    report: StoredReport
    #: None: the report cannot tell (e.g. drift scores without a verdict)
    ok: bool | None
    summary: str
    #: the offending items (tests, columns, violations, values), all of them
    items: tuple[MonitoringItem, ...] = ()
    #: the number the requirement is judged on (failed tests, drifted columns, the worst value)
    value: float | None = None

    def to_json(self, *, with_report: bool) -> dict[str, Any]:
        """``ok``, ``summary`` and the ``items`` if any; the report's identity first if asked."""
        out: dict[str, Any] = {"report": self.report.to_json()} if with_report else {}
        out.update(ok=self.ok, summary=self.summary)
        if self.items:
            out["items"] = [item.to_json() for item in self.items]
        return out


@dataclass(frozen=True)
class MonitoringEvidence:
    """Evidence of ``check: monitoring`` for one requirement: the reports judged and their verdicts.

    With one report judged (``report: latest``), its verdict's keys sit beside the report's
    (``ok``, ``summary``, ``items``); with several (``report: all``), the verdicts are a list
    ``reports``, each naming its report.
    """

    #: the latest report that can answer the requirement (the one ``max_age`` is judged on)
    report: StoredReport
    #: the evaluation time (naive UTC)
    as_of: datetime
    #: the latest report's age at ``as_of`` (0 when it is dated after it)
    age_seconds: float
    dated_by: Literal["generated_at", "ingested_at"]
    #: one per report judged, oldest first
    verdicts: tuple[ReportVerdict, ...]

    def to_json(self) -> dict[str, Any]:
        """The evidence object of a monitoring finding."""
        out: dict[str, Any] = {
            "report": self.report.to_json(),
            "as_of": self.as_of.isoformat(),
            "age_seconds": self.age_seconds,
            "dated_by": self.dated_by,
        }
        if len(self.verdicts) == 1:
            out.update(self.verdicts[0].to_json(with_report=False))
        else:
            out["reports"] = [v.to_json(with_report=True) for v in self.verdicts]
        return out
