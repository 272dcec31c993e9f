"""PostgreSQL at province scale: entries partitioned by the day of their ids, partitions
made ahead and by ingest, a default partition for far-off clocks, retention by dropping
partitions, a v6 database migrated in place, and two `serve` processes on one database."""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from central_support import CentralServer, batch, central, enrol, shared_postgres
from report_support import GenKiosk, wire_entry

from kiosk.central import partitions, reports
from kiosk.central.backends import open_storage
from kiosk.central.schema import MIGRATIONS
from kiosk.central.storage import Storage
from kiosk.sync import protocol

TODAY = dt.datetime.now(dt.UTC).date()


@pytest.fixture
def pg_url() -> Iterator[str]:
    postgres = shared_postgres()
    if postgres is None:
        pytest.skip("PostgreSQL binaries not installed")
    yield postgres.create_database()


def _where(url: str) -> dict[str, int]:
    """Rows per partition."""
    with psycopg.connect(url) as conn:
        return dict(conn.execute("SELECT tableoid::regclass::text, count(*) FROM entries "
                                 "GROUP BY 1").fetchall())


def _store(storage: Storage, kiosk: GenKiosk, moments: list[dt.datetime]
           ) -> list[dict[str, Any]]:
    entries = [wire_entry(kiosk, kiosk.checkpoint_id, m, "in", False, i)
               for i, m in enumerate(moments)]
    _send(storage, kiosk, entries)
    return entries


def _send(storage: Storage, kiosk: GenKiosk, entries: list[dict[str, Any]]) -> None:
    storage.ingest_batch(kiosk.id, entries, sent_at=protocol.format_time(dt.datetime.now(
        dt.UTC)), received_at=dt.datetime.now(dt.UTC), batch_id=str(uuid.uuid4()))


def test_entries_go_to_their_days_partition_or_the_default(pg_url: str) -> None:
    kiosk = GenKiosk("k1", "CP", 0.0, dt.datetime(2026, 1, 1, tzinfo=dt.UTC), None)
    noon = dt.datetime.combine(TODAY, dt.time(12), dt.UTC)
    with open_storage(pg_url) as storage:
        storage.add_checkpoint("CP", "Chợ")
        storage.add_kiosk("k1", "CP", "k1", "hash")
        made_ahead = {partitions.name(TODAY + dt.timedelta(days=n)) for n in range(4)}
        assert made_ahead <= {partitions.name(d) for d in storage.partitions.known}
        sent = _store(storage, kiosk, [noon, noon - dt.timedelta(days=10),
                                dt.datetime(1970, 1, 2, tzinfo=dt.UTC),
                                dt.datetime(2099, 1, 1, tzinfo=dt.UTC)])
        assert _where(pg_url) == {partitions.name(TODAY): 1,
                                  partitions.name(TODAY - dt.timedelta(days=10)): 1,
                                  "entries_default": 2}
        # a day that later comes within reach takes its rows out of the default partition
        with storage._connection() as conn:
            storage.partitions.ensure(conn, [dt.date(2099, 1, 1)])
        assert _where(pg_url)["entries_p20990101"] == 1
        assert _where(pg_url)["entries_default"] == 1
        # the same entries again: idempotent across partitions (one global primary key)
        _send(storage, kiosk, sent)
        assert storage.entry_count() == 4


def test_retention_drops_whole_partitions_and_reports_keep_their_counts(pg_url: str) -> None:
    kiosk = GenKiosk("k1", "CP", 0.0, dt.datetime(2026, 1, 1, tzinfo=dt.UTC), None)
    old = dt.datetime.combine(TODAY - dt.timedelta(days=40), dt.time(5), dt.UTC)
    with open_storage(pg_url) as storage:
        storage.add_checkpoint("CP", "Chợ")
        storage.add_kiosk("k1", "CP", "k1", "hash")
        _store(storage, kiosk, [old, old + dt.timedelta(minutes=1),
                                dt.datetime.combine(TODAY, dt.time(5), dt.UTC)])
        day = storage.calendar.day_of(old)
        before = reports.daily(storage, day)["summary"]
    out = central("purge", "--days", "30",
                  "--reason", "test: partitions past 30 days", "--db", pg_url).stdout
    assert "(1 partitions)" in out
    with open_storage(pg_url) as storage:
        assert storage.entry_count() == 1
        assert partitions.name(old.date()) not in {partitions.name(d)
                                                   for d in storage.partitions.known}
        assert reports.daily(storage, day)["summary"] == before
    refused = central("purge", "--days", "3", "--db", pg_url, check=False)
    assert refused.returncode == 2 and "at least 14 days" in refused.stderr


