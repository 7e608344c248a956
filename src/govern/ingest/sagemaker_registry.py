"""SageMaker Model Registry exports: model packages and model package groups, as JSON.

Recognised documents (field names from the botocore SageMaker service model):

* ``aws sagemaker describe-model-package`` output (``DescribeModelPackageOutput``): one model
  package version, with ``ModelPackageArn`` and/or ``ModelPackageGroupName`` +
  ``ModelPackageVersion``. The boto3 form is accepted too: its ``ResponseMetadata`` block is
  ignored, and timestamps may be ISO-8601 with an offset (CLI v2 default) or epoch seconds as
  floats (wire format, CLI ``cli_timestamp_format = none``);
* ``list-model-packages`` output, ``{ModelPackageSummaryList: [...], NextToken?}``; a
  ``NextToken`` means more pages exist, each page being a file to ingest;
* a JSON list of ``describe-model-package`` outputs;
* ``describe-model-package-group`` output (``ModelPackageGroupArn``, no version): a
  registered model only.

Mapping: a model package group is a :class:`~govern.records.registry.RegisteredModel` (registry
``sagemaker``); a versioned model package is a :class:`~govern.records.registry.ModelVersion`
of its group and implies the group's registered model (with ``aliases=None``: SageMaker has
no aliases, so whatever the store holds is kept). There is no run (``run_id`` is ``None``):
lineage lives on the version itself, ``MetadataProperties.CommitId`` as ``git_commit`` (its
absence is a lineage gap), ``MetadataProperties.Repository`` as ``code_repository``,
``MetadataProperties.GeneratedBy`` (pipeline execution ARN) and the model data URL as
``source``. The group name, when absent, is taken from the package ARN
``arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>``.

Stage: ``ModelLifeCycle.Stage`` when the package has a life cycle (free text set by the
user, e.g. ``Production``); otherwise the approval status, mapped as::

    Approved               -> "Approved"
    Rejected               -> "Rejected"
    PendingManualApproval  -> None   (the state every package is registered in: no stage yet)
    <missing>              -> None
    <any other value>      -> the value as is (a status added to the API after this module)

The approval status itself is always kept, unmapped, in ``approval_status``.

Version tags: ``CustomerMetadataProperties`` as they are, plus facts under a ``sagemaker.``
prefix: ``model_package_arn``, ``image``, ``image_digest``, ``framework``,
``framework_version`` (first inference container), ``generated_by``, ``project_id``,
``registration_type``, ``model_card_status``, ``approval_description``, ``last_modified_by``,
``domain``, ``task``, ``lifecycle.stage_status``, ``lifecycle.stage_description``, and the S3
URIs of the monitoring evidence: ``sagemaker.metrics.<Section>.<Name>`` for ``ModelMetrics``
(e.g. ``sagemaker.metrics.ModelQuality.Statistics``) and
``sagemaker.drift_baselines.<Section>.<Name>`` for ``DriftCheckBaselines`` (the two share
section names, so they need distinct prefixes).

Unversioned model packages (``model-package/<name>``, no group and no version; the default of
``list-model-packages`` without a group filter) are not in a model registry: they are
skipped with a note. A versioned package without a group name (and no ARN to take it from)
or without a version raises :class:`~govern.errors.MalformedInputError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from govern.errors import MalformedInputError
from govern.ingest import normalise as n
from govern.ingest.base import Candidate, Kind, require_mapping
from govern.records.registry import Batch, Document, ModelVersion, RegisteredModel

REGISTRY = "sagemaker"
DOCUMENT_KIND = "sagemaker-model-package"
TAG_PREFIX = "sagemaker."

_PACKAGE_ARN = re.compile(
    r"^arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]+:[0-9]{12}:model-package/(?P<rest>\S+)$"
)
_GROUP_ARN = re.compile(
    r"^arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]+:[0-9]{12}:model-package-group/(?P<name>[^/\s]+)$"
)

#: ModelApprovalStatus -> stage, used when the package has no ModelLifeCycle.
APPROVAL_STAGES: dict[str, str | None] = {
    "Approved": "Approved",
    "Rejected": "Rejected",
    "PendingManualApproval": None,
}

# Keys that only SageMaker model package (group) documents have at the top level.
_PACKAGE_KEYS = ("ModelPackageArn", "ModelPackageGroupName", "ModelPackageGroupArn")


def _is_package(item: Any) -> bool:
    return isinstance(item, Mapping) and any(key in item for key in _PACKAGE_KEYS)


def _is_group(doc: Mapping[str, Any]) -> bool:
    return (
        "ModelPackageGroupArn" in doc
        and "ModelPackageArn" not in doc
        and "ModelPackageVersion" not in doc
    )


def parse_package_arn(arn: Any) -> tuple[str | None, str | None] | None:
    """Split a model package ARN into ``(group, version)``.

    Returns ``(group, version)`` for a versioned package (``model-package/<group>/<n>``),
    ``(None, None)`` for an unversioned one (``model-package/<name>``), and ``None`` when
    ``arn`` is not a model package ARN.
    """
    match = _PACKAGE_ARN.match(arn) if isinstance(arn, str) else None
    if match is None:
        return None
    parts = match.group("rest").split("/")
    if len(parts) == 2 and parts[0] and parts[1].isdigit():
        return parts[0], parts[1]
    if len(parts) == 1:
        return None, None
    return None


def user_of(context: Any) -> str | None:
    """Return who a ``UserContext`` names: the Studio user profile, else the IAM identity."""
    if not isinstance(context, Mapping):
        return None
    identity = context.get("IamIdentity")
    iam_arn = identity.get("Arn") if isinstance(identity, Mapping) else None
    return n.text(context.get("UserProfileName")) or n.text(iam_arn)


def stage_of(package: Mapping[str, Any]) -> str | None:
    """Return the version's stage: the life-cycle stage, else the mapped approval status."""
    life_cycle = package.get("ModelLifeCycle")
    if isinstance(life_cycle, Mapping):
        life_stage = n.text(life_cycle.get("Stage"))
        if life_stage is not None:
            return life_stage
    approval = n.text(package.get("ModelApprovalStatus"))
    if approval is None:
        return None
    return APPROVAL_STAGES.get(approval, approval)


