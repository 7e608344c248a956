"""Performance-metrics benchmark: govern against scikit-learn on the same labelled rows (issue 13).

    python benchmarks/performance.py [--rows 1000000 5000000] [--json PATH]

For each size, writes a Parquet file of labelled rows (30% positives, a score in [0, 1] that
separates them) twice: with continuous scores (every score distinct: the worst case for
govern's cells) and with scores rounded to 3 decimals (1,001 distinct scores: what a model's
probabilities are often stored as). Then, each in a fresh process so that peak memory belongs
to it alone (``VmHWM``), times:

- ``govern``: one DuckDB ``GROUP BY`` over the file into cells, then every classification
  metric (:mod:`govern.metrics.performance`);
- ``sklearn``: the file read into numpy, then the same metrics with scikit-learn.

and checks that every value agrees to 1e-9. It prints a table and writes the numbers as JSON
(default ``benchmarks/results/performance-latest.json``). Timings depend on the machine and
its load; the script asserts only the agreement of the values.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
METRICS = (
    "roc_auc",
    "average_precision",
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "f1",
    "log_loss",
    "brier_score",
)


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def generate(path: Path, rows: int, decimals: int | None) -> None:
    """``rows`` labelled rows with a score, as Parquet."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(13)
    y = (rng.random(rows) < 0.3).astype(np.int64)
    score = np.clip(rng.normal(0.4 + 0.2 * y, 0.2), 0.0, 1.0)
    if decimals is not None:
        score = np.round(score, decimals)
    pq.write_table(pa.table({"__label": y, "__score": score}), path)


def task_govern(path: str) -> dict[str, Any]:
    """Cells from one GROUP BY over the file, then every metric."""
    import duckdb

    from govern.metrics.performance import METRICS as REGISTRY
    from govern.metrics.performance import classification_cells
    from govern.sql import literal

    start = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"CREATE VIEW rows AS SELECT * FROM read_parquet({literal(path)})")
    cells = classification_cells(con, "rows", threshold=0.5)
    values = {name: REGISTRY[name].compute(cells) for name in METRICS}
    return {"seconds": time.perf_counter() - start, "cells": len(cells.count), "values": values}


def task_sklearn(path: str) -> dict[str, Any]:
    """The file into numpy, then scikit-learn's metrics."""
    import pyarrow.parquet as pq
    import sklearn.metrics as skm

    start = time.perf_counter()
    table = pq.read_table(path)
    y = table["__label"].to_numpy()
    s = table["__score"].to_numpy()
    d = (s >= 0.5).astype(int)
    values = {
        "roc_auc": skm.roc_auc_score(y, s),
        "average_precision": skm.average_precision_score(y, s),
        "accuracy": skm.accuracy_score(y, d),
        "balanced_accuracy": skm.balanced_accuracy_score(y, d),
        "precision": skm.precision_score(y, d),
        "recall": skm.recall_score(y, d),
        "f1": skm.f1_score(y, d),
        "log_loss": skm.log_loss(y, s),
        "brier_score": skm.brier_score_loss(y, s),
    }
    return {
        "seconds": time.perf_counter() - start,
        "values": {k: float(v) for k, v in values.items()},
    }


def _run(task: str, path: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--task", task, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(done.stdout))


def main() -> None:
    """Run the benchmark (or, with ``--task``, one task in this process)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--json", type=Path, default=HERE / "results" / "performance-latest.json")
    parser.add_argument("--task", choices=["govern", "sklearn"])
    parser.add_argument("path", nargs="?")
    args = parser.parse_args()
    if args.task:
        out = (task_govern if args.task == "govern" else task_sklearn)(args.path)
        out["peak_mb"] = _peak_mb()
        print(json.dumps(out))
        return
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for rows in args.rows:
            for label, decimals in (("continuous", None), ("3 decimals", 3)):
                path = Path(tmp) / f"rows-{rows}-{decimals}.parquet"
                generate(path, rows, decimals)
                ours, theirs = _run("govern", path), _run("sklearn", path)
                worst = max(abs(ours["values"][m] - theirs["values"][m]) for m in METRICS)
                assert worst <= 1e-9, f"values differ by {worst:g} at {rows} rows ({label})"
                results.append(
                    {
                        "rows": rows,
                        "scores": label,
                        "cells": ours["cells"],
                        "govern_s": ours["seconds"],
                        "sklearn_s": theirs["seconds"],
                        "speedup": theirs["seconds"] / ours["seconds"],
                        "govern_peak_mb": ours["peak_mb"],
                        "sklearn_peak_mb": theirs["peak_mb"],
                        "max_abs_difference": worst,
                    }
                )
                r = results[-1]
                print(
                    f"{rows:>9,} rows, {label:<10} {r['cells']:>9,} cells  govern "
                    f"{r['govern_s']:6.2f} s {r['govern_peak_mb']:7.0f} MB   scikit-learn "
                    f"{r['sklearn_s']:6.2f} s {r['sklearn_peak_mb']:7.0f} MB   "
                    f"{r['speedup']:5.1f}x   max |diff| {worst:.1e}"
                )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
