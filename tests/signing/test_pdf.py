"""Signed PDF reports: govern.signing.pdf signs in the sign-off block and catches tampering.

The report is the demo registry's credit-risk v2 audit report, rendered once per module.
Third-party views are checked with poppler (pdfsig, pdftotext, pdfinfo) and NSS's certutil,
never skipped: `make system-deps` installs poppler-utils and libnss3-tools.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from govern.demo import demo_policies
from govern.errors import VerificationError
from govern.report.context import SIGNOFF_ROLES
from govern.report.pdf import render_pdf
from govern.signing.keys import KeyFileError, Signer, Subject, generate
from govern.signing.pdf import (
    ISSUER_FIELD,
    PdfInputError,
    find_signature_boxes,
    sign_pdf,
    verify_pdf,
)
from tests.stores import registry_store

NOW = dt.datetime.now(dt.UTC)
MONTH = dt.timedelta(days=30)
STEM = "credit-risk-v2-2026-12-03"


def build_report(folder: Path, *, variant: str = "pdf/ua-1") -> Path:
    """Write the credit-risk v2 PDF report of the demo registry into ``folder``; its path.

    Rendered the way ``govern report --format pdf`` renders it (context, then render_formats).
    """
    from govern.policy.loader import load
    from govern.report.context import build_context
    from govern.report.render import render_formats
    from govern.store.store import Store

    now = dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC)
    db = registry_store(folder / "govern.duckdb", now=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    with Store.open(db, read_only=True) as store:
        context = build_context(
            store, load([demo_policies()]), model="credit-risk", version="2", now=now,
            store_path=str(db), waiver_paths=[],
        )  # fmt: skip
    rendered = render_formats(context, ("pdf",), stem=STEM, now=now, pdf_variant=variant)
    pdf = folder / f"{STEM}.pdf"
    pdf.write_bytes(rendered["pdf"] if isinstance(rendered["pdf"], bytes) else b"")
    return pdf


def tool(name: str) -> str:
    """The path of a poppler/NSS tool; a missing one fails (make system-deps installs it)."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found: run `make system-deps` (poppler-utils, libnss3-tools)")
    return path


