#!/bin/sh
# Verify a govern attestation (a Sigstore bundle) with jq, base64, openssl and sha256sum only.
# The same script is in the README, "Verify a report without govern".
# Usage: verify-without-govern.sh BUNDLE.sigstore.json key.pub.pem
set -eu
bundle=$1 key=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
jq -r '.dsseEnvelope.payload' "$bundle" | base64 -d > "$work/payload.json"
jq -r '.dsseEnvelope.signatures[0].sig' "$bundle" | base64 -d > "$work/sig.der"
type=$(jq -r '.dsseEnvelope.payloadType' "$bundle")
# DSSE pre-authentication encoding: "DSSEv1 <len type> <type> <len body> <body>"
printf 'DSSEv1 %d %s %d ' "$(printf %s "$type" | wc -c)" "$type" \
  "$(wc -c < "$work/payload.json")" > "$work/pae.bin"
cat "$work/payload.json" >> "$work/pae.bin"
openssl dgst -sha256 -verify "$key" -signature "$work/sig.der" "$work/pae.bin"
# every file the statement names, beside the bundle, against its SHA-256
cd "$(dirname "$bundle")"
jq -r '.subject[] | "\(.digest.sha256)  \(.name)"' "$work/payload.json" | sha256sum -c -
jq -r '.predicate | "decision: \(.decision)  ledger head: \(.ledger.seq) \(.ledger.hash)"' \
  "$work/payload.json"
