"""Evidence sections of a report: one per check kind, each built from typed finding evidence.

A check kind brings its own section: an entry of :data:`SECTIONS` names the section's title,
its template partial (in ``templates/``) and a builder that turns the findings of that kind
into a frozen section (rows of plain values, never recomputed statistics; their classes are in
:mod:`govern.report.section_data`). A kind without an entry gets the generic section (its
findings and messages). Missing evidence is a sentence in ``missing``: the section says what
is missing and the report still renders.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from govern.checks.drift import ColumnDrift, DriftShare
from govern.checks.explainability import SUB_RULES, ExplainabilityEvidence
from govern.checks.fairness_evidence import FairnessEvidence, LL144Evidence, group_name
from govern.checks.metric import MetricEvidence
from govern.checks.monitoring_evidence import (
    FailedTest,
    MonitoringEvidence,
    MonitoringItem,
    OutOfBounds,
    Violation,
)
from govern.checks.performance import PerformanceEvidence
from govern.checks.reproducibility import LineageEvidence
from govern.inventory import GAP_CODES, VersionLineage
from govern.models import Finding
from govern.report.section_data import (
    CalibrationRow,
    DriftData,
    DriftRow,
    DriftShareRow,
    ExplainabilityData,
    ExplainabilityRow,
    ExplanationBlock,
    Fact,
    FairnessBlock,
    FairnessData,
    FeatureImportance,
    GapRow,
    GenericData,
    GenericRow,
    GroupComparison,
    GroupRow,
    GroupShare,
    LineageData,
    LL144Block,
    LL144Row,
    MetricData,
    MetricRow,
    MonitoringData,
    MonitoringRow,
    PerformanceData,
    PerformancePoint,
    PerformanceRow,
    ProxyAssociation,
    RequirementRow,
    SectionData,
    TrendCell,
    TrendWindow,
)

# The section data classes live in govern.report.section_data; those the formatters and charts
# import from here are re-exported.
__all__ = [
    "SECTIONS",
    "CalibrationRow",
    "DriftData",
    "DriftRow",
    "EvidenceSection",
    "ExplainabilityData",
    "ExplanationBlock",
    "FairnessBlock",
    "FairnessData",
    "GroupComparison",
    "LL144Block",
    "PerformanceData",
    "PerformanceRow",
    "SectionSpec",
    "bound_text",
    "build_sections",
    "finite",
]


def finite(value: float | None) -> float | None:
    """``None`` for a missing, NaN or infinite number (JSON and templates have no NaN)."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def bound_text(threshold: Mapping[str, Any] | None) -> str:
    """A rule's threshold in words: ``≥ 0.8``, ``≤ 0.2``, ``p ≥ 0.05``."""
    if not threshold:
        return "—"
    parts: list[str] = []
    for key, value in sorted(threshold.items()):
        if key == "min":
            parts.append(f"≥ {value}")
        elif key == "max":
            parts.append(f"≤ {value}")
        elif key == "min_p_value":
            parts.append(f"p ≥ {value}")
        elif key == "required" and isinstance(value, list):
            parts.append(f"{len(value)} requirement(s)")
        elif isinstance(value, float):
            # a computed bound (``required`` = baseline - max_drop): four significant digits
            parts.append(f"{key} {value:.4g}")
        else:
            parts.append(f"{key} {value}")
    return ", ".join(parts)


# -- sections and their registry ---------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceSection:
    """One evidence section of the report."""

    key: str
    title: str
    #: the template partial that renders ``data`` (in ``templates/``)
    template: str
    #: the check kind it is about
    check: str
    intro: str
    data: SectionData
    #: sentences naming the evidence that is missing (findings not evaluated, no evidence)
    missing: tuple[str, ...] = ()


#: builds a section's data and its missing-evidence sentences from the findings of its kind
Builder = Callable[[Sequence[Finding], VersionLineage], tuple[SectionData, list[str]]]


@dataclass(frozen=True)
class SectionSpec:
    """How a check kind presents its evidence: title, intro, template partial, builder."""

    key: str
    title: str
    intro: str
    template: str
    build: Builder


def _missing(findings: Sequence[Finding], wanted: type | tuple[type, ...]) -> list[str]:
    """A sentence for every finding whose typed evidence is absent."""
    return [
        f"{f.label} ({f.status.value}): {f.message}"
        for f in findings
        if not isinstance(f.evidence, wanted)
    ]


