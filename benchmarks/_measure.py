"""Run one benchmark task in this process and print its wall time and peak memory as JSON.

Usage: python _measure.py TASK ARGS... — every task runs in a fresh process so that peak
resident memory belongs to that task alone. Peak memory is the process's ``VmHWM`` (high-water
resident set of its own address space, from ``/proc/self/status``), not ``ru_maxrss``: on
Linux ``ru_maxrss`` survives ``fork``/``exec`` and so starts at the parent's resident size (the
harness with pandas and pyarrow loaded), which would hide small footprints.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def drift_govern(ref: str, cur: str, exact: str = "default") -> dict[str, object]:
    """govern's ``dataset_drift`` over both files, as ``govern check`` runs it (Evidently's
    method choice). ``exact="true"`` forces the exact ks/wasserstein statistics; by default
    they are binned above 200,000 values per window, within a reported bound, with every
    drift decision the exact one's (see :mod:`govern.metrics.drift`)."""
    import duckdb

    from govern.metrics.drift import dataset_drift

    con = duckdb.connect()
    con.execute(f"CREATE VIEW ref AS SELECT * FROM read_parquet('{ref}')")
    con.execute(f"CREATE VIEW cur AS SELECT * FROM read_parquet('{cur}')")
    columns = [r[0] for r in con.execute("DESCRIBE ref").fetchall()]
    results, share = dataset_drift(
        con, "ref", "cur", columns, compatibility="evidently",
        exact=True if exact == "true" else None,
    )  # fmt: skip
    computations = sorted({str(r.details.get("computation")) for r in results})
    return {
        "share_drifted": share,
        "drifted": sorted(r.column for r in results if r.drifted),
        "computations": computations,
    }


def drift_govern_exact(ref: str, cur: str) -> dict[str, object]:
    """:func:`drift_govern` with ``exact=True``: what exact statistics at every size cost."""
    return drift_govern(ref, cur, exact="true")


def _scan_sql(ref: str, cur: str) -> str:
    """The floor query: one plain scan that must read every value of every column of both files.

    One statement over both files (``read_parquet([ref, cur])``), so DuckDB reads their row
    groups on all its threads, with an aggregate per column that no Parquet statistic answers:
    ``sum`` of each numeric column, ``sum(length(...))`` of each text column, ``sum(hash(...))``
    of anything else. A query of ``count``/``min``/``max`` per column is no floor: DuckDB
    answers it from the row-group statistics in the footer and reads no value at all (tens
    of milliseconds at 5M rows). ``drift_scan_profile`` proves that this one reads them: its
    profile shows every row scanned and every column chunk's bytes read.
    """
    import duckdb

    con = duckdb.connect()
    described = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{ref}')").fetchall()
    parts = ["count(*)"]
    for name, sql_type, *_ in described:
        col = '"' + str(name).replace('"', '""') + '"'
        t = str(sql_type).upper()
        if t in {"DOUBLE", "FLOAT", "BIGINT", "INTEGER", "SMALLINT", "TINYINT"}:
            parts.append(f"sum({col})")
        elif t == "VARCHAR":
            parts.append(f"sum(length({col}))")
        else:
            parts.append(f"sum(hash({col}))")
    return f"SELECT {', '.join(parts)} FROM read_parquet(['{ref}', '{cur}'])"


def drift_scan(ref: str, cur: str) -> dict[str, object]:
    """The floor: DuckDB reads every value of both files once (see :func:`_scan_sql`)."""
    import duckdb

    sql = _scan_sql(ref, cur)
    con = duckdb.connect()
    (row,) = con.execute(sql).fetchall()
    return {"rows": row[0], "aggregates": len(row) - 1}


