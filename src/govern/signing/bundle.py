"""Sigstore bundles v0.3 holding a DSSE envelope, for a key without a transparency log.

The file (``*.sigstore.json``) is the protobuf JSON form of ``dev.sigstore.bundle.v1.Bundle``
(sigstore/protobuf-specs)::

    {
      "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
      "verificationMaterial": {"publicKey": {"hint": "<key id>"}},
      "dsseEnvelope": {"payload": "<base64>", "payloadType": "application/vnd.in-toto+json",
                       "signatures": [{"sig": "<base64 DER>"}]}
    }

The hint is the key id (:func:`govern.signing.keys.key_id`: SHA-256 of the DER public key);
it only names the key, the verifier must bring the key itself. There are no ``tlogEntries``
and no timestamps: govern signs offline, so ``cosign`` needs ``--insecure-ignore-tlog``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govern.errors import GovernError
from govern.fileio import Unreadable, read_regular
from govern.signing.dsse import Envelope, EnvelopeError

__all__ = ["BUNDLE_SUFFIX", "MEDIA_TYPE", "Bundle", "BundleError", "read_bundle"]

#: The bundle media type this module writes.
MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"
#: Media types it reads (v0.3 has two spellings in the wild).
_READS = (MEDIA_TYPE, "application/vnd.dev.sigstore.bundle+json;version=0.3")
#: The file suffix of a bundle.
BUNDLE_SUFFIX = ".sigstore.json"
#: The largest bundle govern reads.
MAX_BUNDLE = 16 << 20


class BundleError(GovernError):
    """A file is not a Sigstore bundle govern can check (bad input, exit 2)."""


@dataclass(frozen=True)
class Bundle:
    """A DSSE envelope and the hint naming the public key that verifies it."""

    envelope: Envelope
    key_hint: str

    def to_json(self) -> dict[str, Any]:
        """The bundle as protobuf JSON."""
        return {
            "mediaType": MEDIA_TYPE,
            "verificationMaterial": {"publicKey": {"hint": self.key_hint}},
            "dsseEnvelope": self.envelope.to_json(),
        }

    def dumps(self) -> bytes:
        """The file's bytes: indented JSON with a final newline."""
        return (json.dumps(self.to_json(), indent=2) + "\n").encode("utf-8")

    @classmethod
    def parse(cls, data: bytes, *, where: str) -> Bundle:
        """Parse a bundle; raise :class:`BundleError` naming ``where`` when it is not one."""
        try:
            doc = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise BundleError(
                f"{where} is not JSON, so not a Sigstore bundle.",
                hint="Give the .sigstore.json file `govern report --sign` or "
                "`govern gate --attest` wrote.",
            ) from None
        if not isinstance(doc, dict) or doc.get("mediaType") not in _READS:
            found = doc.get("mediaType") if isinstance(doc, dict) else None
            raise BundleError(
                f"{where} is not a Sigstore bundle v0.3 (mediaType {found!r}).",
                hint=f"govern reads bundles with mediaType {MEDIA_TYPE}.",
            )
        material = doc.get("verificationMaterial")
        public = material.get("publicKey") if isinstance(material, dict) else None
        hint = public.get("hint", "") if isinstance(public, dict) else ""
        if "dsseEnvelope" not in doc:
            raise BundleError(
                f"{where} holds a message signature, not a DSSE envelope (an attestation).",
            )
        try:
            envelope = Envelope.from_json(doc["dsseEnvelope"], where=where)
        except EnvelopeError as exc:
            raise BundleError(exc.message) from None
        return cls(envelope=envelope, key_hint=hint if isinstance(hint, str) else "")


def read_bundle(path: Path) -> Bundle:
    """Read and parse the bundle at ``path``."""

    def refuse(problem: Unreadable) -> BundleError:
        return BundleError(f"{path} cannot be read: {problem.reason}.")

    data, size = read_regular(path, error=refuse, limit=MAX_BUNDLE + 1)
    if size > MAX_BUNDLE:
        raise BundleError(f"{path} is {size} bytes, too large for a Sigstore bundle.")
    return Bundle.parse(data, where=str(path))