def _first_container(package: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = package.get("InferenceSpecification")
    containers = spec.get("Containers") if isinstance(spec, Mapping) else None
    if isinstance(containers, list) and containers and isinstance(containers[0], Mapping):
        return containers[0]
    return {}


def _model_data(container: Mapping[str, Any]) -> str | None:
    url = n.text(container.get("ModelDataUrl"))
    if url is not None:
        return url
    source = container.get("ModelDataSource")
    s3 = source.get("S3DataSource") if isinstance(source, Mapping) else None
    return n.text(s3.get("S3Uri")) if isinstance(s3, Mapping) else None


def _evidence_tags(block: Any, prefix: str) -> dict[str, str]:
    """Return ``{prefix.<Section>.<Name>: S3Uri}`` for ModelMetrics / DriftCheckBaselines."""
    out: dict[str, str] = {}
    if not isinstance(block, Mapping):
        return out
    for section, entries in block.items():
        if not isinstance(entries, Mapping):
            continue
        for name, source in entries.items():
            uri = n.text(source.get("S3Uri")) if isinstance(source, Mapping) else None
            if uri is not None:
                out[f"{prefix}.{section}.{name}"] = uri
    return out


def _status_message(package: Mapping[str, Any]) -> str | None:
    """Summarise failed validation or image scan steps (``ModelPackageStatusDetails``)."""
    details = package.get("ModelPackageStatusDetails")
    if not isinstance(details, Mapping):
        return None
    problems: list[str] = []
    for kind in ("ValidationStatuses", "ImageScanStatuses"):
        items = details.get(kind)
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, Mapping) or item.get("Status") != "Failed":
                continue
            reason = n.text(item.get("FailureReason"))
            problems.append(
                f"{kind} {n.text(item.get('Name')) or '?'}: Failed"
                + (f" ({reason})" if reason else "")
            )
    return "; ".join(problems) or None


