"""The signing commands: keys init, report --sign, gate --attest and verify, end to end."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govern.cli.main import app
from govern.demo import demo_policies
from govern.signing.keys import load_signer


def _invoke(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    old = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        result = CliRunner().invoke(app, list(args))
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


def test_keys_init_writes_three_files_and_refuses_to_overwrite(tmp_path: Path) -> None:
    code, out, err = _invoke(
        "keys", "init", "--common-name", "Model Risk", "--org", "ACME", "--country", "gb",
        cwd=tmp_path,
    )  # fmt: skip
    assert code == 0, err
    folder = tmp_path / ".govern" / "keys"
    assert stat.S_IMODE((folder / "key.pem").stat().st_mode) == 0o600
    signer = load_signer(folder / "key.pem", folder / "cert.pem")
    assert f"key id:                     {signer.key_id}" in out
    assert "certificate SHA-256:" in out
    assert "CN=Model Risk" in out and "C=GB" in out
    assert (folder / "key.pub.pem").read_bytes() == signer.public_pem()
    before = (folder / "key.pem").read_bytes()
    code, _, err = _invoke("keys", "init", cwd=tmp_path)
    assert code == 2
    assert "already exists" in err
    assert (folder / "key.pem").read_bytes() == before


def test_keys_init_encrypts_with_a_passphrase_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_KEY_PASS", "correct horse")
    code, _, err = _invoke(
        "keys", "init", "--out", str(tmp_path / "k"), "--passphrase-env", "TEST_KEY_PASS"
    )
    assert code == 0, err
    assert b"ENCRYPTED" in (tmp_path / "k" / "key.pem").read_bytes()
    code, _, err = _invoke("keys", "init", "--out", str(tmp_path / "j"), "--passphrase-env", "NOPE")
    assert code == 2
    assert "NOPE is not set" in err
    assert not (tmp_path / "j").exists()


def _report(db: Path, tmp_path: Path, *extra: str) -> tuple[int, str, str]:
    keys = tmp_path / "keys"
    return _invoke(
        "--db", str(db), "report", "-m", "credit-risk", "--version", "2",
        "--policy", str(demo_policies()), "--as-of", "2026-12-03",
        "--out", str(tmp_path / "reports"),
        "--sign", "--key", str(keys / "key.pem"), "--cert", str(keys / "cert.pem"), *extra,
    )  # fmt: skip


def test_report_sign_then_verify_round_trip(db: Path, tmp_path: Path, signer: object) -> None:
    code, _, err = _report(db, tmp_path)
    assert code == 0, err
    bundle = tmp_path / "reports" / "credit-risk-v2-2026-12-03.sigstore.json"
    assert f"wrote {bundle}" in err
    pub = str(tmp_path / "keys" / "key.pub.pem")
    code, out, err = _invoke("--db", str(db), "verify", str(bundle), "--key", pub)
    assert code == 0, out + err
    assert "all 4 checks hold" in out
    code, out, _ = _invoke("--db", str(db), "verify", str(bundle), "--key", pub, "-f", "json")
    doc = json.loads(out)
    assert doc["ok"] is True
    names = [c["what"] for c in doc["files"][0]["checks"]]
    assert names == [
        "signature",
        "credit-risk-v2-2026-12-03.html",
        "credit-risk-v2-2026-12-03.json",
        "ledger",
    ]
    # one byte flipped in the JSON: exit 1, naming the file
    target = tmp_path / "reports" / "credit-risk-v2-2026-12-03.json"
    target.write_bytes(target.read_bytes().replace(b'"pass"', b'"PASS"', 1))
    code, out, _ = _invoke("--db", str(db), "verify", str(bundle), "--key", pub)
    assert code == 1
    assert "FAIL  credit-risk-v2-2026-12-03.json:" in out


def test_report_attestation_subjects_include_the_pdf(
    db: Path, tmp_path: Path, signer: object
) -> None:
    code, _, err = _report(db, tmp_path, "--format", "html,json,pdf")
    assert code == 0, err
    bundle = tmp_path / "reports" / "credit-risk-v2-2026-12-03.sigstore.json"
    from govern.signing.attest import Statement
    from govern.signing.bundle import read_bundle

    statement = Statement.from_payload(read_bundle(bundle).envelope.payload, where="b")
    names = sorted(s.name for s in statement.subjects)
    assert names == [f"credit-risk-v2-2026-12-03.{e}" for e in ("html", "json", "pdf")]
    pdf = tmp_path / "reports" / "credit-risk-v2-2026-12-03.pdf"
    import hashlib

    [pdf_subject] = [s for s in statement.subjects if s.name.endswith(".pdf")]
    assert pdf_subject.sha256 == hashlib.sha256(pdf.read_bytes()).hexdigest()


def test_report_sign_with_a_bad_key_writes_nothing(db: Path, tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "key.pem").write_text("not a key")
    (tmp_path / "keys" / "cert.pem").write_text("not a cert")
    code, _, err = _report(db, tmp_path)
    assert code == 2
    assert "key.pem" in err
    assert not (tmp_path / "reports").exists()


def test_report_sign_without_any_key_says_how_to_make_one(db: Path, tmp_path: Path) -> None:
    code, _, err = _invoke(
        "--db", str(db), "report", "-m", "credit-risk", "--version", "2",
        "--policy", str(demo_policies()), "--out", str(tmp_path / "r"), "--sign",
        cwd=tmp_path,
    )  # fmt: skip
    assert code == 2
    assert "govern keys init" in err
    assert not (tmp_path / "r").exists()


def test_verify_exit_codes_for_bad_input(report_set: Path, tmp_path: Path) -> None:
    pub = str(tmp_path / "keys" / "key.pub.pem")
    missing_db = str(tmp_path / "none.duckdb")
    not_bundle = tmp_path / "x.txt"
    not_bundle.write_text("hello")
    code, _, err = _invoke("verify", str(not_bundle), "--key", pub, cwd=tmp_path)
    assert code == 2 and "cannot verify it" in err
    code, _, err = _invoke("--db", missing_db, "verify", str(report_set), "--key", pub)
    assert code == 2 and "no govern store" in err
    report_set.with_name("credit-risk-v2-2026-12-03.html").unlink()
    code, _, err = _invoke("verify", str(report_set), "--key", pub, cwd=tmp_path)
    assert code == 2
    assert "credit-risk-v2-2026-12-03.html" in err and "cannot be read" in err
    code, _, err = _invoke("verify", str(report_set), "--key", str(tmp_path / "k.pem"))
    assert code == 2 and "k.pem" in err


def test_verify_with_another_certificate_fails(report_set: Path, tmp_path: Path) -> None:
    from tests.signing.conftest import make_keys

    make_keys(tmp_path / "other")
    code, out, _ = _invoke(
        "verify", str(report_set), "--cert", str(tmp_path / "other" / "cert.pem"), cwd=tmp_path
    )
    assert code == 1
    assert "FAIL  signature" in out


def test_gate_attest_then_verify_and_a_rewritten_ledger_fails(
    db: Path, tmp_path: Path, signer: object
) -> None:
    keys = tmp_path / "keys"
    bundle = tmp_path / "gate.sigstore.json"
    code, _, err = _invoke(
        "--db", str(db), "gate", "credit-risk", "2", "--policy", str(demo_policies()),
        "-o", str(tmp_path / "gate.txt"), "--attest", str(bundle),
        "--key", str(keys / "key.pem"), "--cert", str(keys / "cert.pem"),
    )  # fmt: skip
    assert code == 0, err
    assert f"wrote {bundle}" in err
    code, out, err = _invoke("--db", str(db), "verify", str(bundle), "--keys", str(keys))
    assert code == 0, out + err
    # without a store the model version cannot be checked: bad input, not a pass
    code, _, err = _invoke("verify", str(bundle), "--keys", str(keys), cwd=tmp_path)
    assert code == 2 and "--db" in err
    from govern.store.store import Store

    with Store.open(db) as store:
        store.con.execute("UPDATE ledger SET decision = 'fail'")
    code, out, _ = _invoke("--db", str(db), "verify", str(bundle), "--keys", str(keys))
    assert code == 1
    assert "FAIL  ledger" in out


def test_gate_attest_with_a_bad_key_records_nothing(db: Path, tmp_path: Path) -> None:
    code, _, err = _invoke(
        "--db", str(db), "gate", "credit-risk", "2", "--policy", str(demo_policies()),
        "--attest", str(tmp_path / "g.json"), "--key", str(tmp_path / "missing.pem"),
        "--cert", str(tmp_path / "missing.pem"),
    )  # fmt: skip
    assert code == 2 and "missing.pem" in err
    from govern.store import ledger
    from govern.store.store import Store

    with Store.open(db, read_only=True) as store:
        assert ledger.head(store) is None
    assert not (tmp_path / "g.json").exists()


def test_gate_attestation_that_cannot_be_written_records_nothing(
    db: Path, tmp_path: Path, signer: object
) -> None:
    keys = tmp_path / "keys"
    output = tmp_path / "gate.txt"
    folder = tmp_path / "g.sigstore.json"
    folder.mkdir()  # a folder where the attestation should go: it cannot be written
    code, _, err = _invoke(
        "--db", str(db), "gate", "credit-risk", "2", "--policy", str(demo_policies()),
        "-o", str(output), "--attest", str(folder),
        "--key", str(keys / "key.pem"), "--cert", str(keys / "cert.pem"),
    )  # fmt: skip
    assert code == 2, err
    assert "g.sigstore.json: it is a folder" in err
    from govern.store import ledger
    from govern.store.store import Store

    with Store.open(db, read_only=True) as store:
        assert ledger.head(store) is None  # the decision and its attestation: both or neither
    assert not output.exists()
