"""Run one benchmark task in this process and print its wall time and peak memory as JSON.

Usage: python _measure.py TASK ARGS... — every task runs in a fresh process so that peak
resident memory (ru_maxrss) belongs to that task alone.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def drift_govern(ref: str, cur: str) -> dict[str, object]:
    import duckdb
    from govern.metrics.drift import dataset_drift

    con = duckdb.connect()
    con.execute(f"CREATE VIEW ref AS SELECT * FROM read_parquet('{ref}')")
    con.execute(f"CREATE VIEW cur AS SELECT * FROM read_parquet('{cur}')")
    columns = [r[0] for r in con.execute("DESCRIBE ref").fetchall()]
    results, share = dataset_drift(con, "ref", "cur", columns, compatibility="evidently")
    return {"share_drifted": share, "drifted": sorted(r.column for r in results if r.drifted)}


def drift_scan(ref: str, cur: str) -> dict[str, object]:
    """The floor: DuckDB reads every value of both files once (count, min, max per column)."""
    import duckdb

    con = duckdb.connect()
    out = {}
    for name, path in (("ref", ref), ("cur", cur)):
        columns = [
            r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()
        ]
        aggregates = ", ".join(f'count("{c}"), min("{c}"), max("{c}")' for c in columns)
        out[name] = len(con.execute(f"SELECT {aggregates} FROM read_parquet('{path}')").fetchone())
    return out


def drift_evidently(ref: str, cur: str) -> dict[str, object]:
    """Evidently's DataDriftPreset on the same files (run with the Evidently venv's python)."""
    import pandas as pd

    reference = pd.read_parquet(ref)
    current = pd.read_parquet(cur)
    try:  # Evidently >= 0.7
        from evidently import Report
        from evidently.presets import DataDriftPreset

        snapshot = Report([DataDriftPreset()]).run(current, reference)
        result = snapshot.dict()
        share = next(
            m["value"]["share"]
            for m in result["metrics"]
            if "DriftedColumnsCount" in m["metric_id"]
        )
    except ImportError:  # Evidently 0.4
        from evidently.metric_preset import DataDriftPreset as Preset04
        from evidently.report import Report as Report04

        report = Report04(metrics=[Preset04()])
        report.run(reference_data=reference, current_data=current)
        share = report.as_dict()["metrics"][0]["result"]["share_of_drifted_columns"]
    return {"share_drifted": share}


def fairness_govern(path: str) -> dict[str, object]:
    import duckdb

    from govern.metrics import fairness as f

    con = duckdb.connect()
    con.execute(f"CREATE VIEW log AS SELECT * FROM read_parquet('{path}')")
    counts = f.group_counts(
        con,
        "log",
        label="label",
        prediction="prediction",
        sensitive=["sex", "race"],
        intersect=True,
    )
    metrics = f.group_metrics(
        counts, ["selection_rate", "true_positive_rate", "false_positive_rate", "accuracy"]
    )
    dpd = f.demographic_parity_difference(counts, ("sex", "race"))
    eod = f.equalized_odds_difference(counts, ("sex", "race"))
    return {"groups": len(metrics), "dpd": dpd, "eod": eod}


def fairness_fairlearn(path: str) -> dict[str, object]:
    import pandas as pd
    from fairlearn.metrics import (
        MetricFrame,
        demographic_parity_difference,
        equalized_odds_difference,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )
    from sklearn.metrics import accuracy_score

    df = pd.read_parquet(path)
    sensitive = df[["sex", "race"]]
    frame = MetricFrame(
        metrics={
            "selection_rate": selection_rate,
            "true_positive_rate": true_positive_rate,
            "false_positive_rate": false_positive_rate,
            "accuracy": accuracy_score,
        },
        y_true=df["label"],
        y_pred=df["prediction"],
        sensitive_features=sensitive,
    )
    dpd = demographic_parity_difference(df["label"], df["prediction"], sensitive_features=sensitive)
    eod = equalized_odds_difference(df["label"], df["prediction"], sensitive_features=sensitive)
    return {"groups": len(frame.by_group), "dpd": float(dpd), "eod": float(eod)}


TASKS = {f.__name__: f for f in (drift_govern, drift_scan, drift_evidently, fairness_govern,
                                 fairness_fairlearn)}  # fmt: skip

if __name__ == "__main__":
    task, *args = sys.argv[1:]
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    start = time.perf_counter()
    answer = TASKS[task](*args)
    seconds = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps({"task": task, "seconds": seconds, "peak_mb": peak_kb / 1024, "answer": answer})
    )