def run(*args: str | Path) -> str:
    result = subprocess.run(
        [tool(str(args[0])), *map(str, args[1:])],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return result.stdout + result.stderr


def certificate(
    name: str,
    key: ec.EllipticCurvePrivateKey,
    *,
    issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None = None,
    ca: bool = False,
    usage: tuple[bool, bool] = (True, True),
    valid: tuple[dt.datetime, dt.datetime] = (
        NOW - dt.timedelta(days=1),
        NOW + dt.timedelta(days=30),
    ),
) -> x509.Certificate:
    """A certificate as an organisation's CA issues it: a CA, or a signing leaf under one."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer[0].subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid[0])
        .not_valid_after(valid[1])
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(*usage, False, False, False, ca, ca, False, False), critical=True
        )
    )
    if not ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
    return builder.sign(issuer[1] if issuer else key, hashes.SHA256())


@pytest.fixture(scope="module")
def unsigned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_report(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def issuer() -> Signer:
    key, cert = generate(Subject("Govern Test Issuer", organization="Example Bank"), now=NOW)
    return Signer(key=key, certificate=cert)


@pytest.fixture(scope="module")
def signed(unsigned: Path, issuer: Signer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("signed") / "signed.pdf"
    out.write_bytes(sign_pdf(unsigned.read_bytes(), issuer, approvers=SIGNOFF_ROLES))
    return out


def copy(path: Path, tmp_path: Path, data: bytes | None = None) -> Path:
    target = tmp_path / "copy.pdf"
    target.write_bytes(path.read_bytes() if data is None else data)
    return target


# --- where the signatures go -----------------------------------------------------------------


def test_boxes_are_in_the_sign_off_block(unsigned: Path) -> None:
    boxes = find_signature_boxes(unsigned.read_bytes())
    assert sorted(boxes) == list(range(len(SIGNOFF_ROLES) + 1))
    page = boxes[0].page
    assert {b.page for b in boxes.values()} == {page}
    text = run("pdftotext", "-f", page + 1, "-l", page + 1, unsigned, "-")
    assert "Sign-off" in text
    # the issuer's box above the roles' table, the roles' boxes one under the other
    tops = [boxes[n].box[3] for n in sorted(boxes)]
    assert tops == sorted(tops, reverse=True)
    for number, spot in boxes.items():
        left, bottom, right, top = spot.box
        assert right - left >= 60 and top - bottom >= 20, (number, spot)


# --- round trip ------------------------------------------------------------------------------


def test_sign_then_verify(unsigned: Path, signed: Path, issuer: Signer) -> None:
    data = signed.read_bytes()
    # the unsigned report is the signed file's first revision, byte for byte
    assert data.startswith(unsigned.read_bytes())
    result = verify_pdf(signed, trust=[issuer.certificate])
    assert result.ok, result.failures
    result.check()
    (only,) = result.signatures
    assert only.field == ISSUER_FIELD
    assert only.certification and only.intact and only.valid and only.trusted
    assert only.coverage == "ENTIRE_FILE"
    assert only.signer == "Govern Test Issuer (Example Bank)"
    assert result.unsigned_fields == SIGNOFF_ROLES
    pinned = verify_pdf(signed, key=issuer.public_key)
    assert pinned.ok, pinned.failures
    assert pinned.signatures[0].key_matches is True


def test_untrusted_certificate_is_rejected(signed: Path) -> None:
    result = verify_pdf(signed)
    assert not result.ok
    (problem,) = result.failures
    assert "is not trusted" in problem and "--trust" in problem
    with pytest.raises(VerificationError, match="not trusted"):
        result.check()
    _, other_cert = generate(Subject("Someone else"), now=NOW)
    result = verify_pdf(signed, trust=[other_cert])
    assert not result.ok
    assert "does not chain to a --trust certificate" in result.failures[0]


def test_wrong_key_is_rejected(signed: Path, issuer: Signer) -> None:
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    result = verify_pdf(signed, key=other, trust=[issuer.certificate])
    assert not result.ok
    assert result.signatures[0].key_matches is False
    assert "with another key than the one given" in result.failures[0]


def test_swapped_certificate_is_rejected(unsigned: Path, issuer: Signer, tmp_path: Path) -> None:
    # an impostor re-signs the report with a certificate of the very same subject
    name = Subject("Govern Test Issuer", organization="Example Bank")
    key, cert = generate(name, now=NOW)
    assert cert.subject == issuer.certificate.subject
    forged = copy(unsigned, tmp_path, sign_pdf(unsigned.read_bytes(), Signer(key, cert)))
    trusted = verify_pdf(forged, trust=[issuer.certificate])
    assert not trusted.ok and "is not trusted" in trusted.failures[0]
    pinned = verify_pdf(forged, key=issuer.public_key)
    assert not pinned.ok and "another key" in pinned.failures[0]


def test_certificate_swapped_inside_the_signature_is_caught(
    signed: Path, issuer: Signer, tmp_path: Path
) -> None:
    """A forged certificate with the issuer's name and serial, put in place of the real one."""
    from asn1crypto import cms
    from asn1crypto import x509 as asn1_x509

    data = bytearray(signed.read_bytes())
    start = data.rindex(b"/Contents <") + len(b"/Contents <")
    end = start + data[start:].index(b">")
    info = cms.ContentInfo.load(bytes.fromhex(data[start:end].decode("ascii")))
    real = issuer.certificate
    forged_key = ec.generate_private_key(ec.SECP256R1())
    forged = (
        x509.CertificateBuilder()
        .subject_name(real.subject)
        .issuer_name(real.issuer)
        .public_key(forged_key.public_key())
        .serial_number(real.serial_number)
        .not_valid_before(real.not_valid_before_utc)
        .not_valid_after(real.not_valid_after_utc)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(forged_key, hashes.SHA256())
    )
    info["content"]["certificates"] = [
        asn1_x509.Certificate.load(forged.public_bytes(serialization.Encoding.DER))
    ]
    replacement = info.dump(force=True).hex().encode("ascii")
    assert len(replacement) <= end - start
    data[start:end] = replacement.ljust(end - start, b"0")
    swapped = copy(signed, tmp_path, bytes(data))
    for trust in ([forged], [real]):
        result = verify_pdf(swapped, trust=trust)
        assert not result.ok
        assert result.signatures[0].valid is False
        # the signed attributes name the certificate by its hash (ESS signing-certificate-v2)
        assert "the signature does not validate" in result.failures[0]
        assert "Signing certificate attribute does not match" in result.failures[0]


# --- tampering -------------------------------------------------------------------------------


def test_one_flipped_byte_is_caught(unsigned: Path, signed: Path, tmp_path: Path) -> None:
    data = bytearray(signed.read_bytes())
    # a byte inside a page's compressed content stream of the signed first revision
    start = data.index(b"stream\n", len(data) // 4) + len(b"stream\n") + 20
    assert start < len(unsigned.read_bytes())
    data[start] ^= 0x01
    result = verify_pdf(copy(signed, tmp_path, bytes(data)), key=None)
    assert not result.ok
    assert result.signatures[0].intact is False
    assert "the signed bytes were changed" in result.failures[0]


def test_flipped_byte_in_the_signature_value_is_caught(signed: Path, tmp_path: Path) -> None:
    data = bytearray(signed.read_bytes())
    contents = data.rindex(b"/Contents <") + len(b"/Contents <")
    # the ECDSA value sits at the end of the CMS structure, before the zero padding
    end = contents + data[contents:].index(b">")
    hex_value = bytes(data[contents:end]).rstrip(b"0")
    position = contents + len(hex_value) - 8
    data[position] = ord("0") if data[position] != ord("0") else ord("1")
    result = verify_pdf(copy(signed, tmp_path, bytes(data)))
    assert not result.ok
    assert not result.signatures[0].valid


def test_a_signature_that_cannot_be_read_fails(signed: Path, tmp_path: Path) -> None:
    data = bytearray(signed.read_bytes())
    contents = data.rindex(b"/Contents <") + len(b"/Contents <")
    end = contents + data[contents:].index(b">")
    data[contents:end] = b"0" * (end - contents)  # no CMS structure left at all
    result = verify_pdf(copy(signed, tmp_path, bytes(data)))
    assert not result.ok
    (check,) = result.signatures
    assert not check.intact and not check.valid
    assert "the signature cannot be read" in check.problems[0]


def _append_update(path: Path, change: str) -> bytes:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    with path.open("rb") as handle:
        writer = IncrementalPdfFileWriter(io.BytesIO(handle.read()), strict=False)
    if change == "annotation":
        page_ref = writer.root["/Pages"]["/Kids"][0]
        page = page_ref.get_object()
        note = generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Annot"),
                generic.NameObject("/Subtype"): generic.NameObject("/Text"),
                generic.NameObject("/Rect"): generic.ArrayObject(
                    [generic.FloatObject(v) for v in (100, 100, 120, 120)]
                ),
                generic.NameObject("/Contents"): generic.TextStringObject("decision: FAIL"),
            }
        )
        annots = page.get("/Annots", generic.ArrayObject())
        annots.append(writer.add_object(note))
        page[generic.NameObject("/Annots")] = annots
        writer.update_container(page)
    else:
        info = writer.trailer["/Info"]
        info[generic.NameObject("/Title")] = generic.TextStringObject("credit-risk v3 approved")
        writer.update_container(info)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("change", ["annotation", "info"])
