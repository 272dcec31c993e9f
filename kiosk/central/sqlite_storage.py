"""Central storage in one SQLite file (WAL, synchronous=FULL): the no-setup default.

Readers get a connection per thread and never wait for the writer (WAL); writers take one
process-wide lock and ``BEGIN IMMEDIATE`` on one connection, so each batch is one transaction
and one fsync, and the pages it writes stay in that connection's cache for the next.
Another process writing the same file (``kiosk-central import``) is waited for up to
``busy_timeout`` seconds, after which the request is answered 503 and the kiosk retries.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from kiosk.central import document_matches, id_days, people
from kiosk.central.schema import MIGRATIONS, statements
from kiosk.central.storage import (
    ENTRY_COLUMNS,
    STORED_COLUMNS,
    Storage,
    StorageBusy,
    StorageError,
    T,
)
from kiosk.messages import Words, failure_words
from kiosk.private_files import create_private

_TYPES = {"engine": "sqlite", "bigint": "INTEGER", "float": "REAL", "bytes": "BLOB",
          "json": "TEXT", "serial": "INTEGER PRIMARY KEY"}
"""schema.MIGRATIONS' column types in SQLite (``extra`` is canonical JSON text)."""

def _bulk_insert(table: str, columns: Sequence[str], conflict: str = "") -> str:
    """SQLite's bulk insert of a batch's rows, its counterpart of PostgreSQL's COPY (never
    given to PostgreSQL): one row a statement prepared once by ``executemany`` and bound by
    position (``?``, each value once and in order), because binding a batch's rows by name
    cost twice as much per row (docs/architecture.md)."""
    return (f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))}){conflict}")


_INSERT = _bulk_insert("entries", STORED_COLUMNS)


PURGE_BATCH = 5000
_TRANSIENT = frozenset(getattr(sqlite3, name) for name in (
    "SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_NOMEM", "SQLITE_READONLY", "SQLITE_INTERRUPT",
    "SQLITE_IOERR", "SQLITE_FULL", "SQLITE_CANTOPEN"))
"""SQLite's primary result codes that say the file is busy or unwritable now, not that a
statement cannot succeed (its OperationalError also covers SQL it cannot run)."""
_BUSY = frozenset((sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED))
"""The result codes that are "storage busy": another connection holds the lock."""


EMPTY_LOG_WAIT_MS = 250
"""How long the purge's emptying of the ``-wal`` waits for readers, holding the write lock."""


