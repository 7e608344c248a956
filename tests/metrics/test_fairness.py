"""Fairness metrics from DuckDB counts, side by side with fairlearn's MetricFrame.

Warnings are errors (pyproject): fairlearn/scikit-learn calls that warn are wrapped.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm
from fairlearn import metrics as flm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.exceptions import UndefinedMetricWarning

from govern.metrics import fairness as fm
from govern.metrics.fairness import FairnessInputError, GroupCounts

TOL = 1e-9
RATE_METRICS = [
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "true_negative_rate",
    "false_negative_rate",
    "precision",
    "accuracy",
    "error_rate",
    "base_rate",
    "count",
]


def fairlearn_metrics(pos_label: Any = 1) -> dict[str, Callable[..., Any]]:
    """The fairlearn/scikit-learn function behind each of govern's metric names."""
    p = pos_label
    fns: dict[str, Callable[..., Any]] = {
        "selection_rate": functools.partial(flm.selection_rate, pos_label=p),
        "true_positive_rate": functools.partial(flm.true_positive_rate, pos_label=p),
        "false_positive_rate": functools.partial(flm.false_positive_rate, pos_label=p),
        "true_negative_rate": functools.partial(flm.true_negative_rate, pos_label=p),
        "false_negative_rate": functools.partial(flm.false_negative_rate, pos_label=p),
        "precision": functools.partial(skm.precision_score, pos_label=p),
        "accuracy": skm.accuracy_score,
        "error_rate": lambda yt, yp: 1.0 - skm.accuracy_score(yt, yp),
        "base_rate": lambda yt, yp: flm.selection_rate(yt, yt, pos_label=p),
        "count": flm.count,
    }
    for name, f in fns.items():
        if isinstance(f, functools.partial):
            f.__name__ = name  # type: ignore[attr-defined]  # MetricFrame warns without one
    return fns


def close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= TOL


def connect(df: pd.DataFrame, name: str = "preds") -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.register(name, df)
    return con


def key(index_value: Any) -> tuple[Any, ...]:
    return index_value if isinstance(index_value, tuple) else (index_value,)


# ------------------------------------------------------------------------------------------
# Data


@pytest.fixture(scope="module")
def generated() -> pd.DataFrame:
    """100k rows, three sensitive features, group-dependent rates, one empty intersection."""
    rng = np.random.default_rng(20240601)
    n = 100_000
    sex = rng.choice(["female", "male"], n, p=[0.45, 0.55])
    race = rng.choice(
        ["asian", "black", "hispanic", "white", "other"], n, p=[0.1, 0.2, 0.2, 0.45, 0.05]
    )
    # "other" only occurs among women: (male, other, *) cells are empty
    race = np.where((sex == "male") & (race == "other"), "white", race)
    age = rng.choice(["<25", "25-40", ">40"], n, p=[0.2, 0.5, 0.3])
    region = rng.choice(["north", "south"], n)
    base = 0.3 + 0.1 * (sex == "male") + 0.05 * (race == "white") - 0.05 * (age == "<25")
    label = (rng.random(n) < base).astype(int)
    score = np.clip(0.35 * label + 0.15 * (sex == "male") + rng.normal(0.3, 0.2, n), 0, 1)
    pred = (score > 0.5).astype(int)
    return pd.DataFrame(
        {
            "sex": sex,
            "race": race,
            "age": age,
            "region": region,
            "label": label,
            "pred": pred,
            "score": score,
        }
    )


@pytest.fixture(scope="module")
def arrests() -> pd.DataFrame:
    """scikit-lego's load_arrests (R carData::Arrests), shipped in the wheel, offline."""
    from sklego.datasets import load_arrests

    df = load_arrests(as_frame=True)
    # A transparent rule as the "model": release if employed and at most two prior checks.
    pred = np.where((df["employed"] == "Yes") & (df["checks"] <= 2), "Yes", "No")
    return df.assign(pred=pred, score=(6 - df["checks"]) / 6.0)


# ------------------------------------------------------------------------------------------
# Side by side with MetricFrame


def assert_matches_metricframe(
    df: pd.DataFrame,
    counts: Sequence[GroupCounts],
    groupings: Sequence[tuple[str, ...]],
    *,
    label: str,
    pred: str,
    score: str,
    pos_label: Any,
    metrics: Sequence[str] = (*RATE_METRICS, "mean_score"),
    population: bool = True,
) -> int:
    """Every group metric and every disparity of each grouping against one MetricFrame.

    ``population``: the population ``()`` of the counts is also fairlearn's overall (no rows
    were left out).
    """
    checked = 0
    every = fairlearn_metrics(pos_label)
    every["mean_score"] = lambda yt, yp, score: flm.mean_prediction(yt, score)
    fns = {name: every[name] for name in metrics}
    names = list(metrics)
    params = {"mean_score": {"score": df[score]}} if "mean_score" in names else None
    for grouping in groupings:
        sf = df[grouping[0]] if len(grouping) == 1 else df[list(grouping)]
        mf = flm.MetricFrame(
            metrics=fns,
            y_true=df[label],
            y_pred=df[pred],
            sensitive_features=sf,
            sample_params=params,
        )
        ours = {
            (m.group, m.metric): m.value
            for m in fm.group_metrics(counts, names)
            if m.grouping == grouping
        }
        assert {g for g, _ in ours} == {key(i) for i in mf.by_group.index}
        for idx, row in mf.by_group.iterrows():
            for name in names:
                assert close(ours[(key(idx), name)], float(row[name])), (grouping, idx, name)
                checked += 1
        # MetricFrame.overall: the grouping's rows (all rows unless some were left out)
        overall = {
            m.metric: m.value for m in fm.group_metrics([fm.overall(counts, grouping)], names)
        }
        if population:
            everyone = fm.group_metrics(counts, names)
            assert {m.metric: m.value for m in everyone if m.grouping == ()} == pytest.approx(
                overall, abs=TOL, nan_ok=True
            )
        for name in names:
            assert close(overall[name], float(mf.overall[name])), name
            for rel in ("between_groups", "to_overall"):
                d = fm.disparity(counts, grouping, name, method="difference", relative_to=rel)
                r = fm.disparity(counts, grouping, name, method="ratio", relative_to=rel)
                assert close(d, float(mf.difference(method=rel)[name])), (grouping, name, rel)
                assert close(r, float(mf.ratio(method=rel)[name])), (grouping, name, rel)
                checked += 2
    return checked