def test_incremental_update_after_signing_is_caught(
    signed: Path, issuer: Signer, tmp_path: Path, change: str
) -> None:
    data = _append_update(signed, change)
    assert data.startswith(signed.read_bytes())
    result = verify_pdf(copy(signed, tmp_path, data), trust=[issuer.certificate])
    assert not result.ok
    assert result.signatures[0].intact and result.signatures[0].valid
    assert any("changed after it was signed" in f for f in result.failures), result.failures


def _approve(path: Path, field: str, approver: Signer) -> bytes:
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    key = asn1_keys.PrivateKeyInfo.load(
        approver.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert = asn1_x509.Certificate.load(approver.certificate.public_bytes(serialization.Encoding.DER))
    writer = IncrementalPdfFileWriter(io.BytesIO(path.read_bytes()), strict=False)
    out = signers.sign_pdf(
        writer,
        signers.PdfSignatureMetadata(field_name=field, subfilter=SigSeedSubFilter.PADES),
        signer=signers.SimpleSigner(signing_cert=cert, signing_key=key, cert_registry=None),
    )
    return bytes(out.getvalue())


def test_an_approver_signs_an_empty_field_later(
    signed: Path, issuer: Signer, tmp_path: Path
) -> None:
    key, cert = generate(Subject("Ada Approver"), now=NOW)
    approved = copy(signed, tmp_path, _approve(signed, "Approver", Signer(key, cert)))
    result = verify_pdf(approved, trust=[issuer.certificate, cert])
    assert result.ok, result.failures
    first, second = result.signatures
    assert (first.field, second.field) == (ISSUER_FIELD, "Approver")
    assert first.modification == "FORM_FILLING" and first.coverage == "ENTIRE_REVISION"
    assert second.coverage == "ENTIRE_FILE" and not second.certification
    assert "Approver" not in result.unsigned_fields
    # the approver is not trusted unless named
    assert not verify_pdf(approved, trust=[issuer.certificate]).ok
    # and a change after the approval is still caught
    tampered = copy(approved, tmp_path, _append_update(approved, "annotation"))
    later = verify_pdf(tampered, trust=[issuer.certificate, cert])
    assert not later.ok
    assert any("changed after it was signed" in f for f in later.failures)


# --- bad input -------------------------------------------------------------------------------


def test_not_a_pdf_is_refused(tmp_path: Path, issuer: Signer) -> None:
    text = tmp_path / "report.html"
    text.write_text("<html></html>", encoding="utf-8")
    with pytest.raises(PdfInputError, match="is not a PDF"):
        sign_pdf(text.read_bytes(), issuer, source=text)
    with pytest.raises(PdfInputError, match="is not a PDF"):
        verify_pdf(text)
    with pytest.raises(PdfInputError, match="cannot be read"):
        verify_pdf(tmp_path / "missing.pdf")


def test_a_pdf_without_sign_off_boxes_is_refused(issuer: Signer) -> None:
    plain = render_pdf("<html lang='en'><title>t</title><p>hello</p></html>", created=NOW)
    with pytest.raises(PdfInputError, match="no sign-off box for the issuer's signature"):
        sign_pdf(plain, issuer, source="plain.pdf")


def test_a_signed_pdf_is_not_signed_again(signed: Path, issuer: Signer) -> None:
    with pytest.raises(PdfInputError, match="already has signature fields"):
        sign_pdf(signed.read_bytes(), issuer, approvers=SIGNOFF_ROLES)


def test_an_expired_certificate_does_not_sign(unsigned: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    old = certificate("Old", key, ca=True, valid=(NOW - 2 * MONTH, NOW - MONTH))
    with pytest.raises(KeyFileError, match=r"is valid from .* not now"):
        sign_pdf(unsigned.read_bytes(), Signer(key, old))


def test_an_unsigned_pdf_does_not_verify(unsigned: Path) -> None:
    result = verify_pdf(unsigned)
    assert not result.ok
    assert result.failures == ("it holds no signature",)


# --- what other tools see --------------------------------------------------------------------


def test_text_and_tagging_survive_signing(unsigned: Path, signed: Path) -> None:
    text = run("pdftotext", signed, "-")
    assert "credit-risk" in text and "Sign-off" in text and "Executive summary" in text
    info = run("pdfinfo", signed)
    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    assert re.search(r"^Form:\s+AcroForm$", info, re.M)
    # every font is embedded, the stamp's too (PDF/A)
    fonts = run("pdffonts", signed).splitlines()[2:]
    embedded = [re.search(r"\s(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+$", f) for f in fonts]
    assert fonts and all(m is not None and m.group(1) == "yes" for m in embedded), fonts
    from pyhanko.pdf_utils.reader import PdfFileReader

    with unsigned.open("rb") as handle:
        first_new = int(PdfFileReader(handle, strict=False).trailer["/Size"])
    numbers = [int(f.split()[-2]) for f in fonts]
    assert max(numbers) >= first_new  # the stamp's fonts, added by the signature's revision
    # each signature widget sits in a Form structure element (PDF/UA), named for its role
    structure = run("pdfinfo", "-struct", signed)
    assert structure.count("\n  Form\n") == len(SIGNOFF_ROLES) + 1
    from pyhanko.pdf_utils.reader import PdfFileReader

    with signed.open("rb") as handle:
        reader = PdfFileReader(handle, strict=False)
        tree = reader.root["/StructTreeRoot"]
        nums = tree["/ParentTree"]["/Nums"]
        parents = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        names = {}
        fields = reader.root["/AcroForm"]["/Fields"]
        for index in range(len(fields)):
            field = fields[index]
            element = parents[int(field["/StructParent"])]
            assert element["/S"] == "/Form"
            assert element["/K"]["/Obj"]["/T"] == field["/T"]
            names[str(field["/T"])] = str(element["/Alt"])
    assert names["Approver"] == "Signature of the Approver"
    assert set(names) == {ISSUER_FIELD, *SIGNOFF_ROLES}


def test_pdfsig_reports_the_signature_valid(signed: Path) -> None:
    report = run("pdfsig", "-nocert", signed)
    issuer_part = report[report.index(f"Signature Field Name: {ISSUER_FIELD}") :]
    assert "Signature Validation: Signature is Valid." in issuer_part
    assert "Total document signed" in issuer_part
    assert "Signature Type: ETSI.CAdES.detached" in issuer_part
    for role in SIGNOFF_ROLES:
        assert re.search(
            rf"Signature Field Name: {re.escape(role)}\n\s+The signature form field is not signed",
            report,
        )


def _nss_db(folder: Path, ca: x509.Certificate | None) -> Path:
    """A new NSS database (what pdfsig reads trust from), trusting ``ca`` when given."""
    folder.mkdir()
    run("certutil", "-N", "-d", f"sql:{folder}", "--empty-password")
    if ca is not None:
        pem = folder / "ca.pem"
        pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        run("certutil", "-A", "-d", f"sql:{folder}", "-n", "govern-ca", "-t", "CT,C,C", "-i", pem)
        assert "govern-ca" in run("certutil", "-L", "-d", f"sql:{folder}")
    return folder


def test_pdfsig_trusts_the_certificate_only_with_its_ca(unsigned: Path, tmp_path: Path) -> None:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = certificate("Example Bank Root CA", ca_key, ca=True)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = certificate("Model Risk Reporting", leaf_key, issuer=(ca, ca_key))
    signer = Signer(leaf_key, leaf, (ca,))
    pdf = copy(unsigned, tmp_path, sign_pdf(unsigned.read_bytes(), signer))
    empty = _nss_db(tmp_path / "empty", None)
    alone = run("pdfsig", "-nssdir", f"sql:{empty}", pdf)
    assert "Signature Validation: Signature is Valid." in alone
    assert "Certificate Validation: Certificate issuer isn't Trusted." in alone
    nss = _nss_db(tmp_path / "nss", ca)
    trusted = run("pdfsig", "-nssdir", f"sql:{nss}", pdf)
    assert "Signature Validation: Signature is Valid." in trusted
    assert "Certificate Validation: Certificate is Trusted." in trusted
    # govern agrees: trusted through the CA, with the chain the signature carries
    assert verify_pdf(pdf, trust=[ca]).ok
    assert not verify_pdf(pdf).ok


@pytest.mark.parametrize(
    ("usage", "expiring", "problem"),
    [
        # digitalSignature alone is a document signing certificate too (as in Acrobat)
        ((True, False), False, None),
        ((False, True), False, None),
        ((True, True), True, "expired"),  # valid when signed, expired when checked
        ((False, False), False, "its key usage does not allow signing documents"),
    ],
)
def test_a_certificate_from_the_organisations_ca(
    unsigned: Path, tmp_path: Path, usage: tuple[bool, bool], expiring: bool, problem: str | None
) -> None:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = certificate("Example Bank Root CA", ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    until = dt.datetime.now(dt.UTC) + (dt.timedelta(seconds=2) if expiring else MONTH)
    leaf = certificate(
        "Model Risk", key, issuer=(ca, ca_key), usage=usage, valid=(NOW - MONTH, until)
    )
    pdf = copy(unsigned, tmp_path, sign_pdf(unsigned.read_bytes(), Signer(key, leaf, (ca,))))
    if expiring:
        time.sleep(max(0.0, (until - dt.datetime.now(dt.UTC)).total_seconds()) + 1.1)
    result = verify_pdf(pdf, trust=[ca])
    if problem is None:
        assert result.ok, result.failures
    else:
        assert not result.ok
        assert problem in result.failures[0] and "is not trusted" in result.failures[0]


def test_pdf_a_3b_report_signs_and_verifies(issuer: Signer, tmp_path: Path) -> None:
    archival = build_report(tmp_path, variant="pdf/a-3b")
    pdf = copy(archival, tmp_path, sign_pdf(archival.read_bytes(), issuer, approvers=SIGNOFF_ROLES))
    assert verify_pdf(pdf, trust=[issuer.certificate]).ok
    assert f"{STEM}.json" in run("pdfdetach", "-list", pdf)


def test_pdfsig_trusts_a_keys_init_certificate_in_its_database(
    signed: Path, issuer: Signer, tmp_path: Path
) -> None:
    # the certificate `govern keys init` makes (keys.generate): pdfsig validates it as any CA's
    alone = run("pdfsig", "-nssdir", f"sql:{_nss_db(tmp_path / 'empty', None)}", signed)
    assert "Certificate Validation: Certificate issuer isn't Trusted." in alone
    nss = _nss_db(tmp_path / "nss", issuer.certificate)
    trusted = run("pdfsig", "-nssdir", f"sql:{nss}", signed)
    issuer_part = trusted[trusted.index(f"Signature Field Name: {ISSUER_FIELD}") :]
    assert "Signature Validation: Signature is Valid." in issuer_part
    assert "Certificate Validation: Certificate is Trusted." in issuer_part
