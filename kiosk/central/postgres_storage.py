"""Central storage in PostgreSQL (psycopg 3), for a centre that outgrows one SQLite file.

A batch is COPYed straight into ``entries`` inside a savepoint; when one of its ids is
already held (its first or last, looked at first: a resend) it is COPYed into a
per-connection temporary table instead and moved with one ``INSERT … SELECT … ON CONFLICT
(id) DO NOTHING RETURNING id``: the returned ids are exactly the entries stored now, even
when two requests race on the same ids. Connections come from a small pool; a failed one is
dropped and the request answered 503, never 500.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.sql import SQL, Literal
from psycopg_pool import ConnectionPool, PoolTimeout

from kiosk.central import derivation, document_matches
from kiosk.central.database_urls import without_password
from kiosk.central.id_days import day_of_id
from kiosk.central.partitions import Partitions, briefly
from kiosk.central.schema import MIGRATIONS, statements
from kiosk.central.storage import (
    ENTRY_COLUMNS,
    STORED_COLUMNS,
    Storage,
    StorageBusy,
    StorageError,
    T,
)
from kiosk.messages import both, failure_words

_TYPES = {"engine": "postgresql", "bigint": "BIGINT", "float": "DOUBLE PRECISION",
          "bytes": "BYTEA", "json": "JSONB", "serial": "BIGSERIAL PRIMARY KEY"}
"""schema.MIGRATIONS' column types in PostgreSQL."""
_RESTORE_ROWS = 10_000
"""Document matches added back per statement after a purge (a day at 10 M: ~95,000)."""
_LOCK_KEY = 0x6B696F736B  # advisory lock serialising migrations across server processes
_MIGRATION_TRIES = 20
"""Upgrades refused by a deadlock while taking the tables, before one gives up (each such
refusal lets the other process's transaction finish)."""
_SETTLE_KEY = _LOCK_KEY + 4
"""Advisory lock: one transaction at a time adds back forgotten matches (two taking the same
rows out of ``forgotten_matches`` in different orders could deadlock)."""

log = logging.getLogger("kiosk.central")
_COLUMNS = ", ".join(STORED_COLUMNS)
_BUSY = (pg_errors.LockNotAvailable, pg_errors.TooManyConnections,
         pg_errors.SerializationFailure, pg_errors.DeadlockDetected)
STATEMENT_TIMEOUT = "120s"
"""How long one statement may run unless ``serve --statement-timeout`` says otherwise. One
that runs past it is canceled: tried again later like busy storage (a 503), but said as
what it is (``storage.canceled``), since "busy" retried for ever hid a statement that
always takes longer (a kiosk halves its batches on it: :mod:`kiosk.sync.uploader`)."""


