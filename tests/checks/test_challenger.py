"""``govern gate`` compares a challenger with the champion on the same production window.

The store holds the demo's registry (credit-risk version 2 holds the ``champion`` alias,
version 3 is a retrained candidate) and a generated log in which both versions served traffic:
the gate of version 3 judges its roc_auc against version 2's on the same window, shows both
values, the window and the decision in its output and JSON, and exits 1 when the challenger is
worse by more than ``max_drop``. Without overlapping logs the finding is not_evaluated with the
reason (exit 0, or 1 with ``--strict``). Every value is scikit-learn's on the same rows.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm
from typer.testing import CliRunner

from govern.cli.main import app
from govern.ingest.pipeline import ingest
from govern.store import Store
from tests.stores import registry_store

NOW = datetime(2026, 11, 5, tzinfo=UTC)
MAPPING = {"model": "credit-risk", "timestamp": "ts", "prediction": "approved", "score": "score",
           "label": "y", "model_version": "model_version", "role": "current"}  # fmt: skip
SEPTEMBER = "{start: '2026-09-01', end: '2026-10-01'}"


def _log(months: dict[str, list[str]], seed: int = 21, n: int = 1200) -> pd.DataFrame:
    """Each month's records, served by the versions named for it; version 3 separates less."""
    rng = np.random.default_rng(seed)
    parts = []
    for month, versions in months.items():
        ts = pd.date_range(f"{month}-01", periods=n, freq="29min", tz="UTC")
        version = rng.choice(versions, n)
        y = (rng.random(n) < 0.3).astype(int)
        signal = np.where(version == "2", 0.3, 0.22)
        score = np.clip(rng.normal(0.35 + signal * y, 0.2), 0, 1)  # continuous scores
        parts.append(pd.DataFrame({"ts": ts, "model_version": version, "score": score,
                                   "y": y.astype(float),
                                   "approved": (score >= 0.5).astype(int)}))  # fmt: skip
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return registry_store(tmp_path_factory.mktemp("challenger") / "registry.duckdb", now=NOW)


def _store(registry: Path, folder: Path, frame: pd.DataFrame) -> Path:
    db = folder / "store.duckdb"
    shutil.copyfile(registry, db)
    frame.to_parquet(folder / "current.parquet")
    with Store.open(db) as store:
        ingest(store, [folder / "current.parquet"], now=NOW, options=MAPPING)
    return db


def _policy(folder: Path, window: str, max_drop: float = 0.02) -> Path:
    path = folder / "promote.yaml"
    path.write_text(
        "apiVersion: govern/v1\nkind: Policy\nmetadata: {id: promote}\n"
        "scope: {models: [credit-risk]}\nrules:\n"
        "  - {id: auc.vs-champion, check: performance, metric: roc_auc, "
        f"baseline: {{alias: champion}}, max_drop: {max_drop}, window: {window}}}\n",
        encoding="utf-8",
    )
    return path