NAMED = [
    (fm.demographic_parity_difference, flm.demographic_parity_difference, {}),
    (fm.demographic_parity_ratio, flm.demographic_parity_ratio, {}),
    (fm.equal_opportunity_difference, flm.equal_opportunity_difference, {}),
    (fm.equal_opportunity_ratio, flm.equal_opportunity_ratio, {}),
    (fm.equalized_odds_difference, flm.equalized_odds_difference, {"agg": "worst_case"}),
    (fm.equalized_odds_ratio, flm.equalized_odds_ratio, {"agg": "worst_case"}),
    (fm.equalized_odds_difference, flm.equalized_odds_difference, {"agg": "mean"}),
    (fm.equalized_odds_ratio, flm.equalized_odds_ratio, {"agg": "mean"}),
]


def assert_named_match(
    df: pd.DataFrame,
    counts: Sequence[GroupCounts],
    grouping: tuple[str, ...],
    *,
    label: str,
    pred: str,
    relative_to: Sequence[str] = ("between_groups", "to_overall"),
    named: Sequence[tuple[Any, Any, dict[str, str]]] = tuple(NAMED),
) -> None:
    """fairlearn's named fairness functions (0/1 labels) against ours."""
    sf = df[grouping[0]] if len(grouping) == 1 else df[list(grouping)]
    for rel in relative_to:
        for ours, theirs, kw in named:
            want = theirs(df[label], df[pred], sensitive_features=sf, method=rel, **kw)
            got = ours(counts, grouping, relative_to=rel, **kw)
            assert close(got, float(want)), (ours.__name__, kw, rel, grouping)


def test_generated_100k_matches_metricframe(generated: pd.DataFrame) -> None:
    con = connect(generated)
    sensitive = ["sex", "race", "age"]
    counts = fm.group_counts(
        con, "preds", label="label", prediction="pred", sensitive=sensitive, score="score"
    )
    # the population, 2 + 5 + 3 single groups, and the full 2 x 5 x 3 product
    assert len(counts) == 1 + 10 + 30
    empty = [c for c in counts if c.n == 0]
    assert {c.group[:2] for c in empty} == {("male", "other")}
    # fairlearn spends ~0.7 s per metric per MetricFrame at 100k rows (it np.stack-s the
    # columns element by element): every metric on the 3-way intersection (empty cells
    # included), three on one single feature; the arrests tests cover every grouping.
    common = {"label": "label", "pred": "pred", "score": "score", "pos_label": 1}
    checked = assert_matches_metricframe(generated, counts, [("sex", "race", "age")], **common)
    checked += assert_matches_metricframe(
        generated,
        counts,
        [("race",)],
        metrics=["selection_rate", "true_positive_rate", "false_positive_rate"],
        **common,
    )
    assert checked > 400


def test_arrests_matches_metricframe(arrests: pd.DataFrame) -> None:
    con = connect(arrests, "arrests")
    sensitive = ["colour", "sex", "citizen"]
    counts = fm.group_counts(
        con,
        "arrests",
        label="released",
        prediction="pred",
        sensitive=sensitive,
        score="score",
        pos_label="Yes",
    )
    assert counts[0].n == 5226 and counts[0].label_positive == 4334
    base = {c.group: c.label_positive / c.n for c in counts if c.grouping == ("colour",)}
    assert round(base[("Black",)], 3) == 0.741 and round(base[("White",)], 3) == 0.858
    groupings = [(s,) for s in sensitive] + [tuple(sensitive)]
    assert_matches_metricframe(
        arrests, counts, groupings, label="released", pred="pred", score="score", pos_label="Yes"
    )
    sr = flm.MetricFrame(
        metrics=fairlearn_metrics("Yes")["selection_rate"],
        y_true=arrests["released"],
        y_pred=arrests["pred"],
        sensitive_features=arrests["colour"],
    )
    assert close(fm.demographic_parity_ratio(counts, "colour"), float(sr.ratio()))
    assert close(fm.impact_ratios(counts, "colour")[("Black",)], float(sr.ratio()))


def test_arrests_named_fairness_functions(arrests: pd.DataFrame) -> None:
    """fairlearn's named functions take no pos_label: compare on 0/1-coded outcomes."""
    df = arrests.assign(
        y=(arrests["released"] == "Yes").astype(int), p=(arrests["pred"] == "Yes").astype(int)
    )
    counts = fm.group_counts(
        connect(df, "arrests"), "arrests", label="y", prediction="p", sensitive=["colour", "sex"]
    )
    plan: list[tuple[tuple[str, ...], list[str]]] = [
        (("colour",), ["between_groups", "to_overall"]),
        (("sex",), ["to_overall"]),
        (("colour", "sex"), ["between_groups"]),
    ]
    for grouping, relative_to in plan:
        assert_named_match(df, counts, grouping, label="y", pred="p", relative_to=relative_to)


def test_controls_match_metricframe(generated: pd.DataFrame) -> None:
    con = connect(generated)
    counts = fm.group_counts(
        con,
        "preds",
        label="label",
        prediction="pred",
        sensitive=["sex", "race"],
        controls=["region"],
    )
    mf = flm.MetricFrame(
        metrics={
            "selection_rate": flm.selection_rate,
            "true_positive_rate": flm.true_positive_rate,
        },
        y_true=generated["label"],
        y_pred=generated["pred"],
        sensitive_features=generated[["sex", "race"]],
        control_features=generated["region"],
    )
    ours = {
        (m.control + m.group, m.metric): m.value
        for m in fm.group_metrics(counts, ["selection_rate", "true_positive_rate"])
        if m.grouping == ("sex", "race")
    }
    for idx, row in mf.by_group.iterrows():
        for name in ("selection_rate", "true_positive_rate"):
            assert close(ours[(idx, name)], float(row[name]))
    for rel in ("between_groups", "to_overall"):
        diff, ratio = mf.difference(method=rel), mf.ratio(method=rel)
        for region in ("north", "south"):
            for name in ("selection_rate", "true_positive_rate"):
                got = fm.disparity(
                    counts,
                    ("sex", "race"),
                    name,
                    method="difference",
                    relative_to=rel,
                    control=(region,),
                )
                assert close(got, float(diff.loc[region, name]))
                got = fm.disparity(
                    counts,
                    ("sex", "race"),
                    name,
                    method="ratio",
                    relative_to=rel,
                    control=(region,),
                )
                assert close(got, float(ratio.loc[region, name]))


# ------------------------------------------------------------------------------------------
# fairlearn's edge cases


def small(rows: list[tuple[Any, ...]], cols: Sequence[str] = ("g", "y", "p")) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(cols))


_SHARED = duckdb.connect()  # a connection costs ~30 ms: the property tests reuse one


