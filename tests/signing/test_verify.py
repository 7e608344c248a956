"""`govern verify` on report attestations and gate decisions: every tampering is caught."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govern.cli.main import app
from govern.demo import demo_policies
from govern.errors import GovernError
from govern.signing import attest
from govern.signing.bundle import read_bundle
from govern.signing.keys import Signer
from govern.signing.verify import VerifyOptions, render_text, verify_paths
from govern.store.store import Store
from tests.signing.conftest import Facts, make_keys


def _flip(path: Path, at: int = 5) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def test_round_trip_report_set(report_set: Path, tmp_path: Path) -> None:
    result = verify_paths([report_set], VerifyOptions(key=tmp_path / "keys" / "key.pub.pem"))
    assert result.ok
    checks = [c.what for c in result.files[0].checks]
    assert checks == [
        "signature",
        "credit-risk-v2-2026-12-03.html",
        "credit-risk-v2-2026-12-03.json",
    ]
    assert "the ledger was not checked" in result.files[0].notes[0]
    text = render_text(result)
    assert "verified: 1 file(s), all 3 checks hold." in text


def test_statement_is_canonical_in_toto_v1(report_set: Path) -> None:
    bundle = read_bundle(report_set)
    payload = bundle.envelope.payload
    statement = json.loads(payload)
    assert list(statement) == sorted(statement)  # RFC 8785: keys sorted, no spaces
    assert b": " not in payload
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == attest.REPORT_PREDICATE
    assert statement["subject"][0]["digest"]["sha256"]
    predicate = statement["predicate"]
    assert predicate["model"] == {"name": "credit-risk", "version": "2"}
    assert predicate["ledger"] == {"seq": 3, "hash": "cd" * 32}
    assert predicate["policies"][0]["digest"] == {"sha256": "ab" * 32}
    assert predicate["tools"] == {"govern": "0.1.0"}


def test_key_found_by_its_id_in_the_keys_folder(report_set: Path, tmp_path: Path) -> None:
    result = verify_paths([report_set], VerifyOptions(keys_dir=tmp_path / "keys"))
    assert result.ok
    assert "key.pub.pem" in result.files[0].checks[0].detail or "cert.pem" in (
        result.files[0].checks[0].detail
    )


@pytest.mark.parametrize("suffix", ["html", "json"])
def test_one_byte_flipped_in_a_report_file_fails(
    report_set: Path, tmp_path: Path, suffix: str
) -> None:
    _flip(report_set.with_name(f"credit-risk-v2-2026-12-03.{suffix}"))
    result = verify_paths([report_set], VerifyOptions(key=tmp_path / "keys" / "cert.pem"))
    assert not result.ok
    [(_, failed)] = result.failed()
    assert failed.what.endswith(suffix)
    assert "was changed after signing" in failed.detail
    assert "NOT verified: 1 of 3 checks failed" in render_text(result)


def test_a_changed_statement_fails_the_signature(report_set: Path, tmp_path: Path) -> None:
    doc = json.loads(report_set.read_text())
    payload = json.loads(base64.b64decode(doc["dsseEnvelope"]["payload"]))
    payload["predicate"]["decision"] = "fail"
    doc["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(payload).encode()).decode()
    report_set.write_text(json.dumps(doc))
    result = verify_paths([report_set], VerifyOptions(key=tmp_path / "keys" / "key.pub.pem"))
    assert not result.ok
    assert [c.what for c in result.files[0].checks] == ["signature"]


def test_a_swapped_key_or_certificate_fails(report_set: Path, tmp_path: Path) -> None:
    make_keys(tmp_path / "other", name="Someone else")
    for option in ("key", "cert"):
        given = tmp_path / "other" / ("key.pub.pem" if option == "key" else "cert.pem")
        result = verify_paths([report_set], VerifyOptions(**{option: given}))  # type: ignore[arg-type]
        assert not result.ok
        detail = result.files[0].checks[0].detail
        assert "does not verify" in detail and "the bundle names key" in detail


def test_a_statement_naming_a_missing_file_is_bad_input(report_set: Path, tmp_path: Path) -> None:
    report_set.with_name("credit-risk-v2-2026-12-03.json").unlink()
    with pytest.raises(GovernError, match=r"names .*credit-risk-v2-2026-12-03.json.*cannot"):
        verify_paths([report_set], VerifyOptions(key=tmp_path / "keys" / "key.pub.pem"))


def test_a_subject_outside_the_folder_is_refused(tmp_path: Path, signer: Signer) -> None:
    statement = attest.report_statement({"../secret": b"x"}, Facts(), None)
    bundle = tmp_path / "x.sigstore.json"
    bundle.write_bytes(attest.sign_statement(statement, signer).dumps())
    with pytest.raises(GovernError, match="not a plain relative file name"):
        verify_paths([bundle], VerifyOptions(key=tmp_path / "keys" / "key.pub.pem"))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("report.html", b"<html>", "neither a Sigstore bundle"),
        ("x.sigstore.json", b"{}", "not a Sigstore bundle v0.3"),
    ],
)
def test_not_a_bundle_is_bad_input(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(GovernError, match=message):
        verify_paths([path], VerifyOptions())


def test_an_unreadable_key_is_bad_input(report_set: Path, tmp_path: Path) -> None:
    with pytest.raises(GovernError, match="cannot be read"):
        verify_paths([report_set], VerifyOptions(key=tmp_path / "missing.pem"))
    (tmp_path / "junk.pem").write_text("-----BEGIN PUBLIC KEY-----\nnope\n")
    with pytest.raises(GovernError, match="neither a PEM public key"):
        verify_paths([report_set], VerifyOptions(key=tmp_path / "junk.pem"))


def test_no_key_at_all_is_bad_input(report_set: Path, tmp_path: Path) -> None:
    with pytest.raises(GovernError, match="no key to verify with"):
        verify_paths([report_set], VerifyOptions(keys_dir=tmp_path / "nowhere"))


# -- gate decisions --------------------------------------------------------------------------


def _gate(db: Path, tmp_path: Path, version: str = "2") -> Path:
    out = tmp_path / f"gate-{version}.sigstore.json"
    keys = tmp_path / "keys"
    result = CliRunner().invoke(
        app,
        [
            "--db",
            str(db),
            "gate",
            "credit-risk",
            version,
            "--policy",
            str(demo_policies()),
            "--output",
            str(tmp_path / "gate.txt"),
            "--attest",
            str(out),
            "--key",
            str(keys / "key.pem"),
            "--cert",
            str(keys / "cert.pem"),
        ],
    )
    assert result.exit_code in (0, 1), result.output
    return out


def _verify_with_store(bundle: Path, db: Path, tmp_path: Path) -> tuple[bool, str]:
    with Store.open(db, read_only=True) as store:
        result = verify_paths(
            [bundle], VerifyOptions(key=tmp_path / "keys" / "key.pub.pem", store=store)
        )
    return result.ok, render_text(result)


def test_gate_attestation_is_a_slsa_verification_summary(
    db: Path, tmp_path: Path, signer: Signer
) -> None:
    bundle = _gate(db, tmp_path)
    statement = attest.Statement.from_payload(read_bundle(bundle).envelope.payload, where="b")
    assert statement.predicate_type == "https://slsa.dev/verification_summary/v1"
    predicate = statement.predicate
    assert predicate["verifier"]["id"] == attest.VERIFIER_ID
    assert predicate["resourceUri"] == "models:/credit-risk/2"
    assert predicate["verificationResult"] in ("PASSED", "FAILED")
    assert predicate["policy"]["uri"] == "govern:policy-set"
    assert len(predicate["policy"]["digest"]["sha256"]) == 64
    with Store.open(db, read_only=True) as store:
        from govern.store import ledger

        last = ledger.head(store)
        assert last is not None
        assert predicate[attest.LEDGER_FIELD] == {"seq": last.seq, "hash": last.hash}
        assert statement.subjects == (attest.model_subject(store, "credit-risk", "2"),)
    ok, text = _verify_with_store(bundle, db, tmp_path)
    assert ok, text
    assert "matches the store" in text and "holds the recorded head" in text


def test_vsa_subject_that_does_not_match_the_model_fails(
    db: Path, tmp_path: Path, signer: Signer
) -> None:
    bundle = _gate(db, tmp_path)
    with Store.open(db) as store:
        store.con.execute("UPDATE artifacts SET sha256 = ? WHERE kind = 'mlmodel'", ["0" * 64])
    ok, text = _verify_with_store(bundle, db, tmp_path)
    assert not ok
    assert "the decision is not about this model" in text


def test_vsa_for_another_version_does_not_verify_this_one(
    db: Path, tmp_path: Path, signer: Signer
) -> None:
    statement = attest.Statement.from_payload(
        read_bundle(_gate(db, tmp_path)).envelope.payload, where="b"
    )
    wrong = attest.Subject(statement.subjects[0].name, "1" * 64, statement.subjects[0].annotations)
    forged = attest.Statement((wrong,), statement.predicate_type, statement.predicate)
    path = tmp_path / "forged.sigstore.json"
    path.write_bytes(attest.sign_statement(forged, signer).dumps())
    ok, text = _verify_with_store(path, db, tmp_path)
    assert not ok
    assert "the statement names" in text


def test_registry_record_subject_when_no_artefact_is_recorded(db: Path) -> None:
    with Store.open(db) as store:
        store.con.execute("DELETE FROM artifacts")
        subject = attest.model_subject(store, "credit-risk", "2")
        assert subject.name == "registry-record:credit-risk/2"
        assert subject.annotations[attest.SUBJECT_KIND] == "registry-record"
        assert subject == attest.model_subject(store, "credit-risk", "2")
        store.con.execute(
            "UPDATE model_versions SET run_id = 'x' WHERE model_name = 'credit-risk' "
            "AND version = '2'"
        )
        assert attest.model_subject(store, "credit-risk", "2").sha256 != subject.sha256


@pytest.mark.parametrize("tamper", ["truncate", "edit", "delete"])
def test_ledger_changed_after_the_attestation_fails(
    db: Path, tmp_path: Path, signer: Signer, tamper: str
) -> None:
    _gate(db, tmp_path, version="1")
    bundle = _gate(db, tmp_path, version="2")
    with Store.open(db) as store:
        if tamper == "truncate":
            store.con.execute("DELETE FROM ledger WHERE seq = (SELECT max(seq) FROM ledger)")
        elif tamper == "edit":
            store.con.execute("UPDATE ledger SET actor = 'mallory' WHERE seq = 1")
        else:
            store.con.execute("DELETE FROM ledger WHERE seq = 1")
    ok, text = _verify_with_store(bundle, db, tmp_path)
    assert not ok
    assert "FAIL  ledger:" in text


def test_control_characters_from_a_bundle_never_reach_the_terminal(
    tmp_path: Path, signer: Signer
) -> None:
    name = "report\x1b]0;owned\x07\u202e.html"
    (tmp_path / name).write_bytes(b"x")
    statement = attest.report_statement({name: b"x"}, Facts(model="m\x1b[2J"), None)
    bundle = tmp_path / "x.sigstore.json"
    bundle.write_bytes(attest.sign_statement(statement, signer).dumps())
    result = verify_paths([bundle], VerifyOptions(key=tmp_path / "keys" / "key.pub.pem"))
    assert result.ok
    text = render_text(result)
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "report\\x1b]0;owned\\x07\\u202e.html" in text
    assert "m\\x1b[2J v2" in text


def test_a_subject_that_is_a_fifo_is_refused_unread(tmp_path: Path, signer: Signer) -> None:
    import os

    statement = attest.report_statement({"pipe.html": b"x"}, Facts(), None)
    bundle = tmp_path / "x.sigstore.json"
    bundle.write_bytes(attest.sign_statement(statement, signer).dumps())
    os.mkfifo(tmp_path / "pipe.html")
    with pytest.raises(GovernError, match="FIFO"):
        verify_paths([bundle], VerifyOptions(key=tmp_path / "keys" / "key.pub.pem"))
