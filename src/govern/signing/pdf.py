"""Signed PDF reports: a PAdES B-B certification signature in the sign-off block, and its check.

:func:`sign_pdf` signs a PDF report with pyHanko as one incremental update:

- **PAdES B-B** (``/SubFilter /ETSI.CAdES.detached``), SHA-256, ECDSA with the signer's key; the
  signer's certificate and chain travel in the CMS signature.
- **Certified** (DocMDP, level 2): form filling and further signatures are allowed, so the
  approvers can sign later; any other change after signing shows as a modification that
  breaks the certification in every validator (Acrobat, pyHanko, :func:`verify_pdf`).
- **Visible, in the sign-off block.** The report template leaves a box for the issuer's
  signature and one per sign-off role. Each box carries two anchors, ``govern-signature-N``
  (top left) and ``govern-signature-N-end`` (bottom right, a zero-size box positioned there);
  WeasyPrint writes every anchor as a named destination (``/XYZ left top``), so the two
  destinations give the box's page and rectangle whatever the page breaks and fonts do. N is
  0 for the issuer and 1, 2, ... for the roles in order. A PDF without these anchors (not a
  govern report) is refused rather than stamped over its content.
- **Approver fields.** One empty signature field per sign-off role (named after the role, with
  the role as its accessible name), added in the same revision as the certification so that
  signing them later is an allowed change. The approvers sign with their own tools (Acrobat's
  "Sign", or ``pyhanko sign addsig --field ROLE ...``).

Determinism: the unsigned report is byte-identical for the same input and clock, and it is
the signed file's first revision, byte for byte: ``signed[:len(unsigned)] == unsigned``. The
appended signature revision is not reproducible by nature: it holds the signing time, a fresh
second file identifier, and an ECDSA signature value, which is randomised.

Tagging: the report's structure tree (PDF/UA) and PDF/A identification are kept; an
incremental update replaces none of the original objects but the catalog's form, the sign-off
page's annotations and the structure tree's root. Each signature widget gets a ``/Form``
structure element (PDF/UA asks it of form fields), appended to the document's top element,
with the role as its ``/Alt`` and the field's ``/TU``. The issuer's appearance is a one-page
PDF that WeasyPrint draws to the box's size, so its fonts are embedded as PDF/A requires (the
signing time it shows is the signer's clock, to the minute, in UTC).

:func:`verify_pdf` checks every signature with pyHanko's validator and its difference
analysis: integrity, the signature value, the signer's certificate against the trusted
certificates or a pinned public key, that nothing but form filling and signatures was changed
after the certification, and that nothing at all was appended after the newest signature.
"""

from __future__ import annotations

import html
import io
import logging
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from govern.errors import GovernError, VerificationError
from govern.fileio import Unreadable, read_regular
from govern.signing.keys import KeyFileError, Signer

if TYPE_CHECKING:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko.sign.validation import EmbeddedPdfSignature
    from pyhanko.sign.validation.status import PdfSignatureStatus
    from pyhanko.stamp import BaseStampStyle

__all__ = [
    "ANCHOR_PREFIX",
    "ISSUER_FIELD",
    "MAX_PDF",
    "PdfInputError",
    "PdfVerification",
    "SignatureBox",
    "SignatureCheck",
    "find_signature_boxes",
    "read_pdf",
    "sign_pdf",
    "verify_pdf",
]

#: The anchor (named destination) prefix of the signature boxes in the report template.
ANCHOR_PREFIX: Final = "govern-signature-"

#: The field name of the issuer's (certification) signature.
ISSUER_FIELD: Final = "Issuer"

#: The largest PDF govern signs or verifies.
MAX_PDF: Final = 512 << 20

_REASON: Final = "Issued this audit report; later changes other than sign-off show"
_STAMP_TEXT: Final = "Signed by %(signer)s\n%(ts)s\nCertified: later changes show"
_STAMP_HTML: Final = """<!doctype html><html lang="en"><head><meta charset="utf-8"><style>
@page {{ size: {width}pt {height}pt; margin: 0 }}
body {{ margin: 0; font-family: "DejaVu Sans", sans-serif; font-size: 7.5pt; line-height: 1.3 }}
div {{ box-sizing: border-box; width: {width}pt; height: {height}pt; padding: 3pt 6pt;
      border: 0.75pt solid #1a1a1a; overflow: hidden }}
</style></head><body><div><strong>Signed by {name}</strong><br>{when}<br>Certified: changes
other than sign-off fields show</div></body></html>"""


