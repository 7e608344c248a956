"""Checking a signed PDF report: every signature, with pyHanko's validator.

:func:`verify_pdf` (re-exported by :mod:`govern.signing.pdf`) checks integrity, the signature
value, the signer's certificate against the trusted certificates or a pinned public key, that
nothing but form filling and signatures was changed after the certification, and that nothing
at all was appended after the newest signature. It returns a :class:`PdfVerification`, one
:class:`SignatureCheck` per signature.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from govern.errors import VerificationError
from govern.signing.pdf_read import PdfInputError, _asn1_certificate, _reader, read_pdf

if TYPE_CHECKING:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import EmbeddedPdfSignature
    from pyhanko.sign.validation.status import PdfSignatureStatus

__all__ = ["PdfVerification", "SignatureCheck", "verify_pdf"]


@dataclass(frozen=True)
class SignatureCheck:
    """What :func:`verify_pdf` found for one signature.

    ``trusted`` means the certificate chains to a ``trust`` certificate or has the pinned key;
    ``key_matches`` is None when no key was pinned. ``modification`` is pyHanko's judgement of
    what changed after this signature (``NONE``, ``LTA_UPDATES``, ``FORM_FILLING``,
    ``ANNOTATIONS``, ``OTHER``); ``problems`` says in words what fails.
    """

    field: str
    signer: str
    signed_at: datetime | None
    certification: bool
    intact: bool
    valid: bool
    trusted: bool
    key_matches: bool | None
    coverage: str
    modification: str
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when nothing fails."""
        return not self.problems


@dataclass(frozen=True)
class PdfVerification:
    """The result of :func:`verify_pdf`: each signature, the unsigned fields, what fails."""

    path: Path
    signatures: tuple[SignatureCheck, ...]
    unsigned_fields: tuple[str, ...]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when the file is signed and every signature holds."""
        return not self.failures

    @property
    def failures(self) -> tuple[str, ...]:
        """Every problem, the document's first, then each signature's (named by field)."""
        found = list(self.problems)
        for check in self.signatures:
            found.extend(f"signature {check.field!r}: {p}" for p in check.problems)
        return tuple(found)

    def check(self) -> None:
        """Raise :class:`VerificationError` naming every failure; return when all holds."""
        if self.failures:
            raise VerificationError(
                f"{self.path}: the PDF signature does not verify: " + "; ".join(self.failures),
                hint="Re-sign the report from its source, or ask its issuer for the original.",
            )


def verify_pdf(
    path: Path,
    *,
    trust: Sequence[x509.Certificate] = (),
    key: ec.EllipticCurvePublicKey | None = None,
) -> PdfVerification:
    """Check every signature of the PDF at ``path``.

    A signature holds when its digest matches the bytes it covers, its value verifies with
    the certificate's key, the certificate chains to one of ``trust`` (or has the pinned
    ``key``), and the changes after it are what its document allows. The newest signature
    must cover the whole file: anything appended after it fails. With ``key``, the
    certification signature must be made with that key (a wrong key fails).

    Returns the findings; :meth:`PdfVerification.check` raises on any failure.

    Raises:
        PdfInputError: the file cannot be read, is not a PDF, or is encrypted.
    """
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign import fields
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko_certvalidator import ValidationContext

    data = read_pdf(path)
    reader = _reader(data, path)
    try:
        embedded, checks = _embedded_signatures(reader)
        unsigned = tuple(
            name for name, _, _ in fields.enumerate_sig_fields(reader, filled_status=False)
        )
    except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise PdfInputError(
            f"{path}: its form fields cannot be read ({exc}).",
            hint="Give an intact PDF file.",
        ) from None
    problems: list[str] = []
    if not embedded and not checks:
        problems.append("it holds no signature")
    roots = [_asn1_certificate(c) for c in trust]
    pinned = _spki(key) if key is not None else None
    newest = len(embedded) - 1
    # a document signing certificate has digitalSignature or nonRepudiation (either will do,
    # as in Acrobat; pyHanko's default asks for nonRepudiation)
    usage = KeyUsageConstraints(
        key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
    )
    for index, sig in enumerate(embedded):
        context = ValidationContext(trust_roots=roots, allow_fetching=False)
        certification = False
        try:
            certification = sig.docmdp_level is not None
            with _quiet():
                status = validate_pdf_signature(
                    sig, signer_validation_context=context, key_usage_settings=usage
                )
        except Exception as exc:  # pyHanko raises many kinds on malformed signatures
            checks.append(_broken(sig.field_name, certification, exc, what="does not validate"))
            continue
        checks.append(
            _judge(
                sig.field_name,
                status,
                certification=certification,
                newest=index == newest,
                pinned=pinned,
                has_trust=bool(trust),
            )
        )
    return PdfVerification(
        path=path, signatures=tuple(checks), unsigned_fields=unsigned, problems=tuple(problems)
    )


def _embedded_signatures(
    reader: PdfFileReader,
) -> tuple[list[EmbeddedPdfSignature], list[SignatureCheck]]:
    """The signed ``/Sig`` fields in signing order, and a failed check for each unreadable one.

    pyHanko's ``embedded_regular_signatures`` stops at the first signature it cannot parse;
    here each field is read on its own, so one broken signature is a finding, not a crash.
    """
    from pyhanko.sign import fields
    from pyhanko.sign.validation import EmbeddedPdfSignature

    readable: list[tuple[int, EmbeddedPdfSignature]] = []
    broken: list[SignatureCheck] = []
    for name, _, field in fields.enumerate_sig_fields(reader, filled_status=True):
        try:
            with _quiet():
                sig = EmbeddedPdfSignature(reader, field, name)
                kind, revision = sig.sig_object_type, sig.signed_revision
        except Exception as exc:  # a malformed signature dictionary or CMS structure
            broken.append(_broken(name, False, exc))
            continue
        if kind == "/Sig":
            readable.append((revision, sig))
    readable.sort(key=lambda item: item[0])
    return [sig for _, sig in readable], broken


@contextmanager
def _quiet() -> Iterator[None]:
    """Keep pyHanko's log of validation problems off stderr (they are reported as findings)."""
    loggers = [logging.getLogger(name) for name in ("pyhanko", "pyhanko_certvalidator")]
    sink = logging.NullHandler()
    before = [logger.propagate for logger in loggers]
    for logger in loggers:
        logger.addHandler(sink)
        logger.propagate = False
    try:
        yield
    finally:
        for logger, state in zip(loggers, before, strict=True):
            logger.removeHandler(sink)
            logger.propagate = state