class PostgresStorage(Storage):
    _JSON_ROWS = "jsonb_array_elements({slot}::jsonb) AS {alias} (value)"
    postgresql = True

    def __init__(self, url: str, *, busy_timeout: float = 10.0, pool_size: int = 8,
                 connect_timeout: int = 10, statement_timeout: float | None = None,
                 create: bool = True) -> None:
        """``create=False``: a database without the centre's tables is refused
        (StorageError) and left as it is: a mistyped name is said, never answered from a
        new empty centre."""
        self.url = url
        self.busy_timeout = busy_timeout
        self.statement_timeout = (STATEMENT_TIMEOUT if statement_timeout is None
                                  else f"{round(statement_timeout * 1000)}ms")
        self.partitions = Partitions()
        self._local = threading.local()  # the transaction this thread's reads go to
        self._pool = ConnectionPool(
            url, min_size=1, max_size=pool_size, open=False, timeout=busy_timeout,
            kwargs={"autocommit": True, "connect_timeout": connect_timeout,
                    "cursor_factory": psycopg.RawCursor, "application_name": "kiosk-central"},
            configure=self._configure, name="kiosk-central")
        self._pool.open()
        try:
            self._pool.wait(timeout=connect_timeout)
        except PoolTimeout as exc:
            self._pool.close()
            raise StorageBusy("storage.cannot_connect", retry_after=10, url=without_password(url),
                              seconds=connect_timeout) from exc
        try:
            self._migrate(create)
        except BaseException:
            self._pool.close()
            raise

    def _migrate(self, create: bool) -> None:
        """Bring the schema up to date (``create``: also from none), one process at a time,
        then make the partitions ahead and add back what a purge that died left out."""
        with self._connection() as conn:
            for attempt in range(1, _MIGRATION_TRIES + 1):
                try:
                    with conn.transaction():
                        self._migrate_once(conn, create)
                    break
                except pg_errors.OutOfMemory as exc:
                    raise self._lock_room_words(conn) from exc
                except pg_errors.DeadlockDetected as exc:
                    # only while taking the tables, before any change: nothing to undo
                    if attempt == _MIGRATION_TRIES:
                        raise
                    log.warning("%s", both("central.log.upgrade_retried",
                                           detail=failure_words(exc)))
        with self._connection() as conn:
            self.partitions.ahead(conn, dt.datetime.now(dt.UTC).date())
            left = conn.execute(f"SELECT 1 FROM {document_matches.FORGOTTEN} LIMIT 1"
                                ).fetchone()
        if left:  # by a purge that died before adding back what it had to
            self._settle()

    def _migrate_once(self, conn: psycopg.Connection, create: bool) -> None:
        """One try at the schema's upgrade, in the caller's transaction. Another process
        upgrading is waited for however long it takes (a report at 06:00 that gave up after
        the usual lock wait lost its day's file). An upgrade first takes every table of the
        centre for itself: a server still running the old code, holding a row of one table
        and wanting another the upgrade already changed, deadlocked it after minutes of
        work; now the upgrade waits for it, or is refused before changing anything. The
        wait is said only when the schema is behind: processes starting together on an
        up-to-date centre each hold the lock a moment, and "waiting for an upgrade" with none
        happening sent an operator looking for it."""
        if not conn.execute("SELECT pg_try_advisory_xact_lock($1)", (_LOCK_KEY,)).fetchone()[0]:
            if self._schema_version(conn) < len(MIGRATIONS):
                log.warning("%s", both("central.log.upgrade_waits"))
            conn.execute("SET LOCAL lock_timeout = 0")
            conn.execute("SET LOCAL statement_timeout = 0")
            conn.execute("SELECT pg_advisory_xact_lock($1)", (_LOCK_KEY,))
            self._limits(conn, "LOCAL ")  # the usual limits for what follows
        # looked up first: CREATE … IF NOT EXISTS needs CREATE on the schema even when the
        # table is there, which PostgreSQL 15 grants no role but the database's owner
        if conn.execute("SELECT to_regclass('central_meta')").fetchone()[0] is None:
            if not create:
                raise StorageError("storage.no_schema", where=without_password(self.url))
            conn.execute("CREATE TABLE central_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        version = self._schema_version(conn)
        if version > len(MIGRATIONS):
            raise StorageError("storage.schema_newer", version=version, ours=len(MIGRATIONS))
        if version < len(MIGRATIONS):  # waits for the tables, and may count every entry
            conn.execute("SET LOCAL lock_timeout = 0")
            conn.execute("SET LOCAL statement_timeout = 0")
            tables = [name for (name,) in conn.execute(
                "SELECT format('%I', relname) FROM pg_class WHERE relnamespace = "
                "current_schema()::regnamespace AND relkind IN ('r', 'p') AND NOT "
                "relispartition ORDER BY relname")]
            lock = f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE"
            try:
                with conn.transaction():
                    conn.execute(f"{lock} NOWAIT")
            except pg_errors.LockNotAvailable:
                log.warning("%s", both("central.log.upgrade_waits_for_tables"))
                conn.execute(lock)
            conn.execute("SET LOCAL work_mem = '256MB'")
        try:
            for migration in MIGRATIONS[version:]:
                for statement in statements(migration, _TYPES):
                    conn.execute(statement)
            conn.execute("INSERT INTO central_meta VALUES ('schema_version', $1) ON CONFLICT "
                         "(key) DO UPDATE SET value = excluded.value", (str(len(MIGRATIONS)),))
        except pg_errors.InsufficientPrivilege as exc:
            if not version:
                raise
            # ALTER TABLE and CREATE INDEX need the tables' owner: a serve running as another
            # role was told only "lacks this permission", and restarted for ever
            raise StorageError("storage.upgrade_needs_owner", old=version, new=len(MIGRATIONS),
                               role=conn.info.user, detail=failure_words(exc)) from exc
        self._migrated(conn, version)

    @staticmethod
    def _schema_version(conn: psycopg.Connection) -> int:
        """The schema's version as committed (0: no centre's tables yet)."""
        if conn.execute("SELECT to_regclass('central_meta')").fetchone()[0] is None:
            return 0
        row = conn.execute("SELECT value FROM central_meta WHERE key = 'schema_version'"
                           ).fetchone()
        return int(row[0]) if row else 0

    @staticmethod
    def _lock_room_words(conn: psycopg.Connection) -> StorageError:
        """What to raise when an upgrade overflowed PostgreSQL's lock table: it takes every
        table, partition and index of the centre in one transaction, and years of day
        partitions ran out of shared memory, said as "busy, to be tried again" (a server
        restarted on failure tried for ever)."""
        needed, per_session, sessions = conn.execute(
            "SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = "
            "current_schema()::regnamespace AND relkind IN ('r', 'p', 'i', 'I')), "
            "current_setting('max_locks_per_transaction')::int, "
            "current_setting('max_connections')::int + "
            "current_setting('max_prepared_transactions')::int").fetchone()
        return StorageError("storage.upgrade_lock_room", needed=needed, setting=per_session,
                            enough=max(per_session * 2, -(-needed * 3 // 2 // sessions)))

    # -- connections ----------------------------------------------------------------------
    def _configure(self, conn: psycopg.Connection) -> None:
        self._limits(conn)
        # psycopg prepares a statement run five times; a generic plan would then ignore the
        # values that choose the day partitions and the index (a trace's reads took 0.5 s
        # instead of 1 ms): plan each execution for its own values.
        conn.execute("SET plan_cache_mode = force_custom_plan")
        # JIT compiling pays off for long analytical scans, not for index reads over many
        # partitions, whose estimated cost still crosses jit_above_cost: a trace's read of a
        # busy checkpoint took 0.7 s of which 0.6 s compiling.
        conn.execute("SET jit = off")

    def _limits(self, conn: psycopg.Connection, scope: str = "") -> None:
        """A statement's time and lock wait limits (``scope`` "LOCAL ": again, for the rest
        of the transaction, after a wait without them)."""
        conn.execute(f"SET {scope}statement_timeout = '{self.statement_timeout}'")
        conn.execute(f"SET {scope}lock_timeout = '{int(self.busy_timeout * 1000)}ms'")

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection]:
        """A pooled connection (autocommit); a broken one is discarded by the pool."""
        try:
            with self._pool.connection() as conn:
                yield conn
        except PoolTimeout as exc:
            raise StorageBusy("storage.pool_full", retry_after=2) from exc
        except psycopg.Error as exc:
            if isinstance(exc, _BUSY):
                raise StorageBusy("storage.busy", retry_after=2, detail=failure_words(exc)) from exc
            if isinstance(exc, pg_errors.QueryCanceled):
                raise StorageBusy("storage.canceled", retry_after=30,
                                  limit=self.statement_timeout) from exc
            if isinstance(exc, psycopg.OperationalError) and not self._limit(exc):
                raise StorageBusy("storage.unavailable", retry_after=10,
                                  detail=failure_words(exc)) from exc
            raise StorageError("storage.error", detail=failure_words(exc)) from exc

    def _prepare(self, rows: list[tuple[Any, ...]]) -> None:
        """Create the day partitions a batch needs, before its transaction."""
        spans = {row[0][:8] for row in rows}  # an id's time to 65.536 s: both ends' days
        wanted = self.partitions.wanted({day_of_id(f"{span}-{end}") for span in spans
                                         for end in ("0000", "ffff")},
                                        dt.datetime.now(dt.UTC).date())
        if wanted:
            with self._connection() as conn:
                self.partitions.ensure(conn, wanted)

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection]:
        with self._connection() as conn, conn.transaction():
            yield conn

    @contextmanager
    def _report_making(self, record: Callable[[psycopg.Connection], T]
                       ) -> Iterator[tuple[T, psycopg.Connection]]:
        """``record`` in a REPEATABLE READ transaction whose snapshot is taken once
        ``daily_reports`` is locked against the batches (:meth:`reports_made_in`): those
        being stored have committed, the next wait — until it commits, not until the report
        is computed. The snapshot is exported to a READ ONLY transaction, which keeps it
        after the lock is gone (PostgreSQL's ``pg_export_snapshot``: the same rows, not
        ``record``'s writes), the one yielded."""
        with self._connection() as reading, reading.transaction():
            reading.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            with self._connection() as conn, conn.transaction():
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                conn.execute("LOCK TABLE daily_reports IN EXCLUSIVE MODE")  # takes no snapshot
                (snapshot,), = conn.execute("SELECT pg_export_snapshot()").fetchall()
                reading.execute(SQL("SET TRANSACTION SNAPSHOT {}").format(Literal(snapshot)))
                made = record(conn)
            self._local.reading = reading
            try:
                yield made, reading
            finally:
                self._local.reading = None

    @contextmanager
    def _reading(self) -> Iterator[psycopg.Connection]:
        """REPEATABLE READ READ ONLY: one snapshot, no lock but the tables' shared one."""
        with self._connection() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            self._local.reading = conn
            try:
                yield conn
            finally:
                self._local.reading = None

    def _execute(self, tx: psycopg.Connection, sql: str, params: Sequence[Any] = ()
                 ) -> psycopg.Cursor[Any]:
        return tx.execute(sql, params)

    def _insert_rows(self, tx: psycopg.Connection, table: str, columns: Sequence[str],
                     rows: Sequence[Sequence[Any]], conflict: str = "") -> None:
        """COPY; rows with a conflict to settle are COPYed into a temporary table and moved
        with one ``INSERT … SELECT`` in their order. A multi-row VALUES cost 2.5 µs of
        Python a row in its parameters, COPY 1.6 (docs/benchmarks.md)."""
        names = ", ".join(columns)
        target = f"incoming_{table}" if conflict else table
        with tx.cursor() as cursor:
            if conflict:
                cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {target} (LIKE {table}) "
                               f"ON COMMIT DELETE ROWS")
            with cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            if conflict:
                cursor.execute(f"WITH moved AS (DELETE FROM {target} RETURNING {names}) "
                               f"INSERT INTO {table} ({names}) SELECT {names} FROM moved{conflict}")

    def _transient(self, exc: Exception) -> bool:
        """Connection lost, deadlock, lock or statement timeout, disk full, shutdown: the
        OperationalErrors but class 54, a program limit (an index row too large for a key a
        kiosk sent: it fails every time, and kept every reader failing behind it)."""
        if isinstance(exc, MemoryError):
            return True
        return isinstance(exc, psycopg.OperationalError) and not self._limit(exc)

    @staticmethod
    def _limit(exc: psycopg.Error) -> bool:
        """Whether ``exc`` is a program limit (class 54: an index row too large, too many
        columns…): an OperationalError to psycopg, but the same statement fails every time;
        said as a database error, not as storage away."""
        return (exc.sqlstate or "").startswith("54")

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        reading = getattr(self._local, "reading", None)
        if reading is not None:
            return reading.execute(sql, params).fetchall()
        with self._connection() as conn:
            return conn.execute(sql, params).fetchall()

    def _purge(self, cutoff: dt.date, unfrozen: str) -> int:
        """Whole day partitions are dropped: no row-by-row delete, no table bloat."""
        with self._connection() as conn:
            return len(self.partitions.drop_before(self, conn, cutoff, unfrozen))

    def _settle(self) -> None:
        """Once the batches writing day sets and matches have ended, add back the matches
        forgotten by purges that an entry held stands for (:meth:`Partitions.drop_before`).
        Those forgotten are read before the wait: a deletion committed later may have a
        step open after it, and is left to its own purge's settling (or the next). Each
        addition holds steps, erasure and the default partition's purge back
        (:func:`derivation.exclude`): it reads the entries when its statement begins, and a
        match added for a scan whose identity was erased meanwhile (a storage opened after
        a purge died, while another process erased) stayed, naming the card erased."""
        rows = self._query(f"SELECT subject_key, day, match_key FROM "
                           f"{document_matches.FORGOTTEN} ORDER BY 1, 2, 3")
        self._wait_for_writers("day_subjects", "document_matches")
        for start in range(0, len(rows), _RESTORE_ROWS):
            with self._transaction() as tx:
                # a long step: wait, not fail open — for it, and for the turn of another
                # opening that adds back while it waits for that step
                tx.execute("SET LOCAL lock_timeout = 0")
                tx.execute("SELECT pg_advisory_xact_lock($1)", (_SETTLE_KEY,))
                derivation.exclude(self, tx)
                tx.execute("SELECT set_config('lock_timeout', $1, true)",
                           (f"{int(self.busy_timeout * 1000)}ms",))
                tx.execute(document_matches.RESTORE, [
                    list(column) for column in zip(*rows[start:start + _RESTORE_ROWS],
                                                   strict=True)])

    def _wait_for_writers(self, *tables: str) -> None:
        """A moment's lock on each table in turn (never two at once: no lock order to
        keep): it waits for the transactions writing it, and new writers wait only that
        long (:func:`briefly`)."""
        with self._connection() as conn:
            for table in tables:
                briefly(conn, lambda table=table: conn.execute(
                    f"LOCK TABLE {table} IN SHARE MODE"))

    def close(self) -> None:
        self._pool.close()

    # -- ingest primitives ----------------------------------------------------------------
    def _insert(self, tx: psycopg.Connection, rows: list[tuple[Any, ...]]) -> set[str]:
        """COPY straight into ``entries`` (a batch's entries are almost always new); if an
        id is already held (a batch sent again, or racing another request carrying it: the
        COPY waits for that one to end), the savepoint is rolled back and the rows go
        through a temporary table and ``INSERT … ON CONFLICT (id) DO NOTHING RETURNING id``.
        The straight COPY costs the server 5 µs an entry less (docs/benchmarks.md).

        A batch sent again (its answer lost: the kiosk resends its pending entries, oldest
        first, under a new batch id) starts or ends with an entry held: one look at those
        two ids sends it the second way at once. Its failed COPY wrote a ``duplicate key``
        ERROR into the server's log at every resend, for an operator or an alert to chase."""
        if not rows:
            return set()
        if tx.execute("SELECT 1 FROM entries WHERE id IN ($1, $2) LIMIT 1",
                      (rows[0][0], rows[-1][0])).fetchone() is None:
            try:
                with (tx.transaction(), tx.cursor() as cur,  # a savepoint
                      cur.copy(f"COPY entries ({_COLUMNS}) FROM STDIN") as copy):
                    for row in rows:
                        copy.write_row(row)
                return {row[0] for row in rows}
            except pg_errors.UniqueViolation:  # an id within, or a race on the same ids
                pass
        with tx.cursor() as cur:
            cur.execute("CREATE TEMP TABLE IF NOT EXISTS incoming "
                        "(LIKE entries INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
            with cur.copy(f"COPY incoming ({_COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cur.execute(f"INSERT INTO entries ({_COLUMNS}) SELECT {_COLUMNS} FROM incoming "
                        f"ON CONFLICT (id) DO NOTHING RETURNING id")
            return {r[0] for r in cur.fetchall()}

    def _fetch(self, tx: psycopg.Connection, ids: list[str], table: str = "entries"
               ) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        cursor = tx.execute(f"SELECT {', '.join(ENTRY_COLUMNS)} FROM {table} "
                            f"WHERE id = ANY($1)", (ids,))
        return {row[0]: dict(zip(ENTRY_COLUMNS, row, strict=True)) for row in cursor}
