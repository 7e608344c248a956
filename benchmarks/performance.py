"""Performance-metrics benchmark: govern against scikit-learn on the same labelled rows (issue 13).

    python benchmarks/performance.py [--rows 1000000 5000000] [--repeat 5] [--json PATH]

For each size, writes a Parquet file of labelled rows (``ts``, ``score``, ``label``,
``approved``; 30% positives, a score in [0, 1] that separates them) twice: with continuous
scores (every score distinct: the worst case for govern's cells) and with scores rounded to 3
decimals (1,001 distinct scores: what a model's probabilities are often stored as). Then
times, each in a fresh process so that peak memory belongs to it alone (``VmHWM``), the same
nine classification metrics (roc_auc, average_precision, accuracy, balanced_accuracy,
precision, recall, f1 with ``score >= 0.5``, log_loss, brier_score):

- ``govern``: the library call: :func:`govern.metrics.performance.classification_cells` over a
  DuckDB view of the file, then every metric from those cells. Opening the in-memory DuckDB
  database comes first and is timed apart (``connect s``, 15 to 30 ms): a library user's store
  is open before a check, as the command line's is;
- ``sklearn``: the file read into numpy by pyarrow, then the metrics with scikit-learn;
- ``govern ingest`` + ``govern check``: the command line end to end, each its own process, on
  a copy of a store holding the demo's registry exports (prepared once, not timed): the file
  ingested as credit-risk version 2's production log, then a policy of nine performance
  rules, one per metric, checked with ``--format json``.

``compute s`` is the time inside the process from the start of the work to the values
(imports excluded); ``process s`` is the wall time of the whole process as the parent sees
it (interpreter start-up and imports included, as a user waits for it). Each task runs
``--repeat`` times, govern's and scikit-learn's runs in turn (so that a change in the
machine's state over the run affects both); the table shows the median. The run fails if any
value of the library or of the command line differs from scikit-learn's by more than 1e-9.
Results go to JSON (default ``benchmarks/results/performance-latest.json``). Timings depend
on the machine and its load.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
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
DECISION = {"accuracy", "balanced_accuracy", "precision", "recall", "f1"}
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def generate(path: Path, rows: int, decimals: int | None) -> None:
    """``rows`` labelled, timestamped rows with a score and a decision, as Parquet."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(13)
    y = (rng.random(rows) < 0.3).astype(np.int64)
    score = np.clip(rng.normal(0.4 + 0.2 * y, 0.2), 0.0, 1.0)
    if decimals is not None:
        score = np.round(score, decimals)
    start = np.datetime64("2026-11-01T00:00:00", "ms")
    ts = start + (np.arange(rows) * (2_000_000_000 // rows)).astype("timedelta64[ms]")
    approved = (score >= 0.5).astype(np.int64)
    pq.write_table(pa.table({"ts": ts, "score": score, "label": y, "approved": approved}), path)


def policy(path: Path) -> None:
    """Nine performance rules, one per metric, bounds that always pass."""
    lines = [
        "apiVersion: govern/v1",
        "kind: Policy",
        "metadata: {id: bench}",
        "scope: {models: [credit-risk]}",
        "rules:",
    ]
    for name in METRICS:
        bound = "max: 100" if name in ("log_loss", "brier_score") else "min: 0"
        extra = ", threshold: 0.5" if name in DECISION else ""
        lines.append(f"  - {{id: p.{name}, check: performance, metric: {name}, {bound}{extra}}}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def registry(path: Path) -> None:
    """A store holding the demo's registry exports (credit-risk version 2 among them)."""
    from govern.demo import demo_inputs
    from govern.ingest.pipeline import ingest
    from govern.store import Store

    with Store.open(path) as store:
        ingest(store, demo_inputs(), now=NOW)


def task_govern(path: str) -> dict[str, Any]:
    """Cells over a view of the file, then every metric."""
    import duckdb

    from govern.metrics.performance import METRICS as REGISTRY
    from govern.metrics.performance import classification_cells
    from govern.sql import literal

    opened = time.perf_counter()
    con = duckdb.connect()  # a database, as a store is open before a check: timed apart
    start = time.perf_counter()
    con.execute(
        "CREATE VIEW rows AS SELECT label AS __label, score AS __score "
        f"FROM read_parquet({literal(path)})"
    )
    cells = classification_cells(con, "rows", threshold=0.5)
    values = {name: REGISTRY[name].compute(cells) for name in METRICS}
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "connect_seconds": start - opened,
        "cells": len(cells.count),
        "values": values,
    }


def task_sklearn(path: str) -> dict[str, Any]:
    """The file into numpy, then scikit-learn's metrics."""
    import pyarrow.parquet as pq
    import sklearn.metrics as skm

    start = time.perf_counter()
    table = pq.read_table(path, columns=["label", "score"])
    y = table["label"].to_numpy()
    s = table["score"].to_numpy()
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


def task_cli(args: list[str]) -> dict[str, Any]:
    """One govern command line, in this process (its exit status does not matter here)."""
    from govern.cli.main import app

    start = time.perf_counter()
    with contextlib.suppress(SystemExit):
        app(args, standalone_mode=False)
    return {"seconds": time.perf_counter() - start}


def _run(task: str, *args: str) -> dict[str, Any]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--task", task, "--", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    out = dict(json.loads(done.stdout.strip().splitlines()[-1]))
    out["process_seconds"] = time.perf_counter() - start
    return out


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in runs))


