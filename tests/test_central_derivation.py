"""Derivation steps beside uploads and readers, on a SQLite file and a real PostgreSQL:
each step is a short transaction whatever size a batch had, and readers that wait for a
step (a report, a trace, several at once from the dashboard) take nothing from uploads."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import json
import random
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from central_support import ENGINES, central, database_url
from trace_support import Visit, number, payload_identity, store_scans, wire_entry

from kiosk.central import (
    derivation,
    document_matches,
    erasure,
    people,
    report_formats,
    reports,
    stays,
    trace_formats,
    trace_service,
)
from kiosk.central.backends import open_storage
from kiosk.central.storage import StorageBusy
from kiosk.ids import uuid7
from kiosk.sync import protocol

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
SEEDS = 3
"""Random sequences each model test runs, per engine (40 pass: set it to look further)."""
SCANNED = NOW - dt.timedelta(minutes=1)


def upload(storage: Any, person: int) -> list[dict[str, Any]]:
    """Person ``person``'s card scanned at CP-A a minute ago, sent by k1 now: acknowledged,
    not derived."""
    entries = [wire_entry(payload_identity(person, "cccd"), checkpoint="CP-A", kiosk="k1",
                          direction="in", scanned_at=SCANNED)]
    return storage.ingest_batch("k1", entries, sent_at=protocol.format_time(NOW),
                                received_at=NOW, batch_id=uuid7())


def hold_steps_at_stays(monkeypatch: pytest.MonkeyPatch
                        ) -> tuple[threading.Event, threading.Event]:
    """Every step stops where it keeps stays, its transaction open (as a long step over a
    backlog is there), until ``release`` is set; ``reached`` once one has."""
    reached, release = threading.Event(), threading.Event()
    keep = stays.keep

    def held_keep(storage: Any, tx: Any, rows: Any) -> None:
        reached.set()
        assert release.wait(30)
        keep(storage, tx, rows)

    monkeypatch.setattr(stays, "keep", held_keep)
    return reached, release


def test_readers_waiting_for_a_step_leave_the_pool_to_uploads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A serve process with three connections: one runs a step (held open where it keeps
    stays, as a long step over a backlog is), and two dashboard readers ask for the day's
    report meanwhile. An upload arriving then is stored, and the readers keep waiting for
    their turn: they wait without a connection. (Each used to wait on the advisory lock
    holding one: the upload found the pool empty, and the readers gave up at the lock
    timeout, 503 both.) Once the step ends, the readers count the person acknowledged
    before they asked, and the next report both. The upload is sent once both readers wait
    for their turn, and they wait however long it takes (a loaded machine started them
    after a fixed half second: they counted the upload too)."""
    reached, release = hold_steps_at_stays(monkeypatch)
    waiting = threading.Semaphore(0)
    turn_of = derivation._turn

    class Turn:
        """The process's turn, telling when a step is about to wait for it."""

        def __init__(self, lock: threading.Lock) -> None:
            self.lock = lock

        def acquire(self, timeout: float = -1) -> bool:
            if self.lock.locked():
                waiting.release()
            return self.lock.acquire(timeout=timeout)

        def release(self) -> None:
            self.lock.release()

    monkeypatch.setattr(derivation, "_turn", lambda storage: Turn(turn_of(storage)))
    with open_storage(database_url("postgresql", tmp_path), busy_timeout=2.0,
                      pool_size=3) as storage, \
            concurrent.futures.ThreadPoolExecutor(3) as pool:
        day = storage.calendar.day_of(SCANNED)
        upload(storage, 1)
        held = pool.submit(derivation.catch_up, storage)
        assert reached.wait(30), "the step never reached its stays"
        readers = [pool.submit(reports.daily, storage, day, now=NOW, wait=60)
                   for _ in range(2)]
        try:
            for _ in readers:  # each has taken what it derives and waits for the step
                assert waiting.acquire(timeout=30), "a reader never waited for the step"
            assert [r["status"] for r in upload(storage, 2)] == [protocol.ACCEPTED]
            assert not any(reader.done() for reader in readers), "a reader gave up waiting"
        finally:
            release.set()
        assert held.result(timeout=30) == 1
        for reader in readers:
            assert reader.result(timeout=30)["summary"]["people"] == 1
        assert reports.daily(storage, day, now=NOW)["summary"]["people"] == 2


