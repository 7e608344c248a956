"""The review core: per-window values against fairlearn, trend, regressions, stored reviews."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm
from fairlearn import metrics as flm

from govern.errors import UsageError
from govern.formats.review import render_json, render_table, sparkline
from govern.policy.loader import load
from govern.review import (
    Review,
    ReviewOptions,
    calendar_windows,
    parse_bound,
    review,
    store_review,
)
from govern.store import Store
from govern.store import reviews as stored
from tests.review.logs import MODEL, ingest_frame, monthly_frame

NOW = datetime(2026, 7, 2, 9, 0, tzinfo=UTC)
TOL = 1e-9


def reviewed(store: Store, **options: Any) -> Review:
    return review(store, ReviewOptions(model=MODEL, **options), now=NOW)


def run(store: Store, **options: Any) -> dict[str, Any]:
    return reviewed(store, **options).to_json()


def window(data: dict[str, Any], label: str) -> dict[str, Any]:
    (w,) = [w for w in data["windows"] if w["label"] == label]
    return w


def feature(w: dict[str, Any], name: str) -> dict[str, Any]:
    (f,) = [f for f in w["features"] if f["feature"] == name]
    return f


def disparity(w: dict[str, Any], name: str, metric: str) -> dict[str, Any]:
    (d,) = [d for d in feature(w, name)["disparities"] if d["metric"] == metric]
    return d


@pytest.fixture
def frame() -> pd.DataFrame:
    return monthly_frame(rows=2000, biased=("2026-05", "2026-06"))


@pytest.fixture
def loaded(store: Store, frame: pd.DataFrame, tmp_path: Path) -> Store:
    ingest_frame(store, frame, tmp_path / "log.parquet")
    return store


def in_window(frame: pd.DataFrame, start: str, end: str) -> pd.DataFrame:
    ts = frame["ts"]
    return frame[(ts >= pd.Timestamp(start, tz="UTC")) & (ts < pd.Timestamp(end, tz="UTC"))]


FEATURES = (("sex", ["sex"]), ("race", ["race"]), ("sex×race", ["sex", "race"]))


def fairlearn_check(
    df: pd.DataFrame,
    w: dict[str, Any],
    *,
    labels: bool = True,
    features: Sequence[tuple[str, list[str]]] = FEATURES,
) -> int:
    """Every group metric and disparity of a window against MetricFrame on the same rows."""
    checked = 0
    fns: dict[str, Any] = {
        "count": flm.count,
        "selection_rate": flm.selection_rate,
        "mean_score": lambda yt, yp, score: float(np.mean(score)),
    }
    if labels:
        fns.update(
            true_positive_rate=flm.true_positive_rate,
            false_positive_rate=flm.false_positive_rate,
            accuracy=skm.accuracy_score,
            precision=functools.partial(skm.precision_score, zero_division=0),
        )
    y_true = df["default"] if labels else df["approved"]
    for name, columns in features:
        sf = df[columns[0]] if len(columns) == 1 else df[columns]
        mf = flm.MetricFrame(
            metrics=fns,
            y_true=y_true,
            y_pred=df["approved"],
            sensitive_features=sf,
            sample_params={"mean_score": {"score": df["score"]}},
        )
        f = feature(w, name)
        ours = {g["group"]: g for g in f["groups"]}
        for idx, row in mf.by_group.iterrows():
            key = "×".join(idx) if isinstance(idx, tuple) else str(idx)
            assert ours[key]["n"] == int(row["count"])
            for metric in fns:
                if metric == "count":
                    continue
                assert ours[key][metric] == pytest.approx(float(row[metric]), abs=TOL), (
                    key,
                    metric,
                )
                checked += 1
            if not labels:
                assert "true_positive_rate" not in ours[key]
        kwargs = {"sensitive_features": sf}
        expected = {
            "demographic_parity_difference": flm.demographic_parity_difference(
                y_true, df["approved"], **kwargs
            ),
            "demographic_parity_ratio": flm.demographic_parity_ratio(
                y_true, df["approved"], **kwargs
            ),
            "impact_ratio": float(mf.by_group["selection_rate"].min())
            / float(mf.by_group["selection_rate"].max()),
        }
        if labels:
            expected.update(
                equalized_odds_difference=flm.equalized_odds_difference(
                    y_true, df["approved"], **kwargs
                ),
                equalized_odds_ratio=flm.equalized_odds_ratio(y_true, df["approved"], **kwargs),
                equal_opportunity_difference=flm.equal_opportunity_difference(
                    y_true, df["approved"], **kwargs
                ),
            )
        for metric, value in expected.items():
            d = disparity(w, name, metric)
            assert d["status"] == "evaluated", d
            assert d["value"] == pytest.approx(float(value), abs=TOL), (name, metric)
            checked += 1
    return checked


def test_window_values_equal_fairlearn(loaded: Store, frame: pd.DataFrame) -> None:
    data = run(loaded)
    assert [w["label"] for w in data["windows"]] == [f"2026-0{m}" for m in range(1, 7)]
    for label, start, end in (
        ("2026-01", "2026-01-01", "2026-02-01"),
        ("2026-05", "2026-05-01", "2026-06-01"),
    ):
        w = window(data, label)
        rows = in_window(frame, start, end)
        assert w["rows"] == w["reviewed"] == w["labelled"] == len(rows) == 2000
        assert fairlearn_check(rows, w) > 60


def test_ll144_table_per_window(loaded: Store, frame: pd.DataFrame) -> None:
    data = run(loaded)
    assert data["params"]["ll144"] == {"sex": "sex", "race": "race"}
    w = window(data, "2026-05")
    rows = in_window(frame, "2026-05-01", "2026-06-01")
    sex = w["ll144"]["sections"][0]
    assert sex["dimension"] == ["sex"] and sex["reference"] == "male"
    rates = rows.groupby("sex")["approved"].mean()
    by = {r["category"]: r for r in sex["rows"]}
    assert by["female"]["impact_ratio"] == pytest.approx(rates["female"] / rates["male"], abs=TOL)
    assert [s["dimension"] for s in w["ll144"]["sections"]] == [["sex"], ["race"], ["sex", "race"]]


def test_regression_flagged_when_a_month_becomes_biased(store: Store, tmp_path: Path) -> None:
    ingest_frame(store, monthly_frame(rows=3000, biased=("2026-05",)), tmp_path / "l.parquet")
    data = run(store)
    assert data["decision"] == "regression"
    sex = [r for r in data["regressions"] if r["feature"] == "sex"]
    assert {r["window"] for r in sex} == {"2026-05"}  # and back to parity in June
    assert {r["metric"] for r in sex} >= {
        "demographic_parity_difference",
        "demographic_parity_ratio",
        "impact_ratio",
        "equal_opportunity_difference",
    }
    dp = disparity(window(data, "2026-05"), "sex", "demographic_parity_difference")
    assert dp["regression"] and dp["previous"]["window"] == "2026-04"
    assert dp["previous"]["delta"] == pytest.approx(dp["value"] - dp["previous"]["value"])
    ratio = next(r for r in sex if r["metric"] == "demographic_parity_ratio")
    assert ratio["reason"] == "moved" and ratio["delta"] < -0.05 and "fell" in ratio["message"]
    # a generous tolerance flags nothing
    assert run(store, tolerance=1.0)["regressions"] == []


def test_policy_bounds_and_bound_crossing(loaded: Store, tmp_path: Path) -> None:
    policy = tmp_path / "fair.yaml"
    policy.write_text(
        "apiVersion: govern/v1\nkind: Policy\nmetadata: {id: fair}\n"
        f"scope: {{models: [{MODEL}]}}\nrules:\n"
        "  - id: fairness.dp-sex\n    check: fairness\n    metric: demographic_parity_difference\n"
        "    sensitive: [sex]\n    max: 0.1\n"
        "  - id: fairness.four-fifths\n    check: fairness\n    metric: selection_rate_ratio\n"
        "    min: 0.8\n    intersect: true\n"
        "  - id: fairness.acc\n    check: fairness\n    metric: accuracy_difference\n    max: 0.5\n"
    )
    data = run(loaded, policies=load([policy]), tolerance=1.0)
    crossed = [r for r in data["regressions"] if r["reason"] == "bound_crossed"]
    assert {(r["window"], r["feature"], r["rule"]) for r in crossed} == {
        ("2026-05", "sex", "fairness.dp-sex"),
        ("2026-05", "sex", "fairness.four-fifths"),
        ("2026-05", "sex×race", "fairness.four-fifths"),
    }
    june = disparity(window(data, "2026-06"), "sex", "demographic_parity_difference")
    assert june["bounds"] == [{"rule": "fairness.dp-sex", "max": 0.1, "met": False}]
    assert not june["regression"]  # it did not meet the bound in May either
    race = disparity(window(data, "2026-06"), "race", "demographic_parity_difference")
    assert race["bounds"] == []  # the rule names sex only
    assert "accuracy_difference" in data["params"]["metrics"]
    assert data["summary"]["bound_violations"] >= 6
    assert data["params"]["policies"][0]["id"] == "fair"


def test_stored_review_is_compared_on_the_next_run(
    loaded: Store, frame: pd.DataFrame, tmp_path: Path
) -> None:
    first = review(loaded, ReviewOptions(model=MODEL), now=NOW)
    assert first.compared_to is None and first.to_json()["compared_to"] is None
    saved = store_review(loaded, first, now=NOW)
    assert saved.id == 1 and saved.verified()
    assert stored.latest(loaded, model=MODEL, version=None, period="month") == saved
    # July arrives, biased further
    july = monthly_frame(("2026-07",), rows=2000, biased=("2026-07",), bias=0.45, seed=7)
    ingest_frame(loaded, july, tmp_path / "july.parquet")
    second = run(loaded)
    assert second["compared_to"]["id"] == 1
    assert second["compared_to"]["sha256"] == saved.result_sha256
    may = disparity(window(second, "2026-05"), "sex", "demographic_parity_difference")
    assert may["stored"] == {"review": 1, "value": may["value"], "delta": 0.0}
    jul = disparity(window(second, "2026-07"), "sex", "demographic_parity_difference")
    assert jul["stored"] is None and jul["previous"]["window"] == "2026-06"
    # a review of July alone takes June from the stored review
    alone = run(loaded, start=datetime(2026, 7, 1))
    (w,) = alone["windows"]
    prev = disparity(w, "sex", "demographic_parity_difference")["previous"]
    assert prev["window"] == "2026-06" and prev["source"] == "stored"
    # a different period does not compare with the monthly review
    assert run(loaded, period="quarter")["compared_to"] is None


def test_restated_window_is_a_regression_against_the_stored_review(
    store: Store, tmp_path: Path
) -> None:
    ingest_frame(store, monthly_frame(("2026-03",), rows=2000, biased=()), tmp_path / "a.parquet")
    store_review(store, review(store, ReviewOptions(model=MODEL), now=NOW), now=NOW)
    # late-arriving, biased decisions of the same month
    late = monthly_frame(("2026-03",), rows=2000, biased=("2026-03",), bias=0.4, seed=3)
    ingest_frame(store, late, tmp_path / "b.parquet")
    data = run(store)
    basis = {(r["feature"], r["metric"]): r["basis"] for r in data["regressions"]}
    assert basis[("sex", "demographic_parity_difference")] == "stored_review"


def test_edited_stored_review_is_reported(loaded: Store) -> None:
    store_review(loaded, review(loaded, ReviewOptions(model=MODEL), now=NOW), now=NOW)
    loaded.con.execute('UPDATE reviews SET result = json_merge_patch(result, \'{"model": "x"}\')')
    data = run(loaded)
    assert any("no longer matches its digest" in w for w in data["warnings"])


def test_quarter_windows(loaded: Store, frame: pd.DataFrame) -> None:
    data = run(loaded, period="quarter")
    assert [(w["label"], w["start"], w["end"]) for w in data["windows"]] == [
        ("2026-Q1", "2026-01-01", "2026-04-01"),
        ("2026-Q2", "2026-04-01", "2026-07-01"),
    ]
    q2 = window(data, "2026-Q2")
    assert fairlearn_check(in_window(frame, "2026-04-01", "2026-07-01"), q2) > 60
    assert disparity(q2, "sex", "demographic_parity_difference")["previous"]["window"] == "2026-Q1"


def test_calendar_windows_and_bounds() -> None:
    q = calendar_windows(datetime(2025, 11, 5), datetime(2026, 2, 1), "quarter")
    assert [(w.start, w.end) for w in q] == [
        (datetime(2025, 10, 1), datetime(2026, 1, 1)),
        (datetime(2026, 1, 1), datetime(2026, 4, 1)),
    ]
    assert parse_bound("2026-02", end=True) == datetime(2026, 3, 1)
    assert parse_bound("2026-02-28", end=True) == datetime(2026, 3, 1)
    assert parse_bound("2026-02", end=False) == datetime(2026, 2, 1)
    with pytest.raises(UsageError, match="not a date"):
        parse_bound("2026-13-01", end=False)


def test_window_without_data_is_reported(store: Store, tmp_path: Path) -> None:
    frame = monthly_frame(("2026-01", "2026-02", "2026-04"), rows=1000, biased=())
    ingest_frame(store, frame, tmp_path / "gap.parquet")
    result = reviewed(store, end=datetime(2026, 6, 1))
    data = result.to_json()
    assert [w["label"] for w in data["windows"]] == [
        "2026-01",
        "2026-02",
        "2026-03",
        "2026-04",
        "2026-05",
    ]
    for label in ("2026-03", "2026-05"):
        w = window(data, label)
        assert w["status"] == "not_evaluated" and w["reason"] == "no records in this window"
        assert w["rows"] == 0 and w["features"] == []
    assert data["summary"] == {**data["summary"], "windows": 5, "evaluated": 3, "not_evaluated": 2}
    april = disparity(window(data, "2026-04"), "sex", "demographic_parity_difference")
    assert april["previous"]["window"] == "2026-02"
    trend = next(t for t in data["trend"] if t["feature"] == "sex")
    assert trend["values"][2] is None and trend["values"][4] is None
    assert "2026-03  [2026-03-01, 2026-04-01): not evaluated, no records" in render_table(result)


def test_all_one_group(store: Store, tmp_path: Path) -> None:
    ingest_frame(store, monthly_frame(("2026-01",), rows=600, one_sex=True), tmp_path / "o.parquet")
    w = run(store)["windows"][0]
    sex = feature(w, "sex")
    assert sex["status"] == "not_evaluated" and "fewer than two groups" in sex["reason"]
    assert {d["status"] for d in sex["disparities"]} == {"not_evaluated"}
    assert sex["groups"][0]["group"] == "female" and sex["absent"] == []
    assert feature(w, "race")["status"] == "evaluated"
    assert feature(w, "sex×race")["status"] == "evaluated"  # female×a, female×b, female×c


def test_small_groups_are_excluded_and_listed(store: Store, tmp_path: Path) -> None:
    ingest_frame(store, monthly_frame(("2026-01",), rows=200), tmp_path / "s.parquet")
    w = run(store, min_group_size=40)["windows"][0]
    inter = feature(w, "sex×race")
    small = {e["group"] for e in inter["excluded"]}
    assert small and all(g["n"] < 40 for g in inter["groups"] if g["group"] in small)
    counts = {g["group"]: g for g in inter["groups"]}
    kept = [g for name, g in counts.items() if name not in small]
    rates = [g["selection_rate"] for g in kept]
    d = disparity(w, "sex×race", "demographic_parity_difference")
    assert d["value"] == pytest.approx(max(rates) - min(rates), abs=TOL)


def test_no_labels(store: Store, tmp_path: Path, frame: pd.DataFrame) -> None:
    ingest_frame(store, frame.drop(columns=["default"]), tmp_path / "n.parquet", label=None)
    data = run(store)
    w = window(data, "2026-05")
    assert w["labelled"] == 0
    fairlearn_check(in_window(frame, "2026-05-01", "2026-06-01"), w, labels=False)
    eo = disparity(w, "sex", "equalized_odds_difference")
    assert eo["status"] == "not_evaluated" and "no ground-truth labels" in eo["reason"]
    assert disparity(w, "sex", "demographic_parity_difference")["status"] == "evaluated"


def test_pending_labels_use_the_labelled_rows(store: Store, tmp_path: Path) -> None:
    frame = monthly_frame(("2026-01",), rows=2000)
    frame["default"] = frame["default"].astype(float)
    frame.loc[frame.index[1500:], "default"] = np.nan  # outcomes not known yet
    ingest_frame(store, frame, tmp_path / "p.parquet")
    w = run(store)["windows"][0]
    assert (w["rows"], w["labelled"]) == (2000, 1500)
    sex = {g["group"]: g for g in feature(w, "sex")["groups"]}
    labelled = frame.iloc[:1500]
    tpr = flm.MetricFrame(
        metrics=flm.true_positive_rate,
        y_true=labelled["default"],
        y_pred=labelled["approved"],
        sensitive_features=labelled["sex"],
    ).by_group
    for group, value in tpr.items():
        assert sex[str(group)]["true_positive_rate"] == pytest.approx(float(value), abs=TOL)
    rates = frame.groupby("sex")["approved"].mean()  # selection over every row
    assert sex["female"]["selection_rate"] == pytest.approx(float(rates["female"]), abs=TOL)


def test_confidence_intervals_are_seeded(loaded: Store) -> None:
    a = run(loaded, confidence=0.9, n_boot=200)
    b = run(loaded, confidence=0.9, n_boot=200)
    d = disparity(window(a, "2026-05"), "sex", "demographic_parity_difference")
    lo, hi = d["ci"]
    assert lo <= d["value"] <= hi
    assert a["windows"] == b["windows"]
    # an interval that holds the earlier value is no regression
    assert len(a["regressions"]) <= len(run(loaded)["regressions"])


def test_version_filter(store: Store, tmp_path: Path) -> None:
    ingest_frame(store, monthly_frame(("2026-01",), rows=500), tmp_path / "v2.parquet", version="2")
    ingest_frame(
        store, monthly_frame(("2026-01",), rows=700, seed=5), tmp_path / "v3.parquet", version="3"
    )
    assert run(store, version="3")["windows"][0]["rows"] == 700
    assert run(store)["windows"][0]["rows"] == 1200
    with pytest.raises(UsageError, match=r"no prediction rows of version '4'.*2, 3"):
        run(store, version="4")


def unrecorded_frame() -> pd.DataFrame:
    """Two months; in January 30 records without sex (NULL), 20 with an empty race."""
    frame = monthly_frame(("2026-01", "2026-02"), rows=1500, biased=())
    frame.loc[frame.index[100:130], "sex"] = None
    frame.loc[frame.index[120:140], "race"] = ""  # 10 of them lack both
    return frame


def without(df: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The rows that have a value of every column."""
    keep = pd.Series(True, index=df.index)
    for c in columns:
        keep &= df[c].notna() & (df[c] != "")
    return df[keep]


