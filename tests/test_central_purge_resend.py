"""Entries a purge removed, sent again, are answered "already at the centre" and counted once —
run with the real `kiosk-central purge` command on SQLite and a real PostgreSQL.

A kiosk without network exports a backlog file and keeps the entries pending; it reaches the
network after the retention period and pushes them again, or the operator imports the same
file twice. The purge has removed them by then: the centre must not store them, count their
scans or bring their names back a second time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from central_support import (
    ENGINES,
    StartedAt,
    central,
    database_url,
    undo_after_v48,
    undo_batches_seen,
    undo_duplicates,
    undo_late,
    undo_report_kept,
)
from trace_support import payload_identity, wire_entry

from kiosk.central.backends import open_storage
from kiosk.ids import uuid7
from kiosk.sync import protocol


class Moments(StartedAt):
    @property
    def scanned(self) -> dt.datetime:
        """The 40 scans' time, a minute apart, 30 days ago."""
        return self.local_noon(30)

    @property
    def imported(self) -> dt.datetime:
        return self.now - dt.timedelta(days=29)


@pytest.fixture
def at() -> Moments:
    return Moments.starting()
STORED_AT = {"sqlite": "SELECT rootpage FROM sqlite_master WHERE name = 'batches'",
             "postgresql": "SELECT pg_relation_filenode('batches')"}
"""Where each engine keeps the batch log's rows: a migration that rewrote the table would
move them (SQLite: a new root page; PostgreSQL: a new file)."""


@pytest.fixture(params=ENGINES)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return database_url(request.param, tmp_path)


def backlog(count: int, at: dt.datetime) -> list[dict]:
    """``count`` scans of different people by kiosk k1 at CP-CHO, a minute apart from ``at``."""
    return [wire_entry(payload_identity(person, "cccd"), checkpoint="CP-CHO", kiosk="k1",
                       direction="in", scanned_at=at + dt.timedelta(minutes=person))
            for person in range(1, count + 1)]


def import_file(storage, entries: list[dict], received: dt.datetime) -> list[str]:
    """The statuses of ``entries`` fed as the importer feeds a backlog file (clock unknown)."""
    return [r["status"] for r in storage.ingest_batch(
        "k1", entries, sent_at=None, received_at=received, batch_id=uuid7(),
        checkpoint_id="CP-CHO", time_window=True)]


def push(storage, now: dt.datetime, entries: list[dict], **timing) -> list[str]:
    """The statuses of ``entries`` pushed over the network ``now`` (``timing``: the kiosk's
    clock at sending, its monotonic clock and boot)."""
    timing.setdefault("sent_at", protocol.format_time(now))
    return [r["status"] for r in storage.ingest_batch(
        "k1", entries, received_at=now, batch_id=uuid7(), checkpoint_id="CP-CHO",
        time_window=True, **timing)]


def scans_on(storage, day: dt.date | None = None) -> int:
    """The scans counted on local ``day`` (None: on every day)."""
    where = "day = $1" if day else "$1 = $1"
    return storage._query(f"SELECT coalesce(sum(scans), 0) FROM checkpoint_days WHERE {where}",
                          (day.isoformat() if day else "",))[0][0]


def logged(batch: dict) -> tuple[int, int, int, int, int]:
    """A batch log record's counts: (entries, accepted, duplicate, past retention, rejected)."""
    return (batch["entries"], batch["accepted"], batch["duplicate"], batch["past_retention"],
            batch["rejected"])


def test_entries_purged_and_sent_again_are_duplicate_and_not_counted_again(
        db: str, at: Moments) -> None:
    entries = backlog(40, at.scanned)
    with open_storage(db) as storage:
        assert import_file(storage, entries, at.imported) == [protocol.ACCEPTED] * 40
        day = storage.calendar.day_of(at.scanned)
        assert scans_on(storage, day) == 40

    central("purge", "--days", "14", "--personal-days", "14",
            "--reason", "test: resend after a purge", "--db", db)

    with open_storage(db) as storage:
        assert storage.entry_count() == 0
        # the same file imported again, then the kiosk's pending entries pushed
        assert import_file(storage, entries, at.now) == [protocol.DUPLICATE] * 40
        assert {r.get(protocol.PAST_RETENTION) for r in storage.ingest_batch(
            "k1", entries, sent_at=None, received_at=at.now, batch_id=uuid7(),
            checkpoint_id="CP-CHO", time_window=True)} == {
                storage.optional_setting("entries_purged_before")}  # not held: said so
        assert push(storage, at.now, entries) == [protocol.DUPLICATE] * 40
        assert scans_on(storage, day) == 40  # counted once, for good
        assert storage.entry_count() == 0  # no name past retention comes back
        # the batch log tells whoever reads it the same: none of the 40 is held
        assert [logged(b) for b in storage.batches()][-2:] == [(40, 0, 0, 40, 0)] * 2


