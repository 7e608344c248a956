"""``check: explainability``: which features drive the model's output (SHAP), and proxies.

The importances come from one of two sources (the rule's ``source``):

* ``model``: the model is loaded from the version's MLflow artefacts
  (:mod:`govern.explain.loading`) and explained with SHAP on a seeded sample of its current (and
  reference) prediction logs (:mod:`govern.explain.shap_values`);
* ``clarify``: the global mean |SHAP| of the newest SageMaker Clarify ``analysis.json`` linked to
  the version (``govern ingest analysis.json --model NAME --version V``); the oldest linked one
  is the reference of attribution drift.

``auto`` (the default) takes the model when it loads and explains, else Clarify. shap,
scikit-learn and skops are imported only here, when a rule of this kind runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from govern.checks.base import Rule, Subject, absent_columns, finding
from govern.explain.association import MEASURES, correlation_ratio
from govern.models import Finding, Status

__all__ = ["SUB_RULES", "Explainability", "ExplainabilityEvidence", "correlation_ratio"]

#: Rows sampled per log by default: with rows sampled independently, 3,000 rows keep every
#: importance share within 0.01 of its value on the whole log (``benchmarks/explain.py``).
DEFAULT_SAMPLE = 3000

#: The rules one ``check: explainability`` rule may set, each giving one finding.
SUB_RULES = ("not_in_top_k", "max_attribution_drift", "max_share", "proxy_screen")

#: Where a rule's importances come from (``source``).
SOURCES = ("auto", "model", "clarify")

#: The tool name SageMaker Clarify reports are stored under.
CLARIFY = "sagemaker-clarify"

#: The view of the current prediction log the sample and the proxy screen read.
CURRENT_VIEW = "__govern_explain_current"


@dataclass(frozen=True)
class ExplainabilityEvidence:
    """What a finding of ``check: explainability`` rests on."""

    #: mean |SHAP| per feature of the current sample
    importance: Mapping[str, float]
    #: each feature's share of the current importance
    share: Mapping[str, float]
    #: mean |SHAP| per feature by sensitive column and group (current sample)
    by_group: Mapping[str, Mapping[str, Mapping[str, float]]]
    #: |share now - share in the reference| per feature (None: no reference log)
    attribution_drift: Mapping[str, float] | None
    #: rows explained by role, the requested sample size and the seed
    rows: Mapping[str, int]
    sample_size: int
    seed: int
    explainer: str
    #: SHA-256 of the model file (Clarify: of the ingested analysis.json, else its report id)
    model_digest: str
    #: the ``explanations`` row the result was kept in (None: the store was read-only)
    stored_as: str | None = None
    #: proxy_screen: association of each feature with each sensitive column
    association: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    #: where the importances come from: ``model`` (SHAP on the logs) or ``clarify``
    source: str = "model"
    #: proxy_screen: the association measure, ``correlation`` (η) or ``mutual_information``
    association_measure: str = "correlation"
    #: each feature's share of the reference importance (None: no reference)
    reference_share: Mapping[str, float] | None = None
    #: Clarify: the report ids read, the current one first (then the reference, if any)
    reports: tuple[str, ...] = ()
    #: proxy_screen: the (sensitive column, feature) pairs it flags as proxies
    proxies: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The evidence as JSON."""
        return {
            "importance": dict(self.importance),
            "share": dict(self.share),
            "by_group": {s: {g: dict(v) for g, v in gs.items()} for s, gs in self.by_group.items()},
            "attribution_drift": (
                dict(self.attribution_drift) if self.attribution_drift is not None else None
            ),
            "rows": dict(self.rows),
            "sample_size": self.sample_size,
            "seed": self.seed,
            "explainer": self.explainer,
            "model_digest": self.model_digest,
            "stored_as": self.stored_as,
            "association": {s: dict(v) for s, v in self.association.items()},
            "source": self.source,
            "association_measure": self.association_measure,
            "reference_share": (
                dict(self.reference_share) if self.reference_share is not None else None
            ),
            "reports": list(self.reports),
            "proxies": [{"sensitive": s, "feature": f} for s, f in self.proxies],
        }


@dataclass(frozen=True)
class _Basis:
    """The importances a rule is judged on, and what its sub-rules need beyond them."""

    evidence: ExplainabilityEvidence
    #: the features screened by proxy_screen, and the sensitive columns of the logs
    features: tuple[str, ...]
    sensitive: tuple[str, ...]
    #: why attribution drift is None (when it is)
    no_drift: str
    #: the current log's view for the proxy screen, or None with the reason in ``no_view``
    view: str | None
    no_view: str = ""
    #: appended to each message (where the importances come from)
    note: str = ""

    def ranking(self) -> list[str]:
        """Features by importance, highest first (ties by name)."""
        imp = self.evidence.importance
        return sorted(imp, key=lambda f: (-imp[f], f))


