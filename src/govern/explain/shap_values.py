"""SHAP importances of a model on a seeded, stratified sample of its prediction logs.

Sampling plan: the rows of a log (a DuckDB view) are ordered within each sensitive group by a
hash of the seed, the row's values and its occurrence among identical rows (1 for the first row
with these values, 2 for the second, ...), and the first ``ceil(n_group * size / n)`` of each
group are kept (all rows when the log has at most ``size``), so every group keeps its share and
the same seed and rows give the same sample. Identical rows are drawn independently of one
another: a log that repeats rows (resampled or replayed traffic) is sampled in proportion, not
all or nothing per distinct row. The sample is at most ``size`` plus one row per group.

Explainer: shap's TreeExplainer (exact, for tree ensembles: random forests, gradient boosting,
decision trees, XGBoost and LightGBM; it explains the trees' raw output: the probability of a
random forest, the log-odds margin of a boosted classifier), else shap's PermutationExplainer
on the model's output with a background of at most 100 sampled rows. The explained output is
the probability of the last class for a classifier with ``predict_proba``, else ``predict``.

A linear model (a scikit-learn linear estimator behind per-column scalers) is explained
exactly by shap's LinearExplainer on its log-odds or prediction (:mod:`govern.explain.linear`).

Importance of a feature: the mean of |SHAP value| over the rows explained; its share: that
over the sum of all features' importances. **Attribution drift** of a feature: the absolute
change of its share between the reference sample and the current sample (0: the same share of
the model's attention; 1: all of it moved).
"""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from govern.sql import quote

#: Rows of the background data of the model-agnostic explainer.
BACKGROUND_ROWS = 100


def sample(
    con: Any,
    view: str,
    columns: Sequence[str],
    strata: Sequence[str],
    size: int,
    seed: int,
) -> Any:
    """A pandas DataFrame of ``columns`` and ``strata``: the seeded stratified sample of ``view``.

    Computed in DuckDB; the row order is stable (by group, then by the hash).
    """
    wanted = list(dict.fromkeys([*columns, *strata]))
    cols = ", ".join(quote(c) for c in wanted)
    part = ", ".join(quote(s) for s in strata) or "NULL"
    sql = (
        f"SELECT {cols} FROM (SELECT {cols}, "
        f"row_number() OVER (PARTITION BY {part} ORDER BY __h) AS __r, "
        f"count(*) OVER (PARTITION BY {part}) AS __n, count(*) OVER () AS __total "
        f"FROM (SELECT {cols}, hash(CAST(? AS BIGINT), __k, {cols}) AS __h FROM "
        f"(SELECT {cols}, row_number() OVER (PARTITION BY {cols}) AS __k FROM {quote(view)}))) "
        "WHERE __total <= ? OR __r <= ceil(__n * CAST(? AS DOUBLE) / __total) "
        f"ORDER BY {part}, __r"
    )
    return con.execute(sql, [seed, size, size]).df()


def _output(model: Any, features: Sequence[str]) -> Any:
    """The explained function of a DataFrame/array of rows (the last class's probability).

    The explainer calls it thousands of times on small batches, and wrapping each batch in a
    DataFrame (which a model fitted on one expects) costs about a third of the time. So the
    first batch is computed both ways: when the model gives exactly the same output for the
    bare array (no step selects columns by name), later batches skip the DataFrame.
    """
    import numpy as np
    import pandas as pd

    def predict(data: Any) -> Any:
        if hasattr(model, "predict_proba"):
            return model.predict_proba(data)[:, -1]
        return model.predict(data)

    def bare(data: Any) -> Any:
        with warnings.catch_warnings():  # "X does not have valid feature names": known here
            warnings.filterwarnings("ignore", message="X does not have valid feature names")
            return predict(np.asarray(data, dtype=float))

    state: dict[str, bool] = {}

    def run(data: Any) -> Any:
        if state.get("bare"):
            return bare(data)
        frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data, columns=features)
        framed = predict(frame)
        if "bare" not in state:
            try:
                state["bare"] = bool(np.array_equal(bare(data), framed))
            except Exception:  # a step needs column names (a ColumnTransformer by name)
                state["bare"] = False
        return framed

    return run


