"""Start-up benchmark: `govern --help` and a lineage-only `govern gate`, each in a fresh process,
beside a bare `python -c "import duckdb, typer"` measured in the same run (issue 10, item 6).

    python benchmarks/startup.py [--repeat 15] [--json PATH]

Bytecode caches are allowed (a warm-up run writes them), as on any installed copy. The three
commands run interleaved (help, gate, bare, help, ...) so that a busy machine slows
all of them alike; each is reported by its median wall time and the ratios to the bare import
(the targets), and by its median CPU time, which a machine busy with other work disturbs less.
Targets: `govern --help` <= 1.5x and the gate <= 3x the bare import. The run also records which
heavy libraries each command imported (none may: numpy, scipy, pandas, fairlearn, shap,
weasyprint, sklearn) and exits 1 when a target is missed or a heavy library was imported.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
EXPORTS = ROOT / "src" / "govern" / "data" / "demo" / "exports"
HEAVY = ("numpy", "scipy", "pandas", "fairlearn", "shap", "weasyprint", "sklearn")
TARGETS = {"help": 1.5, "gate": 3.0}

POLICY = """\
apiVersion: govern/v1
kind: Policy
metadata: {id: lineage, version: 1, owner: risk@example.com}
scope: {models: ["credit-*"]}
rules:
  - id: repro.lineage
    check: reproducibility
    require: [run, git_commit, params]
"""

#: Runs the command like the console script, then prints the heavy modules it imported.
PROBE = """
import json, sys
sys.argv = ["govern", *json.loads(sys.argv[1])]
from govern.cli.main import run
try:
    run()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in %r if m in sys.modules)), file=sys.stderr)
""" % (HEAVY,)


def _govern() -> str:
    return str(Path(sys.executable).with_name("govern"))


#: As on a user's machine, Python may cache bytecode: with PYTHONDONTWRITEBYTECODE set (as in
#: some sandboxes) every run would compile govern's sources again, which no installed copy does.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _time(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall time of the command, and the CPU time (user + system) it used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, capture_output=True, check=False, env=ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _heavy(args: list[str], cwd: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        cwd=cwd, capture_output=True, text=True, check=False,
    )  # fmt: skip
    return list(json.loads(done.stderr.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--json", type=Path, default=RESULTS / "startup-latest.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        db = work / "store.duckdb"
        subprocess.run([_govern(), "--db", str(db), "ingest", str(EXPORTS)], check=True,
                       capture_output=True)  # fmt: skip
        (work / "policies").mkdir()
        (work / "policies" / "lineage.yaml").write_text(POLICY)
        gate_args = ["--db", str(db), "gate", "credit-risk", "2", "-p", "policies"]
        commands = {
            "help": [_govern(), "--help"],
            "gate": [_govern(), *gate_args],
            "bare": [sys.executable, "-c", "import duckdb, typer"],
        }
        for command in commands.values():  # warm the file cache once
            _time(command, work)
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        load = os.getloadavg()
        for _ in range(args.repeat):
            for name, command in commands.items():
                wall, used = _time(command, work)
                times[name].append(wall)
                cpu[name].append(used)
        heavy = {"help": _heavy(["--help"], work), "gate": _heavy(gate_args, work)}
    medians = {name: statistics.median(values) for name, values in times.items()}
    ratios = {name: medians[name] / medians["bare"] for name in TARGETS}
    cpu_medians = {name: statistics.median(values) for name, values in cpu.items()}
    cpu_ratios = {name: cpu_medians[name] / cpu_medians["bare"] for name in TARGETS}
    report = {
        "load_average": [load, os.getloadavg()],
        "repeat": args.repeat,
        "median_seconds": medians,
        "spread_seconds": {n: [min(v), max(v)] for n, v in times.items()},
        "ratio_to_bare_import": ratios,
        "median_cpu_seconds": cpu_medians,
        "cpu_ratio_to_bare_import": cpu_ratios,
        "targets": TARGETS,
        "heavy_imports": heavy,
    }
    failed = False
    for name, target in TARGETS.items():
        ok = ratios[name] <= target and not heavy[name]
        failed = failed or not ok
        print(f"{name:5} {medians[name]:.3f} s  {ratios[name]:.2f}x bare import "
              f"(target <= {target}x)  heavy imports: {heavy[name] or 'none'}  "
              f"{'ok' if ok else 'MISSED'}")  # fmt: skip
    print(f"bare  {medians['bare']:.3f} s  (python -c 'import duckdb, typer')")
    print("CPU time (user + system), less disturbed by a busy machine: "
          + ", ".join(f"{n} {cpu_ratios[n]:.2f}x" for n in TARGETS)
          + f" (bare {cpu_medians['bare']:.3f} s); load average before and after: "
          + " / ".join(f"{a[0]:.1f}" for a in report["load_average"]))  # fmt: skip
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