def test_missing_sensitive_values_are_left_out_per_feature(store: Store, tmp_path: Path) -> None:
    frame = unrecorded_frame()
    ingest_frame(store, frame, tmp_path / "m.parquet")
    result = reviewed(store)
    data = result.to_json()
    assert data["params"]["missing"] == "exclude"
    w = window(data, "2026-01")
    assert (w["rows"], w["reviewed"], w["missing_sensitive"]) == (1500, 1500, 40)
    assert [feature(w, f)["missing"] for f in ("sex", "race", "sex×race")] == [30, 20, 40]
    january = in_window(frame, "2026-01-01", "2026-02-01")
    for name, columns in FEATURES:  # fairlearn on the rows that have the feature's values
        kept = without(january, columns)
        assert sum(g["n"] for g in feature(w, name)["groups"]) == len(kept)
        assert fairlearn_check(kept, w, features=[(name, columns)]) > 10
    assert feature(window(data, "2026-02"), "sex")["missing"] == 0
    sex, race, _ = w["ll144"]["sections"]  # LL144 leaves them out the same way
    assert (sex["unknown"], race["unknown"]) == (30, 20)
    text = render_table(result, width=200)
    assert "40 without a value of a sensitive feature" in text
    assert "(no value, left out)" in text


def test_missing_sensitive_values_as_a_group(store: Store, tmp_path: Path) -> None:
    frame = unrecorded_frame()
    ingest_frame(store, frame, tmp_path / "m.parquet")
    result = reviewed(store, missing="group", min_group_size=1)  # small (missing) groups judged
    data = result.to_json()
    w = window(data, "2026-01")
    groups = {g["group"]: g["n"] for g in feature(w, "sex")["groups"]}
    assert groups["(missing)"] == 30 and sum(groups.values()) == 1500
    january = in_window(frame, "2026-01-01", "2026-02-01")
    replaced = january.assign(
        sex=january["sex"].fillna("(missing)"), race=january["race"].replace("", "(missing)")
    )
    assert fairlearn_check(replaced, w) > 60
    assert "records without a sensitive value form the group (missing)" in render_table(result)


