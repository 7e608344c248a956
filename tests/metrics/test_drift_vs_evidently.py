"""govern's drift statistics against Evidently's own numbers, on the frames Evidently ran on.

The committed Evidently outputs (``tests/fixtures/evidently/{0.4.40,0.7.15,0.7.23}``) were made
by ``scripts/fixtures/generate_evidently.sh`` from the frames of
``scripts/fixtures/evidently_frames.py`` (seeded NumPy, no Evidently needed). These tests rebuild
those frames, compute every column's drift with :mod:`govern.metrics.drift` in DuckDB, and
compare with what each file says: the method (Evidently's choice, as govern's
``compatibility="evidently"`` makes it), the score, the threshold, the per-column verdict, the
number and share of drifted columns and the dataset verdict.

Measured agreement (2000 reference / 1500 current rows, Evidently's > 1000-row defaults):

* ``wasserstein`` (normed), ``psi_evidently`` and ``ks`` p-value: identical to the last bit
  (``x1`` 1.5126151495190578, ``income`` PSI 1.9732683016171382, ``x2`` K-S p 0.3627269975527131);
* ``jensenshannon``: within 1e-13 absolute (``target`` 1.29263769007e-4 here vs
  1.29263768925e-4 in 0.4.40: 8e-14, summation order of tiny terms; ``region`` and
  ``prediction`` within 1e-15);
* every per-column verdict, the drifted counts (3 of 7 in 0.4 / legacy, 3 of 5 in 0.7) and the
  dataset verdicts agree.

Systematic differences, by design (none shows on these frames):

* ``ks`` and ``cramer_von_mises``: Evidently flags drift at ``p <= threshold``, govern at
  ``p < threshold`` (they differ only when the p-value equals the threshold exactly);
* the share of drifted columns: govern divides by the *evaluated* columns, Evidently by all
  tested columns (its not-evaluated columns are errors); equal when every column is evaluated;
* Evidently's chi-square (``chisquare_evidently`` in govern) is not reached here (reference >
  1000 rows); it is compared with SciPy in ``test_drift.py``;
* a 0.4 ``TestSuite`` writes scores rounded to 3 decimals: compared after rounding.
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb
import pytest

from govern.ingest.evidently import method_id
from govern.metrics.drift import DriftResult, column_drift, dataset_drift

ROOT = Path(__file__).resolve().parents[2]
EVIDENTLY = ROOT / "tests/fixtures/evidently"
FRAMES_MODULE = ROOT / "scripts/fixtures/evidently_frames.py"

#: Evidently method id -> govern method computing the same statistic
GOVERN_METHOD = {
    "wasserstein": "wasserstein",
    "jensenshannon": "jensenshannon",
    "psi": "psi_evidently",
    "ks": "ks",
    "chisquare": "chisquare_evidently",
    "z": "z",
}
REL = 1e-9
ABS = 1e-12


def load_frames_module() -> ModuleType:
    """``scripts/fixtures/evidently_frames.py``, the module the generator imports."""
    spec = importlib.util.spec_from_file_location("evidently_frames", FRAMES_MODULE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("evidently_frames", module)
    spec.loader.exec_module(module)
    return module


FRAMES = load_frames_module()
LEGACY_COLUMNS = ["target", "prediction", *FRAMES.NUMERIC, *FRAMES.CATEGORICAL]
V2_COLUMNS = [*FRAMES.NUMERIC, *FRAMES.CATEGORICAL]


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """The scenario's frames as tables ``ref`` and ``cur``."""
    reference, current = FRAMES.frames()
    connection = duckdb.connect()
    connection.register("reference_df", reference)
    connection.register("current_df", current)
    connection.execute("CREATE TABLE ref AS SELECT * FROM reference_df")
    connection.execute("CREATE TABLE cur AS SELECT * FROM current_df")
    yield connection
    connection.close()


def load(rel: str) -> Any:
    return json.loads((EVIDENTLY / rel).read_text(encoding="utf-8"))


def govern_drift(
    con: duckdb.DuckDBPyConnection, column: str, evidently_method: str | None
) -> DriftResult:
    """govern's drift of a column with the method Evidently used (None: Evidently's default)."""
    method = GOVERN_METHOD[evidently_method] if evidently_method else None
    return column_drift(con, "ref", "cur", column, method=method, compatibility="evidently")


def assert_same(
    result: DriftResult, score: float, threshold: float, detected: bool | None, where: str
) -> None:
    assert result.drifted is not None, (where, result.reason)
    assert result.score == pytest.approx(score, rel=REL, abs=ABS), where
    assert result.threshold == pytest.approx(threshold), where
    if detected is not None:
        assert result.drifted is detected, where


# -- 0.4 and legacy reports: DatasetDriftMetric + DataDriftTable ---------------------------------

