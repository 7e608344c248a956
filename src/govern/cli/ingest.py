"""``govern ingest PATH...``."""

from __future__ import annotations

import inspect
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand

from govern.cli.common import (
    FormatOption,
    OutputFormat,
    OutputOption,
    err_console,
    handle_errors,
    settings,
    stdout_width,
)
from govern.cli.common import write_output as write
from govern.errors import UsageError

if TYPE_CHECKING:
    from govern.ingest.pipeline import IngestReport
    from govern.store.store import Store

_HELP = (
    "Load exports into the store. Formats are detected by content; folders are walked.\n\n"
    "Everything is read before anything is written, and written in one transaction: bad "
    "input leaves the store as it was. Ingesting the same bytes again changes nothing.\n\n"
    "Formats: {formats}"
    "\n\nExamples:\n\n"
    "  govern ingest mlflow.db\n\n"
    "  govern ingest mlruns/\n\n"
    "  govern ingest export/ --skip-invalid   # skip files that are not valid JSON\n\n"
    "  govern ingest describe-model-package.json --format json\n\n"
    "  govern ingest train.parquet --model credit-risk --role reference \\\n"
    "      --timestamp ts --prediction approved --score score --label default \\\n"
    "      --sensitive sex --sensitive age_band\n\n"
    "  govern ingest logs/2026-10/ --model credit-risk --version 2 --role current \\\n"
    "      --timestamp ts --prediction approved --score score --label default\n\n"
    "  govern ingest capture/ actuals.jsonl --model churn --role current   # Data Capture\n\n"
    "  govern ingest logs/ -m credit-risk --role current -p policies/\n\n"
    "  govern ingest logs/ -m credit-risk --role current -p policies/ --label y\n\n"
    "Prediction logs (Parquet, CSV, JSON Lines) are loaded only with --model and --role; the "
    "mapped columns must exist, timestamps (ISO-8601 or epoch s/ms) must all parse. With "
    "--policy, the columns come from the data: mapping of the policy whose scope.models "
    "matches --model; each column option given overrides the policy's for its role (the "
    "last example takes the label from column y, every other column from the policy)."
)

LogOption = typer.Option  # a short alias for the long list of mapping options below


def ingest_help() -> str:
    """The command's help, which lists every format: it imports every adapter to say so."""
    from govern.ingest.registry import ADAPTERS

    formats = "; ".join(f"{a.name} ({a.description})" for a in ADAPTERS.values())
    return _HELP.format(formats=formats)


class IngestCommand(TyperCommand):
    """``govern ingest``, whose help is made when it is shown, not when govern starts.

    Every command of govern is built at start-up; importing every ingest adapter for this
    help text would slow down every other command (``govern gate`` in CI above all).
    """

    @property
    def help(self) -> str:
        """The help text (:func:`ingest_help`)."""
        return inspect.cleandoc(ingest_help())  # as Typer cleans a help text

    @help.setter
    def help(self, _value: str | None) -> None:
        """Typer sets the help when it builds the command; :func:`ingest_help` makes it."""


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command(name="ingest", cls=IngestCommand)(ingest_command)


