"""SQL text for DuckDB: the one place identifiers and literals are quoted.

Values are always bound as parameters (``?``); only names (columns, tables, views) and the
file paths of DuckDB's readers are written into SQL text, through these functions. Nothing
here imports another part of govern, so every layer may use it.
"""

from __future__ import annotations


def quote(identifier: str) -> str:
    """Quote a column, table or view name for DuckDB SQL (``"a""b"`` for ``a"b``)."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A SQL string literal (``'it''s'``), for the few places DuckDB takes no parameter."""
    return "'" + text.replace("'", "''") + "'"


#: DuckDB's integer and floating-point type names (``DESCRIBE`` spells them so).
INTEGER_TYPES = (
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
    "UBIGINT", "UHUGEINT",
)  # fmt: skip
FLOAT_TYPES = ("FLOAT", "DOUBLE", "REAL")


def present_sql(column: str, sql_type: str | None = None) -> str:
    """SQL: ``column`` has a value (NULL and NaN mean "not known yet", e.g. a pending label).

    Given the column's type, the test is the cheapest that type allows: an integer or boolean
    is only NULL or not, a float may also be NaN; any other type (text) may hold "NaN".
    """
    c = quote(column)
    kind = (sql_type or "").upper()
    if kind in (*INTEGER_TYPES, "BOOLEAN"):
        return f"({c} IS NOT NULL)"
    if kind in FLOAT_TYPES:
        return f"({c} IS NOT NULL AND NOT isnan({c}))"
    return f"({c} IS NOT NULL AND NOT coalesce(isnan(TRY_CAST({c} AS DOUBLE)), false))"
