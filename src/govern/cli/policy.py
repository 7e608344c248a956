"""``govern policy lint PATH...`` and ``govern policy schema``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from govern.cli.common import (
    EXIT_INPUT,
    OutputFormat,
    err_console,
    handle_errors,
    write_output,
)

policy_app = typer.Typer(
    help=(
        "Policy files: validate them and print their JSON Schema.\n\n"
        "Examples:\n\n"
        "  govern policy lint policies/\n\n"
        "  govern policy lint policies/credit.yaml --format json\n\n"
        "  govern policy schema > policy.schema.json"
    ),
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the command group to the app."""
    app.add_typer(policy_app, name="policy")


@policy_app.command("lint")
@handle_errors
def lint_command(
    paths: Annotated[list[Path], typer.Argument(help="Policy/waiver files or folders.")],
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.")
    ] = OutputFormat.table,
) -> None:
    """Validate policy, rule-set and waiver files; every problem with file and line.

    Exit 0 when every file is valid, 2 otherwise.
    """
    from govern.policy.loader import lint

    results = lint(paths)
    if not results:
        err_console.print("no .yaml/.yml files found in " + ", ".join(map(str, paths)))
        raise typer.Exit(EXIT_INPUT)
    bad = {p: probs for p, probs in results.items() if probs}
    if output_format is OutputFormat.json:
        write_output(
            json.dumps(
                {
                    "schema": "govern.lint/v1",
                    "valid": not bad,
                    "files": [
                        {"path": str(p), "valid": not probs, "problems": probs}
                        for p, probs in results.items()
                    ],
                },
                indent=2,
            ),
            None,
        )
    else:
        lines = []
        for path, problems in results.items():
            lines.append(f"{'FAIL' if problems else 'ok  '} {path}")
            lines.extend(f"  {p}" for p in problems)
        count = sum(len(p) for p in bad.values())
        lines.append(
            f"{len(results)} files, {len(bad)} invalid, {count} problems."
            if bad
            else f"{len(results)} files, all valid."
        )
        write_output("\n".join(lines), None)
    raise typer.Exit(EXIT_INPUT if bad else 0)


@policy_app.command("schema")
@handle_errors
def schema_command(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the schema to this file.")
    ] = None,
) -> None:
    """Print the JSON Schema of policy, rule-set and waiver files."""
    from govern.policy.schema import policy_schema

    write_output(json.dumps(policy_schema(), indent=2, sort_keys=True), output)
