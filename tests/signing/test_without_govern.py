"""The README's openssl + jq route verifies a govern bundle with no govern installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("verify-without-govern.sh")
README = Path(__file__).parents[2] / "README.md"


@pytest.fixture(autouse=True)
def _tools() -> None:
    # installed by `make system-deps`; a missing tool fails the test rather than skipping it
    missing = [t for t in ("jq", "openssl", "base64", "sha256sum") if not shutil.which(t)]
    assert not missing, f"missing {missing}: run `make system-deps`"


def _run(bundle: Path, key: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(SCRIPT), str(bundle), str(key)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_openssl_and_jq_verify_the_bundle(report_set: Path, tmp_path: Path) -> None:
    done = _run(report_set, tmp_path / "keys" / "key.pub.pem")
    assert done.returncode == 0, done.stderr
    assert "Verified OK" in done.stdout
    assert "credit-risk-v2-2026-12-03.html: OK" in done.stdout
    assert "credit-risk-v2-2026-12-03.json: OK" in done.stdout
    assert f"ledger head: 3 {'cd' * 32}" in done.stdout


def test_openssl_rejects_another_key(report_set: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.pem"
    subprocess.run(
        ["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(other)],
        check=True,
        capture_output=True,
    )
    public = tmp_path / "other.pub.pem"
    subprocess.run(
        ["openssl", "ec", "-in", str(other), "-pubout", "-out", str(public)],
        check=True,
        capture_output=True,
    )
    done = _run(report_set, public)
    assert done.returncode != 0
    assert "Verification failure" in done.stdout + done.stderr


def test_sha256sum_catches_a_changed_file(report_set: Path, tmp_path: Path) -> None:
    html = report_set.with_name("credit-risk-v2-2026-12-03.html")
    html.write_bytes(html.read_bytes().replace(b"report", b"REPORT"))
    done = _run(report_set, tmp_path / "keys" / "key.pub.pem")
    assert done.returncode != 0
    assert "credit-risk-v2-2026-12-03.html: FAILED" in done.stdout


def test_the_readme_has_the_same_script() -> None:
    readme = README.read_text(encoding="utf-8")
    section = readme.split("## Verify a report without govern", 1)
    assert len(section) == 2, "README has no 'Verify a report without govern' section"
    body = section[1].split("\n## ", 1)[0]
    for line in SCRIPT.read_text().splitlines():
        if line.startswith(("jq ", "openssl ", "printf ", "cat ", "  ")):
            assert line in body, line
