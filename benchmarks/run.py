"""Benchmarks: govern vs Evidently (drift) and fairlearn (fairness), and the DuckDB scan floor.

    python benchmarks/run.py [--sizes 100000,1000000,5000000] [--evidently-python PATH]
                             [--evidently-max-rows N] [--only drift|fairness]

Each task runs in a fresh process (wall time and peak resident memory of that process alone)
on the same generated Parquet files (benchmarks/data/, created once, seeded). Prints a table
with the ratios the issues set as targets and writes benchmarks/results/latest.json.
Targets: drift at 1M rows >= 20x faster than Evidently with <= 1/4 of its peak memory and
within 3x of the DuckDB scan floor; fairness at 1M rows >= 20x faster than fairlearn with less
peak memory and identical numbers.
"""

from __future__ import annotations

import argparse
import json
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


def fmt(result: dict[str, Any]) -> str:
    if "error" in result:
        return f"{result['task']}: {result['error']}"
    return f"{result['task']}: {result['seconds']:.2f} s, peak {result['peak_mb']:.0f} MB"


def ratio(a: dict[str, Any], b: dict[str, Any], key: str) -> float | None:
    if "error" in a or "error" in b or not a.get(key):
        return None
    return float(b[key]) / float(a[key])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000,5000000")
    parser.add_argument("--evidently-python", default=str(DEFAULT_EVIDENTLY))
    parser.add_argument("--evidently-max-rows", type=int, default=1_000_000)
    parser.add_argument("--fairlearn-max-rows", type=int, default=5_000_000)
    parser.add_argument("--only", choices=["drift", "fairness"])
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    DATA.mkdir(exist_ok=True)
    RESULTS.mkdir(exist_ok=True)
    me = sys.executable
    have_evidently = Path(args.evidently_python).exists()
    report: list[dict[str, Any]] = []
    for rows in sizes:
        print(f"\n== {rows:,} rows", flush=True)
        entry: dict[str, Any] = {"rows": rows}
        if args.only in (None, "drift"):
            ref, cur = (str(p) for p in generate.drift(rows, DATA))
            scan = measure(me, "drift_scan", ref, cur)
            gov = measure(me, "drift_govern", ref, cur)
            if have_evidently and rows <= args.evidently_max_rows:
                evi = measure(args.evidently_python, "drift_evidently", ref, cur)
            else:
                why = "no Evidently venv" if not have_evidently else "above --evidently-max-rows"
                evi = {"task": "drift_evidently", "error": f"skipped ({why})"}
            for r in (scan, gov, evi):
                print("  " + fmt(r))
            speed = ratio(gov, evi, "seconds")
            memory = ratio(gov, evi, "peak_mb")
            floor = ratio(scan, gov, "seconds")
            print(
                f"  govern is {speed:.1f}x faster than Evidently"
                if speed
                else "  (no Evidently ratio)",
            )
            if memory:
                print(f"  Evidently peak memory / govern: {memory:.1f}x")
            if floor:
                print(f"  govern / DuckDB scan floor: {floor:.2f}x")
            entry["drift"] = {"scan": scan, "govern": gov, "evidently": evi,
                              "speedup_vs_evidently": speed, "memory_ratio": memory,
                              "vs_scan_floor": floor}  # fmt: skip
        if args.only in (None, "fairness"):
            path = str(generate.fairness(rows, DATA))
            gov = measure(me, "fairness_govern", path)
            if rows <= args.fairlearn_max_rows:
                ref_result = measure(me, "fairness_fairlearn", path)
            else:
                ref_result = {"task": "fairness_fairlearn", "error": "skipped (above max rows)"}
            for r in (gov, ref_result):
                print("  " + fmt(r))
            speed = ratio(gov, ref_result, "seconds")
            memory = ratio(gov, ref_result, "peak_mb")
            same = (
                "error" not in gov and "error" not in ref_result
                and abs(gov["answer"]["dpd"] - ref_result["answer"]["dpd"]) < 1e-9
                and abs(gov["answer"]["eod"] - ref_result["answer"]["eod"]) < 1e-9
            )  # fmt: skip
            if speed:
                print(
                    f"  govern is {speed:.1f}x faster than fairlearn; "
                    f"fairlearn peak memory / govern: {memory:.1f}x; identical numbers: {same}"
                )
            entry["fairness"] = {"govern": gov, "fairlearn": ref_result,
                                 "speedup_vs_fairlearn": speed, "memory_ratio": memory,
                                 "identical": same}  # fmt: skip
        report.append(entry)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {RESULTS / 'latest.json'}")


if __name__ == "__main__":
    main()
