"""XGBoost and LightGBM models in MLflow's layout (``xgboost`` / ``lightgbm`` flavors).

Each test trains a small model on scikit-lego's arrests data, saves it the way MLflow's
``save_model`` does (the booster's own ``save_model`` into ``model.<format>``, and an
``MLmodel`` with the flavor's fields: ``data``, ``model_class``, ``model_format`` /
``lgb_version``, ...), and loads it through govern. LightGBM is installed by ``make test``;
XGBoost (its Linux wheel pulls a ~200 MB NCCL dependency; ``make test`` installs the CPU-only
``xgboost-cpu``) is tested when it is importable.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from govern.explain import loading
from govern.explain import shap_values as sv
from govern.models import Status
from tests.explain.conftest import FEATURES, RUN, World, arrests
from tests.explain.test_explain import by_rule, evaluate, evidence

LGB_MLMODEL = """\
artifact_path: model
flavors:
  lightgbm:
    code: null
    data: {data}
    lgb_version: 4.7.0
    model_class: {cls}
    serialization_format: {fmt}
    skops_trusted_types: null
  python_function:
    data: {data}
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.lightgbm
    python_version: 3.11.7
mlflow_version: 3.1.0
model_uuid: 4c1f0c1b8f3a4d0e9b7b1a2c3d4e5f60
run_id: {run}
"""

XGB_MLMODEL = """\
artifact_path: model
flavors:
  python_function:
    data: model.{fmt}
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.xgboost
    python_version: 3.11.7
  xgboost:
    code: null
    data: model.{fmt}
    model_class: {cls}
    model_format: {fmt}
    xgb_version: 3.2.0