class SqliteStorage(Storage):
    _JSON_ROWS = "json_each({slot}) AS {alias}"
    postgresql = False

    def __init__(self, url: str, *, busy_timeout: float = 10.0, create: bool = True) -> None:
        """``create=False``: a missing file, or one without the centre's tables, is refused
        (StorageError) and nothing is made: a mistyped path is said, never answered from a
        new empty centre."""
        self.url = url
        self.path = Path(url.removeprefix("sqlite:///"))
        self.busy_timeout = busy_timeout
        self._write_lock = threading.Lock()
        self._waiting_for_file = False
        """Whether the write lock's holder is waiting for SQLite's own lock on the file (held
        by another program): what a write refused the write lock then is told."""
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self._writer: sqlite3.Connection | None = None
        if not create:
            self._refuse_unless_centre()
        create_private(self.path)  # 0600: identities; SQLite gives -wal/-shm its mode
        try:
            self._migrate()
        except BaseException:
            self.close()
            raise

    # -- connections ----------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        """This thread's connection: the writer while this thread holds the write lock (so a
        read inside a transaction sees what it wrote), else a reading one of its own."""
        return getattr(self._local, "writing", None) or self._reading_conn()

    def _reading_conn(self) -> sqlite3.Connection:
        """This thread's reading connection (opened on first use), never the writer."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._open()
        return conn

    def _open(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, isolation_level=None,
                                   timeout=self.busy_timeout, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA cache_size=-65536")
        except sqlite3.Error as exc:
            raise StorageError("storage.file_error", path=self.path,
                               detail=failure_words(exc, self.path)) from exc
        with self._all_lock:
            self._all.append(conn)
        return conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction on the one writing connection, whichever thread asks: SQLite
        drops a connection's whole page cache when another connection has written, so with a
        connection a thread, each batch began by reading the index pages it writes back from
        the file (docs/benchmarks.md, sync)."""
        if not self._write_lock.acquire(timeout=self.busy_timeout):
            if self._waiting_for_file:  # its holder waits on another program's lock
                raise StorageBusy("storage.busy", retry_after=5, detail=Words("sqlite.busy"))
            raise StorageBusy("storage.writing", retry_after=2)
        try:
            if self._writer is None:
                self._writer = self._open()
            conn = self._local.writing = self._writer
            self._waiting_for_file = True
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._failure(exc, retry_after=5) from exc
            finally:
                self._waiting_for_file = False
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StorageError("storage.file_error", path=self.path,
                                       detail=failure_words(exc, self.path)) from exc
                raise
        finally:
            self._local.writing = None
            self._write_lock.release()

    @contextmanager
    def _report_making(self, record: Callable[[sqlite3.Connection], T]
                       ) -> Iterator[tuple[T, sqlite3.Connection]]:
        """``record`` in a write transaction (no batch is stored until it commits), and
        beside it a read transaction on this thread's reading connection begun before
        ``record`` writes: WAL gives it the file as the last commit left it, and keeps that
        snapshot for it after the write ends, while batches are stored (this thread's
        :meth:`_query` reads in it: no write lock held)."""
        reading = self._reading_conn()
        with self._transaction() as tx:
            reading.execute("BEGIN")
            try:
                reading.execute("SELECT count(*) FROM daily_reports").fetchall()  # snapshot now
                made = record(tx)
            except BaseException:
                reading.execute("ROLLBACK")
                raise
        try:
            yield made, reading
        finally:
            reading.execute("ROLLBACK")  # read only: nothing to keep

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """A read transaction on this thread's connection (WAL: its snapshot taken at its
        first read, no write waiting for it); inside a write transaction, that one."""
        conn = self._conn()
        if conn.in_transaction:
            yield conn
            return
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def _failure(self, exc: sqlite3.Error, retry_after: int = 2) -> StorageError:
        """What SQLite's failure is said as, by its result code, never by its English
        message (the cause, for the log): another connection holding the lock is "storage
        busy" (tried again soon); anything else is a storage error naming the file and
        why, as in a write transaction: the file unreadable or unwritable (I/O, disk full,
        read-only, damaged pages), or an SQL statement SQLite cannot run (a fault of the
        program: no retry mends it, and "busy" sent the kiosk back for ever)."""
        code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
        if code in _BUSY:
            return StorageBusy("storage.busy", retry_after=retry_after,
                               detail=failure_words(exc))
        return StorageError("storage.file_error", path=self.path,
                            detail=failure_words(exc, self.path))

    def _transient(self, exc: Exception) -> bool:
        if isinstance(exc, MemoryError):
            return True
        return (isinstance(exc, sqlite3.OperationalError)
                and (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF in _TRANSIENT)

    def _refuse_unless_centre(self) -> None:
        """StorageError unless the file is there and holds the centre's tables, looked at
        read-only: opened as the centre opens it, its header would be written (WAL)."""
        where = self.path.absolute()
        if not self.path.is_file():
            raise StorageError("storage.no_database", where=where)
        try:
            with closing(sqlite3.connect(f"{where.as_uri()}?mode=ro", uri=True)) as conn:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.Error as exc:
            raise self._failure(exc) from exc
        if version == 0:
            raise StorageError("storage.no_schema", where=where)

    def _migrate(self) -> None:
        """Bring the schema up to date, in one transaction with what follows a migration."""
        with self._transaction() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise StorageError("storage.file_schema_newer", path=self.path, version=version,
                                   ours=len(MIGRATIONS))
            if 0 < version < len(MIGRATIONS):
                self.upgrade_backup = self._backup(version)
            for target, migration in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in statements(migration, _TYPES):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version={target}")
            self._migrated(conn, version)

    def _backup(self, version: int) -> Path:
        """The database as it is, copied to ``NAME.vVERSION.bak`` beside it before the
        migration changes it, as a kiosk's store is (:func:`kiosk.store.backup_before_migrating`:
        0600, WAL included, the room it needs said when short, nothing migrated then): read
        on a connection of its own beside the migration's write lock (WAL). Going back is
        putting it back under the old release (docs/central.md, "Upgrading")."""
        from kiosk.store import StoreError, backup_before_migrating

        uri = f"{self.path.absolute().as_uri()}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True)) as source:
            try:
                return backup_before_migrating(source, self.path, version)
            except StoreError as exc:
                raise StorageError(exc.words.code, **exc.words.params) from exc

    def _execute(self, tx: sqlite3.Connection, sql: str, params: Sequence[Any] = ()
                 ) -> sqlite3.Cursor:
        return tx.execute(sql, _numbered(params))

    def _insert_rows(self, tx: sqlite3.Connection, table: str, columns: Sequence[str],
                     rows: Sequence[Sequence[Any]], conflict: str = "") -> None:
        """One row a statement, prepared once (:func:`_bulk_insert`): a multi-row VALUES is
        compiled afresh each time (its placeholders' names looked up one by one), 2-3× the
        time a row."""
        tx.executemany(_bulk_insert(table, columns, conflict), rows)

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        conn = self._conn()
        try:
            return conn.execute(sql, _numbered(params)).fetchall()
        except sqlite3.Error as exc:
            raise self._failure(exc) from exc

    def close(self) -> None:
        with self._all_lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._writer = None
        self._local = threading.local()

    def _prepare(self, rows: list[tuple[Any, ...]]) -> None:
        """Nothing: SQLite keeps one entries table."""

    def _purge(self, cutoff: dt.date, unfrozen: str) -> int:
        """Batched deletes, so kiosks' uploads wait for one short batch at most."""
        before = id_days.bounds(cutoff)[0]
        received = f"{cutoff.isoformat()}T00:00:00.000000Z"
        batch = "SELECT id FROM entries WHERE id < $1 AND received_at < $2 ORDER BY id LIMIT $3"
        removed = 0
        while True:
            with self._transaction() as conn:
                self._execute(conn, people.FORGET.format(
                    entries="entries", where=f"id IN ({batch}) AND local_day >= $4"),
                    (before, received, PURGE_BATCH, unfrozen))
                self._execute(conn, document_matches.FORGET.format(
                    entries="entries", where=f"id IN ({batch})", kept=f"e.id NOT IN ({batch})"),
                    (before, received, PURGE_BATCH))
                count = self._execute(conn, f"DELETE FROM entries WHERE id IN ({batch})",
                                      (before, received, PURGE_BATCH)).rowcount
            removed += count
            if count < PURGE_BATCH:
                return removed

    @contextmanager
    def overwriting(self) -> Iterator[None]:
        """``PRAGMA secure_delete=ON`` on the writing connection meanwhile (off again after:
        uploads are not slowed by it in ``serve``, whose connections are its own): each row
        and index entry deleted, and each old version of a row an erasure rewrites, is
        overwritten with zeros on its page, and each page freed (a table's or index's, a long
        value's overflow page) is zeroed before it goes to the freelist. ``FAST`` would leave
        the freelist pages as they were. The zeroed pages go to the ``-wal`` first; the older
        images there, the rows as they were, go with :meth:`empty_log`."""
        with self._write_lock:
            if self._writer is None:
                self._writer = self._open()
            self._writer.execute("PRAGMA secure_delete=ON")
        try:
            yield
        finally:
            with self._write_lock:
                if self._writer is not None:
                    self._writer.execute("PRAGMA secure_delete=OFF")

    def empty_log(self) -> bool:
        """Copy the whole ``-wal`` into the database and truncate it to nothing
        (``wal_checkpoint(TRUNCATE)``), waiting at most :data:`EMPTY_LOG_WAIT_MS` for
        readers to finish: it holds the write lock meanwhile, and a kiosk's upload waiting
        behind it ``busy_timeout`` (10 s) long would be answered "busy"; false if a reader
        kept it (``serve`` in a long read), to be emptied by a later purge's."""
        with self._write_lock:  # no write of ours under way
            conn = self._conn()
            conn.execute(f"PRAGMA busy_timeout={EMPTY_LOG_WAIT_MS}")
            try:
                busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            finally:
                conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
        return not busy

    def upgrade_copies(self) -> list[Path]:
        """``central.db.vN.bak`` beside the database (:meth:`_backup`)."""
        from kiosk.store import upgrade_copies

        return upgrade_copies(self.path)

    def found_sound(self) -> bool:
        """``PRAGMA quick_check`` of the whole file (every page read once; not run by the
        daily purge unless a copy is due to go, so about once an upgrade)."""
        return [tuple(row) for row in self._query("PRAGMA quick_check")] == [("ok",)]

    def _wait_for_writers(self, *tables: str) -> None:
        """Nothing: one transaction writes at a time, and each has ended."""

    def _settle(self) -> None:
        """Nothing: each batch of a purge forgets and deletes in one transaction, which no
        batch storing entries runs beside."""

    # -- ingest primitives ----------------------------------------------------------------
    def _insert(self, tx: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> set[str]:
        ids = [row[0] for row in rows]
        held = {r[0] for r in self._execute(
            tx, "SELECT id FROM entries WHERE id IN (SELECT value FROM json_each($1))",
            (json.dumps(ids),))}
        new = [row for row in rows if row[0] not in held] if held else rows
        tx.executemany(_INSERT, new)
        return {row[0] for row in new}

    def _fetch(self, tx: sqlite3.Connection, ids: list[str], table: str = "entries"
               ) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        cursor = self._execute(
            tx, f"SELECT {', '.join(ENTRY_COLUMNS)} FROM {table} "
                f"WHERE id IN (SELECT value FROM json_each($1))", (json.dumps(ids),))
        return {row[0]: dict(zip(ENTRY_COLUMNS, row, strict=True)) for row in cursor}


def _numbered(params: Sequence[Any]) -> dict[str, Any]:
    """Values for placeholders ``$1, $2, …``, which SQLite reads as parameters named "1",
    "2"…: bound by name, so a placeholder used twice or out of order gets its own value (a
    sequence would be bound in order of first appearance, and Python 3.14 refuses one)."""
    return {str(n): value for n, value in enumerate(params, 1)}
