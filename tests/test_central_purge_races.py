"""A purge while kiosks upload (PostgreSQL, where batches are stored while it runs): what a
step derives (:mod:`kiosk.central.derivation`) from batches stored during the purge keeps
everything their entries stand for, and nothing derived from the scans dropped outlives
them — document matches, day sets, stays and tails. Each test holds a real step open at the
moment that matters (where it keeps stays, as the erasure race test does) and runs the
real `kiosk-central purge`."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import subprocess
import time
from pathlib import Path

import psycopg
import pytest
from central_support import (
    CENTRAL,
    StartedAt,
    central,
    database_url,
    steps_held_at_stays,
    undo_after_v48,
    undo_batches_seen,
    undo_duplicates,
    undo_late,
    undo_report_kept,
)
from trace_support import payload_identity, wire_entry

from kiosk.central import derivation, erasure, stays
from kiosk.central.backends import open_storage
from kiosk.central.schema import MIGRATIONS
from kiosk.central.storage import Storage
from kiosk.ids import uuid7
from kiosk.sync import protocol

CHECKPOINT = "CP-CHO"


class Moments(StartedAt):
    @property
    def edge(self) -> dt.datetime:
        return self.purge_edge(30)


@pytest.fixture
def at() -> Moments:
    return Moments.starting()


@pytest.fixture
def db(tmp_path: Path) -> str:
    return database_url("postgresql", tmp_path)


def send(storage: Storage, person: int, at: dt.datetime, *, direction: str = "in",
         clock_behind: dt.timedelta = dt.timedelta(), derive: bool = True) -> dict:
    """Person ``person``'s card scanned at ``at`` by kiosk k1's clock, sent at once by a
    kiosk whose clock runs ``clock_behind`` late (so the scan's day is filed that much later
    than its id says), then derived as ``serve`` does in the background (``derive``); the
    stored entry."""
    (entry,) = [wire_entry(payload_identity(person, "cccd"), checkpoint=CHECKPOINT, kiosk="k1",
                           direction=direction, scanned_at=at)]
    results = storage.ingest_batch("k1", [entry], sent_at=protocol.format_time(at),
                                   received_at=at + clock_behind, batch_id=uuid7())
    assert [r["status"] for r in results] == [protocol.ACCEPTED], results
    if derive:
        derivation.catch_up(storage)
    return entry


def assert_nothing_astray(storage: Storage) -> None:
    """Nothing is kept about scans that no entry held stands for, and no document match
    that an entry held stands for is missing."""
    derivation.catch_up(storage)
    held = ("SELECT DISTINCT subject_key, local_day, match_key FROM entries WHERE subject_key "
            "LIKE 'doc:%' AND match_key IS NOT NULL")
    astray = {
        "matches without entry": storage._query(
            f"SELECT subject_key, day, match_key FROM document_matches EXCEPT {held}"),
        "entries without match": storage._query(
            f"{held} EXCEPT SELECT subject_key, day, match_key FROM document_matches"),
        "day set pairs without entry": storage._query(
            "SELECT day, subject_key FROM day_subjects EXCEPT "
            "SELECT local_day, subject_key FROM entries EXCEPT "
            "SELECT local_day, match_key FROM entries"),
        "stays of scans gone": storage._query(
            "SELECT first_id FROM stays WHERE first_id NOT IN (SELECT id FROM entries) "
            "OR last_id NOT IN (SELECT id FROM entries)"),
        "tails of scans gone": storage._query(
            f"SELECT last_id FROM {stays.TAILS} WHERE last_id NOT IN (SELECT id FROM entries) "
            "OR kept_id NOT IN (SELECT id FROM entries)"),
    }
    assert {what: rows for what, rows in astray.items() if rows} == {}


def waiting(other: psycopg.Connection, locktype: str) -> bool:
    return bool(other.execute("SELECT 1 FROM pg_locks WHERE locktype = %s AND NOT granted",
                              (locktype,)).fetchone())


def wait_until(other: psycopg.Connection, locktype: str, what: str,
               purge: concurrent.futures.Future | None = None) -> None:
    deadline = time.monotonic() + 30
    while not waiting(other, locktype):
        if purge is not None and purge.done():
            purge.result()
            raise AssertionError(f"the purge ended before {what}")
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.02)


def first_scan(storage: Storage, edge: dt.datetime) -> dict:
    """Person 1's card scanned just before the cutoff ``edge`` (dropped by the purge); the
    partition of the day after is made now, so that no batch below waits for the purge to
    make it."""
    with storage._connection() as conn:
        storage.partitions.ensure(conn, [edge.date()])
    return send(storage, 1, edge - dt.timedelta(minutes=10))


def left_by_a_dead_purge(storage: Storage) -> None:
    """What a purge dying just after its deletion left: every document match moved into
    forgotten_matches, for the next opening or purge to add back."""
    with storage._transaction() as tx:
        storage._execute(tx, "WITH gone AS (DELETE FROM document_matches RETURNING "
                             "subject_key, day, match_key) INSERT INTO forgotten_matches "
                             "SELECT * FROM gone")


def purge(db: str) -> str:
    return central("purge", "--days", "30",
                   "--reason", "test: purge beside uploads", "--db", db).stdout


def test_a_step_open_when_the_purge_starts_keeps_its_joins_and_leaves_nothing_dropped(
        db: str, at: Moments) -> None:
    """A step deriving two batches is open when the purge starts. One batch stored person
    1's card scanned just after the cutoff, the same local day as their scan just before it
    (dropped): the document's join to the card stays, since an entry held says so. The
    other stored person 2's card scanned just before the cutoff by a kiosk whose clock runs
    two days late (filed two local days later, past the days the purge freezes): its entry
    is dropped with its day, and so are its document match, its pair in that day's set of
    people, its stay and its tail."""
    with open_storage(db) as storage, psycopg.connect(db, autocommit=True) as other, \
            concurrent.futures.ThreadPoolExecutor(3) as pool:
        first_scan(storage, at.edge)
        held = send(storage, 1, at.edge + dt.timedelta(minutes=30), direction="out",
                    derive=False)
        send(storage, 2, at.edge - dt.timedelta(minutes=5), clock_behind=dt.timedelta(days=2),
             derive=False)
        with steps_held_at_stays(other):
            step = pool.submit(derivation.catch_up, storage)
            wait_until(other, "advisory", "the step reached their stays")
            purging = pool.submit(purge, db)
            deadline = time.monotonic() + 30
            while other.execute("SELECT count(*) FROM pg_locks WHERE NOT granted"
                                ).fetchone()[0] < 2:
                assert not purging.done(), "the purge did not wait for the open step"
                assert time.monotonic() < deadline, "the purge never waited for the step"
                time.sleep(0.02)
        assert step.result(timeout=30) == 2
        assert "(1 partitions)" in purging.result(timeout=60)
        assert [e["id"] for e in storage.entries()] == [held["id"]]
        assert storage._query("SELECT subject_key, day, match_key FROM document_matches") == [
            (held["subject_key"], storage.calendar.day_of(at.edge).isoformat(), held["match_key"])]
        assert_nothing_astray(storage)


def test_a_batch_storing_a_documents_scan_while_the_purge_forgets_keeps_its_join(
        db: str, at: Moments) -> None:
    """The purge is forgetting the document matches of the day it drops (held here at
    person 1's, locked by another transaction) when a batch stores person 1's card scanned
    after the cutoff the same local day, and the step deriving it stays open past the
    purge's deletion: the join is there when both are done, because an entry held says
    so."""
    with open_storage(db) as storage, psycopg.connect(db, autocommit=True) as other, \
            concurrent.futures.ThreadPoolExecutor(2) as pool:
        first = first_scan(storage, at.edge)
        with steps_held_at_stays(other):
            with other.transaction():
                other.execute("SELECT 1 FROM document_matches WHERE subject_key = %s "
                              "FOR UPDATE", (first["subject_key"],))
                purging = pool.submit(purge, db)
                wait_until(other, "transactionid", "the purge reached person 1's match",
                           purging)
                kept = pool.submit(send, storage, 1, at.edge + dt.timedelta(minutes=30),
                                   direction="out")
                wait_until(other, "advisory", "the step reached its stays")
            wait_until(other, "relation", "the purge waited for the open step", purging)
        held = kept.result(timeout=30)
        assert "(1 partitions)" in purging.result(timeout=60)
        assert storage._query("SELECT subject_key, day, match_key FROM document_matches") == [
            (held["subject_key"], storage.calendar.day_of(at.edge).isoformat(), held["match_key"])]
        assert_nothing_astray(storage)


def test_a_purge_killed_before_adding_back_the_matches_it_deleted_leaves_them_to_the_next(
        db: str, at: Moments) -> None:
    """As above, a batch stores person 1's card scanned after the cutoff while the purge
    forgets person 1's match, and its step is still open when the deletion commits; this
    time the purge is killed (the machine goes down) while it waits for that step to end,
    before it adds the match back. The deletion is committed and the step ends without the
    match (its row was there when the step looked), but what the purge was to add back was
    kept with it: the storage opened next (serve started again, the next command) adds it
    back, since an entry held stands for it. The next purge finishes the rest."""
    with open_storage(db) as storage, psycopg.connect(db, autocommit=True) as other, \
            concurrent.futures.ThreadPoolExecutor(1) as pool:
        first = first_scan(storage, at.edge)
        with steps_held_at_stays(other):
            purging = subprocess.Popen([*CENTRAL, "purge", "--days", "30", "--reason",
                                        "test: purge beside uploads", "--db", db],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                with other.transaction():
                    other.execute("SELECT 1 FROM document_matches WHERE subject_key = %s "
                                  "FOR UPDATE", (first["subject_key"],))
                    wait_until(other, "transactionid", "the purge reached person 1's match")
                    kept = pool.submit(send, storage, 1, at.edge + dt.timedelta(minutes=30),
                                       direction="out")
                    wait_until(other, "advisory", "the step reached its stays")
                deadline = time.monotonic() + 30
                while not other.execute(  # its deletion committed, it waits for the step
                        "SELECT 1 FROM pg_locks WHERE NOT granted AND mode = 'ShareLock' AND "
                        "relation IN ('day_subjects'::regclass, 'document_matches'::regclass)"
                ).fetchone():
                    assert purging.poll() is None, "the purge ended before waiting for the step"
                    assert time.monotonic() < deadline, "the purge never waited for the step"
                    time.sleep(0.02)
            finally:
                purging.kill()
                purging.wait()
        held = kept.result(timeout=30)
        derivation.catch_up(storage)
        assert storage._query("SELECT 1 FROM document_matches") == []  # the moment it died
    match = [(held["subject_key"], storage.calendar.day_of(at.edge).isoformat(),
              held["match_key"])]
    with open_storage(db) as storage:
        assert storage._query("SELECT subject_key, day, match_key FROM document_matches"
                              ) == match
    purge(db)  # the next: the stays of the scans dropped go, as the killed one had to do
    with open_storage(db) as storage:
        assert storage._query("SELECT subject_key, day, match_key FROM document_matches"
                              ) == match
        assert_nothing_astray(storage)


def test_a_match_a_dead_purge_left_is_not_added_back_for_a_scan_erased_meanwhile(
        db: str, at: Moments) -> None:
    """A purge died after deleting person 1's match, which their scan kept (20 days old)
    stands for: the match waits in forgotten_matches. A storage opened now (serve started
    again) adds it back, but its statement reads the entries as they were when it began;
    erasure, run meanwhile by another process, takes person 1's identity out of that scan
    (personal data kept 14 days). The match must not come back afterwards, naming a
    document number and card erased: the addition waits for erasure, as a step does, or
    erasure for it."""
    with open_storage(db) as storage, psycopg.connect(db, autocommit=True) as other, \
            concurrent.futures.ThreadPoolExecutor(2) as pool:
        scan = send(storage, 1, at.now - dt.timedelta(days=20))
        left_by_a_dead_purge(storage)
        with other.transaction():  # the opening's addition stops at the row, having read
            other.execute("SELECT 1 FROM forgotten_matches FOR UPDATE")
            opening = pool.submit(lambda: open_storage(db).close())
            wait_until(other, "transactionid", "the opening reached the match", opening)
            erasing = pool.submit(erasure.erase_personal, storage,
                                  at.now.date() - dt.timedelta(days=14))
            deadline = time.monotonic() + 30
            while not (erasing.done() or waiting(other, "advisory")):
                assert time.monotonic() < deadline, "erasure neither ended nor waited"
                time.sleep(0.02)
        opening.result(timeout=30)
        assert erasing.result(timeout=30) == 1
        assert storage._query("SELECT subject_key FROM entries") == [("erased",)]
        assert storage._query("SELECT 1 FROM document_matches WHERE subject_key = $1",
                              (scan["subject_key"],)) == []
        assert storage._query("SELECT 1 FROM forgotten_matches") == []
        assert_nothing_astray(storage)


def test_a_v22_database_gets_back_the_matches_an_interrupted_purge_lost(
        db: str, at: Moments) -> None:
    """Before v23 a purge kept what it was to add back in its memory only: a v22 database
    may hold an entry whose document match such a purge lost. Migrating rebuilds the
    matches from the entries held, and keeps from then on what a purge is to add back."""
    with open_storage(db) as storage:
        scan = send(storage, 1, at.now - dt.timedelta(days=1))
        with storage._transaction() as tx:
            storage._execute(tx, "DELETE FROM document_matches")  # lost by a v22 purge
            storage._execute(tx, "DROP TABLE forgotten_matches")
            undo_after_v48(storage, tx)  # v54, v49
            undo_report_kept(storage, tx)  # v46
            undo_batches_seen(storage, tx)  # v43
            undo_late(storage, tx)  # v38
            undo_duplicates(storage, tx)  # v31
            storage._execute(tx, "ALTER TABLE audit_log DROP COLUMN second_degree")  # v29
            storage._execute(tx, "ALTER TABLE audit_log DROP COLUMN disclosed")  # v42
            storage._execute(tx, "ALTER TABLE audit_log DROP COLUMN second_contacts")
            storage._execute(tx, "ALTER TABLE kiosk_health DROP COLUMN uploads_paused")  # v27
            storage._execute(tx, "ALTER TABLE batches DROP COLUMN past_retention")  # v26
            storage._execute(tx, "DROP INDEX batches_least_offset")  # v25
            storage._execute(tx, "ALTER TABLE batches DROP COLUMN least_offset_seconds")
            storage._execute(tx, "DROP INDEX batches_entry_offset")  # v24
            storage._execute(tx, "ALTER TABLE batches DROP COLUMN entry_offset_seconds")
            storage._execute(tx, "UPDATE central_meta SET value = '22' "
                                 "WHERE key = 'schema_version'")
    with open_storage(db) as storage:
        assert storage._query("SELECT value FROM central_meta WHERE key = 'schema_version'"
                              ) == [(str(len(MIGRATIONS)),)] == [("58",)]
        assert storage._query("SELECT subject_key, day, match_key FROM document_matches") == [
            (scan["subject_key"], storage.calendar.day_of(at.now - dt.timedelta(days=1))
             .isoformat(), scan["match_key"])]
        assert storage._query("SELECT 1 FROM forgotten_matches") == []
        assert_nothing_astray(storage)


def test_a_purge_interrupted_after_detaching_a_day_is_finished_by_the_next(
        db: str, at: Moments) -> None:
    """A purge stopped after it detached a day's partition (the machine went down) leaves
    that table outside ``entries``, with its scans' document matches: the next purge
    forgets them and drops it, and a partition for that day made meanwhile for a late scan
    is dropped as well."""
    with open_storage(db) as storage:
        first_scan(storage, at.edge)
    day = at.edge.date() - dt.timedelta(days=1)
    with psycopg.connect(db, autocommit=True) as conn, conn.transaction():
        conn.execute(f"ALTER TABLE entries DETACH PARTITION entries_p{day:%Y%m%d}")
        conn.execute(f"ALTER TABLE entries_p{day:%Y%m%d} RENAME TO entries_gone_1")
    with open_storage(db) as storage:
        assert storage.entry_count() == 0
        send(storage, 2, at.edge - dt.timedelta(minutes=5))  # late: its day's partition anew
        assert len(storage._query("SELECT 1 FROM document_matches")) == 2
    assert "(2 partitions)" in purge(db)
    with open_storage(db) as storage:
        assert storage._query("SELECT relname FROM pg_class WHERE relname IN ($1, $2)",
                              ("entries_gone_1", f"entries_p{day:%Y%m%d}")) == []
        assert storage._query("SELECT 1 FROM document_matches") == []
        assert_nothing_astray(storage)


def test_uploads_are_not_queued_behind_a_purge_waiting_for_a_long_report(
        db: str, at: Moments) -> None:
    """A long report is reading ``entries`` when the purge comes to detach the oldest day,
    which needs ``entries`` to itself: the purge waits for a moment only, steps aside and
    tries again, so a batch arriving meanwhile is stored at once instead of queueing behind
    it until the report ends. When the report ends, the purge finishes."""
    with open_storage(db) as storage, psycopg.connect(db, autocommit=True) as other, \
            concurrent.futures.ThreadPoolExecutor(2) as pool:
        first_scan(storage, at.edge)
        with other.transaction():
            other.execute("SELECT count(*) FROM entries")  # the report, still reading
            purging = pool.submit(purge, db)
            wait_until(other, "relation", "the purge waited for the report", purging)
            began = time.monotonic()
            send(storage, 2, at.now)
            # a brief wait of the purge's (0.5 s) at most, not the storage's lock timeout
            # (10 s) behind it: 6 s leaves room for a loaded machine
            assert time.monotonic() - began < 6, "the batch queued behind the purge"
            assert not purging.done()
        assert "(1 partitions)" in purging.result(timeout=60)
        assert_nothing_astray(storage)


def test_the_scans_of_a_kiosk_clock_far_ahead_leave_nothing_behind_when_purged(
        db: str, at: Moments) -> None:
    """A kiosk whose clock ran 50 days ahead scanned person 2 forty days ago: the scan's id
    lies past the partitions made ahead, so it is held in the default partition, which the
    purge empties by when rows were received. Its stay and tail go with it, and its
    identity (name, document number) unless a stay kept still holds it: they stayed behind,
    keyed by an id 50 days ahead, until that day passed the cutoff."""
    ahead = dt.timedelta(days=50)
    with open_storage(db) as storage:
        scan = send(storage, 2, at.now - dt.timedelta(days=40) + ahead, clock_behind=-ahead)
        assert storage._query("SELECT tableoid::regclass::text FROM entries") == [
            ("entries_default",)]
        assert storage._query("SELECT first_id FROM stays") == [(scan["id"],)]
        assert storage._query("SELECT document_number FROM identities") == [
            (scan["document_number"],)]
        # person 3's identity is held by the stay of a scan kept: it stays
        send(storage, 3, at.now - dt.timedelta(days=40) + ahead, clock_behind=-ahead)
        kept = send(storage, 3, at.now - dt.timedelta(days=1))
    purge(db)
    with open_storage(db) as storage:
        assert [e["id"] for e in storage.entries()] == [kept["id"]]
        assert_nothing_astray(storage)
        assert storage._query("SELECT document_number FROM identities") == [
            (kept["document_number"],)]


def test_a_storage_opened_while_another_adds_back_behind_a_long_step_waits_for_it(
        db: str, at: Moments) -> None:
    """A purge died leaving person 1's match in forgotten_matches. A storage opening now
    (serve started again) adds it back and, holding the addition's turn, waits for a step
    deriving a kiosk's backlog that lasts longer than the busy timeout — an opening waits
    for a long step rather than failing (b628d8a). A second storage opening meanwhile (a
    report run by cron, another serve worker) has the same to add back: it must wait its
    turn, as the first waits for the step, and open once both are done, not fail as storage
    busy because the first held the turn past its busy timeout."""
    with open_storage(db) as storage, psycopg.connect(db, autocommit=True) as other, \
            concurrent.futures.ThreadPoolExecutor(3) as pool:
        scan = send(storage, 1, at.now - dt.timedelta(days=1))
        left_by_a_dead_purge(storage)
        (backlog,) = [wire_entry(payload_identity(2, "pccovid_masked"), checkpoint=CHECKPOINT,
                                 kiosk="k1", direction="in", scanned_at=at.now)]
        storage.ingest_batch("k1", [backlog], sent_at=protocol.format_time(at.now),
                             received_at=at.now, batch_id=uuid7())

        def opening() -> None:
            open_storage(db, busy_timeout=1.0).close()

        def advisory_waiters() -> int:
            return other.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                 "AND NOT granted").fetchone()[0]

        with steps_held_at_stays(other):
            stepping = pool.submit(derivation.step, storage)
            wait_until(other, "advisory", "the step reached its stays")
            first = pool.submit(opening)
            deadline = time.monotonic() + 30
            while advisory_waiters() < 2:  # the first opening waits for the step
                assert not first.done(), first.exception()
                assert time.monotonic() < deadline, "the first opening never waited"
                time.sleep(0.02)
            second = pool.submit(opening)
            while advisory_waiters() < 3 and not second.done():  # the second waits its turn
                assert time.monotonic() < deadline, "the second opening never waited"
                time.sleep(0.02)
            time.sleep(2)  # the step goes on past the busy timeout (1 s)
        assert stepping.result(timeout=30) == 1
        assert first.exception(timeout=30) is None
        assert second.exception(timeout=30) is None
        assert storage._query("SELECT subject_key FROM document_matches") == [
            (scan["subject_key"],)]
        assert storage._query("SELECT 1 FROM forgotten_matches") == []