def test_an_unpartitioned_v6_database_is_partitioned_in_place(pg_url: str) -> None:
    from kiosk.central.postgres_storage import _TYPES
    from kiosk.central.schema import MIGRATIONS, statements

    kiosk = GenKiosk("k1", "CP", 0.0, dt.datetime(2026, 1, 1, tzinfo=dt.UTC), None)
    days = [TODAY - dt.timedelta(days=n) for n in (0, 3, 3, 500)]
    rows = [protocol.wire_to_row(wire_entry(kiosk, "CP", dt.datetime.combine(
        d, dt.time(9, i), dt.UTC), "in", False, i)) for i, d in enumerate(days)]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE central_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        for migration in MIGRATIONS[:6]:
            for statement in statements(migration, _TYPES):
                conn.execute(statement)
        conn.execute("INSERT INTO central_meta VALUES ('schema_version', '6')")
        for row in rows:
            values = {**row, "extra": "{}", "certificate": None, "received_at":
                      "2026-11-01T00:00:00.000000Z", "batch_id": "b", "local_day": None}
            conn.execute(f"INSERT INTO entries ({', '.join(values)}) VALUES "
                         f"({', '.join('%s' for _ in values)})", list(values.values()))
    with open_storage(pg_url) as storage:
        assert storage.entry_count() == 4
        assert sorted(e["id"] for e in storage.entries()) == sorted(r["id"] for r in rows)
    placed = _where(pg_url)
    assert placed[partitions.name(days[0])] == 1 and placed[partitions.name(days[1])] == 2
    assert placed["entries_default"] == 1  # 500 days back: beyond the reach of partitions


def test_two_serve_processes_on_one_database_store_each_entry_once(pg_url: str,
                                                                   tmp_path: Path) -> None:
    """Both store each entry once, and derive in the background what they acknowledged
    (day sets, stays), one step at a time, without any reader asking."""
    central("init", "--db", pg_url)  # kiosks enrol at a centre made (only init makes one)
    kiosks = [enrol(pg_url, f"k{i}", f"CP-{i % 2}") for i in range(4)]
    servers = [CentralServer(pg_url), CentralServer(pg_url)]
    try:
        from central_support import kiosk_entries

        entries = {k.kiosk_id: kiosk_entries(tmp_path, k.kiosk_id, 300, k.checkpoint_id)
                   for k in kiosks}
        jobs = []
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            for k in kiosks:
                mine = entries[k.kiosk_id]
                for server in servers:  # both servers get overlapping halves of each backlog
                    for part in (mine[:200], mine[100:]):
                        jobs.append(pool.submit(server.post, batch(k.kiosk_id, part),
                                                token=k.token))
            answers = [job.result() for job in jobs]
        deadline = time.monotonic() + 60
        with psycopg.connect(pg_url, autocommit=True) as conn:
            while conn.execute("SELECT count(*) FROM derive_queue").fetchone()[0]:
                assert time.monotonic() < deadline, "the servers never derived the batches"
                time.sleep(0.1)
            derived = conn.execute(
                "SELECT (SELECT count(*) FROM day_subjects), (SELECT count(*) FROM (SELECT "
                "local_day, subject_key FROM entries UNION SELECT local_day, match_key FROM "
                "entries WHERE match_key IS NOT NULL) p), (SELECT count(*) FROM "
                "stay_tails), (SELECT count(*) FROM (SELECT DISTINCT match_key, checkpoint_id "
                "FROM entries WHERE match_key IS NOT NULL) p)").fetchone()
    finally:
        errors = [server.stop() for server in servers]
    assert derived[0] == derived[1] > 0 and derived[2] == derived[3] > 0
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers][:2]
    statuses = [r["status"] for a in answers for r in a.json()["results"]]
    assert statuses.count("accepted") == 4 * 300 and "rejected" not in statuses
    assert not any("Traceback" in e for e in errors)
    with open_storage(pg_url) as storage:
        assert storage.entry_count() == 1200
        assert reports.daily(storage, storage.today())["summary"]["scans"] == 1200