@dataclass(frozen=True)
class ShapValues:
    """SHAP values of some rows: ``values[i, j]`` of row i and feature j, ``base`` per row."""

    values: Any
    base: Any
    explainer: str


#: Rows the model-agnostic explainer explains between two progress reports.
CHUNK_ROWS = 50

#: Called as ``(what, rows done, rows)`` while rows are explained; the CLI shows it on stderr.
PROGRESS: ContextVar[Callable[[str, int, int], None] | None] = ContextVar(
    "govern_explain_progress", default=None
)


def shap_values(
    model: Any, rows: Any, background: Any, seed: int, what: str = "rows"
) -> ShapValues:
    """SHAP values of ``rows`` (a DataFrame of the model's features) for the explained output.

    Progress is reported to :data:`PROGRESS` (if set) under the name ``what``.
    """
    import numpy as np
    import shap

    from govern.explain.linear import linear_parts, linear_shap

    report = PROGRESS.get() or (lambda what, done, total: None)

    features = list(rows.columns)
    try:
        tree = shap.TreeExplainer(model)
    except Exception:
        tree = None
    if tree is not None:
        with warnings.catch_warnings():  # shap notes a format change for LightGBM binary models
            warnings.filterwarnings("ignore", message="LightGBM binary classifier")
            raw = np.asarray(tree.shap_values(rows))
        expected = np.atleast_1d(np.asarray(tree.expected_value, dtype=float))
        if raw.ndim == 3:  # (rows, features, classes): the last class, as _output explains
            raw = raw[:, :, -1]
        base = np.full(len(rows), expected[-1])
        report(what, len(rows), len(rows))
        return ShapValues(raw.astype(float), base, "tree")
    parts = linear_parts(model)
    if parts is not None:  # exact and fast (see govern.explain.linear)
        raw, base = linear_shap(parts, rows, background[features])
        report(what, len(rows), len(rows))
        return ShapValues(raw, base, f"linear ({parts.output})")
    masker = shap.maskers.Independent(background[features], max_samples=BACKGROUND_ROWS)
    explainer = shap.PermutationExplainer(_output(model, features), masker, seed=seed)
    values, bases = [], []
    for start in range(0, len(rows), CHUNK_ROWS):
        chunk = rows.iloc[start : start + CHUNK_ROWS]
        explained = explainer(chunk, max_evals=max(2 * len(features) + 1, 100), silent=True)
        values.append(np.asarray(explained.values, dtype=float))
        bases.append(np.asarray(explained.base_values, dtype=float))
        report(what, start + len(chunk), len(rows))
    if not values:
        return ShapValues(np.zeros((0, len(features))), np.zeros(0), "permutation")
    return ShapValues(np.concatenate(values), np.concatenate(bases), "permutation")


def mean_abs(values: Any, features: Sequence[str]) -> dict[str, float]:
    """Mean |SHAP| per feature (0 for no rows)."""
    import numpy as np

    if len(values) == 0:
        return dict.fromkeys(features, 0.0)
    means = np.abs(values).mean(axis=0)
    return {f: float(m) for f, m in zip(features, means, strict=True)}


def shares(importance: Mapping[str, float]) -> dict[str, float]:
    """Each feature's share of the total importance (all 0 when the total is 0)."""
    total = sum(importance.values())
    return {f: (v / total if total > 0 else 0.0) for f, v in importance.items()}


