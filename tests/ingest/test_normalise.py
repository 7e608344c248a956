from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govern.ingest import normalise as n

KEYS = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20)
VALUES = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)


@given(st.dictionaries(KEYS, VALUES, max_size=10))
def test_tag_shapes_agree(tags: dict[str, str]) -> None:
    """REST lists of {key, value} and export-import dicts give the same tags."""
    as_list = [{"key": k, "value": v} for k, v in tags.items()]
    assert n.tags(as_list) == n.tags(tags) == tags


@given(st.integers(min_value=1, max_value=10**6))
def test_version_types_agree(version: int) -> None:
    """Versions are text whether the source wrote an int, a float or a string."""
    assert n.version_text(version) == n.version_text(str(version)) == str(version)
    assert n.version_text(float(version)) == str(version)


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)))
def test_timestamp_shapes_agree(moment: datetime) -> None:
    """Epoch ms, epoch seconds (float), ISO with offset and naive ISO are the same instant."""
    aware = moment.replace(tzinfo=UTC, microsecond=(moment.microsecond // 1000) * 1000)
    ms = int(aware.timestamp() * 1000)
    parsed = n.timestamp(ms)
    assert parsed is not None
    assert abs((parsed - aware).total_seconds()) < 0.002
    assert n.timestamp(aware.isoformat()) == aware
    assert n.timestamp(aware.replace(tzinfo=None).isoformat()) == aware
    assert n.timestamp(aware.isoformat().replace("+00:00", "Z")) == aware
    seconds = n.timestamp(ms / 1000.0)
    assert seconds is not None and abs((seconds - aware).total_seconds()) < 0.002


def test_timestamp_examples() -> None:
    assert n.timestamp(1684716075258) == datetime(2023, 5, 22, 0, 41, 15, 258000, tzinfo=UTC)
    assert n.timestamp("2020-10-29T01:27:46.046000+00:00") == datetime(
        2020, 10, 29, 1, 27, 46, 46000, tzinfo=UTC
    )
    assert n.timestamp("2020-10-29T03:27:46+02:00") == datetime(2020, 10, 29, 1, 27, 46, tzinfo=UTC)
    assert n.timestamp(1603934866.046) == datetime(2020, 10, 29, 1, 27, 46, 46000, tzinfo=UTC)
    assert n.timestamp(0) is None
    assert n.timestamp(None) is None
    with pytest.raises(ValueError, match="not a timestamp"):
        n.timestamp("yesterday")


def test_stage_none_spellings() -> None:
    assert n.stage("None") is None
    assert n.stage(None) is None
    assert n.stage("") is None
    assert n.stage("Production") == "Production"


def test_alias_shapes() -> None:
    assert n.aliases([{"alias": "champion", "version": "4"}]) == {"champion": "4"}
    assert n.aliases({"champion": 4}) == {"champion": "4"}
    assert n.aliases(["champion"], version="4") == {"champion": "4"}
    assert n.aliases(None) == {}
    with pytest.raises(ValueError, match="no version"):
        n.aliases(["champion"])


def test_git_commit_prefers_mlflow_then_databricks() -> None:
    assert n.git_commit({"mlflow.source.git.commit": "abc"}) == "abc"
    assert n.git_commit({"mlflow.databricks.gitRepoCommit": "def"}) == "def"
    assert n.git_commit({"mlflow.source.git.commit": ""}) is None


def test_dataset_source_json_in_json() -> None:
    assert n.dataset_source_uri('{"uri": "s3://b/t.parquet"}') == "s3://b/t.parquet"
    assert (
        n.dataset_source_uri('{"delta_table_name": "cat.db.t", "delta_table_version": 1}')
        == "cat.db.t"
    )
    assert n.dataset_source_uri("not json") == "not json"


def test_metric_nan_is_kept_for_the_pipeline_to_report() -> None:
    """NaN/Infinity are real MLflow data: kept here, stored as missing with a note later."""
    assert math.isnan(n.metric_value("NaN") or 0.0)
    assert math.isnan(n.metric_value(float("nan")) or 0.0)
    assert n.metric_value("Infinity") == math.inf
    assert n.metric_value(0.5) == 0.5
    assert n.metric_value(None) is None
    with pytest.raises(n.BadValueError, match="not a number"):
        n.metric_value("abc")


def test_timestamps_out_of_range_or_not_finite_are_refused() -> None:
    for value in (1e300, 1e20, -1e20, float("nan"), float("inf"), "1e300"):
        with pytest.raises(n.BadValueError):
            n.timestamp(value)
    assert n.timestamp(0) is None


def test_metric_step_must_fit_64_bits() -> None:
    assert n.step("7") == 7
    assert n.step(None) == 0
    assert n.step(2**63 - 1) == 2**63 - 1
    for value in (2**70, "1180591620717411303424", -(2**63) - 1, 1.5, "x", True):
        with pytest.raises(n.BadValueError):
            n.step(value)
