"""Generate benchmark prediction logs as Parquet (seeded): drift and fairness workloads.

Drift: reference and current logs with 20 numeric and 5 categorical features; in the current
log 5 numeric and 2 categorical features are shifted. Fairness: a decision log with binary
label and prediction, sex (2 values) and race (5 values).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

CHUNK = 1_000_000


def _drift_table(rows: int, rng: np.random.Generator, shifted: bool) -> pa.Table:
    columns: dict[str, np.ndarray] = {}
    for i in range(20):
        shift = 0.5 if shifted and i < 5 else 0.0
        columns[f"num_{i:02d}"] = rng.normal(shift, 1.0 + 0.1 * i, rows)
    for i in range(5):
        cats = np.array([f"c{k}" for k in range(4 + i)])
        p = np.full(len(cats), 1 / len(cats))
        if shifted and i < 2:
            p = np.linspace(1, 3, len(cats))
            p /= p.sum()
        columns[f"cat_{i}"] = cats[rng.choice(len(cats), rows, p=p)]
    return pa.table(columns)


def drift(rows: int, out: Path) -> tuple[Path, Path]:
    """Write ref_<rows>.parquet and cur_<rows>.parquet (in chunks, bounded memory)."""
    paths = out / f"drift_ref_{rows}.parquet", out / f"drift_cur_{rows}.parquet"
    for path, shifted, seed in ((paths[0], False, 1), (paths[1], True, 2)):
        if path.exists():
            continue
        rng = np.random.default_rng(seed)
        writer = None
        for start in range(0, rows, CHUNK):
            table = _drift_table(min(CHUNK, rows - start), rng, shifted)
            writer = writer or pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
        assert writer is not None
        writer.close()
    return paths


def fairness(rows: int, out: Path) -> Path:
    """Write fair_<rows>.parquet: label, prediction, sex, race."""
    path = out / f"fair_{rows}.parquet"
    if path.exists():
        return path
    rng = np.random.default_rng(3)
    writer = None
    for start in range(0, rows, CHUNK):
        n = min(CHUNK, rows - start)
        sex = rng.choice(np.array(["female", "male"]), n)
        race = rng.choice(np.array(["asian", "black", "hispanic", "white", "other"]), n,
                          p=[0.1, 0.15, 0.2, 0.5, 0.05])  # fmt: skip
        label = rng.integers(0, 2, n)
        bias = np.where(sex == "male", 0.1, 0.0) + np.where(race == "white", 0.05, 0.0)
        prediction = (rng.uniform(0, 1, n) < 0.35 + 0.3 * label + bias).astype(np.int64)
        table = pa.table({"label": label, "prediction": prediction, "sex": sex, "race": race})
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1])
    target.mkdir(parents=True, exist_ok=True)
    for size in map(int, sys.argv[2:]):
        drift(size, target)
        fairness(size, target)
