"""The typed data of the evidence sections: frozen rows of plain values, one class per table.

Each section of :mod:`govern.report.sections` carries one of these (:data:`SectionData`) for its
template partial and the charts to render; the builders that fill them from typed finding evidence
stay in :mod:`govern.report.sections`. Values are as the checks computed them, never recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CalibrationRow",
    "DriftData",
    "DriftRow",
    "DriftShareRow",
    "ExplainabilityData",
    "ExplainabilityRow",
    "ExplanationBlock",
    "Fact",
    "FairnessBlock",
    "FairnessData",
    "FeatureImportance",
    "GapRow",
    "GenericData",
    "GenericRow",
    "GroupComparison",
    "GroupRow",
    "GroupShare",
    "LL144Block",
    "LL144Row",
    "LineageData",
    "MetricData",
    "MetricRow",
    "MonitoringData",
    "MonitoringRow",
    "PerformanceData",
    "PerformancePoint",
    "PerformanceRow",
    "ProxyAssociation",
    "RequirementRow",
    "SectionData",
    "TrendCell",
    "TrendWindow",
]


@dataclass(frozen=True)
class Fact:
    """One line of the lineage table: what, the value found, and whether it is a gap."""

    label: str
    value: str
    ok: bool


@dataclass(frozen=True)
class RequirementRow:
    """One lineage requirement of a reproducibility rule."""

    rule: str
    status: str
    name: str
    met: bool
    detail: str


@dataclass(frozen=True)
class GapRow:
    """A lineage gap with what its code means."""

    code: str
    message: str
    meaning: str


@dataclass(frozen=True)
class LineageData:
    """The reproducibility section: the version's lineage facts, requirements and gaps."""

    facts: tuple[Fact, ...]
    requirements: tuple[RequirementRow, ...]
    gaps: tuple[GapRow, ...]


@dataclass(frozen=True)
class MetricRow:
    """A registry metric rule: the logged value, its bound and the baseline comparison."""

    rule: str
    status: str
    severity: str
    metric: str
    value: float | None
    bound: str
    baseline: str
    message: str


@dataclass(frozen=True)
class MetricData:
    """The registry-metric section."""

    rows: tuple[MetricRow, ...]


@dataclass(frozen=True)
class GroupRow:
    """One group of a fairness finding, as the check computed it."""

    group: str
    n: int
    selected: int
    selection_rate: float | None
    selection_low: float | None
    selection_high: float | None
    impact_ratio: float | None
    true_positive_rate: float | None
    false_positive_rate: float | None
    accuracy: float | None


@dataclass(frozen=True)
class FairnessBlock:
    """One fairness finding: a disparity over one sensitive feature (or intersection)."""

    rule: str
    feature: str
    status: str
    severity: str
    metric: str
    value: float | None
    bound: str
    threshold_min: float | None
    threshold_max: float | None
    ci_low: float | None
    ci_high: float | None
    confidence: float | None
    decided_on: str | None
    window: str
    groups: tuple[GroupRow, ...]
    excluded: tuple[str, ...]
    missing: int
    missing_handling: str
    message: str


@dataclass(frozen=True)
class LL144Row:
    """One category of an LL144 table."""

    category: str
    n: int
    selected: int
    rate: float | None
    impact_ratio: float | None
    excluded: bool


@dataclass(frozen=True)
class LL144Block:
    """One dimension (sex, race, their intersection) of an LL144 table."""

    rule: str
    status: str
    rate_kind: str
    total: int
    min_share: float
    dimension: str
    reference: str | None
    unknown: int
    rows: tuple[LL144Row, ...]


@dataclass(frozen=True)
class FairnessData:
    """The fairness section."""

    blocks: tuple[FairnessBlock, ...]
    ll144: tuple[LL144Block, ...]


@dataclass(frozen=True)
class TrendCell:
    """A column's drift in one calendar window."""

    window: str
    start: str | None
    statistic: float | None
    drifted: bool | None
    current_n: int


