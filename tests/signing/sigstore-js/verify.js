// Verify a govern attestation with Sigstore's JavaScript verifier, offline, with a public key.
// Usage: node verify.js BUNDLE.sigstore.json key.pub.pem
// The key is the only trust material: no transparency log, no timestamp authority (govern signs
// offline, as `cosign ... --insecure-ignore-tlog` accepts). Exit 0 and "verified" when the
// bundle parses as a Sigstore bundle and its DSSE signature verifies; exit 1 otherwise.
"use strict";
const fs = require("fs");
const crypto = require("crypto");
const { bundleFromJSON } = require("@sigstore/bundle");
const { toSignedEntity, toTrustMaterial, Verifier } = require("@sigstore/verify");

const [bundlePath, keyPath] = process.argv.slice(2);
try {
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, "utf8")));
  const spki = crypto
    .createPublicKey(fs.readFileSync(keyPath))
    .export({ type: "spki", format: "der" });
  const hint = bundle.verificationMaterial.content.publicKey.hint;
  const root = {
    mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    tlogs: [],
    certificateAuthorities: [],
    ctlogs: [],
    timestampAuthorities: [],
  };
  const keys = {
    [hint]: {
      rawBytes: spki,
      keyDetails: "PKIX_ECDSA_P256_SHA_256",
      validFor: { start: new Date(0) },
    },
  };
  const verifier = new Verifier(toTrustMaterial(root, keys), {
    tlogThreshold: 0,
    ctlogThreshold: 0,
    timestampThreshold: 0,
  });
  verifier.verify(toSignedEntity(bundle));
  const statement = JSON.parse(bundle.content.dsseEnvelope.payload.toString("utf8"));
  console.log(`verified ${bundle.mediaType} ${statement.predicateType}`);
} catch (err) {
  console.log(`not verified: ${err.code || err.name}: ${err.message}`);
  process.exit(1);
}
