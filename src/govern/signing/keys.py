"""Signing keys: a new ECDSA P-256 key and self-signed CA certificate, or the organisation's.

The organisation's key and certificate load from PEM or PKCS#12, optionally with a chain.

P-256 is the only curve govern makes: poppler's ``pdfsig`` cannot verify Ed25519, and P-256 is
what cosign, openssl and every PDF reader verify. A key file is written with owner-only
permissions (0600), encrypted when a passphrase is given (from an environment variable, never
an option, so it stays out of shell history and ``ps``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from govern.errors import GovernError, OutputError
from govern.fileio import Unreadable, read_regular

__all__ = [
    "DEFAULT_DAYS",
    "KeyFileError",
    "Signer",
    "Subject",
    "generate",
    "key_id",
    "load_certificate",
    "load_public_key",
    "load_signer",
    "passphrase_from_env",
    "write_new",
]

#: Validity of a certificate made by ``govern keys init``, in days.
DEFAULT_DAYS = 3 * 365

#: The largest key, certificate or PKCS#12 file govern reads.
MAX_KEY_FILE = 1 << 20


class KeyFileError(GovernError):
    """A key or certificate cannot be read, decrypted or used."""


@dataclass(frozen=True)
class Subject:
    """The certificate subject ``govern keys init`` writes."""

    common_name: str
    organization: str | None = None
    organizational_unit: str | None = None
    country: str | None = None
    email: str | None = None

    def name(self) -> x509.Name:
        """The X.509 name."""
        parts = [x509.NameAttribute(NameOID.COMMON_NAME, self.common_name)]
        if self.organization:
            parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.organization))
        if self.organizational_unit:
            parts.append(
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, self.organizational_unit)
            )
        if self.country:
            parts.append(x509.NameAttribute(NameOID.COUNTRY_NAME, self.country))
        if self.email:
            parts.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, self.email))
        return x509.Name(parts)


@dataclass(frozen=True)
class Signer:
    """A private key with its certificate and the chain up to (not necessarily incl.) a root."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        """The certificate's public key."""
        return self.key.public_key()

    @property
    def key_id(self) -> str:
        """The key's hint: SHA-256 of its DER SubjectPublicKeyInfo, hex."""
        return key_id(self.public_key)

    def public_pem(self) -> bytes:
        """The public key as PEM (what ``openssl`` and ``cosign --key`` take)."""
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def certificate_pem(self) -> bytes:
        """The certificate as PEM."""
        return self.certificate.public_bytes(serialization.Encoding.PEM)


def key_id(public_key: ec.EllipticCurvePublicKey) -> str:
    """SHA-256 of the DER SubjectPublicKeyInfo, hex: the bundle's public-key hint."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def passphrase_from_env(variable: str | None) -> bytes | None:
    """The passphrase in environment variable ``variable`` (None when no variable is named).

    A named variable that is unset or empty is an error, never a silent unencrypted key.
    """
    if variable is None:
        return None
    value = os.environ.get(variable)
    if not value:
        raise KeyFileError(
            f"the passphrase variable {variable} is not set or empty.",
            hint=f"Set it (export {variable}=...) or leave out the passphrase option.",
        )
    return value.encode("utf-8")


def generate(
    subject: Subject, *, now: dt.datetime, days: int = DEFAULT_DAYS
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A new P-256 key and a CA-flagged self-signed certificate valid from ``now``.

    No extended key usage: NSS (poppler's ``pdfsig``) refuses a code-signing one for document
    signatures, and neither DSSE verifiers nor cosign with ``--key`` read it.
    """
    if days < 1:
        raise KeyFileError(f"a certificate must be valid for at least one day, not {days}.")
    key = ec.generate_private_key(ec.SECP256R1())
    name = subject.name()
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    if subject.email:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name(subject.email)]), critical=False
        )
    return key, builder.sign(key, hashes.SHA256())


