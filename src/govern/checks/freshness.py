"""``check: freshness``: the model is not too old, and its monitoring evidence is recent.

Two ages at the evaluation time (``--as-of``, else now): the model's, since its training run
ended (else started; else since the version was registered), and the evidence's, since the
latest record of the model's current prediction logs or the latest monitoring report linked to
the version. Each bound gives one finding, with a :class:`FreshnessEvidence`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from govern.checks.base import Rule, Subject, finding
from govern.models import Finding, Status
from govern.windows import parse_duration

__all__ = ["Freshness", "FreshnessEvidence"]

_DURATION = {"type": "string", "pattern": r"^[0-9]+[hdw]$"}
Age = Literal["model_age", "evidence_age"]


@dataclass(frozen=True)
class FreshnessEvidence:
    """One age: of what, since when (and where that time comes from), against its maximum."""

    age: Age
    #: the moment the age is measured from (naive UTC), None when nothing is known
    since: datetime | None
    #: where ``since`` comes from: ``run end``, ``run start``, ``version registered``,
    #: ``prediction log``, ``monitoring report``
    source: str | None
    as_of: datetime
    max_age: timedelta

    @property
    def elapsed(self) -> timedelta | None:
        """``as_of - since`` (None when ``since`` is unknown)."""
        return None if self.since is None else self.as_of - self.since

    def to_json(self) -> dict[str, Any]:
        """``{"age", "since", "source", "as_of", "age_days", "max_age_days"}``."""
        elapsed = self.elapsed
        return {
            "age": self.age,
            "since": _iso(self.since),
            "source": self.source,
            "as_of": _iso(self.as_of),
            "age_days": None if elapsed is None else elapsed.total_seconds() / 86400,
            "max_age_days": self.max_age.total_seconds() / 86400,
        }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Freshness:
    """The model is recent enough, and so is the evidence that it is being monitored.

    Triggers: at the evaluation time the model is older than ``max_model_age`` (since its
    training run ended; without a run end, since it started; without a run, since the version
    was registered), or the latest evidence -- the newest record of the model's current
    prediction logs or the newest monitoring report linked to the version (``evidence``:
    ``any``, the default, ``logs`` or ``reports``) -- is older than ``max_evidence_age``.
    Durations are ``12h``, ``30d``, ``2w``. No training time, or no evidence at all, gives
    ``not_evaluated`` with the reason.

    Fix: retrain and register a new version (model age), or run the monitoring job and ingest
    its logs or report (evidence age); if the bound is wrong, change the policy through review.
    """

    name = "freshness"
    summary = "the model and its monitoring evidence are recent enough"
    required: tuple[str, ...] = ()

    @property
    def properties(self) -> Mapping[str, Any]:
        """Rule parameters."""
        return {
            "max_model_age": {
                **_DURATION,
                "description": "Oldest acceptable model, since training: 12h, 30d, 2w.",
            },
            "max_evidence_age": {
                **_DURATION,
                "description": "Oldest acceptable latest log record or monitoring report.",
            },
            "evidence": {
                "enum": ["any", "logs", "reports"],
                "description": "What counts as evidence (default any).",
            },
        }

    def lint(self, params: Mapping[str, Any]) -> list[tuple[str, str]]:
        """A freshness rule needs at least one of its two bounds."""
        if "max_model_age" in params or "max_evidence_age" in params:
            return []
        return [("check", "a freshness rule needs max_model_age or max_evidence_age")]

    def evaluate(self, rule: Rule, subject: Subject) -> list[Finding]:
        """One finding per bound the rule sets."""
        as_of = (subject.as_of or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
        out: list[Finding] = []
        p = rule.params
        if "max_model_age" in p:
            since, source = _trained(subject)
            out.append(self._judge(rule, subject, "model_age", since, source, as_of))
        if "max_evidence_age" in p:
            since, source = _evidence(subject, str(p.get("evidence", "any")))
            out.append(self._judge(rule, subject, "evidence_age", since, source, as_of))
        if not out:
            out.append(
                finding(
                    rule,
                    subject,
                    Status.not_evaluated,
                    "the rule sets neither max_model_age nor max_evidence_age",
                    help_text=self.__doc__ or "",
                )
            )
        return out

    def _judge(
        self,
        rule: Rule,
        subject: Subject,
        age: Age,
        since: datetime | None,
        source: str | None,
        as_of: datetime,
    ) -> Finding:
        key = "max_model_age" if age == "model_age" else "max_evidence_age"
        limit = str(rule.params[key])
        evidence = FreshnessEvidence(age, since, source, as_of, parse_duration(limit))
        what = "the model" if age == "model_age" else "the latest monitoring evidence"
        help_text = self.__doc__ or ""
        elapsed = evidence.elapsed
        if since is None or elapsed is None:
            reason = (
                "no training time is known for this version (no run with a start or end time, "
                "no registration time)"
                if age == "model_age"
                else "no prediction log record or monitoring report of this version is in the store"
            )
            return finding(
                rule, subject, Status.not_evaluated, reason, help_text=help_text,
                metric=age, threshold={key: limit}, evidence=evidence, about=age,
            )  # fmt: skip
        days = elapsed.total_seconds() / 86400
        stale = elapsed > evidence.max_age
        message = (
            f"{what} is {_age_text(elapsed)} old at {_iso(as_of)} ({source} {_iso(since)}); "
            f"{key} {limit}"
        )
        if stale:
            message += ": too old"
        return finding(
            rule, subject, Status.failed if stale else Status.passed, message, help_text=help_text,
            metric=age, value=days, threshold={key: limit}, evidence=evidence, about=age,
        )  # fmt: skip


def _age_text(age: timedelta) -> str:
    if age < timedelta(0):
        return "from the future: " + _age_text(-age)
    if age < timedelta(days=2):
        return f"{age.total_seconds() / 3600:.1f} hours"
    return f"{age.total_seconds() / 86400:.1f} days"


def _naive(moment: Any) -> datetime | None:
    if not isinstance(moment, datetime):
        return None
    if moment.tzinfo is not None:
        return moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _trained(subject: Subject) -> tuple[datetime | None, str | None]:
    """When the version was trained: its run's end, else start, else its registration."""
    v = subject.version
    if v.run_id and subject.data is not None:
        rows = subject.data.connection.execute(
            "SELECT end_time, start_time FROM runs WHERE run_id = ?", [v.run_id]
        ).fetchall()
        if rows:
            end, start = rows[0]
            if _naive(end) is not None:
                return _naive(end), "run end"
            if _naive(start) is not None:
                return _naive(start), "run start"
    created = _naive(v.created_at)
    return (created, "version registered") if created else (None, None)


def _evidence(subject: Subject, kind: str) -> tuple[datetime | None, str | None]:
    """The newest log record or linked monitoring report of the version."""
    from govern.store.monitoring import stored_reports

    data = subject.data
    if data is None:
        return None, None
    v = subject.version
    found: list[tuple[datetime, str]] = []
    if kind in ("any", "logs"):
        spans = data.logs(model=v.model, role="current")
        if spans:
            versioned = any(log.version or "model_version" in log.mapping for log in spans)
            data.view("__govern_fresh", model=v.model, role="current",
                      version=v.version if versioned else None)  # fmt: skip
            (latest,) = data.connection.execute(
                'SELECT max(__ts) FROM "__govern_fresh"'
            ).fetchall()[0]
            moment = _naive(latest)
            if moment is not None:
                label = "prediction log" if versioned else "prediction log (any version)"
                found.append((moment, label))
    if kind in ("any", "reports"):
        for report in stored_reports(data.connection):
            if report.model != v.model or report.version not in (None, v.version):
                continue
            found.append((report.time, "monitoring report"))
    if not found:
        return None, None
    return max(found)