def test_missing_sensitive_values_fail_the_feature(store: Store, tmp_path: Path) -> None:
    ingest_frame(store, unrecorded_frame(), tmp_path / "m.parquet")
    data = run(store, missing="fail")
    w = window(data, "2026-01")
    for name, n in (("sex", 30), ("race", 20), ("sex×race", 40)):
        f = feature(w, name)
        assert f["status"] == "not_evaluated" and f"{n} record(s) without a value" in f["reason"]
        assert disparity(w, name, "demographic_parity_difference")["status"] == "not_evaluated"
    assert feature(window(data, "2026-02"), "sex")["status"] == "evaluated"


def test_missing_exclusion_keeps_intervals_seeded(store: Store, tmp_path: Path) -> None:
    """Leaving the records out gives the values and intervals of a log without them."""
    frame = unrecorded_frame()
    ingest_frame(store, frame, tmp_path / "m.parquet")
    options = {"sensitive": ("sex",), "confidence": 0.9, "n_boot": 200, "compare": False}
    a, b = run(store, **options), run(store, **options)
    assert a["windows"] == b["windows"]
    other = Store.open(tmp_path / "dropped.duckdb")
    ingest_frame(
        other, without(frame, ["sex"]).reset_index(drop=True), tmp_path / "dropped.parquet"
    )
    dropped = run(other, **options, missing="fail")
    for label in ("2026-01", "2026-02"):
        mine = feature(window(a, label), "sex")["disparities"]
        theirs = feature(window(dropped, label), "sex")["disparities"]
        assert [(d["value"], d["ci"]) for d in mine] == [(d["value"], d["ci"]) for d in theirs]
        assert any(d["ci"] is not None for d in mine)


