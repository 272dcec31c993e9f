"""Central storage in PostgreSQL (psycopg 3), for a centre that outgrows one SQLite file.

A batch is COPYed into a per-connection temporary table and moved with one
``INSERT … SELECT … ON CONFLICT (id) DO NOTHING RETURNING id``: the returned ids are exactly
the entries stored now, even when two requests race on the same ids. Connections come from a
small pool; a failed one is dropped and the request answered 503, never 500.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from kiosk.central.storage import (
    ENTRY_COLUMNS,
    STORED_COLUMNS,
    EnrolmentError,
    Kiosk,
    Storage,
    StorageBusy,
    StorageError,
)
from kiosk.sync.protocol import format_time

_SCHEMA_V1 = """
CREATE TABLE checkpoints (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE kiosks (
    id TEXT PRIMARY KEY,
    checkpoint_id TEXT NOT NULL REFERENCES checkpoints (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    file_key BYTEA NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    last_seen_at TEXT,
    last_clock_offset DOUBLE PRECISION,
    entries BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE entries (
    id TEXT PRIMARY KEY,
    checkpoint_id TEXT NOT NULL,
    kiosk_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    lane TEXT,
    direction TEXT NOT NULL,
    status TEXT NOT NULL,
    duplicate_of TEXT,
    source TEXT NOT NULL,
    symbology TEXT NOT NULL,
    scanned_at TEXT NOT NULL,
    monotonic_ns BIGINT NOT NULL,
    boot_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject_key TEXT NOT NULL,
    match_key TEXT,
    document_number TEXT,
    name TEXT,
    birth_date TEXT,
    gender TEXT,
    address TEXT,
    issue_date TEXT,
    operator TEXT NOT NULL,
    extra JSONB NOT NULL,
    payload BYTEA NOT NULL,
    received_at TEXT NOT NULL,
    clock_offset_seconds DOUBLE PRECISION NOT NULL,
    batch_id TEXT NOT NULL
);
CREATE INDEX entries_checkpoint_time ON entries (checkpoint_id, scanned_at);
CREATE INDEX entries_subject_time ON entries (subject_key, scanned_at);
CREATE TABLE batches (
    seq BIGSERIAL PRIMARY KEY,
    batch_id TEXT NOT NULL,
    kiosk_id TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    clock_offset_seconds DOUBLE PRECISION NOT NULL,
    entries INTEGER NOT NULL,
    accepted INTEGER NOT NULL,
    duplicate INTEGER NOT NULL,
    rejected INTEGER NOT NULL
);
CREATE INDEX batches_kiosk ON batches (kiosk_id, seq);
"""
MIGRATIONS = [_SCHEMA_V1]
"""Forward-only SQL scripts; the version lives in central_meta. Append, never edit."""
_LOCK_KEY = 0x6B696F736B  # advisory lock serialising migrations across server processes

_COLUMNS = ", ".join(STORED_COLUMNS)
_KIOSK_SELECT = (
    "SELECT k.id, k.checkpoint_id, k.name, k.created_at, k.revoked_at, k.last_seen_at, "
    "k.last_clock_offset, k.entries FROM kiosks k")
_BATCH_COLUMNS = ("batch_id", "kiosk_id", "sent_at", "received_at", "clock_offset_seconds",
                  "entries", "accepted", "duplicate", "rejected")
_BUSY = (pg_errors.LockNotAvailable, pg_errors.QueryCanceled, pg_errors.TooManyConnections,
         pg_errors.SerializationFailure, pg_errors.DeadlockDetected)


class PostgresStorage(Storage):
    def __init__(self, url: str, *, busy_timeout: float = 10.0, pool_size: int = 8,
                 connect_timeout: int = 10) -> None:
        self.url = url
        self.busy_timeout = busy_timeout
        self.connect_timeout = connect_timeout
        self._idle: queue.LifoQueue[psycopg.Connection] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(pool_size)
        self._closed = False
        with self._connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            conn.execute("CREATE TABLE IF NOT EXISTS central_meta "
                         "(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            row = conn.execute("SELECT value FROM central_meta WHERE key = 'schema_version'"
                               ).fetchone()
            version = int(row[0]) if row else 0
            if version > len(MIGRATIONS):
                raise StorageError(f"database schema v{version} is newer than this program "
                                   f"(v{len(MIGRATIONS)}); upgrade kiosk-central")
            for script in MIGRATIONS[version:]:
                conn.execute(script)
            conn.execute("INSERT INTO central_meta VALUES ('schema_version', %s) ON CONFLICT "
                         "(key) DO UPDATE SET value = excluded.value", (str(len(MIGRATIONS)),))

    # -- connections ----------------------------------------------------------------------
    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection]:
        if not self._slots.acquire(timeout=self.busy_timeout):
            raise StorageBusy("storage busy: all database connections in use", retry_after=2)
        conn = None
        try:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                conn = self._connect()
            yield conn
        except psycopg.Error as exc:
            if conn is not None and (conn.broken or conn.closed
                                     or isinstance(exc, psycopg.OperationalError)):
                conn.close()
                conn = None
            if isinstance(exc, _BUSY):
                raise StorageBusy(f"storage busy: {exc}", retry_after=2) from exc
            if isinstance(exc, psycopg.OperationalError):
                raise StorageBusy(f"database unavailable: {exc}", retry_after=10) from exc
            raise StorageError(f"database error: {exc}") from exc
        finally:
            if conn is not None and not conn.closed and not self._closed:
                self._idle.put(conn)
            elif conn is not None:
                conn.close()
            self._slots.release()

    def _connect(self) -> psycopg.Connection:
        try:
            conn = psycopg.connect(self.url, autocommit=True,
                                   connect_timeout=self.connect_timeout)
        except psycopg.OperationalError as exc:
            raise StorageBusy(f"database unavailable: {exc}", retry_after=10) from exc
        conn.execute("SET statement_timeout = '120s'")
        conn.execute(f"SET lock_timeout = '{int(self.busy_timeout * 1000)}ms'")
        return conn

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection]:
        with self._connection() as conn, conn.transaction():
            yield conn

    def _query(self, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        with self._connection() as conn:
            return conn.execute(sql, params).fetchall()

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                break

    # -- ingest primitives ----------------------------------------------------------------
    def _insert(self, tx: psycopg.Connection, rows: list[tuple[Any, ...]]) -> set[str]:
        if not rows:
            return set()
        with tx.cursor() as cur:
            cur.execute("CREATE TEMP TABLE IF NOT EXISTS incoming "
                        "(LIKE entries INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
            with cur.copy(f"COPY incoming ({_COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cur.execute(f"INSERT INTO entries ({_COLUMNS}) SELECT {_COLUMNS} FROM incoming "
                        f"ON CONFLICT (id) DO NOTHING RETURNING id")
            return {r[0] for r in cur.fetchall()}

    def _fetch(self, tx: psycopg.Connection, ids: list[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        cursor = tx.execute(f"SELECT {', '.join(ENTRY_COLUMNS)} FROM entries "
                            f"WHERE id = ANY(%s)", (ids,))
        return {row[0]: dict(zip(ENTRY_COLUMNS, row, strict=True)) for row in cursor}

    def _log_batch(self, tx: psycopg.Connection, record: dict[str, Any]) -> None:
        tx.execute(
            "INSERT INTO batches (batch_id, kiosk_id, sent_at, received_at, "
            "clock_offset_seconds, entries, accepted, duplicate, rejected) VALUES "
            "(%(batch_id)s, %(kiosk_id)s, %(sent_at)s, %(received_at)s, "
            "%(clock_offset_seconds)s, %(entries)s, %(accepted)s, %(duplicate)s, %(rejected)s)",
            record)
        tx.execute("UPDATE kiosks SET last_seen_at = %s, last_clock_offset = %s, "
                   "entries = entries + %s WHERE id = %s",
                   (record["received_at"], record["clock_offset_seconds"], record["accepted"],
                    record["kiosk_id"]))

    # -- kiosks and checkpoints -----------------------------------------------------------
    def add_checkpoint(self, checkpoint_id: str, name: str) -> bool:
        with self._transaction() as tx:
            return tx.execute(
                "INSERT INTO checkpoints (id, name, created_at) VALUES (%s, %s, %s) "
                "ON CONFLICT (id) DO NOTHING", (checkpoint_id, name, _now())).rowcount == 1

    def checkpoints(self) -> list[dict[str, Any]]:
        rows = self._query("SELECT c.id, c.name, c.created_at, (SELECT count(*) FROM kiosks k "
                           "WHERE k.checkpoint_id = c.id) FROM checkpoints c ORDER BY c.id")
        return [dict(zip(("id", "name", "created_at", "kiosks"), r, strict=True)) for r in rows]

    def add_kiosk(self, kiosk_id: str, checkpoint_id: str, name: str, token_hash: str,
                  file_key: bytes) -> Kiosk:
        with self._transaction() as tx:
            if tx.execute("SELECT 1 FROM kiosks WHERE id = %s", (kiosk_id,)).fetchone():
                raise EnrolmentError(f"kiosk {kiosk_id!r} already exists")
            if not tx.execute("SELECT 1 FROM checkpoints WHERE id = %s",
                              (checkpoint_id,)).fetchone():
                raise EnrolmentError(f"checkpoint {checkpoint_id!r} does not exist")
            tx.execute("INSERT INTO kiosks (id, checkpoint_id, name, token_hash, file_key, "
                       "created_at) VALUES (%s, %s, %s, %s, %s, %s)",
                       (kiosk_id, checkpoint_id, name, token_hash, file_key, _now()))
        kiosk = self.kiosk(kiosk_id)
        assert kiosk is not None
        return kiosk

    def kiosks(self) -> list[Kiosk]:
        return [Kiosk(*row) for row in self._query(_KIOSK_SELECT + " ORDER BY k.id")]

    def kiosk(self, kiosk_id: str) -> Kiosk | None:
        rows = self._query(_KIOSK_SELECT + " WHERE k.id = %s", (kiosk_id,))
        return Kiosk(*rows[0]) if rows else None

    def kiosk_for_token(self, token_hash: str) -> Kiosk | None:
        rows = self._query(_KIOSK_SELECT + " WHERE k.token_hash = %s", (token_hash,))
        return Kiosk(*rows[0]) if rows else None

    def revoke_kiosk(self, kiosk_id: str) -> bool:
        with self._transaction() as tx:
            return tx.execute("UPDATE kiosks SET revoked_at = %s WHERE id = %s AND revoked_at "
                              "IS NULL", (_now(), kiosk_id)).rowcount == 1

    def file_key(self, kiosk_id: str) -> bytes | None:
        rows = self._query("SELECT file_key FROM kiosks WHERE id = %s", (kiosk_id,))
        return bytes(rows[0][0]) if rows else None

    # -- reading back ---------------------------------------------------------------------
    def entries(self, *, kiosk_id: str | None = None, limit: int | None = None
                ) -> list[dict[str, Any]]:
        sql = f"SELECT {_COLUMNS} FROM entries"
        params: list[Any] = []
        if kiosk_id is not None:
            sql += " WHERE kiosk_id = %s"
            params.append(kiosk_id)
        sql += " ORDER BY id"
        if limit is not None:
            sql += " LIMIT %s"
            params.append(limit)
        return [dict(zip(STORED_COLUMNS, row, strict=True)) for row in self._query(sql, params)]

    def entry_count(self, kiosk_id: str | None = None) -> int:
        if kiosk_id is None:
            return self._query("SELECT count(*) FROM entries")[0][0]
        return self._query("SELECT count(*) FROM entries WHERE kiosk_id = %s",
                           (kiosk_id,))[0][0]

    def batches(self, kiosk_id: str | None = None) -> list[dict[str, Any]]:
        sql = f"SELECT {', '.join(_BATCH_COLUMNS)} FROM batches"
        params: tuple[Any, ...] = ()
        if kiosk_id is not None:
            sql += " WHERE kiosk_id = %s"
            params = (kiosk_id,)
        return [dict(zip(_BATCH_COLUMNS, r, strict=True))
                for r in self._query(sql + " ORDER BY seq", params)]


def _now() -> str:
    return format_time(dt.datetime.now(dt.UTC))
