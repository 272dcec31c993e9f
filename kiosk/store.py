"""The kiosk's local database: schema, migrations, queries, sync outbox, retention.

One SQLite file in WAL mode with ``synchronous=FULL``: once ``commit`` returns, the row
survives a power cut. Every entry is keyed by a UUIDv7 created here and carries its sync
state, so the entries table *is* the outbox: nothing is copied, nothing can drift apart.

What the screens show is read from what the question needs, never from a scan of history:
today's counts from a range of the covering time index, "inside now" from the range of the
``presence`` table that holds the people inside (each person's last movement per checkpoint,
kept in the insert's own transaction),
names from the ``entries_search`` full-text index (the latest scans' names are read from the
entries themselves until the store's upkeep thread moves them into it a batch at a time,
:meth:`Store.index_names`). Listings and exports stream in pages.

**The locking rule.** A ``Store`` is one connection. Every public method takes ``lock``
(re-entrant) for as long as it uses the connection, reads included: a read on a connection
another thread has inside ``BEGIN IMMEDIATE`` would see that thread's uncommitted rows.
Streams fetch one page per lock hold, so a slow consumer never holds up a scan. A thread
that must not wait behind the pipeline's writes reads through a ``Store`` of its own (the
UI's db lane, the sync worker, each CLI command): WAL lets readers and the writer overlap.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import functools
import itertools
import json
import logging
import operator
import os
import re
import shutil
import sqlite3
import stat
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple
from zoneinfo import ZoneInfo

from kiosk import ids
from kiosk.messages import Number, WordedError, Words, both, os_words
from kiosk.messages import failure_words as shared_failure_words
from kiosk.payloads.identity import ETH, fold_name, refolded
from kiosk.private_files import STORE_SIDE_FILES, create_private
from kiosk.timestamps import (
    day_bounds,
    epoch_ms,
    epoch_seconds,
    local_hours,
    parse_utc,
    today,
    utc_iso,
)
from kiosk.upkeep import (
    WAL_KEEP_BYTES,
    WAL_LIMIT_PAGES,
    Checkpointer,
    FileIdentity,
    Upkeep,
    file_identity,
    rw_uri,
)

if TYPE_CHECKING:
    from kiosk.config import Config

log = logging.getLogger(__name__)


def _as_is(value: bytes | None) -> bytes | None:
    """What ``sqlite3`` binds as it is anyway: registered below for ``None`` and ``bytes``."""
    return value


# sqlite3 binds an int, float or str directly, but looks for an adapter for anything else:
# for ``None`` and ``bytes`` it finds none and tries two attributes that are not there
# (``__adapt__``, ``__conform__``), an AttributeError made and dropped (~1.9k instructions
# a value; a scan's entry binds three: its payload, no duplicate, no certificate). An
# adapter returning the value itself is found at the first look, the same value bound.
sqlite3.register_adapter(type(None), _as_is)
sqlite3.register_adapter(bytes, _as_is)

PENDING, SENT, ACKNOWLEDGED, REJECTED = "pending", "sent", "acknowledged", "rejected"
INSIDE_WINDOW = dt.timedelta(hours=24)
"""A person counts as inside if their last movement here, within this window, was "in"."""
PAGE_ROWS = 1000
"""Rows fetched per lock hold when streaming a listing or an export."""
SEARCH_SLOT_BITS = 20
"""``entries_search`` rowid = scanned_at in ms << 20 | n: time-ordered, so a time range is
a rowid range and "newest first" stops after the rows asked for."""
SEARCH_BATCH_ROWS = 256
"""Named entries not yet in ``entries_search`` at which the upkeep thread moves them there in
one go (also whenever writes pause). Each FTS5 write transaction writes a segment of its
own: a name per transaction cost a scan ~60 µs of CPU; moved in batches, off the scan's
path, they cost it nothing but the search words it brings."""
INDEXED_THROUGH = "search.indexed_through"
"""Meta key: every named entry with an id up to this one is in ``entries_search``; the
later ones are searched in the entries table (a few hundred at most)."""
PURGE_STEP_SECONDS = 0.004
"""How long one purge transaction may hold the write lock (a scan may wait this long)."""
PURGE_QUIET_SECONDS = 0.25
"""The purge steps aside while scans arrive closer together than this…"""
PURGE_MAX_PAUSE_SECONDS = 10.0
"""…but takes one step after pausing this long, so a flood of scans cannot stop it forever."""
CHECK_VOUCHES_FOR = dt.timedelta(hours=24)
"""How long a whole-file check that found nothing vouches for the file: a one-shot command
that records (``kiosk scan``) trusts a check this recent instead of reading the whole file
again; the running kiosk checks this often (:meth:`Store.verify`), at start before the first
scan when the run before did not stop cleanly (:meth:`Store.run_left_marked`), and after a
clean stop no check this recent vouches for in the background beside scans
(``Kiosk.maintain``)."""
CHECK_BUSY_SECONDS = 30.0
"""How long the whole-file check waits for a file another program holds."""
EXPIRED_BEFORE = "presence.expired_before"
"""Meta key: the purge has moved people whose "in" was before this time out of
``presence``'s inside range (:meth:`Store.inside_count` reads every row for an earlier
window)."""
CHECKED_AT = "store.checked_at"
"""Meta key: UTC time of the last whole-file check that found the file sound."""
ROOM_BACK_AT = "store.room_back_at"
"""Meta key: UTC time the disk, full at the last write, last took a write again with no scan
(:meth:`Store.write_on_room`)."""
ROOM_AGAIN_BYTES = 64 * 1024
"""Free space on the store's disk at which a write is tried again after the disk was full
(:meth:`Store.room_again`): a scan appends a few pages (4 KiB each) to the log, whose index
(``-shm``) may grow by 32 KiB."""
RUNNING_SINCE = "kiosk.running_since"
"""Meta keys under this prefix: one per kiosk run on the file, ``kiosk.running_since.``
and a token unique to the run, its value the run's UTC start time and pid
(:meth:`Store.begin_run`), each cleared by its own run's clean stop only
(:meth:`Store.end_run`); the bare key is an older kiosk's mark. Any found at a start: the
run before was cut short (a power cut, a kill, a crash), stopped before a whole-file check
it owed had ended, or another kiosk runs on the file now — checked before the first scan
(``Kiosk.__init__``)."""
UPGRADE_BACKUP = "store.upgrade_backup"
"""``meta``: the schema version of the copy (``NAME.vN.bak``) a migration run made at its
start, written with its first step and cleared by its last: a run stopped half-way (a full
disk) goes on at the next start with that copy (:func:`earlier_backup`) — the one the old
release opens — instead of a second whole copy of the half-migrated file."""
PURGED_UNAUDITED = "store.purged_unaudited"
"""``meta``: entries the purge removed whose ``retention.purge`` audit row is not written
yet, counted in each purge step's own transaction (a purge refused half-way, or killed,
leaves its count here); the next purge's row counts them and clears it in one transaction."""
PURGED_WORD = "store.purged_word:"
"""``meta`` key prefix: a name word of an entry the purge removed, one key each, written in
the removing step's own transaction and pruned from ``search_words`` at the purge's end
(:meth:`Store._forget_words`): a purge refused, stopped or killed before its end leaves
them to the next purge, which could not find them again (their entries are gone)."""
_COUNT_UNAUDITED = ("INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) "
                    "DO UPDATE SET value = CAST(value AS INTEGER) + ?2")
"""Adds ``?2`` to the count under meta key ``?1`` (:data:`PURGED_UNAUDITED`), in the
caller's transaction."""

ENTRY_COLUMNS = (
    "id", "checkpoint_id", "kiosk_id", "device_id", "lane", "direction", "status",
    "duplicate_of", "source", "symbology", "scanned_at", "monotonic_ns", "boot_id", "kind",
    "subject_key", "match_key", "document_number", "name", "birth_date", "gender", "address",
    "issue_date", "extra", "payload", "operator", "certificate",
)

READABLE_COLUMNS = (*ENTRY_COLUMNS, "sync_state", "sync_error", "synced_at")
"""An entry as listings read it: what it holds and where it is in the outbox."""


class StoreError(WordedError, RuntimeError):
    """The database refused a write (disk full, read-only, corrupt): the scan is NOT recorded."""


OPEN_BUSY_MS = 30_000
"""How long opening a store waits for another connection's write lock: another program
starting at once may be migrating it (:meth:`Store.migrate`)."""
BUSY_TIMEOUT_MS = 5_000
"""How long a write (a scan's) waits for another connection's write lock once the store is
open (SQLite's busy handler). The kiosk's own writers hold it for milliseconds (a scan
~0.3 ms, a purge step 4 ms), so only another program holding it (``sqlite3 kiosk.db`` left
inside a transaction, a backup tool) makes a scan wait this long: then it is refused in
words, "store.busy" (:func:`write_failure`), for the officer to act on. A person at the
queue waits for the answer, and the scans read after it wait behind it: at 30 s the card
read READY for half a minute after each scan, and the fifth person of a queue waited two and
a half minutes for a refusal."""
BUSY_AGAIN_MS = 250
"""How long a write waits for the write lock while another program is known to hold it
(:attr:`Store.failing` is "store.busy": the last write waited :data:`BUSY_TIMEOUT_MS` in
vain) and a scan was refused for it less than :data:`BUSY_QUEUE_SECONDS` ago. Each scan
is still tried, so one read as that program lets go is recorded, but a queue is not made to
wait 5 s a person for the same refusal: the second of a queue was answered 10 s after the
first stepped up. Long enough for the kiosk's own writers (15–143 ms measured for the sync
worker's acknowledgement of 2,000 and a retry chunk of 5,000); the screens' poll notices the
lock let go (:meth:`Store.not_recording` with ``look``), and the next scan waits the whole
:data:`BUSY_TIMEOUT_MS` again."""
BUSY_QUEUE_SECONDS = BUSY_TIMEOUT_MS / 1000
"""How long after a scan refused for another program's lock the next waits only
:data:`BUSY_AGAIN_MS`: the people queued behind it. A scan later than that waits the whole
:data:`BUSY_TIMEOUT_MS` again (the card reads SAVING… meanwhile): the other program, let go
and holding the lock again between two of the screens' polls, refused 27 scans of a
reviewer's run with the short wait at every scan, 4 with the whole wait."""
CHORE_BUSY_MS = 250
"""How long the upkeep thread's own write (the latest names into the index) waits for the
write lock: long enough for the kiosk's other connections (the sync worker's, a command's:
milliseconds), not for another program holding it, which the next scan would wait for
again behind it."""
RETRY_CHUNK_ROWS = 5_000
"""How many refused entries :meth:`Store.retry_rejected` turns back to pending per
transaction (as many as an export marks sent per transaction)."""
ANSWER_CHUNK_ROWS = 2_000
"""How many ids of the centre's answer :meth:`Store.mark_answered` applies per transaction:
each id is read, acknowledged and counted (``entry_counts``), so 5,000 held the write lock
up to 0.5 s at load 17 (a scan beside it waited as long); 2,000, a fifth of a second."""
RETRY_PAUSE_SECONDS = 0.1
"""The least pause between two of those transactions: SQLite's busy handler, once a write
has waited a while, tries the lock again every 100 ms, so a scan waiting on another
connection meets it free within one pause."""
CLOSE_LOG_WAIT_MS = 3_000
"""How long a stop waits for readers to empty the log of a store file lost from its path."""
_GONE = frozenset({"store.gone", "store.log_gone"})
"""Why a Store refuses for good once its path, or the log beside it, is no longer what it
opened (:meth:`Store._check_file`)."""
FILE_LOST = _GONE | {"store.unconfirmed"}
"""Why a Store refuses once its path no longer names the file it opened, or cannot be looked
at (:meth:`Store._check_file`)."""


class _FolderMissing(FileNotFoundError):
    """The store's folder is not there (:meth:`Store._identity_now`): not a file deleted."""


_LOG_FILES = ("-wal", "-shm")
"""What SQLite opens beside the store file, named after its path."""


def _v1(conn: sqlite3.Connection) -> None:
    conn.execute("""
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
    conn.execute("CREATE INDEX entries_scanned_at ON entries (scanned_at)")
    conn.execute("CREATE INDEX entries_subject ON entries (subject_key, checkpoint_id, scanned_at)")
    conn.execute("CREATE INDEX entries_match ON entries (match_key) WHERE match_key IS NOT NULL")
    conn.execute("CREATE INDEX entries_pending ON entries (id) "
               "WHERE sync_state IN ('pending', 'sent')")
    conn.execute("CREATE INDEX entries_rejected ON entries (id) WHERE sync_state = 'rejected'")
    conn.execute("""
        CREATE TABLE refused_scans (
            id TEXT PRIMARY KEY,
            scanned_at TEXT NOT NULL,
            device_id TEXT NOT NULL,
            reason_code TEXT NOT NULL,
            detail TEXT NOT NULL,
            payload BLOB NOT NULL
        )""")
    conn.execute("CREATE INDEX refused_scanned_at ON refused_scans (scanned_at)")
    conn.execute("""
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}'
        )""")
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


def _v2(conn: sqlite3.Connection) -> None:
    """The certificate verdict of HC1 entries: JSON (kiosk.certificates.Verdict.to_record),
    NULL for every other kind."""
    conn.execute("ALTER TABLE entries ADD COLUMN certificate TEXT")


def _v3(conn: sqlite3.Connection) -> None:
    """Counts from what the day needs; names found through an index (issue 16)."""
    # Today's counts and per-hour bars read the day's range of this covering index only.
    conn.execute("DROP INDEX entries_scanned_at")
    conn.execute("CREATE INDEX entries_time ON entries (scanned_at, checkpoint_id, direction, "
                 "status)")
    # Each person's last movement per checkpoint, upserted by every insert: "inside now" is
    # a range count of presence_inside instead of a GROUP BY over a day of history.
    conn.execute("""
        CREATE TABLE presence (
            checkpoint_id TEXT NOT NULL,
            subject_key TEXT NOT NULL,
            entry_id TEXT NOT NULL,
            scanned_at TEXT NOT NULL,
            direction TEXT NOT NULL,
            PRIMARY KEY (checkpoint_id, subject_key)
        ) WITHOUT ROWID""")
    conn.execute("CREATE INDEX presence_inside ON presence (checkpoint_id, direction, "
                 "scanned_at)")
    conn.execute(  # the bare columns come from the row holding max(scanned_at)
        "INSERT INTO presence (checkpoint_id, subject_key, entry_id, scanned_at, direction) "
        "SELECT checkpoint_id, subject_key, id, max(scanned_at), direction FROM entries "
        "GROUP BY subject_key, checkpoint_id")
    # Names folded to ASCII (Nguyễn → nguyen, Đ → d), one row per named entry.
    conn.execute("CREATE VIRTUAL TABLE entries_search USING fts5(name, entry_id UNINDEXED, "
                 "tokenize = 'unicode61 remove_diacritics 2')")
    fill_search(conn)


def fill_presence(conn: sqlite3.Connection) -> None:
    """``presence`` from the entries table (a recovered store; then :func:`fill_movements`),
    by the rule :meth:`Store.insert_entry` keeps it by: each person's latest movement by the
    time it counts at (``not_before`` for an entry written while the clock was behind), the
    later written on a tie. An ``extra`` that is not JSON (a damaged row) counts at its
    ``scanned_at``, never stops the recovery."""
    conn.execute(_FILL_PRESENCE.format(among=""))


def fill_search(conn: sqlite3.Connection) -> None:
    """``entries_search`` from the entries table, every entry indexed (a migration, a
    recovered store)."""
    slots = _SearchSlots()
    cursor = conn.execute("SELECT id, scanned_at, name FROM entries WHERE name IS NOT NULL "
                          "ORDER BY scanned_at, id")
    while rows := cursor.fetchmany(PAGE_ROWS):
        conn.executemany(_INSERT_SEARCH, [(slots.next(at), fold_name(name), entry_id)
                                          for entry_id, at, name in rows])
    mark_indexed(conn)


_MARK_INDEXED = ("INSERT INTO meta (key, value) SELECT ?, id FROM entries ORDER BY id DESC "
                 "LIMIT 1 ON CONFLICT (key) DO UPDATE SET value = excluded.value")
"""The newest id, read as the last row of the table's key (none in an empty store: nothing
written). Not ``max(id) … HAVING max(id) IS NOT NULL``: the HAVING turns SQLite's min/max
shortcut off, and it read the whole ``entries_time`` index — ~100 ms on 10⁶ entries, 1.5 s
with the page cache cold — under the store's lock after nearly every scan (the upkeep
indexes names when writes pause 50 ms), so the next scans waited behind it."""


def mark_indexed(conn: sqlite3.Connection) -> None:
    """Every entry there is now is in ``entries_search`` (:data:`INDEXED_THROUGH`); also
    said by a writer of test data that bypasses :meth:`Store.insert_entry` (and so the
    derived tables) for entries no search is meant to find."""
    conn.execute(_MARK_INDEXED, (INDEXED_THROUGH,))


def _indexed_through(conn: sqlite3.Connection) -> str:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (INDEXED_THROUGH,)).fetchone()
    return row[0] if row else ""


def unindexed_names(conn: sqlite3.Connection) -> list[tuple[int, str, str]]:
    """(search rowid, folded name, entry id) of the named entries after
    :data:`INDEXED_THROUGH`, in id order, each with the rowid :meth:`Store.index_names`
    will give it: a search pages through them and the index alike, in one time order."""
    rows = conn.execute("SELECT id, scanned_at, name FROM entries WHERE id > ? "
                        "AND name IS NOT NULL ORDER BY id", (_indexed_through(conn),))
    return _slotted(conn, rows.fetchall())


def _slotted(conn: sqlite3.Connection, rows: list[tuple[str, str, str]]
             ) -> list[tuple[int, str, str]]:
    """Each (id, scanned_at, name) with its search rowid: the first free one of its
    millisecond's slot, after those the index holds and those given before it here."""
    top = conn.execute("SELECT rowid FROM entries_search ORDER BY rowid DESC LIMIT 1"
                       ).fetchone()
    given: dict[int, int] = {}
    slotted = []
    for entry_id, at, name in rows:
        base = _slot(at)
        last = given.get(base)
        if last is None and top is not None and base <= top[0]:  # a time the index reached
            last = conn.execute("SELECT max(rowid) FROM entries_search WHERE rowid BETWEEN "
                                "? AND ?", (base, base + _SLOT_MASK)).fetchone()[0]
        given[base] = base if last is None else last + 1
        slotted.append((given[base], fold_name(name), entry_id))
    return slotted


class _SearchSlots:
    """Search rowids for rows written in time order (the migration's backfill)."""

    def __init__(self) -> None:
        self._last = -1

    def next(self, scanned_at: str) -> int:
        self._last = max(self._last + 1, _slot(scanned_at))
        return self._last


def _v4(conn: sqlite3.Connection) -> None:
    """The words that names hold, so a typed beginning becomes a few exact words (FTS5 reads
    a prefix query's whole doclist; exact words are read newest first and stop early)."""
    conn.execute("CREATE TABLE search_words (word TEXT PRIMARY KEY) WITHOUT ROWID")
    fill_search_words(conn)


def fill_search_words(conn: sqlite3.Connection) -> None:
    """``search_words`` from ``entries_search`` (a migration, a recovered store)."""
    cursor = conn.execute("SELECT DISTINCT name FROM entries_search")
    while rows := cursor.fetchmany(PAGE_ROWS):
        conn.executemany("INSERT OR IGNORE INTO search_words (word) VALUES (?)",
                         [(w,) for (name,) in rows for w in _words(name)])


LISTING_COLUMNS = ("scanned_at", "direction", "status", "kind", "device_id", "name",
                   "document_number", "sync_state")
"""What ``kiosk entries`` reads of each entry. For one person (``--subject``) the index
``entries_person`` (migration v5) holds all of it but ``sync_state``, which comes from the
outbox's partial indexes: the listing reads the table only for entries still pending."""


def _v5(conn: sqlite3.Connection) -> None:
    """A person's whole history from one index range (issue 16): ``entries_person`` holds,
    after the subject key and in time order, every column the listing shows but the sync
    state, so a person seen on 190 days is read from a few adjacent index pages instead of
    190 table pages scattered over the file. The sync state changes with every answer from
    the centre: in this index it would be rewritten at each acknowledgement (5 → 12 µs of
    CPU per entry), so the listing reads it from the outbox's partial indexes instead
    (``_SYNC_STATE``). It replaces ``entries_subject``, whose prefix it keeps for the
    pipeline's "last movement here" (subject, then newest first, checkpoint in the index)."""
    conn.execute("DROP INDEX entries_subject")
    conn.execute("CREATE INDEX entries_person ON entries (subject_key, scanned_at, id, "
                 "checkpoint_id, direction, status, kind, device_id, name, document_number)")


def _v6(conn: sqlite3.Connection) -> None:
    """The pipeline's "last movement here" from ``presence`` in one row read (each scan asks
    it): within a boot the movements are ordered by the monotonic clock, so the row also
    keeps the running boot's latest movement by that clock (the time columns keep serving
    "inside now"). A boot of ``''`` means the person has no entry of the running boot, and
    the answer is their latest entry by the wall clock (:meth:`Store.last_movement`)."""
    for column in ("last_id TEXT", "last_at TEXT", "last_direction TEXT",
                   "boot_id TEXT NOT NULL DEFAULT ''", "monotonic_ns INTEGER"):
        conn.execute(f"ALTER TABLE presence ADD COLUMN {column}")
    conn.execute(_FILL_MOVEMENTS.format(inside="", among=""), (ids.boot_id(),))


def fill_movements(conn: sqlite3.Connection, boot: str) -> None:
    """Each person's latest movement of the running boot ``boot`` in ``presence`` (a
    recovered store): one pass over the entries."""
    conn.execute(_FILL_MOVEMENTS.format(inside="AND presence.inside IN (1, 0) ", among=""),
                 (boot,))


_FILL_MOVEMENTS = (  # the bare columns come from the row holding max(monotonic_ns)
    "UPDATE presence SET last_id = m.id, last_at = m.scanned_at, "
    "last_direction = m.direction, boot_id = m.boot_id, monotonic_ns = m.monotonic_ns "
    "FROM (SELECT checkpoint_id, subject_key, id, scanned_at, direction, boot_id, "
    "max(monotonic_ns) AS monotonic_ns FROM entries WHERE boot_id = ? {among}"
    "GROUP BY checkpoint_id, subject_key) AS m "
    "WHERE presence.checkpoint_id = m.checkpoint_id {inside}"
    "AND presence.subject_key = m.subject_key")
"""Each row found by its whole key: v6's table is keyed (checkpoint, person), v11's
(checkpoint, inside, person). ``among``: a condition choosing the entries (people) it
is filled for, or nothing."""


def _v7(conn: sqlite3.Connection) -> None:
    """Names of the latest scans, searched beside ``entries_search`` and moved into it
    ``SEARCH_BATCH_ROWS`` at a time (the same rows: the search rowid, the folded name, the
    entry)."""
    conn.execute("CREATE TABLE search_recent (slot INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                 "entry_id TEXT NOT NULL)")


def _v8(conn: sqlite3.Connection) -> None:
    """No table written per scan for the search: the latest names are read from the entries
    after :data:`INDEXED_THROUGH` until the upkeep thread indexes them (``search_recent``
    cost each scan two statements and a page)."""
    conn.execute("INSERT INTO entries_search (rowid, name, entry_id) "
                 "SELECT slot, name, entry_id FROM search_recent")
    conn.execute("DROP TABLE search_recent")
    mark_indexed(conn)


def _v9(conn: sqlite3.Connection) -> None:
    """``presence.entry_id`` dropped: every scan wrote it and nothing read it (the last
    movement's id is ``last_id``); a narrower row is fewer pages in each scan's write."""
    conn.execute("ALTER TABLE presence DROP COLUMN entry_id")


def _v10(conn: sqlite3.Connection) -> None:
    """``presence_inside`` holds only the people inside (last movement "in"), the rows
    "inside now" counts: a person going out leaves it (one index page written) where the
    full index moved their row to its new time (two pages), and going in again adds the row
    back. A day of people in and out writes ~1 page a scan less (``bench_scan_cost.py``)."""
    conn.execute("DROP INDEX presence_inside")
    conn.execute("CREATE INDEX presence_inside ON presence (checkpoint_id, direction, "
                 "scanned_at) WHERE direction = 'in'")  # the direction: no visit to the row