# -- builders ----------------------------------------------------------------------------------


def _lineage(findings: Sequence[Finding], v: VersionLineage) -> tuple[SectionData, list[str]]:
    datasets = ", ".join(
        f"{d.name} ({d.context or 'no context'}) {d.digest or 'no digest'}" for d in v.datasets
    )
    facts = (
        Fact("registry", v.registry, True),
        Fact("stage / status", f"{v.stage or '—'} / {v.status or '—'}", True),
        Fact("aliases", ", ".join(v.aliases) or "—", True),
        Fact(
            "registered",
            v.created_at.strftime("%Y-%m-%d %H:%M UTC") if v.created_at else "—",
            v.created_at is not None,
        ),
        Fact("source", v.source or "—", v.source is not None),
        Fact("run", v.run_id or "no run", v.run_id is not None),
        Fact("run status", v.run_status or "—", v.run_status in (None, "FINISHED")),
        Fact("experiment", v.experiment or "—", True),
        Fact("trained by", v.user or "—", True),
        Fact("git commit", v.git_commit or "not recorded", v.git_commit is not None),
        Fact(
            "code",
            v.source_name or v.code_repository or "not recorded",
            bool(v.source_name or v.code_repository),
        ),
        Fact("datasets", datasets or "none logged", bool(v.datasets)),
        Fact("environment", ", ".join(v.environment) or "none seen", bool(v.environment)),
        Fact("params", f"{len(v.params)} logged", bool(v.params)),
        Fact("flavors", ", ".join(v.flavors) or "—", True),
    )
    requirements = tuple(
        RequirementRow(f.rule, f.status.value, r.name, r.met, r.detail)
        for f in findings
        if isinstance(f.evidence, LineageEvidence)
        for r in f.evidence.requirements
    )
    gaps = tuple(GapRow(g.code, g.message, GAP_CODES.get(g.code, "")) for g in v.gaps)
    return LineageData(facts, requirements, gaps), _missing(findings, LineageEvidence)


def _metric(findings: Sequence[Finding], _v: VersionLineage) -> tuple[SectionData, list[str]]:
    rows: list[MetricRow] = []
    for f in findings:
        baseline = "—"
        if isinstance(f.evidence, MetricEvidence) and f.evidence.comparison is not None:
            c = f.evidence.comparison
            baseline = (
                f"version {c.version} ({c.selector_key} {c.selector_value}): "
                f"{c.baseline_value:.4g}; required {c.required_value:.4g}"
            )
        rows.append(
            MetricRow(
                f.rule,
                f.status.value,
                f.severity.value,
                f.metric or "—",
                finite(f.value),
                bound_text(f.threshold),
                baseline,
                f.message,
            )
        )
    missing = [
        f"{f.label} ({f.status.value}): {f.message}"
        for f in findings
        if f.status.value == "not_evaluated"
    ]
    return MetricData(tuple(rows)), missing


def _number(threshold: Mapping[str, Any] | None, key: str) -> float | None:
    value = (threshold or {}).get(key)
    return finite(float(value)) if isinstance(value, int | float) else None