def counts_of(df: pd.DataFrame, **kw: Any) -> list[GroupCounts]:
    args: dict[str, Any] = {"label": "y", "prediction": "p", "sensitive": ["g"]}
    args.update(kw)
    _SHARED.register("small", df)
    try:
        return fm.group_counts(_SHARED, "small", **args)
    finally:
        _SHARED.unregister("small")


def test_group_without_positives_tpr_is_zero_without_warning() -> None:
    df = small([("a", 0, 1), ("a", 1, 1), ("a", 1, 0), ("b", 0, 0), ("b", 0, 1)])
    counts = counts_of(df)
    mf = flm.MetricFrame(
        metrics={"tpr": flm.true_positive_rate, "fnr": flm.false_negative_rate},
        y_true=df["y"],
        y_pred=df["p"],
        sensitive_features=df["g"],
    )  # no warning: warnings are errors here
    b = next(c for c in counts if c.group == ("b",))
    assert fm.GROUP_METRICS["true_positive_rate"](b) == 0.0 == mf.by_group.loc["b", "tpr"]
    assert fm.GROUP_METRICS["false_negative_rate"](b) == 0.0 == mf.by_group.loc["b", "fnr"]
    assert close(
        fm.equal_opportunity_difference(counts, "g"),
        flm.equal_opportunity_difference(df["y"], df["p"], sensitive_features=df["g"]),
    )
    assert close(fm.equal_opportunity_ratio(counts, "g"), 0.0)