class Explainability:
    """The model's SHAP attributions: no listed feature in the top k, bounded drift and share.

    Triggers: a listed feature (a sensitive attribute, or a known proxy such as a zip code) is
    among the ``k`` most important features (``not_in_top_k``); a feature's share of the
    importance moved more than ``max_attribution_drift`` between the reference and current
    logs; one feature holds more than ``max_share`` of the importance; or (``proxy_screen``)
    a feature associated with a sensitive attribute that is not a model input (correlation
    ratio, or normalised mutual information with ``measure: mutual_information``, above
    ``max_association``) ranks among the ``top_k`` most important. Importance is the mean
    |SHAP value| on a seeded sample of ``sample`` rows (default 3000) stratified by sensitive
    group; with ``source: clarify`` (or ``auto`` when the model cannot be loaded) it is the
    global mean |SHAP| of the newest SageMaker Clarify analysis linked to the version, and
    attribution drift compares it with the oldest. A model that cannot be found or is refused
    (an untrusted pickle, a skops file with types outside scikit-learn and NumPy, XGBoost or
    LightGBM without the ``boost`` extra) and no Clarify analysis gives ``not_evaluated`` with
    the reason.

    Fix: retrain without the feature or its proxies, or document its use through review; map
    artefact locations with ``--artifact-root OLD=NEW``; trust a pickled model only from a
    source you trust (``--trust-model``); ingest Clarify's analysis.json with ``--model`` and
    ``--version``.
    """

    name = "explainability"
    summary = "SHAP attributions: listed features not in the top k, bounded drift and share"
    required: tuple[str, ...] = ()

    @property
    def properties(self) -> Mapping[str, Any]:
        """Rule parameters."""
        names = {"type": "array", "items": {"type": "string"}, "minItems": 1}
        return {
            "not_in_top_k": {
                "type": "object",
                "properties": {"features": names, "k": {"type": "integer", "minimum": 1}},
                "required": ["features"],
                "additionalProperties": False,
                "description": "These features must not be among the k most important (k: 3).",
            },
            "max_attribution_drift": {
                "type": "number",
                "minimum": 0,
                "maximum": 1,
                "description": "Bound on |share now - share in the reference| of any feature.",
            },
            "max_share": {
                "type": "number",
                "minimum": 0,
                "maximum": 1,
                "description": "Bound on the share of the importance held by one feature.",
            },
            "proxy_screen": {
                "type": "object",
                "properties": {
                    "max_association": {"type": "number", "minimum": 0, "maximum": 1},
                    "top_k": {"type": "integer", "minimum": 1},
                    "sensitive": names,
                    "measure": {"enum": list(MEASURES)},
                },
                "additionalProperties": False,
                "description": (
                    "Features whose association (measure: correlation ratio, the default, or "
                    "normalised mutual_information) with a sensitive attribute that is not a "
                    "model input exceeds max_association (0.3) and that rank in the top_k (5)."
                ),
            },
            "source": {
                "enum": list(SOURCES),
                "description": (
                    "Where importances come from: model (SHAP on the logs), clarify (the "
                    "newest SageMaker Clarify analysis linked to the version), or auto "
                    "(default: the model when it loads, else Clarify)."
                ),
            },
            "clarify_label": {
                "type": "string",
                "description": "The Clarify label whose SHAP values count (default: the first).",
            },
            "sample": {
                "type": "integer",
                "minimum": 10,
                "description": f"Rows (default {DEFAULT_SAMPLE}).",
            },
            "seed": {"type": "integer"},
            "sensitive": {**names, "description": "Sensitive columns (default: from ingest)."},
            "trust_model": {
                "type": "boolean",
                "description": "Load pickle/cloudpickle models (they run code when loaded).",
            },
        }

    def lint(self, rule: Mapping[str, Any]) -> list[tuple[str, str]]:
        """A rule must set at least one of :data:`SUB_RULES`."""
        if any(k in rule for k in SUB_RULES):
            return []
        return [(SUB_RULES[0], f"an explainability rule needs one of {', '.join(SUB_RULES)}")]

    def evaluate(self, rule: Rule, subject: Subject) -> Finding | list[Finding]:
        """One finding per rule set (not_in_top_k, max_attribution_drift, ...)."""
        p = rule.params
        help_text = self.__doc__ or ""
        wanted = [k for k in SUB_RULES if k in p] or ["explainability"]

        def missing(reason: str) -> list[Finding]:
            return [
                finding(
                    rule,
                    subject,
                    Status.not_evaluated,
                    reason,
                    help_text=help_text,
                    metric=k,
                    about=k,
                )
                for k in wanted
            ]

        if subject.data is None:
            return missing("no prediction logs are available to this evaluation")
        source = str(p.get("source", "auto"))
        basis = _clarify(subject, p) if source == "clarify" else _from_model(subject, p)
        if isinstance(basis, str) and source == "auto":
            fallback = _clarify(subject, p)
            basis = fallback if isinstance(fallback, _Basis) else f"{basis}; {fallback}"
        if isinstance(basis, str):
            return missing(basis)
        return self._judge(rule, subject, basis, help_text)

    def _judge(self, rule: Rule, subject: Subject, basis: _Basis, help_text: str) -> list[Finding]:
        """The findings of each sub-rule on the importances of ``basis``."""
        p = rule.params
        evidence = basis.evidence
        out: list[Finding] = []
        ranking = basis.ranking()
        share = evidence.share
        note = basis.note

        def judged(key: str, ok: bool, message: str, value: float | None, bound: Any) -> None:
            out.append(
                finding(
                    rule,
                    subject,
                    Status.passed if ok else Status.failed,
                    message + note,
                    help_text=help_text,
                    metric=key,
                    value=value,
                    threshold={"max": bound} if bound is not None else None,
                    about=key,
                    evidence=evidence,
                )
            )

        if "not_in_top_k" in p:
            spec = p["not_in_top_k"]
            k = int(spec.get("k", 3))
            listed = [str(f) for f in spec["features"]]
            top = ranking[:k]
            hit = [f for f in listed if f in top]
            inputs = [f for f in listed if f not in evidence.importance]
            extra = f" ({', '.join(inputs)} not a model input)" if inputs else ""
            text = (
                f"{', '.join(hit)} among the top {k} features ({', '.join(top)})"
                if hit
                else f"none of {', '.join(listed)} among the top {k} features ({', '.join(top)})"
            )
            judged("not_in_top_k", not hit, text + extra, None, None)
        if "max_attribution_drift" in p:
            bound = float(p["max_attribution_drift"])
            drift = evidence.attribution_drift
            if drift is None:
                out += [
                    finding(
                        rule,
                        subject,
                        Status.not_evaluated,
                        basis.no_drift,
                        help_text=help_text,
                        metric="max_attribution_drift",
                        about="max_attribution_drift",
                        evidence=evidence,
                    )
                ]
            else:
                worst = max(drift, key=lambda f: (drift[f], f))
                judged(
                    "max_attribution_drift",
                    drift[worst] <= bound,
                    f"largest attribution drift {drift[worst]:.4f} ({worst}; max {bound})",
                    drift[worst],
                    bound,
                )
        if "max_share" in p:
            bound = float(p["max_share"])
            top_feature = ranking[0]
            judged(
                "max_share",
                share[top_feature] <= bound,
                f"{top_feature} holds {share[top_feature]:.1%} of the importance (max {bound:.1%})",
                share[top_feature],
                bound,
            )
        if "proxy_screen" in p:
            out.append(self._proxy(rule, subject, basis, ranking, help_text))
        return out

    def _proxy(
        self,
        rule: Rule,
        subject: Subject,
        basis: _Basis,
        ranking: Sequence[str],
        help_text: str,
    ) -> Finding:
        """The proxy screen: features associated with a sensitive attribute that rank high."""
        from dataclasses import replace

        from govern.explain.association import association

        evidence = basis.evidence
        spec = rule.params["proxy_screen"]
        bound = float(spec.get("max_association", 0.3))
        measure = str(spec.get("measure", "correlation"))
        top = list(ranking[: int(spec.get("top_k", 5))])
        features, sensitive = basis.features, basis.sensitive
        screened = [s for s in (spec.get("sensitive") or sensitive) if s not in features]

        def not_evaluated(reason: str) -> Finding:
            return finding(
                rule,
                subject,
                Status.not_evaluated,
                reason,
                help_text=help_text,
                metric="proxy_screen",
                about="proxy_screen",
                evidence=evidence,
            )

        if basis.view is None:
            return not_evaluated(basis.no_view)
        if not screened:
            return not_evaluated(
                "proxy screen: every sensitive column is a model input (bound it with not_in_top_k)"
                if sensitive or spec.get("sensitive")
                else "proxy screen: no sensitive column (map one at ingest or list it)"
            )
        con = _connection(subject)
        absent = absent_columns(con, basis.view, [*screened, *features], "the current log")
        if absent:
            return not_evaluated("proxy screen: " + "; ".join(absent.values()))
        assoc = {s: {f: association(con, basis.view, f, s, measure) for f in features}
                 for s in screened}  # fmt: skip
        proxies = sorted(
            (s, f) for s, by_feature in assoc.items() for f, a in by_feature.items()
            if a > bound and f in top
        )  # fmt: skip
        flagged = sorted(f"{f} ({s}: {assoc[s][f]:.3f})" for s, f in proxies)
        strongest = max((a for by in assoc.values() for a in by.values()), default=0.0)
        what = "normalised mutual information" if measure == "mutual_information" else "association"
        message = (
            f"proxies of {', '.join(screened)} among the top {len(top)} features: "
            + ", ".join(flagged)
            if flagged
            else f"no feature in the top {len(top)} has an {what} above {bound} with "
            f"{', '.join(screened)} (strongest {strongest:.3f})"
        )
        return finding(
            rule,
            subject,
            Status.failed if flagged else Status.passed,
            message + basis.note,
            help_text=help_text,
            metric="proxy_screen",
            value=strongest,
            threshold={"max": bound},
            about="proxy_screen",
            evidence=replace(
                evidence, association=assoc, association_measure=measure, proxies=tuple(proxies)
            ),
        )


