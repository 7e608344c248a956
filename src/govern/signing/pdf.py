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

Reading a PDF and finding its signature boxes live in :mod:`govern.signing.pdf_read`, the
check in :mod:`govern.signing.pdf_verify`; this module re-exports their public names.
"""

from __future__ import annotations

import html
import io
import tempfile
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from govern.signing.keys import KeyFileError, Signer
from govern.signing.pdf_read import (
    ANCHOR_PREFIX,
    MAX_PDF,
    PdfInputError,
    SignatureBox,
    _asn1_certificate,
    _boxes,
    _der,
    _get,
    _page_refs,
    _reader,
    find_signature_boxes,
    read_pdf,
)
from govern.signing.pdf_verify import PdfVerification, SignatureCheck, verify_pdf

if TYPE_CHECKING:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.signers import SimpleSigner
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

#: The field name of the issuer's (certification) signature.
ISSUER_FIELD: Final = "Issuer"

_REASON: Final = "Issued this audit report; later changes other than sign-off show"
_STAMP_TEXT: Final = "Signed by %(signer)s\n%(ts)s\nCertified: later changes show"
_STAMP_HTML: Final = """<!doctype html><html lang="en"><head><meta charset="utf-8"><style>
@page {{ size: {width}pt {height}pt; margin: 0 }}
body {{ margin: 0; font-family: "DejaVu Sans", sans-serif; font-size: 7.5pt; line-height: 1.3 }}
div {{ box-sizing: border-box; width: {width}pt; height: {height}pt; padding: 3pt 6pt;
      border: 0.75pt solid #1a1a1a; overflow: hidden }}
</style></head><body><div><strong>Signed by {name}</strong><br>{when}<br>Certified: changes
other than sign-off fields show</div></body></html>"""


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