def test_precision_without_predicted_positives_is_zero_and_sklearn_warns() -> None:
    df = small([("a", 0, 1), ("a", 1, 1), ("b", 1, 0), ("b", 0, 0)])
    counts = counts_of(df)
    with pytest.warns(UndefinedMetricWarning):
        mf = flm.MetricFrame(
            metrics=skm.precision_score, y_true=df["y"], y_pred=df["p"], sensitive_features=df["g"]
        )
    b = next(c for c in counts if c.group == ("b",))
    assert fm.GROUP_METRICS["precision"](b) == 0.0 == mf.by_group["b"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fm.group_metrics(counts, ["precision"])  # govern does not warn


def test_empty_intersection_is_nan_and_skipped() -> None:
    df = small(
        [
            ("a", "x", 0, 1),
            ("a", "y", 1, 1),
            ("a", "x", 1, 0),
            ("a", "y", 0, 0),
            ("b", "x", 1, 1),
            ("b", "x", 0, 0),
        ],
        ("g", "h", "y", "p"),
    )
    counts = counts_of(df, sensitive=["g", "h"])
    mf = flm.MetricFrame(
        metrics={"sr": flm.selection_rate, "tpr": flm.true_positive_rate, "count": flm.count},
        y_true=df["y"],
        y_pred=df["p"],
        sensitive_features=df[["g", "h"]],
    )
    assert math.isnan(mf.by_group.loc[("b", "y"), "sr"]) and math.isnan(
        mf.by_group.loc[("b", "y"), "count"]
    )
    cell = next(c for c in counts if c.group == ("b", "y"))
    assert cell.n == 0
    assert all(math.isnan(m.value) for m in fm.group_metrics([cell], RATE_METRICS))
    for name, col in (("selection_rate", "sr"), ("true_positive_rate", "tpr")):
        for method in ("difference", "ratio"):
            got = fm.disparity(counts, ("g", "h"), name, method=method)  # type: ignore[arg-type]
            want = getattr(mf, method)()[col]
            assert close(got, float(want))
    assert ("b", "y") not in fm.impact_ratios(counts, ("g", "h"))


def test_ratio_when_the_largest_rate_is_zero() -> None:
    df = small([("a", 0, 0), ("a", 1, 0), ("b", 1, 0), ("b", 0, 0)])
    counts = counts_of(df)
    want_ratio = flm.demographic_parity_ratio(df["y"], df["p"], sensitive_features=df["g"])
    want_diff = flm.demographic_parity_difference(df["y"], df["p"], sensitive_features=df["g"])
    assert math.isnan(want_ratio) and math.isnan(fm.demographic_parity_ratio(counts, "g"))
    assert want_diff == 0.0 == fm.demographic_parity_difference(counts, "g")
    assert math.isnan(flm.equalized_odds_ratio(df["y"], df["p"], sensitive_features=df["g"]))
    assert math.isnan(fm.equalized_odds_ratio(counts, "g"))
    assert all(math.isnan(v) for v in fm.impact_ratios(counts, "g").values())


@pytest.mark.parametrize(
    "rows",
    [
        # TPR ratio defined (0.5 / 1), FPR ratio 0/0 = NaN: builtin min([0.5, nan]) = 0.5
        [("a", 1, 1), ("a", 1, 0), ("a", 0, 0), ("b", 1, 1), ("b", 0, 0)],
        # TPR ratio NaN (no predicted positives among positives), FPR 0.5: min([nan, x]) = nan
        [("a", 1, 0), ("a", 0, 1), ("a", 0, 0), ("b", 1, 0), ("b", 0, 1)],
    ],
)
def test_equalized_odds_nan_position_like_fairlearn(rows: list[tuple[Any, ...]]) -> None:
    df = small(rows)
    counts = counts_of(df)
    for ours, theirs in (
        (fm.equalized_odds_ratio, flm.equalized_odds_ratio),
        (fm.equalized_odds_difference, flm.equalized_odds_difference),
    ):
        for agg in ("worst_case", "mean"):
            want = theirs(df["y"], df["p"], sensitive_features=df["g"], agg=agg)
            assert close(ours(counts, "g", agg=agg), float(want)), (ours.__name__, agg)


def test_group_of_size_one() -> None:
    df = small([("a", 1, 1), ("a", 0, 1), ("a", 1, 0), ("solo", 1, 1)])
    counts = counts_of(df)
    mf = flm.MetricFrame(
        metrics=fairlearn_metrics(), y_true=df["y"], y_pred=df["p"], sensitive_features=df["g"]
    )
    solo = next(c for c in counts if c.group == ("solo",))
    assert solo.n == 1
    for name in RATE_METRICS:
        assert close(fm.GROUP_METRICS[name](solo), float(mf.by_group.loc["solo", name]))


def test_pos_label_none_infers_one_from_minus_one_plus_one() -> None:
    df = small([("a", -1, 1), ("a", 1, 1), ("b", 1, -1), ("b", -1, -1)])
    counts = counts_of(df, pos_label=None)
    mf = flm.MetricFrame(
        metrics=flm.true_positive_rate, y_true=df["y"], y_pred=df["p"], sensitive_features=df["g"]
    )
    for c in counts[1:]:
        assert close(fm.GROUP_METRICS["true_positive_rate"](c), float(mf.by_group[c.group[0]]))


def test_boolean_outcomes_and_no_label() -> None:
    df = small([("a", True, True), ("a", False, True), ("b", True, False)])
    counts = counts_of(df, pos_label=True)
    assert [c.predicted_positive for c in counts] == [2, 2, 0]
    unlabelled = counts_of(df, label=None, pos_label=True)
    assert fm.demographic_parity_difference(unlabelled, "g") == 1.0
    with pytest.raises(FairnessInputError, match="needs labels"):
        fm.group_metrics(unlabelled, ["true_positive_rate"])
    with pytest.raises(FairnessInputError, match="needs a score"):
        fm.group_metrics(unlabelled, ["mean_score"])


# ------------------------------------------------------------------------------------------
# Bad inputs


def test_nan_label_is_refused_naming_the_column() -> None:
    df = small([("a", 1.0, 1), ("a", float("nan"), 0), ("b", 0.0, 1)])
    with pytest.raises(ValueError, match=r"'y' \(label\).*1 missing"):
        counts_of(df)
    df = small([("a", 1, 1), ("a", None, 0), ("b", 0, 1)])
    df["y"] = df["y"].astype("Int64")
    with pytest.raises(ValueError, match="'y' \\(label\\)"):
        counts_of(df)


def test_missing_prediction_sensitive_and_score_are_refused() -> None:
    df = small([("a", 1, 1.0), ("b", 0, float("nan"))])
    with pytest.raises(ValueError, match="'p' \\(prediction\\)"):
        counts_of(df)
    df = small([("a", 1, 1), (None, 0, 1)])
    with pytest.raises(ValueError, match="'g' \\(sensitive feature\\)"):
        counts_of(df)
    df = pd.DataFrame({"g": ["a", "b"], "y": [1, 0], "p": [1, 0], "s": [0.5, float("nan")]})
    with pytest.raises(ValueError, match="'s' \\(score\\)"):
        counts_of(df, score="s")


def test_non_binary_labels_are_refused() -> None:
    df = small([("a", 0, 1), ("a", 2, 0), ("b", 1, 1)])
    with pytest.raises(ValueError, match="must be binary"):
        counts_of(df)
    with pytest.raises(ValueError, match="more than two"):  # label {0, 1}, prediction {1, 2}
        counts_of(small([("a", 0, 1), ("b", 1, 2)]))


def test_pos_label_must_be_a_label_value() -> None:
    df = small([("a", "Yes", "No"), ("b", "No", "Yes")])
    with pytest.raises(ValueError, match="pos_label=1 is not one of"):
        counts_of(df)
    with pytest.raises(ValueError, match="pos_label=None needs values"):
        counts_of(df, pos_label=None)
    assert counts_of(df, pos_label="Yes")[0].tp == 0


def test_unknown_columns_groupings_and_metrics() -> None:
    df = small([("a", 0, 1)])
    with pytest.raises(FairnessInputError, match="cannot read columns"):
        counts_of(df, sensitive=["nope"])
    counts = counts_of(df)
    with pytest.raises(FairnessInputError, match="no counts for grouping"):
        fm.disparity(counts, "race", "selection_rate", method="ratio")
    with pytest.raises(FairnessInputError, match="unknown group metric"):
        fm.group_metrics(counts, ["f1"])
    with pytest.raises(FairnessInputError, match="reference group"):
        fm.impact_ratios(counts, "g", reference_group="zzz")


# ------------------------------------------------------------------------------------------
# Missing sensitive values: left out (exclude) or a group of their own (group)

SENSITIVE = ("colour", "sex", "year")


@pytest.fixture(scope="module")
def arrests_missing(arrests: pd.DataFrame) -> pd.DataFrame:
    """The arrests with missing sensitive values of every kind: NULL, empty string, NaN."""
    rng = np.random.default_rng(12)
    df = arrests.copy()
    n = len(df)
    df["colour"] = df["colour"].astype(object).where(rng.random(n) > 0.03, None)  # NULL
    df["sex"] = df["sex"].astype(object).where(rng.random(n) > 0.02, "")  # empty string
    df["year"] = df["year"].astype(float).where(rng.random(n) > 0.04, np.nan)  # NaN
    return df


def is_missing(df: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    out = pd.Series(False, index=df.index)
    for c in columns:
        out |= df[c].isna() | (df[c] == "")
    return out


def with_missing_group(df: pd.DataFrame) -> pd.DataFrame:
    """Missing sensitive values replaced by "(missing)"; numbers as text (fairlearn cannot
    sort a column mixing floats and strings)."""
    out = df.copy()
    for c in SENSITIVE:
        if c in df:
            text = df[c].map(str) if df[c].dtype.kind == "f" else df[c].astype(object)
            out[c] = text.where(~is_missing(df, [c]), fm.MISSING_GROUP)
    return out


def as_text(counts: Sequence[GroupCounts]) -> list[GroupCounts]:
    """Group values as text, as :func:`with_missing_group` writes them."""
    return [dataclasses.replace(c, group=tuple(str(v) for v in c.group)) for c in counts]


def test_missing_values_are_refused_by_default_naming_the_kind(
    arrests_missing: pd.DataFrame,
) -> None:
    con = connect(arrests_missing, "arrests")
    with pytest.raises(
        FairnessInputError, match=r"'sex' \(sensitive feature\).*NULL, NaN or empty"
    ):
        fm.group_counts(
            con, "arrests", label="released", prediction="pred", sensitive=["sex"],
            pos_label="Yes",
        )  # fmt: skip
    with pytest.raises(FairnessInputError, match="missing must be one of"):
        fm.count_groups(con, "arrests", label=None, prediction="pred", sensitive=["sex"],
                        pos_label="Yes", missing="drop")  # type: ignore[arg-type]  # fmt: skip


def test_missing_excluded_matches_metricframe_on_the_rows_kept(
    arrests_missing: pd.DataFrame,
) -> None:
    df = arrests_missing
    result = fm.count_groups(
        connect(df, "arrests"), "arrests", label="released", prediction="pred",
        sensitive=list(SENSITIVE), score="score", pos_label="Yes", missing="exclude",
    )  # fmt: skip
    counts = result.counts
    assert counts[0].grouping == () and counts[0].n == len(df)  # the population keeps every row
    groupings = [(s,) for s in SENSITIVE] + [SENSITIVE]
    for grouping in groupings:
        gone = is_missing(df, grouping)
        assert result.missing_rows(grouping) == int(gone.sum()) > 0, grouping
        kept = df[~gone]
        assert fm.overall(counts, grouping).n == len(kept)
        assert_matches_metricframe(
            kept, counts, [grouping], label="released", pred="pred", score="score",
            pos_label="Yes", population=False,
        )  # fmt: skip
    # the same counts as when the rows are dropped before: nothing else changes
    for grouping in groupings:
        dropped = fm.group_counts(
            connect(df[~is_missing(df, grouping)], "kept"), "kept", label="released",
            prediction="pred", sensitive=list(grouping), score="score", pos_label="Yes",
        )  # fmt: skip
        mine = [c for c in counts if c.grouping == grouping]
        theirs = [c for c in dropped if c.grouping == grouping]
        assert [(c.group, c.n, c.tp, c.fp, c.tn, c.fn) for c in mine] == [
            (c.group, c.n, c.tp, c.fp, c.tn, c.fn) for c in theirs
        ]


def test_missing_as_a_group_matches_metricframe_with_the_values_replaced(
    arrests_missing: pd.DataFrame,
) -> None:
    df = arrests_missing
    result = fm.count_groups(
        connect(df, "arrests"), "arrests", label="released", prediction="pred",
        sensitive=list(SENSITIVE), score="score", pos_label="Yes", missing="group",
    )  # fmt: skip
    counts = result.counts
    for s in SENSITIVE:
        groups = [c.group for c in counts if c.grouping == (s,)]
        assert groups[-1] == (fm.MISSING_GROUP,), groups  # last, after the values
        assert result.missing_rows((s,)) == int(is_missing(df, [s]).sum())
    replaced = with_missing_group(df)
    groupings = [(s,) for s in SENSITIVE] + [SENSITIVE]
    # a small (missing) intersection cell predicts no one: scikit-learn warns on its precision
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        assert_matches_metricframe(
            replaced, as_text(counts), groupings, label="released", pred="pred", score="score",
            pos_label="Yes",
        )  # fmt: skip
    # fairlearn's named functions (0/1 outcomes) on the intersection, missing values grouped
    coded = df.assign(y=(df["released"] == "Yes").astype(int), p=(df["pred"] == "Yes").astype(int))
    grouped = fm.group_counts(
        connect(coded, "coded"), "coded", label="y", prediction="p",
        sensitive=["colour", "sex"], missing="group",
    )  # fmt: skip
    assert_named_match(with_missing_group(coded), grouped, ("colour", "sex"), label="y", pred="p")


def test_missing_group_and_exclusion_with_controls(arrests_missing: pd.DataFrame) -> None:
    df = arrests_missing
    for handling, frame in (
        ("exclude", df[~is_missing(df, ["sex", "colour"])]),
        ("group", with_missing_group(df)),
    ):
        counts = fm.group_counts(
            connect(df, "arrests"), "arrests", label="released", prediction="pred",
            sensitive=["sex", "colour"], controls=["citizen"], pos_label="Yes",
            missing=handling,  # type: ignore[arg-type]
        )  # fmt: skip
        mf = flm.MetricFrame(
            metrics={"selection_rate": fairlearn_metrics("Yes")["selection_rate"]},
            y_true=frame["released"],
            y_pred=frame["pred"],
            sensitive_features=frame[["sex", "colour"]],
            control_features=frame["citizen"],
        )
        ours = {
            m.control + m.group: m.value
            for m in fm.group_metrics(counts, ["selection_rate"])
            if m.grouping == ("sex", "colour")
        }
        assert set(ours) == set(mf.by_group.index)
        for idx, row in mf.by_group.iterrows():
            assert close(ours[idx], float(row["selection_rate"])), (handling, idx)
        for citizen in ("No", "Yes"):
            for method in ("difference", "ratio"):
                for rel in ("between_groups", "to_overall"):
                    got = fm.disparity(
                        counts, ("sex", "colour"), "selection_rate", method=method,
                        relative_to=rel, control=(citizen,),
                    )  # fmt: skip
                    want = getattr(mf, method)(method=rel).loc[citizen, "selection_rate"]
                    assert close(got, float(want)), (handling, citizen, method, rel)


def test_bootstrap_over_missing_handling_is_seeded_and_reproducible(
    arrests_missing: pd.DataFrame,
) -> None:
    df = arrests_missing
    con = connect(df, "arrests")
    for handling, frame in (
        ("exclude", df[~is_missing(df, ["colour"])]),
        ("group", with_missing_group(df)),
    ):
        counts = fm.group_counts(
            con, "arrests", label="released", prediction="pred", sensitive=["colour"],
            pos_label="Yes", missing=handling,  # type: ignore[arg-type]
        )  # fmt: skip
        same = fm.group_counts(
            connect(frame, "same"), "same", label="released", prediction="pred",
            sensitive=["colour"], pos_label="Yes",
        )  # fmt: skip

        # the resamples follow the groups' order, and fairlearn's sorts "(missing)" first
        order = [c.group for c in counts]
        same = sorted(same, key=lambda c: order.index(c.group))

        def stat(c: Sequence[GroupCounts]) -> float:
            return fm.equalized_odds_difference(c, "colour")

        a = fm.bootstrap_ci(counts, "colour", stat, seed=3, n_boot=500)
        assert a == fm.bootstrap_ci(counts, "colour", stat, seed=3, n_boot=500)
        assert a == fm.bootstrap_ci(same, "colour", stat, seed=3, n_boot=500)  # as on the rows
        assert a != fm.bootstrap_ci(counts, "colour", stat, seed=4, n_boot=500)
        assert a[0] <= stat(counts) <= a[1]


def test_ll144_unknown_includes_nan_and_empty_values() -> None:
    df = ll144_frame()
    df.loc[df.index[:3], "sex"] = ""  # three Male/White rows lose their sex
    t = fm.ll144_table(connect(df, "audit"), "audit", sex="sex", race="race", prediction="selected")
    assert t.section("sex").unknown == 2 + 3
    ages = pd.DataFrame({"age": [30.0, 30.0, np.nan, 40.0], "selected": [1, 0, 1, 1]})
    t = fm.ll144_table(
        connect(ages, "a"), "a", sex="age", race=None, prediction="selected", min_share=0
    )
    assert t.section("age").unknown == 1
    assert [(r.category, r.n) for r in t.section("age").rows] == [((30.0,), 2), ((40.0,), 1)]


# ------------------------------------------------------------------------------------------
# Properties

rows_strategy = st.lists(
    st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.integers(0, 1), st.integers(0, 1)),
    min_size=1,
    max_size=60,
)
PROPERTY_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def metric_table(counts: Sequence[GroupCounts]) -> dict[tuple[Any, ...], dict[str, float]]:
    out: dict[tuple[Any, ...], dict[str, float]] = {}
    for m in fm.group_metrics(counts, [m for m in RATE_METRICS if m != "count"]):
        out.setdefault(m.group, {})[m.metric] = m.value
    return out


def same(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)


@PROPERTY_SETTINGS
@given(rows=rows_strategy, perm=st.permutations(["a", "b", "c", "d"]))
def test_relabelling_groups_permutes_results(rows: list[tuple[Any, ...]], perm: list[str]) -> None:
    mapping = dict(zip(["a", "b", "c", "d"], perm, strict=True))
    df = small(rows)
    relabelled = df.assign(g=df["g"].map(mapping))
    c1, c2 = counts_of(df), counts_of(relabelled)
    before, after = metric_table(c1), metric_table(c2)
    assert {(mapping[g[0]],) if g else g for g in before} == set(after)
    for g, vals in before.items():
        assert same(vals, after[(mapping[g[0]],) if g else g])
    for fn in (
        fm.demographic_parity_difference,
        fm.equalized_odds_ratio,
        fm.equal_opportunity_difference,
    ):
        assert close(fn(c1, "g"), fn(c2, "g"))


@PROPERTY_SETTINGS
@given(rows=rows_strategy)
def test_duplicating_every_row_changes_no_rate(rows: list[tuple[Any, ...]]) -> None:
    df = small(rows)
    c1, c2 = counts_of(df), counts_of(pd.concat([df, df], ignore_index=True))
    t1, t2 = metric_table(c1), metric_table(c2)
    assert t1.keys() == t2.keys()
    for g in t1:
        assert same(t1[g], t2[g])
    for fn in (fm.demographic_parity_ratio, fm.equalized_odds_difference, fm.equalized_odds_ratio):
        assert close(fn(c1, "g"), fn(c2, "g"))
    assert [c.n * 2 for c in c1] == [c.n for c in c2]


@PROPERTY_SETTINGS
@given(rows=rows_strategy)
def test_ratios_lie_in_unit_interval(rows: list[tuple[Any, ...]]) -> None:
    counts = counts_of(small(rows))
    values = [
        fm.demographic_parity_ratio(counts, "g"),
        fm.equalized_odds_ratio(counts, "g"),
        fm.equal_opportunity_ratio(counts, "g"),
        fm.demographic_parity_ratio(counts, "g", relative_to="to_overall"),
        *fm.impact_ratios(counts, "g").values(),
        *fm.impact_ratios(counts, "g", rate="true_positive_rate").values(),
    ]
    assert all(math.isnan(v) or 0.0 <= v <= 1.0 for v in values)


@PROPERTY_SETTINGS
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c", None, ""]),
            st.sampled_from(["x", "y", None]),
            st.integers(0, 1),
            st.integers(0, 1),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_missing_handling_equals_dropping_or_replacing_the_rows(
    rows: list[tuple[Any, ...]],
) -> None:
    df = small(rows, ("g", "h", "y", "p"))
    for grouping in (("g",), ("h",), ("g", "h")):
        gone = is_missing(df, grouping)
        excluded = [c for c in counts_of(df, sensitive=["g", "h"], missing="exclude")
                    if c.grouping == grouping]  # fmt: skip
        kept = df[~gone]
        dropped = (
            [c for c in counts_of(kept, sensitive=list(grouping)) if c.grouping == grouping]
            if len(kept)
            else []
        )
        assert [(c.group, c.n, c.tp, c.fp, c.tn, c.fn) for c in excluded] == [
            (c.group, c.n, c.tp, c.fp, c.tn, c.fn) for c in dropped
        ]
    grouped = counts_of(df, sensitive=["g", "h"], missing="group")
    replaced = df.assign(
        g=df["g"].where(~is_missing(df, ["g"]), fm.MISSING_GROUP),
        h=df["h"].where(~is_missing(df, ["h"]), fm.MISSING_GROUP),
    )
    same = counts_of(replaced, sensitive=["g", "h"])
    assert sorted((c.grouping, c.group, c.n, c.tp, c.fp, c.tn, c.fn) for c in grouped) == sorted(
        (c.grouping, c.group, c.n, c.tp, c.fp, c.tn, c.fn) for c in same
    )


# ------------------------------------------------------------------------------------------
# Bootstrap and significance


def synthetic_counts(n_groups: int, seed: int = 1) -> list[GroupCounts]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n_groups):
        cells = rng.integers(50, 400, size=4).tolist()
        tp, fp, tn, fn = (int(x) for x in cells)
        n = tp + fp + tn + fn
        out.append(
            GroupCounts(("g",), (f"g{i:02d}",), n, tp, fp, tn, fn, tp + fn, tp + fp, None, 0)
        )
    return out


