"""`govern verify` on a signed report set with its PDF: the bundle and the PDF's signature."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govern.cli.main import app
from govern.demo import demo_policies
from tests.signing.conftest import make_keys

STEM = "credit-risk-v2-2026-12-03"


@pytest.fixture(scope="module")
def built(registry_db: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """`govern report --format html,json,pdf --sign`, once: the store and its folder."""
    base = tmp_path_factory.mktemp("signed")
    db = base / "govern.duckdb"
    shutil.copyfile(registry_db, db)
    make_keys(base / "keys")
    result = CliRunner().invoke(
        app,
        [
            "--db", str(db), "report", "-m", "credit-risk", "--version", "2",
            "--policy", str(demo_policies()), "--as-of", "2026-12-03",
            "--format", "html,json,pdf", "--out", str(base / "reports"),
            "--sign", "--key", str(base / "keys" / "key.pem"),
            "--cert", str(base / "keys" / "cert.pem"),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return db, base


@pytest.fixture
def signed_set(built: tuple[Path, Path], tmp_path: Path) -> Path:
    """A copy of the signed report folder (tests change files), with the keys beside it."""
    shutil.copytree(built[1] / "keys", tmp_path / "keys")
    return Path(shutil.copytree(built[1] / "reports", tmp_path / "reports"))


@pytest.fixture
def db(built: tuple[Path, Path]) -> Path:
    """The store that recorded the report (only read)."""
    return built[0]


def _verify(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--db", str(db), "verify", *args])
    return result.exit_code, result.stdout + result.stderr


def test_the_bundle_and_the_signed_pdf_verify(signed_set: Path, db: Path, tmp_path: Path) -> None:
    code, out = _verify(
        db,
        str(signed_set / f"{STEM}.sigstore.json"),
        str(signed_set / f"{STEM}.pdf"),
        "--trust",
        str(tmp_path / "keys" / "cert.pem"),
    )
    assert code == 0, out
    assert f"ok    {STEM}.pdf: the SHA-256" in out  # the attested PDF is the signed one
    assert "ok    certification 'Issuer'" in out
    assert "empty signature field 'Approver'" in out


def test_an_untrusted_pdf_signer_fails(signed_set: Path, db: Path) -> None:
    code, out = _verify(db, str(signed_set / f"{STEM}.pdf"))
    assert code == 1
    assert "not trusted" in out


def test_one_byte_flipped_in_the_pdf_fails_both(signed_set: Path, db: Path, tmp_path: Path) -> None:
    pdf = signed_set / f"{STEM}.pdf"
    data = bytearray(pdf.read_bytes())
    at = data.index(b"/Producer")  # in the signed first revision
    data[at + 2] ^= 0x20
    pdf.write_bytes(bytes(data))
    code, out = _verify(
        db, str(signed_set / f"{STEM}.sigstore.json"), "--keys", str(tmp_path / "keys")
    )
    assert code == 1
    assert f"FAIL  {STEM}.pdf: " in out and "was changed after signing" in out
    code, out = _verify(db, str(pdf), "--trust", str(tmp_path / "keys" / "cert.pem"))
    assert code == 1
    assert "FAIL  certification 'Issuer'" in out


def test_a_pdf_pinned_to_another_key_fails(signed_set: Path, db: Path, tmp_path: Path) -> None:
    make_keys(tmp_path / "other")
    code, out = _verify(
        db, str(signed_set / f"{STEM}.pdf"), "--key", str(tmp_path / "other" / "key.pub.pem")
    )
    assert code == 1
    assert "FAIL  certification 'Issuer'" in out
