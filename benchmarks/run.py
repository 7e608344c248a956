"""Benchmarks: govern vs Evidently (drift) and fairlearn (fairness), and the DuckDB scan floor.

    python benchmarks/run.py [--sizes 100000,1000000,5000000] [--only drift|fairness]
                             [--repeat 3] [--evidently-max-rows N] [--fairlearn-max-rows N]
                             [--evidently-python PATH] [--json PATH]

Each task runs in a fresh process (wall time and peak resident memory of that process alone,
imports included) on the same generated Parquet files (benchmarks/data/, created once,
seeded). govern and the scan floor run ``--repeat`` times and are reported by their median
(the machine may be shared: the spread is printed too); Evidently and fairlearn run once.
The fairness numbers of govern and fairlearn are compared one by one (tolerance 1e-9) and the
run exits with status 1 if any differs. Results go to ``--json`` (default
benchmarks/results/latest.json). Targets (issues 4 and 5): drift at 1M rows >= 20x faster
than Evidently with <= 1/4 of its peak memory and within 3x of the DuckDB scan floor;
fairness at 1M rows >= 20x faster than fairlearn, less peak memory, identical numbers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402

DATA = HERE / "data"
RESULTS = HERE / "results"
DEFAULT_EVIDENTLY = HERE.parent / ".venv-evidently" / "bin" / "python"
TOLERANCE = 1e-9


def measure(python: str, task: str, *args: str, timeout: float = 3600) -> dict[str, Any]:
    """Run one task in a fresh process; return its JSON line (or the failure)."""
    try:
        proc = subprocess.run(
            [python, str(HERE / "_measure.py"), task, *args],
            capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return {"task": task, "error": f"timed out after {timeout:.0f} s"}
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return {"task": task, "error": f"exit {proc.returncode}: {tail}"}
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def repeated(times: int, python: str, task: str, *args: str) -> dict[str, Any]:
    """Run a task ``times`` times; median wall time and peak memory, every run kept."""
    runs = [measure(python, task, *args) for _ in range(times)]
    failed = [r for r in runs if "error" in r]
    if failed:
        return failed[0]
    seconds = [r["seconds"] for r in runs]
    return {
        "task": task,
        "seconds": statistics.median(seconds),
        "peak_mb": statistics.median(r["peak_mb"] for r in runs),
        "runs_seconds": seconds,
        "runs_peak_mb": [r["peak_mb"] for r in runs],
        "answer": runs[0]["answer"],
    }


def fmt(result: dict[str, Any]) -> str:
    if "error" in result:
        return f"{result['task']}: {result['error']}"
    text = f"{result['task']}: {result['seconds']:.2f} s, peak {result['peak_mb']:.0f} MB"
    if "runs_seconds" in result:
        runs = ", ".join(f"{s:.2f}" for s in result["runs_seconds"])
        text += f" (median of {len(result['runs_seconds'])}: {runs} s)"
    return text


def ratio(a: dict[str, Any], b: dict[str, Any], key: str) -> float | None:
    """``b[key] / a[key]``, or None when either run failed."""
    if "error" in a or "error" in b or not a.get(key):
        return None
    return float(b[key]) / float(a[key])


def compare(ours: dict[str, float], theirs: dict[str, float]) -> dict[str, Any]:
    """Every number of both answers, key by key: identical within TOLERANCE (NaN == NaN)."""
    missing = sorted(set(ours) ^ set(theirs))
    worst = 0.0
    differ: list[str] = []
    for key in sorted(set(ours) & set(theirs)):
        a, b = ours[key], theirs[key]
        if math.isnan(a) and math.isnan(b):
            continue
        gap = abs(a - b) if not (math.isnan(a) or math.isnan(b)) else math.inf
        worst = max(worst, gap)
        if gap > TOLERANCE:
            differ.append(key)
    return {
        "identical": not missing and not differ,
        "compared": len(set(ours) & set(theirs)),
        "max_abs_difference": worst,
        "only_one_side": missing,
        "different": differ,
    }


def machine(evidently_python: str) -> dict[str, Any]:
    """What the numbers were measured on."""
    model = "?"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next(
            (line.split(":", 1)[1].strip() for line in out.splitlines() if "Model name" in line),
            "?",
        )
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions: dict[str, str] = {"python": platform.python_version()}
    for name in ("duckdb", "fairlearn", "pandas", "numpy", "scipy"):
        try:
            module = __import__(name)
            versions[name] = str(module.__version__)
        except ImportError:
            versions[name] = "not installed"
    try:
        versions["evidently"] = subprocess.run(
            [evidently_python, "-c", "import evidently; print(evidently.__version__)"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        versions["evidently"] = "not installed"
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(mem_gib, 1),
        "load_average_at_start": os.getloadavg(),
        "versions": versions,
    }


def drift(rows: int, args: argparse.Namespace, have_evidently: bool) -> dict[str, Any]:
    me = sys.executable
    ref, cur = (str(p) for p in generate.drift(rows, DATA))
    profile = measure(me, "drift_scan_profile", ref, cur)
    scan = repeated(args.repeat, me, "drift_scan", ref, cur)
    gov = repeated(args.repeat, me, "drift_govern", ref, cur)
    exact = measure(me, "drift_govern_exact", ref, cur)
    if have_evidently and rows <= args.evidently_max_rows:
        evi = measure(args.evidently_python, "drift_evidently", ref, cur)
    else:
        why = "no Evidently venv" if not have_evidently else "above --evidently-max-rows"
        evi = {"task": "drift_evidently", "error": f"skipped ({why})"}
    for r in (scan, gov, exact, evi):
        print("  " + fmt(r))
    if "error" not in profile:
        p = profile["answer"]
        print(
            f"  floor reads {p['rows_scanned']:,} of {p['file_rows']:,} rows and "
            f"{p['bytes_scanned'] / 1e6:,.1f} of {p['column_chunk_bytes'] / 1e6:,.1f} MB "
            "of column chunks"
        )
    speed = ratio(gov, evi, "seconds")
    memory = ratio(gov, evi, "peak_mb")
    floor = ratio(scan, gov, "seconds")
    same = None
    if "error" not in gov and "error" not in evi:
        same = abs(gov["answer"]["share_drifted"] - evi["answer"]["share_drifted"]) < TOLERANCE
    if speed and memory:
        print(f"  govern is {speed:.1f}x faster than Evidently; Evidently peak / govern: "
              f"{memory:.1f}x; same share of drifted columns: {same}")  # fmt: skip
    if floor:
        print(f"  govern / DuckDB scan floor: {floor:.2f}x")
    exact_speed = ratio(exact, evi, "seconds")
    exact_memory = ratio(exact, evi, "peak_mb")
    if exact_speed and exact_memory:
        print(f"  govern exact=True: {exact_speed:.1f}x faster than Evidently; Evidently "
              f"peak / govern: {exact_memory:.1f}x")  # fmt: skip
    return {"scan": scan, "scan_profile": profile, "govern": gov, "govern_exact": exact,
            "evidently": evi, "speedup_vs_evidently": speed,
            "memory_ratio_vs_evidently": memory, "vs_scan_floor": floor,
            "same_share_drifted": same, "exact_speedup_vs_evidently": exact_speed,
            "exact_memory_ratio_vs_evidently": exact_memory,
            "exact_vs_scan_floor": ratio(scan, exact, "seconds")}  # fmt: skip


def fairness(rows: int, args: argparse.Namespace) -> dict[str, Any]:
    me = sys.executable
    path = str(generate.fairness(rows, DATA))
    gov = repeated(args.repeat, me, "fairness_govern", path)
    if rows <= args.fairlearn_max_rows:
        ref = measure(me, "fairness_fairlearn", path)
    else:
        ref = {"task": "fairness_fairlearn", "error": "skipped (above --fairlearn-max-rows)"}
    for r in (gov, ref):
        print("  " + fmt(r))
    speed = ratio(gov, ref, "seconds")
    memory = ratio(gov, ref, "peak_mb")
    check = None
    if "error" not in gov and "error" not in ref:
        check = compare(gov["answer"]["numbers"], ref["answer"]["numbers"])
        print(
            f"  identical numbers: {check['identical']} ({check['compared']} numbers compared, "
            f"largest difference {check['max_abs_difference']:.1e}, tolerance {TOLERANCE:.0e})"
        )
        if not check["identical"]:
            print(f"  DIFFERENT: {check['different'][:10]} only one side: "
                  f"{check['only_one_side'][:10]}")  # fmt: skip
    if speed and memory:
        print(f"  govern is {speed:.1f}x faster than fairlearn; fairlearn peak / govern: "
              f"{memory:.1f}x")  # fmt: skip
    return {"govern": gov, "fairlearn": ref, "speedup_vs_fairlearn": speed,
            "memory_ratio_vs_fairlearn": memory, "check": check}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000,5000000")
    parser.add_argument("--evidently-python", default=str(DEFAULT_EVIDENTLY))
    parser.add_argument("--evidently-max-rows", type=int, default=1_000_000)
    parser.add_argument("--fairlearn-max-rows", type=int, default=5_000_000)
    parser.add_argument("--only", choices=["drift", "fairness"])
    parser.add_argument("--repeat", type=int, default=3, help="runs of govern and the floor")
    parser.add_argument("--json", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    DATA.mkdir(exist_ok=True)
    have_evidently = Path(args.evidently_python).exists()
    started = dt.datetime.now(dt.UTC)
    report: dict[str, Any] = {"started": started.isoformat(timespec="seconds"),
                              "machine": machine(args.evidently_python), "repeat": args.repeat,
                              "sizes": []}  # fmt: skip
    failed = False
    for rows in sizes:
        load = os.getloadavg()
        print(f"\n== {rows:,} rows (load average {load[0]:.1f})", flush=True)
        entry: dict[str, Any] = {"rows": rows, "load_average_before": load}
        if args.only in (None, "drift"):
            entry["drift"] = drift(rows, args, have_evidently)
        if args.only in (None, "fairness"):
            entry["fairness"] = fairness(rows, args)
            check = entry["fairness"]["check"]
            failed = failed or (check is not None and not check["identical"])
        report["sizes"].append(entry)
        sys.stdout.flush()
    report["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {args.json}")
    if failed:
        print("FAILED: govern's fairness numbers differ from fairlearn's", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