def test_bootstrap_is_seeded_reproducible_and_contains_the_estimate(
    generated: pd.DataFrame,
) -> None:
    counts = fm.group_counts(
        connect(generated), "preds", label="label", prediction="pred", sensitive=["race"]
    )

    def stat(c: Sequence[GroupCounts]) -> float:
        return fm.demographic_parity_difference(c, "race")

    a = fm.bootstrap_ci(counts, "race", stat, seed=7)
    assert a == fm.bootstrap_ci(counts, "race", stat, seed=7)
    assert a != fm.bootstrap_ci(counts, "race", stat, seed=8)
    point = stat(counts)
    assert a[0] < point < a[1]
    lo, hi = fm.bootstrap_ci(
        counts, "race", lambda c: fm.equalized_odds_ratio(c, "race"), n_boot=500
    )
    assert lo < fm.equalized_odds_ratio(counts, "race") < hi


def test_bootstrap_2000_resamples_of_20_groups_is_fast() -> None:
    counts = synthetic_counts(20)
    start = time.perf_counter()
    lo, hi = fm.bootstrap_ci(
        counts, "g", lambda c: fm.equalized_odds_difference(c, "g"), n_boot=2000
    )
    elapsed = time.perf_counter() - start
    assert lo < fm.equalized_odds_difference(counts, "g") < hi
    assert elapsed < 1.0, elapsed


