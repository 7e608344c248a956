"""`govern ingest` from the command line: exit codes, messages, and the store left intact."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govern.cli.main import app
from govern.store import Store, writers
from tests.conftest import EXPORT_IMPORT, dump_store

VERSION_EXPORT = EXPORT_IMPORT / "databricks/single/versions/sklearn_wine"


def govern(runner: CliRunner, db: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--db", str(db), *args])


@pytest.fixture
def loaded(runner: CliRunner, db_path: Path) -> dict[str, list[tuple[object, ...]]]:
    """A store with one export in it, and its content before the test."""
    result = govern(runner, db_path, "ingest", str(VERSION_EXPORT))
    assert result.exit_code == 0, result.output
    return dump_store(db_path)


def assert_refused(result, loaded, db_path: Path, *needles: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in result.stderr, result.stderr
    assert dump_store(db_path) == loaded


def test_ingest_folder_and_report(runner: CliRunner, db_path: Path) -> None:
    result = govern(runner, db_path, "ingest", str(VERSION_EXPORT), "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["schema"] == "govern.ingest/v1"
    assert {u["format"] for u in report["loaded"]} == {"mlflow-export-import"}
    assert report["totals"]["runs"] == 1
    assert report["totals"]["versions"] == 1


def test_same_file_twice_is_a_noop(
    runner: CliRunner, db_path: Path, loaded: dict[str, list[tuple[object, ...]]]
) -> None:
    result = govern(runner, db_path, "ingest", str(VERSION_EXPORT))
    assert result.exit_code == 0
    assert "0 loaded" in result.stdout and "4 unchanged" in result.stdout
    assert dump_store(db_path) == loaded


def test_truncated_json(runner: CliRunner, db_path: Path, loaded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = EXPORT_IMPORT / "oss_mlflow/bulk/experiments/2/experiment.json"
    result = govern(runner, db_path, "ingest", str(VERSION_EXPORT / "model.json"), str(bad))
    assert_refused(result, loaded, db_path, "experiment.json", "not valid JSON")


def test_truncated_json_in_a_walked_folder_stops_unless_skipped(
    runner: CliRunner, db_path: Path, loaded
) -> None:  # type: ignore[no-untyped-def]
    folder = EXPORT_IMPORT / "oss_mlflow/bulk/experiments"
    result = govern(runner, db_path, "ingest", str(folder))
    assert_refused(result, loaded, db_path, "experiment.json", "not valid JSON")
    result = govern(runner, db_path, "ingest", str(folder), "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "skipped" in result.stdout and "experiment.json" in result.stdout


def test_json_of_unknown_kind(runner: CliRunner, db_path: Path, loaded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    odd = tmp_path / "config.json"
    odd.write_text(json.dumps({"learning_rate": 0.1, "layers": [3, 4]}))
    result = govern(runner, db_path, "ingest", str(odd))
    assert_refused(result, loaded, db_path, "config.json", "layers, learning_rate", "not a format")


def test_binary_file(runner: CliRunner, db_path: Path, loaded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    blob = tmp_path / "model.pkl"
    blob.write_bytes(b"\x80\x04\x95\x00\x00binary\x00\x01")
    result = govern(runner, db_path, "ingest", str(blob))
    assert_refused(result, loaded, db_path, "model.pkl", "binary file")


def test_empty_folder(runner: CliRunner, db_path: Path, loaded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    empty = tmp_path / "empty"
    empty.mkdir()
    result = govern(runner, db_path, "ingest", str(empty))
    assert_refused(result, loaded, db_path, "empty", "folder is empty")


def test_folder_without_known_files(
    runner: CliRunner, db_path: Path, loaded, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "readme.txt").write_text("hello")
    result = govern(runner, db_path, "ingest", str(folder))
    assert_refused(result, loaded, db_path, "notes", "holds no file govern reads")


def test_sqlite_that_is_not_mlflow(
    runner: CliRunner, db_path: Path, loaded, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    other = tmp_path / "app.db"
    with sqlite3.connect(other) as con:
        con.execute("CREATE TABLE users (id INTEGER, name TEXT)")
    result = govern(runner, db_path, "ingest", str(other))
    assert_refused(result, loaded, db_path, "app.db", "SQLite")


def test_missing_path(runner: CliRunner, db_path: Path, loaded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = govern(runner, db_path, "ingest", str(tmp_path / "nope.json"))
    assert_refused(result, loaded, db_path, "nope.json", "does not exist")


def test_unreadable_file(
    runner: CliRunner, db_path: Path, loaded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    locked = tmp_path / "locked.json"
    locked.write_text("{}")
    import os

    original = os.open

    def deny(path: object, *args: object, **kwargs: object) -> int:
        if str(path).endswith("locked.json"):
            raise PermissionError(13, "Permission denied")
        return original(path, *args, **kwargs)  # type: ignore[arg-type]

    # inputs are opened with os.open (govern.fileio: no blocking on a FIFO); tests run as root
    monkeypatch.setattr("govern.fileio.os.open", deny)
    result = govern(runner, db_path, "ingest", str(locked))
    assert_refused(result, loaded, db_path, "locked.json", "permission denied")


def test_crash_mid_ingest_is_reported_and_rolled_back(
    runner: CliRunner, db_path: Path, loaded, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    def boom(con: object, version: object, sha: str) -> None:
        raise RuntimeError("simulated crash")

    monkeypatch.setattr(writers, "write_version", boom)
    result = govern(
        runner, db_path, "ingest", str(EXPORT_IMPORT / "oss_mlflow/single/models/basic/model.json")
    )
    assert result.exit_code == 3, result.output  # a bug in govern, not bad input
    assert "Traceback" not in result.output
    for needle in ("unexpectedly", "simulated crash", "--verbose"):
        assert needle in result.stderr, result.stderr
    assert dump_store(db_path) == loaded


def test_verbose_shows_the_traceback(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    odd = tmp_path / "odd.json"
    odd.write_text("[1, 2")
    result = runner.invoke(app, ["--db", str(db_path), "--verbose", "ingest", str(odd)])
    assert result.exit_code == 2
    assert "Traceback" in result.stderr


def test_bad_option_is_a_usage_error(runner: CliRunner, db_path: Path) -> None:
    result = govern(runner, db_path, "ingest", str(VERSION_EXPORT), "--format", "xml")
    assert result.exit_code == 2


def test_store_path_from_environment(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "env" / "g.duckdb"
    result = runner.invoke(
        app, ["ingest", str(VERSION_EXPORT / "version.json")], env={"GOVERN_DB": str(db)}
    )
    assert result.exit_code == 0, result.output
    assert db.exists()


def test_sqlite_store_of_unknown_mlflow_schema(
    runner: CliRunner, db_path: Path, loaded, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from tests.conftest import MLFLOW

    broken = tmp_path / "mlflow.db"
    shutil.copy(MLFLOW / "v2" / "mlflow.db", broken)
    with sqlite3.connect(broken) as con:
        con.execute("DROP TABLE registered_models")
    result = govern(runner, db_path, "ingest", str(broken))
    assert_refused(result, loaded, db_path, "mlflow.db", "unknown schema", "registered_models")


# -- govern ingest --policy: the columns from the policy's data: mapping ------------------

#: A policy that maps every role of a prediction log, and one for other models.
MAPPED_POLICY = """\
apiVersion: govern/v1
kind: Policy
metadata: {id: credit-logs, version: 1}
scope: {models: ["credit-*"]}
data:
  timestamp: when
  prediction: decision
  score: probability
  label: outcome
  id: request_id
  model_version: served_version
  sensitive: [sex, age_band]
  features: [income, debt_ratio]