def test_entries_never_held_past_the_cut_are_done_but_said_to_be_past_retention(
        db: str, at: Moments) -> None:
    """A kiosk offline longer than the retention sends, after the purge, 25 scans the centre
    never held, of a day it already counted one scan of. It cannot tell them from purged
    ones, so they are neither stored nor counted, and still ``duplicate``: a kiosk marks
    them done (an unknown status would fail its whole answer, sent again for ever). But the
    answer no longer lets them pass for "already at the centre": each carries the cut it
    fell before, and the kiosk and the import summary count them apart."""
    with open_storage(db) as storage:
        assert import_file(storage, backlog(1, at.scanned), at.imported) == [protocol.ACCEPTED]
        day = storage.calendar.day_of(at.scanned)
    central("purge", "--days", "14", "--reason", "test: resend after a purge", "--db", db)

    never_sent = [wire_entry(payload_identity(person, "cccd"), checkpoint="CP-CHO",
                             kiosk="k1", direction="in",
                             scanned_at=at.scanned + dt.timedelta(minutes=person))
                  for person in range(100, 125)]
    with open_storage(db) as storage:
        cut = storage.optional_setting("entries_purged_before")
        answers = storage.ingest_batch("k1", never_sent, sent_at=protocol.format_time(at.now),
                                       received_at=at.now, batch_id=uuid7(),
                                       checkpoint_id="CP-CHO", time_window=True)
        assert answers == [{"id": e["id"], "status": protocol.DUPLICATE,
                            protocol.PAST_RETENTION: cut} for e in never_sent]
        assert protocol.validate_response({"results": answers}, [e["id"] for e in never_sent]
                                          ) == ([e["id"] for e in never_sent], {})
        assert scans_on(storage, day) == 1 and storage.entry_count() == 0
        assert cut == (at.now - dt.timedelta(days=14)).date().isoformat()


def test_after_a_purge_scans_inside_retention_are_still_taken(
        db: str, at: Moments) -> None:
    kept = backlog(2, at.now - dt.timedelta(days=10))  # received within retention: held
    with open_storage(db) as storage:
        assert import_file(storage, backlog(1, at.scanned), at.imported) == [protocol.ACCEPTED]
        assert import_file(storage, kept, at.now - dt.timedelta(days=9)) == [protocol.ACCEPTED] * 2

    central("purge", "--days", "14", "--reason", "test: resend after a purge", "--db", db)

    fresh = backlog(1, at.now - dt.timedelta(hours=2))
    # a kiosk whose clock lost power scanned at "1970" an hour ago: its id is of 1970, its
    # scan filed now by its age on the monotonic clock, inside retention
    unset = wire_entry(payload_identity(7, "cccd"), checkpoint="CP-CHO", kiosk="k1",
                       direction="in", scanned_at=dt.datetime(1970, 1, 1, 0, 5, tzinfo=dt.UTC))
    with open_storage(db) as storage:
        counted = scans_on(storage)
        assert push(storage, at.now, fresh) == [protocol.ACCEPTED]
        assert push(storage, at.now, [unset], sent_monotonic_ns=1 + 3600 * 10**9,
                    boot_id="boot-1") == [protocol.ACCEPTED]
        assert push(storage, at.now, kept) == [protocol.DUPLICATE] * 2  # held, as before
        changed = dict(kept[0], direction="out")
        assert [r["status"] for r in storage.ingest_batch(
            "k1", [changed], sent_at=protocol.format_time(at.now), received_at=at.now,
            batch_id=uuid7())] == [protocol.REJECTED]  # another entry under a held id
        assert scans_on(storage) == counted + 2 and storage.entry_count() == 4


def test_in_a_zone_half_an_hour_off_utc_a_scan_after_the_cut_is_still_taken(
        db: str, at: Moments) -> None:
    """In Asia/Kolkata (UTC+5:30) the purge's cut, UTC midnight, is 05:30 local: the local
    hour 05:00-05:59 is half before it, half after. A scan of 05:40 there (00:10 UTC, its id
    of the cut's day: no purge removed it) reaching the centre for the first time after the
    purge is inside retention and must be stored and counted; one of 05:25 is past it.
    Before, every scan of that hour was answered past retention and never stored."""
    cut = at.now.date() - dt.timedelta(days=14)
    midnight = dt.datetime.combine(cut, dt.time(), dt.UTC)
    with open_storage(db) as storage:
        storage.set_timezone("Asia/Kolkata")
    central("purge", "--days", "14", "--reason", "test: resend after a purge", "--db", db)
    before, after = (wire_entry(payload_identity(person, "cccd"), checkpoint="CP-CHO",
                                kiosk="k1", direction="in",
                                scanned_at=midnight + dt.timedelta(minutes=minutes))
                     for person, minutes in ((1, -5), (2, 10)))
    with open_storage(db) as storage:
        assert storage.calendar.local(midnight + dt.timedelta(minutes=10)) == (
            cut.isoformat(), 5)
        assert push(storage, at.now, [before, after]) == [protocol.DUPLICATE, protocol.ACCEPTED]
        assert storage.entry_count() == 1 and scans_on(storage, cut) == 1