def test_bootstrap_without_labels_resamples_selection() -> None:
    counts = [
        GroupCounts(("g",), ("a",), 100, 0, 0, 0, 0, 0, 30, None, 0),
        GroupCounts(("g",), ("b",), 100, 0, 0, 0, 0, 0, 60, None, 0),
    ]
    lo, hi = fm.bootstrap_ci(counts, "g", lambda c: fm.demographic_parity_difference(c, "g"))
    assert 0.1 < lo < 0.3 < hi < 0.5


def test_significance_fisher_holm_and_z() -> None:
    counts = [
        GroupCounts(("g",), ("a",), 100, 0, 0, 0, 0, 0, 50, None, 0),
        GroupCounts(("g",), ("b",), 80, 0, 0, 0, 0, 0, 30, None, 0),
        GroupCounts(("g",), ("c",), 60, 0, 0, 0, 0, 0, 28, None, 0),
        GroupCounts(("g",), ("d",), 40, 0, 0, 0, 0, 0, 8, None, 0),
    ]
    res = fm.significance(counts, "g")
    assert set(res) == {("b",), ("c",), ("d",)} and res[("b",)].reference == ("a",)
    raw = {
        g: stats.fisher_exact([[s, n - s], [50, 50]]).pvalue
        for g, s, n in ((("b",), 30, 80), (("c",), 28, 60), (("d",), 8, 40))
    }
    assert all(close(res[g].p_value, raw[g]) for g in raw)
    order = sorted(raw, key=lambda g: raw[g])
    holm, running = {}, 0.0
    for i, g in enumerate(order):
        running = max(running, min(1.0, (3 - i) * raw[g]))
        holm[g] = running
    assert all(close(res[g].p_adjusted, holm[g]) for g in raw)
    assert close(res[("d",)].impact_ratio, 0.2 / 0.5)
    bonf = fm.significance(counts, "g", correction="bonferroni")
    assert all(close(bonf[g].p_adjusted, min(1.0, 3 * raw[g])) for g in raw)
    z = fm.significance(counts, "g", test="z", correction="none", alternative="less")
    p1, p2 = 8 / 40, 0.5
    pooled = 58 / 140
    zval = (p1 - p2) / math.sqrt(pooled * (1 - pooled) * (1 / 40 + 1 / 100))
    assert close(z[("d",)].p_value, float(stats.norm.cdf(zval)))