@handle_errors
def ingest_command(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to load.")],
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid",
            help="In walked folders, skip files that are not valid JSON instead of stopping.",
        ),
    ] = False,
    output_format: FormatOption = OutputFormat.table,
    output: OutputOption = None,
    model: Annotated[
        str | None,
        LogOption(
            "--model",
            "-m",
            help="Prediction logs and monitoring reports: the model they are about.",
        ),
    ] = None,
    version: Annotated[
        str | None,
        LogOption("--version", help="Prediction logs and monitoring reports: the model version."),
    ] = None,
    role: Annotated[
        str | None,
        LogOption("--role", help="Prediction logs: reference (e.g. training data) or current."),
    ] = None,
    timestamp: Annotated[str | None, LogOption("--timestamp", help="Timestamp column.")] = None,
    prediction: Annotated[
        str | None, LogOption("--prediction", help="Predicted label/decision column.")
    ] = None,
    score: Annotated[str | None, LogOption("--score", help="Score/probability column.")] = None,
    label: Annotated[str | None, LogOption("--label", help="Ground-truth label column.")] = None,
    record_id: Annotated[
        str | None, LogOption("--id", help="Prediction/request id column.")
    ] = None,
    version_column: Annotated[
        str | None, LogOption("--version-column", help="Column holding the model version.")
    ] = None,
    sensitive: Annotated[
        list[str] | None, LogOption("--sensitive", help="Sensitive attribute column (repeat).")
    ] = None,
    feature: Annotated[
        list[str] | None,
        LogOption("--feature", help="Feature column (repeat; default: every unmapped column)."),
    ] = None,
    policy: Annotated[
        list[Path] | None,
        LogOption(
            "--policy",
            "-p",
            help="Prediction logs: take the columns from the data: mapping of the policy "
            "(file or folder, repeatable) whose scope.models matches --model; column options "
            "override it.",
        ),
    ] = None,
    sample_size: Annotated[
        int | None,
        LogOption(
            "--sample-size",
            help="CSV and JSON Lines prediction logs: rows read to infer column types "
            "(DuckDB's default 20480; -1 reads the whole file, for a column whose type "
            "changes further down).",
            min=-1,
            show_default=False,
        ),
    ] = None,
) -> None:
    """Load exports into the store."""
    options = settings(ctx)
    if role is not None and role not in ("reference", "current"):
        raise UsageError(f"--role must be 'reference' or 'current', not {role!r}.")
    flags = {
        "timestamp": timestamp,
        "prediction": prediction,
        "score": score,
        "label": label,
        "id": record_id,
        "model_version": version_column,
        "sensitive": sensitive,
        "features": feature,
        "sample_size": sample_size,
    }
    log_options = _log_options(policy, model=model, version=version, role=role, flags=flags)
    from govern.formats import ingest as fmt
    from govern.ingest.pipeline import discover
    from govern.store import predictions
    from govern.store.store import Store

    # fail fast, before opening the store
    units, _ = discover(paths, skip_invalid=skip_invalid, options=log_options)
    with Store.open(options.db) as store:
        report = _run(store, paths, skip_invalid, len(units), log_options)
        shas = [u.sha256 for u in report.loaded]
        logs = predictions.logs(store, sources=shas) if shas else []
    if output_format is OutputFormat.json:
        write(fmt.render_json(report, logs), output)
    else:
        write(fmt.render_table(report, logs, width=stdout_width()), output)


def _log_options(
    policy: list[Path] | None,
    *,
    model: str | None,
    version: str | None,
    role: str | None,
    flags: dict[str, Any],
) -> dict[str, Any]:
    """The prediction-log options: the policy's data: mapping (with --policy), then the flags."""
    from govern.policy.data import log_options, policy_mapping

    mapping: dict[str, Any] = {}
    if policy:
        if not model:
            raise UsageError("--policy picks the policy by the model it applies to: give --model.")
        from govern.policy.loader import load

        given = [key for key, value in flags.items() if value]
        where = ", ".join(str(p) for p in policy)
        mapping = policy_mapping(load(policy).policies, model, where=where, given=given)
    return log_options(mapping, model=model, role=role, version=version, overrides=flags)


def _run(
    store: Store, paths: list[Path], skip_invalid: bool, total: int, options: dict[str, Any]
) -> IngestReport:
    from govern.ingest.pipeline import ingest

    now = datetime.now(UTC)
    if not sys.stderr.isatty() or total < 3:
        return ingest(
            store, paths, now=now, skip_invalid=skip_invalid, options=options, record=True
        )
    from rich.progress import BarColumn, Progress, TextColumn

    with Progress(
        TextColumn("reading"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} {task.description}"),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=total)

        def step(path: str) -> None:
            bar.update(task, advance=1, description=Path(path).name)

        return ingest(
            store,
            paths,
            now=now,
            skip_invalid=skip_invalid,
            progress=step,
            options=options,
            record=True,
        )