@pytest.mark.parametrize("other", ["thread", "process"])
def test_a_reader_waits_for_a_step_running_elsewhere_its_seconds_only(
        other: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A step is running, long (as one isolating failing entries for ISOLATE_SECONDS is),
    in another thread of the serve process or in another process (a second serve, the
    06:00 report). A dashboard reader waits READER_SECONDS for it at most (here 1 s), then
    answers with what is derived, saying one entry is not counted yet. It waited for the
    other thread's step however long it took, and for the other process's until the
    PostgreSQL lock's timeout (here 5 s), then failed: a 503 instead of a page."""
    reached, release = hold_steps_at_stays(monkeypatch)
    url = database_url("postgresql", tmp_path)
    with open_storage(url, busy_timeout=5.0) as storage, \
            open_storage(url, busy_timeout=5.0) as elsewhere, \
            concurrent.futures.ThreadPoolExecutor(1) as pool:
        upload(storage, 1)
        held = pool.submit(derivation.catch_up, storage if other == "thread" else elsewhere)
        try:
            assert reached.wait(30), "the step never reached its stays"
            started = time.monotonic()
            report = reports.daily(storage, storage.calendar.day_of(SCANNED), now=NOW,
                                   wait=1.0)
            waited = time.monotonic() - started
            assert not held.done(), "the step ended: the reader may have waited for it"
        finally:
            release.set()
        assert held.result(timeout=30) == 1
    assert report["not_derived"] == {"pending_entries": 1, "set_aside_entries": 0}
    assert report["summary"]["people"] == 0
    assert waited >= 1.0  # it answered before the step ended (released only now), however loaded


def test_the_report_command_waits_for_a_step_of_another_process_however_long(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The 06:00 report (another process than serve) derives all before it counts: behind
    serve's step, longer than PostgreSQL's lock timeout (as one isolating failing entries
    for ISOLATE_SECONDS is), it waits, then counts the person. It failed at the lock
    timeout ('database unavailable'): no report that day, and no purge after it."""
    reached, release = hold_steps_at_stays(monkeypatch)
    url = database_url("postgresql", tmp_path)
    with open_storage(url) as serve, open_storage(url, busy_timeout=1.0) as command, \
            concurrent.futures.ThreadPoolExecutor(2) as pool:
        upload(serve, 1)
        held = pool.submit(derivation.catch_up, serve)
        assert reached.wait(30), "the step never reached its stays"
        threading.Timer(2.5, release.set).start()
        report = reports.daily(command, command.calendar.day_of(SCANNED), now=NOW, wait=None)
        assert held.result(timeout=30) == 1
    assert report["not_derived"] == {"pending_entries": 0, "set_aside_entries": 0}
    assert report["summary"]["people"] == 1


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
    monkeypatch.setattr(derivation, "YIELD_SECONDS", 600)  # young, however slow uploads are
    with open_storage(database_url(engine, tmp_path)) as storage:
        background = derivation.Background(storage)  # looked at, not started
        assert not background.giving_way()  # nothing queued
        upload(storage, 1)
        assert background.giving_way()  # the queue grew since the last look: a burst
        upload(storage, 2)
        assert background.giving_way()
        assert not background.giving_way()  # nothing new since: uploads paused
        upload(storage, 3)
        time.sleep(0.2)
        monkeypatch.setattr(derivation, "YIELD_SECONDS", 0.1)  # the 0.2 s were enough
        assert not background.giving_way()  # still growing, but its oldest waited enough
        assert derivation.step(storage, wait=False) == 3
        upload(storage, 4)
        assert background.giving_way()  # a new burst, its oldest batch young again
        day = storage.calendar.day_of(SCANNED)
        assert reports.daily(storage, day)["summary"]["people"] == 4  # the reader derived
        assert not background.giving_way()


@pytest.mark.parametrize("engine", ENGINES)
def test_serve_gives_way_to_a_resend_answered_duplicate_as_to_new_entries(
        engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A kiosk that lost its acknowledgements sends its backlog again: every entry is
    answered ``duplicate`` and nothing is queued, yet these are uploads arriving, and the
    steps give way to them as to new entries. They did not: steps took the SQLite centre's
    one writer between the resend's batches (100,000 held entries resent after a push were
    answered 5x slower, docs/benchmarks.md)."""
    monkeypatch.setattr(derivation, "YIELD_SECONDS", 600)  # young, however slow uploads are
    entries = [wire_entry(payload_identity(1, "cccd"), checkpoint="CP-A", kiosk="k1",
                          direction="in", scanned_at=SCANNED)]

    def send() -> list[str]:
        return [r["status"] for r in storage.ingest_batch(
            "k1", entries, sent_at=protocol.format_time(NOW), received_at=NOW,
            batch_id=uuid7())]

    with open_storage(database_url(engine, tmp_path)) as storage:
        background = derivation.Background(storage)  # looked at, not started
        assert send() == [protocol.ACCEPTED]
        assert background.giving_way()
        assert not background.giving_way()  # nothing new since: uploads paused
        assert send() == [protocol.DUPLICATE]  # the acknowledgement was lost: sent again
        assert background.giving_way()  # a batch arrived, though the queue did not grow
        assert not background.giving_way()
        assert derivation.step(storage, wait=False) == 1  # the entry, derived once
        assert send() == [protocol.DUPLICATE]
        assert not background.giving_way()  # nothing waits: nothing to give way with


@pytest.mark.parametrize("engine", ENGINES)
def test_serve_gives_way_to_uploads_only_while_few_entries_wait(
        engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The deferral is bounded by what waits as well as by its age: once more than
    YIELD_ENTRIES entries are queued, steps run beside the uploads (a report, a purge or an
    erasure derives everything first: what it waits for stays bounded), and give way again
    when the queue is back under it."""
    monkeypatch.setattr(derivation, "YIELD_ENTRIES", 2)
    with open_storage(database_url(engine, tmp_path)) as storage:
        background = derivation.Background(storage)  # looked at, not started
        upload(storage, 1)
        assert background.giving_way()  # a young burst of one entry
        upload(storage, 2)
        assert background.giving_way()  # two wait: not more than the bound
        upload(storage, 3)
        assert not background.giving_way()  # still growing, but three wait
        assert derivation.step(storage, wait=False) == 3
        upload(storage, 4)
        assert background.giving_way()  # one waits again


def refuse_stays_where(storage: Any, tx: Any, name: str, condition: str, message: str, *,
                       errcode: str = "check_violation", events: tuple[str, ...] = ("INSERT",)
                       ) -> None:
    """In ``tx``, triggers ``name`` refusing with ``message`` every stay written (on
    ``events``) where ``condition`` (on ``NEW``) holds: a constraint every step deriving such
    a stay meets (on PostgreSQL with SQLSTATE ``errcode``)."""
    if storage.postgresql:
        storage._execute(tx, f"""
            CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN
                IF {condition} THEN RAISE EXCEPTION '{message}' USING ERRCODE = '{errcode}';
                END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql""")
        storage._execute(tx, f"CREATE TRIGGER {name} BEFORE {' OR '.join(events)} ON stays "
                             f"FOR EACH ROW EXECUTE FUNCTION {name}()")
    else:
        for event in events:
            storage._execute(tx, f"CREATE TRIGGER {name}_{event} BEFORE {event} ON stays "
                                 f"WHEN {condition} BEGIN SELECT RAISE(ABORT, '{message}'); END")


def refuse_stays_of(storage: Any, entry_id: str, errcode: str = "check_violation") -> None:
    """A trigger refusing the stay that begins with ``entry_id``: a constraint every step
    deriving that entry meets (on PostgreSQL with SQLSTATE ``errcode``)."""
    with storage._transaction() as tx:
        refuse_stays_where(storage, tx, "refuse_stay", f"NEW.first_id = '{entry_id}'",
                           "stay refused", errcode=errcode)


def mend(storage: Any) -> None:
    with storage._transaction() as tx:
        storage._execute(tx, "DROP TRIGGER refuse_stay ON stays" if storage.postgresql
                         else "DROP TRIGGER refuse_stay_INSERT")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_report_counts_its_own_days_entries_set_aside_and_a_retry_makes_its_files_again(
        engine: str, tmp_path: Path) -> None:
    """Deriving person 2's scan (day A) and person 3's (day B, the day before) fails: each
    day's report says one entry of its own is set aside — not the two of every day, which
    made every day's report look short — and a day with none says none; the month's
    counts those of its days. The 06:00 files of A (all formats), of B (JSON only) and of
    the month are written so. A retry before the cause is mended names the days whose
    reports to make again. Mended, ``derivation --retry --out-dir`` makes those files
    again in the formats they were written in, counting the retried people (they stayed
    short until someone remembered to rerun the report; the month's first file kept
    under a name saying when it was made), and writes no file for a day that had
    none."""
    url = database_url(engine, tmp_path)
    out = tmp_path / "reports"
    with open_storage(url) as storage:
        calendar = storage.calendar
        day_a = calendar.day_of(NOW) - dt.timedelta(days=2)
        day_b, day_c = day_a - dt.timedelta(days=1), day_a + dt.timedelta(days=1)
        ids = []
        for person, day in ((1, day_a), (2, day_a), (3, day_b)):
            noon = calendar.start(day) + dt.timedelta(hours=12)
            ids += [r["id"] for r in storage.ingest_batch(
                "k1", [wire_entry(payload_identity(person, "cccd"), checkpoint="CP-A",
                                  kiosk="k1", direction="in", scanned_at=noon)],
                sent_at=protocol.format_time(NOW), received_at=NOW, batch_id=uuid7())]
        with storage._transaction() as tx:
            refuse_stays_where(storage, tx, "refuse_stay",
                               f"NEW.first_id IN ('{ids[1]}', '{ids[2]}')", "stay refused")

        def not_derived(day: dt.date) -> tuple[int, int]:
            report = reports.daily(storage, day, now=NOW, wait=None)
            return report["summary"]["people"], report["not_derived"]["set_aside_entries"]

        assert [not_derived(d) for d in (day_a, day_b, day_c)] == [(1, 1), (0, 1), (0, 0)]
        month = f"{day_a:%Y-%m}"
        assert reports.monthly(storage, month, now=NOW)["not_derived"][
            "set_aside_entries"] == 1 + (f"{day_b:%Y-%m}" == month)
    central("report", "daily", "--date", day_a.isoformat(), "--out-dir", str(out), "--db", url)
    central("report", "daily", "--date", day_b.isoformat(), "--out-dir", str(out),
            "--format", "json", "--db", url)
    central("report", "monthly", "--month", month, "--out-dir", str(out), "--format", "json",
            "--db", url)
    written = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}

    def filed(name: str) -> tuple[int, int]:
        report = json.loads((out / name).read_text(encoding="utf-8"))
        people_counted = (report["summary"]["people"] if report["report"] == "daily" else
                          sum(row["people"] for row in report["by_day"]))
        return people_counted, report["not_derived"]["set_aside_entries"]

    assert filed(f"bao-cao-ngay-{day_a}.json") == (1, 1)
    assert filed(f"bao-cao-ngay-{day_b}.json") == (0, 1)
    said = report_formats.NOT_DERIVED["set_aside_entries"]  # provisional, and how to remake
    assert f"{said},1" in (out / f"bao-cao-ngay-{day_a}.csv").read_text(encoding="utf-8-sig")
    assert "--retry --out-dir" in said
    unmended = central("derivation", "--retry", "--db", url, check=False)
    assert unmended.returncode == 1
    assert f"{day_b}, {day_a}" in unmended.stderr and "--out-dir" in unmended.stderr
    with open_storage(url) as storage:
        mend(storage)
    retried = central("derivation", "--retry", "--out-dir", str(out), "--json", "--db", url)
    answer = json.loads(retried.stdout)
    assert answer["set_aside_entries"] == 0 and answer["retried_days"] == [
        day_b.isoformat(), day_a.isoformat()]
    month_kept = [p for p in out.iterdir() if "-lap-luc-" in p.name]  # the first, as made
    assert [p.name[:len(f"bao-cao-thang-{month}-")] for p in month_kept] == [
        f"bao-cao-thang-{month}-"]
    assert sorted(Path(p).name for p in answer["reports_rewritten"]) == sorted(
        [*written, month_kept[0].name])
    assert sorted(p.name for p in out.iterdir()) == sorted(  # no file for a new day
        [*written, month_kept[0].name])
    assert all((out / name).stat().st_mtime_ns > at for name, at in written.items())
    assert filed(f"bao-cao-ngay-{day_a}.json") == (2, 0)
    assert filed(f"bao-cao-ngay-{day_b}.json") == (1, 0)
    assert filed(f"bao-cao-thang-{month}.json") == (2 + (f"{day_b:%Y-%m}" == month), 0)
    assert said not in (out / f"bao-cao-ngay-{day_a}.csv").read_text(encoding="utf-8-sig")


def one_in_sixteen_failing_slowly(storage: Any, monkeypatch: pytest.MonkeyPatch,
                                  seconds: float) -> list[int]:
    """Sixteen people's scans acknowledged; deriving the sixth fails every time and each
    try takes ``seconds``: isolating it takes nine tries, all of them however loaded the
    machine (ISOLATE_SECONDS lifted). The entries of each try, as they are made."""
    tries: list[int] = []
    keep = derivation.derive

    def slow_derive(storage: Any, tx: Any, rows: Any) -> None:
        tries.append(len(rows))
        time.sleep(seconds)
        keep(storage, tx, rows)

    ids = [upload(storage, person)[0]["id"] for person in range(1, 17)]
    refuse_stays_of(storage, ids[5])
    monkeypatch.setattr(derivation, "derive", slow_derive)
    monkeypatch.setattr(derivation, "ISOLATE_SECONDS", 600.0)
    return tries


def test_a_dashboard_reader_out_of_time_leaves_a_failing_step_whole_to_one_with_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Deriving one of 16 entries fails every time, and each try takes a while (0.3 s
    here): isolating it takes nine tries. A dashboard reader (here given 0.5 s) used to
    spend up to ISOLATE_SECONDS on them before it answered. It now stops trying once its
    time is up, leaves the step queued whole (cutting the isolation short would set good
    entries aside with the failing one) and answers that 16 entries are not counted yet;
    a reader with time (serve's background, the report command, a purge) isolates it."""
    with open_storage(database_url("sqlite", tmp_path)) as storage:
        tries = one_in_sixteen_failing_slowly(storage, monkeypatch, 0.3)
        day = storage.calendar.day_of(SCANNED)
        page = reports.daily(storage, day, now=NOW, wait=0.5)
        assert page["not_derived"] == {"pending_entries": 16, "set_aside_entries": 0}
        assert page["summary"]["people"] == 0
        assert 1 <= len(tries) <= 3  # the whole step, perhaps a half or two: then out of time
        tried = len(tries)
        assert derivation.catch_up(storage) == 16  # no deadline: isolated
        assert len(tries) - tried == 9  # the whole, then two halves a level down to one
        assert derivation.backlog(storage) == derivation.Backlog(pending=0, set_aside=1)
        assert reports.daily(storage, day, now=NOW)["summary"]["people"] == 15


def test_a_retry_into_a_folder_that_is_not_there_retries_nothing_and_says_so(
        tmp_path: Path) -> None:
    """``derivation --retry --out-dir`` with a mistyped folder retried the entries set
    aside, found no report file to make again and said nothing: the days whose reports
    stay short were named nowhere, and nothing was left set aside to name them on a second
    run. The folder is checked first: a usage error naming it, nothing retried."""
    url = database_url("sqlite", tmp_path)
    with open_storage(url) as storage:
        entry_id = upload(storage, 1)[0]["id"]
        refuse_stays_of(storage, entry_id)
        derivation.catch_up(storage)
        mend(storage)
        assert derivation.backlog(storage).set_aside == 1
    missing = tmp_path / "reprots"
    answer = central("derivation", "--retry", "--out-dir", str(missing), "--db", url,
                     check=False)
    assert answer.returncode == 2
    assert str(missing) in answer.stderr and "--out-dir" in answer.stderr
    assert not missing.exists()
    with open_storage(url) as storage:
        assert derivation.backlog(storage).set_aside == 1  # still there to retry


def test_serve_isolates_a_failing_step_while_dashboard_readers_keep_running_out_of_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader out of time leaves a failing step queued whole for serve's background. The
    background asked for its turn without waiting: with readers one after another (pages,
    API clients), each holding the turn for its few seconds and giving the step back rolled
    back, the turn was never free when it looked, nothing isolated the step, and every
    reader after it answered "not counted yet" for ever. It now waits for its turn (a
    second at most, holding no connection) and isolates the step beside the readers."""
    with open_storage(database_url("sqlite", tmp_path)) as storage:
        one_in_sixteen_failing_slowly(storage, monkeypatch, 0.1)
        stopping = threading.Event()

        def reader() -> None:
            while not stopping.is_set():
                derivation.for_reader(storage, 0.25)

        readers = [threading.Thread(target=reader) for _ in range(2)]
        for thread in readers:
            thread.start()
        background = derivation.Background(storage)
        background.start()
        try:
            deadline = time.monotonic() + 30
            while derivation.backlog(storage).set_aside == 0 and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            stopping.set()
            for thread in readers:
                thread.join()
            background.stop()
        assert derivation.backlog(storage) == derivation.Backlog(pending=0, set_aside=1)


def test_serve_logs_busy_storage_in_one_line_and_a_real_error_with_its_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
        ) -> None:
    """Busy storage is expected in serve's background steps: one line while it lasts, no
    traceback. Anything else (a bug, a damaged file) is not, and keeps its traceback."""
    busy = OSError("database is locked")
    errors = iter([StorageBusy("storage.busy", detail=busy),
                   StorageBusy("storage.busy", detail=busy), RuntimeError("a bug in a step")])

    def failing_step(storage: Any, *args: Any, **kwargs: Any) -> int | None:
        error = next(errors, None)
        if error is None:
            background.stopping.set()
            return None
        raise error

    monkeypatch.setattr(derivation, "step", failing_step)
    monkeypatch.setattr(derivation, "BACKGROUND_SECONDS", 0.01)
    with open_storage(database_url("sqlite", tmp_path)) as storage:
        background = derivation.Background(storage)
        monkeypatch.setattr(background, "giving_way", lambda: False)
        with caplog.at_level("WARNING", logger="kiosk.central"):
            background.start()
            background.join(10)
    records = [r for r in caplog.records if r.name == "kiosk.central"]
    assert [(r.levelname, r.exc_info is not None) for r in records] == [
        ("WARNING", False), ("ERROR", True), ("WARNING", False)]
    assert "storage busy" in records[0].getMessage()
    assert "database is locked" in records[0].getMessage()
    assert records[1].exc_info[1].args == ("a bug in a step",)
    assert "going on again" in records[2].getMessage()  # a step ran without error


def stays_kept(storage: Any) -> list[tuple[Any, ...]]:
    return sorted(storage._query(f"SELECT {', '.join(stays.COLUMNS)} FROM stays"), key=repr)


@pytest.mark.parametrize("engine", ENGINES)
def test_entries_a_step_cannot_derive_are_set_aside_and_every_reader_says_so(
        engine: str, tmp_path: Path) -> None:
    """Ten people's scans are acknowledged; deriving two of them fails every time (a
    constraint refuses one's stay, the other's row is damaged: its scan time unreadable).
    Every reader derives first, so such a step used to fail every report, trace and purge.
    Now the step derives the eight others and sets the two aside with their errors; the
    report counts 8 people and says 2 entries are not counted (JSON, CSV, the CLI's
    stderr), a trace says so too, the purge runs; `kiosk-central derivation` lists them
    and exits 1. Mended, a retry derives them: 10 people, nothing left, the stays those a
    rebuild from every entry makes."""
    url = database_url(engine, tmp_path)
    with open_storage(url) as storage:
        ids = [upload(storage, person)[0]["id"] for person in range(1, 11)]
        refuse_stays_of(storage, ids[2])
        with storage._transaction() as tx:
            storage._execute(tx, "UPDATE entries SET scanned_at = 'in the morning' "
                                 "WHERE id = $1", (ids[6],))
        day = storage.calendar.day_of(SCANNED)
        report = reports.daily(storage, day, now=NOW, wait=None)  # as the report command
        assert report["summary"]["people"] == 8
        assert report["not_derived"] == {"pending_entries": 0, "set_aside_entries": 2}
        parts = derivation.set_aside(storage)
        assert [(p["kiosk_id"], p["entries"], p["first_entry"]) for p in parts] == [
            ("k1", 1, ids[2]), ("k1", 1, ids[6])]
        assert "stay refused" in parts[0]["error"]
        assert parts[1]["error"].startswith("ValueError: Invalid isoformat string: '…'")
        assert "morning" not in parts[1]["error"]  # a row's text: kept in the log only
        traced = trace_service.run(storage, trace_service.Request(document=number(1)),
                                   actor="bs.lan", reason="F0-1", channel="cli", address=None)
        assert traced["not_derived"] == {"pending_entries": 0, "set_aside_entries": 2}
        assert trace_formats.NOT_DERIVED["set_aside_entries"] in trace_formats.render(
            traced, "csv").decode("utf-8-sig")
        assert storage.purge_entries(day - dt.timedelta(days=60)) == 0  # answers, keeps all
        assert derivation.backlog(storage) == derivation.Backlog(pending=0, set_aside=2)
    csv = report_formats.render(report, "csv").decode("utf-8-sig")
    assert f"{report_formats.NOT_DERIVED['set_aside_entries']},2" in csv
    cli = central("report", "daily", "--db", url, "--date", day.isoformat())
    assert json.loads(cli.stdout)["summary"]["people"] == 8
    assert "2 set aside after an error" in cli.stderr
    listed = central("derivation", "--db", url, check=False)
    assert listed.returncode == 1 and ids[2] in listed.stdout and ids[6] in listed.stdout
    with open_storage(url) as storage:
        mend(storage)
        with storage._transaction() as tx:
            storage._execute(tx, "UPDATE entries SET scanned_at = $1 WHERE id = $2",
                             (protocol.format_time(SCANNED), ids[6]))
    retried = central("derivation", "--db", url, "--retry", "--json")
    assert json.loads(retried.stdout) == {"pending_entries": 0, "set_aside_entries": 0,
                                          "set_aside": [], "retried_days": [day.isoformat()],
                                          "reports_rewritten": []}
    with open_storage(url) as storage:
        report = reports.daily(storage, day, now=NOW)
        assert report["summary"]["people"] == 10
        assert report["not_derived"] == {"pending_entries": 0, "set_aside_entries": 0}
        derived = stays_kept(storage)
        with storage._transaction() as tx:
            stays.rebuild_all(storage, tx)
        assert stays_kept(storage) == derived


@pytest.mark.parametrize("engine", ENGINES)
def test_one_kiosks_failing_entries_never_set_aside_another_kiosks(
        engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Kiosk k2 sends entries whose derivation fails among kiosk k1's, all in one step, and
    so many of them that the step's time to isolate them runs out (here at once): the parts
    still failing then are set aside whole. They held k1's entries too, missing from every
    trace until an operator retried, and a retry met k2's entries again. Each kiosk's
    entries are now tried apart first: k1's are derived, only k2's are set aside."""
    monkeypatch.setattr(derivation, "ISOLATE_SECONDS", 0.0)
    with open_storage(database_url(engine, tmp_path)) as storage:
        for person in (1, 2):
            upload(storage, person)
        hostile = wire_entry(payload_identity(3, "cccd"), checkpoint="CP-A", kiosk="k2",
                             direction="in", scanned_at=SCANNED)
        storage.ingest_batch("k2", [hostile], sent_at=protocol.format_time(NOW),
                             received_at=NOW, batch_id=uuid7())
        upload(storage, 4)
        refuse_stays_of(storage, hostile["id"])
        report = reports.daily(storage, storage.calendar.day_of(SCANNED), now=NOW, wait=None)
        assert report["not_derived"] == {"pending_entries": 0, "set_aside_entries": 1}
        assert report["summary"]["people"] == 3
        assert [(p["kiosk_id"], p["first_entry"]) for p in derivation.set_aside(storage)] == [
            ("k2", hostile["id"])]


@pytest.mark.parametrize("engine", ENGINES)
def test_the_log_of_a_part_set_aside_names_nobody(
        engine: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """PostgreSQL's error for a refused stay quotes the row its COPY was writing, whose
    person key holds the name (``m:…|PHAM THI DUNG|1963``); the log line of the part set
    aside carried it whole into the server's journal, which its readers may not be allowed
    to see and which outlives the entry's erasure. Its error line (shown by default) says
    why in the catalogue's words, both languages; the error as the part keeps it follows on
    a debug line (``serve --log-level debug``)."""
    with open_storage(database_url(engine, tmp_path)) as storage:
        entry = upload(storage, 3)[0]["id"]
        refuse_stays_of(storage, entry)
        with caplog.at_level("DEBUG", logger="kiosk.central"):
            derivation.catch_up(storage)
        [part] = derivation.set_aside(storage)
        [name, person] = storage._query("SELECT name, match_key FROM entries")[0]
    [error] = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert entry in error and " bị để riêng " in error and " set aside " in error, error
    assert part["error"] not in error  # the database's English: on the debug line only
    assert any(r.levelname == "DEBUG" and part["error"] in r.getMessage()
               for r in caplog.records)
    assert name.split()[-1] not in caplog.text and person not in caplog.text
    assert "DUNG" not in caplog.text.upper()


@pytest.mark.parametrize("engine", ENGINES)
def test_a_kiosk_whose_entries_fail_pays_for_finding_them(
        engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Derivation is charged to the kiosks' processor shares. Kiosk k2's one entry fails
    after a third of a second of work each time it is tried, in a step with nine of k1's:
    the step tries them all, then each kiosk's apart. The tries that failed are k2's to
    pay, the work that derived k1's is k1's. (Shared by entries, k1 paid nine tenths of
    k2's failures: a kiosk sending entries that fail had the others held back for it.)"""
    keep = stays.keep
    hostile = wire_entry(payload_identity(10, "cccd"), checkpoint="CP-A", kiosk="k2",
                         direction="in", scanned_at=SCANNED)

    def failing_keep(storage: Any, tx: Any, rows: Any) -> None:
        rows = list(rows)
        if any(row[2] == hostile["id"] for row in rows):  # SCAN: match key, checkpoint, id
            until = time.thread_time() + 0.3
            while time.thread_time() < until:
                pass
            raise ValueError("a bug this entry meets")
        keep(storage, tx, rows)

    monkeypatch.setattr(stays, "keep", failing_keep)
    charged: Counter[str] = Counter()
    with open_storage(database_url(engine, tmp_path)) as storage:
        for person in range(1, 10):
            upload(storage, person)
        storage.ingest_batch("k2", [hostile], sent_at=protocol.format_time(NOW),
                             received_at=NOW, batch_id=uuid7())
        derivation.charge_to(storage, lambda kiosk, seconds: charged.update({kiosk: seconds}))
        assert derivation.catch_up(storage) == 10
        assert derivation.backlog(storage) == derivation.Backlog(pending=0, set_aside=1)
    assert charged["k2"] >= 0.6  # two tries: the whole step, then its own entry
    assert charged["k1"] < 0.3


def test_keys_too_large_for_an_index_of_a_derived_table_are_set_aside(tmp_path: Path) -> None:
    """An entry stored before keys were bounded (MAX_KEY_CHARS) holds a document key and a
    match key of 1,400 characters each: they fit the entries' indexes one by one, but not
    together in a document match's key: PostgreSQL refuses that index row every time
    (SQLSTATE 54000, an OperationalError like a lost connection). Taken for busy storage,
    the step was retried by every reader, each answered 503, and the purge never ran; now
    the entry is set aside and the person scanned before it is counted."""
    letters = random.Random(1).choices("abcdefghijklmnopqrstuvwxyz0123456789", k=2800)
    with open_storage(database_url("postgresql", tmp_path), busy_timeout=2.0) as storage:
        upload(storage, 1)
        entry = wire_entry(payload_identity(2, "manual_doc"), checkpoint="CP-A", kiosk="k2",
                           direction="in", scanned_at=SCANNED)
        assert storage.ingest_batch("k2", [entry], sent_at=protocol.format_time(NOW),
                                    received_at=NOW, batch_id=uuid7())[0]["status"] == "accepted"
        with storage._transaction() as tx:  # as an older centre stored it
            storage._execute(tx, "UPDATE entries SET subject_key = $1, match_key = $2 "
                                 "WHERE id = $3", ("doc:" + "".join(letters[:1400]),
                                                   "".join(letters[1400:]), entry["id"]))
        report = reports.daily(storage, storage.calendar.day_of(SCANNED), now=NOW, wait=None)
        assert report["not_derived"] == {"pending_entries": 0, "set_aside_entries": 1}
        assert report["summary"]["people"] == 1
        [part] = derivation.set_aside(storage)
        assert part["kiosk_id"] == "k2" and "exceeds btree" in part["error"]


@pytest.mark.parametrize("engine", ENGINES)
def test_keys_of_the_longest_text_the_wire_allows_are_refused_alone_and_the_queue_moves(
        engine: str, tmp_path: Path) -> None:
    """A kiosk sends, among two good entries, one whose subject key has 4,096 characters
    (the protocol's longest text) and one whose match key has: PostgreSQL refused such a
    key's index row at ingest every time, the whole batch answered 503 and that kiosk's
    queue never moved. Now, on both engines alike, each such entry is refused alone naming
    its field and the limit (the kiosk shows it and keeps the entry), the others are
    stored and counted, and a key of MAX_KEY_CHARS in multi-byte letters (the largest
    index row a key makes) is stored and derived."""
    longest = "doc:" + "9" * (protocol.MAX_TEXT_CHARS - 4)
    widest = "m:" + "Ữ" * (protocol.MAX_KEY_CHARS - 2)  # 3 bytes a letter in UTF-8
    entries = [wire_entry(payload_identity(person, "cccd"), checkpoint="CP-A", kiosk="k1",
                          direction="in", scanned_at=SCANNED) for person in range(1, 6)]
    entries[1]["subject_key"] = longest
    entries[2]["match_key"] = "m:" + "Ữ" * (protocol.MAX_TEXT_CHARS - 2)
    entries[3].update(subject_key="doc:" + "Ữ" * (protocol.MAX_KEY_CHARS - 4),
                      match_key=widest)
    with open_storage(database_url(engine, tmp_path), busy_timeout=2.0) as storage:
        results = storage.ingest_batch("k1", entries, sent_at=protocol.format_time(NOW),
                                       received_at=NOW, batch_id=uuid7())
        assert [r["status"] for r in results] == [
            "accepted", "rejected", "rejected", "accepted", "accepted"]
        limit = f"longer than {protocol.MAX_KEY_CHARS} characters"
        assert results[1]["reason"].startswith("subject_key: ") and limit in results[1]["reason"]
        assert results[2]["reason"].startswith("match_key: ") and limit in results[2]["reason"]
        report = reports.daily(storage, storage.calendar.day_of(SCANNED), now=NOW)
        assert report["not_derived"] == {"pending_entries": 0, "set_aside_entries": 0}
        assert report["summary"]["people"] == 3
        assert len(storage._query("SELECT 1 FROM document_matches WHERE match_key = $1",
                                  (widest,))) == 1


@pytest.mark.parametrize("engine", ENGINES)
def test_a_part_set_aside_keeps_no_text_of_its_row_whatever_its_quotes(
        engine: str, tmp_path: Path) -> None:
    """A damaged row's scan time holds a name with an apostrophe: Python quotes such a text
    with double quotes in the error, which the part set aside kept whole (the name would
    outlive the entry's erasure there). Any quoted value is replaced, the kind stays."""
    with open_storage(database_url(engine, tmp_path)) as storage:
        entry = upload(storage, 1)[0]["id"]
        with storage._transaction() as tx:
            storage._execute(tx, "UPDATE entries SET scanned_at = $1 WHERE id = $2",
                             ("Lê Thị O'Hara", entry))
        derivation.catch_up(storage)
        [part] = derivation.set_aside(storage)
        assert part["error"] == 'ValueError: Invalid isoformat string: "…"'


def test_busy_storage_is_not_taken_for_entries_that_cannot_be_derived(tmp_path: Path) -> None:
    """A step failing because storage is busy (here a lock not available, as a lock timeout
    raises it) is left queued whole, to be tried again: nothing is set aside, the reader is
    answered 503-style (StorageBusy), and the next step once the lock is free derives it."""
    with open_storage(database_url("postgresql", tmp_path)) as storage:
        ids = [upload(storage, person)[0]["id"] for person in range(1, 4)]
        refuse_stays_of(storage, ids[1], errcode="lock_not_available")
        with pytest.raises(StorageBusy):
            derivation.catch_up(storage)
        assert derivation.backlog(storage) == derivation.Backlog(pending=3, set_aside=0)
        mend(storage)
        assert derivation.catch_up(storage) == 3
        assert derivation.backlog(storage) == derivation.Backlog(pending=0, set_aside=0)


@pytest.mark.parametrize("way", ["erasure", "purge"])
@pytest.mark.parametrize("engine", ENGINES)
def test_a_day_frozen_with_a_part_set_aside_counts_its_people(
        engine: str, way: str, tmp_path: Path) -> None:
    """Two people scanned 40 days ago; deriving one of them failed and was set aside. The
    erasure of identities (or the purge of entries) past retention reaches that day first
    and freezes its count: a frozen day takes no pair, so a retry after could never count
    that person, and once retried (or its entry purged) nothing would say the day is one
    short. The freeze counts the people of the entries set aside on the days it freezes
    first: the day counts both, for good; retried after, the erased or purged entry derives
    nothing more, no pair of an 'erased' subject is added, nothing is left set aside."""
    old = (NOW - dt.timedelta(days=40)).replace(hour=5, minute=0, second=0)  # noon UTC+7
    cutoff = NOW.date() - dt.timedelta(days=30)
    with open_storage(database_url(engine, tmp_path)) as storage:
        ids = []
        for person in (1, 2):
            entries = [wire_entry(payload_identity(person, "cccd"), checkpoint="CP-A",
                                  kiosk="k1", direction="in", scanned_at=old)]
            ids += [r["id"] for r in storage.ingest_batch(
                "k1", entries, sent_at=None, received_at=old + dt.timedelta(hours=1),
                batch_id=uuid7())]
        refuse_stays_of(storage, ids[1])
        assert derivation.catch_up(storage) == 2
        assert derivation.backlog(storage) == derivation.Backlog(pending=0, set_aside=1)
        if way == "erasure":
            assert erasure.erase_personal(storage, cutoff) == 2
        else:
            assert storage.purge_entries(cutoff) > 0
            assert storage._query("SELECT count(*) FROM entries") == [(0,)]
        day = storage.calendar.day_of(old).isoformat()
        assert people.per_day(storage, day, day) == {day: 2}
        mend(storage)
        assert derivation.retry(storage) == derivation.Backlog(pending=0, set_aside=0)
        assert people.per_day(storage, day, day) == {day: 2}
        assert storage._query("SELECT count(*) FROM day_subjects WHERE subject_key = $1",
                              (people.ERASED,)) == [(0,)]


def test_the_report_command_says_what_it_derives_first_and_waits_for_all(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``kiosk-central report`` writes the files the province reads: it waits until every
    entry acknowledged is derived, however long (a dashboard reader stops after
    READER_SECONDS: here none, so one step), and says on stderr how many it derives first;
    nothing, once none wait."""
    url = database_url("sqlite", tmp_path)
    with open_storage(url) as storage:
        for person in range(1, 4):
            upload(storage, person)
        day = storage.calendar.day_of(SCANNED).isoformat()
        monkeypatch.setattr(derivation, "STEP_ENTRIES", 1)  # a batch a step
        assert reports.daily(storage, dt.date.fromisoformat(day), now=NOW, wait=0.0)[
            "not_derived"] == {"pending_entries": 2, "set_aside_entries": 0}  # one step
    first = central("report", "daily", "--db", url, "--date", day)
    assert "Processing 2 entries not derived yet first" in first.stderr
    assert json.loads(first.stdout)["summary"]["people"] == 3
    assert json.loads(first.stdout)["not_derived"]["pending_entries"] == 0
    assert central("report", "daily", "--db", url, "--date", day).stderr == ""


def poison_stays(storage: Any) -> None:
    """A table of entry ids whose stays every step refuses (a constraint met mid-step,
    after the step wrote its document matches), until the ids are taken out of it."""
    with storage._transaction() as tx:
        storage._execute(tx, "CREATE TABLE poison (id TEXT PRIMARY KEY)")
        refused = ("NEW.first_id IN (SELECT id FROM poison) OR NEW.last_id IN "
                   "(SELECT id FROM poison) OR NEW.oldest_id IN (SELECT id FROM poison)")
        refuse_stays_where(storage, tx, "poisoned", refused, "poisoned",
                           events=("INSERT", "UPDATE"))


def poison(storage: Any, entry_id: str) -> None:
    """Make every step deriving ``entry_id`` fail (see :func:`poison_stays`)."""
    with storage._transaction() as tx:
        storage._execute(tx, "INSERT INTO poison (id) VALUES ($1) ON CONFLICT DO NOTHING",
                         (entry_id,))


def derived_tables(storage: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every table derived from the entries, in a comparable order. Of a typed number
    counted as a person of its own, that it is (not where: the checkpoint of its first
    entry derived, which only the order of arrival says; a day's sum is what counts)."""
    return {table: sorted((tuple(r) for r in storage._query(f"SELECT {columns} FROM {table}")),
                          key=repr)
            for table, columns in (("stays", ", ".join(stays.COLUMNS)), (stays.TAILS, "*"),
                                   ("identities", "*"), ("document_matches", "*"),
                                   ("day_subjects", "day, subject_key, "
                                                    "lone_checkpoint IS NOT NULL"))}


@pytest.mark.parametrize("seed", range(SEEDS))
@pytest.mark.parametrize("engine", ENGINES)
def test_random_failures_and_retries_derive_what_a_rebuild_derives(
        engine: str, seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of eight people's scans over two days from three kiosks arrive in any order;
    some entries fail every step that derives them (their stays refused) until mended;
    readers step,
    parts are set aside and retried, some while still failing. Once every cause is mended
    and the parts retried, every derived table is exactly what a rebuild from the entries
    makes, and each day counts its distinct people once: nothing was derived twice,
    nothing left out."""
    rng = random.Random(seed)
    monkeypatch.setattr(derivation, "STEP_ENTRIES", 5)  # steps split and join batches
    base = (NOW - dt.timedelta(days=3)).replace(hour=5, minute=0, second=0)  # noon UTC+7
    with open_storage(database_url(engine, tmp_path)) as storage:
        poison_stays(storage)
        for _ in range(40):
            action = rng.random()
            if action < 0.55:
                kiosk = rng.choice(["k1", "k2", "k3"])
                entries = [wire_entry(
                    payload_identity(rng.randint(1, 8), rng.choice(
                        ["cccd", "cccd", "manual_doc", "pccovid"])),
                    checkpoint=rng.choice(["CP-A", "CP-B"]), kiosk=kiosk,
                    direction=rng.choice(["in", "out"]),
                    scanned_at=base + dt.timedelta(minutes=rng.randint(0, 2880)))
                    for _ in range(rng.randint(1, 4))]
                ids = [r["id"] for r in storage.ingest_batch(
                    kiosk, entries, sent_at=None, received_at=NOW, batch_id=uuid7())]
                if rng.random() < 0.3:
                    poison(storage, rng.choice(ids))
            elif action < 0.75:
                derivation.step(storage)
            elif action < 0.85:
                derivation.retry(storage)
            else:
                with storage._transaction() as tx:
                    storage._execute(tx, "DELETE FROM poison WHERE id IN (SELECT id FROM "
                                         "poison ORDER BY id LIMIT 1)")
        derivation.catch_up(storage)
        with storage._transaction() as tx:
            storage._execute(tx, "DELETE FROM poison")
        assert derivation.retry(storage) == derivation.Backlog(pending=0, set_aside=0)
        derived = derived_tables(storage)
        counted = storage._query("SELECT day, CAST(sum(people) AS BIGINT) FROM checkpoint_days "
                                 "GROUP BY day HAVING sum(people) > 0 ORDER BY day")
        with storage._transaction() as tx:
            stays.rebuild_all(storage, tx)
            document_matches.rebuild(storage, tx)
            people.recount(storage, tx)
        assert derived_tables(storage) == derived
        assert storage._query(
            "SELECT local_day, count(DISTINCT subject_key) FROM entries "
            "GROUP BY local_day ORDER BY local_day") == counted


@pytest.mark.parametrize("seed", range(SEEDS))
@pytest.mark.parametrize("engine", ENGINES)
def test_days_frozen_amid_failures_count_everyone_stored_when_they_froze(
        engine: str, seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As above, with the erasure of identities and the purge of entries of the first day
    run at any point: each day they freeze counts every person whose entry was stored when
    it froze, derived, queued or set aside; every other day counts the distinct people of
    its entries, once every cause is mended and the parts retried."""
    rng = random.Random(seed)
    monkeypatch.setattr(derivation, "STEP_ENTRIES", 5)
    base = (NOW - dt.timedelta(days=60)).replace(hour=5, minute=0, second=0)  # noon UTC+7
    cutoff = (base + dt.timedelta(days=1)).date()
    frozen: dict[str, int] = {}
    with open_storage(database_url(engine, tmp_path)) as storage:
        poison_stays(storage)
        for _ in range(40):
            action = rng.random()
            if action < 0.5:
                at = base + dt.timedelta(minutes=rng.randint(0, 2880))
                entries = [wire_entry(
                    payload_identity(rng.randint(1, 8), rng.choice(["cccd", "manual_doc"])),
                    checkpoint=rng.choice(["CP-A", "CP-B"]), kiosk="k1",
                    direction=rng.choice(["in", "out"]),
                    scanned_at=at + dt.timedelta(minutes=rng.randint(0, 30)))
                    for _ in range(rng.randint(1, 4))]
                ids = [r["id"] for r in storage.ingest_batch(
                    "k1", entries, sent_at=None, received_at=at + dt.timedelta(hours=1),
                    batch_id=uuid7()) if r["status"] == protocol.ACCEPTED]
                if ids and rng.random() < 0.4:
                    poison(storage, rng.choice(ids))
            elif action < 0.65:
                derivation.step(storage)
            elif action < 0.75:
                derivation.retry(storage)
            else:
                held: dict[str, set[str]] = {}
                for day, subject in storage._query(
                        "SELECT local_day, subject_key FROM entries WHERE subject_key <> $1",
                        (people.ERASED,)):
                    held.setdefault(day, set()).add(subject)
                if action < 0.85:
                    erasure.erase_personal(storage, cutoff)
                else:
                    storage.purge_entries(cutoff)
                for day, count in storage._query("SELECT day, people FROM day_people"):
                    frozen.setdefault(day, len(held.get(day, ())))
                    assert count == frozen[day], day
        with storage._transaction() as tx:
            storage._execute(tx, "DELETE FROM poison")
        assert derivation.retry(storage) == derivation.Backlog(pending=0, set_aside=0)
        expected = dict(storage._query(
            "SELECT local_day, count(DISTINCT subject_key) FROM entries WHERE subject_key <> $1 "
            "GROUP BY local_day", (people.ERASED,)))
        expected.update(frozen)
        first, last = base.date().isoformat(), NOW.date().isoformat()
        assert people.per_day(storage, first, last) == {
            day: n for day, n in expected.items() if n}


def test_a_step_out_of_time_to_split_sets_the_failing_part_aside_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Splitting a failing step costs two tries an entry when every entry fails (a bug),
    the derivation lock held throughout: after ISOLATE_SECONDS the parts still failing are
    set aside whole (here at once: all ten, one part), and a retry splits them again, down
    to the one that still fails."""
    monkeypatch.setattr(derivation, "ISOLATE_SECONDS", 0.0)
    with open_storage(database_url("sqlite", tmp_path)) as storage:
        ids = [upload(storage, person)[0]["id"] for person in range(1, 11)]
        refuse_stays_of(storage, ids[4])
        assert derivation.catch_up(storage) == 10
        assert [(p["entries"], p["first_entry"]) for p in derivation.set_aside(storage)] == [
            (10, ids[0])]
        monkeypatch.setattr(derivation, "ISOLATE_SECONDS", 10.0)
        assert derivation.retry(storage) == derivation.Backlog(pending=0, set_aside=1)
        assert [p["first_entry"] for p in derivation.set_aside(storage)] == [ids[4]]
        day = storage.calendar.day_of(SCANNED).isoformat()
        assert people.per_day(storage, day, day) == {day: 9}


def test_the_trace_command_derives_every_entry_before_it_traces(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """``kiosk-central trace`` answers a health officer who hands its file on: like the
    report command it waits until every entry acknowledged is derived, however long, and
    says so first. (It stopped after READER_SECONDS, as a dashboard page does: behind five
    batches of a second each it named two contacts of four, saying so on stderr only.)"""
    from kiosk.central import cli

    keep = stays.keep

    def slow_keep(storage: Any, tx: Any, rows: Any) -> None:
        time.sleep(1.0)  # a step over a backlog
        keep(storage, tx, rows)

    seen = NOW - dt.timedelta(days=2)
    url = database_url("sqlite", tmp_path)
    with open_storage(url) as storage:
        store_scans(storage, [Visit(person, "cccd", "CP-CHO", way, seen + dt.timedelta(
            minutes=minutes), kiosk=f"k{person}") for person in range(1, 6)
            for way, minutes in (("in", person), ("out", 60 + person))], {}, derive_every=0)
    monkeypatch.setattr(derivation, "STEP_ENTRIES", 2)  # a kiosk's batch a step
    monkeypatch.setattr(stays, "keep", slow_keep)
    assert cli.main(["trace", "--db", url, "--document", number(1), "--reason", "F0-7"]) == 0
    out, err = capsys.readouterr()
    answer = json.loads(out)
    assert len(answer["contacts"]) == 4
    assert answer["not_derived"] == {"pending_entries": 0, "set_aside_entries": 0}
    assert "Processing 10 entries not derived yet first" in err