def test_missing_taken_from_the_policy_rules(store: Store, tmp_path: Path) -> None:
    ingest_frame(store, unrecorded_frame(), tmp_path / "m.parquet")
    path = policy_file(
        tmp_path,
        "  - id: dp\n    check: fairness\n    metric: demographic_parity_difference\n"
        "    max: 0.2\n    missing: group\n",
    )
    assert run(store, policies=load([path]))["params"]["missing"] == "group"
    assert run(store, policies=load([path]), missing="exclude")["params"]["missing"] == "exclude"
    clash = policy_file(
        tmp_path,
        "  - id: a\n    check: fairness\n    metric: impact_ratio\n    missing: group\n",
        "  - id: b\n    check: fairness\n    metric: impact_ratio\n    missing: fail\n",
    )
    with pytest.raises(UsageError, match="disagree on missing"):
        run(store, policies=load([clash]))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"model": "nope"}, "no current prediction log of model 'nope'"),
        ({"sensitive": ("gender",)}, "column 'gender'"),
        ({"version": "2"}, "carry no model version"),
        ({"confidence": 1.5}, "strictly between 0 and 1"),
        ({"tolerance": -1.0}, "--tolerance"),
        ({"start": datetime(2026, 5, 1), "end": datetime(2026, 4, 1)}, "is not before"),
        ({"ll144_sex": "sexe"}, "Did you mean 'sex'"),
    ],
)
def test_bad_input(loaded: Store, options: dict[str, Any], message: str) -> None:
    options = {"model": MODEL, **options}
    with pytest.raises(UsageError) as info:
        review(loaded, ReviewOptions(**options), now=NOW)
    assert message in info.value.diagnostics()
    assert stored.all_reviews(loaded) == []


