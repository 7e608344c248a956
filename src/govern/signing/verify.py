"""``govern verify``: check signed evidence, one verifier per file type.

Each path goes to the verifier registered for its suffix (:data:`VERIFIERS`, longest suffix
first). A verifier returns a :class:`FileVerification`, the list of what it checked and whether
each held; it raises a :class:`~govern.errors.GovernError` for bad input (not a bundle, a
bundle naming a missing file, an unreadable key), which the command turns into exit 2.

Built in: Sigstore bundles (``.sigstore.json``, :func:`verify_bundle`): the DSSE signature
with the given key or certificate (or the key in the keys folder whose id matches the bundle's
hint), every subject's SHA-256 against the file beside the bundle (or in ``subjects_dir``), a
verification summary's subject against the model version in the store, and the ledger chain
against the head the statement records.

PDFs (``.pdf``, :func:`verify_pdf_file`): every signature with pyHanko
(:func:`govern.signing.pdf.verify_pdf`, imported only when a PDF is given), against
``--trust`` roots or a pinned ``--key``/``--cert``. A verifier for another type is a function
``(path, options) -> FileVerification`` added with :func:`register`.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from govern.errors import GovernError, UsageError, VerificationError
from govern.fileio import describe_mode
from govern.formats.render import escape_control
from govern.signing.attest import (
    REPORT_PREDICATE,
    SUBJECT_KIND,
    VSA_PREDICATE,
    Statement,
    Subject,
    model_subject,
)
from govern.signing.bundle import BUNDLE_SUFFIX, BundleError, read_bundle
from govern.signing.keys import key_id, load_certificate, load_public_key
from govern.store import ledger
from govern.store.store import Store

__all__ = [
    "DEFAULT_KEYS_DIR",
    "VERIFIERS",
    "Check",
    "FileVerification",
    "FileVerifier",
    "Verification",
    "VerifyOptions",
    "register",
    "render_text",
    "verifier_for",
    "verify_bundle",
    "verify_paths",
    "verify_pdf_file",
]

#: Where ``govern keys init`` writes keys, and where ``verify`` looks for a key by its id.
DEFAULT_KEYS_DIR = Path(".govern/keys")


@dataclass(frozen=True)
class Check:
    """One thing checked: what, whether it held, and the detail a person reads."""

    what: str
    ok: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        """The check as JSON data."""
        return {"what": self.what, "ok": self.ok, "detail": self.detail}


@dataclass(frozen=True)
class FileVerification:
    """What was checked for one file given to ``govern verify``."""

    path: str
    kind: str
    checks: tuple[Check, ...]
    #: things not checked, and why (not failures)
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when at least one check ran and every check held."""
        return bool(self.checks) and all(c.ok for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        """The file's result as JSON data."""
        return {
            "path": self.path,
            "kind": self.kind,
            "ok": self.ok,
            "checks": [c.to_json() for c in self.checks],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class Verification:
    """The result of ``govern verify``: one entry per file."""

    files: tuple[FileVerification, ...]

    @property
    def ok(self) -> bool:
        """True when every file verified."""
        return bool(self.files) and all(f.ok for f in self.files)

    def failed(self) -> list[tuple[str, Check]]:
        """Every failed check with its file."""
        return [(f.path, c) for f in self.files for c in f.checks if not c.ok]

    def to_json(self) -> dict[str, Any]:
        """The result as JSON data (``govern.verify/v1``)."""
        return {
            "schema": "govern.verify/v1",
            "ok": self.ok,
            "files": [f.to_json() for f in self.files],
        }


@dataclass(frozen=True)
class VerifyOptions:
    """What the verifiers may use besides the file itself."""

    #: a PEM public key or a certificate whose key must have signed
    key: Path | None = None
    #: a certificate (PEM or DER) whose key must have signed
    cert: Path | None = None
    #: certificates trusted as roots (PDF signatures)
    trust: tuple[Path, ...] = ()
    #: where to find a key by the bundle's hint when neither key nor cert is given
    keys_dir: Path = DEFAULT_KEYS_DIR
    #: where the subjects' files are (default: the bundle's folder)
    subjects_dir: Path | None = None
    #: the store, to check the ledger chain and a verification summary's model
    store: Store | None = None
    #: why the ledger is not checked when ``store`` is None
    no_store_reason: str = "--db was not given"


#: A verifier of one file type.
FileVerifier = Callable[[Path, VerifyOptions], FileVerification]


def verify_bundle(path: Path, options: VerifyOptions) -> FileVerification:
    """Verify a Sigstore bundle: signature, subjects, model (VSA) and ledger head."""
    bundle = read_bundle(path)
    public, described = _public_key(bundle.key_hint, options, path)
    where = str(path)
    try:
        bundle.envelope.verify(public)
        signed = Check("signature", True, f"the DSSE signature verifies with {described}")
    except VerificationError as exc:
        hint = ""
        if bundle.key_hint and bundle.key_hint != key_id(public):
            hint = (
                f" (the bundle names key {bundle.key_hint[:16]}..., the given key is "
                f"{key_id(public)[:16]}...)"
            )
        signed = Check("signature", False, exc.message + hint)
    if not signed.ok:
        return FileVerification(
            where,
            "sigstore bundle",
            (signed,),
            ("the subjects and the ledger were not checked: the statement is not authentic",),
        )
    statement = Statement.from_payload(bundle.envelope.payload, where=where)
    kind = _describe(statement)
    checks = [signed]
    notes: list[str] = []
    base = options.subjects_dir or path.parent
    for subject in statement.subjects:
        checks.append(_check_subject(subject, statement, base, options, where, notes))
    checks.extend(_check_ledger(statement, options, notes))
    return FileVerification(where, f"sigstore bundle, {kind}", tuple(checks), tuple(notes))


def _describe(statement: Statement) -> str:
    """What the statement is about, in words: its kind, model version and decision."""
    predicate = statement.predicate
    if statement.predicate_type == VSA_PREDICATE:
        return (
            f"gate decision {predicate.get('verificationResult', '?')} for "
            f"{predicate.get('resourceUri', '?')} (SLSA verification summary)"
        )
    if statement.predicate_type == REPORT_PREDICATE:
        model = predicate.get("model")
        name = model if isinstance(model, dict) else {}
        kind, model_name, version = (
            predicate.get("report"),
            name.get("name") or "?",
            name.get("version"),
        )
        if kind == "portfolio":
            about = f"portfolio of {name.get('name') or 'every model'}"
        elif kind == "review":
            about = f"review of {model_name} " + (f"v{version}" if version else "(all versions)")
        else:
            about = f"{model_name} v{version or '?'}"
        return (
            f"report attestation: {about}, "
            f"decision {predicate.get('decision', '?')}, as of {predicate.get('asOf', '?')}"
        )
    return f"attestation {statement.predicate_type}"


def _public_key(
    hint: str, options: VerifyOptions, path: Path
) -> tuple[ec.EllipticCurvePublicKey, str]:
    """The key to verify with, and how to name it."""
    if options.key is not None:
        return load_public_key(options.key), f"the key {options.key}"
    if options.cert is not None:
        cert = load_certificate(options.cert)[0]
        public = cert.public_key()
        if not isinstance(public, ec.EllipticCurvePublicKey):
            raise VerificationError(f"{options.cert}: the certificate's key is not ECDSA.")
        return public, f"the certificate {options.cert} ({cert.subject.rfc4514_string()})"
    for trusted in options.trust:
        for cert in load_certificate(trusted):
            public = cert.public_key()
            if isinstance(public, ec.EllipticCurvePublicKey) and hint and key_id(public) == hint:
                return public, f"the key of the trusted certificate {trusted}"
    candidates = sorted(options.keys_dir.glob("*.pem")) if options.keys_dir.is_dir() else []
    for candidate in candidates:
        if candidate.name.startswith("key.") and "pub" not in candidate.name:
            continue  # the private key: never read to verify
        try:
            public = load_public_key(candidate)
        except GovernError:
            continue
        if hint and key_id(public) == hint:
            return public, f"the key in {candidate} (key id {hint[:16]}...)"
    raise UsageError(
        f"{path}: no key to verify with: no --trust certificate and no public key in "
        f"{options.keys_dir} has the bundle's key id {hint[:16] or '(none)'}.",
        hint="Give the signer's public key with --key key.pub.pem or its certificate with --cert.",
    )


def _check_subject(
    subject: Subject,
    statement: Statement,
    base: Path,
    options: VerifyOptions,
    where: str,
    notes: list[str],
) -> Check:
    kind = subject.annotations.get(SUBJECT_KIND)
    if statement.predicate_type == VSA_PREDICATE and kind in ("mlmodel", "registry-record"):
        return _check_model(subject, options, where)
    file = _subject_path(subject.name, base, where)
    digest = _sha256_file(file, where)
    if digest == subject.sha256:
        return Check(subject.name, True, f"the SHA-256 of {file} matches ({digest[:16]}...)")
    return Check(
        subject.name,
        False,
        f"{file} was changed after signing: its SHA-256 is {digest[:16]}..., the statement "
        f"says {subject.sha256[:16]}...",
    )


def _check_model(subject: Subject, options: VerifyOptions, where: str) -> Check:
    model, _, version = subject.annotations.get("model", "").rpartition("/")
    if options.store is None:
        raise UsageError(
            f"{where}: the subject is model {model} version {version}, checked against the "
            f"store, and there is none: {options.no_store_reason}.",
            hint="Give the store that recorded the gate decision with --db.",
        )
    try:
        current = model_subject(options.store, model, version)
    except GovernError as exc:
        return Check(subject.name, False, f"the statement names {exc.message}")
    if current.name == subject.name and current.sha256 == subject.sha256:
        return Check(
            subject.name,
            True,
            f"model {model} v{version}: the {subject.annotations.get(SUBJECT_KIND)} SHA-256 "
            f"matches the store ({current.sha256[:16]}...)",
        )
    return Check(
        subject.name,
        False,
        f"the decision is not about this model: model {model} v{version} in the store has "
        f"{current.name} {current.sha256[:16]}..., the statement names {subject.name} "
        f"{subject.sha256[:16]}...",
    )


def _check_ledger(statement: Statement, options: VerifyOptions, notes: list[str]) -> list[Check]:
    head = statement.ledger_head()
    if head is None:
        notes.append("the statement records no ledger head")
        return []
    if options.store is None:
        notes.append(f"the ledger was not checked: {options.no_store_reason}")
        return []
    try:
        ledger.verify(options.store, expected_head=head.hash)
    except VerificationError as exc:
        return [Check("ledger", False, exc.message)]
    found = [e for e in ledger.entries(options.store) if e.hash == head.hash]
    if not found or found[0].seq != head.seq:
        return [
            Check(
                "ledger",
                False,
                f"the recorded head {head.hash[:12]}... is not entry {head.seq}: the ledger "
                "was rewritten.",
            )
        ]
    return [
        Check(
            "ledger",
            True,
            f"the chain is intact and holds the recorded head, entry {head.seq} "
            f"({head.hash[:12]}...)",
        )
    ]


def _subject_path(name: str, base: Path, where: str) -> Path:
    """The file a subject names, inside ``base``; a name leading elsewhere is bad input."""
    posix = PurePosixPath(name)
    if not name or posix.is_absolute() or ".." in posix.parts or "\\" in name:
        raise BundleError(
            f"{where}: the subject {name!r} is not a plain relative file name; govern only "
            "checks files inside the bundle's folder."
        )
    return base.joinpath(*posix.parts)


def _sha256_file(path: Path, where: str) -> str:
    """SHA-256 of a regular file, read in blocks; a missing or odd file is bad input.

    Opened without blocking and checked on the open descriptor, so a FIFO or device swapped in
    after the first look is refused, never read.
    """
    try:
        mode = path.stat().st_mode
        if stat.S_ISREG(mode):
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
            with os.fdopen(fd, "rb") as handle:
                mode = os.fstat(fd).st_mode
                if stat.S_ISREG(mode):
                    os.set_blocking(fd, True)
                    digest = hashlib.sha256()
                    for block in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(block)
                    return digest.hexdigest()
    except OSError as exc:
        raise BundleError(
            f"{where} names {path}, which cannot be read: {exc.strerror}.",
            hint="Keep the bundle beside the files it names, or give their folder with --dir.",
        ) from None
    raise BundleError(f"{where} names {path}, which is {describe_mode(mode)}, not a file.")


# -- PDF --------------------------------------------------------------------------------------


def verify_pdf_file(path: Path, options: VerifyOptions) -> FileVerification:
    """Verify a PDF's signatures with :func:`govern.signing.pdf.verify_pdf` (pyHanko).

    ``--trust CERT`` names the trusted roots; ``--key`` or ``--cert`` pins the key the
    certification signature must be made with. Without either, a self-signed signer is not
    trusted and the check fails. Empty approver fields are notes, not failures.
    """
    from govern.signing.pdf import verify_pdf  # pyHanko loads only for PDFs

    trust = [c for p in options.trust for c in load_certificate(p)]
    pinned: ec.EllipticCurvePublicKey | None = None
    if options.key is not None or options.cert is not None:
        pinned, _ = _public_key("", options, path)
    result = verify_pdf(path, trust=trust, key=pinned)
    checks = [Check("PDF", False, problem) for problem in result.problems]
    for sig in result.signatures:
        what = f"{'certification' if sig.certification else 'signature'} {sig.field!r}"
        if sig.ok:
            checks.append(
                Check(
                    what,
                    True,
                    f"signed by {sig.signer}; intact, valid, trusted; changes after it: "
                    f"{sig.modification.lower().replace('_', ' ')}",
                )
            )
        else:
            checks.append(Check(what, False, "; ".join(sig.problems)))
    notes = tuple(
        f"empty signature field {name!r} (for an approver)" for name in result.unsigned_fields
    )
    return FileVerification(str(path), "PDF", tuple(checks), notes)


# -- dispatch ----------------------------------------------------------------------------------

#: Verifiers by file suffix (lower case).
VERIFIERS: dict[str, FileVerifier] = {BUNDLE_SUFFIX: verify_bundle, ".pdf": verify_pdf_file}


def register(suffix: str, verifier: FileVerifier) -> None:
    """Register the verifier of files ending in ``suffix``."""
    VERIFIERS[suffix.lower()] = verifier


def verifier_for(path: Path) -> FileVerifier:
    """The verifier of ``path`` by its suffix (the longest that matches); bad input if none."""
    name = path.name.lower()
    for suffix in sorted(VERIFIERS, key=len, reverse=True):
        if name.endswith(suffix):
            return VERIFIERS[suffix]
    raise UsageError(
        f"{path} is neither a Sigstore bundle (.sigstore.json) nor a PDF; govern cannot verify it.",
        hint="Give the .sigstore.json bundle beside the report; it names the files it covers.",
    )


def verify_paths(paths: Sequence[Path], options: VerifyOptions) -> Verification:
    """Verify every path with its verifier; bad input raises before anything is reported."""
    chosen = [(path, verifier_for(path)) for path in paths]
    return Verification(tuple(verifier(path, options) for path, verifier in chosen))


def render_text(result: Verification) -> str:
    """The plain statement of what was checked and what failed (control characters escaped)."""
    lines: list[str] = []
    for file in result.files:
        lines.append(f"{file.path} ({file.kind})")
        for check in file.checks:
            lines.append(f"  {'ok  ' if check.ok else 'FAIL'}  {check.what}: {check.detail}")
        for note in file.notes:
            lines.append(f"  note  {note}")
    checks = sum(len(f.checks) for f in result.files)
    failed = result.failed()
    if result.ok:
        lines.append(f"verified: {len(result.files)} file(s), all {checks} checks hold.")
    else:
        lines.append(
            f"NOT verified: {len(failed)} of {checks} checks failed in "
            f"{sum(1 for f in result.files if not f.ok)} of {len(result.files)} file(s)."
        )
    # names and paths come from the bundle: no control character of theirs reaches a terminal
    return escape_control("\n".join(lines)) + "\n"
