"""`govern review` end to end: ingest generated monthly logs, review, store, compare, exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from govern.cli.main import app
from govern.store import Store
from govern.store import reviews as stored
from tests.conftest import dump_store
from tests.review.logs import MODEL, monthly_frame

MAPPING = ["--model", MODEL, "--role", "current", "--timestamp", "ts", "--prediction",
           "approved", "--score", "score", "--label", "default", "--sensitive", "sex",
           "--sensitive", "race"]  # fmt: skip

TOP = {
    "schema", "model", "version", "period", "generated_at", "params", "span", "compared_to",
    "decision", "summary", "disparities", "windows", "trend", "regressions", "warnings",
    "performance_regressions",
}  # fmt: skip
WINDOW = {
    "label", "start", "end", "partial", "status", "reason", "rows", "reviewed", "labelled",
    "scored", "missing_prediction", "missing_sensitive", "features", "ll144", "performance",
}  # fmt: skip
FEATURE = {
    "feature", "columns", "status", "reason", "groups", "excluded", "absent", "disparities",
    "missing", "missing_labelled",
}  # fmt: skip
DISPARITY = {
    "metric", "kind", "status", "reason", "value", "ci", "previous", "stored", "bounds",
    "regression",
}  # fmt: skip
GROUP = {
    "group", "values", "n", "labelled", "selection_rate", "mean_score", "true_positive_rate",
    "false_positive_rate", "accuracy", "precision",
}  # fmt: skip
REGRESSION = {
    "window", "feature", "metric", "kind", "value", "basis", "reason", "compared_with",
    "earlier", "delta", "tolerance", "message",
}  # fmt: skip


@pytest.fixture
def db(runner: CliRunner, db_path: Path, tmp_path: Path) -> Path:
    log = tmp_path / "decisions.parquet"
    monthly_frame(rows=2000, biased=("2026-05", "2026-06")).to_parquet(log)
    result = runner.invoke(app, ["--db", str(db_path), "ingest", str(log), *MAPPING])
    assert result.exit_code == 0, result.output
    return db_path


def govern(runner: CliRunner, db: Path, *args: str) -> Any:
    return runner.invoke(app, ["--db", str(db), *args])


def test_json_result_structure_and_storage(runner: CliRunner, db: Path) -> None:
    result = govern(runner, db, "review", MODEL, "--format", "json")
    assert result.exit_code == 1, result.output  # May and June are biased
    data = json.loads(result.stdout)
    assert set(data) == TOP and data["schema"] == "govern.review/v1"
    assert data["decision"] == "regression" and data["compared_to"] is None
    assert data["summary"] == {"windows": 6, "evaluated": 6, "not_evaluated": 0,
                               "regressions": len(data["regressions"]),
                               "performance_regressions": 0, "bound_violations": 0}  # fmt: skip
    assert [d["metric"] for d in data["disparities"]] == [
        "demographic_parity_difference", "demographic_parity_ratio", "impact_ratio",
        "equalized_odds_difference", "equalized_odds_ratio", "equal_opportunity_difference",
    ]  # fmt: skip
    for w in data["windows"]:
        assert set(w) == WINDOW
        assert [f["feature"] for f in w["features"]] == ["sex", "race", "sex×race"]
        for f in w["features"]:
            assert set(f) == FEATURE
            assert all(set(g) == GROUP for g in f["groups"])
            for d in f["disparities"]:
                assert set(d) - {"detail"} == DISPARITY
    assert all(set(r) == REGRESSION for r in data["regressions"])
    assert {t["feature"] for t in data["trend"]} == {"sex", "race", "sex×race"}
    assert "stored as review #1" in result.stderr
    with Store.open(db, read_only=True) as store:
        (saved,) = stored.all_reviews(store)
    assert saved.result == data and saved.verified()
    assert (saved.model, saved.version, saved.period) == (MODEL, None, "month")
    assert saved.params == data["params"]


def test_second_run_compares_with_the_first(runner: CliRunner, db: Path) -> None:
    assert govern(runner, db, "review", MODEL).exit_code == 1
    result = govern(runner, db, "review", MODEL, "-f", "json")
    data = json.loads(result.stdout)
    assert data["compared_to"]["id"] == 1
    d = data["windows"][4]["features"][0]["disparities"][0]
    assert d["stored"]["review"] == 1 and d["stored"]["delta"] == 0.0
    assert "stored as review #2" in result.stderr


def test_no_store_leaves_reviews_empty(runner: CliRunner, db: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "review.txt"
    result = govern(runner, db, "review", MODEL, "--no-store", "--output", str(out))
    assert result.exit_code == 1
    assert "Fairness review: credit-risk" in out.read_text()
    assert dump_store(db)["reviews"] == []


def test_table_and_exit_zero_without_regression(runner: CliRunner, db: Path) -> None:
    result = govern(
        runner, db, "review", MODEL, "--period", "quarter", "--from", "2026-01", "--to", "2026-03"
    )
    assert result.exit_code == 0, result.output
    assert "quarterly, 2026-Q1 … 2026-Q1" in result.stdout
    assert "no regression flagged" in result.stdout
    assert "no regression" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["review", "unknown-model"], "no current prediction log of model 'unknown-model'"),
        (["review", MODEL, "--sensitive", "gender"], "column 'gender'"),
        (["review", MODEL, "--from", "2026-13-01"], "--from '2026-13-01' is not a date"),
        (["review", MODEL, "--from", "2026-05-01", "--to", "2026-04-30"], "is not before"),
        (["review", MODEL, "--version", "7"], "carry no model version"),
        (["review", MODEL, "--confidence", "95"], "strictly between 0 and 1"),
        (["review", MODEL, "--policy", "missing.yaml"], "missing.yaml"),
    ],
)
def test_bad_input_exits_2_and_changes_nothing(
    runner: CliRunner, db: Path, args: list[str], message: str
) -> None:
    before = dump_store(db)
    result = govern(runner, db, *args)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.output
    assert dump_store(db) == before


def test_bad_period_is_a_usage_error(runner: CliRunner, db: Path) -> None:
    result = govern(runner, db, "review", MODEL, "--period", "week")
    assert result.exit_code == 2


def test_help_lists_review(runner: CliRunner) -> None:
    assert "review" in runner.invoke(app, ["--help"]).stdout
    text = runner.invoke(app, ["review", "--help"]).stdout
    assert "--tolerance" in text and "govern review credit-risk --period quarter" in text


def test_missing_store_is_not_created(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "nowhere" / "govern.duckdb"
    result = govern(runner, db, "review", MODEL)
    assert result.exit_code == 2 and "there is no govern store" in result.stderr
    assert not db.exists()


def test_missing_option(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    frame = monthly_frame(("2026-01",), rows=995, biased=())
    frame.loc[frame.index[-9:], "sex"] = None  # 9 of 995 without a recorded sex
    log = tmp_path / "unrecorded.parquet"
    frame.to_parquet(log)
    assert runner.invoke(app, ["--db", str(db_path), "ingest", str(log), *MAPPING]).exit_code == 0
    runs = {}
    for choice in ("exclude", "group", "fail"):
        result = govern(runner, db_path, "review", MODEL, "--missing", choice, "-f", "json",
                        "--no-store")  # fmt: skip
        assert result.exit_code == 0, result.output
        runs[choice] = json.loads(result.stdout)
        assert runs[choice]["params"]["missing"] == choice
    sex = {c: next(f for f in r["windows"][0]["features"] if f["feature"] == "sex")
           for c, r in runs.items()}  # fmt: skip
    assert sex["exclude"]["missing"] == 9 and sex["exclude"]["status"] == "evaluated"
    assert sum(g["n"] for g in sex["exclude"]["groups"]) == 986
    assert sex["group"]["groups"][-1]["group"] == "(missing)"
    assert sex["fail"]["status"] == "not_evaluated" and "9 record(s)" in sex["fail"]["reason"]
    table = govern(runner, db_path, "review", MODEL, "--no-store")
    assert "9 without a value of a sensitive feature" in table.stdout
    assert "(no value, left out)" in table.stdout
    bad = govern(runner, db_path, "review", MODEL, "--missing", "drop")
    assert bad.exit_code == 2 and "drop" in bad.output