@dataclass(frozen=True)
class Explanation:
    """SHAP importances of one model version on the current (and reference) sample."""

    features: tuple[str, ...]
    explainer: str
    seed: int
    sample_size: int
    model_digest: str
    #: rows explained, by role (``current``, ``reference``)
    rows: Mapping[str, int]
    #: mean |SHAP| per feature, by role
    importance: Mapping[str, Mapping[str, float]]
    #: mean |SHAP| per feature of the current sample, by sensitive column and then group
    by_group: Mapping[str, Mapping[str, Mapping[str, float]]] = field(default_factory=dict)

    def share(self, role: str = "current") -> dict[str, float]:
        """Normalised importance (shares summing to 1) of a role."""
        return shares(self.importance.get(role, {}))

    def ranking(self) -> list[str]:
        """Features by current importance, highest first (ties by name)."""
        current = self.importance.get("current", {})
        return sorted(self.features, key=lambda f: (-current.get(f, 0.0), f))

    def drift(self) -> dict[str, float] | None:
        """|share now - share in the reference| per feature; None without a reference sample."""
        if "reference" not in self.importance:
            return None
        now, before = self.share("current"), self.share("reference")
        return {f: abs(now.get(f, 0.0) - before.get(f, 0.0)) for f in self.features}

    def to_json(self) -> dict[str, Any]:
        """The explanation as JSON (what the store keeps)."""
        drift = self.drift()
        return {
            "features": list(self.features),
            "explainer": self.explainer,
            "seed": self.seed,
            "sample_size": self.sample_size,
            "model_digest": self.model_digest,
            "rows": dict(self.rows),
            "importance": {r: dict(v) for r, v in self.importance.items()},
            "share": {r: self.share(r) for r in self.importance},
            "by_group": {s: {g: dict(v) for g, v in gs.items()} for s, gs in self.by_group.items()},
            "attribution_drift": drift,
        }


def explain(
    model: Any,
    samples: Mapping[str, Any],
    *,
    features: Sequence[str],
    sensitive: Sequence[str],
    seed: int,
    sample_size: int,
    model_digest: str,
) -> Explanation:
    """Explain the ``current`` (and ``reference``) sample: importances, by group, drift."""
    current = samples["current"]
    background = samples.get("reference", current)
    if len(background) > BACKGROUND_ROWS:
        background = background.sample(n=BACKGROUND_ROWS, random_state=seed)
    importance: dict[str, dict[str, float]] = {}
    rows: dict[str, int] = {}
    by_group: dict[str, dict[str, dict[str, float]]] = {}
    explainer = ""
    for role, frame in samples.items():
        explained = shap_values(model, frame[list(features)], background, seed, f"{role} log")
        explainer = explained.explainer
        importance[role] = mean_abs(explained.values, features)
        rows[role] = len(frame)
        if role != "current":
            continue
        for column in sensitive:
            groups: dict[str, dict[str, float]] = {}
            labels = frame[column].astype(str).to_numpy()
            for group in sorted(set(labels)):
                groups[group] = mean_abs(explained.values[labels == group], features)
            by_group[column] = groups
    return Explanation(
        tuple(features), explainer, seed, sample_size, model_digest, rows, importance, by_group
    )


def store(con: Any, model: str, version: str, explanation: Explanation) -> str | None:
    """Keep the explanation in the store's ``explanations`` table; its id, or None if read-only.

    The id is the SHA-256 of the result, which the model digest, seed and sample size fix.
    """
    import duckdb

    result = json.dumps(explanation.to_json(), sort_keys=True, default=_finite)
    key = hashlib.sha256(f"{model}\0{version}\0{result}".encode()).hexdigest()
    try:
        con.execute(
            "INSERT OR REPLACE INTO explanations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                key,
                model,
                version,
                explanation.model_digest,
                explanation.explainer,
                explanation.seed,
                explanation.sample_size,
                datetime.now(UTC).replace(tzinfo=None),
                result,
            ],
        )
    except duckdb.InvalidInputException as exc:
        if "read-only" not in str(exc):  # anything but a read-only store is a real failure
            raise
        return None
    return key


def _finite(value: Any) -> Any:
    number = float(value)
    return number if math.isfinite(number) else None
