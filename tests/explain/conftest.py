"""A real model for the explainability tests: trained on scikit-lego's arrests data set.

The model (a random forest on year, age, checks, employed and citizen; colour and sex are
sensitive attributes it does not see) is saved with skops beside an ``MLmodel`` file as MLflow
writes it, and its prediction logs are ingested into a fresh store, so the tests exercise the
same path ``govern check`` takes. Nothing is downloaded.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from govern.store.store import Store

FEATURES = ["year", "age", "checks", "employed", "citizen"]
MLMODEL = """\
artifact_path: file:///srv/mlruns/1/{run}/artifacts/model
flavors:
  sklearn:
    pickled_model: {file}
    serialization_format: {fmt}
    sklearn_version: 1.9.1
run_id: {run}
"""
RUN = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"


def arrests() -> pd.DataFrame:
    """The arrests data with numeric employed/citizen columns (1: yes)."""
    from sklego.datasets import load_arrests

    df = load_arrests(as_frame=True)
    for column in ("employed", "citizen"):
        df[column] = (df[column] == "Yes").astype(int)
    df["released"] = (df["released"] == "Yes").astype(int)
    return df


def train() -> Any:
    """A random forest on the arrests data (deterministic)."""
    from sklearn.ensemble import RandomForestClassifier

    df = arrests()
    model = RandomForestClassifier(n_estimators=25, max_depth=5, random_state=0)
    return model.fit(df[FEATURES], df["released"])


def write_model(folder: Path, model: Any, fmt: str = "skops") -> Path:
    """Save ``model`` in ``folder`` (skops, or pickle for fmt pickle/cloudpickle) with MLmodel."""
    import pickle

    import skops.io as sio

    folder.mkdir(parents=True, exist_ok=True)
    name = "model.skops" if fmt == "skops" else "model.pkl"
    if fmt == "skops":
        sio.dump(model, folder / name)
    else:
        (folder / name).write_bytes(pickle.dumps(model))
    (folder / "MLmodel").write_text(MLMODEL.format(run=RUN, file=name, fmt=fmt))
    return folder


@dataclass
class World:
    """A store with the arrests logs and a model saved under ``root`` (as /srv/mlruns)."""

    store: Store
    root: Path
    model: Any
    frame: pd.DataFrame

    @property
    def model_dir(self) -> Path:
        """Where the model's artefacts are (``file:///srv/mlruns/...`` mapped here)."""
        return self.root / "1" / RUN / "artifacts" / "model"


def log_frame(df: pd.DataFrame, model: Any, start: datetime) -> pd.DataFrame:
    """A prediction log of ``df``: features, sensitive columns, prediction and a timestamp."""
    out = df[[*FEATURES, "colour", "sex"]].copy()
    out["approved"] = model.predict(df[FEATURES])
    out["ts"] = [start + timedelta(minutes=i) for i in range(len(df))]
    return out


def make_world(tmp: Path, current: pd.DataFrame | None = None) -> World:
    """The store, the model and the logs (reference: first half; current: second half)."""
    from govern.ingest.pipeline import ingest

    df = arrests()
    model = train()
    root = tmp / "mlruns"
    world = World(Store.open(tmp / "store.duckdb"), root, model, df)
    write_model(world.model_dir, model)
    half = len(df) // 2
    parts = {"reference": df.iloc[:half], "current": df.iloc[half:] if current is None else current}
    start = datetime(2026, 11, 1)
    mapping = {"model": "credit-risk", "timestamp": "ts", "prediction": "approved",
               "sensitive": ["colour", "sex"]}  # fmt: skip
    for role, part in parts.items():
        path = tmp / f"{role}.parquet"
        log_frame(part, model, start).to_parquet(path)
        ingest(world.store, [path], now=datetime.now(UTC), options={**mapping, "role": role})
    return world


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """A fresh world per test."""
    made = make_world(tmp_path)
    yield made
    made.store.close()
