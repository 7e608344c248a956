"""`govern demo` runs the whole loop offline on the bundled exports and prediction logs."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from govern.checks.drift import ColumnDrift, TrendPoint
from govern.checks.fairness_evidence import (
    DisparityResult,
    ExcludedGroup,
    FairnessEvidence,
    GroupRates,
    Interval,
    MissingValues,
)
from govern.cli.main import app
from govern.demo import (
    DEMO_DIR,
    DEMO_GATES,
    MONITORED,
    MONITORING_POLICY,
    demo_inputs,
    demo_logs,
    demo_policies,
    drift_summaries,
    explain_summaries,
    fairness_summaries,
    log_options,
    review_rows,
)
from govern.metrics.fairness import GroupCounts, wilson_interval
from govern.models import Finding, Severity, Status
from govern.policy.loader import load
from govern.store import Store, ledger

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def demo(demo_run: tuple[Path, Any]) -> tuple[Path, Any]:
    return demo_run


@pytest.fixture(scope="module")
def checked(demo: tuple[Path, Any]) -> list[dict[str, Any]]:
    """`govern check --format json` of the monitored version on the demo store."""
    model, version = MONITORED
    args = ["--db", str(demo[0]), "check", "--policy", str(demo_policies())]
    args += ["--model", model, "--version", version, "--format", "json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output  # warnings only: the decision is pass
    findings: list[dict[str, Any]] = json.loads(result.stdout)["findings"]
    return findings


def test_demo_runs_end_to_end(demo: tuple[Path, Any]) -> None:
    db, result = demo
    assert "Model inventory" in result.stdout
    assert "credit-risk v2: PASS" in result.stderr
    assert "credit-risk v1: FAIL" in result.stderr
    assert "credit-risk v3: FAIL" in result.stderr
    assert "why: repro.lineage" in result.stderr
    assert "waived" in result.stdout  # credit-risk v1's lineage gap is waived
    with Store.open(db, read_only=True) as store:
        formats = {r["format"] for r in store.query("SELECT DISTINCT format FROM sources")}
        assert formats == {
            "mlflow-filestore",
            "mlflow-export-import",
            "sagemaker-model-package",
            "prediction-log",
        }
        gates = ledger.entries(store, kind="gate")
        assert [e.subject for e in gates] == [f"{m}@{v}" for m, v in DEMO_GATES]
        assert [e.decision for e in gates] == ["pass", "fail", "fail"]
        # the ingests, the monthly review, the waiver of credit-risk v1 (RISK-2041) and the
        # model and portfolio reports are recorded too
        kinds = [e.kind for e in ledger.entries(store)]
        assert {"ingest", "review", "waiver"} <= set(kinds) and kinds.count("report") == 2
        model_report, portfolio = ledger.entries(store, kind="report")
        assert (model_report.subject, portfolio.subject) == ("credit-risk@2", "portfolio")
        (use,) = ledger.entries(store, kind="waiver")
        assert use.subject == "credit-risk@1" and use.payload["waiver"]["ticket"] == "RISK-2041"
        assert ledger.verify(store) == ledger.entries(store)[-1]


def test_demo_writes_the_model_report(demo: tuple[Path, Any]) -> None:
    """HTML, JSON and a tagged PDF of credit-risk v2 in --out, their paths printed."""
    import json
    import subprocess

    db, result = demo
    out = db.parent / "reports"
    written = sorted(p.name for p in out.iterdir() if p.name.startswith("credit-risk-v2-20"))
    assert [n.split(".", 1)[1] for n in written] == ["html", "json", "pdf", "sigstore.json"]
    for name in written:
        assert str(out / name) in result.stderr
    data = json.loads(next(out.glob("credit-risk-v2-*.json")).read_text())
    assert data["schema"] == "govern.report/v1" and data["decision"] == "pass"
    pdf = next(out.glob("credit-risk-v2-*.pdf"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    assert "credit-risk" in text.stdout and "PASS" in text.stdout
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert "Tagged:          yes" in info.stdout


def test_demo_signs_the_report_and_the_gate_decisions(demo: tuple[Path, Any]) -> None:
    """The PDF certified, the report set and each gate decision attested; all verify."""
    import subprocess

    db, result = demo
    out = db.parent / "reports"
    keys = db.parent / "demo-keys"
    pdf = next(out.glob("credit-risk-v2-20*.pdf"))
    bundles = sorted(out.glob("*.sigstore.json"))
    gates = [f"{m}-v{v}-gate.sigstore.json" for m, v in DEMO_GATES]
    assert sorted(b.name for b in bundles) == sorted([*gates, pdf.stem + ".sigstore.json"])
    assert "all 15 checks hold" in result.stdout
    sig = subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True, check=True)
    assert "Signature Validation: Signature is Valid." in sig.stdout
    assert "Total document signed" in sig.stdout
    verify = CliRunner().invoke(
        app,
        [
            *("--db", str(db), "verify", str(pdf), *map(str, bundles)),
            *("--key", str(keys / "key.pub.pem"), "--trust", str(keys / "cert.pem")),
        ],
    )
    assert verify.exit_code == 0, verify.output
    # a decision's bundle of one version does not pass for another: the v1 summary FAILED
    v1 = json.loads((out / gates[1]).read_text())
    assert v1["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
    assert "FAILED" in result.stdout and "PASSED" in result.stdout


def test_demo_writes_the_portfolio_report(demo: tuple[Path, Any]) -> None:
    """The portfolio (HTML, JSON, tagged PDF) beside the model report, its links resolved."""
    import json
    import re
    import subprocess

    db, result = demo
    out = db.parent / "reports"
    written = sorted(p.name for p in out.iterdir() if p.name.startswith("portfolio-"))
    assert [Path(n).suffix for n in written] == [".html", ".json", ".pdf"], written
    for name in written:
        assert str(out / name) in result.stderr
    data = json.loads(next(out.glob("portfolio-*.json")).read_text())
    assert data["schema"] == "govern.portfolio/v1"
    assert data["decisions"]["fail"] == 2 and data["decisions"]["pass"] == 1
    html = next(out.glob("portfolio-*.html")).read_text()
    links = re.findall(r'<a href="([^"#]+)"', html)
    assert len(links) == 3 and all((out / link).is_file() for link in links), links
    pdf = next(out.glob("portfolio-*.pdf"))
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert "Tagged:          yes" in info.stdout


def test_demo_starts_from_a_fresh_store(demo: tuple[Path, Any]) -> None:
    """The shared run began on an earlier store and a stale write-ahead log (``demo_run``):
    it replaced both (a file not govern's would be refused) and wrote its own ledger."""
    db, _ = demo
    assert not db.with_name("demo.duckdb.wal").exists()
    with Store.open(db, read_only=True) as store:
        assert len(ledger.entries(store, kind="gate")) == len(DEMO_GATES)


def test_demo_ingests_the_logs_with_the_policy_mapping(demo: tuple[Path, Any]) -> None:
    db, result = demo
    assert "3. ingest the prediction logs of credit-risk v2" in result.stderr
    with Store.open(db, read_only=True) as store:
        rows = store.query(
            "SELECT role, count(*) AS logs, sum(rows) AS n FROM prediction_logs GROUP BY role"
        )
    by_role = {r["role"]: (r["logs"], r["n"]) for r in rows}
    assert by_role["reference"] == (1, 592)
    assert by_role["current"][0] == 6 and 50_000 <= by_role["current"][1] <= 200_000
    # months without ground truth yet are said so
    assert "without ground truth yet" in result.stderr


def test_demo_shows_drift_with_the_month_it_began(
    demo: tuple[Path, Any], checked: list[dict[str, Any]]
) -> None:
    _, result = demo
    assert "4. production monitoring of credit-risk v2" in result.stderr
    table = result.stdout
    assert "drift.psi: psi per column" in table
    appinc = next(line for line in table.splitlines() if line.startswith("│ appinc "))
    assert "2026-09" in appinc and "fail" in appinc
    assert "0.300*" in appinc  # September's PSI, first drifted month
    hrat = next(line for line in table.splitlines() if line.startswith("│ hrat "))
    assert "pass" in hrat and "*" not in hrat
    findings = checked
    drift = {f["subject"]: f for f in findings if f["rule"] == "drift.psi" and f.get("subject")}
    assert drift["appinc"]["status"] == "fail" and drift["appinc"]["value"] > 0.2
    assert "drifted since 2026-09-01" in drift["appinc"]["message"]
    trend = drift["appinc"]["evidence"]["trend"]
    assert [p["start"][:7] for p in trend] == [f"2026-{m:02d}" for m in range(6, 12)]
    assert [p["drifted"] for p in trend] == [False, False, False, True, True, True]
    assert drift["loanamt"]["status"] == "fail"  # income and loan amount move together
    assert drift["score"]["status"] == "pass"
    assert all(drift[c]["status"] == "pass" for c in ("hrat", "obrat", "gdlin", "chist"))
    share = drift["share_drifted"]
    assert share["status"] == "pass" and share["value"] == pytest.approx(2 / 13)


def test_demo_shows_fairness_per_group_with_intervals(
    demo: tuple[Path, Any], checked: list[dict[str, Any]]
) -> None:
    _, result = demo
    assert "fairness per group" in result.stdout
    assert "black×female" in result.stdout
    findings = checked
    fair = {(f["rule"], f["sensitive_feature"]): f for f in findings if f["check"] == "fairness"}
    assert set(fair) == {
        ("fairness.four-fifths", "race"),
        ("fairness.dp-sex", "sex"),
        ("fairness.equalized-odds", "race"),
        ("fairness.equalized-odds", "sex"),
        ("fairness.equalized-odds", "race×sex"),
    }
    four_fifths = fair[("fairness.four-fifths", "race")]
    assert four_fifths["status"] == "fail" and four_fifths["severity"] == "warn"
    assert 0.7 < four_fifths["value"] < 0.8
    low, high = four_fifths["ci"]
    assert low <= four_fifths["value"] <= high < 0.8
    assert {g["group"] for g in four_fifths["groups"]} == {"white", "black", "hispanic"}
    dp = fair[("fairness.dp-sex", "sex")]
    assert dp["status"] == "pass" and dp["severity"] == "block" and dp["value"] < 0.1
    assert dp["ci"][0] <= dp["value"] <= dp["ci"][1]
    assert fair[("fairness.equalized-odds", "sex")]["status"] == "pass"
    assert fair[("fairness.equalized-odds", "race")]["status"] == "fail"


def test_demo_gates_on_production_performance_and_recommends_retraining(
    demo: tuple[Path, Any],
) -> None:
    """AUC per month with November waiting for labels; ECE judged; retrain names appinc."""
    path, result = demo
    table = result.stdout
    assert "production performance on labelled records, by month" in table
    auc_line = next(line for line in table.splitlines() if "perf.production-auc" in line)
    assert "0.764" in auc_line and "0.726~" in auc_line  # October judged, November not
    assert "23%" in auc_line and "not evaluated (warn)" in auc_line
    assert "min 0.75, baseline min" in auc_line  # 0.731: the run's AUC 0.781 - max_drop 0.05
    lines = table.splitlines()
    assert "0.731" in lines[lines.index(auc_line) + 1]  # the bound wraps onto the next line
    ece_line = next(line for line in table.splitlines() if "perf.calibration" in line)
    assert "ECE" in ece_line and "0.019" in ece_line and "pass (warn)" in ece_line
    model, version = MONITORED
    args = ["--db", str(path), "check", "--policy", str(demo_policies())]
    args += ["--model", model, "--version", version, "--format", "json"]
    checked = CliRunner().invoke(app, args)
    assert checked.exit_code == 0, checked.output
    data = json.loads(checked.stdout)
    perf = {f["rule"]: f for f in data["findings"] if f["check"] == "performance"}
    auc = perf["perf.production-auc"]
    assert auc["status"] == "not_evaluated" and auc["severity"] == "warn"
    assert "2206 of 9548 records (23.1%) are labelled" in auc["message"]
    assert auc["evidence"]["baseline"]["source"] == "registry_metric"
    assert auc["threshold"]["min"] == 0.75
    assert [p["met"] for p in auc["evidence"]["trend"]] == [True] * 5 + [None]
    ece = perf["perf.calibration"]
    assert ece["status"] == "pass" and ece["value"] == pytest.approx(0.0192, abs=1e-4)
    assert len(ece["evidence"]["calibration"]) == 10
    retrain = data["retrain"]
    assert retrain["recommended"] is True
    assert "credit-production/drift.psi" in retrain["rules"]
    assert "credit-production/perf.production-auc" in retrain["rules"]
    drifted = {t["subject"] for t in retrain["triggers"] if t["rule"] == "drift.psi"}
    assert "appinc" in drifted


def test_demo_explains_the_model_behind_the_logs(demo: tuple[Path, Any]) -> None:
    """SHAP on credit-risk v2's own artefact: shares, drift after the income shift, proxies."""
    path, result = demo
    table = result.stdout
    assert "explain.attributions: share of the importance" in table
    assert "linear (log-odds)" in table
    lines = table.splitlines()
    start = next(i for i, line in enumerate(lines) if "explain.attributions: share" in line)
    gdlin = next(line for line in lines[start:] if line.startswith("│ gdlin"))
    # the top feature: its share on the validation set, in production, drift, then by group
    # (black, hispanic, white, female, male): credit history weighs most for black applicants
    assert gdlin.split("│")[2:6] == ["      0.236 ", "      0.236 ", " 0.000 ", " 0.372 "]
    assert "max_attribution_drift: pass: largest attribution drift 0.0125 (unem" in table
    assert "max_share: pass: gdlin holds 23.6% of the importance" in table
    assert "proxy_screen: pass" in table and "(strongest 0.253)" in table
    model, version = MONITORED
    args = ["--db", str(path), "check", "--policy", str(demo_policies())]
    args += ["--model", model, "--version", version, "--format", "json"]
    checked = CliRunner().invoke(app, args)
    found = {
        f["subject"]: f
        for f in json.loads(checked.stdout)["findings"]
        if f["check"] == "explainability"
    }
    assert set(found) == {"max_attribution_drift", "max_share", "proxy_screen"}
    evidence = found["max_share"]["evidence"]
    assert evidence["explainer"] == "linear (log-odds)" and evidence["seed"] == 20261201
    assert set(evidence["by_group"]) == {"race", "sex"}
    assert evidence["rows"] == {"current": 2003, "reference": 592}  # the reference: every row
    assert {f["status"] for f in found.values()} == {"pass"}


def test_demo_gate_passes_with_warnings_and_says_why(demo: tuple[Path, Any]) -> None:
    _, result = demo
    err = result.stderr
    v2 = err[err.index("credit-risk v2: PASS") : err.index("== 7.")]
    assert "monitoring finding(s) fail" in v2
    assert "warn: fairness.four-fifths: race: impact_ratio" in v2
    assert "warn: drift.psi: appinc: drifted" in v2
    assert "Simulated: timestamps, volume" in err


def test_demo_runs_a_monthly_fairness_review(demo: tuple[Path, Any]) -> None:
    db, result = demo
    assert "5. monthly fairness review of credit-risk v2" in result.stderr
    assert "regression(s) against the previous month" in result.stderr
    lines = result.stdout.splitlines()
    header = next(line for line in lines if "2026-06" in line and "metric" in line)
    assert all(f"2026-{m:02d}" in header for m in range(6, 12))
    impact = next(line for line in lines if line.startswith("│ race ") and "impact ratio" in line)
    assert impact.count("✗") == 6  # below the four-fifths bound in every month
    sex = next(line for line in lines if line.startswith("│ sex ") and "DP diff" in line)
    assert "✗" not in sex
    # production AUC beside the disparities; November, waiting for labels, has no value
    auc = [line for line in lines if line.startswith("│ perf.production-auc")]
    assert any("0.764" in line and "0.726" not in line and "—" in line for line in auc)
    with Store.open(db, read_only=True) as store:
        assert store.query("SELECT count(*) AS n FROM reviews")[0]["n"] == 1


def test_review_rows_mark_bounds_and_regressions() -> None:
    from datetime import datetime

    from govern.review.model import BoundCheck, DisparityValue, FeatureReview, ReviewWindow

    def window(label: str, value: float, met: bool, regression: bool) -> ReviewWindow:
        disparity = DisparityValue(
            "impact_ratio",
            "ratio",
            "evaluated",
            None,
            value=value,
            bounds=(BoundCheck("r", 0.8, None, met),),
            regression=regression,
        )
        feature = FeatureReview("sex", ("sex",), (), (), (), 0, 0, "evaluated", None, (disparity,))
        month = datetime(2026, int(label[-2:]), 1)
        return ReviewWindow(
            label, month, month, False, 1, 0, 0, 1, 0, 0, "evaluated", None, (feature,)
        )

    labels, rows = review_rows(
        [window("2026-01", 0.9, True, False), window("2026-02", 0.7, False, True)]
    )
    assert labels == ("2026-01", "2026-02")
    [row] = rows  # metrics without any value are left out
    assert (row.feature, row.metric) == ("sex", "impact_ratio")
    assert [(c.value, c.out_of_bounds, c.regression) for c in row.cells] == [
        (0.9, False, False),
        (0.7, True, True),
    ]


def test_demo_data_is_bundled() -> None:
    names = {p.name for p in demo_inputs()}
    assert "mlflow3-filestore" in names
    assert (demo_policies() / "credit-risk.yaml").is_file()
    # one model binary: credit-risk v2's, the model that scored the logs (make_demo_model.py)
    models = [p for p in demo_inputs()[0].parent.rglob("*") if p.suffix == ".skops"]
    assert [p.parent.parent.name for p in models] == ["m-0c8d87e0563e48ab8d8e7c2fe5ef0469"]
    logs = demo_logs()
    assert logs["reference"].is_file() and logs["current"].is_dir()
    files = sorted((DEMO_DIR / "logs").rglob("*.parquet"))
    assert sum(p.stat().st_size for p in files) < 5 * 1024 * 1024
    provenance = json.loads((DEMO_DIR / "logs" / "provenance.json").read_text())
    assert provenance["sha256"] == {
        str(p.relative_to(DEMO_DIR / "logs")): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in files
    }


def test_log_options_follow_the_policy_data_mapping() -> None:
    policy = next(p for p in load([demo_policies()]).policies if p.id == MONITORING_POLICY)
    options = log_options(policy.data, model="credit-risk", role="current")
    assert options == {
        "model": "credit-risk",
        "version": None,
        "role": "current",
        "timestamp": "ts",
        "prediction": "approved",
        "score": "score",
        "label": "lender_approved",
        "id": None,
        "model_version": "model_version",
        "sensitive": ["race", "sex"],
        "features": [],
    }
    named = log_options({"features": ["a", "b"]}, model="m", role="reference")
    assert named["features"] == ["a", "b"] and named["sensitive"] == []


def _finding(**kw: Any) -> Finding:
    base: dict[str, Any] = {
        "rule": "drift.psi",
        "check": "drift",
        "severity": Severity.warn,
        "status": Status.passed,
        "model": "m",
        "version": "1",
        "message": "",
    }
    return Finding(**(base | kw))


def _drift(trend: tuple[TrendPoint, ...], window: str) -> ColumnDrift:
    return ColumnDrift(
        column="c",
        kind="numeric",
        method="psi",
        direction="distance",
        threshold=0.2,
        statistic=0.4,
        p_value=None,
        reference_n=100,
        current_n=100,
        reference_missing_share=0.0,
        current_missing_share=0.0,
        window=window,
        details={},
        trend=trend,
    )


def test_drift_summaries_find_the_run_of_drifted_months() -> None:
    def point(month: int, value: float, drifted: bool) -> TrendPoint:
        return TrendPoint(f"[2026-{month:02d}]", date(2026, month, 1), value, None, drifted, 10)

    trend = (point(6, 0.3, True), point(7, 0.1, False), point(8, 0.3, True), point(9, 0.4, True))
    rows = drift_summaries(
        [
            _finding(
                subject="x",
                status=Status.failed,
                metric="psi",
                value=0.4,
                threshold={"max": 0.2},
                evidence=_drift(trend, "w"),
            ),
            _finding(
                subject="y",
                metric="psi",
                value=0.1,
                threshold={"max": 0.2},
                evidence=_drift(trend[:2], "w"),
            ),
            _finding(rule="other", check="fairness"),
        ]
    )
    assert len(rows) == 1
    summary = rows[0]
    assert summary.periods == ("2026-06", "2026-07", "2026-08", "2026-09")
    assert [r.column for r in summary.rows] == ["x", "y"]  # failing first
    assert summary.rows[0].since == "2026-08"  # the run that reaches the latest month
    assert summary.rows[1].since is None
    assert summary.rows[0].threshold == 0.2
    assert summary.window == "w"


def _group(name: str, n: int, selected: int, impact_ratio: float) -> GroupRates:
    counts = GroupCounts(("sex",), (name,), n, 0, 0, 0, 0, 0, selected, None, 0)
    return GroupRates(name, counts, impact_ratio)


def test_fairness_summaries_read_the_typed_evidence() -> None:
    interval = Interval(0.6, 0.95, 0.95)
    evidence = FairnessEvidence(
        sensitive_feature="sex",
        groups=(_group("a", 100, 50, 1.0), _group("b", 50, 20, 0.8)),
        excluded=(ExcludedGroup("c", 3),),
        missing=MissingValues(0, "exclude"),
        window="all",
        disparity=DisparityResult("impact_ratio", 0.8, interval, "ci"),
    )
    [summary] = fairness_summaries(
        [
            _finding(
                rule="f",
                check="fairness",
                status=Status.failed,
                subject="sex",
                metric="impact_ratio",
                value=0.8,
                threshold={"min": 0.9},
                evidence=evidence,
            )
        ]
    )
    assert summary.ci == interval and summary.excluded == ("c",)
    a, b = summary.groups
    assert a.impact_ratio == 1.0 and b.impact_ratio == pytest.approx(0.8)
    assert (a.selection_rate, b.selection_rate) == (0.5, 0.4)
    # Wilson (1927) score interval of 50/100 at 95 %: 0.5 ± 0.0962
    assert a.selection_interval() == pytest.approx((0.40383, 0.59617), abs=1e-5)
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.27753), abs=1e-5)
    assert wilson_interval(5, 0) is None


