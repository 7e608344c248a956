"""Numeric helpers: drift statistics and fairness metrics computed as aggregates in DuckDB.

Every aggregate is SQL over a *named input relation* (a table or view in the connection), so
the same queries can run where the data lives; Python receives aggregates, not rows.
No YAML and no store layout here: callers pass a connection and relation names.
"""
