"""Central storage in one SQLite file (WAL, synchronous=FULL): the no-setup default.

Readers get a connection per thread and never wait for the writer (WAL); writers take one
process-wide lock and ``BEGIN IMMEDIATE``, so each batch is one transaction and one fsync.
Another process writing the same file (``kiosk-central import``) is waited for up to
``busy_timeout`` seconds, after which the request is answered 503 and the kiosk retries.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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


def _v1(conn: sqlite3.Connection) -> None:
    conn.execute("""
        CREATE TABLE checkpoints (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""")
    conn.execute("""
        CREATE TABLE kiosks (
            id TEXT PRIMARY KEY,
            checkpoint_id TEXT NOT NULL REFERENCES checkpoints (id),
            name TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            file_key BLOB NOT NULL,
            created_at TEXT NOT NULL,
            revoked_at TEXT,
            last_seen_at TEXT,
            last_clock_offset REAL,
            entries INTEGER NOT NULL DEFAULT 0
        )""")
    conn.execute("""
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
            monotonic_ns INTEGER NOT NULL,
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
            extra TEXT NOT NULL,
            payload BLOB NOT NULL,
            received_at TEXT NOT NULL,
            clock_offset_seconds REAL NOT NULL,
            batch_id TEXT NOT NULL
        )""")
    conn.execute("CREATE INDEX entries_checkpoint_time ON entries (checkpoint_id, scanned_at)")
    conn.execute("CREATE INDEX entries_subject_time ON entries (subject_key, scanned_at)")
    conn.execute("""
        CREATE TABLE batches (
            seq INTEGER PRIMARY KEY,
            batch_id TEXT NOT NULL,
            kiosk_id TEXT NOT NULL,
            sent_at TEXT NOT NULL,
            received_at TEXT NOT NULL,
            clock_offset_seconds REAL NOT NULL,
            entries INTEGER NOT NULL,
            accepted INTEGER NOT NULL,
            duplicate INTEGER NOT NULL,
            rejected INTEGER NOT NULL
        )""")
    conn.execute("CREATE INDEX batches_kiosk ON batches (kiosk_id, seq)")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1]
"""Forward-only: migration *n* takes the schema from version n to n+1. Append, never edit."""

_INSERT = (f"INSERT INTO entries ({', '.join(STORED_COLUMNS)}) "
           f"VALUES ({', '.join('?' for _ in STORED_COLUMNS)})")
_KIOSK_SELECT = (
    "SELECT k.id, k.checkpoint_id, k.name, k.created_at, k.revoked_at, k.last_seen_at, "
    "k.last_clock_offset, k.entries FROM kiosks k")


class SqliteStorage(Storage):
    def __init__(self, url: str, *, busy_timeout: float = 10.0) -> None:
        self.url = url
        self.path = Path(url.removeprefix("sqlite:///"))
        self.busy_timeout = busy_timeout
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._migrate()

    # -- connections ----------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, isolation_level=None,
                                       timeout=self.busy_timeout, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
                conn.execute("PRAGMA foreign_keys=ON")
                conn.execute("PRAGMA cache_size=-65536")
            except sqlite3.Error as exc:
                raise StorageError(f"{self.path}: {exc}") from exc
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        if not self._write_lock.acquire(timeout=self.busy_timeout):
            raise StorageBusy("storage busy: another batch is being written", retry_after=2)
        try:
            conn = self._conn()
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise StorageBusy(f"storage busy: {exc}", retry_after=5) from exc
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StorageError(f"{self.path}: {exc}") from exc
                raise
        finally:
            self._write_lock.release()

    def _migrate(self) -> None:
        with self._transaction() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise StorageError(f"{self.path}: schema v{version} is newer than this program "
                                   f"(v{len(MIGRATIONS)}); upgrade kiosk-central")
            for target, step in enumerate(MIGRATIONS[version:], start=version + 1):
                step(conn)
                conn.execute(f"PRAGMA user_version={target}")

    def _query(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        conn = self._conn()
        try:
            return conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            raise StorageBusy(f"storage busy: {exc}") from exc

    def close(self) -> None:
        with self._all_lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

    # -- ingest primitives ----------------------------------------------------------------
    def _insert(self, tx: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> set[str]:
        ids = [row[0] for row in rows]
        held = {r[0] for r in tx.execute(
            "SELECT id FROM entries WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(ids),))}
        new = [row for row in rows if row[0] not in held] if held else rows
        tx.executemany(_INSERT, new)
        return {row[0] for row in new}

    def _fetch(self, tx: sqlite3.Connection, ids: list[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        cursor = tx.execute(
            f"SELECT {', '.join(ENTRY_COLUMNS)} FROM entries "
            f"WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(ids),))
        return {row[0]: dict(zip(ENTRY_COLUMNS, row, strict=True)) for row in cursor}

    def _log_batch(self, tx: sqlite3.Connection, record: dict[str, Any]) -> None:
        tx.execute(
            "INSERT INTO batches (batch_id, kiosk_id, sent_at, received_at, "
            "clock_offset_seconds, entries, accepted, duplicate, rejected) VALUES "
            "(:batch_id, :kiosk_id, :sent_at, :received_at, :clock_offset_seconds, :entries, "
            ":accepted, :duplicate, :rejected)", record)
        tx.execute("UPDATE kiosks SET last_seen_at = ?, last_clock_offset = ?, "
                   "entries = entries + ? WHERE id = ?",
                   (record["received_at"], record["clock_offset_seconds"], record["accepted"],
                    record["kiosk_id"]))

    # -- kiosks and checkpoints -----------------------------------------------------------
    def add_checkpoint(self, checkpoint_id: str, name: str) -> bool:
        with self._transaction() as tx:
            return tx.execute(
                "INSERT INTO checkpoints (id, name, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (id) DO NOTHING", (checkpoint_id, name, _now())).rowcount == 1

    def checkpoints(self) -> list[dict[str, Any]]:
        rows = self._query("SELECT c.id, c.name, c.created_at, (SELECT count(*) FROM kiosks k "
                           "WHERE k.checkpoint_id = c.id) FROM checkpoints c ORDER BY c.id")
        return [dict(zip(("id", "name", "created_at", "kiosks"), r, strict=True)) for r in rows]

    def add_kiosk(self, kiosk_id: str, checkpoint_id: str, name: str, token_hash: str,
                  file_key: bytes) -> Kiosk:
        with self._transaction() as tx:
            if tx.execute("SELECT 1 FROM kiosks WHERE id = ?", (kiosk_id,)).fetchone():
                raise EnrolmentError(f"kiosk {kiosk_id!r} already exists")
            if not tx.execute("SELECT 1 FROM checkpoints WHERE id = ?",
                              (checkpoint_id,)).fetchone():
                raise EnrolmentError(f"checkpoint {checkpoint_id!r} does not exist")
            tx.execute("INSERT INTO kiosks (id, checkpoint_id, name, token_hash, file_key, "
                       "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                       (kiosk_id, checkpoint_id, name, token_hash, file_key, _now()))
        kiosk = self.kiosk(kiosk_id)
        assert kiosk is not None
        return kiosk

    def kiosks(self) -> list[Kiosk]:
        return [Kiosk(*row) for row in self._query(_KIOSK_SELECT + " ORDER BY k.id")]

    def kiosk(self, kiosk_id: str) -> Kiosk | None:
        rows = self._query(_KIOSK_SELECT + " WHERE k.id = ?", (kiosk_id,))
        return Kiosk(*rows[0]) if rows else None

    def kiosk_for_token(self, token_hash: str) -> Kiosk | None:
        rows = self._query(_KIOSK_SELECT + " WHERE k.token_hash = ?", (token_hash,))
        return Kiosk(*rows[0]) if rows else None

    def revoke_kiosk(self, kiosk_id: str) -> bool:
        with self._transaction() as tx:
            return tx.execute("UPDATE kiosks SET revoked_at = ? WHERE id = ? AND revoked_at "
                              "IS NULL", (_now(), kiosk_id)).rowcount == 1

    def file_key(self, kiosk_id: str) -> bytes | None:
        rows = self._query("SELECT file_key FROM kiosks WHERE id = ?", (kiosk_id,))
        return bytes(rows[0][0]) if rows else None

    # -- reading back ---------------------------------------------------------------------
    def entries(self, *, kiosk_id: str | None = None, limit: int | None = None
                ) -> list[dict[str, Any]]:
        sql = f"SELECT {', '.join(STORED_COLUMNS)} FROM entries"
        params: list[Any] = []
        if kiosk_id is not None:
            sql += " WHERE kiosk_id = ?"
            params.append(kiosk_id)
        sql += " ORDER BY id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        out = []
        for row in self._query(sql, params):
            entry = dict(zip(STORED_COLUMNS, row, strict=True))
            entry["extra"] = json.loads(entry["extra"])
            out.append(entry)
        return out

    def entry_count(self, kiosk_id: str | None = None) -> int:
        if kiosk_id is None:
            return self._query("SELECT count(*) FROM entries")[0][0]
        return self._query("SELECT count(*) FROM entries WHERE kiosk_id = ?", (kiosk_id,))[0][0]

    def batches(self, kiosk_id: str | None = None) -> list[dict[str, Any]]:
        columns = ("batch_id", "kiosk_id", "sent_at", "received_at", "clock_offset_seconds",
                   "entries", "accepted", "duplicate", "rejected")
        sql = f"SELECT {', '.join(columns)} FROM batches"
        params: tuple[Any, ...] = ()
        if kiosk_id is not None:
            sql += " WHERE kiosk_id = ?"
            params = (kiosk_id,)
        return [dict(zip(columns, r, strict=True)) for r in self._query(sql + " ORDER BY seq",
                                                                          params)]


def _now() -> str:
    return format_time(dt.datetime.now(dt.UTC))