def _connection(subject: Subject) -> Any:
    assert subject.data is not None
    return subject.data.connection


def _current_view(subject: Subject) -> tuple[list[Any], bool]:
    """Create :data:`CURRENT_VIEW` over the version's current log; its spans (empty: none)."""
    data, v = subject.data, subject.version
    assert data is not None
    spans = data.logs(model=v.model, role="current")
    if not spans:
        return [], False
    versioned = any(log.version or "model_version" in log.mapping for log in spans)
    data.view(CURRENT_VIEW, model=v.model, role="current", version=v.version if versioned else None)
    return list(spans), True


def _sensitive(p: Mapping[str, Any], spans: Sequence[Any]) -> tuple[str, ...]:
    return tuple(p.get("sensitive") or dict.fromkeys(s for log in spans for s in log.sensitive))


def _from_model(subject: Subject, p: Mapping[str, Any]) -> _Basis | str:
    """SHAP on the version's model and logs, or the reason it cannot be had."""
    from dataclasses import replace

    from govern.explain import loading
    from govern.explain import shap_values as sv

    data, v = subject.data, subject.version
    assert data is not None
    con = data.connection
    if not data.logs(model=v.model, role="current"):
        return f"no current prediction log of model {v.model} is in the store"
    opts = loading.options()
    if p.get("trust_model"):
        opts = replace(opts, trust_model=True)
    try:
        loaded = loading.load_version(con, v, opts)
    except loading.ModelUnavailable as exc:
        return str(exc)
    spans, _ = _current_view(subject)
    views = {"current": CURRENT_VIEW}
    if data.logs(model=v.model, role="reference"):
        data.view("__govern_explain_reference", model=v.model, role="reference")
        views["reference"] = "__govern_explain_reference"
    features = list(loaded.features or dict.fromkeys(f for log in spans for f in log.features))
    sensitive = list(_sensitive(p, spans))
    for role, view in views.items():
        absent = absent_columns(con, view, [*features, *sensitive], f"the {role} log")
        if absent:
            return "; ".join(absent.values())
    seed, size = int(p.get("seed", 0)), int(p.get("sample", DEFAULT_SAMPLE))
    samples = {
        r: sv.sample(con, view, features, sensitive, size, seed) for r, view in views.items()
    }
    if not len(samples["current"]):
        return f"the current log of {v.model} v{v.version} has no rows"
    try:
        explanation = sv.explain(
            loaded.model,
            samples,
            features=features,
            sensitive=sensitive,
            seed=seed,
            sample_size=size,
            model_digest=loaded.digest,
        )
    except Exception as exc:  # the model or shap failed on these rows
        return f"SHAP could not explain the model on its logs: {exc}"
    stored = sv.store(con, v.model, v.version, explanation)
    evidence = ExplainabilityEvidence(
        importance=dict(explanation.importance["current"]),
        share=explanation.share("current"),
        by_group=explanation.by_group,
        attribution_drift=explanation.drift(),
        rows=dict(explanation.rows),
        sample_size=size,
        seed=seed,
        explainer=explanation.explainer,
        model_digest=loaded.digest,
        stored_as=stored,
        reference_share=explanation.share("reference") if "reference" in views else None,
    )
    return _Basis(
        evidence,
        tuple(features),
        tuple(sensitive),
        f"attribution drift needs a reference prediction log of {v.model}",
        CURRENT_VIEW,
    )