def test_the_batch_log_counts_entries_past_retention_apart_from_the_duplicates_held(
        db: str, at: Moments) -> None:
    """After a purge a kiosk pushes one batch of 10: 2 new scans, 3 it sent before that the
    centre holds, 4 scans of the purged day the centre never held, and 1 filed under
    another checkpoint. The 3 held and the 4 never held are all answered ``duplicate``; the
    batch log counts the 4 past retention apart, so that whoever reads it is not told they
    are held at the centre, and its counts add up to the entries sent."""
    held = backlog(3, at.now - dt.timedelta(days=10))  # received within retention: kept
    with open_storage(db) as storage:
        assert import_file(storage, backlog(1, at.scanned), at.imported) == [protocol.ACCEPTED]
        assert import_file(storage, held, at.now - dt.timedelta(days=9)) == [protocol.ACCEPTED] * 3
    central("purge", "--days", "14", "--reason", "test: resend after a purge", "--db", db)

    def scan(person: int, at: dt.datetime, checkpoint: str = "CP-CHO") -> dict:
        return wire_entry(payload_identity(person, "cccd"), checkpoint=checkpoint,
                          kiosk="k1", direction="in", scanned_at=at)

    new = [scan(person, at.now - dt.timedelta(hours=person)) for person in (50, 51)]
    past = [scan(person, at.scanned + dt.timedelta(minutes=person)) for person in range(100, 104)]
    elsewhere = scan(60, at.now - dt.timedelta(hours=3), checkpoint="CP-KHAC")
    with open_storage(db) as storage:
        assert push(storage, at.now, [*new, *held, *past, elsewhere]) == [
            *[protocol.ACCEPTED] * 2, *[protocol.DUPLICATE] * 7, protocol.REJECTED]
        record = storage.batches()[-1]
        assert logged(record) == (10, 2, 3, 4, 1)
        assert sum(logged(record)[1:]) == record["entries"]


def test_a_v25_batch_log_stays_as_it_was_and_later_batches_count_past_retention_apart(
        db: str, at: Moments) -> None:
    """A v25 centre counted the entries past retention among a batch's duplicates, and
    kept neither them nor the cut of then: its records cannot be split after the fact, so
    v26 leaves them as they were (past retention 0). It adds the count to the batch log in
    place, without rewriting the table (a province logs ~50,000 batches a day); the batches
    that come after count those entries apart."""
    entries = backlog(40, at.scanned)
    with open_storage(db) as storage:
        assert import_file(storage, entries, at.imported) == [protocol.ACCEPTED] * 40
    central("purge", "--days", "14", "--reason", "test: resend after a purge", "--db", db)
    with open_storage(db) as storage:
        assert push(storage, at.now, entries) == [protocol.DUPLICATE] * 40
        assert push(storage, at.now, backlog(2, at.now - dt.timedelta(days=1))) == [
            protocol.ACCEPTED] * 2
        with storage._transaction() as tx:  # the log as v25 wrote it
            storage._execute(tx, "UPDATE batches SET duplicate = duplicate + past_retention")
            undo_after_v48(storage, tx)  # v54, v49
            undo_report_kept(storage, tx)  # v46
            undo_batches_seen(storage, tx)  # v43
            undo_late(storage, tx)  # v38
            undo_duplicates(storage, tx)  # v31
            storage._execute(tx, "ALTER TABLE audit_log DROP COLUMN second_degree")  # v29
            storage._execute(tx, "ALTER TABLE audit_log DROP COLUMN disclosed")  # v42
            storage._execute(tx, "ALTER TABLE audit_log DROP COLUMN second_contacts")
            storage._execute(tx, "ALTER TABLE kiosk_health DROP COLUMN uploads_paused")  # v27
            storage._execute(tx, "ALTER TABLE batches DROP COLUMN past_retention")
            if storage.url.startswith("postgresql"):
                storage._execute(tx, "UPDATE central_meta SET value = '25' "
                                     "WHERE key = 'schema_version'")
            else:
                storage._execute(tx, "PRAGMA user_version = 25")
        v25 = storage._query("SELECT batch_id, entries, accepted, duplicate, rejected "
                             "FROM batches ORDER BY seq")
        table = storage._query(STORED_AT[storage.url.split(":")[0]])
    # the import's record, the latest when purged, kept (Storage.purge_batches)
    assert [tuple(row[1:]) for row in v25] == [(40, 40, 0, 0), (40, 0, 40, 0), (2, 2, 0, 0)]

    with open_storage(db) as storage:  # migrated to v26
        assert storage._query(STORED_AT[storage.url.split(":")[0]]) == table  # not rewritten
        assert [(b["batch_id"], *logged(b)) for b in storage.batches()] == [
            (batch_id, entries, accepted, duplicate, 0, rejected)
            for batch_id, entries, accepted, duplicate, rejected in v25]
        assert push(storage, at.now, entries) == [protocol.DUPLICATE] * 40
        assert logged(storage.batches()[-1]) == (40, 0, 0, 40, 0)