LEGACY_REPORTS = [
    "0.4.40/report.json",
    "0.4.40/report_save_json.json",
    "0.7.15/legacy_report.json",
    "0.7.23/legacy_report.json",
]


def legacy_results(doc: Any) -> dict[str, Any]:
    """``{metric name: result}`` of a 0.4 report (``.json()`` or ``save_json`` snapshot)."""
    if "suite" in doc:
        names = [m["type"].rsplit(":", 1)[-1] for m in doc["suite"]["metrics"]]
        return dict(zip(names, doc["suite"]["metric_results"], strict=True))
    return {m["metric"]: m["result"] for m in doc["metrics"]}


@pytest.mark.parametrize("rel", LEGACY_REPORTS)
def test_legacy_data_drift_table_matches(con: duckdb.DuckDBPyConnection, rel: str) -> None:
    results = legacy_results(load(rel))
    table = results["DataDriftTable"]
    columns = table["drift_by_columns"]
    assert set(columns) == set(LEGACY_COLUMNS)
    for name, entry in columns.items():
        method = method_id(entry["stattest_name"])
        # Evidently's default choice is govern's compatibility="evidently" choice
        if name != FRAMES.PSI_COLUMN:
            auto = govern_drift(con, name, None)
            assert GOVERN_METHOD[str(method)] == auto.method, name
            assert {"num": "numeric", "cat": "categorical"}[entry["column_type"]] == auto.kind
        result = govern_drift(con, name, method)
        assert_same(
            result,
            entry["drift_score"],
            entry["stattest_threshold"],
            entry["drift_detected"],
            f"{rel}: {name}",
        )
    dataset = results["DatasetDriftMetric"]
    drift_results, share = dataset_drift(
        con, "ref", "cur", LEGACY_COLUMNS, compatibility="evidently"
    )
    # income is tested with PSI through per_column_stattest: replace its result
    drifted = sum(
        bool(govern_drift(con, r.column, "psi").drifted)
        if r.column == FRAMES.PSI_COLUMN
        else bool(r.drifted)
        for r in drift_results
    )
    assert drifted == dataset["number_of_drifted_columns"] == table["number_of_drifted_columns"]
    assert len(drift_results) == dataset["number_of_columns"]
    assert drifted / len(drift_results) == pytest.approx(dataset["share_of_drifted_columns"])
    assert (drifted / len(drift_results) >= dataset["drift_share"]) is dataset["dataset_drift"]
    # every column is evaluated, so govern's share (over evaluated columns) is Evidently's
    # (over all columns); income drifts with its default method (wasserstein) as with PSI
    assert share == pytest.approx(dataset["share_of_drifted_columns"])


def test_0_4_column_drift_metric_with_ks(con: duckdb.DuckDBPyConnection) -> None:
    """``ColumnDriftMetric(x2, stattest="ks")``: the K-S p-value, exact as SciPy's."""
    for item in load("0.4.40/column_drift.json")["metrics"]:
        entry = item["result"]
        method = method_id(entry["stattest_name"])
        result = govern_drift(con, entry["column_name"], method)
        assert_same(
            result,
            entry["drift_score"],
            entry["stattest_threshold"],
            entry["drift_detected"],
            entry["column_name"],
        )
    ks = govern_drift(con, "x2", "ks")
    assert ks.p_value == 0.3627269975527131


def test_0_4_snapshot_drift_matches(con: duckdb.DuckDBPyConnection) -> None:
    """The 0.4 ``Report.save()`` snapshot (bare NaN elsewhere in the file)."""
    suite = load("0.4.40/snapshot.json")["suite"]
    names = [m["type"].rsplit(":", 1)[-1] for m in suite["metrics"]]
    table = suite["metric_results"][names.index("DataDriftTable")]
    for name, entry in table["drift_by_columns"].items():
        result = govern_drift(con, name, method_id(entry["stattest_name"]))
        assert_same(
            result, entry["drift_score"], entry["stattest_threshold"], entry["drift_detected"], name
        )


def test_0_4_test_suite_rounded_scores(con: duckdb.DuckDBPyConnection) -> None:
    """``DataDriftTestPreset``: statuses agree; scores are Evidently's rounded to 3 decimals."""
    doc = load("0.4.40/test_suite.json")
    share_test, *column_tests = doc["tests"]
    for test in column_tests:
        p = test["parameters"]
        result = govern_drift(con, p["column_name"], method_id(p["stattest"]))
        assert result.score is not None
        assert round(result.score, 3) == pytest.approx(p["score"]), p["column_name"]
        assert result.drifted is p["detected"]
        assert (test["status"] == "SUCCESS") is (not result.drifted)
    drifted = [c for c, f in share_test["parameters"]["features"].items() if f["detected"]]
    assert sorted(drifted) == sorted(FRAMES.DRIFTING)
    share = len(drifted) / len(share_test["parameters"]["features"])
    assert (share < share_test["parameters"]["condition"]["lt"]) is (
        share_test["status"] == "SUCCESS"
    )


