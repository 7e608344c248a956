"""DSSE envelopes: sign and verify a payload with its type, ECDSA P-256 over SHA-256.

The signature covers the pre-authentication encoding (PAE) of the payload type and body, never
the JSON around them, so a verifier checks bytes it rebuilds itself::

    PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body

where ``LEN`` is the length in bytes as ASCII decimal and ``SP`` one space. The signature is
the DER ECDSA signature ``openssl dgst -sha256 -verify`` checks. In JSON the payload and each
signature are standard base64 (the protobuf JSON form of ``bytes``, what Sigstore bundles hold).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from govern.errors import GovernError, VerificationError

__all__ = [
    "INTOTO_PAYLOAD_TYPE",
    "Envelope",
    "EnvelopeError",
    "Signature",
    "pae",
    "sign",
]

#: The payload type of an in-toto statement.
INTOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"


class EnvelopeError(GovernError):
    """A DSSE envelope is malformed (bad input, not a failed verification)."""


def pae(payload_type: str, payload: bytes) -> bytes:
    """The pre-authentication encoding the signature covers."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)


@dataclass(frozen=True)
class Signature:
    """One signature of an envelope; ``keyid`` is an unauthenticated hint (may be empty)."""

    sig: bytes
    keyid: str = ""

    def to_json(self) -> dict[str, str]:
        """The signature as protobuf JSON (an empty keyid is left out, as protobuf does)."""
        out = {"sig": base64.b64encode(self.sig).decode("ascii")}
        if self.keyid:
            out["keyid"] = self.keyid
        return out


@dataclass(frozen=True)
class Envelope:
    """A DSSE envelope: the payload, its type and its signatures."""

    payload: bytes
    payload_type: str
    signatures: tuple[Signature, ...]

    def to_json(self) -> dict[str, Any]:
        """The envelope as protobuf JSON (the ``dsseEnvelope`` of a Sigstore bundle)."""
        return {
            "payload": base64.b64encode(self.payload).decode("ascii"),
            "payloadType": self.payload_type,
            "signatures": [s.to_json() for s in self.signatures],
        }

    @classmethod
    def from_json(cls, data: object, *, where: str) -> Envelope:
        """Parse the JSON form; raise :class:`EnvelopeError` naming ``where`` when malformed."""
        if not isinstance(data, dict):
            raise EnvelopeError(f"{where}: dsseEnvelope is not an object.")
        payload_type = data.get("payloadType")
        if not isinstance(payload_type, str) or not payload_type:
            raise EnvelopeError(f"{where}: dsseEnvelope has no payloadType.")
        payload = _b64(data.get("payload"), f"{where}: dsseEnvelope.payload")
        raw = data.get("signatures")
        if not isinstance(raw, list) or not raw:
            raise EnvelopeError(f"{where}: dsseEnvelope has no signatures.")
        signatures = []
        for i, item in enumerate(raw):
            if not isinstance(item, dict):
                raise EnvelopeError(f"{where}: dsseEnvelope.signatures[{i}] is not an object.")
            keyid = item.get("keyid", "")
            signatures.append(
                Signature(
                    sig=_b64(item.get("sig"), f"{where}: dsseEnvelope.signatures[{i}].sig"),
                    keyid=keyid if isinstance(keyid, str) else "",
                )
            )
        return cls(payload=payload, payload_type=payload_type, signatures=tuple(signatures))

    def verify(self, public_key: ec.EllipticCurvePublicKey) -> None:
        """Raise :class:`VerificationError` unless one signature verifies with ``public_key``."""
        message = pae(self.payload_type, self.payload)
        for signature in self.signatures:
            try:
                public_key.verify(signature.sig, message, ec.ECDSA(hashes.SHA256()))
            except InvalidSignature:
                continue
            return
        raise VerificationError(
            "the DSSE signature does not verify with the given key: the statement was "
            "changed, or it was signed with another key."
        )


def sign(
    payload: bytes,
    key: ec.EllipticCurvePrivateKey,
    *,
    payload_type: str = INTOTO_PAYLOAD_TYPE,
    keyid: str = "",
) -> Envelope:
    """Sign ``payload`` (ECDSA P-256, SHA-256, DER) into a one-signature envelope."""
    sig = key.sign(pae(payload_type, payload), ec.ECDSA(hashes.SHA256()))
    return Envelope(payload, payload_type, (Signature(sig, keyid),))


def _b64(value: object, what: str) -> bytes:
    if not isinstance(value, str) or not value:
        raise EnvelopeError(f"{what} is missing.")
    try:
        # protobuf JSON may use the URL-safe alphabet and leave out padding
        text = value.replace("-", "+").replace("_", "/")
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise EnvelopeError(f"{what} is not base64.") from None
