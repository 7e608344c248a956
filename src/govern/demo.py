"""Bundled demo data: real exports, prediction logs and example policies shipped in the package.

See ``data/demo/README.md`` for where each export and log comes from (the prediction logs are
real HMDA mortgage applications scored by a real model, with simulated timestamps, volume and
an income shift from September 2026; ``scripts/fixtures/make_demo_logs.py`` builds them).
The functions below turn findings into the rows of the demo's monitoring tables; they are
pure and take no store, so the command line only prints what they return.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govern.checks.drift import ColumnDrift, TrendPoint
from govern.checks.fairness_evidence import FairnessEvidence, GroupRates, Interval
from govern.checks.performance import PerformanceEvidence
from govern.models import Finding, Status

if TYPE_CHECKING:
    from govern.review.model import DisparityValue, ReviewWindow

DEMO_DIR = Path(str(resources.files("govern") / "data" / "demo"))

#: The versions the demo gates: complete lineage (passes, with monitoring warnings), a legacy
#: version whose lineage gap is waived but which is not validated (fails), one registered
#: without a run (fails).
DEMO_GATES: tuple[tuple[str, str], ...] = (
    ("credit-risk", "2"),
    ("credit-risk", "1"),
    ("credit-risk", "3"),
)

#: The version whose production logs are bundled (the champion in Production) and the policy
#: whose ``data:`` mapping names their columns.
MONITORED: tuple[str, str] = ("credit-risk", "2")
MONITORING_POLICY = "credit-production"


def demo_inputs() -> list[Path]:
    """The bundled exports the demo ingests, in a stable order."""
    return sorted(p for p in (DEMO_DIR / "exports").iterdir() if not p.name.startswith("."))


def demo_logs() -> dict[str, Path]:
    """The bundled prediction logs of :data:`MONITORED` by role (a file, or a folder of months)."""
    logs = DEMO_DIR / "logs"
    return {"reference": logs / "reference.parquet", "current": logs / "current"}


def demo_policies() -> Path:
    """The example policies (a copy of the repository's ``policies/``)."""
    return DEMO_DIR / "policies"


def reset_store(path: Path) -> None:
    """Delete a demo store (and its WAL) so every demo run starts from nothing.

    A file at ``path`` that is not a govern store is left alone (:class:`StoreError`).
    """
    from govern.store.store import delete_store

    delete_store(path)


def log_options(mapping: Mapping[str, Any], *, model: str, role: str) -> dict[str, Any]:
    """Ingest options for a prediction log from a policy's ``data:`` mapping.

    The options ``govern ingest LOG --model M --role R --policy FILE`` uses: one function,
    :func:`govern.policy.data.log_options`, serves the command and the demo.
    """
    from govern.policy.data import log_options as from_mapping

    return from_mapping(mapping, model=model, role=role)


@dataclass(frozen=True)
class DriftRow:
    """One column's drift: the statistic this window, per calendar period, and since when."""

    column: str
    method: str
    value: float | None
    threshold: float | None
    status: Status
    #: (period label, statistic, drifted) per calendar window of the trend
    trend: tuple[tuple[str, float | None, bool | None], ...]
    #: start of the run of drifted periods reaching the latest one, e.g. ``2026-09``
    since: str | None
    message: str


@dataclass(frozen=True)
class DriftSummary:
    """The drift findings of one rule on one version, as table rows."""

    rule: str
    window: str
    periods: tuple[str, ...]
    rows: tuple[DriftRow, ...]
    #: the share-of-drifted-columns finding, if the rule has one
    share: Finding | None


def drift_summaries(findings: Iterable[Finding]) -> list[DriftSummary]:
    """Group drift findings by rule into rows with their monthly (or weekly) trend."""
    by_rule: dict[str, list[Finding]] = {}
    for f in findings:
        if f.check == "drift":
            by_rule.setdefault(f.rule, []).append(f)
    out = []
    for rule, group in sorted(by_rule.items()):
        share = next((f for f in group if f.metric == "share_of_drifted_columns"), None)
        rows = []
        periods: dict[str, None] = {}
        window = "all"
        for f in group:
            if f is share:
                continue
            evidence = f.evidence if isinstance(f.evidence, ColumnDrift) else None
            if evidence is not None:
                window = evidence.window
            points = (evidence.trend or ()) if evidence else ()
            trend = tuple(
                (_period(p), p.statistic if p.p_value is None else p.p_value, p.drifted)
                for p in points
            )
            periods.update((label, None) for label, _, _ in trend)
            began = evidence.drifted_since if evidence else None
            rows.append(
                DriftRow(
                    column=f.subject or (evidence.column if evidence else ""),
                    method=f.metric or "",
                    value=f.value,
                    threshold=evidence.threshold if evidence else None,
                    status=f.status,
                    trend=trend,
                    since=_day(began) if began else None,
                    message=f.message,
                )
            )
        rows.sort(key=lambda r: (r.status is not Status.failed, r.column))
        out.append(DriftSummary(rule, window, tuple(sorted(periods)), tuple(rows), share))
    return out


@dataclass(frozen=True)
class PerformanceSummary:
    """A performance finding as a table row: the value now, per month, and the labels."""

    rule: str
    metric: str
    window: str
    value: float | None
    #: the bound the window is judged against, e.g. ``min 0.75`` (the baseline's included)
    bound: str
    labelled_share: float | None
    status: Status
    severity: str
    #: (month, value, judged: True within, False outside, None not judged) per trend window
    trend: tuple[tuple[str, float | None, bool | None], ...]
    message: str


def performance_summaries(findings: Iterable[Finding]) -> list[PerformanceSummary]:
    """The performance findings, by rule, with their monthly trend."""
    out = []
    for f in sorted((f for f in findings if f.check == "performance"), key=lambda f: f.rule):
        ev = f.evidence if isinstance(f.evidence, PerformanceEvidence) else None
        threshold = f.threshold or {}
        parts = [f"{k} {threshold[k]:g}" for k in ("min", "max") if k in threshold]
        if "required" in threshold:
            word = "min" if ev is None or ev.greater_is_better else "max"
            parts.append(f"baseline {word} {threshold['required']:.3f}")
        out.append(
            PerformanceSummary(
                rule=f.rule,
                metric=f.metric or "",
                window="all" if ev is None else ev.window,
                value=f.value,
                bound=", ".join(parts) or "—",
                labelled_share=None if ev is None else ev.labelled_share,
                status=f.status,
                severity=f.severity.value,
                trend=tuple(
                    (_day(p.start) if p.start else p.window, p.value, p.met)
                    for p in (ev.trend or () if ev else ())
                ),
                message=f.message,
            )
        )
    return out


def _period(point: TrendPoint) -> str:
    """A trend window's column label: its first day (see :func:`_day`), else its label."""
    return _day(point.start) if point.start else point.window


def _day(day: date) -> str:
    """``2026-09`` for the first of a month (a monthly trend), else the ISO date."""
    return day.isoformat()[:7] if day.day == 1 else day.isoformat()


@dataclass(frozen=True)
class FairnessSummary:
    """One fairness finding (a rule on one sensitive feature or intersection) with its groups.

    The groups are the check's typed evidence: counts, rates, impact ratios and (from
    :mod:`govern.metrics.fairness`) the Wilson interval of each selection rate.
    """

    rule: str
    severity: str
    sensitive: str
    metric: str
    value: float | None
    ci: Interval | None
    threshold: Mapping[str, Any]
    status: Status
    groups: tuple[GroupRates, ...]
    excluded: tuple[str, ...]
    message: str


def fairness_summaries(findings: Iterable[Finding]) -> list[FairnessSummary]:
    """Fairness findings with their groups, sorted by rule and sensitive feature."""
    out = []
    for f in findings:
        if f.check != "fairness":
            continue
        evidence = f.evidence if isinstance(f.evidence, FairnessEvidence) else None
        judged = evidence.disparity if evidence is not None else None
        out.append(
            FairnessSummary(
                rule=f.rule,
                severity=f.severity.value,
                sensitive=f.subject or (evidence.sensitive_feature if evidence else ""),
                metric=f.metric or "",
                value=f.value,
                ci=judged.interval if judged is not None else None,
                threshold=dict(f.threshold or {}),
                status=f.status,
                groups=evidence.groups if evidence is not None else (),
                excluded=tuple(e.group for e in evidence.excluded) if evidence else (),
                message=f.message,
            )
        )
    out.sort(key=lambda s: (s.rule, s.sensitive))
    return out


@dataclass(frozen=True)
class ExplainFeature:
    """One feature's share of the importance: validation, production and by group."""

    feature: str
    reference_share: float | None
    share: float
    drift: float | None
    #: share within each group of the current sample, as ``(column, group, share)``
    groups: tuple[tuple[str, str, float], ...]


@dataclass(frozen=True)
class ExplainSummary:
    """The explainability rule of the monitored version: the features and each verdict."""

    rule: str
    explainer: str
    rows: int
    features: tuple[ExplainFeature, ...]
    #: ``(sub-rule, status, message)`` per finding
    verdicts: tuple[tuple[str, Status, str], ...]


def explain_summaries(findings: Iterable[Finding], top: int = 6) -> list[ExplainSummary]:
    """The explainability findings by rule, with the ``top`` features by current share."""
    from govern.checks.explainability import ExplainabilityEvidence
    from govern.explain.shap_values import shares

    by_rule: dict[str, list[Finding]] = {}
    for f in findings:
        if f.check == "explainability":
            by_rule.setdefault(f.rule, []).append(f)
    out = []
    for rule, found in sorted(by_rule.items()):
        verdicts = tuple((f.subject or f.metric or "", f.status, f.message) for f in found)
        ev = next(
            (f.evidence for f in found if isinstance(f.evidence, ExplainabilityEvidence)), None
        )
        if ev is None:
            out.append(ExplainSummary(rule, "", 0, (), verdicts))
            continue
        group_shares = {
            (column, group): shares(values)
            for column, groups in ev.by_group.items()
            for group, values in groups.items()
        }
        ranked = sorted(ev.share, key=lambda f: (-ev.share[f], f))[:top]
        features = tuple(
            ExplainFeature(
                feature=name,
                reference_share=(ev.reference_share or {}).get(name),
                share=ev.share[name],
                drift=(ev.attribution_drift or {}).get(name),
                groups=tuple(
                    (column, group, within.get(name, 0.0))
                    for (column, group), within in group_shares.items()
                ),
            )
            for name in ranked
        )
        out.append(
            ExplainSummary(rule, ev.explainer, ev.rows.get("current", 0), features, verdicts)
        )
    return out


def warnings_of(findings: Iterable[Finding], failing: Sequence[Finding]) -> list[Finding]:
    """Findings that fail below the gate's bar (e.g. ``warn``): reported, never blocking."""
    blocking = {id(f) for f in failing}
    return [f for f in findings if f.status is Status.failed and id(f) not in blocking]


#: Disparities the demo's monthly review table shows (those the example policies bound).
REVIEW_METRICS: tuple[str, ...] = (
    "demographic_parity_difference",
    "impact_ratio",
    "equalized_odds_difference",
)


@dataclass(frozen=True)
class ReviewCell:
    """One disparity in one review window."""

    value: float | None
    #: a bound of a ``check: fairness`` rule is not met
    out_of_bounds: bool
    #: flagged as a regression against the earlier window
    regression: bool


@dataclass(frozen=True)
class ReviewRow:
    """One disparity of one sensitive feature (or intersection) across the review windows."""

    feature: str
    metric: str
    cells: tuple[ReviewCell, ...]


def review_rows(
    windows: Sequence[ReviewWindow], metrics: Sequence[str] = REVIEW_METRICS
) -> tuple[tuple[str, ...], list[ReviewRow]]:
    """The window labels and one row per (feature, metric) of a review's windows."""
    labels = tuple(w.label for w in windows)
    index: dict[tuple[str, str, int], DisparityValue] = {}
    features: dict[str, None] = {}
    for i, window in enumerate(windows):
        for feature in window.features:
            features[feature.feature] = None
            for d in feature.disparities:
                index[(feature.feature, d.metric, i)] = d
    rows = []
    for name in features:
        for metric in metrics:
            cells = []
            for i in range(len(windows)):
                found = index.get((name, metric, i))
                cells.append(
                    ReviewCell(
                        value=found.value if found else None,
                        out_of_bounds=found.out_of_bounds if found else False,
                        regression=found.regression if found else False,
                    )
                )
            if any(c.value is not None for c in cells):
                rows.append(ReviewRow(name, metric, tuple(cells)))
    return labels, rows


def performance_review_rows(windows: Sequence[ReviewWindow]) -> list[ReviewRow]:
    """One row per performance rule of a review (``feature`` is the rule id) across its windows.

    A window where the rule was not evaluated (e.g. labels still missing) has no value.
    """
    rules: dict[tuple[str, str], None] = {}
    for window in windows:
        rules.update(((p.rule, p.metric), None) for p in window.performance)
    rows = []
    for rule, metric in rules:
        cells = []
        for window in windows:
            found = next((p for p in window.performance if p.rule == rule), None)
            judged = found is not None and found.status == "evaluated"
            cells.append(
                ReviewCell(
                    value=found.value if found is not None and judged else None,
                    out_of_bounds=found.out_of_bounds if found is not None else False,
                    regression=found.regression if found is not None else False,
                )
            )
        rows.append(ReviewRow(rule, metric, tuple(cells)))
    return rows
