"""Hypothesis round trips: whatever a source says about a model, the inventory says it back."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govern.inventory import inventory
from govern.records.registry import Batch, ModelVersion, RegisteredModel
from govern.store import Store
from govern.store.store import SourceRecord

NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-_.0123456789", min_size=1, max_size=20)
TAGS = st.dictionaries(NAMES, st.text(max_size=30), max_size=5)
MOMENTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=NAMES,
    versions=st.lists(
        st.integers(min_value=1, max_value=10_000), min_size=1, max_size=5, unique=True
    ),
    tags=TAGS,
    stage=st.sampled_from([None, "Staging", "Production", "Archived"]),
    created=MOMENTS,
    alias=NAMES,
)
def test_versions_round_trip_through_the_store(
    name: str,
    versions: list[int],
    tags: dict[str, str],
    stage: str | None,
    created: datetime,
    alias: str,
) -> None:
    texts = [str(v) for v in versions]
    batch = Batch(
        models=[RegisteredModel(name=name, registry="mlflow", aliases={alias: texts[0]})],
        versions=[
            ModelVersion(model_name=name, version=t, stage=stage, tags=tags, created_at=created)
            for t in texts
        ],
    )
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "s.duckdb") as store:
        store.write([(SourceRecord("0" * 64, "x", "test", "registry", 1), batch)], now=created)
        out = inventory(store)
    assert [v.version for v in out] == [str(v) for v in sorted(versions)]  # numeric order
    for v in out:
        assert v.model == name and v.stage == stage and v.tags == tags
        assert v.created_at is not None
        assert v.created_at.replace(tzinfo=UTC) == created.replace(microsecond=created.microsecond)
        assert v.aliases == ((alias,) if v.version == texts[0] else ())
