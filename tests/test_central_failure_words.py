"""The centre says why its database failed in words of the catalogue, in Vietnamese and
English, chosen by what the database answered (SQLite's result code, PostgreSQL's SQLSTATE),
never by its English message, which goes to the log (``-v``) only. The SQLite side (a
second process holding the write lock during ``kiosk-central import`` and a kiosk's upload)
is in tests/test_sync_backlog.py and tests/test_central_api.py; here a dashboard page, and
PostgreSQL on a real server the tests start."""

from __future__ import annotations

import contextlib
import html
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from central_support import (
    CentralServer,
    PostgresServer,
    central,
    database_url,
    enrol,
    free_port,
    postgres_bin,
    write_lock_held_by_another_process,
)
from web_support import PASSWORD, SAMPLE, add_users, csrf, signed_in

from kiosk.central.backends import open_storage
from kiosk.central.postgres_storage import PostgresStorage
from kiosk.central.sqlite_storage import SqliteStorage
from kiosk.central.storage import StorageBusy, StorageError
from kiosk.enrolment import ENROL_PATH
from kiosk.sync import protocol
from tests.test_store_disk_failing import fill, small_disk

HEALTH = {"software_version": "0.1.0", "pending": 0, "oldest_pending_seconds": 0.0,
          "rejected": 0, "devices": [], "free_disk_bytes": 12_500_000_000,
          "refused_by_hour": {}}


def test_a_page_the_locked_database_fails_says_why_in_the_readers_language(tmp_path) -> None:
    """Signing in writes a session, signing out ends it; while another process holds the
    SQLite centre's write lock past --busy-timeout, the page answers 503 with Retry-After,
    saying in the reader's language that nothing is lost (the lock passes): not a bare
    "Internal Server Error" (it was), nor SQLite's "database is locked". Why (another program
    holds the store locked) is said to a signed-in administrator, not to a visitor."""
    db = database_url("sqlite", tmp_path)
    add_users(db, {"admin1": ("admin", None)})
    server = CentralServer(db, "--busy-timeout", "1", "--log-level", "debug")
    login = {"name": "admin1", "password": PASSWORD, "next": "/today"}
    try:
        visitor, administrator = {}, {}
        for lang in ("vi", "en"):
            with httpx.Client(base_url=server.url, cookies={"kc_lang": lang}) as client:
                token = csrf(client.get("/login").text)
                with write_lock_held_by_another_process(tmp_path / "central.db"):
                    visitor[lang] = client.post("/login", data={"csrf_token": token, **login})
                assert client.post("/login", data={  # the lock let go: signed in
                    "csrf_token": token, **login}).status_code in (200, 303)
                token = csrf(client.get("/today").text)
                with write_lock_held_by_another_process(tmp_path / "central.db"):
                    administrator[lang] = client.post("/logout", data={"csrf_token": token})
    finally:
        log = server.stop()
    for answer in (*visitor.values(), *administrator.values()):
        assert answer.status_code == 503, answer.text
        assert int(answer.headers["retry-after"]) >= 1
        assert "database is locked" not in answer.text
    for answers in (visitor, administrator):
        assert "Trung tâm chưa trả lời được lúc này" in answers["vi"].text
        assert "Không có gì bị mất; hãy tải lại trang sau ít phút." in answers["vi"].text
        assert "The centre cannot answer right now" in answers["en"].text
        assert "Nothing is lost; reload the page in a few minutes." in answers["en"].text
    assert "một chương trình khác" not in visitor["vi"].text
    assert "another program" not in visitor["en"].text
    assert ("bộ lưu trữ đang bận: một chương trình khác đang khoá kho dữ liệu"
            in administrator["vi"].text)
    assert "storage busy: another program holds the store locked" in administrator["en"].text
    # whoever runs the centre reads the same words in the log, in both languages; SQLite's
    # English only on the debug lines (--log-level debug), not on those shown by default.
    # The pages' lines: the centre's derivation may meet the lock too (a slow machine) and
    # say so in its own words ("derivation put off"), on lines of its own logger
    warned = [line for line in log.splitlines() if " WARNING kiosk.central.web." in line]
    assert warned and all(
        "một trang không được phục vụ: bộ lưu trữ đang bận: một chương trình khác đang khoá "
        "kho dữ liệu / a page was not served: storage busy: another program holds the store "
        "locked" in line for line in warned), log
    shown = [line for line in log.splitlines() if " DEBUG " not in line]
    assert not any("database is locked" in line for line in shown), log
    assert any(" DEBUG " in line and "database is locked" in line for line in log.splitlines())
    assert "Traceback" not in log


