"""The DuckDB store: open (create, migrate), record sources, write batches atomically.

One file holds everything. Every ingest is one transaction: either every unit of the ingest
is written together with its ``sources`` row, or nothing is (a failure rolls back). A unit
whose SHA-256 is already in ``sources`` is skipped, which makes re-ingesting the same bytes
a no-op. Re-ingesting a newer export of the same entities updates them: a value the new
source leaves empty never erases a value an earlier source gave.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govern.errors import StoreError
from govern.records.registry import Batch
from govern.store import writers
from govern.store.schema import MIGRATIONS, SCHEMA_VERSION, expected_tables
from govern.store.writers import utc_naive

if TYPE_CHECKING:
    import duckdb

ENV_DB = "GOVERN_DB"
DEFAULT_DB = Path(".govern") / "govern.duckdb"


#: Transactions this process committed to a store, and commits cut short by an interrupt: an
#: interrupted command can then say truthfully whether anything was written.
_WRITES = {"committed": 0, "uncertain": 0}


def writes() -> tuple[int, int]:
    """(committed, uncertain) store transactions of this process so far."""
    return _WRITES["committed"], _WRITES["uncertain"]


def default_db_path() -> Path:
    """Return the store path: ``$GOVERN_DB`` if set, else ``.govern/govern.duckdb``."""
    env = os.environ.get(ENV_DB)
    return Path(env) if env else DEFAULT_DB


def _exists(path: Path) -> bool:
    """True when ``path`` names something (a dangling symlink too); an empty file does not count.

    An empty regular file is where a user asked a new store to go (``mktemp``).
    """
    if not os.path.lexists(path):
        return False
    try:
        return path.is_symlink() or not (path.is_file() and path.stat().st_size == 0)
    except OSError:
        return True


def _check_file(path: Path) -> None:
    """Refuse what cannot be a govern store before DuckDB opens it."""
    try:
        if not path.is_file():
            what = "a folder" if path.is_dir() else "not a regular file"
            raise StoreError(
                f"{path} is {what}, not a govern store.",
                hint="Point --db at a govern store file (e.g. .govern/govern.duckdb).",
            )
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise StoreError(
            f"cannot read the govern store {path}: {exc.strerror or exc}.",
            hint="Check the --db path and its permissions.",
        ) from exc
    if head.startswith(_SQLITE_MAGIC):
        raise StoreError(
            f"{path} is a SQLite database, not a govern store.",
            hint=f"To load an MLflow SQL store, run `govern ingest {path}`; --db names govern's "
            "own DuckDB file.",
        )
    if head[8:12] != _DUCKDB_MAGIC:
        raise StoreError(
            f"{path} is not a govern store (not a DuckDB database file).",
            hint="Point --db at a govern store, or at a new file for `govern ingest` to create.",
        )


def _remove(path: Path | None, folders: Sequence[Path]) -> None:
    """Best-effort removal of a store file (and its WAL) and folders this process made."""
    if path is not None:
        for leftover in (path, path.with_name(path.name + ".wal")):
            with suppress(OSError):
                leftover.unlink()
    for folder in folders:  # deepest first
        try:
            folder.rmdir()
        except OSError:
            break


def _is_write_failure(exc: BaseException) -> bool:
    message = str(exc).lower()
    return any(marker in message for marker in _WRITE_FAILURES)


@dataclass(frozen=True)
class SourceRecord:
    """One ingested unit: a file or folder, its detected format and the hash of its bytes."""

    sha256: str
    path: str
    format: str
    family: str
    files: int


#: DuckDB settings of every connection govern makes: never load or install an extension (no
#: network, no code from outside the wheel). Without them, DuckDB fetches ``sqlite_scanner`` on
#: its own when asked to open a SQLite file.
CONNECTION_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
}

#: The ``govern_meta`` row that marks a DuckDB file as a govern store (migration 6).
MARK_KEY = "application"
MARK_VALUE = "govern"

_DUCKDB_MAGIC = b"DUCK"  # bytes 8..12 of every DuckDB database file
_SQLITE_MAGIC = b"SQLite format 3\x00"
_HEADER_BYTES = 3 * 4096  # DuckDB's main header and its two database headers
_NO_STORE_HINT = "Load exports first with `govern ingest PATH` (it creates the store), or fix --db."
_DAMAGED_HINT = (
    "Restore the file from a backup, or build a new store: run `govern ingest` on your exports "
    "with a new --db."
)
_WRITE_FAILURES = (
    "no space left",
    "file too large",
    "disk quota",
    "read-only file system",
    "could not write",
    "could not fsync",
    "could not truncate",
)


def connect(database: str = ":memory:", *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB connection with govern's settings (:data:`CONNECTION_CONFIG`).

    Every connection govern makes goes through here, the in-memory ones of the ingest
    adapters too: extension autoload and autoinstall are off.
    """
    import duckdb  # imported here so `govern --help` stays fast

    return duckdb.connect(database, read_only=read_only, config=dict(CONNECTION_CONFIG))


