"""Keys, a store with the demo's registry exports, and a signed report set, for the tests."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from govern.signing.attest import LedgerHead, report_statement, sign_statement
from govern.signing.keys import Signer, Subject, generate, key_pem
from tests.stores import registry_store

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def make_keys(folder: Path, name: str = "Model Risk") -> Signer:
    """A new key with its certificate, written as `govern keys init` writes them."""
    key, cert = generate(Subject(name), now=datetime.now(UTC))
    signer = Signer(key, cert)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "key.pem").write_bytes(key_pem(key, None))
    (folder / "cert.pem").write_bytes(signer.certificate_pem())
    (folder / "key.pub.pem").write_bytes(signer.public_pem())
    return signer


@dataclass(frozen=True)
class Row:
    """A policy, source or tool row as the report context has them."""

    id: str = "credit"
    version: str = "1"
    kind: str = "Policy"
    path: str = "policies/credit.yaml"
    sha256: str = "ab" * 32
    format: str = "mlflow"
    family: str = "registry"
    name: str = "govern"


@dataclass(frozen=True)
class Facts:
    """The facts of a report, shaped like govern.report.context.ReportContext."""

    kind: str = "model-version"
    model: str = "credit-risk"
    version: str = "2"
    decision: str = "pass"
    fail_on: str = "block"
    as_of: str = "2026-12-03"
    generated_at: str = "2026-12-03T12:00:00Z"
    policies: tuple[Row, ...] = field(default_factory=lambda: (Row(),))
    sources: tuple[Row, ...] = field(default_factory=lambda: (Row(path="exports/"),))
    tools: tuple[Row, ...] = field(default_factory=lambda: (Row(version="0.1.0"),))


@pytest.fixture
def signer(tmp_path: Path) -> Signer:
    """A signer whose files are in tmp_path/keys."""
    return make_keys(tmp_path / "keys")


@pytest.fixture
def report_set(tmp_path: Path, signer: Signer) -> Path:
    """A signed report set in tmp_path/reports: HTML, JSON and the bundle; returns the bundle."""
    out = tmp_path / "reports"
    out.mkdir()
    files = {
        "credit-risk-v2-2026-12-03.html": b"<!doctype html><p>report</p>\n",
        "credit-risk-v2-2026-12-03.json": b'{"decision": "pass"}\n',
    }
    for name, data in files.items():
        (out / name).write_bytes(data)
    statement = report_statement(files, Facts(), LedgerHead(3, "cd" * 32))
    bundle = out / "credit-risk-v2-2026-12-03.sigstore.json"
    bundle.write_bytes(sign_statement(statement, signer).dumps())
    return bundle


@pytest.fixture(scope="session")
def registry_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's registry exports in a store, built once."""
    return registry_store(tmp_path_factory.mktemp("registry") / "registry.duckdb", now=NOW)


@pytest.fixture
def db(registry_db: Path, tmp_path: Path) -> Path:
    """A copy of the registry store for one test."""
    path = tmp_path / "govern.duckdb"
    shutil.copyfile(registry_db, path)
    return path