def key_pem(key: ec.EllipticCurvePrivateKey, passphrase: bytes | None) -> bytes:
    """The private key as PKCS#8 PEM, encrypted when a passphrase is given."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def write_new(path: Path, data: bytes, *, private: bool) -> None:
    """Write a new file; refuse to replace one (a key is never overwritten by accident).

    ``private`` files are created 0600 from the start (no window where others can read).
    """
    mode = 0o600 if private else 0o644
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise OutputError(
            f"{path} already exists; govern does not overwrite keys or certificates.",
            hint="Choose another --out folder, or remove the old files first.",
        ) from None
    except OSError as exc:
        raise OutputError(f"{path} cannot be created: {exc.strerror}.") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise OutputError(f"{path} cannot be written: {exc.strerror}.") from None


def _read(path: Path, what: str) -> bytes:
    def refuse(problem: Unreadable) -> KeyFileError:
        return KeyFileError(
            f"{path}: the {what} cannot be read: {problem.reason}.",
            hint="Give the path of a regular file.",
        )

    data, size = read_regular(path, error=refuse, limit=MAX_KEY_FILE + 1)
    if size > MAX_KEY_FILE:
        raise KeyFileError(f"{path} is {size} bytes, too large for a {what}.")
    return data


def _ec_p256(key: object, path: Path) -> ec.EllipticCurvePrivateKey:
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        kind = type(key).__name__.lstrip("_")
        raise KeyFileError(
            f"{path}: the key is {kind}, not ECDSA P-256.",
            hint="govern signs with P-256 keys, the curve pdfsig, openssl and cosign all "
            "verify; make one with `govern keys init` or ask your CA for a P-256 key.",
        )
    return key


def load_certificate(path: Path) -> list[x509.Certificate]:
    """Every certificate in a PEM or DER file, in file order."""
    data = _read(path, "certificate")
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError:
        raise KeyFileError(
            f"{path} is not an X.509 certificate (PEM or DER).",
            hint="Give the certificate file `govern keys init` wrote (cert.pem) or your CA's.",
        ) from None


def load_public_key(path: Path) -> ec.EllipticCurvePublicKey:
    """A P-256 public key from a PEM public key or a certificate file."""
    data = _read(path, "public key")
    try:
        if b"-----BEGIN PUBLIC KEY" in data:
            public = serialization.load_pem_public_key(data)
        else:
            public = load_certificate(path)[0].public_key()
    except ValueError:
        raise KeyFileError(
            f"{path} is neither a PEM public key nor a certificate.",
            hint="Give the public key (key.pub.pem) or the certificate (cert.pem).",
        ) from None
    if not isinstance(public, ec.EllipticCurvePublicKey) or not isinstance(
        public.curve, ec.SECP256R1
    ):
        raise KeyFileError(f"{path}: the key is not an ECDSA P-256 public key.")
    return public


def load_signer(
    key: Path,
    certificate: Path | None = None,
    *,
    chain: tuple[Path, ...] = (),
    passphrase: bytes | None = None,
) -> Signer:
    """Load a signing key with its certificate.

    ``key`` is a PEM private key (then ``certificate`` is required) or a PKCS#12 file (``.p12``
    / ``.pfx``, holding key, certificate and chain). ``chain`` adds intermediate certificates.
    The certificate must belong to the key.
    """
    data = _read(key, "key")
    extra: list[x509.Certificate] = []
    private: object
    cert: x509.Certificate | None = None
    if b"-----BEGIN" in data:
        try:
            private = serialization.load_pem_private_key(data, passphrase)
        except TypeError:
            raise KeyFileError(
                f"{key} is encrypted and no passphrase was given."
                if passphrase is None
                else f"{key} is not encrypted, but a passphrase was given.",
                hint="Name the variable that holds the passphrase with --passphrase-env."
                if passphrase is None
                else "Leave out --passphrase-env.",
            ) from None
        except ValueError:
            raise KeyFileError(
                f"{key} cannot be read as a private key: a wrong passphrase, or not a key.",
            ) from None
    else:
        try:
            bundle = pkcs12.load_pkcs12(data, passphrase)
        except ValueError:
            raise KeyFileError(
                f"{key} is neither a PEM private key nor a PKCS#12 file it can open "
                "(a wrong passphrase?).",
                hint="Give the key.pem `govern keys init` wrote, or your PKCS#12 (.p12) file "
                "with --passphrase-env.",
            ) from None
        private = bundle.key
        if bundle.cert is not None:
            cert = bundle.cert.certificate
        extra = [c.certificate for c in bundle.additional_certs]
    signing_key = _ec_p256(private, key)
    if certificate is not None:
        certs = load_certificate(certificate)
        cert, extra = certs[0], [*certs[1:], *extra]
    if cert is None:
        raise KeyFileError(
            f"{key} holds no certificate.",
            hint="Give the certificate with --cert (the cert.pem `govern keys init` wrote).",
        )
    if cert.public_key() != signing_key.public_key():
        raise KeyFileError(
            f"the certificate {certificate or key} does not belong to the key {key}.",
            hint="Give the certificate that was issued for this key.",
        )
    for path in chain:
        extra.extend(load_certificate(path))
    return Signer(key=signing_key, certificate=cert, chain=tuple(extra))
