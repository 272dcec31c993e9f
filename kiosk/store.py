"""The kiosk's local database: schema, migrations, queries, sync outbox, retention.

One SQLite file in WAL mode with ``synchronous=FULL``: once ``commit`` returns, the row
survives a power cut. Every entry is keyed by a UUIDv7 created here and carries its sync
state, so the entries table *is* the outbox: nothing is copied, nothing can drift apart.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlite_utils

PENDING, SENT, ACKNOWLEDGED, REJECTED = "pending", "sent", "acknowledged", "rejected"
PURGE_CHUNK = 2000
INSIDE_WINDOW = dt.timedelta(hours=24)
"""A person counts as inside if their last movement here, within this window, was "in"."""

ENTRY_COLUMNS = (
    "id", "checkpoint_id", "kiosk_id", "device_id", "lane", "direction", "status",
    "duplicate_of", "source", "symbology", "scanned_at", "monotonic_ns", "boot_id", "kind",
    "subject_key", "match_key", "document_number", "name", "birth_date", "gender", "address",
    "issue_date", "extra", "payload", "operator", "certificate",
)


class StoreError(RuntimeError):
    """The database refused a write (disk full, read-only, corrupt): the scan is NOT recorded."""


def utc_iso(ts: float) -> str:
    """Sortable UTC text with microseconds; the one time format stored."""
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _v1(db: sqlite_utils.Database) -> None:
    db.execute("""
        CREATE TABLE entries (
            id TEXT PRIMARY KEY,
            checkpoint_id TEXT NOT NULL,
            kiosk_id TEXT NOT NULL,
            device_id TEXT NOT NULL,
            lane TEXT,
            direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
            status TEXT NOT NULL CHECK (status IN ('accepted', 'duplicate')),
            duplicate_of TEXT,
            source TEXT NOT NULL,
            symbology TEXT NOT NULL DEFAULT '',
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
            extra TEXT NOT NULL DEFAULT '{}',
            payload BLOB NOT NULL,
            operator TEXT NOT NULL DEFAULT '',
            sync_state TEXT NOT NULL DEFAULT 'pending'
                CHECK (sync_state IN ('pending', 'sent', 'acknowledged', 'rejected')),
            sync_error TEXT,
            synced_at TEXT
        ) WITHOUT ROWID""")
    db.execute("CREATE INDEX entries_scanned_at ON entries (scanned_at)")
    db.execute("CREATE INDEX entries_subject ON entries (subject_key, checkpoint_id, scanned_at)")
    db.execute("CREATE INDEX entries_match ON entries (match_key) WHERE match_key IS NOT NULL")
    db.execute("CREATE INDEX entries_pending ON entries (id) "
               "WHERE sync_state IN ('pending', 'sent')")
    db.execute("CREATE INDEX entries_rejected ON entries (id) WHERE sync_state = 'rejected'")
    db.execute("""
        CREATE TABLE refused_scans (
            id TEXT PRIMARY KEY,
            scanned_at TEXT NOT NULL,
            device_id TEXT NOT NULL,
            reason_code TEXT NOT NULL,
            detail TEXT NOT NULL,
            payload BLOB NOT NULL
        )""")
    db.execute("CREATE INDEX refused_scanned_at ON refused_scans (scanned_at)")
    db.execute("""
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}'
        )""")
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


def _v2(db: sqlite_utils.Database) -> None:
    """The certificate verdict of HC1 entries: JSON (kiosk.certificates.Verdict.to_record),
    NULL for every other kind."""
    db.execute("ALTER TABLE entries ADD COLUMN certificate TEXT")


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1, _v2]
"""Forward-only: migration *n* takes the schema from version n to n+1. Append, never edit."""


@dataclass(frozen=True)
class LastMovement:
    entry_id: str
    scanned_at: dt.datetime
    direction: str


@dataclass(frozen=True)
class OutboxSummary:
    pending: int
    """Entries the centre has not acknowledged yet (``pending`` and ``sent``)."""
    rejected: int
    oldest_pending: str | None
    """``scanned_at`` of the oldest pending entry (by id, i.e. creation order)."""


@dataclass(frozen=True)
class Stats:
    entries_in: int
    entries_out: int
    inside: int
    duplicates: int
    refused: int
    per_hour: dict[int, int]


class Store:
    """One connection per Store; writers serialise on ``lock`` (SQLite has one writer anyway)."""

    def __init__(self, path: str | Path, *, timezone: ZoneInfo | None = None) -> None:
        self.path = Path(path)
        self.timezone = timezone or ZoneInfo("UTC")
        self.lock = threading.RLock()
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(
            str(path), check_same_thread=False, isolation_level=None, timeout=30
        )
        try:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.execute("PRAGMA busy_timeout=30000")
            self.db = sqlite_utils.Database(self.conn)
            self.migrate()
        except sqlite3.Error as exc:
            self.conn.close()
            raise StoreError(f"{path}: {exc}") from exc

    # -- schema ---------------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self) -> None:
        with self.lock:
            version = self.schema_version
            if version > len(MIGRATIONS):
                raise StoreError(
                    f"{self.path}: database schema v{version} is newer than this program "
                    f"(v{len(MIGRATIONS)}); upgrade the kiosk software"
                )
            for target, step in enumerate(MIGRATIONS[version:], start=version + 1):
                with self.transaction():
                    step(self.db)
                    self.conn.execute(f"PRAGMA user_version={target}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT; any SQLite failure rolls back and becomes a StoreError."""
        with self.lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(str(exc)) from exc
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except BaseException as exc:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(str(exc)) from exc
                raise

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    # -- the scan hot path ----------------------------------------------------------------
    def last_movement(self, subject_key: str, checkpoint_id: str) -> LastMovement | None:
        row = self.conn.execute(
            "SELECT id, scanned_at, direction FROM entries "
            "WHERE subject_key = ? AND checkpoint_id = ? ORDER BY scanned_at DESC LIMIT 1",
            (subject_key, checkpoint_id),
        ).fetchone()
        return LastMovement(row[0], parse_utc(row[1]), row[2]) if row else None

    def subject_for_match(self, match_key: str) -> str | None:
        """The full-document subject key last seen with this match key, if any."""
        row = self.conn.execute(
            "SELECT subject_key FROM entries WHERE match_key = ? AND subject_key LIKE 'doc:%' "
            "ORDER BY scanned_at DESC LIMIT 1",
            (match_key,),
        ).fetchone()
        return row[0] if row else None

    def insert_entry(self, conn: sqlite3.Connection, row: dict[str, Any]) -> None:
        conn.execute(_INSERT_ENTRY, [row[c] for c in ENTRY_COLUMNS])

    def insert_refused(self, row: dict[str, Any]) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO refused_scans (id, scanned_at, device_id, reason_code, detail, "
                "payload) VALUES (:id, :scanned_at, :device_id, :reason_code, :detail, :payload)",
                row,
            )

    # -- queries for people ---------------------------------------------------------------
    def day_bounds(self, day: dt.date | None = None) -> tuple[str, str]:
        """UTC text bounds of a local calendar day at this checkpoint."""
        day = day or dt.datetime.now(self.timezone).date()
        start = dt.datetime.combine(day, dt.time(), self.timezone)
        end = start + dt.timedelta(days=1)
        return utc_iso(start.timestamp()), utc_iso(end.timestamp())

    def entries(
        self,
        *,
        since: str | None = None,
        until: str | None = None,
        direction: str | None = None,
        subject: str | None = None,
        search: str | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[dict[str, Any]]:
        where, params = ["1=1"], []
        if since:
            where.append("scanned_at >= ?")
            params.append(since)
        if until:
            where.append("scanned_at < ?")
            params.append(until)
        if direction:
            where.append("direction = ?")
            params.append(direction)
        if subject:
            where.append("(subject_key = ? OR document_number = ?)")
            params += [subject if ":" in subject else f"doc:{subject}", subject]
        if search:
            where.append("(name LIKE ? OR document_number LIKE ?)")
            params += [f"%{search}%", f"%{search}%"]
        sql = (f"SELECT * FROM entries WHERE {' AND '.join(where)} "
               f"ORDER BY scanned_at {'DESC' if newest_first else 'ASC'}")
        if limit:
            sql += f" LIMIT {int(limit)}"
        return list(self.db.query(sql, params))

    def stats(self, checkpoint_id: str, day: dt.date | None = None) -> Stats:
        since, until = self.day_bounds(day)
        counts = dict(self.conn.execute(
            "SELECT CASE WHEN status = 'duplicate' THEN 'dup' ELSE direction END, count(*) "
            "FROM entries WHERE checkpoint_id = ? AND scanned_at >= ? AND scanned_at < ? "
            "GROUP BY 1", (checkpoint_id, since, until)).fetchall())
        per_hour: dict[int, int] = {}
        for (scanned_at,) in self.conn.execute(
            "SELECT scanned_at FROM entries WHERE checkpoint_id = ? AND scanned_at >= ? "
            "AND scanned_at < ?", (checkpoint_id, since, until)):
            hour = parse_utc(scanned_at).astimezone(self.timezone).hour
            per_hour[hour] = per_hour.get(hour, 0) + 1
        refused = self.conn.execute(
            "SELECT count(*) FROM refused_scans WHERE scanned_at >= ? AND scanned_at < ?",
            (since, until)).fetchone()[0]
        return Stats(
            entries_in=counts.get("in", 0),
            entries_out=counts.get("out", 0),
            inside=self.inside_count(checkpoint_id),
            duplicates=counts.get("dup", 0),
            refused=refused,
            per_hour=per_hour,
        )

    def refused_by_hour(self, since: str) -> dict[str, int]:
        """Refused scans per UTC hour (``YYYY-MM-DDTHH``) from ``since`` (store time text)
        on, for the health report the centre's daily report reads."""
        with self.lock:
            return dict(self.conn.execute(
                "SELECT substr(scanned_at, 1, 13), count(*) FROM refused_scans "
                "WHERE scanned_at >= ? GROUP BY 1", (since,)).fetchall())

    def inside_count(self, checkpoint_id: str, now: float | None = None) -> int:
        since = utc_iso((now or dt.datetime.now(dt.UTC).timestamp())
                        - INSIDE_WINDOW.total_seconds())
        return self.conn.execute(
            "SELECT count(*) FROM (SELECT direction, max(scanned_at) FROM entries "
            "WHERE checkpoint_id = ? AND scanned_at >= ? GROUP BY subject_key) "
            "WHERE direction = 'in'", (checkpoint_id, since)).fetchone()[0]

    # -- sync outbox ----------------------------------------------------------------------
    def pending(self, limit: int, after_id: str = "") -> list[dict[str, Any]]:
        """Oldest unacknowledged entries first (UUIDv7 order is creation order).

        ``sent`` (handed to the centre or written to a backlog file, no answer yet) stays in
        the pending set: only an acknowledgement takes an entry out of it.
        """
        cursor = self.conn.execute(
            "SELECT * FROM entries INDEXED BY entries_pending "  # else SQLite sorts the backlog
            "WHERE sync_state IN ('pending', 'sent') AND id > ? ORDER BY id LIMIT ?",
            (after_id, limit))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def mark_synced(self, acknowledged: list[str], rejected: dict[str, str],
                    meta: dict[str, str | None] | None = None) -> None:
        """Apply one server answer atomically: either all of it is recorded or none.

        ``meta`` (sync status such as the time of this success) is written in the same
        transaction, so it costs no extra fsync.
        """
        now = utc_iso(dt.datetime.now(dt.UTC).timestamp())
        with self.transaction() as conn:
            if meta:
                self._set_meta(conn, meta)
            conn.execute(  # one statement for the whole batch: 3× faster than executemany
                "UPDATE entries SET sync_state = 'acknowledged', sync_error = NULL, "
                "synced_at = ? WHERE id IN (SELECT value FROM json_each(?))",
                (now, json.dumps(acknowledged)))
            conn.executemany(
                "UPDATE entries SET sync_state = 'rejected', sync_error = ?, synced_at = ? "
                "WHERE id = ?", [(reason, now, i) for i, reason in rejected.items()])

    def retry_rejected(self, actor: str = "operator") -> int:
        with self.transaction() as conn:
            count = conn.execute(
                "UPDATE entries SET sync_state = 'pending' WHERE sync_state = 'rejected'"
            ).rowcount
            self._audit(conn, actor, "sync.retry_rejected", {"count": count})
        return count

    def sync_counts(self) -> dict[str, int]:
        """Counts per sync state; the small states come from their partial indexes."""
        counts = dict(self.conn.execute(
            "SELECT sync_state, count(*) FROM entries WHERE sync_state IN ('pending', 'sent') "
            "GROUP BY sync_state").fetchall())
        counts[REJECTED] = self.conn.execute(
            "SELECT count(*) FROM entries WHERE sync_state = 'rejected'").fetchone()[0]
        total = self.conn.execute("SELECT count(*) FROM entries").fetchone()[0]
        counts[ACKNOWLEDGED] = total - sum(counts.values())
        return {s: counts.get(s, 0) for s in (PENDING, SENT, ACKNOWLEDGED, REJECTED)}

    def oldest_pending(self) -> str | None:
        """``scanned_at`` of the oldest unacknowledged entry: the first in id (creation) order,
        read from the pending index in one step even with a million entries waiting."""
        with self.lock:
            row = self.conn.execute(
                "SELECT scanned_at FROM entries INDEXED BY entries_pending "
                "WHERE sync_state IN ('pending', 'sent') ORDER BY id LIMIT 1").fetchone()
        return row[0] if row else None

    def outbox_summary(self) -> OutboxSummary:
        """Pending/rejected counts and the oldest pending entry, from indexes only.

        Cheap enough to call every second during an upload even with a million pending
        entries (``sync_counts``/``oldest_pending`` scan the table).
        """
        with self.lock:
            pending = self.conn.execute(
                "SELECT count(*) FROM entries WHERE sync_state IN ('pending', 'sent')"
            ).fetchone()[0]
            rejected = self.conn.execute(
                "SELECT count(*) FROM entries WHERE sync_state = 'rejected'").fetchone()[0]
        return OutboxSummary(pending, rejected, self.oldest_pending())

    def mark_sent(self, ids: list[str]) -> int:
        """Note that these pending entries left the kiosk (e.g. in a backlog file).

        They stay in the pending set until the centre acknowledges them.
        """
        with self.transaction() as conn:
            return conn.execute(
                "UPDATE entries SET sync_state = 'sent' WHERE sync_state = 'pending' "
                "AND id IN (SELECT value FROM json_each(?))", (json.dumps(ids),)).rowcount

    def rejected_entries(self, limit: int = 100) -> list[dict[str, Any]]:
        """Entries the centre refused (quarantine), oldest first, with the reason it gave."""
        return list(self.db.query(
            "SELECT id, scanned_at, device_id, kind, direction, sync_error, synced_at "
            "FROM entries WHERE sync_state = 'rejected' ORDER BY id LIMIT ?", [limit]))

    # -- meta: small named values other processes can read (e.g. sync status) -------------
    def meta(self, prefix: str = "") -> dict[str, str]:
        return dict(self.conn.execute(
            "SELECT key, value FROM meta WHERE key >= ? AND key < ?",
            (prefix, prefix + "\uffff")).fetchall())

    def set_meta(self, values: dict[str, str | None]) -> None:
        """Write several values at once; None deletes a key."""
        with self.transaction() as conn:
            self._set_meta(conn, values)

    @staticmethod
    def _set_meta(conn: sqlite3.Connection, values: dict[str, str | None]) -> None:
        conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) "
                         "DO UPDATE SET value = excluded.value",
                         [(k, v) for k, v in values.items() if v is not None])
        conn.executemany("DELETE FROM meta WHERE key = ?",
                         [(k,) for k, v in values.items() if v is None])

    # -- retention and audit --------------------------------------------------------------
    def purge(self, retention_days: int, now: float | None = None,
              chunk: int = PURGE_CHUNK) -> int:
        """Delete acknowledged entries older than the retention; pending ones are never purged.

        Deletes ``chunk`` rows per transaction so that scans, which wait for the same write
        lock, are held up for milliseconds even when weeks of entries expire at once.
        """
        cutoff = utc_iso((now or dt.datetime.now(dt.UTC).timestamp()) - retention_days * 86400)
        removed = 0
        while True:
            with self.transaction() as conn:
                count = conn.execute(
                    "DELETE FROM entries WHERE id IN (SELECT id FROM entries "
                    "WHERE scanned_at < ? AND sync_state = 'acknowledged' LIMIT ?)",
                    (cutoff, chunk)).rowcount
                refused = conn.execute(
                    "DELETE FROM refused_scans WHERE id IN (SELECT id FROM refused_scans "
                    "WHERE scanned_at < ? LIMIT ?)", (cutoff, chunk)).rowcount
            removed += count
            if count < chunk and refused < chunk:
                break
        if removed:
            self.audit("system", "retention.purge", {"removed": removed, "before": cutoff})
        return removed

    def audit(self, actor: str, action: str, detail: dict[str, Any] | None = None) -> None:
        with self.transaction() as conn:
            self._audit(conn, actor, action, detail or {})

    @staticmethod
    def _audit(conn: sqlite3.Connection, actor: str, action: str, detail: dict[str, Any]) -> None:
        conn.execute(
            "INSERT INTO audit_log (at, actor, action, detail) VALUES (?, ?, ?, ?)",
            (utc_iso(dt.datetime.now(dt.UTC).timestamp()), actor, action,
             json.dumps(detail, ensure_ascii=False)),
        )

    def audit_log(self) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM audit_log ORDER BY id"))


_INSERT_ENTRY = (
    f"INSERT INTO entries ({', '.join(ENTRY_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in ENTRY_COLUMNS)})"
)