class PdfInputError(GovernError):
    """A file to sign or verify is not a PDF govern can sign or read (bad input, exit 2)."""


@dataclass(frozen=True)
class SignatureBox:
    """Where a signature field goes: a page (0-based) and a rectangle in PDF points."""

    page: int
    box: tuple[int, int, int, int]


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


# --- reading -------------------------------------------------------------------------------


def read_pdf(path: Path) -> bytes:
    """The bytes of the PDF file at ``path`` (a regular file, at most :data:`MAX_PDF`)."""

    def refuse(problem: Unreadable) -> PdfInputError:
        return PdfInputError(
            f"{path} cannot be read: {problem.reason}.", hint="Give the path of a PDF file."
        )

    data, size = read_regular(path, error=refuse, limit=MAX_PDF + 1)
    if size > MAX_PDF:
        raise PdfInputError(f"{path} is {size} bytes, larger than govern reads as a PDF.")
    return data


def _reader(data: bytes, source: Path | str) -> PdfFileReader:
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader

    if not data.lstrip()[:5] == b"%PDF-":
        raise PdfInputError(
            f"{source} is not a PDF (it does not start with %PDF-).",
            hint="Give a PDF report, e.g. the one `govern report --format pdf` wrote.",
        )
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        _ = reader.root
    except (PdfError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise PdfInputError(
            f"{source} cannot be read as a PDF ({exc}).",
            hint="Give an intact PDF file.",
        ) from None
    if reader.encrypted:
        raise PdfInputError(
            f"{source} is encrypted; govern signs and verifies unencrypted PDFs only.",
            hint="Sign the report as govern wrote it.",
        )
    return reader


def _get(node: object, key: str, default: object = None) -> Any:
    """``node[key]`` resolved (pyHanko's ``get`` leaves indirect references unresolved)."""
    from pyhanko.pdf_utils import generic

    if isinstance(node, generic.DictionaryObject) and key in node:
        return node[key]
    return default


def _page_numbers(reader: PdfFileReader) -> dict[int, int]:
    """Object number of each page -> its 0-based index."""
    refs = _page_refs(reader.root.raw_get("/Pages"), 0)
    return {ref.idnum: index for index, ref in enumerate(refs)}


def _page_refs(ref: generic.PdfObject, depth: int) -> list[generic.IndirectObject]:
    """The references of the pages under a page tree node, in order."""
    from pyhanko.pdf_utils import generic

    node = ref.get_object() if isinstance(ref, generic.IndirectObject) else ref  # type: ignore[no-untyped-call]
    if not isinstance(node, generic.DictionaryObject) or depth > 64:
        return []
    if _get(node, "/Type") == "/Page" or "/Kids" not in node:
        return [ref] if isinstance(ref, generic.IndirectObject) else []
    kids = node.raw_get("/Kids")
    kids = kids.get_object() if isinstance(kids, generic.IndirectObject) else kids  # type: ignore[no-untyped-call]
    if not isinstance(kids, generic.ArrayObject):
        return []
    return [page for kid in kids for page in _page_refs(kid, depth + 1)]


def _named_destinations(reader: PdfFileReader) -> dict[str, generic.PdfObject]:
    """The document's named destinations (``/Names /Dests`` tree and the older ``/Dests``)."""
    from pyhanko.pdf_utils import generic

    found: dict[str, generic.PdfObject] = {}
    root = reader.root

    def walk(node: generic.DictionaryObject, depth: int) -> None:
        if depth > 32:  # a malformed, cyclic name tree
            return
        names = _get(node, "/Names")
        if isinstance(names, generic.ArrayObject):
            for i in range(0, len(names) - 1, 2):
                key, value = names[i], names[i + 1]
                if isinstance(value, generic.DictionaryObject):
                    value = _get(value, "/D")
                found[str(key)] = value
        for kid in _get(node, "/Kids", ()):
            kid_node = kid.get_object() if isinstance(kid, generic.IndirectObject) else kid  # type: ignore[no-untyped-call]
            if isinstance(kid_node, generic.DictionaryObject):
                walk(kid_node, depth + 1)

    names_dict = _get(root, "/Names")
    if isinstance(names_dict, generic.DictionaryObject):
        tree = _get(names_dict, "/Dests")
        if isinstance(tree, generic.DictionaryObject):
            walk(tree, 0)
    old = _get(root, "/Dests")
    if isinstance(old, generic.DictionaryObject):
        for key, value in old.items():
            found.setdefault(str(key).lstrip("/"), value)
    return found


def find_signature_boxes(data: bytes, *, source: Path | str = "PDF") -> dict[int, SignatureBox]:
    """The signature boxes the report template left: box number -> page and rectangle.

    Box 0 is the issuer's, 1, 2, ... the sign-off roles' in order. A box whose two anchors
    are missing, on different pages or not ``/XYZ`` destinations is left out.
    """
    reader = _reader(data, source)
    return _boxes(reader)


def _boxes(reader: PdfFileReader) -> dict[int, SignatureBox]:
    from pyhanko.pdf_utils import generic

    pages = _page_numbers(reader)
    destinations = _named_destinations(reader)

    def point(name: str) -> tuple[int, float, float] | None:
        dest = destinations.get(name)
        if not isinstance(dest, generic.ArrayObject) or len(dest) < 4 or dest[1] != "/XYZ":
            return None
        page_ref = dest.raw_get(0)
        if not isinstance(page_ref, generic.IndirectObject) or page_ref.idnum not in pages:
            return None
        try:
            return pages[page_ref.idnum], float(dest[2]), float(dest[3])
        except (TypeError, ValueError):
            return None

    boxes: dict[int, SignatureBox] = {}
    for name in destinations:
        if not name.startswith(ANCHOR_PREFIX) or name.endswith("-end"):
            continue
        number = name.removeprefix(ANCHOR_PREFIX)
        if not number.isdigit():
            continue
        start, end = point(name), point(f"{name}-end")
        if start is None or end is None or start[0] != end[0]:
            continue
        left, right = sorted((start[1], end[1]))
        bottom, top = sorted((start[2], end[2]))
        if right - left < 10 or top - bottom < 10:
            continue
        boxes[int(number)] = SignatureBox(
            page=start[0], box=(round(left), round(bottom), round(right), round(top))
        )
    return boxes


# --- signing -------------------------------------------------------------------------------


def field_name(role: str) -> str:
    """The signature field name of a sign-off role (a field name may not hold a period)."""
    return " ".join(role.replace(".", " ").split())


def sign_pdf(
    data: bytes,
    signer: Signer,
    *,
    approvers: Sequence[str] = (),
    source: Path | str = "PDF",
    reason: str = _REASON,
    location: str | None = None,
) -> bytes:
    """Certify ``data`` with a visible PAdES B-B signature in the issuer's box.

    Args:
        data: the unsigned PDF report.
        signer: the key, certificate and chain (:func:`govern.signing.keys.load_signer`).
        approvers: the sign-off roles, in the template's order; each gets an empty signature
            field in its box (``SIGNOFF_ROLES`` of the report).
        source: the file's name, for messages.
        reason: the signature's ``/Reason``.
        location: the signature's ``/Location``, if any.

    Returns:
        The signed PDF: ``data`` followed by one incremental update.

    Raises:
        PdfInputError: not a PDF, encrypted, already signed, or without the report's signature
            boxes.
        KeyFileError: the certificate is expired or not yet valid (no validator would trust
            the signature).
    """
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign import fields, signers

    cert = signer.certificate
    now = datetime.now(UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise KeyFileError(
            f"the certificate of {_common_name(cert)} is valid from "
            f"{cert.not_valid_before_utc:%Y-%m-%d} to {cert.not_valid_after_utc:%Y-%m-%d}, "
            "not now; no validator would trust the signature.",
            hint="Renew the certificate (govern keys init makes a new key and certificate).",
        )
    from pyhanko.sign.fields import MDPPerm, SigFieldSpec, SigSeedSubFilter
    from pyhanko.sign.general import SigningError

    reader = _reader(data, source)
    try:
        existing = [name for name, _, _ in fields.enumerate_sig_fields(reader)]
        boxes = _boxes(reader)
    except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise PdfInputError(
            f"{source}: its form fields or named destinations cannot be read ({exc}).",
            hint="Sign the report as `govern report --format pdf` wrote it.",
        ) from None
    if existing:
        raise PdfInputError(
            f"{source} already has signature fields ({', '.join(existing)}); govern certifies "
            "a report once, as it was written.",
            hint="Sign the unsigned report (govern report --format pdf writes one).",
        )
    wanted = len(approvers) + 1
    missing = [n for n in range(wanted) if n not in boxes]
    if missing:
        raise PdfInputError(
            f"{source} has no sign-off box for "
            + ("the issuer's signature" if 0 in missing else f"sign-off role {missing[0]}")
            + f" (anchor {ANCHOR_PREFIX}{missing[0]}); govern signs its own reports only.",
            hint="Write the report with `govern report --format pdf` (this version), then sign.",
        )
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    # the issuer's field first, then the roles': all empty, in the certification's revision
    names = {ISSUER_FIELD: "Signature of the report's issuer"}
    names.update({field_name(role): f"Signature of the {role}" for role in approvers})
    for number, (name, readable) in enumerate(names.items()):
        spot = boxes[number]
        fields.append_signature_field(
            writer,
            SigFieldSpec(
                name,
                on_page=spot.page,
                box=spot.box,
                readable_field_name=readable,
                empty_field_appearance=True,
            ),
        )
    _tag_widgets(writer, names)
    metadata = signers.PdfSignatureMetadata(
        field_name=ISSUER_FIELD,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=MDPPerm.FILL_FORMS,
        reason=reason,
        location=location,
        name=_common_name(signer.certificate),
    )
    with tempfile.TemporaryDirectory(prefix="govern-stamp-") as folder:
        style = _stamp_style(_common_name(signer.certificate), boxes[0], Path(folder) / "stamp.pdf")
        pdf_signer = signers.PdfSigner(metadata, signer=_pyhanko_signer(signer), stamp_style=style)
        try:
            out = pdf_signer.sign_pdf(writer)
        except SigningError as exc:
            raise PdfInputError(f"{source} cannot be signed: {exc}.") from None
    return bytes(out.getvalue())


def _tag_widgets(writer: IncrementalPdfFileWriter, names: dict[str, str]) -> None:
    """Put each new signature widget in the structure tree, as PDF/UA asks of form fields.

    Each widget gets a ``/Form`` structure element (with the field's accessible name as
    ``/Alt``) holding an object reference to it, appended to the document's top element, and
    its ``/StructParent`` key in the parent tree. An untagged PDF, or one whose parent tree is
    not a flat number array (WeasyPrint writes a flat one), is left as it is.
    """
    from pyhanko.pdf_utils import generic

    root = writer.root
    tree = _get(root, "/StructTreeRoot")
    if not isinstance(tree, generic.DictionaryObject):
        return
    parent_tree = _get(tree, "/ParentTree")
    if not isinstance(parent_tree, generic.DictionaryObject) or "/Kids" in parent_tree:
        return
    nums = _get(parent_tree, "/Nums")
    if not isinstance(nums, generic.ArrayObject):
        return
    top_ref = tree.raw_get("/K")
    top = top_ref.get_object() if isinstance(top_ref, generic.IndirectObject) else top_ref  # type: ignore[no-untyped-call]
    if isinstance(top, generic.ArrayObject) and len(top) == 1:
        top_ref = top.raw_get(0)
        top = top[0]
    if not isinstance(top, generic.DictionaryObject) or not isinstance(
        top_ref, generic.IndirectObject
    ):
        return
    kids = _get(top, "/K")
    if not isinstance(kids, generic.ArrayObject):
        kids = generic.ArrayObject([] if kids is None else [top.raw_get("/K")])
        top[generic.NameObject("/K")] = kids
    keys = [int(nums[i]) for i in range(0, len(nums), 2)]
    next_key = max([int(_get(tree, "/ParentTreeNextKey", 0)), *(k + 1 for k in keys)])
    for page_ref, annot_ref in _widgets(writer, set(names)):
        annot = annot_ref.get_object()  # type: ignore[no-untyped-call]
        element = generic.DictionaryObject(  # type: ignore[no-untyped-call]
            {
                generic.NameObject("/Type"): generic.NameObject("/StructElem"),
                generic.NameObject("/S"): generic.NameObject("/Form"),
                generic.NameObject("/P"): top_ref,
                generic.NameObject("/Pg"): page_ref,
                generic.NameObject("/Alt"): generic.TextStringObject(names[str(annot["/T"])]),
                generic.NameObject("/K"): generic.DictionaryObject(  # type: ignore[no-untyped-call]
                    {
                        generic.NameObject("/Type"): generic.NameObject("/OBJR"),
                        generic.NameObject("/Obj"): annot_ref,
                        generic.NameObject("/Pg"): page_ref,
                    }
                ),
            }
        )
        element_ref = writer.add_object(element)
        annot[generic.NameObject("/StructParent")] = generic.NumberObject(next_key)  # type: ignore[no-untyped-call]
        nums.append(generic.NumberObject(next_key))  # type: ignore[no-untyped-call]
        nums.append(element_ref)
        kids.append(element_ref)
        next_key += 1
    tree[generic.NameObject("/ParentTreeNextKey")] = generic.NumberObject(next_key)  # type: ignore[no-untyped-call]
    writer.update_container(tree)
    writer.update_container(nums)
    writer.update_container(top)
    writer.update_container(kids)


def _widgets(
    writer: IncrementalPdfFileWriter, names: set[str]
) -> list[tuple[generic.IndirectObject, generic.IndirectObject]]:
    """(page, widget) references of the signature fields named ``names``, in page order."""
    from pyhanko.pdf_utils import generic

    found: list[tuple[generic.IndirectObject, generic.IndirectObject]] = []
    pages = _page_refs(writer.root.raw_get("/Pages"), 0)
    for page_ref in pages:
        annots = _get(page_ref.get_object(), "/Annots")  # type: ignore[no-untyped-call]
        if not isinstance(annots, generic.ArrayObject):
            continue
        for item in annots:  # a list: the items unresolved
            if not isinstance(item, generic.IndirectObject):
                continue
            annot = item.get_object()  # type: ignore[no-untyped-call]
            if _get(annot, "/FT") == "/Sig" and str(_get(annot, "/T")) in names:
                found.append((page_ref, item))
    return found


def _common_name(certificate: x509.Certificate) -> str:
    names = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    value = names[0].value if names else certificate.subject.rfc4514_string()
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def _pyhanko_signer(signer: Signer) -> SimpleSigner:
    from asn1crypto import keys as asn1_keys  # type: ignore[import-untyped]
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    der = signer.key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return signers.SimpleSigner(
        signing_cert=_asn1_certificate(signer.certificate),
        signing_key=asn1_keys.PrivateKeyInfo.load(der),
        cert_registry=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
            [asn1_x509.Certificate.load(_der(c)) for c in signer.chain]
        ),
    )


def _der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def _asn1_certificate(certificate: x509.Certificate) -> Any:
    from asn1crypto import x509 as asn1_x509

    return asn1_x509.Certificate.load(_der(certificate))


def _stamp_style(name: str, spot: SignatureBox, scratch: Path) -> BaseStampStyle:
    """The issuer's stamp: a one-page PDF the size of the box, drawn by WeasyPrint.

    WeasyPrint embeds (a subset of) its fonts, as PDF/A requires of every font; pyHanko's
    own text stamp would use Courier, which it does not embed. Without WeasyPrint (or its
    system libraries), the text stamp is used.
    """
    from pyhanko import stamp

    try:
        import weasyprint  # type: ignore[import-untyped]
    except (ImportError, OSError):
        return stamp.TextStampStyle(stamp_text=_STAMP_TEXT, border_width=1)
    left, bottom, right, top = spot.box
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = _STAMP_HTML.format(
        width=right - left, height=top - bottom, name=html.escape(name), when=when
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        scratch.write_bytes(weasyprint.HTML(string=page).write_pdf())
    from pyhanko.pdf_utils import layout

    return stamp.StaticStampStyle.from_pdf_file(
        str(scratch),
        border_width=0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN,
            y_align=layout.AxisAlignment.ALIGN_MIN,
            margins=layout.Margins(),
        ),
    )


# --- verifying -----------------------------------------------------------------------------


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