def version_tags(package: Mapping[str, Any]) -> dict[str, str]:
    """Return the version tags: customer metadata plus ``sagemaker.``-prefixed facts."""
    out = n.tags(package.get("CustomerMetadataProperties"))
    container = _first_container(package)
    metadata = package.get("MetadataProperties")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    card = package.get("ModelCard")
    card = card if isinstance(card, Mapping) else {}
    life_cycle = package.get("ModelLifeCycle")
    life_cycle = life_cycle if isinstance(life_cycle, Mapping) else {}
    facts = {
        "model_package_arn": package.get("ModelPackageArn"),
        "image": container.get("Image"),
        "image_digest": container.get("ImageDigest"),
        "framework": container.get("Framework"),
        "framework_version": container.get("FrameworkVersion"),
        "generated_by": metadata.get("GeneratedBy"),
        "project_id": metadata.get("ProjectId"),
        "registration_type": package.get("ModelPackageRegistrationType"),
        "model_card_status": card.get("ModelCardStatus"),
        "approval_description": package.get("ApprovalDescription"),
        "last_modified_by": user_of(package.get("LastModifiedBy")),
        "domain": package.get("Domain"),
        "task": package.get("Task"),
        "lifecycle.stage_status": life_cycle.get("StageStatus"),
        "lifecycle.stage_description": life_cycle.get("StageDescription"),
    }
    for key, value in facts.items():
        value_text = n.text(value)
        if value_text is not None:
            out[TAG_PREFIX + key] = value_text
    out.update(_evidence_tags(package.get("ModelMetrics"), TAG_PREFIX + "metrics"))
    out.update(_evidence_tags(package.get("DriftCheckBaselines"), TAG_PREFIX + "drift_baselines"))
    return out