def filled(disk: Path) -> Path:
    """The centre's disk ``disk`` filled so that its next write fails: its log emptied first
    (the next write grows it), then every byte taken. The filler, to delete."""
    with sqlite3.connect(disk / "central.db") as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return fill(disk)


def test_a_full_disk_is_said_to_an_administrator_only_and_not_as_passing(tmp_path) -> None:
    """The SQLite centre on a disk of its own, filled to the last byte (a real tmpfs): a
    write answers 503. A visitor not signed in (posting the login form) and a viewer read
    that the centre cannot answer and to tell its administrator: not the database file's
    path nor the disk's state (anyone reading the login page was told both), nor "nothing
    is lost, reload in a few minutes", which a full disk does not. The administrator reads
    both, and to deal with the cause; a kiosk's upload gets the code and why, without the
    path; serve's log has it all."""
    with small_disk(tmp_path / "disk", size_kib=8192) as disk:
        db = database_url("sqlite", disk)
        central("checkpoints", "import", str(SAMPLE), "--db", db)
        add_users(db, {"admin1": ("admin", None), "viewer1": ("viewer", None)})
        kiosk = enrol(db, "kiosk-full", "BP-DX-001")
        server = CentralServer(db)
        try:
            with signed_in(server.url, "admin1") as admin, \
                    signed_in(server.url, "viewer1") as viewer:
                tokens = {client: csrf(client.get("/today").text) for client in (admin, viewer)}
                filler = filled(disk)
                answers: dict[str, dict[str, httpx.Response]] = {}
                for lang in ("vi", "en"):
                    for client in (admin, viewer):
                        client.get(f"/lang/{lang}")
                    with httpx.Client(base_url=server.url, cookies={"kc_lang": lang}) as anon:
                        answers[lang] = {"visitor": anon.post("/login", data={
                            "csrf_token": csrf(anon.get("/login").text), "name": "nobody",
                            "password": "wrong password!", "next": "/today"})}
                    for name, client in (("viewer", viewer), ("admin", admin)):
                        answers[lang][name] = client.post(  # ending a session: a write
                            "/logout", data={"csrf_token": tokens[client]})
                upload = httpx.post(server.url + protocol.HEARTBEAT_PATH,
                                    json=protocol.make_heartbeat(kiosk.kiosk_id, HEALTH),
                                    headers=kiosk.auth, timeout=30)
                filler.unlink()
        finally:
            log = server.stop()
    said = {"vi": {"disk": "ổ đĩa đã đầy", "title": "Trung tâm chưa trả lời được lúc này",
                   "ask": "hãy báo quản trị viên của trung tâm",
                   "deal": "hãy xử lý nguyên nhân ở trên", "passes": "Không có gì bị mất"},
            "en": {"disk": "the disk is full", "title": "The centre cannot answer right now",
                   "ask": "tell the centre's administrator", "deal": "deal with the cause above",
                   "passes": "Nothing is lost"}}
    for lang, by_whom in answers.items():
        for who, answer in by_whom.items():
            page = html.unescape(answer.text)
            assert answer.status_code == 503, (lang, who, page[:300])
            assert int(answer.headers["retry-after"]) >= 1
            if who == "admin":
                assert f"{disk / 'central.db'}: {said[lang]['disk']}" in page, page
                assert said[lang]["deal"] in page and said[lang]["ask"] not in page
            else:
                assert str(disk) not in page and said[lang]["disk"] not in page, (who, page)
                assert said[lang]["ask"] in page
            assert said[lang]["passes"] not in page and said[lang]["title"] in page
    assert upload.status_code == 503, upload.text
    assert str(disk) not in upload.text
    assert upload.json()["code"] == "api.storage_unavailable"
    assert upload.json()["params"]["detail"]["code"] == "os.disk_full"
    assert f"{disk / 'central.db'}: the disk is full" in log  # for whoever runs the centre
    assert "Traceback" not in log


