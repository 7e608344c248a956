"""``check: reproducibility``: the version's lineage is complete enough to rebuild it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from govern.checks.base import Rule, Subject, finding
from govern.inventory import VersionLineage
from govern.models import Finding, Status

#: Every requirement a rule can list, with what it asks for.
REQUIREMENTS: dict[str, str] = {
    "run": "the version was trained by a run that is in the store, not deleted, and finished",
    "git_commit": "the git commit of the training code is recorded",
    "code_reference": "the training code is named (script/notebook path or repository URL)",
    "training_data": "a dataset input with the training context is logged",
    "training_data_digest": "every training dataset input has a digest",
    "environment": "an environment file (conda.yaml, python_env.yaml, requirements.txt) exists",
    "params": "the run logged its parameters",
    "seed": "a random seed parameter is logged (see seed_params)",
    "source_matches_run": "the version's source is an artifact of its run (or its logged model)",
}
DEFAULT_REQUIRE = ("run", "git_commit", "training_data_digest", "environment", "params")
DEFAULT_SEED_PARAMS = ("seed", "random_seed", "random_state")


def _run(v: VersionLineage, _: Mapping[str, Any]) -> tuple[bool, str]:
    if v.export_error:
        return False, f"not exported: {v.export_error}"
    if not v.run_id:
        return False, f"registered from {v.source or 'a path'} with no run"
    if v.run_status is None and v.run_lifecycle_stage is None:
        return False, f"run {v.run_id} is not in the store"
    if v.run_lifecycle_stage == "deleted":
        return False, f"run {v.run_id} is deleted"
    if v.run_status and v.run_status != "FINISHED":
        return False, f"run {v.run_id} has status {v.run_status}"
    return True, f"run {v.run_id}"


def _git_commit(v: VersionLineage, _: Mapping[str, Any]) -> tuple[bool, str]:
    return (True, v.git_commit) if v.git_commit else (False, "no git commit recorded")


def _code_reference(v: VersionLineage, _: Mapping[str, Any]) -> tuple[bool, str]:
    ref = v.source_name or v.code_repository
    if ref and ref != "-":
        return True, ref
    return False, "no script, notebook or repository recorded"


def _training(v: VersionLineage, params: Mapping[str, Any]) -> list[Any]:
    context = params.get("training_context", "training")
    return [d for d in v.datasets if d.context == context]


def _training_data(v: VersionLineage, params: Mapping[str, Any]) -> tuple[bool, str]:
    training = _training(v, params)
    if training:
        return True, ", ".join(d.name for d in training)
    if v.datasets:
        return False, (
            f"{len(v.datasets)} dataset input(s) but none with context "
            f"{params.get('training_context', 'training')!r}"
        )
    return False, "no dataset inputs logged"


def _training_data_digest(v: VersionLineage, params: Mapping[str, Any]) -> tuple[bool, str]:
    ok, detail = _training_data(v, params)
    if not ok:
        return False, detail
    missing = [d.name for d in _training(v, params) if not d.digest]
    if missing:
        return False, f"no digest for {', '.join(missing)}"
    return True, ", ".join(f"{d.name}@{d.digest}" for d in _training(v, params))


def _environment(v: VersionLineage, _: Mapping[str, Any]) -> tuple[bool, str]:
    if v.environment:
        return True, ", ".join(v.environment)
    return False, "no environment file seen"


def _params(v: VersionLineage, _: Mapping[str, Any]) -> tuple[bool, str]:
    return (True, f"{len(v.params)} params") if v.params else (False, "no params logged")


def _seed(v: VersionLineage, params: Mapping[str, Any]) -> tuple[bool, str]:
    names = tuple(params.get("seed_params") or DEFAULT_SEED_PARAMS)
    found = [f"{n}={v.params[n]}" for n in names if v.params.get(n) not in (None, "", "None")]
    if found:
        return True, ", ".join(found)
    return False, f"none of the params {', '.join(names)} is logged"


def _source_matches_run(v: VersionLineage, _: Mapping[str, Any]) -> tuple[bool, str]:
    if not v.run_id:
        return False, "the version has no run"
    source = v.source or ""
    if v.model_id and source == f"models:/{v.model_id}":
        return True, f"logged model {v.model_id} of run {v.run_id}"
    if source.startswith(f"runs:/{v.run_id}/"):
        return True, source
    artifact_uri = (v.run_artifact_uri or "").rstrip("/")
    if artifact_uri and source.startswith(artifact_uri + "/"):
        return True, f"{source} is under the run's artifacts"
    if re.search(rf"(^|/){re.escape(v.run_id)}/artifacts(/|$)", source):
        return True, f"{source} names the run's artifacts"
    return False, f"source {source or '(none)'} is not an artifact of run {v.run_id}"


CHECKS = {
    "run": _run,
    "git_commit": _git_commit,
    "code_reference": _code_reference,
    "training_data": _training_data,
    "training_data_digest": _training_data_digest,
    "environment": _environment,
    "params": _params,
    "seed": _seed,
    "source_matches_run": _source_matches_run,
}


@dataclass(frozen=True)
class Requirement:
    """One lineage requirement of a rule, met or not, and what was found."""

    #: a name of :data:`REQUIREMENTS`, or ``tag:<key>`` for a tag of ``required_tags``
    name: str
    met: bool
    #: what was found (``run 589ad...``), or why the requirement is unmet
    detail: str

    def to_json(self) -> dict[str, Any]:
        """``{"met": ..., "detail": ...}`` (the name is the key in :class:`LineageEvidence`)."""
        return {"met": self.met, "detail": self.detail}


@dataclass(frozen=True)
class LineageEvidence:
    """Evidence of ``check: reproducibility``: every requirement of the rule, in rule order."""

    #: the ``require`` list, then the ``required_tags``; names are unique
    requirements: tuple[Requirement, ...]

    @property
    def unmet(self) -> tuple[Requirement, ...]:
        """The requirements that are not met."""
        return tuple(r for r in self.requirements if not r.met)

    def requirement(self, name: str) -> Requirement | None:
        """The requirement called ``name`` (``git_commit``, ``tag:validated``), or None."""
        return next((r for r in self.requirements if r.name == name), None)

    def to_json(self) -> dict[str, Any]:
        """``{"requirements": {name: {"met": ..., "detail": ...}}}`` in rule order."""
        return {"requirements": {r.name: r.to_json() for r in self.requirements}}


def _required_tags(v: VersionLineage, wanted: Mapping[str, Any]) -> list[Requirement]:
    out: list[Requirement] = []
    for key, expected in wanted.items():
        actual = v.tags.get(key)
        if expected is None or expected == "*":
            ok = actual not in (None, "")
            want = "any value"
        else:
            ok = actual == str(expected)
            want = f"{expected!s}"
        detail = f"{key}={actual}" if actual is not None else f"tag {key} missing"
        out.append(Requirement(f"tag:{key}", ok, detail if ok else f"{detail} (want {want})"))
    return out


class Reproducibility:
    """Lineage is complete: run, commit, code, training data with digests, environment, seed.

    Triggers: any requirement listed in ``require`` is unmet for the version, or a tag in
    ``required_tags`` is missing or has another value (``null`` or ``"*"`` accepts any value).
    Requirements: run, git_commit, code_reference, training_data, training_data_digest,
    environment, params, seed, source_matches_run.

    Fix: train from a committed git work tree with GitPython installed (MLflow then records
    ``mlflow.source.git.commit``), log datasets with ``mlflow.log_input(..., context="training")``,
    log the model with its environment (``mlflow.<flavor>.log_model`` writes conda.yaml and
    python_env.yaml), log the seed as a param, register versions from their run
    (``runs:/<run_id>/model``), and set the required version tags after review.
    """

    name = "reproducibility"
    summary = "the version's lineage (run, commit, data, environment, seed) is complete"
    properties: Mapping[str, Any] = {
        "require": {
            "type": "array",
            "items": {"enum": sorted(REQUIREMENTS)},
            "uniqueItems": True,
            "minItems": 1,
            "description": "Lineage requirements (default: " + ", ".join(DEFAULT_REQUIRE) + ").",
        },
        "seed_params": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "minItems": 1,
            "description": "Param names that hold the random seed (default: seed, "
            "random_seed, random_state).",
        },
        "training_context": {
            "type": "string",
            "description": "Dataset input context of training data (default: training).",
        },
        "required_tags": {
            "type": "object",
            "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
            "description": "Version tags that must be set: key -> value (null or * = any).",
        },
    }
    required: tuple[str, ...] = ()

    def evaluate(self, rule: Rule, subject: Subject) -> Finding:
        """Check every requirement; fail listing the unmet ones."""
        v = subject.version
        require = tuple(rule.params.get("require") or DEFAULT_REQUIRE)
        # by name: a name given twice is checked once, in the place it first appears
        found: dict[str, Requirement] = {}
        for name in require:
            ok, detail = CHECKS[name](v, rule.params)
            found[name] = Requirement(name, ok, detail)
        for tag in _required_tags(v, rule.params.get("required_tags") or {}):
            found[tag.name] = tag
        evidence = LineageEvidence(tuple(found.values()))
        requirements = evidence.requirements
        unmet = evidence.unmet
        if unmet:
            status = Status.failed
            message = "requirements not met: " + "; ".join(f"{r.name}: {r.detail}" for r in unmet)
        else:
            status = Status.passed
            message = "requirements met: " + "; ".join(
                f"{r.name}: {r.detail}" for r in requirements
            )
        met = len(requirements) - len(unmet)
        return finding(
            rule,
            subject,
            status,
            message,
            help_text=self.__doc__ or "",
            metric="lineage_requirements_met",
            value=met / len(requirements) if requirements else 1.0,
            threshold={"required": [r.name for r in requirements]},
            evidence=evidence,
        )
