"""``kiosk store recover``: save what a damaged store still holds, keep the damaged file;
``kiosk store restore``: put a backup back in the store's place, keeping the file it replaces.

A fresh store is made beside the damaged one and every row that can still be read is copied
over: each table's keys are gathered from the table itself (from both ends) and from each
of its indexes, then each row is read by its key, so a damaged page loses only the rows
stored on it. ``iterdump`` stops at the first bad page, and the ``sqlite3`` program's
``.recover`` (3.40, Debian 12) fails outright on a store with a full-text index. What is
derived from the entries (who is inside, the name search) is rebuilt from the saved rows,
never copied. An entry whose id an index still holds but whose row is gone is listed, with
whether it had reached the centre, in ``<name>.lost-<UTC time>.txt``. The damaged file is
renamed, never deleted.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import logging
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from kiosk.ids import boot_id, uuid7_time_ms
from kiosk.messages import WordedError, Words
from kiosk.private_files import STORE_SIDE_FILES, create_private, hand_over, open_private
from kiosk.store import (
    Store,
    failure_words,
    fill_counts,
    fill_movements,
    fill_presence,
    fill_search,
    fill_search_words,
    quick_check,
    read_only_uri,
    shm_not_grown,
)

log = logging.getLogger(__name__)

CHUNK = 1000


class RecoveryError(WordedError, RuntimeError):
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
    lost_ids: tuple[str, ...] = ()
    """Entries whose id the damaged file still knows but whose row could not be read."""
    lost_unsent: int = 0
    """Of those, the ones known not to have reached the centre: gone for good."""
    lost_unknown: int = 0
    """Of those, the ones whose outbox record is damaged too: they may not have reached the
    centre either, and only the centre can tell."""
    lost_list: Path | None = None
    """The file listing them (None when none is known lost)."""

    @property
    def entries_lost(self) -> int | None:
        """Entries lost: those known by id, or the count the damaged file gave, whichever is
        larger; None when neither is known."""
        counted = None if self.entries_before is None else \
            max(0, self.entries_before - self.entries_saved)
        if counted is None and not self.lost_ids:
            return None
        return max(counted or 0, len(self.lost_ids))


DERIVED_TABLES = ("presence", "entries_search", "search_words", "entry_counts",
                  "entry_counts_mark")
"""Rebuilt from the saved entries, never copied (a copy would count the lost entries)."""


def recover(path: Path) -> Recovery:
    """Rebuild ``path`` from the rows that can still be read; the damaged file is kept beside
    it as ``<name>.damaged-<UTC time>`` (with its -wal/-shm). Stop the kiosk first."""
    if not path.is_file():
        raise RecoveryError("recovery.no_store", path=path)
    fresh_path = path.with_name(path.name + ".recovering")
    with contextlib.closing(_held(path)):
        fresh_path.unlink(missing_ok=True)
        return _recover(path, fresh_path)


def _held(path: Path) -> sqlite3.Connection:
    """A connection holding the write lock of the store at ``path`` (SQLite's, which every
    kiosk command and the kiosk take to write), until it is closed: nothing another program
    commits meanwhile may land in the file after its rows were copied and before it is set
    aside. RecoveryError when another program holds the lock (the store is then left as it
    was). A file too damaged for SQLite to take its lock is recovered without it."""
    try:
        held = sqlite3.connect(path, isolation_level=None, timeout=5)
    except sqlite3.Error as exc:
        raise RecoveryError("store.failed", path=path, detail=failure_words(exc, path)) from exc
    try:
        held.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:  # a disk too full to open the store on has no room for
        if shm_not_grown(exc) or getattr(exc, "sqlite_errorcode", 0) & 0xFF in (  # a copy
                sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            held.close()
            raise RecoveryError("store.failed", path=path,
                                detail=failure_words(exc, path)) from exc
        log.info("%s: recovered without its write lock: %s", path, exc)
    return held


def _recover(path: Path, fresh_path: Path) -> Recovery:
    try:
        damaged = sqlite3.connect(read_only_uri(path), uri=True)  # "#", "?", "%" quoted
    except sqlite3.Error as exc:
        raise RecoveryError("store.failed", path=path, detail=failure_words(exc, path)) from exc
    with contextlib.closing(damaged):
        before = _count(damaged, "entries")
        unsent_ids, unsent_complete = _unsent(damaged)
        fresh = Store(fresh_path)
        try:
            with fresh.transaction() as conn:
                known: set[tuple[object, ...]] = set()
                for table in _tables(conn):
                    found = _copy(damaged, conn, table)
                    if table == "entries":
                        known = found
                for table in DERIVED_TABLES:
                    conn.execute(f'DELETE FROM "{table}"')
                fill_presence(conn)
                fill_movements(conn, boot_id())
                fill_search(conn)
                fill_search_words(conn)
                fill_counts(conn)
            saved_ids = _keys(fresh.conn, "SELECT id FROM entries")
            pending = _one(fresh.conn, "SELECT count(*) FROM entries "
                                       "WHERE sync_state != 'acknowledged'") or 0
        finally:
            fresh.close()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    lost = sorted(str(k[0]) for k in known - saved_ids)
    lost_unsent = sum(1 for i in lost if (i,) in unsent_ids)
    lost_unknown = 0 if unsent_complete else len(lost) - lost_unsent
    listing = path.with_name(f"{path.name}.lost-{stamp}.txt") if lost else None
    if listing is not None:
        with open_private(listing, "w", encoding="utf-8") as out:
            out.write("# entries lost from the damaged store: id, created (UTC), state\n")
            for entry_id in lost:
                created = dt.datetime.fromtimestamp(uuid7_time_ms(entry_id) / 1000, dt.UTC)
                state = "NOT SENT" if (entry_id,) in unsent_ids else \
                    "held by the centre" if unsent_complete else \
                    "unknown (the outbox index is damaged too)"
                out.write(f"{entry_id}\t{created:%Y-%m-%dT%H:%M:%SZ}\t{state}\n")
    kept = path.with_name(f"{path.name}.damaged-{stamp}")
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.replace(side, kept.with_name(kept.name + suffix))
    os.replace(path, kept)
    os.replace(fresh_path, path)
    return Recovery(kept, before, len(saved_ids), pending, tuple(lost), lost_unsent,
                    lost_unknown, listing)


def _tables(conn: sqlite3.Connection) -> list[str]:
    """The store's own tables, not those derived from the entries, nor FTS5's shadows."""
    return [name for (name,) in conn.execute(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND sql NOT LIKE 'CREATE "
        "VIRTUAL%' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'entries_search%'")
        if name not in DERIVED_TABLES]


def _copy(damaged: sqlite3.Connection, fresh: sqlite3.Connection, table: str
          ) -> set[tuple[object, ...]]:
    """Every row of ``table`` that can still be read: its keys gathered from the table and
    each of its indexes (ascending and descending, so rows on both sides of a damaged page
    are found), then each row read by its key. Returns every key found."""
    try:
        info = damaged.execute(f'PRAGMA table_info("{table}")').fetchall()
        indexes = [r[1] for r in damaged.execute(f'PRAGMA index_list("{table}")')]
        (schema,) = damaged.execute("SELECT sql FROM sqlite_schema WHERE name = ?",
                                    (table,)).fetchone()
    except sqlite3.DatabaseError:
        return set()
    mine = {r[1] for r in fresh.execute(f'PRAGMA table_info("{table}")')}
    columns = [r[1] for r in info if r[1] in mine]
    pk = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]]
    key = pk if "WITHOUT ROWID" in schema.upper() else ["rowid"]
    keys_sql = ", ".join(f'"{k}"' if k != "rowid" else k for k in key)
    keys: set[tuple[object, ...]] = set()
    for order in ("ASC", "DESC"):
        keys |= _keys(damaged, f'SELECT {keys_sql} FROM "{table}" NOT INDEXED '
                               f'ORDER BY {keys_sql} {order}')
    for index in indexes:
        with contextlib.suppress(sqlite3.DatabaseError):
            order = ", ".join(f'"{r[2]}"' for r in damaged.execute(
                f'PRAGMA index_info("{index}")') if r[2] is not None)
            (partial,) = damaged.execute("SELECT sql FROM sqlite_schema WHERE name = ?",
                                         (index,)).fetchone() or ("",)
            partial = partial or ""  # automatic indexes have no SQL
            where = partial[partial.upper().rindex(" WHERE "):] \
                if " WHERE " in partial.upper() else ""
            for direction in ("ASC", "DESC"):  # both ends: around a damaged page
                keys |= _keys(damaged, f'SELECT {keys_sql} FROM "{table}" INDEXED BY '
                                       f'"{index}"{where} ORDER BY {order} {direction}')
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
    return keys


def _keys(conn: sqlite3.Connection, sql: str) -> set[tuple[object, ...]]:
    """The rows ``sql`` gives before it meets a damaged page (none if it cannot start)."""
    keys: set[tuple[object, ...]] = set()
    with contextlib.suppress(sqlite3.DatabaseError):
        cursor = conn.execute(sql)
        while batch := cursor.fetchmany(CHUNK):
            keys.update(batch)
    return keys


def _unsent(conn: sqlite3.Connection) -> tuple[set[tuple[object, ...]], bool]:
    """The ids the outbox index (pending and sent entries) still holds, read from both
    ends, and whether it was read whole (else an id missing from it may still be unsent)."""
    sql = ("SELECT id FROM entries INDEXED BY entries_pending WHERE sync_state IN "
           "('pending', 'sent') ORDER BY id ")
    ids = _keys(conn, sql + "DESC")
    try:
        ids |= set(conn.execute(sql + "ASC").fetchall())
    except sqlite3.DatabaseError:
        return ids | _keys(conn, sql + "ASC"), False
    return ids, True


def _count(conn: sqlite3.Connection, table: str) -> int | None:
    """The rows ``table`` holds by whichever b-tree can still count them whole: the table's
    own or any full (not partial) index; the largest count wins, since a damaged b-tree
    can only undercount. None when none can."""
    counts = [_one(conn, f'SELECT count(*) FROM "{table}" NOT INDEXED')]
    with contextlib.suppress(sqlite3.DatabaseError):
        for _, index, _, _, partial in conn.execute(f'PRAGMA index_list("{table}")'):
            if not partial:
                counts.append(_one(conn, f'SELECT count(*) FROM "{table}" INDEXED BY "{index}"'))
    known = [c for c in counts if c is not None]
    return max(known) if known else None


def _one(conn: sqlite3.Connection, sql: str) -> int | None:
    try:
        return int(conn.execute(sql).fetchone()[0])
    except sqlite3.DatabaseError:
        return None


@dataclass(frozen=True)
class Restored:
    version: int
    """The restored copy's schema version (older than this program's: going back)."""
    entries: int
    kept: Path | None
    """Where the file it replaced now is, with its ``-wal``/``-shm`` (None: there was none)."""


def restore(path: Path, backup: Path) -> Restored:
    """Put ``backup`` in the place of the store at ``path`` (going back after an upgrade:
    ``kiosk.db.vN.bak``). The backup is copied through SQLite (with its own log, if any)
    to ``<name>.restoring`` and checked (``quick_check``) before anything is touched; the
    backup itself stays. The store is then renamed, never deleted, with its ``-wal`` and
    ``-shm``, to ``<name>.before-restore-<UTC time>``: a log of the newer store left beside
    the restored copy (a crash, a power cut) would be replayed onto it by the old program
    and damage it. Refused while another program has the store open (a running kiosk),
    and for a file that is not a sound kiosk store; the store is then left as it was."""
    if not backup.is_file():
        raise RecoveryError("recovery.no_backup", path=backup)
    if path.exists() and path.samefile(backup):
        raise RecoveryError("recovery.backup_is_store", path=backup)
    fresh = path.with_name(path.name + ".restoring")
    _remove_store_files(fresh)  # left by a restore stopped half-way
    try:
        create_private(fresh)
        with contextlib.closing(sqlite3.connect(_backup_uri(backup), uri=True)) as source, \
                contextlib.closing(sqlite3.connect(fresh)) as copy:
            source.backup(copy)
            damage = quick_check(copy, backup)
            version = copy.execute("PRAGMA user_version").fetchone()[0]
            entries = _count(copy, "entries") if damage is None else None
    except (OSError, sqlite3.Error) as exc:  # a full disk, not a database at all
        _remove_store_files(fresh)
        raise RecoveryError("recovery.backup_unreadable", path=backup,
                            detail=failure_words(exc, backup)) from exc
    except BaseException:
        _remove_store_files(fresh)
        raise
    if damage is not None or entries is None or version <= 0:
        _remove_store_files(fresh)
        raise RecoveryError("recovery.backup_unsound", path=backup,
                            detail=damage or Words("recovery.no_entries_table"))
    kept = None
    if path.exists():
        try:
            _nobody_has(path)
        except BaseException:
            _remove_store_files(fresh)
            raise
        kept = path.with_name(
            f"{path.name}.before-restore-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}")
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            if side.exists():
                os.replace(side, kept.with_name(kept.name + suffix))
        os.replace(path, kept)
    hand_over(fresh)  # run as root: the kiosk's account must still open it
    os.replace(fresh, path)
    log.info("%s restored from %s (schema v%d, %d entries); replaced file kept as %s",
                path, backup, version, entries, kept)
    return Restored(version, entries, kept)


def _nobody_has(path: Path) -> None:
    """RecoveryError unless no other program has the store open: a running kiosk holds its
    connection while idle (and may write a scan any moment) and would go on recording into
    the file set aside. Every SQLite connection in WAL mode holds a shared lock on byte 128
    of the ``-shm`` file (its "DMS" lock) while open, and one in a transaction or in
    exclusive locking mode holds the file's own lock bytes (from 2**30): a write lock on
    either is refused while another process holds it. Nothing is opened through SQLite: a
    crashed store's log is set aside as it is."""
    import fcntl

    for name, start, length in ((f"{path.name}-shm", 128, 1), (path.name, 2**30, 512)):
        try:
            with open(path.with_name(name), "r+b") as file:
                fcntl.lockf(file, fcntl.LOCK_EX | fcntl.LOCK_NB, length, start)
                fcntl.lockf(file, fcntl.LOCK_UN, length, start)
        except FileNotFoundError:
            continue
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EAGAIN):
                raise RecoveryError("recovery.store_open", path=path) from exc
            raise RecoveryError("store.failed", path=path,
                                detail=failure_words(exc, path)) from exc


def _backup_uri(backup: Path) -> str:
    """``backup`` read as it is: with its log if one lies beside it (a copy of a live
    store), else ``immutable``: a copy made by the upgrade is in WAL mode, and a reader would
    leave an empty ``-wal`` and ``-shm`` beside it."""
    wal = backup.with_name(backup.name + "-wal")
    uri = read_only_uri(backup)
    return uri if wal.exists() or "immutable=1" in uri else uri + "&immutable=1"


def _remove_store_files(path: Path) -> None:
    for suffix in STORE_SIDE_FILES:
        path.with_name(path.name + suffix).unlink(missing_ok=True)