# ------------------------------------------------------------------------------------------
# LL144


def ll144_frame() -> pd.DataFrame:
    spec = [
        # sex, race, rows, selected
        ("Male", "White", 30, 15),
        ("Male", "Black", 20, 8),
        ("Female", "White", 25, 10),
        ("Female", "Black", 20, 12),
        ("Female", "Asian", 1, 1),  # 1% of the data: excluded from impact ratios
        ("Unknown", "White", 2, 1),
        ("Male", None, 2, 0),
    ]
    rows = []
    for sex, race, n, sel in spec:
        rows += [(sex, race, 1 if i < sel else 0) for i in range(n)]
    return pd.DataFrame(rows, columns=["sex", "race", "selected"])


def test_ll144_selection_table_hand_computed() -> None:
    con = connect(ll144_frame(), "audit")
    t = fm.ll144_table(con, "audit", sex="sex", race="race", prediction="selected")
    assert t.rate_kind == "selection_rate" and t.total == 100 and t.median_score is None
    by_sex = t.section("sex")
    assert by_sex.unknown == 2 and by_sex.excluded == ()
    assert [(r.category, r.n, r.selected) for r in by_sex.rows] == [
        (("Female",), 46, 23),
        (("Male",), 52, 23),
    ]
    assert [r.impact_ratio for r in by_sex.rows] == [1.0, pytest.approx(46 / 52, abs=1e-12)]
    assert round(by_sex.rows[1].impact_ratio or 0, 4) == 0.8846
    by_race = t.section("race")
    assert by_race.unknown == 2 and by_race.excluded == (("Asian",),)
    asian = by_race.rows[0]
    assert (asian.n, asian.rate, asian.impact_ratio, asian.excluded) == (1, 1.0, None, True)
    assert by_race.reference == ("Black",)
    white = next(r for r in by_race.rows if r.category == ("White",))
    assert (white.n, white.selected) == (57, 26)
    assert white.impact_ratio == pytest.approx(52 / 57, abs=1e-12)
    both = t.section("sex", "race")
    assert both.unknown == 4 and both.excluded == (("Female", "Asian"),)
    ratios = {r.category: r.impact_ratio for r in both.rows}
    assert ratios == {
        ("Female", "Asian"): None,
        ("Female", "Black"): 1.0,
        ("Female", "White"): pytest.approx(2 / 3, abs=1e-12),
        ("Male", "Black"): pytest.approx(2 / 3, abs=1e-12),
        ("Male", "White"): pytest.approx(5 / 6, abs=1e-12),
    }


def test_ll144_scoring_rate_hand_computed() -> None:
    df = pd.DataFrame(
        {
            "sex": ["F", "F", "F", "F", "M", "M", "M", "M", "M", None],
            "race": ["A", "B", "A", "B", "A", "B", "A", "B", "Unknown", "A"],
            "score": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0],
        }
    )
    t = fm.ll144_table(
        connect(df, "audit"), "audit", sex="sex", race="race", score="score", min_share=0.0
    )
    assert t.rate_kind == "scoring_rate" and t.median_score == 5.5 and t.total == 10
    sex = {r.category: (r.n, r.selected, r.impact_ratio) for r in t.section("sex").rows}
    # above 5.5: 6, 7, 8, 9 (men) and 10 (unknown sex)
    assert sex == {("F",): (4, 0, 0.0), ("M",): (5, 4, 1.0)}
    assert t.section("sex").unknown == 1
    race = {r.category: (r.n, r.selected) for r in t.section("race").rows}
    assert race == {("A",): (5, 2), ("B",): (4, 2)}
    assert t.section("race").unknown == 1
    ir = {r.category: r.impact_ratio for r in t.section("race").rows}
    assert ir == {("A",): pytest.approx(0.4 / 0.5, abs=1e-12), ("B",): 1.0}


def test_ll144_bad_inputs() -> None:
    con = connect(ll144_frame(), "audit")
    with pytest.raises(ValueError, match="exactly one"):
        fm.ll144_table(con, "audit", sex="sex", race="race")
    with pytest.raises(ValueError, match="at least one"):
        fm.ll144_table(con, "audit", sex=None, race=None, prediction="selected")
    with pytest.raises(ValueError, match="not a number"):
        fm.ll144_table(con, "audit", sex="sex", race=None, score="race")


# ------------------------------------------------------------------------------------------
# The disparity registry, the bound test, values bound as SQL parameters


