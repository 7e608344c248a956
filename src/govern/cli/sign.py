"""``govern sign FILE.pdf``: certify a PDF report with a visible signature in its sign-off block."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from govern.cli import output as output_module
from govern.cli.common import err_console, handle_errors
from govern.cli.keys import CertOption, ChainOption, KeyOption, PassphraseOption, load_signer

if TYPE_CHECKING:
    from govern.signing.keys import Signer

SIGN_HELP = (
    "Sign a PDF audit report: a PAdES signature in the issuer's box of its sign-off block, "
    "certifying the document (filling in and signing the sign-off fields stays allowed, any "
    "other later change shows), and one empty signature field per sign-off role for the "
    "approvers, who sign later with Acrobat or `pyhanko sign addsig --field ROLE`.\n\n"
    "The signed file is the report followed by one incremental update: its first revision is "
    "the unsigned report byte for byte. The key defaults to .govern/keys/key.pem and "
    "cert.pem (`govern keys init`). The file is replaced atomically, or --out is written.\n\n"
    "Exit code 0 when signed, 2 on bad input (not a govern PDF report, a missing or encrypted "
    "key without --passphrase-env).\n\n"
    "Examples:\n\n"
    "  govern sign reports/credit-risk-v2-2026-12-03.pdf\n\n"
    "  govern sign report.pdf --key org.p12 --passphrase-env GOVERN_KEY_PASS --out signed.pdf\n\n"
    "  govern verify report.pdf --trust cert.pem"
)


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command(name="sign", help=SIGN_HELP)(sign_command)


def sign_report_pdf(data: bytes, signer: Signer, *, source: Path | str) -> bytes:
    """Certify a govern PDF report, with an empty signature field per sign-off role.

    A report with a sign-off block (model, review, portfolio) gets a field per role; the LL144
    summary, which has the issuer's box only, gets none.
    """
    from govern.report.context import SIGNOFF_ROLES
    from govern.signing.pdf import find_signature_boxes, sign_pdf

    boxes = find_signature_boxes(data, source=source)
    approvers = SIGNOFF_ROLES if set(boxes) - {0} else ()
    return sign_pdf(data, signer, approvers=approvers, source=source)


@handle_errors
def sign_command(
    file: Annotated[Path, typer.Argument(help="The PDF report to sign.", show_default=False)],
    key: KeyOption = None,
    cert: CertOption = None,
    chain: ChainOption = None,
    passphrase_env: PassphraseOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the signed PDF here (default: replace FILE)."),
    ] = None,
) -> None:
    """Sign a PDF report."""
    from govern.signing.pdf import read_pdf

    data = read_pdf(file)
    signer = load_signer(key, cert, chain, passphrase_env)
    signed = sign_report_pdf(data, signer, source=file)
    target = out if out is not None else file
    (staged,) = output_module.write_all({target: signed})
    err_console.print(
        f"signed {file} as {signer.certificate.subject.rfc4514_string()}: wrote "
        f"{staged.where()} (sha256 {hashlib.sha256(signed).hexdigest()})"
    )
