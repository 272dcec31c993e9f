"""``kiosk store recover``: save what a damaged store still holds, keep the damaged file.

A fresh store is made beside the damaged one and every row that can still be read is copied
over: each table's keys are gathered from the table itself (from both ends) and from each
of its indexes, then each row is read by its key, so a damaged page loses only the rows
stored on it. ``iterdump`` stops at the first bad page, and the ``sqlite3`` program's
``.recover`` (3.40, Debian 12) fails outright on a store with a full-text index. The search
index is rebuilt from the saved rows. The damaged file is renamed, never deleted.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from kiosk.store import Store

CHUNK = 1000


class RecoveryError(RuntimeError):
    """Recovery could not run; the store is left exactly as it was."""


@dataclass(frozen=True)
class Recovery:
    damaged_copy: Path
    """Where the damaged file now is."""
    entries_before: int | None
    """Entries the damaged file still counted (None: it could not even count them)."""
    entries_saved: int
    pending_saved: int
    """Of those, not yet acknowledged by the centre: they will still be sent."""

    @property
    def entries_lost(self) -> int | None:
        return None if self.entries_before is None else \
            max(0, self.entries_before - self.entries_saved)


def recover(path: Path) -> Recovery:
    """Rebuild ``path`` from the rows that can still be read; the damaged file is kept beside
    it as ``<name>.damaged-<UTC time>`` (with its -wal/-shm). Stop the kiosk first."""
    if not path.is_file():
        raise RecoveryError(f"{path}: no such store file")
    fresh_path = path.with_name(path.name + ".recovering")
    fresh_path.unlink(missing_ok=True)
    try:
        damaged = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise RecoveryError(f"{path}: {exc}") from None
    with contextlib.closing(damaged):
        before = _one(damaged, "SELECT count(*) FROM entries")
        fresh = Store(fresh_path)
        try:
            with fresh.transaction() as conn:
                for table in _tables(conn):
                    _copy(damaged, conn, table)
            saved = _one(fresh.conn, "SELECT count(*) FROM entries") or 0
            pending = _one(fresh.conn, "SELECT count(*) FROM entries "
                                       "WHERE sync_state != 'acknowledged'") or 0
        finally:
            fresh.close()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = path.with_name(f"{path.name}.damaged-{stamp}")
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.replace(side, kept.with_name(kept.name + suffix))
    os.replace(path, kept)
    os.replace(fresh_path, path)
    return Recovery(kept, before, saved, pending)


def _tables(conn: sqlite3.Connection) -> list[str]:
    """The store's own tables (not the search index, which its triggers refill)."""
    return [name for (name,) in conn.execute(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND sql NOT LIKE 'CREATE "
        "VIRTUAL%' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%search%'")]


def _copy(damaged: sqlite3.Connection, fresh: sqlite3.Connection, table: str) -> None:
    """Every row of ``table`` that can still be read: its keys gathered from the table and
    each of its indexes (ascending and descending, so rows on both sides of a damaged page
    are found), then each row read by its key."""
    try:
        info = damaged.execute(f'PRAGMA table_info("{table}")').fetchall()
        indexes = [r[1] for r in damaged.execute(f'PRAGMA index_list("{table}")')]
        (schema,) = damaged.execute("SELECT sql FROM sqlite_schema WHERE name = ?",
                                    (table,)).fetchone()
    except sqlite3.DatabaseError:
        return
    mine = {r[1] for r in fresh.execute(f'PRAGMA table_info("{table}")')}
    columns = [r[1] for r in info if r[1] in mine]
    pk = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]]
    key = pk if "WITHOUT ROWID" in schema.upper() else ["rowid"]
    keys_sql = ", ".join(f'"{k}"' if k != "rowid" else k for k in key)
    sources = [f'SELECT {keys_sql} FROM "{table}" NOT INDEXED ORDER BY {keys_sql} {order}'
               for order in ("ASC", "DESC")]
    sources += [f'SELECT {keys_sql} FROM "{table}" INDEXED BY "{index}"' for index in indexes]
    keys: set[tuple[object, ...]] = set()
    for sql in sources:
        with contextlib.suppress(sqlite3.DatabaseError):
            cursor = damaged.execute(sql)
            while batch := cursor.fetchmany(CHUNK):
                keys.update(batch)
    names = ", ".join(f'"{c}"' for c in columns)
    match = " AND ".join(f"{k} = ?" if k == "rowid" else f'"{k}" = ?' for k in key)
    read = f'SELECT {names} FROM "{table}" WHERE {match}'
    write = (f'INSERT OR IGNORE INTO "{table}" ({names}) '
             f'VALUES ({", ".join("?" * len(columns))})')
    for k in sorted(keys, key=repr):
        with contextlib.suppress(sqlite3.DatabaseError):
            row = damaged.execute(read, k).fetchone()
            if row is not None:
                fresh.execute(write, row)


def _one(conn: sqlite3.Connection, sql: str) -> int | None:
    try:
        return int(conn.execute(sql).fetchone()[0])
    except sqlite3.DatabaseError:
        return None