def drift_scan_profile(ref: str, cur: str) -> dict[str, object]:
    """Evidence that the floor reads the data: DuckDB's profile of the floor query.

    Returns the rows and bytes DuckDB scanned and, for comparison, the files' rows and the
    compressed size of their column chunks (from the Parquet footer). Not a timing.
    """
    import tempfile

    import duckdb

    sql = _scan_sql(ref, cur)
    con = duckdb.connect()
    out = Path(tempfile.mkdtemp()) / "profile.json"
    con.execute("PRAGMA enable_profiling = 'json'")
    con.execute(f"SET profiling_output = '{out}'")
    con.execute(sql).fetchall()
    con.execute("PRAGMA disable_profiling")
    query = json.loads(out.read_text())["query"]
    (rows, chunk_bytes) = con.execute(
        "SELECT sum(row_group_num_rows) FILTER (WHERE column_id = 0), sum(total_compressed_size) "
        f"FROM parquet_metadata(['{ref}', '{cur}'])"
    ).fetchall()[0]
    return {
        "rows_scanned": query["total_rows_scanned"],
        "bytes_scanned": query["total_bytes_scanned"],
        "file_rows": int(rows),
        "column_chunk_bytes": int(chunk_bytes),
    }


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


#: The issue's fairness workload: these groupings and metrics, then DP and EO differences.
GROUPINGS = (("sex",), ("race",), ("sex", "race"))
FAIRNESS_METRICS = ("selection_rate", "true_positive_rate", "false_positive_rate", "accuracy")


def _key(grouping: tuple[str, ...], group: object) -> str:
    values = group if isinstance(group, tuple) else (group,)
    return "+".join(grouping) + "=" + "|".join(str(v) for v in values)


def fairness_govern(path: str) -> dict[str, object]:
    """govern: one ``group_counts`` scan, then every metric and disparity from the counts."""
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
    numbers: dict[str, float] = {}
    for m in f.group_metrics(counts, FAIRNESS_METRICS):
        if m.grouping == ():
            numbers[f"overall/{m.metric}"] = m.value
        else:
            numbers[f"by_group/{_key(m.grouping, m.group)}/{m.metric}"] = m.value
    for g in GROUPINGS:
        name = "+".join(g)
        numbers[f"dp_difference/{name}"] = f.demographic_parity_difference(counts, g)
        numbers[f"eo_difference/{name}"] = f.equalized_odds_difference(counts, g)
    return {"numbers": numbers}


def fairness_fairlearn(path: str) -> dict[str, object]:
    """fairlearn: one ``MetricFrame`` per grouping (sex, race, sex x race), four metrics each.

    The DP and EO differences come from the frame's ``difference()``, which is exactly what
    ``fairlearn.metrics.demographic_parity_difference`` (``MetricFrame(selection_rate)
    .difference()``) and ``equalized_odds_difference`` (builtin ``max`` over the TPR and FPR
    differences, ``agg="worst_case"``) compute, without building two more frames per grouping:
    the cheapest way to get these numbers from fairlearn.
    """
    import pandas as pd
    from fairlearn.metrics import (
        MetricFrame,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )
    from sklearn.metrics import accuracy_score

    functions = {
        "selection_rate": selection_rate,
        "true_positive_rate": true_positive_rate,
        "false_positive_rate": false_positive_rate,
        "accuracy": accuracy_score,
    }
    df = pd.read_parquet(path)
    numbers: dict[str, float] = {}
    for g in GROUPINGS:
        frame = MetricFrame(
            metrics=functions,
            y_true=df["label"],
            y_pred=df["prediction"],
            sensitive_features=df[list(g)],
        )
        for group, row in frame.by_group.iterrows():
            for metric in FAIRNESS_METRICS:
                numbers[f"by_group/{_key(g, group)}/{metric}"] = float(row[metric])
        for metric in FAIRNESS_METRICS:
            numbers[f"overall/{metric}"] = float(frame.overall[metric])
        diff = frame.difference()
        name = "+".join(g)
        numbers[f"dp_difference/{name}"] = float(diff["selection_rate"])
        numbers[f"eo_difference/{name}"] = float(
            max([diff["true_positive_rate"], diff["false_positive_rate"]])
        )
    return {"numbers": numbers}


def peak_mb() -> float:
    """High-water resident memory of this process in MB (``VmHWM``; ``ru_maxrss`` elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


TASKS = {
    f.__name__: f
    for f in (
        drift_govern,
        drift_govern_exact,
        drift_scan,
        drift_scan_profile,
        drift_evidently,
        fairness_govern,
        fairness_fairlearn,
    )
}

if __name__ == "__main__":
    task, *args = sys.argv[1:]
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    start = time.perf_counter()
    answer = TASKS[task](*args)
    seconds = time.perf_counter() - start
    print(json.dumps({"task": task, "seconds": seconds, "peak_mb": peak_mb(), "answer": answer}))