def _fairness(findings: Sequence[Finding], _v: VersionLineage) -> tuple[SectionData, list[str]]:
    blocks: list[FairnessBlock] = []
    ll144: list[LL144Block] = []
    for f in findings:
        ev = f.evidence
        if isinstance(ev, FairnessEvidence):
            disparity = ev.disparity
            interval = disparity.interval if disparity is not None else None
            groups = []
            for g in ev.groups:
                band = g.selection_interval(interval.confidence if interval else 0.95)
                groups.append(
                    GroupRow(
                        g.group,
                        g.n,
                        g.selected,
                        finite(g.selection_rate),
                        finite(band[0]) if band else None,
                        finite(band[1]) if band else None,
                        finite(g.impact_ratio),
                        finite(g.true_positive_rate),
                        finite(g.false_positive_rate),
                        finite(g.accuracy),
                    )
                )
            blocks.append(
                FairnessBlock(
                    rule=f.rule,
                    feature=ev.sensitive_feature or f.subject or "—",
                    status=f.status.value,
                    severity=f.severity.value,
                    metric=f.metric or (disparity.metric if disparity else "—"),
                    value=finite(f.value),
                    bound=bound_text(f.threshold),
                    threshold_min=_number(f.threshold, "min"),
                    threshold_max=_number(f.threshold, "max"),
                    ci_low=finite(interval.low) if interval else None,
                    ci_high=finite(interval.high) if interval else None,
                    confidence=interval.confidence if interval else None,
                    decided_on=disparity.decided_on if disparity else None,
                    window=ev.window,
                    groups=tuple(groups),
                    excluded=tuple(
                        f"{e.group} (n={e.n}"
                        + (f", {e.outcomes} outcomes" if e.outcomes is not None else "")
                        + ")"
                        for e in ev.excluded
                    ),
                    missing=ev.missing.n,
                    missing_handling=ev.missing.handling,
                    message=f.message,
                )
            )
        elif isinstance(ev, LL144Evidence):
            table = ev.table
            for section in table.sections:
                ref = section.reference
                ll144.append(
                    LL144Block(
                        rule=f.rule,
                        status=f.status.value,
                        rate_kind=table.rate_kind,
                        total=table.total,
                        min_share=table.min_share,
                        dimension=" × ".join(section.dimension),
                        reference=None if ref is None else group_name(ref),
                        unknown=section.unknown,
                        rows=tuple(
                            LL144Row(
                                group_name(r.category),
                                r.n,
                                r.selected,
                                finite(r.rate),
                                finite(r.impact_ratio),
                                r.excluded,
                            )
                            for r in section.rows
                        ),
                    )
                )
    missing = _missing(findings, (FairnessEvidence, LL144Evidence))
    missing += [
        f"{f.label}: fewer than two groups could be judged ({f.message})"
        for f in findings
        if isinstance(f.evidence, FairnessEvidence) and f.evidence.disparity is None
    ]
    return FairnessData(tuple(blocks), tuple(ll144)), missing


def _drift(findings: Sequence[Finding], _v: VersionLineage) -> tuple[SectionData, list[str]]:
    rows: list[DriftRow] = []
    shares: list[DriftShareRow] = []
    windows: dict[TrendWindow, None] = {}
    for f in findings:
        ev = f.evidence
        if isinstance(ev, ColumnDrift):
            trend = tuple(
                TrendCell(
                    p.window,
                    p.start.isoformat() if p.start else None,
                    finite(p.statistic),
                    p.drifted,
                    p.current_n,
                )
                for p in ev.trend or ()
            )
            windows.update((TrendWindow(c.window, c.start), None) for c in trend)
            since = ev.drifted_since
            rows.append(
                DriftRow(
                    rule=f.rule,
                    column=f.subject or ev.column,
                    kind=str(ev.kind),
                    method=ev.method,
                    status=f.status.value,
                    statistic=finite(ev.statistic),
                    p_value=finite(ev.p_value),
                    threshold=ev.threshold,
                    direction=str(ev.direction),
                    reference_n=ev.reference_n,
                    current_n=ev.current_n,
                    reference_missing_share=finite(ev.reference_missing_share),
                    current_missing_share=finite(ev.current_missing_share),
                    window=ev.window,
                    drifted_since=since.isoformat() if since else None,
                    trend=trend,
                )
            )
        elif isinstance(ev, DriftShare):
            shares.append(
                DriftShareRow(
                    f.rule,
                    f.status.value,
                    ev.drifted,
                    ev.evaluated,
                    finite(f.value),
                    bound_text(f.threshold),
                )
            )
    return DriftData(tuple(rows), tuple(shares), tuple(windows)), _missing(
        findings, (ColumnDrift, DriftShare)
    )


def _performance_bounds(
    threshold: Mapping[str, Any] | None, greater: bool
) -> tuple[tuple[float, str], ...]:
    out: list[tuple[float, str]] = []
    for key in ("min", "max"):
        value = _number(threshold, key)
        if value is not None:
            out.append((value, f"{key} {value:g}"))
    required = _number(threshold, "required")
    if required is not None:
        sign = "−" if greater else "+"
        out.append((required, f"baseline {sign} max_drop: {required:.3f}"))
    return tuple(out)