def test_a_trace_over_the_api_the_full_disk_fails_tells_a_tracer_no_path(tmp_path) -> None:
    """``POST /api/v1/trace`` on the SQLite centre whose disk is full (a real tmpfs): the
    trace's audit record cannot be written, so no answer, 503. A tracer — not an
    administrator — reads the dashboard's generic words (tell the administrator), not the
    database file's path nor the disk's state, as docs/central.md says of the dashboard's JSON
    routes; an administrator is told why. (Before, the route caught the failure itself and
    answered every tracer ``api.storage_unavailable`` with the path in it.)"""
    with small_disk(tmp_path / "disk", size_kib=8192) as disk:
        db = database_url("sqlite", disk)
        central("checkpoints", "import", str(SAMPLE), "--db", db)
        add_users(db, {"admin1": ("admin", None), "tracer1": ("tracer", None)})
        server = CentralServer(db)
        body = {"document": "001099000101", "reason": "ca bệnh F0-9001"}
        try:
            with signed_in(server.url, "admin1") as admin, \
                    signed_in(server.url, "tracer1") as tracer:
                tokens = {client: csrf(client.get("/tracing").text) for client in (admin, tracer)}
                filler = filled(disk)
                answers = {name: client.post("/api/v1/trace", json=body,
                                             headers={"X-CSRF-Token": tokens[client]})
                           for name, client in (("tracer", tracer), ("admin", admin))}
                filler.unlink()
        finally:
            log = server.stop()
    for name, answer in answers.items():
        assert answer.status_code == 503, (name, answer.text)
        assert int(answer.headers["retry-after"]) >= 1
    told = answers["tracer"]
    assert str(disk) not in told.text and "disk is full" not in told.text, told.text
    assert told.json() == {"error": "This will not pass by itself; tell the centre's "
                                    "administrator.",
                           "code": "web.unavailable.ask_admin", "params": {}}
    assert f"{disk / 'central.db'}: the disk is full" in answers["admin"].json()["error"]
    assert f"{disk / 'central.db'}: the disk is full" in log and "Traceback" not in log


def test_a_write_queued_behind_one_waiting_on_another_program_names_that_program(
        tmp_path) -> None:
    """One write at a time holds the SQLite centre's write lock; a write that waits for it
    past --busy-timeout is told why. While its holder itself waits on SQLite's lock, which
    another process holds (as ``sqlite3 central.db`` left in a transaction would), that is
    "another program holds the store locked", not "another batch is being written" (it was:
    a login refused while the derivation waited on the other program). While the holder is
    writing, "the centre is writing something else": the holder may be the derivation, a
    purge or a session, not only a kiosk's batch."""
    storage = SqliteStorage(f"sqlite:///{tmp_path}/central.db", busy_timeout=3)
    first_done = threading.Event()

    def first_write() -> None:  # waits up to 3 s on the other program's lock
        try:
            with contextlib.suppress(StorageBusy), storage._transaction():
                pass
        finally:
            first_done.set()

    def second_write() -> StorageBusy:  # queued behind it for 1 s only
        storage.busy_timeout = 1
        try:
            with pytest.raises(StorageBusy) as refused, storage._transaction():
                pass
        finally:
            storage.busy_timeout = 3
        return refused.value

    try:
        with write_lock_held_by_another_process(tmp_path / "central.db"):
            first = threading.Thread(target=first_write)
            first.start()
            while not storage._write_lock.locked():  # the first holds it, waiting
                time.sleep(0.01)
            refused = second_write()
            assert not first_done.is_set()  # refused while the first still waited
            first.join()
        assert refused.words.code == "storage.busy"
        assert refused.text("vi") == ("bộ lưu trữ đang bận: một chương trình khác đang khoá "
                                      "kho dữ liệu")
        assert refused.text("en") == "storage busy: another program holds the store locked"

        told: list[StorageBusy] = []
        with storage._transaction():  # the holder writing, no other program
            writer = threading.Thread(target=lambda: told.append(second_write()))
            writer.start()
            writer.join()
        refused = told[0]
        assert refused.words.code == "storage.writing"
        assert refused.text("vi") == "bộ lưu trữ đang bận: trung tâm đang ghi việc khác"
        assert refused.text("en") == "storage busy: the centre is writing something else"
    finally:
        storage.close()