mlflow_version: 3.1.0
model_uuid: 7d2e1f0a9b8c4d3e2f1a0b9c8d7e6f50
run_id: {run}
"""


def lgb_classifier() -> Any:
    from lightgbm import LGBMClassifier

    df = arrests()
    model = LGBMClassifier(n_estimators=40, num_leaves=8, random_state=0, verbose=-1)
    return model.fit(df[FEATURES], df["released"])


def write_lgb_booster(folder: Path, model: Any) -> Path:
    """The classifier's booster in MLflow's layout (``mlflow.lightgbm`` saves a Booster so)."""
    folder.mkdir(parents=True, exist_ok=True)
    model.booster_.save_model(folder / "model.lgb")
    (folder / "MLmodel").write_text(
        LGB_MLMODEL.format(
            data="model.lgb", cls="lightgbm.basic.Booster", fmt="cloudpickle", run=RUN
        )
    )
    return folder


def xgb_classifier() -> Any:
    xgboost = pytest.importorskip("xgboost")
    df = arrests()
    model = xgboost.XGBClassifier(n_estimators=40, max_depth=3, random_state=0)
    return model.fit(df[FEATURES], df["released"])


def write_xgb(folder: Path, model: Any, fmt: str, cls: str) -> Path:
    """``model`` saved with its own ``save_model`` as ``model.<fmt>``, as mlflow.xgboost does."""
    folder.mkdir(parents=True, exist_ok=True)
    model.save_model(folder / f"model.{fmt}")
    (folder / "MLmodel").write_text(XGB_MLMODEL.format(fmt=fmt, cls=cls, run=RUN))
    return folder


# -- LightGBM ------------------------------------------------------------------------------------


def test_lightgbm_booster_loads_without_trust_and_shap_adds_up(tmp_path: Path) -> None:
    model = lgb_classifier()
    folder = write_lgb_booster(tmp_path / "model", model)
    loaded = loading.load(folder, loading.LoadOptions())
    assert loaded.serialization == "lightgbm"
    assert loaded.features == tuple(FEATURES)
    assert loaded.digest == hashlib.sha256((folder / "model.lgb").read_bytes()).hexdigest()
    rows = arrests()[FEATURES].iloc[:300]
    np.testing.assert_allclose(loaded.model.predict(rows), model.predict_proba(rows)[:, 1])
    explained = sv.shap_values(loaded.model, rows, rows, seed=0)
    assert explained.explainer == "tree"
    # TreeExplainer explains the booster's raw output: the log-odds margin
    margin = loaded.model.predict(rows, raw_score=True)
    np.testing.assert_allclose(explained.values.sum(axis=1) + explained.base, margin, atol=1e-9)
    assert np.abs(explained.values).sum() > 0


def test_lightgbm_rule_findings(world: World) -> None:
    write_lgb_booster(world.model_dir, lgb_classifier())
    (world.model_dir / "model.skops").unlink()
    found = by_rule(evaluate(world, max_share=0.99, not_in_top_k={"features": ["checks"], "k": 2}))
    ev = evidence(found["max_share"])
    assert ev.explainer == "tree" and ev.source == "model"
    assert (
        ev.model_digest == hashlib.sha256((world.model_dir / "model.lgb").read_bytes()).hexdigest()
    )
    assert set(ev.importance) == set(FEATURES)
    assert found["max_share"].status is Status.passed
    ranking = sorted(FEATURES, key=lambda f: -ev.share[f])
    top = found["not_in_top_k"]
    assert top.status is (Status.failed if "checks" in ranking[:2] else Status.passed)
    (tight,) = evaluate(world, max_share=0.05)
    assert tight.status is Status.failed and ranking[0] in tight.message


def test_lightgbm_sklearn_wrapper_with_skops_loads_its_own_types(tmp_path: Path) -> None:
    import skops.io as sio

    model = lgb_classifier()
    folder = tmp_path / "model"
    folder.mkdir()
    sio.dump(model, folder / "model.skops")
    (folder / "MLmodel").write_text(
        LGB_MLMODEL.format(
            data="model.skops", cls="lightgbm.sklearn.LGBMClassifier", fmt="skops", run=RUN
        )
    )
    loaded = loading.load(folder, loading.LoadOptions())
    assert loaded.serialization == "skops"
    rows = arrests()[FEATURES].iloc[:20]
    np.testing.assert_allclose(loaded.model.predict_proba(rows), model.predict_proba(rows))
    # the same wrapper pickled runs code when loaded: refused without trust
    (folder / "model.skops").rename(folder / "model.pkl")
    (folder / "MLmodel").write_text(
        LGB_MLMODEL.format(
            data="model.pkl", cls="lightgbm.sklearn.LGBMClassifier", fmt="cloudpickle", run=RUN
        )
    )
    with pytest.raises(loading.ModelUnavailable, match="--trust-model"):
        loading.load(folder, loading.LoadOptions())


def test_lightgbm_missing_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_lgb_booster(tmp_path / "model", lgb_classifier())
    monkeypatch.setitem(sys.modules, "lightgbm", None)  # import lightgbm raises ImportError
    with pytest.raises(
        loading.ModelUnavailable, match=r"lightgbm is not installed.*govern\[boost\]"
    ):
        loading.load(folder, loading.LoadOptions())


def test_missing_booster_file_and_unknown_flavor_are_reasons(tmp_path: Path) -> None:
    folder = write_lgb_booster(tmp_path / "model", lgb_classifier())
    (folder / "model.lgb").unlink()
    with pytest.raises(loading.ModelUnavailable, match=r"model\.lgb named by MLmodel is missing"):
        loading.load(folder, loading.LoadOptions())
    (folder / "MLmodel").write_text("flavors:\n  pytorch: {model_data: data}\n")
    with pytest.raises(loading.ModelUnavailable, match=r"flavors: pytorch.*xgboost, lightgbm"):
        loading.load(folder, loading.LoadOptions())


# -- XGBoost -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "cls"),
    [("json", "xgboost.sklearn.XGBClassifier"), ("ubj", "xgboost.core.Booster")],
)
def test_xgboost_loads_without_trust_and_shap_adds_up(tmp_path: Path, fmt: str, cls: str) -> None:
    model = xgb_classifier()
    saved = model if cls.endswith("XGBClassifier") else model.get_booster()
    folder = write_xgb(tmp_path / "model", saved, fmt, cls)
    loaded = loading.load(folder, loading.LoadOptions())
    assert loaded.serialization == f"xgboost {fmt}"
    assert type(loaded.model).__name__ == cls.rpartition(".")[2]
    assert loaded.features == tuple(FEATURES)
    rows = arrests()[FEATURES].iloc[:300]
    explained = sv.shap_values(loaded.model, rows, rows, seed=0)
    assert explained.explainer == "tree"
    margin = model.predict(rows, output_margin=True)  # float32 inside XGBoost
    np.testing.assert_allclose(explained.values.sum(axis=1) + explained.base, margin, atol=1e-5)


def test_xgboost_rule_findings(world: World) -> None:
    write_xgb(world.model_dir, xgb_classifier(), "json", "xgboost.sklearn.XGBClassifier")
    (world.model_dir / "model.skops").unlink()
    (ok,) = evaluate(world, max_share=0.99)
    assert ok.status is Status.passed
    ev = evidence(ok)
    assert ev.explainer == "tree" and set(ev.importance) == set(FEATURES)
    assert (
        ev.model_digest == hashlib.sha256((world.model_dir / "model.json").read_bytes()).hexdigest()
    )


def test_xgboost_class_outside_the_allow_list_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.json").write_text("{}")
    (folder / "MLmodel").write_text(XGB_MLMODEL.format(fmt="json", cls="os.system", run=RUN))
    with pytest.raises(loading.ModelUnavailable, match=r"model class os\.system is not one"):
        loading.load(folder, loading.LoadOptions(trust_model=True))


def test_xgboost_missing_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.ubj").write_bytes(b"{}")
    (folder / "MLmodel").write_text(
        XGB_MLMODEL.format(fmt="ubj", cls="xgboost.core.Booster", run=RUN)
    )
    monkeypatch.setitem(sys.modules, "xgboost", None)
    with pytest.raises(
        loading.ModelUnavailable, match=r"xgboost is not installed.*govern\[boost\]"
    ):
        loading.load(folder, loading.LoadOptions())
