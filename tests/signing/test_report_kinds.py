"""Signed report sets of every kind: the portfolio, the periodic review, the LL144 summary.

Each set is written twice from copies of the same demo store, once plain and once with
``--sign``: the signed set's HTML and JSON are the plain ones byte for byte, its PDF's first
revision is the plain PDF, the bundle attests every file (a portfolio's model reports too),
``govern verify`` accepts the set and names a file changed after signing, and poppler's
``pdfsig`` finds the certification valid. The plain renders are the goldens of
``tests/report`` (signing changes nothing in them).
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from govern.cli.main import app
from govern.demo import demo_policies
from govern.report.context import SIGNOFF_ROLES
from govern.signing.attest import REPORT_PREDICATE
from govern.signing.pdf import ISSUER_FIELD, find_signature_boxes, verify_pdf
from govern.store import ledger
from govern.store.store import Store
from tests.report import test_ll144, test_portfolio, test_review_report
from tests.signing.conftest import make_keys
from tests.stores import demo_store

INGESTED = datetime(2026, 12, 1, tzinfo=UTC)
AS_OF = "2026-12-03"
PORTFOLIO = "portfolio-2026-12-03"
REVIEW = "credit-risk-review-2026-06-2026-11"
MODEL = "credit-risk-v2-2026-12-03"
LL144 = "credit-risk-v2-ll144-2026-12-03"

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Sets:
    """The plain and the signed folders of one report kind, the store and the keys."""

    plain: Path
    signed: Path
    db: Path
    keys: Path
    output: str


def govern(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store: registry exports and credit-risk's prediction logs."""
    return demo_store(tmp_path_factory.mktemp("kinds") / "demo.duckdb", now=INGESTED)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("keys")
    make_keys(folder, "Example Bank")
    return folder


def _write_sets(demo: Path, keys: Path, root: Path, *args: str) -> Sets:
    """Run ``govern ARGS`` plain and with --sign, each in its own folder with a copy of the store.

    The store and the output folder have the same relative names in both, as the reports
    name them (the command to reproduce, the store).
    """
    sign = ("--sign", "--key", str(keys / "key.pem"), "--cert", str(keys / "cert.pem"))
    output = ""
    for name, extra in (("plain", ()), ("signed", sign)):
        folder = root / name
        folder.mkdir()
        shutil.copyfile(demo, folder / "store.duckdb")
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(folder)
            code, output = govern("--db", "store.duckdb", *args, "--out", "reports", *extra)
        assert code in (0, 1), output  # a review with regressions exits 1
    return Sets(
        root / "plain" / "reports",
        root / "signed" / "reports",
        root / "signed" / "store.duckdb",
        keys,
        output,
    )


@pytest.fixture(scope="module")
def portfolio(demo: Path, keys: Path, tmp_path_factory: pytest.TempPathFactory) -> Sets:
    return _write_sets(
        demo, keys, tmp_path_factory.mktemp("portfolio"),
        "report", "--portfolio", "--policy", str(demo_policies()), "--as-of", AS_OF,
        "-f", "html,json,pdf",
    )  # fmt: skip


@pytest.fixture(scope="module")
def review(demo: Path, keys: Path, tmp_path_factory: pytest.TempPathFactory) -> Sets:
    return _write_sets(
        demo, keys, tmp_path_factory.mktemp("review"),
        "report", "-m", "credit-risk", "--from", "2026-06", "--to", "2026-11",
        "--policy", str(demo_policies()), "--as-of", AS_OF, "-f", "html,json,pdf",
    )  # fmt: skip


def statement(bundle: Path) -> dict[str, Any]:
    """The in-toto statement a bundle signs."""
    envelope = json.loads(bundle.read_text("utf-8"))["dsseEnvelope"]
    data: dict[str, Any] = json.loads(base64.b64decode(envelope["payload"]))
    return data


def verify(sets: Sets, *paths: Path) -> tuple[int, str]:
    return govern(
        "--db", sets.db, "verify", *paths,
        "--key", sets.keys / "key.pub.pem", "--trust", sets.keys / "cert.pem",
    )  # fmt: skip


def assert_signing_changes_nothing_else(sets: Sets, stem: str) -> None:
    """The signed set is the plain set with a certified PDF and the bundle beside it."""
    plain = sorted(p.name for p in sets.plain.iterdir())
    signed = sorted(p.name for p in sets.signed.iterdir())
    assert signed == sorted([*plain, f"{stem}.sigstore.json"])
    for name in plain:
        before, after = (sets.plain / name).read_bytes(), (sets.signed / name).read_bytes()
        if name.endswith(".pdf"):
            assert after.startswith(before) and len(after) > len(before), name
        else:
            assert after == before, name


