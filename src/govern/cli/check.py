"""``govern check`` and ``govern gate MODEL VERSION``."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from govern import __version__
from govern.cli import output as output_module
from govern.cli.attest import stage_gate_attestation
from govern.cli.common import (
    EXIT_OK,
    EXIT_POLICY,
    OutputOption,
    err_console,
    handle_errors,
    settings,
    stdout_width,
    write_output,
)
from govern.cli.keys import (
    CertOption,
    ChainOption,
    KeyOption,
    PassphraseOption,
    load_signer,
)
from govern.errors import UsageError
from govern.models import CheckResult, Severity

if TYPE_CHECKING:
    from govern.policy.loader import PolicySet


class CheckFormat(StrEnum):
    """Output formats of check results."""

    table = "table"
    json = "json"
    junit = "junit"
    sarif = "sarif"
    markdown = "markdown"


PolicyOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--policy",
        "-p",
        help="Policy file or folder (repeatable; default: ./policies). Waiver files found "
        "there are used too.",
    ),
]
WaiverOption = Annotated[
    list[Path] | None, typer.Option("--waivers", "-w", help="Waiver file or folder (repeatable).")
]
FormatOption = Annotated[CheckFormat, typer.Option("--format", "-f", help="Output format.")]
FailOnOption = Annotated[
    Severity,
    typer.Option(
        "--fail-on", help="Exit 1 when a finding fails at or above this severity (block|warn|info)."
    ),
]
StrictOption = Annotated[
    bool,
    typer.Option("--strict", help="Count not_evaluated findings (missing evidence) as failures."),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Evaluate as of this date (YYYY-MM-DD, UTC) for waiver expiry; default: now.",
    ),
]


TrustModelOption = Annotated[
    bool,
    typer.Option(
        "--trust-model",
        help="Explainability: load pickle/cloudpickle models (they run code when loaded).",
    ),
]
ArtifactRootOption = Annotated[
    list[str] | None,
    typer.Option(
        "--artifact-root",
        help="Explainability: read artefacts under URI prefix OLD from NEW (OLD=NEW, repeatable).",
    ),
]


def explain_options(trust_model: bool, artifact_root: list[str] | None) -> None:
    """Set how ``check: explainability`` finds and loads models for this command."""
    from govern.explain.loading import OPTIONS, LoadOptions, parse_roots

    try:
        roots = parse_roots(artifact_root or [])
    except ValueError as exc:
        raise UsageError(f"{exc}.", hint="Give --artifact-root as OLD=NEW, e.g. "
                         "file:///srv/mlruns=/mnt/mlruns.") from exc  # fmt: skip
    OPTIONS.set(LoadOptions(trust_model=trust_model, artifact_roots=roots))
    if err_console.is_terminal:
        from govern.explain.shap_values import PROGRESS

        def progress(what: str, done: int, total: int) -> None:
            end = "\n" if done >= total else "\r"
            err_console.print(f"SHAP: {what} {done}/{total} rows", end=end, highlight=False)

        PROGRESS.set(progress)


def register(app: typer.Typer) -> None:
    """Add the commands to the app."""
    app.command(name="check", help=CHECK_HELP)(check_command)
    app.command(name="gate", help=GATE_HELP)(gate_command)


CHECK_HELP = (
    "Evaluate policies against every model version in scope and print the findings.\n\n"
    "Exit code 0 when no finding fails at or above --fail-on, 1 when one does, 2 on bad "
    "input.\n\n"
    "Examples:\n\n"
    "  govern check\n\n"
    "  govern check --policy policies/credit.yaml --model credit-risk\n\n"
    "  govern check --format sarif --output govern.sarif\n\n"
    "  govern check --format junit -o govern-junit.xml --fail-on warn"
)
GATE_HELP = (
    "The CI gate for one model version: evaluate every policy whose scope.models matches the "
    "model (whatever its current stage or aliases: the question is whether it may be "
    "promoted), print a short summary, record the decision in the ledger, and exit 0 (pass) "
    "or 1 (fail).\n\n"
    "Examples:\n\n"
    "  govern gate credit-risk 4\n\n"
    "  govern gate credit-risk 4 --format junit --output gate.xml\n\n"
    "  govern gate credit-risk 4 --waivers waivers.yaml --format markdown -o comment.md\n\n"
    "  govern gate credit-risk 4 --attest gate.sigstore.json   # signed SLSA verification summary"
)


def as_of_time(as_of: str | None) -> datetime:
    """``--as-of YYYY-MM-DD`` as noon UTC of that day; now without it."""
    if as_of is None:
        return datetime.now(UTC)
    try:
        day = date.fromisoformat(as_of)
    except ValueError as exc:
        raise UsageError(f"--as-of {as_of!r} is not a date (YYYY-MM-DD).") from exc
    return datetime.combine(day, time(12, 0), tzinfo=UTC)


def load_policies(policy: list[Path] | None, waivers: list[Path] | None) -> PolicySet:
    """The ``--policy`` files or folders (default ``./policies``) and ``--waivers``."""
    from govern.policy.loader import load  # imported here: `govern --help` stays fast

    paths = policy or [Path("policies")]
    if not policy and not paths[0].exists():
        raise UsageError(
            "no --policy given and there is no ./policies folder.",
            hint="Pass --policy FILE_OR_FOLDER (see `govern policy lint --help`).",
        )
    return load(paths, waivers or [])


def render(result: CheckResult, output_format: CheckFormat, policies: PolicySet) -> str:
    """Render a check result in the chosen format."""
    # each formatter imported on use: a gate prints one format
    if output_format is CheckFormat.table:
        from govern.formats import findings

        return findings.render_table(result, width=stdout_width())
    if output_format is CheckFormat.json:
        from govern.formats import findings

        return findings.render_json(result)
    if output_format is CheckFormat.junit:
        from govern.formats import junit

        return junit.render_junit(result)
    if output_format is CheckFormat.sarif:
        from govern.formats import sarif

        rules = {r.id: r for p in policies.policies for r in p.rules}
        paths = {rid: _relative(r.source.rsplit(":", 1)[0]) for rid, r in rules.items()}
        lines = {rid: int(r.source.rsplit(":", 1)[1]) for rid, r in rules.items()}
        return sarif.render_sarif(
            result, tool_version=__version__, policy_paths=paths, rule_lines=lines
        )
    if output_format is CheckFormat.markdown:
        from govern.formats import markdown

        return markdown.render_markdown(result)
    raise AssertionError(output_format)


def _relative(path: str) -> str:
    """A policy path relative to the working folder (SARIF viewers resolve it in the repo)."""
    try:
        return Path(path).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path


def _take_back(staged: list[output_module.Staged]) -> None:
    """The entry was not recorded: take a published output back, or say that it is out."""
    for done in staged:
        if not done.retract():
            err_console.print(
                f"warning: the gate's output went to {done.where()}, but its ledger entry "
                "could not be recorded.",
                style="yellow",
            )
        done.discard()


def _warn(result: CheckResult) -> None:
    for warning in result.warnings:
        err_console.print(f"warning: {warning}", style="yellow")


@handle_errors
def check_command(
    ctx: typer.Context,
    policy: PolicyOption = None,
    waivers: WaiverOption = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Only this model.")] = None,
    version: Annotated[
        str | None, typer.Option("--version", help="Only this version (with --model).")
    ] = None,
    output_format: FormatOption = CheckFormat.table,
    output: OutputOption = None,
    fail_on: FailOnOption = Severity.block,
    strict: StrictOption = False,
    as_of: AsOfOption = None,
    trust_model: TrustModelOption = False,
    artifact_root: ArtifactRootOption = None,
) -> None:
    """Evaluate policies and print findings."""
    from govern.policy.engine import evaluate
    from govern.store.store import Store

    if version is not None and model is None:
        raise UsageError("--version needs --model.")
    explain_options(trust_model, artifact_root)
    policies = load_policies(policy, waivers)
    with Store.open(settings(ctx).db, read_only=True) as store:
        result = evaluate(
            store,
            policies,
            now=as_of_time(as_of),
            model=model,
            version=version,
            fail_on=fail_on,
            strict=strict,
        )
    write_output(render(result, output_format, policies), output)
    _warn(result)
    raise typer.Exit(EXIT_POLICY if result.failing() else EXIT_OK)


@handle_errors
def gate_command(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="Registered model name.")],
    version: Annotated[str, typer.Argument(help="Model version to gate.")],
    policy: PolicyOption = None,
    waivers: WaiverOption = None,
    output_format: FormatOption = CheckFormat.table,
    output: OutputOption = None,
    fail_on: FailOnOption = Severity.block,
    strict: StrictOption = False,
    as_of: AsOfOption = None,
    attest: Annotated[
        Path | None,
        typer.Option(
            "--attest",
            help="Also write the decision as a signed in-toto statement (SLSA verification "
            "summary) in a Sigstore bundle to this file, with the ledger entry.",
        ),
    ] = None,
    key: KeyOption = None,
    cert: CertOption = None,
    chain: ChainOption = None,
    passphrase_env: PassphraseOption = None,
    trust_model: TrustModelOption = False,
    artifact_root: ArtifactRootOption = None,
) -> None:
    """Gate one model version (CI)."""
    from govern.policy.gate import gate
    from govern.store.store import Store

    explain_options(trust_model, artifact_root)
    policies = load_policies(policy, waivers)
    now = as_of_time(as_of)
    signer = load_signer(key, cert, chain, passphrase_env) if attest is not None else None
    staged: list[output_module.Staged] = []

    def publish(result: CheckResult) -> None:
        # inside the ledger entry's transaction: if writing fails, nothing is recorded
        staged.append(
            output_module.stage(render(result, output_format, policies), output, retractable=True)
        )
        staged[0].publish()
        if attest is not None and signer is not None:
            staged.append(
                stage_gate_attestation(
                    store, result, signer, model=model, version=version, target=attest
                )
            )
            staged[-1].publish()

    with Store.open(settings(ctx).db, create=False) as store:
        try:
            decision = gate(
                store,
                policies,
                model=model,
                version=version,
                now=now,
                fail_on=fail_on,
                strict=strict,
                publish=publish,
            )
        except BaseException:
            _take_back(staged)
            raise
    for done in staged:
        done.settle()
        if done.target is not None:
            err_console.print(f"wrote {done.where()}")
    result, entry = decision.result, decision.entry
    failing = result.failing()
    _warn(result)
    verdict = "PASS" if not failing else "FAIL"
    counts = result.summary()
    err_console.print(
        f"govern gate {model} v{version}: {verdict} "
        f"({counts['pass']} pass, {counts['fail']} fail, {counts['waived']} waived, "
        f"{counts['not_evaluated']} not evaluated; fail-on {fail_on.value}); "
        f"ledger entry {entry.seq} {entry.hash[:12]}",
        style="bold green" if not failing else "bold red",
    )
    for f in failing:
        err_console.print(f"  {f.severity.value} {f.rule}: {f.message}", style="red")
    raise typer.Exit(EXIT_POLICY if failing else EXIT_OK)
