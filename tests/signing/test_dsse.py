"""DSSE envelopes and Sigstore bundles: the encoding the signature covers, and the JSON form."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from govern.errors import VerificationError
from govern.signing import dsse
from govern.signing.bundle import MEDIA_TYPE, Bundle, BundleError
from govern.signing.keys import Subject, generate, key_id


def test_pae_is_the_dsse_spec_encoding() -> None:
    # the DSSE protocol's own example
    assert (
        dsse.pae("http://example.com/HelloWorld", b"hello world")
        == b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_pae_counts_bytes_not_characters() -> None:
    assert dsse.pae("t", "é".encode()) == b"DSSEv1 1 t 2 \xc3\xa9"


def test_sign_then_verify_and_every_change_fails() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    envelope = dsse.sign(b'{"a":1}', key)
    envelope.verify(key.public_key())
    changed = dsse.Envelope(b'{"a":2}', envelope.payload_type, envelope.signatures)
    with pytest.raises(VerificationError, match="does not verify"):
        changed.verify(key.public_key())
    retyped = dsse.Envelope(envelope.payload, "text/plain", envelope.signatures)
    with pytest.raises(VerificationError):
        retyped.verify(key.public_key())
    with pytest.raises(VerificationError):
        envelope.verify(ec.generate_private_key(ec.SECP256R1()).public_key())


def test_envelope_json_round_trip_accepts_url_safe_unpadded_base64() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    envelope = dsse.sign(b"\xfb\xff payload", key)
    data = envelope.to_json()
    assert base64.b64decode(data["payload"]) == b"\xfb\xff payload"
    assert "keyid" not in data["signatures"][0]
    assert dsse.Envelope.from_json(data, where="x") == envelope
    data["payload"] = base64.urlsafe_b64encode(b"\xfb\xff payload").decode().rstrip("=")
    assert dsse.Envelope.from_json(data, where="x").payload == b"\xfb\xff payload"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"payload": "not base64!"}, "payload is not base64"),
        ({"payloadType": ""}, "no payloadType"),
        ({"signatures": []}, "no signatures"),
    ],
)
def test_malformed_envelope_is_bad_input(change: dict[str, object], message: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    data = {**dsse.sign(b"x", key).to_json(), **change}
    with pytest.raises(dsse.EnvelopeError, match=message):
        dsse.Envelope.from_json(data, where="b.json")


def test_bundle_is_a_v03_public_key_bundle_without_log_entries() -> None:
    key, _ = generate(Subject("t"), now=datetime.now(UTC))
    bundle = Bundle(dsse.sign(b"{}", key), key_hint=key_id(key.public_key()))
    doc = json.loads(bundle.dumps())
    assert doc["mediaType"] == MEDIA_TYPE == "application/vnd.dev.sigstore.bundle.v0.3+json"
    assert doc["verificationMaterial"] == {"publicKey": {"hint": key_id(key.public_key())}}
    assert doc["dsseEnvelope"]["payloadType"] == "application/vnd.in-toto+json"
    assert Bundle.parse(bundle.dumps(), where="b") == bundle


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x89PNG", "not JSON"),
        (b'{"mediaType": "application/json"}', "not a Sigstore bundle v0.3"),
        (
            json.dumps({"mediaType": MEDIA_TYPE, "messageSignature": {}}).encode(),
            "not a DSSE envelope",
        ),
    ],
)
def test_not_a_bundle_is_bad_input(data: bytes, message: str) -> None:
    with pytest.raises(BundleError, match=message):
        Bundle.parse(data, where="file.json")
