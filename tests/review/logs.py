"""Generated monthly prediction logs for review tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from govern.store import Store

MODEL = "credit-risk"
MAPPING: dict[str, Any] = {
    "model": MODEL,
    "timestamp": "ts",
    "prediction": "approved",
    "score": "score",
    "label": "default",
    "sensitive": ["sex", "race"],
    "role": "current",
}


def monthly_frame(
    months: Sequence[str] = ("2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"),
    *,
    rows: int = 800,
    biased: Sequence[str] = ("2026-05", "2026-06"),
    bias: float = 0.3,
    seed: int = 0,
    one_sex: bool = False,
) -> pd.DataFrame:
    """`rows` decisions per month: sex, race, score, approved, default; biased months favour men."""
    rng = np.random.default_rng(seed)
    parts = []
    for month in months:
        start = pd.Timestamp(month + "-01", tz="UTC")
        end = start + pd.offsets.MonthBegin(1)
        seconds = rng.uniform(0, (end - start).total_seconds(), rows)
        ts = start + pd.to_timedelta(np.sort(seconds), unit="s")
        sex = np.full(rows, "female") if one_sex else rng.choice(["female", "male"], rows)
        race = rng.choice(["a", "b", "c"], rows, p=[0.5, 0.3, 0.2])
        score = rng.uniform(0, 1, rows)
        cut = 0.5 + np.where((sex == "female") & (month in biased), bias, 0.0)
        approved = (score > cut).astype(int)
        default = (rng.uniform(0, 1, rows) < 0.2 + 0.6 * score).astype(int)
        parts.append(
            pd.DataFrame(
                {
                    "ts": ts,
                    "sex": sex,
                    "race": race,
                    "score": score,
                    "approved": approved,
                    "default": default,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def ingest_frame(store: Store, frame: pd.DataFrame, path: Path, **options: Any) -> None:
    from govern.ingest.pipeline import ingest

    frame.to_parquet(path, index=False)
    ingest(store, [path], now=datetime.now(UTC), options={**MAPPING, **options})