def assert_attests_every_file(sets: Sets, stem: str, kind: str) -> dict[str, Any]:
    """The bundle names every file of the set with its SHA-256; returns the predicate."""
    doc = statement(sets.signed / f"{stem}.sigstore.json")
    assert doc["predicateType"] == REPORT_PREDICATE
    subjects = doc["subject"]
    assert isinstance(subjects, list)
    names = sorted(p.name for p in sets.signed.iterdir() if not p.name.endswith(".sigstore.json"))
    assert [s["name"] for s in subjects] == names
    predicate = doc["predicate"]
    assert isinstance(predicate, dict)
    assert predicate["report"] == kind
    # the ledger head is the report's own entry, the newest of the store
    with Store.open(sets.db, read_only=True) as store:
        head = ledger.head(store)
    assert head is not None and head.kind == ledger.REPORT
    assert predicate["ledger"] == {"seq": head.seq, "hash": head.hash}
    assert predicate["policies"] and all(
        len(p["digest"]["sha256"]) == 64 for p in predicate["policies"]
    )
    return predicate


def assert_pdf_certified(pdf: Path, keys: Path, roles: tuple[str, ...] = SIGNOFF_ROLES) -> None:
    from cryptography import x509

    cert = x509.load_pem_x509_certificate((keys / "cert.pem").read_bytes())
    result = verify_pdf(pdf, trust=[cert])
    assert result.ok, result.failures
    assert result.signatures[0].field == ISSUER_FIELD and result.signatures[0].certification
    assert result.unsigned_fields == roles
    report = subprocess.run(
        ["pdfsig", "-nocert", str(pdf)], capture_output=True, text=True, check=False
    ).stdout
    issuer = report[report.index(f"Signature Field Name: {ISSUER_FIELD}") :]
    assert "Signature Validation: Signature is Valid." in issuer
    assert "Total document signed" in issuer
    for role in roles:
        assert re.search(
            rf"Signature Field Name: {re.escape(role)}\n\s+The signature form field is not signed",
            report,
        )


def flip_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


# --- the portfolio ---------------------------------------------------------------------------


def test_portfolio_sign_verify_round_trip(portfolio: Sets) -> None:
    assert_signing_changes_nothing_else(portfolio, PORTFOLIO)
    predicate = assert_attests_every_file(portfolio, PORTFOLIO, "portfolio")
    bundle = portfolio.signed / f"{PORTFOLIO}.sigstore.json"
    names = [s["name"] for s in statement(bundle)["subject"]]
    # the model reports the portfolio links to are attested with it
    assert "credit-risk-v2-2026-12-03.html" in names
    assert predicate["model"] == {"name": None, "version": None}
    decisions = predicate["decisions"]
    assert isinstance(decisions, dict) and sum(decisions.values()) == predicate["versions"] == 3
    assert predicate["failOn"] == "block" and predicate["outOfScope"] == 6
    assert predicate["inputs"] == []
    code, output = verify(
        portfolio, portfolio.signed / f"{PORTFOLIO}.sigstore.json",
        portfolio.signed / f"{PORTFOLIO}.pdf",
    )  # fmt: skip
    assert code == 0, output
    assert "report attestation: portfolio of every model, decision fail" in output
    assert "ledger: the chain is intact" in output


def test_portfolio_pdf_is_certified(portfolio: Sets) -> None:
    assert_pdf_certified(portfolio.signed / f"{PORTFOLIO}.pdf", portfolio.keys)


def test_portfolio_a_changed_model_report_fails(portfolio: Sets, tmp_path: Path) -> None:
    copy = tmp_path / "set"
    shutil.copytree(portfolio.signed, copy)
    flip_one_byte(copy / "credit-risk-v1-2026-12-03.html")
    code, output = verify(portfolio, copy / f"{PORTFOLIO}.sigstore.json")
    assert code == 1, output
    flat = " ".join(output.split())
    assert "credit-risk-v1-2026-12-03.html was changed after signing" in flat


def test_portfolio_plain_render_is_the_golden(demo: Path) -> None:
    # the renders --sign writes (unchanged, above) are the goldens of tests/report
    test_portfolio.test_golden_html(demo)
    test_portfolio.test_golden_json(demo)


def test_portfolio_sign_a_plain_pdf_later(portfolio: Sets, tmp_path: Path) -> None:
    pdf = tmp_path / f"{PORTFOLIO}.pdf"
    shutil.copyfile(portfolio.plain / f"{PORTFOLIO}.pdf", pdf)
    assert sorted(find_signature_boxes(pdf.read_bytes())) == list(range(len(SIGNOFF_ROLES) + 1))
    keys = portfolio.keys
    code, output = govern("sign", pdf, "--key", keys / "key.pem", "--cert", keys / "cert.pem")
    assert code == 0, output
    assert_pdf_certified(pdf, keys)


# --- the periodic review report --------------------------------------------------------------


def test_review_sign_verify_round_trip(review: Sets) -> None:
    assert_signing_changes_nothing_else(review, REVIEW)
    predicate = assert_attests_every_file(review, REVIEW, "review")
    assert predicate["model"] == {"name": "credit-risk", "version": None}
    assert predicate["window"] == {
        "period": "month", "from": "2026-06", "to": "2026-11",
        "start": "2026-06-01", "end": "2026-11-30",
    }  # fmt: skip
    assert predicate["decision"] == "regression" and predicate["failOn"] is None
    inputs = predicate["inputs"]
    assert isinstance(inputs, list) and inputs
    assert all(i["family"] == "predictions" and len(i["digest"]["sha256"]) == 64 for i in inputs)
    code, output = verify(
        review, review.signed / f"{REVIEW}.sigstore.json", review.signed / f"{REVIEW}.pdf"
    )
    assert code == 0, output
    assert "report attestation: review of credit-risk (all versions)" in output