@dataclass(frozen=True)
class DriftRow:
    """One column of a drift rule."""

    rule: str
    column: str
    kind: str
    method: str
    status: str
    statistic: float | None
    p_value: float | None
    threshold: float
    direction: str
    reference_n: int
    current_n: int
    reference_missing_share: float | None
    current_missing_share: float | None
    window: str
    drifted_since: str | None
    trend: tuple[TrendCell, ...]


@dataclass(frozen=True)
class TrendWindow:
    """A calendar window of the drift trend: its label and first day."""

    label: str
    start: str | None

    @property
    def short(self) -> str:
        """The month (``2026-09``) for a window that starts on a first day, else the label."""
        if self.start and self.start.endswith("-01"):
            return self.start[:7]
        return self.label


@dataclass(frozen=True)
class DriftShareRow:
    """The share-of-drifted-columns finding of a drift rule."""

    rule: str
    status: str
    drifted: tuple[str, ...]
    evaluated: int
    value: float | None
    bound: str


@dataclass(frozen=True)
class DriftData:
    """The drift section: per column, the share drifted, and the trend windows."""

    rows: tuple[DriftRow, ...]
    shares: tuple[DriftShareRow, ...]
    windows: tuple[TrendWindow, ...]


@dataclass(frozen=True)
class MonitoringRow:
    """A monitoring requirement and what the latest report(s) say."""

    rule: str
    status: str
    severity: str
    tool: str
    report_kind: str
    report_path: str
    dated: str
    age_days: float
    verdicts: tuple[str, ...]
    items: tuple[str, ...]


@dataclass(frozen=True)
class MonitoringData:
    """The monitoring-report section."""

    rows: tuple[MonitoringRow, ...]


@dataclass(frozen=True)
class GenericRow:
    """A finding of a check kind without a section of its own."""

    rule: str
    status: str
    severity: str
    value: float | None
    bound: str
    message: str


@dataclass(frozen=True)
class GenericData:
    """The findings of a check kind without a section of its own."""

    rows: tuple[GenericRow, ...]


@dataclass(frozen=True)
class PerformancePoint:
    """The metric of a performance rule in one calendar window of its trend."""

    window: str
    start: str | None
    rows: int
    labelled: int
    labelled_share: float
    value: float | None
    #: None when the window was not judged (too few labels, or no value)
    met: bool | None

    @property
    def short(self) -> str:
        """The month (``2026-09``) for a window that starts on a first day, else the label."""
        return TrendWindow(self.window, self.start).short


@dataclass(frozen=True)
class CalibrationRow:
    """One equal-width score bin of the expected calibration error (a reliability point)."""

    low: float
    high: float
    n: int
    mean_score: float | None
    mean_label: float | None

    @property
    def label(self) -> str:
        """``0.3–0.4``: the bin's score range."""
        digits = _bin_digits(self.high - self.low)
        return f"{self.low:.{digits}f}–{self.high:.{digits}f}"

    @property
    def gap(self) -> float | None:
        """``|mean label − mean score|`` of a non-empty bin."""
        if self.mean_score is None or self.mean_label is None:
            return None
        return abs(self.mean_label - self.mean_score)


def _bin_digits(width: float) -> int:
    """Decimals that tell equal-width bin edges apart (0.1 -> 1, 0.05 -> 2)."""
    digits = 1
    while digits < 4 and abs(round(width, digits) - width) > 1e-12:
        digits += 1
    return digits


@dataclass(frozen=True)
class PerformanceRow:
    """A performance rule: value, interval, bounds, baseline, labels and trend of its window."""

    rule: str
    status: str
    severity: str
    metric: str
    greater_is_better: bool
    window: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    confidence: float | None
    decided_on: str
    #: the rule's own bounds in words (``≥ 0.75``); the baseline's is in ``baseline``
    bound: str
    #: the bounds as (value, legend label) pairs: min, max and what the baseline requires
    bounds: tuple[tuple[float, str], ...]
    baseline_value: float | None
    #: where the baseline comes from, e.g. ``run metric roc_auc 0.7813, max_drop 0.05``
    baseline: str
    baseline_required: float | None
    rows: int
    labelled: int
    labelled_share: float
    min_labelled: float
    #: the label-delay sentence when the window has too few labels, else ``""``
    label_note: str
    below_since: str | None
    trend: tuple[PerformancePoint, ...]
    calibration: tuple[CalibrationRow, ...]
    message: str


