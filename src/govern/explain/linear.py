"""Exact SHAP values of a linear model, through the per-feature scalers in front of it.

A scikit-learn linear model (``coef_`` and ``intercept_``: logistic regression, linear or ridge
regression, a linear SVM), alone or as the last step of a :class:`~sklearn.pipeline.Pipeline`
whose other steps only rescale each column (:data:`AFFINE`), is linear in its inputs. With
features masked independently against a background, its SHAP value is exact and closed-form:
``w_j * (z_j - mean of z_j over the background)``, ``z`` the rescaled row and ``w`` the model's
coefficients. shap's :class:`~shap.LinearExplainer` computes it, in milliseconds where the
permutation explainer takes seconds.

The explained output is the model's linear output: the log-odds (``decision_function``) of a
binary classifier, ``predict`` of a regressor. For a classifier that is not the probability the
model-agnostic explainer explains; importance shares rank the same features but are not equal
between the two. Anything else (a multiclass model, a step that is not a per-column scaler)
returns ``None`` and is left to the model-agnostic explainer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Pipeline steps that rescale each column on its own (``x * a + b``), by class name.
AFFINE = ("StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler")


@dataclass(frozen=True)
class LinearParts:
    """A linear model split into its column scalers and its final linear estimator."""

    scalers: tuple[Any, ...]
    coef: Any
    intercept: float
    #: ``log-odds`` (a binary classifier's decision function) or ``prediction``
    output: str


def linear_parts(model: Any) -> LinearParts | None:
    """The scalers and coefficients of a linear model, or None for any other model."""
    import numpy as np

    steps: list[Any] = [model]
    if type(model).__name__ == "Pipeline" and type(model).__module__.startswith("sklearn."):
        steps = [s for _, s in model.steps if s is not None and s != "passthrough"]
    if not steps:
        return None
    *scalers, final = steps
    if not all(
        type(s).__name__ in AFFINE and type(s).__module__.startswith("sklearn.") for s in scalers
    ):
        return None
    if not type(final).__module__.startswith("sklearn.linear_model") and not type(
        final
    ).__module__.startswith("sklearn.svm"):
        return None
    coef = getattr(final, "coef_", None)
    intercept = getattr(final, "intercept_", None)
    if coef is None or intercept is None:
        return None
    coef = np.asarray(coef, dtype=float)
    if coef.ndim == 2:
        if coef.shape[0] != 1:
            return None  # multiclass: one linear function per class
        coef = coef[0]
    b = np.atleast_1d(np.asarray(intercept, dtype=float))
    if b.shape != (1,):
        return None
    classifier = hasattr(final, "classes_")
    if classifier and len(final.classes_) != 2:
        return None
    return LinearParts(
        tuple(scalers), coef, float(b[0]), "log-odds" if classifier else "prediction"
    )


def linear_shap(parts: LinearParts, rows: Any, background: Any) -> tuple[Any, Any]:
    """SHAP values and base values of ``rows`` (DataFrames of the model's features).

    The background (at most 100 rows, as for the model-agnostic explainer) sets the expected
    value; each row's values sum to its linear output minus the expected output.
    """
    import numpy as np
    import shap

    from govern.explain.shap_values import BACKGROUND_ROWS

    def scaled(frame: Any) -> Any:
        data: Any = frame
        for step in parts.scalers:
            data = step.transform(data)
        return np.asarray(data, dtype=float)

    masker = shap.maskers.Independent(scaled(background), max_samples=BACKGROUND_ROWS)
    explainer = shap.LinearExplainer((parts.coef, parts.intercept), masker)
    values = np.asarray(explainer.shap_values(scaled(rows)), dtype=float)
    base = np.full(len(rows), float(np.asarray(explainer.expected_value).reshape(-1)[0]))
    return values, base
