"""Print the Markdown result tables of a benchmarks/run.py JSON file (as in the README).

python benchmarks/table.py benchmarks/results/2026-12-01.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _cell(result: dict[str, Any]) -> tuple[str, str]:
    if "error" in result:
        return (result["error"], "")
    runs = result.get("runs_seconds")
    spread = f" ({min(runs):.2f}–{max(runs):.2f})" if runs and len(runs) > 1 else ""
    return (f"{result['seconds']:.2f}{spread}", f"{result['peak_mb']:,.0f}")


def _x(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}×"


def drift_table(sizes: list[dict[str, Any]]) -> str:
    """Wall time (median and spread of the repeats) and peak memory of the drift tasks."""
    time_head = (
        "| rows | DuckDB floor s | govern s | govern exact=True s | Evidently s "
        "| speed-up vs Evidently | govern / floor | same share drifted |\n|" + "---|" * 8
    )
    memory_head = (
        "| rows | floor MB | govern MB | govern exact=True MB | Evidently MB "
        "| Evidently MB / govern MB | ... with exact=True |\n|" + "---|" * 7
    )
    times, memory = [time_head], [memory_head]
    for e in sizes:
        d = e.get("drift")
        if not d:
            continue
        (fs, fm), (gs, gm), (xs, xm), (es, em) = (
            _cell(d.get(k, {"error": "not measured"}))
            for k in ("scan", "govern", "govern_exact", "evidently")
        )
        times.append(
            f"| {e['rows']:,} | {fs} | {gs} | {xs} | {es} | {_x(d['speedup_vs_evidently'])} "
            f"| {_x(d['vs_scan_floor'], 2)} | {d['same_share_drifted']} |"
        )
        memory.append(
            f"| {e['rows']:,} | {fm} | {gm} | {xm} | {em} "
            f"| {_x(d['memory_ratio_vs_evidently'])} "
            f"| {_x(d.get('exact_memory_ratio_vs_evidently'))} |"
        )
    return "\n".join(times) + "\n\n" + "\n".join(memory)


def fairness_table(sizes: list[dict[str, Any]]) -> str:
    head = (
        "| rows | govern s | fairlearn s | govern MB | fairlearn MB | speed-up "
        "| fairlearn MB / govern MB | identical numbers |\n|" + "---|" * 8
    )
    lines = [head]
    for e in sizes:
        f = e.get("fairness")
        if not f:
            continue
        (gs, gm), (rs, rm) = (_cell(f[k]) for k in ("govern", "fairlearn"))
        check = f["check"]
        same = (
            "–"
            if check is None
            else (
                f"{check['identical']} ({check['compared']} numbers, largest difference "
                f"{check['max_abs_difference']:.0e})"
            )
        )
        lines.append(
            f"| {e['rows']:,} | {gs} | {rs} | {gm} | {rm} | {_x(f['speedup_vs_fairlearn'])} "
            f"| {_x(f['memory_ratio_vs_fairlearn'])} | {same} |"
        )
    return "\n".join(lines)


def main() -> None:
    report = json.loads(Path(sys.argv[1]).read_text())
    print(drift_table(report["sizes"]))
    print()
    print(fairness_table(report["sizes"]))


if __name__ == "__main__":
    main()