def _performance(findings: Sequence[Finding], _v: VersionLineage) -> tuple[SectionData, list[str]]:
    rows: list[PerformanceRow] = []
    for f in findings:
        ev = f.evidence
        if not isinstance(ev, PerformanceEvidence):
            continue
        base = ev.baseline
        note = ""
        if ev.rows and ev.labelled_share < ev.min_labelled:
            note = (
                f"{ev.n:,} of {ev.rows:,} records ({ev.labelled_share:.1%}) of "
                f"{ev.window} are labelled, below min_labelled {ev.min_labelled:g}; the window "
                "is judged once enough ground truth has arrived."
            )
            judged = [p for p in ev.trend or () if p.met is not None and p.value is not None]
            if judged:
                last = judged[-1]
                verdict = "within the bound" if last.met else "outside the bound"
                note += (
                    f" The latest judged window, {last.window}, had {last.value:.4f} ({verdict})."
                )
        since = ev.below_since
        own = {k: v for k, v in (f.threshold or {}).items() if k in ("min", "max")}
        rows.append(
            PerformanceRow(
                rule=f.rule,
                status=f.status.value,
                severity=f.severity.value,
                metric=ev.metric,
                greater_is_better=ev.greater_is_better,
                window=ev.window,
                value=finite(ev.value),
                ci_low=finite(ev.interval.low) if ev.interval else None,
                ci_high=finite(ev.interval.high) if ev.interval else None,
                confidence=ev.interval.confidence if ev.interval else None,
                decided_on=ev.decided_on,
                bound=bound_text(own),
                bounds=_performance_bounds(
                    {**own, **({"required": base.required} if base else {})},
                    ev.greater_is_better,
                ),
                baseline_value=finite(base.value) if base else None,
                baseline=base.describe() if base else "—",
                baseline_required=finite(base.required) if base else None,
                rows=ev.rows,
                labelled=ev.n,
                labelled_share=ev.labelled_share,
                min_labelled=ev.min_labelled,
                label_note=note,
                below_since=since.isoformat() if since else None,
                trend=tuple(
                    PerformancePoint(
                        p.window,
                        p.start.isoformat() if p.start else None,
                        p.rows,
                        p.labelled,
                        p.labelled_share,
                        finite(p.value),
                        p.met,
                    )
                    for p in ev.trend or ()
                ),
                calibration=tuple(
                    CalibrationRow(b.low, b.high, b.n, finite(b.mean_score), finite(b.mean_label))
                    for b in ev.calibration or ()
                ),
                message=f.message,
            )
        )
    missing = _missing(findings, PerformanceEvidence)
    missing += [
        f"{f.label} (not evaluated): {f.message}"
        for f in findings
        if isinstance(f.evidence, PerformanceEvidence) and f.status.value == "not_evaluated"
    ]
    return PerformanceData(tuple(rows)), missing


def _sub_rule(f: Finding) -> str:
    """Which sub-rule of an explainability rule a finding is about (``max_share``, ...)."""
    return f.subject or f.metric or "explainability"


def _group_comparisons(
    ev: ExplainabilityEvidence, ranking: Sequence[str]
) -> tuple[GroupComparison, ...]:
    out: list[GroupComparison] = []
    for sensitive in sorted(ev.by_group):
        by_group = ev.by_group[sensitive]
        groups = tuple(sorted(by_group, key=str))
        totals = {g: sum(v for v in by_group[g].values() if math.isfinite(v)) for g in groups}
        rows: list[GroupShare] = []
        for feature in ranking:
            values = [finite(by_group[g].get(feature)) for g in groups]
            rows.append(
                GroupShare(
                    feature,
                    tuple(values),
                    tuple(
                        None if v is None or totals[g] <= 0 else v / totals[g]
                        for g, v in zip(groups, values, strict=True)
                    ),
                )
            )
        out.append(GroupComparison(str(sensitive), tuple(str(g) for g in groups), tuple(rows)))
    return tuple(out)


def _explanation_block(rule: str, findings: Sequence[Finding]) -> ExplanationBlock | None:
    evidence = [f.evidence for f in findings if isinstance(f.evidence, ExplainabilityEvidence)]
    if not evidence:
        return None
    ev = evidence[0]
    ranking = sorted(ev.share, key=lambda name: (-(finite(ev.share[name]) or 0.0), name))
    drift = ev.attribution_drift
    reference = ev.reference_share
    bounds = {_sub_rule(f): _number(f.threshold, "max") for f in findings}
    features = tuple(
        FeatureImportance(
            feature=name,
            rank=i + 1,
            importance=finite(ev.importance.get(name)),
            share=finite(ev.share.get(name)),
            reference_share=finite(reference.get(name)) if reference is not None else None,
            drift=finite(drift.get(name)) if drift is not None else None,
        )
        for i, name in enumerate(ranking)
    )
    return ExplanationBlock(
        rule=rule,
        source=ev.source,
        explainer=ev.explainer,
        seed=ev.seed,
        sample_size=ev.sample_size,
        model_digest=ev.model_digest,
        stored_as=ev.stored_as,
        rows=tuple(sorted(ev.rows.items())),
        features=features,
        has_reference=drift is not None,
        max_share=bounds.get("max_share"),
        drift_bound=bounds.get("max_attribution_drift"),
        groups=_group_comparisons(ev, ranking),
        reports=tuple(ev.reports),
    )