def test_two_serve_processes_started_together_on_an_empty_database_both_come_up(
        pg_url: str) -> None:
    """Both migrate the same empty database at the same moment: the migrations and the day
    partitions made ahead are taken under an advisory lock, so one waits for the other
    instead of failing on the tables the other is creating."""
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        starting = [pool.submit(CentralServer, pg_url) for _ in range(2)]
        concurrent.futures.wait(starting)
    servers = [s.result() for s in starting if s.exception() is None]
    errors = [server.stop() for server in servers]
    assert [s.exception() for s in starting] == [None, None]
    assert not any("Traceback" in e for e in errors), errors
    with open_storage(pg_url) as storage, storage._connection() as conn:
        assert conn.execute("SELECT value FROM central_meta WHERE key = 'schema_version'"
                            ).fetchone()[0] == str(len(MIGRATIONS))
        storage.partitions.refresh(conn)
        assert TODAY in storage.partitions.known


def _six_kiosks_at_once(pg_url: str, tmp_path: Path, checkpoint: str, *serve_args: str
                        ) -> tuple[CentralServer, list[int], list[Any], int, str]:
    """Six kiosks post 300 entries each at once to one ``serve *serve_args``, which is then
    stopped: the server, its worker processes, the answers, the kiosk-central connections
    held while they were answered, and what the server wrote to stderr."""
    from central_support import kiosk_entries

    central("init", "--db", pg_url)  # kiosks enrol at a centre made (only init makes one)
    kiosks = [enrol(pg_url, f"k{i}", checkpoint) for i in range(6)]
    bodies = {k.kiosk_id: batch(k.kiosk_id, kiosk_entries(tmp_path, k.kiosk_id, 300, checkpoint))
              for k in kiosks}
    server = CentralServer(pg_url, *serve_args)
    try:
        workers = _workers(server)
        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(lambda k: server.post(bodies[k.kiosk_id], token=k.token),
                                    kiosks))
        with psycopg.connect(pg_url) as conn:
            held = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                "current_database() AND application_name = 'kiosk-central'"
                                ).fetchone()[0]
    finally:
        errors = server.stop()
    return server, workers, answers, held, errors


def _workers(server: CentralServer) -> list[int]:
    pid = server.process.pid
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_serve_holds_no_more_database_connections_than_its_pool(pg_url: str,
                                                               tmp_path: Path) -> None:
    """`serve --db-pool 2`: six kiosks uploading at once are all stored, through at most two
    PostgreSQL connections (psycopg_pool makes the others wait for one)."""
    _, _, answers, held, errors = _six_kiosks_at_once(pg_url, tmp_path, "CP-P", "--db-pool", "2")
    assert [a.status_code for a in answers] == [200] * 6, [a.text for a in answers]
    assert "Traceback" not in errors
    assert 1 <= held <= 2
    with open_storage(pg_url) as storage:
        assert storage.entry_count() == 6 * 300


def test_serve_with_two_workers_answers_from_both_and_stops_them_all(pg_url: str,
                                                                    tmp_path: Path) -> None:
    """`serve --workers 2`: two processes on the one port, each with its own connections;
    six kiosks uploading at once are all stored once; SIGTERM stops both."""
    server, workers, answers, held, errors = _six_kiosks_at_once(
        pg_url, tmp_path, "CP-W", "--workers", "2", "--db-pool", "2")
    assert len(workers) == 2
    assert [a.status_code for a in answers] == [200] * 6, [a.text for a in answers]
    assert 2 <= held <= 4  # each worker holds its own pool of at most 2
    assert server.process.returncode == 0 and "Traceback" not in errors
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]
    with open_storage(pg_url) as storage:
        assert storage.entry_count() == 6 * 300