def _subject(name: object) -> str:
    """A certificate subject as people write it: ``CN (O)``."""
    if not isinstance(name, dict):
        return str(name)
    common = name.get("common_name")
    org = name.get("organization_name")
    if common and org:
        return f"{common} ({org})"
    return str(common or org or ", ".join(f"{k}={v}" for k, v in name.items()))


def _spki(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _broken(
    field: str, certification: bool, exc: Exception, *, what: str = "cannot be read"
) -> SignatureCheck:
    return SignatureCheck(
        field=field,
        signer="(unknown)",
        signed_at=None,
        certification=certification,
        intact=False,
        valid=False,
        trusted=False,
        key_matches=None,
        coverage="UNCLEAR",
        modification="OTHER",
        problems=(f"the signature {what} ({type(exc).__name__}: {exc})",),
    )


def _untrusted_because(status: PdfSignatureStatus, has_trust: bool) -> str:
    """Why the signer's certificate is not trusted, as a parenthesis (or nothing).

    Read from the certificate itself (pyHanko reports most path failures alike).
    """
    if not has_trust:
        return ""
    cert = status.signing_cert
    now = datetime.now(UTC)
    if not cert.not_valid_before <= now <= cert.not_valid_after:
        return " (it is expired or not yet valid)"
    usage = cert.key_usage_value
    if usage is not None and not {"digital_signature", "non_repudiation"} & set(usage.native):
        return " (its key usage does not allow signing documents)"
    return " (it does not chain to a --trust certificate)"


def _judge(
    field: str,
    status: PdfSignatureStatus,
    *,
    certification: bool,
    newest: bool,
    pinned: bytes | None,
    has_trust: bool,
) -> SignatureCheck:
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    cert = status.signing_cert
    signer = _subject(cert.subject.native)
    key_matches = None if pinned is None else cert.public_key.dump() == pinned
    chained = status.trusted
    trusted = status.valid and status.intact and (chained or bool(key_matches))
    coverage = status.coverage
    level = status.modification_level
    problems: list[str] = []
    if not status.intact:
        problems.append("the signed bytes were changed (their digest does not match)")
    elif not status.valid:
        problems.append("the signature value does not verify with the certificate's key")
    if status.intact and status.valid:
        if pinned is not None and certification and not key_matches:
            problems.append(f"it was made by {signer} with another key than the one given")
        elif not trusted:
            why = _untrusted_because(status, has_trust)
            problems.append(
                f"the certificate of {signer} is not trusted{why}; give its certificate or CA "
                "with --trust, or its public key with --key"
            )
    if coverage is None or coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        problems.append("it does not cover a whole revision of the file")
    elif newest and coverage != SignatureCoverageLevel.ENTIRE_FILE:
        problems.append("the file was changed after it was signed (an appended update)")
    if level is not None and level > ModificationLevel.FORM_FILLING:
        problems.append(
            "changes after signing go beyond filling in and signing the sign-off fields"
        )
    elif status.docmdp_ok is False:
        problems.append("changes after signing break the certification's permissions")
    signed_at = status.signer_reported_dt
    return SignatureCheck(
        field=field,
        signer=signer,
        signed_at=signed_at,
        certification=certification,
        intact=status.intact,
        valid=status.valid,
        trusted=trusted,
        key_matches=key_matches,
        coverage=coverage.name if coverage is not None else "UNCLEAR",
        modification=level.name if level is not None else "UNKNOWN",
        problems=tuple(problems),
    )