def test_explain_summaries_rank_features_and_share_within_groups() -> None:
    from govern.checks.explainability import ExplainabilityEvidence

    evidence = ExplainabilityEvidence(
        importance={"a": 3.0, "b": 1.0, "c": 0.0},
        share={"a": 0.75, "b": 0.25, "c": 0.0},
        by_group={"sex": {"f": {"a": 1.0, "b": 3.0, "c": 0.0}, "m": {"a": 2.0, "b": 0.0}}},
        attribution_drift={"a": 0.05, "b": 0.05, "c": 0.0},
        rows={"current": 40, "reference": 30},
        sample_size=50,
        seed=1,
        explainer="tree",
        model_digest="0" * 64,
        reference_share={"a": 0.7, "b": 0.3, "c": 0.0},
    )
    found = [
        _finding(rule="x", check="explainability", subject="max_share", evidence=evidence),
        _finding(
            rule="x",
            check="explainability",
            subject="proxy_screen",
            status=Status.failed,
            message="b proxies sex",
            evidence=evidence,
        ),
    ]
    [summary] = explain_summaries(found, top=2)
    assert [f.feature for f in summary.features] == ["a", "b"]
    a, b = summary.features
    assert (a.reference_share, a.share, a.drift) == (0.7, 0.75, 0.05)
    assert dict(((c, g), v) for c, g, v in b.groups) == {("sex", "f"): 0.75, ("sex", "m"): 0.0}
    assert summary.rows == 40 and summary.explainer == "tree"
    assert summary.verdicts[1] == ("proxy_screen", Status.failed, "b proxies sex")
    # a rule whose model could not be loaded: verdicts only
    [bare] = explain_summaries([_finding(rule="y", check="explainability", subject="max_share")])
    assert bare.features == () and bare.verdicts[0][0] == "max_share"
