import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from govern.errors import MalformedInputError
from govern.ingest.base import Adapter, sniff
from govern.ingest.normalise import sha256_file
from govern.ingest.sagemaker_registry import SageMakerRegistryAdapter
from govern.records.registry import Batch, ModelVersion
from tests.conftest import PUBLIC

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "sagemaker"
SAMPLES = PUBLIC
MLFLOW_MODEL_JSON = (
    SAMPLES / "mlflow-export-import" / "samples" / "oss_mlflow" / "single" / "models" / "basic"
)

FIXTURE_NAMES = [
    "describe-model-package.json",
    "describe-model-package-boto3.json",
    "list-model-packages.json",
    "describe-model-package-group.json",
]
BUCKET = "s3://sagemaker-eu-west-1-123456789012/churn-train"
ARN = "arn:aws:sagemaker:eu-west-1:123456789012:model-package/churn-xgboost"

adapter = SageMakerRegistryAdapter()


def read(path: Path) -> Batch:
    candidate = sniff(path)
    assert adapter.detect(candidate)
    return adapter.read(candidate)


def only_version(batch: Batch) -> ModelVersion:
    assert len(batch.versions) == 1
    return batch.versions[0]


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def fixture_doc(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return doc


def test_satisfies_the_adapter_protocol() -> None:
    checked: Adapter = adapter
    assert checked.name == "sagemaker-model-package"
    assert checked.family == "registry"
    assert checked.description


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_detects_every_fixture(name: str) -> None:
    assert adapter.detect(sniff(FIXTURES / name))


def test_detects_a_list_of_packages(tmp_path: Path) -> None:
    docs = [
        fixture_doc("describe-model-package.json"),
        fixture_doc("describe-model-package-boto3.json"),
    ]
    assert adapter.detect(sniff(write_json(tmp_path / "packages.json", docs)))


def test_does_not_detect_an_mlflow_export_import_model() -> None:
    assert not adapter.detect(sniff(MLFLOW_MODEL_JSON / "model.json"))


@pytest.mark.parametrize(
    "document",
    [
        {"registered_model": {"name": "m"}},
        [],
        [{"name": "m"}],
        {"ModelPackageGroupSummaryList": []},
    ],
)
def test_does_not_detect_other_json(tmp_path: Path, document: Any) -> None:
    assert not adapter.detect(sniff(write_json(tmp_path / "other.json", document)))


def test_does_not_detect_non_json(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("ModelPackageArn\n", encoding="utf-8")
    assert not adapter.detect(sniff(path))


def test_cli_describe_model_package_fields() -> None:
    path = FIXTURES / "describe-model-package.json"
    batch = read(path)
    version = only_version(batch)
    assert version.model_name == "churn-xgboost"
    assert version.version == "3"
    assert version.stage == "Production"  # ModelLifeCycle.Stage wins over the approval
    assert version.status == "Completed"
    assert version.status_message is None
    assert version.approval_status == "Approved"
    assert version.description == "XGBoost churn classifier registered by the churn-train pipeline"
    assert version.source == f"{BUCKET}/8u2lq0k2c9xw/TrainChurnModel/output/model.tar.gz"
    assert version.run_id is None
    assert version.user_id == "data-scientist-1"
    assert version.created_at == datetime(2024, 3, 14, 9, 26, 53, 123000, tzinfo=UTC)
    assert version.updated_at == datetime(2024, 3, 15, 16, 2, 11, 456000, tzinfo=UTC)
    assert version.git_commit == "9fceb02d0ae598e95dc970b74767f19372d61af8"
    assert version.code_repository == "https://github.com/example-org/churn-model.git"
    assert version.aliases == ()
    run = f"{BUCKET}/8u2lq0k2c9xw"
    assert version.tags == {
        "team": "retention",
        "training-data-snapshot": "2024-03-01",
        "sagemaker.model_package_arn": f"{ARN}/3",
        "sagemaker.image": "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1",
        "sagemaker.image_digest": (
            "sha256:5d1a3c1e0f6b2a7c9e8d4f3b2a1c0e9d8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c"
        ),
        "sagemaker.framework": "XGBOOST",
        "sagemaker.framework_version": "1.7-1",
        "sagemaker.generated_by": (
            "arn:aws:sagemaker:eu-west-1:123456789012:pipeline/churn-train/execution/8u2lq0k2c9xw"
        ),
        "sagemaker.project_id": "p-abcdefghijkl",
        "sagemaker.registration_type": "Registered",
        "sagemaker.model_card_status": "PendingReview",
        "sagemaker.approval_description": "Evaluation AUC above threshold; bias report reviewed",
        "sagemaker.last_modified_by": "ml-reviewer",
        "sagemaker.domain": "MACHINE_LEARNING",
        "sagemaker.task": "CLASSIFICATION",
        "sagemaker.lifecycle.stage_status": "Approved",
        "sagemaker.lifecycle.stage_description": "Promoted after shadow test",
        "sagemaker.metrics.ModelQuality.Statistics": (
            f"{run}/EvaluateChurnModel/output/evaluation/evaluation.json"
        ),
        "sagemaker.metrics.ModelDataQuality.Statistics": f"{run}/DataQualityCheck/statistics.json",
        "sagemaker.metrics.ModelDataQuality.Constraints": (
            f"{run}/DataQualityCheck/constraints.json"
        ),
        "sagemaker.metrics.Bias.Report": f"{run}/DataBiasCheck/analysis.json",
        "sagemaker.metrics.Explainability.Report": (
            f"{run}/ModelExplainabilityCheck/analysis.json"
        ),
        "sagemaker.drift_baselines.Bias.ConfigFile": f"{run}/DataBiasCheck/analysis_config.json",
        "sagemaker.drift_baselines.Bias.PreTrainingConstraints": (
            f"{run}/DataBiasCheck/analysis.json"
        ),
        "sagemaker.drift_baselines.ModelQuality.Statistics": (
            f"{run}/ModelQualityCheck/statistics.json"
        ),
        "sagemaker.drift_baselines.ModelQuality.Constraints": (
            f"{run}/ModelQualityCheck/constraints.json"
        ),
        "sagemaker.drift_baselines.ModelDataQuality.Statistics": (
            f"{run}/DataQualityCheck/statistics.json"
        ),
        "sagemaker.drift_baselines.ModelDataQuality.Constraints": (
            f"{run}/DataQualityCheck/constraints.json"
        ),
    }


def test_a_version_implies_its_group_without_touching_aliases() -> None:
    batch = read(FIXTURES / "describe-model-package.json")
    assert len(batch.models) == 1
    model = batch.models[0]
    assert model.name == "churn-xgboost"
    assert model.registry == "sagemaker"
    assert model.aliases is None
    assert model.description is None
    assert model.tags == {}
    assert batch.runs == []


def test_keeps_the_raw_document_and_the_file() -> None:
    path = FIXTURES / "describe-model-package.json"
    batch = read(path)
    assert batch.files == [path]
    assert len(batch.documents) == 1
    document = batch.documents[0]
    assert document.kind == "sagemaker-model-package"
    assert document.path == str(path)
    assert document.sha256 == sha256_file(path)
    assert document.text == path.read_text(encoding="utf-8")


def test_boto3_describe_model_package_fields() -> None:
    batch = read(FIXTURES / "describe-model-package-boto3.json")
    version = only_version(batch)
    assert version.model_name == "churn-xgboost"
    assert version.version == "4"
    assert version.stage is None  # PendingManualApproval and no ModelLifeCycle
    assert version.approval_status == "PendingManualApproval"
    assert version.status == "Completed"
    assert version.git_commit is None  # lineage gap
    assert version.code_repository is None
    assert version.run_id is None
    assert version.source == f"{BUCKET}/3kq9zt7m1pbd/TrainChurnModel/output/model.tar.gz"
    assert version.user_id == "arn:aws:sts::123456789012:assumed-role/churn-pipeline-role/SageMaker"
    assert version.created_at == datetime(2024, 4, 2, 13, 45, 7, 250000, tzinfo=UTC)
    assert version.updated_at == datetime(2024, 4, 2, 13, 47, 30, 500000, tzinfo=UTC)
    assert version.tags == {
        "sagemaker.model_package_arn": f"{ARN}/4",
        "sagemaker.image": "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1",
        "sagemaker.image_digest": (
            "sha256:5d1a3c1e0f6b2a7c9e8d4f3b2a1c0e9d8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c"
        ),
        "sagemaker.generated_by": (
            "arn:aws:sagemaker:eu-west-1:123456789012:pipeline/churn-train/execution/3kq9zt7m1pbd"
        ),
        "sagemaker.project_id": "p-abcdefghijkl",
        "sagemaker.registration_type": "Registered",
    }
    assert not any("ResponseMetadata" in key or "RequestId" in key for key in version.tags)


@pytest.mark.parametrize(
    "creation_time",
    [
        "2024-03-14T09:26:53.123000+00:00",
        "2024-03-14T10:26:53.123000+01:00",
        "2024-03-14T09:26:53.123Z",
        "2024-03-14 09:26:53.123000+00:00",  # str(datetime) of a boto3 response
        1710408413.123,
    ],
)
def test_iso_and_epoch_timestamps_give_the_same_utc_instant(
    tmp_path: Path, creation_time: str | float
) -> None:
    doc = fixture_doc("describe-model-package.json")
    doc["CreationTime"] = creation_time
    version = only_version(read(write_json(tmp_path / "package.json", doc)))
    assert version.created_at == datetime(2024, 3, 14, 9, 26, 53, 123000, tzinfo=UTC)
    assert version.created_at is not None and version.created_at.utcoffset() is not None


def test_list_model_packages() -> None:
    path = FIXTURES / "list-model-packages.json"
    batch = read(path)
    assert [(v.model_name, v.version) for v in batch.versions] == [
        ("churn-xgboost", "1"),
        ("churn-xgboost", "2"),
    ]
    first, second = batch.versions
    assert first.stage == "Rejected"
    assert first.approval_status == "Rejected"
    assert first.status == "Completed"
    assert first.description == "First baseline model"
    assert first.created_at == datetime(2024, 2, 20, 9, 15, 40, 321000, tzinfo=UTC)
    assert first.source is None
    assert first.git_commit is None
    assert first.tags == {"sagemaker.model_package_arn": f"{ARN}/1"}
    assert second.stage == "Staging"
    assert second.approval_status == "Approved"
    assert second.tags == {
        "sagemaker.model_package_arn": f"{ARN}/2",
        "sagemaker.registration_type": "Registered",
        "sagemaker.lifecycle.stage_status": "Approved",
    }
    assert [(m.name, m.aliases) for m in batch.models] == [("churn-xgboost", None)]
    assert len(batch.notes) == 1
    assert "NextToken" in batch.notes[0]
    assert str(path) in batch.notes[0]


def test_list_model_packages_without_next_token_has_no_note(tmp_path: Path) -> None:
    doc = fixture_doc("list-model-packages.json")
    del doc["NextToken"]
    batch = read(write_json(tmp_path / "page.json", doc))
    assert len(batch.versions) == 2
    assert batch.notes == []


def test_list_of_describe_outputs(tmp_path: Path) -> None:
    docs = [
        fixture_doc("describe-model-package.json"),
        fixture_doc("describe-model-package-boto3.json"),
    ]
    batch = read(write_json(tmp_path / "packages.json", docs))
    assert [(v.model_name, v.version, v.stage) for v in batch.versions] == [
        ("churn-xgboost", "3", "Production"),
        ("churn-xgboost", "4", None),
    ]
    assert [m.name for m in batch.models] == ["churn-xgboost"]
    assert len(batch.documents) == 1


def test_describe_model_package_group() -> None:
    batch = read(FIXTURES / "describe-model-package-group.json")
    assert batch.versions == []
    assert len(batch.models) == 1
    model = batch.models[0]
    assert model.name == "churn-xgboost"
    assert model.registry == "sagemaker"
    assert model.description == "Customer churn classifiers (XGBoost)"
    assert model.created_at == datetime(2024, 2, 20, 8, 0, 12, tzinfo=UTC)
    assert model.user_id == "arn:aws:sts::123456789012:assumed-role/churn-pipeline-role/SageMaker"
    assert model.aliases is None
    assert model.tags == {
        "sagemaker.model_package_group_arn": (
            "arn:aws:sagemaker:eu-west-1:123456789012:model-package-group/churn-xgboost"
        ),
        "sagemaker.model_package_group_status": "Completed",
    }
    assert batch.documents[0].kind == "sagemaker-model-package"


@pytest.mark.parametrize(
    ("approval", "stage"),
    [
        ("Approved", "Approved"),
        ("Rejected", "Rejected"),
        ("PendingManualApproval", None),
        (None, None),
    ],
)
def test_stage_from_approval_status_without_life_cycle(
    tmp_path: Path, approval: str | None, stage: str | None
) -> None:
    doc = fixture_doc("describe-model-package.json")
    del doc["ModelLifeCycle"]
    if approval is None:
        del doc["ModelApprovalStatus"]
    else:
        doc["ModelApprovalStatus"] = approval
    version = only_version(read(write_json(tmp_path / "package.json", doc)))
    assert version.stage == stage
    assert version.approval_status == approval


def test_group_name_is_taken_from_the_arn(tmp_path: Path) -> None:
    doc = fixture_doc("describe-model-package-boto3.json")
    del doc["ModelPackageGroupName"]
    del doc["ModelPackageName"]
    version = only_version(read(write_json(tmp_path / "package.json", doc)))
    assert (version.model_name, version.version) == ("churn-xgboost", "4")


def test_failed_validation_becomes_the_status_message(tmp_path: Path) -> None:
    doc = fixture_doc("describe-model-package-boto3.json")
    doc["ModelPackageStatus"] = "Failed"
    doc["ModelPackageStatusDetails"] = {
        "ValidationStatuses": [
            {"Name": "churn-validation", "Status": "Failed", "FailureReason": "Transform failed"}
        ],
        "ImageScanStatuses": [{"Name": "image", "Status": "Completed"}],
    }
    version = only_version(read(write_json(tmp_path / "package.json", doc)))
    assert version.status == "Failed"
    assert (
        version.status_message == "ValidationStatuses churn-validation: Failed (Transform failed)"
    )


def test_unversioned_package_is_skipped_with_a_note(tmp_path: Path) -> None:
    doc = {
        "ModelPackageSummaryList": [
            {
                "ModelPackageName": "marketplace-model",
                "ModelPackageArn": (
                    "arn:aws:sagemaker:eu-west-1:123456789012:model-package/marketplace-model"
                ),
                "CreationTime": 1708416012.0,
                "ModelPackageStatus": "Completed",
            }
        ]
    }
    batch = read(write_json(tmp_path / "unversioned.json", doc))
    assert batch.versions == []
    assert batch.models == []
    assert len(batch.notes) == 1
    assert "unversioned" in batch.notes[0]


def test_package_without_version_is_malformed(tmp_path: Path) -> None:
    doc = fixture_doc("describe-model-package-boto3.json")
    del doc["ModelPackageVersion"]
    path = write_json(tmp_path / "no-version.json", doc)
    with pytest.raises(MalformedInputError) as caught:
        read(path)
    assert caught.value.path == str(path)
    assert str(path) in caught.value.diagnostics()
    assert "ModelPackageVersion" in caught.value.diagnostics()


def test_package_without_group_or_arn_is_malformed(tmp_path: Path) -> None:
    doc = fixture_doc("describe-model-package.json")
    del doc["ModelPackageGroupName"]
    doc["ModelPackageArn"] = "not-an-arn"
    path = write_json(tmp_path / "no-group.json", doc)
    with pytest.raises(MalformedInputError) as caught:
        read(path)
    message = caught.value.diagnostics()
    assert str(path) in message
    assert "ModelPackageGroupName" in message


def test_malformed_item_in_a_list_is_named(tmp_path: Path) -> None:
    good = fixture_doc("describe-model-package.json")
    bad = fixture_doc("describe-model-package-boto3.json")
    del bad["ModelPackageVersion"]
    path = write_json(tmp_path / "packages.json", [good, bad])
    with pytest.raises(MalformedInputError, match="item 2 of the list") as caught:
        read(path)
    assert str(path) in caught.value.diagnostics()


def test_unreadable_timestamp_is_malformed(tmp_path: Path) -> None:
    doc = fixture_doc("describe-model-package.json")
    doc["CreationTime"] = "yesterday"
    path = write_json(tmp_path / "bad-time.json", doc)
    with pytest.raises(MalformedInputError, match="CreationTime") as caught:
        read(path)
    assert str(path) in caught.value.diagnostics()