def delete_store(path: Path) -> None:
    """Delete the govern store at ``path`` and its WAL (``govern demo`` starts afresh).

    Raises :class:`StoreError`, deleting nothing, when ``path`` is a file that is not a govern
    store (another application's database, a SQLite file, a folder).
    """
    if _exists(path):
        _check_file(path)
        with Store._connect(path, read_only=True) as probe:
            probe._identify(any_version=True)
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class Store:
    """A govern store on disk. Use :meth:`open`; close with :meth:`close` or ``with``."""

    def __init__(self, path: Path, connection: duckdb.DuckDBPyConnection) -> None:
        self.path = path
        self.con = connection
        #: what :meth:`open` made for a new store (its file, new folders deepest first), removed
        #: again when the ``with`` block that created it fails: a failed first ingest leaves
        #: no store behind
        self.created: tuple[Path | None, tuple[Path, ...]] | None = None
        #: True inside :meth:`transaction` (a nested block joins the open transaction)
        self._in_transaction = False

    @classmethod
    def open(
        cls, path: Path | None = None, *, read_only: bool = False, create: bool = True
    ) -> Store:
        """Open the govern store at ``path`` (default :func:`default_db_path`).

        Only a file govern made is opened: one marked in ``govern_meta``, or a store of an
        earlier govern (``schema_version`` and ``sources`` tables), which is migrated forward
        (a read-only open of an older store migrates it first when the file is writable).
        Anything else, another application's DuckDB file, a SQLite file, a folder, a damaged
        store, raises :class:`StoreError` before anything is written to it.

        A missing file is created (with its folder) only when ``create`` is true and
        ``read_only`` false: the commands that load data (``ingest``, ``demo``) create a store;
        every other command raises :class:`StoreError` naming the path.
        """
        path = Path(path) if path is not None else default_db_path()
        if not _exists(path):
            if read_only or not create:
                raise StoreError(f"there is no govern store at {path}.", hint=_NO_STORE_HINT)
            return cls._create(path)
        _check_file(path)
        import duckdb

        writer = cls._open_for_writing(path) if not read_only else None
        probe = writer if writer is not None else cls._connect(path, read_only=True)
        try:
            tables = probe._tables()  # read once, for both questions
            current = probe._identify(tables=tables)
            probe._check_schema(current, tables)
        except duckdb.Error as exc:
            probe.close()
            raise StoreError(
                f"the store {path} is damaged: {_first_line(exc)}", hint=_DAMAGED_HINT
            ) from exc
        except BaseException:
            probe.close()
            raise
        if writer is not None:
            try:
                writer._migrate(read_only=False, current=current)
            except BaseException:
                writer.close()
                raise
            return writer
        if read_only and current == SCHEMA_VERSION:
            return probe
        probe.close()
        if read_only:
            cls._upgrade(path, current)
        store = cls._connect(path, read_only=read_only)
        if not read_only:
            try:
                store._migrate(read_only=False)
            except BaseException:
                store.close()
                raise
        return store

    @classmethod
    def _open_for_writing(cls, path: Path) -> Store | None:
        """The store opened once for a write, or None: then a read-only probe looks first.

        DuckDB leaves a file it opened for writing byte for byte as it was when nothing is
        written to it, so a file that is not govern's can be refused on this connection too,
        with the probe's message. Not so with a write-ahead log beside the file: DuckDB folds
        that into the file when it closes it. And when the file cannot be opened for writing
        (another process holds it, no permission), the probe gives the message it always gave.
        """
        if os.path.lexists(path.with_name(path.name + ".wal")):
            return None
        try:
            return cls._connect(path, read_only=False)
        except StoreError:
            return None

    @classmethod
    def _connect(cls, path: Path, *, read_only: bool) -> Store:
        import duckdb

        try:
            con = connect(str(path), read_only=read_only)
        except (duckdb.Error, OSError) as exc:
            message = str(exc)
            if "lock" in message.lower():
                raise StoreError(
                    f"cannot open the govern store {path}: another process is using it.",
                    hint="Wait for the other govern command to finish, then run this one again.",
                ) from exc
            if "permission denied" in message.lower() or "read-only" in message.lower():
                raise StoreError(
                    f"cannot open the govern store {path} for "
                    f"{'reading' if read_only else 'writing'}: {_first_line(exc)}",
                    hint="Check the permissions of the file and its folder.",
                ) from exc
            raise StoreError(
                f"cannot open the govern store {path}: {_first_line(exc)}",
                hint=_DAMAGED_HINT,
            ) from exc
        return cls(path, con)

    @classmethod
    def _create(cls, path: Path) -> Store:
        """Make a new store at ``path``; on failure, remove what was made (file and folders)."""
        made: list[Path] = []
        parent = path.parent
        while not parent.exists():
            made.append(parent)
            parent = parent.parent
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            _remove(None, made)
            raise StoreError(
                f"cannot create the govern store {path}: {exc.strerror or exc}.",
                hint="Check the --db path and that its folder is writable.",
            ) from exc
        # An empty regular file the user made for it (mktemp): DuckDB refuses to open one, so
        # it is replaced by the new store (an empty file again if that fails).
        emptied = path.exists()
        if emptied:
            path.unlink()
        try:
            store = cls._connect(path, read_only=False)
            try:
                store._migrate(read_only=False)
            except BaseException:
                store.close()
                raise
        except BaseException:
            _remove(path, made)
            if emptied:
                path.touch()
            raise
        store.created = (None if emptied else path, tuple(made))
        return store

    @classmethod
    def _upgrade(cls, path: Path, current: int) -> None:
        """Migrate an older store for a read-only command (the file must be writable)."""
        try:
            writer = cls._connect(path, read_only=False)
        except StoreError as exc:
            raise StoreError(
                f"the store {path} needs a schema upgrade ({current} -> {SCHEMA_VERSION}) and "
                "cannot be opened for writing.",
                hint="Run any writing command (e.g. `govern ingest`) once to migrate it.",
            ) from exc
        with writer:
            writer._migrate(read_only=False)

    def close(self) -> None:
        """Close the connection."""
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        self.close()
        if kind is not None and self.created is not None:
            _remove(*self.created)

    # -- schema -------------------------------------------------------------------------------

    def _tables(self) -> dict[str, set[str]]:
        """The store's tables (and views) with their columns.

        Read from ``duckdb_columns()``, the function DuckDB's ``information_schema.columns``
        view selects from, without the view's cost (each command opens the store once).
        """
        rows = self.con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() "
            "WHERE database_name = current_database() AND schema_name = 'main'"
        ).fetchall()
        out: dict[str, set[str]] = {}
        for table, column in rows:
            out.setdefault(str(table), set()).add(str(column))
        return out

    def _identify(
        self, *, any_version: bool = False, tables: dict[str, set[str]] | None = None
    ) -> int:
        """Return the schema version, or raise :class:`StoreError` if this is not govern's.

        A store of a newer govern is refused too, unless ``any_version``. ``tables`` are the
        store's tables and columns when the caller has read them (:meth:`_tables`).
        """
        tables = self._tables() if tables is None else tables
        marked = False
        if "govern_meta" in tables:
            row = self.con.execute(
                "SELECT value FROM govern_meta WHERE key = ?", [MARK_KEY]
            ).fetchone()
            marked = row is not None and row[0] == MARK_VALUE
        legacy = {"version", "applied_at"} <= tables.get("schema_version", set()) and {
            "sha256",
            "family",
            "ingested_at",
        } <= tables.get("sources", set())
        if not (marked or legacy):
            raise StoreError(
                f"{self.path} is a DuckDB database but not a govern store, so govern will not "
                "write to it.",
                hint="Point --db at a govern store, or at a new file for `govern ingest` to "
                "create.",
            )
        current = self._recorded_version(tables)
        if current > SCHEMA_VERSION and not any_version:
            raise StoreError(
                f"the store {self.path} has schema version {current}, newer than this govern "
                f"understands ({SCHEMA_VERSION}).",
                hint="Upgrade govern, or use a different --db.",
            )
        return current

    def _check_schema(self, version: int, tables: dict[str, set[str]] | None = None) -> None:
        """Refuse a damaged store: the file is truncated, or a table or column is missing.

        ``version`` is the store's schema version: the tables its migrations made are expected.
        ``tables`` as for :meth:`_identify`.
        """
        # The file must hold at least every block in use. Not every block the header counts:
        # DuckDB shortens the file when its last blocks become free, and keeps counting them.
        row = self.con.execute(
            "SELECT block_size, used_blocks FROM pragma_database_size() "
            "WHERE database_name = current_database()"
        ).fetchone()
        if row is not None:
            need = _HEADER_BYTES + int(row[0]) * int(row[1])
            size = self.path.stat().st_size
            if size < need:
                raise StoreError(
                    f"the store {self.path} is truncated: it has {size} bytes, fewer than the "
                    f"{need} its blocks in use need.",
                    hint=_DAMAGED_HINT,
                )
        missing: list[str] = []
        tables = self._tables() if tables is None else tables
        for table, columns in expected_tables(version).items():
            if table not in tables:
                missing.append(f"table {table}")
            else:
                missing.extend(f"column {table}.{c}" for c in sorted(columns - tables[table]))
        if missing:
            shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
            raise StoreError(
                f"the store {self.path} is damaged: {shown} missing.", hint=_DAMAGED_HINT
            )

    def schema_version(self) -> int:
        """Return the schema version of the open store (0 for a new, empty file)."""
        exists = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version' "
            "AND table_catalog = current_database() AND table_schema = 'main'"
        ).fetchone()
        if not exists or exists[0] == 0:
            return 0
        row = self.con.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def _recorded_version(self, tables: dict[str, set[str]]) -> int:
        """:meth:`schema_version`, with the store's tables already read."""
        if "schema_version" not in tables:
            return 0
        row = self.con.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def _migrate(self, *, read_only: bool, current: int | None = None) -> None:
        """Bring the store to :data:`SCHEMA_VERSION` (``current``: its version, when known)."""
        current = self.schema_version() if current is None else current
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"the store {self.path} has schema version {current}, newer than this govern "
                f"understands ({SCHEMA_VERSION}).",
                hint="Upgrade govern, or use a different --db.",
            )
        if current == SCHEMA_VERSION:
            return
        if read_only:
            raise StoreError(
                f"the store {self.path} needs a schema upgrade ({current} -> {SCHEMA_VERSION}).",
                hint="Run any writing command (e.g. `govern ingest`) once to migrate it.",
            )
        with self.transaction():
            self.con.execute(
                "CREATE TABLE IF NOT EXISTS schema_version "
                "(version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
            )
            for number in range(current + 1, SCHEMA_VERSION + 1):
                self.con.execute(MIGRATIONS[number - 1])
                self.con.execute(
                    "INSERT INTO schema_version VALUES (?, ?)",
                    [number, utc_naive(datetime.now(UTC))],
                )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run a block in one transaction; roll back everything if it raises.

        A failure to write the store itself (a full disk, a read-only file system) becomes a
        :class:`StoreError` saying that nothing was written.

        A block nested in another joins it: its writes commit or roll back with the outer
        block (an ingest and its ledger entry, a review and its ledger entry).
        """
        import duckdb

        if self._in_transaction:
            yield
            return
        self.con.execute("BEGIN TRANSACTION")
        self._in_transaction = True
        try:
            yield
        except BaseException as exc:
            self._rollback()
            if isinstance(exc, duckdb.IOException) and _is_write_failure(exc):
                raise self._write_error(exc) from exc
            raise
        finally:
            self._in_transaction = False
        try:
            self.con.execute("COMMIT")
        except duckdb.Error as exc:
            self._rollback()
            raise self._write_error(exc) from exc
        except BaseException:
            # Ctrl-C during the commit itself: DuckDB may or may not have made it durable
            _WRITES["uncertain"] += 1
            raise
        _WRITES["committed"] += 1

    def _rollback(self) -> None:
        import duckdb

        # no transaction may be left (DuckDB ended it), or the database was invalidated
        with suppress(duckdb.Error):
            self.con.execute("ROLLBACK")

    def _write_error(self, exc: BaseException) -> StoreError:
        reason = _first_line(exc).rsplit(": ", 1)[-1].rstrip(".")  # "No space left on device"
        return StoreError(
            f"could not write to the store {self.path} ({reason}). Nothing was written.",
            hint="Free some disk space (or make the file writable) and run the command again.",
        )

    # -- queries ------------------------------------------------------------------------------

    def has_source(self, sha256: str) -> bool:
        """Return True when bytes with this SHA-256 were ingested before."""
        row = self.con.execute("SELECT count(*) FROM sources WHERE sha256 = ?", [sha256]).fetchone()
        return bool(row and row[0])

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run a read query and return rows as dicts."""
        cursor = self.con.execute(sql, list(params))
        names = [d[0] for d in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    # -- writes -------------------------------------------------------------------------------

    def write(self, units: Sequence[tuple[SourceRecord, Batch]], *, now: datetime) -> None:
        """Write every unit and its ``sources`` row in one transaction (all or nothing)."""
        with self.transaction():
            for source, batch in units:
                writers.write_unit(self, source, batch, now=now)