def test_a_worker_that_dies_takes_the_whole_server_down(pg_url: str) -> None:
    """Half a server is not left running: the init system restarts a whole one."""
    import os
    import signal

    server = CentralServer(pg_url, "--workers", "2")
    try:
        first, second = _workers(server)
        os.kill(first, signal.SIGKILL)
        assert server.process.wait(timeout=30) != 0
    finally:
        errors = server.stop()
    assert f"serving process {first} ended" in errors
    assert not Path(f"/proc/{second}").exists()


def test_workers_end_with_their_server_when_it_is_killed(pg_url: str) -> None:
    """A server killed outright (SIGKILL, the OOM killer) takes its workers with it: none is
    left answering on the port, which a restarted server could then not listen on."""
    import os
    import signal
    import time

    import httpx

    server = CentralServer(pg_url, "--workers", "2")
    try:
        workers = _workers(server)
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)
        deadline = time.monotonic() + 30
        while [pid for pid in workers if _running(pid)] and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [pid for pid in workers if _running(pid)]
    finally:
        for pid in workers:  # what the fix is for, should it fail
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        server.stop()
    assert len(workers) == 2 and left == []
    with pytest.raises(httpx.TransportError):
        httpx.get(server.url + protocol.HEALTH_PATH, timeout=2)


def _running(pid: int) -> bool:
    """Whether ``pid`` is alive (not gone, nor a zombie waiting for whoever reaps it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_batch_whose_ids_another_stores_meanwhile_stores_the_rest_once(pg_url: str) -> None:
    """Another request stores one of a batch's entries and has not committed yet (held here
    in its transaction by a lock on its kiosk's row): the batch waits for it and then settles
    each id, that entry a duplicate and the others stored, each entry once and counted once.
    (Copying the new entries straight into ``entries`` and settling only on such a race was
    tried against this test, and not kept: it cost the database as much or more,
    docs/benchmarks.md.)"""
    kiosk = GenKiosk("K1", "CP1", 0.0, dt.datetime.now(dt.UTC), None)
    with open_storage(pg_url) as first, open_storage(pg_url) as second:
        first.add_checkpoint("CP1", "CP1")
        first.add_kiosk("K1", "CP1", "K1", uuid.uuid4().hex)
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        entries = [wire_entry(kiosk, "CP1", now - dt.timedelta(minutes=i), "in", False, i)
                   for i in range(3)]
        with psycopg.connect(pg_url) as holder, concurrent.futures.ThreadPoolExecutor(2) as pool:
            holder.execute("SELECT 1 FROM kiosks WHERE id = 'K1' FOR UPDATE")

            def send(storage: Storage, part: list[dict[str, Any]]) -> list[str]:
                return [r["status"] for r in storage.ingest_batch(
                    "K1", part, sent_at=protocol.format_time(now), received_at=now,
                    batch_id=str(uuid.uuid4()))]
            earlier = pool.submit(send, second, entries[:1])  # stored, waits for the kiosk row
            _wait_for(lambda: _waiting(holder) == 1)
            later = pool.submit(send, first, entries)  # waits for entries[0]
            _wait_for(lambda: _waiting(holder) == 2)
            holder.commit()
            assert earlier.result(timeout=30) == ["accepted"]
            assert later.result(timeout=30) == ["duplicate", "accepted", "accepted"]
        assert sorted(e["id"] for e in first.entries()) == sorted(e["id"] for e in entries)
        day = reports.daily(first, first.calendar.day_of(now), now=now)
        assert day["summary"]["scans"] == 3


def test_a_partition_made_while_a_batch_stores_its_day_in_the_default_takes_that_row(
        pg_url: str) -> None:
    """A serve process's list of partitions is read when it opens: after the 06:00 purge
    it still names the days dropped, so a late scan of such a day (a kiosk clock behind)
    goes to the default partition. Another process (an import, a serve started since)
    meanwhile needs that day and makes its partition. The row stored meanwhile is moved
    with the others and both batches are stored; before, ATTACH found it in the default
    partition once it committed and the second batch failed, "the data breaks a
    constraint of the database (23514)"."""
    kiosk = GenKiosk("K1", "CP1", 0.0, dt.datetime.now(dt.UTC), None)
    day = TODAY - dt.timedelta(days=20)
    noon = dt.datetime.combine(day, dt.time(12), dt.UTC)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with open_storage(pg_url) as first, open_storage(pg_url) as stale:
        first.add_checkpoint("CP1", "CP1")
        first.add_kiosk("K1", "CP1", "K1", uuid.uuid4().hex)
        assert day not in first.partitions.known
        stale.partitions.known.add(day)  # as a process that has not seen the purge
        entries = [wire_entry(kiosk, "CP1", noon + dt.timedelta(minutes=i), "in", False, i)
                   for i in range(2)]
        with psycopg.connect(pg_url) as holder, concurrent.futures.ThreadPoolExecutor(2) as pool:
            holder.execute("SELECT 1 FROM kiosks WHERE id = 'K1' FOR UPDATE")

            def send(storage: Storage, entry: dict[str, Any]) -> list[str]:
                return [r["status"] for r in storage.ingest_batch(
                    "K1", [entry], sent_at=protocol.format_time(now), received_at=now,
                    batch_id=str(uuid.uuid4()))]
            late = pool.submit(send, stale, entries[0])  # in the default, waits for the row
            _wait_for(lambda: _waiting(holder) == 1)
            making = pool.submit(send, first, entries[1])  # makes the day's partition
            _wait_for(lambda: _waiting(holder) == 2)
            holder.commit()
            assert late.result(timeout=30) == ["accepted"]
            assert making.result(timeout=30) == ["accepted"]
        assert _where(pg_url) == {partitions.name(day): 2}


