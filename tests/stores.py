"""Stores built from the demo's bundled data, for tests that need a realistic store.

:func:`registry_store` holds the demo's registry exports (about a second to build);
:func:`demo_store` adds the prediction logs of credit-risk loaded with the demo policy's
``data:`` mapping (a few seconds). Build them once per session and copy the file per test.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from govern.demo import demo_inputs, demo_logs, demo_policies
from govern.ingest.pipeline import ingest
from govern.policy.data import log_options, policy_mapping
from govern.policy.loader import load
from govern.store.store import Store


def registry_store(path: Path, *, now: datetime) -> Path:
    """A new store at ``path`` holding the demo's registry exports."""
    with Store.open(path) as store:
        ingest(store, demo_inputs(), now=now)
    return path


def demo_store(path: Path, *, now: datetime, registry: Path | None = None) -> Path:
    """A new store at ``path``: the registry exports (copied from ``registry`` when given) and
    the demo's prediction logs of credit-risk."""
    if registry is not None:
        shutil.copyfile(registry, path)
    else:
        registry_store(path, now=now)
    folder = demo_policies()
    mapping = policy_mapping(load([folder]).policies, "credit-risk", where=folder)
    with Store.open(path) as store:
        for role, log in demo_logs().items():
            options = log_options(mapping, model="credit-risk", role=role)
            ingest(store, [log], now=now, options=options)
    return path
