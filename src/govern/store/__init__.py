"""The DuckDB store: one file, versioned schema, one transaction per ingest."""

from govern.store.store import Store, default_db_path

__all__ = ["Store", "default_db_path"]