def _associations(f: Finding) -> tuple[ProxyAssociation, ...]:
    """A proxy screen's associations above its bound: flagged (named as proxies) first."""
    ev = f.evidence
    if not isinstance(ev, ExplainabilityEvidence) or not ev.association:
        return ()
    bound = _number(f.threshold, "max")
    ranking = sorted(ev.share, key=lambda name: (-(finite(ev.share[name]) or 0.0), name))
    rank = {name: i + 1 for i, name in enumerate(ranking)}
    out: list[ProxyAssociation] = []
    for sensitive, by_feature in ev.association.items():
        for feature, eta in by_feature.items():
            value = finite(eta)
            above = value is not None and bound is not None and value > bound
            if not above:
                continue
            flagged = (sensitive, feature) in ev.proxies
            out.append(
                ProxyAssociation(sensitive, feature, value, rank.get(feature), above, flagged)
            )
    out.sort(key=lambda a: (not a.flagged, -(a.eta or 0.0), a.sensitive, a.feature))
    return tuple(out)


def _explainability(
    findings: Sequence[Finding], _v: VersionLineage
) -> tuple[SectionData, list[str]]:
    by_rule: dict[str, list[Finding]] = {}
    for f in findings:
        by_rule.setdefault(f.rule, []).append(f)
    blocks = tuple(
        block
        for rule, group in by_rule.items()
        if (block := _explanation_block(rule, group)) is not None
    )
    order = {name: i for i, name in enumerate(SUB_RULES)}
    rows = tuple(
        ExplainabilityRow(
            rule=f.rule,
            sub_rule=_sub_rule(f),
            status=f.status.value,
            severity=f.severity.value,
            value=finite(f.value),
            bound=bound_text(f.threshold),
            message=f.message,
            associations=_associations(f),
            measure=(
                f.evidence.association_measure
                if isinstance(f.evidence, ExplainabilityEvidence)
                else "correlation"
            ),
        )
        for f in sorted(findings, key=lambda f: (f.rule, order.get(_sub_rule(f), 99)))
    )
    missing = _missing(findings, ExplainabilityEvidence)
    missing += [
        f"{f.label} (not evaluated): {f.message}"
        for f in findings
        if isinstance(f.evidence, ExplainabilityEvidence) and f.status.value == "not_evaluated"
    ]
    return ExplainabilityData(blocks, rows), missing


def _item_name(item: MonitoringItem) -> str:
    if isinstance(item, FailedTest):
        return item.name
    if isinstance(item, Violation):
        return f"{item.feature}: {item.constraint_check_type}"
    if isinstance(item, OutOfBounds):
        return f"{item.subject} {item.bound}"
    return item.subject


def _monitoring(findings: Sequence[Finding], _v: VersionLineage) -> tuple[SectionData, list[str]]:
    rows: list[MonitoringRow] = []
    for f in findings:
        ev = f.evidence
        if not isinstance(ev, MonitoringEvidence):
            continue
        report = ev.report
        rows.append(
            MonitoringRow(
                rule=f.rule,
                status=f.status.value,
                severity=f.severity.value,
                tool=f"{report.tool} {report.tool_version or ''}".strip(),
                report_kind=report.kind,
                report_path=report.path,
                dated=f"{report.time.isoformat(sep=' ', timespec='minutes')} ({ev.dated_by})",
                age_days=round(ev.age_seconds / 86400, 1),
                verdicts=tuple(v.summary for v in ev.verdicts),
                items=tuple(_item_name(item) for v in ev.verdicts for item in v.items),
            )
        )
    return MonitoringData(tuple(rows)), _missing(findings, MonitoringEvidence)


