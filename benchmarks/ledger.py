"""Ledger benchmark: the tail check every append runs, against a full verification (issue 12).

    python benchmarks/ledger.py [--entries 10000] [--repeat 5] [--json PATH]

Builds a ledger of ``--entries`` gate entries (payloads the size of a real gate's) in a
temporary store, then times, by the median of ``--repeat`` runs:

- ``check_tail``: what :func:`govern.store.ledger.append` checks before linking: one SQL query
  over the whole chain (no gap in ``seq``, every ``prev_hash`` equal to the hash before it) and
  the last entry's hash recomputed;
- ``verify``: every hash recomputed from its RFC 8785 JSON (``govern ledger verify``);
- ``append``: one append, tail check included.

The numbers behind the choice documented in ``govern.store.ledger``: the tail check stays in
milliseconds while a full verification grows linearly with the ledger, so the full
recomputation is left to ``govern ledger verify``. Timings depend on the machine; the script
prints them and asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import rfc8785

from govern.store import Store, ledger

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def gate_payload(i: int) -> dict[str, Any]:
    """A payload shaped like a real gate entry's."""
    return {
        "policies": [
            {
                "id": "credit-production",
                "version": "4",
                "path": "policies/credit-risk.yaml",
                "sha256": f"{i:064x}",
                "kind": "Policy",
            }
        ],
        "summary": {"pass": 19, "fail": 5, "waived": 0, "not_evaluated": 1},
        "fail_on": "block",
        "strict": False,
        "failing": ["governance.validated", "perf.auc"],
        "waived": [],
    }


def build(store: Store, count: int) -> None:
    """Write ``count`` chained entries in one transaction (hashes as ``append`` makes them)."""
    at = NOW.strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # how the ledger writes a time
    prev = ledger.GENESIS
    columns: list[list[Any]] = [[] for _ in range(9)]
    for seq in range(1, count + 1):
        payload = gate_payload(seq)
        subject = f"credit-risk@{seq}"
        digest = ledger.entry_hash(seq, at, "ci", "gate", subject, "pass", payload, prev)
        text = rfc8785.dumps(payload).decode()
        row = (seq, NOW.replace(tzinfo=None), "ci", "gate", subject, "pass", text, prev, digest)
        for column, value in zip(columns, row, strict=True):
            column.append(value)
        prev = digest
    # one statement: each column bound as a list and unnested side by side
    unnested = ", ".join(f"unnest(${n})" for n in range(1, 10))
    with store.transaction():
        store.con.execute(f"INSERT INTO ledger SELECT {unnested}", columns)


def median_seconds(task: Callable[[], object], repeat: int) -> float:
    """The median wall time of ``repeat`` runs of ``task``."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        task()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    """Run the benchmark and print (and optionally save) the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, Store.open(Path(folder) / "g.duckdb") as store:
        build(store, args.entries)
        results = {
            "entries": args.entries,
            "check_tail_s": median_seconds(lambda: ledger.check_tail(store), args.repeat),
            "verify_s": median_seconds(lambda: ledger.verify(store), args.repeat),
        }

        def one_append() -> None:
            ledger.append(
                store, kind="gate", subject="m@1", decision="pass", payload={}, now=NOW, who="ci"
            )

        results["append_s"] = median_seconds(one_append, args.repeat)
    print(f"ledger of {results['entries']:,} entries (median of {args.repeat} runs):")
    print(f"  tail check (append's)  {results['check_tail_s'] * 1000:8.1f} ms")
    print(f"  one append             {results['append_s'] * 1000:8.1f} ms")
    print(f"  full verification      {results['verify_s'] * 1000:8.1f} ms")
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
