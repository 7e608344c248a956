"""govern: ML governance and audit reporting.

Ingest registry exports, prediction logs and monitoring reports into one DuckDB store,
check them against declarative policies, and render signed, verifiable audit reports.
"""

__version__ = "0.1.0"
