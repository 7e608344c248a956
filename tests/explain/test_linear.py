"""The exact linear explainer, pinned against shap's permutation explainer on the same output.

The permutation explainer with an independent masker is exact for a linear function, so on a
logistic regression's decision function (the log-odds) both must agree to rounding.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from govern.explain.linear import linear_parts, linear_shap

from .conftest import FEATURES, arrests


def _fit(model: Any) -> tuple[Any, pd.DataFrame]:
    df = arrests()
    return model.fit(df[FEATURES], df["released"]), df[FEATURES].astype(float)


def _permutation(function: Any, rows: pd.DataFrame, background: pd.DataFrame) -> Any:
    import shap

    masker = shap.maskers.Independent(background, max_samples=100)
    explainer = shap.PermutationExplainer(
        lambda d: function(pd.DataFrame(d, columns=rows.columns)), masker, seed=0
    )
    return explainer(rows, max_evals=100, silent=True)


def test_scaled_logistic_regression_equals_permutation_on_the_log_odds() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model, x = _fit(make_pipeline(StandardScaler(), LogisticRegression()))
    parts = linear_parts(model)
    assert parts is not None and parts.output == "log-odds"
    rows, background = x.iloc[:60], x.iloc[2000:2100]
    values, base = linear_shap(parts, rows, background)
    assert values.shape == (60, len(FEATURES))
    # additivity: the values sum to the log-odds minus the expected log-odds
    np.testing.assert_allclose(values.sum(axis=1) + base, model.decision_function(rows), atol=1e-9)
    reference = _permutation(model.decision_function, rows, background)
    np.testing.assert_allclose(values, reference.values, atol=1e-9)
    np.testing.assert_allclose(base, reference.base_values, atol=1e-9)


def test_regression_explains_predict() -> None:
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler

    model, x = _fit(make_pipeline(MinMaxScaler(), Ridge(alpha=2.0)))
    parts = linear_parts(model)
    assert parts is not None and parts.output == "prediction"
    values, base = linear_shap(parts, x.iloc[:40], x.iloc[100:200])
    np.testing.assert_allclose(values.sum(axis=1) + base, model.predict(x.iloc[:40]), atol=1e-9)


@pytest.mark.parametrize("kind", ["forest", "one-hot", "multiclass"])
def test_other_models_are_left_to_the_model_agnostic_explainer(kind: str) -> None:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    df = arrests()
    if kind == "forest":
        model = RandomForestClassifier(n_estimators=3, random_state=0).fit(
            df[FEATURES], df["released"]
        )
    elif kind == "one-hot":
        model = make_pipeline(OneHotEncoder(handle_unknown="ignore"), LogisticRegression())
        model.fit(df[FEATURES], df["released"])
    else:
        model = LogisticRegression(max_iter=500).fit(df[FEATURES], df["checks"].clip(0, 2))
    assert linear_parts(model) is None