def test_registry_values_equal_fairlearn(arrests: pd.DataFrame) -> None:
    """Every registry entry computes fairlearn's value (or the definition it names)."""
    df = arrests.assign(
        y=(arrests["released"] == "Yes").astype(int), p=(arrests["pred"] == "Yes").astype(int)
    )
    counts = fm.group_counts(
        connect(df, "arrests"), "arrests", label="y", prediction="p", sensitive=["colour"]
    )
    sf = df["colour"]
    frame = flm.MetricFrame(
        metrics={
            "selection_rate": flm.selection_rate,
            "accuracy": skm.accuracy_score,
            "true_positive_rate": flm.true_positive_rate,
            "false_positive_rate": flm.false_positive_rate,
            "base_rate": lambda yt, yp: flm.selection_rate(yt, yt),
        },
        y_true=df["y"],
        y_pred=df["p"],
        sensitive_features=sf,
    )
    sizes = sf.value_counts()
    expected = {
        "demographic_parity_difference": flm.demographic_parity_difference(
            df["y"], df["p"], sensitive_features=sf
        ),
        "demographic_parity_ratio": flm.demographic_parity_ratio(
            df["y"], df["p"], sensitive_features=sf
        ),
        "impact_ratio": frame.ratio()["selection_rate"],
        "equalized_odds_difference": flm.equalized_odds_difference(
            df["y"], df["p"], sensitive_features=sf
        ),
        "equalized_odds_ratio": flm.equalized_odds_ratio(df["y"], df["p"], sensitive_features=sf),
        "equal_opportunity_difference": flm.equal_opportunity_difference(
            df["y"], df["p"], sensitive_features=sf
        ),
        "accuracy_difference": frame.difference()["accuracy"],
        "true_positive_rate_difference": frame.difference()["true_positive_rate"],
        "false_positive_rate_difference": frame.difference()["false_positive_rate"],
        "base_rate_difference": frame.difference()["base_rate"],
        "class_imbalance": (sizes.max() - sizes.min()) / (sizes.max() + sizes.min()),
    }
    assert set(expected) == set(fm.DISPARITIES)
    for name, entry in fm.DISPARITIES.items():
        assert entry.name == name
        assert close(entry.value(counts, "colour"), float(expected[name])), name
    assert fm.disparity_named("selection_rate_ratio") is fm.DISPARITIES["impact_ratio"]
    assert tuple(sorted([*fm.DISPARITIES, *fm.ALIASES])) == fm.DISPARITY_NAMES
    with pytest.raises(FairnessInputError, match="unknown disparity"):
        fm.disparity_named("parity")


def test_registry_directions_labels_and_outcomes() -> None:
    for d in fm.DISPARITIES.values():
        assert d.better == ("lower" if d.kind == "difference" else "higher")
        assert d.worse_sign == (1 if d.kind == "difference" else -1)
        assert d.label and d.description
        assert not d.outcomes or d.needs_labels
    reviewed = [d.name for d in fm.DISPARITIES.values() if d.reviewed]
    assert reviewed[:3] == ["demographic_parity_difference", "demographic_parity_ratio",
                            "impact_ratio"]  # fmt: skip
    c = GroupCounts(("g",), ("a",), 10, tp=3, fp=1, tn=4, fn=2, label_positive=5,
                    predicted_positive=4, score_sum=None, score_n=0)  # fmt: skip
    assert fm.DISPARITIES["equalized_odds_difference"].fewest_outcomes(c) == 5
    assert fm.DISPARITIES["false_positive_rate_difference"].fewest_outcomes(c) == 5
    assert fm.DISPARITIES["demographic_parity_difference"].fewest_outcomes(c) == 10


def test_bound_met_by_a_value_or_a_whole_interval() -> None:
    assert fm.bound_met(0.1, high=0.1) and not fm.bound_met(0.1000001, high=0.1)
    assert fm.bound_met(0.8, low=0.8) and not fm.bound_met(0.79, low=0.8)
    assert fm.bound_met(0.8 - 1e-15, low=0.8)  # float noise is not a breach
    assert fm.bound_met(0.5) and fm.bound_met(math.nan, low=None, high=None)
    # an interval fails only when it lies wholly past the bound
    assert fm.bound_met((0.7, 0.85), low=0.8) and not fm.bound_met((0.6, 0.79), low=0.8)
    assert fm.bound_met((0.05, 0.12), high=0.1) and not fm.bound_met((0.11, 0.2), high=0.1)
    assert fm.DISPARITIES["impact_ratio"].met((0.6, 0.79), low=0.8, high=None) is False


def test_values_from_the_data_are_bound_never_written_into_sql() -> None:
    from govern.metrics.fairness_sql import GroupCountsQuery, group_counts_sql, ll144_counts_sql

    sql, params = group_counts_sql(
        GroupCountsQuery(
            relation="t",
            keys=("g",),
            grouping_sets=((), ("g",)),
            prediction="p",
            prediction_positive="O'Neil; DROP TABLE t",
            label="y",
            label_positive=None,
        )
    )
    assert "O'Neil" not in sql and "$prediction_positive" in sql
    assert params == {"prediction_positive": "O'Neil; DROP TABLE t"}
    sql, params = ll144_counts_sql(
        "t", dimensions=["race"], unknown_values=["Don't know", None], prediction="p",
        prediction_positive=True,
    )  # fmt: skip
    assert "Don't" not in sql and "TRUE" not in sql
    assert params == {"unknown_0": "Don't know", "prediction_positive": True}
    df = pd.DataFrame(
        {"race": ["Don't know", "a'b", "a'b", "c"], "p": ["O'Neil", "O'Neil", "no", "no"]}
    )
    table = fm.ll144_table(
        connect(df, "t"), "t", sex=None, race="race", prediction="p", pos_label="O'Neil",
        unknown_values=["Don't know"], min_share=0,
    )  # fmt: skip
    (section,) = table.sections
    assert section.unknown == 1
    assert [(r.category, r.n, r.selected) for r in section.rows] == [
        (("a'b",), 2, 1),
        (("c",), 1, 0),
    ]


def test_wilson_interval() -> None:
    # Wilson (1927) score interval of 50/100 at 95 %: 0.5 ± 0.0962
    assert fm.wilson_interval(50, 100) == pytest.approx((0.40383, 0.59617), abs=1e-5)
    low, high = fm.wilson_interval(0, 10) or (math.nan, math.nan)
    assert low == pytest.approx(0.0, abs=1e-12) and high == pytest.approx(0.27753, abs=1e-5)
    assert fm.wilson_interval(5, 0) is None
    with pytest.raises(FairnessInputError):
        fm.wilson_interval(1, 2, confidence=1.0)