# -- 0.7 reports: DriftedColumnsCount + ValueDrift, verdicts in tests ------------------------------


def v2_drift(doc: Any) -> tuple[dict[str, tuple[str, float, float, bool]], dict[str, Any]]:
    """Per column (method, score, threshold, drifted) and the DriftedColumnsCount of a 0.7 report.

    0.7.15 leaves default methods and thresholds out of the metric (``method: null``): they are
    read from the test description; >= 0.7.16 writes them in ``config``.
    """
    tests = {t["metric_config"]["metric_id"]: t for t in doc["tests"]}
    columns: dict[str, tuple[str, float, float, bool]] = {}
    count: dict[str, Any] = {}
    for metric in doc["metrics"]:
        label = metric.get("metric_name") or metric["metric_id"]
        test = tests[metric["id"]]
        params = test["metric_config"]["params"]
        if label.startswith("DriftedColumnsCount"):
            count = {**metric["value"], "threshold": params["drift_share"], "test": test}
            continue
        description = test["description"]
        method = (
            params.get("method")
            or description.split("drift detection method is ")[1].split(". The drift threshold")[0]
        )
        threshold = params.get("threshold") or float(description.rsplit(" ", 1)[-1].rstrip("."))
        columns[params["column"]] = (
            str(method_id(method)),
            float(metric["value"]),
            float(threshold),
            test["status"] == "FAIL",
        )
    return columns, count


@pytest.mark.parametrize("version", ["0.7.15", "0.7.23"])
@pytest.mark.parametrize("name", ["report.json", "report_save_json.json"])
def test_0_7_value_drift_matches(con: duckdb.DuckDBPyConnection, version: str, name: str) -> None:
    doc = load(f"{version}/{name}")
    columns, count = v2_drift(doc)
    assert set(columns) == set(V2_COLUMNS)
    drifted = 0
    for column, (method, score, threshold, detected) in columns.items():
        if column != FRAMES.PSI_COLUMN:
            assert GOVERN_METHOD[method] == govern_drift(con, column, None).method, column
        result = govern_drift(con, column, method)
        assert_same(result, score, threshold, detected, f"{version}/{name}: {column}")
        drifted += bool(result.drifted)
    assert drifted == count["count"]
    assert drifted / len(columns) == pytest.approx(count["share"])
    assert (count["share"] < count["threshold"]) is (count["test"]["status"] == "SUCCESS")


@pytest.mark.parametrize("version", ["0.7.15", "0.7.23"])
def test_0_7_workspace_snapshot_values_match(con: duckdb.DuckDBPyConnection, version: str) -> None:
    """The local-workspace snapshot: the same values under ``metric_results``."""
    doc = load(f"{version}/snapshot.json")
    report_columns, _ = v2_drift(load(f"{version}/report.json"))
    seen = set()
    for entry in doc["metric_results"].values():
        params = entry["metric_value_location"]["metric"]["params"]
        if not params["type"].endswith("ValueDrift"):
            continue
        column = params["column"]
        method = report_columns[column][0]
        result = govern_drift(con, column, method)
        assert result.score == pytest.approx(entry["value"], rel=REL, abs=ABS), column
        seen.add(column)
    assert seen == set(V2_COLUMNS)


@pytest.mark.parametrize("version", ["0.7.15", "0.7.23"])
def test_0_7_report_without_tests_values_match(
    con: duckdb.DuckDBPyConnection, version: str
) -> None:
    """``include_tests=False``: values only; govern's verdict follows the method's direction."""
    doc = load(f"{version}/report_no_tests.json")
    methods = {c: m for c, (m, *_rest) in v2_drift(load(f"{version}/report.json"))[0].items()}
    for metric in doc["metrics"]:
        label = metric.get("metric_name") or metric["metric_id"]
        if not label.startswith("ValueDrift"):
            assert metric["value"]["count"] == len(FRAMES.DRIFTING)
            continue
        column = label.split("column=", 1)[1].split(",", 1)[0].rstrip(")")
        result = govern_drift(con, column, methods[column])
        assert result.score == pytest.approx(metric["value"], rel=REL, abs=ABS), column
        assert result.drifted is (column in FRAMES.DRIFTING)


def test_the_frames_are_the_ones_evidently_saw() -> None:
    """A cheap guard: the frame sizes and a few values the scenario documents."""
    reference, current = FRAMES.frames()
    assert (len(reference), len(current)) == (FRAMES.N_REFERENCE, FRAMES.N_CURRENT)
    assert not math.isnan(float(reference["x1"].iloc[0]))
    assert list(reference.columns) == [*V2_COLUMNS[:3], *V2_COLUMNS[3:], "target", "prediction"]
