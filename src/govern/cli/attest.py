"""Signed attestations the commands write: a report set's statement, a gate decision's summary.

The statement is built and signed by :mod:`govern.signing.attest`; here it is written beside
the report (after every file of the set is on disk) or staged with the gate's output, and the
user is told where it went.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govern.cli.common import err_console

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from govern.cli.output import Staged
    from govern.models import CheckResult
    from govern.signing.attest import ReportFacts
    from govern.signing.keys import Signer
    from govern.store.ledger import Entry
    from govern.store.store import Store


def write_report_attestation(
    signer: Signer,
    facts: ReportFacts,
    written: Sequence[Path],
    head: Entry | None,
    *,
    target: Path,
    details: Mapping[str, Any] | None = None,
) -> Path:
    """Sign the report set's statement and write ``target`` (``STEM.sigstore.json``).

    Runs last, after every file is written (and the PDF signed): each subject's digest is of
    the bytes on disk. ``head`` is the report's own ledger entry; ``details`` what only this
    kind of report states (:func:`govern.signing.attest.report_statement`).
    """
    from govern.cli import output as output_module
    from govern.signing.attest import LedgerHead, report_statement, sign_statement

    outputs = {path.name: _read_written(path) for path in written}
    recorded = LedgerHead(head.seq, head.hash) if head is not None else None
    statement = report_statement(outputs, facts, recorded, details=details)
    bundle = sign_statement(statement, signer)
    output_module.write_all({target: bundle.dumps()})
    err_console.print(
        f"wrote {target} (signed attestation of {len(outputs)} file(s), key id "
        f"{signer.key_id[:16]}...)"
    )
    return target


def _read_written(path: Path) -> bytes:
    from govern.errors import OutputError

    try:
        return path.read_bytes()
    except OSError as exc:
        raise OutputError(
            f"{path} was written but cannot be read back to sign it: {exc.strerror}."
        ) from None


def stage_gate_attestation(
    store: Store,
    result: CheckResult,
    signer: Signer,
    *,
    model: str,
    version: str,
    target: Path,
) -> Staged:
    """Stage the signed verification summary of a gate decision (inside its transaction).

    The ledger head is read inside the transaction that records the decision, so it is the
    decision's own entry (or the last waiver use it appended).
    """
    from govern.cli import output as output_module
    from govern.signing.attest import LedgerHead, model_subject, sign_statement, vsa_statement
    from govern.store import ledger

    last = ledger.head(store)
    assert last is not None  # the gate's entry was appended before this runs
    statement = vsa_statement(
        model_subject(store, model, version),
        result,
        model=model,
        version=version,
        verified_at=datetime.now(UTC),
        head=LedgerHead(last.seq, last.hash),
    )
    bundle = sign_statement(statement, signer)
    return output_module.stage(bundle.dumps(), target, retractable=True)
