"""In-toto statements about what govern wrote and decided, signed into Sigstore bundles.

Two predicates:

- :data:`REPORT_PREDICATE` (``https://govern.dev/attestation/report/v1``): a report set of
  any kind (``report``: ``model-version``, ``review`` or ``portfolio``). The subjects are the
  report files (HTML, JSON, PDF, the LL144 summary, a portfolio's model reports) with their
  SHA-256; the predicate names the model and version (null where the report covers several),
  the decision, the as-of date, the policy files and input sources with their digests, the
  tool and library versions, the ledger head ``{seq, hash}`` (the report's own entry), and
  what only its kind has (a review's window, a portfolio's counts per decision).
- :data:`VSA_PREDICATE` (``https://slsa.dev/verification_summary/v1``): a gate decision, as a
  SLSA Verification Summary. The subject is the model version (:func:`model_subject`), the
  ``resourceUri`` ``models:/NAME/VERSION``, the ``policy`` the set of policy files, and the
  ledger head sits in the extension field :data:`LEDGER_FIELD`.

The statement is serialised as RFC 8785 canonical JSON before signing, so the same statement
gives the same payload bytes everywhere.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeAlias
from urllib.parse import quote

import rfc8785

from govern import __version__
from govern.errors import GovernError
from govern.models import CheckResult
from govern.signing import dsse
from govern.signing.bundle import Bundle
from govern.signing.keys import Signer
from govern.store.store import Store

__all__ = [
    "LEDGER_FIELD",
    "REPORT_PREDICATE",
    "STATEMENT_TYPE",
    "SUBJECT_KIND",
    "VERIFIER_ID",
    "VSA_PREDICATE",
    "LedgerHead",
    "ReportFacts",
    "Statement",
    "StatementError",
    "Subject",
    "file_subject",
    "model_subject",
    "report_statement",
    "resource_uri",
    "sign_statement",
    "vsa_statement",
]

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
REPORT_PREDICATE = "https://govern.dev/attestation/report/v1"
VSA_PREDICATE = "https://slsa.dev/verification_summary/v1"
#: ``verifier.id`` of a gate decision.
VERIFIER_ID = "https://govern.dev/gate"
#: The VSA extension field (a URI, as the spec asks) holding the ledger head.
LEDGER_FIELD = "https://govern.dev/ledger/head"
#: ``annotations`` key of a subject saying what its digest is of.
SUBJECT_KIND = "govern.subject"
#: The registry-record fields that identify a version (immutable once registered).
RECORD_FIELDS = (
    "model_name",
    "version",
    "source",
    "run_id",
    "model_id",
    "git_commit",
    "code_repository",
    "created_at",
)


class StatementError(GovernError):
    """A signed payload is not an in-toto statement v1 (bad input)."""


@dataclass(frozen=True)
class Subject:
    """One subject: a name and the SHA-256 of its bytes, with optional annotations."""

    name: str
    sha256: str
    annotations: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The in-toto ResourceDescriptor."""
        out: dict[str, Any] = {"name": self.name, "digest": {"sha256": self.sha256}}
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        return out


@dataclass(frozen=True)
class LedgerHead:
    """The newest ledger entry when the statement was made."""

    seq: int
    hash: str

    def to_json(self) -> dict[str, Any]:
        """``{"seq": ..., "hash": ...}``."""
        return {"seq": self.seq, "hash": self.hash}

    @classmethod
    def from_json(cls, data: object) -> LedgerHead | None:
        """The head in a predicate, or None when there is none (or it is malformed)."""
        if isinstance(data, dict):
            seq, digest = data.get("seq"), data.get("hash")
            if isinstance(seq, int) and isinstance(digest, str):
                return cls(seq, digest)
        return None