def _v11(conn: sqlite3.Connection) -> None:
    """``presence`` keyed by (checkpoint, inside, person): the people inside are a range of
    the table itself, so a scan writes one b-tree for presence where v10 wrote the table and
    its index ``presence_inside`` (``bench_scan_cost.py``). ``inside`` is 1 while the row's
    latest movement is "in" and the purge has not set it aside as older than the inside
    window (:data:`EXPIRED_BEFORE`); a person going out, or in again, moves their row from
    one range to the other. The columns are v10's: the latest movement by (clock-corrected)
    time for "inside now", the running boot's latest by the monotonic clock (v6)."""
    conn.execute("""
        CREATE TABLE presence_v11 (
            checkpoint_id TEXT NOT NULL,
            inside INTEGER NOT NULL,
            subject_key TEXT NOT NULL,
            scanned_at TEXT NOT NULL,
            direction TEXT NOT NULL,
            last_id TEXT,
            last_at TEXT,
            last_direction TEXT,
            boot_id TEXT NOT NULL DEFAULT '',
            monotonic_ns INTEGER,
            PRIMARY KEY (checkpoint_id, inside, subject_key)
        ) WITHOUT ROWID""")
    conn.execute("INSERT INTO presence_v11 SELECT checkpoint_id, direction = 'in', "
                 "subject_key, scanned_at, direction, last_id, last_at, last_direction, "
                 "boot_id, monotonic_ns FROM presence")
    conn.execute("DROP TABLE presence")  # and its index presence_inside
    conn.execute("ALTER TABLE presence_v11 RENAME TO presence")


def _v12(conn: sqlite3.Connection) -> None:
    """Refused scans keep their boot and monotonic time, as entries do (v4): the purge
    keeps the running boot's until the monotonic clock too says they are past retention,
    so a wall clock that jumps ahead cannot purge the evidence of a refusal early. Added
    columns, no rewrite of the table (fast whatever it holds); older rows (boot ``''``) go
    by the wall clock, as every refusal did."""
    conn.execute("ALTER TABLE refused_scans ADD COLUMN boot_id TEXT NOT NULL DEFAULT ''")
    conn.execute("ALTER TABLE refused_scans ADD COLUMN monotonic_ns INTEGER")


_COUNT_TRIGGERS = (
    "CREATE TRIGGER entries_counted_in AFTER INSERT ON entries BEGIN "
    "INSERT INTO entry_counts VALUES (new.kiosk_id, new.sync_state, 1) "
    "ON CONFLICT DO UPDATE SET entries = entries + 1; END",
    "CREATE TRIGGER entries_counted_out AFTER DELETE ON entries BEGIN "
    "UPDATE entry_counts SET entries = entries - 1 "
    "WHERE kiosk_id = old.kiosk_id AND sync_state = old.sync_state; END",
    "CREATE TRIGGER entries_counted_moved AFTER UPDATE OF kiosk_id, sync_state ON entries "
    "WHEN new.kiosk_id != old.kiosk_id OR new.sync_state != old.sync_state BEGIN "
    "UPDATE entry_counts SET entries = entries - 1 "
    "WHERE kiosk_id = old.kiosk_id AND sync_state = old.sync_state; "
    "INSERT INTO entry_counts VALUES (new.kiosk_id, new.sync_state, 1) "
    "ON CONFLICT DO UPDATE SET entries = entries + 1; END")
"""What keeps ``entry_counts`` (v13) right: every insert, delete and change of kiosk id or
sync state of an entry, in the writer's own statement and transaction, whoever writes (the
scan path, the sync tools, the purge, a recovery): a crash leaves both or neither."""

_COUNTED = ("SELECT kiosk_id, sync_state, count(*) AS entries FROM entries NOT INDEXED "
            "GROUP BY kiosk_id, sync_state")
"""The counts :data:`_COUNT_TRIGGERS` keep, from a walk of every entry: what a migration
and a recovery fill ``entry_counts`` with, and what ``kiosk store check`` compares it to."""


def _count_all(conn: sqlite3.Connection) -> None:
    """``entry_counts`` made again from every entry (v13's filling; from v14 on with its
    mark: :func:`fill_counts`)."""
    conn.execute("DELETE FROM entry_counts")
    conn.execute(f"INSERT INTO entry_counts {_COUNTED}")


def _v13(conn: sqlite3.Connection) -> None:
    """The outbox counted, not walked: ``entry_counts`` holds how many entries each kiosk
    id has in each sync state, kept by triggers (:data:`_COUNT_TRIGGERS`). Counting a
    million pending entries walked them all, 1.8–7.5 s, at each of the screens' 3 s polls,
    after every recorded scan and in each upload cycle; the counts are now one page
    (docs/benchmarks.md, "The outbox's counts")."""
    conn.execute("CREATE TABLE entry_counts (kiosk_id TEXT NOT NULL, sync_state TEXT NOT NULL, "
                 "entries INTEGER NOT NULL, PRIMARY KEY (kiosk_id, sync_state)) WITHOUT ROWID")
    _count_all(conn)
    for trigger in _COUNT_TRIGGERS:
        conn.execute(trigger)


_THROUGH = "(SELECT through FROM entry_counts_mark)"
"""The counts' mark (v14): ``entry_counts`` counts the entries whose id is at or under it."""
_MARKED_COUNT_TRIGGERS = (
    "CREATE TRIGGER entries_counted_in AFTER INSERT ON entries "
    f"WHEN new.id <= {_THROUGH} BEGIN "
    "INSERT INTO entry_counts VALUES (new.kiosk_id, new.sync_state, 1) "
    "ON CONFLICT DO UPDATE SET entries = entries + 1; END",
    "CREATE TRIGGER entries_counted_out AFTER DELETE ON entries "
    f"WHEN old.id <= {_THROUGH} BEGIN "
    "UPDATE entry_counts SET entries = entries - 1 "
    "WHERE kiosk_id = old.kiosk_id AND sync_state = old.sync_state; END",
    "CREATE TRIGGER entries_counted_moved AFTER UPDATE OF kiosk_id, sync_state ON entries "
    "WHEN (new.kiosk_id != old.kiosk_id OR new.sync_state != old.sync_state) "
    f"AND old.id <= {_THROUGH} BEGIN "
    "UPDATE entry_counts SET entries = entries - 1 "
    "WHERE kiosk_id = old.kiosk_id AND sync_state = old.sync_state; "
    "INSERT INTO entry_counts VALUES (new.kiosk_id, new.sync_state, 1) "
    "ON CONFLICT DO UPDATE SET entries = entries + 1; END")
"""v14's :data:`_COUNT_TRIGGERS`: the same writes, for the entries at or under the mark
only. A scan's id is above it (ids grow), so its insert writes no count: the counts' row
was a page and a log frame in every scan's commit. An id at or under it (a clock set back
more than :data:`kiosk.ids.BACK_STEP_MS`, a restart with the clock behind) is counted as
before, in its own transaction."""
_NEWER = ("SELECT kiosk_id, sync_state, count(*) FROM entries "
          f"WHERE id > {_THROUGH} GROUP BY kiosk_id, sync_state")
"""The entries the counts do not hold yet, counted: a range of the table's key from the
mark, a few rows while the upkeep folds them in (:func:`fold_counts`)."""
_KEPT_AND_NEWER = f"(SELECT kiosk_id, sync_state, entries FROM entry_counts UNION ALL {_NEWER})"
"""Every entry's (kiosk id, sync state, how many): what the outbox's counts read."""
def outbox_counts(conn: sqlite3.Connection) -> str:
    """A subquery of (kiosk id, sync state, how many) for a read of the store on ``conn``
    by a tool that does not migrate it (``kiosk doctor``): :data:`_KEPT_AND_NEWER` on this
    version's store; on an older one, read before the kiosk's next start migrates it, what
    it keeps (v13's ``entry_counts``, every entry) or a walk (:data:`_COUNTED`)."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version >= 14:
        return _KEPT_AND_NEWER
    return "entry_counts" if version == 13 else f"({_COUNTED})"


_FOLD_COUNTS = (
    "INSERT INTO entry_counts SELECT kiosk_id, sync_state, count(*) FROM entries "
    "WHERE id > ?1 AND id <= ?2 GROUP BY kiosk_id, sync_state "
    "ON CONFLICT DO UPDATE SET entries = entries + excluded.entries")


def fill_counts(conn: sqlite3.Connection) -> None:
    """``entry_counts`` made again from the entries (a recovered store), its mark at the
    newest id."""
    _count_all(conn)
    conn.execute("DELETE FROM entry_counts_mark")
    conn.execute("INSERT INTO entry_counts_mark VALUES (coalesce((SELECT id FROM entries "
                 "ORDER BY id DESC LIMIT 1), ''))")


def fold_counts(conn: sqlite3.Connection) -> bool:
    """The entries above the counts' mark added to ``entry_counts`` and the mark moved to
    the newest id, in the caller's write transaction (the upkeep's, with the names' move
    into the index: :meth:`Store.index_names`); whether there were any."""
    (through,) = conn.execute("SELECT through FROM entry_counts_mark").fetchone()
    newest = conn.execute("SELECT id FROM entries ORDER BY id DESC LIMIT 1").fetchone()
    if newest is None or newest[0] <= through:
        return False
    conn.execute(_FOLD_COUNTS, (through, newest[0]))
    conn.execute("UPDATE entry_counts_mark SET through = ?", newest)
    return True


def _wrong_counts(conn: sqlite3.Connection) -> dict[tuple[str, str], tuple[int, int]]:
    """:meth:`Store.check_counts`'s reads, in the transaction ``conn`` is in: the counts as
    the screens read them (kept, and counted above the mark) against a walk of every
    entry."""
    kept = {(k, s): n for k, s, n in conn.execute(
        f"SELECT kiosk_id, sync_state, sum(entries) FROM {_KEPT_AND_NEWER} "
        "GROUP BY kiosk_id, sync_state")}
    counted = {(k, s): n for k, s, n in conn.execute(_COUNTED)}
    return {key: (kept.get(key, 0), counted.get(key, 0))
            for key in kept.keys() | counted.keys() if kept.get(key, 0) != counted.get(key, 0)}


def _v14(conn: sqlite3.Connection) -> None:
    """The counts as of a mark: ``entry_counts`` counts the entries whose id is at or under
    ``entry_counts_mark.through`` (kept by :data:`_MARKED_COUNT_TRIGGERS`); those above it,
    a scan's, are counted when read (:data:`_NEWER`: a few rows) and folded in by the
    upkeep's short write (:func:`fold_counts`). Each scan's insert wrote the counts' page:
    a row update and a log frame in every commit (docs/benchmarks.md, "The scan path
    without the counts' write"). v13's counts hold every entry: the mark starts at the
    newest."""
    conn.execute("CREATE TABLE entry_counts_mark (through TEXT NOT NULL)")
    conn.execute("INSERT INTO entry_counts_mark VALUES (coalesce((SELECT id FROM entries "
                 "ORDER BY id DESC LIMIT 1), ''))")
    for name in ("entries_counted_in", "entries_counted_out", "entries_counted_moved"):
        conn.execute(f"DROP TRIGGER {name}")
    for trigger in _MARKED_COUNT_TRIGGERS:
        conn.execute(trigger)


def _v15(conn: sqlite3.Connection) -> None:
    """Names folded with an eth as D (:func:`kiosk.payloads.identity.fold_name`): a PC-Covid
    code's "ÐANG THI TRAM" (cp1258's Đ read as cp1252) was keyed apart from her card's
    "Đặng Thị Trâm", two people to the masked codes' match (:meth:`Store.subject_for_match`),
    to the centre and to a search by name. Only the keys and the search's names that hold
    an eth are written again (few, or none: a LIKE over the table, once); the search's
    word list gets their new words (it only grows: the purge prunes it)."""
    held = conn.execute("SELECT DISTINCT match_key FROM entries WHERE match_key LIKE ?",
                        (f"%{ETH}%",)).fetchall()
    conn.executemany("UPDATE entries SET match_key = ? WHERE match_key = ?",
                     [(refolded(key), key) for (key,) in held])
    names = [(fold_name(name), rowid) for rowid, name in conn.execute(
        "SELECT rowid, name FROM entries_search WHERE name LIKE ?", (f"%{ETH}%",))]
    conn.executemany("UPDATE entries_search SET name = ? WHERE rowid = ?", names)
    conn.executemany("INSERT OR IGNORE INTO search_words (word) VALUES (?)",
                     [(w,) for w in {w for name, _ in names for w in _words(name)}])


def _v16(conn: sqlite3.Connection) -> None:
    """Codes that name nobody (kind ``other``: a URL, a product or venue code) are no
    person: a partial index of them (``entries_not_id``) lets today's counts leave them out
    of "in" and "out" and show how many there were (:meth:`Store.stats`); the other entries
    never enter it. Their ``presence`` rows count "out" (as a scan of one writes it since:
    :func:`_move`), keeping the last movement the pipeline reads: the officer who asks for
    the ID and scans it counted the person inside twice."""
    conn.execute("CREATE INDEX entries_not_id ON entries (scanned_at, checkpoint_id, "  # kind:
                 "direction, status, kind) WHERE kind = 'other'")  # else the rows are read
    conn.execute("UPDATE presence SET inside = 0, direction = 'out' WHERE (checkpoint_id, "
                 "subject_key) IN (SELECT checkpoint_id, subject_key FROM entries "
                 "WHERE kind = 'other')")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _v1, _v2, _v3, _v4, _v5, _v6, _v7, _v8, _v9, _v10, _v11, _v12, _v13,
    _v14, _v15, _v16]
"""Forward-only: migration *n* takes the schema from version n to n+1. Append, never edit."""


@dataclass(frozen=True)
class LastMovement:
    entry_id: str
    scanned_at: dt.datetime
    direction: str
    monotonic_ns: int | None = None
    """Its time on the running boot's monotonic clock; None: recorded in an earlier boot,
    when the wall clock alone tells how long ago it was (:func:`kiosk.clock.elapsed`)."""


@dataclass(frozen=True)
class OutboxSummary:
    pending: int
    """Entries the centre has not acknowledged yet (``pending`` and ``sent``)."""
    rejected: int
    oldest_pending: str | None
    """``scanned_at`` of the oldest pending entry (by id, i.e. creation order, but within the
    running boot after its clock was set back, or an earlier boot's recorded later than the
    clock reads: :func:`oldest_pending_entry`)."""


@dataclass(frozen=True)
class Answered:
    """What the centre's answer on a stick changed (:meth:`Store.mark_answered`)."""
    refused: int
    """Entries still waiting, now marked refused."""
    acknowledged: int
    """Entries the centre holds that were not acknowledged here: they left the pending
    set."""
    already: int
    """Entries the centre holds acknowledged here already (an upload, an earlier load)."""
    unknown: int
    """Ids the centre holds that this store has no entry of this kiosk id for (purged)."""


@dataclass(frozen=True)
class Unenrolled:
    """The pending entries of a kiosk id: never sent, exported nor answered
    (:meth:`Store.unenrolled`)."""
    kiosk_id: str
    count: int
    checkpoints: dict[str, int]
    """How many per checkpoint they were recorded at."""
    first_at: str | None
    last_at: str | None
    first_id: str | None
    last_id: str | None
    enrolled: str | None
    """Why the id is known to have been enrolled (:func:`enrolment_evidence`), else None."""


@dataclass(frozen=True)
class RefusedToDiscard:
    """The refused entries a choice of ``kiosk sync discard-rejected`` names
    (:meth:`Store.refused_to_discard`)."""
    count: int
    codes: dict[str, int]
    """How many per the centre's reason code as kept (``refusal.too_old``; ``""``: a reason
    without one, a newer centre's)."""
    first_at: str | None
    last_at: str | None
    last_id: str | None


@dataclass(frozen=True)
class Stats:
    entries_in: int
    entries_out: int
    inside: int
    """Inside now, or at the end of the day when the day is over (:meth:`Store.stats`)."""
    duplicates: int
    refused: int
    per_hour: dict[int, int]
    day_over: bool = False
    """The day ended before ``now``: ``inside`` is as of its end."""
    not_id: int = 0
    """Entries of codes that name nobody (kind ``other``: a URL, a product or venue code):
    recorded and sent, scans of ``per_hour``, but no person of ``entries_in``,
    ``entries_out`` nor ``inside``."""


class _Newest(NamedTuple):
    """The newest entry and the index's mark as a scan's commit left them, and the
    connection's state then (:meth:`Store._newest_now`)."""
    version: int
    total_changes: int
    entry: tuple[str, int, str] | None
    indexed_through: str
    entry_at: float | None
    """``entry``'s time in seconds since the epoch (:func:`epoch_seconds`), parsed once."""


CLOCK_BEHIND_KEY = "clock_behind"
"""The ``extra`` member flagging an entry written while the wall clock was behind."""
CLOCK_TOLERANCE_SECONDS = 2.0
"""Scans from two devices may be written a little out of their time order: not a clock."""

_BEHIND_UNTIL = ("CASE WHEN json_valid(extra) THEN json_extract(extra, "
                 f"'$.{CLOCK_BEHIND_KEY}.not_before') END")
"""``not_before`` of an entry written while the clock was behind (:func:`clock_behind`),
else NULL (an ``extra`` that is not JSON, a damaged row, too)."""
_COUNTED_AT = f"coalesce({_BEHIND_UNTIL}, scanned_at)"
"""When an entry happened as far as the kiosk can tell: ``not_before`` for one written while
the clock was behind (:func:`clock_behind`), else its ``scanned_at``; an ``extra`` that is not
JSON (a damaged row) at its ``scanned_at``."""

_FILL_PRESENCE = (
    "INSERT INTO presence (checkpoint_id, inside, subject_key, scanned_at, direction) "
    "SELECT checkpoint_id, direction = 'in', subject_key, at, direction FROM ("
    "SELECT checkpoint_id, subject_key, CASE kind WHEN 'other' THEN 'out' ELSE direction END "
    f"AS direction, {_COUNTED_AT} AS at, row_number() "
    "OVER (PARTITION BY checkpoint_id, subject_key "
    f"ORDER BY {_COUNTED_AT} DESC, id DESC) AS latest FROM entries {{among}}) WHERE latest = 1")
"""``among``: a WHERE clause choosing the entries (people) it is rebuilt for, or nothing. A
code that names nobody (kind ``other``) counts "out", as :func:`_move` writes it."""
_PEOPLE = ("(SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') "
           "FROM json_each(?))")
"""(checkpoint, subject key) pairs given as one JSON list of pairs, for a row-value IN."""

_LAST_MOVED = (
    "SELECT DISTINCT presence.checkpoint_id, presence.subject_key FROM json_each(?) AS gone "
    "JOIN presence ON presence.checkpoint_id = json_extract(gone.value, '$[0]') "
    "AND presence.inside IN (1, 0) AND presence.subject_key = json_extract(gone.value, '$[1]') "
    "WHERE presence.scanned_at = json_extract(gone.value, '$[2]') "
    "OR presence.last_id = json_extract(gone.value, '$[3]')")
"""Of the entries deleted ((checkpoint, subject key, counted time, id) as a JSON list), the
people whose ``presence`` row shows one of them as their last movement: only theirs changes
(an older entry deleted leaves the last one as it was), so only theirs is rebuilt — a test
card scanned all month has every part's entries, and rebuilding it at each part read all
of them each time."""

_LAST_TIME = "\uffff"
"""After every time the store holds (its text), as a walk's end."""
_WALKED = (_LAST_TIME, _LAST_TIME)
"""Where the purge's step leaves the walks of both time indexes at their end."""


def _step_range(conn: sqlite3.Connection, table: str, after: str, until: str, rows: int
                ) -> tuple[str, tuple[str, str], str]:
    """A purge step's range of ``table``'s time index (``entries_time``,
    ``refused_scanned_at``) after ``after``: its next ``rows`` rows and those sharing the
    last one's time, or all up to ``until`` (excluded) when fewer are left. The condition,
    its two values (one upper bound only: SQLite bounds an index range by one of them), and
    where the next step starts (:data:`_LAST_TIME` at the end)."""
    index = "entries_time" if table == "entries" else "refused_scanned_at"
    reach = conn.execute(f"SELECT scanned_at FROM {table} INDEXED BY {index} WHERE scanned_at > ? "
                         "AND scanned_at < ? ORDER BY scanned_at LIMIT 1 OFFSET ?",
                         (after, until, rows - 1)).fetchone()
    if reach is None:
        return "scanned_at > ? AND scanned_at < ?", (after, until), _LAST_TIME
    return "scanned_at > ? AND scanned_at <= ?", (after, reach[0]), reach[0]


def clock_behind(newest: tuple[str, int, str] | None, newest_at: float | None,
                 row: dict[str, Any], scanned: float) -> dict[str, Any] | None:
    """``{"seconds": s, "not_before": t}`` when ``row`` (about to be written) carries a wall
    time more than the tolerance before ``newest``'s, the newest entry's (scanned_at,
    monotonic_ns, boot_id) (:data:`_NEWEST`): the clock was stepped back (NTP, a
    technician, a dead RTC battery). ``not_before`` is the earliest the scan can really
    have happened: the newest entry's time, plus the monotonic time elapsed since when that
    entry was written in this boot (``newest_at``: its time, and ``scanned`` the row's, in
    seconds since the epoch: :func:`epoch_seconds`, each parsed once by the store). The
    kiosk counts the entry at that time for "inside
    now"; it travels to the centre in ``extra`` as a flag, not a time to file by: across a
    reboot it is only a lower bound (every scan of a boot at 1970 would share the last
    time before it), so the centre judges and files the entry by ``scanned_at`` as sent."""
    if newest is None or newest_at is None:
        return None
    at = newest_at
    if newest[2] == row["boot_id"]:
        at += max(0, row["monotonic_ns"] - newest[1]) / 1e9
    seconds = at - scanned
    if seconds <= CLOCK_TOLERANCE_SECONDS:
        return None
    return {"seconds": round(seconds, 3), "not_before": utc_iso(at)}


def writable(path: Path) -> bool:
    """Whether SQLite can write this existing store: the file, and its folder (where the
    write-ahead log and the shared-memory file are created). False on a read-only mount,
    for a file or folder without write permission, or made immutable (even for root)."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def wrong_kind(path: Path) -> Words | None:
    """What is at the store's path, or beside it at its ``-wal`` or ``-shm``, that is not a
    regular file (a folder, a pipe, a device): SQLite says only "unable to open", "disk I/O
    error" or "attempt to write a readonly database" for these, which would name the disk or
    permissions. None when each is a regular file or not there (or cannot be looked at:
    opening it says why). Three ``stat``: at open and when it failed, never per scan."""
    for suffix in ("", *_LOG_FILES):
        name = f"{path}{suffix}"
        try:
            mode = os.stat(name).st_mode
        except OSError:
            continue
        if stat.S_ISREG(mode):
            continue
        kind = Words("os.is_a_folder" if stat.S_ISDIR(mode) else "os.not_a_file")
        return kind if not suffix else Words("store.log_wrong_kind",
                                             {"file": name, "kind": kind})
    return None


KIOSK_TABLES = {"entries": frozenset({"id", "kiosk_id", "scanned_at", "monotonic_ns"}),
                "meta": frozenset({"key", "value"})}
"""Tables every kiosk store has held since v1, with columns no migration has dropped: what
tells a kiosk store (of this version, an older or a newer one) from another program's
database that happens to name a table ``entries`` or ``meta``."""


def foreign(conn: sqlite3.Connection) -> Words | None:
    """``store.foreign`` when the file ``conn`` opened is not a kiosk store, whatever its
    ``user_version`` (another program's database at the store's path; most set one, often
    above this program's schema count): checked before anything is written to it (the
    switch to WAL, a migration, its copy beside it). A new file has no table and version 0;
    a kiosk store of any version, older or newer than this program, has
    :data:`KIOSK_TABLES` (a newer one is refused as such: :func:`newer_schema`). Reads the
    schema only."""
    tables = {name for (name,) in conn.execute(  # not SQLite's own (an ANALYZE's stat1)
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
        "ESCAPE '\\'")}
    if not tables and conn.execute("PRAGMA user_version").fetchone()[0] == 0:
        return None
    for table, columns in KIOSK_TABLES.items():
        if table not in tables or not columns <= {
                row[1] for row in conn.execute(f"PRAGMA table_info({table})")}:
            return Words("store.foreign")
    return None


def newer_schema(conn: sqlite3.Connection, path: Path | str) -> StoreError | None:
    """``store.schema_newer`` for a kiosk store (:func:`foreign` said so) of a newer
    program's schema: refused before anything is written to it, the switch to WAL too."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version <= len(MIGRATIONS):
        return None
    return StoreError("store.schema_newer", path=path, version=version, ours=len(MIGRATIONS))