def test_formats(loaded: Store) -> None:
    result = reviewed(loaded)
    data = result.to_json()
    assert json.loads(render_json(result)) == json.loads(json.dumps(data))
    text = render_table(result)
    assert "Fairness review: credit-risk (all versions), monthly, 2026-01 … 2026-06" in text
    assert "REGRESSION" in text and "Trend" in text and "LL144 selection rates" in text
    assert sparkline([0.0, None, 1.0, 0.5]) == "▁·█▅" and sparkline([None]) == "·"
    assert sparkline([0.2, 0.2]) == "▄▄"


def policy_file(tmp_path: Path, *rules: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(
        "apiVersion: govern/v1\nkind: Policy\nmetadata: {id: p}\n"
        f"scope: {{models: [{MODEL}]}}\nrules:\n" + "".join(rules)
    )
    return path


def test_policy_reference_group_and_pos_label(loaded: Store, tmp_path: Path) -> None:
    path = policy_file(
        tmp_path,
        "  - id: ir\n    check: fairness\n    metric: impact_ratio\n    min: 0.8\n"
        "    reference_group: female\n    pos_label: 1\n",
    )
    w = window(run(loaded, policies=load([path])), "2026-05")
    sex = disparity(w, "sex", "impact_ratio")
    assert sex["detail"]["reference"] == "female" and sex["value"] == pytest.approx(1.0)
    assert disparity(w, "race", "impact_ratio")["detail"]["reference"] != "female"
    clash = policy_file(
        tmp_path,
        "  - id: a\n    check: fairness\n    metric: impact_ratio\n    pos_label: 1\n",
        "  - id: b\n    check: fairness\n    metric: impact_ratio\n    pos_label: 0\n",
    )
    with pytest.raises(UsageError, match="disagree on pos_label"):
        run(loaded, policies=load([clash]))


def test_partial_first_window(loaded: Store, frame: pd.DataFrame) -> None:
    data = run(loaded, start=parse_bound("2026-01-15", end=False), end=datetime(2026, 3, 1))
    first, second = data["windows"]
    assert (first["label"], first["start"], first["end"], first["partial"]) == (
        "2026-01",
        "2026-01-15",
        "2026-02-01",
        True,
    )
    assert first["rows"] == len(in_window(frame, "2026-01-15", "2026-02-01"))
    assert not second["partial"] and data["params"]["start"] == "2026-01-15"


def test_a_stored_review_with_other_missing_handling_is_flagged(
    store: Store, tmp_path: Path
) -> None:
    ingest_frame(store, unrecorded_frame(), tmp_path / "m.parquet")
    store_review(store, review(store, ReviewOptions(model=MODEL), now=NOW), now=NOW)
    again = review(store, ReviewOptions(model=MODEL, missing="group"), now=NOW)
    assert any("used missing 'exclude', this review 'group'" in w for w in again.warnings)
    same = review(store, ReviewOptions(model=MODEL), now=NOW)
    assert not any("missing" in w for w in same.warnings)