def _generic(findings: Sequence[Finding], _v: VersionLineage) -> tuple[SectionData, list[str]]:
    rows = tuple(
        GenericRow(
            f.label,
            f.status.value,
            f.severity.value,
            finite(f.value),
            bound_text(f.threshold),
            f.message,
        )
        for f in findings
    )
    missing = [f"{f.label}: {f.message}" for f in findings if f.status.value == "not_evaluated"]
    return GenericData(rows), missing


#: Every check kind with a section of its own, in report order.
SECTIONS: dict[str, SectionSpec] = {
    "reproducibility": SectionSpec(
        "lineage",
        "Reproducibility and lineage",
        "What the registry export records about how this version was built, each lineage "
        "requirement of the policy, and the gaps an auditor would find.",
        "section_lineage.html",
        _lineage,
    ),
    "metric": SectionSpec(
        "metrics",
        "Registry metrics",
        "Metrics logged with the training run, against the policy's bounds and baselines.",
        "section_metric.html",
        _metric,
    ),
    "fairness": SectionSpec(
        "fairness",
        "Fairness",
        "Group rates and disparities computed by the fairness rules on the current prediction "
        "logs. Intervals: Wilson for a group's selection rate, seeded bootstrap for a disparity.",
        "section_fairness.html",
        _fairness,
    ),
    "drift": SectionSpec(
        "drift",
        "Drift",
        "Reference against current distribution, per column, in the rule's window, with the "
        "monthly trend and the window from which each column has drifted without a break.",
        "section_drift.html",
        _drift,
    ),
    "performance": SectionSpec(
        "performance",
        "Production performance",
        "Predictive performance on the labelled production records (scikit-learn's "
        "definitions), per rule: the value in the rule's window, its bounds and baseline, the "
        "share of records whose ground truth has arrived, the monthly trend and, for the "
        "expected calibration error, the reliability of the score per bin.",
        "section_performance.html",
        _performance,
    ),
    "explainability": SectionSpec(
        "explainability",
        "Explainability",
        "Which features drive the model's output: the mean absolute SHAP value of each "
        "feature on a seeded sample of the prediction logs, stratified by sensitive group, "
        "and each feature's share of the total (or, with source: clarify, the global mean "
        "|SHAP| of a SageMaker Clarify analysis linked to the version). Each explanation names "
        "its explainer, seed, sample size and the SHA-256 of the model file, from which it can "
        "be reproduced. Attribution drift is the change of a feature's share between the "
        "reference and the current logs; the proxy screen is the correlation ratio (or "
        "normalised mutual information) of a feature with a sensitive attribute the model does "
        "not see.",
        "section_explainability.html",
        _explainability,
    ),
    "monitoring": SectionSpec(
        "monitoring",
        "Monitoring reports",
        "What the ingested monitoring reports (Evidently, SageMaker Model Monitor, Clarify) say "
        "about this version.",
        "section_monitoring.html",
        _monitoring,
    ),
}

#: How a check kind without an entry of :data:`SECTIONS` is shown.
GENERIC = ("section_generic.html", _generic)


def build_sections(
    findings: Sequence[Finding], version: VersionLineage
) -> tuple[EvidenceSection, ...]:
    """One section per check kind with findings (registered kinds first, in their order)."""
    by_check: dict[str, list[Finding]] = {}
    for f in findings:
        if f.check == "waiver":
            continue
        by_check.setdefault(f.check, []).append(f)
    by_check.setdefault("reproducibility", [])  # the lineage table is always shown
    kinds = [k for k in SECTIONS if k in by_check]
    kinds += sorted(k for k in by_check if k not in SECTIONS)
    out: list[EvidenceSection] = []
    for kind in kinds:
        spec = SECTIONS.get(kind)
        if spec is None:
            template, builder = GENERIC
            data, missing = builder(by_check[kind], version)
            out.append(
                EvidenceSection(
                    kind.replace("_", "-"),
                    kind.replace("_", " ").capitalize(),
                    template,
                    kind,
                    "This check kind has no evidence section of its own yet; its findings follow.",
                    data,
                    tuple(missing),
                )
            )
            continue
        data, missing = spec.build(by_check[kind], version)
        if not by_check[kind]:
            missing = [f"no rule with check: {kind} applies to this version"]
        out.append(
            EvidenceSection(
                spec.key, spec.title, spec.template, kind, spec.intro, data, tuple(missing)
            )
        )
    return tuple(out)