def test_a_command_meeting_another_sessions_lock_says_so_in_words(tmp_path) -> None:
    """Another session holds the table every command reads first locked (a schema change, a
    long ``LOCK TABLE``): past lock_timeout, ``kiosk-central kiosks list`` exits 3 saying
    the storage is busy because another session holds a table locked, in both languages;
    PostgreSQL's "canceling statement due to lock timeout" only in the ``-v`` log."""
    url = database_url("postgresql", tmp_path)
    open_storage(url).close()  # the schema exists: the command only reads
    with psycopg.connect(url) as other:
        other.execute("LOCK TABLE central_meta IN ACCESS EXCLUSIVE MODE")
        proc = central("-v", "kiosks", "list", "--db", url, check=False)
        other.rollback()
    assert proc.returncode == 3, proc.stderr
    *logged, said = proc.stderr.strip().splitlines()
    assert said == (
        "lỗi cơ sở dữ liệu trung tâm / storage error: bộ lưu trữ đang bận: một phiên khác "
        "đang khoá bảng cần dùng, quá thời gian chờ / storage busy: another session held a "
        "table it needs locked past the wait allowed"), proc.stderr
    assert " INFO " in logged[0]
    assert "canceling statement due to lock timeout" in logged[0], proc.stderr


@pytest.fixture
def own_postgres() -> Any:
    """A PostgreSQL server of this test's own, which it may stop."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL binaries not installed")
    server = PostgresServer(bin_dir)
    yield server
    server.stop()


def test_the_server_stopped_mid_command_is_said_in_words(own_postgres: PostgresServer) -> None:
    """The database server is shut down while a statement runs: the storage fails it as
    unavailable for now (to be tried again), naming the shutdown or the lost connection by
    code; PostgreSQL's and psycopg's English ("terminating connection due to administrator
    command", "server closed the connection unexpectedly") stay the cause, for the log."""
    storage = open_storage(own_postgres.url(), busy_timeout=2)
    failed: list[BaseException] = []
    running = threading.Event()

    def long_read() -> None:
        running.set()
        try:
            storage._query("SELECT pg_sleep(60)")
        except BaseException as exc:  # looked at below
            failed.append(exc)

    reader = threading.Thread(target=long_read)
    reader.start()
    running.wait(10)
    with psycopg.connect(own_postgres.url(), autocommit=True) as watcher:
        while not watcher.execute("SELECT 1 FROM pg_stat_activity WHERE query LIKE "
                                  "'SELECT pg_sleep%' AND state = 'active'").fetchone():
            pass  # the statement has reached the server
    own_postgres._run("pg_ctl", "-D", str(own_postgres.dir / "data"), "-m", "fast", "-w",
                      "stop")
    reader.join(30)
    try:
        [error] = failed
        assert isinstance(error, StorageBusy), repr(error)
        assert error.words.code == "storage.unavailable"
        detail = error.words.params["detail"]
        assert detail.code in {"postgres.shut_down", "postgres.connection"}, detail
        assert error.text("vi").startswith("cơ sở dữ liệu không sẵn sàng: máy chủ cơ sở dữ liệu")
        assert error.text("en").startswith("database unavailable: the ")
        assert "terminating" not in str(error) and "closed" not in str(error)
        assert isinstance(error.__cause__, psycopg.OperationalError)
    finally:
        storage.close()


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_statement_the_database_cannot_run_is_a_fault_of_the_program_not_busy_storage(
        engine: str, tmp_path) -> None:
    """A read naming a table that does not exist (a fault of the program, which no retry
    mends) was, on SQLite, "storage busy: SQLite error SQLITE_ERROR": a 503 asking the
    kiosk or the reader to come back for ever. On both engines it is a storage error saying
    the database could not run a statement, by SQLite's result code or PostgreSQL's
    SQLSTATE; "no such table" / "does not exist" stays the cause, for the log."""
    with (open_storage(database_url(engine, tmp_path)) as storage,
          pytest.raises(StorageError) as refused):
        storage._query("SELECT missing FROM no_such_table")
    error = refused.value
    assert not isinstance(error, StorageBusy), str(error)
    detail = error.words.params["detail"]
    if engine == "sqlite":
        assert (error.words.code, detail.code) == ("storage.file_error", "sqlite.statement")
        assert "SQLite không chạy được một câu lệnh (SQLITE_ERROR)" in error.text("vi")
        assert "SQLite could not run a statement (SQLITE_ERROR)" in error.text("en")
        assert "no such table" in str(error.__cause__)
    else:
        assert (error.words.code, detail.code) == ("storage.error", "postgres.statement")
        assert "PostgreSQL không chạy được một câu lệnh (42P01)" in error.text("vi")
        assert "PostgreSQL could not run a statement (42P01)" in error.text("en")
        assert "does not exist" in str(error.__cause__)
    assert "bận" not in error.text("vi") and "busy" not in error.text("en")
    assert "no such" not in str(error) and "does not exist" not in str(error)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_change_to_the_append_only_audit_log_is_refused_in_words(engine: str,
                                                                  tmp_path) -> None:
    """The schema's trigger refuses deleting from the audit log with its own RAISE
    ("audit_log is append-only"): SQLite's constraint and PostgreSQL's P0001 were said only
    as "SQLite error SQLITE_CONSTRAINT_TRIGGER" / "PostgreSQL error P0001". Both now say,
    in the reader's language, that the table is append-only; the row stays."""
    from kiosk.central import audit

    with open_storage(database_url(engine, tmp_path)) as storage:
        audit.append_action(storage, "signing-key", actor="admin1", channel="web",
                            address=None, subject="kiosk-1", reason="key rotated")
        with pytest.raises(StorageError) as refused, storage._transaction() as tx:
            storage._execute(tx, "DELETE FROM audit_log")
        assert storage._query("SELECT count(*) FROM audit_log")[0][0] == 1
    error = refused.value
    assert not isinstance(error, StorageBusy), str(error)
    assert error.words.params["detail"].code == "db.append_only"
    assert ("bảng audit_log chỉ được ghi thêm: không sửa hay xoá được điều gì đã ghi trong đó"
            in error.text("vi"))
    assert ("audit_log is append-only: nothing recorded in it may be changed or deleted"
            in error.text("en"))


def test_a_postgresql_program_limit_is_named_not_only_numbered(tmp_path) -> None:
    """Class 54 (program limit exceeded) fails the same statement every time; beyond its
    code, the words say which limit: here a function given more than 100 arguments."""
    with (open_storage(database_url("postgresql", tmp_path)) as storage,
          pytest.raises(StorageError) as refused):
        storage._query("SELECT concat(" + ", ".join(["1"] * 101) + ")")
    error = refused.value
    assert not isinstance(error, StorageBusy), str(error)
    assert error.words.params["detail"].code == "postgres.too_many_arguments"
    assert error.text("vi") == ("lỗi cơ sở dữ liệu: quá nhiều đối số cho một hàm của "
                                "PostgreSQL")
    assert error.text("en") == ("database error: more arguments to a function than "
                                "PostgreSQL allows")


def test_a_call_the_postgresql_driver_refuses_is_not_said_as_a_lost_connection(
        tmp_path) -> None:
    """psycopg refusing a call itself (rows asked of a DELETE) has no SQLSTATE; it was said
    as "the connection to the database server was lost", sending whoever reads it to the
    network. It is a fault of the program, named by the driver's class."""
    with (open_storage(database_url("postgresql", tmp_path)) as storage,
          pytest.raises(StorageError) as refused):
        storage._query("DELETE FROM settings WHERE key = 'no such key'")
    error = refused.value
    assert error.words.params["detail"].code == "db.driver"
    assert "(ProgrammingError)" in error.text("en")
    assert "connection" not in error.text("en")


@pytest.mark.parametrize("url", ["postgresql://centre:s3cret-pw@127.0.0.1:{port}/kiosk",
                                 "postgresql://127.0.0.1:{port}/kiosk?password=s3cret-pw",
                                 "postgres://127.0.0.1:{port}/kiosk?user=centre&password=s3cret-pw"])
def test_a_database_server_not_reached_is_named_without_its_password(url: str) -> None:
    """Nothing listens at the URL's port (a real connection attempt): the words name where
    the centre tried to connect, never the password — whether the URL carries it before the
    '@' or as a ``password=`` parameter (before, only the first was hidden: the words, which
    serve's log and every command print, carried the second whole)."""
    with pytest.raises(StorageBusy) as refused:
        PostgresStorage(url.format(port=free_port()), connect_timeout=1)
    said = str(refused.value)
    assert refused.value.words.code == "storage.cannot_connect"
    assert "s3cret-pw" not in said and "password=***" in said, said
    assert "127.0.0.1" in said and "kiosk" in said


def test_a_caller_not_yet_authenticated_is_not_told_why_the_storage_failed(tmp_path) -> None:
    """A real centre whose database folder is a link loop when serve first reads it, then
    whose write lock another process holds: a caller whose token (or enrolment code) the
    centre could not check yet — a made-up token, a kiosk's own token the loop kept from being
    read, a revoked kiosk's token (the refused attempt is written), a made-up code — reads
    the dashboard's generic words (tell the administrator; for a lock, nothing is lost), with
    Retry-After, not why (the loop, another program's lock: review 37 F3). An authenticated
    kiosk is still told why (it logs it for the technician); serve's log says it all."""
    (tmp_path / "db").mkdir()
    db = database_url("sqlite", tmp_path / "db")
    kiosk, revoked = enrol(db, "kiosk-ok", "BP-DX-001"), enrol(db, "kiosk-old", "BP-DX-001")
    central("kiosks", "revoke", revoked.kiosk_id, "--db", db)
    server = CentralServer(db, "--busy-timeout", "1")

    def heartbeat(token: str) -> httpx.Response:
        return httpx.post(server.url + protocol.HEARTBEAT_PATH, timeout=30,
                          json=protocol.make_heartbeat(kiosk.kiosk_id, HEALTH),
                          headers={"Authorization": f"Bearer {token}"})

    try:
        (tmp_path / "db").rename(tmp_path / "db.real")  # before serve opens the database
        (tmp_path / "db").symlink_to("db")  # a loop
        try:
            looped = {"made-up": heartbeat("made-up"), "kiosk": heartbeat(kiosk.token)}
        finally:
            (tmp_path / "db").unlink()
            (tmp_path / "db.real").rename(tmp_path / "db")
        with write_lock_held_by_another_process(tmp_path / "db" / "central.db"):
            locked = {"revoked": heartbeat(revoked.token), "kiosk": heartbeat(kiosk.token),
                      "code": httpx.post(server.url + ENROL_PATH, json={"secret": "made-up"},
                                         timeout=30)}
    finally:
        log = server.stop()
    for who, answer in looped.items():
        assert answer.status_code == 503 and answer.headers["retry-after"] == "30", who
        assert answer.json() == {"error": "This will not pass by itself; tell the centre's "
                                          "administrator.",
                                 "code": "web.unavailable.ask_admin", "params": {}}, who
    for who in ("revoked", "code"):  # the code's check waits for the lock to write
        answer = locked[who]
        assert answer.status_code == 503 and int(answer.headers["retry-after"]) >= 1, who
        assert answer.json() == {"error": "Nothing is lost; reload the page in a few minutes.",
                                 "code": "web.unavailable.retry", "params": {}}, who
    told = locked["kiosk"]  # authenticated: why, for the kiosk's log
    assert told.status_code == 503 and told.json()["code"] == "storage.busy", told.text
    assert "another program holds the store locked" in told.json()["error"]
    assert "the links on the path loop back on themselves" in log
    assert "another program holds the store locked" in log and "Traceback" not in log
