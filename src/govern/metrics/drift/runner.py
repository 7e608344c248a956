"""Run independent drift statements, side by side on parallel cursors when that is safe.

:class:`Runner` is a context manager: entering it may change one DuckDB setting (the perfect
hash table threshold, which is global to the database) and opens cursors; leaving it, however
it is left, closes the cursors and restores the setting's previous value.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from types import TracebackType
from typing import Any, TypeVar

import duckdb

from govern.metrics.drift import sql as q

__all__ = ["MAX_WORKERS", "Runner", "setting"]

_T = TypeVar("_T")
_R = TypeVar("_R")

#: At most this many statements run side by side (DuckDB's ``threads`` permitting).
MAX_WORKERS = 8

#: Grid bins are USMALLINT: a perfect hash table (an array indexed by the bin) aggregates them
#: a third faster than DuckDB's default hash table, from this threshold (bits) on.
_PERFECT_HT = ("perfect_ht_threshold", 16)


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> Any:
    rows = con.execute(sql, list(params) or None).fetchall()
    assert len(rows) == 1, sql
    return rows[0][0]


@contextmanager
def setting(con: duckdb.DuckDBPyConnection, name: str, value: Any) -> Iterator[None]:
    """``SET name = value`` on ``con`` for the ``with`` block, then the previous value again.

    ``name`` is one of our own setting names (an identifier, not data); the values are bound.
    """
    previous = _scalar(con, "SELECT current_setting(?)", [name])
    con.execute(f"SET {name} = ?", [value])
    try:
        yield
    finally:
        con.execute(f"SET {name} = ?", [previous])


class Runner:
    """Runs independent statements, on parallel cursors when they see the same relations.

    A cursor is a second connection to the same database: it sees tables and views of the
    catalog but neither TEMP objects nor registered data frames of ``con``, nor an open
    transaction's changes. So parallel runs need both relations to be non-temporary catalog
    objects, unique by name, no open transaction, and DuckDB allowed more than one thread.
    Use it as a context manager (``with Runner(con, relations) as runner:``).
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, relations: Sequence[str]) -> None:
        self.con = con
        self.workers = 1
        self._relations = tuple(relations)
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        # Unwound in reverse on exit: each setting restored, then its cursor closed.
        self._stack = ExitStack()

    def __enter__(self) -> Runner:
        with ExitStack() as stack:
            stack.enter_context(setting(self.con, *_PERFECT_HT))
            threads = int(_scalar(self.con, "SELECT current_setting('threads')"))
            if threads > 1 and self._shareable(stack):
                self.workers = min(threads, MAX_WORKERS)
            self._stack = stack.pop_all()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._cursors.clear()
        self._stack.close()

    def _add_cursor(self, stack: ExitStack) -> duckdb.DuckDBPyConnection:
        """A new cursor, closed on exit, with the same setting (settings are per connection)."""
        cursor = self.con.cursor()
        stack.callback(cursor.close)
        stack.enter_context(setting(cursor, *_PERFECT_HT))
        self._cursors.append(cursor)
        return cursor

    def _shareable(self, stack: ExitStack) -> bool:
        con = self.con
        # Each auto-committed statement has its own transaction; in an open one, the same.
        first = _scalar(con, "SELECT txid_current()")
        if _scalar(con, "SELECT txid_current()") == first:
            return False
        for relation in self._relations:
            row = con.execute(*q.relation_kinds_sql(relation)).fetchall()[0]
            if tuple(row) != (1, 1):
                return False
        cursor = con.cursor()
        try:
            for relation in self._relations:
                cursor.execute(q.describe_sql(relation).sql).fetchall()
        except duckdb.Error:  # the cursor does not see it alike: run on ``con`` only
            cursor.close()
            return False
        cursor.close()
        self._add_cursor(stack)
        return True

    def map(
        self, fn: Callable[[duckdb.DuckDBPyConnection, _T], _R], items: Sequence[_T]
    ) -> list[_R]:
        """``[fn(connection, item) for item in items]``, items spread over the connections.

        An exception in any of them stops the others from starting new items and is raised
        here, in the calling thread.
        """
        n = min(self.workers, len(items))
        if n <= 1:
            return [fn(self.con, item) for item in items]
        while len(self._cursors) < n - 1:
            self._add_cursor(self._stack)
        results: list[Any] = [None] * len(items)
        errors: list[BaseException] = []
        queue = iter(range(len(items)))
        lock = threading.Lock()

        def work(connection: duckdb.DuckDBPyConnection) -> None:
            while not errors:
                with lock:
                    i = next(queue, None)
                if i is None:
                    return
                try:
                    results[i] = fn(connection, items[i])
                except BaseException as e:  # re-raised in the calling thread
                    errors.append(e)
                    return

        threads = [threading.Thread(target=work, args=(c,)) for c in self._cursors[: n - 1]]
        for t in threads:
            t.start()
        work(self.con)
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        return results
