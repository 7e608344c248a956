"""``govern keys init``, and the signing options every signing command shares.

``govern keys init`` makes a new P-256 signing key and a self-signed CA certificate. The
options (``--key``, ``--cert``, ``--chain``, ``--passphrase-env``, ``--sign``) and the signer
they name are shared by ``govern report``, ``govern review`` and ``govern gate``.
"""

from __future__ import annotations

import getpass
import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from govern.cli.common import err_console, handle_errors

if TYPE_CHECKING:
    from govern.signing.keys import Signer

DEFAULT_KEYS_DIR = Path(".govern/keys")

KEYS_HELP = "Signing keys for signed reports and gate decisions."
INIT_HELP = (
    "Make an ECDSA P-256 key and a CA-flagged self-signed X.509 certificate: key.pem "
    "(owner-only, encrypted with --passphrase-env), cert.pem and key.pub.pem in --out. "
    "Existing files are never overwritten.\n\n"
    "Bring your organisation's key instead with --key/--cert on `govern report --sign` and "
    "`govern gate --attest`.\n\n"
    "Examples:\n\n"
    "  govern keys init\n\n"
    '  govern keys init --common-name "Model Risk, ACME Bank" --org "ACME Bank" --country GB\n\n'
    "  GOVERN_KEY_PASS=... govern keys init --passphrase-env GOVERN_KEY_PASS --out ~/keys"
)


def register(app: typer.Typer) -> None:
    """Add the ``keys`` command group to the app."""
    keys_app = typer.Typer(help=KEYS_HELP, no_args_is_help=True, rich_markup_mode=None)
    keys_app.command(name="init", help=INIT_HELP)(init_command)
    app.add_typer(keys_app, name="keys")


def _default_common_name() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "govern"
    return f"{user} (govern signing key)"


@handle_errors
def init_command(
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the key files (created if missing).")
    ] = DEFAULT_KEYS_DIR,
    common_name: Annotated[
        str | None,
        typer.Option(
            "--common-name",
            "--cn",
            help="The certificate's common name (default: USER (govern signing key)).",
        ),
    ] = None,
    org: Annotated[str | None, typer.Option("--org", help="Organisation (O).")] = None,
    org_unit: Annotated[
        str | None, typer.Option("--org-unit", help="Organisational unit (OU).")
    ] = None,
    country: Annotated[
        str | None, typer.Option("--country", help="Two-letter country code (C).")
    ] = None,
    email: Annotated[str | None, typer.Option("--email", help="E-mail address.")] = None,
    days: Annotated[
        int | None, typer.Option("--days", help="Validity in days (default 1095: three years).")
    ] = None,
    passphrase_env: Annotated[
        str | None,
        typer.Option(
            "--passphrase-env",
            help="Encrypt key.pem with the passphrase in this environment variable.",
        ),
    ] = None,
) -> None:
    """Make a signing key and certificate."""
    from cryptography.hazmat.primitives import serialization

    from govern.errors import UsageError
    from govern.signing import keys

    if country is not None and (len(country) != 2 or not country.isalpha()):
        raise UsageError(f"--country {country!r} is not a two-letter country code (GB, DE).")
    passphrase = keys.passphrase_from_env(passphrase_env)
    subject = keys.Subject(
        common_name=common_name or _default_common_name(),
        organization=org,
        organizational_unit=org_unit,
        country=country.upper() if country else None,
        email=email,
    )
    paths = {name: out / name for name in ("key.pem", "cert.pem", "key.pub.pem")}
    for path in paths.values():
        if path.exists() or path.is_symlink():
            raise UsageError(
                f"{path} already exists; govern does not overwrite keys or certificates.",
                hint="Choose another --out folder, or move the old files away first.",
            )
    key, certificate = keys.generate(
        subject, now=datetime.now(UTC), days=days if days is not None else keys.DEFAULT_DAYS
    )
    signer = keys.Signer(key=key, certificate=certificate)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{out} cannot be created: {exc.strerror}.") from None
    keys.write_new(paths["key.pem"], keys.key_pem(key, passphrase), private=True)
    keys.write_new(paths["cert.pem"], signer.certificate_pem(), private=False)
    keys.write_new(paths["key.pub.pem"], signer.public_pem(), private=False)
    fingerprint = hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()
    encrypted = f", encrypted with ${passphrase_env}" if passphrase_env else ""
    typer.echo(f"wrote {paths['key.pem']} (private key, owner-only{encrypted})")
    typer.echo(f"wrote {paths['cert.pem']} (certificate: {certificate.subject.rfc4514_string()})")
    typer.echo(f"wrote {paths['key.pub.pem']} (public key, for verifiers)")
    typer.echo(f"key id:                     {signer.key_id}")
    typer.echo(f"certificate SHA-256:        {fingerprint}")
    typer.echo(f"valid until:                {certificate.not_valid_after_utc:%Y-%m-%d}")
    options = (
        "" if out == DEFAULT_KEYS_DIR else f" --key {paths['key.pem']} --cert {paths['cert.pem']}"
    )
    err_console.print(
        "next:\n"
        f"  govern report -m MODEL --version V --sign{options}\n"
        f"  govern gate MODEL V --attest decision.sigstore.json{options}\n"
        f"  govern verify reports/*.sigstore.json --key {paths['key.pub.pem']}\n"
        "Keep key.pem secret; give key.pub.pem or cert.pem to whoever verifies."
    )


# -- the signing options of `govern report --sign` and `govern gate --attest` -------------------

KeyOption = Annotated[
    Path | None,
    typer.Option(
        "--key",
        help="Signing key: PEM (with --cert) or PKCS#12 (.p12). Default: .govern/keys/key.pem.",
    ),
]
CertOption = Annotated[
    Path | None,
    typer.Option("--cert", help="The key's certificate (default: .govern/keys/cert.pem)."),
]
ChainOption = Annotated[
    list[Path] | None,
    typer.Option("--chain", help="Intermediate certificates to include (repeatable)."),
]
PassphraseOption = Annotated[
    str | None,
    typer.Option("--passphrase-env", help="Environment variable holding the key's passphrase."),
]


def load_signer(
    key: Path | None,
    cert: Path | None,
    chain: list[Path] | None,
    passphrase_env: str | None,
) -> Signer:
    """The signer the options name; without --key, the key `govern keys init` wrote."""
    from govern.errors import UsageError
    from govern.signing import keys

    if key is None:
        key = DEFAULT_KEYS_DIR / "key.pem"
        if not key.exists():
            raise UsageError(
                "no signing key: --key was not given and there is no .govern/keys/key.pem.",
                hint="Make one with `govern keys init`, or give --key (and --cert).",
            )
        if cert is None:
            cert = DEFAULT_KEYS_DIR / "cert.pem"
    return keys.load_signer(
        key,
        cert,
        chain=tuple(chain or ()),
        passphrase=keys.passphrase_from_env(passphrase_env),
    )


SignOption = Annotated[
    bool,
    typer.Option(
        "--sign",
        help="Sign the report: write STEM.sigstore.json beside it, a signed in-toto statement "
        "of every file's SHA-256, the policies, inputs and ledger head (see --key).",
    ),
]


def report_signer(
    sign: bool,
    key: Path | None,
    cert: Path | None,
    chain: list[Path] | None,
    passphrase_env: str | None,
) -> Signer | None:
    """The signer of ``govern report --sign`` (None without it), loaded before any writing."""
    from govern.errors import UsageError

    if not sign:
        if key is not None or cert is not None or chain:
            raise UsageError("--key, --cert and --chain sign a report: add --sign.")
        return None
    return load_signer(key, cert, chain, passphrase_env)