def _cli_values(path: Path) -> dict[str, float]:
    found = json.loads(path.read_text(encoding="utf-8"))["findings"]
    return {f["metric"]: float(f["value"]) for f in found}


def _cli(data: Path, store: Path, tmp: Path, repeat: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(ingest, check) runs of the command line, each on a fresh copy of the registry store."""
    ingests, checks = [], []
    out = tmp / "check.json"
    db = tmp / "cli.duckdb"
    mapping = "--model credit-risk --version 2 --role current --timestamp ts --score score"
    mapping += " --label label --prediction approved --format json"
    check = "check --model credit-risk --version 2 --as-of 2026-12-01 --format json --policy"
    for _ in range(repeat):
        shutil.copyfile(store, db)
        ingest = ["--db", str(db), "ingest", str(data), *mapping.split()]
        ingests.append(_run("cli", *ingest, "--output", str(tmp / "ingest.json")))
        rules = str(tmp / "bench.yaml")
        checks.append(_run("cli", "--db", str(db), *check.split(), rules, "--output", str(out)))
        checks[-1]["values"] = _cli_values(out)
    return {"runs": ingests}, {"runs": checks}


def main() -> None:
    """Run the benchmark (or, with ``--task``, one task in this process)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, default=HERE / "results" / "performance-latest.json")
    parser.add_argument("--task", choices=["govern", "sklearn", "cli"])
    parser.add_argument("rest", nargs="*")
    args = parser.parse_args()
    if args.task:
        if args.task == "cli":
            out = task_cli(args.rest)
        else:
            out = (task_govern if args.task == "govern" else task_sklearn)(args.rest[0])
        out["peak_mb"] = _peak_mb()
        print(json.dumps(out))
        return
    results = []
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        policy(tmp / "bench.yaml")
        store = tmp / "registry.duckdb"
        registry(store)
        for rows in args.rows:
            for label, decimals in (("continuous", None), ("3 decimals", 3)):
                path = tmp / f"rows-{rows}-{decimals}.parquet"
                generate(path, rows, decimals)
                ours, theirs = [], []
                for _ in range(args.repeat):  # in turn: a drift of the machine hits both
                    ours.append(_run("govern", str(path)))
                    theirs.append(_run("sklearn", str(path)))
                ingest, check = _cli(path, store, tmp, args.repeat)
                want = theirs[0]["values"]
                worst = max(
                    abs(got["values"][m] - want[m]) for got in ours + check["runs"] for m in METRICS
                )
                assert worst <= 1e-9, f"values differ by {worst:g} at {rows} rows ({label})"
                sk_s, sk_p = _median(theirs, "seconds"), _median(theirs, "process_seconds")
                gv_s, gv_p = _median(ours, "seconds"), _median(ours, "process_seconds")
                cli_p = _median(ingest["runs"], "process_seconds") + _median(
                    check["runs"], "process_seconds"
                )
                r = {
                    "rows": rows,
                    "scores": label,
                    "cells": ours[0]["cells"],
                    "repeat": args.repeat,
                    "govern_s": gv_s,
                    "govern_connect_s": _median(ours, "connect_seconds"),
                    "govern_process_s": gv_p,
                    "govern_peak_mb": _median(ours, "peak_mb"),
                    "sklearn_s": sk_s,
                    "sklearn_process_s": sk_p,
                    "sklearn_peak_mb": _median(theirs, "peak_mb"),
                    "speedup": sk_s / gv_s,
                    "speedup_process": sk_p / gv_p,
                    "cli_ingest_process_s": _median(ingest["runs"], "process_seconds"),
                    "cli_ingest_peak_mb": _median(ingest["runs"], "peak_mb"),
                    "cli_check_process_s": _median(check["runs"], "process_seconds"),
                    "cli_check_s": _median(check["runs"], "seconds"),
                    "cli_check_peak_mb": _median(check["runs"], "peak_mb"),
                    "speedup_cli": sk_p / cli_p,
                    "max_abs_difference": worst,
                    "govern_runs_s": [x["seconds"] for x in ours],
                    "sklearn_runs_s": [x["seconds"] for x in theirs],
                }
                results.append(r)
                print(
                    f"{rows:>9,} {label:<10} {r['cells']:>9,} cells | library: govern "
                    f"{gv_s:5.3f} s ({gv_p:4.2f} s process, {r['govern_peak_mb']:4.0f} MB) "
                    f"sklearn {sk_s:5.2f} s ({sk_p:4.2f} s, {r['sklearn_peak_mb']:4.0f} MB) "
                    f"{r['speedup']:5.1f}x ({r['speedup_process']:4.1f}x process) | CLI: ingest "
                    f"{r['cli_ingest_process_s']:4.2f} s {r['cli_ingest_peak_mb']:4.0f} MB, check "
                    f"{r['cli_check_process_s']:4.2f} s {r['cli_check_peak_mb']:4.0f} MB "
                    f"| max |diff| {worst:.1e}",
                    flush=True,
                )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