def _waiting(holder: psycopg.Connection) -> int:
    """Sessions of this database waiting for a lock."""
    return holder.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                          "'Lock' AND datname = current_database()").fetchone()[0]


def _wait_for(condition: Any, timeout: float = 30.0) -> None:
    deadline = dt.datetime.now() + dt.timedelta(seconds=timeout)
    while not condition():
        assert dt.datetime.now() < deadline, "timed out"
        time.sleep(0.05)


def test_a_statement_past_its_timeout_or_a_program_limit_is_said_as_such_not_as_busy(
        pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A statement canceled at the statement timeout was answered 'storage busy', and a
    program limit (an index row too large) 'database unavailable': both retried for ever
    as if the next try could differ, and neither said what went wrong. The timeout is
    still tried again later (load passes), but named, with the limit; the program limit
    is a database error naming the row."""
    import random

    from kiosk.central import postgres_storage
    from kiosk.central.storage import StorageBusy, StorageError

    monkeypatch.setattr(postgres_storage, "STATEMENT_TIMEOUT", "200ms")
    with open_storage(pg_url) as storage:
        with pytest.raises(StorageBusy) as canceled:
            storage._query("SELECT pg_sleep(5)")
        assert canceled.value.words.code == "storage.canceled"
        assert canceled.value.retry_after == 30
        assert "ran past 200ms" in str(canceled.value)
        assert "statement timeout" not in str(canceled.value)  # PostgreSQL's English: the
        assert "statement timeout" in str(canceled.value.__cause__)  # cause, for the log
        wide = "".join(random.Random(2).choices("abcdefghijklmnopqrstuvwxyz", k=3000))
        with pytest.raises(StorageError) as limit, storage._transaction() as tx:
            storage._execute(tx, "CREATE TEMPORARY TABLE wide (key TEXT PRIMARY KEY)")
            storage._execute(tx, "INSERT INTO wide VALUES ($1)", (wide,))
        assert not isinstance(limit.value, StorageBusy)
        assert limit.value.words.params["detail"].code == "postgres.too_large"
        assert "a value exceeds a PostgreSQL limit (an index row or a field too large)" in str(
            limit.value)
        assert "index row size" in str(limit.value.__cause__)