@dataclass(frozen=True)
class PerformanceData:
    """The production-performance section."""

    rows: tuple[PerformanceRow, ...]


@dataclass(frozen=True)
class FeatureImportance:
    """One feature of an explanation: its mean |SHAP|, share, rank and attribution drift."""

    feature: str
    #: 1 for the feature with the largest share of the current importance
    rank: int
    #: mean |SHAP value| on the current sample
    importance: float | None
    #: the feature's share of the current importance
    share: float | None
    #: its share of the reference importance (None: the evidence does not carry it)
    reference_share: float | None
    #: |share now − share in the reference| (None: no reference log)
    drift: float | None


@dataclass(frozen=True)
class GroupShare:
    """One feature across the groups of a sensitive column: mean |SHAP| and share per group."""

    feature: str
    #: mean |SHAP| in each group, in the order of :attr:`GroupComparison.groups`
    importance: tuple[float | None, ...]
    #: the feature's share of the group's total importance, in the same order
    shares: tuple[float | None, ...]


@dataclass(frozen=True)
class GroupComparison:
    """The by-group comparison for one sensitive column (features in overall rank order)."""

    sensitive: str
    groups: tuple[str, ...]
    rows: tuple[GroupShare, ...]


@dataclass(frozen=True)
class ProxyAssociation:
    """The association of a feature with a sensitive column (η, or mutual information)."""

    sensitive: str
    feature: str
    eta: float | None
    #: the feature's importance rank (None: not a ranked feature)
    rank: int | None
    #: η above the rule's ``max_association``
    above: bool
    #: named by the failed finding as a proxy among the top features
    flagged: bool


@dataclass(frozen=True)
class ExplanationBlock:
    """One rule's SHAP explanation: how it was computed and the importances it found."""

    rule: str
    #: where the importances come from: ``model`` (SHAP on the logs) or ``clarify``
    source: str
    explainer: str
    seed: int
    sample_size: int
    #: SHA-256 of the model file explained (Clarify: of the analysis read)
    model_digest: str
    #: the ``explanations`` row of the store that keeps the result (None: not kept)
    stored_as: str | None
    #: rows explained per log role (current, reference)
    rows: tuple[tuple[str, int], ...]
    #: every feature, by current share (largest first)
    features: tuple[FeatureImportance, ...]
    #: a reference log was explained (attribution drift exists)
    has_reference: bool
    #: the rule's ``max_share`` and ``max_attribution_drift`` bounds (None: not set)
    max_share: float | None
    drift_bound: float | None
    groups: tuple[GroupComparison, ...]
    #: Clarify: the report ids read, the current one first
    reports: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExplainabilityRow:
    """One sub-rule finding (not_in_top_k, max_attribution_drift, max_share, proxy_screen)."""

    rule: str
    sub_rule: str
    status: str
    severity: str
    value: float | None
    bound: str
    message: str
    #: proxy_screen: the associations above the bound (flagged first), else empty
    associations: tuple[ProxyAssociation, ...]
    #: proxy_screen: the association measure, ``correlation`` (η) or ``mutual_information``
    measure: str = "correlation"


@dataclass(frozen=True)
class ExplainabilityData:
    """The explainability section: the explanations and every sub-rule's finding."""

    blocks: tuple[ExplanationBlock, ...]
    rows: tuple[ExplainabilityRow, ...]


SectionData = (
    LineageData
    | MetricData
    | FairnessData
    | DriftData
    | MonitoringData
    | PerformanceData
    | ExplainabilityData
    | GenericData
)