@dataclass(frozen=True)
class Statement:
    """An in-toto Statement v1."""

    subjects: tuple[Subject, ...]
    predicate_type: str
    predicate: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The statement as JSON data."""
        return {
            "_type": STATEMENT_TYPE,
            "subject": [s.to_json() for s in self.subjects],
            "predicateType": self.predicate_type,
            "predicate": dict(self.predicate),
        }

    def payload(self) -> bytes:
        """The canonical (RFC 8785) JSON bytes that are signed."""
        return bytes(rfc8785.dumps(self.to_json()))

    @classmethod
    def from_payload(cls, data: bytes, *, where: str) -> Statement:
        """Parse a DSSE payload; raise :class:`StatementError` unless it is a statement v1."""
        try:
            doc = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise StatementError(f"{where}: the signed payload is not JSON.") from None
        if not isinstance(doc, dict) or doc.get("_type") != STATEMENT_TYPE:
            raise StatementError(
                f"{where}: the signed payload is not an in-toto Statement v1 "
                f"(_type {doc.get('_type') if isinstance(doc, dict) else None!r})."
            )
        raw = doc.get("subject")
        if not isinstance(raw, list) or not raw:
            raise StatementError(f"{where}: the statement has no subject.")
        subjects = []
        for i, item in enumerate(raw):
            digest = item.get("digest") if isinstance(item, dict) else None
            sha = digest.get("sha256") if isinstance(digest, dict) else None
            name = item.get("name") if isinstance(item, dict) else None
            if not isinstance(sha, str) or not isinstance(name, str):
                raise StatementError(
                    f"{where}: subject {i + 1} has no name or no sha256 digest.",
                )
            notes = item.get("annotations")
            subjects.append(
                Subject(
                    name,
                    sha.lower(),
                    {str(k): str(v) for k, v in notes.items()} if isinstance(notes, dict) else {},
                )
            )
        predicate = doc.get("predicate")
        return cls(
            subjects=tuple(subjects),
            predicate_type=str(doc.get("predicateType", "")),
            predicate=predicate if isinstance(predicate, dict) else {},
        )

    def ledger_head(self) -> LedgerHead | None:
        """The ledger head the statement records (report or VSA), if any."""
        if self.predicate_type == VSA_PREDICATE:
            return LedgerHead.from_json(self.predicate.get(LEDGER_FIELD))
        return LedgerHead.from_json(self.predicate.get("ledger"))


def sign_statement(statement: Statement, signer: Signer) -> Bundle:
    """Sign the statement into a DSSE envelope in a Sigstore bundle hinting at the key."""
    envelope = dsse.sign(statement.payload(), signer.key)
    return Bundle(envelope=envelope, key_hint=signer.key_id)


def file_subject(name: str, data: bytes) -> Subject:
    """A subject for a file's bytes."""
    return Subject(name, hashlib.sha256(data).hexdigest())


# -- report attestation ------------------------------------------------------------------------