@dataclass(frozen=True)
class _ClarifyShap:
    """The global mean |SHAP| of one Clarify report for one method and label."""

    report: Any
    method: str
    label: str
    importance: dict[str, float]


def _clarify_shap(con: Any, report: Any, label: str | None) -> _ClarifyShap | None:
    """The report's global SHAP values (of ``label``, else its first label), or None."""
    from govern.store.monitoring import stored_results

    found: dict[tuple[str, str], dict[str, float]] = {}
    for result in stored_results(con, report.report_id):
        if result.metric != "mean_abs_shap" or result.value is None:
            continue
        key = (str(result.detail.get("method", "")), str(result.detail.get("label", "")))
        found.setdefault(key, {})[result.subject] = float(result.value)
    for (method, got), values in found.items():
        if label is None or got == label:
            return _ClarifyShap(report, method, got, values)
    return None


def _clarify_digest(con: Any, report: Any) -> str:
    """SHA-256 of the ingested analysis.json (the document ingest kept), else the report id."""
    prefix = str(report.report_id).rpartition(":")[2]
    row = con.execute(
        "SELECT sha256 FROM documents WHERE source_sha = ? AND starts_with(sha256, ?) "
        "ORDER BY sha256 LIMIT 1",
        [report.source_sha, prefix],
    ).fetchone()
    return str(row[0]) if row else str(report.report_id)


