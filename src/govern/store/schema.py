"""The store schema, as an ordered list of forward migrations.

Migration ``n`` (1-based) brings a store from schema version ``n - 1`` to ``n``. A store is
migrated forward on open; a store written by a newer govern (higher version) is refused.
Never edit a released migration: append a new one.

All timestamps are ``TIMESTAMP`` in UTC. Model versions are ``VARCHAR``.
"""

from __future__ import annotations

import functools
import re

MIGRATIONS: tuple[str, ...] = (
    # 1: registry inventory
    """
    CREATE TABLE sources (
        sha256       VARCHAR PRIMARY KEY,
        path         VARCHAR NOT NULL,
        format       VARCHAR NOT NULL,
        family       VARCHAR NOT NULL,
        files        INTEGER NOT NULL,
        counts       JSON NOT NULL,
        ingested_at  TIMESTAMP NOT NULL
    );
    CREATE TABLE documents (
        sha256       VARCHAR PRIMARY KEY,
        source_sha   VARCHAR NOT NULL,
        path         VARCHAR NOT NULL,
        kind         VARCHAR NOT NULL,
        content      VARCHAR NOT NULL
    );
    CREATE TABLE experiments (
        experiment_id     VARCHAR PRIMARY KEY,
        name              VARCHAR,
        artifact_location VARCHAR,
        lifecycle_stage   VARCHAR,
        created_at        TIMESTAMP,
        updated_at        TIMESTAMP,
        source_sha        VARCHAR NOT NULL
    );
    CREATE TABLE experiment_tags (
        experiment_id VARCHAR NOT NULL,
        key           VARCHAR NOT NULL,
        value         VARCHAR,
        PRIMARY KEY (experiment_id, key)
    );
    CREATE TABLE registered_models (
        name         VARCHAR PRIMARY KEY,
        registry     VARCHAR NOT NULL,
        description  VARCHAR,
        created_at   TIMESTAMP,
        updated_at   TIMESTAMP,
        user_id      VARCHAR,
        source_sha   VARCHAR NOT NULL
    );
    CREATE TABLE model_tags (
        model_name VARCHAR NOT NULL,
        key        VARCHAR NOT NULL,
        value      VARCHAR,
        PRIMARY KEY (model_name, key)
    );
    CREATE TABLE model_aliases (
        model_name VARCHAR NOT NULL,
        alias      VARCHAR NOT NULL,
        version    VARCHAR NOT NULL,
        PRIMARY KEY (model_name, alias)
    );
    CREATE TABLE model_versions (
        model_name      VARCHAR NOT NULL,
        version         VARCHAR NOT NULL,
        stage           VARCHAR,
        status          VARCHAR,
        status_message  VARCHAR,
        description     VARCHAR,
        source          VARCHAR,
        run_id          VARCHAR,
        run_link        VARCHAR,
        user_id         VARCHAR,
        created_at      TIMESTAMP,
        updated_at      TIMESTAMP,
        model_id        VARCHAR,
        git_commit      VARCHAR,
        code_repository VARCHAR,
        approval_status VARCHAR,
        export_error    VARCHAR,
        source_sha      VARCHAR NOT NULL,
        PRIMARY KEY (model_name, version)
    );
    CREATE TABLE version_tags (
        model_name VARCHAR NOT NULL,
        version    VARCHAR NOT NULL,
        key        VARCHAR NOT NULL,
        value      VARCHAR,
        PRIMARY KEY (model_name, version, key)
    );
    CREATE TABLE runs (
        run_id          VARCHAR PRIMARY KEY,
        experiment_id   VARCHAR,
        run_name        VARCHAR,
        status          VARCHAR,
        user_id         VARCHAR,
        start_time      TIMESTAMP,
        end_time        TIMESTAMP,
        artifact_uri    VARCHAR,
        lifecycle_stage VARCHAR,
        source_name     VARCHAR,
        source_type     VARCHAR,
        git_commit      VARCHAR,
        source_sha      VARCHAR NOT NULL
    );
    CREATE TABLE run_params (
        run_id VARCHAR NOT NULL,
        key    VARCHAR NOT NULL,
        value  VARCHAR,
        PRIMARY KEY (run_id, key)
    );
    CREATE TABLE run_tags (
        run_id VARCHAR NOT NULL,
        key    VARCHAR NOT NULL,
        value  VARCHAR,
        PRIMARY KEY (run_id, key)
    );
    CREATE TABLE run_metrics (
        run_id    VARCHAR NOT NULL,
        key       VARCHAR NOT NULL,
        value     DOUBLE,
        timestamp TIMESTAMP,
        step      BIGINT NOT NULL
    );
    CREATE TABLE run_datasets (
        run_id      VARCHAR NOT NULL,
        name        VARCHAR NOT NULL,
        digest      VARCHAR,
        context     VARCHAR,
        source_type VARCHAR,
        source      VARCHAR,
        source_uri  VARCHAR,
        schema      VARCHAR,
        profile     VARCHAR
    );
    CREATE TABLE logged_models (
        model_id      VARCHAR PRIMARY KEY,
        name          VARCHAR,
        experiment_id VARCHAR,
        source_run_id VARCHAR,
        artifact_uri  VARCHAR,
        status        VARCHAR,
        created_at    TIMESTAMP,
        source_sha    VARCHAR NOT NULL
    );
    CREATE TABLE logged_model_tags (
        model_id VARCHAR NOT NULL,
        key      VARCHAR NOT NULL,
        value    VARCHAR,
        PRIMARY KEY (model_id, key)
    );
    CREATE TABLE artifacts (
        run_id  VARCHAR NOT NULL,
        path    VARCHAR NOT NULL,
        kind    VARCHAR NOT NULL,
        sha256  VARCHAR NOT NULL,
        flavors VARCHAR[],
        detail  VARCHAR,
        PRIMARY KEY (run_id, path)
    );
    """,
    # 2: the append-only, hash-chained evidence ledger
    """
    CREATE TABLE ledger (
        seq       BIGINT PRIMARY KEY,
        recorded_at TIMESTAMP NOT NULL,
        actor     VARCHAR NOT NULL,
        kind      VARCHAR NOT NULL,
        subject   VARCHAR NOT NULL,
        decision  VARCHAR NOT NULL,
        payload   JSON NOT NULL,
        prev_hash VARCHAR NOT NULL,
        hash      VARCHAR NOT NULL UNIQUE
    );
    """,
    # 3: prediction logs (each log's rows in its own table predlog_<sha>) and ground truth
    """
    CREATE TABLE prediction_logs (
        table_name  VARCHAR PRIMARY KEY,
        source_sha  VARCHAR NOT NULL,
        path        VARCHAR NOT NULL,
        format      VARCHAR NOT NULL,
        model       VARCHAR NOT NULL,
        version     VARCHAR,
        role        VARCHAR NOT NULL,
        mapping     JSON NOT NULL,
        sensitive   VARCHAR[] NOT NULL,
        features    VARCHAR[] NOT NULL,
        columns     JSON NOT NULL,
        rows        BIGINT NOT NULL,
        ts_min      TIMESTAMP,
        ts_max      TIMESTAMP,
        null_counts JSON NOT NULL
    );
    CREATE TABLE ground_truth (
        model      VARCHAR NOT NULL,
        event_id   VARCHAR NOT NULL,
        label      DOUBLE,
        source_sha VARCHAR NOT NULL
    );
    """,
    # 4: monitoring exports (Evidently, SageMaker Model Monitor, Clarify) in one schema
    """
    CREATE TABLE monitoring_reports (
        report_id       VARCHAR PRIMARY KEY,
        source_sha      VARCHAR NOT NULL,
        tool            VARCHAR NOT NULL,
        tool_version    VARCHAR,
        kind            VARCHAR NOT NULL,
        generated_at    TIMESTAMP,
        generated_at_tz VARCHAR,
        model           VARCHAR,
        version         VARCHAR,
        dataset_summary JSON NOT NULL
    );
    CREATE TABLE monitoring_results (
        report_id  VARCHAR NOT NULL,
        seq        INTEGER NOT NULL,
        subject    VARCHAR NOT NULL,
        metric     VARCHAR NOT NULL,
        value      DOUBLE,
        threshold  DOUBLE,
        direction  VARCHAR,
        drifted    BOOLEAN,
        passed     BOOLEAN,
        detail     JSON NOT NULL,
        PRIMARY KEY (report_id, seq)
    );
    """,
    # 5: periodic fairness reviews (govern review), each result kept to compare the next against
    """
    CREATE TABLE reviews (
        id          BIGINT PRIMARY KEY,
        model       VARCHAR NOT NULL,
        version     VARCHAR,
        period      VARCHAR NOT NULL,
        created_at  TIMESTAMP NOT NULL,
        params      JSON NOT NULL,
        result      JSON NOT NULL,
        result_sha256 VARCHAR NOT NULL
    );
    """,
    # 6: the mark of a govern store: govern opens only DuckDB files that carry it (or stores of
    # earlier versions, recognised by schema_version and sources, which get it here)
    """
    CREATE TABLE govern_meta (
        key   VARCHAR PRIMARY KEY,
        value VARCHAR NOT NULL
    );
    INSERT INTO govern_meta VALUES ('application', 'govern');
    COMMENT ON TABLE govern_meta IS 'This DuckDB file is a govern store (ML governance evidence).';
    """,
    # 7: SHAP explanations of a model version (check: explainability), reproducible from the
    # model digest, the seed and the sample size
    """
    CREATE TABLE explanations (
        id           VARCHAR PRIMARY KEY,
        model        VARCHAR NOT NULL,
        version      VARCHAR NOT NULL,
        model_digest VARCHAR NOT NULL,
        explainer    VARCHAR NOT NULL,
        seed         BIGINT NOT NULL,
        sample_size  BIGINT NOT NULL,
        computed_at  TIMESTAMP NOT NULL,
        result       JSON NOT NULL
    );
    """,
)

#: The schema version this govern writes.
SCHEMA_VERSION = len(MIGRATIONS)


_CREATE = re.compile(r"CREATE TABLE (\w+) \((.*?)\n\s*\);", re.S)
_CONSTRAINTS = ("PRIMARY KEY", "UNIQUE", "FOREIGN KEY", "CHECK", "CONSTRAINT")


@functools.cache
def expected_tables(version: int = SCHEMA_VERSION) -> dict[str, frozenset[str]]:
    """Every table of a store at schema ``version`` and its columns, read from the migrations.

    Parsed from the (never edited) migration text rather than run in DuckDB, so that checking
    a store on open costs nothing; a test compares it with what DuckDB makes of them.
    """
    out: dict[str, frozenset[str]] = {"schema_version": frozenset({"version", "applied_at"})}
    for migration in MIGRATIONS[:version]:
        for table, body in _CREATE.findall(migration):
            columns = []
            for line in body.splitlines():
                item = line.strip().rstrip(",")
                if item and not item.upper().startswith(_CONSTRAINTS):
                    columns.append(item.split()[0])
            out[table] = frozenset(columns)
    return out
