"""``check: explainability``: which features drive the model's output (SHAP), and proxies.

The model is loaded from the version's MLflow artefacts (:mod:`govern.explain.loading`) and
explained with SHAP on a seeded sample of its current (and reference) prediction logs
(:mod:`govern.explain.shap_values`); shap, scikit-learn and skops are imported only here, when
a rule of this kind runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from govern.checks.base import Rule, Subject, absent_columns, finding
from govern.models import Finding, Status
from govern.sql import quote

#: The rules one ``check: explainability`` rule may set, each giving one finding.
SUB_RULES = ("not_in_top_k", "max_attribution_drift", "max_share", "proxy_screen")


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
    #: SHA-256 of the model file
    model_digest: str
    #: the ``explanations`` row the result was kept in (None: the store was read-only)
    stored_as: str | None = None
    #: proxy_screen: association (correlation ratio) of each feature with each sensitive column
    association: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

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
        }


class Explainability:
    """The model's SHAP attributions: no listed feature in the top k, bounded drift and share.

    Triggers: a listed feature (a sensitive attribute, or a known proxy such as a zip code) is
    among the ``k`` most important features (``not_in_top_k``); a feature's share of the
    importance moved more than ``max_attribution_drift`` between the reference and current
    logs; one feature holds more than ``max_share`` of the importance; or (``proxy_screen``)
    a feature associated with a sensitive attribute that is not a model input (correlation
    ratio above ``max_association``) ranks among the ``top_k`` most important. Importance is
    the mean |SHAP value| on a seeded sample of ``sample`` rows (default 500) stratified by
    sensitive group. A model that cannot be found or is refused (an untrusted pickle, a skops
    file with types outside scikit-learn and NumPy) gives ``not_evaluated`` with the reason.

    Fix: retrain without the feature or its proxies, or document its use through review; map
    artefact locations with ``--artifact-root OLD=NEW``; trust a pickled model only from a
    source you trust (``--trust-model``).
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
                },
                "additionalProperties": False,
                "description": (
                    "Features whose correlation ratio with a sensitive attribute that is not a "
                    "model input exceeds max_association (0.3) and that rank in the top_k (5)."
                ),
            },
            "sample": {"type": "integer", "minimum": 10, "description": "Rows (default 500)."},
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
        from dataclasses import replace

        from govern.explain import loading
        from govern.explain import shap_values as sv

        p = rule.params
        v = subject.version
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

        data = subject.data
        if data is None:
            return missing("no prediction logs are available to this evaluation")
        spans = data.logs(model=v.model, role="current")
        if not spans:
            return missing(f"no current prediction log of model {v.model} is in the store")
        con = data.connection
        opts = loading.options()
        if p.get("trust_model"):
            opts = replace(opts, trust_model=True)
        try:
            loaded = loading.load_version(con, v, opts)
        except loading.ModelUnavailable as exc:
            return missing(str(exc))
        versioned = any(log.version or "model_version" in log.mapping for log in spans)
        version = v.version if versioned else None
        data.view("__govern_explain_current", model=v.model, role="current", version=version)
        views = {"current": "__govern_explain_current"}
        if data.logs(model=v.model, role="reference"):
            data.view("__govern_explain_reference", model=v.model, role="reference")
            views["reference"] = "__govern_explain_reference"
        features = list(loaded.features or dict.fromkeys(f for log in spans for f in log.features))
        sensitive = list(
            p.get("sensitive") or dict.fromkeys(s for log in spans for s in log.sensitive)
        )
        for role, view in views.items():
            absent = absent_columns(con, view, [*features, *sensitive], f"the {role} log")
            if absent:
                return missing("; ".join(absent.values()))
        seed, size = int(p.get("seed", 0)), int(p.get("sample", 500))
        samples = {
            r: sv.sample(con, view, features, sensitive, size, seed) for r, view in views.items()
        }
        if not len(samples["current"]):
            return missing(f"the current log of {v.model} v{v.version} has no rows")
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
            return missing(f"SHAP could not explain the model on its logs: {exc}")
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
        )
        out: list[Finding] = []
        ranking = explanation.ranking()
        share = evidence.share

        def judged(key: str, ok: bool, message: str, value: float | None, bound: Any) -> None:
            out.append(
                finding(
                    rule,
                    subject,
                    Status.passed if ok else Status.failed,
                    message,
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
            inputs = [f for f in listed if f not in features]
            note = f" ({', '.join(inputs)} not a model input)" if inputs else ""
            text = (
                f"{', '.join(hit)} among the top {k} features ({', '.join(top)})"
                if hit
                else f"none of {', '.join(listed)} among the top {k} features ({', '.join(top)})"
            )
            judged("not_in_top_k", not hit, text + note, None, None)
        if "max_attribution_drift" in p:
            bound = float(p["max_attribution_drift"])
            drift = evidence.attribution_drift
            if drift is None:
                out += [
                    finding(
                        rule,
                        subject,
                        Status.not_evaluated,
                        f"attribution drift needs a reference prediction log of {v.model}",
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
            out.append(
                self._proxy(rule, subject, con, evidence, features, ranking, sensitive, help_text)
            )
        return out

    def _proxy(
        self,
        rule: Rule,
        subject: Subject,
        con: Any,
        evidence: ExplainabilityEvidence,
        features: Sequence[str],
        ranking: Sequence[str],
        sensitive: Sequence[str],
        help_text: str,
    ) -> Finding:
        """The proxy screen: features associated with a sensitive attribute that rank high."""
        from dataclasses import replace

        spec = rule.params["proxy_screen"]
        bound = float(spec.get("max_association", 0.3))
        top = list(ranking[: int(spec.get("top_k", 5))])
        screened = [s for s in (spec.get("sensitive") or sensitive) if s not in features]
        if not screened:
            reason = (
                "proxy screen: every sensitive column is a model input (bound it with not_in_top_k)"
                if sensitive or spec.get("sensitive")
                else "proxy screen: no sensitive column (map one at ingest or list it)"
            )
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
        absent = absent_columns(con, "__govern_explain_current", screened, "the current log")
        if absent:
            return finding(
                rule,
                subject,
                Status.not_evaluated,
                "; ".join(absent.values()),
                help_text=help_text,
                metric="proxy_screen",
                about="proxy_screen",
            )
        association = {
            s: {f: correlation_ratio(con, "__govern_explain_current", f, s) for f in features}
            for s in screened
        }
        flagged = sorted(
            f"{f} ({s}: {a:.3f})"
            for s, by_feature in association.items()
            for f, a in by_feature.items()
            if a > bound and f in top
        )
        strongest = max((a for by in association.values() for a in by.values()), default=0.0)
        message = (
            f"proxies of {', '.join(screened)} among the top {len(top)} features: "
            + ", ".join(flagged)
            if flagged
            else f"no feature in the top {len(top)} has an association above {bound} with "
            f"{', '.join(screened)} (strongest {strongest:.3f})"
        )
        return finding(
            rule,
            subject,
            Status.failed if flagged else Status.passed,
            message,
            help_text=help_text,
            metric="proxy_screen",
            value=strongest,
            threshold={"max": bound},
            about="proxy_screen",
            evidence=replace(evidence, association=association),
        )


def correlation_ratio(con: Any, view: str, feature: str, sensitive: str) -> float:
    """The correlation ratio η of a numeric feature by the groups of a sensitive column.

    η² is the share of the feature's variance explained by the group means; η is in [0, 1]
    (for two groups, the absolute point-biserial correlation). Computed in DuckDB; 0 for a
    feature that is not numeric or constant.
    """
    x, g = quote(feature), quote(sensitive)
    sql = (
        f"WITH d AS (SELECT TRY_CAST({x} AS DOUBLE) AS x, CAST({g} AS VARCHAR) AS g "
        f"FROM {quote(view)} WHERE {g} IS NOT NULL), "
        "d2 AS (SELECT * FROM d WHERE x IS NOT NULL AND NOT isnan(x)), "
        "t AS (SELECT avg(x) AS mu, var_pop(x) AS v, count(*) AS n FROM d2), "
        "k AS (SELECT count(*) AS ng, avg(x) AS mg FROM d2 GROUP BY g) "
        "SELECT sum(k.ng * (k.mg - t.mu) ^ 2) / (any_value(t.n) * any_value(t.v)) FROM k, t "
        "WHERE t.v > 0"
    )
    row = con.execute(sql).fetchone()
    value = row[0] if row else None
    return float(min(1.0, max(0.0, value)) ** 0.5) if value is not None else 0.0