def _gate(db: Path, policy: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    """(exit code, the JSON result, the table output) of ``govern gate credit-risk 3``."""
    base = ["--db", str(db), "gate", "credit-risk", "3", "--policy", str(policy),
            "--as-of", "2026-11-05", *extra]  # fmt: skip
    as_json = CliRunner().invoke(app, [*base, "--format", "json"])
    table = CliRunner().invoke(app, base)
    assert as_json.exit_code == table.exit_code, table.output
    return as_json.exit_code, json.loads(as_json.stdout), table.stdout


def _auc(frame: pd.DataFrame, version: str, start: str, end: str) -> tuple[float, int]:
    ts = frame["ts"].dt.tz_convert(None)
    rows = frame[(frame["model_version"] == version) & (ts >= start) & (ts < end)]
    return float(skm.roc_auc_score(rows["y"], rows["score"])), len(rows)


def test_worse_challenger_fails_the_gate_with_both_values(registry: Path, tmp_path: Path) -> None:
    frame = _log({"2026-08": ["2", "3"], "2026-09": ["2", "3"]})
    db = _store(registry, tmp_path, frame)
    champion, n_champion = _auc(frame, "2", "2026-09-01", "2026-10-01")
    challenger, n_challenger = _auc(frame, "3", "2026-09-01", "2026-10-01")
    assert challenger < champion - 0.02  # the generated challenger is worse

    code, result, table = _gate(db, _policy(tmp_path, SEPTEMBER))
    assert code == 1
    assert result["decision"] == "fail"
    (finding,) = result["findings"]
    assert finding["status"] == "fail" and finding["version"] == "3"
    assert finding["value"] == pytest.approx(challenger, abs=1e-9)
    evidence = finding["evidence"]
    assert evidence["window"] == "[2026-09-01, 2026-10-01)"
    assert evidence["labelled"] == n_challenger
    baseline = evidence["baseline"]
    assert baseline["version"] == "2" and baseline["source"] == "alias"
    assert baseline["name"] == "champion" and baseline["n"] == n_champion
    assert baseline["value"] == pytest.approx(champion, abs=1e-9)
    assert baseline["required"] == pytest.approx(champion - 0.02, abs=1e-9)
    assert finding["threshold"] == {"max_drop": 0.02, "required": baseline["required"]}
    message = finding["message"]
    assert f"roc_auc {challenger:.4f}" in message
    assert f"baseline: version 2 (alias champion) {champion:.4f}" in message
    assert "[2026-09-01, 2026-10-01)" in message
    # the table shows both values, the window and the decision (cells wrap: word by word)
    words = set(table.split())
    assert {f"{challenger:.4f}", f"{champion:.4f},", "[2026-09-01,", "FAIL"} <= words


def test_challenger_within_max_drop_passes(registry: Path, tmp_path: Path) -> None:
    frame = _log({"2026-09": ["2", "3"]})
    db = _store(registry, tmp_path, frame)
    code, result, table = _gate(db, _policy(tmp_path, "month", max_drop=0.5))
    assert code == 0, table
    assert result["decision"] == "pass"
    (finding,) = result["findings"]
    assert finding["status"] == "pass"
    assert finding["evidence"]["window"] == "[2026-09-01, 2026-10-01)"  # the latest month
    champion, _ = _auc(frame, "2", "2026-09-01", "2026-10-01")
    assert finding["evidence"]["baseline"]["value"] == pytest.approx(champion, abs=1e-9)


def test_champion_without_logs_in_the_window_is_not_evaluated(
    registry: Path, tmp_path: Path
) -> None:
    """The champion served August, the challenger September: no window in common."""
    frame = _log({"2026-08": ["2"], "2026-09": ["3"]})
    db = _store(registry, tmp_path, frame)
    policy = _policy(tmp_path, "month")
    code, result, table = _gate(db, policy)
    assert code == 0, table  # missing evidence does not fail the gate by default
    (finding,) = result["findings"]
    assert finding["status"] == "not_evaluated"
    assert finding["message"] == (
        "baseline version 2 (alias champion) has no records in [2026-09-01, 2026-10-01): it "
        "and version 3 have no production window in common to compare on"
    )
    assert finding["evidence"]["window"] == "[2026-09-01, 2026-10-01)"
    assert finding["evidence"]["labelled"] > 0  # the challenger's own records are there
    assert result["summary"]["not_evaluated"] == 1
    strict, _, _ = _gate(db, policy, "--strict")
    assert strict == 1


def test_challenger_without_logs_in_the_window_is_not_evaluated(
    registry: Path, tmp_path: Path
) -> None:
    frame = _log({"2026-08": ["2", "3"], "2026-09": ["2"]})
    db = _store(registry, tmp_path, frame)
    code, result, table = _gate(db, _policy(tmp_path, SEPTEMBER))
    assert code == 0, table
    (finding,) = result["findings"]
    assert finding["status"] == "not_evaluated"
    assert "no current prediction log rows of version 3 of credit-risk" in finding["message"]
    assert "[2026-09-01, 2026-10-01)" in finding["message"]


@pytest.mark.parametrize(("limit", "builds"), [(2_000_000, 4), (1, 12)])
def test_rules_over_the_same_records_share_their_cells(
    registry: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int, builds: int
) -> None:
    """Rules against the champion on one window read each version's records once.

    Beyond the cells the cache may hold (here: 1) only the newest entry is kept, so each rule
    builds its cells again, with the same values.
    """
    import govern.checks.performance as check
    import govern.metrics.performance as performance

    monkeypatch.setattr(check, "_SHARED_CELLS", limit)

    frame = _log({"2026-09": ["2", "3"]})
    db = _store(registry, tmp_path, frame)
    policy = tmp_path / "promote.yaml"
    rule = ("  - {id: %s.vs-champion, check: performance, metric: %s, threshold: 0.5, "
            "baseline: {alias: champion}, max_drop: 0.5, window: month}\n")  # fmt: skip
    policy.write_text(
        "apiVersion: govern/v1\nkind: Policy\nmetadata: {id: promote}\n"
        "scope: {models: [credit-risk]}\nrules:\n"
        + rule % ("auc", "roc_auc")
        + rule % ("ap", "average_precision")
        + rule % ("f1", "f1"),
        encoding="utf-8",
    )
    built = []
    original = performance.classification_cells

    def counted(*args: Any, **kwargs: Any) -> Any:
        built.append(args[1])
        return original(*args, **kwargs)

    monkeypatch.setattr(performance, "classification_cells", counted)
    code, result, _ = _gate(db, policy)
    assert code == 0
    # the JSON and the table run: two evaluations, each building the cells of v3 and v2 once
    # (a score metric asks for the threshold decision too, so f1 shares the cells); without
    # room for both, every rule builds both (3 rules x 2 versions x 2 evaluations)
    assert len(built) == builds
    values = {f["metric"]: f for f in result["findings"]}
    rows = frame[frame["model_version"] == "3"]
    assert values["roc_auc"]["value"] == pytest.approx(
        skm.roc_auc_score(rows["y"], rows["score"]), abs=1e-9
    )
    assert values["average_precision"]["value"] == pytest.approx(
        skm.average_precision_score(rows["y"], rows["score"]), abs=1e-9
    )
    assert values["f1"]["value"] == pytest.approx(
        skm.f1_score(rows["y"], rows["approved"]), abs=1e-9
    )