class SageMakerRegistryAdapter:
    """Adapter for SageMaker Model Registry JSON (model packages and package groups)."""

    name = "sagemaker-model-package"
    family = "registry"
    description = (
        "SageMaker Model Registry JSON (describe-model-package, list-model-packages, "
        "describe-model-package-group)"
    )

    def detect(self, candidate: Candidate) -> bool:
        """Recognise a package or group object, a package summary list, or a list of packages."""
        if candidate.kind is not Kind.JSON:
            return False
        doc = candidate.document
        if isinstance(doc, Mapping):
            return isinstance(doc.get("ModelPackageSummaryList"), list) or _is_package(doc)
        if isinstance(doc, list):
            return bool(doc) and all(_is_package(item) for item in doc)
        return False

    def read(self, candidate: Candidate) -> Batch:
        """Parse one file into registered models and model versions, keeping the raw JSON."""
        path = candidate.path
        doc = candidate.document
        batch = Batch(files=[path])
        if isinstance(doc, list):
            packages = [
                (require_mapping(item, f"item {i} of the list", path), f"item {i} of the list")
                for i, item in enumerate(doc, start=1)
            ]
        else:
            doc = require_mapping(doc, "the SageMaker document", path)
            if "ModelPackageSummaryList" in doc:
                summaries = doc["ModelPackageSummaryList"]
                if not isinstance(summaries, list):
                    raise MalformedInputError(
                        "ModelPackageSummaryList should be a JSON array but is "
                        f"{type(summaries).__name__}.",
                        path=path,
                    )
                packages = [
                    (
                        require_mapping(item, f"ModelPackageSummaryList item {i}", path),
                        f"ModelPackageSummaryList item {i}",
                    )
                    for i, item in enumerate(summaries, start=1)
                ]
                if n.text(doc.get("NextToken")):
                    batch.notes.append(
                        f"{path}: list-model-packages page with a NextToken: more model "
                        "packages exist; ingest every page"
                    )
            elif _is_group(doc):
                batch.models.append(self._group(doc, candidate))
                packages = []
            else:
                packages = [(doc, "the model package")]
        seen_models: set[str] = set()
        for package, where in packages:
            version = self._version(package, where, candidate, batch)
            if version is None:
                continue
            batch.versions.append(version)
            if version.model_name not in seen_models:
                seen_models.add(version.model_name)
                batch.models.append(
                    RegisteredModel(name=version.model_name, registry=REGISTRY, aliases=None)
                )
        batch.documents.append(
            Document(
                path=str(path),
                sha256=n.sha256_bytes(candidate.data),
                kind=DOCUMENT_KIND,
                text=candidate.data.decode("utf-8-sig"),
            )
        )
        return batch

    @staticmethod
    def _group(doc: Mapping[str, Any], candidate: Candidate) -> RegisteredModel:
        path = candidate.path
        name = n.text(doc.get("ModelPackageGroupName"))
        arn = n.text(doc.get("ModelPackageGroupArn"))
        if name is None:
            match = _GROUP_ARN.match(arn or "")
            name = match.group("name") if match else None
        if name is None:
            raise MalformedInputError(
                "is a SageMaker model package group without ModelPackageGroupName (and no "
                "ModelPackageGroupArn to take it from).",
                hint="Save the full output of `aws sagemaker describe-model-package-group`.",
                path=path,
            )
        tags = {
            TAG_PREFIX + key: value
            for key, value in (
                ("model_package_group_arn", arn),
                ("model_package_group_status", n.text(doc.get("ModelPackageGroupStatus"))),
            )
            if value is not None
        }
        return RegisteredModel(
            name=name,
            registry=REGISTRY,
            description=n.text(doc.get("ModelPackageGroupDescription")),
            created_at=_time(doc, "CreationTime", "the model package group", path),
            user_id=user_of(doc.get("CreatedBy")),
            tags=tags,
            aliases=None,
        )

    @staticmethod
    def _version(
        package: Mapping[str, Any], where: str, candidate: Candidate, batch: Batch
    ) -> ModelVersion | None:
        path = candidate.path
        arn = n.text(package.get("ModelPackageArn"))
        parsed = parse_package_arn(arn)
        group = n.text(package.get("ModelPackageGroupName"))
        raw_version = package.get("ModelPackageVersion")
        if group is None and raw_version is None and parsed == (None, None):
            batch.notes.append(
                f"{path}: {where} is an unversioned model package ({arn}), not in a model "
                "registry; skipped"
            )
            return None
        if group is None and parsed is not None:
            group = parsed[0]
        if group is None:
            raise MalformedInputError(
                f"{where} has no ModelPackageGroupName and no versioned ModelPackageArn "
                f"(arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>) to "
                f"take it from (ModelPackageArn: {arn or 'missing'}).",
                hint="Save the full output of `aws sagemaker describe-model-package`.",
                path=path,
            )
        try:
            version = n.version_text(raw_version)
        except ValueError:
            raise MalformedInputError(
                f"{where} (model package group {group!r}) has no ModelPackageVersion.",
                hint="Save the full output of `aws sagemaker describe-model-package` for a "
                "versioned model package.",
                path=path,
            ) from None
        container = _first_container(package)
        metadata = package.get("MetadataProperties")
        metadata = metadata if isinstance(metadata, Mapping) else {}
        try:
            tags = version_tags(package)
        except ValueError as exc:
            raise MalformedInputError(
                f"{where} ({group} version {version}) has unreadable "
                f"CustomerMetadataProperties: {exc}.",
                path=path,
            ) from exc
        what = f"{where} ({group} version {version})"
        return ModelVersion(
            model_name=group,
            version=version,
            stage=stage_of(package),
            status=n.text(package.get("ModelPackageStatus")),
            status_message=_status_message(package),
            description=n.text(package.get("ModelPackageDescription")),
            source=_model_data(container) or n.text(package.get("SourceUri")),
            run_id=None,
            user_id=user_of(package.get("CreatedBy")),
            created_at=_time(package, "CreationTime", what, path),
            updated_at=_time(package, "LastModifiedTime", what, path),
            tags=tags,
            git_commit=n.text(metadata.get("CommitId")),
            code_repository=n.text(metadata.get("Repository")),
            approval_status=n.text(package.get("ModelApprovalStatus")),
        )


def _time(doc: Mapping[str, Any], key: str, what: str, path: Path) -> datetime | None:
    """Parse ``doc[key]`` as a timestamp, raising a clear error naming the field."""
    try:
        return n.timestamp(doc.get(key))
    except ValueError as exc:
        raise MalformedInputError(
            f"{what} has an unreadable {key} ({doc.get(key)!r}): expected ISO-8601 or epoch "
            "seconds.",
            path=path,
        ) from exc
