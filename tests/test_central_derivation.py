"""Derivation steps beside uploads and readers, on a SQLite file and a real PostgreSQL:
each step is a short transaction whatever size a batch had, and readers that wait for a
step (a report, a trace, several at once from the dashboard) take nothing from uploads."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from central_support import ENGINES, database_url
from trace_support import payload_identity, wire_entry

from kiosk.central import derivation, people, reports, stays
from kiosk.central.backends import open_storage
from kiosk.ids import uuid7
from kiosk.sync import protocol

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
SCANNED = NOW - dt.timedelta(minutes=1)


def upload(storage: Any, person: int) -> list[dict[str, Any]]:
    """Person ``person``'s card scanned at CP-A a minute ago, sent by k1 now: acknowledged,
    not derived."""
    entries = [wire_entry(payload_identity(person, "cccd"), checkpoint="CP-A", kiosk="k1",
                          direction="in", scanned_at=SCANNED)]
    return storage.ingest_batch("k1", entries, sent_at=protocol.format_time(NOW),
                                received_at=NOW, batch_id=uuid7())


def test_readers_waiting_for_a_step_leave_the_pool_to_uploads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A serve process with three connections: one runs a step (held open where it keeps
    stays, as a long step over a backlog is), and two dashboard readers ask for the day's
    report meanwhile. An upload arriving then is stored, and the readers keep waiting for
    their turn: they wait without a connection. (Each used to wait on the advisory lock
    holding one: the upload found the pool empty, and the readers gave up at the lock
    timeout, 503 both.) Once the step ends, the readers count the person acknowledged
    before they asked, and the next report both."""
    reached, release = threading.Event(), threading.Event()
    keep = stays.keep

    def held_keep(storage: Any, tx: Any, rows: Any) -> None:
        reached.set()
        assert release.wait(30)
        keep(storage, tx, rows)

    monkeypatch.setattr(stays, "keep", held_keep)
    with open_storage(database_url("postgresql", tmp_path), busy_timeout=2.0,
                      pool_size=3) as storage, \
            concurrent.futures.ThreadPoolExecutor(3) as pool:
        day = storage.calendar.day_of(SCANNED)
        upload(storage, 1)
        held = pool.submit(derivation.catch_up, storage)
        assert reached.wait(30), "the step never reached its stays"
        readers = [pool.submit(reports.daily, storage, day, now=NOW) for _ in range(2)]
        try:
            time.sleep(0.5)  # the readers are waiting for the step
            assert [r["status"] for r in upload(storage, 2)] == [protocol.ACCEPTED]
            assert not any(reader.done() for reader in readers), "a reader gave up waiting"
        finally:
            release.set()
        assert held.result(timeout=30) == 1
        for reader in readers:
            assert reader.result(timeout=30)["summary"]["people"] == 1
        assert reports.daily(storage, day, now=NOW)["summary"]["people"] == 2


@pytest.mark.parametrize("engine", ENGINES)
def test_a_batch_larger_than_a_step_is_derived_in_steps(engine: str, tmp_path: Path) -> None:
    """A backlog file imported with a large ``--batch-size`` stores one batch of more
    entries than a step takes: it is derived in steps of at most STEP_ENTRIES (one step
    of all of it kept the derivation lock, and every reader, for as long as it took), and
    counts every person once."""
    persons = derivation.STEP_ENTRIES + 1
    entries = [wire_entry(payload_identity(person, "cccd"), checkpoint="CP-A", kiosk="k1",
                          direction="in", scanned_at=SCANNED) for person in range(persons)]
    with open_storage(database_url(engine, tmp_path)) as storage:
        results = storage.ingest_batch("k1", entries, sent_at=None, received_at=NOW,
                                       batch_id=uuid7())  # as the importer stores a file
        assert {r["status"] for r in results} == {protocol.ACCEPTED}
        assert derivation.step(storage) == derivation.STEP_ENTRIES
        assert derivation.step(storage) == 1
        assert derivation.step(storage) is None
        day = storage.calendar.day_of(SCANNED).isoformat()
        assert people.per_day(storage, day, day) == {day: persons}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_step_rebuilding_a_persons_stays_leaves_their_later_scans_to_their_own_step(
        engine: str, tmp_path: Path) -> None:
    """A backlog larger than a step: person 1 came in at 08:00 (derived), then a backlog
    brings their late 07:00 entry among STEP_ENTRIES scans, and after it their 08:30 exit
    (queued behind: the next step's). The first step rebuilds person 1's stays around
    07:00 from the entries held — the 08:30 exit is held, not derived yet — and the next
    derives the exit: the stays kept are those a rebuild from every scan keeps, each once.
    (The first step built the exit into a stay and left the tail before it; the next found
    the exit after the tail and added its stay again.)"""
    morning = dt.datetime.combine(SCANNED.date() - dt.timedelta(days=1), dt.time(8), dt.UTC)

    def scan(person: int, direction: str, at: dt.datetime) -> dict[str, Any]:
        return wire_entry(payload_identity(person, "cccd"), checkpoint="CP-A", kiosk="k1",
                          direction=direction, scanned_at=at)

    def store(entries: list[dict[str, Any]]) -> None:
        results = storage.ingest_batch("k1", entries, sent_at=None, received_at=NOW,
                                       batch_id=uuid7())
        assert {r["status"] for r in results} == {protocol.ACCEPTED}

    def kept() -> list[tuple[Any, ...]]:
        return sorted(storage._query(f"SELECT {', '.join(stays.COLUMNS)} FROM stays"), key=repr)

    with open_storage(database_url(engine, tmp_path)) as storage:
        store([scan(1, "in", morning)])
        derivation.catch_up(storage)
        store([scan(1, "in", morning - dt.timedelta(hours=1))] + [
            scan(person, "in", morning) for person in range(2, derivation.STEP_ENTRIES + 1)])
        store([scan(1, "out", morning + dt.timedelta(minutes=30))])
        assert derivation.catch_up(storage) == derivation.STEP_ENTRIES + 1
        derived = kept()
        with storage._transaction() as tx:
            stays.rebuild_all(storage, tx)
        assert derived == kept()


@pytest.mark.parametrize("engine", ENGINES)
def test_serve_gives_way_to_a_burst_of_uploads_for_a_while_then_derives(
        engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``serve``'s background steps wait while uploads keep arriving and the oldest queued
    batch is young: a burst is acknowledged at the rate of the entries alone. Once uploads
    pause, or the oldest batch has waited YIELD_SECONDS, steps run again; a reader never
    waits for this (it derives first)."""
    monkeypatch.setattr(derivation, "YIELD_SECONDS", 0.5)
    with open_storage(database_url(engine, tmp_path)) as storage:
        background = derivation.Background(storage)  # looked at, not started
        assert not background.giving_way()  # nothing queued
        upload(storage, 1)
        assert background.giving_way()  # the queue grew since the last look: a burst
        upload(storage, 2)
        assert background.giving_way()
        assert not background.giving_way()  # nothing new since: uploads paused
        upload(storage, 3)
        time.sleep(0.6)
        assert not background.giving_way()  # still growing, but its oldest waited enough
        assert derivation.step(storage, wait=False) == 3
        upload(storage, 4)
        assert background.giving_way()  # a new burst, its oldest batch young again
        day = storage.calendar.day_of(SCANNED)
        assert reports.daily(storage, day)["summary"]["people"] == 4  # the reader derived
        assert not background.giving_way()
