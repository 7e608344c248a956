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
