"""Sigstore's own JavaScript verifier accepts govern's bundles: the format is the standard one.

cosign cannot be installed from the registries this project uses; `@sigstore/verify` (npm) is
Sigstore's reference verifier for JavaScript and parses the bundle with the protobuf-specs
schema. `make test` installs it into tests/signing/sigstore-js (npm ci, pinned in its lock).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from govern.signing.keys import Signer

FOLDER = Path(__file__).with_name("sigstore-js")


def _verify(bundle: Path, key: Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    assert node, "node is needed: the machine's Node.js"
    assert (FOLDER / "node_modules" / "@sigstore" / "verify").is_dir(), (
        "run `make test` (or npm ci --prefix tests/signing/sigstore-js) first"
    )
    return subprocess.run(
        [node, str(FOLDER / "verify.js"), str(bundle), str(key)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_sigstore_js_verifies_a_report_attestation(report_set: Path, tmp_path: Path) -> None:
    done = _verify(report_set, tmp_path / "keys" / "key.pub.pem")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        "verified application/vnd.dev.sigstore.bundle.v0.3+json "
        "https://govern.dev/attestation/report/v1"
    ) in done.stdout


def test_sigstore_js_rejects_another_key(report_set: Path, tmp_path: Path) -> None:
    from tests.signing.conftest import make_keys

    make_keys(tmp_path / "other")
    done = _verify(report_set, tmp_path / "other" / "key.pub.pem")
    assert done.returncode == 1
    assert "SIGNATURE_ERROR" in done.stdout


@pytest.mark.parametrize("field", ["payload", "payloadType"])
def test_sigstore_js_rejects_a_changed_envelope(
    report_set: Path, tmp_path: Path, signer: Signer, field: str
) -> None:
    doc = json.loads(report_set.read_text())
    doc["dsseEnvelope"][field] = (
        "e30=" if field == "payload" else "application/vnd.in-toto+json; x=1"
    )
    report_set.write_text(json.dumps(doc))
    done = _verify(report_set, tmp_path / "keys" / "key.pub.pem")
    assert done.returncode == 1
    assert "not verified" in done.stdout