def _clarify_config(con: Any, configs: Sequence[Any]) -> tuple[int, int]:
    """``(seed, num_samples)`` of the newest linked Clarify analysis config's shap method.

    0 for what no config says (0 samples: unknown).
    """
    for report in reversed(configs):
        prefix = str(report.report_id).rpartition(":")[2]
        row = con.execute(
            "SELECT content FROM documents WHERE source_sha = ? AND starts_with(sha256, ?) LIMIT 1",
            [report.source_sha, prefix],
        ).fetchone()
        try:
            shap = json.loads(row[0])["methods"]["shap"] if row else None
        except (ValueError, KeyError, TypeError):
            shap = None
        if isinstance(shap, Mapping):
            seed, size = shap.get("seed"), shap.get("num_samples")
            return (
                int(seed) if isinstance(seed, int) else 0,
                int(size) if isinstance(size, int) else 0,
            )
    return 0, 0


def _clarify(subject: Subject, p: Mapping[str, Any]) -> _Basis | str:
    """The newest SageMaker Clarify explanation linked to the version, or why there is none."""
    from govern.explain.shap_values import shares
    from govern.store.monitoring import stored_reports

    v = subject.version
    con = _connection(subject)
    linked = [
        r
        for r in stored_reports(con, tool=CLARIFY)
        if r.model == v.model and r.version in (None, v.version)
    ]
    label = str(p["clarify_label"]) if "clarify_label" in p else None
    explained = [e for r in linked if (e := _clarify_shap(con, r, label)) is not None]
    if not explained:
        what = f" for label {label}" if label is not None else ""
        return (
            f"no SageMaker Clarify explanation{what} is linked to {v.model} v{v.version} "
            f"(ingest its analysis.json with --model {v.model} --version {v.version})"
        )
    current = explained[-1]
    older = [e for e in explained[:-1] if (e.method, e.label) == (current.method, current.label)]
    reference = older[0] if older else None
    share = shares(current.importance)
    drift = before = None
    if reference is not None:
        before = shares(reference.importance)
        names = sorted({*share, *before})
        drift = {f: abs(share.get(f, 0.0) - before.get(f, 0.0)) for f in names}
    seed, size = _clarify_config(con, [r for r in linked if r.kind == "analysis_config"])
    reports = (current.report.report_id, *([reference.report.report_id] if reference else []))
    evidence = ExplainabilityEvidence(
        importance=dict(current.importance),
        share=share,
        by_group={},
        attribution_drift=drift,
        rows={},
        sample_size=size,
        seed=seed,
        explainer=f"clarify {current.method}",
        model_digest=_clarify_digest(con, current.report),
        source="clarify",
        reference_share=before,
        reports=reports,
    )
    spans, has_log = _current_view(subject)
    return _Basis(
        evidence,
        tuple(current.importance),
        _sensitive(p, spans),
        f"attribution drift from SageMaker Clarify needs two explanations of {v.model} "
        f"v{v.version} (label {current.label}); one is linked (the oldest is the reference)",
        CURRENT_VIEW if has_log else None,
        f"proxy screen: needs a current prediction log of {v.model} (Clarify gives no rows)",
        f" [SageMaker Clarify {current.method}, label {current.label}, "
        f"report {current.report.report_id}]",
    )
