"""A PostgreSQL centre upgraded while other processes use it: the upgrade neither dies in a
deadlock with a server still running the old version nor makes the 06:00 report give up.

An upgrade found at province scale (10 M entries): the old server, still running, held a
checkpoint day's row and then wrote a late entry, while the upgrade (minutes into counting
people again) had changed the late entries' table and wanted that row: PostgreSQL ended
the upgrade as the deadlock's victim, undoing it, and every later command tried again, and
died again. And a report started while another process upgraded gave up after the usual
10 s lock wait, losing the day's file. Real PostgreSQL servers the tests start; the old
server is a second connection doing what its ingest did."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from central_support import PostgresServer, database_url, postgres_bin, set_schema_version
from report_support import GenKiosk, World, load, wire_entry

from kiosk.central import derivation
from kiosk.central.backends import open_storage
from kiosk.central.postgres_storage import _LOCK_KEY
from kiosk.central.registry import Checkpoint
from kiosk.central.schema import MIGRATIONS, PERSON_KEYS_VERSION
from kiosk.central.storage import StorageError
from kiosk.sync import protocol

KIOSK = GenKiosk("k1", "P1", 0.0, dt.datetime(2026, 10, 1, tzinfo=dt.UTC), None)
SCANNED = dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC)
DAYS = 300
"""Day partitions of a centre whose upgrade a small lock table cannot hold."""


def _centre_before_people_keys(tmp_path: Path) -> str:
    """A centre with one checkpoint day, taken back to the version before v37 (whose
    upgrade counts every day's people again)."""
    db = database_url("postgresql", tmp_path)
    with open_storage(db) as storage:
        load(storage, World("Asia/Ho_Chi_Minh", [Checkpoint("P1", "Chợ", district="Đồng Xoài")],
                            [KIOSK]))
        storage.ingest_batch(KIOSK.id, [wire_entry(KIOSK, "P1", SCANNED, "in", False, 1)],
                             sent_at=protocol.format_time(SCANNED), received_at=SCANNED,
                             batch_id=str(uuid.uuid4()))
        derivation.catch_up(storage)
        with storage._transaction() as tx:
            set_schema_version(storage, tx, PERSON_KEYS_VERSION - 1)
    return db


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.05)


def _waiting(db: str, wait_event_type: str, *, for_at_least: float = 0.0) -> bool:
    """Whether a session of ``db`` waits on a lock (``Lock``: a table's or row's;
    ``advisory``: the upgrade's) for at least ``for_at_least`` seconds."""
    with psycopg.connect(db, autocommit=True) as conn:
        return bool(conn.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
            "WHERE NOT l.granted AND l.locktype = ANY(%s) AND a.datname = current_database() "
            "AND now() - a.state_change >= make_interval(secs => %s)",
            (["advisory"] if wait_event_type == "advisory" else
             ["relation", "tuple", "transactionid"], for_at_least)).fetchone()[0])


def _open_in_thread(db: str, **options: Any) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            with open_storage(db, **options) as storage:
                outcome["version"] = storage._query(
                    "SELECT value FROM central_meta WHERE key = 'schema_version'")[0][0]
        except Exception as exc:  # the test reports it
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_an_upgrade_waits_for_a_server_of_the_old_version_instead_of_deadlocking_with_it(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db = _centre_before_people_keys(tmp_path)
    caplog.set_level(logging.WARNING, "kiosk.central")
    with psycopg.connect(db) as old_server:  # its ingest's transaction, as it ran it
        old_server.execute("UPDATE checkpoint_days SET scans = scans")
        upgrade, outcome = _open_in_thread(db, busy_timeout=0.5, statement_timeout=0.5)
        _until(lambda: _waiting(db, "Lock", for_at_least=2.0),
               "the upgrade waits for the old server's row, past its usual limits")
        old_server.execute("INSERT INTO late_arrivals VALUES "
                           "('2026-10-02', '2026-10-01', 'P1', 3)")  # v37's shape
        old_server.commit()
    upgrade.join(120)
    assert outcome == {"version": str(len(MIGRATIONS))}
    assert ("the database's upgrade waits for the running servers to finish their work: stop "
            "the servers still running the old version") in caplog.text
    with open_storage(db) as storage:  # the old server's late entry kept, its time unknown
        assert ("2026-10-02", "2026-10-01", "P1", 3, None) in storage._query(
            "SELECT * FROM late_arrivals")


def test_a_command_started_during_an_upgrade_waits_for_it_beyond_the_usual_limits(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db = _centre_before_people_keys(tmp_path)  # behind: the lock's holder is upgrading it
    caplog.set_level(logging.WARNING, "kiosk.central")
    with psycopg.connect(db) as upgrading:
        upgrading.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        report, outcome = _open_in_thread(db, busy_timeout=0.5, statement_timeout=0.5)
        _until(lambda: _waiting(db, "advisory", for_at_least=2.0),
               "the report waits for the upgrade four times its lock and statement limits")
        upgrading.commit()
    report.join(60)
    assert outcome == {"version": str(len(MIGRATIONS))}
    assert "waiting for another process to finish upgrading the centre's database" in caplog.text


def test_commands_started_together_on_an_up_to_date_centre_say_no_upgrade_is_awaited(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Six ``kiosks add`` at once: the one holding the upgrade's lock for its look at the
    schema version made others print "waiting for another process to finish upgrading"
    with no upgrade to wait for."""
    db = database_url("postgresql", tmp_path)
    open_storage(db).close()  # up to date
    caplog.set_level(logging.WARNING, "kiosk.central")
    with psycopg.connect(db) as other_command:
        other_command.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        command, outcome = _open_in_thread(db)
        _until(lambda: _waiting(db, "advisory"), "the command waits its turn at the lock")
        other_command.commit()
    command.join(60)
    assert outcome == {"version": str(len(MIGRATIONS))}
    assert "upgrading" not in caplog.text


def test_an_upgrade_its_servers_lock_table_has_no_room_for_says_what_to_raise(
        tmp_path: Path) -> None:
    """Years of day partitions: the upgrade takes every table, partition and index at once,
    more than PostgreSQL's lock table holds. It is refused, undone, naming the setting and a
    value that is enough (it ran out of shared memory, said as "busy, to be tried again",
    and a server restarted on failure tried for ever)."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL binaries not installed")
    server = PostgresServer(bin_dir, "-c max_connections=20 -c max_locks_per_transaction=10")
    try:
        db = server.create_database()
        with open_storage(db) as storage:
            with storage._connection() as conn:
                storage.partitions.ensure(conn, [dt.date(2025, 1, 1) + dt.timedelta(days=n)
                                                 for n in range(DAYS)])
            with storage._transaction() as tx:
                set_schema_version(storage, tx, PERSON_KEYS_VERSION - 1)
        with pytest.raises(StorageError) as refused:
            open_storage(db)
        said = str(refused.value)
        assert "PostgreSQL's lock table is full" in said
        assert "max_locks_per_transaction = 10); set max_locks_per_transaction = " in said
        assert "restart PostgreSQL and run again — nothing was changed" in said
        assert "bảng khoá của PostgreSQL đầy" in said
        with psycopg.connect(db) as conn:  # still at the version it was
            assert conn.execute("SELECT value FROM central_meta WHERE key = 'schema_version'"
                                ).fetchone() == (str(PERSON_KEYS_VERSION - 1),)
    finally:
        server.stop()