def found_damage(error: BaseException) -> bool:
    """Whether SQLite found the file damaged (SQLITE_CORRUPT, SQLITE_NOTADB: its result
    code, never its English message), in ``error`` or what it was raised from."""
    return _raised_with(error, lambda code: code & 0xFF in (sqlite3.SQLITE_CORRUPT,
                                                            sqlite3.SQLITE_NOTADB))


def _raised_with(error: BaseException, code: Callable[[int], bool]) -> bool:
    """Whether ``code`` holds for SQLite's (extended) result code of ``error`` or of an
    error it was raised from."""
    seen: BaseException | None = error
    while seen is not None:
        if code(getattr(seen, "sqlite_errorcode", 0)):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


BUSY = frozenset({"store.busy", "store.busy_kiosk"})
"""The codes of a write refused for another program's write lock (:func:`write_failure`):
unknown, or one of the kiosk's own commands named."""


def kiosk_command_using(path: Path) -> tuple[int, str] | None:
    """(pid, ``kiosk sync load-refusals``): the other process of the kiosk's own commands
    (``kiosk …`` or ``python -m kiosk …``) holding the write lock of the store at ``path``,
    as /proc tells of the processes this account may look into (:func:`lock_holder`); when
    /proc/locks names no holder, the one other process with the store open if it is such a
    command; None otherwise — another program holds it, or which one is not known. A scan
    refused for the write lock read "another program (sqlite3 left open, a backup tool…)"
    while the technician's own ``kiosk sync load-refusals`` held it: the officer could not
    say what to wait for; and a command only reading the store (``kiosk export``) must not
    be named, and killed, for sqlite3's lock. Looked up only when a write was refused."""
    holder = lock_holder(path)
    if holder is not None:  # this process (its own chore), or one named by its arguments
        command = None if holder == os.getpid() else _kiosk_command(_arguments(holder))
        return None if command is None else (holder, command)
    target = os.path.realpath(path)
    found: list[tuple[int, str | None]] = []
    for entry in Path("/proc").glob("[0-9]*"):
        pid = int(entry.name)
        try:
            if pid != os.getpid() and any(
                    os.readlink(fd) == target for fd in (entry / "fd").iterdir()):
                found.append((pid, _kiosk_command(_arguments(pid))))
        except OSError:  # gone meanwhile, or another account's
            continue
    if len(found) == 1 and (command := found[0][1]) is not None:
        return found[0][0], command
    return None


def _arguments(pid: int) -> list[str]:
    """The arguments of process ``pid`` as /proc shows them ([] once it is gone)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return cmdline.decode("utf-8", "replace").split("\0")


_PENDING_BYTE = 0x40000000
"""SQLite's lock bytes in the database file (os_unix.c): PENDING, RESERVED after it, then
510 SHARED bytes; a writer of a rollback journal, or a store in exclusive locking mode,
holds a write lock on some of them."""
_WAL_WRITE_LOCK = 120
"""The byte of the -shm file whose write lock is WAL's writer's (``WALINDEX_LOCK_OFFSET``,
lock 0: ``BEGIN IMMEDIATE`` takes it, and a scan's write waits for it)."""


def lock_holder(path: Path) -> int | None:
    """The pid of the process holding the write lock of the store at ``path``, from
    /proc/locks (POSIX locks: SQLite's, by fcntl): a write lock on the -shm's byte
    :data:`_WAL_WRITE_LOCK`, or on the database's lock bytes (:data:`_PENDING_BYTE`). None
    when none is listed, or /proc/locks is not there to read."""
    files: dict[tuple[str, int], tuple[int, int]] = {}
    for name, first in ((path.name + "-shm", _WAL_WRITE_LOCK), (path.name, _PENDING_BYTE)):
        try:
            st = os.stat(path.with_name(name))
        except OSError:
            continue
        device = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}"
        last = first if name.endswith("-shm") else first + 511
        files[device, st.st_ino] = first, last
    try:
        lines = Path("/proc/locks").read_text(encoding="ascii", errors="replace").splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split()  # "1: POSIX ADVISORY WRITE 1234 fe:00:5678 120 120"
        if len(fields) != 8 or fields[1] != "POSIX" or fields[3] != "WRITE":
            continue  # another kind, or "->" a process waiting for it
        device, _, inode = fields[5].rpartition(":")
        span = files.get((device, int(inode))) if inode.isdigit() else None
        if span is None or not fields[4].isdigit():
            continue
        start, end = int(fields[6]), (None if fields[7] == "EOF" else int(fields[7]))
        if start <= span[1] and (end is None or end >= span[0]):
            return int(fields[4])
    return None


def _kiosk_command(argv: list[str]) -> str | None:
    """``kiosk`` and its subcommand words from a process's arguments (``.venv/bin/kiosk
    sync load-refusals --config …``, ``python -m kiosk.cli store check``); None for
    another program (``kiosk-central`` too)."""
    for at, arg in enumerate(argv[:3]):
        if os.path.basename(arg) == "kiosk":
            rest = argv[at + 1:]
            break
        # split: the module's name written whole reads as an import of it to the import
        # graph (tests/test_imports.py), and the store imports no command line
        if arg == "-m" and at + 1 < len(argv) \
                and argv[at + 1].split(".") in (["kiosk"], ["kiosk", "cli"]):
            rest = argv[at + 2:]
            break
    else:
        return None
    words = []
    for arg in rest:
        if not arg or arg.startswith("-") or "/" in arg or len(words) == 2:
            break
        words.append(arg)
    return " ".join(["kiosk", *words])


def write_failure(error: sqlite3.Error, path: Path) -> Words | None:
    """Why a write failed, in words an officer can pass on, when the disk failed it: full,
    refusing writes (a read-only mount, a file made immutable: SQLite says only "disk I/O
    error" for these, so the files are asked), or an I/O error; or when another program
    held the write lock past :data:`BUSY_TIMEOUT_MS` (the next scan would wait as long, and
    be refused the same, until it lets go); or when SQLite found the file damaged (a page
    the write read or wrote: "store.damaged", the daily check's words). None for anything
    else (a constraint), which says nothing about the next write."""
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return Words("store.damaged", {"path": path})
    if code == sqlite3.SQLITE_FULL or shm_not_grown(error):  # the -shm not grown: an I/O
        # error for SQLite, a full disk for the officer
        return Words("store.disk_full", {"path": path})
    if code == sqlite3.SQLITE_BUSY:
        command = kiosk_command_using(path)
        if command is not None:
            return Words("store.busy_kiosk", {"path": path, "command": command[1],
                                              "pid": command[0]})
        return Words("store.busy", {"path": path})
    if code not in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR):
        return None
    wal = path.with_name(path.name + "-wal")
    if code == sqlite3.SQLITE_READONLY or not writable(path) or (
            wal.exists() and not os.access(wal, os.W_OK)):
        return Words("store.disk_read_only", {"path": path})
    return Words("store.disk_error", {"path": path})


_WRONG_KIND_CODES = (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY)


def failure_words(error: BaseException, path: Path | None = None) -> Words:
    """Why the system or SQLite failed the store, in the reader's language
    (:func:`kiosk.messages.failure_words`), the wrong kind of thing at its path named first:
    SQLite says "unable to open", "disk I/O error" or "read-only" for a folder or a pipe
    there, or for a folder at its ``-wal``/``-shm`` (:func:`wrong_kind`), which is neither
    the disk nor permissions."""
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF
    if path is not None and code in _WRONG_KIND_CODES:
        kind = wrong_kind(path)
        if kind is not None:
            return kind
    return shared_failure_words(error, path)


def read_only_uri(path: Path) -> str:
    """The URI that opens ``path`` without writing: ``mode=ro``, and ``immutable=1`` when the
    store cannot be written and no write-ahead log is waiting beside it. A WAL reader would
    otherwise create the log and the shared-memory file beside it (or fail to, in a
    read-only folder), and nothing can change such a file: a writer would have to open it
    for writing and create that log first."""
    uri = f"file:{urllib.parse.quote(str(path.absolute()))}?mode=ro"
    wal = path.with_name(path.name + "-wal")
    if not writable(path) and not (wal.exists() and wal.stat().st_size):
        uri += "&immutable=1"
    return uri


def shm_not_grown(error: BaseException) -> bool:
    """Whether SQLite could not make room for the log's shared-memory index (``-shm``,
    SQLITE_IOERR_SHMSIZE, in ``error`` or what it was raised from): the disk is full. Every
    connection to a WAL store needs that index once its ``-wal`` and ``-shm`` are gone (the
    last connection's close deletes them), readers too, so a store closed cleanly cannot be
    opened at all on a disk filled since (:func:`open_reading` reads it even so)."""
    return _raised_with(error, sqlite3.SQLITE_IOERR_SHMSIZE.__eq__)


def open_reading(path: Path, *, timeout: float) -> tuple[sqlite3.Connection, bool]:
    """A connection reading ``path`` without writing (:func:`read_only_uri`), and whether
    the disk was too full for it (:func:`shm_not_grown`): then one in SQLite's exclusive
    locking mode, which keeps the log's index in its own memory, never in a ``-shm``
    (:func:`_exclusive_reader`). Its first read is made here (``PRAGMA user_version``: a
    few microseconds) so the caller's reads find it open. sqlite3.Error as SQLite raised
    it; the disk full when even that reader cannot have the file (another program holds
    it: the disk is what to see to)."""
    conn = sqlite3.connect(read_only_uri(path), uri=True, check_same_thread=False,
                           isolation_level=None, timeout=timeout)
    try:
        conn.execute("PRAGMA user_version").fetchone()
    except sqlite3.Error as exc:
        conn.close()
        if not shm_not_grown(exc):
            raise
        try:
            return _exclusive_reader(path, timeout), True
        except sqlite3.Error as other:
            log.info("%s: not read in exclusive locking mode either: %s", path, other)
            raise exc from other
    return conn, False


def _exclusive_reader(path: Path, timeout: float) -> sqlite3.Connection:
    """``path`` read in exclusive locking mode, set before the log is first touched, so
    SQLite needs no ``-shm`` (it makes an empty ``-wal`` if none is there, deleted at
    close): for a full disk (:func:`open_reading`). ``query_only``: nothing is written
    through it. The file is opened for writing, as taking its exclusive lock needs (a
    ``mode=ro`` descriptor cannot), and that lock is held from the first read to the
    close: no other connection, in this process or another, reads or writes the file
    meanwhile (each waits for it, then is refused as busy), so none can see or change it
    half-way, and none makes a second index of its log. The close, as every last
    connection's, copies into the file a log left by a crash (SQLite's checkpoint: on a
    full disk it may fail, and the log then stays whole for the next start)."""
    conn = sqlite3.connect(rw_uri(path), uri=True, check_same_thread=False,
                           isolation_level=None, timeout=timeout)
    try:
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("PRAGMA query_only=1")
        conn.execute("PRAGMA user_version").fetchone()  # the lock taken, the log read
    except BaseException:
        conn.close()
        raise
    return conn


def backup_before_migrating(conn: sqlite3.Connection, path: Path, version: int) -> Path:
    """Copy the database as it is at schema ``version`` to ``NAME.vVERSION.bak`` beside it
    (0600) before a newer program migrates it: an upgrade gone wrong is undone by putting
    the copy back under the old program (``kiosk store restore``). SQLite's backup API
    copies a consistent state, WAL included. A copy that cannot be written (full disk)
    stops the start: nothing migrated, the half-written copy and its journal removed, and
    on a full disk the room it needs said beside the room there is."""
    target = path.with_name(f"{path.name}.v{version}.bak")
    try:
        remove_copy(target)  # a copy left by a start that failed half-way
        create_private(target)
        copy = sqlite3.connect(str(target))
        try:
            conn.backup(copy)
        finally:
            copy.close()
    except (OSError, sqlite3.Error) as exc:
        with contextlib.suppress(OSError):
            remove_copy(target)
        if getattr(exc, "errno", None) == errno.ENOSPC or \
                getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_FULL:
            need = conn.execute("PRAGMA page_count").fetchone()[0] * \
                conn.execute("PRAGMA page_size").fetchone()[0]
            raise StoreError("store.no_backup_room", path=path, version=version,
                             need=_mib(need), free=_mib(shutil.disk_usage(path.parent).free)
                             ) from exc
        raise StoreError("store.no_backup", path=path, version=version, detail=exc) from exc
    return target


def remove_copy(target: Path) -> None:
    """Delete a copy made before an upgrade with its side files (a journal, a log): the
    kiosk's store and the centre's SQLite database alike."""
    for side in STORE_SIDE_FILES:
        target.with_name(target.name + side).unlink(missing_ok=True)


def _mib(size: int) -> Words:
    return Words("size.mib", {"size": Number(size / 2**20)}) if size >= 2**20 else \
        Words("size.kib", {"size": Number(size / 1024)})


def upgrade_copies(path: Path) -> list[Path]:
    """The copies made before upgrades beside the store at ``path``: ``NAME.vN.bak``."""
    if str(path) == ":memory:":
        return []
    pattern = re.compile(rf"{re.escape(path.name)}\.v\d+\.bak")
    try:
        return sorted(p for p in path.parent.iterdir() if pattern.fullmatch(p.name))
    except OSError:
        return []


def earlier_backup(path: Path, version: int) -> Path | None:
    """The complete copy ``NAME.vVERSION.bak`` a migration run stopped half-way (a full
    disk) made at its start, if still there: the one the old release opens, so the run
    goes on without a second copy of the half-migrated file (:data:`UPGRADE_BACKUP`).
    None when it is gone, or not whole (a journal beside it, another schema in it)."""
    kept = path.with_name(f"{path.name}.v{version}.bak")
    if not kept.is_file() or kept.with_name(kept.name + "-journal").exists():
        return None
    uri = f"file:{urllib.parse.quote(str(kept.absolute()))}?mode=ro&immutable=1"
    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as copy:
            if copy.execute("PRAGMA user_version").fetchone()[0] != version:
                return None
    except sqlite3.Error:
        return None
    return kept


_UPKEEP = threading.local()
"""``on`` in a thread while it makes a store's own upkeep writes (:func:`_upkeep_writes`)."""


@contextlib.contextmanager
def _upkeep_writes() -> Iterator[None]:
    """Around a store's own upkeep in this thread (the daily check's stamp, the purge, the
    names' move into the index): a write of these that waited in vain for another program's
    write lock is not remembered in :attr:`Store.failing`. It says nothing of the next
    scan's wait, which may find the lock let go: remembered, the card read NOT RECORDED
    after the other program let go until a scan committed (hours at night, none refused).
    A scan's own refusal, in another thread meanwhile, is remembered; so is a full or
    failing disk (every write meets it)."""
    before = getattr(_UPKEEP, "on", False)
    _UPKEEP.on = True
    try:
        yield
    finally:
        _UPKEEP.on = before