rules:
  - {id: repro.lineage, check: reproducibility, require: [run]}
"""
OTHER_POLICY = """\
apiVersion: govern/v1
kind: Policy
metadata: {id: hiring, version: 1}
scope: {models: ["hiring-*"]}
data: {prediction: selected, label: hired, sensitive: [race]}
rules:
  - {id: repro.lineage, check: reproducibility, require: [run]}
"""


def _log(tmp_path: Path, rows: int = 40) -> Path:
    lines = ["when,decision,probability,outcome,request_id,served_version,sex,age_band,"
             "income,debt_ratio,region,comment"]  # fmt: skip
    for i in range(rows):
        lines.append(
            f"2026-10-{1 + i % 28:02d}T12:00:00Z,{i % 2},{(i % 10) / 10},{(i // 2) % 2},r{i},"
            f"{1 + i % 2},{'fm'[i % 2]},{'ab'[i % 3 % 2]},{1000 + i},{i / 100},north,ok"
        )
    path = tmp_path / "log.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "credit.yaml").write_text(MAPPED_POLICY, encoding="utf-8")
    (folder / "hiring.yaml").write_text(OTHER_POLICY, encoding="utf-8")
    return folder


def _ingested_log(result) -> dict[str, object]:  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, result.output
    (log,) = json.loads(result.stdout)["prediction_logs"]
    return log  # type: ignore[no-any-return]


def test_policy_maps_every_role(
    runner: CliRunner, db_path: Path, tmp_path: Path, policy_dir: Path
) -> None:
    log = _ingested_log(
        govern(
            runner,
            db_path,
            "ingest",
            str(_log(tmp_path)),
            "--model",
            "credit-risk",
            "--role",
            "current",
            "--policy",
            str(policy_dir),
            "-f",
            "json",
        )
    )
    assert log["mapping"] == {
        "timestamp": "when",
        "prediction": "decision",
        "score": "probability",
        "label": "outcome",
        "id": "request_id",
        "model_version": "served_version",
    }
    assert log["sensitive"] == ["sex", "age_band"]
    assert log["features"] == ["income", "debt_ratio"]
    assert log["rows"] == 40 and log["ts_min"] == "2026-10-01T12:00:00Z"
    with Store.open(db_path, read_only=True) as store:
        from govern.store import predictions

        predictions.relation(store, "cur", model="credit-risk", role="current")
        row = store.con.execute(
            "SELECT count(DISTINCT __id), count(DISTINCT __version), sum(__label) FROM cur"
        ).fetchone()
    assert row == (40, 2, 20)


def test_the_same_mapping_as_every_flag(
    runner: CliRunner, db_path: Path, tmp_path: Path, policy_dir: Path
) -> None:
    """--policy gives exactly what the column options give."""
    path = _log(tmp_path)
    flags = ["--timestamp", "when", "--prediction", "decision", "--score", "probability",
             "--label", "outcome", "--id", "request_id", "--version-column", "served_version",
             "--sensitive", "sex", "--sensitive", "age_band", "--feature", "income",
             "--feature", "debt_ratio"]  # fmt: skip
    common = ["--model", "credit-risk", "--role", "current", "-f", "json"]
    by_flags = _ingested_log(govern(runner, db_path, "ingest", str(path), *common, *flags))
    other = tmp_path / "other.duckdb"
    by_policy = _ingested_log(
        govern(runner, other, "ingest", str(path), *common, "--policy", str(policy_dir))
    )
    for key in ("mapping", "sensitive", "features", "rows", "columns", "null_counts"):
        assert by_policy[key] == by_flags[key], key


def test_flags_override_the_policy(
    runner: CliRunner, db_path: Path, tmp_path: Path, policy_dir: Path
) -> None:
    log = _ingested_log(
        govern(
            runner,
            db_path,
            "ingest",
            str(_log(tmp_path)),
            "--model",
            "credit-risk",
            "--role",
            "current",
            "--policy",
            str(policy_dir / "credit.yaml"),
            "--label",
            "decision",
            "--sensitive",
            "region",
            "--feature",
            "comment",
            "-f",
            "json",
        )
    )
    assert log["mapping"]["label"] == "decision"  # type: ignore[index]
    assert log["mapping"]["timestamp"] == "when"  # type: ignore[index]
    assert log["sensitive"] == ["region"]  # a list replaces the policy's whole list
    assert log["features"] == ["comment"]


def test_policy_needs_a_matching_model(
    runner: CliRunner, db_path: Path, tmp_path: Path, policy_dir: Path
) -> None:
    path = str(_log(tmp_path))
    result = govern(runner, db_path, "ingest", path, "--model", "churn", "--role", "current",
                    "--policy", str(policy_dir))  # fmt: skip
    assert result.exit_code == 2
    assert "no policy in" in result.stderr and "'churn'" in result.stderr
    assert "credit-logs: credit-*" in result.stderr
    result = govern(runner, db_path, "ingest", path, "--role", "current", "--policy",
                    str(policy_dir))  # fmt: skip
    assert result.exit_code == 2 and "give --model" in result.stderr
    assert not db_path.exists()


def test_conflicting_policies_are_refused_unless_the_flag_decides(
    runner: CliRunner, db_path: Path, tmp_path: Path, policy_dir: Path
) -> None:
    (policy_dir / "other.yaml").write_text(
        MAPPED_POLICY.replace("credit-logs", "credit-other").replace("outcome", "defaulted"),
        encoding="utf-8",
    )
    path = str(_log(tmp_path))
    args = ["ingest", path, "--model", "credit-risk", "--role", "current", "--policy",
            str(policy_dir)]  # fmt: skip
    result = govern(runner, db_path, *args)
    assert result.exit_code == 2
    assert "credit-logs and credit-other" in result.stderr and "--label" in result.stderr
    log = _ingested_log(govern(runner, db_path, *args, "--label", "outcome", "-f", "json"))
    assert log["mapping"]["label"] == "outcome"  # type: ignore[index]


def test_a_bad_policy_is_a_policy_error(runner: CliRunner, db_path: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(MAPPED_POLICY.replace("timestamp: when", "timestamp: 3"), encoding="utf-8")
    result = govern(runner, db_path, "ingest", str(_log(tmp_path)), "--model", "credit-risk",
                    "--role", "current", "--policy", str(bad))  # fmt: skip
    assert result.exit_code == 2
    assert "bad.yaml" in result.stderr and "Traceback" not in result.output


def test_help_shows_the_policy_option_with_an_example(runner: CliRunner) -> None:
    result = runner.invoke(app, ["ingest", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "--policy" in result.output
    assert "--role current -p policies/ --label y" in result.output