def test_review_pdf_is_certified(review: Sets) -> None:
    assert_pdf_certified(review.signed / f"{REVIEW}.pdf", review.keys)


@pytest.mark.parametrize("name", [f"{REVIEW}.json", f"{REVIEW}.pdf"])
def test_review_a_changed_file_fails(review: Sets, tmp_path: Path, name: str) -> None:
    copy = tmp_path / "set"
    shutil.copytree(review.signed, copy)
    flip_one_byte(copy / name)
    code, output = verify(review, copy / f"{REVIEW}.sigstore.json")
    assert code == 1, output
    assert f"{name} was changed after signing" in " ".join(output.split())


def test_review_plain_render_is_the_golden(demo: Path) -> None:
    report = test_review_report.build(demo)
    test_review_report.test_golden_html(report)
    test_review_report.test_golden_json(report)


def test_review_command_report_sign(demo: Path, keys: Path, tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    shutil.copyfile(demo, db)
    out = tmp_path / "out"
    code, output = govern(
        "--db", db, "review", "credit-risk", "--from", "2026-06", "--to", "2026-11",
        "--policy", str(demo_policies()), "--report", "--report-out", out,
        "-o", tmp_path / "review.txt",
        "--sign", "--key", keys / "key.pem", "--cert", keys / "cert.pem",
    )  # fmt: skip
    assert code == 1, output  # regressions are flagged; the report is written and signed
    bundle = out / f"{REVIEW}.sigstore.json"
    assert sorted(s["name"] for s in statement(bundle)["subject"]) == [
        f"{REVIEW}.html", f"{REVIEW}.json", f"{REVIEW}.pdf",
    ]  # fmt: skip
    code, output = govern(
        "--db", db, "verify", bundle, out / f"{REVIEW}.pdf",
        "--key", keys / "key.pub.pem", "--trust", keys / "cert.pem",
    )  # fmt: skip
    assert code == 0, output


def test_review_command_sign_needs_report(demo: Path, keys: Path) -> None:
    code, output = govern("--db", demo, "review", "credit-risk", "--sign")
    assert code == 2
    assert "add --report" in output


# --- a model version's report and its LL144 summary --------------------------------------------


@pytest.fixture(scope="module")
def model(demo: Path, keys: Path, tmp_path_factory: pytest.TempPathFactory) -> Sets:
    """credit-risk v2's report under a policy with an ``ll144:`` rule (tests/report/test_ll144)."""
    root = tmp_path_factory.mktemp("model")
    policy = root / "aedt.yaml"
    policy.write_text(test_ll144.POLICY, encoding="utf-8")
    return _write_sets(
        demo, keys, root,
        "report", "-m", "credit-risk", "--version", "2", "--policy", str(policy),
        "--as-of", AS_OF, "-f", "html,json,pdf",
    )  # fmt: skip


def test_model_report_signs_its_ll144_summary(model: Sets) -> None:
    assert_signing_changes_nothing_else(model, MODEL)
    predicate = assert_attests_every_file(model, MODEL, "model-version")
    assert predicate["model"] == {"name": "credit-risk", "version": "2"}
    assert {f"{LL144}.html", f"{LL144}.json", f"{LL144}.pdf"} <= set(
        p.name for p in model.signed.iterdir()
    )
    # the summary has the issuer's box only: certified, no approver field
    assert_pdf_certified(model.signed / f"{LL144}.pdf", model.keys, roles=())
    assert_pdf_certified(model.signed / f"{MODEL}.pdf", model.keys)
    code, output = verify(
        model, model.signed / f"{MODEL}.sigstore.json", model.signed / f"{LL144}.pdf"
    )
    assert code == 0, output
    assert "report attestation: credit-risk v2" in output


def test_sign_a_plain_ll144_summary_later(model: Sets, tmp_path: Path) -> None:
    pdf = tmp_path / f"{LL144}.pdf"
    shutil.copyfile(model.plain / f"{LL144}.pdf", pdf)
    assert sorted(find_signature_boxes(pdf.read_bytes())) == [0]
    keys = model.keys
    code, output = govern("sign", pdf, "--key", keys / "key.pem", "--cert", keys / "cert.pem")
    assert code == 0, output
    assert_pdf_certified(pdf, keys, roles=())


def test_ll144_plain_render_is_the_golden(model: Sets, demo: Path) -> None:
    policy = model.plain.parent.parent / "aedt.yaml"
    summary = test_ll144.summary.__wrapped__(demo, policy)  # type: ignore[attr-defined]
    test_ll144.test_golden_html(summary)
    test_ll144.test_golden_json(summary)