def _boot_id() -> str:
    """This boot's id (Linux), ``-`` where there is none: a run mark of another boot is of a
    run a power cut or a reboot ended."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip() or "-"
    except OSError:
        return "-"


def _run_going(mark: str) -> bool:
    """Whether the run that wrote this mark (:meth:`Store.begin_run`) may still be going:
    of this boot, its process still there (not this one: a new run's pid is not yet in a
    mark of its own)."""
    found = re.search(r" boot (\S+) pid (\d+)$", mark)
    if found is None or found[1] != _boot_id():
        return False
    pid = int(found[2])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: there
        return True
    return True


class _Transaction:
    """:meth:`Store.transaction`: a class, not a generator under ``@contextmanager`` (its
    generator and wrapper cost each scan ~5 µs more in the scan loop, ~2 µs alone). COMMIT
    only after a body that raised nothing. It holds nothing of one use (the state is the
    store's, under its lock): each Store keeps one."""

    __slots__ = ("_store",)

    def __init__(self, store: Store) -> None:
        self._store = store

    def __enter__(self) -> sqlite3.Connection:
        store = self._store
        store.lock.acquire()
        try:
            if store.refusing is not None:
                if store.refusing.code == "store.unconfirmed":
                    store._check_file()  # back? no screen may be polling (headless, a command)
                store._refuse_if_refusing()
            try:
                if store.failing is None or store.failing.code not in BUSY or \
                        time.monotonic() - store._busy_refused_at > BUSY_QUEUE_SECONDS:
                    store._writes.execute("BEGIN IMMEDIATE")
                else:
                    store._begin_while_held()
            except sqlite3.Error as exc:
                raise store._failed(exc) from exc
        except BaseException:
            store.lock.release()
            raise
        store._changes_at_begin = store.conn.total_changes
        return store.conn

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        store = self._store
        try:
            if error is not None:
                store._undo(error)  # returns: the body's own exception goes on
                return
            try:
                store._check_file()
                store._writes.execute("COMMIT")
                if store.conn.total_changes != store._changes_at_begin:  # on the disk
                    store._went_in()
                store._known_words |= store._new_words
                store._newest = store._next_newest
                if store._upkeep is not None:
                    store._upkeep.wrote()
            except BaseException as exc:
                store._undo(exc)
                raise
        finally:
            store._new_words.clear()
            store._next_newest = None
            store._presence_read = None
            store.lock.release()


class Store:
    """One connection; every public method holds ``lock`` while it uses it (module doc)."""

    def __init__(self, path: str | Path, *, timezone: ZoneInfo | None = None,
                 read_only: bool = False, create: bool = True,
                 same_as: FileIdentity | None = None) -> None:
        """``read_only``: open an existing store without writing a byte (:func:`read_only_uri`);
        it must already be at this program's schema, since it cannot be migrated. Writes
        then fail with a StoreError. ``create=False``: open only a store that exists
        (StoreError "store.missing"): another connection to a running kiosk's store, which
        must not make an empty file where that store was deleted. ``same_as``: and only if
        it is still the file the kiosk's store opened (its :attr:`identity`; StoreError
        "store.replaced"): a connection to a copy moved over it would share the running
        store's ``-wal`` and ``-shm``, named after the path, and corrupt both files."""
        self.path = Path(path)
        self.timezone = timezone or ZoneInfo("UTC")
        self.read_only = read_only
        self.lock = threading.RLock()
        self.last_scan = 0.0
        """``time.monotonic()`` of the last insert through this Store: the purge steps aside."""
        self._known_words: set[str] = set()
        """Words ``search_words`` is known to hold (it only grows): not written again."""
        self._new_words: set[str] = set()
        """Words written by the open transaction: known once it commits."""
        self._newest: _Newest | None = None
        """What :data:`_NEWEST` read, as this connection's last scan left it
        (:meth:`_newest_now`)."""
        self._next_newest: _Newest | None = None
        """The same after the open transaction's scan: kept once it commits."""
        self._pending_behind: dict[str, Any] = {}
        """What :func:`oldest_pending_entry` walked to behind a first pending entry written
        with the clock behind: read again only once the entry found has left the pending set
        or the first pending id has gone below the one walked from."""
        self._first_pending: dict[str, str] = {}
        """Per kiosk id, the id of its first pending entry :meth:`first_pending_of` found:
        every pending entry before it was another id's, so the next search seeks from it."""
        self._presence_read: tuple[str, str, int, tuple[Any, ...] | None] | None = None
        """The ``presence`` row :meth:`last_movement` read in the open write transaction
        (checkpoint, person, ``total_changes`` then, the row or None)."""
        self.refusing: Words | None = None
        """Why every write is refused (damage :meth:`verify` found, the file deleted or
        replaced under it: :meth:`_check_file`); None: writes go on."""
        self.run_token: str | None = None
        """The kiosk run's mark this Store wrote (:meth:`begin_run`), cleared by
        :meth:`end_run`; None: none written."""
        self.damage_met: Callable[[], None] | None = None
        """Called when a write of this connection met damage (SQLITE_CORRUPT, SQLITE_NOTADB:
        :meth:`_failed`), after this Store refuses for it: ``Kiosk`` sets its
        ``found_damaged``, so every connection to the file refuses at once (the sync
        worker's stops uploading), not at its own next read. Runs under :attr:`lock`: it
        must only set refusals."""
        self._changes_at_begin = 0
        """``conn.total_changes`` when the open transaction began."""
        self.failing: Words | None = None
        """Why the last write failed on the disk (full, read-only, an I/O error), or waiting
        for another program's write lock (:func:`write_failure`; not the store's own upkeep's
        wait: :func:`_upkeep_writes`), None since one committed;
        the one standing when the path could not be looked at stands again once it names the
        file again (the upkeep's writes failed meanwhile say nothing of the disk): the next
        write is tried all the same, but a screen must not read READY meanwhile
        (:meth:`not_recording`)."""
        self._busy_refused_at = 0.0
        """``time.monotonic()`` when a write was last refused for another program's lock
        (:data:`BUSY_QUEUE_SECONDS`)."""
        self.identity: FileIdentity | None = None
        """The file this connection opened (None in memory): each commit checks the path
        still names it."""
        self._log_files: tuple[FileIdentity | None, ...] = ()
        """The ``-wal`` and ``-shm`` beside the file when it was opened: the files this
        connection writes its log to for as long as it is open."""
        self._file_path = os.fsencode(self.path)
        self._log_paths = tuple(self._file_path + os.fsencode(suffix) for suffix in _LOG_FILES)
        """Where those are, and the file, as the bytes the system call takes, made once: a
        ``Path`` made per check costs more than its look, and encoding a text each time
        ~0.5 µs a look."""
        self._refusing_before: Words | None = None
        """What refused writes when the path could not be looked at (damage found): it
        stands again once the path names the file again."""
        self._failing_before: Words | None = None
        """:attr:`failing` when the path could not be looked at (a full disk): it stands
        again with :attr:`_refusing_before`."""
        self._log_emptied = False
        """The log of a file lost from the path was emptied into it (:meth:`_empty_the_log`)."""
        self._check_lock = threading.Lock()
        """Held while one caller of :meth:`_check_file` looks at the path and decides: the
        screens' poll and a commit at once must not save one's ``store.unconfirmed`` as the
        refusal standing before the other's (restored on the path's return: refused for
        good). Never held while waiting for :attr:`lock`."""
        self._checkpointing = threading.Lock()
        """Held by the upkeep thread's checkpoint (:meth:`_may_checkpoint`) and while the log
        of a file lost from the path is emptied (:meth:`_empty_the_log`): that found the log
        busy with the kiosk's own checkpoint and left it, and a power cut before that
        checkpoint's end lost the scans only in the log."""
        self._unindexed = 0
        """Entries written through this Store since the last :meth:`index_names` (kept under
        ``lock``; the upkeep thread reads it to decide when to move them)."""
        self._upkeep: Upkeep | None = None
        """Checkpoints and the names' move into the index, off the scan path."""
        self._transaction = _Transaction(self)
        """What :meth:`transaction` gives, made once."""
        self.exclusive = False
        """Opened ``read_only`` on a disk too full for the log's index (:func:`open_reading`):
        in exclusive locking mode, no other connection can open the file until this one
        closes, and every write is refused (``store.full_read_only``)."""
        try:
            kind = None if str(path) == ":memory:" else wrong_kind(self.path)
            if kind is not None:  # before SQLite: a pipe would hold its open up
                raise StoreError("store.failed", path=path, detail=kind)
            if read_only:
                self.conn, self.exclusive = open_reading(self.path,
                                                         timeout=OPEN_BUSY_MS / 1000)
                if self.exclusive:
                    self.refusing = Words("store.full_read_only",
                                          {"path": self.path, "folder": self.path.parent})
            else:
                if str(path) != ":memory:":
                    if self.path.is_file() and not writable(self.path):  # before SQLite
                        raise StoreError("store.not_writable", path=path)  # an empty log stays
                    if create:
                        create_private(self.path)  # 0600: identities; -wal/-shm take its mode
                    elif not self.path.exists():  # SQLite would make an empty one
                        raise StoreError("store.missing", path=path)
                self.conn = sqlite3.connect(
                    str(path) if create else rw_uri(self.path), uri=not create,
                    check_same_thread=False, isolation_level=None,
                    timeout=OPEN_BUSY_MS / 1000)
        except (sqlite3.Error, OSError) as exc:  # OSError: its folder not made (a loop)
            raise StoreError("store.failed", path=path,
                             detail=failure_words(exc, self.path)) from exc
        self._writes = self.conn.cursor()
        """One cursor for a write transaction's own statements (``BEGIN``, ``COMMIT``,
        ``PRAGMA data_version``, the entry's insert, its presence row's read and write):
        ``conn.execute`` makes and drops a cursor for each (~1.3k instructions). Each returns
        no row or reads its one to the end, and the next runs on the same cursor (which
        resets the last), so none stays open after ``COMMIT``."""
        if str(path) != ":memory:":  # opened, nothing read yet: the -wal/-shm not opened
            try:
                self.identity = file_identity(self.path)
            except OSError as exc:  # its folder replaced since SQLite opened it, a failing disk
                self.conn.close()
                raise StoreError("store.failed", path=path, detail=os_words(exc)) from exc
            if same_as is not None and self.identity != same_as:
                self.conn.close()
                raise StoreError("store.replaced", path=path) if self.identity else \
                    StoreError("store.missing", path=path)
        if not read_only:
            self._upkeep = Upkeep(self.path, self.identity, self._chore, self.refusal,
                                  self._may_checkpoint)
        try:
            self.conn.execute(f"PRAGMA busy_timeout={OPEN_BUSY_MS}")
            other = foreign(self.conn)  # before the first write: WAL, a migration
            if other is not None:
                raise StoreError("store.failed", path=path, detail=other)
            newer = None if read_only else newer_schema(self.conn, path)
            if newer is not None:
                raise newer
            if read_only:
                self._check_readable_schema()
            else:
                self.conn.execute("PRAGMA journal_mode=WAL")
                self.conn.execute("PRAGMA synchronous=FULL")
                self.conn.execute(f"PRAGMA wal_autocheckpoint={WAL_LIMIT_PAGES}")
                self.conn.execute(f"PRAGMA journal_size_limit={WAL_KEEP_BYTES}")
                self.migrate()
            self.conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            if not read_only:
                self._index_left_names()
            if self.identity is not None:  # the log is open now, and stays so
                self._log_files = self._log_files_now()
        except (sqlite3.Error, StoreError, OSError) as exc:
            self._stop_upkeep()
            self.conn.close()
            if isinstance(exc, StoreError):
                raise
            raise StoreError("store.failed", path=path,
                             detail=failure_words(exc, self.path)) from exc

    # -- schema ---------------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        with self.lock:
            return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def _check_readable_schema(self) -> None:
        version = self.schema_version
        if version != len(MIGRATIONS):
            raise StoreError("store.read_only_schema", path=self.path, version=version,
                             ours=len(MIGRATIONS))

    def migrate(self) -> None:
        with self.lock:
            version = self.schema_version
            if version > len(MIGRATIONS):
                raise StoreError("store.schema_newer", path=self.path, version=version,
                                 ours=len(MIGRATIONS))
            backup = None
            if 0 < version < len(MIGRATIONS):  # a run stopped half-way: its copy
                row = self.conn.execute("SELECT value FROM meta WHERE key = ?",
                                        (UPGRADE_BACKUP,)).fetchone()
                backup = None if row is None else earlier_backup(self.path, int(row[0]))
            for target, step in enumerate(MIGRATIONS[version:], start=version + 1):
                try:
                    with self.transaction() as conn:  # another program starting at once
                        # may have migrated since the version was read: each step checks
                        # under the write lock, and the copy is made under it (read on a
                        # connection of its own: WAL lets it read beside the lock)
                        now_at = conn.execute("PRAGMA user_version").fetchone()[0]
                        if now_at >= target:
                            continue
                        if backup is None and version > 0 and str(self.path) != ":memory:":
                            with contextlib.closing(sqlite3.connect(
                                    read_only_uri(self.path), uri=True)) as source:
                                backup = backup_before_migrating(source, self.path, now_at)
                            conn.execute("INSERT OR REPLACE INTO meta (key, value) "
                                         "VALUES (?, ?)", (UPGRADE_BACKUP, str(now_at)))
                        step(conn)
                        conn.execute(f"PRAGMA user_version={target}")
                        if target == len(MIGRATIONS):
                            conn.execute("DELETE FROM meta WHERE key = ?", (UPGRADE_BACKUP,))
                except StoreError as exc:  # a full disk: the step rolled back whole
                    if backup is None:
                        raise
                    raise StoreError("store.migration_failed", path=self.path,
                                     version=target - 1, target=target, backup=backup,
                                     detail=exc.words) from exc

    def table_names(self) -> list[str]:
        with self.lock:
            return [r[0] for r in self.conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]

    def transaction(self) -> _Transaction:
        """BEGIN IMMEDIATE … COMMIT, holding ``lock``; any SQLite failure rolls back and
        becomes a StoreError."""
        return self._transaction

    def not_recording(self, *, look: bool = False) -> Words | None:
        """Why a scan now would not be recorded, None while writes go on: :meth:`refusal`
        (every write refused), else why the last write failed (:attr:`failing`: the disk,
        or another program holding the write lock), until one commits. A read-only, locked
        or full disk, or a ``sqlite3`` left inside a transaction, refuses every scan without
        this Store refusing anything: a screen showing only :meth:`refusal` read READY
        between the refused scans.

        ``look`` (the screens' poll, off the GUI thread): while another program is known to
        hold the write lock, try whether it let go (:meth:`_lock_let_go`), so the card reads
        READY again once that program is closed, not only after the next scan committed."""
        if look and self.failing is not None and self.failing.code in BUSY:
            self._lock_let_go()
        return self.refusal() or self.failing

    def room_again(self) -> bool:
        """Whether the last write failed for a full disk (:attr:`failing`, the store refusing
        nothing of its own) and the disk holding the file has room now: the screens' poll
        then has :meth:`write_on_room` run. The officer, told to use the paper list, scans
        no more, so no scan would find the room and the card read NOT RECORDED for good.
        Free space alone (``statvfs``): no :attr:`lock`, nothing written."""
        failing = self.failing
        if self.refusing is not None or failing is None or failing.code != "store.disk_full":
            return False
        try:
            disk = os.statvfs(self.path.parent)
        except OSError:
            return False
        return disk.f_bavail * disk.f_frsize >= ROOM_AGAIN_BYTES

    def write_on_room(self) -> bool:
        """While the last write failed for a full disk, a small real write (the time, under
        :data:`ROOM_BACK_AT`) through the scans' own write path: committed, it clears
        :attr:`failing` as a scan's would, so READY is said only once a write went in;
        refused, the failure stands (the disk full again: :meth:`_failed`). Whether it was
        recorded; False also when a scan was recorded meanwhile (nothing to lift)."""
        with self.lock:
            failing = self.failing
            if failing is None or failing.code != "store.disk_full":
                return False
            try:
                with self.transaction() as conn:
                    self._set_meta(conn, {ROOM_BACK_AT: utc_iso(time.time())})
            except StoreError:
                return False
        log.warning("%s", both("store.log.room_back", path=self.path))
        return True

    def _begin_while_held(self) -> None:
        """``BEGIN IMMEDIATE`` waiting :data:`BUSY_AGAIN_MS` at most for the write lock
        another program held at the last write: only then, so a normal scan runs no
        statement more."""
        self.conn.execute(f"PRAGMA busy_timeout={BUSY_AGAIN_MS}")
        try:
            self._writes.execute("BEGIN IMMEDIATE")
        finally:
            self.conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

    def _lock_let_go(self) -> None:
        """Whether the write lock another program held is free now: ``BEGIN IMMEDIATE;
        ROLLBACK`` not waiting for it at all (no row read, nothing written; microseconds
        either way), and :attr:`failing` cleared if it is. Skipped while this Store is in
        use (a scan waiting for that lock holds :attr:`lock`: it answers for itself), so the
        caller never waits."""
        if not self.lock.acquire(blocking=False):
            return
        try:
            if self.conn.in_transaction or self.failing is None \
                    or self.failing.code not in BUSY:
                return
            self.conn.execute("PRAGMA busy_timeout=0")
            try:
                self._writes.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:
                return  # still held (or anything else: the next scan says)
            finally:
                self.conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            self._writes.execute("ROLLBACK")
            self.failing = None
            log.warning("%s", both("store.log.lock_released", path=self.path))
        finally:
            self.lock.release()

    def _went_in(self) -> None:
        """A write committed: the disk takes writes, :attr:`failing` is lifted. Not by the
        store's own upkeep while the disk was full (:func:`_upkeep_writes`): its few pages
        (the names' move into the index) fit in the log's room the refused scan had taken
        and given back, where a scan's do not, and the card read READY on a disk still full
        of nothing but the refused scan's leftovers; the screens' poll lifts it once the
        disk has room (:meth:`room_again`, :meth:`write_on_room`)."""
        if self.failing is not None and self.failing.code == "store.disk_full" \
                and getattr(_UPKEEP, "on", False):
            return
        self.failing = None

    def _failed(self, error: sqlite3.Error) -> StoreError:
        """Why a write failed, to raise: the disk's failure or another program's lock in
        words (:func:`write_failure`, remembered in :attr:`failing`), not SQLite's English
        inside an officer's Vietnamese sentence (its text is the error's cause, for a log);
        damage met refuses every write from then on (:attr:`refusing`), as the daily check's
        finding does, through :meth:`found_damaged`: set here without its lock, the damage
        stood behind the poll's ``store.unconfirmed`` and was lost when the path came back
        (READY, scans into the damaged file); anything else (a constraint: a program's error,
        not the disk's) keeps SQLite's own text."""
        why = write_failure(error, self.path)
        if why is None:
            return StoreError("store.sqlite", detail=error)
        if why.code == "store.damaged":  # as if the daily check had found it: every write
            log.info("%s: damage met by a write: %s", self.path, error)  # refused from
            self.found_damaged()  # now on, READY no more between scans
            if self.damage_met is not None:
                self.damage_met()
        elif why.code not in BUSY or not getattr(_UPKEEP, "on", False):
            self.failing = why
            if why.code in BUSY:
                self._busy_refused_at = time.monotonic()
        return StoreError(why.code, **why.params)

    def _undo(self, error: BaseException) -> None:
        """A transaction's body or COMMIT raised ``error``: ROLLBACK; a SQLite failure is
        raised again as a StoreError, anything else the caller lets go on."""
        if self.conn.in_transaction:
            self._writes.execute("ROLLBACK")  # resets what the cursor read too
        if isinstance(error, sqlite3.Error):
            raise self._failed(error) from error

    def _refuse_if_refusing(self) -> None:
        if self.refusing is not None:
            raise StoreError(self.refusing.code, **self.refusing.params)

    def _check_file(self) -> None:
        """Refuse this write, and every one after it, if the path no longer names the file
        this connection opened: deleted (``rm kiosk.db*``), or another moved over it
        (``mv backup.db kiosk.db``; a backup copied *onto* it, ``cp``, keeps the file and is
        not seen: docs/technician.md, "Restoring a backup"). The connection would go on
        writing to the old file, gone or no longer the store, and a scan shown "accepted"
        would not be in the store on disk. The ``-wal`` and ``-shm`` beside it must be the
        ones the connection opened too (:meth:`_log_files_now`), or the later commits go
        where no later start reads them (``rm kiosk.db-wal``; the folder replaced by one
        holding a hard link to the file alone), or a second program opening the store makes
        a second index of the same log and both corrupt the file (``rm kiosk.db-shm``):
        refused for good as well ("store.log_gone"). SQLite itself never deletes nor
        replaces them while a connection is open (the last one's close deletes them; a
        checkpoint truncates the ``-wal`` in place). Three looks before each commit
        (:func:`kiosk.upkeep.file_identity`, ~2 µs each; a scan with its commit ~300 µs),
        which read no file's times: a ``stat`` would have every write to the log dated
        anew, its inode rewritten at each fsync on some disks (+0.1 ms a scan measured).

        A path that cannot be looked at (its folder replaced by a link loop or a file, a
        failing disk, a network file system's hiccup) cannot be confirmed either: refused
        the same, but only until it can be looked at again and names the same file with the
        same log beside it (:meth:`_log_files_now`), when writes go on. The log emptied when
        the path was lost (:meth:`_empty_the_log`) does not stand in the way: that was a
        checkpoint like SQLite's own, through this connection's open files, which are then
        again the ones the path names; nor is that log ever set aside while it may be the
        file's own (:meth:`_set_the_log_aside`). A refusal standing before (damage found)
        stands again. Found another file, or none, the path stays refused for good.

        The screens' poll (no :attr:`lock`) and a commit may check at once: the look and
        what it decides are one caller's at a time (:attr:`_check_lock`, held for the
        ``stat`` only, never while a scan is written)."""
        if self.identity is None:
            return
        with self._check_lock:
            why = self._file_lost()
        if why is None:
            return
        with self.lock:  # waits for a scan in progress (its commit then refused too)
            if self.conn.in_transaction:
                self._writes.execute("ROLLBACK")
            self._empty_the_log(wait_ms=0)  # a reader elsewhere must not hold up scans
        raise StoreError(why.code, **why.params)  # rolled back, even if the path is back

    def _file_lost(self) -> Words | None:
        """:meth:`_check_file`'s look at the path, and what it decides (under
        :attr:`_check_lock`): why this write and those after it are refused, the log of the
        file lost still to empty; None: writes go on. StoreError: refused, nothing to do."""
        if self.refusing is not None and self.refusing.code in _GONE:
            self._refuse_if_refusing()  # for good: not looked at again, nor logged each time
        read = self.refusing
        unconfirmed = read is not None and read.code == "store.unconfirmed"
        try:
            if self._identity_now() != self.identity:
                why = Words("store.gone", {"path": self.path})
            elif (self.read_only and not unconfirmed) or not self._log_files \
                    or self._log_files_now() == self._log_files:  # a reader writes no log;
                # none known: migrate() commits before it, none open after close()
                if unconfirmed and self.refusing is read:  # not damage found meanwhile
                    self.refusing = self._refusing_before
                    self.failing = self._failing_before  # not the upkeep's failed meanwhile
                    log.warning("%s", both("store.log.looked_at_again", path=self.path))
                return None
            elif self._identity_now() != self.identity:  # `rm kiosk.db*` between the two
                why = Words("store.gone", {"path": self.path})  # looks: the file first
            else:
                why = Words("store.log_gone", {"path": self.path})
                log.error("%s", both("store.log.log_files_changed", path=self.path))
        except OSError as exc:
            if unconfirmed:
                self._refuse_if_refusing()  # still: logged once
            self._refusing_before = self.refusing
            self._failing_before = self.failing
            why = Words("store.unconfirmed", {"path": self.path, "detail": Words(
                "store.folder_missing") if isinstance(exc, _FolderMissing) else os_words(exc)})
            log.error("%s", both(why.code, **why.params))  # the system's English: -v
            log.info("%s: the store file cannot be looked at: %s", self.path, exc)
        self.refusing = why
        if unconfirmed and self._log_emptied:  # emptied when the path was lost, nothing
            self._refuse_if_refusing()         # written since (else: tried again now)
        self._log_emptied = False  # a loss seen now: the caller empties its log
        return why

    def _identity_now(self) -> FileIdentity | None:
        """The identity of the file at the path now; None: no file there, its folder there
        (deleted, or moved away alone). _FolderMissing: the folder itself is not there, or
        is no folder (``mv data data.away``), which says nothing of the file: the same one
        may come back with it, so it is looked at again as a link loop's is; only a file
        missing from its folder is a store deleted for good. The folder is looked at only
        when the file is not there: a scan's commit costs no look more."""
        found = file_identity(self._file_path)
        if found is None:
            folder = os.path.dirname(self._file_path) or b"."
            try:
                is_folder = stat.S_ISDIR(os.stat(folder).st_mode)
            except FileNotFoundError:
                is_folder = False
            if not is_folder:
                raise _FolderMissing(errno.ENOENT, os.strerror(errno.ENOENT),  # its English
                                     os.fsdecode(folder))  # for the log's -v line alone
        return found

    def _log_files_now(self) -> tuple[FileIdentity | None, ...]:
        """The ``-wal`` and ``-shm`` at the path now (OSError: they cannot be looked at).
        The connection goes on using the ones it opened: the file alone moved into a new
        folder at the path would have its later commits logged where no later start reads
        them, and lost at a power cut."""
        wal, shm = self._log_paths
        return file_identity(wal), file_identity(shm)

    def refusal(self) -> Words | None:
        """Why this Store refuses every write, None while it takes them; the file is
        checked too (three looks, not under :attr:`lock`: a scan in progress does not hold
        the caller up, but for the lock taken once, when the file is found lost, to empty its
        log), so a screen polling this says the store is gone before a scan is refused, and
        that it takes scans again once a path that could not be looked at names the file
        again."""
        with contextlib.suppress(StoreError):
            self._check_file()
        return self.refusing

    def close(self) -> None:
        """Closes the connection whatever the file's state; a file lost from the path has
        its log emptied first, if it was not when the loss was seen (a reader was busy),
        waiting for readers :data:`CLOSE_LOG_WAIT_MS` at most: a stop must not wait for
        another program's export."""
        self._stop_upkeep()
        with self.lock:
            try:
                with contextlib.suppress(StoreError):
                    self._check_file()
                if self.refusing is not None and self.refusing.code in FILE_LOST \
                        and not self._log_emptied:
                    self._empty_the_log(wait_ms=CLOSE_LOG_WAIT_MS)
            finally:
                self.conn.close()
                self._log_files = ()  # none open: the last close deletes them

    def _empty_the_log(self, wait_ms: int) -> None:
        """The path names another file now (a backup moved over the store), or cannot be
        looked at (another file may be there once it can): the ``-wal`` beside it may still
        hold this file's last writes, and SQLite, seeing the file moved, leaves it there at
        close. A start after the kiosk was killed (a power cut) would read it into the other
        file as if it were that file's own (its entries changed, or its pages corrupt). So
        it is copied into this file and emptied as soon as the loss is seen
        (:meth:`_check_file`), and at close.

        A reader of the old file (another program's export, a backup) keeps the log from
        being emptied; this waits for readers ``wait_ms`` at most, holding the store's lock,
        then sets it aside if another file, or none, is there (:meth:`_set_the_log_aside`)."""
        if self.read_only:
            return
        with contextlib.suppress(OSError):  # cannot be looked at: emptied as before
            wal, shm = self._log_files_now()
            if self._log_files and wal == self._log_files[0] and shm != self._log_files[1]:
                log.error("%s", both("store.log.shm_replaced", path=self.path))
                return
        try:
            with self._checkpointing:  # after the upkeep's checkpoint, if one is under way
                self.conn.execute(f"PRAGMA busy_timeout={wait_ms}")
                try:
                    busy, _, _ = self.conn.execute(
                        "PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                finally:
                    self.conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        except sqlite3.Error as exc:
            busy = exc
        self._log_emptied = not busy
        if busy:
            log.error("%s", both("store.log.not_emptied", path=self.path, reason=Words(
                "store.log.reader_busy") if busy == 1 else failure_words(busy)))
            if busy != 1:  # SQLite's own English: -v
                log.info("%s: the log not emptied: %s", self.path, busy)
            self._set_the_log_aside()

    def _set_the_log_aside(self) -> None:
        """The log of this file lost from the path could not be emptied: moved aside, with
        its index, if the path names another file now, or none, and they are still this
        file's, so that the next start does not read them into the file there now. Never
        while the path cannot be looked at, nor once it names this file again (its folder
        back after a hiccup, during the stop's wait for a reader): the log beside it is then
        the file's own, holding scans answered accepted, for the next start to read. Looked
        at and moved within the one folder the path names when it is opened, so that a
        folder swapped back meanwhile is never the one moved from. SQLite here and in the
        reader goes on using them (open files, not names); at close, even the last
        connection neither empties nor deletes the log of a file moved from its path
        (SQLite's ``databaseIsUnmoved``; seen with 3.40.1: the ``-wal`` at the name is left
        as it was), so the new names are safe."""
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        name = self.path.name
        try:
            folder = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return  # the path cannot be looked at: whose log is there is unknown
        try:
            try:
                if file_identity(name, dir_fd=folder) == self.identity:
                    return  # this file there again: the log beside it is its own
                now = tuple(file_identity(f"{name}{suffix}", dir_fd=folder)
                            for suffix in _LOG_FILES)
            except OSError:
                return
            for suffix, identity, there in zip(_LOG_FILES, self._log_files, now,
                                               strict=False):  # () when never opened
                if identity is None or there != identity:
                    continue  # not this file's (or none): left as it is
                aside = f"{name}{suffix}.of-replaced-store-{stamp}"
                try:
                    os.replace(f"{name}{suffix}", aside, src_dir_fd=folder, dst_dir_fd=folder)
                except OSError as exc:
                    log.error("%s", both("store.log.not_set_aside", path=self.path,
                                         suffix=suffix, reason=os_words(exc)))
                    log.info("%s%s not moved aside: %s", self.path, suffix, exc)  # -v
                    continue
                log.error("%s", both("store.log.set_aside", path=self.path, suffix=suffix,
                                     aside=self.path.with_name(aside)))
        finally:
            os.close(folder)

    @contextlib.contextmanager
    def _may_checkpoint(self) -> Iterator[bool]:
        """Around the upkeep thread's checkpoint, holding :attr:`_checkpointing`: whether it
        may run, not once this Store refuses writes (the log of a file lost from the path is
        emptied through this connection's own files; one opened at the path now would open
        another file, or another log)."""
        with self._checkpointing:
            yield self.refusing is None

    def _stop_upkeep(self) -> None:
        if self._upkeep is not None:
            self._upkeep.close()

    def damage(self) -> str | None:
        """What ``PRAGMA quick_check`` finds wrong with the file (its first findings), None
        when it is sound. Reads every page once (3 s for a million entries), on a read-only
        connection of its own so that scans go on meanwhile (WAL): for start-up, the daily
        check and ``kiosk store check``, never per scan. A path that no longer names this
        Store's file is not read (the other file would be read with this one's log):
        StoreError, and this Store refuses every write from then on (:meth:`_check_file`)."""
        if str(self.path) == ":memory:" or self.exclusive:  # none other can read it
            with self.lock:
                return quick_check(self.conn)
        self._check_file()
        try:
            found = self._read_only_check()
        except StoreError:  # the path lost since the look: said so, as a scan would say it
            self._check_file()
            raise
        if found:  # a file or log gone from under the check fails as damage would: not kept
            self._check_file()  # for damage while the path cannot be looked at
        return found

    def _read_only_check(self) -> str | None:
        try:
            conn = sqlite3.connect(read_only_uri(self.path), uri=True,
                                   timeout=CHECK_BUSY_SECONDS)
        except sqlite3.Error as exc:
            return _verdict(exc, self.path)
        try:
            self._check_file()  # another file there now: not read beside this one's log
            return quick_check(conn, self.path)
        finally:
            conn.close()

    @_upkeep_writes()
    def verify(self, now: float | None = None) -> str | None:
        """:meth:`damage`, remembered: a sound file is stamped (:data:`CHECKED_AT`), a damaged
        one loses its stamp and this Store refuses every write from then on (a scan shows
        "cannot save", never "accepted"), in words saying what to do: SQLite's own (the
        damage found, returned for the caller to log) mean nothing to an officer. The stamp
        waits for another program's write lock briefly (:meth:`_briefly`): not written, the
        file is checked again at the next hour."""
        found = self.damage()
        if not self.read_only:
            with contextlib.suppress(StoreError), self._briefly() as conn:  # a damaged file
                self._set_meta(conn, {CHECKED_AT: None if found  # may not take even this
                                      else utc_iso(now or time.time())})
        if found:
            self.found_damaged()
        return found

    @contextlib.contextmanager
    def _briefly(self) -> Iterator[sqlite3.Connection]:
        """:meth:`transaction` for the store's own upkeep (the purge's steps, the daily
        check's stamp, the names' move into the index), waiting :data:`CHORE_BUSY_MS` at
        most for another program's write lock: waiting the whole :data:`BUSY_TIMEOUT_MS`
        under :attr:`lock`, it held the next scan up that long before the scan's own wait
        began (~10 s for a refusal). Refused ("store.busy", not remembered:
        :func:`_upkeep_writes`), it is tried again later."""
        with self.lock:
            try:
                self.conn.execute(f"PRAGMA busy_timeout={CHORE_BUSY_MS}")
            except sqlite3.Error as exc:  # closed under it (a stop): as BEGIN's failure
                raise self._failed(exc) from exc
            try:
                with self.transaction() as conn:
                    yield conn
            finally:
                self.conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

    def found_damaged(self) -> None:
        """The file was found damaged (:meth:`verify`, here or through another connection
        to the same file, such as the sync worker's): this Store refuses every write from
        now on, saying so (``store.damaged``). Under :attr:`_check_lock`, and the refusal
        standing before while the path cannot be looked at: landing inside a look at the
        path (the sync worker's read, the screens' poll as the folder comes back), the
        verdict was overwritten by the refusal restored, and scans went into the damaged
        file."""
        damaged = Words("store.damaged", {"path": self.path})
        with self._check_lock:
            if self.refusing is not None and self.refusing.code == "store.unconfirmed":
                self._refusing_before = damaged
            self.refusing = damaged

    def verified_recently(self, now: float | None = None) -> bool:
        """Whether a whole-file check found the file sound less than
        :data:`CHECK_VOUCHES_FOR` ago (a stamp in the future — the clock went back — does
        not count)."""
        try:
            stamp = self.meta(CHECKED_AT).get(CHECKED_AT)
            age = dt.datetime.fromtimestamp(now or time.time(), dt.UTC) - parse_utc(stamp or "")
        except (sqlite3.DatabaseError, ValueError):  # none, garbled, or the page is damaged
            return False
        return dt.timedelta(0) <= age < CHECK_VOUCHES_FOR

    def run_left_marked(self) -> bool:
        """Whether a kiosk's run mark (:data:`RUNNING_SINCE`) is set on the file: the run
        before was cut short (a power cut, a kill, a crash), or another kiosk runs on the file
        now. Read only, before the start writes anything: a mark that cannot be read (its
        page damaged) counts as set."""
        try:
            return bool(self.meta(RUNNING_SINCE))
        except sqlite3.DatabaseError:
            return True

    @_upkeep_writes()
    def begin_run(self, now: float | None = None) -> bool:
        """Mark the file as this run's: a key of its own under :data:`RUNNING_SINCE`, unique
        to the run (:attr:`run_token`), its value the start's UTC time and pid; whether the
        run before stopped cleanly (it left no mark, its own or another run's). Each run
        its own key: a second kiosk on the same file (a ``--until-done`` replay beside the
        screen's run) neither overwrites nor clears the first's. A mark not written for
        another program's lock, a full or read-only disk counts as a run cut short (never
        skipped on a guess); the file gone, replaced or damaged raises StoreError, as a
        scan's write would be refused: the kiosk does not start on it."""
        token = f"{RUNNING_SINCE}.{uuid.uuid4().hex}"
        try:
            with self._briefly() as conn:
                before = conn.execute("SELECT 1 FROM meta WHERE key >= ? AND key < ?",
                                      (RUNNING_SINCE, RUNNING_SINCE + "\uffff")).fetchone()
                self._set_meta(conn, {token: f"{utc_iso(now or time.time())} boot "
                                             f"{_boot_id()} pid {os.getpid()}"})
        except StoreError:
            if self.refusing is not None:
                raise
            return False
        self.run_token = token
        return before is None

    @_upkeep_writes()
    def clear_ended_runs(self) -> None:
        """Clear the marks of runs that have ended (:data:`RUNNING_SINCE`): of another boot,
        or of a process no longer running on this one (an older kiosk's bare mark too). For
        the start once its check found the file sound: those runs' cuts are checked for. A
        run still going keeps its mark, and the next start checks before its first scan
        (it cannot tell that run's later stop): the safe direction. Not cleared (another
        program's lock), the next start checks again."""
        ended = [key for key, value in self.meta(RUNNING_SINCE).items()
                 if not _run_going(value)]
        if ended:
            with contextlib.suppress(StoreError), self._briefly() as conn:
                self._set_meta(conn, dict.fromkeys(ended))

    @_upkeep_writes()
    def end_run(self) -> None:
        """Clear :meth:`begin_run`'s mark, this run's own only: the kiosk stops cleanly,
        owing no check. Another run's mark is left for that run's own stop: cleared here, a
        power cut ending that run would go unseen by the next start. Not cleared (the store
        refusing, another program's lock), the next start checks."""
        token, self.run_token = self.run_token, None
        if token is None:  # never marked: nothing of this run's to clear
            return
        with contextlib.suppress(StoreError), self._briefly() as conn:
            self._set_meta(conn, {token: None})

    def interrupt_and_close(self) -> None:
        """Close without waiting for a long read to finish: interrupt whatever runs on the
        connection (again, until it lets go of the lock), then close."""
        self._stop_upkeep()
        while not self.lock.acquire(timeout=0.05):
            self.conn.interrupt()
        try:
            self.conn.close()
        finally:
            self.lock.release()

    def _rows(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        with self.lock:
            cursor = self.conn.execute(sql, params)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor]

    # -- the scan hot path ----------------------------------------------------------------
    def last_movement(self, subject_key: str, checkpoint_id: str, boot_id: str | None = None
                      ) -> LastMovement | None:
        """The person's latest movement here. Within the running boot (``boot_id``) the
        monotonic clock orders, so a wall clock stepped back cannot make an older entry look
        like the latest; entries of earlier boots are ordered by the wall clock.

        The person's ``presence`` row answers for a person already seen in this boot;
        otherwise their newest entry here by the wall clock, the first of their
        ``entries_person`` range read backwards. A boot's entries are written while it runs,
        so once a boot has written for someone ``presence`` holds it until the next boot
        writes. Read inside a write transaction, the row is kept for the scan's own write
        of it (:func:`_move`), which so reads nothing again.

        One statement (:data:`_PERSON`): the presence row, then that newest entry, read
        only when the row does not answer (SQLite reads a UNION ALL's parts as its rows
        are asked for): a new person's scan runs one statement less (~3 µs)."""
        with self.lock:
            rows = self.conn.execute(_PERSON, (checkpoint_id, subject_key))
            row = newest = rows.fetchone()
            if row is not None and row[0] is None:  # no presence row: the newest entry
                row = None
            if self.conn.in_transaction:
                self._presence_read = (checkpoint_id, subject_key, self.conn.total_changes, row)
            if row is not None:
                if row[6] == boot_id:
                    return LastMovement(row[3], parse_utc(row[4]), row[5], row[7])
                newest = next((found for found in rows if found[0] is None), None)
        return LastMovement(newest[3], parse_utc(newest[4]), newest[5]) if newest else None

    def subject_for_match(self, match_key: str) -> str | None:
        """The full-document subject key last seen with this match key, if any."""
        with self.lock:
            row = self.conn.execute(
                "SELECT subject_key FROM entries WHERE match_key = ? AND subject_key LIKE 'doc:%' "
                "ORDER BY scanned_at DESC LIMIT 1",
                (match_key,),
            ).fetchone()
        return row[0] if row else None

    def insert_entry(self, conn: sqlite3.Connection, row: dict[str, Any]) -> None:
        """Insert inside the caller's transaction (``conn``: this Store's, from
        :meth:`transaction`), with the presence row and search row that
        must never disagree with it. An entry written while the wall clock is behind the
        newest entry is flagged (:func:`clock_behind`) and counts, for "inside now", as
        happening when it really did (estimated), not at the time the clock showed."""
        writes = self._writes
        version = writes.execute("PRAGMA data_version").fetchone()[0]
        newest, indexed_through, newest_at = self._newest_now(conn, version)
        scanned = epoch_seconds(row["scanned_at"])  # kept below as the next scan's newest
        behind = clock_behind(newest, newest_at, row, scanned)
        if behind is not None:
            extra = json.loads(row["extra"] or "{}")
            extra[CLOCK_BEHIND_KEY] = behind
            row = {**row, "extra": json.dumps(extra, ensure_ascii=False, sort_keys=True)}
        writes.execute(_INSERT_ENTRY, _entry_values(row))
        if row["id"] < self._first_pending.get(row["kiosk_id"], ""):  # a clock set back
            del self._first_pending[row["kiosk_id"]]
        read, self._presence_read = self._presence_read, None
        known = read[3:] if read is not None and read[:3] == (
            row["checkpoint_id"], row["subject_key"], conn.total_changes - 1) else None
        _move(writes, row, behind["not_before"] if behind else row["scanned_at"], known)
        if row["name"]:
            if row["id"] <= indexed_through:  # an id behind the index's mark (a clock
                # set back across a restart): searched from the index at once
                conn.executemany(_INSERT_SEARCH, _slotted(
                    conn, [(row["id"], row["scanned_at"], row["name"])]))
            new = _name_words(row["name"]) - self._known_words
            if new:
                conn.executemany("INSERT OR IGNORE INTO search_words (word) VALUES (?)",
                                 [(w,) for w in new])
                self._new_words |= new
        at = row["scanned_at"]
        if newest is None or at > newest[0]:
            newest, newest_at = (at, row["monotonic_ns"], row["boot_id"]), scanned
        self._next_newest = None if at == newest[0] and newest[1:] != (
            row["monotonic_ns"], row["boot_id"]) else _Newest(
            version, conn.total_changes, newest, indexed_through, newest_at)
        self._unindexed += 1
        self.last_scan = time.monotonic()

    def newest_entry_time(self) -> float | None:
        """The newest entry's wall time (epoch seconds), None in an empty store: the real
        time is at least this however far behind the clock is now."""
        with self.lock:
            row = self.conn.execute("SELECT scanned_at FROM entries INDEXED BY entries_time "
                                    "ORDER BY scanned_at DESC LIMIT 1").fetchone()
        return epoch_seconds(row[0]) if row else None

    def _newest_now(self, conn: sqlite3.Connection, version: int
                    ) -> tuple[tuple[str, int, str] | None, str, float | None]:
        """The newest entry (scanned_at, monotonic_ns, boot_id), :data:`INDEXED_THROUGH` and
        the entry's time in seconds since the epoch:
        as this connection's last scan left them while nothing has been written since (no
        other connection committed: ``PRAGMA data_version`` is ``version`` still; this one
        changed no row: its ``total_changes`` is the same), else read (:data:`_NEWEST`). The
        single writer knows what it wrote: one statement less on each scan's write."""
        kept = self._newest
        if kept is not None and kept.version == version \
                and kept.total_changes == conn.total_changes:
            return kept.entry, kept.indexed_through, kept.entry_at
        row = conn.execute(_NEWEST, (INDEXED_THROUGH,)).fetchone()
        # no entry at all (a new store, or every entry purged): the mark may still be there
        return (row[:3], row[3], epoch_seconds(row[0])) if row else (
            None, _indexed_through(conn), None)

    def index_names(self) -> int:
        """Move the names of the entries written since the last move into ``entries_search``
        (one FTS5 segment for them all) and advance :data:`INDEXED_THROUGH`; how many names.
        The outbox's counts are folded in the same write (:func:`fold_counts`): the scans'
        inserts write none.
        Its commit is not fsync'd: lost in a power cut, the move is simply made again. Never
        needed for a search (the names not moved yet are matched from the entries), so it
        waits for another program's write lock only :data:`CHORE_BUSY_MS` (:meth:`_briefly`):
        at open, every command waited the whole :data:`BUSY_TIMEOUT_MS` (``kiosk stats``
        5.1 s instead of 0.1 s), and the upkeep's chore held up the next scan's own wait."""
        with self.lock:
            (counted,) = self.conn.execute("SELECT through FROM entry_counts_mark").fetchone()
            if self.conn.execute("SELECT 1 FROM entries WHERE id > ? LIMIT 1", (min(
                    _indexed_through(self.conn), counted),)).fetchone() is None:
                self._unindexed = 0
                return 0  # nothing to write (a store opened only to be read, say)
            synchronous = self.conn.execute("PRAGMA synchronous").fetchone()[0]
            self.conn.execute("PRAGMA synchronous=NORMAL")
            try:
                with self._briefly() as conn:
                    names = unindexed_names(conn)
                    conn.executemany(_INSERT_SEARCH, names)
                    mark_indexed(conn)
                    fold_counts(conn)
            finally:
                self.conn.execute(f"PRAGMA synchronous={int(synchronous)}")
            self._unindexed = 0
        return len(names)

    @_upkeep_writes()
    def _index_left_names(self) -> None:
        """At open: the names a kiosk stopped before their move had left. A file too damaged
        to read them still opens (to be checked, recovered, refused scans): the upkeep
        thread tries again after the next write. Logged for ``-v`` only: a command the file,
        the disk or a lock fails says so itself, in its reader's language, and the kiosk's
        card says why a scan is not recorded; a warning line would put the log's English
        before that on a command's screen."""
        try:
            self.index_names()
        except (sqlite3.DatabaseError, StoreError) as exc:
            log.info("%s: the latest names are not indexed yet: %s", self.path, exc)

    @_upkeep_writes()
    def _chore(self, quiet: bool) -> None:
        """The upkeep thread's: the latest names into the index once a batch of them waits,
        or whenever writes pause. Not while another program holds the write lock (waiting
        :data:`CHORE_BUSY_MS` at most, :meth:`index_names`): tried again after the next
        write. Not having waited, it says nothing of the next scan's wait
        (:func:`_upkeep_writes`)."""
        if not (self._unindexed >= SEARCH_BATCH_ROWS or (quiet and self._unindexed)):
            return
        try:
            self.index_names()
        except StoreError as exc:
            if exc.words.code not in BUSY:
                raise
            log.warning("%s", both("store.log.names_not_indexed", path=self.path))

    def insert_refused(self, row: dict[str, Any]) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO refused_scans (id, scanned_at, device_id, reason_code, detail, "
                "payload, boot_id, monotonic_ns) VALUES (:id, :scanned_at, :device_id, "
                ":reason_code, :detail, :payload, :boot_id, :monotonic_ns)",
                row,
            )
        self.last_scan = time.monotonic()

    # -- queries for people ---------------------------------------------------------------
    def day_bounds(self, day: dt.date | None = None) -> tuple[str, str]:
        """UTC text bounds of a local calendar day at this checkpoint (default: today)."""
        return day_bounds(day or today(self.timezone), self.timezone)

    def entries(self, **query: Any) -> list[dict[str, Any]]:
        """``iter_entries`` as a list, for the small answers (a screen's recent rows)."""
        return list(self.iter_entries(**query))

    def iter_entries(self, *, columns: tuple[str, ...] | None = None,
                     **query: Any) -> Iterator[dict[str, Any]]:
        """``entry_pages`` one entry at a time, each a dict of ``columns`` (default: all)."""
        names = columns or READABLE_COLUMNS
        for page in self.entry_pages(columns=names, **query):
            for row in page:
                yield dict(zip(names, row, strict=True))

    def entry_pages(
        self,
        *,
        since: str | None = None,
        until: str | None = None,
        direction: str | None = None,
        subject: str | None = None,
        search: str | None = None,
        limit: int | None = None,
        newest_first: bool = False,
        columns: tuple[str, ...] = READABLE_COLUMNS,
        page_rows: int | None = None,
    ) -> Iterator[list[tuple[Any, ...]]]:
        """Entries in ``[since, until)``, in pages of ``page_rows`` (default ``PAGE_ROWS``)
        tuples holding ``columns`` in that order: constant memory for any period, and no
        per-row object beyond SQLite's own tuple (an export writes them as they come).

        ``subject``: a document number or subject key, over its index. ``search``: words
        that begin names, matched without diacritics ("nguyen" finds "Nguyễn"), or a whole
        document number — never part of one, which would unmask the masked numbers.
        ``columns``: only these (an export needs half of them; no payloads).
        """
        unknown = set(columns) - set(READABLE_COLUMNS)
        if unknown or not columns:
            raise ValueError(f"not entry columns: {sorted(unknown) or columns}")
        if search and _DOCUMENT_NUMBER.fullmatch(search.strip()):
            subject, search = search.strip(), None
        where, params = [], []
        if direction:
            where.append("e.direction = ?")
            params.append(direction)
        if subject:
            where.append("e.subject_key = ?")
            params.append(subject if ":" in subject else f"doc:{subject}")
        arms: list[tuple[str, str | None, list[Any]]]
        if search:
            terms = self._terms(search)
            if terms is None:
                return
            for bound, operator in ((since, ">="), (until, "<")):
                if bound:
                    where.append(f"e.scanned_at {operator} ?")
                    params.append(bound)
            # CROSS JOIN: the search index drives, in its time order, each hit one key lookup;
            # the latest scans' names, not in it yet, are matched here and read by rowid.
            arms = [("entries_search s CROSS JOIN entries e ON e.id = s.entry_id", [],
                     "s.entries_search MATCH ?", [_fts_query(terms)])]
            recent = self._unindexed_matches(terms)
            if recent:
                arms.append((_UNINDEXED, [json.dumps(recent)], _AFTER_MARK, [INDEXED_THROUGH]))
            key: tuple[str, ...] = ("s.rowid",)
            low, high = _search_rowid(since), _search_rowid(until)
        else:
            arms, key = [("entries e", [], None, [])], ("e.scanned_at", "e.id")
            low, high = since or None, until or None
        picked = [_SYNC_STATE if c == "sync_state" and subject else f"e.{c}" for c in columns]
        yield from self._pages(picked, arms, where, params, key, newest_first, limit,
                               page_rows or PAGE_ROWS, low, high)

    def _terms(self, search: str) -> list[tuple[str, list[str] | None]] | None:
        """Typed words as search terms: each is the beginning of a word of the name, spelt
        out as the (few) stored words it begins (None: too many, kept a beginning) — exact
        words stream newest first, where a prefix query would read every match first.
        None: some word begins no name at all."""
        terms: list[tuple[str, list[str] | None]] = []
        for typed in _words(fold_name(search)):
            with self.lock:
                words = [w for (w,) in self.conn.execute(
                    "SELECT word FROM search_words WHERE word >= ? AND word < ? LIMIT ?",
                    (typed, typed + "\uffff", _MAX_SPELLED + 1))]
            if not words:
                return None
            terms.append((typed, None if len(words) > _MAX_SPELLED else words))
        return terms or None

    def _unindexed_matches(self, terms: list[tuple[str, list[str] | None]]
                           ) -> list[tuple[int, str]]:
        """(search rowid, entry id) of the names not in the index yet (a few hundred at most)
        that the terms match, word for word as the full-text index would."""
        with self.lock:
            rows = unindexed_names(self.conn)
        found = []
        for slot, name, entry_id in rows:
            words = _words(name)
            if all(any(w.startswith(typed) for w in words) if spelt is None
                   else not set(spelt).isdisjoint(words) for typed, spelt in terms):
                found.append((slot, entry_id))
        return found

    def _pages(self, picked: list[str], arms: list[tuple[str, list[Any], str | None, list[Any]]],
               where: list[str], params: list[Any], key: tuple[str, ...], descending: bool,
               limit: int | None, page_rows: int, low: Any = None, high: Any = None
               ) -> Iterator[list[tuple[Any, ...]]]:
        """Keyset pagination on ``key``, its first column in ``[low, high)``: each page is one
        short lock hold, and starts its index range where the last one ended. Key columns
        not among ``picked`` are read after them and cut off. Each arm (a source, its own
        parameters, its own condition and its parameters) gives its page in key order; two
        arms are merged."""
        after: tuple[Any, ...] | None = None
        left = limit if limit is not None else -1
        extra = [k for k in key if k not in picked]
        width = len(picked)
        at = [picked.index(k) if k in picked else width + extra.index(k) for k in key]
        order = "DESC" if descending else "ASC"
        columns = ", ".join(picked + extra)
        ordering = ", ".join(f"{k} {order}" for k in key)
        merged = ", ".join(f"{i + 1} {order}" for i in at)
        while left != 0:
            page_where, page_params = list(where), list(params)
            # One lower and one upper bound on the first key: with two lower bounds SQLite
            # may start the range at the wrong one and re-read every page before this one.
            start = after[0] if after is not None and not descending else low
            stop = after[0] if after is not None and descending else high
            if start is not None:
                page_where.append(f"{key[0]} >= ?")
                page_params.append(start)
            if stop is not None:
                page_where.append(f"{key[0]} {'<=' if after is not None and descending else '<'} ?")
                page_params.append(stop)
            if after is not None:  # the rows of the first key's last value already given
                page_where.append(f"({', '.join(key)}) {'<' if descending else '>'} "
                                  f"({', '.join('?' * len(key))})")
                page_params += after
            size = page_rows if left < 0 else min(left, page_rows)
            queries, arguments = [], []
            for source, source_params, condition, own in arms:
                conditions = page_where + ([condition] if condition else [])
                queries.append(f"SELECT {columns} FROM {source} WHERE "
                               f"{' AND '.join(conditions) or '1'} ORDER BY {ordering} "
                               f"LIMIT {size}")
                arguments += source_params + page_params + own
            sql = queries[0] if len(queries) == 1 else (
                " UNION ALL ".join(f"SELECT * FROM ({q})" for q in queries)
                + f" ORDER BY {merged} LIMIT {size}")
            with self.lock:
                rows = self.conn.execute(sql, arguments).fetchall()
            if not rows:
                return
            last = rows[-1]
            yield rows if not extra else [row[:width] for row in rows]
            if len(rows) < size:
                return
            after = tuple(last[i] for i in at)
            left = left - len(rows) if left > 0 else left

    def count_entries(self, since: str | None = None, until: str | None = None) -> int:
        """How many entries a period holds, from the time index (an export's progress total)."""
        with self.lock:
            return self.conn.execute(
                "SELECT count(*) FROM entries WHERE scanned_at >= ? AND scanned_at < ?",
                (since or "", until or "\uffff")).fetchone()[0]

    def time_after(self, since: str | None, until: str | None, rows: int) -> str | None:
        """The first ``scanned_at`` after at least ``rows`` entries of ``[since, until)``,
        from the time index: where an export's next chunk begins. None: fewer are left.
        Entries of one instant are never split (a time held by more than ``rows`` entries
        gives the next time instead)."""
        low, high = since or "", until or "\uffff"
        with self.lock:
            row = self.conn.execute(
                "SELECT scanned_at FROM entries WHERE scanned_at >= ? AND scanned_at < ? "
                "ORDER BY scanned_at LIMIT 1 OFFSET ?", (low, high, rows)).fetchone()
            if row is not None and row[0] == since:
                row = self.conn.execute(
                    "SELECT min(scanned_at) FROM entries WHERE scanned_at > ? AND "
                    "scanned_at < ?", (low, high)).fetchone()
        return row[0] if row else None

    def stats(self, checkpoint_id: str, day: dt.date | None = None,
              now: float | None = None) -> Stats:
        """A day's counts from that day's range of ``entries_time`` (covering: no row is read)
        and "inside": now (from ``presence``) while the day lasts, and at the end of the day
        once it is over (a past day's last 24 hours of entries), so a past day shows what it
        ended with, not what is true today. The cost follows the day's volume.

        A scan dated later than the clock reads now (recorded while the clock ran ahead, set
        right since) was made by now: it counts at now — today, in the current hour — as the
        centre files such a scan at its arrival. By its date it was tomorrow's (a clock 7 h
        ahead: each evening's scans), and today's counts missed what the officer saw.

        A code that names nobody (kind ``other``) is a scan of its hour but no one "in" or
        "out": the officer asks for the ID and scans it, which counts the person
        (``not_id`` says how many such codes the day had)."""
        moment = time.time() if now is None else now
        day = day or today(self.timezone, moment)
        since, until = day_bounds(day, self.timezone)
        now_text = utc_iso(moment)
        per_hour: dict[int, int] = {}
        entries_in = entries_out = duplicates = 0
        with self.lock:
            for hour, start, end in local_hours(day, self.timezone):
                # One pass over the day's range, an hour at a time: no sorting, no reading
                # of each row's time, and the day's totals are the hours' sums (a second
                # pass over the day for them doubled the read). The hour of now takes the
                # scans dated after it; the hours after it have none.
                if start > now_text:
                    break
                if end > now_text:
                    end = _LAST_TIME
                count, hour_in, hour_out, hour_duplicates = self.conn.execute(
                    _DAY_COUNTS, (start, end, checkpoint_id)).fetchone()
                if count:
                    per_hour[hour] = per_hour.get(hour, 0) + count
                    entries_in += hour_in
                    entries_out += hour_out
                    duplicates += hour_duplicates
            last = until if until <= now_text else _LAST_TIME
            refused = 0 if since > now_text else self.conn.execute(
                "SELECT count(*) FROM refused_scans WHERE scanned_at >= ? AND scanned_at < ?",
                (since, last)).fetchone()[0]
            not_id, not_id_in, not_id_out = (0, 0, 0) if since > now_text else \
                self.conn.execute(_NOT_ID_COUNTS, (since, last, checkpoint_id)).fetchone()
            day_over = parse_utc(until).timestamp() <= moment
            inside = self.inside_before(checkpoint_id, until) if day_over else \
                self.inside_count(checkpoint_id, now)
        return Stats(entries_in=int(entries_in - not_id_in),
                     entries_out=int(entries_out - not_id_out), inside=inside,
                     duplicates=int(duplicates), refused=refused, per_hour=per_hour,
                     day_over=day_over, not_id=not_id)

    def inside_before(self, checkpoint_id: str, until: str) -> int:
        """People inside just before ``until`` (store time text): whose last movement here
        in the 24 hours before it was "in" (the later entry on equal times; a code that
        names nobody is no one) — ``presence`` only knows each person's latest movement, so
        a moment past reads those hours."""
        since = utc_iso(parse_utc(until).timestamp() - INSIDE_WINDOW.total_seconds())
        with self.lock:
            return self.conn.execute(
                "SELECT count(*) FROM (SELECT direction, row_number() OVER (PARTITION BY "
                "subject_key ORDER BY scanned_at DESC, id DESC) AS latest FROM entries "
                "WHERE checkpoint_id = ? AND scanned_at >= ? AND scanned_at < ? "
                "AND kind != 'other') WHERE latest = 1 AND direction = 'in'",
                (checkpoint_id, since, until)
            ).fetchone()[0]

    def refused_by_hour(self, since: str, until: str) -> dict[str, int]:
        """Refused scans per UTC hour (``YYYY-MM-DDTHH``) from ``since`` to ``until``,
        excluded (store time text), for the health report the centre's daily report reads."""
        with self.lock:
            return dict(self.conn.execute(
                "SELECT substr(scanned_at, 1, 13), count(*) FROM refused_scans "
                "WHERE scanned_at >= ? AND scanned_at < ? GROUP BY 1", (since, until)).fetchall())

    def inside_count(self, checkpoint_id: str, now: float | None = None,
                     now_monotonic_ns: int | None = None) -> int:
        """People whose last movement here, within ``INSIDE_WINDOW``, was "in": a count of
        the range of ``presence`` that holds the people inside, unless the purge set aside
        rows of that window (a clock put back more than a day since): then of every row. The
        mark and the rows are read in one snapshot (a purge may commit between them).

        A movement of the running boot must also be within the window by the monotonic
        clock (``now_monotonic_ns``; by default as far from the clock's reading as ``now`` is
        from the wall clock's): one written while the wall clock ran ahead would otherwise
        keep the person, and through its ``not_before`` everyone scanned after them in the
        boot, inside until the clock caught up. Not by the monotonic clock alone: it stops
        while the kiosk is suspended, which the wall clock does not. Across a reboot only the
        wall times are known: such a movement of an earlier boot counts until the clock
        passes it."""
        wall = time.time() if now is None else now
        mono = time.monotonic_ns() + round((wall - time.time()) * 1e9) \
            if now_monotonic_ns is None else now_monotonic_ns
        since = utc_iso(wall - INSIDE_WINDOW.total_seconds())
        recent = (ids.boot_id(), mono - int(INSIDE_WINDOW.total_seconds()) * 10**9)
        with self.lock:
            self.conn.execute("SAVEPOINT inside_count")
            try:
                expired = self.conn.execute("SELECT value FROM meta WHERE key = ?",
                                            (EXPIRED_BEFORE,)).fetchone()
                counted = "inside = 1" if expired is None or since >= expired[0] else \
                    "inside IN (1, 0) AND direction = 'in'"
                return self.conn.execute(
                    f"SELECT count(*) FROM presence WHERE checkpoint_id = ? AND {counted} "
                    "AND scanned_at >= ? AND (boot_id != ? OR monotonic_ns >= ?)",
                    (checkpoint_id, since, *recent)).fetchone()[0]
            finally:
                self.conn.execute("RELEASE inside_count")

    # -- sync outbox ----------------------------------------------------------------------
    def pending(self, limit: int, after_id: str = "", kiosk_id: str | None = None
                ) -> list[dict[str, Any]]:
        """Oldest unacknowledged entries first (UUIDv7 order is creation order); only those
        recorded as ``kiosk_id`` when given (a token sends only its own kiosk's: the centre
        refuses a batch holding another's, :meth:`pending_elsewhere`). Another id's before
        this kiosk's first are walked in the one statement: 0.6 s under the lock behind
        a million (docs/benchmarks.md).

        ``sent`` (handed to the centre or written to a backlog file, no answer yet) stays in
        the pending set: only an acknowledgement takes an entry out of it.
        """
        whose = "" if kiosk_id is None else "AND kiosk_id = ? "
        return self._rows(
            "SELECT * FROM entries INDEXED BY entries_pending "  # else SQLite sorts the backlog
            f"WHERE sync_state IN ('pending', 'sent') AND id > ? {whose}ORDER BY id LIMIT ?",
            (after_id, *(() if kiosk_id is None else (kiosk_id,)), limit))

    def pending_elsewhere(self, kiosk_id: str) -> dict[str, int]:
        """Pending entries recorded under another kiosk id than ``kiosk_id``, counted by
        that id: left by an enrolment under a new id (or ``[kiosk] id`` edited), which this
        kiosk's token cannot send. They go to the centre in a backlog file of their own
        (``kiosk sync export --kiosk-id``). Read from ``entry_counts`` (v13), a page, and
        the few entries above its mark (v14)."""
        with self.lock:
            return dict(self.conn.execute(
                f"SELECT kiosk_id, sum(entries) FROM {_KEPT_AND_NEWER} "
                "WHERE sync_state IN ('pending', 'sent') AND kiosk_id != ? "
                "GROUP BY kiosk_id HAVING sum(entries) > 0 ORDER BY kiosk_id",
                (kiosk_id,)).fetchall())

    def still_pending(self, ids: list[str]) -> set[str]:
        """Those of ``ids`` still pending: what a process remembers of entries it left
        pending may be stale (another acknowledged them)."""
        with self.lock:
            return {row[0] for row in self.conn.execute(
                "SELECT id FROM entries WHERE sync_state IN ('pending', 'sent') "
                "AND id IN (SELECT value FROM json_each(?))", (json.dumps(ids),))}

    def mark_synced(self, acknowledged: list[str], rejected: dict[str, Words | str],
                    meta: dict[str, str | None] | None = None,
                    past_retention: Collection[str] = (),
                    added: dict[str, Callable[[int, str | None], str]] | None = None) -> int:
        """Apply one server answer atomically: either all of it is recorded or none.

        ``rejected``: id → why, kept as saved Words (``sync_error``) for whoever shows it to
        word in its reader's language (:func:`kiosk.messages.saved_text`); plain text (a
        centre's reason without a code this kiosk knows) is kept as it is.

        ``meta`` (sync status such as the time of this success) is written in the same
        transaction, so it costs no extra fsync. ``added``: key → how its new value is made
        from the number of ``past_retention`` ids (among ``acknowledged``) this answer moves
        out of pending and the value on disk (None: absent), both read in this transaction,
        whose write lock other processes wait for: a total another process (``kiosk sync
        push``) added to since this one read it is added to, not written over, and entries
        another sender's answer acknowledged already are not counted again. Not made when
        none moves. Returns that number.
        """
        now = utc_iso(time.time())
        with self.transaction() as conn:
            if meta:
                self._set_meta(conn, meta)
            moved = self._acknowledge(conn, acknowledged, now, past_retention, added)
            conn.executemany(
                "UPDATE entries SET sync_state = 'rejected', sync_error = ?, synced_at = ? "
                "WHERE id = ?", [(reason.saved() if isinstance(reason, Words) else reason, now, i)
                                 for i, reason in rejected.items()])
        return moved

    def _acknowledge(self, conn: sqlite3.Connection, acknowledged: list[str], now: str,
                     past_retention: Collection[str],
                     added: dict[str, Callable[[int, str | None], str]] | None,
                     kiosk_id: str | None = None) -> int:
        """Mark ``acknowledged`` (of ``kiosk_id`` when given) acknowledged, and make the
        ``added`` meta values: how an upload's answer (:meth:`mark_synced`) and the
        centre's answer on a stick (:meth:`mark_answered`) take entries out of the pending
        set. Returns how many ``past_retention`` ids it moved."""
        moved = conn.execute(
            "SELECT count(*) FROM entries WHERE sync_state != 'acknowledged' "
            "AND id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(past_retention)),)).fetchone()[0] if past_retention else 0
        for key, make in (added or {}).items() if moved else ():
            row = conn.execute("SELECT CAST(value AS BLOB) FROM meta WHERE key = ?",
                               (key,)).fetchone()
            self._set_meta(conn, {key: make(
                moved, None if row is None else row[0].decode("utf-8", errors="replace"))})
        conn.execute(  # one statement for the whole batch: 3× faster than executemany
            "UPDATE entries SET sync_state = 'acknowledged', sync_error = NULL, "
            "synced_at = ? WHERE id IN (SELECT value FROM json_each(?)) "
            "AND kiosk_id = coalesce(?, kiosk_id)",
            (now, json.dumps(acknowledged), kiosk_id))
        return moved

    def exported_files(self) -> list[tuple[str, bytes | None]]:
        """Per backlog file this kiosk exported (each export's ``sync.export`` audit
        record), the SHA-256 of its entries and its receipt key (None: exported before
        receipts): the files an answer of the centre may answer, and what its
        acknowledgement is checked with (:mod:`kiosk.sync.refusals`)."""
        with self.lock:
            return [(sha256, None if key is None else bytes.fromhex(key))
                    for sha256, key in self.conn.execute(
                        "SELECT json_extract(detail, '$.sha256'), "
                        "json_extract(detail, '$.receipt_key') FROM audit_log "
                        "WHERE action = 'sync.export' AND json_extract(detail, '$.sha256') "
                        "IS NOT NULL")]

    def mark_answered(self, kiosk_id: str, refused: dict[str, Words | str],
                      held: Sequence[str], actor: str = "operator",
                      past_retention: Collection[str] = (),
                      added: dict[str, Callable[[int, str | None], str]] | None = None,
                      progress: Callable[[int, int], None] | None = None,
                      chunk_rows: int = ANSWER_CHUNK_ROWS) -> Answered:
        """Apply the centre's answer to a backlog file (:mod:`kiosk.sync.refusals`). Entries
        of ``kiosk_id`` it ``held`` are acknowledged as an upload's answer acknowledges them
        (``past_retention`` and ``added`` as for :meth:`mark_synced`): they leave the
        pending set. Those ``refused`` that still wait — pending, or exported — are marked
        refused with the centre's reason, as an upload's answer marks them; any other
        (acknowledged since, refused already, another kiosk id's, unknown) is left as it
        is; so is one refused for the checkpoint it was filed under that is filed under
        another since (``retry-rejected --checkpoint``: an earlier answer loaded again after
        its entries were refiled, exported and taken, marked them refused for a checkpoint
        they no longer have). One audit record (``sync.load_refusals``) says how many, the
        first and last id refused and the counts acknowledged.

        In transactions of ``chunk_rows`` ids at most, each followed by a pause at least as
        long as it took (:meth:`retry_rejected`'s): in one, a million held ids held the
        write lock 33–65 s beside the running kiosk, and 39 scans in a row were refused as
        if another program held it. ``progress(done, total)`` is called in each pause, ids
        applied of held and refused (never for an answer of one part). An answer loaded
        again changes nothing more, so one cut short (killed, the power cut: no audit
        record yet) is simply loaded again."""
        now = utc_iso(time.time())
        late = set(past_retention)
        reasons = list(refused.items())
        total, done = len(held) + len(reasons), 0
        states: dict[str, int] = {}
        marked: list[str] = []
        for start in range(0, len(held), chunk_rows):
            started = time.perf_counter()
            part = held[start:start + chunk_rows]
            with self.transaction() as conn:
                for state, count in conn.execute(
                        "SELECT sync_state, count(*) FROM entries WHERE kiosk_id = ? AND id IN "
                        "(SELECT value FROM json_each(?)) GROUP BY sync_state",
                        (kiosk_id, json.dumps(part))):
                    states[state] = states.get(state, 0) + count
                self._acknowledge(conn, part, now, [i for i in part if i in late], added,
                                  kiosk_id)
            done += len(part)
            if done < total:
                self._pause_after(started, done, total, progress)
        for start in range(0, len(reasons), chunk_rows):
            started = time.perf_counter()
            with self.transaction() as conn:
                marked.extend(entry for entry, reason in reasons[start:start + chunk_rows]
                              if conn.execute(
                    "UPDATE entries SET sync_state = 'rejected', sync_error = ?, "
                    "synced_at = ? WHERE id = ? AND kiosk_id = ? "
                    "AND sync_state IN ('pending', 'sent') "
                    "AND checkpoint_id = coalesce(?, checkpoint_id)",
                    (reason.saved() if isinstance(reason, Words) else reason, now, entry,
                     kiosk_id, _filed_under(reason))).rowcount)
            done += len(reasons[start:start + chunk_rows])
            if done < total:
                self._pause_after(started, done, total, progress)
        marked.sort()
        already = states.pop("acknowledged", 0)
        answered = Answered(len(marked), sum(states.values()), already,
                            len(held) - already - sum(states.values()))
        with self.transaction() as conn:
            self._pending_behind.clear()
            self._first_pending.clear()
            self._audit(conn, actor, "sync.load_refusals", {
                "kiosk": kiosk_id, "named": len(refused), "count": len(marked),
                "first_id": marked[0] if marked else None,
                "last_id": marked[-1] if marked else None, "held": len(held),
                "acknowledged": answered.acknowledged, "already": already,
                "unknown": answered.unknown})
        return answered

    @staticmethod
    def _pause_after(started: float, done: int = 0, total: int = 0,
                     progress: Callable[[int, int], None] | None = None) -> None:
        """Between two transactions of a bulk write (an answer, an export's marks, a retry):
        a pause at least as long as the last took, never under :data:`RETRY_PAUSE_SECONDS`,
        so a scan waiting for the write lock meanwhile takes it (SQLite's busy handler
        tries again at most that long after its last try); ``progress(done, total)`` is
        told in it, no transaction open."""
        if progress is not None:
            progress(done, total)
        time.sleep(max(time.perf_counter() - started, RETRY_PAUSE_SECONDS))

    def unenrolled(self, kiosk_id: str) -> Unenrolled:
        """What :meth:`discard_unenrolled` would remove: the entries recorded under
        ``kiosk_id`` still pending (never sent, exported nor answered), and why the id is
        known to have been enrolled (:func:`enrolment_evidence`), if it is."""
        with self.lock:
            return _unenrolled(self.conn, kiosk_id)

    def note_configured(self, kiosk_id: str) -> None:
        """Record once (``kiosk.configured``) that ``kiosk_id`` was this store's id with a
        token: an enrolment made before the store existed, or whose audit record is gone,
        still makes the id's entries real for :meth:`discard_unenrolled` after the config's
        id changes (re-enrolment with ``--leave-pending``, a store restored elsewhere)."""
        if self.read_only:
            return
        with self.lock:
            known = self.conn.execute(
                "SELECT 1 FROM audit_log WHERE action = ? AND json_valid(detail) AND "
                "json_extract(detail, '$.kiosk') = ? LIMIT 1",
                (CONFIGURED_ACTION, kiosk_id)).fetchone()
        if not known:
            try:
                self.audit("kiosk", CONFIGURED_ACTION, {"kiosk": kiosk_id})
            except StoreError as exc:  # the opener's own work says why; the next open tries
                log.warning("%s", both("store.log.configured_not_recorded", kiosk=kiosk_id,
                                       reason=exc))

    def discard_unenrolled(self, kiosk_id: str, actor: str, reason: str,
                           chunk_rows: int = RETRY_CHUNK_ROWS) -> Unenrolled:
        """Delete the pending entries recorded under ``kiosk_id``: test and demo scans of a
        kiosk id no centre ever registered (the sample config's ``kiosk-01``), which no
        token can send and which would wait for ever. Refused (StoreError
        ``store.discard_enrolled``), nothing more deleted, when anything here shows the id
        enrolled (:func:`enrolment_evidence`: an entry of it exported or answered, an
        enrolment, a token or an export of it in the audit log) — looked at before each part.
        Only the entries counted as it starts (ids up to the last then): one recorded since
        was not in the count the operator confirmed.

        In audited parts, overwritten, the log emptied (:meth:`_discard_in_parts`;
        ``sync.discard_unenrolled`` with ``kiosk`` and ``reason``, the first part also the
        whole count's ``checkpoints``, ``first_at`` and ``last_at``). How many were
        deleted: ``count``."""
        with self.transaction() as conn:
            found = _unenrolled(conn, kiosk_id)

        def enrolled(conn: sqlite3.Connection) -> None:
            evidence = found.enrolled or enrolment_evidence(conn, kiosk_id)
            if evidence is not None:
                raise StoreError("store.discard_enrolled", kiosk=kiosk_id,
                                 evidence=Words(f"store.enrolment_{evidence}"))

        count = self._discard_in_parts(
            "sync.discard_unenrolled", actor, chunk_rows,
            "FROM entries INDEXED BY entries_pending WHERE sync_state IN ('pending', 'sent') "
            "AND sync_state = 'pending' AND kiosk_id = ?", (kiosk_id,), found.last_id,
            {"kiosk": kiosk_id, "reason": reason},
            {"checkpoints": found.checkpoints, "first_at": found.first_at,
             "last_at": found.last_at}, enrolled)
        return replace(found, count=count)

    def refused_to_discard(self, code: str | None = None, before: str | None = None
                           ) -> RefusedToDiscard:
        """What :meth:`discard_rejected` with the same choice would delete: the entries the
        centre refused, only those of its reason ``code`` and scanned before ``before``
        (UTC) when given."""
        with self.lock:
            return _refused_to_discard(self.conn, code, before)

    def discard_rejected(self, actor: str, reason: str, code: str | None = None,
                         before: str | None = None, chunk_rows: int = RETRY_CHUNK_ROWS
                         ) -> RefusedToDiscard:
        """Delete entries the centre refused that can never be fixed (a test code, a garbled
        scan it will never take): the purge removes only acknowledged entries, so these
        would keep their names here for ever. Only ``rejected`` ones, of the reason ``code``
        (as ``sync_error`` keeps it, ``refusal.too_old``; ``""``: a reason without one) and
        scanned before ``before`` (UTC) when given, and only those counted as it starts
        (ids up to the last then): one refused since was not in the count the operator
        confirmed. In :meth:`discard_unenrolled`'s audited, overwritten parts
        (:meth:`_discard_in_parts`; ``sync.discard_rejected`` with ``reason``, ``code``,
        ``before``, the first part also the whole count's ``codes``, ``first_at`` and
        ``last_at``). How many were deleted: ``count``."""
        with self.transaction() as conn:
            found = _refused_to_discard(conn, code, before)
        chosen, values = _refused_chosen(code, before)
        count = self._discard_in_parts(
            "sync.discard_rejected", actor, chunk_rows, chosen, values, found.last_id,
            {"reason": reason, "code": code, "before": before},
            {"codes": found.codes, "first_at": found.first_at, "last_at": found.last_at})
        return replace(found, count=count)

    def _discard_in_parts(self, action: str, actor: str, chunk_rows: int, chosen: str,
                          values: Sequence[object], last_id: str | None,
                          said: dict[str, object], whole: dict[str, object],
                          check: Callable[[sqlite3.Connection], None] | None = None) -> int:
        """Delete the entries ``chosen`` (``FROM entries … WHERE …`` with its ``values``)
        with ids up to ``last_id``, in :meth:`retry_rejected`'s parts and pauses (run on a
        kiosk at work, a month of test scans deleted in one transaction held the write lock
        for seconds, and the scans meanwhile were refused as if another program held it).
        Each part, after ``check`` (which may refuse it, raising), deletes its entries,
        their names in the search index, and rebuilds the presence of only the people
        whose last movement it deleted (:data:`_LAST_MOVED`), with its ``action`` audit
        record: ``said``, ``retry``, ``part``, ``count``, its ``first_id`` and ``last_id``;
        the first also ``whole`` (what was counted), the last ``total`` and ``done``. The
        bytes are overwritten and the log emptied as the purge's are: a connection the
        running kiosk holds open would otherwise keep the deleted people's pages readable
        in the file. How many were deleted."""
        after, deleted_words, first = "", False, whole

        def part(conn: sqlite3.Connection) -> tuple[int, dict[str, object]]:
            nonlocal after, first, deleted_words
            if check is not None:
                check(conn)
            doomed = sorted(conn.execute(
                f"DELETE FROM entries WHERE id IN (SELECT id {chosen} AND id > ? AND id <= ? "
                f"ORDER BY id LIMIT ?) RETURNING id, scanned_at, name, checkpoint_id, "
                f"subject_key, {_COUNTED_AT}",
                (*values, after, last_id or "", chunk_rows)).fetchall())
            deleted_words |= bool(_unindex(conn, [row[:3] for row in doomed]))
            people = json.dumps(conn.execute(_LAST_MOVED, (json.dumps(
                [(row[3], row[4], row[5], row[0]) for row in doomed]),)).fetchall())
            among = f"(checkpoint_id, subject_key) IN {_PEOPLE}"
            conn.execute(f"DELETE FROM presence WHERE {among}", (people,))
            conn.execute(_FILL_PRESENCE.format(among=f"WHERE {among}"), (people,))
            conn.execute(_FILL_MOVEMENTS.format(
                inside="AND presence.inside IN (1, 0) ", among=f"AND {among} "),
                (ids.boot_id(), people))
            after = doomed[-1][0] if doomed else after
            record = {**said, **first, "first_id": doomed[0][0] if doomed else None,
                      "last_id": after if doomed else None}
            first = {}  # the whole count's with the first part only
            return len(doomed), record

        count = self._retry_in_parts(action, actor, chunk_rows, part, overwriting=True)
        if deleted_words:
            self._forget_words()
        checkpointer = Checkpointer(self.path, self.identity)
        try:
            if not checkpointer.empty(CHORE_BUSY_MS):
                log.warning("%s", both("purge.log_kept", path=self.path))
        finally:
            checkpointer.close()
        return count

    def retry_rejected(self, actor: str = "operator", chunk_rows: int = RETRY_CHUNK_ROWS) -> int:
        """Every entry the centre refused back to pending, to be sent again; how many.
        In transactions of ``chunk_rows`` at most, the first rejected in ``entries_rejected``
        each time, each followed by a pause at least as long as it took: in one, 700,000
        held the write lock 8–14 s, and the scans meanwhile, waiting
        :data:`BUSY_TIMEOUT_MS` at most, were refused as if another program held it.

        Each transaction writes its own audit record (``sync.retry_rejected``) with the
        entries it moved — ``retry`` (one id for the whole call), ``part`` (1, 2, …),
        ``count``, and ``first_id``/``last_id`` (every entry rejected between them then was
        moved) — so that a retry interrupted (killed, the power cut) still says what it
        put back; the last part also carries ``total`` and ``done``. A retry whose records
        have no ``done`` was interrupted: the rest are still rejected, and retrying again
        moves them (docs/sync-operator.md)."""
        def step(conn: sqlite3.Connection) -> tuple[int, dict[str, object]]:
            moved = sorted(row[0] for row in conn.execute(
                "UPDATE entries SET sync_state = 'pending' WHERE id IN (SELECT id FROM "
                "entries INDEXED BY entries_rejected WHERE sync_state = 'rejected' "
                "ORDER BY id LIMIT ?) RETURNING id", (chunk_rows,)))
            return len(moved), {"first_id": moved[0] if moved else None,
                                "last_id": moved[-1] if moved else None}

        return self._retry_in_parts("sync.retry_rejected", actor, chunk_rows, step)

    def retry_other_checkpoint(self, checkpoint: str, actor: str = "operator",
                               chunk_rows: int = RETRY_CHUNK_ROWS) -> int:
        """The entries the centre refused for being filed under another checkpoint than the
        one it registered this kiosk at, and named ``checkpoint`` as that one, back to
        pending under ``checkpoint``; how many. Any other refused entry is left as it is.

        Each entry keeps what it was recorded under only in this store's audit log, so each
        transaction (:meth:`retry_rejected`'s chunks and pauses) writes a record
        (``sync.retry_checkpoint``) with ``retry``, ``part``, ``count``, ``checkpoint`` (the
        new one) and ``from``: each checkpoint the entries were recorded under, with their
        ids; the last part also carries ``total`` and ``done``. A transaction that fails
        changes nothing: its entries stay refused, under the checkpoint they had."""
        def step(conn: sqlite3.Connection) -> tuple[int, dict[str, object]]:
            rows = conn.execute(
                "SELECT id, checkpoint_id FROM entries INDEXED BY entries_rejected "
                "WHERE sync_state = 'rejected' AND json_valid(sync_error) AND "
                "json_extract(sync_error, '$.code') = 'refusal.other_checkpoint' AND "
                "json_extract(sync_error, '$.params.enrolled') = ? ORDER BY id LIMIT ?",
                (checkpoint, chunk_rows)).fetchall()
            conn.execute(
                "UPDATE entries SET sync_state = 'pending', checkpoint_id = ? "
                "WHERE id IN (SELECT value FROM json_each(?))",
                (checkpoint, json.dumps([row[0] for row in rows])))
            before: dict[str, list[str]] = {}
            for entry_id, recorded in rows:
                before.setdefault(recorded, []).append(entry_id)
            return len(rows), {"checkpoint": checkpoint, "from": before}

        return self._retry_in_parts("sync.retry_checkpoint", actor, chunk_rows, step)

    def resend_acknowledged(self, since: str, actor: str = "operator",
                            chunk_rows: int = RETRY_CHUNK_ROWS) -> int:
        """Every entry still in the store that the centre acknowledged at or after ``since``
        (UTC, this kiosk's clock: ``synced_at``) back to pending, to be sent again; how many.

        Why: a centre restored from a backup no longer holds what it acknowledged after the
        backup was taken, and those entries had left the pending set here — nothing would
        ever send them again. Resent, the ones the centre still holds come back
        ``duplicate`` and leave the pending set again; the lost ones are stored (docs/
        central.md, "Restoring the centre from a backup"). Entries acknowledged before
        ``since`` and those the purge removed are not touched.

        Walked by id in :meth:`retry_rejected`'s chunks and pauses, each transaction with
        its audit record (``sync.resend``: ``since``, ``first_id``, ``last_id``; ``total``
        and ``done`` on the last): one interrupted says what it put back, and running it
        again puts back the rest."""
        after = ""

        def step(conn: sqlite3.Connection) -> tuple[int, dict[str, object]]:
            nonlocal after
            moved = sorted(row[0] for row in conn.execute(
                "UPDATE entries SET sync_state = 'pending', sync_error = NULL WHERE id IN ("
                "SELECT id FROM entries WHERE id > ? AND sync_state = 'acknowledged' "
                "AND synced_at >= ? ORDER BY id LIMIT ?) RETURNING id",
                (after, since, chunk_rows)))
            after = moved[-1] if moved else after
            return len(moved), {"since": since, "first_id": moved[0] if moved else None,
                                "last_id": moved[-1] if moved else None}

        return self._retry_in_parts("sync.resend", actor, chunk_rows, step)

    def _retry_in_parts(self, action: str, actor: str, chunk_rows: int,
                        step: Callable[[sqlite3.Connection], tuple[int, dict[str, object]]],
                        overwriting: bool = False) -> int:
        """Run ``step`` (how many it put back, what its audit record says) in transactions
        until one puts back fewer than ``chunk_rows``, each followed by a pause at least as
        long as it took (:meth:`retry_rejected`), each with its ``action`` audit record:
        ``retry``, ``part``, ``count``, the step's own, and on the last ``total`` and
        ``done``. How many in all. ``overwriting``: what each deletes is overwritten
        (:meth:`_overwriting`), the store's lock held for the transaction only."""
        retry = uuid.uuid4().hex[:12]
        count = part = 0
        while True:
            started = time.perf_counter()
            part += 1
            with self._overwriting() if overwriting else contextlib.nullcontext(), \
                    self.transaction() as conn:
                self._pending_behind.clear()  # an entry put back may be the older
                self._first_pending.clear()
                moved, said = step(conn)
                count += moved
                done = moved < chunk_rows
                self._audit(conn, actor, action, {
                    "retry": retry, "part": part, "count": moved, **said,
                    **({"total": count, "done": True} if done else {})})
                if done:
                    return count
            self._pause_after(started)

    def sync_counts(self) -> dict[str, int]:
        """Counts per sync state, every kiosk id's, from ``entry_counts`` (v13): a page read
        whatever the store holds, and the few entries above its mark (v14)."""
        with self.lock:
            counts = dict(self.conn.execute(
                f"SELECT sync_state, sum(entries) FROM {_KEPT_AND_NEWER} GROUP BY sync_state"
            ).fetchall())
        return {s: counts.get(s, 0) for s in (PENDING, SENT, ACKNOWLEDGED, REJECTED)}

    def check_counts(self, repair: bool = False) -> dict[tuple[str, str], tuple[int, int]]:
        """Where the outbox's counts (``entry_counts`` and the entries above its mark)
        differ from a count of the entries themselves: (kiosk id, sync state) → (kept,
        counted); empty when right. Walks every entry (seconds at a
        million: ``kiosk store check``, never a screen), in a read of its own: the scans go
        on. ``repair``: each difference then added to the count, in a write of a few rows —
        the writes since the read moved the count with its entries (the triggers), so the
        difference the read found is still the difference (a fold of the entries above the
        mark moves them from one part of the count to the other)."""
        with self.lock:
            self.conn.execute("SAVEPOINT check_counts")  # one snapshot for both reads
            try:
                wrong = _wrong_counts(self.conn)
            finally:
                self.conn.execute("RELEASE check_counts")
        if wrong and repair:
            with self.transaction() as conn:
                conn.executemany(
                    "INSERT INTO entry_counts VALUES (?, ?, ?) ON CONFLICT DO UPDATE "
                    "SET entries = entries + excluded.entries",
                    [(kiosk, state, counted - kept)
                     for (kiosk, state), (kept, counted) in wrong.items()])
        return wrong

    def oldest_pending(self) -> str | None:
        """``scanned_at`` of the oldest unacknowledged entry (:func:`oldest_pending_entry`):
        read from the pending index in a step from each end even with a million waiting."""
        with self.lock:
            row = oldest_pending_entry(self.conn, self._pending_behind)
        return row[0] if row else None

    def oldest_pending_moment(self) -> tuple[str, int] | None:
        """``boot_id`` and ``monotonic_ns`` of that same entry (:func:`oldest_pending_entry`):
        its age when the wall clock cannot tell it (:func:`kiosk.sync.heartbeat.health_report`)."""
        with self.lock:
            row = oldest_pending_entry(self.conn, self._pending_behind)
        return (row[1], row[2]) if row else None

    def first_pending_of(self, kiosk_id: str) -> tuple[str, str, int] | None:
        """``scanned_at``, ``boot_id`` and ``monotonic_ns`` of the first pending entry in id
        order recorded as ``kiosk_id``: the oldest this kiosk id sends, when entries of
        another id sit pending before it (:meth:`pending_elsewhere`).

        Another id's before it are walked once (~1 s under the lock behind a million: every
        batch's and heartbeat's health report asks, and a scan waited that long); the id
        found is kept and the next search seeks from it, a step. Why that stays right: since
        then entries have only left the pending set or been written, later in id order,
        except those put back (``retry_rejected``, ``load_refusals``, clearing what is kept)
        and a scan of this id written with the clock set back before the one kept (through
        this Store: cleared too; through another connection, the kiosk's scan path, it is
        not seen until this Store is opened again: the backlog then told by an entry written
        before it, older). docs/benchmarks.md, "The first pending entry of this kiosk id
        behind another id's backlog"."""
        with self.lock:
            row = self.conn.execute(
                "SELECT id, scanned_at, boot_id, monotonic_ns FROM entries INDEXED BY "
                "entries_pending WHERE sync_state IN ('pending', 'sent') AND id >= ? "
                "AND kiosk_id = ? ORDER BY id LIMIT 1",
                (self._first_pending.get(kiosk_id, ""), kiosk_id)).fetchone()
            if row is None:  # what is kept still holds: none of this id pending before it
                return None
            self._first_pending[kiosk_id] = row[0]
        return (row[1], row[2], row[3])

    def oldest_pending_of_earlier_boot(self, boot_id: str, before: str) -> str | None:
        """``scanned_at`` of the first pending entry in id order not recorded in the boot
        ``boot_id``, among ids below ``before`` (that boot's start): when that boot's first
        is one its wall clock misdated (a flat RTC battery's 1970 sorts first), an earlier
        boot's backlog behind it may be the older (:func:`kiosk.sync.heartbeat.health_report`).
        The pending index's range before the boot, whose rows are read for their boot: ~25 µs
        on 200,000 pending behind one misdated entry, but ~0.2–0.7 s behind 100,000 and 3.4 s
        behind 1,000,000 (a flat battery's day offline): no index holds ``boot_id`` in schema
        v12 (docs/benchmarks.md, "An earlier boot's backlog behind this boot's misdated
        entries")."""
        with self.lock:
            row = self.conn.execute(
                "SELECT scanned_at FROM entries INDEXED BY entries_pending "
                "WHERE sync_state IN ('pending', 'sent') AND id < ? AND boot_id != ? "
                "ORDER BY id LIMIT 1", (before, boot_id)).fetchone()
        return row[0] if row else None

    def outbox_summary(self) -> OutboxSummary:
        """Pending/rejected counts (``entry_counts``, v13: a page; and the few entries above
        its mark, v14) and the oldest pending entry (a step into an index from each end).

        Cheap enough for a screen's poll and after every recorded scan, whatever waits.
        """
        with self.lock:
            pending, rejected = self.conn.execute(
                "SELECT coalesce(sum(entries) FILTER (WHERE sync_state IN ('pending', 'sent')), "
                "0), coalesce(sum(entries) FILTER (WHERE sync_state = 'rejected'), 0) "
                f"FROM {_KEPT_AND_NEWER}").fetchone()
            return OutboxSummary(pending, rejected, self.oldest_pending())

    def mark_sent(self, ids: Iterable[str], chunk_rows: int = RETRY_CHUNK_ROWS) -> int:
        """Note that these pending entries left the kiosk (e.g. in a backlog file); how many.
        In transactions of ``chunk_rows`` at most, paused between (:meth:`_pause_after`):
        an export of a million marked back to back kept the scans beside it waiting.

        They stay in the pending set until the centre acknowledges them.
        """
        marked, left = 0, iter(ids)
        while part := list(itertools.islice(left, chunk_rows)):
            started = time.perf_counter()
            with self.transaction() as conn:
                marked += conn.execute(
                    "UPDATE entries SET sync_state = 'sent' WHERE sync_state = 'pending' "
                    "AND id IN (SELECT value FROM json_each(?))", (json.dumps(part),)).rowcount
            if len(part) == chunk_rows:
                self._pause_after(started)
        return marked

    def rejected_entries(self, limit: int = 100) -> list[dict[str, Any]]:
        """Entries the centre refused (quarantine), oldest first, with the reason it gave
        (``sync_error``: saved Words, see :meth:`mark_synced`)."""
        return self._rows(
            "SELECT id, scanned_at, device_id, kind, direction, name, document_number, "
            "sync_error, synced_at FROM entries WHERE sync_state = 'rejected' ORDER BY id "
            "LIMIT ?", (limit,))

    # -- meta: small named values other processes can read (e.g. sync status) -------------
    def meta(self, prefix: str = "") -> dict[str, str]:
        """The values under ``prefix``. Read as bytes and decoded with replacement: a value
        that is no UTF-8 (a damaged row, a hand edit) would otherwise fail the whole read in
        sqlite3, and with it whatever reads its state at start (the sync worker)."""
        with self.lock:
            rows = self.conn.execute(
                "SELECT key, CAST(value AS BLOB) FROM meta WHERE key >= ? AND key < ?",
                (prefix, prefix + "\uffff")).fetchall()
        return {key: value.decode("utf-8", errors="replace") for key, value in rows}

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
    @_upkeep_writes()
    def purge(self, retention_days: int, now: float | None = None,
              step_seconds: float = PURGE_STEP_SECONDS,
              stop: threading.Event | None = None, now_monotonic_ns: int | None = None) -> int:
        """Delete acknowledged entries older than the retention; pending ones are never purged.
        An entry of the running boot is aged by the monotonic clock alone (``now`` and
        ``now_monotonic_ns`` default to the clocks'): a wall clock behind when it was written,
        or ahead now, cannot make a fresh scan look old, and one ahead when it was written
        (or behind now) cannot keep an old scan, nor, through the ``not_before`` it gives
        every later scan of the boot, those after it. The walk reaches the running boot's
        entries at or after the wall-clock cutoff only when the newest entry shows such a
        jump (:meth:`_ran_ahead`). An earlier boot's entry goes by the wall clock, or by its
        ``not_before`` when flagged as written with the clock behind (:data:`_COUNTED_AT`):
        across a reboot nothing else is known, so an entry written while the clock ran ahead
        in an earlier boot stays until the clock passes its time plus the retention, and
        with it every later entry of that boot (flagged with that time). Refused scans go
        the same way (v12).

        Gentle, because scans wait for the same lock: each step is one transaction sized to
        last about ``step_seconds`` (its row count adapts to the measured speed), committed
        without an fsync of its own (a lost purge step is simply purged again). After each
        step, outside the lock, a connection of the purge's own checkpoints the WAL: the
        purge's pages are flushed and copied into the database by the purge itself, not by
        the fsync of the next scan's commit nor by an automatic checkpoint a scan's commit
        happens to start (those are off on this connection while the purge runs). Then it
        pauses as long as the step and its checkpoint took. While scans arrive closer
        together than ``PURGE_QUIET_SECONDS`` the purge waits, up to
        ``PURGE_MAX_PAUSE_SECONDS`` per step. ``stop`` ends it between steps (the kiosk is
        shutting down). Each transaction waits briefly for another program's write lock
        (:meth:`_briefly`): refused, the purge is tried again at the next hour, and the
        entries removed before are in that purge's ``retention.purge`` audit row: each
        step counts what it removed in ``meta`` (:data:`PURGED_UNAUDITED`) in its own
        transaction, so the count outlives a restart or a killed process.

        The audit log's rows older than the cutoff keep who looked, when and how many rows
        they found, not whom they looked for: the names and document numbers asked
        (:data:`LOOKED_UP_KEYS`) become null (:data:`_FORGET_LOOKED_UP`).

        What it removes is not left in the file for a stolen kiosk to give back: its transactions
        overwrite what they delete (:meth:`_overwriting`), the removed names' words leave the
        name index (:meth:`_forget_words`; ``meta`` keeps them until then, so a purge that
        did not reach its end leaves them to the next, :data:`PURGED_WORD`), and the log is
        emptied at the end (:meth:`Checkpointer.empty`; a reader keeping it is logged).
        """
        wall = time.time() if now is None else now
        mono = time.monotonic_ns() if now_monotonic_ns is None else now_monotonic_ns
        cutoff = utc_iso(wall - retention_days * 86400)
        young = (ids.boot_id(), mono - retention_days * 86400 * 10**9)
        removed, forgotten, rows, after = 0, 0, 16, ("", "")
        with self.lock:  # its checkpoints' connection opens only the store's own file
            self._check_file()  # first: a path that can be looked at again takes it
            self._refuse_if_refusing()
            until = _LAST_TIME if self._ran_ahead(young[0], wall, mono) else cutoff
        # before the bound is off: it may not open
        checkpointer = Checkpointer(self.path, self.identity)
        try:
            with self.lock:
                self.conn.execute("PRAGMA wal_autocheckpoint=0")
            while not (stop and stop.is_set()):
                self._wait_for_quiet(stop)
                started = time.perf_counter()
                with self.lock, self._overwriting():
                    self.conn.execute("PRAGMA synchronous=NORMAL")
                    try:
                        with self._briefly() as conn:
                            done, after = self._purge_step(conn, (cutoff, until), young,
                                                           after, rows)
                            if done:  # committed with the deletion, or lost with it
                                conn.execute(_COUNT_UNAUDITED, (PURGED_UNAUDITED, done))
                    finally:
                        self.conn.execute("PRAGMA synchronous=FULL")
                took = time.perf_counter() - started
                removed += done
                if after == _WALKED:
                    break
                rows = max(8, min(4 * rows, int(rows * step_seconds / max(took, 1e-6))))
                checkpointer.run()
                time.sleep(time.perf_counter() - started)
            # presence older than the retention is never asked for
            older = (cutoff, utc_iso(time.time() - INSIDE_WINDOW.total_seconds()))
            self._set_aside(older[1], stop)
            while not (stop and stop.is_set()):
                with self._overwriting(), self._briefly() as conn:
                    running = ids.boot_id()
                    gone = conn.execute(_FORGET_PRESENCE, (*older, running, PAGE_ROWS)
                                        ).rowcount
                forgotten += gone
                if gone < PAGE_ROWS:
                    break
            pruned = bool(self.meta(PURGED_WORD))  # this purge's, or an unfinished one's
            if pruned:
                self._forget_words()
            with self._overwriting(), self._briefly() as conn:
                looked_up = conn.execute(_FORGET_LOOKED_UP, (cutoff,)).rowcount
            if ((removed or forgotten or pruned or looked_up)  # older page images out of the log
                    and not checkpointer.empty(CHORE_BUSY_MS)):
                log.warning("%s", both("purge.log_kept", path=self.path))
        finally:
            with self.lock:
                self.conn.execute(f"PRAGMA wal_autocheckpoint={WAL_LIMIT_PAGES}")
            checkpointer.close()
        if self.meta(PURGED_UNAUDITED).get(PURGED_UNAUDITED):
            with self._briefly() as conn:
                unaudited = conn.execute("SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?",
                                         (PURGED_UNAUDITED,)).fetchone()
                if unaudited and unaudited[0]:
                    self._audit(conn, "system", "retention.purge",
                                {"removed": unaudited[0], "before": cutoff})
                self._set_meta(conn, {PURGED_UNAUDITED: None})
        self._drop_upgrade_copies(wall, retention_days)
        return removed

    def _drop_upgrade_copies(self, wall: float, retention_days: int) -> None:
        """Delete the copies made before upgrades (:func:`upgrade_copies`) once older than
        the retention *and* once a whole-file check has found the upgraded store sound after
        the copy was made (:data:`CHECKED_AT`): each holds every entry as it was then
        (names, document numbers, addresses), which the purge removes from the store. Going
        back to the old release (``kiosk store restore``) is possible for that window: the
        retention at least, longer while the upgraded store has not been found sound."""
        stamp = self.meta(CHECKED_AT).get(CHECKED_AT)
        try:
            checked = parse_utc(stamp or "").timestamp()
        except ValueError:
            return
        for copy in upgrade_copies(self.path):
            try:
                made = copy.stat().st_mtime
                if wall - made < retention_days * 86400 or checked < made:
                    continue
                remove_copy(copy)
            except OSError as exc:  # tried again at the next purge
                log.info("%s: %s", copy, exc)  # the system's English, for -v
                log.warning("%s", both("store.upgrade_copy_kept", path=copy))
                continue
            log.warning("%s", both("store.upgrade_copy_deleted", path=copy, days=retention_days))

    @contextlib.contextmanager
    def _overwriting(self) -> Iterator[None]:
        """``PRAGMA secure_delete=ON`` on the store's connection for the purge's own
        transactions only (the scan path, timed by the benchmarks, keeps it off): each row,
        index entry and FTS5 row deleted meanwhile has its bytes overwritten with zeros on its
        page, and each page freed (a table's or index's, a long payload's overflow page) is
        zeroed before it goes to the freelist. ``FAST`` would leave the freelist pages as
        they were, names included. The zeroed pages are written to the ``-wal``; the older
        images of them there go at the purge's end (:meth:`Checkpointer.empty`)."""
        with self.lock:
            try:
                self.conn.execute("PRAGMA secure_delete=ON")
            except sqlite3.Error as exc:  # closed under it (a stop): as BEGIN's failure
                raise self._failed(exc) from exc
            try:
                yield
            finally:
                with contextlib.suppress(sqlite3.ProgrammingError):  # closed: off with it
                    self.conn.execute("PRAGMA secure_delete=OFF")

    def _forget_words(self) -> None:
        """After a purge (this one or an earlier one that did not reach its end) removed named
        entries (:data:`PURGED_WORD`): the name words of those entries that no name held
        still says (``search_words`` otherwise only grows), and the FTS5 index merged into
        one segment (``optimize``): a deleted row's words stay in the older segments, only
        marked deleted by a newer one, until a merge drops them."""
        with self._overwriting(), self._briefly() as conn:
            keys = [k for (k,) in conn.execute(
                "SELECT key FROM meta WHERE key >= ? AND key < ?",
                (PURGED_WORD, PURGED_WORD + "\uffff"))]
            words = {k.removeprefix(PURGED_WORD) for k in keys}
            unindexed = set().union(*(_name_words(name) for _, name, _ in unindexed_names(conn)))
            gone = [w for w in words - unindexed if not conn.execute(
                "SELECT 1 FROM entries_search WHERE entries_search MATCH ? LIMIT 1",
                (f'name: "{w}"',)).fetchone()]
            conn.executemany("DELETE FROM search_words WHERE word = ?", [(w,) for w in gone])
            conn.executemany("DELETE FROM meta WHERE key = ?", [(k,) for k in keys])
            conn.execute("INSERT INTO entries_search (entries_search) VALUES ('optimize')")
        self._known_words -= set(gone)

    def _set_aside(self, before: str, stop: threading.Event | None) -> None:
        """Move the people inside whose "in" is older than ``before`` (the inside window)
        out of ``presence``'s inside range, in steps, and remember the furthest such time
        (:data:`EXPIRED_BEFORE`): "inside now" counts that range only, which so holds a
        day of people, not everyone who came in and never scanned out. A mark past
        ``before`` (set while the clock was ahead) is brought back to it, the rows set aside
        since put back in the inside range: else every count would read every row until the
        clock caught up with the mark."""
        with self._briefly() as conn:
            mark = conn.execute("SELECT value FROM meta WHERE key = ?",
                                (EXPIRED_BEFORE,)).fetchone()
            if mark is not None and before < mark[0]:
                conn.execute("UPDATE presence SET inside = 1 WHERE inside = 0 "
                             "AND direction = 'in' AND scanned_at >= ?", (before,))
                self._set_meta(conn, {EXPIRED_BEFORE: before})
        checkpoint: str | None = None
        while not (stop and stop.is_set()):
            with self._briefly() as conn:
                row = conn.execute("SELECT min(checkpoint_id) FROM presence WHERE "
                                   f"checkpoint_id {'>=' if checkpoint is None else '>'} ?",
                                   (checkpoint or "",)).fetchone()
                if row[0] is None:
                    return
                moved = conn.execute(_SET_ASIDE, (row[0], before, PAGE_ROWS)).rowcount
                if moved:
                    conn.execute(
                        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) "
                        "DO UPDATE SET value = max(value, ?2)", (EXPIRED_BEFORE, before))
            if moved < PAGE_ROWS:
                checkpoint = row[0]

    def _wait_for_quiet(self, stop: threading.Event | None) -> None:
        paused = time.monotonic()
        while time.monotonic() - self.last_scan < PURGE_QUIET_SECONDS:
            if time.monotonic() - paused > PURGE_MAX_PAUSE_SECONDS or (stop and stop.is_set()):
                return
            time.sleep(0.05)

    def _ran_ahead(self, boot: str, wall: float, mono: int) -> bool:
        """Whether the newest entry or refused scan (two index reads) is of the running boot
        ``boot`` and was written while the wall clock ran further ahead of the monotonic one
        than it does now (``wall``, ``mono``): put back since, or stepped ahead then put
        right. The running boot's rows written then may be past the retention by the
        monotonic clock while their wall time is not yet: the purge then walks past its
        cutoff for them. A jump the real time has overtaken since is no longer seen here:
        the rows written during it are purged once their own time leaves the retention,
        at most the jump's size late."""
        for table, index in (("entries", "entries_time"), ("refused_scans", "refused_scanned_at")):
            newest = self.conn.execute(
                f"SELECT scanned_at, boot_id, monotonic_ns FROM {table} INDEXED BY {index} "
                "ORDER BY scanned_at DESC LIMIT 1").fetchone()
            if newest is not None and newest[1] == boot and newest[2] is not None and (
                    epoch_seconds(newest[0]) - newest[2] / 1e9
                    > wall - mono / 1e9 + CLOCK_TOLERANCE_SECONDS):
                return True
        return False

    @staticmethod
    def _purge_step(conn: sqlite3.Connection, bounds: tuple[str, str], young: tuple[str, int],
                    after: tuple[str, str], rows: int) -> tuple[int, tuple[str, str]]:
        """Delete the expired among the next ``rows`` or so entries and refused scans of each
        time index after ``after`` (entries, refused scans; those of the last time read, ties
        included), so each step reads about ``rows`` rows of each whatever it keeps (pending
        entries, the running boot's young ones) and none again; ``young``: the running boot,
        and the monotonic time its rows must be older than; ``bounds``: the wall-clock
        cutoff, and where the walk ends (the cutoff, or past every time when the running
        boot's clock jumped, :meth:`_ran_ahead`). How many it deleted (the more of the two),
        and where the next step starts (:data:`_WALKED` at the walk's end). The words of the
        names deleted are kept in ``meta`` with the deletion (:data:`PURGED_WORD`)."""
        cutoff, until = bounds
        entries, refused_scans = (_step_range(conn, table, start, until, rows) for table, start
                                  in (("entries", after[0]), ("refused_scans", after[1])))
        doomed = conn.execute(
            f"SELECT id, scanned_at, name FROM entries WHERE {entries[0]} "
            "AND sync_state = 'acknowledged' "
            f"AND CASE WHEN boot_id = ? THEN monotonic_ns < ? ELSE {_COUNTED_AT} < ? END",
            (*entries[1], *young, cutoff)).fetchall()
        conn.execute("DELETE FROM entries WHERE id IN (SELECT value FROM json_each(?))",
                     (json.dumps([d[0] for d in doomed]),))
        _unindex(conn, doomed)
        refused = conn.execute(
            f"DELETE FROM refused_scans WHERE {refused_scans[0]} AND CASE WHEN boot_id = ? "
            "THEN monotonic_ns < ? ELSE scanned_at < ? END",
            (*refused_scans[1], *young, cutoff)).rowcount
        return max(len(doomed), refused), (entries[2], refused_scans[2])

    def audit(self, actor: str, action: str, detail: dict[str, Any] | None = None) -> None:
        """Append to the audit log; on a read-only store nothing can be (the command that
        opened it said so): whoever can read the file can read it all without this program,
        so a log the file cannot hold protects nothing."""
        if self.read_only:
            log.warning("%s", both("store.log.audit_read_only", actor=actor, action=action,
                                   detail=detail))
            return
        with self.transaction() as conn:
            self._audit(conn, actor, action, detail or {})

    @staticmethod
    def _audit(conn: sqlite3.Connection, actor: str, action: str, detail: dict[str, Any]) -> None:
        conn.execute(
            "INSERT INTO audit_log (at, actor, action, detail) VALUES (?, ?, ?, ?)",
            (utc_iso(time.time()), actor, action, json.dumps(detail, ensure_ascii=False)),
        )

    def audit_log(self) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM audit_log ORDER BY id")

    def last_answer_loaded(self) -> tuple[str, int] | None:
        """When the centre's answer to a backlog file was last loaded here
        (``sync.load_refusals``), and how many entries of that file the centre said it
        holds; None if never. At a site with no network this is what reached the centre:
        ``kiosk sync status`` says it beside the last success, an upload's only."""
        with self.lock:
            row = self.conn.execute(
                "SELECT at, json_extract(detail, '$.held') FROM audit_log "
                "WHERE action = 'sync.load_refusals' ORDER BY id DESC LIMIT 1").fetchone()
        return None if row is None else (row[0], int(row[1] or 0))


ENROL_ACTION = "kiosk.enrol"
"""The audit record of an enrolment (``kiosk enrol``, the technician screen): its ``kiosk``."""
CONFIGURED_ACTION = "kiosk.configured"
"""The audit record of an id this store was opened under with a token (the config's, or
``kiosk sync push --kiosk-id``'s), once per id: its ``kiosk``."""
_AUDITED_ID = ("SELECT action FROM audit_log WHERE action IN (?, ?, 'sync.export', "
               "'sync.load_refusals') AND json_valid(detail) AND ? IN "
               "(json_extract(detail, '$.kiosk'), json_extract(detail, '$.kiosk_id')) "
               "ORDER BY id LIMIT 1")


def enrolment_evidence(conn: sqlite3.Connection, kiosk_id: str) -> str | None:
    """Why ``kiosk_id`` is known to have been enrolled at a centre: ``"audited"`` (its
    enrolment, or its use with a token, in the audit log), ``"exported"`` (a backlog file
    of it written: that needs the centre's key) or ``"answered"`` (an entry of it the
    centre acknowledged or refused, a refusals file of it loaded: the centre knew the id);
    their states read from the outbox's counts (:func:`outbox_counts`: a page; the entries
    themselves took about a second a million). None when this store knows
    of nothing: the config's own id with a token is the caller's to add (a store opened
    before this record existed holds none of it)."""
    row = conn.execute(_AUDITED_ID, (ENROL_ACTION, CONFIGURED_ACTION, kiosk_id)).fetchone()
    if row:
        return {"sync.export": "exported", "sync.load_refusals": "answered"}.get(
            row[0], "audited")
    row = conn.execute(f"SELECT sync_state FROM {outbox_counts(conn)} WHERE kiosk_id = ? "
                       "AND sync_state != 'pending' AND entries > 0 LIMIT 1",
                       (kiosk_id,)).fetchone()
    if row:
        return "exported" if row[0] == "sent" else "answered"
    return None


def never_enrolled(current: Config, kiosk_ids: Iterable[str]) -> list[str]:
    """Those of ``kiosk_ids`` nothing here shows enrolled: not the config's own id with a
    token, nothing of it in the store (:func:`enrolment_evidence`: no enrolment, token or
    export of it in the audit log, no entry of it exported or answered). Test scans (the
    sample's ``kiosk-01``), which ``kiosk sync discard-unenrolled`` deletes, or a real id of
    a store older than those records, which its token sends: the words name both ways. None
    of them when the store cannot be read (nothing is offered for deletion on a guess).
    Here, not with the enrolment's exchange (:mod:`kiosk.sync.enrolling`, which needs
    requests and tomlkit): ``kiosk doctor`` of a kiosk with uploads off and ``kiosk sync
    status --offline`` ask it, and need neither."""
    sync = current.sync
    configured = current.kiosk.id if sync.enabled or sync.token or sync.token_file else None
    candidates = [kiosk for kiosk in kiosk_ids if kiosk != configured]
    if not candidates:
        return []
    try:
        conn, _ = open_reading(current.store_path, timeout=5.0)
    except (StoreError, OSError, sqlite3.Error):
        return []
    try:
        return [kiosk for kiosk in candidates if enrolment_evidence(conn, kiosk) is None]
    except sqlite3.Error:
        return []
    finally:
        conn.close()


def _unenrolled(conn: sqlite3.Connection, kiosk_id: str) -> Unenrolled:
    per_checkpoint = conn.execute(
        "SELECT checkpoint_id, count(*), min(scanned_at), max(scanned_at), min(id), max(id) "
        "FROM entries WHERE kiosk_id = ? AND sync_state = 'pending' "
        "GROUP BY checkpoint_id ORDER BY checkpoint_id", (kiosk_id,)).fetchall()
    return Unenrolled(
        kiosk_id, sum(row[1] for row in per_checkpoint),
        {row[0]: row[1] for row in per_checkpoint},
        min((row[2] for row in per_checkpoint), default=None),
        max((row[3] for row in per_checkpoint), default=None),
        min((row[4] for row in per_checkpoint), default=None),
        max((row[5] for row in per_checkpoint), default=None),
        enrolment_evidence(conn, kiosk_id))


_REFUSAL_CODE = ("coalesce(CASE WHEN json_valid(sync_error) THEN "
                 "json_extract(sync_error, '$.code') END, '')")
"""A refused entry's reason code as :meth:`Store.mark_synced` kept it (saved Words), ``''``
for a reason kept as plain text."""


def _refused_chosen(code: str | None, before: str | None) -> tuple[str, tuple[str, ...]]:
    """The refused entries of reason ``code`` scanned before ``before`` (each when given):
    ``FROM … WHERE …`` and its values, read along ``entries_rejected``."""
    chosen = "FROM entries INDEXED BY entries_rejected WHERE sync_state = 'rejected'"
    values: tuple[str, ...] = ()
    if code is not None:
        chosen, values = f"{chosen} AND {_REFUSAL_CODE} = ?", (*values, code)
    if before is not None:
        chosen, values = f"{chosen} AND scanned_at < ?", (*values, before)
    return chosen, values


def _refused_to_discard(conn: sqlite3.Connection, code: str | None, before: str | None
                        ) -> RefusedToDiscard:
    chosen, values = _refused_chosen(code, before)
    per_code = conn.execute(
        f"SELECT {_REFUSAL_CODE} AS code, count(*), min(scanned_at), max(scanned_at), max(id) "
        f"{chosen} GROUP BY code ORDER BY code", values).fetchall()
    return RefusedToDiscard(
        sum(row[1] for row in per_code), {str(row[0]): row[1] for row in per_code},
        min((row[2] for row in per_code), default=None),
        max((row[3] for row in per_code), default=None),
        max((row[4] for row in per_code), default=None))


def _filed_under(reason: Words | str) -> str | None:
    """The checkpoint an entry refused for being filed under another than its kiosk's
    was filed under when refused (the refusal names it), else None."""
    if isinstance(reason, Words) and reason.code == "refusal.other_checkpoint":
        checkpoint = reason.params.get("checkpoint")
        return checkpoint if isinstance(checkpoint, str) else None
    return None


def oldest_pending(conn: sqlite3.Connection) -> str | None:
    """:meth:`Store.oldest_pending` on any connection to a store (``kiosk doctor``'s own)."""
    row = oldest_pending_entry(conn)
    return row[0] if row else None


_PENDING_FIRST = (
    "SELECT scanned_at, boot_id, monotonic_ns, id, {behind} FROM entries INDEXED BY "
    "entries_pending WHERE sync_state IN ('pending', 'sent') {among} ORDER BY id LIMIT 1")
_PENDING_LAST = ("SELECT scanned_at, boot_id, monotonic_ns FROM entries INDEXED BY "
                 "entries_pending WHERE sync_state IN ('pending', 'sent') AND id > ? "
                 "ORDER BY id DESC LIMIT 1")


def oldest_pending_entry(conn: sqlite3.Connection, walked: dict[str, Any] | None = None
                         ) -> tuple[str, str, int] | None:
    """``scanned_at``, ``boot_id`` and ``monotonic_ns`` of the oldest unacknowledged entry:
    the first in id (creation) order, one step on the pending index, but within the running
    boot after its clock was set back. Ids then take the clock's time again
    (:data:`kiosk.ids.BACK_STEP_MS`), so the scans written since, each flagged
    :func:`clock_behind`, sort before those written while the clock ran ahead: when the
    first is such a scan of this boot, the first pending entry of this boot not so flagged
    (written before the set-back; among ids below the flagged one's ``not_before``, where
    every entry written before it lies) is the older by the monotonic clock, when there is
    one. Finding it walks the rows of the flagged pending entries sorting before it (~130 ms
    behind 100,000: docs/benchmarks.md, "The oldest pending entry after a clock set back"),
    so ``walked`` (a Store's own) keeps what was found for that first entry: asked again,
    one row is read to see it is still pending, while the boot is the same and the first
    pending id has not moved below the one walked from (so once per drain, not once per
    acknowledged batch: review 41 K1). Why it stays right: since the walk, entries have
    only left the pending set (``retry_rejected`` clears ``walked``; one put back by it in
    another program is not seen) or been written, each younger than all pending then. A
    later first is flagged (else it is the answer), written after the set-back, so the
    ``before`` found, written before it and still pending, still lies in its range and is
    still the oldest unflagged there. Where none was found, an unflagged entry of this boot
    in the range now was written after the clock was put forward past the one ahead, after
    every flagged one: younger than the first, so the first is still the answer. Two
    set-backs within one boot with entries of both still pending: the older of the two
    flagged runs is not sought (at most the second set-back too young).

    Before all that, the last pending entry in id order among ids later than the clock
    reads (a seek on the pending index; no row read when there is none): one of an earlier
    boot recorded later than now is the answer. Recorded before this boot began, it is
    older than any entry of this boot, yet that boot's clock ran ahead (set right since),
    so it sorts after this boot's rightly dated entries: the first in id order, minutes
    old, hid a backlog older than the boot (review 41 K2). No clock tells its age (another
    boot's monotonic time; a wall time later than now: :func:`kiosk.clock.age_of`), so
    every reader (the health report, the screens, ``kiosk sync status``, ``kiosk doctor``)
    says its age is unknown, never the young one: a backlog told fresh is not chased. Any
    such entry makes the last one such, unless this boot's own clock ran further ahead
    still and its entries of then sort last: seeking behind them would walk their rows at
    every read. Its time is asked too: after a flat RTC battery's 1970, an earlier boot's
    rightly dated entries sort after this boot's misdated ones, and have a wall age
    (:func:`kiosk.sync.heartbeat.health_report`).
    """
    first = conn.execute(_PENDING_FIRST.format(behind=_BEHIND_UNTIL, among="")).fetchone()
    if first is None:
        return None
    last = conn.execute(_PENDING_LAST, (ids.id_prefix(dt.datetime.now(dt.UTC)),)).fetchone()
    if last is not None and _later_than_now(last[0]) and last[1] != ids.boot_id():
        return last
    if first[4] is None or first[1] != ids.boot_id():
        return first[:3]
    walked = {} if walked is None else walked
    same = walked.get("boot") == first[1] and walked.get("first", "~") <= first[3]
    before = walked.get("before") if same else ()
    if before and conn.execute("SELECT 1 FROM entries WHERE id = ? AND sync_state IN "
                               "('pending', 'sent')", (before[3],)).fetchone() is None:
        before = ()
    if before == ():
        try:  # ids are made a moment after the scan, up to BACK_STEP_MS past the clock
            bound = ids.id_prefix(parse_utc(first[4]) + dt.timedelta(
                seconds=CLOCK_TOLERANCE_SECONDS + ids.BACK_STEP_MS / 1000))
        except (TypeError, ValueError, OverflowError):  # a hand edit: every id above it
            bound = "~"
        before = conn.execute(_PENDING_FIRST.format(behind="NULL", among=(
            f"AND id > ? AND id < ? AND boot_id = ? AND {_BEHIND_UNTIL} IS NULL")),
            (first[3], bound, first[1])).fetchone()
        walked.clear()
        walked.update(boot=first[1], first=first[3], before=before)
    return before[:3] if before is not None and before[2] < first[2] else first[:3]


def _unindex(conn: sqlite3.Connection, deleted: Iterable[Sequence[Any]]) -> set[str]:
    """Take entries deleted in ``conn``'s transaction (``(id, scanned_at, name)`` each) out of
    the name search, their words marked for the next merge to drop (the purge and
    :meth:`Store._discard_in_parts` alike); the words."""
    words: set[str] = set()
    for entry_id, scanned_at, name in deleted:
        if name:
            words |= _name_words(name)
            base = _slot(scanned_at)
            conn.execute("DELETE FROM entries_search WHERE rowid BETWEEN ? AND ? AND "
                         "entry_id = ?", (base, base + _SLOT_MASK, entry_id))
    conn.executemany("INSERT OR IGNORE INTO meta (key, value) VALUES (?, '')",
                     [(PURGED_WORD + w,) for w in words])
    return words


def _later_than_now(stored: str | None) -> bool:
    """A stored time is later than the clock reads now (False for one that does not read)."""
    try:
        return stored is not None and epoch_seconds(stored) > time.time()
    except (TypeError, ValueError, OverflowError):
        return False


def quick_check(conn: sqlite3.Connection, path: object = "the store") -> str | None:
    """``PRAGMA quick_check``'s first findings on ``conn``'s file, None when it is sound;
    StoreError when it could not run to the end (:func:`_verdict`)."""
    try:
        rows = conn.execute("PRAGMA quick_check(3)").fetchall()
    except sqlite3.DatabaseError as exc:
        return _verdict(exc, path)
    return "; ".join(str(r[0]) for r in rows if r[0] != "ok") or None


def _verdict(exc: sqlite3.Error, path: object) -> str:
    """The damage an error while checking says (SQLITE_CORRUPT, SQLITE_NOTADB:
    :func:`found_damage`, the rule a scan's write follows), or StoreError when it says
    nothing about the pages: another program held the file, the check was stopped, the file
    or its log could not be opened (its folder replaced by a link loop in that instant) or
    read once (a disk I/O error: an SD card's or a network disk's hiccup), memory ran out.
    Taken for damage, any of these had the kiosk refuse every scan on a sound file until a
    technician ran ``kiosk store recover``; the check is owed still and runs again."""
    if found_damage(exc):
        return str(exc)
    raise StoreError("store.check_failed", path=path, detail=failure_words(exc)) from exc


def _search_rowid(bound: str | None) -> int | None:
    """The search-index rowid where a time bound falls (None: no usable bound)."""
    try:
        return _slot(bound) if bound else None
    except ValueError:
        return None


_DAY_RANGE = ("FROM entries INDEXED BY entries_time WHERE scanned_at >= ? AND scanned_at < ? "
              "AND checkpoint_id = ?")
"""A time range of the covering index: counted without visiting a row of the table."""
_DAY_COUNTS = ("SELECT count(*), total(status = 'accepted' AND direction = 'in'), "
               "total(status = 'accepted' AND direction = 'out'), total(status = 'duplicate') "
               f"{_DAY_RANGE}")
"""A time range's entries: all of them, accepted in, accepted out, duplicates."""
_NOT_ID_COUNTS = (
    "SELECT count(*), total(status = 'accepted' AND direction = 'in'), "
    "total(status = 'accepted' AND direction = 'out') FROM entries INDEXED BY entries_not_id "
    "WHERE kind = 'other' AND scanned_at >= ? AND scanned_at < ? AND checkpoint_id = ?")
"""A time range's codes that name nobody: all, accepted in, accepted out — from their
partial index (a day without one reads nothing)."""
_SYNC_STATE = (
    "CASE WHEN EXISTS (SELECT 1 FROM entries p INDEXED BY entries_pending WHERE p.id = e.id "
    "AND p.sync_state IN ('pending', 'sent')) THEN (SELECT q.sync_state FROM entries q "
    "WHERE q.id = e.id) WHEN EXISTS (SELECT 1 FROM entries r INDEXED BY entries_rejected "
    "WHERE r.id = e.id AND r.sync_state = 'rejected') THEN 'rejected' "
    "ELSE 'acknowledged' END")
"""An entry's sync state from the outbox's partial indexes (small: what is not yet
acknowledged), reading the row only for a pending or sent entry: a person's history, almost
all acknowledged, is listed without a visit to the table."""
_SLOT_MASK = (1 << SEARCH_SLOT_BITS) - 1
_LAST_SLOT = (1 << 62) - 1 - _SLOT_MASK


def _slot(stored_time: str) -> int:
    """First search rowid of a stored time's millisecond; a clock set before 1970 or past
    2109 lands on the first or last slot (still recorded, found, purged)."""
    return min(max(0, epoch_ms(stored_time)), _LAST_SLOT >> SEARCH_SLOT_BITS) \
        << SEARCH_SLOT_BITS
_DOCUMENT_NUMBER = re.compile(r"\d{9,12}")
"""What a search box holds when it means a whole CMND/CCCD number."""
_WORD = re.compile(r"[^\W_]+")
"""A word as FTS5's unicode61 tokenizer cuts it (letters and digits)."""
_MAX_SPELLED = 16
"""Beyond this many stored words, a typed beginning stays a prefix query."""


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@functools.lru_cache(maxsize=4096)
def _name_words(name: str) -> frozenset[str]:
    """The search words of a name (folded): a person's name is scanned at each movement."""
    return frozenset(_words(fold_name(name)))


def _fts_query(terms: list[tuple[str, list[str] | None]]) -> str:
    """The FTS5 query of :meth:`Store._terms`: all terms, each any of its words."""
    return " AND ".join(f'"{typed}"*' if spelt is None
                        else "(" + " OR ".join(f'"{w}"' for w in spelt) + ")"
                        for typed, spelt in terms)


_entry_values = operator.itemgetter(*ENTRY_COLUMNS)
_INSERT_ENTRY = (
    f"INSERT INTO entries ({', '.join(ENTRY_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in ENTRY_COLUMNS)})"
)
_PRESENCE_ROW = (
    "SELECT inside, scanned_at, direction, last_id, last_at, last_direction, boot_id, "
    "monotonic_ns FROM presence WHERE checkpoint_id = ?1 AND inside = 1 AND subject_key = ?2 "
    "UNION ALL SELECT 0, scanned_at, direction, last_id, last_at, last_direction, boot_id, "
    "monotonic_ns FROM presence WHERE checkpoint_id = ?1 AND inside = 0 AND subject_key = ?2")
_ADD_PRESENCE = "INSERT INTO presence VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_SET_PRESENCE = (
    "UPDATE presence SET inside = ?, scanned_at = ?, direction = ?, last_id = ?, last_at = ?, "
    "last_direction = ?, boot_id = ?, monotonic_ns = ? "
    "WHERE checkpoint_id = ? AND inside = ? AND subject_key = ?")
"""One statement whether or not the row changes range (SQLite moves it within the b-tree)."""


def _move(cursor: sqlite3.Cursor, row: dict[str, Any], at: str,
          known: tuple[tuple[Any, ...] | None] | None) -> None:
    """A new entry (``row``, counted at ``at``: its time, or when it can really have happened
    if the clock was behind) into the person's ``presence`` row — ``known[0]`` when the
    scan's transaction read it already and wrote nothing since but the entry. "Inside now"
    follows the latest movement by that time, the later written on a tie; the pipeline's
    last movement, a new boot's first, then the highest monotonic time. A code that names
    nobody (kind ``other``) counts "out" for "inside now" — nobody went in — and keeps its
    own direction as the pipeline's last movement (repeats, auto direction)."""
    checkpoint, subject = row["checkpoint_id"], row["subject_key"]
    movement = (row["id"], row["scanned_at"], row["direction"], row["boot_id"],
                row["monotonic_ns"])
    direction = "out" if row["kind"] == "other" else row["direction"]
    going_in = 1 if direction == "in" else 0  # an int: sqlite3 binds a bool through its
    # adapter look-up (two failed attribute look-ups: ~3.4k instructions)
    old = known[0] if known is not None else \
        cursor.execute(_PRESENCE_ROW, (checkpoint, subject)).fetchone()
    if old is None:
        cursor.execute(_ADD_PRESENCE, (checkpoint, going_in, subject, at, direction, *movement))
        return
    inside, latest, latest_direction, *last = old
    if at >= latest:
        inside, latest, latest_direction = going_in, at, direction
    if last[3] != row["boot_id"] or (last[4] is not None and row["monotonic_ns"] >= last[4]):
        last = movement
    cursor.execute(_SET_PRESENCE, (inside, latest, latest_direction, *last, checkpoint,
                                   old[0], subject))


_PERSON = (
    f"{_PRESENCE_ROW} UNION ALL SELECT * FROM (SELECT NULL, NULL, NULL, id, scanned_at, "
    "direction, NULL, NULL FROM entries WHERE subject_key = ?2 AND checkpoint_id = ?1 "
    "ORDER BY scanned_at DESC LIMIT 1)")
"""A person's ``presence`` row (:data:`_PRESENCE_ROW`), then their newest entry here by the
wall clock (the first of their ``entries_person`` range read backwards) as a row with no
``inside`` and the movement where the presence row has its last one."""
_NEWEST = (
    "SELECT scanned_at, monotonic_ns, boot_id, coalesce((SELECT value FROM meta WHERE key = ?), "
    "'') "
    "FROM entries INDEXED BY entries_time ORDER BY scanned_at DESC LIMIT 1")
"""The newest entry (the clock check's reference) and :data:`INDEXED_THROUGH`: one
statement of each scan's write, not two."""
_INSERT_SEARCH = "INSERT INTO entries_search (rowid, name, entry_id) VALUES (?, ?, ?)"
_UNINDEXED = ("(SELECT json_extract(value, '$[0]') AS rowid, json_extract(value, '$[1]') "
              "AS entry_id FROM json_each(?)) s CROSS JOIN entries e ON e.id = s.entry_id")
"""The names not in the index yet that a search matched (:meth:`Store._unindexed_matches`),
as a source with the index's columns."""
_AFTER_MARK = "e.id > coalesce((SELECT value FROM meta WHERE key = ?), '')"
"""Those of them still after :data:`INDEXED_THROUGH`, read in the page's own statement: the
upkeep thread may move them into the index between the match and a page (an entry comes
from the index or from here, never from both)."""
LOOKED_UP_KEYS = ("search", "subject")
"""The keys of an audit row's detail naming a person looked up (``kiosk entries --search``,
``--subject``): kept as long as the entries (``store.retention_days``), then nulled."""
_FORGET_LOOKED_UP = (
    "UPDATE audit_log SET detail = json_replace(detail, "
    + ", ".join(f"'$.{key}', NULL" for key in LOOKED_UP_KEYS) + ") WHERE at < ? AND "
    "json_valid(detail) AND (" + " OR ".join(
        f"json_type(detail, '$.{key}') NOT IN ('null')" for key in LOOKED_UP_KEYS) + ")")
"""Null the persons asked of audit rows older than the cutoff (``json_type`` is NULL for a
key absent, so only rows still naming someone are rewritten)."""
_FORGET_PRESENCE = (
    "DELETE FROM presence WHERE (checkpoint_id, inside, subject_key) IN (SELECT "
    "checkpoint_id, inside, subject_key FROM presence WHERE scanned_at < ? AND scanned_at < ? "
    "AND boot_id != ? LIMIT ?)")
"""Presence older than the retention and the inside window, but never a movement of the
running boot (which :meth:`Store.last_movement` reads from it)."""
_SET_ASIDE = (
    "UPDATE presence SET inside = 0 WHERE checkpoint_id = ?1 AND inside = 1 AND subject_key IN "
    "(SELECT subject_key FROM presence WHERE checkpoint_id = ?1 AND inside = 1 "
    "AND scanned_at < ?2 LIMIT ?3)")
"""People inside whose "in" is older than the inside window, out of the inside range."""
