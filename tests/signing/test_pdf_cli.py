"""``govern sign`` and ``govern verify`` of PDF reports, through the command line."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govern.cli.main import app
from govern.report.context import SIGNOFF_ROLES
from govern.signing.keys import key_pem
from govern.signing.pdf import ISSUER_FIELD, verify_pdf
from tests.signing.conftest import make_keys
from tests.signing.test_pdf import _append_update, build_report


@pytest.fixture(scope="module")
def report_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_report(tmp_path_factory.mktemp("cli-report"))


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, report_pdf: Path) -> Path:
    """A working folder (the current one) holding a copy of the unsigned report."""
    monkeypatch.chdir(tmp_path)
    shutil.copyfile(report_pdf, tmp_path / "report.pdf")
    return tmp_path


def govern(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


def one_sentence(output: str) -> str:
    assert "Traceback" not in output
    return " ".join(output.split())


def test_sign_with_the_keys_of_keys_init(work: Path, report_pdf: Path) -> None:
    signer = make_keys(work / ".govern" / "keys")
    code, output = govern("sign", "report.pdf")
    assert code == 0, output
    assert "signed report.pdf as CN=Model Risk" in one_sentence(output)
    data = (work / "report.pdf").read_bytes()
    assert data.startswith(report_pdf.read_bytes()) and len(data) > report_pdf.stat().st_size
    result = verify_pdf(work / "report.pdf", trust=[signer.certificate])
    assert result.ok, result.failures
    assert result.unsigned_fields == SIGNOFF_ROLES
    # no temporary file is left beside it
    assert sorted(p.name for p in work.iterdir()) == [".govern", "report.pdf"]


def test_sign_out_leaves_the_report_as_it_was(work: Path, report_pdf: Path) -> None:
    keys = work / "org"
    signer = make_keys(keys, "Example Bank")
    code, output = govern(
        "sign", "report.pdf", "--key", keys / "key.pem", "--cert", keys / "cert.pem",
        "--out", "signed/report.pdf",
    )  # fmt: skip
    assert code == 0, output
    assert (work / "report.pdf").read_bytes() == report_pdf.read_bytes()
    assert verify_pdf(work / "signed" / "report.pdf", key=signer.public_key).ok


def test_verify_a_signed_report(work: Path) -> None:
    keys = work / "org"
    make_keys(keys, "Example Bank")
    assert (
        govern("sign", "report.pdf", "--key", keys / "key.pem", "--cert", keys / "cert.pem")[0] == 0
    )
    code, output = govern("verify", "report.pdf", "--trust", keys / "cert.pem")
    assert code == 0, output
    assert ISSUER_FIELD in output and "Example Bank" in output
    code, output = govern("verify", "report.pdf", "--key", keys / "key.pub.pem", "-f", "json")
    assert code == 0, output
    (entry,) = json.loads(output)["files"]
    assert entry["ok"] is True and entry["checks"]
    assert any("Model owner" in note for note in entry["notes"])
    # untrusted without --trust or --key
    code, output = govern("verify", "report.pdf")
    assert code == 1
    assert "is not trusted" in one_sentence(output)


def test_verify_catches_another_key_and_an_appended_update(work: Path) -> None:
    keys = work / "org"
    make_keys(keys, "Example Bank")
    make_keys(work / "other", "Someone Else")
    assert (
        govern("sign", "report.pdf", "--key", keys / "key.pem", "--cert", keys / "cert.pem")[0] == 0
    )
    code, output = govern("verify", "report.pdf", "--key", work / "other" / "key.pub.pem")
    assert code == 1
    assert "another key than the one given" in one_sentence(output)
    tampered = work / "tampered.pdf"
    tampered.write_bytes(_append_update(work / "report.pdf", "annotation"))
    code, output = govern("verify", tampered, "--trust", keys / "cert.pem")
    assert code == 1
    assert "changed after it was signed" in one_sentence(output)


# --- bad input: exit 2, one sentence ---------------------------------------------------------


def test_not_a_pdf(work: Path) -> None:
    make_keys(work / ".govern" / "keys")
    (work / "report.html").write_text("<!doctype html><p>report</p>\n", encoding="utf-8")
    code, output = govern("sign", "report.html")
    assert code == 2
    assert "report.html is not a PDF" in one_sentence(output)
    code, output = govern("verify", "report.html.pdf")
    assert code == 2


def test_no_key(work: Path) -> None:
    code, output = govern("sign", "report.pdf")
    assert code == 2
    assert "no signing key" in one_sentence(output) and "govern keys init" in output
    code, output = govern("sign", "report.pdf", "--key", "missing.pem", "--cert", "cert.pem")
    assert code == 2
    assert "missing.pem" in output and "cannot be read" in one_sentence(output)
    assert (work / "report.pdf").read_bytes().count(b"/ByteRange") == 0


def test_encrypted_key_needs_the_passphrase(
    work: Path, monkeypatch: pytest.MonkeyPatch, report_pdf: Path
) -> None:
    keys = work / "org"
    plain = make_keys(keys, "Example Bank")
    (keys / "key.pem").unlink()
    (keys / "key.pem").write_bytes(key_pem(plain.key, b"correct horse"))
    args = ("sign", "report.pdf", "--key", keys / "key.pem", "--cert", keys / "cert.pem")
    code, output = govern(*args)
    assert code == 2
    assert "is encrypted and no passphrase was given" in one_sentence(output)
    assert "--passphrase-env" in output
    assert (work / "report.pdf").read_bytes() == report_pdf.read_bytes()
    monkeypatch.setenv("GOVERN_TEST_PASS", "correct horse")
    code, output = govern(*args, "--passphrase-env", "GOVERN_TEST_PASS")
    assert code == 0, output
    assert verify_pdf(work / "report.pdf", key=plain.public_key).ok


def test_a_certificate_of_another_key_is_refused(work: Path) -> None:
    make_keys(work / "mine", "Mine")
    make_keys(work / "theirs", "Theirs")
    code, output = govern(
        "sign", "report.pdf", "--key", work / "mine" / "key.pem",
        "--cert", work / "theirs" / "cert.pem",
    )  # fmt: skip
    assert code == 2
    assert "does not belong to the key" in one_sentence(output)


def test_a_signed_report_is_not_signed_twice(work: Path) -> None:
    make_keys(work / ".govern" / "keys")
    assert govern("sign", "report.pdf")[0] == 0
    code, output = govern("sign", "report.pdf")
    assert code == 2
    assert "already has signature fields" in one_sentence(output)


def test_report_sign_writes_a_certified_pdf(work: Path, db: Path) -> None:
    from govern.demo import demo_policies

    keys = work / "org"
    signer = make_keys(keys, "Example Bank")
    code, output = govern(
        "--db", db, "report", "-m", "credit-risk", "--version", "2",
        "--policy", demo_policies(), "--as-of", "2026-12-03", "-f", "json,pdf",
        "--out", "reports", "--sign", "--key", keys / "key.pem", "--cert", keys / "cert.pem",
    )  # fmt: skip
    assert code == 0, output
    pdf = work / "reports" / "credit-risk-v2-2026-12-03.pdf"
    result = verify_pdf(pdf, trust=[signer.certificate])
    assert result.ok, result.failures
    assert result.signatures[0].certification and result.unsigned_fields == SIGNOFF_ROLES
    # the digest printed (and recorded, and attested) is the signed file's
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() in one_sentence(output)
