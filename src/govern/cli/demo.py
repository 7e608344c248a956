"""``govern demo``: the whole loop on bundled real exports."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from govern.cli.common import err_console, handle_errors, settings, stdout_width, write_output


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command(name="demo")(demo_command)


def _step(text: str) -> None:
    err_console.print(f"\n== {text}", style="bold cyan")


@handle_errors
def demo_command(
    ctx: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option(
            "--demo-db",
            help="Store for the demo (default .govern/demo.duckdb; recreated on every run).",
        ),
    ] = None,
) -> None:
    """Run govern end to end on bundled real exports (offline).

    Loads an MLflow 3 FileStore, a SageMaker model package and Databricks mlflow-export-import
    exports shipped with govern into a fresh demo store, prints the inventory with its lineage
    gaps, then gates two versions of credit-risk with the bundled example policies: one
    passes, one is blocked, and the reasons are printed. Exits 0 when the demo ran.
    """
    from govern.demo import DEMO_GATES, demo_inputs, demo_policies, reset_store
    from govern.formats import findings as findings_fmt
    from govern.formats import ingest as ingest_fmt
    from govern.formats import inventory as inventory_fmt
    from govern.ingest.pipeline import ingest
    from govern.inventory import inventory
    from govern.policy.engine import evaluate
    from govern.policy.loader import load
    from govern.store import ledger
    from govern.store.store import Store

    path = db or settings(ctx).db.parent / "demo.duckdb"
    reset_store(path)
    inputs = demo_inputs()
    now = datetime.now(UTC)
    with Store.open(path) as store:
        _step(f"1. ingest {len(inputs)} bundled exports into {path}")
        report = ingest(store, inputs, now=now)
        write_output(ingest_fmt.render_table(report, width=stdout_width()), None)

        _step("2. inventory: every model version and its lineage gaps (govern models)")
        write_output(inventory_fmt.render_table(inventory(store), width=stdout_width()), None)

        policies = load([demo_policies()])
        for number, (model, version) in enumerate(DEMO_GATES, start=3):
            result = evaluate(store, policies, now=now, model=model, version=version, gate=True)
            applied = sorted({f.policy for f in result.findings})
            _step(
                f"{number}. gate {model} version {version} against policies "
                + ", ".join(applied)
                + f" (govern gate {model} {version})"
            )
            entry = ledger.append(
                store,
                kind="gate",
                subject=f"{model}@{version}",
                decision=result.decision.value,
                payload={"summary": result.summary(), "demo": True},
                now=now,
            )
            write_output(findings_fmt.render_table(result, width=stdout_width()), None)
            verdict = "PASS: may be promoted" if not result.failing() else "FAIL: blocked"
            err_console.print(
                f"{model} v{version}: {verdict} (exit code {1 if result.failing() else 0} in "
                f"CI); ledger entry {entry.seq} {entry.hash[:16]}",
                style="bold green" if not result.failing() else "bold red",
            )
            for f in result.failing():
                err_console.print(f"  why: {f.rule}: {f.message}", style="red")
        head = ledger.verify(store)
    count, digest = (head.seq, head.hash[:16]) if head else (0, "-")
    _step(f"ledger verified: {count} entries, head {digest}")
    err_console.print(f"Explore the demo store: govern --db {path} models", style="bold")