class _Policy(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def sha256(self) -> str: ...


class _Source(Protocol):
    @property
    def path(self) -> str: ...
    @property
    def sha256(self) -> str: ...
    @property
    def format(self) -> str: ...
    @property
    def family(self) -> str: ...


class _Tool(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def version(self) -> str: ...


class _ReportFacts(Protocol):
    """What every report attestation states, whatever the kind of report.

    ``govern.report.context.ReportContext`` (a model version's report),
    ``govern.report.review_report.ReviewReport`` (a periodic review) and
    ``govern.report.portfolio.PortfolioContext`` (a portfolio) have it; ``model`` and
    ``version`` are None where the report covers several (a review of all versions, a
    portfolio of every model), and ``fail_on`` where there is no failure bar (a review flags
    regressions). What only one kind has (the review's windows, the portfolio's counts per
    decision) is passed as ``details``.
    """

    @property
    def kind(self) -> str: ...
    @property
    def model(self) -> str | None: ...
    @property
    def version(self) -> str | None: ...
    @property
    def decision(self) -> str: ...
    @property
    def fail_on(self) -> str | None: ...
    @property
    def as_of(self) -> str: ...
    @property
    def generated_at(self) -> str: ...
    @property
    def policies(self) -> Sequence[_Policy]: ...
    @property
    def sources(self) -> Sequence[_Source]: ...
    @property
    def tools(self) -> Sequence[_Tool]: ...


#: What :func:`report_statement` reads (a protocol: the report layer is a sibling, not imported).
ReportFacts: TypeAlias = _ReportFacts

#: The predicate fields every report attestation has; ``details`` may not replace them.
_COMMON_FIELDS = frozenset(
    {
        "report",
        "model",
        "decision",
        "failOn",
        "asOf",
        "generatedAt",
        "policies",
        "inputs",
        "tools",
        "ledger",
    }
)


def report_statement(
    outputs: Mapping[str, bytes],
    facts: ReportFacts,
    head: LedgerHead | None,
    *,
    details: Mapping[str, Any] | None = None,
) -> Statement:
    """The statement of a report set of any kind.

    ``outputs`` maps file names to their final bytes (each a subject). The predicate's
    ``report`` is the kind (``model-version``, ``review``, ``portfolio``); ``details`` adds what
    only that kind has: a review's ``window``, a portfolio's counts per decision.
    """
    if not outputs:
        raise GovernError("a report attestation needs at least one report file.")
    extra = dict(details or {})
    clash = sorted(_COMMON_FIELDS & extra.keys())
    if clash:
        raise ValueError(f"report details may not replace {', '.join(clash)}")
    predicate: dict[str, Any] = {
        "report": facts.kind,
        "model": {"name": facts.model, "version": facts.version},
        "decision": facts.decision,
        "failOn": facts.fail_on,
        "asOf": facts.as_of,
        "generatedAt": facts.generated_at,
        **extra,
        "policies": [
            {
                "id": p.id,
                "version": p.version,
                "kind": p.kind,
                "path": p.path,
                "digest": {"sha256": p.sha256},
            }
            for p in facts.policies
        ],
        "inputs": [
            {
                "path": s.path,
                "format": s.format,
                "family": s.family,
                "digest": {"sha256": s.sha256},
            }
            for s in facts.sources
        ],
        "tools": {t.name: t.version for t in facts.tools},
        "ledger": head.to_json() if head else None,
    }
    subjects = tuple(file_subject(name, outputs[name]) for name in sorted(outputs))
    return Statement(subjects, REPORT_PREDICATE, predicate)


# -- gate decisions (SLSA verification summary) -------------------------------------------------


def resource_uri(model: str, version: str) -> str:
    """The VSA ``resourceUri`` of a model version: ``models:/NAME/VERSION`` (MLflow's form)."""
    return f"models:/{quote(model, safe='')}/{quote(version, safe='')}"


def model_subject(store: Store, model: str, version: str) -> Subject:
    """The VSA subject of a model version, by what the store holds.

    The model's ``MLmodel`` file when the version's run has one recorded (the artefact's
    SHA-256 from ingest; subject named by its path in the run, annotation ``govern.subject:
    mlmodel``), else the SHA-256 of the version's canonical registry record (RFC 8785 of the
    :data:`RECORD_FIELDS`; named ``registry-record:NAME/VERSION``, annotation
    ``govern.subject: registry-record``).
    """
    rows = store.query(
        "SELECT a.path, a.sha256 FROM model_versions v JOIN artifacts a ON a.run_id = v.run_id "
        "WHERE v.model_name = ? AND v.version = ? AND a.kind = 'mlmodel' ORDER BY a.path",
        [model, version],
    )
    if rows:
        return Subject(
            str(rows[0]["path"]),
            str(rows[0]["sha256"]),
            {SUBJECT_KIND: "mlmodel", "model": f"{model}/{version}"},
        )
    return Subject(
        f"registry-record:{model}/{version}",
        hashlib.sha256(registry_record(store, model, version)).hexdigest(),
        {SUBJECT_KIND: "registry-record", "model": f"{model}/{version}"},
    )


def registry_record(store: Store, model: str, version: str) -> bytes:
    """The canonical (RFC 8785) JSON of a version's identifying registry fields."""
    rows = store.query(
        "SELECT " + ", ".join(RECORD_FIELDS) + " FROM model_versions "
        "WHERE model_name = ? AND version = ?",
        [model, version],
    )
    if not rows:
        raise GovernError(f"model {model!r} has no version {version!r} in the store.")
    record = {
        k: (v.replace(tzinfo=UTC).isoformat() if isinstance(v, datetime) else v)
        for k, v in rows[0].items()
    }
    return bytes(rfc8785.dumps(record))


def policy_descriptor(result: CheckResult) -> dict[str, Any]:
    """The VSA ``policy``: the policy and waiver files as one set.

    ``digest.sha256`` is the SHA-256 of the RFC 8785 JSON list of ``{path, sha256}`` (sorted by
    path); ``annotations.files`` lists each file with its id, version, kind and SHA-256.
    """
    files = sorted(
        ({"path": p.path, "sha256": p.sha256} for p in result.policies),
        key=lambda f: f["path"],
    )
    return {
        "uri": "govern:policy-set",
        "digest": {"sha256": hashlib.sha256(rfc8785.dumps(files)).hexdigest()},
        "annotations": {"files": [p.to_json() for p in result.policies]},
    }


def verified_levels(result: CheckResult) -> list[str]:
    """``verifiedLevels``: ``["FAILED"]``, or what a passing gate established.

    ``GOVERN_GATE_FAIL_ON_<SEVERITY>``: no finding failed at or above that severity;
    ``GOVERN_EVIDENCE_COMPLETE`` is added with ``--strict`` (no evidence was missing).
    """
    if result.failing():
        return ["FAILED"]
    levels = [f"GOVERN_GATE_FAIL_ON_{result.fail_on.value.upper()}"]
    if result.strict:
        levels.append("GOVERN_EVIDENCE_COMPLETE")
    return levels


def vsa_statement(
    subject: Subject,
    result: CheckResult,
    *,
    model: str,
    version: str,
    verified_at: datetime,
    head: LedgerHead,
    input_attestations: Sequence[Subject] = (),
) -> Statement:
    """The SLSA verification summary of one gate decision."""
    predicate: dict[str, Any] = {
        "verifier": {"id": VERIFIER_ID, "version": {"govern": __version__}},
        "timeVerified": verified_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "resourceUri": resource_uri(model, version),
        "policy": policy_descriptor(result),
        "verificationResult": "FAILED" if result.failing() else "PASSED",
        "verifiedLevels": verified_levels(result),
        "slsaVersion": "1.0",
        LEDGER_FIELD: head.to_json(),
        "https://govern.dev/gate/summary": result.summary(),
    }
    if input_attestations:
        predicate["inputAttestations"] = [
            {"uri": a.name, "digest": {"sha256": a.sha256}} for a in input_attestations
        ]
    return Statement((subject,), VSA_PREDICATE, predicate)
